/* The sec-agree option tag in Require, Proxy-Require and Supported (RFC 3329 2.3.1): found in
 * any case and spacing, and taken out of the list the P-CSCF forwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "sechdr.h"

#define HAVE(s) sec_tags_have_agree(s, strlen(s))

static void test_have_agree(void **state)
{
	(void)state;
	assert_int_equal(HAVE("sec-agree"), 1);
	assert_int_equal(HAVE("path, Sec-Agree"), 1);
	assert_int_equal(HAVE(" ,precondition,\tSEC-AGREE \r\n"), 1);
	assert_int_equal(HAVE(""), 0);
	assert_int_equal(HAVE(",,  ,"), 0);
	assert_int_equal(HAVE("sec-agreement, x-sec-agree"), 0);
	/* RFC 3261 7.3.1: a folded header; the CRLF stays in Kamailio's header body */
	assert_int_equal(HAVE("path,\r\n sec-agree"), 1);
	assert_int_equal(HAVE("path\r\n\t,\r\n  sec-agree\r\n"), 1);
	assert_int_equal(HAVE("sec-agre"), 0);
	assert_int_equal(HAVE("sec-agree2"), 0);
	/* not NUL-terminated: only the n octets count */
	assert_int_equal(sec_tags_have_agree("path, sec-agree", 6), 0);
	assert_int_equal(sec_tags_have_agree("sec-agree, path", 9), 1);
}

static int without(const char *s, char *out, size_t outsz)
{
	int n = sec_tags_without_agree(s, strlen(s), out, outsz);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

static void test_without_agree(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(without("sec-agree", out, sizeof(out)), 0);
	assert_int_equal(without(" Sec-Agree , ,", out, sizeof(out)), 0);
	assert_int_equal(without("path, sec-agree, precondition", out, sizeof(out)), 18);
	assert_string_equal(out, "path, precondition");
	assert_int_equal(without("sec-agree,path\t,,  100rel ", out, sizeof(out)), 12);
	assert_string_equal(out, "path, 100rel");
	assert_int_equal(without("path,\r\n sec-agree", out, sizeof(out)), 4);
	assert_string_equal(out, "path");
	assert_int_equal(without("x-sec-agree", out, sizeof(out)), 11);
	assert_string_equal(out, "x-sec-agree");
}

static void test_without_is_bounded(void **state)
{
	(void)state;
	char out[16];
	/* "path, 100rel" and its room for the separator fit; one more tag does not */
	assert_int_equal(without("path, 100rel", out, sizeof(out)), 12);
	assert_int_equal(without("path, 100rel, timer", out, sizeof(out)), -1);
	assert_int_equal(sec_tags_without_agree("precondition", 12, out, 12), -1);
	assert_int_equal(sec_tags_without_agree("precondition", 12, out, 15), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_have_agree),
	        cmocka_unit_test(test_without_agree),
	        cmocka_unit_test(test_without_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
