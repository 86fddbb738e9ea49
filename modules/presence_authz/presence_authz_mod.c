/* presence_authz: the presentity decides who sees what (TS 33.141 requirements 3-6). Registers
 * the "presence" and "presence.winfo" event packages with Kamailio's presence module, as
 * presence_xml does in a stock set-up, and answers every authorization question from the
 * presentity's pres-rules (RFC 4745, RFC 5025, OMA extensions) with the pidf_filter cores:
 * policy.c decides, pidf.c composes and filters (compiled in, not bound: README 2).
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
 * is of a trusted domain: the gate made sure that such a watcher was asserted or proved.
 *
 * This file holds the exports, the parameters and the module's start and end; the glue is
 * split by concern like presence_xml's: kamailio_events.c (the event packages and presence's
 * callbacks), kamailio_rules.c (rules loading, the rules listener, re-evaluation),
 * kamailio_audit.c (the audit writer), kamailio_gate.c (the gate's cfg functions),
 * kamailio_ut.c (Ut's cfg functions and $authz), kamailio_rpc.c; kamailio_authz.h is what
 * they share. */
#include <libxml/parser.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/kemi.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/sr_module.h"
#include "core/timer_proc.h"
#include "core/ut.h"

#include "kamailio_authz.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_db.h"
#include "presec/kamailio_shm.h"
#include "trust.h"

MODULE_VERSION

/* ---- parameters ---- */
static str db_url = STR_NULL;
static int audit = 1;
static int cache_buckets = 4096;
static int cache_max_entries = 100000;
static str notify_db_url = STR_NULL; /* default: db_url */
static int notify_interval_ms = 100;
static char *instance_id = NULL; /* default: host name and pid of the main process */
static int audit_max_pending = 100000;
static int audit_flush_ms = 100;
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
/* RFC 4662 7.1: the Presence List Server(s) whose P-Asserted-Identity names the list watcher on
 * a back-end SUBSCRIBE of presence (never winfo, never PUBLISH); with the RLS in the PS, the
 * PS's own address. Empty: no RLS. */
static char *rls_peers = "";

/* ---- state (kamailio_authz.h) ---- */
struct pa_module pa = {
        /* RFC 5025 3.1: what applies to a presentity without rules; the default asks the
         * presentity */
        .default_rules = "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" "
                         "xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"><cr:rule "
                         "id=\"operator-default\"><cr:conditions/><cr:actions><pr:sub-handling>"
                         "confirm</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>",
        .default_expires = 3600,
        .audit_table = "presec_presence_audit",
        .audit_document = 0,       /* 1: the body itself is logged too, not only its hash */
        .audit_retention_days = 0, /* 0: keep the audit log forever */
        .notify_channel = "presec_rules",
        .rls_xcap_host = "",
        .rls_max_members = 100,
        .rls_max_services = 32,
        .rls_max_depth = 8,
        .rls_max_backend = 500,
        .rls_max_lists = 16,
};
struct pa_stats pa_st;
static gen_lock_t *cache_lock, *audit_lock;
static struct trust_list asserting_list, sources_list, rls_list;

static unsigned long audit_pending(void)
{
	return pa.audit_q ? aq_pending(pa.audit_q) : 0;
}

static stat_export_t mod_stats[] = {
        {"decisions_allow", 0, &pa_st.allowed},
        {"decisions_confirm", 0, &pa_st.confirm},
        {"decisions_polite_block", 0, &pa_st.polite},
        {"decisions_block", 0, &pa_st.blocked},
        {"documents_filtered", 0, &pa_st.filtered},
        {"rules_refused", 0, &pa_st.bad_rules},
        {"audit_records", 0, &pa_st.audited},
        {"audit_failures", 0, &pa_st.audit_failed},
        {"audit_pending", STAT_IS_FUNC | STAT_NO_RESET, (stat_var **)audit_pending},
        {"audit_disconnects", 0, &pa_st.audit_down},
        {"rules_unavailable", 0, &pa_st.unavailable},
        {"rules_changes", 0, &pa_st.changes},
        {"rules_reevaluations", 0, &pa_st.reevaluated},
        {"listener_disconnects", 0, &pa_st.listener_down},
        {"watchers_refused", 0, &pa_st.watchers_refused},
        {"publications_refused", 0, &pa_st.publish_refused},
        {"publisher_set_lookups", 0, &pa_st.publish_set_lookups},
        {0, 0, 0},
};

