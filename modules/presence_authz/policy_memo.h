/* One process's last loaded policy, lent to the next callers that ask for the same presentity
 * while the shared rules cache has not been flushed since (its generation). A PUBLISH fans out
 * to all N watchers of one presentity in a row (Kamailio's presence, notify.c publ_notify), so
 * N - 1 of them borrow instead of unpacking the packed policy again (a copy of n_rules x
 * sizeof(struct pol_rule) each). Pure core: the value is opaque, freed by the caller's release
 * callback; no Kamailio header.
 *
 * Freshness: a value is lent only for the generation it was loaded at (taken before the cache
 * was read), so any flush after it (a rule change: cfg, RPC, PostgreSQL NOTIFY) makes the next
 * caller load again. Ownership: a value lent out is never released or replaced until every
 * borrower returned it (a nested load of another presentity keeps its own copy). */
#ifndef PRESEC_POLICY_MEMO_H
#define PRESEC_POLICY_MEMO_H
#include <stddef.h>

#define PMEMO_KEY_MAX 256

struct pmemo {
	int valid;
	unsigned users;
	unsigned long generation;
	size_t key_len;
	char key[PMEMO_KEY_MAX];
	void *value;
	void (*release)(void *value);
};

/* An empty memo whose values release() frees. */
void pmemo_init(struct pmemo *m, void (*release)(void *value));

/* 1 and *value (borrowed: pmemo_return() after use) when the memo holds key at generation; 0
 * otherwise (an unused value of an older generation is released at once). */
int pmemo_borrow(struct pmemo *m, const char *key, size_t key_len, unsigned long generation,
                 void **value);

/* Offers a value just loaded for key at generation. 1: the memo took it and lends it to the
 * caller (pmemo_return() after use); 0: not taken (the memo is lent out, or the key is too
 * long): the caller keeps and frees it. */
int pmemo_offer(struct pmemo *m, const char *key, size_t key_len, unsigned long generation,
                void *value);

void pmemo_return(struct pmemo *m);

/* Releases the value unless it is lent out; 1 when the memo is empty afterwards. */
int pmemo_clear(struct pmemo *m);

#endif
