/* The pending-challenge store: single use, expiry, bounds, purge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "vstore.h"

#include "../checking_lock.h"
static const struct presec_store_ops ops = {malloc, free, lk, ulk, NULL};

static struct vstore_entry entry(const char *impi, const char *nonce, time_t expires)
{
	struct vstore_entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.impi, sizeof(e.impi), "%s", impi);
	snprintf(e.nonce, sizeof(e.nonce), "%s", nonce);
	snprintf(e.impus, sizeof(e.impus), "sip:%s", impi);
	e.algorithm = AKA_ALG_V1_MD5;
	e.expires = expires;
	e.av.xres[0] = 0x42;
	return e;
}

static void test_single_use(void **state)
{
	(void)state;
	struct vstore *vs = vstore_new(&ops, 16, 100);
	struct vstore_entry e = entry("alice@ims.example", "NONCE1", 100), got;
	assert_non_null(vs);
	assert_int_equal(vstore_add(vs, &e), 0);
	assert_int_equal(vstore_add(vs, &e), -2); /* same nonce twice */
	assert_int_equal(vstore_take(vs, "NONCE1", 6, 50, &got), 0);
	assert_string_equal(got.impi, "alice@ims.example");
	assert_int_equal(got.av.xres[0], 0x42);
	assert_int_equal(vstore_take(vs, "NONCE1", 6, 51, &got), -2); /* replay */
	assert_int_equal(vstore_take(vs, "NONCE", 5, 51, &got), -1);  /* prefix is not a match */
	assert_int_equal(vstore_take(vs, "NONCE12", 7, 51, &got), -1);
	vstore_destroy(vs);
}

static void test_expiry_and_purge(void **state)
{
	(void)state;
	struct vstore *vs = vstore_new(&ops, 4, 100);
	struct vstore_entry got;
	for (int i = 0; i < 20; i++) {
		char n[16];
		snprintf(n, sizeof(n), "N%d", i);
		struct vstore_entry e = entry("bob@ims.example", n, 10 + i);
		assert_int_equal(vstore_add(vs, &e), 0);
	}
	assert_int_equal(vstore_count(vs), 20);
	assert_int_equal(vstore_take(vs, "N0", 2, 10, &got), -1); /* expired at 10 */
	assert_int_equal(vstore_take(vs, "N5", 2, 10, &got), 0);
	assert_int_equal(vstore_purge(vs, 20), 11); /* N0..N10 expire at or before 20 */
	assert_int_equal(vstore_count(vs), 9);
	assert_int_equal(vstore_flush(vs), 9);
	assert_int_equal(vstore_count(vs), 0);
	vstore_destroy(vs);
}

static void test_bounded(void **state)
{
	(void)state;
	struct vstore *vs = vstore_new(&ops, 8, 3);
	for (int i = 0; i < 3; i++) {
		char n[8];
		snprintf(n, sizeof(n), "M%d", i);
		struct vstore_entry e = entry("carol@ims.example", n, 100);
		assert_int_equal(vstore_add(vs, &e), 0);
	}
	struct vstore_entry e = entry("carol@ims.example", "M9", 100);
	assert_int_equal(vstore_add(vs, &e), -1);
	assert_null(vstore_new(&ops, 6, 3)); /* buckets must be a power of two */
	vstore_destroy(vs);
}

static void count_cb(const struct vstore_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

static void test_foreach(void **state)
{
	(void)state;
	struct vstore *vs = vstore_new(&ops, 2, 10);
	struct vstore_entry a = entry("a@x.example", "A", 100), b = entry("b@x.example", "B", 100);
	vstore_add(vs, &a);
	vstore_add(vs, &b);
	int n = 0;
	vstore_foreach(vs, count_cb, &n);
	assert_int_equal(n, 2);
	vstore_destroy(vs);
}

/* RFC 3310 3.2: nonce = base64(RAND || AUTN), the vector the UE can check */
static void test_challenge(void **state)
{
	(void)state;
	struct aka_keys keys = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	                        {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
	                        {0x80, 0x00}};
	uint8_t rand[16], raw[33], res[8], ck[16], ik[16];
	uint64_t sqn = 0;
	struct vstore_entry e;
	char long_impi[VSTORE_IMPI_MAX + 1];

	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(vstore_challenge(&keys, 64, rand, "alice@ims.example",
	                                  "sip:alice@ims.example", AKA_ALG_V2_MD5, 100, 30, &e),
	                 0);
	assert_string_equal(e.impi, "alice@ims.example");
	assert_string_equal(e.impus, "sip:alice@ims.example");
	assert_int_equal(e.algorithm, AKA_ALG_V2_MD5);
	assert_int_equal(e.state, VS_PENDING);
	assert_int_equal(e.created, 100);
	assert_int_equal(e.expires, 130);
	assert_int_equal(b64_decode(e.nonce, strlen(e.nonce), raw, sizeof(raw)), 32);
	assert_memory_equal(raw, rand, 16);
	assert_memory_equal(raw + 16, e.av.autn, 16);
	assert_int_equal(aka_ue_answer(&keys, raw, raw + 16, &sqn, res, ck, ik), AKA_OK);
	assert_int_equal(sqn, 64);
	assert_memory_equal(res, e.av.xres, 8);
	assert_memory_equal(ck, e.av.ck, 16);

	memset(long_impi, 'a', sizeof(long_impi) - 1);
	long_impi[sizeof(long_impi) - 1] = '\0';
	assert_int_equal(
	        vstore_challenge(&keys, 64, rand, long_impi, "", AKA_ALG_V1_MD5, 100, 30, &e), -1);
	assert_int_equal(vstore_challenge(&keys, AKA_SQN_MAX + 1, rand, "a@b", "", AKA_ALG_V1_MD5,
	                                  100, 30, &e),
	                 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_single_use), cmocka_unit_test(test_expiry_and_purge),
	        cmocka_unit_test(test_bounded),    cmocka_unit_test(test_foreach),
	        cmocka_unit_test(test_challenge),
	};
	return cmocka_run_group_tests_name("ims_aka/vstore", tests, NULL, NULL);
}
