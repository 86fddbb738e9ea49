/* One normalised identity (uri_id.h): RFC 3261 19.1.4 comparison of SIP URIs, RFC 3966 of tel
 * URIs, and what the PS makes of the tricks of issue #16 (the case of a domain, escapes, ports
 * and parameters, sips:, tel: and user=phone). Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "uri_id.h"

static struct uri_id parsed(const char *s)
{
	struct uri_id id;
	const char *why = NULL;
	if (uri_id_parse(s, strlen(s), &id, &why) != 0)
		fail_msg("%s: %s", s, why);
	return id;
}

static void test_rfc3261_equal_pairs(void **state)
{
	(void)state;
	/* RFC 3261 19.1.4's own examples of equal URIs, and the issue's variants */
	const char *same[][2] = {
	        {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"},
	        {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"},
	        {"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"},
	        {"sip:bob@ims.example", "sip:bob@IMS.EXAMPLE"},
	        {"sip:bob@ims.example", "SIP:bob@Ims.Example"},
	        {"sip:bob@ims.example", "sip:%62ob@ims.example"},
	        {"sip:bob@ims.example", "sip:%62%6F%62@ims.example"},
	        {"sip:bob@ims.example", "sip:bob@%69ms.example"},
	        {"sip:bob@ims.example", "sip:bob@ims%2Eexample"},
	        {"sip:bob@ims.example", "sips:bob@ims.example"},
	        {"sip:bob@ims.example", "pres:bob@ims.example"},
	        {"sip:bob@ims.example", "sip:bob@ims.example;lr"},
	        {"sip:bob@ims.example:5070", "sip:bob@IMS.example:5070"},
	        {"sip:+1-555-0100@ims.example;user=phone", "sip:+15550100@ims.example;user=phone"},
	        {"sip:+1(555)0100@ims.example;user=phone",
	         "sip:+1.555.0100@ims.example;user=PHONE"},
	        {"tel:+1-555-0100", "tel:+15550100"},
	        {"tel:+1-555-0100;ext=12", "TEL:+1555.0100;EXT=12"},
	        {"tel:7042;phone-context=ims.example", "tel:70-42;Phone-Context=IMS.example"},
	        {"sip:a%3bb@ims.example", "sip:a%3Bb@ims.example"},
	};
	for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct uri_id a = parsed(same[i][0]), b = parsed(same[i][1]);
		if (!uri_id_equal(&a, &b) || !uri_id_equal(&b, &a))
			fail_msg("%s and %s should be the same identity", same[i][0], same[i][1]);
		assert_true(uri_id_same(same[i][0], same[i][1]));
	}
}

static void test_rfc3261_different_pairs(void **state)
{
	(void)state;
	const char *differ[][2] = {
	        /* the user part keeps its case */
	        {"sip:bob@ims.example", "sip:Bob@ims.example"},
	        {"sip:bob@ims.example", "sip:BOB@ims.example"},
	        {"sip:bob@ims.example", "sip:%42ob@ims.example"},
	        /* RFC 3261 19.1.4: a port, and user, ttl, method, maddr, count when in either */
	        {"sip:bob@ims.example", "sip:bob@ims.example:5060"},
	        {"sip:bob@ims.example:5060", "sip:bob@ims.example:5070"},
	        {"sip:bob@ims.example", "sip:bob@ims.example;user=phone"},
	        {"sip:bob@ims.example", "sip:bob@ims.example;user=ip"},
	        {"sip:bob@ims.example", "sip:bob@ims.example;maddr=127.0.2.9"},
	        {"sip:bob@ims.example", "sip:bob@ims.example;method=INVITE"},
	        {"sip:bob@ims.example", "sip:bob@ims.example;ttl=1"},
	        /* other parameters count when both have them */
	        {"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"},
	        {"sip:bob@ims.example;transport=tcp", "sip:bob@ims.example;transport=udp"},
	        /* a reserved character differs from its escape */
	        {"sip:a;b@ims.example", "sip:a%3Bb@ims.example"},
	        /* hosts, schemes */
	        {"sip:bob@ims.example", "sip:bob@ims.example.evil"},
	        {"sip:bob@ims.example", "sip:bob@127.0.1.2"},
	        {"sip:bob@ims.example", "sip:bob@ims.example."},
	        {"sip:bob@ims.example", "sip:ims.example"},
	        {"sip:+15550100@ims.example;user=phone", "tel:+15550100"},
	        {"tel:+15550100", "tel:+15550101"},
	        {"tel:+15550100", "tel:+15550100;ext=1"},
	        {"tel:7042;phone-context=ims.example", "tel:7042;phone-context=visited.example"},
	        {"tel:+15550100", "sip:+15550100@ims.example"},
	};
	for (unsigned i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		struct uri_id a = parsed(differ[i][0]), b = parsed(differ[i][1]);
		if (uri_id_equal(&a, &b) || uri_id_equal(&b, &a))
			fail_msg("%s and %s should differ", differ[i][0], differ[i][1]);
		assert_false(uri_id_same(differ[i][0], differ[i][1]));
	}
}

