/* presec's <ps:confidentiality/> condition (TR 33.cde 4.5.2, pidf_filter README): a rule with it
 * matches only a watcher whose request the trust domain marked as having arrived over an
 * encrypted SA; for any other watcher only the other matching rules combine (RFC 4745 10), so
 * the presentity can polite-block or block it there. The flag survives the packed form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "policy.h"

#define HEAD                                                                                       \
	"<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy' "                             \
	"xmlns:pr='urn:ietf:params:xml:ns:pres-rules' "                                            \
	"xmlns:ps='urn:presec:xml:ns:pres-rules'>"
#define BOB "<cr:identity><cr:one id='sip:bob@ims.example'/></cr:identity>"

/* bob with encryption: allow with the note; bob without: polite-block */
static const char *const RULES =
        HEAD "<cr:rule id='bob-confidential'><cr:conditions>" BOB
             "<ps:confidentiality/></cr:conditions><cr:actions><pr:sub-handling>allow"
             "</pr:sub-handling></cr:actions><cr:transformations><pr:provide-note>true"
             "</pr:provide-note></cr:transformations></cr:rule>"
             "<cr:rule id='bob'><cr:conditions>" BOB
             "</cr:conditions><cr:actions><pr:sub-handling>polite-block</pr:sub-handling>"
             "</cr:actions></cr:rule></cr:ruleset>";

static struct pol_decision decide(const struct policy *p, const char *uri, int authenticated,
                                  int anonymous, int confidential)
{
	struct pol_watcher w = {uri, authenticated, anonymous, 1700000000, NULL, confidential};
	struct pol_decision d;
	policy_decide(p, &w, &d);
	return d;
}

static void compile(const char *xml, struct policy *p)
{
	const char *why = NULL;
	assert_int_equal(policy_compile(xml, strlen(xml), p, &why), 0);
}

static void test_confidential_watcher_matches_the_rule(void **state)
{
	struct policy p;
	(void)state;
	compile(RULES, &p);
	assert_int_equal(p.rules[0].confidentiality, 1);
	assert_int_equal(p.rules[1].confidentiality, 0);
	struct pol_decision d = decide(&p, "sip:bob@ims.example", 1, 0, 1);
	/* both rules match: allow is the maximum, the note comes from the confidential rule */
	assert_int_equal(d.sub_handling, SH_ALLOW);
	assert_int_equal(d.n_rules, 2);
	assert_string_equal(d.rules[0], "bob-confidential");
	assert_true(d.perm.note);
	policy_free(&p);
}

static void test_watcher_without_confidentiality_falls_through(void **state)
{
	struct policy p;
	(void)state;
	compile(RULES, &p);
	struct pol_decision d = decide(&p, "sip:bob@ims.example", 1, 0, 0);
	assert_int_equal(d.sub_handling, SH_POLITE_BLOCK);
	assert_int_equal(d.n_rules, 1);
	assert_string_equal(d.rules[0], "bob");
	assert_false(d.perm.note);
	policy_free(&p);
}

static void test_the_condition_adds_to_the_others(void **state)
{
	struct policy p;
	(void)state;
	compile(RULES, &p);
	/* RFC 4745 5: conditions are ANDed: the mark does not stand in for the identity */
	assert_int_equal(decide(&p, "sip:carol@ims.example", 1, 0, 1).sub_handling, SH_BLOCK);
	assert_int_equal(decide(&p, "sip:bob@ims.example", 0, 0, 1).sub_handling, SH_BLOCK);
	assert_int_equal(decide(&p, "sip:bob@ims.example", 1, 1, 1).sub_handling, SH_BLOCK);
	policy_free(&p);

	/* alone, it matches any watcher that has confidentiality, authenticated or not */
	const char *alone = HEAD "<cr:rule id='enc'><cr:conditions><ps:confidentiality/>"
	                         "</cr:conditions><cr:actions><pr:sub-handling>confirm"
	                         "</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>";
	compile(alone, &p);
	assert_int_equal(decide(&p, "sip:nobody@elsewhere.example", 0, 0, 1).sub_handling,
	                 SH_CONFIRM);
	assert_int_equal(decide(&p, "sip:nobody@elsewhere.example", 0, 0, 0).sub_handling,
	                 SH_BLOCK);
	policy_free(&p);
}

static void test_only_the_presec_namespace_names_the_condition(void **state)
{
	struct policy p;
	(void)state;
	/* the same element name in another namespace is a condition nobody understands: RFC 4745
	 * 7, the rule never matches, with the mark or without */
	const char *other =
	        "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy' "
	        "xmlns:pr='urn:ietf:params:xml:ns:pres-rules' xmlns:x='urn:example:other'>"
	        "<cr:rule id='x'><cr:conditions>" BOB "<x:confidentiality/></cr:conditions>"
	        "<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>"
	        "</cr:ruleset>";
	compile(other, &p);
	assert_int_equal(p.rules[0].confidentiality, 0);
	assert_int_equal(p.rules[0].unknown_condition, 1);
	assert_int_equal(decide(&p, "sip:bob@ims.example", 1, 0, 1).sub_handling, SH_BLOCK);
	policy_free(&p);
}

static void test_the_condition_survives_packing(void **state)
{
	struct policy p, q;
	unsigned char *b;
	size_t len;
	(void)state;
	compile(RULES, &p);
	assert_int_equal(policy_pack(&p, &b, &len), 0);
	assert_int_equal(policy_unpack(b, len, &q), 0);
	assert_int_equal(q.rules[0].confidentiality, 1);
	assert_int_equal(q.rules[1].confidentiality, 0);
	assert_int_equal(decide(&q, "sip:bob@ims.example", 1, 0, 0).sub_handling, SH_POLITE_BLOCK);
	assert_int_equal(decide(&q, "sip:bob@ims.example", 1, 0, 1).sub_handling, SH_ALLOW);
	free(b);
	policy_free(&p);
	policy_free(&q);
}

