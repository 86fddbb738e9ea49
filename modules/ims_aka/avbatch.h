/* The S-CSCF's batches of authentication vectors (TS 33.102 6.3.2: the HE/AuC answers a request
 * with an ordered array of n vectors, which the serving node uses in order; TS 33.203 6.1). One
 * statement reserves n SQNs of a subscriber in the database; the n vectors computed over them
 * wait here, in shared memory, with the subscriber's algorithms and implicit registration set,
 * until challenges take them, each once, in SQN order, across all processes. K and OPc are
 * never kept here: only per-challenge material (RAND, AUTN, XRES, CK, IK), as the pending
 * challenges of vstore.c hold it.
 *
 * Freshness (TS 33.102 C.1, C.3.2): the database keeps the highest SEQ reserved, so no
 * reservation, restart or other S-CSCF ever gets an SQN again. Within one S-CSCF the entry of an
 * IMPI remembers the highest SEQ handed out (its floor): a vector at or below it is never handed
 * out, so the SQNs one S-CSCF sends to a UE only rise, even when two processes reserve at the
 * same time and file their blocks in the other order. Two S-CSCFs on one database use their own
 * IND (sqn_ind) so that each keeps its own column of the USIM's SEQ array.
 *
 * Pure core: memory and locking come from the caller (presec/store_ops.h). */
#ifndef PRESEC_AVBATCH_H
#define PRESEC_AVBATCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aka.h"
#include "vstore.h"

#include "presec/store_ops.h"

#define AVBATCH_MAX   32 /* vectors per reservation, at most */
#define AVBATCH_ALGOS 64

/* One vector of a batch and the SQN it was made for. */
struct avbatch_vec {
	uint64_t sqn;
	time_t expires;
	struct aka_vector av;
};

/* What a challenge needs of the subscriber besides the vector (no secret). */
struct avbatch_sub {
	char algorithms[AVBATCH_ALGOS]; /* comma-separated, as the database lists them */
	char impus[VSTORE_IMPUS_MAX];   /* the implicit registration set, in order */
};

struct avbatch;

/* nbuckets: a power of two; max_entries bounds the IMPIs held; batch (1..AVBATCH_MAX) the
 * vectors of one reservation; lifetime: seconds a vector may wait (the bound on how long a
 * change of K, algorithms or IMPUs in the database takes to be seen); ind_bits (0..10): the
 * length of IND, floors compare SEQ = SQN >> ind_bits. */
struct avbatch *avbatch_new(const struct presec_store_ops *ops, unsigned nbuckets,
                            unsigned max_entries, unsigned batch, int lifetime, unsigned ind_bits);
void avbatch_destroy(struct avbatch *ab);

/* TS 33.102 C.3.2, SQN = SEQ || IND: the SQNs of the block that one reservation of n SEQs
 * (SQN_HE moved from ((s >> ind_bits) << ind_bits) to sqn_he_after = ((s >> ind_bits) + n) <<
 * ind_bits, modulo 2^48) gave this S-CSCF, ascending, each with this S-CSCF's IND. 0, or -1
 * for n outside 1..AVBATCH_MAX or ind_bits above 10. */
int avbatch_block(uint64_t sqn_he_after, unsigned n, unsigned ind_bits, unsigned ind,
                  uint64_t out[]);

/* Files a reserved block (vectors in any order, n <= batch) and the subscriber's data just read
 * with it. Vectors at or below the IMPI's floor are dropped (cleansed); the rest join what is
 * waiting, in SQN order, each valid until now + lifetime. Returns how many were kept, or -1 when
 * a new IMPI does not fit (max_entries) or memory is short. */
int avbatch_put(struct avbatch *ab, const char *impi, const struct avbatch_sub *sub,
                const struct avbatch_vec *v, unsigned n, time_t now);

/* Takes the IMPI's lowest waiting unexpired vector above its floor, which becomes the floor.
 * 1 taken (*v and *sub filled), 0 none waiting. */
int avbatch_take(struct avbatch *ab, const char *impi, time_t now, struct avbatch_vec *v,
                 struct avbatch_sub *sub);

/* TS 33.102 6.3.5: after a verified AUTS the HE's SQN is SQN_MS: the waiting vectors of the IMPI
 * go, and the floor becomes SEQ of sqn_ms, so that no block reserved before the reset is used. */
void avbatch_resync(struct avbatch *ab, const char *impi, uint64_t sqn_ms);

/* Drops the waiting vectors of impi, or of every IMPI when impi is NULL (the subscriber data
 * changed); floors stay. Returns how many vectors went. */
unsigned avbatch_forget(struct avbatch *ab, const char *impi);

/* Removes IMPIs with nothing waiting that were last touched more than lifetime ago, and expired
 * vectors. Returns how many IMPIs went. */
unsigned avbatch_purge(struct avbatch *ab, time_t now);

/* IMPIs held and vectors waiting. */
void avbatch_count(struct avbatch *ab, unsigned *impis, unsigned *vectors);

#endif
