/* One slot per registered SA set of this P-CSCF, found through a hash of the UE's address (the
 * port and IMPI of the key are compared along the chain): every request the P-CSCF relays looks
 * its SA up here, so the cost may not grow with the number of registered UEs (a full scan of
 * the 4096 default slots, ~2 KB each, was ~4096 cache misses per lookup). Slots, chains and the
 * free list are indexes into one block. */
#include "regstore.h"

#include <stdint.h>
#include <string.h>

#define NIL (-1)

struct reg_slot {
	int used;
	int next; /* in its bucket's chain while used, in the free list otherwise */
	struct reg_entry e;
};

struct regstore {
	struct presec_store_ops ops;
	unsigned max, count, nbuckets; /* nbuckets: a power of two */
	int free_head;
	int *bucket; /* nbuckets chain heads, after the slots in the same block */
	struct reg_slot slot[];
};

struct regstore *regstore_new(const struct presec_store_ops *ops, unsigned max)
{
	unsigned nb = 1;
	struct regstore *rs;
	if (max == 0 || max > (1u << 24))
		return NULL;
	while (nb < max)
		nb <<= 1;
	size_t slots = sizeof(struct regstore) + (size_t)max * sizeof(struct reg_slot);
	size_t sz = slots + (size_t)nb * sizeof(int);
	if (!(rs = ops->alloc(sz)))
		return NULL;
	memset(rs, 0, sz);
	rs->ops = *ops;
	rs->max = max;
	rs->nbuckets = nb;
	rs->bucket = (int *)((char *)rs + slots);
	for (unsigned b = 0; b < nb; b++)
		rs->bucket[b] = NIL;
	for (unsigned i = 0; i < max; i++)
		rs->slot[i].next = i + 1 < max ? (int)i + 1 : NIL;
	rs->free_head = 0;
	return rs;
}

void regstore_destroy(struct regstore *rs)
{
	if (rs)
		rs->ops.release(rs);
}

/* FNV-1a */
static unsigned bucket_of(const struct regstore *rs, const char *ue_ip)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)ue_ip; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h & (rs->nbuckets - 1);
}

static int is_key(const struct reg_entry *e, const char *ue_ip, unsigned short port,
                  const char *impi)
{
	return e->port == port && strcmp(e->ue_ip, ue_ip) == 0 && strcmp(e->impi, impi) == 0;
}

/* the slot of the key (live or expired), and where the link to it is kept */
static int find(struct regstore *rs, const char *ue_ip, unsigned short port, const char *impi,
                int **link)
{
	int *l = &rs->bucket[bucket_of(rs, ue_ip)];
	while (*l != NIL && !is_key(&rs->slot[*l].e, ue_ip, port, impi))
		l = &rs->slot[*l].next;
	*link = l;
	return *l;
}

static void unlink_slot(struct regstore *rs, int *link)
{
	int i = *link;
	*link = rs->slot[i].next;
	rs->slot[i].used = 0;
	rs->slot[i].next = rs->free_head;
	rs->free_head = i;
	rs->count--;
}

static unsigned purge_locked(struct regstore *rs, time_t now)
{
	unsigned n = 0;
	for (unsigned b = 0; b < rs->nbuckets; b++) {
		int *l = &rs->bucket[b];
		while (*l != NIL) {
			if (rs->slot[*l].e.expires <= now) {
				unlink_slot(rs, l);
				n++;
			} else {
				l = &rs->slot[*l].next;
			}
		}
	}
	return n;
}

/* C strings from here on, whatever the caller left in the arrays */
static void store_entry(struct reg_slot *sl, const struct reg_entry *e)
{
	sl->e = *e;
	sl->e.ue_ip[sizeof(sl->e.ue_ip) - 1] = '\0';
	sl->e.impi[sizeof(sl->e.impi) - 1] = '\0';
	for (unsigned k = 0; k < REG_IMPUS; k++)
		sl->e.impu[k][REG_IMPU_MAX - 1] = '\0';
}

int regstore_set(struct regstore *rs, const struct reg_entry *e, time_t now)
{
	int rc = 0, *link, i;
	int remove = e->n == 0 || e->expires <= now;
	rs->ops.lock(rs->ops.lock_arg);
	if ((i = find(rs, e->ue_ip, e->port, e->impi, &link)) != NIL) {
		if (remove)
			unlink_slot(rs, link);
		else
			store_entry(&rs->slot[i], e);
	} else if (!remove) {
		/* full: expired registrations give their slots back first */
		if (rs->free_head == NIL && purge_locked(rs, now) > 0)
			find(rs, e->ue_ip, e->port, e->impi,
			     &link); /* the chain may have changed */
		if ((i = rs->free_head) == NIL) {
			rc = -1;
		} else {
			rs->free_head = rs->slot[i].next;
			rs->slot[i].used = 1;
			store_entry(&rs->slot[i], e);
			rs->slot[i].next = NIL;
			*link = i;
			rs->count++;
		}
	}
	rs->ops.unlock(rs->ops.lock_arg);
	return rc;
}

int regstore_get(struct regstore *rs, const char *ue_ip, unsigned short port, const char *impi,
                 time_t now, struct reg_entry *out)
{
	int rc = -1, *link, i;
	rs->ops.lock(rs->ops.lock_arg);
	if ((i = find(rs, ue_ip, port, impi, &link)) != NIL && rs->slot[i].e.expires > now) {
		*out = rs->slot[i].e;
		rc = 0;
	}
	rs->ops.unlock(rs->ops.lock_arg);
	return rc;
}

int regstore_find(struct regstore *rs, const char *ue_ip, unsigned short port, time_t now,
                  struct reg_entry *out)
{
	int best = NIL;
	rs->ops.lock(rs->ops.lock_arg);
	for (int i = rs->bucket[bucket_of(rs, ue_ip)]; i != NIL; i = rs->slot[i].next) {
		const struct reg_entry *e = &rs->slot[i].e;
		if (e->expires > now && strcmp(e->ue_ip, ue_ip) == 0 &&
		    (!port || e->port == port) &&
		    (best == NIL || e->expires > rs->slot[best].e.expires))
			best = i;
	}
	if (best != NIL)
		*out = rs->slot[best].e;
	rs->ops.unlock(rs->ops.lock_arg);
	return best != NIL ? 0 : -1;
}

unsigned regstore_purge(struct regstore *rs, time_t now)
{
	rs->ops.lock(rs->ops.lock_arg);
	unsigned n = purge_locked(rs, now);
	rs->ops.unlock(rs->ops.lock_arg);
	return n;
}

unsigned regstore_count(struct regstore *rs)
{
	unsigned n;
	rs->ops.lock(rs->ops.lock_arg);
	n = rs->count;
	rs->ops.unlock(rs->ops.lock_arg);
	return n;
}
