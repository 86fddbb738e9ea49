/* The gate of the PS (gate.h): who the watcher is and whether it must authenticate, whether a
 * Digest proves the From, who may publish whose presence; with the tricks of issue #16 (the
 * case of a domain, escapes, ports and parameters, sips:, tel:, several P-Asserted-Identity,
 * a To-tag, an unasserted request from the S-CSCF's address). Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "gate.h"

#define SCSCF "127.0.1.2"
#define EVE   "127.0.2.9"
#define PNA   "127.0.1.8"
#define RLS   "127.0.1.3"

static struct trust_list asserting, sources, rls;
static struct gate_cfg cfg;

static int setup(void **state)
{
	const char *why = NULL;
	(void)state;
	memset(&asserting, 0, sizeof(asserting));
	memset(&sources, 0, sizeof(sources));
	memset(&rls, 0, sizeof(rls));
	assert_int_equal(trust_parse(SCSCF, &asserting, &why), 0);
	assert_int_equal(trust_parse(RLS, &rls, &why), 0);
	cfg.rls = &rls;
	assert_int_equal(trust_parse(PNA, &sources, &why), 0);
	cfg.asserting = &asserting;
	cfg.sources = &sources;
	cfg.trusted_domains = "ims.example";
	cfg.core_asserts = 1;
	return 0;
}

static struct gate_req req(const char *peer, const char *from, const char *pai)
{
	struct gate_req r;
	memset(&r, 0, sizeof(r));
	r.peer = peer;
	r.ruri = "sip:alice@ims.example";
	r.from = from;
	if (pai) {
		r.pai[0] = pai;
		r.n_pai = 1;
	}
	return r;
}

static void test_the_asserted_identity_is_the_watcher(void **state)
{
	struct gate_verdict v;
	(void)state;
	struct gate_req r = req(SCSCF, "sip:whoever@visited.example", "<sip:bob@ims.example>");
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
	assert_string_equal(v.identity, "sip:bob@ims.example");
	assert_string_equal(v.presentity, "sip:alice@ims.example");
	/* the asserted identity in its canonical form */
	r.pai[0] = "\"Bob\" <sip:%62ob@IMS.Example>";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
	assert_string_equal(v.identity, "sip:bob@ims.example");
	/* a sip and a tel identity: the sip one names the user (RFC 3325 9.1) */
	r.pai[0] = "<tel:+15550100>";
	r.pai[1] = "<sip:bob@ims.example>";
	r.n_pai = 2;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
	assert_string_equal(v.identity, "sip:bob@ims.example");
	/* two sip identities are nobody's */
	r.pai[0] = "<sip:carol@ims.example>";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	assert_int_equal(v.status, 403);
	r.pai[0] = "<sip:bob@ims.example>, <sip:carol@ims.example>";
	r.n_pai = 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	/* not an identity */
	r.pai[0] = "<sip:bob:pw@ims.example>";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	r.pai[0] = "<http://ims.example/bob>";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	r.n_pai = GATE_HDR_MAX + 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
}

static void test_an_assertion_from_elsewhere_is_not_believed(void **state)
{
	struct gate_verdict v;
	(void)state;
	/* eve writes P-Asserted-Identity herself: the From decides, and bob's From must be
	 * proved */
	struct gate_req r = req(EVE, "sip:eve@visited.example", "<sip:bob@ims.example>");
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_FOREIGN);
	assert_string_equal(v.identity, "sip:eve@visited.example");
	r.from = "sip:bob@ims.example";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_MUST_AUTHENTICATE);
}

