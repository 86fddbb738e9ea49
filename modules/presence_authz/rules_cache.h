/* The compiled pres-rules of every presentity the PS has decided for, shared by all Kamailio
 * processes: key "user@domain", value an opaque byte string (a packed policy, see policy_pack).
 * Memory and lock come from presec/store_ops.h. Pure core: no Kamailio header.
 *
 * Staleness: a rule change flushes the entry (cfg, RPC, PostgreSQL NOTIFY). A process that
 * missed the entry, read the database and compiled meanwhile must not put its older result back
 * after the flush: it takes the generation before reading and rcache_put refuses the value when
 * any flush happened since. */
#ifndef PRESEC_RULES_CACHE_H
#define PRESEC_RULES_CACHE_H
#include <stddef.h>

#include "presec/store_ops.h"

struct rcache;

struct rcache_stats {
	unsigned long entries, bytes, hits, misses, flushes, refused_stale, refused_full;
};

/* buckets: hash size; max_entries: 0 for no limit. NULL when memory ran out. */
struct rcache *rcache_new(unsigned buckets, unsigned long max_entries,
                          const struct presec_store_ops *ops);
void rcache_destroy(struct rcache *c);

unsigned long rcache_generation(struct rcache *c);

/* On a hit, use(value, len, arg) runs under the lock (it must copy what it keeps) and its
 * return value is returned; 1 when the key is not cached. */
int rcache_get(struct rcache *c, const char *key, size_t key_len,
               int (*use)(const unsigned char *v, size_t len, void *arg), void *arg);

/* Stores (replaces) key's value unless a flush happened after `generation`. 0 stored, 1 not
 * stored (stale or full), -1 out of memory. */
int rcache_put(struct rcache *c, const char *key, size_t key_len, const unsigned char *v,
               size_t len, unsigned long generation);

/* Forgets key (key NULL: everything). The number of entries removed. */
unsigned long rcache_flush(struct rcache *c, const char *key, size_t key_len);

void rcache_stats(struct rcache *c, struct rcache_stats *s);

/* Calls each(key, key_len, value_len, arg) for every entry under the lock, up to `limit`
 * entries; the number visited. */
unsigned long rcache_list(struct rcache *c, unsigned long limit,
                          void (*each)(const char *key, size_t key_len, size_t len, void *arg),
                          void *arg);
#endif
