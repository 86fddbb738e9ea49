/* A fixed table: the number of UEs one P-CSCF protects is bounded by a modparam, and a scan of
 * a few thousand records per lookup costs less than the ESP processing of the same message. */
#include "sa_store.h"

#include <string.h>

struct slot {
	int used;
	unsigned long seq; /* insertion order: "newest" among several matches */
	struct sa_rec r;
};

struct sa_store {
	struct presec_store_ops ops;
	unsigned max, count;
	unsigned long seq;
	struct slot slots[];
};

struct sa_store *sa_store_new(const struct presec_store_ops *ops, unsigned max)
{
	struct sa_store *st;
	size_t sz = sizeof(*st) + (size_t)max * sizeof(struct slot);
	if (max == 0 || !(st = ops->alloc(sz)))
		return NULL;
	memset(st, 0, sz);
	st->ops = *ops;
	st->max = max;
	return st;
}

void sa_store_destroy(struct sa_store *st)
{
	if (st)
		st->ops.release(st);
}

static void lock(struct sa_store *st)
{
	st->ops.lock(st->ops.lock_arg);
}

static void unlock(struct sa_store *st)
{
	st->ops.unlock(st->ops.lock_arg);
}

int sa_store_add(struct sa_store *st, const struct sa_rec *r)
{
	int id = -1;
	lock(st);
	for (unsigned i = 0; i < st->max; i++)
		if (!st->slots[i].used) {
			st->slots[i].used = 1;
			st->slots[i].seq = ++st->seq;
			st->slots[i].r = *r;
			st->count++;
			id = (int)i;
			break;
		}
	unlock(st);
	return id;
}

int sa_store_get(struct sa_store *st, int id, unsigned states, struct sa_rec *out)
{
	int rc = -1;
	if (id < 0 || (unsigned)id >= st->max)
		return -1;
	lock(st);
	if (st->slots[id].used && (st->slots[id].r.state & states)) {
		*out = st->slots[id].r;
		rc = 0;
	}
	unlock(st);
	return rc;
}

int sa_store_put(struct sa_store *st, int id, const struct sa_rec *r)
{
	int rc = -1;
	if (id < 0 || (unsigned)id >= st->max)
		return -1;
	lock(st);
	if (st->slots[id].used) {
		st->slots[id].r = *r;
		rc = 0;
	}
	unlock(st);
	return rc;
}

/* newest used slot for which match() holds; call under the lock */
static int newest(struct sa_store *st, int (*match)(const struct sa_rec *, const void *),
                  const void *arg)
{
	int best = -1;
	for (unsigned i = 0; i < st->max; i++)
		if (st->slots[i].used && match(&st->slots[i].r, arg) &&
		    (best < 0 || st->slots[i].seq > st->slots[best].seq))
			best = (int)i;
	return best;
}

static int find(struct sa_store *st, int (*match)(const struct sa_rec *, const void *),
                const void *arg, struct sa_rec *out)
{
	int id;
	lock(st);
	id = newest(st, match, arg);
	if (id >= 0 && out)
		*out = st->slots[id].r;
	unlock(st);
	return id;
}

struct key {
	const char *s;
	unsigned states;
	uint16_t port;
	time_t now;
	const char *call_id;
};

static int match_call_id(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return (r->state & k->states) && strcmp(r->call_id, k->s) == 0;
}

int sa_store_by_call_id(struct sa_store *st, const char *call_id, unsigned states,
                        struct sa_rec *out)
{
	struct key k = {call_id, states, 0, 0, NULL};
	return find(st, match_call_id, &k, out);
}

static int match_ue_client(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return (r->state & (SA_PENDING | SA_ACTIVE | SA_RETIRING)) && r->expires > k->now &&
	       r->port_uc == k->port && strcmp(r->ue_ip, k->s) == 0;
}

static int match_ue_client_call(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return match_ue_client(r, arg) && strcmp(r->call_id, k->call_id) == 0;
}