static void test_a_home_from_nobody_asserted_must_authenticate(void **state)
{
	struct gate_verdict v;
	(void)state;
	/* issue #16 hole 1: every spelling of bob of ims.example is bob of ims.example */
	const char *bob[] = {
	        "sip:bob@ims.example",         "sip:bob@IMS.EXAMPLE",
	        "SIP:bob@Ims.Example",         "sip:%62ob@ims.example",
	        "sip:bob@%69ms.example",       "sip:bob@ims%2Eexample",
	        "sips:bob@ims.example",        "sip:bob@ims.example:5060",
	        "sip:bob@ims.example;user=ip", "sip:bob@ims.example;transport=tcp",
	        "pres:bob@IMS.example",        "sip:+1-555@ims.example;user=phone",
	        "sip:Bob@ims.example", /* another user, of the home domain all the same */
	};
	for (unsigned i = 0; i < sizeof(bob) / sizeof(bob[0]); i++) {
		struct gate_req r = req(SCSCF, bob[i], NULL);
		if (gate_watcher(&cfg, &r, &v) != GW_MUST_AUTHENTICATE)
			fail_msg("%s should have to authenticate", bob[i]);
		/* and what presence keeps is a watcher of the trusted domain */
		assert_true(gate_watcher_trusted(&cfg, v.identity));
	}
	struct gate_req r = req(SCSCF, "sip:%62ob@IMS.EXAMPLE:5060", NULL);
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_MUST_AUTHENTICATE);
	assert_string_equal(v.identity, "sip:bob@ims.example");
	/* behind a core that asserts nobody the home From is believed */
	cfg.core_asserts = 0;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_BELIEVED);
	cfg.core_asserts = 1;
}

static void test_other_watchers_are_unauthenticated(void **state)
{
	struct gate_verdict v;
	(void)state;
	const char *foreign[] = {
	        "sip:erin@visited.example",
	        "sip:bob@ims.example.evil",
	        "sip:bob@ims.example.",
	        "sip:bob@127.0.1.2",
	        "tel:+15550100",
	};
	for (unsigned i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		struct gate_req r = req(SCSCF, foreign[i], NULL);
		if (gate_watcher(&cfg, &r, &v) != GW_FOREIGN)
			fail_msg("%s should be an unauthenticated watcher", foreign[i]);
		/* the same test when presence_authz decides: never authenticated */
		assert_false(gate_watcher_trusted(&cfg, v.identity));
	}
	/* a From that is no identity is refused, not guessed at */
	const char *bad[] = {"sip:bob:pw@ims.example", "sip:bob@ims.example?x=y", "sip:ims.example",
	                     "mailto:bob@ims.example", "sip:b%zzob@ims.example"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gate_req r = req(SCSCF, bad[i], NULL);
		assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
		assert_int_equal(v.status, 403);
	}
	/* nor a presentity that is no user */
	struct gate_req r = req(SCSCF, "sip:bob@ims.example", NULL);
	r.ruri = "sip:ims.example";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	assert_int_equal(v.status, 400);
	/* no trusted domain configured: every watcher counts as authenticated, so every
	 * unasserted one must prove it */
	cfg.trusted_domains = "";
	r = req(SCSCF, "sip:erin@visited.example", NULL);
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_MUST_AUTHENTICATE);
	assert_true(gate_watcher_trusted(&cfg, "sip:erin@visited.example"));
	cfg.trusted_domains = "ims.example";
}

static void test_privacy_id_is_the_anonymous_watcher(void **state)
{
	struct gate_verdict v;
	(void)state;
	struct gate_req r = req(SCSCF, "sip:bob@ims.example", "<sip:bob@ims.example>");
	r.privacy[0] = "id";
	r.n_privacy = 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ANONYMOUS);
	assert_string_equal(v.identity, GATE_ANONYMOUS);
	r.privacy[0] = "header; ID";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ANONYMOUS);
	/* an unreadable Privacy is taken as asking for it */
	r.privacy[0] = "id;none";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ANONYMOUS);
	r.privacy[0] = "none";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
	r.privacy[0] = "user";
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
}

