/* presence_authz: the presentity decides who sees what (TS 33.141 requirements 3-6). Registers
 * the "presence" and "presence.winfo" event packages with Kamailio's presence module, as
 * presence_xml does in a stock set-up, and answers every authorization question from the
 * presentity's pres-rules (RFC 4745, RFC 5025, OMA extensions) with the pidf_filter cores:
 * policy.c decides, pidf.c composes and filters through the bind_pidf_filter API.
 *
 * Rules are read from the xcap table once and kept compiled (packed) in shared memory
 * (rules_cache.c); a change is announced by PostgreSQL (sql/004_rules_notify.sql) and picked up
 * by a listener process (pg_listen.c) in every PS instance, which drops the cached policy and,
 * in the instance that claims the change, re-evaluates the presentity's subscriptions.
 * Who asks and who supplies presence is decided once, by the gate (gate.c) on one normalised
 * identity (pidf_filter's uri_id.c): pres_authz_watcher() says who the watcher is (asserted,
 * anonymous, unauthenticated, or to be proved with Digest), pres_authz_publish() takes a
 * PUBLISH only for the publisher's own presentity or from a network presence source, and
 * only a document within the limits of pidf.h. A watcher is taken as authenticated when it
 * is of a trusted domain: the gate made sure that such a watcher was asserted or proved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/kemi.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/dset.h"
#include "core/data_lump_rpl.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_event.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/pvar.h"
#include "core/rpc.h"
#include "core/sr_module.h"
#include "core/timer_proc.h"
#include "core/ut.h"
#include "lib/srdb1/db.h"
#include "modules/presence/bind_presence.h"
#include "modules/presence/event_list.h"
#include "modules/presence/subscribe.h"
#include "modules/sl/sl.h"

#include "audit_log.h"
#include "gate.h"
#include "pg_listen.h"
#include "pidf.h"
#include "policy.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_db.h"
#include "presec/kamailio_shm.h"
#include "presec/pidf_filter_api.h"
#include "rules_cache.h"
#include "trust.h"
#include "uri_id.h"

MODULE_VERSION

/* ---- parameters ---- */
static str db_url = STR_NULL;
/* RFC 5025 3.1: what applies to a presentity without rules; the default asks the presentity */
static char *default_rules =
        "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" "
        "xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"><cr:rule id=\"operator-default\">"
        "<cr:conditions/><cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions>"
        "</cr:rule></cr:ruleset>";
static int default_expires = 3600;
static int audit = 1;
static char *audit_table = "presec_presence_audit";
static int cache_buckets = 4096;
static int cache_max_entries = 100000;
static char *notify_channel = "presec_rules";
static str notify_db_url = STR_NULL; /* default: db_url */
static int notify_interval_ms = 100;
static char *instance_id = NULL;     /* default: host name and pid of the main process */
static int audit_retention_days = 0; /* 0: keep the audit log forever */
static int audit_document = 0;       /* 1: the body itself is logged too, not only its hash */
static int audit_max_pending = 100000;
static int audit_flush_ms = 100;
static struct audit_queue *audit_q;
static gen_lock_t *audit_lock;
static struct audit_writer *audit_w;
/* TS 33.141: a watcher is authenticated when the network asserted its identity. At the PS that
 * is the S-CSCF's P-Asserted-Identity, which it gives its own users only: watchers of other
 * domains (through the edge proxy) are unauthenticated. Empty: every watcher authenticated. */
static char *trusted_watcher_domains = "";
/* RFC 3325: the peers whose P-Asserted-Identity is believed (the S-CSCF, the RLS): addresses,
 * blocks or names as privacy's "trusted", or their SIP URIs; empty: nobody asserts anything */
static char *asserting_peers = "";
/* TS 33.141 4.5.1 / TS 23.141: network presence sources (presence network agents over Pen/Pex)
 * that publish for any presentity of ours; empty: none */
static char *network_sources = "";
/* 1: the core asserts its users, an unasserted identity of a trusted domain counts only once
 * proved (watchers: Digest; publishers: refused). 0: a core that asserts nobody (stock): the
 * From of a request from an asserting peer stands for the asserted identity. */
static int core_asserts = 1;

/* ---- state ---- */
static presence_api_t psapi;
static pidf_filter_api_t pfapi;
static db_func_t dbf;
static db1_con_t *dbh;
static struct rcache *cache;
static gen_lock_t *cache_lock;
static struct pgl *listener;
static char instance[128];
static sl_api_t slb;
static struct trust_list asserting_list, sources_list;
static struct gate_cfg gcfg;

static unsigned long audit_pending(void)
{
	return audit_q ? aq_pending(audit_q) : 0;
}

static stat_var *st_allowed, *st_confirm, *st_polite, *st_blocked, *st_filtered, *st_bad_rules,
        *st_audited, *st_audit_failed, *st_unavailable, *st_changes, *st_reevaluated,
        *st_listener_down, *st_audit_down, *st_watchers_refused, *st_publish_refused,
        *st_publish_set_lookups;
static stat_export_t mod_stats[] = {
        {"decisions_allow", 0, &st_allowed},
        {"decisions_confirm", 0, &st_confirm},
        {"decisions_polite_block", 0, &st_polite},
        {"decisions_block", 0, &st_blocked},
        {"documents_filtered", 0, &st_filtered},
        {"rules_refused", 0, &st_bad_rules},
        {"audit_records", 0, &st_audited},
        {"audit_failures", 0, &st_audit_failed},
        {"audit_pending", STAT_IS_FUNC | STAT_NO_RESET, (stat_var **)audit_pending},
        {"audit_disconnects", 0, &st_audit_down},
        {"rules_unavailable", 0, &st_unavailable},
        {"rules_changes", 0, &st_changes},
        {"rules_reevaluations", 0, &st_reevaluated},
        {"listener_disconnects", 0, &st_listener_down},
        {"watchers_refused", 0, &st_watchers_refused},
        {"publications_refused", 0, &st_publish_refused},
        {"publisher_set_lookups", 0, &st_publish_set_lookups},
        {0, 0, 0},
};

/* ---- rules ---- */
static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == '+';
}

static int plain_ident(const str *s)
{
	if (s->len <= 0 || s->len > 64)
		return 0;
	for (int i = 0; i < s->len; i++)
		if (!ident_char(s->s[i]))
			return 0;
	return 1;
}

static str *pkg_str(const char *s, int len)
{
	str *r = pkg_malloc(sizeof(str));
	if (!r)
		return NULL;
	if (!(r->s = pkg_malloc(len + 1))) {
		pkg_free(r);
		return NULL;
	}
	memcpy(r->s, s, len);
	r->s[len] = '\0';
	r->len = len;
	return r;
}

/* RFC 4825 application usages as xcap_server numbers them in the xcap table (bit flags) */
#define DOC_RESOURCE_LISTS 4
#define DOC_PRES_RULES     2

/* The user's document of a type as stored over Ut (the newest): 0 and *doc (pkg), 1 when
 * there is none, -1 when the database cannot tell. */
static int read_xcap_doc(const str *user, const str *domain, int doc_type, str **doc)
{
	char sql[512];
	db1_res_t *res = NULL;
	*doc = NULL;
	if (!plain_ident(user) || !plain_ident(domain))
		return 1; /* no XCAP user could have stored rules under such a name */
	if (!dbh)
		return -1;
	/* bytea as stored: db_postgres hands text columns through PQunescapeBytea too, which
	 * would eat every backslash of a text value */
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT doc FROM xcap WHERE username = '%.*s' "
	                 "AND domain = '%.*s' AND doc_type = %d ORDER BY id DESC LIMIT 1",
	                 user->len, user->s, domain->len, domain->s, doc_type);
	str q = {sql, n};
	if (dbf.raw_query(dbh, &q, &res) < 0 || !res) {
		LM_ERR("cannot read the XCAP documents (type %d) of %.*s@%.*s: database "
		       "unavailable\n",
		       doc_type, user->len, user->s, domain->len, domain->s);
		return -1;
	}
	if (RES_ROW_N(res) > 0) {
		str d;
		if (presec_db_str(ROW_VALUES(RES_ROWS(res)), &d) == 0 &&
		    !(*doc = pkg_str(d.s, d.len))) {
			dbf.free_result(dbh, res);
			return -1;
		}
	}
	dbf.free_result(dbh, res);
	return *doc ? 0 : 1;
}

static void free_doc(str *doc)
{
	if (doc) {
		pkg_free(doc->s);
		pkg_free(doc);
	}
}

/* presence asks for "the rules document" before every authorization question and hands it
 * back to us: our answers come from the compiled policy, so it only needs to be there. */
static int get_rules_doc(str *user, str *domain, str **rules_doc)
{
	(void)user;
	(void)domain;
	*rules_doc = pkg_str("presence_authz", 14);
	return *rules_doc ? 0 : -1;
}

