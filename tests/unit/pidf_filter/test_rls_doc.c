/* The Ut's check of rls-services documents (rls_doc.h): what Kamailio's rls would drop
 * silently, loop on or follow into another user's documents is refused, each with its reason.
 * Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "rls_doc.h"

static const struct rls_doc_limits lim = {
        .owner = "sip:alice@ims.example",
        .home_domain = "ims.example",
        .xcap_host = "xcap.ims.example",
        .max_members = 3,
        .max_services = 2,
        .max_depth = 2,
};

#define HEAD                                                                                       \
	"<?xml version=\"1.0\"?><rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\" "      \
	"xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\">"
#define TAIL           "</rls-services>"
#define SVC(uri, body) "<service uri=\"" uri "\">" body "</service>"
#define LIST(x)        "<list name=\"l\">" x "</list>"
#define E(u)           "<rl:entry uri=\"" u "\"/>"
#define PKG            "<packages><package>presence</package></packages>"
#define REF(path)      "<resource-list>" path "</resource-list>"
#define OWN            "/xcap-root/resource-lists/users/sip:alice@ims.example/index/~~/resource-lists/"

static const char *check(const char *doc, struct rls_doc_info *info)
{
	const char *why = NULL;
	int rc = rls_doc_check(doc, strlen(doc), &lim, info, &why);
	if (rc == 0)
		return NULL;
	assert_non_null(why);
	return why;
}

static void test_a_list_of_members_with_packages_is_taken(void **state)
{
	struct rls_doc_info info;
	(void)state;
	assert_null(check(HEAD SVC("sip:alice-friends@ims.example",
	                           LIST(E("sip:carol@ims.example") "<rl:list name=\"n\">" E(
	                                   "sip:dave@ims.example") "</rl:list>") PKG) TAIL,
	                  &info));
	assert_int_equal(info.n_services, 1);
	assert_string_equal(info.services[0], "sip:alice-friends@ims.example");
}

static void test_own_resource_list_references_are_taken(void **state)
{
	struct rls_doc_info info;
	(void)state;
	assert_null(check(
	        HEAD SVC("sip:a1@ims.example", REF(OWN "list[@name=%22friends%22]"))
	                SVC("sip:a2@ims.example", REF("https://xcap.ims.example" OWN
	                                              "list[@name='w']/list[@name=\"x\"]")) TAIL,
	        &info));
	assert_int_equal(info.n_refs, 2);
	assert_string_equal(info.refs[0],
	                    "/xcap-root/resource-lists/users/sip:alice@ims.example/index");
	assert_string_equal(info.ref_lists[0], "friends");
	assert_string_equal(info.refs[1],
	                    "/xcap-root/resource-lists/users/sip:alice@ims.example/index");
	assert_string_equal(info.ref_lists[1], "w");
}

static void test_references_into_other_documents_are_refused(void **state)
{
	(void)state;
	/* bob's lists */
	assert_non_null(check(HEAD SVC("sip:a1@ims.example",
	                               REF("/xcap-root/resource-lists/users/sip:bob@ims.example/"
	                                   "index/~~/resource-lists/list[@name=\"f\"]")) TAIL,
	                      NULL));
	/* a prefix of the owner is not the owner */
	assert_non_null(
	        check(HEAD SVC("sip:a1@ims.example",
	                       REF("/xcap-root/resource-lists/users/sip:alice@ims.example.evil/"
	                           "index/~~/resource-lists/list[@name=\"f\"]")) TAIL,
	              NULL));
	/* another XCAP server */
	assert_non_null(check(HEAD SVC("sip:a1@ims.example",
	                               REF("https://evil.example" OWN "list[@name=\"f\"]")) TAIL,
	                      NULL));
	/* an XPath that is not a list by name, too deep, too long, or escaped badly */
	assert_non_null(check(HEAD SVC("sip:a1@ims.example", REF(OWN "list[1]")) TAIL, NULL));
	assert_non_null(check(
	        HEAD SVC("sip:a1@ims.example",
	                 REF(OWN "list[@name=\"a\"]/list[@name=\"b\"]/list[@name=\"c\"]")) TAIL,
	        NULL));
	assert_non_null(
	        check(HEAD SVC("sip:a1@ims.example", REF(OWN "list[@name=\"a'b\"]")) TAIL, NULL));
	assert_non_null(
	        check(HEAD SVC("sip:a1@ims.example",
	                       REF(OWN "list[@name=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]")) TAIL,
	              NULL));
	assert_non_null(
	        check(HEAD SVC("sip:a1@ims.example", REF(OWN "list[@name=%2\"a\"]")) TAIL, NULL));
	assert_non_null(
	        check(HEAD SVC("sip:a1@ims.example",
	                       REF("/xcap-root/resource-lists/users/sip:alice@ims.example/a/b/~~/"
	                           "resource-lists/list[@name=\"a\"]")) TAIL,
	              NULL));
}

