/* A fixed table of max records with chained hash indexes over it: by UE address (every
 * request from a UE, max_offers_per_ue, retirement), by Call-ID (the REGISTER transaction's
 * replies) and by our SPIs (uniqueness when allocating). A lookup walks one short chain instead
 * of every slot: a P-CSCF keeps one record per registration flow, and retired and temporary
 * ones pile up beside the active ones (TS 33.203 7.4), so a full scan per request grows with
 * everything the table holds (bench/bench_secagree_register.py: 0.23 of the stock P-CSCF's
 * rate with full scans, 0.91 with the chains). Links are slot numbers, not pointers, so the
 * table can live in memory shared by processes. */
#include "sa_store.h"

#include <string.h>

#include "sa_addr.h"

#define NIL (-1)

/* An address is kept, hashed and compared in its one text form (sa_addr.h): a lookup by
 * another spelling of it finds the record, as the Contact check accepted it. */
#define CANON_IP(name)                                                                             \
	char name##_canon[SA_IP_MAX];                                                              \
	sa_addr_canon(name, strlen(name), name##_canon, sizeof(name##_canon));                     \
	name = name##_canon

/* The indexes. By address there are two: the records still in use (offered, pending, active)
 * and the retiring ones, which only late messages look for; a UE that registers again and
 * again keeps its live chain short however many old SAs are waiting to go. A slot is on one
 * chain of each kind (the SPI chains only once it has SPIs). */
enum chain { BY_IP, BY_CID, BY_SPI_PC, BY_SPI_PS, BY_IP_RETIRING, N_CHAINS };

struct slot {
	int used;
	unsigned long seq; /* insertion order: "newest" among several matches */
	/* links of the chains, and of the free list; the keys are the record's own fields,
	 * which change only with the slot unindexed */
	int next[N_CHAINS], next_free;
	struct sa_rec r;
};

struct sa_store {
	struct presec_store_ops ops;
	unsigned max, count, buckets; /* buckets: a power of two */
	unsigned long seq;
	int free_head;
	/* per chain, `buckets` heads, inside this allocation after the slots */
	int *head[N_CHAINS];
	struct slot slots[];
};

/* FNV-1a: cheap and well spread for short keys (addresses, Call-IDs) */
static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static unsigned bucket_of_str(const struct sa_store *st, const char *s)
{
	return hash_str(s) & (st->buckets - 1);
}

static unsigned bucket_of_spi(const struct sa_store *st, uint32_t spi)
{
	return (spi * 2654435761u) & (st->buckets - 1);
}

struct sa_store *sa_store_new(const struct presec_store_ops *ops, unsigned max)
{
	struct sa_store *st;
	unsigned buckets = 16;
	if (max == 0 || max > (1u << 24))
		return NULL;
	while (buckets < 2 * max)
		buckets <<= 1;
	size_t sz = sizeof(*st) + (size_t)max * sizeof(struct slot) +
	            (size_t)N_CHAINS * buckets * sizeof(int);
	if (!(st = ops->alloc(sz)))
		return NULL;
	memset(st, 0, sz);
	st->ops = *ops;
	st->max = max;
	st->buckets = buckets;
	st->head[0] = (int *)(void *)(st->slots + max);
	for (int c = 1; c < N_CHAINS; c++)
		st->head[c] = st->head[c - 1] + buckets;
	for (unsigned b = 0; b < N_CHAINS * buckets; b++)
		st->head[0][b] = NIL;
	for (unsigned i = 0; i < max; i++)
		st->slots[i].next_free = i + 1 < max ? (int)i + 1 : NIL;
	st->free_head = 0;
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

/* ---- index upkeep; all under the lock ---- */
static void chain_push(struct sa_store *st, enum chain c, unsigned b, int id)
{
	st->slots[id].next[c] = st->head[c][b];
	st->head[c][b] = id;
}

static void chain_drop(struct sa_store *st, enum chain c, unsigned b, int id)
{
	for (int *at = &st->head[c][b]; *at != NIL; at = &st->slots[*at].next[c])
		if (*at == id) {
			*at = st->slots[id].next[c];
			st->slots[id].next[c] = NIL;
			return;
		}
}

/* k 0: spi_pc, 1: spi_ps (0: none yet, not indexed) */
static uint32_t slot_spi(const struct slot *s, int k)
{
	return k ? s->r.spi_ps : s->r.spi_pc;
}

static void index_spis(struct sa_store *st, int id)
{
	for (int k = 0; k < 2; k++)
		if (slot_spi(&st->slots[id], k))
			chain_push(st, BY_SPI_PC + k,
			           bucket_of_spi(st, slot_spi(&st->slots[id], k)), id);
}

static void unindex_spis(struct sa_store *st, int id)
{
	for (int k = 0; k < 2; k++)
		if (slot_spi(&st->slots[id], k))
			chain_drop(st, BY_SPI_PC + k,
			           bucket_of_spi(st, slot_spi(&st->slots[id], k)), id);
}

static enum chain ip_chain(const struct sa_rec *r)
{
	return r->state == SA_RETIRING ? BY_IP_RETIRING : BY_IP;
}

static void index_slot(struct sa_store *st, int id)
{
	struct slot *s = &st->slots[id];
	chain_push(st, ip_chain(&s->r), bucket_of_str(st, s->r.ue_ip), id);
	chain_push(st, BY_CID, bucket_of_str(st, s->r.call_id), id);
	index_spis(st, id);
}

static void unindex_slot(struct sa_store *st, int id)
{
	struct slot *s = &st->slots[id];
	chain_drop(st, ip_chain(&s->r), bucket_of_str(st, s->r.ue_ip), id);
	chain_drop(st, BY_CID, bucket_of_str(st, s->r.call_id), id);
	unindex_spis(st, id);
}

static void release_slot(struct sa_store *st, int id)
{
	unindex_slot(st, id);
	st->slots[id].used = 0;
	st->slots[id].next_free = st->free_head;
	st->free_head = id;
	st->count--;
}

int sa_store_add(struct sa_store *st, const struct sa_rec *r)
{
	int id;
	lock(st);
	if ((id = st->free_head) != NIL) {
		struct slot *s = &st->slots[id];
		st->free_head = s->next_free;
		s->used = 1;
		s->seq = ++st->seq;
		s->r = *r;
		/* C strings from here on, whatever the caller left in the arrays */
		s->r.ue_ip[sizeof(s->r.ue_ip) - 1] = '\0';
		sa_addr_canon(r->ue_ip, strlen(s->r.ue_ip), s->r.ue_ip, sizeof(s->r.ue_ip));
		s->r.call_id[sizeof(s->r.call_id) - 1] = '\0';
		index_slot(st, id);
		st->count++;
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
		unindex_slot(st, id);
		st->slots[id].r = *r;
		st->slots[id].r.ue_ip[sizeof(r->ue_ip) - 1] = '\0';
		sa_addr_canon(r->ue_ip, strlen(st->slots[id].r.ue_ip), st->slots[id].r.ue_ip,
		              sizeof(st->slots[id].r.ue_ip));
		st->slots[id].r.call_id[sizeof(r->call_id) - 1] = '\0';
		index_slot(st, id);
		rc = 0;
	}
	unlock(st);
	return rc;
}

/* newest used slot on the chain of `key` for which match() holds (BY_IP: the retiring chain
 * too when with_retiring); call under the lock */
static int newest(struct sa_store *st, enum chain c, const char *key, int with_retiring,
                  int (*match)(const struct sa_rec *, const void *), const void *arg)
{
	int best = -1;
	unsigned b = bucket_of_str(st, key);
	for (int pass = 0; pass < (c == BY_IP && with_retiring ? 2 : 1); pass++) {
		enum chain cc = pass ? BY_IP_RETIRING : c;
		for (int i = st->head[cc][b]; i != NIL; i = st->slots[i].next[cc])
			if (match(&st->slots[i].r, arg) &&
			    (best < 0 || st->slots[i].seq > st->slots[best].seq))
				best = i;
	}
	return best;
}

static int find(struct sa_store *st, enum chain c, const char *key, int with_retiring,
                int (*match)(const struct sa_rec *, const void *), const void *arg,
                struct sa_rec *out)
{
	int id;
	lock(st);
	id = newest(st, c, key, with_retiring, match, arg);
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
	const char *ue_ip;
};

static int match_call_id(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return (r->state & k->states) && strcmp(r->call_id, k->s) == 0;
}

int sa_store_by_call_id(struct sa_store *st, const char *call_id, unsigned states,
                        struct sa_rec *out)
{
	struct key k = {call_id, states, 0, 0, NULL, NULL};
	return find(st, BY_CID, call_id, 0, match_call_id, &k, out);
}

static int match_call_id_from(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return match_call_id(r, arg) && strcmp(r->ue_ip, k->ue_ip) == 0;
}

int sa_store_by_call_id_from(struct sa_store *st, const char *call_id, const char *ue_ip,
                             unsigned states, struct sa_rec *out)
{
	CANON_IP(ue_ip);
	struct key k = {call_id, states, 0, 0, NULL, ue_ip};
	return find(st, BY_CID, call_id, 0, match_call_id_from, &k, out);
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
	CANON_IP(ue_ip);
	struct key k = {ue_ip, 0, port_uc, now, call_id, NULL};
	/* the Call-ID chain is the short one when one address has many registrations */
	int id = call_id ? find(st, BY_CID, call_id, 0, match_ue_client_call, &k, out) : -1;
	return id >= 0 ? id : find(st, BY_IP, ue_ip, 1, match_ue_client, &k, out);
}

static int match_ue_flow(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return (r->state & k->states) && match_ue_client(r, arg);
}

int sa_store_by_ue_flow(struct sa_store *st, const char *ue_ip, uint16_t port_uc, time_t now,
                        struct sa_rec *out)
{
	CANON_IP(ue_ip);
	struct key k = {ue_ip, SA_ACTIVE, port_uc, now, NULL, NULL};
	/* an ACTIVE set first, whatever newer pending one someone asked for at this address and
	 * port (TS 33.203 7.4: the UE uses the old SAs until the new ones are confirmed) */
	int id = find(st, BY_IP, ue_ip, 0, match_ue_flow, &k, out);
	if (id >= 0)
		return id;
	k.states = SA_RETIRING;
	return find(st, BY_IP, ue_ip, 1, match_ue_flow, &k, out);
}

static int match_other_impi(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return match_ue_client(r, arg) && strcmp(r->impi, k->call_id) != 0;
}

int sa_store_flow_of_other(struct sa_store *st, const char *ue_ip, uint16_t port_uc,
                           const char *impi, time_t now, struct sa_rec *out)
{
	CANON_IP(ue_ip);
	struct key k = {ue_ip, 0, port_uc, now, impi, NULL};
	return find(st, BY_IP, ue_ip, 1, match_other_impi, &k, out);
}

static int match_installed(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return r->installed && r->state != SA_OFFERED && strcmp(r->ue_ip, k->s) == 0;
}

int sa_store_newest_installed(struct sa_store *st, const char *ue_ip, struct sa_rec *out)
{
	CANON_IP(ue_ip);
	struct key k = {ue_ip, 0, 0, 0, NULL, NULL};
	/* a set that stays first: the retiring chain of an address that re-registered often is
	 * long, and this runs on every 401 and every deletion */
	int id = find(st, BY_IP, ue_ip, 0, match_installed, &k, out);
	return id >= 0 ? id : find(st, BY_IP, ue_ip, 1, match_installed, &k, out);
}

static int match_ue_ip(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return r->state == SA_ACTIVE && r->expires > k->now && strcmp(r->ue_ip, k->s) == 0;
}

int sa_store_by_ue_ip(struct sa_store *st, const char *ue_ip, time_t now, struct sa_rec *out)
{
	CANON_IP(ue_ip);
	struct key k = {ue_ip, 0, 0, now, NULL, NULL};
	return find(st, BY_IP, ue_ip, 0, match_ue_ip, &k, out);
}

static int match_ue_server(const struct sa_rec *r, const void *arg)
{
	const struct key *k = arg;
	return match_ue_ip(r, arg) && r->port_us == k->port;
}

int sa_store_by_ue_server(struct sa_store *st, const char *ue_ip, uint16_t port_us, time_t now,
                          struct sa_rec *out)
{
	CANON_IP(ue_ip);
	struct key k = {ue_ip, 0, port_us, now, NULL, NULL};
	return find(st, BY_IP, ue_ip, 0, match_ue_server, &k, out);
}

unsigned sa_store_retire(struct sa_store *st, const char *ue_ip, int keep_id, unsigned states,
                         time_t until)
{
	CANON_IP(ue_ip);
	unsigned n = 0, b;
	lock(st);
	b = bucket_of_str(st, ue_ip);
	/* live records move to the retiring chain as they change state */
	for (int *at = &st->head[BY_IP][b]; *at != NIL;) {
		int i = *at;
		struct sa_rec *r = &st->slots[i].r;
		if (i == keep_id || !(r->state & states) || strcmp(r->ue_ip, ue_ip) != 0) {
			at = &st->slots[i].next[BY_IP];
			continue;
		}
		*at = st->slots[i].next[BY_IP];
		r->state = SA_RETIRING;
		chain_push(st, BY_IP_RETIRING, b, i);
		if (r->expires > until)
			r->expires = until;
		n++;
	}
	if (states & SA_RETIRING)
		for (int i = st->head[BY_IP_RETIRING][b]; i != NIL;
		     i = st->slots[i].next[BY_IP_RETIRING]) {
			struct sa_rec *r = &st->slots[i].r;
			if (i == keep_id || strcmp(r->ue_ip, ue_ip) != 0)
				continue;
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
	struct sa_store *st = a->st;
	for (int k = 0; k < 2; k++)
		for (int i = st->head[BY_SPI_PC + k][bucket_of_spi(st, spi)]; i != NIL;
		     i = st->slots[i].next[BY_SPI_PC + k])
			if (slot_spi(&st->slots[i], k) == spi)
				return 1;
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
		unindex_spis(st, id);
		r->spi_pc = r->spi_ps = 0;
		uint32_t pc = sec_spi_alloc(cursor, lo, hi, spi_in_use, &a);
		a.also = pc;
		uint32_t ps = pc ? sec_spi_alloc(cursor, lo, hi, spi_in_use, &a) : 0;
		if (pc && ps) {
			r->spi_pc = pc;
			r->spi_ps = ps;
			index_spis(st, id);
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
			release_slot(st, (int)i);
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

unsigned sa_store_count_ue(struct sa_store *st, const char *ue_ip, unsigned states)
{
	CANON_IP(ue_ip);
	unsigned n = 0;
	lock(st);
	for (int c = BY_IP; c != N_CHAINS;
	     c = c == BY_IP && (states & SA_RETIRING) ? BY_IP_RETIRING : N_CHAINS)
		for (int i = st->head[c][bucket_of_str(st, ue_ip)]; i != NIL;
		     i = st->slots[i].next[c])
			if ((st->slots[i].r.state & states) &&
			    strcmp(st->slots[i].r.ue_ip, ue_ip) == 0)
				n++;
	unlock(st);
	return n;
}
