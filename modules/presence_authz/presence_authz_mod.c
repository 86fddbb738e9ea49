/* presence_authz: the presentity decides who sees what (TS 33.141 requirements 3-6). Registers
 * the "presence" and "presence.winfo" event packages with Kamailio's presence module, as
 * presence_xml does in a stock set-up, and answers every authorization question from the
 * presentity's pres-rules (RFC 4745, RFC 5025, OMA extensions) with the pidf_filter cores:
 * policy.c decides, pidf.c composes and filters through the bind_pidf_filter API.
 *
 * First slice: rules are read from the xcap table and compiled for each decision (no shm cache
 * and no LISTEN/NOTIFY yet), watchers are taken as authenticated (the PS only takes SUBSCRIBEs
 * from the S-CSCF), anonymous when their URI is the RFC 3323 anonymous one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/parser/parse_uri.h"
#include "core/sr_module.h"
#include "lib/srdb1/db.h"
#include "modules/presence/bind_presence.h"
#include "modules/presence/event_list.h"
#include "modules/presence/subscribe.h"

#include "pidf.h"
#include "policy.h"
#include "presec/kamailio_db.h"
#include "presec/pidf_filter_api.h"

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

/* ---- state ---- */
static presence_api_t psapi;
static pidf_filter_api_t pfapi;
static db_func_t dbf;
static db1_con_t *dbh;

static stat_var *st_allowed, *st_confirm, *st_polite, *st_blocked, *st_filtered, *st_bad_rules,
        *st_audited, *st_audit_failed;
static stat_export_t mod_stats[] = {
        {"decisions_allow", 0, &st_allowed},
        {"decisions_confirm", 0, &st_confirm},
        {"decisions_polite_block", 0, &st_polite},
        {"decisions_block", 0, &st_blocked},
        {"documents_filtered", 0, &st_filtered},
        {"rules_refused", 0, &st_bad_rules},
        {"audit_records", 0, &st_audited},
        {"audit_failures", 0, &st_audit_failed},
        {0, 0, 0},
};

/* ---- rules ---- */
static int plain_ident(const str *s)
{
	if (s->len <= 0 || s->len > 64)
		return 0;
	for (int i = 0; i < s->len; i++) {
		char c = s->s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == '+'))
			return 0;
	}
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

/* The presentity's pres-rules document as stored over Ut (xcap table, doc_type 2), or the
 * operator default: never NULL, so that presence always asks us before sending a body. */
static int get_rules_doc(str *user, str *domain, str **rules_doc)
{
	char sql[512];
	db1_res_t *res = NULL;
	*rules_doc = NULL;
	if (dbh && plain_ident(user) && plain_ident(domain)) {
		int n = snprintf(
		        sql, sizeof(sql),
		        "SELECT convert_from(doc, 'UTF8') FROM xcap WHERE username = '%.*s' "
		        "AND domain = '%.*s' AND doc_type = 2 ORDER BY id DESC LIMIT 1",
		        user->len, user->s, domain->len, domain->s);
		str q = {sql, n};
		if (dbf.raw_query(dbh, &q, &res) < 0) {
			LM_ERR("cannot read the pres-rules of %.*s@%.*s\n", user->len, user->s,
			       domain->len, domain->s);
			return -1;
		}
		if (RES_ROW_N(res) > 0) {
			db_val_t *v = ROW_VALUES(RES_ROWS(res));
			const char *d = NULL;
			int len = 0;
			if (!VAL_NULL(v) && VAL_TYPE(v) == DB1_STRING) {
				d = VAL_STRING(v);
				len = (int)strlen(d);
			} else if (!VAL_NULL(v) &&
			           (VAL_TYPE(v) == DB1_STR || VAL_TYPE(v) == DB1_BLOB)) {
				d = VAL_STR(v).s;
				len = VAL_STR(v).len;
			}
			if (d)
				*rules_doc = pkg_str(d, len);
		}
		dbf.free_result(dbh, res);
		if (*rules_doc)
			return 0;
	}
	*rules_doc = pkg_str(default_rules, (int)strlen(default_rules));
	return *rules_doc ? 0 : -1;
}