/* ---- module interface ---- */
/* Each parameter's check names it and its range (as nginx's ngx_conf_num_bounds_t does). The
 * timers take microseconds in an unsigned int: at most 4294967 ms. */
#define MS_MAX 4294967
static int in_range(const char *name, int v, int min, int max, const char *range)
{
	if (v >= min && v <= max)
		return 1;
	LM_ERR("modparam %s is %d, out of range: %s\n", name, v, range);
	return 0;
}

static int mod_init(void)
{
	const char *why = NULL;
	struct policy check;
	struct presec_store_ops ops;

	if (!db_url.s || !db_url.len) {
		LM_ERR("db_url is required\n");
		return -1;
	}
	if (policy_compile(pa.default_rules, strlen(pa.default_rules), &check, &why) != 0) {
		LM_ERR("default_rules: %s\n", why);
		return -1;
	}
	policy_free(&check);
	if (!in_range("cache_buckets", cache_buckets, 1, INT_MAX, "1 or more") ||
	    !in_range("cache_max_entries", cache_max_entries, 0, INT_MAX, "0 (no limit) or more") ||
	    !in_range("notify_interval_ms", notify_interval_ms, 10, MS_MAX, "10 to 4294967 ms"))
		return -1;
	if (db_bind_mod(&db_url, &pa.dbf) < 0 || !DB_CAPABILITY(pa.dbf, DB_CAP_RAW_QUERY)) {
		LM_ERR("cannot bind a database module with raw queries\n");
		return -1;
	}
	if (presence_load_api(&pa.psapi) < 0) {
		LM_ERR("cannot bind the presence module (load presence.so first)\n");
		return -1;
	}
	/* pidf_filter's cores are compiled in (README 2), libxml2 with them: its globals are
	 * initialised once, before the processes fork */
	xmlInitParser();
	if (presec_shm_store_ops(&ops, &cache_lock) != 0 ||
	    !(pa.cache = rcache_new((unsigned)cache_buckets, (unsigned long)cache_max_entries,
	                            &ops))) {
		LM_ERR("no shared memory for the policy cache\n");
		return -1;
	}
	if (!in_range("audit_retention_days", pa.audit_retention_days, 0, INT_MAX,
	              "0 (keep the log) or a number of days"))
		return -1;
	if (audit && pa.audit_retention_days > 0 && sr_wtimer_add(pa_audit_expire, 0, 3600) < 0) {
		LM_ERR("cannot register the audit retention timer\n");
		return -1;
	}
	if (audit) {
		struct presec_store_ops qops;
		char *ci;
		if (!in_range("audit_max_pending", audit_max_pending, 1, INT_MAX,
		              "1 or more rows") ||
		    !in_range("audit_flush_ms", audit_flush_ms, 10, MS_MAX, "10 to 4294967 ms"))
			return -1;
		if (presec_shm_store_ops(&qops, &audit_lock) != 0 ||
		    !(pa.audit_q = aq_new(&qops, (unsigned)audit_max_pending))) {
			LM_ERR("no shared memory for the audit queue\n");
			return -1;
		}
		/* the writer's own libpq connection, as the PS's login (db_url is a postgres://
		 * URI) */
		if (!(ci = as_asciiz(&db_url)))
			return -1;
		pa.audit_w = aw_new(ci, pa.audit_table, 1000);
		pkg_free(ci);
		if (!pa.audit_w) {
			LM_ERR("audit_table '%s' is not a plain SQL identifier\n", pa.audit_table);
			return -1;
		}
		register_basic_timers(1);
	}
	if (pa.notify_channel && *pa.notify_channel) {
		char *ci = as_asciiz(notify_db_url.len ? &notify_db_url : &db_url);
		if (!ci)
			return -1;
		pa.listener = pgl_new(ci, pa.notify_channel, 1000);
		pkg_free(ci);
		if (!pa.listener) {
			LM_ERR("notify_channel '%s' is not a plain SQL identifier\n",
			       pa.notify_channel);
			return -1;
		}
		register_basic_timers(1);
	}
	if (instance_id && *instance_id) {
		snprintf(pa.instance, sizeof(pa.instance), "%s", instance_id);
	} else {
		char host[64] = "?";
		gethostname(host, sizeof(host) - 1);
		snprintf(pa.instance, sizeof(pa.instance), "%s:%d", host, (int)getpid());
	}
	for (char *p = pa.instance; *p; p++)
		if (*p == '\'' || *p == '\\')
			*p = '_';
	memset(&asserting_list, 0, sizeof(asserting_list));
	memset(&sources_list, 0, sizeof(sources_list));
	memset(&rls_list, 0, sizeof(rls_list));
	if (gate_peers_parse(asserting_peers, &asserting_list, &why) != 0) {
		LM_ERR("asserting_peers '%s': %s\n", asserting_peers, why);
		return -1;
	}
	if (gate_peers_parse(network_sources, &sources_list, &why) != 0) {
		LM_ERR("network_sources '%s': %s\n", network_sources, why);
		return -1;
	}
	if (gate_peers_parse(rls_peers, &rls_list, &why) != 0) {
		LM_ERR("rls_peers '%s': %s\n", rls_peers, why);
		return -1;
	}
	if (gate_lists_overlap(&rls_list, &sources_list)) {
		LM_ERR("network_sources '%s' and rls_peers '%s' overlap: the RLS would publish for anyone (TS 33.141 4.5.1)\n",
		       network_sources, rls_peers);
		return -1;
	}
	if (rls_list.n && (!pa.rls_handle_key || strlen(pa.rls_handle_key) < 16)) {
		LM_ERR("rls_peers is set but modparam rls_handle_key is missing or shorter than 16 characters: the RLS handles would be guessable\n");
		return -1;
	}
	if (!in_range("rls_max_members", pa.rls_max_members, 1, 10000, "1 to 10000") ||
	    !in_range("rls_max_services", pa.rls_max_services, 1, 64, "1 to 64") ||
	    !in_range("rls_max_depth", pa.rls_max_depth, 1, 16, "1 to 16") ||
	    !in_range("rls_max_backend", pa.rls_max_backend, 1, INT_MAX, "1 or more") ||
	    !in_range("rls_max_lists", pa.rls_max_lists, 1, INT_MAX, "1 or more"))
		return -1;
	if (gate_lists_overlap(&asserting_list, &sources_list)) {
		LM_ERR("network_sources '%s' and asserting_peers '%s' overlap: every PUBLISH an asserting peer relays would count as a network source's (TS 33.141 4.5.1)\n",
		       network_sources, asserting_peers);
		return -1;
	}
	if (!in_range("core_asserts", core_asserts, 0, 1,
	              "1 (the core asserts its users) or 0 (it asserts nobody)"))
		return -1;
	pa.gcfg.asserting = &asserting_list;
	pa.gcfg.sources = &sources_list;
	pa.gcfg.trusted_domains = trusted_watcher_domains;
	pa.gcfg.core_asserts = core_asserts;
	if (pa_conf_init() != 0)
		return -1;
	pa.gcfg.rls = &rls_list;
	if (sl_load_api(&pa.slb) != 0) {
		LM_ERR("cannot bind the sl module (load sl.so first)\n");
		return -1;
	}
	if (register_module_stats("presence_authz", mod_stats) != 0 || pa_add_events() != 0)
		return -1;
	return 0;
}

