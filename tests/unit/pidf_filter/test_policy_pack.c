/* The packed form of a compiled policy (what presence_authz caches in shared memory) and the
 * compact text form of permissions (what its RPC prints): both must give back exactly what went
 * in, and a damaged packed policy must be refused, not half-read. The check of documents PUT
 * over Ut. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "policy.h"

#define DATA "tests/unit/pidf_filter/data/"

static struct policy compiled(void)
{
	static char buf[1 << 16];
	const char *why = NULL;
	struct policy p;
	FILE *f = fopen(DATA "rules.xml", "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	assert_int_equal(policy_compile(buf, n, &p, &why), 0);
	assert_true(p.n >= 3);
	return p;
}

static void test_pack_round_trip_is_exact_and_small(void **state)
{
	struct policy p = compiled(), q;
	unsigned char *b;
	size_t len;
	(void)state;
	assert_int_equal(policy_pack(&p, &b, &len), 0);
	/* the point of packing: a few hundred bytes per rule instead of the fixed records */
	assert_true(len < p.n * sizeof(struct pol_rule) / 20);
	assert_int_equal(policy_unpack(b, len, &q), 0);
	assert_int_equal(q.n, p.n);
	assert_memory_equal(q.rules, p.rules, p.n * sizeof(struct pol_rule));

	/* and it decides the same for every kind of watcher */
	const char *watchers[] = {"sip:bob@ims.example", "sip:carol@ims.example",
	                          "sip:nobody@elsewhere.example", "sip:erin@ims.example"};
	for (unsigned i = 0; i < 4; i++)
		for (int anon = 0; anon < 2; anon++) {
			struct pol_watcher w = {watchers[i], 1, anon, 1700000000, NULL, 0};
			struct pol_decision a, c;
			policy_decide(&p, &w, &a);
			policy_decide(&q, &w, &c);
			assert_int_equal(a.sub_handling, c.sub_handling);
			assert_int_equal(a.n_rules, c.n_rules);
			for (unsigned r = 0; r < a.n_rules; r++)
				assert_string_equal(a.rules[r], c.rules[r]);
			assert_memory_equal(&a.perm, &c.perm, sizeof(a.perm));
		}
	policy_free(&q);
	free(b);
	policy_free(&p);
}

/* Packing writes the fields a rule uses, so a field it forgets would be lost silently. A rule
 * whose every byte is set (every count past its maximum, no string terminated) leaves packing
 * no byte to skip: the round trip must give it back whole. */
static void test_every_field_is_packed(void **state)
{
	struct policy p = {2, calloc(2, sizeof(struct pol_rule))}, q;
	unsigned char *b;
	size_t len;
	(void)state;
	assert_non_null(p.rules);
	memset(p.rules, 0x5a, 2 * sizeof(struct pol_rule));
	/* but the compiler's padding, which is no field (calloc leaves it zero) */
	for (int i = 0; i < 2; i++) {
		char *r = (char *)&p.rules[i];
		size_t sphere_end = offsetof(struct pol_rule, sphere) + sizeof(p.rules[i].sphere);
		size_t perm_end = offsetof(struct pol_rule, perm) + sizeof(p.rules[i].perm);
		memset(r + sphere_end, 0, offsetof(struct pol_rule, validity) - sphere_end);
		memset(r + perm_end, 0, sizeof(struct pol_rule) - perm_end);
	}
	assert_int_equal(policy_pack(&p, &b, &len), 0);
	assert_int_equal(policy_unpack(b, len, &q), 0);
	assert_int_equal(q.n, 2);
	assert_memory_equal(q.rules, p.rules, 2 * sizeof(struct pol_rule));
	free(b);
	policy_free(&q);
	policy_free(&p);
}

static void test_empty_policy_packs(void **state)
{
	struct policy p = {0, NULL}, q;
	unsigned char *b;
	size_t len;
	(void)state;
	assert_int_equal(policy_pack(&p, &b, &len), 0);
	assert_int_equal(policy_unpack(b, len, &q), 0);
	assert_int_equal(q.n, 0);
	policy_free(&q);
	free(b);
}

