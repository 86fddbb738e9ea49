/* presence_authz glue: the "presence" and "presence.winfo" event packages registered with
 * Kamailio's presence module (the job presence_xml's add_events.c does in a stock set-up) and
 * the callbacks through which presence asks its questions: may this watcher subscribe
 * (get_auth_status), what does it get of the document (watcher_body), what is the presentity's
 * one document (agg_nbody). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "modules/presence/event_list.h"

#include "authz.h"
#include "kamailio_authz.h"
#include "pidf.h"

/* presence asks for "the rules document" before every authorization question and hands it
 * back to us: our answers come from the compiled policy, so it only needs to be there. */
static int get_rules_doc(str *user, str *domain, str **rules_doc)
{
	(void)user;
	(void)domain;
	*rules_doc = pa_pkg_str("presence_authz", 14);
	return *rules_doc ? 0 : -1;
}

int pa_is_anonymous(const subs_t *subs)
{
	return subs->watcher_domain.len > 0 &&
	       authz_anonymous_domain(subs->watcher_domain.s, (size_t)subs->watcher_domain.len);
}

void pa_watcher_uri(const subs_t *subs, char *out, size_t outsz)
{
	authz_watcher_uri(subs->watcher_user.s, (size_t)subs->watcher_user.len,
	                  subs->watcher_domain.s, (size_t)subs->watcher_domain.len, out, outsz);
}

/* RFC 4745 7.1: whether the watcher is authenticated: of a trusted domain, compared as the
 * gate compared it when it let the watcher in (asserted or proved: pres_authz_watcher) */
static int is_authenticated(const char *watcher)
{
	return gate_watcher_trusted(&pa.gcfg, watcher);
}

/* The decision for one subscription (d->rules point into l->pol: free it after use): for its
 * state (for_state) or for its document. */
static enum authz_outcome decide(subs_t *subs, int for_state, struct loaded *l,
                                 struct pol_decision *d)
{
	char watcher[300];
	memset(d, 0, sizeof(*d));
	d->sub_handling = SH_BLOCK;
	if (pa_load_policy(&subs->pres_uri, l) != 0)
		return AUTHZ_UNAVAILABLE;
	if (l->refused) {
		LM_ERR("pres-rules of %.*s refused: %s; the watcher is blocked\n",
		       subs->pres_uri.len, subs->pres_uri.s, l->why);
		return AUTHZ_REFUSED;
	}
	pa_watcher_uri(subs, watcher, sizeof(watcher));
	int authenticated = is_authenticated(watcher), anonymous = pa_is_anonymous(subs);
	/* TR 33.cde 4.5.2: the state as the identity could have it (authz.h), the document with
	 * the mark this dialog's SUBSCRIBE carried (kept with the dialog) */
	int confidential = for_state ? authz_state_confidential(authenticated, anonymous)
	                             : pa_subs_confidential(subs);
	/* RFC 3323 4.1.1: an anonymous watcher is matched as anonymous only (OMA) */
	struct pol_watcher w = {watcher, authenticated, anonymous, (long long)time(NULL),
	                        NULL,    confidential};
	policy_decide(&l->pol, &w, d);
	return AUTHZ_DECIDED;
}

static void count(enum authz_count c)
{
	stat_var *const by_count[] = {
	        [AUTHZ_COUNT_NONE] = NULL,
	        [AUTHZ_COUNT_ALLOW] = pa_st.allowed,
	        [AUTHZ_COUNT_CONFIRM] = pa_st.confirm,
	        [AUTHZ_COUNT_POLITE_BLOCK] = pa_st.polite,
	        [AUTHZ_COUNT_BLOCK] = pa_st.blocked,
	};
	if (by_count[c])
		update_stat(by_count[c], 1);
}

