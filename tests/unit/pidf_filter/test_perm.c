/* The compact permission syntax (pidf_filter_body, RPC) and the union of permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "presec/pres_perm.h"

static void test_parse(void **state)
{
	struct pres_perm p;
	const char *why = NULL;
	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(perm_parse("all-services; person-id=p1 person-class=work device=mac:1 "
	                            "activities note user-input=thresholds user-input=bare "
	                            "unknown=urn:ietf:params:xml:ns:pidf:cipid#card",
	                            &p, &why),
	                 0);
	assert_true(p.services.all);
	assert_false(p.persons.all);
	assert_true(perm_list_has(&p.persons.occurrence_id, "p1"));
	assert_true(perm_list_has(&p.persons.class_, "work"));
	assert_true(perm_list_has(&p.devices.device_id, "mac:1"));
	assert_true(p.activities && p.note && !p.mood);
	assert_int_equal(p.user_input, UI_THRESHOLDS); /* the larger of the two */
	assert_int_equal(p.unknown.n, 1);
	assert_string_equal(p.unknown.e[0].ns, "urn:ietf:params:xml:ns:pidf:cipid");
	assert_string_equal(p.unknown.e[0].name, "card");
	assert_int_equal(perm_parse("", &p, &why), 0);
	const char *bad[] = {"moods",      "user-input=some", "unknown=nohash",
	                     "unknown=#x", "service-uri=",    "provide-note"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(perm_parse(bad[i], &p, &why), -1);
		assert_non_null(why);
	}
}

static void test_union(void **state)
{
	struct pres_perm a, b;
	const char *why;
	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	perm_parse("service-scheme=sip mood user-input=bare unknown=x#y", &a, &why);
	perm_parse("service-scheme=sip service-scheme=im note user-input=full unknown=x#y", &b,
	           &why);
	assert_int_equal(perm_union(&a, &b), 0);
	assert_int_equal(a.services.service_uri_scheme.n, 2);
	assert_true(a.mood && a.note);
	assert_int_equal(a.user_input, UI_FULL);
	assert_int_equal(a.unknown.n, 1);
	/* a list that would overflow keeps what fits and says so */
	memset(&b, 0, sizeof(b));
	char w[32];
	for (int i = 0; i < PERM_LIST_MAX; i++) {
		snprintf(w, sizeof(w), "service-id=t%d", i);
		assert_int_equal(perm_parse(w, &b, &why), 0);
	}
	assert_int_equal(perm_parse("service-id=one-too-many", &b, &why), -1);
	memset(&a, 0, sizeof(a));
	perm_parse("service-id=other", &a, &why);
	assert_int_equal(perm_union(&a, &b), -1);
	assert_int_equal(a.services.occurrence_id.n, PERM_LIST_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_union),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