static void test_the_digest_must_prove_the_from(void **state)
{
	struct gate_verdict v;
	(void)state;
	const struct {
		const char *from, *user;
		int ok;
	} cases[] = {
	        {"sip:bob@ims.example", "bob", 1},
	        {"sip:%62ob@IMS.EXAMPLE", "bob", 1},
	        {"sips:bob@ims.example:5061", "bob", 1},
	        {"sip:bob@ims.example", "Bob", 0},
	        {"sip:Bob@ims.example", "bob", 0},
	        {"sip:dave@ims.example", "bob", 0},
	        {"sip:%62ob@ims.example", "%62ob", 0},
	        {"sip:mallory%40ims.example@ims.example", "mallory", 0},
	        {"sip:bob@visited.example", "bob", 0},
	        {"sip:bob@ims.example.evil", "bob", 0},
	        {"sip:bo%00b@ims.example", "bo", 0},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gate_req r = req(SCSCF, cases[i].from, NULL);
		int rc = gate_digest(&r, cases[i].user, "ims.example", &v);
		if (rc != (cases[i].ok ? 0 : -1))
			fail_msg("From %s, digest user %s", cases[i].from, cases[i].user);
		if (cases[i].ok)
			assert_string_equal(v.identity, "sip:bob@ims.example");
		else
			assert_int_equal(v.status, 403);
	}
	struct gate_req r = req(SCSCF, "sip:bob@ims.example", NULL);
	assert_int_equal(gate_digest(&r, NULL, "ims.example", &v), -1);
}

static void test_only_the_presentity_publishes(void **state)
{
	struct gate_verdict v;
	(void)state;
	/* alice herself, asserted by the S-CSCF, in any spelling */
	struct gate_req r = req(SCSCF, "sip:alice@ims.example", "<sip:alice@ims.example>");
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ALLOWED);
	r.pai[0] = "<sip:%61lice@IMS.example>";
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ALLOWED);
	r.ruri = "sip:alice@IMS.EXAMPLE";
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ALLOWED);
	assert_string_equal(v.presentity, "sip:alice@ims.example");
	/* issue #16 hole 2: mallory, From mallory or From alice: her set decides */
	const char *from[] = {"sip:mallory@ims.example", "sip:alice@ims.example"};
	for (unsigned i = 0; i < 2; i++) {
		r = req(SCSCF, from[i], "<sip:mallory@ims.example>");
		assert_int_equal(gate_publish(&cfg, &r, &v), GP_ASK_SET);
		assert_string_equal(v.identity, "sip:mallory@ims.example");
		const char *rows[] = {"sip:mallory@ims.example", "sip:mallory@ims.example",
		                      "sip:mallory@ims.example", "tel:+15550199"};
		assert_int_equal(gate_publish_set(rows, 2, &v), GP_REFUSED);
		assert_int_equal(v.status, 403);
	}
	/* alice's implicit registration set: her tel IMPU publishes for her sip one */
	r = req(SCSCF, "tel:+15550100", "<tel:+1-555-0100>");
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ASK_SET);
	assert_string_equal(v.identity, "tel:+15550100");
	const char *alice[] = {"tel:+15550100", "sip:alice@ims.example", "tel:+15550100",
	                       "tel:+15550100"};
	assert_int_equal(gate_publish_set(alice, 2, &v), GP_ALLOWED);
	/* a row that only looked like the publisher (the reader's loose match) counts not */
	r = req(SCSCF, "sip:Mallory@ims.example", "<sip:Mallory@ims.example>");
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ASK_SET);
	const char *loose[] = {"sip:mallory@ims.example", "sip:alice@ims.example"};
	assert_int_equal(gate_publish_set(loose, 1, &v), GP_REFUSED);
	assert_int_equal(gate_publish_set(NULL, 0, &v), GP_REFUSED);
}

