/* RFC 3323 Privacy, RFC 3325 P-Asserted-Identity / P-Preferred-Identity, the anonymous From, the
 * trust domain and the registration table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "privhdr.h"
#include "regstore.h"
#include "trust.h"

static int priv(const char *s, unsigned *m)
{
	const char *why = NULL;
	*m = 0;
	int rc = priv_parse(s, strlen(s), m, &why);
	if (rc != 0)
		assert_non_null(why);
	return rc;
}

static void test_priv_values(void **state)
{
	unsigned m;
	(void)state;
	assert_int_equal(priv("id", &m), 0);
	assert_int_equal(m, PRIV_ID);
	assert_int_equal(priv(" header ; Session;user;ID ;critical", &m), 0);
	assert_int_equal(m, PRIV_HEADER | PRIV_SESSION | PRIV_USER | PRIV_ID | PRIV_CRITICAL);
	assert_int_equal(priv("none", &m), 0);
	assert_int_equal(m, PRIV_NONE);
	assert_int_equal(priv("history;id", &m), 0); /* an extension token */
	assert_int_equal(m, PRIV_OTHER | PRIV_ID);
	/* RFC 3323 4.2: none alone; and a list is separated by ';' */
	assert_int_equal(priv("none;id", &m), -1);
	assert_int_equal(priv("id,header", &m), -1);
	assert_int_equal(priv("", &m), -1);
	assert_int_equal(priv("id;", &m), -1);
	assert_int_equal(priv("i\"d", &m), -1);
	/* several headers add up */
	m = 0;
	const char *why;
	assert_int_equal(priv_parse("id", 2, &m, &why), 0);
	assert_int_equal(priv_parse("user", 4, &m, &why), 0);
	assert_int_equal(m, PRIV_ID | PRIV_USER);
}

static void test_identities(void **state)
{
	struct ident_list l;
	const char *why = NULL;
	(void)state;
	memset(&l, 0, sizeof(l));
	const char *pai = "\"Alice, \\\"A\\\"\" <sip:alice@ims.example;user=phone>, tel:+15550001";
	assert_int_equal(ident_parse(pai, strlen(pai), &l, &why), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.id[0].uri, "sip:alice@ims.example;user=phone");
	assert_false(l.id[0].is_tel);
	assert_string_equal(l.id[1].uri, "tel:+15550001");
	assert_true(l.id[1].is_tel);
	/* RFC 3325 9.1: one of each kind, two at most; sip, sips or tel only */
	const char *bad[] = {
	        "<sip:a@x>, <sips:b@x>",
	        "<tel:+1>, <tel:+2>",
	        "<http://x>",
	        "<sip:a@x",
	        "sip:a@x;tag=1",
	        "\"unterminated <sip:a@x>",
	        "<sip:a@x> junk",
	        "",
	        "<>",
	        "<sip:a b@x>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ident_list t;
		memset(&t, 0, sizeof(t));
		why = NULL;
		assert_int_equal(ident_parse(bad[i], strlen(bad[i]), &t, &why), -1);
		assert_non_null(why);
		assert_int_equal(t.n, 0);
	}
	/* a third identity over two headers */
	assert_int_equal(ident_parse("<sip:c@x>", 9, &l, &why), -1);
	assert_int_equal(l.n, 2);
}