/* The cache value: a packed policy ("PRP1...") or "R" and why the document was refused. */
struct loaded {
	struct policy pol;
	int refused;
	char why[160];
};

static int unpack_value(const unsigned char *v, size_t len, void *arg)
{
	struct loaded *l = arg;
	if (len >= 1 && v[0] == 'R') {
		size_t n = len - 1 < sizeof(l->why) - 1 ? len - 1 : sizeof(l->why) - 1;
		memcpy(l->why, v + 1, n);
		l->why[n] = '\0';
		l->refused = 1;
		return 0;
	}
	return policy_unpack(v, len, &l->pol);
}

/* user@domain of a presentity URI into key; its length, or -1 */
static int presentity_key(const str *uri, char *key, size_t keysz, struct sip_uri *u)
{
	if (parse_uri(uri->s, uri->len, u) < 0 || u->user.len <= 0)
		return -1;
	int n = snprintf(key, keysz, "%.*s@%.*s", u->user.len, u->user.s, u->host.len, u->host.s);
	return n > 0 && (size_t)n < keysz ? n : -1;
}

/* The presentity's compiled policy: from the cache, or read, compiled and cached. 0 (l->pol to
 * be freed; l->refused when the stored document is not acceptable pres-rules), or -1 when the
 * database cannot be read (fail closed: the caller gives nothing away). */
static int load_policy(const str *pres_uri, struct loaded *l)
{
	char key[256];
	struct sip_uri u;
	str *doc = NULL;
	const char *why = NULL;
	unsigned char *packed = NULL;
	size_t packed_len = 0;
	int n, rc;

	memset(l, 0, sizeof(*l));
	if ((n = presentity_key(pres_uri, key, sizeof(key), &u)) < 0) {
		snprintf(l->why, sizeof(l->why), "the presentity URI is not a SIP URI with a user");
		l->refused = 1;
		return 0;
	}
	if ((rc = rcache_get(cache, key, (size_t)n, unpack_value, l)) == 0)
		return 0;
	if (rc < 0)
		LM_ERR("cached policy of %s unreadable: compiling again\n", key);
	memset(l, 0, sizeof(*l));
	unsigned long generation = rcache_generation(cache);
	if ((rc = read_xcap_doc(&u.user, &u.host, DOC_PRES_RULES, &doc)) < 0) {
		update_stat(st_unavailable, 1);
		return -1;
	}
	/* RFC 5025 3.1 leaves a presentity without rules to local policy: the operator's */
	rc = rc == 1 ? policy_compile(default_rules, strlen(default_rules), &l->pol, &why)
	             : policy_compile(doc->s, (size_t)doc->len, &l->pol, &why);
	free_doc(doc);
	doc = NULL;
	if (rc == 0 && policy_needs_lists(&l->pol)) {
		/* OMA external-list: the members are part of the compiled policy, so a change of
		 * the lists flushes it like a change of the rules (sql/004) */
		char owner[300];
		int lrc = read_xcap_doc(&u.user, &u.host, DOC_RESOURCE_LISTS, &doc);
		if (lrc < 0) {
			policy_free(&l->pol);
			update_stat(st_unavailable, 1);
			return -1;
		}
		snprintf(owner, sizeof(owner), "sip:%s", key);
		rc = policy_resolve_lists(&l->pol, owner, doc ? doc->s : NULL,
		                          doc ? (size_t)doc->len : 0, &why);
		free_doc(doc);
		if (rc != 0)
			policy_free(&l->pol);
	}
	if (rc != 0) {
		update_stat(st_bad_rules, 1);
		l->refused = 1;
		snprintf(l->why, sizeof(l->why), "%s", why ? why : "not pres-rules");
		unsigned char v[sizeof(l->why) + 1] = "R";
		size_t wl = strlen(l->why);
		memcpy(v + 1, l->why, wl);
		rcache_put(cache, key, (size_t)n, v, wl + 1, generation);
		return 0;
	}
	if (policy_pack(&l->pol, &packed, &packed_len) == 0) {
		if (rcache_put(cache, key, (size_t)n, packed, packed_len, generation) < 0)
			LM_WARN("no shared memory left to cache the policy of %s\n", key);
		free(packed);
	}
	return 0;
}

static int is_anonymous(const subs_t *subs)
{
	return subs->watcher_domain.len == 17 &&
	       strncasecmp(subs->watcher_domain.s, "anonymous.invalid", 17) == 0;
}

/* The watcher as presence keeps it (user and domain), as a URI: "sip:user@domain", or the tel
 * URI of a number when there is no domain. */
static void watcher_uri(const subs_t *subs, char *out, size_t outsz)
{
	if (subs->watcher_domain.len == 0)
		snprintf(out, outsz, "tel:%.*s", subs->watcher_user.len, subs->watcher_user.s);
	else
		snprintf(out, outsz, "sip:%.*s@%.*s", subs->watcher_user.len, subs->watcher_user.s,
		         subs->watcher_domain.len, subs->watcher_domain.s);
}

/* RFC 4745 7.1: whether the watcher is authenticated: of a trusted domain, compared as the
 * gate compared it when it let the watcher in (asserted or proved: pres_authz_watcher) */
static int is_authenticated(const char *watcher)
{
	return gate_watcher_trusted(&gcfg, watcher);
}

enum decided { DECIDED = 0, REFUSED = -1, UNAVAILABLE = -2 };

/* The decision for one subscription (d->rules point into l->pol: free it after use). */
static enum decided decide(subs_t *subs, struct loaded *l, struct pol_decision *d)
{
	char watcher[300];
	memset(d, 0, sizeof(*d));
	d->sub_handling = SH_BLOCK;
	if (load_policy(&subs->pres_uri, l) != 0)
		return UNAVAILABLE;
	if (l->refused) {
		LM_ERR("pres-rules of %.*s refused: %s; the watcher is blocked\n",
		       subs->pres_uri.len, subs->pres_uri.s, l->why);
		return REFUSED;
	}
	watcher_uri(subs, watcher, sizeof(watcher));
	/* RFC 3323 4.1.1: an anonymous watcher is matched as anonymous only (OMA) */
	struct pol_watcher w = {watcher, is_authenticated(watcher), is_anonymous(subs),
	                        (long long)time(NULL), NULL};
	policy_decide(&l->pol, &w, d);
	return DECIDED;
}

/* presence asks: may this watcher subscribe? */
static int get_auth_status(subs_t *subs)
{
	struct pol_decision d;
	struct loaded l;
	enum decided how = decide(subs, &l, &d);
	subs->reason.s = NULL;
	subs->reason.len = 0;
	if (how == UNAVAILABLE) {
		/* fail closed: nothing leaves while the rules cannot be read; pending until
		 * the presentity's rules are read again (a refresh or a rule change) */
		subs->status = PENDING_STATUS;
		LM_ERR("%.*s@%.*s -> %.*s: rules unavailable, subscription kept pending\n",
		       subs->watcher_user.len, subs->watcher_user.s, subs->watcher_domain.len,
		       subs->watcher_domain.s, subs->pres_uri.len, subs->pres_uri.s);
		return 0;
	}
	switch (d.sub_handling) {
	case SH_ALLOW:
		update_stat(st_allowed, 1);
		subs->status = ACTIVE_STATUS;
		break;
	case SH_POLITE_BLOCK:
		/* active, and apply_auth_nbody sends the offline document: the watcher cannot
		 * tell it from a presentity that is offline (RFC 5025 3.2.1) */
		update_stat(st_polite, 1);
		subs->status = ACTIVE_STATUS;
		break;
	case SH_CONFIRM:
		update_stat(st_confirm, 1);
		subs->status = PENDING_STATUS;
		break;
	default:
		update_stat(st_blocked, 1);
		subs->status = TERMINATED_STATUS;
		subs->reason.s = "rejected";
		subs->reason.len = 8;
	}
	LM_INFO("%.*s@%.*s -> %.*s: %s (%u rules matched)\n", subs->watcher_user.len,
	        subs->watcher_user.s, subs->watcher_domain.len, subs->watcher_domain.s,
	        subs->pres_uri.len, subs->pres_uri.s, sub_handling_name(d.sub_handling), d.n_rules);
	policy_free(&l.pol);
	return 0;
}

/* TS 33.141 requirement 6: one audit row per document a watcher receives (sql/003, sql/007).
 * The SIP worker only queues what it sent (shared memory, audit_log.h); the audit writer
 * process summarizes and hashes the bodies and appends them with COPY, a batch per round, so
 * that neither the worker nor PostgreSQL pays a statement per NOTIFY. While PostgreSQL is
 * unreachable the rows wait, up to audit_max_pending; beyond that they are counted as lost. */
