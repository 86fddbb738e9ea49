/* GBA at a NAF (TS 24.109 5.2, TS 33.222 5.3): the GBA credentials, the NAF_Id with the Ua
 * security protocol identifier of TS 33.220 Annex H, and the asserted identity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "ua.h"

#define NAF  "xcap.ims.example"
#define BTID "3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example"

static int creds(const char *h, struct digest_cred *c, const char **why)
{
	*why = NULL;
	return ua_gba_credentials(h, strlen(h), NAF, c, why);
}

static void test_gba_credentials(void **state)
{
	(void)state;
	struct digest_cred c;
	const char *why;
	assert_int_equal(creds("Digest username=\"" BTID "\", realm=\"3GPP-bootstrapping@" NAF
	                       "\", nonce=\"abc\", uri=\"/x\", qop=auth, nc=00000001, "
	                       "cnonce=\"c\", response=\"0123456789abcdef0123456789abcdef\"",
	                       &c, &why),
	                 UA_OK);
	assert_int_equal(c.username.len, strlen(BTID));
	/* AOSP: a trailing ';' in the realm, and the realm's case */
	assert_int_equal(creds("Digest username=\"" BTID "\", realm=\"3gpp-bootstrapping@XCAP.ims."
	                       "example;\", nonce=\"abc\", uri=\"/x\", response=\"\"",
	                       &c, &why),
	                 UA_OK);
	assert_int_equal(c.realm.len, sizeof("3GPP-bootstrapping@" NAF ";") - 1);
	/* another realm (the Ut password's) is not GBA's business */
	assert_int_equal(creds("Digest username=\"alice\", realm=\"ims.example\", nonce=\"a\", "
	                       "uri=\"/x\", response=\"\"",
	                       &c, &why),
	                 UA_NOT_GBA);
	/* another NAF's realm neither */
	assert_int_equal(creds("Digest username=\"" BTID "\", realm=\"3GPP-bootstrapping@ap.ims."
	                       "example\", nonce=\"abc\", uri=\"/x\", response=\"\"",
	                       &c, &why),
	                 UA_NOT_GBA);
	assert_int_equal(creds("Digest username=\"" BTID "\", realm=\"3GPP-bootstrapping@" NAF
	                       ";;\", nonce=\"abc\", uri=\"/x\", response=\"\"",
	                       &c, &why),
	                 UA_NOT_GBA);
	assert_int_equal(creds("Basic YTpi", &c, &why), UA_NOT_GBA);
	/* the GBA realm with a username that is no B-TID */
	assert_int_equal(
	        creds("Digest username=\"alice@ims.example\", realm=\"3GPP-bootstrapping@" NAF
	              "\", nonce=\"abc\", uri=\"/x\", response=\"\"",
	              &c, &why),
	        UA_BAD);
	assert_string_equal(why, "username is not a B-TID");
	assert_int_equal(creds("Digest username=\"" BTID "\", realm=\"3GPP-bootstrapping@" NAF
	                       "\", nonce=\"a\\\"b\"",
	                       &c, &why),
	                 UA_BAD);
}

static void test_cipher_suite_ids(void **state)
{
	(void)state;
	uint16_t id = 0;
	assert_int_equal(ua_cipher_suite_id("ECDHE-RSA-AES128-GCM-SHA256", &id), 0);
	assert_int_equal(id, 0xc02f);
	assert_int_equal(ua_cipher_suite_id("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", &id), 0);
	assert_int_equal(id, 0xc030);
	assert_int_equal(ua_cipher_suite_id("TLS_AES_256_GCM_SHA384", &id), 0);
	assert_int_equal(id, 0x1302);
	assert_int_equal(ua_cipher_suite_id("TLS_AES_128_GCM_SHA256", &id), 0);
	assert_int_equal(id, 0x1301);
	assert_int_equal(ua_cipher_suite_id("NO-SUCH-SUITE", &id), -1);
	assert_int_equal(ua_cipher_suite_id("", &id), -1);
}

static void test_naf_id(void **state)
{
	(void)state;
	uint8_t out[GBA_NAF_ID_MAX];
	const uint8_t tls[] = {0x01, 0x00, 0x01, 0xc0, 0x2f},
	              http[] = {0x01, 0x00, 0x00, 0x00, 0x02};
	assert_int_equal(ua_naf_id(NAF, "ECDHE-RSA-AES128-GCM-SHA256", out, sizeof(out)), 21);
	assert_memory_equal(out, NAF, 16);
	assert_memory_equal(out + 16, tls, 5);
	assert_int_equal(ua_naf_id(NAF, "", out, sizeof(out)), 21);
	assert_memory_equal(out + 16, http, 5);
	assert_int_equal(ua_naf_id(NAF, NULL, out, sizeof(out)), 21);
	assert_int_equal(ua_naf_id(NAF, "NO-SUCH-SUITE", out, sizeof(out)), -1);
	assert_int_equal(ua_naf_id("xcap ims", "", out, sizeof(out)), -1);
}

