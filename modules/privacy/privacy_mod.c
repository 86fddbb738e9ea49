/* privacy: the RFC 3323 privacy service and the RFC 3325 trust domain for P-Asserted-Identity,
 * at the P-CSCF, the S-CSCF and the edge proxy (TS 33.141 subscriber anonymity, TR 33.cde
 * 6.1.2). The Kamailio glue.
 *
 * The cores (privhdr.c, plan.c, trust.c, regstore.c) parse the headers, decide which privacy
 * can be given, match the trust domain and keep what each UE registered; this file adapts them to
 * Kamailio: parameters, cfg and KEMI functions, header rewriting with lumps, the registration table
 * in shared memory, RPC and statistics. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/counters.h"
#include "core/data_lump.h"
#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/kemi.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_uri.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "core/ut.h"
#include "modules/sl/sl.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_lump.h"
#include "presec/kamailio_param.h"
#include "presec/kamailio_shm.h"
#include "presec/sec_agree_api.h"

#include "plan.h"
#include "privhdr.h"
#include "regstore.h"
#include "trust.h"
#include "uri_id.h"

MODULE_VERSION

/* Return codes of privacy_apply(), in the script's $rc (cfg-examples/include/codes.cfg). */
enum apply_rc {
	PRIVACY_APPLIED = 1, /* what the Privacy header asks for is done (or nothing asked) */
	PRIVACY_FAILED = -1, /* the message cannot be parsed or rewritten */
	PRIVACY_UNAVAILABLE =
	        -2, /* RFC 3323 5.1: critical privacy that cannot be given, 500 sent */
};

_Static_assert(REG_IMPU_MAX == IDENT_URI_MAX, "P-Associated-URI entries go into reg_entry.impu");
_Static_assert(REG_IP_MAX == SEC_AGREE_IP_MAX && REG_IMPI_MAX == SEC_AGREE_ID_MAX,
               "an SA's address and IMPI are the registration's key");

/* ---- module parameters ---- */
static char *trusted = "";
static int max_registrations = 4096;
static char *topology_hiding_module = "topoh";
/* Headers a UE or a network element takes as an identity or as network-asserted information,
 * which only the trust domain may write (TS 24.229 5.2.6.3, 5.10; RFC 3325 covers only PAI and
 * PPI, removed anyway) */
static char *untrusted_headers = "Remote-Party-ID, P-Served-User, P-Charging-Vector, "
                                 "P-Charging-Function-Addresses, P-Called-Party-ID, "
                                 "P-Asserted-Service, P-Access-Network-Info, "
                                 "P-Presec-Confidential";
/* The P-CSCF: a UE may send its own P-Access-Network-Info (TS 24.229 5.1.1.x, 5.2.6.3), not
 * one claiming to be network-provided */
static int ue_access_info = 0;

/* ---- state ---- */
static struct trust_list trust;
static struct hdr_names untrusted;
static sl_api_t slb;
static gen_lock_t *reg_lock;
static struct regstore *regs;
/* TS 33.203 7.1: the SA a request arrived over says who the UE is; sec_agree knows the SAs */
static sec_agree_api_t sa_api;
static int have_sa_api;

static stat_var *st_stripped, *st_asserted_preferred, *st_asserted_default, *st_ppi_refused,
        *st_applied, *st_unavailable, *st_malformed, *st_unregistered;
static stat_export_t mod_stats[] = {
        {"identity_stripped_untrusted", 0, &st_stripped},
        {"asserted_preferred", 0, &st_asserted_preferred},
        {"asserted_default", 0, &st_asserted_default},
        {"preferred_identity_refused", 0, &st_ppi_refused},
        {"privacy_applied", 0, &st_applied},
        {"privacy_unavailable", 0, &st_unavailable},
        {"malformed_headers", 0, &st_malformed},
        {"unregistered_originator", 0, &st_unregistered},
        {0, 0, 0},
};

static void purge_timer(unsigned int ticks, void *param)
{
	(void)ticks;
	(void)param;
	if (regs)
		regstore_purge(regs, time(NULL));
}

/* ---- helpers ---- */
static const char *what(struct sip_msg *msg)
{
	return msg->first_line.type == SIP_REQUEST ? "request" : "reply";
}

/* ---- privacy_from_trusted / privacy_to_trusted ---- */
static int from_trusted(struct sip_msg *msg)
{
	return trust_match(&trust, presec_src_ip(msg)) ? 1 : -1;
}