static void audit_record(subs_t *subs, const struct pol_decision *d, const char *doc, int len)
{
	char presentity[300], watcher[300], call_id[256], from_tag[128], to_tag[128];
	struct timeval now;

	if (!audit_q)
		return;
	gettimeofday(&now, NULL);
	snprintf(presentity, sizeof(presentity), "%.*s", subs->pres_uri.len, subs->pres_uri.s);
	watcher_uri(subs, watcher, sizeof(watcher));
	snprintf(call_id, sizeof(call_id), "%.*s", subs->callid.len, subs->callid.s);
	snprintf(from_tag, sizeof(from_tag), "%.*s", subs->from_tag.len, subs->from_tag.s);
	snprintf(to_tag, sizeof(to_tag), "%.*s", subs->to_tag.len, subs->to_tag.s);
	struct audit_entry e = {
	        .sent_at_us = (long long)now.tv_sec * 1000000 + now.tv_usec,
	        .anonymous = is_anonymous(subs),
	        .sub_handling = sub_handling_name(d->sub_handling),
	        .presentity = presentity,
	        .watcher = watcher,
	        .rules = d->rules,
	        .n_rules = d->n_rules,
	        .call_id = call_id,
	        .from_tag = from_tag,
	        .to_tag = to_tag,
	        .document = doc,
	        .document_len = (size_t)len,
	};
	if (aq_push(audit_q, &e) != 0) {
		update_stat(st_audit_failed, 1);
		LM_ERR("audit: row of what %s received of %s lost: %u rows wait for PostgreSQL "
		       "(audit_max_pending) or no shared memory\n",
		       watcher, presentity, aq_pending(audit_q));
	}
}

#define AUDIT_BATCH_ROWS 1000

static long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The rows of a batch taken from the queue, built once (summary, hash, COPY text): they wait
 * with the batch while PostgreSQL is away instead of being built again every round. A row
 * that cannot be built (no memory) is lost here, counted and logged. */
static void audit_build(struct audit_item *items, struct audit_batch *rows)
{
	audit_batch_reset(rows);
	for (struct audit_item *it = items; it; it = aq_next(it))
		if (audit_batch_add(rows, aq_entry(it), audit_document) != 0) {
			update_stat(st_audit_failed, 1);
			LM_ERR("audit: no memory for the row of what %s received of %s\n",
			       aq_entry(it)->watcher, aq_entry(it)->presentity);
		}
}

/* Writes the rows built from items; 0 written (or lost row by row and logged), -1 PostgreSQL
 * unreachable (keep both for the next round). */
static int audit_flush(struct audit_item *items, const struct audit_batch *rows, long long now_ms,
                       const char **why)
{
	static struct audit_batch one;
	int rc;

	if (rows->rows == 0)
		return 0;
	if ((rc = aw_write(audit_w, rows, now_ms, why)) == 0) {
		update_stat(st_audited, rows->rows);
		return 0;
	}
	if (rc == -1)
		return -1;
	/* PostgreSQL refused the batch: find the rows at fault, one statement each */
	LM_ERR("audit: %u rows refused (%s); writing them one by one\n", rows->rows, *why);
	for (struct audit_item *it = items; it; it = aq_next(it)) {
		audit_batch_reset(&one);
		if (audit_batch_add(&one, aq_entry(it), audit_document) != 0)
			continue; /* counted when the batch was built */
		if ((rc = aw_write(audit_w, &one, now_ms, why)) == 0) {
			update_stat(st_audited, 1);
			continue;
		}
		update_stat(st_audit_failed, 1);
		LM_ERR("audit: row of what %s received of %s lost: %s\n", aq_entry(it)->watcher,
		       aq_entry(it)->presentity, *why);
		if (rc == -1) { /* the connection went meanwhile: the rest are lost as well */
			unsigned rest = 0;
			for (struct audit_item *r = aq_next(it); r; r = aq_next(r))
				rest++;
			if (rest) {
				update_stat(st_audit_failed, rest);
				LM_ERR("audit: %u more rows of the refused batch lost: %s\n", rest,
				       *why);
			}
			break;
		}
	}
	return 0;
}

/* the audit writer process: every audit_flush_ms, everything queued, a batch at a time */
static void audit_tick(unsigned int ticks, void *param)
{
	static struct audit_item *waiting; /* taken, not yet written: PostgreSQL was away */
	static struct audit_batch rows;    /* waiting's rows */
	static int down;
	const char *why = NULL;
	(void)ticks;
	(void)param;
	for (;;) {
		if (!waiting) {
			if (!(waiting = aq_take(audit_q, AUDIT_BATCH_ROWS)))
				return;
			audit_build(waiting, &rows);
		}
		if (audit_flush(waiting, &rows, monotonic_ms(), &why)) {
			if (!down) {
				update_stat(st_audit_down, 1);
				LM_ERR("audit: PostgreSQL unreachable, rows wait (%u queued): %s\n",
				       aq_pending(audit_q), why);
			}
			down = 1;
			return;
		}
		if (down)
			LM_INFO("audit: PostgreSQL reachable again, writing the waiting rows\n");
		down = 0;
		aq_release(audit_q, waiting);
		waiting = NULL;
	}
}

/* Hourly, on the secondary timer: rows older than audit_retention_days go
 * (sql/005_audit_retention.sql; the PS cannot delete rows any other way). */
static void audit_expire(unsigned int ticks, void *param)
{
	char sql[96];
	db1_res_t *res = NULL;
	(void)ticks;
	(void)param;
	int n = snprintf(sql, sizeof(sql), "SELECT presec_audit_expire(%d)", audit_retention_days);
	str q = {sql, n};
	if (!dbh || dbf.raw_query(dbh, &q, &res) < 0 || !res) {
		LM_ERR("audit: cannot expire rows older than %d days\n", audit_retention_days);
		return;
	}
	if (RES_ROW_N(res) > 0 && VAL_TYPE(ROW_VALUES(RES_ROWS(res))) == DB1_BIGINT)
		LM_INFO("audit: %lld rows older than %d days removed\n",
		        (long long)VAL_BIGINT(ROW_VALUES(RES_ROWS(res))), audit_retention_days);
	dbf.free_result(dbh, res);
}

/* presence asks, for every NOTIFY of every path: what does this watcher get of the composed
 * document? (aux_body_processing: presence calls it for each watcher whether or not it fetched
 * the rules itself, which its apply_auth_nbody path depends on.) */
static str *watcher_body(subs_t *subs, str *body)
{
	struct pol_decision d;
	struct loaded l;
	char entity[300], *out = NULL;
	int out_len = 0, rc;
	const char *why = NULL;
	str *r;

	if (!body || !body->s)
		return NULL;
	if (decide(subs, &l, &d) != DECIDED ||
	    (d.sub_handling != SH_ALLOW && d.sub_handling != SH_POLITE_BLOCK))
		d.sub_handling = SH_POLITE_BLOCK; /* never the unfiltered document */
	snprintf(entity, sizeof(entity), "%.*s", subs->pres_uri.len, subs->pres_uri.s);
	if (d.sub_handling == SH_ALLOW)
		rc = pfapi.filter(body->s, body->len, entity, &d.perm, &out, &out_len, &why);
	else
		rc = pfapi.polite_block(entity, &out, &out_len, &why);
	if (rc != 0 && d.sub_handling == SH_ALLOW) {
		LM_ERR("cannot filter the document of %s for %.*s@%.*s (%s): offline document "
		       "sent\n",
		       entity, subs->watcher_user.len, subs->watcher_user.s,
		       subs->watcher_domain.len, subs->watcher_domain.s, why);
		rc = pfapi.polite_block(entity, &out, &out_len, &why);
	}
	if (rc != 0 || !(r = pkg_malloc(sizeof(str)))) {
		/* presence sends the original body when given nothing: an empty one instead */
		LM_ERR("no document for %.*s@%.*s: %s\n", subs->watcher_user.len,
		       subs->watcher_user.s, subs->watcher_domain.len, subs->watcher_domain.s,
		       why ? why : "out of memory");
		if (rc == 0)
			pfapi.free_doc(out);
		if ((r = pkg_malloc(sizeof(str)))) {
			r->s = strdup("");
			r->len = 0;
		}
		policy_free(&l.pol);
		return r;
	}
	r->s = out; /* freed with free_body() */
	r->len = out_len;
	update_stat(st_filtered, 1);
	audit_record(subs, &d, out, out_len);
	policy_free(&l.pol);
	return r;
}

/* RFC 4479 4.3: one document from the publications of all sources (off_index: a publication
 * being removed, left out) */
