#include "policy_memo.h"

#include <string.h>

void pmemo_init(struct pmemo *m, void (*release)(void *value))
{
	memset(m, 0, sizeof(*m));
	m->release = release;
}

int pmemo_clear(struct pmemo *m)
{
	if (m->users > 0)
		return 0;
	if (m->valid)
		m->release(m->value);
	m->valid = 0;
	m->value = NULL;
	return 1;
}

int pmemo_borrow(struct pmemo *m, const char *key, size_t key_len, unsigned long generation,
                 void **value)
{
	if (!m->valid)
		return 0;
	if (m->generation != generation) {
		/* flushed since: nobody may borrow it again */
		pmemo_clear(m);
		return 0;
	}
	if (m->key_len != key_len || memcmp(m->key, key, key_len) != 0)
		return 0;
	m->users++;
	*value = m->value;
	return 1;
}

int pmemo_offer(struct pmemo *m, const char *key, size_t key_len, unsigned long generation,
                void *value)
{
	if (key_len >= PMEMO_KEY_MAX || !pmemo_clear(m))
		return 0;
	memcpy(m->key, key, key_len);
	m->key[key_len] = '\0';
	m->key_len = key_len;
	m->generation = generation;
	m->value = value;
	m->valid = 1;
	m->users = 1;
	return 1;
}

void pmemo_return(struct pmemo *m)
{
	if (m->users > 0)
		m->users--;
}
