/* presence_authz glue: the presentity's rules, read from the xcap table, compiled by policy.c
 * and kept in the shared cache (rules_cache.c); a change announced by PostgreSQL (pg_listen.c,
 * sql/004) drops the cached policy and, in the instance that claims the change, re-evaluates
 * the presentity's subscriptions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/parser/parse_uri.h"

#include "authz.h"
#include "kamailio_authz.h"
#include "policy_memo.h"
#include "presec/kamailio_db.h"

/* no XCAP user could have stored rules under another name (authz.c) */
static int plain_ident(const str *s)
{
	return s->len > 0 && authz_xcap_name_ok(s->s, (size_t)s->len);
}

str *pa_pkg_str(const char *s, int len)
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
	if (!pa.dbh)
		return -1;
	/* bytea as stored: db_postgres hands text columns through PQunescapeBytea too, which
	 * would eat every backslash of a text value */
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT doc FROM xcap WHERE username = '%.*s' "
	                 "AND domain = '%.*s' AND doc_type = %d ORDER BY id DESC LIMIT 1",
	                 user->len, user->s, domain->len, domain->s, doc_type);
	str q = {sql, n};
	if (pa.dbf.raw_query(pa.dbh, &q, &res) < 0 || !res) {
		LM_ERR("cannot read the XCAP documents (type %d) of %.*s@%.*s: database unavailable\n",
		       doc_type, user->len, user->s, domain->len, domain->s);
		return -1;
	}
	if (RES_ROW_N(res) > 0) {
		str d;
		if (presec_db_str(ROW_VALUES(RES_ROWS(res)), &d) == 0 &&
		    !(*doc = pa_pkg_str(d.s, d.len))) {
			pa.dbf.free_result(pa.dbh, res);
			return -1;
		}
	}
	pa.dbf.free_result(pa.dbh, res);
	return *doc ? 0 : 1;
}

static void free_doc(str *doc)
{
	if (doc) {
		pkg_free(doc->s);
		pkg_free(doc);
	}
}

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

/* The last policy this process loaded, lent to the next watchers of the same presentity until
 * the cache is flushed (policy_memo.h): a fan-out decides N watchers in a row. */
static struct pmemo memo;
static int memo_ready;

static void memo_release(void *v)
{
	struct loaded *l = v;
	policy_free(&l->pol);
	free(l);
}

/* Hands *l (just loaded, owned) to the memo when it takes it; *l is then borrowed. */
static void memo_offer(const char *key, size_t n, unsigned long generation, struct loaded *l)
{
	struct loaded *v = malloc(sizeof(*v));
	if (!v)
		return;
	*v = *l;
	if (pmemo_offer(&memo, key, n, generation, v))
		l->borrowed = 1;
	else
		free(v); /* the struct only: *l keeps its policy */
}

void pa_release_policy(struct loaded *l)
{
	if (l->borrowed)
		pmemo_return(&memo);
	else
		policy_free(&l->pol);
	memset(l, 0, sizeof(*l));
}

/* user@domain of a presentity URI into key; its length, or -1 */
int pa_presentity_key(const str *uri, char *key, size_t keysz, struct sip_uri *u)
{
	if (parse_uri(uri->s, uri->len, u) < 0 || u->user.len <= 0)
		return -1;
	int n = snprintf(key, keysz, "%.*s@%.*s", u->user.len, u->user.s, u->host.len, u->host.s);
	return n > 0 && (size_t)n < keysz ? n : -1;
}

/* The presentity's compiled policy: from the cache, or read, compiled and cached. 0 (l->pol to
 * be freed; l->refused when the stored document is not acceptable pres-rules), or -1 when the
 * database cannot be read (fail closed: the caller gives nothing away). */
