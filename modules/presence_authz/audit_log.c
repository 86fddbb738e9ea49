/* See audit_log.h. */
#include "audit_log.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg_conn.h"
#include "presec/sql_ident.h"
#include "presec/hex.h"
#include "pidf.h"

/* ---- queue ---- */

struct audit_item {
	struct audit_item *next;
	struct audit_entry e; /* its strings live in the same block, after the rule pointers */
};

struct audit_queue {
	struct presec_store_ops ops;
	unsigned max_pending, pending;
	struct audit_item *head, *tail;
};

struct audit_queue *aq_new(const struct presec_store_ops *ops, unsigned max_pending)
{
	struct audit_queue *q = ops->alloc(sizeof(*q));
	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->ops = *ops;
	q->max_pending = max_pending;
	return q;
}

void aq_destroy(struct audit_queue *q)
{
	if (!q)
		return;
	aq_release(q, q->head);
	q->ops.release(q);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *stash(char **p, const char *s, size_t n)
{
	char *d = *p;
	if (!s)
		return NULL;
	memcpy(d, s, n);
	*p += n;
	return d;
}

int aq_push(struct audit_queue *q, const struct audit_entry *e)
{
	size_t n = sizeof(struct audit_item) + e->n_rules * sizeof(char *) + slen(e->sub_handling) +
	           slen(e->presentity) + slen(e->watcher) + slen(e->call_id) + slen(e->from_tag) +
	           slen(e->to_tag) + e->document_len + 1;
	for (unsigned i = 0; i < e->n_rules; i++)
		n += slen(e->rules[i]);

	/* checked before allocating, so that a full queue costs a SIP worker nothing */
	q->ops.lock(q->ops.lock_arg);
	int full = q->pending >= q->max_pending;
	q->ops.unlock(q->ops.lock_arg);
	if (full)
		return -1;

	struct audit_item *it = q->ops.alloc(n);
	if (!it)
		return -1;
	const char **rules = (const char **)(it + 1);
	char *p = (char *)(rules + e->n_rules);
	it->next = NULL;
	it->e = *e;
	for (unsigned i = 0; i < e->n_rules; i++)
		rules[i] = stash(&p, e->rules[i], slen(e->rules[i]));
	it->e.rules = rules;
	it->e.sub_handling = stash(&p, e->sub_handling, slen(e->sub_handling));
	it->e.presentity = stash(&p, e->presentity, slen(e->presentity));
	it->e.watcher = stash(&p, e->watcher, slen(e->watcher));
	it->e.call_id = stash(&p, e->call_id, slen(e->call_id));
	it->e.from_tag = stash(&p, e->from_tag, slen(e->from_tag));
	it->e.to_tag = stash(&p, e->to_tag, slen(e->to_tag));
	if (e->document_len)
		memcpy(p, e->document, e->document_len);
	p[e->document_len] = '\0';
	it->e.document = p;

	q->ops.lock(q->ops.lock_arg);
	if (q->pending >= q->max_pending) { /* filled up meanwhile */
		q->ops.unlock(q->ops.lock_arg);
		q->ops.release(it);
		return -1;
	}
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->pending++;
	q->ops.unlock(q->ops.lock_arg);
	return 0;
}

struct audit_item *aq_take(struct audit_queue *q, unsigned max)
{
	struct audit_item *first, *last;
	unsigned n = 1;
	/* the entries stay pending (and count against max_pending) until aq_release() */
	q->ops.lock(q->ops.lock_arg);
	first = q->head;
	if (!first || max == 0) {
		q->ops.unlock(q->ops.lock_arg);
		return NULL;
	}
	for (last = first; last->next && n < max; last = last->next)
		n++;
	q->head = last->next;
	if (!q->head)
		q->tail = NULL;
	q->ops.unlock(q->ops.lock_arg);
	last->next = NULL;
	return first;
}

const struct audit_entry *aq_entry(const struct audit_item *it)
{
	return &it->e;
}

struct audit_item *aq_next(const struct audit_item *it)
{
	return it->next;
}

void aq_release(struct audit_queue *q, struct audit_item *chain)
{
	unsigned n = 0;
	while (chain) {
		struct audit_item *next = chain->next;
		q->ops.release(chain);
		chain = next;
		n++;
	}
	if (n) {
		q->ops.lock(q->ops.lock_arg);
		q->pending -= n;
		q->ops.unlock(q->ops.lock_arg);
	}
}

unsigned aq_pending(struct audit_queue *q)
{
	q->ops.lock(q->ops.lock_arg);
	unsigned n = q->pending;
	q->ops.unlock(q->ops.lock_arg);
	return n;
}

/* ---- rows: PostgreSQL COPY text format ---- */

const char audit_copy_columns[] = "sent_at, presentity, watcher, anonymous, sub_handling, rules, "
                                  "subscription, provided_ids, provided_elements, body_sha256, "
                                  "document";

static int reserve(struct audit_batch *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	char *n = realloc(b->buf, cap);
	if (!n)
		return -1;
	b->buf = n;
	b->cap = cap;
	return 0;
}

static int put(struct audit_batch *b, const char *s, size_t n)
{
	if (reserve(b, n) != 0)
		return -1;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table 4), 0 when it is not one:
 * PostgreSQL refuses a whole COPY for one bad byte, so bad bytes become '?'. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* one field's text, escaped for COPY (backslash and the separators; NUL is dropped) */
static int put_text(struct audit_batch *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (reserve(b, 2 * n) != 0)
		return -1;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);
		char *d = b->buf + b->len;
		if (k > 1) {
			memcpy(d, u + i, k);
			b->len += k;
			i += k;
			continue;
		}
		unsigned char c = k ? u[i] : '?';
		i++;
		switch (c) {
		case '\\':
			d[0] = '\\', d[1] = '\\', b->len += 2;
			break;
		case '\n':
			d[0] = '\\', d[1] = 'n', b->len += 2;
			break;
		case '\r':
			d[0] = '\\', d[1] = 'r', b->len += 2;
			break;
		case '\t':
			d[0] = '\\', d[1] = 't', b->len += 2;
			break;
		case '\0':
			break;
		default:
			d[0] = (char)c, b->len++;
		}
	}
	return 0;
}

