/* Milenage against every test set of TS 35.207 / TS 35.208, function by function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "milenage.h"
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

#define EXPECT(hexstr, got, n)                                                                     \
	do {                                                                                       \
		uint8_t want_[32];                                                                 \
		unhex(hexstr, want_, n);                                                           \
		if (memcmp(want_, got, n) != 0)                                                    \
			fail_msg("test set %d: %s differs", v->set, #got);                         \
	} while (0)

static void test_all_sets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(milenage_vectors) / sizeof(milenage_vectors[0]); i++) {
		const struct milenage_vector *v = &milenage_vectors[i];
		uint8_t k[16], rand[16], sqn[6], amf[2], op[16], opc[16];
		uint8_t mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];
		unhex(v->k, k, 16);
		unhex(v->rand, rand, 16);
		unhex(v->sqn, sqn, 6);
		unhex(v->amf, amf, 2);
		unhex(v->op, op, 16);
		assert_int_equal(milenage_opc(k, op, opc), 0);
		EXPECT(v->opc, opc, 16);
		assert_int_equal(milenage_f1(k, opc, rand, sqn, amf, mac_a, mac_s), 0);
		EXPECT(v->f1, mac_a, 8);
		EXPECT(v->f1_star, mac_s, 8);
		assert_int_equal(milenage_f2345(k, opc, rand, res, ck, ik, ak, ak_star), 0);
		EXPECT(v->f2, res, 8);
		EXPECT(v->f3, ck, 16);
		EXPECT(v->f4, ik, 16);
		EXPECT(v->f5, ak, 6);
		EXPECT(v->f5_star, ak_star, 6);
	}
}

/* Each output can be asked for alone and is the same as when computed together. */
static void test_partial_outputs(void **state)
{
	(void)state;
	const struct milenage_vector *v = &milenage_vectors[2];
	uint8_t k[16], rand[16], opc[16], ck[16], ak_star[6], mac_s[8], sqn[6], amf[2];
	unhex(v->k, k, 16);
	unhex(v->rand, rand, 16);
	unhex(v->opc, opc, 16);
	unhex(v->sqn, sqn, 6);
	unhex(v->amf, amf, 2);
	assert_int_equal(milenage_f2345(k, opc, rand, NULL, ck, NULL, NULL, NULL), 0);
	EXPECT(v->f3, ck, 16);
	assert_int_equal(milenage_f2345(k, opc, rand, NULL, NULL, NULL, NULL, ak_star), 0);
	EXPECT(v->f5_star, ak_star, 6);
	assert_int_equal(milenage_f1(k, opc, rand, sqn, amf, NULL, mac_s), 0);
	EXPECT(v->f1_star, mac_s, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_all_sets),
	        cmocka_unit_test(test_partial_outputs),
	};
	return cmocka_run_group_tests_name("ims_aka/milenage", tests, NULL, NULL);
}
