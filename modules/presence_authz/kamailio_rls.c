/* presence_authz glue: the Presence List Server's side (RFC 4662, RFC 4826; TS 33.141 with the
 * RLS in the PS, README 5). Kamailio's rls serves the list and subscribes to each member on the
 * watcher's behalf; this file makes sure that every member's rules decide for that watcher:
 * - pres_authz_rls_watcher() takes a list SUBSCRIBE only for its asserted owner and gives rls
 *   the owner's handle (gate_rls_handle) instead of an identity, recorded in presec_rls_handle
 *   (sql/011), through which rls reads the owner's own documents only (presec_rls_xcap);
 * - pres_authz_rls_assert(), in event_route[tm:local-request], turns the handle of each
 *   back-end SUBSCRIBE, whichever process sends it, into the owner's P-Asserted-Identity (or
 *   Privacy: id for an anonymous list watcher), which the member's gate believes only from
 *   rls_peers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"

#include "kamailio_authz.h"
#include "presec/kamailio_db.h"
#include "presec/kamailio_lump.h"
#include "rls_doc.h"

/* Return codes of pres_authz_rls_watcher() (codes.cfg) */
enum rls_rc {
	PA_RLS_LIST = 1,     /* $authz(rls_watcher) is the owner's handle: rls_handle_subscribe */
	PA_RLS_NOT_MINE = 2, /* not a list dialog of the RLS: route(WATCHER) */
	PA_RLS_REFUSED = -1, /* 403/400/500 sent, one log line */
};

static struct {
	unsigned int msg_id;
	int msg_pid;
	char handle[GATE_ID_MAX];
} found;

const char *pa_rls_found(const struct sip_msg *msg)
{
	return msg && found.msg_id == msg->id && found.msg_pid == msg->pid && found.handle[0]
	               ? found.handle
	               : NULL;
}

static int reply(struct sip_msg *msg, int status, const char *why)
{
	str reason = {(char *)why, (int)strlen(why)};
	if (pa.slb.freply(msg, status, &reason) < 0)
		LM_ERR("cannot send %d %s\n", status, why);
	return PA_RLS_REFUSED;
}

/* an SQL literal's body: quotes doubled, backslashes kept (standard_conforming_strings) */
static int sql_lit(char *out, size_t outsz, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k + 3 > outsz)
			return -1;
		if (s[i] == '\'')
			out[k++] = '\'';
		out[k++] = s[i];
	}
	out[k] = '\0';
	return 0;
}

static db1_con_t *db(void)
{
	/* tm:local-request may run in any process (a pua or rls timer): each has its own
	 * connection from child_init */
	return pa.dbh;
}

/* presec_rls_handle: the owner behind a token, written once per owner and anonymity */
static int handle_record(const char *token, const char *owner, int anonymous)
{
	char sql[1024], u[2 * GATE_ID_MAX], d[2 * GATE_ID_MAX];
	struct sip_uri pu;
	db1_res_t *res = NULL;
	if (parse_uri((char *)owner, (int)strlen(owner), &pu) < 0 ||
	    sql_lit(u, sizeof(u), pu.user.s, (size_t)pu.user.len) < 0 ||
	    sql_lit(d, sizeof(d), pu.host.s, (size_t)pu.host.len) < 0)
		return -1;
	int n = snprintf(sql, sizeof(sql),
	                 "INSERT INTO presec_rls_handle (token, username, domain, anonymous) "
	                 "VALUES ('%s', '%s', '%s', %s) ON CONFLICT (token) DO NOTHING",
	                 token, u, d, anonymous ? "true" : "false");
	str q = {sql, n};
	if (n <= 0 || (size_t)n >= sizeof(sql) || !db() || pa.dbf.raw_query(db(), &q, &res) < 0)
		return -1;
	if (res)
		pa.dbf.free_result(db(), res);
	return 0;
}