static int child_init(int rank)
{
	if (rank == PROC_MAIN && pa.listener &&
	    fork_basic_utimer(PROC_TIMER, "presence_authz rules listener", 1, pa_listener_tick,
	                      NULL, (unsigned)notify_interval_ms * 1000) < 0) {
		LM_ERR("cannot start the rules listener\n");
		return -1;
	}
	if (rank == PROC_MAIN && pa.audit_w &&
	    fork_basic_utimer(PROC_TIMER, "presence_authz audit writer", 1, pa_audit_tick, NULL,
	                      (unsigned)audit_flush_ms * 1000) < 0) {
		LM_ERR("cannot start the audit writer\n");
		return -1;
	}
	return presec_db_child_init(rank, &pa.dbf, &db_url, &pa.dbh);
}

static void mod_destroy(void)
{
	presec_db_close(&pa.dbf, &pa.dbh);
	pgl_free(pa.listener);
	aw_free(pa.audit_w);
	if (pa.audit_q) {
		aq_destroy(pa.audit_q);
		pa.audit_q = NULL;
	}
	presec_shm_lock_free(&audit_lock);
	pa.listener = NULL;
}

PRESEC_CFG_WRAP0(w_watcher, pa_watcher_step)
PRESEC_CFG_WRAP0(w_publish, pa_publish_step)
PRESEC_CFG_WRAP0(w_confidential, pa_confidential_step)
PRESEC_CFG_WRAP0(w_rls_watcher, pa_rls_watcher_step)
PRESEC_CFG_WRAP0(w_rls_assert, pa_rls_assert_step)
PRESEC_CFG_WRAP0(w_rls_notify_wait, pa_rls_notify_wait_step)

