/* See pg_listen.h. */
#include "pg_listen.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgl {
	PGconn *conn;
	char *conninfo;
	char channel[64];
	int retry_ms;
	long long next_try;
	char why[256];
};

struct pgl *pgl_new(const char *conninfo, const char *channel, int retry_ms)
{
	struct pgl *l;
	size_t n = strlen(channel);
	if (n == 0 || n >= sizeof(l->channel))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!((channel[i] >= 'a' && channel[i] <= 'z') || channel[i] == '_' ||
		      (i && channel[i] >= '0' && channel[i] <= '9')))
			return NULL;
	if (!(l = calloc(1, sizeof(*l))) || !(l->conninfo = strdup(conninfo))) {
		free(l);
		return NULL;
	}
	memcpy(l->channel, channel, n + 1);
	l->retry_ms = retry_ms > 0 ? retry_ms : 1000;
	return l;
}

static void disconnect(struct pgl *l)
{
	if (l->conn) {
		PQfinish(l->conn);
		l->conn = NULL;
	}
}

void pgl_free(struct pgl *l)
{
	if (!l)
		return;
	disconnect(l);
	free(l->conninfo);
	free(l);
}

static void failed(struct pgl *l, const char *what, long long now_ms)
{
	const char *m = l->conn ? PQerrorMessage(l->conn) : "";
	snprintf(l->why, sizeof(l->why), "%s: %.*s", what, (int)strcspn(m, "\n"), m);
	disconnect(l);
	l->next_try = now_ms + l->retry_ms;
}

static int connect_and_listen(struct pgl *l, long long now_ms)
{
	/* expand_dbname: the "dbname" value is the whole conninfo or URI */
	const char *const keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *const vals[] = {l->conninfo, "2", "presence_authz listener", NULL};
	char sql[96];
	PGresult *r;

	l->conn = PQconnectdbParams(keys, vals, 1);
	if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
		failed(l, "cannot connect", now_ms);
		return -1;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", l->channel);
	r = PQexec(l->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		failed(l, "LISTEN failed", now_ms);
		return -1;
	}
	PQclear(r);
	if (PQsetnonblocking(l->conn, 1) != 0) {
		failed(l, "cannot make the connection non-blocking", now_ms);
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

	if (!l->conn) {
		if (now_ms < l->next_try || connect_and_listen(l, now_ms) != 0) {
			*why = l->why;
			return PGL_DOWN;
		}
		st = PGL_CONNECTED;
	}
	if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK) {
		failed(l, "connection lost", now_ms);
		*why = l->why;
		return PGL_DOWN;
	}
	while ((n = PQnotifies(l->conn))) {
		if (strcmp(n->relname, l->channel) == 0)
			on_notify(n->extra, arg);
		PQfreemem(n);
	}
	return st;
}