static int next_hop_host(struct sip_msg *msg, char *out, size_t outsz)
{
	struct sip_uri u;
	str *t = msg->dst_uri.len ? &msg->dst_uri : GET_RURI(msg);
	if (parse_uri(t->s, t->len, &u) < 0 || u.host.len <= 0 || (size_t)u.host.len >= outsz)
		return -1;
	memcpy(out, u.host.s, u.host.len);
	out[u.host.len] = '\0';
	return 0;
}

static int to_trusted(struct sip_msg *msg)
{
	char host[TRUST_NAME_MAX];
	if (msg->first_line.type != SIP_REQUEST || next_hop_host(msg, host, sizeof(host)) != 0)
		return -1;
	return trust_match(&trust, host) ? 1 : -1;
}

/* ---- privacy_strip_untrusted ---- */
/* Is h one of the untrusted_headers a sender outside the trust domain may not write? A UE's
 * own access info passes at the P-CSCF (ue_access_info), unless it claims the network's. */
static int is_untrusted_header(const struct hdr_field *h)
{
	if (!hdr_names_has(&untrusted, h->name.s, (size_t)h->name.len))
		return 0;
	if (ue_access_info && h->name.len == 21 &&
	    strncasecmp(h->name.s, "P-Access-Network-Info", 21) == 0)
		return pani_network_provided(h->body.s, (size_t)h->body.len);
	return 1;
}

/* Removes the untrusted_headers (and, with rfc3325, PAI and PPI); how many, *first the first */
static int remove_untrusted(struct sip_msg *msg, int rfc3325, struct hdr_field **first)
{
	int n = 0;
	*first = NULL;
	for (struct hdr_field *h = msg->headers; h; h = h->next)
		if (((rfc3325 && (h->type == HDR_PAI_T || h->type == HDR_PPI_T)) ||
		     is_untrusted_header(h)) &&
		    presec_hdr_remove(msg, h) == 0) {
			if (!*first)
				*first = h;
			n++;
		}
	return n;
}

/* what the peer wrote, up to 80 characters of its first line (no forged log lines) */
static int shown_len(const struct hdr_field *h)
{
	int shown = 0;
	while (shown < h->body.len && shown < 80 && h->body.s[shown] != '\r' &&
	       h->body.s[shown] != '\n')
		shown++;
	return shown;
}

/* RFC 3325 5: identity headers from outside the trust domain are not believed, nor are the
 * other headers only the trust domain writes (untrusted_headers); however many there are,
 * one log line names the first and the peer */
static int strip_untrusted(struct sip_msg *msg)
{
	int n;
	struct hdr_field *first = NULL;
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	if (trust_match(&trust, presec_src_ip(msg)))
		return 2;
	if (!(n = remove_untrusted(msg, 1, &first)))
		return 2;
	update_stat(st_stripped, n);
	LM_NOTICE("%s from untrusted %s: %.*s removed (%.*s)%s\n", what(msg), presec_src_ip(msg),
	          first->name.len, first->name.s, shown_len(first), first->body.s,
	          n > 1 ? " with the other identity headers" : "");
	return 1;
}

/* ---- privacy_assert_identity (P-CSCF, originating) ---- */
static int no_sa_api(const char *fn)
{
	if (have_sa_api)
		return 0;
	/* what the P-CSCF asserts is keyed by the SA a request arrived over */
	LM_ERR("%s() needs the sec_agree module (the SA a request came over)\n", fn);
	return -1;
}

