/* The audit writer's policy (audit_pump.c): batches, PostgreSQL away (the batch waits, built
 * once, one outage reported once), a refused batch written row by row, the connection lost
 * during that, rows that cannot be built. The write is scripted; the real COPY is tested in
 * tests/integration/test_presence_authz.py and test_presence_authz_cluster.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "audit_pump.h"

#include "../counting_store.h"

static const char *const no_rules[] = {"r"};

/* what the pump did: the write results to give, in order, and what it reported */
struct script {
	const int *results; /* write() returns these in turn, then 0 */
	unsigned n_results, writes;
	unsigned rows_per_write[16];
	const char *batch_buf[16];  /* the batch written each time */
	unsigned events[AE_UP + 1]; /* how often each event */
	unsigned written, lost;     /* rows, as the module's statistics count them */
	char lost_watchers[256];
	const char *fail_add; /* the watcher whose row cannot be built */
};

static int scripted_write(void *arg, const struct audit_batch *b, long long now_ms,
                          const char **why)
{
	struct script *s = arg;
	(void)now_ms;
	int rc = s->writes < s->n_results ? s->results[s->writes] : 0;
	if (s->writes < 16) {
		s->rows_per_write[s->writes] = b->rows;
		s->batch_buf[s->writes] = b->buf;
	}
	s->writes++;
	*why = rc == -1 ? "unreachable" : rc == -2 ? "refused" : NULL;
	return rc;
}

static void record(void *arg, enum audit_event ev, const struct audit_entry *e, unsigned n,
                   const char *why)
{
	struct script *s = arg;
	s->events[ev]++;
	if (ev == AE_WRITTEN)
		s->written += n;
	if (ev == AE_REST_LOST)
		s->lost += n;
	if (ev == AE_ROW_LOST || ev == AE_NO_MEMORY) {
		s->lost++;
		strcat(s->lost_watchers, e->watcher);
		strcat(s->lost_watchers, " ");
	}
	if (ev == AE_BATCH_REFUSED || ev == AE_ROW_LOST || ev == AE_REST_LOST || ev == AE_DOWN)
		assert_non_null(why);
}

static struct script *current; /* the script of the test running (failing_add) */

static int failing_add(struct audit_batch *b, const struct audit_entry *e, int keep_document)
{
	if (current->fail_add && strcmp(e->watcher, current->fail_add) == 0)
		return -1;
	return audit_batch_add(b, e, keep_document);
}

static struct audit_queue *queue_of(unsigned n)
{
	static char names[8][16];
	struct audit_queue *q = aq_new(&ops, 100);
	assert_non_null(q);
	for (unsigned i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "sip:w%u@x", i + 1);
		struct audit_entry e = {
		        .sent_at_us = 1795570000123456LL,
		        .sub_handling = "allow",
		        .presentity = "sip:alice@ims.example",
		        .watcher = names[i],
		        .rules = no_rules,
		        .n_rules = 1,
		        .call_id = "c",
		        .from_tag = "f",
		        .to_tag = "t",
		        .document = "<presence/>",
		        .document_len = 11,
		};
		assert_int_equal(aq_push(q, &e), 0);
	}
	return q;
}

static void pump_over(struct audit_pump *p, struct audit_queue *q, struct script *s,
                      unsigned batch_rows)
{
	struct audit_pump_ops o = {scripted_write, record, failing_add, s};
	current = s;
	audit_pump_init(p, q, batch_rows, 0, &o);
}

static void done(struct audit_pump *p, struct audit_queue *q)
{
	audit_pump_free(p);
	assert_int_equal(aq_pending(q), 0);
	aq_destroy(q);
	assert_int_equal(allocated, 0);
}

static void test_everything_queued_is_written_in_batches(void **state)
{
	struct script s = {0};
	struct audit_pump p;
	struct audit_queue *q = queue_of(5);
	(void)state;
	pump_over(&p, q, &s, 2);
	audit_pump_run(&p, 0);
	assert_int_equal(s.writes, 3);
	assert_int_equal(s.rows_per_write[0], 2);
	assert_int_equal(s.rows_per_write[1], 2);
	assert_int_equal(s.rows_per_write[2], 1);
	assert_int_equal(s.written, 5);
	assert_int_equal(s.lost, 0);
	assert_int_equal(aq_pending(q), 0);
	audit_pump_run(&p, 1); /* nothing queued: nothing written */
	assert_int_equal(s.writes, 3);
	done(&p, q);
}

static void test_rows_wait_while_postgresql_is_away(void **state)
{
	const int away[] = {-1, -1, -1};
	struct script s = {.results = away, .n_results = 3};
	struct audit_pump p;
	struct audit_queue *q = queue_of(3);
	(void)state;
	pump_over(&p, q, &s, 2);
	audit_pump_run(&p, 0);
	assert_int_equal(s.events[AE_DOWN], 1);
	assert_int_equal(aq_pending(q), 3); /* the batch taken still counts against the bound */
	audit_pump_run(&p, 100);
	audit_pump_run(&p, 200);
	assert_int_equal(s.writes, 3);
	assert_int_equal(s.events[AE_DOWN], 1); /* one outage, reported once */
	assert_int_equal(s.events[AE_UP], 0);
	/* the same batch each round: its rows built once */
	assert_ptr_equal(s.batch_buf[1], s.batch_buf[0]);
	assert_ptr_equal(s.batch_buf[2], s.batch_buf[0]);
	audit_pump_run(&p, 300); /* back */
	assert_int_equal(s.events[AE_UP], 1);
	assert_int_equal(s.written, 3);
	assert_int_equal(s.lost, 0);
	assert_int_equal(aq_pending(q), 0);
	done(&p, q);
}

