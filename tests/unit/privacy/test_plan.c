/* privacy_apply()'s plan: which privacy can be given, 500 when critical privacy cannot
 * (RFC 3323 4.2, 5.1; RFC 3325 9.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "plan.h"

static struct priv_plan plan_of(const char *privacy, int is_request, int topology_hiding)
{
	struct priv_plan p;
	unsigned mask = 0;
	const char *why = NULL;
	int malformed = privacy && priv_parse(privacy, strlen(privacy), &mask, &why) != 0;
	priv_plan_make(mask, malformed, is_request, topology_hiding, &p);
	return p;
}

static void test_nothing_asked(void **state)
{
	(void)state;
	struct priv_plan p = plan_of(NULL, 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_NOTHING);
	assert_false(p.remove_pai || p.hide_headers || p.anonymize_from);
	p = plan_of("none", 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_NOTHING);
	assert_int_equal(p.mask, PRIV_NONE);
}

/* RFC 3325 9.3 */
static void test_id(void **state)
{
	(void)state;
	struct priv_plan p = plan_of("id", 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.remove_pai);
	assert_false(p.hide_headers || p.anonymize_from);
	assert_int_equal(p.unavailable, 0);
	p = plan_of("id;critical", 0, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.remove_pai);
}

/* RFC 3323 5.1: the headers go; Via and Record-Route only with topology hiding */
static void test_header(void **state)
{
	(void)state;
	struct priv_plan p = plan_of("header", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.hide_headers);
	assert_int_equal(p.unavailable, 0);
	p = plan_of("header", 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.hide_headers);
	assert_int_equal(p.unavailable, PRIV_HEADER);
	p = plan_of("header;critical", 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_REFUSE);
	assert_int_equal(p.unavailable, PRIV_HEADER);
	assert_false(p.hide_headers || p.remove_pai || p.anonymize_from);
	p = plan_of("header;critical", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
}

/* RFC 3323 4.1.1: the anonymous From, in requests only */
static void test_user(void **state)
{
	(void)state;
	struct priv_plan p = plan_of("user", 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.anonymize_from);
	assert_false(p.remove_pai || p.hide_headers);
	p = plan_of("user", 0, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_false(p.anonymize_from);
}

/* RFC 3323 5.1: a proxy cannot anonymize media */
static void test_session(void **state)
{
	(void)state;
	struct priv_plan p = plan_of("session", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_int_equal(p.unavailable, PRIV_SESSION);
	p = plan_of("id;session;critical", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_REFUSE);
	assert_int_equal(p.unavailable, PRIV_SESSION);
	assert_false(p.remove_pai);
}

/* RFC 3323 4.2: an unknown priv-value cannot be honoured either */
static void test_extension_and_critical(void **state)
{
	(void)state;
	struct priv_plan p = plan_of("id;x-mine", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_int_equal(p.unavailable, PRIV_OTHER);
	assert_true(p.remove_pai);
	p = plan_of("x-mine;critical", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_REFUSE);
	p = plan_of("id;header;user;session;critical", 1, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_REFUSE);
	assert_int_equal(p.unavailable, PRIV_SESSION | PRIV_HEADER);
	p = plan_of("id;header;user;critical", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.remove_pai && p.hide_headers && p.anonymize_from);
	assert_int_equal(p.unavailable, 0);
}

/* what the user wanted is unclear: id, header and user */
static void test_malformed(void **state)
{
	(void)state;
	struct priv_plan p = plan_of("none;id", 1, 1);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_true(p.remove_pai && p.hide_headers && p.anonymize_from);
	assert_int_equal(p.mask & (PRIV_ID | PRIV_HEADER | PRIV_USER),
	                 PRIV_ID | PRIV_HEADER | PRIV_USER);
	p = plan_of(";;", 0, 0);
	assert_int_equal(p.verdict, PRIV_PLAN_APPLY);
	assert_int_equal(p.unavailable, PRIV_HEADER);
	assert_false(p.anonymize_from);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nothing_asked), cmocka_unit_test(test_id),
	        cmocka_unit_test(test_header),        cmocka_unit_test(test_user),
	        cmocka_unit_test(test_session),       cmocka_unit_test(test_extension_and_critical),
	        cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
