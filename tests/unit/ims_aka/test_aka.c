/* AKA vectors, the UE's check of AUTN, and resynchronisation with AUTS (TS 33.102 6.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "aka.h"
#include "milenage_vectors.h"

static void unhex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(s), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void keys_of(const struct milenage_vector *v, struct aka_keys *keys, uint8_t rand[16],
                    uint64_t *sqn)
{
	uint8_t sqn_b[6];
	unhex(v->k, keys->k, 16);
	unhex(v->opc, keys->opc, 16);
	unhex(v->amf, keys->amf, 2);
	unhex(v->rand, rand, 16);
	unhex(v->sqn, sqn_b, 6);
	*sqn = aka_sqn_from_bytes(sqn_b);
}

/* AUTN = SQN xor AK || AMF || MAC-A, from the test set's own SQN, f5 and f1. */
static void test_vector_autn_matches_test_sets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(milenage_vectors) / sizeof(milenage_vectors[0]); i++) {
		const struct milenage_vector *v = &milenage_vectors[i];
		struct aka_keys keys;
		struct aka_vector av;
		uint8_t rand[16], sqn_b[6], ak[6], want[16], res[8];
		uint64_t sqn;
		keys_of(v, &keys, rand, &sqn);
		assert_int_equal(aka_vector_make(&keys, sqn, rand, &av), AKA_OK);
		unhex(v->sqn, sqn_b, 6);
		unhex(v->f5, ak, 6);
		for (int j = 0; j < 6; j++)
			want[j] = sqn_b[j] ^ ak[j];
		unhex(v->amf, want + 6, 2);
		unhex(v->f1, want + 8, 8);
		assert_memory_equal(av.autn, want, 16);
		unhex(v->f2, res, 8);
		assert_memory_equal(av.xres, res, 8);
	}
}

static void test_ue_accepts_genuine_and_rejects_forged_autn(void **state)
{
	(void)state;
	struct aka_keys keys;
	struct aka_vector av;
	uint8_t rand[16], res[8], ck[16], ik[16];
	uint64_t sqn, got;
	keys_of(&milenage_vectors[0], &keys, rand, &sqn);
	assert_int_equal(aka_vector_make(&keys, sqn, rand, &av), AKA_OK);
	assert_int_equal(aka_ue_answer(&keys, rand, av.autn, &got, res, ck, ik), AKA_OK);
	assert_true(got == sqn);
	assert_memory_equal(res, av.xres, 8);
	assert_memory_equal(ck, av.ck, 16);
	assert_memory_equal(ik, av.ik, 16);
	for (int bit = 0; bit < 128; bit++) {
		uint8_t bad[16];
		memcpy(bad, av.autn, 16);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(aka_ue_answer(&keys, rand, bad, &got, res, ck, ik), AKA_ERR_MAC);
	}
	struct aka_keys wrong = keys;
	wrong.k[0] ^= 1;
	assert_int_equal(aka_ue_answer(&wrong, rand, av.autn, &got, res, ck, ik), AKA_ERR_MAC);
}

static void test_resync_recovers_sqn_ms_for_every_set(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(milenage_vectors) / sizeof(milenage_vectors[0]); i++) {
		const struct milenage_vector *v = &milenage_vectors[i];
		struct aka_keys keys;
		uint8_t rand[16], auts[14], ak_star[6], sqn_b[6];
		uint64_t sqn, sqn_ms = 0;
		keys_of(v, &keys, rand, &sqn);
		assert_int_equal(aka_ue_auts(&keys, rand, sqn, auts), AKA_OK);
		/* AUTS = SQN_MS xor AK* || MAC-S with the test set's f5* */
		unhex(v->f5_star, ak_star, 6);
		unhex(v->sqn, sqn_b, 6);
		for (int j = 0; j < 6; j++)
			assert_int_equal(auts[j], sqn_b[j] ^ ak_star[j]);
		assert_int_equal(aka_resync(&keys, rand, auts, &sqn_ms), AKA_OK);
		assert_true(sqn_ms == sqn);
		auts[13] ^= 0x01;
		assert_int_equal(aka_resync(&keys, rand, auts, &sqn_ms), AKA_ERR_MAC);
	}
}

static void test_sqn_limits_and_next(void **state)
{
	(void)state;
	struct aka_keys keys = {0};
	struct aka_vector av;
	uint8_t rand[16] = {0}, b[6];
	assert_int_equal(aka_vector_make(&keys, AKA_SQN_MAX + 1, rand, &av), AKA_ERR_ARG);
	assert_int_equal(aka_vector_make(&keys, AKA_SQN_MAX, rand, &av), AKA_OK);
	aka_sqn_to_bytes(UINT64_C(0xff9bb4d0b607), b);
	assert_true(aka_sqn_from_bytes(b) == UINT64_C(0xff9bb4d0b607));
	/* SEQ || IND with a 5-bit IND: the next SEQ, IND kept within its bits */
	assert_true(aka_sqn_next(0, 5, 0) == 32);
	assert_true(aka_sqn_next(32 * 7 + 3, 5, 1) == 32 * 8 + 1);
	assert_true(aka_sqn_next(AKA_SQN_MAX, 5, 0) == 0); /* SEQ wraps */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vector_autn_matches_test_sets),
	        cmocka_unit_test(test_ue_accepts_genuine_and_rejects_forged_autn),
	        cmocka_unit_test(test_resync_recovers_sqn_ms_for_every_set),
	        cmocka_unit_test(test_sqn_limits_and_next),
	};
	return cmocka_run_group_tests_name("ims_aka/aka", tests, NULL, NULL);
}
