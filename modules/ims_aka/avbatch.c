#include "avbatch.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

struct avbatch_entry {
	char impi[VSTORE_IMPI_MAX];
	struct avbatch_sub sub;
	uint64_t floor_seq; /* SEQ of the last vector handed out, or SEQ_MS after a resync */
	time_t touched;
	unsigned n;                 /* waiting vectors, ascending SQN, in v[0..n) */
	struct avbatch_entry *next; /* bucket chain */
	struct avbatch_vec v[];
};

struct avbatch {
	struct presec_store_ops ops;
	unsigned mask, count, max_entries, batch, ind_bits;
	int lifetime;
	struct avbatch_entry *buckets[];
};

static unsigned bucket_of(const struct avbatch *ab, const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & ab->mask;
}

static size_t entry_size(const struct avbatch *ab)
{
	return sizeof(struct avbatch_entry) + ab->batch * sizeof(struct avbatch_vec);
}

struct avbatch *avbatch_new(const struct presec_store_ops *ops, unsigned nbuckets,
                            unsigned max_entries, unsigned batch, int lifetime, unsigned ind_bits)
{
	if (nbuckets == 0 || (nbuckets & (nbuckets - 1)) != 0 || batch == 0 ||
	    batch > AVBATCH_MAX || lifetime <= 0 || ind_bits > 10)
		return NULL;
	size_t sz = sizeof(struct avbatch) + nbuckets * sizeof(struct avbatch_entry *);
	struct avbatch *ab = ops->alloc(sz);
	if (!ab)
		return NULL;
	memset(ab, 0, sz);
	ab->ops = *ops;
	ab->mask = nbuckets - 1;
	ab->max_entries = max_entries;
	ab->batch = batch;
	ab->lifetime = lifetime;
	ab->ind_bits = ind_bits;
	return ab;
}

static void entry_free(struct avbatch *ab, struct avbatch_entry *e)
{
	/* the vectors hold XRES, CK and IK */
	OPENSSL_cleanse(e, entry_size(ab));
	ab->ops.release(e);
}

void avbatch_destroy(struct avbatch *ab)
{
	if (!ab)
		return;
	for (unsigned b = 0; b <= ab->mask; b++)
		while (ab->buckets[b]) {
			struct avbatch_entry *e = ab->buckets[b];
			ab->buckets[b] = e->next;
			entry_free(ab, e);
		}
	ab->ops.release(ab);
}

int avbatch_block(uint64_t sqn_he_after, unsigned n, unsigned ind_bits, unsigned ind,
                  uint64_t out[])
{
	if (n == 0 || n > AVBATCH_MAX || ind_bits > 10)
		return -1;
	uint64_t seq_mask = AKA_SQN_MAX >> ind_bits, ind_mask = (UINT64_C(1) << ind_bits) - 1;
	uint64_t hi = (sqn_he_after >> ind_bits) & seq_mask;
	/* the reservation took SEQ hi-n+1 .. hi; SEQ wraps within its 48 - ind_bits bits as the
	 * statement's modulo does (C.3.2 leaves wrap-around to the operator) */
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = (hi - (n - 1) + i) & seq_mask;
		out[i] = (seq << ind_bits) | (ind & ind_mask);
	}
	return 0;
}

static struct avbatch_entry *find(struct avbatch *ab, const char *impi, unsigned b)
{
	for (struct avbatch_entry *e = ab->buckets[b]; e; e = e->next)
		if (strcmp(e->impi, impi) == 0)
			return e;
	return NULL;
}

/* Drops v[0..k) and moves the rest down. */
static void drop_head(struct avbatch_entry *e, unsigned k)
{
	OPENSSL_cleanse(e->v, k * sizeof(e->v[0]));
	memmove(e->v, e->v + k, (e->n - k) * sizeof(e->v[0]));
	OPENSSL_cleanse(e->v + (e->n - k), k * sizeof(e->v[0]));
	e->n -= k;
}