static void test_what_is_not_an_identity(void **state)
{
	(void)state;
	const char *bad[] = {
	        "",
	        "bob@ims.example",
	        "http://ims.example/bob",
	        "mailto:bob@ims.example",
	        "sip:",
	        "sip:@ims.example",
	        "sip:bob:secret@ims.example",             /* a password */
	        "sip:bob@ims.example?subject=x",          /* header components */
	        "sip:bob@ims.example;lr?x=y",             /* the same after a parameter */
	        "sip:bob@",                               /* no host */
	        "sip:bob@ims example",                    /* a space */
	        "sip:bob@ims.example:",                   /* an empty port */
	        "sip:bob@ims.example:0",                  /* port 0 */
	        "sip:bob@ims.example:99999",              /* out of range */
	        "sip:bob@ims.example:50x",                /* not a number */
	        "sip:b%6@ims.example",                    /* a broken escape */
	        "sip:b%zzob@ims.example",                 /* not hex */
	        "sip:bob@ims%2",                          /* a broken escape in the host */
	        "sip:bob@ims%2Fexample",                  /* '/' is not in a host name */
	        "sip:bob@ims%40evil.example",             /* nor '@' */
	        "sip:b<o>b@ims.example",                  /* not in the user part */
	        "sip:bob@ims.example@evil.example",       /* two '@' */
	        "sip:bob@ims.example;user=phone;user=ip", /* a parameter twice */
	        "sip:bob@ims.example;x=1;x=2",
	        "sip:bob@ims.example;;lr", /* an empty parameter */
	        "sip:bob@ims.example;=x",
	        "sip:bob@ims.example;user=", /* a compared parameter without value */
	        "sip:bob@[::1",              /* IPv6 without ']' */
	        "sip:bob@[fe80::1%25eth0]",  /* a zone */
	        "tel:",
	        "tel:+",
	        "tel:+1-555-abc", /* a global number has digits only */
	        "tel:+15550100?x=y",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct uri_id id;
		const char *why = NULL;
		if (uri_id_parse(bad[i], strlen(bad[i]), &id, &why) == 0)
			fail_msg("'%s' should not be an identity", bad[i]);
		assert_non_null(why);
		assert_false(uri_id_same(bad[i], bad[i]));
	}
	/* a NUL inside the given length is refused, not cut */
	struct uri_id id;
	const char *why = NULL;
	assert_int_equal(uri_id_parse("sip:bob\0x@ims.example", 21, &id, &why), -1);
	/* too long: a user part of escapes past the buffer */
	char longuser[1200] = "sip:";
	for (unsigned i = 0; i < 300; i++)
		strcat(longuser, "%20");
	strcat(longuser, "@ims.example");
	assert_int_equal(uri_id_parse(longuser, strlen(longuser), &id, &why), -1);
}