/* the owner ("sip:user@domain") and anonymity of a token; 1 found, 0 unknown, -1 no database */
static int handle_resolve(const char *token, char *owner, size_t ownersz, int *anonymous)
{
	char sql[256];
	db1_res_t *res = NULL;
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT username, domain, anonymous FROM presec_rls_handle "
	                 "WHERE token = '%s'",
	                 token);
	str q = {sql, n};
	if (!db() || pa.dbf.raw_query(db(), &q, &res) < 0 || !res)
		return -1;
	int ret = 0;
	if (RES_ROW_N(res) == 1) {
		str u = STR_NULL, d = STR_NULL, a = STR_NULL;
		db_val_t *vals = ROW_VALUES(&RES_ROWS(res)[0]);
		presec_db_str(&vals[0], &u);
		presec_db_str(&vals[1], &d);
		if (VAL_TYPE(&vals[2]) == DB1_INT)
			*anonymous = VAL_INT(&vals[2]) != 0;
		else {
			presec_db_str(&vals[2], &a);
			*anonymous = a.len > 0 && (a.s[0] == 't' || a.s[0] == '1');
		}
		n = snprintf(owner, ownersz, "sip:%.*s@%.*s", u.len, u.s, d.len, d.s);
		ret = n > 0 && (size_t)n < ownersz && u.len > 0 && d.len > 0 ? 1 : 0;
	}
	pa.dbf.free_result(db(), res);
	return ret;
}

static int exists(const char *sql);

/* how many rows a count(*) query gives; -1 no database */
static long count_of(const char *sql)
{
	db1_res_t *res = NULL;
	str q = {(char *)sql, (int)strlen(sql)};
	long n = -1;
	if (!db() || pa.dbf.raw_query(db(), &q, &res) < 0 || !res)
		return -1;
	if (RES_ROW_N(res) == 1) {
		db_val_t *v = &ROW_VALUES(&RES_ROWS(res)[0])[0];
		if (VAL_TYPE(v) == DB1_INT)
			n = VAL_INT(v);
		else if (VAL_TYPE(v) == DB1_BIGINT)
			n = (long)VAL_BIGINT(v);
		else {
			str t = STR_NULL;
			presec_db_str(v, &t);
			n = t.len > 0 ? strtol(t.s, NULL, 10) : -1;
		}
	}
	pa.dbf.free_result(db(), res);
	return n;
}

/* RFC 4826 4.4.9 and the limits (README 3): 0 to serve the list, else the reply was sent.
 * Another user's service URI is refused by name (rls would look only into this owner's
 * documents and hand the SUBSCRIBE to presence). */
static int list_limits(struct sip_msg *msg, const struct gate_verdict *v, const char *token)
{
	char sql[2048], lit[700], why[128];
	long n;
	if (sql_lit(lit, sizeof(lit), v->presentity, strlen(v->presentity)) < 0)
		return reply(msg, 400, "Bad Request");
	snprintf(sql, sizeof(sql),
	         "SELECT 1 FROM xcap x WHERE x.doc_type = 8 AND "
	         "position('uri=\"%s\"' IN convert_from(x.doc, 'UTF8')) > 0 AND NOT EXISTS "
	         "(SELECT 1 FROM presec_rls_handle h WHERE h.token = '%s' AND h.username = "
	         "x.username AND h.domain = x.domain)",
	         lit, token);
	int other = exists(sql);
	if (other < 0) {
		LM_ERR("list SUBSCRIBE for %s: database unavailable\n", v->presentity);
		return reply(msg, 500, "Server Internal Error");
	}
	if (other) {
		update_stat(pa_st.watchers_refused, 1);
		LM_NOTICE("list SUBSCRIBE for %s by %s refused: another user's list\n",
		          v->presentity, v->identity);
		return reply(msg, 403, "Not your list");
	}
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM rls_watchers WHERE watcher_username = '%s' AND "
	         "watcher_domain = '%s'",
	         token, GATE_RLS_DOMAIN);
	if ((n = count_of(sql)) < 0) {
		LM_ERR("list SUBSCRIBE for %s: database unavailable\n", v->presentity);
		return reply(msg, 500, "Server Internal Error");
	}
	if (n >= pa.rls_max_lists) {
		update_stat(pa_st.watchers_refused, 1);
		snprintf(why, sizeof(why), "Too many list subscriptions (at most %d)",
		         pa.rls_max_lists);
		LM_NOTICE("list SUBSCRIBE for %s by %s refused: %s, rls_max_lists\n", v->presentity,
		          v->identity, why);
		return reply(msg, 403, why);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pua WHERE watcher_uri = 'sip:%s@%s'",
	         token, GATE_RLS_DOMAIN);
	if ((n = count_of(sql)) < 0) {
		LM_ERR("list SUBSCRIBE for %s: database unavailable\n", v->presentity);
		return reply(msg, 500, "Server Internal Error");
	}
	if (n + pa.rls_max_members > pa.rls_max_backend) {
		update_stat(pa_st.watchers_refused, 1);
		snprintf(why, sizeof(why), "Too many back-end subscriptions (%ld, at most %d)", n,
		         pa.rls_max_backend);
		LM_NOTICE(
		        "list SUBSCRIBE for %s by %s refused: %s with a list of up to %d members, rls_max_backend\n",
		        v->presentity, v->identity, why, pa.rls_max_members);
		return reply(msg, 403, why);
	}
	return 0;
}