int sa_store_by_ue_client(struct sa_store *st, const char *ue_ip, uint16_t port_uc,
                          const char *call_id, time_t now, struct sa_rec *out)
{
	struct key k = {ue_ip, 0, port_uc, now, call_id};
	int id = call_id ? find(st, match_ue_client_call, &k, out) : -1;
	return id >= 0 ? id : find(st, match_ue_client, &k, out);
}

static int match_ue_ip(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return r->state == SA_ACTIVE && r->expires > k->now && strcmp(r->ue_ip, k->s) == 0;
}

int sa_store_by_ue_ip(struct sa_store *st, const char *ue_ip, time_t now, struct sa_rec *out)
{
	struct key k = {ue_ip, 0, 0, now, NULL};
	return find(st, match_ue_ip, &k, out);
}

unsigned sa_store_retire(struct sa_store *st, const char *ue_ip, int keep_id, unsigned states,
                         time_t until)
{
	unsigned n = 0;
	lock(st);
	for (unsigned i = 0; i < st->max; i++) {
		struct sa_rec *r = &st->slots[i].r;
		if (!st->slots[i].used || (int)i == keep_id || !(r->state & states) ||
		    strcmp(r->ue_ip, ue_ip) != 0)
			continue;
		r->state = SA_RETIRING;
		if (r->expires > until)
			r->expires = until;
		n++;
	}
	unlock(st);
	return n;
}

struct spi_arg {
	struct sa_store *st;
	const struct sa_rec *self;
	uint32_t also;
};

/* under the lock */
static int spi_in_use(uint32_t spi, void *arg)
{
	struct spi_arg *a = arg;
	if (spi == a->self->spi_uc || spi == a->self->spi_us || spi == a->also)
		return 1;
	for (unsigned i = 0; i < a->st->max; i++) {
		const struct slot *s = &a->st->slots[i];
		if (s->used && (s->r.spi_pc == spi || s->r.spi_ps == spi))
			return 1;
	}
	return 0;
}

int sa_store_assign_spis(struct sa_store *st, int id, uint32_t *cursor, uint32_t lo, uint32_t hi)
{
	int rc = -1;
	if (id < 0 || (unsigned)id >= st->max)
		return -1;
	lock(st);
	if (st->slots[id].used) {
		struct sa_rec *r = &st->slots[id].r;
		struct spi_arg a = {st, r, 0};
		r->spi_pc = r->spi_ps = 0;
		uint32_t pc = sec_spi_alloc(cursor, lo, hi, spi_in_use, &a);
		a.also = pc;
		uint32_t ps = pc ? sec_spi_alloc(cursor, lo, hi, spi_in_use, &a) : 0;
		if (pc && ps) {
			r->spi_pc = pc;
			r->spi_ps = ps;
			rc = 0;
		}
	}
	unlock(st);
	return rc;
}

unsigned sa_store_remove_if(struct sa_store *st, int (*match)(const struct sa_rec *, void *),
                            void *match_arg, void (*removed)(const struct sa_rec *, void *),
                            void *removed_arg)
{
	unsigned n = 0;
	for (unsigned i = 0; i < st->max; i++) {
		struct sa_rec copy;
		int hit = 0;
		lock(st);
		if (st->slots[i].used && match(&st->slots[i].r, match_arg)) {
			copy = st->slots[i].r;
			st->slots[i].used = 0;
			st->count--;
			hit = 1;
		}
		unlock(st);
		if (hit) {
			n++;
			if (removed)
				removed(&copy, removed_arg);
		}
	}
	return n;
}

void sa_store_foreach(struct sa_store *st, void (*fn)(int id, const struct sa_rec *, void *),
                      void *arg)
{
	lock(st);
	for (unsigned i = 0; i < st->max; i++)
		if (st->slots[i].used)
			fn((int)i, &st->slots[i].r, arg);
	unlock(st);
}

unsigned sa_store_count(struct sa_store *st)
{
	unsigned n;
	lock(st);
	n = st->count;
	unlock(st);
	return n;
}
