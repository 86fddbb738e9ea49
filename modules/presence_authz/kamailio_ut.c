/* presence_authz glue: the Ut reference point (TS 33.141 4.2): the check of a document before
 * xcap_server stores it, one page of the presentity's audit log, and $authz. */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"

#include "authz.h"
#include "kamailio_authz.h"
#include "pidf.h"
#include "presec/kamailio_db.h"

/* $authz(reason): why the last check refused; $authz(audit): the last audit page (JSON) */
static char ut_reason[256];
static char *ut_audit; /* pkg, replaced on every call */

/* cfg: pres_authz_check_doc(auid, body): 1 when the document may be stored, -1 otherwise
 * with the reason in $authz(reason) (RFC 4825 8.2.5: 409, nothing stored). */
int pa_check_doc(struct sip_msg *msg, str *auid, str *body)
{
	char app[32];
	const char *why = NULL;
	(void)msg;
	ut_reason[0] = '\0';
	snprintf(app, sizeof(app), "%.*s", auid->len, auid->s);
	if (xcap_doc_check(app, body->s, (size_t)body->len, &why) != 0) {
		pa_ut_refused(app, why);
		return -1;
	}
	return 1;
}

void pa_ut_refused(const char *app, const char *why)
{
	snprintf(ut_reason, sizeof(ut_reason), "%s", why ? why : "not acceptable");
	/* the reason goes into an XML attribute (RFC 4825 11: xcap-error phrase) */
	for (char *c = ut_reason; *c; c++)
		if (*c == '<' || *c == '>' || *c == '&' || *c == '"')
			*c = '\'';
	LM_NOTICE("Ut: %s document refused: %s\n", app, ut_reason);
	update_stat(pa_st.bad_rules, 1);
}

int pa_w_check_doc(struct sip_msg *msg, char *p1, char *p2)
{
	str auid, body;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &auid) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &body) != 0) {
		LM_ERR("pres_authz_check_doc: cannot get the parameters\n");
		return -1;
	}
	return pa_check_doc(msg, &auid, &body);
}

static int plain_uri(const str *s)
{
	return s->len > 0 && authz_plain_sip_uri(s->s, (size_t)s->len);
}

/* cfg: pres_authz_audit_json(presentity, offset, limit): one page of the presentity's own
 * audit log, newest first, as JSON in $authz(audit) (TS 33.141 requirement 6). 1, or -1 with
 * the reason in $authz(reason). The configuration decides whose log that is (the
 * authenticated XUI). */
int pa_audit_json(struct sip_msg *msg, str *presentity, int offset, int limit)
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
	        "provided_ids, provided_elements, body_sha256, document, list_uri "
	        "FROM %s WHERE presentity = '%.*s' ORDER BY id DESC OFFSET %d LIMIT %d) e), "
	        "'[]'::json))::text, 'UTF8')",
	        presentity->len, presentity->s, offset, limit, pa.audit_table, presentity->len,
	        presentity->s, pa.audit_table, presentity->len, presentity->s, offset, limit);
	str q = {sql, n};
	if (n <= 0 || (size_t)n >= sizeof(sql) || !pa.dbh ||
	    pa.dbf.raw_query(pa.dbh, &q, &res) < 0 || !res) {
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
	pa.dbf.free_result(pa.dbh, res);
	if (!ut_audit) {
		snprintf(ut_reason, sizeof(ut_reason), "audit log unavailable");
		return -1;
	}
	return 1;
}

int pa_w_audit_json(struct sip_msg *msg, char *p1, char *p2, char *p3)
{
	str pres;
	int offset, limit;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &pres) != 0 ||
	    fixup_get_ivalue(msg, (gparam_t *)p2, &offset) != 0 ||
	    fixup_get_ivalue(msg, (gparam_t *)p3, &limit) != 0) {
		LM_ERR("pres_authz_audit_json: cannot get the parameters\n");
		return -1;
	}
	return pa_audit_json(msg, &pres, offset, limit);
}

/* presentity: a string with variables; offset and limit: integers or variables */
int pa_fixup_audit_json(void **param, int param_no)
{
	return param_no == 1 ? fixup_spve_null(param, 1) : fixup_igp_null(param, 1);
}

int pa_fixup_free_audit_json(void **param, int param_no)
{
	return param_no == 1 ? fixup_free_spve_null(param, 1) : fixup_free_igp_null(param, 1);
}

int pa_pv_parse_authz(pv_spec_p sp, str *in)
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
	else if (in->len == 11 && strncmp(in->s, "rls_watcher", 11) == 0)
		sp->pvp.pvn.u.isname.name.n = 4;
	else {
		LM_ERR("$authz(%.*s): reason, audit, watcher, presentity or rls_watcher\n", in->len,
		       in->s);
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	return 0;
}

int pa_pv_get_authz(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	str v;
	if (param->pvn.u.isname.name.n == 0) {
		v.s = ut_reason;
		v.len = (int)strlen(ut_reason);
	} else if (param->pvn.u.isname.name.n == 4) {
		/* the RLS handle pres_authz_rls_watcher() found for this very request */
		const char *h = pa_rls_found(msg);
		if (!h)
			return pv_get_null(msg, param, res);
		v.s = (char *)h;
		v.len = (int)strlen(h);
	} else if (param->pvn.u.isname.name.n >= 2) {
		/* what the gate found for this very request */
		const char *g = pa_gate_found(msg, param->pvn.u.isname.name.n == 3);
		if (!g)
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