static str *agg_nbody(str *user, str *domain, str **bodies, int n, int off_index)
{
	struct pidf_doc *docs[32];
	int k = 0;
	const char *why = NULL;
	char entity[300], *out;
	size_t len;
	str *r;

	snprintf(entity, sizeof(entity), "sip:%.*s@%.*s", user->len, user->s, domain->len,
	         domain->s);
	for (int i = 0; i < n && k < 32; i++) {
		if (i == off_index || !bodies[i] || !bodies[i]->s)
			continue;
		enum pidf_refusal refusal;
		/* the limits a PUBLISH is held to (a publication stored before them included) */
		if (!(docs[k] = pidf_parse_publication(bodies[i]->s, (size_t)bodies[i]->len, entity,
		                                       &refusal, &why))) {
			LM_NOTICE("a publication of %s is left out: %s\n", entity, why);
			continue;
		}
		k++;
	}
	if (k == 0)
		return NULL;
	struct pidf_doc *c = pidf_compose(docs, (unsigned)k, entity, &why);
	for (int i = 0; i < k; i++)
		pidf_free(docs[i]);
	if (!c || pidf_dump(c, &out, &len) != 0) {
		pidf_free(c);
		LM_ERR("cannot compose the presence of %s: %s\n", entity, why ? why : "?");
		return NULL;
	}
	pidf_free(c);
	if (!(r = pkg_malloc(sizeof(str)))) {
		free(out);
		return NULL;
	}
	r->s = out; /* freed with free_body() */
	r->len = (int)len;
	return r;
}

static void free_body(char *body)
{
	free(body);
}

static int publ_handl(struct sip_msg *msg);

static int add_events(void)
{
	pres_ev_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.name.s = "presence";
	ev.name.len = 8;
	ev.content_type.s = "application/pidf+xml";
	ev.content_type.len = 20;
	ev.type = PUBL_TYPE;
	ev.req_auth = 1;
	ev.get_rules_doc = get_rules_doc;
	ev.get_auth_status = get_auth_status;
	ev.aux_body_processing = watcher_body;
	ev.aux_free_body = free_body;
	ev.agg_nbody = agg_nbody;
	ev.free_body = free_body;
	/* every PUBLISH passes the gate, whatever the script (publ_handl) */
	ev.evs_publ_handl = publ_handl;
	ev.default_expires = (unsigned)default_expires;
	if (psapi.add_event(&ev) < 0) {
		LM_ERR("cannot add the presence event\n");
		return -1;
	}
	/* RFC 3857: the presentity learns about its watchers (bodies built by presence) */
	memset(&ev, 0, sizeof(ev));
	ev.name.s = "presence.winfo";
	ev.name.len = 14;
	ev.content_type.s = "application/watcherinfo+xml";
	ev.content_type.len = 27;
	ev.type = WINFO_TYPE;
	ev.free_body = free_body;
	ev.default_expires = (unsigned)default_expires;
	if (psapi.add_event(&ev) < 0) {
		LM_ERR("cannot add the presence.winfo event\n");
		return -1;
	}
	return 0;
}

/* ---- rule changes ---- */
static str ev_presence = str_init("presence");

/* Re-evaluates every subscription to the presentity (newly allowed: active with a full NOTIFY;
 * newly blocked: terminated; polite-block: the offline document) and re-sends the documents
 * (transformations may have changed for watchers whose state did not). */
static int reevaluate(const char *key)
{
	char uri[300];
	int n = snprintf(uri, sizeof(uri), "sip:%s", key);
	str pres = {uri, n};
	if (n <= 4 || (size_t)n >= sizeof(uri))
		return -1;
	update_stat(st_reevaluated, 1);
	if (psapi.pres_refresh_watchers(&pres, &ev_presence, 0) < 0 ||
	    psapi.pres_refresh_watchers(&pres, &ev_presence, 1) < 0) {
		LM_ERR("cannot re-evaluate the watchers of %s\n", uri);
		return -1;
	}
	return 0;
}

static unsigned long flush_key(const char *key, size_t len)
{
	return rcache_flush(cache, key, len);
}

/* Whether this instance re-evaluates change `id`: the first instance to claim it does
 * (sql/004_rules_notify.sql), so watchers get one NOTIFY per change. */
static int claim_change(long long id)
{
	char sql[300];
	db1_res_t *res = NULL;
	int won = 0;
	int n = snprintf(sql, sizeof(sql),
	                 "UPDATE presec_rules_changes SET claimed_by = '%s', claimed_at = now() "
	                 "WHERE id = %lld AND claimed_by IS NULL RETURNING id",
	                 instance, id);
	str q = {sql, n};
	if (!dbh || dbf.raw_query(dbh, &q, &res) < 0 || !res) {
		LM_ERR("cannot claim rules change %lld: re-evaluating anyway\n", id);
		return 1;
	}
	won = RES_ROW_N(res) > 0;
	dbf.free_result(dbh, res);
	return won;
}

static void on_rules_changed(const char *payload, void *arg)
{
	char *end;
	(void)arg;
	long long id = strtoll(payload, &end, 10);
	const char *key = *end == ' ' ? end + 1 : NULL;
	update_stat(st_changes, 1);
	if (!key || !strchr(key, '@') || strlen(key) > 250) {
		LM_ERR("rules change notification '%s' not understood: flushing every policy\n",
		       payload);
		flush_key(NULL, 0);
		return;
	}
	flush_key(key, strlen(key));
	if (claim_change(id)) {
		LM_INFO("rules of %s changed (change %lld): re-evaluating its watchers\n", key, id);
		reevaluate(key);
	} else {
		LM_DBG("rules of %s changed (change %lld): another instance re-evaluates\n", key,
		       id);
	}
}

static void listener_tick(unsigned int ticks, void *param)
{
	static int was_down;
	const char *why = NULL;
	(void)ticks;
	(void)param;
	switch (pgl_poll(listener, monotonic_ms(), on_rules_changed, NULL, &why)) {
	case PGL_CONNECTED:
		/* changes made while not listening were not seen: forget every policy */
		flush_key(NULL, 0);
		LM_INFO("listening for rules changes on '%s'%s\n", notify_channel,
		        was_down ? " again; cached policies dropped" : "");
		was_down = 0;
		break;
	case PGL_DOWN:
		if (!was_down) {
			update_stat(st_listener_down, 1);
			/* a change may be missed while down: cached policies are not trusted */
			flush_key(NULL, 0);
			LM_ERR("not listening for rules changes: %s (retrying)\n", why);
		}
		was_down = 1;
		break;
	case PGL_IDLE:
		break;
	}
}

/* cfg: pres_authz_rules_changed(presentity): drop the cached policy now (for example right
 * after xcaps_put on this instance; the listener re-evaluates). */
static int rules_changed(struct sip_msg *msg, str *presentity)
{
	char key[256];
	struct sip_uri u;
	int n;
	(void)msg;
	if ((n = presentity_key(presentity, key, sizeof(key), &u)) < 0) {
		LM_ERR("pres_authz_rules_changed: '%.*s' is not a presentity URI\n",
		       presentity->len, presentity->s);
		return -1;
	}
	flush_key(key, (size_t)n);
	return 1;
}

static int w_rules_changed(struct sip_msg *msg, char *p1, char *p2)
{
	str uri;
	(void)p2;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &uri) != 0) {
		LM_ERR("pres_authz_rules_changed: cannot get the presentity\n");
		return -1;
	}
	return rules_changed(msg, &uri);
}

/* ---- the gate: who asks for presence and who supplies it (gate.c) ---- */

/* What the gate found for the request being processed ($authz(watcher), $authz(presentity)),
 * and whether pres_authz_publish() let this PUBLISH through (then the presence module's
 * publish hook need not look again). */
static struct {
	unsigned int msg_id;
	int msg_pid;
	int publish_checked;
	char watcher[GATE_ID_MAX];
	char presentity[GATE_ID_MAX];
} last;

static void last_set(struct sip_msg *msg, const struct gate_verdict *v, int publish)
{
	memset(&last, 0, sizeof(last));
	last.msg_id = msg->id;
	last.msg_pid = msg->pid;
	last.publish_checked = publish;
	snprintf(last.presentity, sizeof(last.presentity), "%s", v->presentity);
	if (!publish)
		snprintf(last.watcher, sizeof(last.watcher), "%s", v->identity);
}

static int last_is_for(const struct sip_msg *msg)
{
	return last.msg_id == msg->id && last.msg_pid == msg->pid;
}

#define GATE_HDR_LEN 512
/* the parts of a request the gate reads, as NUL-terminated text */
struct gate_text {
	char peer[64];
	char ruri[GATE_HDR_LEN];
	char from[GATE_HDR_LEN];
	char pai[GATE_HDR_MAX][GATE_HDR_LEN];
	char privacy[GATE_HDR_MAX][64];
};

/* NULL when the value is missing or does not fit: the gate refuses what it cannot read */
static const char *text_of(char *out, size_t outsz, const str *s)
{
	if (!s || !s->s || s->len < 0 || (size_t)s->len >= outsz)
		return NULL;
	memcpy(out, s->s, (size_t)s->len);
	out[s->len] = '\0';
	return out;
}

