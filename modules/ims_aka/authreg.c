#include "authreg.h"

#include <stdio.h>
#include <string.h>

#include "uri_id.h"

/* One IMPU of a registration, chained in the IMPU index under its key (impu_key). */
struct impu_node {
	struct authreg_entry *owner;
	const char *impu; /* as the set wrote it, inside the owner's block (not NUL-terminated) */
	size_t impu_len;
	char key[AUTHREG_KEY_MAX];
	size_t len;
	struct impu_node *next;
};

struct authreg_entry {
	const char *impi;  /* inside the block */
	const char *impus; /* the set as given, inside the block */
	char peer[AUTHREG_PEER_MAX];
	time_t expires;
	unsigned n_impus;
	struct authreg_entry *next;
	struct impu_node node[]; /* then impi, impus, and the IMPUs split at the commas */
};

struct authreg {
	struct presec_store_ops ops;
	unsigned mask, count, max_entries;
	struct authreg_entry **by_impi;
	struct impu_node **by_impu;
};

/* FNV-1a */
static unsigned hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The bucket of an IMPU: its address-of-record as the project's one identity comparison
 * writes it (uri_id: "sip:%61lice@IMS.example" is "sip:alice@ims.example"), which two equal
 * identities share; or the text as written when it is no URI. Its length. */
static size_t impu_key(const char *s, size_t n, char *out, size_t outsz)
{
	struct uri_id id;
	const char *why = NULL;
	int k;
	if (uri_id_parse(s, n, &id, &why) == 0 && (k = uri_id_aor(&id, out, outsz)) >= 0)
		return (size_t)k;
	size_t m = n < outsz - 1 ? n : outsz - 1;
	memcpy(out, s, m);
	out[m] = '\0';
	return m;
}

struct authreg *authreg_new(const struct presec_store_ops *ops, unsigned nbuckets,
                            unsigned max_entries)
{
	if (nbuckets == 0 || (nbuckets & (nbuckets - 1)) != 0)
		return NULL;
	size_t sz = sizeof(struct authreg) +
	            nbuckets * (sizeof(struct authreg_entry *) + sizeof(struct impu_node *));
	struct authreg *ar = ops->alloc(sz);
	if (!ar)
		return NULL;
	memset(ar, 0, sz);
	ar->ops = *ops;
	ar->mask = nbuckets - 1;
	ar->max_entries = max_entries;
	ar->by_impi = (struct authreg_entry **)(ar + 1);
	ar->by_impu = (struct impu_node **)(ar->by_impi + nbuckets);
	return ar;
}

static struct authreg_entry **find_slot(struct authreg *ar, const char *impi)
{
	struct authreg_entry **pp = &ar->by_impi[hash(impi, strlen(impi)) & ar->mask];
	while (*pp && strcmp((*pp)->impi, impi) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void unlink_entry(struct authreg *ar, struct authreg_entry **slot)
{
	struct authreg_entry *e = *slot;
	*slot = e->next;
	for (unsigned i = 0; i < e->n_impus; i++) {
		struct impu_node *n = &e->node[i];
		struct impu_node **pp = &ar->by_impu[hash(n->key, n->len) & ar->mask];
		while (*pp && *pp != n)
			pp = &(*pp)->next;
		if (*pp)
			*pp = n->next;
	}
	ar->count--;
	ar->ops.release(e);
}

void authreg_destroy(struct authreg *ar)
{
	if (!ar)
		return;
	for (unsigned b = 0; b <= ar->mask; b++)
		while (ar->by_impi[b])
			unlink_entry(ar, &ar->by_impi[b]);
	ar->ops.release(ar);
}

static unsigned count_impus(const char *s)
{
	unsigned n = 0;
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, ",");
		if (len)
			n++;
		p += len;
		if (*p)
			p++;
	}
	return n;
}

/* RFC 3261 19.1.4, as uri_id compares (ports and the user, ttl, method and maddr parameters
 * count); text that is no URI only as written */
static int same_impu(const struct impu_node *n, const char *impu, size_t len)
{
	struct uri_id a, b;
	const char *why = NULL;
	int pa = uri_id_parse(n->impu, n->impu_len, &a, &why) == 0;
	int pb = uri_id_parse(impu, len, &b, &why) == 0;
	if (pa && pb)
		return uri_id_equal(&a, &b);
	return !pa && !pb && n->impu_len == len && memcmp(n->impu, impu, len) == 0;
}

static struct authreg_entry *make_entry(struct authreg *ar, const char *impi, const char *peer,
                                        const char *impus, time_t expires)
{
	size_t li = strlen(impi) + 1, ls = strlen(impus) + 1;
	unsigned n = count_impus(impus);
	struct authreg_entry *e = ar->ops.alloc(sizeof(*e) + n * sizeof(e->node[0]) + li + ls);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	char *p = (char *)&e->node[n];
	memcpy(p, impi, li);
	e->impi = p;
	p += li;
	memcpy(p, impus, ls);
	e->impus = p;
	snprintf(e->peer, sizeof(e->peer), "%s", peer);
	e->expires = expires;
	/* one node per IMPU of the comma-separated set */
	for (const char *tok = impus; *tok;) {
		size_t len = strcspn(tok, ",");
		if (len) {
			struct impu_node *nd = &e->node[e->n_impus++];
			nd->owner = e;
			nd->impu = e->impus + (tok - impus);
			nd->impu_len = len;
			nd->len = impu_key(tok, len, nd->key, sizeof(nd->key));
		}
		tok += len;
		if (*tok)
			tok++;
	}
	return e;
}

