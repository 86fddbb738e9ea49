/* The presentity's log of who received what (TS 33.141 requirement 6, sql/003 and sql/007):
 * SIP workers queue one entry per NOTIFY body in shared memory; one writer process turns the
 * entries into rows (what was provided, the body's SHA-256, a subscription id that names no
 * address) and appends them with COPY, many rows per statement, so that the log costs
 * PostgreSQL one statement per batch instead of one per NOTIFY. Pure core: libpq, libxml2
 * (pidf.h), OpenSSL; no Kamailio header. */
#ifndef PRESEC_AUDIT_LOG_H
#define PRESEC_AUDIT_LOG_H
#include <stddef.h>

#include "presec/store_ops.h"

struct audit_entry {
	long long sent_at_us;     /* when the PS produced the body: Unix time, microseconds */
	int anonymous;            /* RFC 3323 Privacy: id; watcher is then the anonymous URI */
	const char *sub_handling; /* "allow" or "polite-block" */
	const char *presentity, *watcher;
	const char *const *rules; /* ids of the matching rules */
	unsigned n_rules;
	const char *call_id, *from_tag, *to_tag; /* the subscription's dialog */
	const char *document;
	size_t document_len;
};

/* ---- the queue between the SIP workers and the writer (shared memory via ops) ---- */
struct audit_queue;
struct audit_item; /* one queued entry, in one block */

struct audit_queue *aq_new(const struct presec_store_ops *ops, unsigned max_pending);
void aq_destroy(struct audit_queue *q);
/* Copies e into the queue: 0, or -1 when max_pending entries wait already or memory ran out. */
int aq_push(struct audit_queue *q, const struct audit_entry *e);
/* Detaches up to max of the oldest entries, oldest first (NULL: none). They count as pending
 * until released: the bound covers what the writer holds as well. */
struct audit_item *aq_take(struct audit_queue *q, unsigned max);
const struct audit_entry *aq_entry(const struct audit_item *it);
struct audit_item *aq_next(const struct audit_item *it);
/* Frees a chain returned by aq_take() (written or given up). */
void aq_release(struct audit_queue *q, struct audit_item *chain);
/* entries pushed and not yet released */
unsigned aq_pending(struct audit_queue *q);

/* ---- rows ---- */
struct audit_batch {
	char *buf;
	size_t len, cap;
	unsigned rows;
};

/* Appends e as one line of COPY text for the columns of audit_copy_columns. keep_document: the
 * body itself is stored too (otherwise NULL: its hash and summary say what it was). 0, or -1
 * when memory ran out. */
int audit_batch_add(struct audit_batch *b, const struct audit_entry *e, int keep_document);
void audit_batch_reset(struct audit_batch *b);
void audit_batch_free(struct audit_batch *b);
extern const char audit_copy_columns[];

/* The subscription id of the log: hex SHA-256 of the dialog (Call-ID, From tag, To tag) cut to
 * 128 bits, so that a presentity can tell subscriptions apart without learning the watcher's
 * Call-ID (which often carries its host). out: 33 bytes. */
void audit_subscription_id(const char *call_id, const char *from_tag, const char *to_tag,
                           char out[33]);

/* ---- the writer's connection ---- */
struct audit_writer;
/* conninfo: libpq connection string or postgres:// URI; table: a plain SQL identifier. */
struct audit_writer *aw_new(const char *conninfo, const char *table, int retry_ms);
void aw_free(struct audit_writer *w);
/* Appends the batch with one COPY, connecting first when needed (not before retry_ms after a
 * failure). 0; -1 when the server is unreachable (keep the batch for later); -2 when the
 * server refused the rows themselves. *why says what happened. */
int aw_write(struct audit_writer *w, const struct audit_batch *b, long long now_ms,
             const char **why);

#endif