static cmd_export_t cmds[] = {
        {"pres_authz_rules_changed", (cmd_function)pa_w_rules_changed, 1, fixup_spve_null,
         fixup_free_spve_null, ANY_ROUTE},
        {"pres_authz_check_doc", (cmd_function)pa_w_check_doc, 2, fixup_spve_spve,
         fixup_free_spve_spve, ANY_ROUTE},
        {"pres_authz_audit_json", (cmd_function)(void (*)(void))pa_w_audit_json, 3,
         pa_fixup_audit_json, pa_fixup_free_audit_json, ANY_ROUTE},
        {"pres_authz_watcher", (cmd_function)w_watcher, 0, 0, 0, REQUEST_ROUTE},
        {"pres_authz_check_digest", (cmd_function)pa_w_check_digest, 2, fixup_spve_spve,
         fixup_free_spve_spve, REQUEST_ROUTE},
        {"pres_authz_publish", (cmd_function)w_publish, 0, 0, 0, REQUEST_ROUTE},
        /* TR 33.cde 4.5.2: kamailio_conf.c */
        {"pres_authz_confidential", (cmd_function)w_confidential, 0, 0, 0, REQUEST_ROUTE},
        {"pres_authz_rls_watcher", (cmd_function)w_rls_watcher, 0, 0, 0, REQUEST_ROUTE},
        {"pres_authz_rls_assert", (cmd_function)w_rls_assert, 0, 0, 0, ANY_ROUTE},
        {"pres_authz_rls_notify_wait", (cmd_function)w_rls_notify_wait, 0, 0, 0, REQUEST_ROUTE},
        {"pres_authz_rls_handle", (cmd_function)pa_w_rls_handle_of, 2, fixup_spve_spve,
         fixup_free_spve_spve, ANY_ROUTE},
        {"pres_authz_check_rls", (cmd_function)pa_w_check_rls, 2, fixup_spve_spve,
         fixup_free_spve_spve, ANY_ROUTE},
        {0, 0, 0, 0, 0, 0},
};

