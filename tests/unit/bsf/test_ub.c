/* What a Ub request's Authorization must hold (TS 24.109 4.2, A.3, A.4) and HTTP Digest AKA
 * with qop=auth-int (RFC 2617 3.2.2.3, 3.2.3); the expected values were computed with the
 * harness's GBA client (tests/integration/harness/gba_ue.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "ub.h"

#define REALM "bsf.ims.example"
#define ANSWER(extra)                                                                              \
	"Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", nonce=\"3Gk8bA==\", "   \
	"uri=\"/\", qop=auth-int, nc=00000001, cnonce=\"0a4f113b\", algorithm=AKAv1-MD5, "         \
	"response=\"3b17887fa1bc10c88312fb8c92f60227\"" extra

static const uint8_t RES[8] = {0xa5, 0x42, 0x11, 0xd5, 0xe3, 0xba, 0x50, 0xbf};

static int check(const char *h, struct ub_request *r, const char **why)
{
	*why = NULL;
	return ub_check_authorization(h, strlen(h), REALM, r, why);
}

static void refused(const char *h, const char *reason)
{
	struct ub_request r;
	const char *why;
	assert_int_equal(check(h, &r, &why), -1);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("%s: '%s' does not say '%s'", h, why, reason);
}

/* TS 24.109 A.3 table A.3-1 */
static void test_initial_request(void **state)
{
	(void)state;
	struct ub_request r;
	const char *why;
	assert_int_equal(check("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	                       "nonce=\"\", uri=\"/\", response=\"\"",
	                       &r, &why),
	                 0);
	assert_int_equal(r.kind, UB_INITIAL);
	/* before the challenge the UE may not know the realm */
	assert_int_equal(
	        check("Digest username=\"alice@ims.example\", realm=\"ims.example\"", &r, &why), 0);
	assert_int_equal(r.kind, UB_INITIAL);
	refused("Digest username=\"alice\", realm=\"x\", nonce=\"\"", "IMPI");
	refused("Digest username=\"a'b@ims.example\", realm=\"x\"", "IMPI");
	refused("Digest username=\"alice@ims.example\", realm=\"x\", nonce=\"\", response=\"ab\"",
	        "without a nonce");
	refused("Basic YWxpY2U6eA==", "not Digest");
}

static void test_answer(void **state)
{
	(void)state;
	struct ub_request r;
	const char *why;
	assert_int_equal(check(ANSWER(""), &r, &why), 0);
	assert_int_equal(r.kind, UB_ANSWER);
	assert_int_equal(r.c.nc.len, 8);
	/* quoted qop and a decimal nc without leading zeros (phones send both) */
	assert_int_equal(check("Digest username=\"alice@ims.example\", realm=\"BSF.ims.example\", "
	                       "nonce=\"3Gk8bA==\", uri=\"/\", qop=\"auth-int\", nc=1, "
	                       "cnonce=\"x\", algorithm=akav1-md5, "
	                       "response=\"3B17887FA1BC10C88312FB8C92F60227\"",
	                       &r, &why),
	                 0);
	assert_int_equal(r.kind, UB_ANSWER);
}

static void test_answer_refusals(void **state)
{
	(void)state;
	refused("Digest username=\"alice@ims.example\", realm=\"ims.example\", nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=00000001, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "realm");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8b\", "
	        "uri=\"/\", qop=auth-int, nc=00000001, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "nonce");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=00000001, cnonce=\"a\", algorithm=AKAv2-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "AKAv1-MD5");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=00000001, cnonce=\"a\", "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "AKAv1-MD5");
	/* TS 24.109 4.2: auth-int, not auth */
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth, nc=00000001, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "auth-int");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "qop=auth-int, nc=00000001, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "uri");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=0000000001, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "nc");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=xyz, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "nc");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=1, algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "cnonce");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=1, cnonce=\"a b\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f60227\"",
	        "cnonce");
	refused("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	        "nonce=\"3Gk8bA==\", "
	        "uri=\"/\", qop=auth-int, nc=1, cnonce=\"a\", algorithm=AKAv1-MD5, "
	        "response=\"3b17887fa1bc10c88312fb8c92f6022\"",
	        "response");
	refused(ANSWER(", auts=\"AAAA\""), "auts");
	refused(ANSWER(", auts=\"not base64!\""), "auts");
}

static void test_auts(void **state)
{
	(void)state;
	struct ub_request r;
	const char *why;
	/* 14 octets 0x00..0x0d */
	assert_int_equal(check(ANSWER(", auts=\"AAECAwQFBgcICQoLDA0=\""), &r, &why), 0);
	assert_int_equal(r.kind, UB_AUTS);
	for (int i = 0; i < AKA_AUTS_LEN; i++)
		assert_int_equal(r.auts[i], i);
}

static void test_auth_int_response(void **state)
{
	(void)state;
	struct ub_request r;
	const char *why;
	char out[33];
	assert_int_equal(check(ANSWER(""), &r, &why), 0);
	assert_int_equal(ub_response(&r.c, RES, 8, "GET", 3, (const uint8_t *)"", 0, out), 0);
	assert_string_equal(out, "3b17887fa1bc10c88312fb8c92f60227");
	assert_int_equal(ub_response_matches(&r.c, RES, 8, "GET", 3, (const uint8_t *)"", 0), 1);
	/* another RES, method or body: no match */
	uint8_t bad[8];
	memcpy(bad, RES, 8);
	bad[7] ^= 1;
	assert_int_equal(ub_response_matches(&r.c, bad, 8, "GET", 3, (const uint8_t *)"", 0), 0);
	assert_int_equal(ub_response_matches(&r.c, RES, 8, "PUT", 3, (const uint8_t *)"", 0), 0);
	assert_int_equal(ub_response_matches(&r.c, RES, 8, "GET", 3, (const uint8_t *)"x", 1), 0);
	/* the AUTS answer is over the empty password (RFC 3310 3.4); nc as the phone wrote it */
	assert_int_equal(check("Digest username=\"alice@ims.example\", realm=\"bsf.ims.example\", "
	                       "nonce=\"3Gk8bA==\", uri=\"/\", qop=auth-int, nc=1, "
	                       "cnonce=\"0a4f113b\", algorithm=AKAv1-MD5, "
	                       "response=\"552b5c87891e6807262762af649d39e2\", "
	                       "auts=\"AAECAwQFBgcICQoLDA0=\"",
	                       &r, &why),
	                 0);
	assert_int_equal(
	        ub_response_matches(&r.c, (const uint8_t *)"", 0, "GET", 3, (const uint8_t *)"", 0),
	        1);
}

static void test_rspauth(void **state)
{
	(void)state;
	struct ub_request r;
	const char *why;
	char out[33];
	assert_int_equal(check(ANSWER(""), &r, &why), 0);
	assert_int_equal(ub_rspauth(&r.c, RES, 8, (const uint8_t *)"<doc/>\n", 7, out), 0);
	assert_string_equal(out, "b598aed5f201a4fd88b984d1bdf35e85");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_initial_request),   cmocka_unit_test(test_answer),
	        cmocka_unit_test(test_answer_refusals),   cmocka_unit_test(test_auts),
	        cmocka_unit_test(test_auth_int_response), cmocka_unit_test(test_rspauth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
