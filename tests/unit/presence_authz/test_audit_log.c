/* The audit log core: the queue between SIP workers and the writer (order, bound, memory, lock)
 * and the COPY rows (every column, escaping, what was provided, the hashes). The writer's COPY
 * into a real PostgreSQL is tested in tests/integration/test_presence_authz.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "audit_log.h"
#include "presec/sql_ident.h"

#include "../counting_store.h"

#define DOC                                                                                        \
	"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "                  \
	"entity=\"sip:alice@ims.example\"><tuple id=\"t1\"><status><basic>open</basic></status>"   \
	"<note>a\tb</note></tuple></presence>"
#define DOC_SHA256 "70281597c8207833b8002c113a077adbe793f87e68aab8124b32231b9afad07b"

static const char *const two_rules[] = {"friends", "say \"hi\""};

static struct audit_entry entry(const char *watcher)
{
	struct audit_entry e = {
	        .sent_at_us = 1795570000123456LL, /* 2026-11-25 01:26:40.123456 UTC */
	        .anonymous = 0,
	        .sub_handling = "allow",
	        .presentity = "sip:alice@ims.example",
	        .watcher = watcher,
	        .rules = two_rules,
	        .n_rules = 2,
	        .call_id = "c1",
	        .from_tag = "f1",
	        .to_tag = "t1",
	        .document = DOC,
	        .document_len = sizeof(DOC) - 1,
	};
	return e;
}

static void test_queue_keeps_order_bound_and_memory(void **state)
{
	(void)state;
	struct audit_queue *q = aq_new(&ops, 3);
	const char *w[] = {"sip:a@x", "sip:b@x", "sip:c@x", "sip:d@x"};
	struct audit_entry e;
	assert_non_null(q);
	for (int i = 0; i < 3; i++) {
		e = entry(w[i]);
		assert_int_equal(aq_push(q, &e), 0);
	}
	e = entry(w[3]);
	assert_int_equal(aq_push(q, &e), -1); /* full: refused, nothing allocated */
	assert_int_equal(allocated, 1 + 3);
	assert_int_equal(aq_pending(q), 3);

	struct audit_item *two = aq_take(q, 2);
	assert_non_null(two);
	assert_string_equal(aq_entry(two)->watcher, "sip:a@x");
	assert_non_null(aq_next(two));
	const struct audit_entry *b = aq_entry(aq_next(two));
	assert_string_equal(b->watcher, "sip:b@x");
	/* the copy holds every string and the document */
	assert_int_equal(b->n_rules, 2);
	assert_string_equal(b->rules[1], "say \"hi\"");
	assert_string_equal(b->to_tag, "t1");
	assert_int_equal(b->document_len, sizeof(DOC) - 1);
	assert_memory_equal(b->document, DOC, sizeof(DOC) - 1);
	assert_null(aq_next(aq_next(two)));
	/* taken is not written: still pending, still within the bound */
	assert_int_equal(aq_pending(q), 3);
	assert_int_equal(aq_push(q, &e), -1);
	aq_release(q, two);
	assert_int_equal(aq_pending(q), 1);

	assert_int_equal(aq_push(q, &e), 0); /* room again */
	struct audit_item *rest = aq_take(q, 10);
	assert_string_equal(aq_entry(rest)->watcher, "sip:c@x");
	assert_string_equal(aq_entry(aq_next(rest))->watcher, "sip:d@x");
	assert_null(aq_take(q, 10));
	aq_release(q, rest);
	assert_int_equal(aq_pending(q), 0);
	assert_int_equal(allocated, 1);
	aq_destroy(q);
	assert_int_equal(allocated, 0);
	assert_int_equal(locked, 0);
}

/* the COPY line split into its columns, unescaped only for the tab separators */
static int columns(char *line, char **col, int max)
{
	int n = 0;
	col[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = '\0';
			col[n++] = p + 1;
		}
	return n;
}

