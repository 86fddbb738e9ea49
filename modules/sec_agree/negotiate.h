/* The P-CSCF's side of the TS 33.203 7.1/7.2 negotiation: its ordered list of algorithm
 * combinations, the choice against the UE's Security-Client, SPI allocation and the Annex I key
 * expansion from CK and IK. Pure core: no Kamailio header. */
#ifndef PRESEC_NEGOTIATE_H
#define PRESEC_NEGOTIATE_H
#include <stddef.h>
#include <stdint.h>

#include "sechdr.h"

#define SEC_MAX_COMBOS 8

struct sec_combo {
	enum sec_alg alg;
	enum sec_ealg ealg; /* SEC_EALG_NULL for integrity only */
};

/* "hmac-sha-1-96/aes-cbc, hmac-md5-96/null, ..." (a bare integrity algorithm means /null).
 * Combinations with encryption are moved ahead of integrity-only ones, keeping the operator's
 * order within each group: a Release 6 UE that offers encryption always gets it (TS 33.203 6.2),
 * a Release 5 UE still gets integrity. Returns the number of combinations, -1 with *why. */
int sec_policy_parse(const char *s, struct sec_combo *out, unsigned max, const char **why);

/* The first combination of the policy that the UE offered in one of its ipsec-3gpp mechanisms
 * (prot esp or absent, mod trans or absent). Returns 0 and the indexes, -1 when none matches. */
int sec_choose(const struct sec_combo *policy, unsigned n, const struct sec_list *client,
               unsigned *combo, unsigned *mech);

/* TS 33.203 Annex I: the ESP keys from the 128-bit CK and IK.
 *   HMAC-MD5-96:   IK (128 bits)               HMAC-SHA-1-96: IK || 32 zero bits (160 bits)
 *   AES-CBC:       CK (128 bits)               DES-EDE3-CBC:  CK1 || CK2 || CK1 (192 bits)
 *   null:          no key
 * Returns 0, -1 for an algorithm without a rule. */
int sec_expand_keys(enum sec_alg alg, enum sec_ealg ealg, const uint8_t ck[16],
                    const uint8_t ik[16], uint8_t auth_key[20], size_t *auth_len,
                    uint8_t enc_key[24], size_t *enc_len);

/* A SPI in [lo, hi] for which in_use() is false, searched from *cursor on (and *cursor moved
 * past it), so that SPIs are not reused soon after their SA went away. 0 when all are taken. */
uint32_t sec_spi_alloc(uint32_t *cursor, uint32_t lo, uint32_t hi,
                       int (*in_use)(uint32_t spi, void *arg), void *arg);

#endif
