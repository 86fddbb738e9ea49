/* See pg_conn.h. */
#include "pg_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_conn_init(struct pg_conn *c, const char *conninfo, const char *application_name,
                 int retry_ms)
{
	memset(c, 0, sizeof(*c));
	if (!(c->conninfo = strdup(conninfo)))
		return -1;
	c->application_name = application_name;
	c->retry_ms = retry_ms > 0 ? retry_ms : 1000;
	return 0;
}

static void pg_conn_close(struct pg_conn *c)
{
	if (c->conn) {
		PQfinish(c->conn);
		c->conn = NULL;
	}
}

void pg_conn_fini(struct pg_conn *c)
{
	pg_conn_close(c);
	free(c->conninfo);
	c->conninfo = NULL;
}

int pg_conn_up(struct pg_conn *c, long long now_ms)
{
	if (c->conn)
		return 0;
	if (now_ms < c->next_try)
		return -1;
	/* expand_dbname: the "dbname" value is the whole conninfo or URI. tcp_user_timeout and
	 * keepalives: a server that vanished without closing the connection fails a statement
	 * in seconds instead of holding the process for the kernel's minutes. */
	const char *const keys[] = {"dbname",           "connect_timeout", "application_name",
	                            "tcp_user_timeout", "keepalives_idle", NULL};
	const char *const vals[] = {c->conninfo, "2", c->application_name, "10000", "10", NULL};
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		pg_conn_failed(c, "cannot connect", NULL, now_ms);
		return -1;
	}
	c->why[0] = '\0';
	return 0;
}

void pg_conn_why(struct pg_conn *c, const char *what, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	if (!m || !*m)
		m = c->conn ? PQerrorMessage(c->conn) : "";
	snprintf(c->why, sizeof(c->why), "%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

void pg_conn_failed(struct pg_conn *c, const char *what, const PGresult *r, long long now_ms)
{
	pg_conn_why(c, what, r);
	pg_conn_close(c);
	c->next_try = now_ms + c->retry_ms;
}
