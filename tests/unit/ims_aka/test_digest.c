/* Authorization parsing, the Digest response, AKA passwords and the nonce encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "presec/hex.h"
#include "digest.h"

#define S(lit) ((struct dstr){(lit), sizeof(lit) - 1})

static int dstr_is(struct dstr d, const char *lit)
{
	return d.s && d.len == strlen(lit) && memcmp(d.s, lit, d.len) == 0;
}

static int parse(const char *h, struct digest_cred *c, const char **why)
{
	*why = NULL;
	return digest_parse(h, strlen(h), c, why);
}

static void test_parse_ims_register(void **state)
{
	(void)state;
	struct digest_cred c;
	const char *why;
	const char *h = "Digest username=\"alice@ims.example\",realm=\"ims.example\", "
	                "nonce=\"ABCD\",uri=\"sip:ims.example\",response="
	                "\"0123456789abcdef0123456789abcdef\","
	                "algorithm=AKAv1-MD5,cnonce=\"0a4f113b\",qop=auth,nc=00000001,"
	                " integrity-protected=\"yes\", x-ext=foo";
	assert_int_equal(parse(h, &c, &why), 0);
	assert_true(dstr_is(c.username, "alice@ims.example"));
	assert_true(dstr_is(c.realm, "ims.example"));
	assert_true(dstr_is(c.nonce, "ABCD"));
	assert_true(dstr_is(c.uri, "sip:ims.example"));
	assert_true(dstr_is(c.qop, "auth"));
	assert_true(dstr_is(c.nc, "00000001"));
	assert_int_equal(c.algorithm, AKA_ALG_V1_MD5);
	assert_int_equal(c.integrity_protected, IP_YES);
	assert_true(c.has_response);
	assert_null(c.auts.s);
}

/* TS 24.229 5.1.1.2: the initial REGISTER carries an Authorization with empty nonce/response. */
static void test_parse_initial_register_and_quoted_tokens(void **state)
{
	(void)state;
	struct digest_cred c;
	const char *why;
	assert_int_equal(parse("Digest username=\"bob@ims.example\", realm=\"ims.example\", "
	                       "nonce=\"\", uri=\"sip:ims.example\", response=\"\", "
	                       "integrity-protected=no, qop=\"auth\", algorithm=AKAv2-MD5",
	                       &c, &why),
	                 0);
	assert_int_equal(c.nonce.len, 0);
	assert_true(c.has_response);
	assert_int_equal(c.response.len, 0);
	assert_int_equal(c.integrity_protected, IP_NO);
	assert_int_equal(c.algorithm, AKA_ALG_V2_MD5);
	assert_true(dstr_is(c.qop, "auth"));
}

