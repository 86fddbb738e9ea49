/* What presence is told and what a watcher is sent (authz.c): every sub-handling, refused and
 * unreadable rules, the fallbacks of the document, the watcher URI, the names written into SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "authz.h"

static struct authz_subscription sub(enum authz_outcome how, enum sub_handling sh)
{
	struct authz_subscription a;
	memset(&a, 0x5a, sizeof(a));
	authz_subscription(how, sh, &a);
	return a;
}

static void test_subscription_state_of_each_sub_handling(void **state)
{
	(void)state;
	struct authz_subscription a = sub(AUTHZ_DECIDED, SH_ALLOW);
	assert_int_equal(a.status, AUTHZ_ACTIVE);
	assert_int_equal(a.count, AUTHZ_COUNT_ALLOW);
	assert_null(a.reason);
	/* RFC 5025 3.2.1: active, so that the watcher cannot tell it from an offline presentity */
	a = sub(AUTHZ_DECIDED, SH_POLITE_BLOCK);
	assert_int_equal(a.status, AUTHZ_ACTIVE);
	assert_int_equal(a.count, AUTHZ_COUNT_POLITE_BLOCK);
	assert_null(a.reason);
	a = sub(AUTHZ_DECIDED, SH_CONFIRM);
	assert_int_equal(a.status, AUTHZ_PENDING);
	assert_int_equal(a.count, AUTHZ_COUNT_CONFIRM);
	assert_null(a.reason);
	a = sub(AUTHZ_DECIDED, SH_BLOCK);
	assert_int_equal(a.status, AUTHZ_TERMINATED);
	assert_int_equal(a.count, AUTHZ_COUNT_BLOCK);
	assert_string_equal(a.reason, "rejected");
}

static void test_refused_rules_block_and_unreadable_rules_wait(void **state)
{
	(void)state;
	/* a document that is not pres-rules blocks, whatever the sub-handling says */
	struct authz_subscription a = sub(AUTHZ_REFUSED, SH_ALLOW);
	assert_int_equal(a.status, AUTHZ_TERMINATED);
	assert_int_equal(a.count, AUTHZ_COUNT_BLOCK);
	assert_string_equal(a.reason, "rejected");
	/* fail closed: pending, counted in no decision */
	a = sub(AUTHZ_UNAVAILABLE, SH_ALLOW);
	assert_int_equal(a.status, AUTHZ_PENDING);
	assert_int_equal(a.count, AUTHZ_COUNT_NONE);
	assert_null(a.reason);
}

static void test_only_allow_gets_the_filtered_document(void **state)
{
	(void)state;
	assert_int_equal(authz_document(AUTHZ_DECIDED, SH_ALLOW), AUTHZ_DOC_FILTERED);
	assert_int_equal(authz_document(AUTHZ_DECIDED, SH_POLITE_BLOCK), AUTHZ_DOC_OFFLINE);
	/* presence asks for bodies of pending and terminated subscriptions too (winfo, the last
	 * NOTIFY): never the document */
	assert_int_equal(authz_document(AUTHZ_DECIDED, SH_CONFIRM), AUTHZ_DOC_OFFLINE);
	assert_int_equal(authz_document(AUTHZ_DECIDED, SH_BLOCK), AUTHZ_DOC_OFFLINE);
	assert_int_equal(authz_document(AUTHZ_REFUSED, SH_ALLOW), AUTHZ_DOC_OFFLINE);
	assert_int_equal(authz_document(AUTHZ_UNAVAILABLE, SH_ALLOW), AUTHZ_DOC_OFFLINE);
	/* what goes wrong degrades towards less, never towards the unfiltered document */
	assert_int_equal(authz_document_fallback(AUTHZ_DOC_FILTERED), AUTHZ_DOC_OFFLINE);
	assert_int_equal(authz_document_fallback(AUTHZ_DOC_OFFLINE), AUTHZ_DOC_EMPTY);
	assert_int_equal(authz_document_fallback(AUTHZ_DOC_EMPTY), AUTHZ_DOC_EMPTY);
}

