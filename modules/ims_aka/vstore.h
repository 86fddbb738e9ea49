/* The S-CSCF's pending authentication challenges: one entry per nonce sent in a 401, bound to
 * the IMPI, single use, with an expiry. Pure core: memory and locking come from the caller
 * (Kamailio shared memory and a process-shared lock in the module, malloc in the tests). */
#ifndef PRESEC_VSTORE_H
#define PRESEC_VSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aka.h"
#include "digest.h"

#include "presec/store_ops.h"

#define VSTORE_IMPI_MAX  256
#define VSTORE_NONCE_MAX 64
#define VSTORE_IMPUS_MAX 1024

enum vstore_state {
	VS_PENDING = 0, /* challenge sent, no answer yet */
	VS_USED,        /* answered (successfully or not): never accepted again */
};

struct vstore_entry {
	char impi[VSTORE_IMPI_MAX];
	char nonce[VSTORE_NONCE_MAX];
	char impus[VSTORE_IMPUS_MAX]; /* the implicit registration set, comma-separated, in order */
	struct aka_vector av;
	enum aka_algorithm algorithm;
	enum vstore_state state;
	time_t created, expires;
	struct vstore_entry *next;
};

struct vstore;

/* nbuckets: a power of two; max_entries bounds the memory held by challenges. */
struct vstore *vstore_new(const struct presec_store_ops *ops, unsigned nbuckets,
                          unsigned max_entries);
void vstore_destroy(struct vstore *vs);

/* TS 33.203 6.1, TS 24.109 A.3: a fresh challenge for impi (its registration set impus, "" when
 * none): the vector for sqn over rand, nonce = base64(RAND || AUTN) (RFC 3310 3.2), pending from
 * now for expiry seconds. 0, or -1 when the vector cannot be computed or impi, impus are too
 * long. */
int vstore_challenge(const struct aka_keys *keys, uint64_t sqn,
                     const uint8_t rand[MILENAGE_RAND_LEN], const char *impi, const char *impus,
                     enum aka_algorithm alg, time_t now, int expiry, struct vstore_entry *e);

/* The same challenge over a vector made before (a batch, avbatch.h). 0, or -1 when impi or
 * impus are too long. */
int vstore_challenge_av(const struct aka_vector *av, const char *impi, const char *impus,
                        enum aka_algorithm alg, time_t now, int expiry, struct vstore_entry *e);

/* Adds a copy of e (impi, nonce, impus, av, algorithm, expires must be set). Returns 0, -1 when
 * full or out of memory, -2 when the nonce already exists. */
int vstore_add(struct vstore *vs, const struct vstore_entry *e);

/* Looks the nonce up and, when it is pending and unexpired at `now`, marks it used and copies it
 * to *out. Returns 0, -1 unknown or expired, -2 already used (a replay). Taking and marking in
 * one step under the lock makes a nonce single use across processes. */
int vstore_take(struct vstore *vs, const char *nonce, size_t nonce_len, time_t now,
                struct vstore_entry *out);

/* Removes expired entries (used ones included once past their expiry); returns how many were
 * removed. */
unsigned vstore_purge(struct vstore *vs, time_t now);

/* Removes everything; returns how many were removed. */
unsigned vstore_flush(struct vstore *vs);

/* Calls fn for each entry (under the lock: fn must not call back into the store). */
void vstore_foreach(struct vstore *vs, void (*fn)(const struct vstore_entry *e, void *arg),
                    void *arg);

unsigned vstore_count(struct vstore *vs);

#endif
