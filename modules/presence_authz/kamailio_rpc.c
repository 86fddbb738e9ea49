/* presence_authz glue: the RPC commands (README 5): a presentity's compiled rules, a decision
 * on demand, the cache. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/parser/parse_uri.h"

#include "authz.h"
#include "kamailio_authz.h"

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

const char *pa_rpc_policy_doc[] = {
        "Show a presentity's compiled pres-rules (argument: presentity URI).", 0};
void pa_rpc_policy(rpc_t *rpc, void *c)
{
	str uri;
	struct loaded l;
	if (rpc->scan(c, "S", &uri) < 1) {
		rpc->fault(c, 400, "presentity URI expected");
		return;
	}
	if (pa_load_policy(&uri, &l) != 0) {
		rpc->fault(c, 503, "rules unavailable (database)");
		return;
	}
	if (l.refused) {
		rpc->fault(c, 409, "rules refused: %s", l.why);
		return;
	}
	for (unsigned i = 0; i < l.pol.n; i++)
		rpc_add_rule(rpc, c, &l.pol.rules[i]);
	pa_release_policy(&l);
}

const char *pa_rpc_decide_doc[] = {
        "Decide a subscription: presentity URI, watcher URI, optionally flags, comma-separated: \"anonymous\", \"unauthenticated\", \"confidential\".",
        0};
void pa_rpc_decide(rpc_t *rpc, void *c)
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
	if (pa_load_policy(&pres, &l) != 0) {
		rpc->fault(c, 503, "rules unavailable (database)");
		return;
	}
	if (l.refused) {
		rpc->fault(c, 409, "rules refused: %s", l.why);
		return;
	}
	snprintf(wbuf, sizeof(wbuf), "%.*s", watcher.len, watcher.s);
	int authenticated, anonymous, confidential;
	authz_rpc_flag(flag.s, flag.len > 0 ? (size_t)flag.len : 0, &authenticated, &anonymous,
	               &confidential);
	struct pol_watcher w = {wbuf, authenticated, anonymous, (long long)time(NULL),
	                        NULL, confidential};
	policy_decide(&l.pol, &w, &d);
	perm_format(&d.perm, perms, sizeof(perms));
	rules[0] = '\0';
	for (unsigned i = 0; i < d.n_rules && n < sizeof(rules); i++)
		n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%s%s", i ? " " : "",
		                      d.rules[i]);
	if (rpc->add(c, "{", &th) >= 0)
		rpc->struct_add(th, "sss", "sub_handling", sub_handling_name(d.sub_handling),
		                "rules", rules, "permissions", perms);
	pa_release_policy(&l);
}

const char *pa_rpc_flush_doc[] = {
        "Drop cached policies: of one presentity (URI), or of all without argument.", 0};
void pa_rpc_flush(rpc_t *rpc, void *c)
{
	str uri = STR_NULL;
	char key[256];
	struct sip_uri u;
	int n;
	if (rpc->scan(c, "*S", &uri) < 1 || uri.len == 0) {
		rpc->add(c, "d", (int)pa_flush_key(NULL, 0));
		return;
	}
	if ((n = pa_presentity_key(&uri, key, sizeof(key), &u)) < 0) {
		rpc->fault(c, 400, "not a presentity URI");
		return;
	}
	rpc->add(c, "d", (int)pa_flush_key(key, (size_t)n));
}

const char *pa_rpc_cache_doc[] = {"Statistics of the shared policy cache.", 0};
void pa_rpc_cache(rpc_t *rpc, void *c)
{
	struct rcache_stats st;
	void *th;
	rcache_stats(pa.cache, &st);
	if (rpc->add(c, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ddddddd", "entries", (int)st.entries, "bytes", (int)st.bytes, "hits",
	                (int)st.hits, "misses", (int)st.misses, "flushes", (int)st.flushes,
	                "refused_stale", (int)st.refused_stale, "refused_full",
	                (int)st.refused_full);
}
