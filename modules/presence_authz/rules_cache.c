/* A chained hash table in one shared allocation per entry; see rules_cache.h. */
#include "rules_cache.h"

#include <string.h>
#include <strings.h>

struct rentry {
	struct rentry *next;
	unsigned hash;
	size_t key_len, len;
	unsigned char data[]; /* key, then value */
};

struct rcache {
	struct presec_store_ops ops;
	unsigned buckets;
	unsigned long max_entries, generation;
	struct rcache_stats st;
	struct rentry *table[];
};

/* SIP user and host compare case-insensitively for our purpose (RFC 3261 19.1.4 makes the user
 * part case-sensitive, but XCAP XUIs as Kamailio stores them are lower-case anyway): the key is
 * hashed and compared case-insensitively so that one presentity is one entry. */
static unsigned key_hash(const char *k, size_t n)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)k[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + 32);
		h = (h ^ ch) * 16777619u;
	}
	return h;
}

struct rcache *rcache_new(unsigned buckets, unsigned long max_entries,
                          const struct presec_store_ops *ops)
{
	struct rcache *c;
	if (buckets == 0)
		buckets = 1;
	if (!(c = ops->alloc(sizeof(*c) + buckets * sizeof(c->table[0]))))
		return NULL;
	memset(c, 0, sizeof(*c) + buckets * sizeof(c->table[0]));
	c->ops = *ops;
	c->buckets = buckets;
	c->max_entries = max_entries;
	return c;
}

static void drop_all(struct rcache *c)
{
	for (unsigned b = 0; b < c->buckets; b++)
		while (c->table[b]) {
			struct rentry *e = c->table[b];
			c->table[b] = e->next;
			c->ops.release(e);
		}
	c->st.entries = c->st.bytes = 0;
}

void rcache_destroy(struct rcache *c)
{
	if (!c)
		return;
	drop_all(c);
	c->ops.release(c);
}

unsigned long rcache_generation(struct rcache *c)
{
	unsigned long g;
	c->ops.lock(c->ops.lock_arg);
	g = c->generation;
	c->ops.unlock(c->ops.lock_arg);
	return g;
}

static struct rentry **find(struct rcache *c, const char *key, size_t key_len, unsigned h)
{
	struct rentry **pe = &c->table[h % c->buckets];
	for (; *pe; pe = &(*pe)->next)
		if ((*pe)->hash == h && (*pe)->key_len == key_len &&
		    strncasecmp((const char *)(*pe)->data, key, key_len) == 0)
			return pe;
	return pe;
}

int rcache_get(struct rcache *c, const char *key, size_t key_len,
               int (*use)(const unsigned char *v, size_t len, void *arg), void *arg)
{
	unsigned h = key_hash(key, key_len);
	int rc = 1;
	c->ops.lock(c->ops.lock_arg);
	struct rentry *e = *find(c, key, key_len, h);
	if (e) {
		c->st.hits++;
		rc = use(e->data + e->key_len, e->len, arg);
	} else {
		c->st.misses++;
	}
	c->ops.unlock(c->ops.lock_arg);
	return rc;
}

static void unlink_entry(struct rcache *c, struct rentry **pe)
{
	struct rentry *e = *pe;
	*pe = e->next;
	c->st.entries--;
	c->st.bytes -= e->key_len + e->len;
	c->ops.release(e);
}

int rcache_put(struct rcache *c, const char *key, size_t key_len, const unsigned char *v,
               size_t len, unsigned long generation)
{
	unsigned h = key_hash(key, key_len);
	/* allocate outside the lock: shm_malloc takes its own */
	struct rentry *n = c->ops.alloc(sizeof(*n) + key_len + len);
	if (!n)
		return -1;
	n->hash = h;
	n->key_len = key_len;
	n->len = len;
	memcpy(n->data, key, key_len);
	memcpy(n->data + key_len, v, len);

	c->ops.lock(c->ops.lock_arg);
	struct rentry **pe = find(c, key, key_len, h);
	if (generation != c->generation) {
		c->st.refused_stale++;
		goto refused;
	}
	if (*pe) {
		unlink_entry(c, pe);
		pe = find(c, key, key_len, h);
	} else if (c->max_entries && c->st.entries >= c->max_entries) {
		c->st.refused_full++;
		goto refused;
	}
	n->next = NULL;
	*pe = n;
	c->st.entries++;
	c->st.bytes += key_len + len;
	c->ops.unlock(c->ops.lock_arg);
	return 0;
refused:
	c->ops.unlock(c->ops.lock_arg);
	c->ops.release(n);
	return 1;
}

unsigned long rcache_flush(struct rcache *c, const char *key, size_t key_len)
{
	unsigned long n = 0;
	c->ops.lock(c->ops.lock_arg);
	c->generation++;
	c->st.flushes++;
	if (!key) {
		n = c->st.entries;
		drop_all(c);
	} else {
		struct rentry **pe = find(c, key, key_len, key_hash(key, key_len));
		if (*pe) {
			unlink_entry(c, pe);
			n = 1;
		}
	}
	c->ops.unlock(c->ops.lock_arg);
	return n;
}

void rcache_stats(struct rcache *c, struct rcache_stats *s)
{
	c->ops.lock(c->ops.lock_arg);
	*s = c->st;
	c->ops.unlock(c->ops.lock_arg);
}

unsigned long rcache_list(struct rcache *c, unsigned long limit,
                          void (*each)(const char *key, size_t key_len, size_t len, void *arg),
                          void *arg)
{
	unsigned long n = 0;
	c->ops.lock(c->ops.lock_arg);
	for (unsigned b = 0; b < c->buckets && n < limit; b++)
		for (struct rentry *e = c->table[b]; e && n < limit; e = e->next, n++)
			each((const char *)e->data, e->key_len, e->len, arg);
	c->ops.unlock(c->ops.lock_arg);
	return n;
}