static void identity(const char *intended, const char *want)
{
	char out[UA_IMPU_MAX];
	const char *why = NULL;
	const char *impus = "sip:alice@ims.example,tel:+15550200,sip:alice.work@ims.example";
	int rc = ua_asserted_identity(intended, intended ? strlen(intended) : 0, impus, out,
	                              sizeof(out), &why);
	if (want) {
		if (rc != 0)
			fail_msg("%s refused: %s", intended, why);
		assert_string_equal(out, want);
	} else {
		if (rc == 0)
			fail_msg("%s accepted as %s", intended, out);
		assert_non_null(why);
	}
}

static void test_asserted_identity(void **state)
{
	(void)state;
	identity(NULL, "sip:alice@ims.example");
	identity("", "sip:alice@ims.example");
	identity("  ", "sip:alice@ims.example");
	identity("sip:alice.work@ims.example", "sip:alice.work@ims.example");
	/* as phones write it */
	identity("\"sip:alice.work@ims.example\"", "sip:alice.work@ims.example");
	identity("<sip:alice.work@ims.example>", "sip:alice.work@ims.example");
	identity("\"<tel:+15550200>\"", "tel:+15550200");
	/* scheme and host without case, the user part with it (RFC 3261 19.1.4) */
	identity("SIP:alice@IMS.Example", "sip:alice@ims.example");
	identity("sip:%61lice@ims.example", "sip:alice@ims.example");
	identity("tel:+1-555-0200", "tel:+15550200");
	identity("sip:Alice@ims.example", NULL);
	/* another user's, or something like it */
	identity("sip:bob@ims.example", NULL);
	identity("sip:alice@ims.example.evil", NULL);
	identity("sip:alice@ims.exampl", NULL);
	identity("tel:+15550201", NULL);
	identity("sip:alice@ims.example,sip:bob@ims.example", NULL);
	identity("\"sip:alice@ims.example", NULL);
	identity("alice", NULL);
	char out[UA_IMPU_MAX];
	const char *why;
	assert_int_equal(ua_asserted_identity("", 0, "", out, sizeof(out), &why), -1);
	assert_int_equal(ua_asserted_identity("", 0, "sip:alice@ims.example", out, 10, &why), -1);
}

/* sql/010's per-user methods and the unlisted_methods parameter */
static void test_method_listed(void **state)
{
	(void)state;
	assert_int_equal(ua_method_listed("gba,password", "gba"), 1);
	assert_int_equal(ua_method_listed("gba,password", "password"), 1);
	assert_int_equal(ua_method_listed("{gba,password}", "password"), 1);
	assert_int_equal(ua_method_listed(" { gba , password } ", "gba"), 1);
	assert_int_equal(ua_method_listed("{gba}", "password"), 0);
	assert_int_equal(ua_method_listed("password", "gba"), 0);
	/* whole tokens only */
	assert_int_equal(ua_method_listed("gbax,pass", "gba"), 0);
	assert_int_equal(ua_method_listed("gba", "gb"), 0);
	assert_int_equal(ua_method_listed("gba", ""), 0);
	assert_int_equal(ua_method_listed("gba", NULL), 0);
	/* nothing listed */
	assert_int_equal(ua_method_listed("", "gba"), 0);
	assert_int_equal(ua_method_listed("{}", "gba"), 0);
	assert_int_equal(ua_method_listed("  ", "gba"), 0);
	/* not a list: allows nothing */
	assert_int_equal(ua_method_listed(NULL, "gba"), -1);
	assert_int_equal(ua_method_listed("gba,,password", "gba"), -1);
	assert_int_equal(ua_method_listed("gba,", "gba"), -1);
	assert_int_equal(ua_method_listed(",gba", "gba"), -1);
	assert_int_equal(ua_method_listed("{gba", "gba"), -1);
	assert_int_equal(ua_method_listed("gba}", "gba"), -1);
	assert_int_equal(ua_method_listed("{", "gba"), -1);
	assert_int_equal(ua_method_listed("\"gba\"", "gba"), -1);
	assert_int_equal(ua_method_listed("gba password", "gba"), -1);
	assert_int_equal(ua_method_listed("GBA", "gba"), -1);
}

/* what a proxy's peer_header may put into a log line */
static void test_address_text(void **state)
{
	(void)state;
	assert_int_equal(ua_is_address_text("127.0.2.31", 10), 1);
	assert_int_equal(ua_is_address_text("2001:db8::1", 11), 1);
	assert_int_equal(ua_is_address_text("::ffff:192.0.2.1", 16), 1);
	assert_int_equal(ua_is_address_text("127.0.2.31 refused", 18), 0);
	assert_int_equal(ua_is_address_text("127.0.2.31\n", 11), 0);
	assert_int_equal(ua_is_address_text("evil.example", 12), 0);
	assert_int_equal(ua_is_address_text("", 0), 0);
	assert_int_equal(ua_is_address_text(NULL, 3), 0);
	assert_int_equal(ua_is_address_text("1111:2222:3333:4444:5555:6666:7777:8888:9999", 44), 1);
	assert_int_equal(ua_is_address_text("1111:2222:3333:4444:5555:6666:7777:8888:99999", 45),
	                 1);
	assert_int_equal(ua_is_address_text("1111:2222:3333:4444:5555:6666:7777:8888:999999", 46),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gba_credentials), cmocka_unit_test(test_cipher_suite_ids),
	        cmocka_unit_test(test_naf_id),          cmocka_unit_test(test_asserted_identity),
	        cmocka_unit_test(test_method_listed),   cmocka_unit_test(test_address_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