/* presence asks: may this watcher subscribe? (authz.c decides what presence is told) */
static int get_auth_status(subs_t *subs)
{
	static const int status_of[] = {
	        [AUTHZ_ACTIVE] = ACTIVE_STATUS,
	        [AUTHZ_PENDING] = PENDING_STATUS,
	        [AUTHZ_TERMINATED] = TERMINATED_STATUS,
	};
	struct pol_decision d;
	struct loaded l;
	struct authz_subscription a;
	/* TR 33.cde 4.5.2: presence asks per identity, not per dialog: a watchers row it cached
	 * skips this call for a later SUBSCRIBE of the same identity (subscribe.c), and a rule
	 * change asks with the dialog's flags zeroed (update_watchers_status); so the state is
	 * what the identity could have with the mark, and watcher_body gives an unmarked dialog
	 * at most the offline document. */
	enum authz_outcome how = decide(subs, 1, &l, &d);
	authz_subscription(how, d.sub_handling, &a);
	count(a.count);
	subs->status = status_of[a.status];
	subs->reason.s = (char *)a.reason;
	subs->reason.len = a.reason ? (int)strlen(a.reason) : 0;
	if (how == AUTHZ_UNAVAILABLE) {
		/* fail closed: pending until the presentity's rules are read again */
		LM_ERR("%.*s@%.*s -> %.*s: rules unavailable, subscription kept pending\n",
		       subs->watcher_user.len, subs->watcher_user.s, subs->watcher_domain.len,
		       subs->watcher_domain.s, subs->pres_uri.len, subs->pres_uri.s);
		return 0;
	}
	LM_INFO("%.*s@%.*s -> %.*s: %s (%u rules matched)\n", subs->watcher_user.len,
	        subs->watcher_user.s, subs->watcher_domain.len, subs->watcher_domain.s,
	        subs->pres_uri.len, subs->pres_uri.s, sub_handling_name(d.sub_handling), d.n_rules);
	pa_release_policy(&l);
	return 0;
}

/* The document doc of entity for the watcher: 0 with *out (free()), -1 with *why */
static int produce(enum authz_doc doc, const str *body, const char *entity,
                   const struct pol_decision *d, char **out, size_t *out_len, const char **why)
{
	if (doc == AUTHZ_DOC_FILTERED)
		return pidf_filter_text(body->s, (size_t)body->len, entity, &d->perm, out, out_len,
		                        why);
	if (doc == AUTHZ_DOC_OFFLINE)
		return pidf_polite_block_text(entity, out, out_len, why);
	return -1;
}

/* presence asks, for every NOTIFY of every path: what does this watcher get of the composed
 * document? (aux_body_processing: presence calls it for each watcher whether or not it fetched
 * the rules itself, which its apply_auth_nbody path depends on.) */
static str *watcher_body(subs_t *subs, str *body)
{
	struct pol_decision d;
	struct loaded l;
	char entity[300], *out = NULL;
	size_t out_len = 0;
	const char *why = NULL;
	str *r;

	if (!body || !body->s)
		return NULL;
	/* without the mark, the unmarked decision's document: the offline one for anything but
	 * allow, whatever state the identity has */
	enum authz_outcome how = decide(subs, 0, &l, &d);
	enum authz_doc doc = authz_document(how, d.sub_handling);
	if (doc == AUTHZ_DOC_OFFLINE)
		d.sub_handling = SH_POLITE_BLOCK; /* as the audit log records it */
	snprintf(entity, sizeof(entity), "%.*s", subs->pres_uri.len, subs->pres_uri.s);
	int rc = produce(doc, body, entity, &d, &out, &out_len, &why);
	if (rc != 0 && doc == AUTHZ_DOC_FILTERED) {
		LM_ERR("cannot filter the document of %s for %.*s@%.*s (%s): offline document sent\n",
		       entity, subs->watcher_user.len, subs->watcher_user.s,
		       subs->watcher_domain.len, subs->watcher_domain.s, why);
		doc = authz_document_fallback(doc);
		rc = produce(doc, body, entity, &d, &out, &out_len, &why);
	}
	if (rc != 0)
		doc = authz_document_fallback(doc);
	if (doc == AUTHZ_DOC_EMPTY || !(r = pkg_malloc(sizeof(str)))) {
		/* presence sends the original body when given nothing: an empty one instead */
		LM_ERR("no document for %.*s@%.*s: %s\n", subs->watcher_user.len,
		       subs->watcher_user.s, subs->watcher_domain.len, subs->watcher_domain.s,
		       why ? why : "out of memory");
		if (rc == 0)
			free(out);
		if ((r = pkg_malloc(sizeof(str)))) {
			r->s = strdup("");
			r->len = 0;
		}
		pa_release_policy(&l);
		return r;
	}
	r->s = out;            /* freed with free_body() */
	r->len = (int)out_len; /* below PIDF_MAX_BYTES */
	update_stat(pa_st.filtered, 1);
	pa_audit_record(subs, &d, out, (int)out_len);
	pa_release_policy(&l);
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

int pa_add_events(void)
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
	ev.evs_publ_handl = pa_publ_handl;
	ev.default_expires = (unsigned)pa.default_expires;
	if (pa.psapi.add_event(&ev) < 0) {
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
	ev.default_expires = (unsigned)pa.default_expires;
	if (pa.psapi.add_event(&ev) < 0) {
		LM_ERR("cannot add the presence.winfo event\n");
		return -1;
	}
	return 0;
}