int pa_load_policy(const str *pres_uri, struct loaded *l)
{
	char key[256];
	struct sip_uri u;
	str *doc = NULL;
	const char *why = NULL;
	unsigned char *packed = NULL;
	size_t packed_len = 0;
	int n, rc;

	memset(l, 0, sizeof(*l));
	if ((n = pa_presentity_key(pres_uri, key, sizeof(key), &u)) < 0) {
		snprintf(l->why, sizeof(l->why), "the presentity URI is not a SIP URI with a user");
		l->refused = 1;
		return 0;
	}
	if (!memo_ready) {
		pmemo_init(&memo, memo_release);
		memo_ready = 1;
	}
	/* before the cache is read: a flush after this makes the memo stale, never the reverse */
	unsigned long memo_generation = rcache_generation(pa.cache);
	void *lent;
	if (pmemo_borrow(&memo, key, (size_t)n, memo_generation, &lent)) {
		*l = *(struct loaded *)lent;
		l->borrowed = 1;
		return 0;
	}
	if ((rc = rcache_get(pa.cache, key, (size_t)n, unpack_value, l)) == 0) {
		memo_offer(key, (size_t)n, memo_generation, l);
		return 0;
	}
	if (rc < 0)
		LM_ERR("cached policy of %s unreadable: compiling again\n", key);
	memset(l, 0, sizeof(*l));
	unsigned long generation = rcache_generation(pa.cache);
	if ((rc = read_xcap_doc(&u.user, &u.host, DOC_PRES_RULES, &doc)) < 0) {
		update_stat(pa_st.unavailable, 1);
		return -1;
	}
	/* RFC 5025 3.1 leaves a presentity without rules to local policy: the operator's */
	rc = rc == 1 ? policy_compile(pa.default_rules, strlen(pa.default_rules), &l->pol, &why)
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
			update_stat(pa_st.unavailable, 1);
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
		update_stat(pa_st.bad_rules, 1);
		l->refused = 1;
		snprintf(l->why, sizeof(l->why), "%s", why ? why : "not pres-rules");
		unsigned char v[sizeof(l->why) + 1] = "R";
		size_t wl = strlen(l->why);
		memcpy(v + 1, l->why, wl);
		rcache_put(pa.cache, key, (size_t)n, v, wl + 1, generation);
		memo_offer(key, (size_t)n, generation, l);
		return 0;
	}
	if (policy_pack(&l->pol, &packed, &packed_len) == 0) {
		if (rcache_put(pa.cache, key, (size_t)n, packed, packed_len, generation) < 0)
			LM_WARN("no shared memory left to cache the policy of %s\n", key);
		free(packed);
	}
	memo_offer(key, (size_t)n, generation, l);
	return 0;
}

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
	update_stat(pa_st.reevaluated, 1);
	if (pa.psapi.pres_refresh_watchers(&pres, &ev_presence, 0) < 0 ||
	    pa.psapi.pres_refresh_watchers(&pres, &ev_presence, 1) < 0) {
		LM_ERR("cannot re-evaluate the watchers of %s\n", uri);
		return -1;
	}
	return 0;
}

unsigned long pa_flush_key(const char *key, size_t len)
{
	return rcache_flush(pa.cache, key, len);
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
	                 pa.instance, id);
	str q = {sql, n};
	if (!pa.dbh || pa.dbf.raw_query(pa.dbh, &q, &res) < 0 || !res) {
		LM_ERR("cannot claim rules change %lld: re-evaluating anyway\n", id);
		return 1;
	}
	won = RES_ROW_N(res) > 0;
	pa.dbf.free_result(pa.dbh, res);
	return won;
}

static void on_rules_changed(const char *payload, void *arg)
{
	char *end;
	(void)arg;
	long long id = strtoll(payload, &end, 10);
	const char *key = *end == ' ' ? end + 1 : NULL;
	update_stat(pa_st.changes, 1);
	if (!key || !strchr(key, '@') || strlen(key) > 250) {
		LM_ERR("rules change notification '%s' not understood: flushing every policy\n",
		       payload);
		pa_flush_key(NULL, 0);
		return;
	}
	pa_flush_key(key, strlen(key));
	if (claim_change(id)) {
		LM_INFO("rules of %s changed (change %lld): re-evaluating its watchers\n", key, id);
		reevaluate(key);
	} else {
		LM_DBG("rules of %s changed (change %lld): another instance re-evaluates\n", key,
		       id);
	}
}

void pa_listener_tick(unsigned int ticks, void *param)
{
	static int was_down;
	const char *why = NULL;
	(void)ticks;
	(void)param;
	switch (pgl_poll(pa.listener, pa_monotonic_ms(), on_rules_changed, NULL, &why)) {
	case PGL_CONNECTED:
		/* changes made while not listening were not seen: forget every policy */
		pa_flush_key(NULL, 0);
		LM_INFO("listening for rules changes on '%s'%s\n", pa.notify_channel,
		        was_down ? " again; cached policies dropped" : "");
		was_down = 0;
		break;
	case PGL_DOWN:
		if (!was_down) {
			update_stat(pa_st.listener_down, 1);
			/* a change may be missed while down: cached policies are not trusted */
			pa_flush_key(NULL, 0);
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
int pa_rules_changed(struct sip_msg *msg, str *presentity)
{
	char key[256];
	struct sip_uri u;
	int n;
	(void)msg;
	if ((n = pa_presentity_key(presentity, key, sizeof(key), &u)) < 0) {
		LM_ERR("pres_authz_rules_changed: '%.*s' is not a presentity URI\n",
		       presentity->len, presentity->s);
		return -1;
	}
	pa_flush_key(key, (size_t)n);
	return 1;
}

int pa_w_rules_changed(struct sip_msg *msg, char *p1, char *p2)
{
	str uri;
	(void)p2;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &uri) != 0) {
		LM_ERR("pres_authz_rules_changed: cannot get the presentity\n");
		return -1;
	}
	return pa_rules_changed(msg, &uri);
}
