/* One libpq connection of the PS's own processes (the rules listener, the audit writer): made
 * when due, given up with a reason, tried again retry_ms later. No Kamailio header. */
#ifndef PRESEC_PG_CONN_H
#define PRESEC_PG_CONN_H
#include <libpq-fe.h>

struct pg_conn {
	PGconn *conn; /* NULL while not connected */
	char *conninfo;
	const char *application_name;
	int retry_ms;
	long long next_try;
	char why[256];
};

/* conninfo: a libpq connection string or a postgres:// URI. 0, or -1 (no memory). */
int pg_conn_init(struct pg_conn *c, const char *conninfo, const char *application_name,
                 int retry_ms);
void pg_conn_fini(struct pg_conn *c);

/* Connects unless connected; not before next_try after a failure. 0 when connected. */
int pg_conn_up(struct pg_conn *c, long long now_ms);

/* Records why: what, and the first line of the result's message (or the connection's). */
void pg_conn_why(struct pg_conn *c, const char *what, const PGresult *r);

/* Records why as pg_conn_why(), closes the connection and sets the next attempt. */
void pg_conn_failed(struct pg_conn *c, const char *what, const PGresult *r, long long now_ms);

#endif
