/* Who completed AKA through which P-CSCF (authreg): protected re-registration, the asserted
 * IMPU's registration, expiry, replacement, bounds, and the lifetime a REGISTER asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "authreg.h"

#include "../checking_lock.h"
static const struct presec_store_ops ops = {malloc, free, lk, ulk, NULL};

#define PCSCF     "127.0.1.1"
#define OTHER     "127.0.1.8"
#define ALICE     "alice@ims.example"
#define ALICE_SET "sip:alice@ims.example,tel:+15550101,sip:alice.pseudo@ims.example"

static enum authreg_verdict find(struct authreg *ar, const char *impu, const char *peer, time_t now,
                                 char *impi)
{
	return authreg_find_impu(ar, impu, strlen(impu), peer, now, impi, AUTHREG_IMPI_MAX);
}

static void test_protected_reregistration_only_via_the_same_pcscf(void **state)
{
	(void)state;
	struct authreg *ar = authreg_new(&ops, 16, 100);
	assert_non_null(ar);
	/* never authenticated */
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 10), AUTHREG_UNKNOWN);
	assert_int_equal(authreg_set(ar, ALICE, PCSCF, ALICE_SET, 100), 0);
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 10), AUTHREG_OK);
	/* another P-CSCF, even a trusted one, never saw her AKA */
	assert_int_equal(authreg_check(ar, ALICE, OTHER, 10), AUTHREG_OTHER_PEER);
	/* an IMPI is compared exactly, and a prefix is not it */
	assert_int_equal(authreg_check(ar, "Alice@ims.example", PCSCF, 10), AUTHREG_UNKNOWN);
	assert_int_equal(authreg_check(ar, "alice@ims.exampl", PCSCF, 10), AUTHREG_UNKNOWN);
	/* once the registration expired, a full AKA is needed again */
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 100), AUTHREG_UNKNOWN);
	authreg_destroy(ar);
}

static void test_refresh_and_deregistration(void **state)
{
	(void)state;
	struct authreg *ar = authreg_new(&ops, 4, 100);
	assert_int_equal(authreg_set(ar, ALICE, PCSCF, ALICE_SET, 100), 0);
	assert_int_equal(authreg_refresh(ar, ALICE, OTHER, 50, 500), AUTHREG_OTHER_PEER);
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 100), AUTHREG_UNKNOWN); /* not moved */
	assert_int_equal(authreg_refresh(ar, ALICE, PCSCF, 50, 500), AUTHREG_OK);
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 499), AUTHREG_OK);
	/* an expired registration is not brought back by a refresh */
	assert_int_equal(authreg_refresh(ar, ALICE, PCSCF, 500, 900), AUTHREG_UNKNOWN);
	assert_int_equal(authreg_set(ar, ALICE, PCSCF, ALICE_SET, 1000), 0);
	assert_int_equal(authreg_remove(ar, ALICE), 0);
	assert_int_equal(authreg_remove(ar, ALICE), -1);
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 10), AUTHREG_UNKNOWN);
	char impi[AUTHREG_IMPI_MAX];
	assert_int_equal(find(ar, "tel:+15550101", PCSCF, 10, impi), AUTHREG_UNKNOWN);
	assert_int_equal(authreg_count(ar), 0);
	authreg_destroy(ar);
}

static void test_asserted_impu_of_the_implicit_set(void **state)
{
	(void)state;
	struct authreg *ar = authreg_new(&ops, 2, 100); /* few buckets: chains are walked */
	char impi[AUTHREG_IMPI_MAX];
	assert_int_equal(authreg_set(ar, ALICE, PCSCF, ALICE_SET, 100), 0);
	assert_int_equal(authreg_set(ar, "bob@ims.example", OTHER, "sip:bob@ims.example", 100), 0);
	/* RFC 3261 19.1.4 as the project compares identities (uri_id): case of scheme and host,
	 * escapes, a parameter only one side has */
	const char *alices[] = {"sip:alice@ims.example",        "tel:+15550101",
	                        "sip:alice.pseudo@ims.example", "SIP:alice@IMS.EXAMPLE",
	                        "sip:%61lice@ims.example",      "sip:alice@ims.example;x"};
	for (size_t i = 0; i < sizeof(alices) / sizeof(alices[0]); i++) {
		memset(impi, 0, sizeof(impi));
		assert_int_equal(find(ar, alices[i], PCSCF, 10, impi), AUTHREG_OK);
		assert_string_equal(impi, ALICE);
	}
	/* registered, but through the other P-CSCF */
	assert_int_equal(find(ar, "sip:bob@ims.example", PCSCF, 10, impi), AUTHREG_OTHER_PEER);
	assert_int_equal(find(ar, "sip:bob@ims.example", OTHER, 10, impi), AUTHREG_OK);
	/* not an IMPU of anyone: prefixes, suffixes and the IMPI itself */
	const char *nobody[] = {"sip:alice@ims.exampl",
	                        "sip:alice@ims.example:5070",
	                        "sip:Alice@ims.example",
	                        "sip:alice@ims.example;user=phone",
	                        "tel:+1555010",
	                        ALICE,
	                        "",
	                        "sip:carol@ims.example"};
	for (size_t i = 0; i < sizeof(nobody) / sizeof(nobody[0]); i++)
		assert_int_equal(find(ar, nobody[i], PCSCF, 10, impi), AUTHREG_UNKNOWN);
	/* the length counts, not a NUL */
	assert_int_equal(
	        authreg_find_impu(ar, "tel:+15550101xyz", 13, PCSCF, 10, impi, sizeof(impi)),
	        AUTHREG_OK);
	/* expired */
	assert_int_equal(find(ar, "tel:+15550101", PCSCF, 100, impi), AUTHREG_UNKNOWN);
	authreg_destroy(ar);
}

