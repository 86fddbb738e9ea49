/* RFC 5025 transformations over a rich PIDF document, composition (RFC 4479 4.3), safe parsing,
 * and pres-rules evaluation (RFC 4745 combining, OMA anonymous-request / other-identity). Run
 * from the repository root (make unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "pidf.h"
#include "policy.h"

#define DATA "tests/unit/pidf_filter/data/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static struct policy rules;
static struct pidf_doc *alice;

static int setup(void **state)
{
	size_t n;
	const char *why = NULL;
	(void)state;
	char *x = slurp(DATA "rules.xml", &n);
	assert_int_equal(policy_compile(x, n, &rules, &why), 0);
	free(x);
	x = slurp(DATA "alice.xml", &n);
	alice = pidf_parse(x, n, "sip:alice@ims.example", &why);
	free(x);
	assert_non_null(alice);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(&rules);
	pidf_free(alice);
	return 0;
}

static struct pol_decision decide(const char *uri, int authenticated, int anonymous, const char *at)
{
	struct pol_watcher w = {uri, authenticated, anonymous, pidf_time(at), NULL, 0};
	struct pol_decision d;
	policy_decide(&rules, &w, &d);
	return d;
}

static char *filtered(const struct pres_perm *p)
{
	const char *why = NULL;
	char *out;
	size_t len;
	struct pidf_doc *f = pidf_filter(alice, p, &why);
	assert_non_null(f);
	assert_int_equal(pidf_dump(f, &out, &len), 0);
	pidf_free(f);
	return out;
}

static void test_sub_handling_combines_by_maximum(void **state)
{
	(void)state;
	struct pol_decision d = decide("sip:bob@ims.example", 1, 0, "2026-11-24T12:00:00Z");
	/* allow-bob (allow) and colleagues (confirm) both match: allow */
	assert_int_equal(d.sub_handling, SH_ALLOW);
	assert_int_equal(d.n_rules, 2);
	assert_string_equal(d.rules[0], "allow-bob");
	assert_string_equal(d.rules[1], "colleagues");
	/* carol is excepted from colleagues and blocked */
	d = decide("sip:carol@ims.example", 1, 0, "2026-11-24T12:00:00Z");
	assert_int_equal(d.sub_handling, SH_BLOCK);
	assert_int_equal(d.n_rules, 1);
	/* dave: colleagues (confirm) and polite-dave: polite-block wins */
	d = decide("sip:dave@ims.example", 1, 0, "2026-11-24T12:00:00Z");
	assert_int_equal(d.sub_handling, SH_POLITE_BLOCK);
	/* an anonymous request is matched as anonymous, never by its identity */
	d = decide("sip:bob@ims.example", 1, 1, "2026-11-24T12:00:00Z");
	assert_int_equal(d.sub_handling, SH_CONFIRM);
	assert_int_equal(d.n_rules, 1);
	assert_string_equal(d.rules[0], "anonymous");
	/* identity conditions need authentication: an unauthenticated bob matches nothing */
	d = decide("sip:bob@ims.example", 0, 0, "2026-11-24T12:00:00Z");
	assert_int_equal(d.sub_handling, SH_BLOCK);
	assert_int_equal(d.n_rules, 0);
	/* OMA other-identity: someone no rule names */
	d = decide("sip:zed@elsewhere.example", 1, 0, "2026-11-24T12:00:00Z");
	assert_int_equal(d.sub_handling, SH_POLITE_BLOCK);
	assert_string_equal(d.rules[0], "strangers");
	/* validity: erin during office hours only */
	d = decide("sip:erin@visited.example", 1, 0, "2026-11-24T12:00:00Z");
	assert_int_equal(d.sub_handling, SH_ALLOW);
	/* after hours office-hours does not match, and erin is no stranger either: OMA
	 * other-identity is for identities no rule names, whatever else the rule asks */
	d = decide("sip:erin@visited.example", 1, 0, "2026-11-24T18:00:00+01:00");
	assert_int_equal(d.sub_handling, SH_BLOCK);
	assert_int_equal(d.n_rules, 0);
}