int authreg_set(struct authreg *ar, const char *impi, const char *peer, const char *impus,
                time_t expires)
{
	int rc = 0;
	int fits = strlen(impi) < AUTHREG_IMPI_MAX && *impi && strlen(peer) < AUTHREG_PEER_MAX &&
	           strlen(impus) < AUTHREG_IMPUS_MAX;
	ar->ops.lock(ar->ops.lock_arg);
	struct authreg_entry **slot = find_slot(ar, impi);
	if (*slot)
		unlink_entry(ar, slot);
	struct authreg_entry *e = NULL;
	if (!fits || ar->count >= ar->max_entries ||
	    !(e = make_entry(ar, impi, peer, impus, expires))) {
		rc = -1;
		goto out;
	}
	unsigned b = hash(impi, strlen(impi)) & ar->mask;
	e->next = ar->by_impi[b];
	ar->by_impi[b] = e;
	for (unsigned i = 0; i < e->n_impus; i++) {
		struct impu_node *nd = &e->node[i];
		unsigned h = hash(nd->key, nd->len) & ar->mask;
		nd->next = ar->by_impu[h];
		ar->by_impu[h] = nd;
	}
	ar->count++;
out:
	ar->ops.unlock(ar->ops.lock_arg);
	return rc;
}

static enum authreg_verdict verdict(const struct authreg_entry *e, const char *peer, time_t now)
{
	if (!e || e->expires <= now)
		return AUTHREG_UNKNOWN;
	return strcmp(e->peer, peer) == 0 ? AUTHREG_OK : AUTHREG_OTHER_PEER;
}

enum authreg_verdict authreg_check(struct authreg *ar, const char *impi, const char *peer,
                                   time_t now)
{
	ar->ops.lock(ar->ops.lock_arg);
	enum authreg_verdict v = verdict(*find_slot(ar, impi), peer, now);
	ar->ops.unlock(ar->ops.lock_arg);
	return v;
}

enum authreg_verdict authreg_refresh(struct authreg *ar, const char *impi, const char *peer,
                                     time_t now, time_t expires)
{
	ar->ops.lock(ar->ops.lock_arg);
	struct authreg_entry *e = *find_slot(ar, impi);
	enum authreg_verdict v = verdict(e, peer, now);
	if (v == AUTHREG_OK)
		e->expires = expires;
	ar->ops.unlock(ar->ops.lock_arg);
	return v;
}

int authreg_remove(struct authreg *ar, const char *impi)
{
	ar->ops.lock(ar->ops.lock_arg);
	struct authreg_entry **slot = find_slot(ar, impi);
	int rc = *slot ? 0 : -1;
	if (*slot)
		unlink_entry(ar, slot);
	ar->ops.unlock(ar->ops.lock_arg);
	return rc;
}

enum authreg_verdict authreg_find_impu(struct authreg *ar, const char *impu, size_t len,
                                       const char *peer, time_t now, char *impi_out,
                                       size_t impi_outsz)
{
	enum authreg_verdict best = AUTHREG_UNKNOWN;
	char key[AUTHREG_KEY_MAX];
	size_t kl = impu_key(impu, len, key, sizeof(key));
	ar->ops.lock(ar->ops.lock_arg);
	for (struct impu_node *n = ar->by_impu[hash(key, kl) & ar->mask]; n; n = n->next) {
		if (n->len != kl || memcmp(n->key, key, kl) != 0 || !same_impu(n, impu, len))
			continue;
		enum authreg_verdict v = verdict(n->owner, peer, now);
		if (v == AUTHREG_OK) {
			snprintf(impi_out, impi_outsz, "%s", n->owner->impi);
			best = v;
			break;
		}
		if (v == AUTHREG_OTHER_PEER)
			best = v;
	}
	ar->ops.unlock(ar->ops.lock_arg);
	return best;
}

unsigned authreg_purge(struct authreg *ar, time_t now)
{
	unsigned removed = 0;
	ar->ops.lock(ar->ops.lock_arg);
	for (unsigned b = 0; b <= ar->mask; b++) {
		struct authreg_entry **pp = &ar->by_impi[b];
		while (*pp) {
			if ((*pp)->expires <= now) {
				unlink_entry(ar, pp);
				removed++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	ar->ops.unlock(ar->ops.lock_arg);
	return removed;
}

unsigned authreg_count(struct authreg *ar)
{
	ar->ops.lock(ar->ops.lock_arg);
	unsigned n = ar->count;
	ar->ops.unlock(ar->ops.lock_arg);
	return n;
}

void authreg_foreach(struct authreg *ar,
                     void (*fn)(const char *impi, const char *peer, const char *impus,
                                time_t expires, void *arg),
                     void *arg)
{
	ar->ops.lock(ar->ops.lock_arg);
	for (unsigned b = 0; b <= ar->mask; b++)
		for (struct authreg_entry *e = ar->by_impi[b]; e; e = e->next)
			fn(e->impi, e->peer, e->impus, e->expires, arg);
	ar->ops.unlock(ar->ops.lock_arg);
}

long authreg_lifetime(const long *contact_expires, unsigned n, int star, long header_expires,
                      long dflt, long max)
{
	if (star)
		return 0;
	if (n == 0)
		return -1;
	long longest = 0;
	for (unsigned i = 0; i < n; i++) {
		long e = contact_expires[i] >= 0 ? contact_expires[i]
		         : header_expires >= 0   ? header_expires
		                                 : dflt;
		if (e > max)
			e = max;
		if (e > longest)
			longest = e;
	}
	return longest;
}