static int gate_read(struct sip_msg *msg, struct gate_text *t, struct gate_req *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(t->peer, sizeof(t->peer), "%s", presec_src_ip(msg));
	r->peer = t->peer;
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	r->ruri = text_of(t->ruri, sizeof(t->ruri), GET_RURI(msg));
	if (parse_from_header(msg) == 0)
		r->from = text_of(t->from, sizeof(t->from), &get_from(msg)->uri);
	if (msg->to && parse_to_header(msg) == 0)
		r->has_to_tag = get_to(msg)->tag_value.len > 0;
	r->winfo = msg->event && (msg->event->parsed || parse_event(msg->event) == 0) &&
	           ((event_t *)msg->event->parsed)->type == EVENT_PRESENCE_WINFO;
	for (struct hdr_field *h = msg->headers; h; h = h->next) {
		if (h->type == HDR_PAI_T) {
			if (r->n_pai < GATE_HDR_MAX)
				r->pai[r->n_pai] =
				        text_of(t->pai[r->n_pai], sizeof(t->pai[0]), &h->body);
			r->n_pai++;
		} else if (h->type == HDR_PRIVACY_T) {
			if (r->n_privacy < GATE_HDR_MAX)
				r->privacy[r->n_privacy] = text_of(t->privacy[r->n_privacy],
				                                   sizeof(t->privacy[0]), &h->body);
			r->n_privacy++;
		}
	}
	return 0;
}

static int gate_reply(struct sip_msg *msg, int status, const char *why)
{
	str reason = {(char *)why, (int)strlen(why)};
	if (slb.freply(msg, status, &reason) < 0)
		LM_ERR("cannot send %d %s\n", status, why);
	return -1;
}

/* presence keeps the presentity as the Request-URI wrote it: the canonical one instead, so
 * that every spelling of a user's URI is the one presentity (a tel presentity stays) */
static void canonical_ruri(struct sip_msg *msg, const struct gate_req *r, const char *aor)
{
	str s = {(char *)aor, (int)strlen(aor)};
	if (r->ruri && strncmp(aor, "sip:", 4) == 0 && strcmp(r->ruri, aor) != 0 &&
	    rewrite_uri(msg, &s) < 0)
		LM_ERR("cannot set the Request-URI to %s\n", aor);
}

static enum gate_publish own_set(struct gate_verdict *v);

/* cfg: pres_authz_watcher(): who the watcher of this SUBSCRIBE is, in $authz(watcher) for
 * handle_subscribe(): 1 asserted, 2 anonymous, 3 believed (core_asserts 0), 4 of another
 * domain (unauthenticated), 5 of a trusted domain but unasserted (prove it with Digest, then
 * pres_authz_check_digest()); -1 refused, the reply sent. */
static int watcher_step(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	if (gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("SUBSCRIBE from %s refused: headers cannot be parsed\n", t.peer);
		return gate_reply(msg, 400, "Bad Request");
	}
	enum gate_watcher w = gate_watcher(&gcfg, &r, &v);
	if (w == GW_REFUSED) {
		update_stat(st_watchers_refused, 1);
		LM_NOTICE("SUBSCRIBE for %s from %s refused: %s (%s)\n", r.ruri ? r.ruri : "?",
		          r.peer, v.why, v.identity);
		return gate_reply(msg, v.status, v.why);
	}
	if (r.winfo) {
		/* RFC 3857: who watches alice is alice's to know, nobody else's */
		enum gate_publish p = gate_winfo(&r, w, &v);
		if (p == GP_ASK_SET)
			p = own_set(&v);
		if (p != GP_ALLOWED) {
			update_stat(st_watchers_refused, 1);
			if (v.status != 500) {
				v.status = 403;
				v.why = "Only the presentity watches its watchers";
				LM_NOTICE("SUBSCRIBE to presence.winfo of %s from %s refused: %s "
				          "(%s is %s)\n",
				          r.ruri ? r.ruri : "?", r.peer, v.why, v.identity,
				          gate_watcher_name(w));
			}
			return gate_reply(msg, v.status, v.why);
		}
	}
	last_set(msg, &v, 0);
	canonical_ruri(msg, &r, v.presentity);
	LM_DBG("SUBSCRIBE for %s from %s: watcher %s (%s)\n", v.presentity, r.peer, v.identity,
	       gate_watcher_name(w));
	return (int)w + 1;
}

/* cfg: pres_authz_check_digest(user, realm): after www_authorize() proved user in realm, 1
 * when the From is that user (then $authz(watcher) is it), else 403 sent and -1. */
static int check_digest(struct sip_msg *msg, str *user, str *realm)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	char u[128], rl[128];
	const char *up = text_of(u, sizeof(u), user), *rp = text_of(rl, sizeof(rl), realm);
	if (gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("SUBSCRIBE from %s refused: headers cannot be parsed\n", t.peer);
		return gate_reply(msg, 400, "Bad Request");
	}
	if (gate_digest(&r, up, rp, &v) != 0) {
		update_stat(st_watchers_refused, 1);
		LM_NOTICE("SUBSCRIBE for %s from %s: '%s' authenticated but claims %s\n",
		          r.ruri ? r.ruri : "?", r.peer, up ? up : "?", r.from ? r.from : "?");
		return gate_reply(msg, v.status, v.why);
	}
	last_set(msg, &v, 0);
	canonical_ruri(msg, &r, v.presentity);
	return 1;
}

static int w_check_digest(struct sip_msg *msg, char *p1, char *p2)
{
	str user, realm;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &user) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &realm) != 0) {
		LM_ERR("pres_authz_check_digest: cannot get the parameters\n");
		return -1;
	}
	return check_digest(msg, &user, &realm);
}

#define SET_ROWS_MAX 64

/* TS 23.228 5.2.1a: the implicit registration sets (ims_impu, sql/002; readable by the PS
 * through sql/008) holding an IMPU like the publisher's, and whether the presentity is in the
 * publisher's (gate_publish_set compares exactly; the query only finds candidates). */
static enum gate_publish own_set(struct gate_verdict *v)
{
	char sql[1024], lit[2 * GATE_ID_MAX];
	const char *pairs[2 * SET_ROWS_MAX];
	char *arena = NULL;
	size_t k = 0, used = 0;
	db1_res_t *res = NULL;
	/* an SQL literal: the canonical form escapes a backslash, quotes are doubled */
	for (const char *c = v->identity; *c && k + 2 < sizeof(lit); c++) {
		if (*c == '\'')
			lit[k++] = '\'';
		lit[k++] = *c;
	}
	lit[k] = '\0';
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT a.impu, b.impu FROM ims_impu a JOIN ims_impu b ON b.impi = a.impi "
	                 "WHERE lower(a.impu) = lower('%s') LIMIT %d",
	                 lit, SET_ROWS_MAX);
	str q = {sql, n};
	update_stat(st_publish_set_lookups, 1);
	if (n <= 0 || (size_t)n >= sizeof(sql) || !dbh || dbf.raw_query(dbh, &q, &res) < 0 ||
	    !res) {
		LM_ERR("cannot read the implicit registration set of %s: database unavailable; "
		       "PUBLISH for %s refused\n",
		       v->identity, v->presentity);
		v->status = 500;
		v->why = "Server Internal Error";
		return GP_REFUSED;
	}
	int rows = RES_ROW_N(res) < SET_ROWS_MAX ? RES_ROW_N(res) : SET_ROWS_MAX;
	if (rows > 0 && !(arena = pkg_malloc((size_t)rows * 2 * GATE_HDR_LEN))) {
		dbf.free_result(dbh, res);
		v->status = 500;
		v->why = "Server Internal Error";
		return GP_REFUSED;
	}
	for (int i = 0; i < rows; i++)
		for (int c = 0; c < 2; c++) {
			str s = STR_NULL;
			presec_db_str(&ROW_VALUES(&RES_ROWS(res)[i])[c], &s);
			const char *copied = text_of(arena + used, GATE_HDR_LEN, &s);
			pairs[2 * i + c] = copied ? copied : "";
			used += GATE_HDR_LEN;
		}
	dbf.free_result(dbh, res);
	enum gate_publish p = gate_publish_set(pairs, (unsigned)rows, v);
	if (arena)
		pkg_free(arena);
	return p;
}

/* RFC 3903 and TS 33.141 4.5.1: the whole decision on one PUBLISH (who, then the body).
 * 0 to take it, -1 with v->status and v->why. */
