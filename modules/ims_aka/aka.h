/* AKA authentication vectors and resynchronisation (TS 33.102 6.3, 6.3.3, Annex C) on Milenage.
 * Pure core: no Kamailio header. */
#ifndef PRESEC_AKA_H
#define PRESEC_AKA_H

#include <stddef.h>
#include <stdint.h>

#include "milenage.h"

#define AKA_SQN_MAX  ((UINT64_C(1) << 48) - 1)
#define AKA_AUTN_LEN 16
#define AKA_AUTS_LEN 14

/* The subscriber's long-term secrets as the HSS/AuC holds them. */
struct aka_keys {
	uint8_t k[MILENAGE_K_LEN];
	uint8_t opc[MILENAGE_OP_LEN];
	uint8_t amf[MILENAGE_AMF_LEN];
};

/* One authentication vector (TS 33.102 6.3.2): RAND, AUTN, XRES, CK, IK. */
struct aka_vector {
	uint8_t rand[MILENAGE_RAND_LEN];
	uint8_t autn[AKA_AUTN_LEN];
	uint8_t xres[MILENAGE_RES_LEN];
	uint8_t ck[MILENAGE_CK_LEN];
	uint8_t ik[MILENAGE_IK_LEN];
};

enum aka_status {
	AKA_OK = 0,
	AKA_ERR_CRYPTO = -1, /* the AES/RNG primitive failed */
	AKA_ERR_ARG = -2,    /* an argument out of range (SQN above 2^48 - 1) */
	AKA_ERR_MAC = -3,    /* MAC-A (UE side) or MAC-S (network side) does not verify */
};

void aka_sqn_to_bytes(uint64_t sqn, uint8_t out[MILENAGE_SQN_LEN]);
uint64_t aka_sqn_from_bytes(const uint8_t in[MILENAGE_SQN_LEN]);

/* Network side: the vector for `sqn` and `rand` (AUTN = SQN xor AK || AMF || MAC-A). */
int aka_vector_make(const struct aka_keys *keys, uint64_t sqn,
                    const uint8_t rand[MILENAGE_RAND_LEN], struct aka_vector *v);

/* Network side, TS 33.102 6.3.5: recover SQN_MS from AUTS = SQN_MS xor AK* || MAC-S and verify
 * MAC-S = f1*(K, SQN_MS, RAND, AMF*) with the dummy AMF* of all zeros. */
int aka_resync(const struct aka_keys *keys, const uint8_t rand[MILENAGE_RAND_LEN],
               const uint8_t auts[AKA_AUTS_LEN], uint64_t *sqn_ms);

/* UE side (for tests and the test tool): verify AUTN, return SQN and RES/CK/IK. */
int aka_ue_answer(const struct aka_keys *keys, const uint8_t rand[MILENAGE_RAND_LEN],
                  const uint8_t autn[AKA_AUTN_LEN], uint64_t *sqn, uint8_t res[MILENAGE_RES_LEN],
                  uint8_t ck[MILENAGE_CK_LEN], uint8_t ik[MILENAGE_IK_LEN]);

/* UE side: AUTS for a synchronisation failure, reporting `sqn_ms`. */
int aka_ue_auts(const struct aka_keys *keys, const uint8_t rand[MILENAGE_RAND_LEN], uint64_t sqn_ms,
                uint8_t auts[AKA_AUTS_LEN]);

/* TS 33.102 C.3.2: SQN = SEQ || IND; the next SEQ for a new vector with IND `ind` of `ind_bits`. */
uint64_t aka_sqn_next(uint64_t sqn_he, unsigned ind_bits, unsigned ind);

#endif