int avbatch_put(struct avbatch *ab, const char *impi, const struct avbatch_sub *sub,
                const struct avbatch_vec *v, unsigned n, time_t now)
{
	if (strlen(impi) >= VSTORE_IMPI_MAX || n > ab->batch)
		return -1;
	unsigned b = bucket_of(ab, impi);
	int kept = 0;

	ab->ops.lock(ab->ops.lock_arg);
	struct avbatch_entry *e = find(ab, impi, b);
	if (!e) {
		if (ab->count >= ab->max_entries || !(e = ab->ops.alloc(entry_size(ab)))) {
			kept = -1;
			goto out;
		}
		memset(e, 0, entry_size(ab));
		snprintf(e->impi, sizeof(e->impi), "%s", impi);
		e->next = ab->buckets[b];
		ab->buckets[b] = e;
		ab->count++;
	}
	e->sub = *sub;
	e->touched = now;
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = v[i].sqn >> ab->ind_bits;
		if (seq <= e->floor_seq)
			continue;
		/* insertion in SQN order; when full, the highest SQN is the one given up (a gap in
		 * the SQNs the UE sees is harmless, TS 33.102 C.2.1) */
		unsigned at = e->n;
		while (at > 0 && e->v[at - 1].sqn > v[i].sqn)
			at--;
		if (at < e->n && e->v[at].sqn == v[i].sqn)
			continue; /* never twice */
		if (e->n == ab->batch) {
			if (at == e->n)
				continue;
			OPENSSL_cleanse(&e->v[e->n - 1], sizeof(e->v[0]));
			e->n--;
		}
		memmove(e->v + at + 1, e->v + at, (e->n - at) * sizeof(e->v[0]));
		e->v[at] = v[i];
		e->v[at].expires = now + ab->lifetime;
		e->n++;
		kept++;
	}
out:
	ab->ops.unlock(ab->ops.lock_arg);
	return kept;
}

/* Drops the leading vectors that expired or do not rise above the floor. */
static void drop_stale(struct avbatch *ab, struct avbatch_entry *e, time_t now)
{
	unsigned k = 0;
	while (k < e->n &&
	       (e->v[k].expires <= now || (e->v[k].sqn >> ab->ind_bits) <= e->floor_seq))
		k++;
	if (k)
		drop_head(e, k);
}

int avbatch_take(struct avbatch *ab, const char *impi, time_t now, struct avbatch_vec *v,
                 struct avbatch_sub *sub)
{
	unsigned b = bucket_of(ab, impi);
	int rc = 0;

	ab->ops.lock(ab->ops.lock_arg);
	struct avbatch_entry *e = find(ab, impi, b);
	if (e) {
		drop_stale(ab, e, now);
		if (e->n > 0) {
			*v = e->v[0];
			*sub = e->sub;
			e->floor_seq = e->v[0].sqn >> ab->ind_bits;
			e->touched = now;
			drop_head(e, 1);
			rc = 1;
		}
	}
	ab->ops.unlock(ab->ops.lock_arg);
	return rc;
}

void avbatch_resync(struct avbatch *ab, const char *impi, uint64_t sqn_ms)
{
	unsigned b = bucket_of(ab, impi);

	ab->ops.lock(ab->ops.lock_arg);
	struct avbatch_entry *e = find(ab, impi, b);
	if (e) {
		drop_head(e, e->n);
		/* the HE's SQN is SQN_MS now, which may be below what was handed out before */
		e->floor_seq = sqn_ms >> ab->ind_bits;
	}
	ab->ops.unlock(ab->ops.lock_arg);
}

unsigned avbatch_forget(struct avbatch *ab, const char *impi)
{
	unsigned n = 0;

	ab->ops.lock(ab->ops.lock_arg);
	for (unsigned b = 0; b <= ab->mask; b++)
		for (struct avbatch_entry *e = ab->buckets[b]; e; e = e->next)
			if (!impi || strcmp(e->impi, impi) == 0) {
				n += e->n;
				drop_head(e, e->n);
			}
	ab->ops.unlock(ab->ops.lock_arg);
	return n;
}

unsigned avbatch_purge(struct avbatch *ab, time_t now)
{
	unsigned n = 0;

	ab->ops.lock(ab->ops.lock_arg);
	for (unsigned b = 0; b <= ab->mask; b++) {
		struct avbatch_entry **pp = &ab->buckets[b];
		while (*pp) {
			struct avbatch_entry *e = *pp;
			unsigned k = 0;
			for (unsigned i = 0; i < e->n; i++)
				if (e->v[i].expires > now)
					e->v[k++] = e->v[i];
			OPENSSL_cleanse(e->v + k, (e->n - k) * sizeof(e->v[0]));
			e->n = k;
			/* the floor outlives the vectors by one lifetime: long enough for any block
			 * reserved before it to have been filed */
			if (e->n == 0 && e->touched + ab->lifetime < now) {
				*pp = e->next;
				entry_free(ab, e);
				ab->count--;
				n++;
				continue;
			}
			pp = &e->next;
		}
	}
	ab->ops.unlock(ab->ops.lock_arg);
	return n;
}

void avbatch_count(struct avbatch *ab, unsigned *impis, unsigned *vectors)
{
	unsigned v = 0;

	ab->ops.lock(ab->ops.lock_arg);
	for (unsigned b = 0; b <= ab->mask; b++)
		for (struct avbatch_entry *e = ab->buckets[b]; e; e = e->next)
			v += e->n;
	*impis = ab->count;
	*vectors = v;
	ab->ops.unlock(ab->ops.lock_arg);
}
