#include "aka.h"

#include <openssl/crypto.h>
#include <string.h>

void aka_sqn_to_bytes(uint64_t sqn, uint8_t out[6])
{
	for (int i = 5; i >= 0; i--) {
		out[i] = (uint8_t)(sqn & 0xff);
		sqn >>= 8;
	}
}

uint64_t aka_sqn_from_bytes(const uint8_t in[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | in[i];
	return v;
}

int aka_vector_make(const struct aka_keys *keys, uint64_t sqn, const uint8_t rand[16],
                    struct aka_vector *v)
{
	uint8_t sqn_b[6], ak[6];

	if (sqn > AKA_SQN_MAX)
		return AKA_ERR_ARG;
	aka_sqn_to_bytes(sqn, sqn_b);
	memcpy(v->rand, rand, 16);
	if (milenage_f1(keys->k, keys->opc, rand, sqn_b, keys->amf, v->autn + 8, NULL) != 0 ||
	    milenage_f2345(keys->k, keys->opc, rand, v->xres, v->ck, v->ik, ak, NULL) != 0)
		return AKA_ERR_CRYPTO;
	/* TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC */
	for (int i = 0; i < 6; i++)
		v->autn[i] = sqn_b[i] ^ ak[i];
	memcpy(v->autn + 6, keys->amf, 2);
	return AKA_OK;
}

/* TS 33.102 6.3.3: the MAC-S of a resynchronisation uses a dummy AMF of all zeros. */
static const uint8_t amf_star[2] = {0, 0};

int aka_resync(const struct aka_keys *keys, const uint8_t rand[16], const uint8_t auts[14],
               uint64_t *sqn_ms)
{
	uint8_t ak_star[6], sqn_b[6], xmac_s[8];

	if (milenage_f2345(keys->k, keys->opc, rand, NULL, NULL, NULL, NULL, ak_star) != 0)
		return AKA_ERR_CRYPTO;
	for (int i = 0; i < 6; i++)
		sqn_b[i] = auts[i] ^ ak_star[i];
	if (milenage_f1(keys->k, keys->opc, rand, sqn_b, amf_star, NULL, xmac_s) != 0)
		return AKA_ERR_CRYPTO;
	if (CRYPTO_memcmp(xmac_s, auts + 6, 8) != 0)
		return AKA_ERR_MAC;
	*sqn_ms = aka_sqn_from_bytes(sqn_b);
	return AKA_OK;
}

int aka_ue_answer(const struct aka_keys *keys, const uint8_t rand[16], const uint8_t autn[16],
                  uint64_t *sqn, uint8_t res[8], uint8_t ck[16], uint8_t ik[16])
{
	uint8_t ak[6], sqn_b[6], xmac[8];

	if (milenage_f2345(keys->k, keys->opc, rand, res, ck, ik, ak, NULL) != 0)
		return AKA_ERR_CRYPTO;
	for (int i = 0; i < 6; i++)
		sqn_b[i] = autn[i] ^ ak[i];
	/* the MAC is over the AMF carried in AUTN, as the USIM checks it */
	if (milenage_f1(keys->k, keys->opc, rand, sqn_b, autn + 6, xmac, NULL) != 0)
		return AKA_ERR_CRYPTO;
	if (CRYPTO_memcmp(xmac, autn + 8, 8) != 0)
		return AKA_ERR_MAC;
	*sqn = aka_sqn_from_bytes(sqn_b);
	return AKA_OK;
}

int aka_ue_auts(const struct aka_keys *keys, const uint8_t rand[16], uint64_t sqn_ms,
                uint8_t auts[14])
{
	uint8_t ak_star[6], sqn_b[6];

	if (sqn_ms > AKA_SQN_MAX)
		return AKA_ERR_ARG;
	aka_sqn_to_bytes(sqn_ms, sqn_b);
	if (milenage_f2345(keys->k, keys->opc, rand, NULL, NULL, NULL, NULL, ak_star) != 0 ||
	    milenage_f1(keys->k, keys->opc, rand, sqn_b, amf_star, NULL, auts + 6) != 0)
		return AKA_ERR_CRYPTO;
	for (int i = 0; i < 6; i++)
		auts[i] = sqn_b[i] ^ ak_star[i];
	return AKA_OK;
}

uint64_t aka_sqn_next(uint64_t sqn_he, unsigned ind_bits, unsigned ind)
{
	uint64_t seq = (sqn_he >> ind_bits) + 1;
	uint64_t ind_mask = (UINT64_C(1) << ind_bits) - 1;
	/* SEQ wraps within its 48 - ind_bits bits (C.3.2 leaves wrap-around to the operator) */
	seq &= AKA_SQN_MAX >> ind_bits;
	return (seq << ind_bits) | (ind & ind_mask);
}