static void test_bob_sees_what_his_rule_grants(void **state)
{
	(void)state;
	struct pol_decision d = decide("sip:bob@ims.example", 1, 0, "2026-11-24T12:00:00Z");
	char *x = filtered(&d.perm);
	/* provide-services: the sip tuple only */
	assert_non_null(strstr(x, "id=\"sip-phone\""));
	assert_null(strstr(x, "id=\"im\""));
	/* in the tuple: basic status, contact, timestamp, note; not the deviceID, class or the
	 * location extension */
	assert_non_null(strstr(x, "<basic>open</basic>"));
	assert_non_null(strstr(x, "<note>at the desk phone</note>"));
	assert_null(strstr(x, "deviceID"));
	assert_null(strstr(x, "rpid:class"));
	assert_null(strstr(x, "geopriv")); /* not even its namespace declaration */
	/* the person: activities and note; not mood, place-type, sphere, time-offset, card */
	assert_non_null(strstr(x, "<rpid:meeting/>"));
	assert_null(strstr(x, "mood"));
	assert_null(strstr(x, "place-type"));
	assert_null(strstr(x, "rpid:sphere"));
	assert_null(strstr(x, "time-offset"));
	assert_null(strstr(x, "card"));
	assert_null(strstr(x, "cipid"));
	/* user-input thresholds: idle-threshold stays, last-input goes */
	assert_non_null(strstr(x, "idle-threshold=\"600\""));
	assert_null(strstr(x, "last-input"));
	/* no device was granted */
	assert_null(strstr(x, "dm:device "));
	assert_non_null(strstr(x, "entity=\"pres:alice@ims.example\""));
	free(x);
}

static void test_erin_sees_the_device_and_the_card(void **state)
{
	(void)state;
	struct pol_decision d = decide("sip:erin@visited.example", 1, 0, "2026-11-24T12:00:00Z");
	char *x = filtered(&d.perm);
	assert_null(strstr(x, "<tuple")); /* no provide-services */
	assert_non_null(strstr(x, "id=\"pc\""));
	assert_non_null(strstr(x, "c:card"));
	assert_null(strstr(x, "user-input")); /* provide-user-input defaults to false */
	assert_null(strstr(x, "<note>"));     /* nor notes */
	assert_null(strstr(x, "meeting"));
	free(x);
}

static void test_all_attributes(void **state)
{
	struct pres_perm p;
	(void)state;
	memset(&p, 0, sizeof(p));
	p.services.all = p.persons.all = p.devices.all = 1;
	p.all_attributes = 1;
	char *x = filtered(&p);
	assert_non_null(strstr(x, "geopriv"));
	assert_non_null(strstr(x, "last-input"));
	assert_non_null(strstr(x, "c:card"));
	free(x);
}

static void test_nothing_granted_leaves_an_empty_presence(void **state)
{
	struct pres_perm p;
	(void)state;
	memset(&p, 0, sizeof(p));
	char *x = filtered(&p);
	assert_null(strstr(x, "<tuple"));
	assert_null(strstr(x, "person"));
	assert_null(strstr(x, "device"));
	assert_null(strstr(x, "note"));
	assert_non_null(strstr(x, "entity=\"pres:alice@ims.example\""));
	free(x);
}

static void collect(enum pidf_provided_kind kind, const char *value, void *arg)
{
	char *out = arg;
	strcat(out, kind == PIDF_PROVIDED_ID ? "#" : "");
	strcat(out, value);
	strcat(out, " ");
}

/* the audit log's summary of what bob received: the ids of the components he was given and
 * the names of the elements in them, each name once; nothing he was not given */
static void test_provided_summarizes_what_a_watcher_received(void **state)
{
	(void)state;
	struct pol_decision d = decide("sip:bob@ims.example", 1, 0, "2026-11-24T12:00:00Z");
	const char *why = NULL;
	struct pidf_doc *f = pidf_filter(alice, &d.perm, &why);
	assert_non_null(f);
	char got[2048] = "";
	pidf_provided(f, collect, got);
	assert_string_equal(got, "#sip-phone #p1 tuple status basic contact note timestamp person "
	                         "activities meeting user-input ");
	pidf_free(f);
	got[0] = '\0';
	pidf_provided(alice, collect, got);
	assert_non_null(strstr(got, "#sip-phone #im #p1 #pc tuple status basic geopriv "));
	assert_non_null(strstr(got, " mood happy "));
	assert_non_null(strstr(got, " card "));
	assert_int_equal(strstr(strstr(got, " note ") + 1, " note "), NULL); /* once */
}