static void test_services_are_canonical_and_unique(void **state)
{
	(void)state;
	const char *l = LIST(E("sip:carol@ims.example"));
	assert_non_null(check(HEAD SVC("sip:Friends@IMS.example", "") TAIL, NULL));
	assert_non_null(check(
	        HEAD
	        "<service uri=\"sip:f@ims.example\">" LIST(E("sip:carol@ims.example")) "</service><service uri=\"sip:f@ims.example\">" LIST(
	                E("sip:dave@ims.example")) "</service>" TAIL,
	        NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:f@ims.example;x=1\">" LIST(
	                              E("sip:carol@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:f@visited.example\">" LIST(
	                              E("sip:carol@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"tel:+1234\">" LIST(
	                              E("sip:carol@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:alice@ims.example\">" LIST(
	                              E("sip:carol@ims.example")) "</service>" TAIL,
	                      NULL));
	/* at most max_services */
	assert_non_null(check(
	        HEAD
	        "<service uri=\"sip:a@ims.example\">" LIST(E("sip:carol@ims.example")) "</service><service uri=\"sip:b@ims.example\">" LIST(
	                E("sip:carol@ims.example")) "</service><service uri=\"sip:c@ims.example\">" LIST(E("sip:carol@ims.example")) "</service>" TAIL,
	        NULL));
	(void)l;
}

static void test_members_are_bounded_and_never_loop(void **state)
{
	(void)state;
	/* a member naming a service of the document: rls would subscribe to itself */
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              E("sip:a@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              E("sip:carol@ims.example")
	                                      E("sip:carol@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              E("sip:b1@ims.example") E("sip:b2@ims.example")
	                                      E("sip:b3@ims.example")
	                                              E("sip:b4@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              E("sip:carol@visited.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(check(
	        HEAD "<service uri=\"sip:a@ims.example\">" LIST("<rl:list><rl:list><rl:list>" E(
	                "sip:carol@ims.example") "</rl:list></rl:list></rl:list>") "</service>" TAIL,
	        NULL));
	/* a resource-list inside a list (rls follows it: a reference to itself loops) */
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              "<resource-list>" OWN
	                              "list[@name=\"l\"]</resource-list>") "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              "<rl:entry-ref ref=\"x\"/>") "</service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\">" LIST(
	                              "<rl:external anchor=\"x\"/>") "</service>" TAIL,
	                      NULL));
}

static void test_what_rls_reads_otherwise_is_refused(void **state)
{
	(void)state;
	/* another package */
	assert_non_null(check(
	        HEAD "<service uri=\"sip:a@ims.example\">" LIST(E(
	                "sip:carol@ims.example")) "<packages><package>dialog</package></packages></service>" TAIL,
	        NULL));
	/* names in another case or namespace */
	assert_non_null(check(HEAD "<service uri=\"sip:a@ims.example\"><List>" E(
	                              "sip:carol@ims.example") "</List></service>" TAIL,
	                      NULL));
	assert_non_null(check(HEAD
	                      "<service uri=\"sip:a@ims.example\" xmlns:x=\"urn:x\"><x:list>" E(
	                              "sip:carol@ims.example") "</x:list></service>" TAIL,
	                      NULL));
	/* two lists, none */
	assert_non_null(check(HEAD
	                      "<service uri=\"sip:a@ims.example\">" LIST(E("sip:carol@ims.example"))
	                              LIST(E("sip:dave@ims.example")) "</service>" TAIL,
	                      NULL));
	assert_non_null(
	        check(HEAD "<service uri=\"sip:a@ims.example\">" PKG "</service>" TAIL, NULL));
	/* the root, a DOCTYPE, not XML */
	assert_non_null(check("<rls-services/>", NULL));
	assert_non_null(check("<!DOCTYPE x []>" HEAD TAIL, NULL));
	assert_non_null(check("<rls", NULL));
	assert_null(check(HEAD TAIL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_list_of_members_with_packages_is_taken),
	        cmocka_unit_test(test_own_resource_list_references_are_taken),
	        cmocka_unit_test(test_references_into_other_documents_are_refused),
	        cmocka_unit_test(test_services_are_canonical_and_unique),
	        cmocka_unit_test(test_members_are_bounded_and_never_loop),
	        cmocka_unit_test(test_what_rls_reads_otherwise_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
