/* See pg_listen.h. */
#include "pg_listen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_conn.h"
#include "presec/sql_ident.h"

struct pgl {
	struct pg_conn c;
	char channel[64];
};

struct pgl *pgl_new(const char *conninfo, const char *channel, int retry_ms)
{
	struct pgl *l;
	if (!sql_ident_ok(channel, sizeof(l->channel) - 1) || !(l = calloc(1, sizeof(*l))))
		return NULL;
	if (pg_conn_init(&l->c, conninfo, "presence_authz listener", retry_ms) != 0) {
		free(l);
		return NULL;
	}
	snprintf(l->channel, sizeof(l->channel), "%s", channel);
	return l;
}

void pgl_free(struct pgl *l)
{
	if (!l)
		return;
	pg_conn_fini(&l->c);
	free(l);
}

static int connect_and_listen(struct pgl *l, long long now_ms)
{
	char sql[96];
	PGresult *r;

	if (pg_conn_up(&l->c, now_ms) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "LISTEN %s", l->channel);
	r = PQexec(l->c.conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_conn_failed(&l->c, "LISTEN failed", r, now_ms);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (PQsetnonblocking(l->c.conn, 1) != 0) {
		pg_conn_failed(&l->c, "cannot make the connection non-blocking", NULL, now_ms);
		return -1;
	}
	return 0;
}

enum pgl_state pgl_poll(struct pgl *l, long long now_ms,
                        void (*on_notify)(const char *payload, void *arg), void *arg,
                        const char **why)
{
	enum pgl_state st = PGL_IDLE;
	PGnotify *n;

	*why = l->c.why;
	if (!l->c.conn) {
		if (connect_and_listen(l, now_ms) != 0)
			return PGL_DOWN;
		st = PGL_CONNECTED;
	}
	if (!PQconsumeInput(l->c.conn) || PQstatus(l->c.conn) != CONNECTION_OK) {
		pg_conn_failed(&l->c, "connection lost", NULL, now_ms);
		return PGL_DOWN;
	}
	while ((n = PQnotifies(l->c.conn))) {
		if (strcmp(n->relname, l->channel) == 0)
			on_notify(n->extra, arg);
		PQfreemem(n);
	}
	return st;
}