/* the handle (token) rls keeps as the watcher of msg's list dialog (rls_watchers, db_mode 2):
 * 1, 0 when msg is in no list dialog, -1 no database */
static int dialog_handle(struct sip_msg *msg, char *out, size_t outsz)
{
	char sql[2048], ci[512], tt[300], ft[300];
	db1_res_t *res = NULL;
	if (!msg->callid || parse_to_header(msg) < 0 || parse_from_header(msg) < 0 ||
	    sql_lit(ci, sizeof(ci), msg->callid->body.s, (size_t)msg->callid->body.len) < 0 ||
	    sql_lit(tt, sizeof(tt), get_to(msg)->tag_value.s, (size_t)get_to(msg)->tag_value.len) <
	            0 ||
	    sql_lit(ft, sizeof(ft), get_from(msg)->tag_value.s,
	            (size_t)get_from(msg)->tag_value.len) < 0)
		return 0;
	/* RFC 6665: the PS answered with the To-tag, the subscriber chose Call-ID and From-tag */
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT watcher_username FROM rls_watchers WHERE callid = '%s' AND "
	                 "to_tag = '%s' AND from_tag = '%s' AND watcher_domain = '%s'",
	                 ci, tt, ft, GATE_RLS_DOMAIN);
	str q = {sql, n};
	if (n <= 0 || (size_t)n >= sizeof(sql) || !db() || pa.dbf.raw_query(db(), &q, &res) < 0 ||
	    !res)
		return -1;
	int ret = 0;
	if (RES_ROW_N(res) >= 1) {
		str u = STR_NULL;
		presec_db_str(&ROW_VALUES(&RES_ROWS(res)[0])[0], &u);
		n = snprintf(out, outsz, "%.*s", u.len, u.s);
		ret = n > 0 && (size_t)n < outsz ? 1 : 0;
	}
	pa.dbf.free_result(db(), res);
	return ret;
}

/* cfg: pres_authz_rls_watcher(): for a SUBSCRIBE with Supported: eventlist (RFC 4662 4.4) from
 * the S-CSCF: 1 and $authz(rls_watcher) = the asserted owner's handle, for
 * rls_handle_subscribe("$authz(rls_watcher)") (which serves the list if the owner has one by
 * that URI, else hands it back to presence); 2 when nobody asserted the watcher (it owns no
 * list: route(WATCHER)). Within a dialog: 1 when it is a list dialog of the same owner and
 * anonymity, 2 when it is no list dialog, 403 for another owner. -1 refused, the reply sent. */