static void test_nothing_is_published_on_an_address_s_word(void **state)
{
	struct gate_verdict v;
	(void)state;
	/* issue #16 hole 3: from the S-CSCF's address but nobody asserted */
	struct gate_req r = req(SCSCF, "sip:alice@ims.example", NULL);
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	assert_int_equal(v.status, 403);
	/* in a dialog, even asserted */
	r = req(SCSCF, "sip:alice@ims.example", "<sip:alice@ims.example>");
	r.has_to_tag = 1;
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	assert_int_equal(v.status, 403);
	/* from anywhere else, with any header */
	r = req(EVE, "sip:alice@ims.example", "<sip:alice@ims.example>");
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	/* a network presence source publishes for anyone of ours */
	r = req(PNA, "sip:pna@ims.example", NULL);
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ALLOWED);
	/* but not in a dialog either */
	r.has_to_tag = 1;
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	/* behind a core that asserts nobody, the From from the S-CSCF stands for it */
	cfg.core_asserts = 0;
	r = req(SCSCF, "sip:alice@ims.example", NULL);
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ALLOWED);
	r = req(SCSCF, "sip:mallory@ims.example", NULL);
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_ASK_SET);
	r = req(EVE, "sip:alice@ims.example", NULL);
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	cfg.core_asserts = 1;
	/* a presentity that is no user */
	r = req(SCSCF, "sip:alice@ims.example", "<sip:alice@ims.example>");
	r.ruri = "sip:alice:pw@ims.example";
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	assert_int_equal(v.status, 400);
	/* no sources, no asserting peers configured: nothing is published */
	struct gate_cfg none = {NULL, NULL, "ims.example", 1, NULL};
	r = req(SCSCF, "sip:alice@ims.example", "<sip:alice@ims.example>");
	assert_int_equal(gate_publish(&none, &r, &v), GP_REFUSED);
}

/* RFC 3261 12.2.1.1: a refresh or an unsubscribe is addressed to the PS's Contact; the watcher
 * is decided as for the initial SUBSCRIBE, the presentity is the dialog's */
static void test_a_refresh_is_addressed_to_the_ps_not_to_the_presentity(void **state)
{
	struct gate_verdict v;
	(void)state;
	struct gate_req r = req(SCSCF, "sip:bob@ims.example", "<sip:bob@ims.example>");
	r.ruri = "sip:127.0.1.3:5060";
	r.has_to_tag = 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
	assert_string_equal(v.identity, "sip:bob@ims.example");
	assert_string_equal(v.presentity, "");
	/* nobody asserted it: proved again, like the initial SUBSCRIBE */
	r = req(EVE, "sip:bob@IMS.EXAMPLE", NULL);
	r.ruri = "sip:127.0.1.3:5060";
	r.has_to_tag = 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_MUST_AUTHENTICATE);
	assert_int_equal(gate_digest(&r, "bob", "ims.example", &v), 0);
	assert_int_equal(gate_digest(&r, "mallory", "ims.example", &v), -1);
	/* the same Request-URI out of a dialog names no presentity */
	r.has_to_tag = 0;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	assert_int_equal(v.status, 400);
}

/* RFC 3857: only the presentity learns who watches it */
static void test_only_the_presentity_watches_its_watchers(void **state)
{
	struct gate_verdict v;
	(void)state;
	struct gate_req r = req(SCSCF, "sip:alice@ims.example", "<sip:alice@IMS.example>");
	r.winfo = 1;
	enum gate_watcher w = gate_watcher(&cfg, &r, &v);
	assert_int_equal(gate_winfo(&r, w, &v), GP_ALLOWED);
	/* mallory asserted: another identity, her set decides (and does not hold alice) */
	r = req(SCSCF, "sip:alice@ims.example", "<sip:mallory@ims.example>");
	r.winfo = 1;
	w = gate_watcher(&cfg, &r, &v);
	assert_int_equal(gate_winfo(&r, w, &v), GP_ASK_SET);
	const char *pairs[] = {"sip:mallory@ims.example", "sip:mallory@ims.example"};
	assert_int_equal(gate_publish_set(pairs, 1, &v), GP_REFUSED);
	/* nobody asserted it: refused, whatever the From says */
	r = req(EVE, "sip:alice@ims.example", NULL);
	r.winfo = 1;
	w = gate_watcher(&cfg, &r, &v);
	assert_int_equal(gate_winfo(&r, w, &v), GP_REFUSED);
	assert_int_equal(v.status, 403);
	r = req(SCSCF, "sip:alice@ims.example", NULL);
	r.privacy[0] = "id";
	r.n_privacy = 1;
	r.winfo = 1;
	w = gate_watcher(&cfg, &r, &v);
	assert_int_equal(gate_winfo(&r, w, &v), GP_REFUSED);
}