static void test_damaged_packs_are_refused(void **state)
{
	struct policy p = compiled(), q;
	unsigned char *b;
	size_t len;
	(void)state;
	assert_int_equal(policy_pack(&p, &b, &len), 0);
	/* every truncation */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(policy_unpack(b, cut, &q), -1);
	/* wrong magic */
	b[0] = 'X';
	assert_int_equal(policy_unpack(b, len, &q), -1);
	b[0] = 'P';
	/* a rule count that does not match the runs */
	b[4] = (unsigned char)(b[4] + 1);
	assert_int_equal(policy_unpack(b, len, &q), -1);
	b[4] = (unsigned char)(b[4] - 1);
	/* a zero run longer than the rules */
	unsigned char bad[] = {'P', 'R', 'P', '1', 1, 0xff, 0xff, 0xff, 0x7f, 0};
	assert_int_equal(policy_unpack(bad, sizeof(bad), &q), -1);
	assert_int_equal(policy_unpack(b, len, &q), 0);
	policy_free(&q);
	free(b);
	policy_free(&p);
}

static void test_perm_format_round_trips(void **state)
{
	const char *texts[] = {
	        "",
	        "note",
	        "all-services all-persons activities note user-input=thresholds",
	        "service-uri=sip:alice@ims.example service-scheme=mailto service-id=t1 "
	        "service-class=business person-id=p1 person-class=work device=urn:uuid:1 "
	        "device-id=d1 device-class=car class deviceID mood place-is place-type privacy "
	        "relationship status-icon sphere time-offset all-attributes user-input=full "
	        "unknown=urn:example:ns#x unknown=urn:other#y",
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct pres_perm a, b;
		const char *why = NULL;
		char out[2048];
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		assert_int_equal(perm_parse(texts[i], &a, &why), 0);
		size_t n = perm_format(&a, out, sizeof(out));
		assert_int_equal(n, strlen(out));
		assert_int_equal(perm_parse(out, &b, &why), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_perm_format_truncates_safely(void **state)
{
	struct pres_perm a;
	const char *why = NULL;
	char small[8];
	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(perm_parse("all-services note mood", &a, &why), 0);
	size_t need = perm_format(&a, small, sizeof(small));
	assert_int_equal(need, strlen("all-services mood note"));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(perm_format(&a, NULL, 0), need);
}

static void test_xcap_doc_check(void **state)
{
	const char *why = NULL;
	const char *lists = "<?xml version=\"1.0\"?><resource-lists "
	                    "xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"f\">"
	                    "<entry uri=\"sip:bob@ims.example\"/></list></resource-lists>";
	const char *rules = "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\"/>";
	(void)state;
	assert_int_equal(xcap_doc_check("pres-rules", rules, strlen(rules), &why), 0);
	assert_int_equal(xcap_doc_check("resource-lists", lists, strlen(lists), &why), 0);
	/* each document under the other's auid */
	assert_int_equal(xcap_doc_check("pres-rules", lists, strlen(lists), &why), -1);
	assert_non_null(strstr(why, "ruleset"));
	assert_int_equal(xcap_doc_check("resource-lists", rules, strlen(rules), &why), -1);
	assert_non_null(strstr(why, "resource-lists"));
	/* not well-formed, a DOCTYPE, an auid not served, nothing */
	assert_int_equal(xcap_doc_check("resource-lists", lists, strlen(lists) - 3, &why), -1);
	const char *dtd = "<!DOCTYPE r [<!ENTITY x \"y\">]><resource-lists "
	                  "xmlns=\"urn:ietf:params:xml:ns:resource-lists\">&x;</resource-lists>";
	assert_int_equal(xcap_doc_check("resource-lists", dtd, strlen(dtd), &why), -1);
	assert_int_equal(xcap_doc_check("rls-services", lists, strlen(lists), &why), -1);
	assert_int_equal(xcap_doc_check(NULL, lists, strlen(lists), &why), -1);
}

/* OMA external-list: a rule whose watchers are the members of one of the presentity's
 * resource-lists */
static void test_external_list(void **state)
{
	const char *rules =
	        "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" "
	        "xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\" "
	        "xmlns:ocp=\"urn:oma:xml:xdm:common-policy\">"
	        "<cr:rule id=\"friends\"><cr:conditions><ocp:external-list>"
	        "<ocp:entry anc=\"https://xcap.ims.example/xcap-root/resource-lists/users/"
	        "sip:alice@ims.example/index/~~/resource-lists/list%5b@name=%22friends%22%5d\"/>"
	        "<ocp:entry anc=\"https://xcap.ims.example/xcap-root/resource-lists/users/"
	        "sip:mallory@ims.example/index/~~/resource-lists/list[@name=&quot;friends&quot;]\"/"
	        ">"
	        "</ocp:external-list></cr:conditions>"
	        "<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>"
	        "</cr:ruleset>";
	const char *lists = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	                    "<list name=\"friends\"><entry uri=\"sip:bob@ims.example\"/>"
	                    "<list name=\"close\"><entry uri=\"sip:carol@ims.example\"/></list>"
	                    "</list><list name=\"others\"><entry uri=\"sip:dave@ims.example\"/>"
	                    "</list></resource-lists>";
	struct policy p, q;
	struct pol_decision d;
	const char *why = NULL;
	unsigned char *b;
	size_t len;
	(void)state;
	assert_int_equal(policy_compile(rules, strlen(rules), &p, &why), 0);
	assert_true(policy_needs_lists(&p));
	assert_int_equal(p.rules[0].n_lists, 2);
	assert_string_equal(p.rules[0].lists[0].name, "friends");
	assert_string_equal(p.rules[0].lists[0].xui, "sip:alice@ims.example");
	/* no lists read yet: nobody is a member */
	struct pol_watcher bob = {"sip:bob@ims.example", 1, 0, 0, NULL, 0};
	policy_decide(&p, &bob, &d);
	assert_int_equal(d.sub_handling, SH_BLOCK);
	/* alice's lists: bob and (nested) carol; mallory's list is not alice's to read */
	assert_int_equal(
	        policy_resolve_lists(&p, "sip:alice@ims.example", lists, strlen(lists), &why), 0);
	assert_int_equal(p.rules[0].n_members, 2);
	const struct {
		const char *uri;
		int authenticated, anonymous;
		enum sub_handling sh;
	} cases[] = {
	        {"sip:bob@ims.example", 1, 0, SH_ALLOW},  {"sip:carol@ims.example", 1, 0, SH_ALLOW},
	        {"sip:dave@ims.example", 1, 0, SH_BLOCK}, {"sip:bob@ims.example", 0, 0, SH_BLOCK},
	        {"sip:bob@ims.example", 1, 1, SH_BLOCK},
	};
	assert_int_equal(policy_pack(&p, &b, &len), 0);
	assert_int_equal(policy_unpack(b, len, &q), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_watcher w = {
		        cases[i].uri, cases[i].authenticated, cases[i].anonymous, 0, NULL, 0};
		policy_decide(&q, &w, &d);
		assert_int_equal(d.sub_handling, cases[i].sh);
	}
	/* lists that are not resource-lists are refused */
	assert_int_equal(
	        policy_resolve_lists(&p, "sip:alice@ims.example", rules, strlen(rules), &why), -1);
	free(b);
	policy_free(&q);
	policy_free(&p);
	/* an anchor that does not name a list is refused at compile time */
	const char *bad = "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" "
	                  "xmlns:ocp=\"urn:oma:xml:xdm:common-policy\"><cr:rule id=\"x\">"
	                  "<cr:conditions><ocp:external-list><ocp:entry anc=\"http://x/y\"/>"
	                  "</ocp:external-list></cr:conditions></cr:rule></cr:ruleset>";
	assert_int_equal(policy_compile(bad, strlen(bad), &p, &why), -1);
	assert_non_null(strstr(why, "external-list"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pack_round_trip_is_exact_and_small),
	        cmocka_unit_test(test_every_field_is_packed),
	        cmocka_unit_test(test_empty_policy_packs),
	        cmocka_unit_test(test_damaged_packs_are_refused),
	        cmocka_unit_test(test_perm_format_round_trips),
	        cmocka_unit_test(test_perm_format_truncates_safely),
	        cmocka_unit_test(test_xcap_doc_check),
	        cmocka_unit_test(test_external_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