static void test_polite_block(void **state)
{
	const char *why = NULL;
	char *x;
	size_t len;
	(void)state;
	struct pidf_doc *d = pidf_polite_block("sip:alice@ims.example", &why);
	assert_int_equal(pidf_dump(d, &x, &len), 0);
	assert_non_null(strstr(x, "<basic>closed</basic>"));
	assert_non_null(strstr(x, "entity=\"sip:alice@ims.example\""));
	pidf_free(d);
	free(x);
}

/* the text form the modules send: the same document as parse, filter and dump, and -1 with a
 * reason for what cannot be parsed */
static void test_text_forms(void **state)
{
	const char *why = NULL;
	char *x, *direct, *body;
	size_t len, n;
	struct pol_decision d = decide("sip:bob@ims.example", 1, 0, "2026-11-24T12:00:00Z");
	(void)state;
	body = slurp(DATA "alice.xml", &n);
	assert_int_equal(
	        pidf_filter_text(body, n, "sip:alice@ims.example", &d.perm, &x, &len, &why), 0);
	direct = filtered(&d.perm);
	assert_string_equal(x, direct);
	assert_int_equal(len, strlen(direct));
	free(x);
	free(direct);
	why = NULL;
	assert_int_equal(
	        pidf_filter_text(body, n, "sip:carol@ims.example", &d.perm, &x, &len, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(pidf_filter_text("<presence", 9, NULL, &d.perm, &x, &len, &why), -1);
	assert_non_null(why);
	free(body);
	assert_int_equal(pidf_polite_block_text("sip:alice@ims.example", &x, &len, &why), 0);
	assert_non_null(strstr(x, "<basic>closed</basic>"));
	assert_int_equal(len, strlen(x));
	free(x);
}

static void test_composition_newest_wins(void **state)
{
	const char *why = NULL;
	char *x;
	size_t len;
	(void)state;
	const char *a =
	        "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:alice@ims.example'>"
	        "<tuple id='t1'><status><basic>open</basic></status>"
	        "<timestamp>2026-11-24T11:00:00Z</timestamp></tuple>"
	        "<tuple id='t2'><status><basic>open</basic></status></tuple></presence>";
	const char *b = "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	                "entity='pres:alice@ims.example'>"
	                "<tuple id='t1'><status><basic>closed</basic></status>"
	                "<timestamp>2026-11-24T10:00:00Z</timestamp></tuple>"
	                "<tuple id='t2'><status><basic>closed</basic></status></tuple>"
	                "<dm:person id='p'><dm:note>from b</dm:note></dm:person></presence>";
	struct pidf_doc *docs[2] = {pidf_parse(a, strlen(a), "sip:alice@ims.example", &why),
	                            pidf_parse(b, strlen(b), "sip:alice@ims.example", &why)};
	assert_non_null(docs[0]);
	assert_non_null(docs[1]);
	struct pidf_doc *c = pidf_compose(docs, 2, "sip:alice@ims.example", &why);
	assert_non_null(c);
	assert_int_equal(pidf_dump(c, &x, &len), 0);
	/* t1: a's is newer although published first; t2: no timestamps, the later publication */
	const char *t1 = strstr(x, "id=\"t1\""), *t2 = strstr(x, "id=\"t2\"");
	assert_non_null(t1);
	assert_non_null(t2);
	assert_true(strstr(t1, "open") && strstr(t1, "open") < t2);
	assert_non_null(strstr(t2, "closed"));
	assert_non_null(strstr(x, "from b"));
	free(x);
	pidf_free(c);
	pidf_free(docs[0]);
	pidf_free(docs[1]);
}

static void test_malformed_documents_are_refused(void **state)
{
	const char *why;
	(void)state;
	const char *bad[] = {
	        "not xml",
	        "<presence entity='sip:alice@ims.example'/>", /* no namespace */
	        "<x xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:alice@ims.example'/>",
	        "<presence xmlns='urn:ietf:params:xml:ns:pidf'/>",
	        "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:mallory@ims.example'/>",
	        "<?xml version='1.0'?><!DOCTYPE p [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	        "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:alice@ims.example'>&x;"
	        "</presence>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_null(pidf_parse(bad[i], strlen(bad[i]), "sip:alice@ims.example", &why));
		assert_non_null(why);
	}
	/* deep nesting */
	char deep[4096] = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'>";
	for (int i = 0; i < 40; i++)
		strcat(deep, "<n>");
	for (int i = 0; i < 40; i++)
		strcat(deep, "</n>");
	strcat(deep, "</presence>");
	why = NULL;
	assert_null(pidf_parse(deep, strlen(deep), NULL, &why));
	assert_string_equal(why, "presence document nested too deeply");
}

static void test_bad_rules_are_refused(void **state)
{
	struct policy p;
	const char *why;
	(void)state;
	const char *bad[] = {
	        "<ruleset/>",
	        "<cr:ruleset "
	        "xmlns:cr='urn:ietf:params:xml:ns:common-policy'><cr:rule/></cr:ruleset>",
	        "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy' "
	        "xmlns:pr='urn:ietf:params:xml:ns:pres-rules'><cr:rule id='a'><cr:actions>"
	        "<pr:sub-handling>maybe</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>",
	        "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy' "
	        "xmlns:pr='urn:ietf:params:xml:ns:pres-rules'><cr:rule id='a'><cr:transformations>"
	        "<pr:provide-mood>yes</pr:provide-mood></cr:transformations></cr:rule></"
	        "cr:ruleset>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(policy_compile(bad[i], strlen(bad[i]), &p, &why), -1);
		assert_non_null(why);
	}
	/* no rule at all: everybody blocked */
	const char *empty = "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy'/>";
	assert_int_equal(policy_compile(empty, strlen(empty), &p, &why), 0);
	struct pol_watcher w = {"sip:bob@ims.example", 1, 0, 0, NULL, 0};
	struct pol_decision d;
	policy_decide(&p, &w, &d);
	assert_int_equal(d.sub_handling, SH_BLOCK);
	policy_free(&p);
}

/* issue #16 hole 9: a publication beyond the limits is refused naming the limit, and the kind
 * of refusal says which answer it gets (413 too large, 400 not acceptable) */
static void test_publication_limits(void **state)
{
	static char big[PIDF_MAX_BYTES + 64];
	enum pidf_refusal refusal;
	const char *why;
	struct pidf_doc *d;
	char *doc;
	size_t n;
	(void)state;
	/* 128 components pass, 129 do not */
	for (unsigned count = PIDF_MAX_COMPONENTS; count <= PIDF_MAX_COMPONENTS + 1; count++) {
		doc = malloc(100 + 64 * count);
		assert_non_null(doc);
		n = (size_t)sprintf(doc, "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
		                         "entity='sip:alice@ims.example'>");
		for (unsigned i = 0; i < count; i++)
			n += (size_t)sprintf(doc + n, "<tuple id='t%u'><status/></tuple>", i);
		n += (size_t)sprintf(doc + n, "</presence>");
		why = NULL;
		d = pidf_parse_publication(doc, n, "sip:alice@ims.example", &refusal, &why);
		if (count == PIDF_MAX_COMPONENTS) {
			assert_non_null(d);
			pidf_free(d);
		} else {
			assert_null(d);
			assert_int_equal(refusal, PIDF_REFUSED_TOO_LARGE);
			assert_string_equal(why, "presence document with more than 128 tuples, "
			                         "persons and devices");
		}
		free(doc);
	}
	/* depth: 400, naming the limit */
	char deep[4096] = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'>";
	for (int i = 0; i < 40; i++)
		strcat(deep, "<n>");
	for (int i = 0; i < 40; i++)
		strcat(deep, "</n>");
	strcat(deep, "</presence>");
	assert_null(pidf_parse_publication(deep, strlen(deep), NULL, &refusal, &why));
	assert_int_equal(refusal, PIDF_REFUSED_BAD);
	assert_string_equal(why, "presence document nested deeper than 32 elements");
	/* size: 413 before any parsing */
	memset(big, ' ', sizeof(big));
	assert_null(pidf_parse_publication(big, sizeof(big), NULL, &refusal, &why));
	assert_int_equal(refusal, PIDF_REFUSED_TOO_LARGE);
	assert_string_equal(why, "presence document larger than 262144 bytes");
	/* anything else pidf_parse refuses: 400 with its reason */
	const char *other = "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                    "entity='sip:mallory@ims.example'/>";
	assert_null(pidf_parse_publication(other, strlen(other), "sip:alice@ims.example", &refusal,
	                                   &why));
	assert_int_equal(refusal, PIDF_REFUSED_BAD);
	assert_string_equal(why, "the document's entity is not the presentity");
}

/* the entity is compared as an identity (uri_id.h): pres: and sip:, the host without case,
 * the user with it, escapes decoded */
static void test_entity_is_compared_as_an_identity(void **state)
{
	const char *why;
	(void)state;
	const char *same[] = {"pres:alice@ims.example", "sip:alice@IMS.EXAMPLE",
	                      "sip:%61lice@ims.example", "sips:alice@ims.example"};
	const char *other[] = {"sip:Alice@ims.example", "sip:alice@ims.example.evil",
	                       "sip:alice@ims.example:5070", "tel:+15550100"};
	char doc[256];
	for (unsigned i = 0; i < 4; i++) {
		snprintf(doc, sizeof(doc),
		         "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='%s'/>", same[i]);
		struct pidf_doc *d = pidf_parse(doc, strlen(doc), "sip:alice@ims.example", &why);
		assert_non_null(d);
		pidf_free(d);
		snprintf(doc, sizeof(doc),
		         "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='%s'/>", other[i]);
		assert_null(pidf_parse(doc, strlen(doc), "sip:alice@ims.example", &why));
	}
}

/* RFC 4745 7.1 on one identity: <one> and <many domain> match every spelling of the same
 * identity, and only an authenticated one */
static void test_rules_match_identities_not_strings(void **state)
{
	struct policy p;
	struct pol_decision d;
	const char *why = NULL;
	(void)state;
	const char *doc =
	        "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy' "
	        "xmlns:pr='urn:ietf:params:xml:ns:pres-rules'>"
	        "<cr:rule id='bob'><cr:conditions><cr:identity><cr:one id='sip:bob@IMS.example'/>"
	        "</cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow"
	        "</pr:sub-handling></cr:actions></cr:rule>"
	        "<cr:rule id='home'><cr:conditions><cr:identity><cr:many domain='Ims.Example'>"
	        "<cr:except id='sip:carol@ims.example'/></cr:many></cr:identity></cr:conditions>"
	        "<cr:actions><pr:sub-handling>polite-block</pr:sub-handling></cr:actions>"
	        "</cr:rule></cr:ruleset>";
	assert_int_equal(policy_compile(doc, strlen(doc), &p, &why), 0);
	const struct {
		const char *uri;
		int authenticated;
		enum sub_handling sh;
	} cases[] = {
	        {"sip:bob@ims.example", 1, SH_ALLOW},
	        {"sip:%62ob@IMS.EXAMPLE", 1, SH_ALLOW},
	        {"sips:bob@ims.example", 1, SH_ALLOW},
	        {"sip:Bob@ims.example", 1, SH_POLITE_BLOCK}, /* another user of the domain */
	        {"sip:bob@ims.example:5070", 1, SH_POLITE_BLOCK},
	        {"sip:bob@ims.example", 0, SH_BLOCK}, /* unauthenticated: no identity rule */
	        {"sip:carol@IMS.EXAMPLE", 1, SH_BLOCK},
	        {"sip:c%61rol@ims.example", 1, SH_BLOCK},
	        {"sip:dave@ims.example.evil", 1, SH_BLOCK},
	        {"tel:+15550100", 1, SH_BLOCK},
	        {"not a uri", 1, SH_BLOCK},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_watcher w = {cases[i].uri, cases[i].authenticated, 0, 0, NULL, 0};
		policy_decide(&p, &w, &d);
		if (d.sub_handling != cases[i].sh)
			fail_msg("%s (authenticated %d): %s", cases[i].uri, cases[i].authenticated,
			         sub_handling_name(d.sub_handling));
	}
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sub_handling_combines_by_maximum),
	        cmocka_unit_test(test_bob_sees_what_his_rule_grants),
	        cmocka_unit_test(test_erin_sees_the_device_and_the_card),
	        cmocka_unit_test(test_all_attributes),
	        cmocka_unit_test(test_nothing_granted_leaves_an_empty_presence),
	        cmocka_unit_test(test_provided_summarizes_what_a_watcher_received),
	        cmocka_unit_test(test_polite_block),
	        cmocka_unit_test(test_text_forms),
	        cmocka_unit_test(test_composition_newest_wins),
	        cmocka_unit_test(test_malformed_documents_are_refused),
	        cmocka_unit_test(test_bad_rules_are_refused),
	        cmocka_unit_test(test_publication_limits),
	        cmocka_unit_test(test_entity_is_compared_as_an_identity),
	        cmocka_unit_test(test_rules_match_identities_not_strings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