static void test_sources_and_asserting_peers_must_not_overlap(void **state)
{
	struct trust_list a, b;
	const char *why = NULL;
	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(gate_peers_parse("sip:127.0.1.2:5060", &a, &why), 0);
	assert_int_equal(gate_peers_parse("127.0.1.8", &b, &why), 0);
	assert_false(gate_lists_overlap(&a, &b));
	memset(&b, 0, sizeof(b));
	assert_int_equal(gate_peers_parse("127.0.1.0/24", &b, &why), 0);
	assert_true(gate_lists_overlap(&a, &b));
	assert_true(gate_lists_overlap(&b, &a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(gate_peers_parse("127.0.1.3/32 10.0.0.0/8 pna.ims.example", &b, &why), 0);
	assert_false(gate_lists_overlap(&a, &b));
	memset(&a, 0, sizeof(a));
	assert_int_equal(gate_peers_parse("PNA.ims.example", &a, &why), 0);
	assert_true(gate_lists_overlap(&a, &b));
	memset(&a, 0, sizeof(a));
	assert_false(gate_lists_overlap(&a, &b));
}

static void test_peers_by_address_or_sip_uri(void **state)
{
	struct trust_list l;
	const char *why = NULL;
	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(gate_peers_parse("sip:127.0.1.2:5060, 10.1.0.0/16 sip:[::1]", &l, &why),
	                 0);
	assert_true(trust_match(&l, "127.0.1.2"));
	assert_true(trust_match(&l, "10.1.2.3"));
	assert_true(trust_match(&l, "::1"));
	assert_false(trust_match(&l, "127.0.1.3"));
	memset(&l, 0, sizeof(l));
	assert_int_equal(gate_peers_parse("", &l, &why), 0);
	assert_int_equal(l.n, 0);
	assert_false(trust_match(&l, "127.0.1.2"));
	/* a user's URI names no peer */
	assert_int_equal(gate_peers_parse("sip:bob@127.0.1.2", &l, &why), -1);
	assert_int_equal(gate_peers_parse("sip:", &l, &why), -1);
	assert_int_equal(gate_peers_parse("10.0.0.0/99", &l, &why), -1);
}

/* TR 33.cde 4.5.2: the confidentiality mark counts from the S-CSCF only, alone, and only when
 * it names an encryption algorithm */
static void test_the_confidentiality_mark_is_believed_from_the_s_cscf_only(void **state)
{
	(void)state;
	const char *aes[] = {"aes-cbc"}, *des[] = {" des-ede3-cbc\t"}, *null[] = {"null"},
	           *junk[] = {"yes"}, *two[] = {"aes-cbc", "aes-cbc"}, *none[] = {NULL};
	assert_int_equal(gate_confidential(&cfg, SCSCF, aes, 1), GC_BELIEVED);
	assert_int_equal(gate_confidential(&cfg, SCSCF, des, 1), GC_BELIEVED);
	/* no mark: no confidentiality, from anyone */
	assert_int_equal(gate_confidential(&cfg, SCSCF, none, 0), GC_NONE);
	assert_int_equal(gate_confidential(&cfg, EVE, none, 0), GC_NONE);
	/* a UE or any other host writing it straight to the PS */
	assert_int_equal(gate_confidential(&cfg, EVE, aes, 1), GC_UNTRUSTED);
	assert_int_equal(gate_confidential(&cfg, NULL, aes, 1), GC_UNTRUSTED);
	/* a network presence source asserts presence, not a watcher's SA */
	assert_int_equal(gate_confidential(&cfg, PNA, aes, 1), GC_UNTRUSTED);
	/* a downgrade spelled as a mark, a word, a second mark, a header too long to keep */
	assert_int_equal(gate_confidential(&cfg, SCSCF, null, 1), GC_MALFORMED);
	assert_int_equal(gate_confidential(&cfg, SCSCF, junk, 1), GC_MALFORMED);
	assert_int_equal(gate_confidential(&cfg, SCSCF, two, 2), GC_MALFORMED);
	assert_int_equal(gate_confidential(&cfg, SCSCF, none, 1), GC_MALFORMED);
	/* no asserting peers configured: nobody is believed */
	struct gate_cfg bare = {NULL, NULL, "ims.example", 1, NULL};
	assert_int_equal(gate_confidential(&bare, SCSCF, aes, 1), GC_UNTRUSTED);
	assert_string_equal(gate_conf_name(GC_BELIEVED), "believed");
	assert_string_equal(gate_conf_name(GC_NONE), "none");
	assert_string_equal(gate_conf_name(GC_UNTRUSTED), "not from an asserting peer");
	assert_string_equal(gate_conf_name(GC_MALFORMED), "malformed");
	assert_string_equal(gate_conf_name((enum gate_conf)7), "?");
}

/* RFC 4662 7.1: the RLS's P-Asserted-Identity names the list watcher on a back-end SUBSCRIBE of
 * presence; it asserts nobody for winfo or PUBLISH, and its From (a handle) is nobody */
static void test_the_rls_asserts_list_watchers_for_presence_only(void **state)
{
	struct gate_verdict v;
	(void)state;
	struct gate_req r = req(RLS, "sip:rabc@rls.invalid", "<sip:bob@ims.example>");
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ASSERTED);
	assert_string_equal(v.identity, "sip:bob@ims.example");

	r = req(RLS, "sip:rabc@rls.invalid", NULL);
	r.privacy[0] = "id";
	r.n_privacy = 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_ANONYMOUS);
	assert_string_equal(v.identity, GATE_ANONYMOUS);

	r = req(RLS, "sip:bob@ims.example", NULL);
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	assert_int_equal(v.status, 403);
	assert_string_equal(v.why, "The RLS asserted no watcher");

	r = req(RLS, "sip:rabc@rls.invalid", "<sip:bob@ims.example>");
	r.winfo = 1;
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_REFUSED);
	assert_string_equal(v.why, "The RLS subscribes to presence only");

	/* an RLS-only peer publishes nothing, asserted or not */
	r = req(RLS, "sip:alice@ims.example", "<sip:alice@ims.example>");
	assert_int_equal(gate_publish(&cfg, &r, &v), GP_REFUSED);
	assert_int_equal(v.status, 403);

	/* eve's word is still nobody's */
	r = req(EVE, "sip:eve@ims.example", "<sip:bob@ims.example>");
	assert_int_equal(gate_watcher(&cfg, &r, &v), GW_MUST_AUTHENTICATE);
	assert_string_equal(v.identity, "sip:eve@ims.example");
}