static void test_a_new_registration_replaces_the_old(void **state)
{
	(void)state;
	struct authreg *ar = authreg_new(&ops, 8, 100);
	char impi[AUTHREG_IMPI_MAX];
	assert_int_equal(authreg_set(ar, ALICE, PCSCF, ALICE_SET, 100), 0);
	/* her next AKA is via the other P-CSCF, with a smaller set */
	assert_int_equal(authreg_set(ar, ALICE, OTHER, "sip:alice@ims.example", 200), 0);
	assert_int_equal(authreg_count(ar), 1);
	assert_int_equal(authreg_check(ar, ALICE, PCSCF, 10), AUTHREG_OTHER_PEER);
	assert_int_equal(find(ar, "tel:+15550101", OTHER, 10, impi), AUTHREG_UNKNOWN);
	assert_int_equal(find(ar, "sip:alice@ims.example", OTHER, 150, impi), AUTHREG_OK);
	authreg_destroy(ar);
}

static void test_bounds_and_purge(void **state)
{
	(void)state;
	struct authreg *ar = authreg_new(&ops, 4, 3);
	char name[32], big[AUTHREG_IMPUS_MAX + 8];
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "u%d@ims.example", i);
		assert_int_equal(authreg_set(ar, name, PCSCF, "sip:x@ims.example", 10 + i), 0);
	}
	assert_int_equal(authreg_set(ar, "u9@ims.example", PCSCF, "sip:u9@ims.example", 50), -1);
	/* a failed replacement forgets the old registration: challenged, never wrongly taken */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(authreg_set(ar, "u0@ims.example", PCSCF, big, 50), -1);
	assert_int_equal(authreg_check(ar, "u0@ims.example", PCSCF, 1), AUTHREG_UNKNOWN);
	assert_int_equal(authreg_set(ar, "", PCSCF, "sip:x@ims.example", 50), -1);
	assert_int_equal(authreg_set(ar, "u5@ims.example",
	                             "0123456789012345678901234567890123456789"
	                             "0123456789",
	                             "sip:x@ims.example", 50),
	                 -1);
	assert_int_equal(authreg_count(ar), 2);
	assert_int_equal(authreg_purge(ar, 11), 1); /* u1 expired at 11 */
	assert_int_equal(authreg_count(ar), 1);
	assert_null(authreg_new(&ops, 6, 3));
	/* an empty set is a registration with no IMPU to assert */
	assert_int_equal(authreg_set(ar, "e@ims.example", PCSCF, ",,", 50), 0);
	assert_int_equal(find(ar, "", PCSCF, 1, name), AUTHREG_UNKNOWN);
	authreg_destroy(ar);
}

static void count_cb(const char *impi, const char *peer, const char *impus, time_t expires,
                     void *arg)
{
	assert_non_null(impi);
	assert_string_equal(peer, PCSCF);
	assert_string_equal(impus, ALICE_SET);
	assert_int_equal(expires, 100);
	(*(int *)arg)++;
}

static void test_foreach(void **state)
{
	(void)state;
	struct authreg *ar = authreg_new(&ops, 2, 10);
	assert_int_equal(authreg_set(ar, ALICE, PCSCF, ALICE_SET, 100), 0);
	assert_int_equal(authreg_set(ar, "a2@ims.example", PCSCF, ALICE_SET, 100), 0);
	int n = 0;
	authreg_foreach(ar, count_cb, &n);
	assert_int_equal(n, 2);
	authreg_destroy(ar);
}

static void test_lifetime(void **state)
{
	(void)state;
	long c[] = {-1, 600, 9000, 0};
	/* no expires anywhere: the default */
	assert_int_equal(authreg_lifetime(c, 1, 0, -1, 3600, 7200), 3600);
	/* the Expires header for a contact without its own */
	assert_int_equal(authreg_lifetime(c, 1, 0, 300, 3600, 7200), 300);
	/* the longest contact, capped */
	assert_int_equal(authreg_lifetime(c, 3, 0, 300, 3600, 7200), 7200);
	assert_int_equal(authreg_lifetime(c + 1, 1, 0, 0, 3600, 7200), 600);
	/* de-registration: every contact 0, or Contact: * */
	assert_int_equal(authreg_lifetime(c + 3, 1, 0, 600, 3600, 7200), 0);
	assert_int_equal(authreg_lifetime(c, 1, 0, 0, 3600, 7200), 0);
	assert_int_equal(authreg_lifetime(NULL, 0, 1, 0, 3600, 7200), 0);
	/* a query changes nothing */
	assert_int_equal(authreg_lifetime(NULL, 0, 0, 600, 3600, 7200), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_protected_reregistration_only_via_the_same_pcscf),
	        cmocka_unit_test(test_refresh_and_deregistration),
	        cmocka_unit_test(test_asserted_impu_of_the_implicit_set),
	        cmocka_unit_test(test_a_new_registration_replaces_the_old),
	        cmocka_unit_test(test_bounds_and_purge),
	        cmocka_unit_test(test_foreach),
	        cmocka_unit_test(test_lifetime),
	};
	return cmocka_run_group_tests_name("ims_aka/authreg", tests, NULL, NULL);
}