static int publish_verdict(struct sip_msg *msg, const struct gate_req *r, struct gate_verdict *v)
{
	enum gate_publish p = gate_publish(&gcfg, r, v);
	if (p == GP_ASK_SET)
		p = own_set(v);
	if (p != GP_ALLOWED)
		return -1;
	/* a refresh or a removal has no body (RFC 3903 4.3) */
	if (!msg->content_length || get_content_length(msg) == 0)
		return 0;
	/* presence_authz supplies the presence event only: others get 489 from presence */
	if (!msg->event || (!msg->event->parsed && parse_event(msg->event) < 0) ||
	    ((event_t *)msg->event->parsed)->type != EVENT_PRESENCE)
		return 0;
	char *body = get_body(msg);
	int len = body ? (int)(msg->buf + msg->len - body) : 0;
	if (parse_content_type_hdr(msg) != MIMETYPE(APPLICATION, PIDFXML)) {
		v->status = 415;
		v->why = "Unsupported Media Type";
		return -1;
	}
	enum pidf_refusal refusal = PIDF_REFUSED_BAD;
	const char *why = NULL;
	struct pidf_doc *d =
	        len > 0 ? pidf_parse_publication(body, (size_t)len, v->presentity, &refusal, &why)
	                : NULL;
	if (!d) {
		/* the limits of pidf.h: 413 for size and number of components, else 400 */
		v->status = refusal == PIDF_REFUSED_TOO_LARGE ? 413 : 400;
		v->why = why ? why : "no presence document";
		return -1;
	}
	pidf_free(d);
	return 0;
}

/* cfg: pres_authz_publish(): 1 when this PUBLISH may go to handle_publish() (the
 * Request-URI then names the presentity canonically); else the reply is sent (403: not the
 * publisher's own presence, not asserted, in a dialog, not from the S-CSCF or a network
 * presence source; 400 or 413: the document; 415) with one log line, and -1. */
static int publish_step(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	if (gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("PUBLISH from %s refused: headers cannot be parsed\n", t.peer);
		return gate_reply(msg, 400, "Bad Request");
	}
	if (publish_verdict(msg, &r, &v) != 0) {
		update_stat(st_publish_refused, 1);
		if (v.status != 500)
			LM_NOTICE("PUBLISH for %s from %s refused: %s (%s)\n",
			          r.ruri ? r.ruri : "?", r.peer, v.why, v.identity);
		if (v.status == 415 &&
		    !add_lump_rpl(msg, "Accept: application/pidf+xml\r\n", 30, LUMP_RPL_HDR))
			LM_ERR("cannot add Accept to the 415\n");
		return gate_reply(msg, v.status, v.why);
	}
	last_set(msg, &v, 1);
	canonical_ruri(msg, &r, v.presentity);
	return 1;
}

PRESEC_CFG_WRAP0(w_watcher, watcher_step)
PRESEC_CFG_WRAP0(w_publish, publish_step)

/* presence's own hook for every PUBLISH of the presence event: the same decision when the
 * script did not call pres_authz_publish() (presence answers 500 then), so that nothing is
 * stored that the gate would refuse, whatever the script. */
static int publ_handl(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	memset(&v, 0, sizeof(v));
	if (last_is_for(msg) && last.publish_checked)
		return 0;
	if (gate_read(msg, &t, &r) < 0 || publish_verdict(msg, &r, &v) != 0) {
		update_stat(st_publish_refused, 1);
		LM_NOTICE("PUBLISH for %s from %s refused: %s (%s); the script did not call "
		          "pres_authz_publish(), so presence answers 500\n",
		          r.ruri ? r.ruri : "?", t.peer, v.why ? v.why : "headers cannot be parsed",
		          v.identity);
		return -1;
	}
	return 0;
}

/* ---- Ut reference point (TS 33.141 4.2): document checks and the audit log ---- */
/* $authz(reason): why the last check refused; $authz(audit): the last audit page (JSON) */
static char ut_reason[256];
static char *ut_audit; /* pkg, replaced on every call */

/* cfg: pres_authz_check_doc(auid, body): 1 when the document may be stored, -1 otherwise
 * with the reason in $authz(reason) (RFC 4825 8.2.5: 409, nothing stored). */
static int check_doc(struct sip_msg *msg, str *auid, str *body)
{
	char app[32];
	const char *why = NULL;
	(void)msg;
	ut_reason[0] = '\0';
	snprintf(app, sizeof(app), "%.*s", auid->len, auid->s);
	if (xcap_doc_check(app, body->s, (size_t)body->len, &why) != 0) {
		snprintf(ut_reason, sizeof(ut_reason), "%s", why ? why : "not acceptable");
		/* the reason goes into an XML attribute (RFC 4825 11: xcap-error phrase) */
		for (char *c = ut_reason; *c; c++)
			if (*c == '<' || *c == '>' || *c == '&' || *c == '"')
				*c = '\'';
		LM_NOTICE("Ut: %s document refused: %s\n", app, ut_reason);
		update_stat(st_bad_rules, 1);
		return -1;
	}
	return 1;
}

static int w_check_doc(struct sip_msg *msg, char *p1, char *p2)
{
	str auid, body;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &auid) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &body) != 0) {
		LM_ERR("pres_authz_check_doc: cannot get the parameters\n");
		return -1;
	}
	return check_doc(msg, &auid, &body);
}

static int plain_uri(const str *s)
{
	if (s->len < 5 || s->len > 200 || strncmp(s->s, "sip:", 4) != 0)
		return 0;
	for (int i = 4; i < s->len; i++)
		if (!ident_char(s->s[i]) && s->s[i] != '@')
			return 0;
	return 1;
}

/* cfg: pres_authz_audit_json(presentity, offset, limit): one page of the presentity's own
 * audit log, newest first, as JSON in $authz(audit) (TS 33.141 requirement 6). 1, or -1 with
 * the reason in $authz(reason). The configuration decides whose log that is (the
 * authenticated XUI). */
static int audit_json(struct sip_msg *msg, str *presentity, int offset, int limit)
{
	char sql[1800];
	db1_res_t *res = NULL;
	(void)msg;
	ut_reason[0] = '\0';
	if (!plain_uri(presentity) || offset < 0 || limit < 1 || limit > 100) {
		snprintf(ut_reason, sizeof(ut_reason),
		         "presentity must be a plain sip: URI, offset >= 0, 1 <= limit <= 100");
		return -1;
	}
	/* PostgreSQL builds the page (sql/007: what was provided and the hash are columns; the
	 * body only where audit_document kept it). As bytea: db_postgres unescapes text results
	 * like bytea, which would eat JSON's backslashes. */
	int n = snprintf(
	        sql, sizeof(sql),
	        "SELECT convert_to(json_build_object('presentity', '%.*s', 'offset', %d, "
	        "'limit', %d, "
	        "'total', (SELECT count(*) FROM %s WHERE presentity = '%.*s'), "
	        "'entries', COALESCE((SELECT json_agg(e ORDER BY e.id DESC) FROM ("
	        "SELECT id, sent_at, watcher, anonymous, sub_handling, rules, subscription, "
	        "provided_ids, provided_elements, body_sha256, document "
	        "FROM %s WHERE presentity = '%.*s' ORDER BY id DESC OFFSET %d LIMIT %d) e), "
	        "'[]'::json))::text, 'UTF8')",
	        presentity->len, presentity->s, offset, limit, audit_table, presentity->len,
	        presentity->s, audit_table, presentity->len, presentity->s, offset, limit);
	str q = {sql, n};
	if (n <= 0 || (size_t)n >= sizeof(sql) || !dbh || dbf.raw_query(dbh, &q, &res) < 0 ||
	    !res) {
		snprintf(ut_reason, sizeof(ut_reason), "audit log unavailable");
		LM_ERR("Ut: cannot read the audit log of %.*s\n", presentity->len, presentity->s);
		return -1;
	}
	str js = STR_NULL;
	if (RES_ROW_N(res) > 0)
		presec_db_str(ROW_VALUES(RES_ROWS(res)), &js);
	if (ut_audit)
		pkg_free(ut_audit);
	ut_audit = js.s ? pkg_malloc(js.len + 1) : NULL;
	if (ut_audit) {
		memcpy(ut_audit, js.s, js.len);
		ut_audit[js.len] = '\0';
	}
	dbf.free_result(dbh, res);
	if (!ut_audit) {
		snprintf(ut_reason, sizeof(ut_reason), "audit log unavailable");
		return -1;
	}
	return 1;
}

static int w_audit_json(struct sip_msg *msg, char *p1, char *p2, char *p3)
{
	str pres;
	int offset, limit;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &pres) != 0 ||
	    fixup_get_ivalue(msg, (gparam_t *)p2, &offset) != 0 ||
	    fixup_get_ivalue(msg, (gparam_t *)p3, &limit) != 0) {
		LM_ERR("pres_authz_audit_json: cannot get the parameters\n");
		return -1;
	}
	return audit_json(msg, &pres, offset, limit);
}

/* presentity: a string with variables; offset and limit: integers or variables */
static int fixup_audit_json(void **param, int param_no)
{
	return param_no == 1 ? fixup_spve_null(param, 1) : fixup_igp_null(param, 1);
}

static int fixup_free_audit_json(void **param, int param_no)
{
	return param_no == 1 ? fixup_free_spve_null(param, 1) : fixup_free_igp_null(param, 1);
}