/* The presentity's rules for a subscription: the document presence fetched, or ours when it
 * did not (presence leaves auth_rules_doc empty on some NOTIFY paths). *own set when the
 * caller must free it. */
static str *rules_of(subs_t *subs, int *own)
{
	str *doc = NULL;
	struct sip_uri u;
	*own = 0;
	if (subs->auth_rules_doc)
		return subs->auth_rules_doc;
	if (parse_uri(subs->pres_uri.s, subs->pres_uri.len, &u) < 0 ||
	    get_rules_doc(&u.user, &u.host, &doc) != 0)
		return NULL;
	*own = 1;
	return doc;
}

static void free_doc(str *doc)
{
	if (doc) {
		pkg_free(doc->s);
		pkg_free(doc);
	}
}

/* The decision for one subscription; -1 when the rules cannot be compiled. */
static int decide(subs_t *subs, struct pol_decision *d)
{
	struct policy pol;
	const char *why = NULL;
	char watcher[300];
	int own, rc;
	str *doc = rules_of(subs, &own);
	rc = doc ? policy_compile(doc->s, (size_t)doc->len, &pol, &why) : -1;
	if (own)
		free_doc(doc);
	if (rc != 0) {
		update_stat(st_bad_rules, 1);
		LM_ERR("pres-rules of %.*s refused: %s; the watcher is blocked\n",
		       subs->pres_uri.len, subs->pres_uri.s, why ? why : "no document");
		return -1;
	}
	snprintf(watcher, sizeof(watcher), "sip:%.*s@%.*s", subs->watcher_user.len,
	         subs->watcher_user.s, subs->watcher_domain.len, subs->watcher_domain.s);
	/* RFC 3323 4.1.1: an anonymous watcher is matched as anonymous only (OMA) */
	int anonymous = subs->watcher_domain.len == 17 &&
	                strncasecmp(subs->watcher_domain.s, "anonymous.invalid", 17) == 0;
	struct pol_watcher w = {watcher, 1, anonymous, (long long)time(NULL), NULL};
	policy_decide(&pol, &w, d);
	policy_free(&pol);
	return 0;
}

/* presence asks: may this watcher subscribe? */
static int get_auth_status(subs_t *subs)
{
	struct pol_decision d;
	if (decide(subs, &d) != 0)
		d.sub_handling = SH_BLOCK;
	subs->reason.s = NULL;
	subs->reason.len = 0;
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
	return 0;
}

