#include "vstore.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

struct vstore {
	struct presec_store_ops ops;
	unsigned mask, count, max_entries;
	struct vstore_entry *buckets[];
};

/* FNV-1a: the nonce is random already, any spread will do. */
static unsigned bucket_of(const struct vstore *vs, const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h & vs->mask;
}

struct vstore *vstore_new(const struct presec_store_ops *ops, unsigned nbuckets,
                          unsigned max_entries)
{
	if (nbuckets == 0 || (nbuckets & (nbuckets - 1)) != 0)
		return NULL;
	struct vstore *vs = ops->alloc(sizeof(*vs) + nbuckets * sizeof(vs->buckets[0]));
	if (!vs)
		return NULL;
	memset(vs, 0, sizeof(*vs) + nbuckets * sizeof(vs->buckets[0]));
	vs->ops = *ops;
	vs->mask = nbuckets - 1;
	vs->max_entries = max_entries;
	return vs;
}

static void entry_free(struct vstore *vs, struct vstore_entry *e)
{
	/* the entry holds XRES, CK and IK */
	OPENSSL_cleanse(e, sizeof(*e));
	vs->ops.release(e);
}

void vstore_destroy(struct vstore *vs)
{
	if (!vs)
		return;
	vstore_flush(vs);
	vs->ops.release(vs);
}

int vstore_add(struct vstore *vs, const struct vstore_entry *e)
{
	size_t nlen = strnlen(e->nonce, VSTORE_NONCE_MAX);
	unsigned b = bucket_of(vs, e->nonce, nlen);
	int rc = 0;

	vs->ops.lock(vs->ops.lock_arg);
	for (struct vstore_entry *p = vs->buckets[b]; p; p = p->next)
		if (strcmp(p->nonce, e->nonce) == 0) {
			rc = -2;
			goto out;
		}
	if (vs->count >= vs->max_entries) {
		rc = -1;
		goto out;
	}
	struct vstore_entry *n = vs->ops.alloc(sizeof(*n));
	if (!n) {
		rc = -1;
		goto out;
	}
	*n = *e;
	n->state = VS_PENDING;
	n->next = vs->buckets[b];
	vs->buckets[b] = n;
	vs->count++;
out:
	vs->ops.unlock(vs->ops.lock_arg);
	return rc;
}

int vstore_take(struct vstore *vs, const char *nonce, size_t nonce_len, time_t now,
                struct vstore_entry *out)
{
	unsigned b = bucket_of(vs, nonce, nonce_len);
	int rc = -1;

	vs->ops.lock(vs->ops.lock_arg);
	for (struct vstore_entry *p = vs->buckets[b]; p; p = p->next) {
		if (strlen(p->nonce) != nonce_len || memcmp(p->nonce, nonce, nonce_len) != 0)
			continue;
		if (p->state != VS_PENDING) {
			rc = -2;
		} else if (p->expires <= now) {
			rc = -1;
		} else {
			p->state = VS_USED;
			*out = *p;
			out->next = NULL;
			rc = 0;
		}
		break;
	}
	vs->ops.unlock(vs->ops.lock_arg);
	return rc;
}

static unsigned remove_if(struct vstore *vs, int all, time_t now)
{
	unsigned removed = 0;
	vs->ops.lock(vs->ops.lock_arg);
	for (unsigned b = 0; b <= vs->mask; b++) {
		struct vstore_entry **pp = &vs->buckets[b];
		while (*pp) {
			struct vstore_entry *p = *pp;
			/* a used entry stays until it would have expired, so that a replay of its
			 * nonce is told apart from a stale one in the log */
			if (all || p->expires <= now) {
				*pp = p->next;
				entry_free(vs, p);
				vs->count--;
				removed++;
			} else {
				pp = &p->next;
			}
		}
	}
	vs->ops.unlock(vs->ops.lock_arg);
	return removed;
}

unsigned vstore_purge(struct vstore *vs, time_t now)
{
	return remove_if(vs, 0, now);
}

unsigned vstore_flush(struct vstore *vs)
{
	return remove_if(vs, 1, 0);
}

void vstore_foreach(struct vstore *vs, void (*fn)(const struct vstore_entry *e, void *arg),
                    void *arg)
{
	vs->ops.lock(vs->ops.lock_arg);
	for (unsigned b = 0; b <= vs->mask; b++)
		for (struct vstore_entry *p = vs->buckets[b]; p; p = p->next)
			fn(p, arg);
	vs->ops.unlock(vs->ops.lock_arg);
}

unsigned vstore_count(struct vstore *vs)
{
	vs->ops.lock(vs->ops.lock_arg);
	unsigned n = vs->count;
	vs->ops.unlock(vs->ops.lock_arg);
	return n;
}

int vstore_challenge(const struct aka_keys *keys, uint64_t sqn,
                     const uint8_t rand[MILENAGE_RAND_LEN], const char *impi, const char *impus,
                     enum aka_algorithm alg, time_t now, int expiry, struct vstore_entry *e)
{
	struct aka_vector av;
	int rc = -1;
	if (aka_vector_make(keys, sqn, rand, &av) == AKA_OK)
		rc = vstore_challenge_av(&av, impi, impus, alg, now, expiry, e);
	else
		memset(e, 0, sizeof(*e));
	OPENSSL_cleanse(&av, sizeof(av));
	return rc;
}

int vstore_challenge_av(const struct aka_vector *av, const char *impi, const char *impus,
                        enum aka_algorithm alg, time_t now, int expiry, struct vstore_entry *e)
{
	uint8_t raw[MILENAGE_RAND_LEN + AKA_AUTN_LEN];
	memset(e, 0, sizeof(*e));
	if (strlen(impi) >= sizeof(e->impi) || strlen(impus) >= sizeof(e->impus))
		return -1;
	e->av = *av;
	memcpy(raw, e->av.rand, MILENAGE_RAND_LEN);
	memcpy(raw + MILENAGE_RAND_LEN, e->av.autn, AKA_AUTN_LEN);
	b64_encode(raw, sizeof(raw), e->nonce);
	snprintf(e->impi, sizeof(e->impi), "%s", impi);
	snprintf(e->impus, sizeof(e->impus), "%s", impus);
	e->algorithm = alg;
	e->state = VS_PENDING;
	e->created = now;
	e->expires = now + expiry;
	return 0;
}