static int pv_parse_authz(pv_spec_p sp, str *in)
{
	if (!sp || !in)
		return -1;
	if (in->len == 6 && strncmp(in->s, "reason", 6) == 0)
		sp->pvp.pvn.u.isname.name.n = 0;
	else if (in->len == 5 && strncmp(in->s, "audit", 5) == 0)
		sp->pvp.pvn.u.isname.name.n = 1;
	else if (in->len == 7 && strncmp(in->s, "watcher", 7) == 0)
		sp->pvp.pvn.u.isname.name.n = 2;
	else if (in->len == 10 && strncmp(in->s, "presentity", 10) == 0)
		sp->pvp.pvn.u.isname.name.n = 3;
	else {
		LM_ERR("$authz(%.*s): reason, audit, watcher or presentity\n", in->len, in->s);
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	return 0;
}

static int pv_get_authz(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	str v;
	if (param->pvn.u.isname.name.n == 0) {
		v.s = ut_reason;
		v.len = (int)strlen(ut_reason);
	} else if (param->pvn.u.isname.name.n >= 2) {
		/* what the gate found for this very request */
		const char *g = param->pvn.u.isname.name.n == 2 ? last.watcher : last.presentity;
		if (!msg || !last_is_for(msg) || !*g)
			return pv_get_null(msg, param, res);
		v.s = (char *)g;
		v.len = (int)strlen(g);
	} else {
		if (!ut_audit)
			return pv_get_null(msg, param, res);
		v.s = ut_audit;
		v.len = (int)strlen(ut_audit);
	}
	return pv_get_strval(msg, param, res, &v);
}

static pv_export_t mod_pvs[] = {
        {{"authz", 5}, PVT_OTHER, pv_get_authz, 0, pv_parse_authz, 0, 0, 0},
        {{0, 0}, 0, 0, 0, 0, 0, 0, 0},
};

/* ---- RPC ---- */
static void rpc_add_rule(rpc_t *rpc, void *ctx, const struct pol_rule *r)
{
	void *th;
	char perms[1024], cond[512];
	size_t n = 0;
	perm_format(&r->perm, perms, sizeof(perms));
	cond[0] = '\0';
	for (unsigned i = 0; i < r->n_one && n < sizeof(cond); i++)
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%sidentity=%s", n ? " " : "",
		                      r->one[i]);
	for (unsigned i = 0; i < r->n_many && n < sizeof(cond); i++)
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%smany=%s(%u except)",
		                      n ? " " : "", *r->many[i].domain ? r->many[i].domain : "*",
		                      r->many[i].n_except);
	if (r->has_sphere && n < sizeof(cond))
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%ssphere=%s", n ? " " : "",
		                      r->sphere);
	if (r->has_validity && n < sizeof(cond))
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%svalidity(%u)", n ? " " : "",
		                      r->n_validity);
	if (r->anonymous_request && n < sizeof(cond))
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%sanonymous-request",
		                      n ? " " : "");
	if (r->other_identity && n < sizeof(cond))
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%sother-identity", n ? " " : "");
	for (unsigned i = 0; r->external_list && i < r->n_lists && n < sizeof(cond); i++)
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%sexternal-list=%s",
		                      n ? " " : "", r->lists[i].name);
	if (r->external_list && n < sizeof(cond))
		n += (size_t)snprintf(cond + n, sizeof(cond) - n, "%s(%u members%s)", n ? " " : "",
		                      r->n_members, r->lists_resolved ? "" : ", lists not read");
	if (r->unknown_condition && n < sizeof(cond))
		snprintf(cond + n, sizeof(cond) - n, "%snot-understood (never matches)",
		         n ? " " : "");
	if (rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ssss", "id", r->id, "sub_handling",
	                r->has_sub_handling ? sub_handling_name(r->sub_handling) : "(none)",
	                "conditions", *cond ? cond : "(always)", "permissions", perms);
}

static const char *rpc_policy_doc[] = {
        "Show a presentity's compiled pres-rules (argument: presentity URI).", 0};
static void rpc_policy(rpc_t *rpc, void *c)
{
	str uri;
	struct loaded l;
	if (rpc->scan(c, "S", &uri) < 1) {
		rpc->fault(c, 400, "presentity URI expected");
		return;
	}
	if (load_policy(&uri, &l) != 0) {
		rpc->fault(c, 503, "rules unavailable (database)");
		return;
	}
	if (l.refused) {
		rpc->fault(c, 409, "rules refused: %s", l.why);
		return;
	}
	for (unsigned i = 0; i < l.pol.n; i++)
		rpc_add_rule(rpc, c, &l.pol.rules[i]);
	policy_free(&l.pol);
}

static const char *rpc_decide_doc[] = {
        "Decide a subscription: presentity URI, watcher URI, optionally \"anonymous\" or "
        "\"unauthenticated\".",
        0};
static void rpc_decide(rpc_t *rpc, void *c)
{
	str pres, watcher, flag = STR_NULL;
	char wbuf[300], perms[1024], rules[600];
	struct loaded l;
	struct pol_decision d;
	size_t n = 0;
	void *th;
	if (rpc->scan(c, "SS*S", &pres, &watcher, &flag) < 2) {
		rpc->fault(c, 400, "presentity and watcher URIs expected");
		return;
	}
	if (load_policy(&pres, &l) != 0) {
		rpc->fault(c, 503, "rules unavailable (database)");
		return;
	}
	if (l.refused) {
		rpc->fault(c, 409, "rules refused: %s", l.why);
		return;
	}
	snprintf(wbuf, sizeof(wbuf), "%.*s", watcher.len, watcher.s);
	struct pol_watcher w = {
	        wbuf, !(flag.len == 15 && strncmp(flag.s, "unauthenticated", 15) == 0),
	        flag.len == 9 && strncmp(flag.s, "anonymous", 9) == 0, (long long)time(NULL), NULL};
	policy_decide(&l.pol, &w, &d);
	perm_format(&d.perm, perms, sizeof(perms));
	rules[0] = '\0';
	for (unsigned i = 0; i < d.n_rules && n < sizeof(rules); i++)
		n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%s%s", i ? " " : "",
		                      d.rules[i]);
	if (rpc->add(c, "{", &th) >= 0)
		rpc->struct_add(th, "sss", "sub_handling", sub_handling_name(d.sub_handling),
		                "rules", rules, "permissions", perms);
	policy_free(&l.pol);
}

static const char *rpc_flush_doc[] = {
        "Drop cached policies: of one presentity (URI), or of all without argument.", 0};
static void rpc_flush(rpc_t *rpc, void *c)
{
	str uri = STR_NULL;
	char key[256];
	struct sip_uri u;
	int n;
	if (rpc->scan(c, "*S", &uri) < 1 || uri.len == 0) {
		rpc->add(c, "d", (int)flush_key(NULL, 0));
		return;
	}
	if ((n = presentity_key(&uri, key, sizeof(key), &u)) < 0) {
		rpc->fault(c, 400, "not a presentity URI");
		return;
	}
	rpc->add(c, "d", (int)flush_key(key, (size_t)n));
}