/* TS 33.141: one audit row per document a watcher receives (sql/003_presence_audit.sql) */
static void audit_record(subs_t *subs, const struct pol_decision *d, const char *doc, int len)
{
	char rules[1024] = "{", watcher[300];
	size_t n = 1;
	db_key_t keys[6];
	db_val_t vals[6];
	static str k_presentity = str_init("presentity"), k_watcher = str_init("watcher"),
	           k_anonymous = str_init("anonymous"), k_sub = str_init("sub_handling"),
	           k_rules = str_init("rules"), k_document = str_init("document");
	str table = {audit_table, (int)strlen(audit_table)};

	if (!audit || !dbh)
		return;
	/* a PostgreSQL array literal of the rule ids (ids are XML ids: no quote, no comma) */
	for (unsigned i = 0; i < d->n_rules && n + strlen(d->rules[i]) + 4 < sizeof(rules); i++)
		n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%s\"%s\"", i ? "," : "",
		                      d->rules[i]);
	snprintf(rules + n, sizeof(rules) - n, "}");
	snprintf(watcher, sizeof(watcher), "sip:%.*s@%.*s", subs->watcher_user.len,
	         subs->watcher_user.s, subs->watcher_domain.len, subs->watcher_domain.s);
	int anonymous = subs->watcher_domain.len == 17 &&
	                strncasecmp(subs->watcher_domain.s, "anonymous.invalid", 17) == 0;
	memset(vals, 0, sizeof(vals));
	keys[0] = &k_presentity;
	vals[0].type = DB1_STR;
	vals[0].val.str_val = subs->pres_uri;
	keys[1] = &k_watcher;
	vals[1].type = DB1_STRING;
	vals[1].val.string_val = watcher;
	keys[2] = &k_anonymous;
	vals[2].type = DB1_STRING;
	vals[2].val.string_val = anonymous ? "true" : "false";
	keys[3] = &k_sub;
	vals[3].type = DB1_STRING;
	vals[3].val.string_val = (char *)sub_handling_name(d->sub_handling);
	keys[4] = &k_rules;
	vals[4].type = DB1_STRING;
	vals[4].val.string_val = rules;
	keys[5] = &k_document;
	vals[5].type = DB1_STR;
	vals[5].val.str_val.s = (char *)doc;
	vals[5].val.str_val.len = len;
	if (dbf.use_table(dbh, &table) < 0 || dbf.insert(dbh, keys, vals, 6) < 0) {
		update_stat(st_audit_failed, 1);
		LM_ERR("audit: cannot record what %s received of %.*s\n", watcher,
		       subs->pres_uri.len, subs->pres_uri.s);
		return;
	}
	update_stat(st_audited, 1);
}

/* presence asks, for every NOTIFY of every path: what does this watcher get of the composed
 * document? (aux_body_processing: presence calls it for each watcher whether or not it fetched
 * the rules itself, which its apply_auth_nbody path depends on.) */
static str *watcher_body(subs_t *subs, str *body)
{
	struct pol_decision d;
	char entity[300], *out = NULL;
	int out_len = 0, rc;
	const char *why = NULL;
	str *r;

	if (!body || !body->s)
		return NULL;
	memset(&d, 0, sizeof(d));
	if (decide(subs, &d) != 0 ||
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
		return r;
	}
	r->s = out; /* freed with free_body() */
	r->len = out_len;
	update_stat(st_filtered, 1);
	audit_record(subs, &d, out, out_len);
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
		if (!(docs[k] = pidf_parse(bodies[i]->s, (size_t)bodies[i]->len, entity, &why))) {
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

/* ---- module interface ---- */
static int mod_init(void)
{
	bind_pidf_filter_f bind;
	const char *why = NULL;
	struct policy check;

	if (!db_url.s || !db_url.len) {
		LM_ERR("db_url is required\n");
		return -1;
	}
	if (policy_compile(default_rules, strlen(default_rules), &check, &why) != 0) {
		LM_ERR("default_rules: %s\n", why);
		return -1;
	}
	policy_free(&check);
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
	if (register_module_stats("presence_authz", mod_stats) != 0 || add_events() != 0)
		return -1;
	return 0;
}

static int child_init(int rank)
{
	return presec_db_child_init(rank, &dbf, &db_url, &dbh);
}

static void mod_destroy(void)
{
	presec_db_close(&dbf, &dbh);
}

static param_export_t params[] = {
        {"db_url", PARAM_STR, &db_url},
        {"default_rules", PARAM_STRING, &default_rules},
        {"default_expires", INT_PARAM, &default_expires},
        {"audit", INT_PARAM, &audit},
        {"audit_table", PARAM_STRING, &audit_table},
        {0, 0, 0},
};

struct module_exports exports = {
        "presence_authz", /* module name */
        DEFAULT_DLFLAGS,  /* dlopen flags */
        0,                /* cfg functions */
        params,           /* module parameters */
        0,                /* RPC commands */
        0,                /* pseudo-variables */
        0,                /* response function */
        mod_init,         /* module init */
        child_init,       /* per-child init */
        mod_destroy,      /* destroy */
};