int pa_rls_watcher_step(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	char token[GATE_RLS_TOKEN_MAX];
	int anonymous = 0;
	memset(&found, 0, sizeof(found));
	if (pa_gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("list SUBSCRIBE from %s refused: headers cannot be parsed\n", t.peer);
		return reply(msg, 400, "Bad Request");
	}
	if (!pa.rls_handle_key || !*pa.rls_handle_key) {
		LM_ERR("list SUBSCRIBE for %s refused: modparam rls_handle_key is not set\n",
		       r.ruri ? r.ruri : "?");
		return reply(msg, 500, "Server Internal Error");
	}
	if (gate_rls_owner(&pa.gcfg, &r, &anonymous, &v) != 0) {
		/* nobody asserted this watcher (or it is of another domain): it owns no list,
		 * and Supported: eventlist alone does not make its SUBSCRIBE one. The gate
		 * decides it as any watcher (route(WATCHER)); within a dialog presence finds no
		 * list dialog of the RLS either. */
		LM_DBG("SUBSCRIBE for %s from %s is no list subscription: %s (%s)\n",
		       r.ruri ? r.ruri : "?", r.peer, v.why, v.identity);
		return PA_RLS_NOT_MINE;
	}
	if (gate_rls_handle(pa.rls_handle_key, v.identity, anonymous, token) != 0) {
		LM_ERR("list SUBSCRIBE from %s: no RLS handle for %s\n", r.peer, v.identity);
		return reply(msg, 500, "Server Internal Error");
	}
	if (r.has_to_tag) {
		/* a refresh is the owner's, with the same anonymity: rls would take whoever
		 * refreshes as the list watcher (it finds the dialog by Call-ID and tags only) */
		char stored[GATE_ID_MAX];
		int st = dialog_handle(msg, stored, sizeof(stored));
		if (st < 0) {
			LM_ERR("list SUBSCRIBE refresh from %s: database unavailable\n", r.peer);
			return reply(msg, 500, "Server Internal Error");
		}
		if (st == 0)
			return PA_RLS_NOT_MINE;
		if (strcmp(stored, token) != 0) {
			update_stat(pa_st.watchers_refused, 1);
			LM_NOTICE(
			        "list SUBSCRIBE refresh from %s refused: %s%s is not the list watcher of this dialog\n",
			        r.peer, v.identity, anonymous ? " (anonymous)" : "");
			return reply(msg, 403, "Not your list subscription");
		}
	} else if (handle_record(token, v.identity, anonymous) != 0) {
		LM_ERR("list SUBSCRIBE for %s from %s: cannot record the RLS handle of %s (database unavailable)\n",
		       v.presentity, r.peer, v.identity);
		return reply(msg, 500, "Server Internal Error");
	} else if (list_limits(msg, &v, token) != 0) {
		return PA_RLS_REFUSED;
	}
	found.msg_id = msg->id;
	found.msg_pid = msg->pid;
	snprintf(found.handle, sizeof(found.handle), "sip:%s@%s", token, GATE_RLS_DOMAIN);
	LM_DBG("list SUBSCRIBE for %s: owner %s%s, handle %s\n", v.presentity, v.identity,
	       anonymous ? " (anonymous)" : "", token);
	return PA_RLS_LIST;
}

/* cfg: pres_authz_rls_assert(), in event_route[tm:local-request]: on a back-end SUBSCRIBE of
 * the RLS (From in rls.invalid) the owner's P-Asserted-Identity, or Privacy: id for an
 * anonymous list watcher, in place of whatever identity headers it had; 1 done or not such a
 * request, -1 the handle is unknown (the script drops the request). */
int pa_rls_assert_step(struct sip_msg *msg)
{
	char token[GATE_RLS_TOKEN_MAX], owner[GATE_ID_MAX], hdr[GATE_ID_MAX + 32];
	int anonymous = 0;
	struct sip_uri *fu;
	if (msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_SUBSCRIBE)
		return 1;
	if (parse_headers(msg, HDR_EOH_F, 0) < 0 || parse_from_header(msg) < 0 ||
	    !(fu = parse_from_uri(msg)))
		return 1;
	if (fu->host.len != (int)strlen(GATE_RLS_DOMAIN) ||
	    strncasecmp(fu->host.s, GATE_RLS_DOMAIN, (size_t)fu->host.len) != 0)
		return 1;
	if (!gate_rls_token_valid(fu->user.s, (size_t)fu->user.len)) {
		LM_ERR("back-end SUBSCRIBE to %.*s dropped: '%.*s' is no RLS handle\n",
		       msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s,
		       fu->user.len, fu->user.s);
		return -1;
	}
	memcpy(token, fu->user.s, (size_t)fu->user.len);
	token[fu->user.len] = '\0';
	int found_owner = handle_resolve(token, owner, sizeof(owner), &anonymous);
	if (found_owner != 1) {
		LM_ERR("back-end SUBSCRIBE to %.*s dropped: RLS handle %s %s\n",
		       msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s, token,
		       found_owner < 0 ? "cannot be resolved (database unavailable)"
		                       : "is unknown");
		return -1;
	}
	presec_hdr_remove_all(msg, HDR_PAI_T);
	presec_hdr_remove_all(msg, HDR_PRIVACY_T);
	int n = anonymous ? snprintf(hdr, sizeof(hdr), "Privacy: id\r\n")
	                  : snprintf(hdr, sizeof(hdr), "P-Asserted-Identity: <%s>\r\n", owner);
	if (n <= 0 || (size_t)n >= sizeof(hdr) || presec_hdr_add(msg, hdr, (size_t)n) != 0) {
		LM_ERR("back-end SUBSCRIBE for %s dropped: cannot add its identity\n", owner);
		return -1;
	}
	return 1;
}