static param_export_t params[] = {
        {"db_url", PARAM_STR, &db_url},
        {"default_rules", PARAM_STRING, &pa.default_rules},
        {"default_expires", INT_PARAM, &pa.default_expires},
        {"audit", INT_PARAM, &audit},
        {"audit_table", PARAM_STRING, &pa.audit_table},
        {"audit_document", PARAM_INT, &pa.audit_document},
        {"audit_max_pending", PARAM_INT, &audit_max_pending},
        {"audit_flush_ms", PARAM_INT, &audit_flush_ms},
        {"audit_retention_days", INT_PARAM, &pa.audit_retention_days},
        {"cache_buckets", INT_PARAM, &cache_buckets},
        {"cache_max_entries", INT_PARAM, &cache_max_entries},
        {"notify_channel", PARAM_STRING, &pa.notify_channel},
        {"notify_db_url", PARAM_STR, &notify_db_url},
        {"notify_interval_ms", INT_PARAM, &notify_interval_ms},
        {"instance_id", PARAM_STRING, &instance_id},
        {"trusted_watcher_domains", PARAM_STRING, &trusted_watcher_domains},
        {"asserting_peers", PARAM_STRING, &asserting_peers},
        {"network_sources", PARAM_STRING, &network_sources},
        {"core_asserts", PARAM_INT, &core_asserts},
        {"confidential_bflag", PARAM_INT, &pa_confidential_bflag},
        {"rls_peers", PARAM_STRING, &rls_peers},
        {"rls_handle_key", PARAM_STRING, &pa.rls_handle_key},
        {"rls_xcap_host", PARAM_STRING, &pa.rls_xcap_host},
        {"rls_max_members", PARAM_INT, &pa.rls_max_members},
        {"rls_max_services", PARAM_INT, &pa.rls_max_services},
        {"rls_max_depth", PARAM_INT, &pa.rls_max_depth},
        {"rls_max_backend", PARAM_INT, &pa.rls_max_backend},
        {"rls_max_lists", PARAM_INT, &pa.rls_max_lists},
        {0, 0, 0},
};

static pv_export_t mod_pvs[] = {
        {{"authz", 5}, PVT_OTHER, pa_pv_get_authz, 0, pa_pv_parse_authz, 0, 0, 0},
        {{0, 0}, 0, 0, 0, 0, 0, 0, 0},
};

static rpc_export_t rpc_cmds[] = {
        {"presence_authz.policy", pa_rpc_policy, pa_rpc_policy_doc, RET_ARRAY},
        {"presence_authz.decide", pa_rpc_decide, pa_rpc_decide_doc, 0},
        {"presence_authz.flush", pa_rpc_flush, pa_rpc_flush_doc, 0},
        {"presence_authz.cache", pa_rpc_cache, pa_rpc_cache_doc, 0},
        {0, 0, 0, 0},
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
        PRESEC_KEMI_S("presence_authz", "pres_authz_rules_changed", pa_rules_changed),
        PRESEC_KEMI_SS("presence_authz", "pres_authz_check_doc", pa_check_doc),
        PRESEC_KEMI_SII("presence_authz", "pres_authz_audit_json", pa_audit_json),
        PRESEC_KEMI_0("presence_authz", "pres_authz_watcher", pa_watcher_step),
        PRESEC_KEMI_SS("presence_authz", "pres_authz_check_digest", pa_check_digest),
        PRESEC_KEMI_0("presence_authz", "pres_authz_publish", pa_publish_step),
        PRESEC_KEMI_0("presence_authz", "pres_authz_confidential", pa_confidential_step),
        PRESEC_KEMI_0("presence_authz", "pres_authz_rls_watcher", pa_rls_watcher_step),
        PRESEC_KEMI_0("presence_authz", "pres_authz_rls_assert", pa_rls_assert_step),
        PRESEC_KEMI_SS("presence_authz", "pres_authz_check_rls", pa_check_rls),
        PRESEC_KEMI_SS("presence_authz", "pres_authz_rls_handle", pa_rls_handle_of),
        PRESEC_KEMI_0("presence_authz", "pres_authz_rls_notify_wait", pa_rls_notify_wait_step),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_presence_authz_exports)
