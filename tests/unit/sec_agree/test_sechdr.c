/* RFC 3329 mechanism lists with the ipsec-3gpp parameters of TS 33.203 7.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "sechdr.h"

static int parse(const char *s, struct sec_list *l, const char **why)
{
	memset(l, 0, sizeof(*l));
	return sec_parse(s, strlen(s), l, why);
}

/* TS 24.229 example of a Release 6 phone: two mechanisms, folded whitespace, q */
static void test_phone_offer(void **state)
{
	struct sec_list l;
	const char *why = NULL;
	(void)state;
	assert_int_equal(parse("ipsec-3gpp; alg=hmac-sha-1-96; ealg=aes-cbc; spi-c=23456789; "
	                       "spi-s=12345678; port-c=2468; port-s=1357,\r\n ipsec-3gpp;q=0.5;"
	                       "alg=hmac-md5-96;prot=esp;mod=trans;spi-c=4000000000;spi-s=256;"
	                       "port-c=1;port-s=65535\r\n",
	                       &l, &why),
	                 SEC_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.m[0].type, SEC_MECH_IPSEC_3GPP);
	assert_int_equal(l.m[0].alg, SEC_ALG_HMAC_SHA1_96);
	assert_int_equal(l.m[0].ealg, SEC_EALG_AES_CBC);
	assert_int_equal(l.m[0].spi_c, 23456789);
	assert_int_equal(l.m[0].spi_s, 12345678);
	assert_int_equal(l.m[0].port_c, 2468);
	assert_int_equal(l.m[0].port_s, 1357);
	assert_int_equal(l.m[0].prot, SEC_PROT_ABSENT);
	assert_int_equal(l.m[1].ealg, SEC_EALG_ABSENT); /* Release 5: no ealg means null */
	assert_int_equal(l.m[1].q, 500);
	assert_int_equal(l.m[1].spi_c, 4000000000u);
	assert_int_equal(l.m[1].prot, SEC_PROT_ESP);
	assert_int_equal(l.m[1].mod, SEC_MOD_TRANS);
}

static void test_other_mechanisms_and_unknown_params_are_kept(void **state)
{
	struct sec_list l;
	char out[512];
	(void)state;
	assert_int_equal(parse("digest;d-alg=md5;d-qop=auth;d-ver=\"0123,4567\", tls;q=0.2, "
	                       "ipsec-ike;Foo=Bar;flag",
	                       &l, NULL),
	                 SEC_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.m[0].type, SEC_MECH_DIGEST);
	assert_int_equal(l.m[0].n_ext, 3);
	assert_string_equal(l.m[0].ext[2], "d-ver=\"0123,4567\"");
	assert_int_equal(l.m[1].type, SEC_MECH_TLS);
	assert_int_equal(l.m[2].type, SEC_MECH_OTHER);
	assert_string_equal(l.m[2].name, "ipsec-ike");
	assert_string_equal(l.m[2].ext[0], "foo=Bar");
	assert_string_equal(l.m[2].ext[1], "flag");
	assert_true(sec_print_list(&l, out, sizeof(out)) > 0);
	assert_string_equal(out, "digest;d-alg=md5;d-qop=auth;d-ver=\"0123,4567\", tls;q=0.2, "
	                         "ipsec-ike;foo=Bar;flag");
}

static void test_ranges_are_enforced(void **state)
{
	struct sec_list l;
	const char *why = NULL;
	(void)state;
	/* RFC 4303 2.1: SPIs below 256 are reserved; SPIs are 32 bits; ports 1..65535 */
	const char *bad[] = {
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=255;spi-s=1000;port-c=1;port-s=2",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=4294967296;spi-s=1000;port-c=1;port-s=2",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1000;spi-s=1000;port-c=0;port-s=2",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1000;spi-s=1000;port-c=1;port-s=65536",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=-1000;spi-s=1000;port-c=1;port-s=2",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1e4;spi-s=1000;port-c=1;port-s=2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(parse(bad[i], &l, &why), SEC_ERR_RANGE);
		assert_non_null(why);
		assert_int_equal(l.n, 0);
	}
}

static void test_malformed_lists_are_refused(void **state)
{
	struct sec_list l;
	const char *why;
	(void)state;
	const char *bad[] = {
	        "",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1000;spi-s=1000;port-c=1", /* no port-s */
	        "ipsec-3gpp;spi-c=1000;spi-s=1000;port-c=1;port-s=2",        /* no alg */
	        "ipsec-3gpp;alg=hmac-md5-96;alg=hmac-md5-96;spi-c=1000;spi-s=1000;port-c=1;port-s="
	        "2",
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1000;spi-c=1001;spi-s=1000;port-c=1;port-s=2",
	        "tls;q=2",
	        "tls;q=0.1234",
	        "tls;d-ver=\"unterminated",
	        "tls,,digest",
	        "tls;",
	        "tls junk",
	        "tls;a=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_not_equal(parse(bad[i], &l, &why), SEC_OK);
		assert_non_null(why);
	}
}