static int assert_identity(struct sip_msg *msg)
{
	struct reg_entry e;
	struct sec_agree_flow flow;
	struct ident_list ppi;
	const char *chosen = NULL, *why = NULL;
	char hdr[REG_IMPU_MAX + 32];

	if (no_sa_api("privacy_assert_identity") || parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	/* TS 24.229 5.2.6.3.1: the identity comes from the registration of the SA the request
	 * arrived over (its IMPI and the IMPUs of the 200's P-Associated-URI), not from any
	 * header the UE wrote (Contact, Via, From) */
	if (sa_api.request_flow(msg, &flow) != 0) {
		update_stat(st_unregistered, 1);
		LM_NOTICE("%.*s from %s:%u: it did not arrive over an SA, no identity to assert\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg), msg->rcv.src_port);
		return -1;
	}
	if (regstore_get(regs, flow.ue_ip, flow.port_uc, flow.impi, time(NULL), &e) != 0 ||
	    e.n == 0) {
		update_stat(st_unregistered, 1);
		LM_NOTICE("%.*s from %s:%u: no registration for the SA of %s, nothing to assert\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg), msg->rcv.src_port, flow.impi);
		return -1;
	}
	memset(&ppi, 0, sizeof(ppi));
	const char *bad = NULL;
	for (struct hdr_field *h = msg->headers; h && !bad; h = h->next)
		if (h->type == HDR_PPI_T &&
		    ident_parse(h->body.s, (size_t)h->body.len, &ppi, &why) != 0)
			bad = why;
	/* RFC 3325 9.1: one sip/sips and one tel URI at most, in any number of headers; with
	 * more (or one that cannot be read) what the UE prefers is unclear, so none is taken */
	if (bad) {
		update_stat(st_malformed, 1);
		ppi.n = 0;
	}
	/* TS 24.229 5.2.6.3.1: a preferred identity that is one of the registered IMPUs is
	 * asserted; anything else yields the default IMPU */
	for (unsigned i = 0; i < ppi.n && !chosen; i++)
		for (unsigned k = 0; k < e.n && !chosen; k++)
			if (uri_id_same(ppi.id[i].uri, e.impu[k]))
				chosen = e.impu[k];
	if (bad)
		LM_NOTICE("P-Preferred-Identity from %s:%u (SA of %s) ignored, %s: %s asserted\n",
		          presec_src_ip(msg), msg->rcv.src_port, flow.impi, bad, e.impu[0]);
	else if (ppi.n && !chosen) {
		update_stat(st_ppi_refused, 1);
		LM_NOTICE("P-Preferred-Identity %s from %s:%u (SA of %s) unregistered: %s used\n",
		          ppi.id[0].uri, presec_src_ip(msg), msg->rcv.src_port, flow.impi,
		          e.impu[0]);
	}
	presec_hdr_remove_all(msg, HDR_PPI_T);
	/* the UE asserts nothing itself: its PAI, and the headers only the trust domain writes */
	struct hdr_field *first = NULL;
	int n_pai = presec_hdr_remove_all(msg, HDR_PAI_T),
	    n_other = remove_untrusted(msg, 0, &first);
	if (n_pai || n_other) {
		update_stat(st_stripped, n_pai + n_other);
		if (first)
			LM_NOTICE("%.*s from the UE %s:%u (SA of %s): %.*s removed (%.*s)%s\n",
			          msg->first_line.u.request.method.len,
			          msg->first_line.u.request.method.s, presec_src_ip(msg),
			          msg->rcv.src_port, flow.impi, first->name.len, first->name.s,
			          shown_len(first), first->body.s,
			          n_pai + n_other > 1 ? " with the other identity headers" : "");
		else
			LM_NOTICE("P-Asserted-Identity sent by the UE %s removed\n",
			          presec_src_ip(msg));
	}
	int n = snprintf(hdr, sizeof(hdr), "P-Asserted-Identity: <%s>\r\n",
	                 chosen ? chosen : e.impu[0]);
	if (n < 0 || (size_t)n >= sizeof(hdr) || presec_hdr_add(msg, hdr, (size_t)n) != 0)
		return -1;
	update_stat(chosen ? st_asserted_preferred : st_asserted_default, 1);
	return chosen ? 1 : 2;
}

/* R2 finding 6: a registration is known as long as the SAs it was learned over; when the
 * last set of its flow goes (expired, retired by a newer one, de-registered) so does it, or
 * a subscriber registering again and again from new ports fills the table for everyone */
static void forget_flow(const struct sec_agree_flow *flow)
{
	struct reg_entry e;
	if (!regs)
		return;
	memset(&e, 0, sizeof(e));
	snprintf(e.ue_ip, sizeof(e.ue_ip), "%s", flow->ue_ip);
	snprintf(e.impi, sizeof(e.impi), "%s", flow->impi);
	e.port = flow->port_uc;
	regstore_set(regs, &e, time(NULL));
}

/* ---- privacy_learn_registration (P-CSCF, 200 OK to REGISTER) ---- */
static int learn_registration(struct sip_msg *msg)
{
	struct reg_entry e;
	struct sec_agree_flow flow;
	const char *why = NULL;
	unsigned int best = 0;

	if (no_sa_api("privacy_learn_registration") || msg->first_line.type != SIP_REPLY ||
	    msg->first_line.u.reply.statuscode != 200 || parse_headers(msg, HDR_EOH_F, 0) < 0 ||
	    !msg->cseq)
		return -1;
	struct cseq_body *cs = get_cseq(msg);
	if (cs->method.len != 8 || strncasecmp(cs->method.s, "REGISTER", 8) != 0)
		return -1;
	/* TS 33.203 7.1: the registration belongs to the SA its REGISTER arrived over; the Contact
	 * is what the UE wrote and may name any address (another UE's) */
	if (sa_api.reply_flow(msg, &flow) != 0) {
		LM_NOTICE(
		        "200 to a REGISTER that did not arrive over an SA: no identity learned\n");
		return -1;
	}
	memset(&e, 0, sizeof(e));
	snprintf(e.ue_ip, sizeof(e.ue_ip), "%s", flow.ue_ip);
	snprintf(e.impi, sizeof(e.impi), "%s", flow.impi);
	e.port = flow.port_uc;
	for (struct hdr_field *h = msg->headers; h; h = h->next) {
		if (h->type == HDR_CONTACT_T && parse_contact(h) == 0 && h->parsed) {
			for (contact_t *c = ((contact_body_t *)h->parsed)->contacts; c;
			     c = c->next) {
				unsigned int v = 0;
				if (c->expires && str2int(&c->expires->body, &v) == 0 && v > best)
					best = v;
			}
		}
		if (h->name.len == 16 && strncasecmp(h->name.s, "P-Associated-URI", 16) == 0) {
			int k = uri_list_parse(h->body.s, (size_t)h->body.len, e.impu, REG_IMPUS,
			                       &why);
			if (k < 0) {
				update_stat(st_malformed, 1);
				LM_ERR("P-Associated-URI of the 200 OK is malformed: %s\n", why);
				return -1;
			}
			e.n = (unsigned)k;
		}
	}
	/* no binding left (de-registration): the entry goes */
	e.expires = time(NULL) + best;
	if (regstore_set(regs, &e, time(NULL)) != 0) {
		LM_ERR("registration table full (max_registrations %d)\n", max_registrations);
		return -1;
	}
	LM_INFO("UE %s:%u (SA of %s): %u registered IMPUs%s\n", e.ue_ip, e.port, e.impi, e.n,
	        best ? "" : " (de-registered)");
	return 1;
}

/* ---- privacy_apply (towards an untrusted hop) ---- */
static const enum _hdr_types_t header_privacy[] = {HDR_CALLINFO_T, HDR_ORGANIZATION_T,
                                                   HDR_USERAGENT_T, HDR_SERVER_T, HDR_SUBJECT_T};
static const char *const header_privacy_names[] = {"Reply-To", "In-Reply-To", "Warning"};

static int apply(struct sip_msg *msg)
{
	unsigned mask = 0;
	int malformed = 0;
	const char *why = NULL;
	int is_req = msg->first_line.type == SIP_REQUEST;
	struct priv_plan plan;

	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return PRIVACY_FAILED;
	for (struct hdr_field *h = msg->headers; h; h = h->next)
		if (h->type == HDR_PRIVACY_T &&
		    priv_parse(h->body.s, (size_t)h->body.len, &mask, &why) != 0) {
			update_stat(st_malformed, 1);
			LM_NOTICE("%s from %s: malformed Privacy (%s): treated as id;header;user\n",
			          what(msg), presec_src_ip(msg), why);
			malformed = 1;
		}
	priv_plan_make(mask, malformed, is_req, module_loaded(topology_hiding_module), &plan);
	unsigned unavailable = plan.unavailable;
	if (plan.verdict == PRIV_PLAN_NOTHING)
		return PRIVACY_APPLIED;
	if (plan.verdict == PRIV_PLAN_REFUSE) {
		update_stat(st_unavailable, 1);
		LM_NOTICE(
		        "%s from %s asks for critical privacy that cannot be provided (%s%s%s): 500\n",
		        what(msg), presec_src_ip(msg), unavailable & PRIV_SESSION ? "session " : "",
		        unavailable & PRIV_HEADER ? "header (no topology hiding) " : "",
		        unavailable & PRIV_OTHER ? "unknown priv-value" : "");
		if (is_req) {
			str reason = str_init("Privacy Unavailable");
			slb.freply(msg, 500, &reason);
		}
		return PRIVACY_UNAVAILABLE;
	}
	if (unavailable)
		LM_NOTICE("%s from %s: privacy %s%s%snot provided (not critical)\n", what(msg),
		          presec_src_ip(msg), unavailable & PRIV_SESSION ? "session " : "",
		          unavailable & PRIV_HEADER ? "header (Via/Record-Route) " : "",
		          unavailable & PRIV_OTHER ? "extension " : "");
	if (plan.remove_pai && presec_hdr_remove_all(msg, HDR_PAI_T) > 0)
		LM_INFO("%s from %s: Privacy id, P-Asserted-Identity removed at the trust domain's border\n",
		        what(msg), presec_src_ip(msg));
	if (plan.hide_headers) {
		for (size_t i = 0; i < sizeof(header_privacy) / sizeof(header_privacy[0]); i++)
			presec_hdr_remove_all(msg, header_privacy[i]);
		for (struct hdr_field *h = msg->headers; h; h = h->next)
			for (size_t i = 0; i < sizeof(header_privacy_names) / sizeof(char *); i++)
				if ((size_t)h->name.len == strlen(header_privacy_names[i]) &&
				    strncasecmp(h->name.s, header_privacy_names[i], h->name.len) ==
				            0)
					presec_hdr_remove(msg, h);
	}
	if (plan.anonymize_from) {
		/* the anonymous From keeps only the tag, so the From's own length bounds it: a long
		 * tag never makes the real From leave */
		size_t outsz = parse_from_header(msg) == 0 ? (size_t)msg->from->body.len + 64 : 0;
		char *from = outsz ? pkg_malloc(outsz) : NULL;
		int n = from ? priv_anonymous_from(msg->from->body.s, (size_t)msg->from->body.len,
		                                   from, outsz)
		             : -1;
		int rc = n < 0 ? -1 : presec_hdr_replace_body(msg, msg->from, from, (size_t)n);
		if (from)
			pkg_free(from);
		if (rc != 0) {
			LM_ERR("cannot anonymize the From of the %s from %s\n", what(msg),
			       presec_src_ip(msg));
			return PRIVACY_FAILED;
		}
	}
	update_stat(st_applied, 1);
	return PRIVACY_APPLIED;
}

/* ---- cfg wrappers ---- */
PRESEC_CFG_WRAP0(w_from_trusted, from_trusted)
PRESEC_CFG_WRAP0(w_to_trusted, to_trusted)
PRESEC_CFG_WRAP0(w_strip_untrusted, strip_untrusted)
PRESEC_CFG_WRAP0(w_assert_identity, assert_identity)
PRESEC_CFG_WRAP0(w_learn_registration, learn_registration)
PRESEC_CFG_WRAP0(w_apply, apply)

/* ---- RPC ---- */
static const char *rpc_trusted_doc[] = {"The trust domain: addresses, blocks and names.", 0};
static void rpc_trusted(rpc_t *rpc, void *c)
{
	for (unsigned i = 0; i < trust.n; i++) {
		char a[64] = "";
		const struct trust_entry *e = &trust.e[i];
		if (e->family && inet_ntop(e->family, e->addr, a, sizeof(a)))
			rpc->rpl_printf(c, "%s/%u", a, e->prefix);
		else
			rpc->rpl_printf(c, "%s", e->name);
	}
}

static const char *rpc_reg_doc[] = {
        "The IMPUs a UE address (and protected client port) may assert.", 0};
static void rpc_registration(rpc_t *rpc, void *c)
{
	str ip;
	int port = 0;
	char k[REG_IP_MAX];
	struct reg_entry e;
	if (rpc->scan(c, "S", &ip) < 1 || ip.len <= 0 || ip.len >= (int)sizeof(k)) {
		rpc->fault(c, 400, "UE address expected");
		return;
	}
	memcpy(k, ip.s, ip.len);
	k[ip.len] = '\0';
	if (rpc->scan(c, "*d", &port) == 1 && (port < 1 || port > 65535)) {
		rpc->fault(c, 400, "port out of range");
		return;
	}
	if (regstore_find(regs, k, (unsigned short)port, time(NULL), &e) != 0) {
		rpc->fault(c, 404, "no registration for this address");
		return;
	}
	for (unsigned i = 0; i < e.n; i++)
		rpc->rpl_printf(c, "%s", e.impu[i]);
}

static rpc_export_t rpc_cmds[] = {
        {"privacy.trusted", rpc_trusted, rpc_trusted_doc, RET_ARRAY},
        {"privacy.registration", rpc_registration, rpc_reg_doc, RET_ARRAY},
        {0, 0, 0, 0},
};

/* ---- module interface ---- */
static int mod_init(void)
{
	struct presec_store_ops ops;
	const char *why = NULL;
	if (hdr_names_parse(untrusted_headers, &untrusted, &why) != 0) {
		LM_ERR("untrusted_headers '%s': %s\n", untrusted_headers, why);
		return -1;
	}
	if (trust_parse(trusted, &trust, &why) != 0) {
		LM_ERR("trusted '%s': %s\n", trusted, why);
		return -1;
	}
	if (trust.n == 0)
		LM_WARN("empty trust domain: every P-Asserted-Identity received will be removed\n");
	if (sl_load_api(&slb) != 0) {
		LM_ERR("cannot bind the sl module (load sl.so first)\n");
		return -1;
	}
	/* only the P-CSCF asserts and learns, and it has sec_agree; the S-CSCF and the edge do
	 * without */
	bind_sec_agree_f bind =
	        (bind_sec_agree_f)(void (*)(void))find_export("bind_sec_agree", 0, 0);
	have_sa_api = bind && bind(&sa_api) == 0;
	if (have_sa_api && sa_api.on_flow_gone(forget_flow) != 0) {
		LM_ERR("cannot learn from sec_agree when SAs go\n");
		return -1;
	}
	if (presec_shm_store_ops(&ops, &reg_lock) != 0) {
		LM_ERR("cannot create the lock\n");
		return -1;
	}
	static const struct presec_int_bound bounds[] = {
	        PRESEC_BOUND(max_registrations, 1, INT_MAX),
	};
	if (presec_check_bounds("privacy", bounds, 1) != 0)
		return -1;
	if (!(regs = regstore_new(&ops, (unsigned)max_registrations))) {
		LM_ERR("cannot create the registration table (max_registrations %d)\n",
		       max_registrations);
		return -1;
	}
	if (register_module_stats("privacy", mod_stats) != 0 || rpc_register_array(rpc_cmds) != 0 ||
	    register_timer(purge_timer, NULL, 10) < 0) {
		LM_ERR("cannot register statistics, RPC commands or the timer\n");
		return -1;
	}
	return 0;
}

static void mod_destroy(void)
{
	if (regs) {
		regstore_destroy(regs);
		regs = NULL;
	}
	presec_shm_lock_free(&reg_lock);
}

static cmd_export_t cmds[] = {
        {"privacy_from_trusted", (cmd_function)w_from_trusted, 0, 0, 0, ANY_ROUTE},
        {"privacy_to_trusted", (cmd_function)w_to_trusted, 0, 0, 0,
         REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
        {"privacy_strip_untrusted", (cmd_function)w_strip_untrusted, 0, 0, 0,
         REQUEST_ROUTE | ONREPLY_ROUTE},
        {"privacy_assert_identity", (cmd_function)w_assert_identity, 0, 0, 0, REQUEST_ROUTE},
        {"privacy_learn_registration", (cmd_function)w_learn_registration, 0, 0, 0, ONREPLY_ROUTE},
        {"privacy_apply", (cmd_function)w_apply, 0, 0, 0,
         REQUEST_ROUTE | ONREPLY_ROUTE | BRANCH_ROUTE},
        {0, 0, 0, 0, 0, 0},
};

static param_export_t params[] = {
        {"trusted", PARAM_STRING, &trusted},
        {"max_registrations", INT_PARAM, &max_registrations},
        {"topology_hiding_module", PARAM_STRING, &topology_hiding_module},
        {"untrusted_headers", PARAM_STRING, &untrusted_headers},
        {"ue_access_info", INT_PARAM, &ue_access_info},
        {0, 0, 0},
};

struct module_exports exports = {
        "privacy",       /* module name */
        DEFAULT_DLFLAGS, /* dlopen flags */
        cmds,            /* cfg functions */
        params,          /* module parameters */
        0,               /* RPC commands: registered in mod_init */
        0,               /* pseudo-variables */
        0,               /* response function */
        mod_init,        /* module init */
        0,               /* per-child init */
        mod_destroy,     /* destroy */
};

static sr_kemi_t sr_kemi_privacy_exports[] = {
        PRESEC_KEMI_0("privacy", "privacy_from_trusted", from_trusted),
        PRESEC_KEMI_0("privacy", "privacy_to_trusted", to_trusted),
        PRESEC_KEMI_0("privacy", "privacy_strip_untrusted", strip_untrusted),
        PRESEC_KEMI_0("privacy", "privacy_assert_identity", assert_identity),
        PRESEC_KEMI_0("privacy", "privacy_learn_registration", learn_registration),
        PRESEC_KEMI_0("privacy", "privacy_apply", apply),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_privacy_exports)
