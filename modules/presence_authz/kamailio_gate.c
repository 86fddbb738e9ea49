/* presence_authz glue: the gate (gate.c) on each SUBSCRIBE and PUBLISH: who the watcher is,
 * whether the publisher supplies this presentity's presence, and the document's limits. This
 * file reads the request into gate.c's terms and carries out its verdict (reply, log line,
 * statistic, canonical Request-URI). */
#include <stdio.h>
#include <string.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/dset.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_event.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"

#include "kamailio_authz.h"
#include "pidf.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_db.h"

/* Return codes of pres_authz_watcher(), in the script's $rc (cfg-examples/include/codes.cfg):
 * the gate's kind of watcher, one up so that each is "true" in the script. A refusal (-1) has
 * sent its reply. */
enum watcher_rc {
	PA_WATCHER_ASSERTED = 1,          /* the identity the S-CSCF asserted */
	PA_WATCHER_ANONYMOUS = 2,         /* Privacy: id, the anonymous watcher */
	PA_WATCHER_BELIEVED = 3,          /* of our domain behind a core that asserts nobody */
	PA_WATCHER_FOREIGN = 4,           /* of another domain: unauthenticated */
	PA_WATCHER_MUST_AUTHENTICATE = 5, /* of our domain, nobody asserted it: Digest */
	PA_WATCHER_REFUSED = -1,          /* 403/400 sent, one log line */
};
_Static_assert(PA_WATCHER_ASSERTED == GW_ASSERTED + 1 && PA_WATCHER_ANONYMOUS == GW_ANONYMOUS + 1 &&
                       PA_WATCHER_BELIEVED == GW_BELIEVED + 1 &&
                       PA_WATCHER_FOREIGN == GW_FOREIGN + 1 &&
                       PA_WATCHER_MUST_AUTHENTICATE == GW_MUST_AUTHENTICATE + 1,
               "pres_authz_watcher() returns the gate's kind of watcher plus one");

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

/* NULL when the value is missing or does not fit: the gate refuses what it cannot read */
static const char *text_of(char *out, size_t outsz, const str *s)
{
	if (!s || !s->s || s->len < 0 || (size_t)s->len >= outsz)
		return NULL;
	memcpy(out, s->s, (size_t)s->len);
	out[s->len] = '\0';
	return out;
}

int pa_gate_read(struct sip_msg *msg, struct gate_text *t, struct gate_req *r)
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
	if (pa.slb.freply(msg, status, &reason) < 0)
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
int pa_watcher_step(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	if (pa_gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("SUBSCRIBE from %s refused: headers cannot be parsed\n", t.peer);
		return gate_reply(msg, 400, "Bad Request");
	}
	enum gate_watcher w = gate_watcher(&pa.gcfg, &r, &v);
	if (w == GW_REFUSED) {
		update_stat(pa_st.watchers_refused, 1);
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
			update_stat(pa_st.watchers_refused, 1);
			if (v.status != 500) {
				v.status = 403;
				v.why = "Only the presentity watches its watchers";
				LM_NOTICE(
				        "SUBSCRIBE to presence.winfo of %s from %s refused: %s (%s is %s)\n",
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
	return (int)w + 1; /* enum watcher_rc */
}

/* cfg: pres_authz_check_digest(user, realm): after www_authorize() proved user in realm, 1
 * when the From is that user (then $authz(watcher) is it), else 403 sent and -1. */
int pa_check_digest(struct sip_msg *msg, str *user, str *realm)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	char u[128], rl[128];
	const char *up = text_of(u, sizeof(u), user), *rp = text_of(rl, sizeof(rl), realm);
	if (pa_gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("SUBSCRIBE from %s refused: headers cannot be parsed\n", t.peer);
		return gate_reply(msg, 400, "Bad Request");
	}
	if (gate_digest(&r, up, rp, &v) != 0) {
		update_stat(pa_st.watchers_refused, 1);
		LM_NOTICE("SUBSCRIBE for %s from %s: '%s' authenticated but claims %s\n",
		          r.ruri ? r.ruri : "?", r.peer, up ? up : "?", r.from ? r.from : "?");
		return gate_reply(msg, v.status, v.why);
	}
	last_set(msg, &v, 0);
	canonical_ruri(msg, &r, v.presentity);
	return 1;
}

int pa_w_check_digest(struct sip_msg *msg, char *p1, char *p2)
{
	str user, realm;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &user) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &realm) != 0) {
		LM_ERR("pres_authz_check_digest: cannot get the parameters\n");
		return -1;
	}
	return pa_check_digest(msg, &user, &realm);
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
	update_stat(pa_st.publish_set_lookups, 1);
	if (n <= 0 || (size_t)n >= sizeof(sql) || !pa.dbh ||
	    pa.dbf.raw_query(pa.dbh, &q, &res) < 0 || !res) {
		LM_ERR("cannot read the implicit registration set of %s: database unavailable; PUBLISH for %s refused\n",
		       v->identity, v->presentity);
		v->status = 500;
		v->why = "Server Internal Error";
		return GP_REFUSED;
	}
	int rows = RES_ROW_N(res) < SET_ROWS_MAX ? RES_ROW_N(res) : SET_ROWS_MAX;
	if (rows > 0 && !(arena = pkg_malloc((size_t)rows * 2 * GATE_HDR_LEN))) {
		pa.dbf.free_result(pa.dbh, res);
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
	pa.dbf.free_result(pa.dbh, res);
	enum gate_publish p = gate_publish_set(pairs, (unsigned)rows, v);
	if (arena)
		pkg_free(arena);
	return p;
}

/* RFC 3903 and TS 33.141 4.5.1: the whole decision on one PUBLISH (who, then the body).
 * 0 to take it, -1 with v->status and v->why. */
static int publish_verdict(struct sip_msg *msg, const struct gate_req *r, struct gate_verdict *v)
{
	enum gate_publish p = gate_publish(&pa.gcfg, r, v);
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
int pa_publish_step(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	if (pa_gate_read(msg, &t, &r) < 0) {
		LM_NOTICE("PUBLISH from %s refused: headers cannot be parsed\n", t.peer);
		return gate_reply(msg, 400, "Bad Request");
	}
	if (publish_verdict(msg, &r, &v) != 0) {
		update_stat(pa_st.publish_refused, 1);
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

/* presence's own hook for every PUBLISH of the presence event: the same decision when the
 * script did not call pres_authz_publish() (presence answers 500 then), so that nothing is
 * stored that the gate would refuse, whatever the script. */
int pa_publ_handl(struct sip_msg *msg)
{
	struct gate_text t;
	struct gate_req r;
	struct gate_verdict v;
	memset(&v, 0, sizeof(v));
	if (last_is_for(msg) && last.publish_checked)
		return 0;
	if (pa_gate_read(msg, &t, &r) < 0 || publish_verdict(msg, &r, &v) != 0) {
		update_stat(pa_st.publish_refused, 1);
		LM_NOTICE(
		        "PUBLISH for %s from %s refused: %s (%s); the script did not call pres_authz_publish(), so presence answers 500\n",
		        r.ruri ? r.ruri : "?", t.peer, v.why ? v.why : "headers cannot be parsed",
		        v.identity);
		return -1;
	}
	return 0;
}

const char *pa_gate_found(const struct sip_msg *msg, int presentity)
{
	const char *g = presentity ? last.presentity : last.watcher;
	return msg && last_is_for(msg) && *g ? g : NULL;
}