static void test_the_canonical_form(void **state)
{
	char aor[300], user[300];
	(void)state;
	const char *cases[][3] = {
	        /* input, address-of-record, the user decoded */
	        {"sip:%62ob@IMS.EXAMPLE", "sip:bob@ims.example", "bob"},
	        {"SIPS:bob@Ims.Example:5061;transport=tls", "sip:bob@ims.example", "bob"},
	        {"sip:b%20b@ims.example", "sip:b%20b@ims.example", "b b"},
	        {"sip:a%3bb@ims.example", "sip:a%3Bb@ims.example", "a;b"},
	        {"sip:a;b@ims.example", "sip:a;b@ims.example", "a;b"},
	        {"sip:mallory%40ims.example@ims.example", "sip:mallory%40ims.example@ims.example",
	         "mallory@ims.example"},
	        {"sip:o'neil@ims.example", "sip:o'neil@ims.example", "o'neil"},
	        {"sip:+1-555-0100@ims.example;user=phone", "sip:+15550100@ims.example",
	         "+15550100"},
	        {"tel:+1-555-0100", "tel:+15550100", "+15550100"},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct uri_id id = parsed(cases[i][0]);
		assert_true(uri_id_aor(&id, aor, sizeof(aor)) > 0);
		assert_string_equal(aor, cases[i][1]);
		assert_true(uri_id_user_decoded(&id, user, sizeof(user)) >= 0);
		assert_string_equal(user, cases[i][2]);
		/* the canonical form is a fixed point */
		struct uri_id again = parsed(aor);
		char aor2[300];
		assert_true(uri_id_aor(&again, aor2, sizeof(aor2)) > 0);
		assert_string_equal(aor, aor2);
	}
	/* %00 decodes to a NUL: no user name can be compared with it */
	struct uri_id z = parsed("sip:bo%00b@ims.example");
	assert_int_equal(uri_id_user_decoded(&z, user, sizeof(user)), -1);
	/* no user part: no address-of-record */
	struct uri_id host = parsed("sip:ims.example");
	assert_int_equal(uri_id_aor(&host, aor, sizeof(aor)), -1);
	/* too small a buffer */
	struct uri_id bob = parsed("sip:bob@ims.example");
	assert_int_equal(uri_id_aor(&bob, aor, 8), -1);
	assert_int_equal(uri_id_user_decoded(&bob, user, 3), -1);
}

static void test_domains(void **state)
{
	(void)state;
	struct uri_id bob = parsed("sip:bob@IMS.example"), tel = parsed("tel:+15550100"),
	              host = parsed("sip:ims.example"), esc = parsed("sip:bob@%49MS.example"),
	              port = parsed("sip:bob@ims.example:5070");
	assert_true(uri_id_in_domain(&bob, "ims.example"));
	assert_true(uri_id_in_domain(&bob, "IMS.EXAMPLE"));
	assert_true(uri_id_in_domain(&esc, "ims.example"));
	/* the host decides, whatever the port */
	assert_true(uri_id_in_domain(&port, "ims.example"));
	assert_false(uri_id_in_domain(&bob, "visited.example"));
	assert_false(uri_id_in_domain(&bob, ""));
	assert_false(uri_id_in_domain(&tel, "ims.example"));
	assert_false(uri_id_in_domain(&host, "ims.example"));
	assert_true(uri_id_in_domains(&bob, "visited.example, ims.example"));
	assert_true(uri_id_in_domains(&bob, "IMS.EXAMPLE"));
	assert_false(uri_id_in_domains(&bob, "ims.exampl ims.example.org"));
	assert_false(uri_id_in_domains(&bob, ""));
	assert_false(uri_id_in_domains(&tel, "ims.example"));
}

/* an implicit registration set as ims_aka reads it: the IMPU is one of the list, compared as
 * identities */
static void test_in_a_list(void **state)
{
	(void)state;
	const char *set = "sip:alice@ims.example,tel:+1-555-0100,sip:alice.work@ims.example";
	assert_true(uri_id_in_list("sip:alice@IMS.EXAMPLE", set));
	assert_true(uri_id_in_list("sip:%61lice@ims.example", set));
	assert_true(uri_id_in_list("tel:+15550100", set));
	assert_true(uri_id_in_list("sip:alice.work@ims.example", set));
	assert_false(uri_id_in_list("sip:Alice@ims.example", set));
	assert_false(uri_id_in_list("sip:alice@ims.example.evil", set));
	assert_false(uri_id_in_list("sip:alice@ims.example,sip:x@y", "sip:x@y"));
	assert_false(uri_id_in_list("sip:alice@ims.example", ""));
	assert_false(uri_id_in_list("sip:alice@ims.example", ",,not a uri,"));
	assert_false(uri_id_in_list(NULL, set));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc3261_equal_pairs),
	        cmocka_unit_test(test_rfc3261_different_pairs),
	        cmocka_unit_test(test_what_is_not_an_identity),
	        cmocka_unit_test(test_the_canonical_form),
	        cmocka_unit_test(test_domains),
	        cmocka_unit_test(test_in_a_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