/* RFC 4745 5: a condition is a child of <conditions>; presec's element anywhere else (a child
 * of <rule>, in <actions> or <transformations>, inside <identity>), or a name of presec's
 * namespace that is no condition, would be skipped and the rule would allow every watcher it
 * names: the document is refused, and the reason names the element */
static void test_the_condition_outside_conditions_is_refused(void **state)
{
	static const char *const misplaced[] = {
	        HEAD "<cr:rule id='r'><ps:confidentiality/><cr:conditions>" BOB "</cr:conditions>"
	             "<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>"
	             "</cr:ruleset>",
	        HEAD "<cr:rule id='r'><cr:conditions>" BOB "</cr:conditions><cr:actions>"
	             "<pr:sub-handling>allow</pr:sub-handling><ps:confidentiality/></cr:actions>"
	             "</cr:rule></cr:ruleset>",
	        HEAD "<cr:rule id='r'><cr:conditions>" BOB "</cr:conditions><cr:transformations>"
	             "<ps:confidentiality/></cr:transformations></cr:rule></cr:ruleset>",
	        HEAD "<cr:rule id='r'><cr:conditions><cr:identity><cr:one id='sip:bob@ims.example'>"
	             "<ps:confidentiality/></cr:one></cr:identity></cr:conditions></cr:rule>"
	             "</cr:ruleset>",
	        HEAD "<ps:confidentiality/><cr:rule id='r'><cr:conditions>" BOB "</cr:conditions>"
	             "</cr:rule></cr:ruleset>",
	};
	struct policy p;
	const char *why;
	(void)state;
	for (size_t i = 0; i < sizeof(misplaced) / sizeof(misplaced[0]); i++) {
		why = NULL;
		assert_int_equal(policy_compile(misplaced[i], strlen(misplaced[i]), &p, &why), -1);
		assert_string_equal(why, "<ps:confidentiality/> outside <cr:conditions>");
		why = NULL;
		assert_int_equal(
		        xcap_doc_check("pres-rules", misplaced[i], strlen(misplaced[i]), &why), -1);
		assert_non_null(strstr(why, "confidentiality"));
	}
	const char *typo = HEAD "<cr:rule id='r'><cr:conditions>" BOB "<ps:confidential/>"
	                        "</cr:conditions></cr:rule></cr:ruleset>";
	why = NULL;
	assert_int_equal(policy_compile(typo, strlen(typo), &p, &why), -1);
	assert_non_null(strstr(why, "urn:presec:xml:ns:pres-rules"));
	/* in its place it compiles */
	compile(RULES, &p);
	policy_free(&p);
}

/* RFC 4745 10: an allow rule without the condition that also matches the watcher gives it
 * its permissions without confidentiality: presec-policy names each such rule */
static void test_allow_rules_without_the_condition_are_named(void **state)
{
	struct policy p;
	const char *ids[4];
	(void)state;
	struct pol_watcher bob = {"sip:bob@ims.example", 1, 0, 1700000000, NULL, 0};
	struct pol_watcher carol = {"sip:carol@ims.example", 1, 0, 1700000000, NULL, 0};
	/* bob's unmarked rule polite-blocks: nothing to name */
	compile(RULES, &p);
	assert_int_equal(policy_unguarded_allows(&p, &bob, ids, 4), 0);
	policy_free(&p);
	/* a broader allow rule (the whole domain) gives unmarked bob everything */
	const char *broad =
	        HEAD "<cr:rule id='bob-confidential'><cr:conditions>" BOB
	             "<ps:confidentiality/></cr:conditions><cr:actions><pr:sub-handling>allow"
	             "</pr:sub-handling></cr:actions></cr:rule>"
	             "<cr:rule id='domain'><cr:conditions><cr:identity><cr:many "
	             "domain='ims.example'/></cr:identity></cr:conditions><cr:actions>"
	             "<pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>"
	             "<cr:rule id='bob-block'><cr:conditions>" BOB "</cr:conditions><cr:actions>"
	             "<pr:sub-handling>block</pr:sub-handling></cr:actions></cr:rule>"
	             "<cr:rule id='bob-perms'><cr:conditions>" BOB "</cr:conditions>"
	             "<cr:transformations><pr:provide-note>true</pr:provide-note>"
	             "</cr:transformations></cr:rule></cr:ruleset>";
	compile(broad, &p);
	assert_int_equal(policy_unguarded_allows(&p, &bob, ids, 4), 1);
	assert_string_equal(ids[0], "domain");
	/* the count even past max, nothing written past it */
	assert_int_equal(policy_unguarded_allows(&p, &bob, ids, 0), 1);
	/* the confidential flag of the watcher asked about does not matter */
	bob.confidential = 1;
	assert_int_equal(policy_unguarded_allows(&p, &bob, ids, 4), 1);
	/* carol is allowed by the domain rule, but no rule with the condition names her */
	assert_int_equal(policy_unguarded_allows(&p, &carol, ids, 4), 0);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_confidential_watcher_matches_the_rule),
	        cmocka_unit_test(test_watcher_without_confidentiality_falls_through),
	        cmocka_unit_test(test_the_condition_adds_to_the_others),
	        cmocka_unit_test(test_only_the_presec_namespace_names_the_condition),
	        cmocka_unit_test(test_the_condition_survives_packing),
	        cmocka_unit_test(test_the_condition_outside_conditions_is_refused),
	        cmocka_unit_test(test_allow_rules_without_the_condition_are_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