static int put_str(struct audit_batch *b, const char *s)
{
	return s ? put_text(b, s, strlen(s)) : put(b, "\\N", 2);
}

/* A PostgreSQL array literal ({"a","b"}), built in its own buffer and then escaped for COPY. */
struct array_lit {
	struct audit_batch lit;
	unsigned n;
	int failed;
};

static void array_add(struct array_lit *a, const char *v)
{
	if (a->failed || put(&a->lit, a->n++ ? ",\"" : "{\"", 2) != 0) {
		a->failed = 1;
		return;
	}
	for (const char *c = v; *c; c++)
		if (((*c == '"' || *c == '\\') && put(&a->lit, "\\", 1) != 0) ||
		    put(&a->lit, c, 1) != 0) {
			a->failed = 1;
			return;
		}
	if (put(&a->lit, "\"", 1) != 0)
		a->failed = 1;
}

static int put_array(struct audit_batch *b, struct array_lit *a)
{
	int rc = -1;
	if (!a->failed && (a->n ? put(&a->lit, "}", 1) : put(&a->lit, "{}", 2)) == 0)
		rc = put_text(b, a->lit.buf, a->lit.len);
	audit_batch_free(&a->lit);
	return rc;
}

struct provided {
	struct array_lit ids, elements;
};

static void on_provided(enum pidf_provided_kind kind, const char *value, void *arg)
{
	struct provided *p = arg;
	array_add(kind == PIDF_PROVIDED_ID ? &p->ids : &p->elements, value);
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
		out[0] = '\0';
		return;
	}
	hex_encode(md, 32, out);
}

void audit_subscription_id(const char *call_id, const char *from_tag, const char *to_tag,
                           char out[33])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const char *part[3] = {call_id ? call_id : "", from_tag ? from_tag : "",
	                       to_tag ? to_tag : ""};
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	/* NUL-separated, so that ("ab", "c") and ("a", "bc") differ */
	for (int i = 0; ok && i < 3; i++)
		ok = EVP_DigestUpdate(c, part[i], strlen(part[i]) + 1) == 1;
	ok = ok && EVP_DigestFinal_ex(c, md, &len) == 1 && len == 32;
	EVP_MD_CTX_free(c);
	if (!ok) {
		out[0] = '\0';
		return;
	}
	hex_encode(md, 16, out); /* the first 128 bits */
}

static int put_time(struct audit_batch *b, long long us)
{
	struct tm tm;
	time_t t = (time_t)(us / 1000000);
	char s[48];
	if (!gmtime_r(&t, &tm))
		return put(b, "\\N", 2);
	int n = snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
	                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1000000);
	return put(b, s, (size_t)n);
}

