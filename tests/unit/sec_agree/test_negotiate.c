/* TS 33.203 7.2 algorithm choice, 7.1 SPI allocation, Annex I key expansion; the Digest header
 * rewriting of TS 24.229 5.2.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "authhdr.h"
#include "negotiate.h"

static const char *DEFAULT_POLICY = "hmac-sha-1-96/aes-cbc, hmac-md5-96/aes-cbc, "
                                    "hmac-sha-1-96/des-ede3-cbc, hmac-md5-96/des-ede3-cbc, "
                                    "hmac-sha-1-96/null, hmac-md5-96/null";

static struct sec_list offer(const char *s)
{
	struct sec_list l;
	memset(&l, 0, sizeof(l));
	assert_int_equal(sec_parse(s, strlen(s), &l, NULL), SEC_OK);
	return l;
}

static void test_policy_puts_encryption_first(void **state)
{
	struct sec_combo p[SEC_MAX_COMBOS];
	const char *why = NULL;
	(void)state;
	/* an operator who lists integrity-only first still gets encryption preferred */
	assert_int_equal(
	        sec_policy_parse("hmac-md5-96, hmac-sha-1-96/null,hmac-md5-96/des-ede3-cbc", p,
	                         SEC_MAX_COMBOS, &why),
	        3);
	assert_int_equal(p[0].alg, SEC_ALG_HMAC_MD5_96);
	assert_int_equal(p[0].ealg, SEC_EALG_DES_EDE3_CBC);
	assert_int_equal(p[1].alg, SEC_ALG_HMAC_MD5_96);
	assert_int_equal(p[1].ealg, SEC_EALG_NULL);
	assert_int_equal(p[2].alg, SEC_ALG_HMAC_SHA1_96);
	assert_int_equal(sec_policy_parse("hmac-sha-256/aes-cbc", p, SEC_MAX_COMBOS, &why), -1);
	assert_int_equal(sec_policy_parse("hmac-md5-96/aes-gcm", p, SEC_MAX_COMBOS, &why), -1);
	assert_int_equal(sec_policy_parse("", p, SEC_MAX_COMBOS, &why), -1);
	assert_int_equal(sec_policy_parse("hmac-md5-96, hmac-md5-96/null", p, SEC_MAX_COMBOS, &why),
	                 -1);
}

static void test_choice(void **state)
{
	struct sec_combo p[SEC_MAX_COMBOS];
	unsigned c, m;
	int n = sec_policy_parse(DEFAULT_POLICY, p, SEC_MAX_COMBOS, NULL);
	(void)state;
	assert_int_equal(n, 6);
	/* Release 6 UE offering md5+des and sha1+aes: our first preference wins */
	struct sec_list rel6 = offer("ipsec-3gpp;alg=hmac-md5-96;ealg=des-ede3-cbc;spi-c=1000;spi-"
	                             "s=1001;port-c=1;port-s=2,"
	                             "ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=1000;spi-s="
	                             "1001;port-c=1;port-s=2");
	assert_int_equal(sec_choose(p, (unsigned)n, &rel6, &c, &m), 0);
	assert_int_equal(p[c].ealg, SEC_EALG_AES_CBC);
	assert_int_equal(m, 1);
	/* Release 5 UE: integrity only, no ealg */
	struct sec_list rel5 =
	        offer("ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1000;spi-s=1001;port-c=1;port-s=2");
	assert_int_equal(sec_choose(p, (unsigned)n, &rel5, &c, &m), 0);
	assert_int_equal(p[c].alg, SEC_ALG_HMAC_SHA1_96);
	assert_int_equal(p[c].ealg, SEC_EALG_NULL);
	/* tunnel mode, AH, unknown algorithms, other mechanisms: nothing acceptable */
	struct sec_list none = offer(
	        "ipsec-3gpp;alg=hmac-sha-1-96;mod=tun;spi-c=1000;spi-s=1001;port-c=1;port-s=2,"
	        "ipsec-3gpp;alg=hmac-sha-1-96;prot=ah;spi-c=1000;spi-s=1001;port-c=1;port-s=2,"
	        "ipsec-3gpp;alg=hmac-sha-256;spi-c=1000;spi-s=1001;port-c=1;port-s=2, tls, digest");
	assert_int_equal(sec_choose(p, (unsigned)n, &none, &c, &m), -1);
}

static void test_annex_i_key_expansion(void **state)
{
	uint8_t ck[16], ik[16], a[20], e[24];
	size_t al, el;
	(void)state;
	for (int i = 0; i < 16; i++) {
		ck[i] = (uint8_t)(0xc0 + i);
		ik[i] = (uint8_t)(0x10 + i);
	}
	assert_int_equal(sec_expand_keys(SEC_ALG_HMAC_SHA1_96, SEC_EALG_DES_EDE3_CBC, ck, ik, a,
	                                 &al, e, &el),
	                 0);
	uint8_t sha1_key[20] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
	                        0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0,    0,    0,    0};
	uint8_t des_key[24] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,  /* CK1 */
	                       0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,  /* CK2 */
	                       0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7}; /* CK1 */
	assert_int_equal(al, 20);
	assert_memory_equal(a, sha1_key, 20);
	assert_int_equal(el, 24);
	assert_memory_equal(e, des_key, 24);
	assert_int_equal(
	        sec_expand_keys(SEC_ALG_HMAC_MD5_96, SEC_EALG_AES_CBC, ck, ik, a, &al, e, &el), 0);
	assert_int_equal(al, 16);
	assert_memory_equal(a, ik, 16);
	assert_int_equal(el, 16);
	assert_memory_equal(e, ck, 16);
	assert_int_equal(
	        sec_expand_keys(SEC_ALG_HMAC_MD5_96, SEC_EALG_ABSENT, ck, ik, a, &al, e, &el), 0);
	assert_int_equal(el, 0);
	assert_int_equal(sec_expand_keys(SEC_ALG_OTHER, SEC_EALG_NULL, ck, ik, a, &al, e, &el), -1);
}