/* 1 when the query finds a row, 0 when not, -1 no database */
static int exists(const char *sql)
{
	db1_res_t *res = NULL;
	str q = {(char *)sql, (int)strlen(sql)};
	if (!db() || pa.dbf.raw_query(db(), &q, &res) < 0 || !res)
		return -1;
	int n = RES_ROW_N(res);
	pa.dbf.free_result(db(), res);
	return n > 0;
}

/* cfg: pres_authz_check_rls(body, xui): the Ut's check of an rls-services document of user xui
 * (rls_doc.h, within the rls_max_* limits), then what needs the database: every
 * <resource-list> names a resource-lists document the user stored, no service URI is an IMPU
 * (ims_impu) or another user's service. 1, or -1 with the reason in $authz(reason) (409). */
int pa_check_rls(struct sip_msg *msg, str *body, str *xui)
{
	char owner[GATE_ID_MAX], domain[GATE_ID_MAX], sql[4096], lit[700], ou[2 * GATE_ID_MAX],
	        od[2 * GATE_ID_MAX];
	struct rls_doc_info *info = NULL;
	struct sip_uri pu;
	const char *why = NULL;
	int ret = -1;
	(void)msg;
	if (xui->len <= 0 || (size_t)xui->len >= sizeof(owner) ||
	    parse_uri(xui->s, xui->len, &pu) < 0 || (size_t)pu.host.len >= sizeof(domain)) {
		pa_ut_refused("rls-services", "the user is not a SIP identity");
		return -1;
	}
	snprintf(owner, sizeof(owner), "%.*s", xui->len, xui->s);
	snprintf(domain, sizeof(domain), "%.*s", pu.host.len, pu.host.s);
	struct rls_doc_limits lim = {owner,
	                             domain,
	                             pa.rls_xcap_host && *pa.rls_xcap_host ? pa.rls_xcap_host
	                                                                   : NULL,
	                             (unsigned)pa.rls_max_members,
	                             (unsigned)pa.rls_max_services,
	                             (unsigned)pa.rls_max_depth};
	if (!(info = pkg_malloc(sizeof(*info)))) {
		pa_ut_refused("rls-services", "out of memory");
		return -1;
	}
	if (rls_doc_check(body->s, (size_t)body->len, &lim, info, &why) != 0) {
		pa_ut_refused("rls-services", why);
		goto out;
	}
	if (sql_lit(ou, sizeof(ou), pu.user.s, (size_t)pu.user.len) < 0 ||
	    sql_lit(od, sizeof(od), pu.host.s, (size_t)pu.host.len) < 0) {
		pa_ut_refused("rls-services", "the user is not a SIP identity");
		goto out;
	}
	for (unsigned i = 0; i < info->n_refs; i++) {
		/* rls resolves a reference among the owner's documents (presec_rls_xcap) */
		if (sql_lit(lit, sizeof(lit), info->refs[i], strlen(info->refs[i])) < 0)
			goto unavailable;
		snprintf(
		        sql, sizeof(sql),
		        "SELECT 1 FROM xcap WHERE doc_type = 4 AND username = '%s' AND domain = '%s' "
		        "AND doc_uri = '%s'",
		        ou, od, lit);
		int e = exists(sql);
		if (e < 0)
			goto unavailable;
		if (!e) {
			pa_ut_refused(
			        "rls-services",
			        "a resource-list reference names a document the user has not stored");
			goto out;
		}
	}
	for (unsigned i = 0; i < info->n_services; i++) {
		if (sql_lit(lit, sizeof(lit), info->services[i], strlen(info->services[i])) < 0)
			goto unavailable;
		/* a service URI that is a user's identity would take that user's subscriptions
		 * (TS 23.228: IMPUs are the users'); RFC 4826 4.4.5: service URIs are unique */
		snprintf(
		        sql, sizeof(sql),
		        "SELECT 1 FROM ims_impu WHERE lower(impu) = lower('%s') UNION ALL "
		        "SELECT 1 FROM xcap WHERE doc_type = 8 AND NOT (username = '%s' AND "
		        "domain = '%s') AND position('uri=\"%s\"' IN convert_from(doc, 'UTF8')) > 0",
		        lit, ou, od, lit);
		int e = exists(sql);
		if (e < 0)
			goto unavailable;
		if (e) {
			pa_ut_refused(
			        "rls-services",
			        "a service URI is a user's identity or another user's service");
			goto out;
		}
	}
	ret = 1;
	goto out;
unavailable:
	LM_ERR("Ut: rls-services of %s: database unavailable\n", owner);
	pa_ut_refused("rls-services", "the database is unavailable");
out:
	pkg_free(info);
	return ret;
}

