/* A fixed table, scanned: one entry per registered UE of this P-CSCF. */
#include "regstore.h"

#include <string.h>

struct regstore {
	struct presec_store_ops ops;
	unsigned max, count;
	struct {
		int used;
		struct reg_entry e;
	} slot[];
};

struct regstore *regstore_new(const struct presec_store_ops *ops, unsigned max)
{
	size_t sz = sizeof(struct regstore) + (size_t)max * sizeof(((struct regstore *)0)->slot[0]);
	struct regstore *rs;
	if (max == 0 || !(rs = ops->alloc(sz)))
		return NULL;
	memset(rs, 0, sz);
	rs->ops = *ops;
	rs->max = max;
	return rs;
}

void regstore_destroy(struct regstore *rs)
{
	if (rs)
		rs->ops.release(rs);
}

int regstore_set(struct regstore *rs, const struct reg_entry *e, time_t now)
{
	int rc = 0, free_slot = -1, found = -1;
	rs->ops.lock(rs->ops.lock_arg);
	for (unsigned i = 0; i < rs->max; i++) {
		if (rs->slot[i].used && strcmp(rs->slot[i].e.ue_ip, e->ue_ip) == 0)
			found = (int)i;
		else if ((!rs->slot[i].used || rs->slot[i].e.expires <= now) && free_slot < 0)
			free_slot = (int)i;
	}
	int remove = e->n == 0 || e->expires <= now;
	if (found >= 0 && remove) {
		rs->slot[found].used = 0;
		rs->count--;
	} else if (found >= 0) {
		rs->slot[found].e = *e;
	} else if (!remove && free_slot >= 0) {
		if (!rs->slot[free_slot].used)
			rs->count++;
		rs->slot[free_slot].used = 1;
		rs->slot[free_slot].e = *e;
	} else if (!remove) {
		rc = -1;
	}
	rs->ops.unlock(rs->ops.lock_arg);
	return rc;
}

int regstore_get(struct regstore *rs, const char *ue_ip, time_t now, struct reg_entry *out)
{
	int rc = -1;
	rs->ops.lock(rs->ops.lock_arg);
	for (unsigned i = 0; i < rs->max; i++)
		if (rs->slot[i].used && rs->slot[i].e.expires > now &&
		    strcmp(rs->slot[i].e.ue_ip, ue_ip) == 0) {
			*out = rs->slot[i].e;
			rc = 0;
			break;
		}
	rs->ops.unlock(rs->ops.lock_arg);
	return rc;
}

unsigned regstore_purge(struct regstore *rs, time_t now)
{
	unsigned n = 0;
	rs->ops.lock(rs->ops.lock_arg);
	for (unsigned i = 0; i < rs->max; i++)
		if (rs->slot[i].used && rs->slot[i].e.expires <= now) {
			rs->slot[i].used = 0;
			rs->count--;
			n++;
		}
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