static uint32_t taken[4];
static int in_use(uint32_t spi, void *arg)
{
	(void)arg;
	for (int i = 0; i < 4; i++)
		if (taken[i] == spi)
			return 1;
	return 0;
}

static void test_spi_allocation(void **state)
{
	uint32_t cursor = 0;
	(void)state;
	memset(taken, 0, sizeof(taken));
	taken[0] = 300;
	taken[1] = 301;
	assert_int_equal(sec_spi_alloc(&cursor, 300, 303, in_use, NULL), 302);
	taken[2] = 302;
	assert_int_equal(sec_spi_alloc(&cursor, 300, 303, in_use, NULL), 303);
	taken[3] = 303;
	/* wraps around, then reports a full range */
	assert_int_equal(sec_spi_alloc(&cursor, 300, 303, in_use, NULL), 0);
	taken[0] = 0;
	assert_int_equal(sec_spi_alloc(&cursor, 300, 303, in_use, NULL), 300);
	assert_int_equal(sec_spi_alloc(&cursor, 0, 10, in_use, NULL), 0);
}

static void test_ck_ik_leave_the_challenge(void **state)
{
	uint8_t ck[16], ik[16];
	char out[512];
	const char *why = NULL;
	(void)state;
	const char *www =
	        "Digest realm=\"ims.example\", nonce=\"q8ck=+/ik=\", algorithm=AKAv1-MD5, "
	        "ck=\"000102030405060708090a0b0c0d0e0f\", qop=\"auth\", "
	        "ik=\"F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF\"";
	int n = auth_take_ck_ik(www, strlen(www), out, sizeof(out), ck, ik, &why);
	assert_true(n > 0);
	assert_string_equal(out, "Digest realm=\"ims.example\", nonce=\"q8ck=+/ik=\", "
	                         "algorithm=AKAv1-MD5, qop=\"auth\"");
	assert_int_equal(ck[15], 0x0f);
	assert_int_equal(ik[0], 0xf0);
	const char *nokeys = "Digest realm=\"x\", nonce=\"y\"";
	assert_int_equal(auth_take_ck_ik(nokeys, strlen(nokeys), out, sizeof(out), ck, ik, &why),
	                 -1);
	assert_non_null(why);
	const char *shortck =
	        "Digest realm=\"x\", ck=\"0011\", ik=\"00112233445566778899aabbccddeeff\"";
	assert_int_equal(auth_take_ck_ik(shortck, strlen(shortck), out, sizeof(out), ck, ik, &why),
	                 -1);
	const char *quote = "Digest realm=\"x, ck=";
	assert_int_equal(auth_take_ck_ik(quote, strlen(quote), out, sizeof(out), ck, ik, &why), -1);
	assert_int_equal(auth_take_ck_ik(www, strlen(www), out, 20, ck, ik, &why), -1);
}

/* fuzz finding: a NUL inside a quoted value went through and cut the rewritten header short */
static void test_control_characters_are_refused(void **state)
{
	uint8_t ck[16], ik[16];
	char out[512];
	const char *why = NULL;
	static const char www[] =
	        "Digest nonce=\"ab\0cd\", ck=\"000102030405060708090a0b0c0d0e0f\","
	        " ik=\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\"";
	(void)state;
	assert_int_equal(auth_take_ck_ik(www, sizeof(www) - 1, out, sizeof(out), ck, ik, &why), -1);
	assert_int_equal(auth_mark_integrity(www, sizeof(www) - 1, "no", out, sizeof(out)), -1);
	assert_true(auth_mark_integrity("Digest a=1,\r\n b=2", 17, "no", out, sizeof(out)) > 0);
}

static void test_integrity_protected_is_ours_to_say(void **state)
{
	char out[512];
	(void)state;
	const char *forged = "Digest username=\"alice@ims.example\", integrity-protected=\"yes\", "
	                     "realm=\"ims.example\", nonce=\"\", response=\"\"";
	assert_true(auth_mark_integrity(forged, strlen(forged), "no", out, sizeof(out)) > 0);
	assert_string_equal(out, "Digest username=\"alice@ims.example\", realm=\"ims.example\", "
	                         "nonce=\"\", response=\"\", integrity-protected=\"no\"");
	assert_true(auth_mark_integrity("Digest", 6, "yes", out, sizeof(out)) > 0);
	assert_string_equal(out, "Digest integrity-protected=\"yes\"");
	assert_int_equal(auth_mark_integrity(forged, strlen(forged), "no", out, 30), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_policy_puts_encryption_first),
	        cmocka_unit_test(test_choice),
	        cmocka_unit_test(test_annex_i_key_expansion),
	        cmocka_unit_test(test_spi_allocation),
	        cmocka_unit_test(test_ck_ik_leave_the_challenge),
	        cmocka_unit_test(test_control_characters_are_refused),
	        cmocka_unit_test(test_integrity_protected_is_ours_to_say),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
