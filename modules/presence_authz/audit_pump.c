/* The audit writer's policy: audit_pump.h. */
#include "audit_pump.h"

#include <string.h>

void audit_pump_init(struct audit_pump *p, struct audit_queue *q, unsigned batch_rows,
                     int keep_document, const struct audit_pump_ops *ops)
{
	memset(p, 0, sizeof(*p));
	p->q = q;
	p->batch_rows = batch_rows;
	p->keep_document = keep_document;
	p->ops = *ops;
	if (!p->ops.add)
		p->ops.add = audit_batch_add;
}

static void report(struct audit_pump *p, enum audit_event ev, const struct audit_entry *e,
                   unsigned n, const char *why)
{
	p->ops.report(p->ops.arg, ev, e, n, why);
}

/* The rows of a taken batch, built once: they wait with it while PostgreSQL is away. */
static void build(struct audit_pump *p)
{
	audit_batch_reset(&p->rows);
	for (struct audit_item *it = p->waiting; it; it = aq_next(it))
		if (p->ops.add(&p->rows, aq_entry(it), p->keep_document) != 0)
			report(p, AE_NO_MEMORY, aq_entry(it), 0, NULL);
}

/* A refused batch row by row: only the rows at fault are lost, unless the connection goes. */
static void one_by_one(struct audit_pump *p, long long now_ms, const char **why)
{
	for (struct audit_item *it = p->waiting; it; it = aq_next(it)) {
		int rc;
		audit_batch_reset(&p->one);
		if (p->ops.add(&p->one, aq_entry(it), p->keep_document) != 0)
			continue; /* reported when the batch was built */
		if ((rc = p->ops.write(p->ops.arg, &p->one, now_ms, why)) == 0) {
			report(p, AE_WRITTEN, NULL, 1, NULL);
			continue;
		}
		report(p, AE_ROW_LOST, aq_entry(it), 0, *why);
		if (rc == -1) { /* the connection went meanwhile: the rest are lost as well */
			unsigned rest = 0;
			for (struct audit_item *r = aq_next(it); r; r = aq_next(r))
				rest++;
			if (rest)
				report(p, AE_REST_LOST, NULL, rest, *why);
			return;
		}
	}
}

/* 0: the batch is done with (written, or lost row by row and reported); -1: PostgreSQL is
 * unreachable, keep it */
static int flush(struct audit_pump *p, long long now_ms, const char **why)
{
	int rc;
	if (p->rows.rows == 0)
		return 0;
	if ((rc = p->ops.write(p->ops.arg, &p->rows, now_ms, why)) == 0) {
		report(p, AE_WRITTEN, NULL, p->rows.rows, NULL);
		return 0;
	}
	if (rc == -1)
		return -1;
	report(p, AE_BATCH_REFUSED, NULL, p->rows.rows, *why);
	one_by_one(p, now_ms, why);
	return 0;
}

void audit_pump_run(struct audit_pump *p, long long now_ms)
{
	const char *why = NULL;
	for (;;) {
		if (!p->waiting) {
			if (!(p->waiting = aq_take(p->q, p->batch_rows)))
				return;
			build(p);
		}
		if (flush(p, now_ms, &why) != 0) {
			if (!p->down)
				report(p, AE_DOWN, NULL, 0, why);
			p->down = 1;
			return;
		}
		if (p->down)
			report(p, AE_UP, NULL, 0, NULL);
		p->down = 0;
		aq_release(p->q, p->waiting);
		p->waiting = NULL;
	}
}

void audit_pump_free(struct audit_pump *p)
{
	if (p->waiting)
		aq_release(p->q, p->waiting);
	p->waiting = NULL;
	audit_batch_free(&p->rows);
	audit_batch_free(&p->one);
}
