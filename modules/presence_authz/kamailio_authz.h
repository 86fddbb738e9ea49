/* presence_authz's glue files (kamailio_*.c and presence_authz_mod.c) share this: the module's
 * state, its statistics and what one glue file calls in another. Glue: it includes Kamailio
 * headers, so no core includes it (scripts/check-cores.sh). */
#ifndef PRESENCE_AUTHZ_KAMAILIO_AUTHZ_H
#define PRESENCE_AUTHZ_KAMAILIO_AUTHZ_H

#include <time.h>

#include "core/counters.h"
#include "core/parser/msg_parser.h"
#include "core/pvar.h"
#include "core/rpc.h"
#include "core/str.h"
#include "lib/srdb1/db.h"
#include "modules/presence/bind_presence.h"
#include "modules/presence/subscribe.h"
#include "modules/sl/sl.h"

#include "audit_log.h"
#include "gate.h"
#include "pg_listen.h"
#include "policy.h"
#include "rules_cache.h"

/* What mod_init() set up, for every glue file: the parameters read after start-up, the bound
 * APIs, the connections and the shared structures. */
struct pa_module {
	char *default_rules;      /* RFC 5025 3.1: a presentity without rules */
	int default_expires;      /* of both event packages */
	char *audit_table;        /* the audit log (Ut reads it) */
	int audit_document;       /* 1: the audit row keeps the body too */
	int audit_retention_days; /* 0: the audit log is kept */
	char *notify_channel;     /* PostgreSQL LISTEN channel of rules changes */
	char instance[128];       /* who claims a rules change (sql/004) */
	presence_api_t psapi;
	sl_api_t slb;
	db_func_t dbf;
	db1_con_t *dbh; /* this process's connection */
	struct rcache *cache;
	struct pgl *listener;
	struct audit_queue *audit_q;
	struct audit_writer *audit_w;
	struct gate_cfg gcfg;
	char *rls_handle_key; /* the RLS handles' HMAC key (gate_rls_handle) */
	char *rls_xcap_host;  /* a <resource-list> may name https://rls_xcap_host */
	int rls_max_members, rls_max_services, rls_max_depth, rls_max_backend, rls_max_lists;
};
extern struct pa_module pa;

/* the statistics (README 4) */
struct pa_stats {
	stat_var *allowed, *confirm, *polite, *blocked, *filtered, *bad_rules, *audited,
	        *audit_failed, *unavailable, *changes, *reevaluated, *listener_down, *audit_down,
	        *watchers_refused, *publish_refused, *publish_set_lookups;
};
extern struct pa_stats pa_st;

static inline long long pa_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- rules loading and re-evaluation (kamailio_rules.c) ---- */
/* The cache value: a packed policy ("PRP1...") or "R" and why the document was refused. */
struct loaded {
	struct policy pol;
	int refused;
	char why[160];
	int borrowed; /* pol is the process's memo (policy_memo.h): pa_release_policy() */
};
str *pa_pkg_str(const char *s, int len);
int pa_presentity_key(const str *uri, char *key, size_t keysz, struct sip_uri *u);
int pa_load_policy(const str *pres_uri, struct loaded *l);
/* After use of what pa_load_policy() loaded (never policy_free() on it). */
void pa_release_policy(struct loaded *l);
unsigned long pa_flush_key(const char *key, size_t len);
void pa_listener_tick(unsigned int ticks, void *param);
int pa_rules_changed(struct sip_msg *msg, str *presentity);
int pa_w_rules_changed(struct sip_msg *msg, char *p1, char *p2);

/* ---- the event packages and the decision callbacks (kamailio_events.c) ---- */
int pa_is_anonymous(const subs_t *subs);
void pa_watcher_uri(const subs_t *subs, char *out, size_t outsz);
int pa_add_events(void);

/* ---- the audit writer (kamailio_audit.c) ---- */
void pa_audit_record(subs_t *subs, const struct pol_decision *d, const char *doc, int len);
void pa_audit_tick(unsigned int ticks, void *param);
void pa_audit_expire(unsigned int ticks, void *param);

/* ---- the gate (kamailio_gate.c) ---- */
#define GATE_HDR_LEN 512
/* the parts of a request the gate reads, as NUL-terminated text */
struct gate_text {
	char peer[64];
	char ruri[GATE_HDR_LEN];
	char from[GATE_HDR_LEN];
	char pai[GATE_HDR_MAX][GATE_HDR_LEN];
	char privacy[GATE_HDR_MAX][64];
};
/* msg's source, Request-URI, From, identity headers and event into r (texts in t); 0 or -1 */
int pa_gate_read(struct sip_msg *msg, struct gate_text *t, struct gate_req *r);
int pa_watcher_step(struct sip_msg *msg);
int pa_check_digest(struct sip_msg *msg, str *user, str *realm);
int pa_w_check_digest(struct sip_msg *msg, char *p1, char *p2);
int pa_publish_step(struct sip_msg *msg);
int pa_publ_handl(struct sip_msg *msg);
/* what the gate found for msg: its watcher (0) or presentity (1), or NULL */
const char *pa_gate_found(const struct sip_msg *msg, int presentity);

/* ---- the RLS (kamailio_rls.c) ---- */
int pa_rls_watcher_step(struct sip_msg *msg);
int pa_rls_assert_step(struct sip_msg *msg);
/* the handle pres_authz_rls_watcher() gave rls for msg ($authz(rls_watcher)), or NULL */
const char *pa_rls_found(const struct sip_msg *msg);
int pa_check_rls(struct sip_msg *msg, str *body, str *xui);
int pa_rls_notify_wait_step(struct sip_msg *msg);
int pa_rls_handle_of(struct sip_msg *msg, str *xui, str *anonymous);
int pa_w_rls_handle_of(struct sip_msg *msg, char *p1, char *p2);
int pa_w_check_rls(struct sip_msg *msg, char *p1, char *p2);

/* ---- Ut (kamailio_ut.c): document checks, the audit log, $authz ---- */
int pa_check_doc(struct sip_msg *msg, str *auid, str *body);
int pa_w_check_doc(struct sip_msg *msg, char *p1, char *p2);
/* a Ut document refused: $authz(reason), a log line, the statistic */
void pa_ut_refused(const char *app, const char *why);
int pa_audit_json(struct sip_msg *msg, str *presentity, int offset, int limit);
int pa_w_audit_json(struct sip_msg *msg, char *p1, char *p2, char *p3);
int pa_fixup_audit_json(void **param, int param_no);
int pa_fixup_free_audit_json(void **param, int param_no);
int pa_pv_parse_authz(pv_spec_p sp, str *in);
int pa_pv_get_authz(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);

/* ---- the confidentiality mark (kamailio_conf.c), TR 33.cde 4.5.2 ---- */
extern int pa_confidential_bflag; /* modparam confidential_bflag, -1: none */
int pa_conf_init(void);
int pa_confidential_step(struct sip_msg *msg);
/* whether the subscription's request was believed to come over an encrypted SA */
int pa_subs_confidential(const subs_t *subs);

/* ---- RPC (kamailio_rpc.c) ---- */
extern const char *pa_rpc_policy_doc[], *pa_rpc_decide_doc[], *pa_rpc_flush_doc[],
        *pa_rpc_cache_doc[];
void pa_rpc_policy(rpc_t *rpc, void *c);
void pa_rpc_decide(rpc_t *rpc, void *c);
void pa_rpc_flush(rpc_t *rpc, void *c);
void pa_rpc_cache(rpc_t *rpc, void *c);

#endif