static void test_watcher_as_a_uri(void **state)
{
	char out[64];
	(void)state;
	authz_watcher_uri("bob", 3, "ims.example", 11, out, sizeof(out));
	assert_string_equal(out, "sip:bob@ims.example");
	authz_watcher_uri("+4930123", 8, "", 0, out, sizeof(out));
	assert_string_equal(out, "tel:+4930123");
	/* cut, never overrun */
	authz_watcher_uri("bob", 3, "ims.example", 11, out, 8);
	assert_string_equal(out, "sip:bob");
	assert_true(authz_anonymous_domain("anonymous.invalid", 17));
	assert_true(authz_anonymous_domain("Anonymous.INVALID", 17));
	assert_false(authz_anonymous_domain("anonymous.invalid.example", 25));
	assert_false(authz_anonymous_domain("anonymous.invalie", 17));
	assert_false(authz_anonymous_domain("", 0));
}

static void test_rpc_flag(void **state)
{
	int auth, anon, conf;
	(void)state;
	authz_rpc_flag(NULL, 0, &auth, &anon, &conf);
	assert_true(auth);
	assert_false(anon);
	assert_false(conf);
	authz_rpc_flag("unauthenticated", 15, &auth, &anon, &conf);
	assert_false(auth);
	assert_false(anon);
	authz_rpc_flag("anonymous", 9, &auth, &anon, &conf);
	assert_true(auth);
	assert_true(anon);
	authz_rpc_flag("anonymou", 8, &auth, &anon, &conf);
	assert_true(auth);
	assert_false(anon);
	assert_false(conf);
	/* TR 33.cde 4.5.2: the mark, alone or with another flag */
	authz_rpc_flag("confidential", 12, &auth, &anon, &conf);
	assert_true(auth);
	assert_false(anon);
	assert_true(conf);
	authz_rpc_flag("unauthenticated,confidential", 28, &auth, &anon, &conf);
	assert_false(auth);
	assert_false(anon);
	assert_true(conf);
	authz_rpc_flag("confidentia,anonymous", 21, &auth, &anon, &conf);
	assert_true(anon);
	assert_false(conf);
}

/* TR 33.cde 4.5.2: the state as the identity could have it: only a home UE, named or
 * anonymous, can carry the P-CSCF's mark */
static void test_state_is_decided_as_if_marked_for_whom_could_be(void **state)
{
	(void)state;
	assert_true(authz_state_confidential(1, 0));
	assert_true(authz_state_confidential(0, 1));
	assert_true(authz_state_confidential(1, 1));
	assert_false(authz_state_confidential(0, 0));
}

static void test_names_written_into_sql(void **state)
{
	char long_name[66];
	(void)state;
	assert_true(authz_xcap_name_ok("alice", 5));
	assert_true(authz_xcap_name_ok("a.b-c_d+e9", 10));
	assert_false(authz_xcap_name_ok("", 0));
	assert_false(authz_xcap_name_ok("o'brien", 7));
	assert_false(authz_xcap_name_ok("a b", 3));
	assert_false(authz_xcap_name_ok("a\\b", 3));
	memset(long_name, 'a', sizeof(long_name));
	assert_true(authz_xcap_name_ok(long_name, 64));
	assert_false(authz_xcap_name_ok(long_name, 65));

	assert_true(authz_plain_sip_uri("sip:alice@ims.example", 21));
	assert_false(authz_plain_sip_uri("sip:", 4));
	assert_false(authz_plain_sip_uri("tel:+4930123", 12));
	assert_false(authz_plain_sip_uri("sip:alice'@x", 12));
	assert_false(authz_plain_sip_uri("sip:a;b@x", 9));
	char uri[202] = "sip:";
	memset(uri + 4, 'a', sizeof(uri) - 5);
	assert_true(authz_plain_sip_uri(uri, 200));
	assert_false(authz_plain_sip_uri(uri, 201));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_subscription_state_of_each_sub_handling),
	        cmocka_unit_test(test_refused_rules_block_and_unreadable_rules_wait),
	        cmocka_unit_test(test_only_allow_gets_the_filtered_document),
	        cmocka_unit_test(test_watcher_as_a_uri),
	        cmocka_unit_test(test_rpc_flag),
	        cmocka_unit_test(test_state_is_decided_as_if_marked_for_whom_could_be),
	        cmocka_unit_test(test_names_written_into_sql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
