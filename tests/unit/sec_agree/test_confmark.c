/* The confidentiality mark (TR 33.cde 4.5.2): written only for an SA whose negotiated ealg
 * encrypts, never for a Release 5 (no ealg) or integrity-only (ealg=null) one, and always in a
 * form the PS's check (presec/conf_mark.h) takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "confmark.h"
#include "negotiate.h"
#include "presec/conf_mark.h"

static const char *DEFAULT_POLICY = "hmac-sha-1-96/aes-cbc, hmac-md5-96/aes-cbc, "
                                    "hmac-sha-1-96/des-ede3-cbc, hmac-md5-96/des-ede3-cbc, "
                                    "hmac-sha-1-96/null, hmac-md5-96/null";

/* the ealg the P-CSCF negotiates for an offer under the default policy */
static enum sec_ealg negotiated(const char *client)
{
	struct sec_combo p[SEC_MAX_COMBOS];
	struct sec_list l;
	const char *why = NULL;
	unsigned combo, mech;
	int n = sec_policy_parse(DEFAULT_POLICY, p, SEC_MAX_COMBOS, &why);
	assert_true(n > 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(sec_parse(client, strlen(client), &l, NULL), SEC_OK);
	assert_int_equal(sec_choose(p, (unsigned)n, &l, &combo, &mech), 0);
	return p[combo].ealg;
}

static void test_encrypting_sas_are_marked_with_their_ealg(void **state)
{
	char h[64];
	(void)state;
	enum sec_ealg e =
	        negotiated("ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=1000;spi-s=1001;"
	                   "port-c=5060;port-s=5060");
	assert_int_equal(e, SEC_EALG_AES_CBC);
	int n = sec_confidential_header(e, h, sizeof(h));
	assert_int_equal(n, (int)strlen("P-Presec-Confidential: aes-cbc\r\n"));
	assert_string_equal(h, "P-Presec-Confidential: aes-cbc\r\n");
	assert_string_equal(sec_confidential_ealg(SEC_EALG_DES_EDE3_CBC), "des-ede3-cbc");
	/* what the P-CSCF writes, the PS takes */
	const enum sec_ealg enc[] = {SEC_EALG_AES_CBC, SEC_EALG_DES_EDE3_CBC};
	for (unsigned i = 0; i < 2; i++) {
		const char *name = sec_confidential_ealg(enc[i]);
		assert_true(presec_conf_ealg_known(name, strlen(name)));
	}
}

static void test_integrity_only_sas_are_not_marked(void **state)
{
	char h[64] = "untouched";
	(void)state;
	/* a Release 5 UE: no ealg at all; TS 33.203 7.2 reads it as null, and so does the
	 * negotiation (the policy's combination is integrity-only) */
	enum sec_ealg rel5 = negotiated(
	        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1000;spi-s=1001;port-c=5060;port-s=5060");
	assert_int_equal(rel5, SEC_EALG_NULL);
	assert_int_equal(sec_confidential_header(rel5, h, sizeof(h)), 0);
	assert_string_equal(h, "untouched");
	/* a Release 6 UE that offers integrity only */
	enum sec_ealg null =
	        negotiated("ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=1000;spi-s=1001;"
	                   "port-c=5060;port-s=5060");
	assert_int_equal(null, SEC_EALG_NULL);
	assert_int_equal(sec_confidential_header(null, h, sizeof(h)), 0);
	/* an algorithm nobody negotiated is no confidentiality either */
	assert_null(sec_confidential_ealg(SEC_EALG_OTHER));
	assert_null(sec_confidential_ealg(SEC_EALG_ABSENT));
	assert_null(sec_confidential_ealg(SEC_EALG_NULL));
	assert_null(sec_confidential_ealg((enum sec_ealg)42));
	/* "null" is what a Release 5 SA prints as: the PS never takes it as a mark */
	assert_false(presec_conf_ealg_known("null", 4));
	assert_false(presec_conf_ealg_known("aes-cbc ", 8));
	assert_false(presec_conf_ealg_known("", 0));
	assert_true(presec_conf_ealg_known("AES-CBC", 7));
}

static void test_a_short_buffer_is_refused(void **state)
{
	char h[16];
	(void)state;
	assert_int_equal(sec_confidential_header(SEC_EALG_AES_CBC, h, sizeof(h)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encrypting_sas_are_marked_with_their_ealg),
	        cmocka_unit_test(test_integrity_only_sas_are_not_marked),
	        cmocka_unit_test(test_a_short_buffer_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
