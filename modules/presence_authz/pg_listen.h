/* PostgreSQL LISTEN for rule changes (sql/004_rules_notify.sql sends NOTIFY presec_rules with
 * "user@domain" whenever a pres-rules or resource-lists document changes in the xcap table), so
 * that every PS instance on one database drops its cached policy and re-evaluates. libpq only:
 * no Kamailio header. Polled, never blocking except for the connection attempt itself (bounded
 * by connect_timeout). */
#ifndef PRESEC_PG_LISTEN_H
#define PRESEC_PG_LISTEN_H

struct pgl;

/* conninfo: a libpq connection string or a postgres:// URI; channel: an SQL identifier.
 * NULL when the channel is not a plain identifier or memory ran out. */
struct pgl *pgl_new(const char *conninfo, const char *channel, int retry_ms);
void pgl_free(struct pgl *l);

enum pgl_state {
	PGL_IDLE = 0,      /* listening, nothing new beyond the notifications delivered */
	PGL_CONNECTED = 1, /* (re)connected just now: notifications may have been missed */
	PGL_DOWN = -1,     /* not connected (*why says why); retried after retry_ms */
};

/* One round: (re)connects when due, reads what arrived and calls on_notify(payload, arg) for
 * each notification of the channel. now_ms: a monotonic clock. */
enum pgl_state pgl_poll(struct pgl *l, long long now_ms,
                        void (*on_notify)(const char *payload, void *arg), void *arg,
                        const char **why);

#endif