static void test_anonymous_from_keeps_the_tag(void **state)
{
	char out[256];
	(void)state;
	const char *f = "\"Alice ;tag=fake\" <sip:alice@ims.example;tag=inner>;tag=abc-123.x;x=y";
	assert_true(priv_anonymous_from(f, strlen(f), out, sizeof(out)) > 0);
	assert_string_equal(out, "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=abc-123.x");
	assert_true(priv_anonymous_from("<sip:a@b>", 9, out, sizeof(out)) > 0);
	assert_string_equal(out, "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	assert_int_equal(priv_anonymous_from(f, strlen(f), out, 20), -1);
}

static void test_associated_uris(void **state)
{
	char out[4][IDENT_URI_MAX];
	const char *why = NULL;
	(void)state;
	const char *pau = "<sip:alice@ims.example>, <tel:+15550001>;x=1, \"P\" "
	                  "<sip:alice.pseudo@ims.example>";
	assert_int_equal(uri_list_parse(pau, strlen(pau), out, 4, &why), 3);
	assert_string_equal(out[0], "sip:alice@ims.example");
	assert_string_equal(out[1], "tel:+15550001");
	assert_string_equal(out[2], "sip:alice.pseudo@ims.example");
	assert_int_equal(uri_list_parse(pau, strlen(pau), out, 2, &why), 2);
	assert_int_equal(uri_list_parse("<ftp://x>", 9, out, 4, &why), -1);
}

static void test_trust_domain(void **state)
{
	struct trust_list t;
	const char *why = NULL;
	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(
	        trust_parse("127.0.1.0/24, 10.9.0.1 2001:db8::/32;scscf.ims.example", &t, &why), 0);
	assert_int_equal(t.n, 4);
	assert_true(trust_match(&t, "127.0.1.200"));
	assert_false(trust_match(&t, "127.0.2.1"));
	assert_true(trust_match(&t, "10.9.0.1"));
	assert_false(trust_match(&t, "10.9.0.2"));
	assert_true(trust_match(&t, "2001:db8:1::5"));
	assert_true(trust_match(&t, "[2001:db8::1]"));
	assert_false(trust_match(&t, "2001:db9::1"));
	assert_true(trust_match(&t, "SCSCF.ims.example"));
	assert_false(trust_match(&t, "ims.example"));
	const char *bad[] = {"10.0.0.0/33", "10.0.0.0/", "bad_name", "/8", "::1/129"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trust_list u;
		memset(&u, 0, sizeof(u));
		assert_int_equal(trust_parse(bad[i], &u, &why), -1);
	}
	memset(&t, 0, sizeof(t));
	assert_int_equal(trust_parse("10.0.0.0/0", &t, &why), 0);
	assert_true(trust_match(&t, "192.0.2.1")); /* /0 trusts every IPv4 peer */
	assert_false(trust_match(&t, "::1"));
}

static void nolock(void *a)
{
	(void)a;
}

static void test_registrations(void **state)
{
	struct presec_store_ops ops = {malloc, free, nolock, nolock, NULL};
	struct regstore *rs = regstore_new(&ops, 2);
	struct reg_entry e, out;
	(void)state;
	memset(&e, 0, sizeof(e));
	strcpy(e.ue_ip, "127.0.2.1");
	e.port = 5060;
	strcpy(e.impi, "alice@ims.example");
	e.n = 1;
	strcpy(e.impu[0], "sip:alice@ims.example");
	e.expires = 100;
	assert_int_equal(regstore_set(rs, &e, 10), 0);
	assert_int_equal(regstore_get(rs, "127.0.2.1", 5060, "alice@ims.example", 50, &out), 0);
	assert_string_equal(out.impu[0], "sip:alice@ims.example");
	assert_int_equal(regstore_get(rs, "127.0.2.1", 5060, "alice@ims.example", 100, &out),
	                 -1); /* expired */
	strcpy(e.ue_ip, "127.0.2.2");
	assert_int_equal(regstore_set(rs, &e, 10), 0);
	strcpy(e.ue_ip, "127.0.2.3");
	assert_int_equal(regstore_set(rs, &e, 10), -1); /* full */
	e.expires = 300;
	assert_int_equal(regstore_set(rs, &e, 150), 0); /* expired slots are reused */
	assert_int_equal(regstore_get(rs, "127.0.2.3", 5060, "alice@ims.example", 150, &out), 0);
	e.n = 0; /* de-registration */
	assert_int_equal(regstore_set(rs, &e, 150), 0);
	assert_int_equal(regstore_get(rs, "127.0.2.3", 5060, "alice@ims.example", 150, &out), -1);
	regstore_destroy(rs);
}

/* R2 finding 8: the headers only the trust domain writes, and a UE's access info */
static void test_untrusted_header_names(void **state)
{
	struct hdr_names l;
	const char *why = NULL;
	(void)state;
	assert_int_equal(
	        hdr_names_parse(" Remote-Party-ID,P-Served-User , p-charging-vector,", &l, &why),
	        0);
	assert_int_equal(l.n, 3);
	assert_true(hdr_names_has(&l, "remote-party-id", 15));
	assert_true(hdr_names_has(&l, "P-CHARGING-VECTOR", 17));
	assert_false(hdr_names_has(&l, "P-Charging", 10));
	assert_false(hdr_names_has(&l, "P-Served-User-X", 15));
	assert_int_equal(hdr_names_parse("", &l, &why), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(hdr_names_parse("Remote-Party-ID P-Served-User", &l, &why), -1);
	assert_int_equal(hdr_names_parse("Via: x", &l, &why), -1);
#define NP(b) pani_network_provided(b, strlen(b))
	assert_false(NP("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001"));
	assert_true(NP("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001;network-provided"));
	assert_true(NP("3GPP-E-UTRAN-FDD;Network-Provided ;x=1"));
	assert_false(NP("3GPP-E-UTRAN-FDD;x=not-network-provided-at-all"));
#undef NP
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_priv_values),
	        cmocka_unit_test(test_identities),
	        cmocka_unit_test(test_anonymous_from_keeps_the_tag),
	        cmocka_unit_test(test_associated_uris),
	        cmocka_unit_test(test_trust_domain),
	        cmocka_unit_test(test_registrations),
	        cmocka_unit_test(test_untrusted_header_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