int pa_w_check_rls(struct sip_msg *msg, char *p1, char *p2)
{
	str body, xui;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &body) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &xui) != 0) {
		LM_ERR("pres_authz_check_rls: cannot get the parameters\n");
		return -1;
	}
	return pa_check_rls(msg, &body, &xui);
}

/* cfg: pres_authz_rls_notify_wait(): before rls_handle_notify(). A member's PS sends its first
 * NOTIFY as soon as it has answered the back-end SUBSCRIBE, and it may reach another worker
 * before pua has stored the dialog from that 200: rls then answers 481 and the PS deletes the
 * member's subscription for good (the member would be missing from the list). Waits until
 * pua has the dialog (Call-ID and pua's From-tag, the NOTIFY's To-tag), at most 1 s. 1 when
 * it has, -1 when not (rls answers then). */
int pa_rls_notify_wait_step(struct sip_msg *msg)
{
	char sql[1024], ci[512], tag[300];
	if (!msg->callid || parse_to_header(msg) < 0 ||
	    sql_lit(ci, sizeof(ci), msg->callid->body.s, (size_t)msg->callid->body.len) < 0 ||
	    sql_lit(tag, sizeof(tag), get_to(msg)->tag_value.s,
	            (size_t)get_to(msg)->tag_value.len) < 0)
		return -1;
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT 1 FROM pua WHERE call_id = '%s' AND from_tag = '%s'", ci, tag);
	if (n <= 0 || (size_t)n >= sizeof(sql))
		return -1;
	for (int i = 0; i < 50; i++) {
		int e = exists(sql);
		if (e != 0)
			return e > 0 ? 1 : -1;
		usleep(20000);
	}
	LM_NOTICE("NOTIFY to the RLS (Call-ID %.*s): pua has no such back-end dialog after 1 s\n",
	          msg->callid->body.len, msg->callid->body.s);
	return -1;
}

/* cfg: pres_authz_rls_handle(xui, anonymous): $authz(rls_watcher) = the RLS handle of user xui
 * (anonymous "1": its anonymous handle), for rls_update_subs() after the user's lists changed
 * on Ut (rls compares the watcher literally). 1, -1 (no key, not an identity). */
int pa_rls_handle_of(struct sip_msg *msg, str *xui, str *anonymous)
{
	char owner[GATE_ID_MAX], token[GATE_RLS_TOKEN_MAX];
	memset(&found, 0, sizeof(found));
	if (xui->len <= 0 || (size_t)xui->len >= sizeof(owner))
		return -1;
	snprintf(owner, sizeof(owner), "%.*s", xui->len, xui->s);
	int anon = anonymous->len == 1 && anonymous->s[0] == '1';
	if (gate_rls_handle(pa.rls_handle_key, owner, anon, token) != 0)
		return -1;
	found.msg_id = msg->id;
	found.msg_pid = msg->pid;
	snprintf(found.handle, sizeof(found.handle), "sip:%s@%s", token, GATE_RLS_DOMAIN);
	return 1;
}

int pa_w_rls_handle_of(struct sip_msg *msg, char *p1, char *p2)
{
	str xui, anonymous;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &xui) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &anonymous) != 0) {
		LM_ERR("pres_authz_rls_handle: cannot get the parameters\n");
		return -1;
	}
	return pa_rls_handle_of(msg, &xui, &anonymous);
}