/* RFC 4826 4.4.9: a list is its owner's, and the owner is who the S-CSCF asserted */
static void test_the_list_owner_is_the_asserted_watcher(void **state)
{
	struct gate_verdict v;
	int anon = -1;
	(void)state;
	struct gate_req r = req(SCSCF, "sip:mallory@ims.example", "<sip:Bob@IMS.example:5060>");
	r.ruri = "sip:bob-friends@ims.example";
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), 0);
	assert_string_equal(v.identity, "sip:Bob@ims.example");
	assert_string_equal(v.presentity, "sip:bob-friends@ims.example");
	assert_int_equal(anon, 0);

	/* anonymous at every member, but still bob's list */
	r.privacy[0] = "id";
	r.n_privacy = 1;
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), 0);
	assert_string_equal(v.identity, "sip:Bob@ims.example");
	assert_int_equal(anon, 1);

	/* nobody asserted it: no list, whatever the From */
	r = req(SCSCF, "sip:bob@ims.example", NULL);
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), -1);
	assert_int_equal(v.status, 403);
	r = req(EVE, "sip:bob@ims.example", "<sip:bob@ims.example>");
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), -1);
	assert_int_equal(v.status, 403);

	/* an asserted watcher of another domain owns no list here */
	r = req(SCSCF, "sip:x@visited.example", "<sip:erin@visited.example>");
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), -1);

	/* the RLS's own back-end SUBSCRIBE is never a list subscription */
	r = req(RLS, "sip:rabc@rls.invalid", "<sip:bob@ims.example>");
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), -1);
	assert_string_equal(v.why, "The RLS does not subscribe to lists");

	/* two identities that are not one: refused */
	r = req(SCSCF, "sip:bob@ims.example", "not a uri");
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), -1);
	/* a Request-URI that is no presentity */
	r = req(SCSCF, "sip:bob@ims.example", "<sip:bob@ims.example>");
	r.ruri = "mailto:x";
	assert_int_equal(gate_rls_owner(&cfg, &r, &anon, &v), -1);
	assert_int_equal(v.status, 400);
}