static void test_a_refused_batch_loses_only_the_rows_at_fault(void **state)
{
	/* the batch of three refused; then w1 written, w2 refused alone, w3 written */
	const int refused[] = {-2, 0, -2, 0};
	struct script s = {.results = refused, .n_results = 4};
	struct audit_pump p;
	struct audit_queue *q = queue_of(3);
	(void)state;
	pump_over(&p, q, &s, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(s.events[AE_BATCH_REFUSED], 1);
	assert_int_equal(s.writes, 4);
	assert_int_equal(s.rows_per_write[1], 1);
	assert_int_equal(s.written, 2);
	assert_int_equal(s.lost, 1);
	assert_string_equal(s.lost_watchers, "sip:w2@x ");
	assert_int_equal(s.events[AE_DOWN], 0);
	assert_int_equal(aq_pending(q), 0); /* done with: released */
	done(&p, q);
}

static void test_the_connection_lost_row_by_row_loses_the_rest(void **state)
{
	/* refused; w1 written; w2: the connection goes; w3 and w4 are not tried */
	const int gone[] = {-2, 0, -1};
	struct script s = {.results = gone, .n_results = 3};
	struct audit_pump p;
	struct audit_queue *q = queue_of(4);
	(void)state;
	pump_over(&p, q, &s, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(s.writes, 3);
	assert_int_equal(s.written, 1);
	assert_string_equal(s.lost_watchers, "sip:w2@x ");
	assert_int_equal(s.events[AE_REST_LOST], 1);
	assert_int_equal(s.lost, 1 + 2);
	assert_int_equal(s.events[AE_DOWN], 0); /* the batch is not kept for later */
	assert_int_equal(aq_pending(q), 0);
	done(&p, q);
}

static void test_the_last_row_lost_leaves_no_rest(void **state)
{
	const int gone[] = {-2, 0, -1};
	struct script s = {.results = gone, .n_results = 3};
	struct audit_pump p;
	struct audit_queue *q = queue_of(2);
	(void)state;
	pump_over(&p, q, &s, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(s.written, 1);
	assert_int_equal(s.lost, 1);
	assert_int_equal(s.events[AE_REST_LOST], 0);
	done(&p, q);
}

static void test_a_row_that_cannot_be_built_is_lost_once(void **state)
{
	/* w2's row: no memory. The batch of the other two is refused: row by row w2 is skipped,
	 * not reported twice */
	const int refused[] = {0, -2, 0, 0};
	struct script s = {.results = refused, .n_results = 4, .fail_add = "sip:w2@x"};
	struct audit_pump p;
	struct audit_queue *q = queue_of(3);
	(void)state;
	pump_over(&p, q, &s, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(s.events[AE_NO_MEMORY], 1);
	assert_int_equal(s.rows_per_write[0], 2);
	assert_int_equal(s.written, 2);
	assert_int_equal(s.lost, 1);
	audit_pump_free(&p);
	aq_destroy(q);

	/* refused, then row by row */
	struct script r = {.results = refused + 1, .n_results = 3, .fail_add = "sip:w2@x"};
	q = queue_of(3);
	pump_over(&p, q, &r, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(r.events[AE_NO_MEMORY], 1);
	assert_int_equal(r.events[AE_BATCH_REFUSED], 1);
	assert_int_equal(r.writes, 1 + 2);
	assert_int_equal(r.written, 2);
	assert_int_equal(r.lost, 1);
	done(&p, q);
}

static void test_a_batch_without_rows_is_not_written(void **state)
{
	struct script s = {.fail_add = "sip:w1@x"};
	struct audit_pump p;
	struct audit_queue *q = queue_of(1);
	(void)state;
	pump_over(&p, q, &s, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(s.writes, 0);
	assert_int_equal(s.lost, 1);
	assert_int_equal(aq_pending(q), 0);
	done(&p, q);
}

static void test_what_waits_is_released_at_the_end(void **state)
{
	const int away[] = {-1};
	struct script s = {.results = away, .n_results = 1};
	struct audit_pump p;
	struct audit_queue *q = queue_of(2);
	(void)state;
	pump_over(&p, q, &s, 10);
	audit_pump_run(&p, 0);
	assert_int_equal(aq_pending(q), 2);
	done(&p, q); /* audit_pump_free releases the waiting batch */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_everything_queued_is_written_in_batches),
	        cmocka_unit_test(test_rows_wait_while_postgresql_is_away),
	        cmocka_unit_test(test_a_refused_batch_loses_only_the_rows_at_fault),
	        cmocka_unit_test(test_the_connection_lost_row_by_row_loses_the_rest),
	        cmocka_unit_test(test_the_last_row_lost_leaves_no_rest),
	        cmocka_unit_test(test_a_row_that_cannot_be_built_is_lost_once),
	        cmocka_unit_test(test_a_batch_without_rows_is_not_written),
	        cmocka_unit_test(test_what_waits_is_released_at_the_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