static void test_parse_rejects_malformed(void **state)
{
	(void)state;
	static const char *bad[] = {
	        "",
	        "Basic dXNlcjpwYXNz",
	        "Digestusername=\"a@b\",realm=\"r\"",
	        "Digest username=\"a@b\"",                              /* no realm */
	        "Digest realm=\"r\"",                                   /* no username */
	        "Digest username=\"a@b\",username=\"c@d\",realm=\"r\"", /* duplicate */
	        "Digest username=\"a@b,realm=\"r\"",                    /* quote runs on */
	        "Digest username=\"a@b\" realm=\"r\"",                  /* comma missing */
	        "Digest username=a@b,realm=\"r\"",                      /* must be quoted */
	        "Digest username=\"a\\\"b\",realm=\"r\"",               /* escaped character */
	        "Digest username=\"a@b\",realm=\"r\",=x",
	        "Digest username=\"a@b\",realm=\"r\",nonce",
	        "Digest username=\"a@b\",realm=\"r\",nonce=",
	        "Digest username=\"a@b\",realm=\"r\",integrity-protected=maybe",
	        "Digest "
	        "username=\"a@b\",realm=\"r\",integrity-protected=yes,integrity-protected=no",
	        "Digest username=\"a\x01@b\",realm=\"r\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct digest_cred c;
		const char *why = NULL;
		if (parse(bad[i], &c, &why) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(why);
	}
	char big[DIGEST_MAX_HEADER + 16];
	memset(big, ' ', sizeof(big));
	memcpy(big, "Digest ", 7);
	struct digest_cred c;
	const char *why;
	assert_int_equal(digest_parse(big, sizeof(big), &c, &why), -1);
	/* more parameters than allowed */
	char many[1024] = "Digest username=\"a@b\",realm=\"r\"";
	for (int i = 0; i < DIGEST_MAX_PARAMS; i++)
		strcat(many, ",x=1");
	assert_int_equal(parse(many, &c, &why), -1);
}

static void test_impi_validation(void **state)
{
	(void)state;
	assert_true(digest_impi_valid("alice@ims.example", 17));
	assert_true(digest_impi_valid("234150999999999@ims.mnc015.mcc234.3gppnetwork.org", 49));
	assert_false(digest_impi_valid("alice", 5));
	assert_false(digest_impi_valid("@ims.example", 12));
	assert_false(digest_impi_valid("alice@", 6));
	assert_false(digest_impi_valid("a@b@c", 5));
	assert_false(digest_impi_valid("al'ice@ims.example", 18));
	assert_false(digest_impi_valid("alice@ims example", 17));
	assert_false(digest_impi_valid("", 0));
}

/* RFC 2617 3.5: the worked example. */
static void test_rfc2617_example_response(void **state)
{
	(void)state;
	char out[33];
	assert_int_equal(digest_response_md5(&S("Mufasa"), &S("testrealm@host.com"),
	                                     (const uint8_t *)"Circle Of Life", 14, &S("GET"),
	                                     &S("/dir/index.html"),
	                                     &S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
	                                     &S("00000001"), &S("0a4f113b"), &S("auth"), out),
	                 0);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
}

/* TS 35.208 test set 1's RES/CK/IK; the expected values were computed with Python's hashlib and
 * hmac, independently of this code. */
static const uint8_t res1[8] = {0xa5, 0x42, 0x11, 0xd5, 0xe3, 0xba, 0x50, 0xbf};
static const uint8_t ck1[16] = {0xb4, 0x0b, 0xa9, 0xa3, 0xc5, 0x8b, 0x2a, 0x05,
                                0xbb, 0xf0, 0xd9, 0x87, 0xb2, 0x1b, 0xf8, 0xcb};
static const uint8_t ik1[16] = {0xf7, 0x69, 0xbc, 0xd7, 0x51, 0x04, 0x46, 0x04,
                                0x12, 0x76, 0x72, 0x71, 0x1c, 0x6d, 0x34, 0x41};

static void test_akav1_password_is_res(void **state)
{
	(void)state;
	uint8_t pw[AKA_PASSWORD_MAX];
	size_t n = 0;
	char out[33];
	assert_int_equal(aka_digest_password(AKA_ALG_V1_MD5, res1, 8, ik1, ck1, pw, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(pw, res1, 8);
	assert_int_equal(digest_response_md5(&S("alice@ims.example"), &S("ims.example"), pw, n,
	                                     &S("REGISTER"), &S("sip:ims.example"), &S("NONCE"),
	                                     &S("00000001"), &S("0a4f113b"), &S("auth"), out),
	                 0);
	assert_string_equal(out, "d556242b95c264839d00b1758938af2d");
}

static void test_akav2_password(void **state)
{
	(void)state;
	uint8_t pw[AKA_PASSWORD_MAX];
	size_t n = 0;
	assert_int_equal(aka_digest_password(AKA_ALG_V2_MD5, res1, 8, ik1, ck1, pw, &n), 0);
	assert_int_equal(n, 24);
	assert_memory_equal(pw, "shzt3q8CWaZnCAWqs3WmEQ==", 24);
	assert_int_equal(aka_digest_password(AKA_ALG_OTHER, res1, 8, ik1, ck1, pw, &n), -1);
}

static void test_base64(void **state)
{
	(void)state;
	uint8_t buf[64];
	char enc[64];
	static const struct {
		const char *raw, *b64;
	} rfc4648[] = {{"", ""},
	               {"f", "Zg=="},
	               {"fo", "Zm8="},
	               {"foo", "Zm9v"},
	               {"foob", "Zm9vYg=="},
	               {"fooba", "Zm9vYmE="},
	               {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t n = strlen(rfc4648[i].raw);
		assert_int_equal(b64_encode((const uint8_t *)rfc4648[i].raw, n, enc),
		                 strlen(rfc4648[i].b64));
		assert_string_equal(enc, rfc4648[i].b64);
		assert_int_equal(b64_decode(enc, strlen(enc), buf, sizeof(buf)), (int)n);
		assert_memory_equal(buf, rfc4648[i].raw, n);
	}
	static const char *bad[] = {
	        "Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm=v", "Zm9v====", "Zm 9", "Zm9v\n", "=Zm9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (b64_decode(bad[i], strlen(bad[i]), buf, sizeof(buf)) != -1)
			fail_msg("accepted base64: %s", bad[i]);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, buf, 5), -1); /* does not fit */
}

/* keys come from PostgreSQL as encode(..., 'hex'): exactly 2n digits, either case, both ways */
static void test_hex_both_ways(void **state)
{
	uint8_t k[4];
	char out[9];
	(void)state;
	assert_int_equal(hex_decode("00a1FFb2", 8, k, 4), 0);
	assert_int_equal(k[0], 0x00);
	assert_int_equal(k[1], 0xa1);
	assert_int_equal(k[2], 0xff);
	assert_int_equal(k[3], 0xb2);
	hex_encode(k, 4, out);
	assert_string_equal(out, "00a1ffb2");
	const char *bad[] = {"00a1ffb",  "00a1ffb2c", "00a1ffbg", "+0a1ffb2",
	                     " 0a1ffb2", "",          "0x a1ffb2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode(bad[i], strlen(bad[i]), k, 4), -1);
}

/* RFC 3310 3.1, TS 24.229 5.4.1.2.1, TS 24.109 4.3: the challenge header, with and without
 * CK/IK, stale, bounded */
static void test_www_authenticate(void **state)
{
	(void)state;
	char out[256];
	uint8_t ck[16], ik[16];
	for (int i = 0; i < 16; i++) {
		ck[i] = (uint8_t)i;
		ik[i] = (uint8_t)(0xf0 + i);
	}
	int n = digest_www_authenticate(out, sizeof(out), "ims.example.x", 11,
	                                "Tk9OQ0U=", AKA_ALG_V2_MD5, "auth", 0, NULL, NULL);
	assert_string_equal(
	        out,
	        "WWW-Authenticate: Digest realm=\"ims.example\", nonce=\"Tk9OQ0U=\", algorithm=AKAv2-MD5, qop=\"auth\"\r\n");
	assert_int_equal(n, (int)strlen(out));
	n = digest_www_authenticate(out, sizeof(out), "bsf", 3, "N", AKA_ALG_V1_MD5, "auth-int", 1,
	                            NULL, NULL);
	assert_string_equal(
	        out,
	        "WWW-Authenticate: Digest realm=\"bsf\", nonce=\"N\", algorithm=AKAv1-MD5, qop=\"auth-int\", stale=TRUE\r\n");
	n = digest_www_authenticate(out, sizeof(out), "ims.example", 11, "N", AKA_ALG_V1_MD5,
	                            "auth", 1, ck, ik);
	assert_string_equal(
	        out,
	        "WWW-Authenticate: Digest realm=\"ims.example\", nonce=\"N\", algorithm=AKAv1-MD5, qop=\"auth\", stale=TRUE, ck=\"000102030405060708090a0b0c0d0e0f\", ik=\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\"\r\n");
	assert_int_equal(n, (int)strlen(out));
	/* one octet short: refused, never cut */
	assert_int_equal(digest_www_authenticate(out, (size_t)n, "ims.example", 11, "N",
	                                         AKA_ALG_V1_MD5, "auth", 1, ck, ik),
	                 -1);
	assert_int_equal(digest_www_authenticate(out, (size_t)n + 1, "ims.example", 11, "N",
	                                         AKA_ALG_V1_MD5, "auth", 1, ck, ik),
	                 n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_ims_register),
	        cmocka_unit_test(test_parse_initial_register_and_quoted_tokens),
	        cmocka_unit_test(test_parse_rejects_malformed),
	        cmocka_unit_test(test_impi_validation),
	        cmocka_unit_test(test_rfc2617_example_response),
	        cmocka_unit_test(test_akav1_password_is_res),
	        cmocka_unit_test(test_akav2_password),
	        cmocka_unit_test(test_base64),
	        cmocka_unit_test(test_www_authenticate),
	        cmocka_unit_test(test_hex_both_ways),
	};
	return cmocka_run_group_tests_name("ims_aka/digest", tests, NULL, NULL);
}