static void test_row_has_every_column(void **state)
{
	(void)state;
	struct audit_batch b = {0};
	struct audit_entry e = entry("sip:bob@ims.example");
	assert_int_equal(audit_batch_add(&b, &e, 1), 0);
	assert_int_equal(b.rows, 1);
	assert_true(b.len > 0 && b.buf[b.len - 1] == '\n');
	char *line = strndup(b.buf, b.len - 1);
	char *col[16];
	assert_int_equal(columns(line, col, 16), 11);
	assert_string_equal(col[0], "2026-11-25 01:26:40.123456+00");
	assert_string_equal(col[1], "sip:alice@ims.example");
	assert_string_equal(col[2], "sip:bob@ims.example");
	assert_string_equal(col[3], "f");
	assert_string_equal(col[4], "allow");
	/* array literal quoting, then COPY's own backslash doubling */
	assert_string_equal(col[5], "{\"friends\",\"say \\\\\"hi\\\\\"\"}");
	assert_string_equal(col[6], "deccb9192508c76eb4f61db94db08f65");
	assert_string_equal(col[7], "{\"t1\"}");
	assert_string_equal(col[8], "{\"tuple\",\"status\",\"basic\",\"note\"}");
	assert_string_equal(col[9], DOC_SHA256);
	/* the tab inside the note is escaped, so the document stays one column */
	assert_non_null(strstr(col[10], "<note>a\\tb</note>"));
	free(line);

	/* without the document: NULL, the rest the same */
	audit_batch_reset(&b);
	assert_int_equal(audit_batch_add(&b, &e, 0), 0);
	assert_true(b.len > 4 && memcmp(b.buf + b.len - 4, "\t\\N\n", 4) == 0);
	audit_batch_free(&b);
}

static void test_hostile_text_cannot_break_the_row(void **state)
{
	(void)state;
	struct audit_batch b = {0};
	/* separators, backslashes and bytes that are not UTF-8 in what a watcher controls */
	struct audit_entry e = entry("sip:ev\til\n\\x\xff\xc3(@x\xe2\x82\xac");
	e.anonymous = 1;
	e.document = "not xml";
	e.document_len = 7;
	e.n_rules = 0;
	assert_int_equal(audit_batch_add(&b, &e, 0), 0);
	char *line = strndup(b.buf, b.len - 1);
	assert_null(strchr(line, '\n'));
	char *col[16];
	assert_int_equal(columns(line, col, 16), 11);
	/* bad bytes replaced, a valid multi-byte sequence (the euro sign) kept */
	assert_string_equal(col[2], "sip:ev\\til\\n\\\\x?"
	                            "?(@x\xe2\x82\xac");
	assert_string_equal(col[3], "t");
	assert_string_equal(col[5], "{}");
	/* not a presence document: nothing listed, but still hashed */
	assert_string_equal(col[7], "\\N");
	assert_string_equal(col[8], "\\N");
	assert_int_equal(strlen(col[9]), 64);
	free(line);
	audit_batch_free(&b);
}

static void test_subscription_id_tells_dialogs_apart(void **state)
{
	(void)state;
	char a[33], b[33];
	audit_subscription_id("c1", "f1", "t1", a);
	assert_string_equal(a, "deccb9192508c76eb4f61db94db08f65");
	audit_subscription_id("ab", "c", "t", a);
	audit_subscription_id("a", "bc", "t", b);
	assert_string_not_equal(a, b);
}

static void test_writer_wants_a_plain_table_name(void **state)
{
	(void)state;
	struct audit_writer *w = aw_new("dbname=x", "presec_presence_audit", 1000);
	assert_non_null(w);
	aw_free(w);
	assert_null(aw_new("dbname=x", "audit; DROP TABLE xcap", 1000));
	assert_null(aw_new("dbname=x", "", 1000));
	assert_null(aw_new("dbname=x", "1audit", 1000));
	/* the one identifier check (include/presec/sql_ident.h), also ims_aka's table modparams */
	assert_true(sql_ident_ok("ims_subscriber", 63));
	assert_true(sql_ident_ok("_t9", 3));
	assert_false(sql_ident_ok("_t9", 2));
	assert_false(sql_ident_ok("Audit", 63));
	assert_false(sql_ident_ok("a.b", 63));
	assert_false(sql_ident_ok("a\"b", 63));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_queue_keeps_order_bound_and_memory),
	        cmocka_unit_test(test_row_has_every_column),
	        cmocka_unit_test(test_hostile_text_cannot_break_the_row),
	        cmocka_unit_test(test_subscription_id_tells_dialogs_apart),
	        cmocka_unit_test(test_writer_wants_a_plain_table_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