/* the handle names owner and anonymity, and only the key makes it */
static void test_the_rls_handle(void **state)
{
	char a[GATE_RLS_TOKEN_MAX], b[GATE_RLS_TOKEN_MAX], c[GATE_RLS_TOKEN_MAX];
	(void)state;
	assert_int_equal(gate_rls_handle("k1", "sip:bob@ims.example", 0, a), 0);
	assert_int_equal(strlen(a), GATE_RLS_TOKEN_MAX - 1);
	assert_true(gate_rls_token_valid(a, strlen(a)));
	assert_int_equal(gate_rls_handle("k1", "sip:bob@ims.example", 0, b), 0);
	assert_string_equal(a, b);
	assert_int_equal(gate_rls_handle("k1", "sip:bob@ims.example", 1, b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(gate_rls_handle("k2", "sip:bob@ims.example", 0, c), 0);
	assert_string_not_equal(a, c);
	assert_int_equal(gate_rls_handle("k1", "sip:carol@ims.example", 0, c), 0);
	assert_string_not_equal(a, c);
	assert_int_equal(gate_rls_handle("", "sip:bob@ims.example", 0, c), -1);
	assert_int_equal(gate_rls_handle("k1", NULL, 0, c), -1);
	assert_false(gate_rls_token_valid("bob", 3));
	assert_false(gate_rls_token_valid("rABCDEFGHIJKLMNOP", 17));
	assert_false(gate_rls_token_valid("xabcdefghijklmnop", 17));
	assert_false(gate_rls_token_valid("rabcdefghijklmno'", 17));
	assert_true(gate_rls_token_valid("rabcdefghijklmnop", 17));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_the_asserted_identity_is_the_watcher),
	        cmocka_unit_test(test_an_assertion_from_elsewhere_is_not_believed),
	        cmocka_unit_test(test_a_home_from_nobody_asserted_must_authenticate),
	        cmocka_unit_test(test_other_watchers_are_unauthenticated),
	        cmocka_unit_test(test_privacy_id_is_the_anonymous_watcher),
	        cmocka_unit_test(test_the_digest_must_prove_the_from),
	        cmocka_unit_test(test_only_the_presentity_publishes),
	        cmocka_unit_test(test_nothing_is_published_on_an_address_s_word),
	        cmocka_unit_test(test_a_refresh_is_addressed_to_the_ps_not_to_the_presentity),
	        cmocka_unit_test(test_only_the_presentity_watches_its_watchers),
	        cmocka_unit_test(test_sources_and_asserting_peers_must_not_overlap),
	        cmocka_unit_test(test_peers_by_address_or_sip_uri),
	        cmocka_unit_test(test_the_confidentiality_mark_is_believed_from_the_s_cscf_only),
	        cmocka_unit_test(test_the_rls_asserts_list_watchers_for_presence_only),
	        cmocka_unit_test(test_the_list_owner_is_the_asserted_watcher),
	        cmocka_unit_test(test_the_rls_handle),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