static const char *rpc_cache_doc[] = {"Statistics of the shared policy cache.", 0};
static void rpc_cache(rpc_t *rpc, void *c)
{
	struct rcache_stats st;
	void *th;
	rcache_stats(cache, &st);
	if (rpc->add(c, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ddddddd", "entries", (int)st.entries, "bytes", (int)st.bytes, "hits",
	                (int)st.hits, "misses", (int)st.misses, "flushes", (int)st.flushes,
	                "refused_stale", (int)st.refused_stale, "refused_full",
	                (int)st.refused_full);
}

static rpc_export_t rpc_cmds[] = {
        {"presence_authz.policy", rpc_policy, rpc_policy_doc, RET_ARRAY},
        {"presence_authz.decide", rpc_decide, rpc_decide_doc, 0},
        {"presence_authz.flush", rpc_flush, rpc_flush_doc, 0},
        {"presence_authz.cache", rpc_cache, rpc_cache_doc, 0},
        {0, 0, 0, 0},
};

/* ---- module interface ---- */
static int mod_init(void)
{
	bind_pidf_filter_f bind;
	const char *why = NULL;
	struct policy check;
	struct presec_store_ops ops;

	if (!db_url.s || !db_url.len) {
		LM_ERR("db_url is required\n");
		return -1;
	}
	if (policy_compile(default_rules, strlen(default_rules), &check, &why) != 0) {
		LM_ERR("default_rules: %s\n", why);
		return -1;
	}
	policy_free(&check);
	if (cache_buckets < 1 || cache_max_entries < 0 || notify_interval_ms < 10) {
		LM_ERR("cache_buckets (>= 1), cache_max_entries (>= 0) or notify_interval_ms "
		       "(>= 10) out of range\n");
		return -1;
	}
	if (db_bind_mod(&db_url, &dbf) < 0 || !DB_CAPABILITY(dbf, DB_CAP_RAW_QUERY)) {
		LM_ERR("cannot bind a database module with raw queries\n");
		return -1;
	}
	if (presence_load_api(&psapi) < 0) {
		LM_ERR("cannot bind the presence module (load presence.so first)\n");
		return -1;
	}
	/* find_export() returns a cmd_function; void (*)(void) is the generic function type */
	if (!(bind = (bind_pidf_filter_f)(void (*)(void))find_export("bind_pidf_filter", 0, 0)) ||
	    bind(&pfapi) < 0) {
		LM_ERR("cannot bind the pidf_filter module (load pidf_filter.so first)\n");
		return -1;
	}
	if (presec_shm_store_ops(&ops, &cache_lock) != 0 ||
	    !(cache = rcache_new((unsigned)cache_buckets, (unsigned long)cache_max_entries,
	                         &ops))) {
		LM_ERR("no shared memory for the policy cache\n");
		return -1;
	}
	if (audit_retention_days < 0) {
		LM_ERR("audit_retention_days must be 0 (keep) or a number of days\n");
		return -1;
	}
	if (audit && audit_retention_days > 0 && sr_wtimer_add(audit_expire, 0, 3600) < 0) {
		LM_ERR("cannot register the audit retention timer\n");
		return -1;
	}
	if (audit) {
		struct presec_store_ops qops;
		char *ci;
		if (audit_max_pending < 1 || audit_flush_ms < 10) {
			LM_ERR("audit_max_pending (>= 1) or audit_flush_ms (>= 10) out of range\n");
			return -1;
		}
		if (presec_shm_store_ops(&qops, &audit_lock) != 0 ||
		    !(audit_q = aq_new(&qops, (unsigned)audit_max_pending))) {
			LM_ERR("no shared memory for the audit queue\n");
			return -1;
		}
		/* the writer's own libpq connection, as the PS's login (db_url is a postgres://
		 * URI) */
		if (!(ci = as_asciiz(&db_url)))
			return -1;
		audit_w = aw_new(ci, audit_table, 1000);
		pkg_free(ci);
		if (!audit_w) {
			LM_ERR("audit_table '%s' is not a plain SQL identifier\n", audit_table);
			return -1;
		}
		register_basic_timers(1);
	}
	if (notify_channel && *notify_channel) {
		char *ci = as_asciiz(notify_db_url.len ? &notify_db_url : &db_url);
		if (!ci)
			return -1;
		listener = pgl_new(ci, notify_channel, 1000);
		pkg_free(ci);
		if (!listener) {
			LM_ERR("notify_channel '%s' is not a plain SQL identifier\n",
			       notify_channel);
			return -1;
		}
		register_basic_timers(1);
	}
	if (instance_id && *instance_id) {
		snprintf(instance, sizeof(instance), "%s", instance_id);
	} else {
		char host[64] = "?";
		gethostname(host, sizeof(host) - 1);
		snprintf(instance, sizeof(instance), "%s:%d", host, (int)getpid());
	}
	for (char *p = instance; *p; p++)
		if (*p == '\'' || *p == '\\')
			*p = '_';
	memset(&asserting_list, 0, sizeof(asserting_list));
	memset(&sources_list, 0, sizeof(sources_list));
	if (gate_peers_parse(asserting_peers, &asserting_list, &why) != 0) {
		LM_ERR("asserting_peers '%s': %s\n", asserting_peers, why);
		return -1;
	}
	if (gate_peers_parse(network_sources, &sources_list, &why) != 0) {
		LM_ERR("network_sources '%s': %s\n", network_sources, why);
		return -1;
	}
	if (gate_lists_overlap(&asserting_list, &sources_list)) {
		LM_ERR("network_sources '%s' and asserting_peers '%s' overlap: every PUBLISH an "
		       "asserting peer relays would count as a network source's (TS 33.141 "
		       "4.5.1)\n",
		       network_sources, asserting_peers);
		return -1;
	}
	if (core_asserts != 0 && core_asserts != 1) {
		LM_ERR("core_asserts is 1 (the core asserts its users) or 0 (it asserts nobody)\n");
		return -1;
	}
	gcfg.asserting = &asserting_list;
	gcfg.sources = &sources_list;
	gcfg.trusted_domains = trusted_watcher_domains;
	gcfg.core_asserts = core_asserts;
	if (sl_load_api(&slb) != 0) {
		LM_ERR("cannot bind the sl module (load sl.so first)\n");
		return -1;
	}
	if (register_module_stats("presence_authz", mod_stats) != 0 || add_events() != 0)
		return -1;
	return 0;
}

static int child_init(int rank)
{
	if (rank == PROC_MAIN && listener &&
	    fork_basic_utimer(PROC_TIMER, "presence_authz rules listener", 1, listener_tick, NULL,
	                      (unsigned)notify_interval_ms * 1000) < 0) {
		LM_ERR("cannot start the rules listener\n");
		return -1;
	}
	if (rank == PROC_MAIN && audit_w &&
	    fork_basic_utimer(PROC_TIMER, "presence_authz audit writer", 1, audit_tick, NULL,
	                      (unsigned)audit_flush_ms * 1000) < 0) {
		LM_ERR("cannot start the audit writer\n");
		return -1;
	}
	return presec_db_child_init(rank, &dbf, &db_url, &dbh);
}

static void mod_destroy(void)
{
	presec_db_close(&dbf, &dbh);
	pgl_free(listener);
	aw_free(audit_w);
	if (audit_q) {
		aq_destroy(audit_q);
		audit_q = NULL;
	}
	presec_shm_lock_free(&audit_lock);
	listener = NULL;
}

static cmd_export_t cmds[] = {
        {"pres_authz_rules_changed", (cmd_function)w_rules_changed, 1, fixup_spve_null,
         fixup_free_spve_null, ANY_ROUTE},
        {"pres_authz_check_doc", (cmd_function)w_check_doc, 2, fixup_spve_spve,
         fixup_free_spve_spve, ANY_ROUTE},
        {"pres_authz_audit_json", (cmd_function)(void (*)(void))w_audit_json, 3, fixup_audit_json,
         fixup_free_audit_json, ANY_ROUTE},
        {"pres_authz_watcher", (cmd_function)w_watcher, 0, 0, 0, REQUEST_ROUTE},
        {"pres_authz_check_digest", (cmd_function)w_check_digest, 2, fixup_spve_spve,
         fixup_free_spve_spve, REQUEST_ROUTE},
        {"pres_authz_publish", (cmd_function)w_publish, 0, 0, 0, REQUEST_ROUTE},
        {0, 0, 0, 0, 0, 0},
};

static param_export_t params[] = {
        {"db_url", PARAM_STR, &db_url},
        {"default_rules", PARAM_STRING, &default_rules},
        {"default_expires", INT_PARAM, &default_expires},
        {"audit", INT_PARAM, &audit},
        {"audit_table", PARAM_STRING, &audit_table},
        {"audit_document", PARAM_INT, &audit_document},
        {"audit_max_pending", PARAM_INT, &audit_max_pending},
        {"audit_flush_ms", PARAM_INT, &audit_flush_ms},
        {"audit_retention_days", INT_PARAM, &audit_retention_days},
        {"cache_buckets", INT_PARAM, &cache_buckets},
        {"cache_max_entries", INT_PARAM, &cache_max_entries},
        {"notify_channel", PARAM_STRING, &notify_channel},
        {"notify_db_url", PARAM_STR, &notify_db_url},
        {"notify_interval_ms", INT_PARAM, &notify_interval_ms},
        {"instance_id", PARAM_STRING, &instance_id},
        {"trusted_watcher_domains", PARAM_STRING, &trusted_watcher_domains},
        {"asserting_peers", PARAM_STRING, &asserting_peers},
        {"network_sources", PARAM_STRING, &network_sources},
        {"core_asserts", PARAM_INT, &core_asserts},
        {0, 0, 0},
};

struct module_exports exports = {
        "presence_authz", /* module name */
        DEFAULT_DLFLAGS,  /* dlopen flags */
        cmds,             /* cfg functions */
        params,           /* module parameters */
        rpc_cmds,         /* RPC commands */
        mod_pvs,          /* pseudo-variables */
        0,                /* response function */
        mod_init,         /* module init */
        child_init,       /* per-child init */
        mod_destroy,      /* destroy */
};

static sr_kemi_t sr_kemi_presence_authz_exports[] = {
        PRESEC_KEMI_S("presence_authz", "pres_authz_rules_changed", rules_changed),
        PRESEC_KEMI_SS("presence_authz", "pres_authz_check_doc", check_doc),
        PRESEC_KEMI_SII("presence_authz", "pres_authz_audit_json", audit_json),
        PRESEC_KEMI_0("presence_authz", "pres_authz_watcher", watcher_step),
        PRESEC_KEMI_SS("presence_authz", "pres_authz_check_digest", check_digest),
        PRESEC_KEMI_0("presence_authz", "pres_authz_publish", publish_step),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_presence_authz_exports)