static void test_several_headers_append_and_a_bad_one_changes_nothing(void **state)
{
	struct sec_list l;
	const char *why;
	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(sec_parse("tls", 3, &l, &why), SEC_OK);
	assert_int_equal(sec_parse("digest, tls;q=0.1", 17, &l, &why), SEC_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(sec_parse("digest, tls;q=5", 15, &l, &why), SEC_ERR_SYNTAX);
	assert_int_equal(l.n, 3);
	/* bounded */
	for (int i = 0; i < SEC_MAX_MECHS; i++)
		sec_parse("tls", 3, &l, &why);
	assert_int_equal(l.n, SEC_MAX_MECHS);
	assert_int_equal(sec_parse("tls", 3, &l, &why), SEC_ERR_TOO_MANY);
}

/* RFC 3329 2.3.1: Security-Verify must be what Security-Server said */
static void test_verify_comparison(void **state)
{
	struct sec_list server, same, reordered_params, downgraded, reordered_mechs;
	char out[1024];
	(void)state;
	const char *srv = "ipsec-3gpp;q=1;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;"
	                  "spi-c=10000;spi-s=10001;port-c=5066;port-s=5064, ipsec-3gpp;q=0.5;"
	                  "alg=hmac-md5-96;ealg=null;prot=esp;mod=trans;spi-c=10000;spi-s=10001;"
	                  "port-c=5066;port-s=5064";
	assert_int_equal(parse(srv, &server, NULL), SEC_OK);
	/* printing reads back the same */
	assert_true(sec_print_list(&server, out, sizeof(out)) > 0);
	assert_string_equal(out, srv);
	assert_int_equal(parse(out, &same, NULL), SEC_OK);
	assert_true(sec_list_equal(&server, &same));
	/* parameter order and case do not matter to the meaning */
	assert_int_equal(
	        parse("IPSEC-3GPP;q=1.000;ALG=hmac-sha-1-96;spi-s=10001;spi-c=10000;"
	              "ealg=aes-cbc;port-s=5064;port-c=5066;prot=esp;mod=trans, ipsec-3gpp;"
	              "q=0.50;alg=hmac-md5-96;ealg=null;prot=esp;mod=trans;spi-c=10000;"
	              "spi-s=10001;port-c=5066;port-s=5064",
	              &reordered_params, NULL),
	        SEC_OK);
	assert_true(sec_list_equal(&server, &reordered_params));
	assert_int_equal(parse("ipsec-3gpp;q=1;alg=hmac-md5-96;ealg=aes-cbc;prot=esp;mod=trans;"
	                       "spi-c=10000;spi-s=10001;port-c=5066;port-s=5064, ipsec-3gpp;q=0.5;"
	                       "alg=hmac-md5-96;ealg=null;prot=esp;mod=trans;spi-c=10000;"
	                       "spi-s=10001;port-c=5066;port-s=5064",
	                       &downgraded, NULL),
	                 SEC_OK);
	assert_false(sec_list_equal(&server, &downgraded));
	memset(&reordered_mechs, 0, sizeof(reordered_mechs));
	reordered_mechs.n = 2;
	reordered_mechs.m[0] = server.m[1];
	reordered_mechs.m[1] = server.m[0];
	assert_false(sec_list_equal(&server, &reordered_mechs));
	same.n = 1;
	assert_false(sec_list_equal(&server, &same));
}

/* fuzz finding: a NUL byte counted as a token character, so a name with NULs parsed and then
 * printed short (the Security-Verify comparison would have seen a different list) */
static void test_nul_is_not_a_token_character(void **state)
{
	struct sec_list l;
	const char *why = NULL;
	static const char in[] = "tls;\0\0q=0.2";
	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(sec_parse(in, sizeof(in) - 1, &l, &why), SEC_ERR_SYNTAX);
	assert_int_equal(sec_parse("tls\0", 4, &l, &why), SEC_ERR_SYNTAX);
	assert_int_equal(l.n, 0);
}

static void test_print_is_bounded(void **state)
{
	struct sec_list l;
	char small[20];
	(void)state;
	assert_int_equal(parse("ipsec-3gpp;alg=hmac-md5-96;spi-c=1000;spi-s=1000;port-c=1;port-s=2",
	                       &l, NULL),
	                 SEC_OK);
	assert_int_equal(sec_print_list(&l, small, sizeof(small)), -1);
	assert_int_equal(sec_print_mech(&l.m[0], small, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_phone_offer),
	        cmocka_unit_test(test_other_mechanisms_and_unknown_params_are_kept),
	        cmocka_unit_test(test_ranges_are_enforced),
	        cmocka_unit_test(test_malformed_lists_are_refused),
	        cmocka_unit_test(test_several_headers_append_and_a_bad_one_changes_nothing),
	        cmocka_unit_test(test_verify_comparison),
	        cmocka_unit_test(test_nul_is_not_a_token_character),
	        cmocka_unit_test(test_print_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
