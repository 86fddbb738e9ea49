/* The audit writer's policy (TS 33.141 requirement 6): which rows of the queue go into a batch,
 * what happens to a batch that PostgreSQL writes, refuses or cannot be reached for, and what
 * each outcome counts. While PostgreSQL is away the batch waits with its rows built once (and
 * the queue bounds what waits: audit_max_pending); a refused batch is written row by row so
 * that only the rows at fault are lost; when the connection goes during that, the rest of the
 * batch is lost too (a row may have been committed). Pure core over audit_log.h; the write is
 * a callback (aw_write in the module, a script in the unit tests). No Kamailio header. */
#ifndef PRESEC_AUDIT_PUMP_H
#define PRESEC_AUDIT_PUMP_H

#include "audit_log.h"

/* what the module counts and logs (README 6: audit_records, audit_failures, audit_disconnects) */
enum audit_event {
	AE_WRITTEN,       /* n rows written */
	AE_NO_MEMORY,     /* e: its row could not be built: lost */
	AE_BATCH_REFUSED, /* n rows refused together (why): written one by one */
	AE_ROW_LOST,      /* e: refused alone, or the connection went while it was written */
	AE_REST_LOST,     /* n more rows of a refused batch lost: the connection went (why) */
	AE_DOWN,          /* PostgreSQL unreachable (why): the batch waits; once per outage */
	AE_UP,            /* reachable again after AE_DOWN */
};

struct audit_pump_ops {
	/* aw_write()'s contract: 0 written, -1 unreachable (keep the rows), -2 refused */
	int (*write)(void *arg, const struct audit_batch *b, long long now_ms, const char **why);
	/* e, n and why as the event says (NULL, 0 otherwise) */
	void (*report)(void *arg, enum audit_event ev, const struct audit_entry *e, unsigned n,
	               const char *why);
	/* audit_batch_add() unless set (the unit tests run out of memory with it) */
	int (*add)(struct audit_batch *b, const struct audit_entry *e, int keep_document);
	void *arg;
};

struct audit_pump {
	struct audit_queue *q;
	unsigned batch_rows;
	int keep_document;
	struct audit_pump_ops ops;
	struct audit_item *waiting; /* taken, not yet written: PostgreSQL was away */
	struct audit_batch rows;    /* waiting's rows */
	struct audit_batch one;     /* a row of a refused batch */
	int down;
};

void audit_pump_init(struct audit_pump *p, struct audit_queue *q, unsigned batch_rows,
                     int keep_document, const struct audit_pump_ops *ops);
/* One round of the writer: everything queued, a batch of at most batch_rows at a time, until
 * the queue is empty or PostgreSQL is away. */
void audit_pump_run(struct audit_pump *p, long long now_ms);
/* Gives up what waits (its rows are released, not written) and frees the batches. */
void audit_pump_free(struct audit_pump *p);

#endif