int audit_batch_add(struct audit_batch *b, const struct audit_entry *e, int keep_document)
{
	size_t start = b->len;
	char sub[33], digest[65];
	const char *why = NULL;
	struct array_lit rules = {{0}, 0, 0};
	struct provided prov = {{{0}, 0, 0}, {{0}, 0, 0}};
	struct pidf_doc *d;
	int ok, parsed;

	for (unsigned i = 0; i < e->n_rules; i++)
		array_add(&rules, e->rules[i]);
	/* what was provided, from the body exactly as sent (no entity check: it is ours) */
	d = pidf_parse(e->document, e->document_len, NULL, &why);
	if ((parsed = d != NULL)) {
		pidf_provided(d, on_provided, &prov);
		pidf_free(d);
	}
	audit_subscription_id(e->call_id, e->from_tag, e->to_tag, sub);
	sha256_hex(e->document, e->document_len, digest);

	ok = put_time(b, e->sent_at_us) == 0 && put(b, "\t", 1) == 0 &&
	     put_str(b, e->presentity) == 0 && put(b, "\t", 1) == 0 &&
	     put_str(b, e->watcher) == 0 && put(b, e->anonymous ? "\tt\t" : "\tf\t", 3) == 0 &&
	     put_str(b, e->sub_handling) == 0 && put(b, "\t", 1) == 0 &&
	     put_array(b, &rules) == 0 && put(b, "\t", 1) == 0 && put_str(b, sub) == 0 &&
	     put(b, "\t", 1) == 0;
	if (ok && parsed)
		ok = put_array(b, &prov.ids) == 0 && put(b, "\t", 1) == 0 &&
		     put_array(b, &prov.elements) == 0;
	else if (ok) /* not a presence document: nothing to list */
		ok = put(b, "\\N\t\\N", 5) == 0;
	ok = ok && put(b, "\t", 1) == 0 && put_str(b, digest[0] ? digest : NULL) == 0 &&
	     put(b, "\t", 1) == 0 &&
	     (keep_document ? put_text(b, e->document, e->document_len) : put(b, "\\N", 2)) == 0 &&
	     put(b, "\n", 1) == 0;
	audit_batch_free(&rules.lit);
	audit_batch_free(&prov.ids.lit);
	audit_batch_free(&prov.elements.lit);
	if (!ok) {
		b->len = start;
		return -1;
	}
	b->rows++;
	return 0;
}

void audit_batch_reset(struct audit_batch *b)
{
	b->len = 0;
	b->rows = 0;
}

void audit_batch_free(struct audit_batch *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
	b->rows = 0;
}

/* ---- writer ---- */

struct audit_writer {
	struct pg_conn c;
	char sql[256];
};

struct audit_writer *aw_new(const char *conninfo, const char *table, int retry_ms)
{
	struct audit_writer *w;
	if (!sql_ident_ok(table, 63) || !(w = calloc(1, sizeof(*w))))
		return NULL;
	if (pg_conn_init(&w->c, conninfo, "presence_authz audit", retry_ms) != 0) {
		free(w);
		return NULL;
	}
	snprintf(w->sql, sizeof(w->sql), "COPY %s (%s) FROM STDIN", table, audit_copy_columns);
	return w;
}

void aw_free(struct audit_writer *w)
{
	if (!w)
		return;
	pg_conn_fini(&w->c);
	free(w);
}

int aw_write(struct audit_writer *w, const struct audit_batch *b, long long now_ms,
             const char **why)
{
	PGresult *r, *bad = NULL;

	*why = w->c.why;
	if (pg_conn_up(&w->c, now_ms) != 0)
		return -1;
	r = PQexec(w->c.conn, w->sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		bad = r;
		goto failed;
	}
	PQclear(r);
	if (PQputCopyData(w->c.conn, b->buf, (int)b->len) != 1 ||
	    PQputCopyEnd(w->c.conn, NULL) != 1) {
		pg_conn_failed(&w->c, "COPY data not sent", NULL, now_ms);
		return -1;
	}
	while ((r = PQgetResult(w->c.conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !bad)
			bad = r;
		else
			PQclear(r);
	}
	if (!bad)
		return 0;
failed:
	/* the server answered: the rows are at fault, unless the connection went meanwhile */
	if (PQstatus(w->c.conn) == CONNECTION_OK) {
		pg_conn_why(&w->c, "COPY refused", bad);
		PQclear(bad);
		return -2;
	}
	pg_conn_failed(&w->c, "COPY refused", bad, now_ms);
	PQclear(bad);
	return -1;
}
