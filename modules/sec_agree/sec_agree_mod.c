/* sec_agree: RFC 3329 security agreement and the UE <-> P-CSCF ESP security associations of
 * TS 33.203 clause 7, at the P-CSCF. The Kamailio glue.
 *
 * The cores (sechdr.c, negotiate.c, authhdr.c, sa_store.c) hold the parsing, the choice, the
 * key expansion and the SA records; this file adapts them to Kamailio: parameters, cfg and KEMI
 * functions, header rewriting with lumps, the record store in shared memory, the SA backend,
 * RPC commands and statistics. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/cfg/cfg.h"
#include "core/cfg_core.h"
#include "core/counters.h"
#include "core/data_lump.h"
#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/kemi.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/mod_fix.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/digest/digest.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/pvar.h"
#include "core/lvalue.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/socket_info.h"
#include "core/sr_module.h"
#include "core/tcp_conn.h"
#include "core/tcp_options.h"
#include "core/timer.h"
#include "modules/sl/sl.h"
#include "modules/tm/tm_load.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_lump.h"
#include "presec/kamailio_param.h"
#include "presec/kamailio_shm.h"
#include "presec/sec_agree_api.h"

#include "authhdr.h"
#include "kamailio_sec_agree.h"
#include "negotiate.h"
#include "sa_backend.h"
#include "sa_ident.h"
#include "sa_store.h"
#include "sa_transport.h"
#include "sechdr.h"

MODULE_VERSION

/* Return codes of sec_agree_register(), in the script's $rc. */
enum reg_rc {
	R_OFFER = 1,          /* unprotected REGISTER with an acceptable offer: forward it */
	R_PROTECTED = 2,      /* REGISTER over an SA, Security-Verify checked: forward it */
	R_NO_SEC_AGREE = -1,  /* no Security-Client and no sec-agree required: script decides */
	R_REJECTED = -2,      /* a reply (494) was sent: exit */
	R_NOT_PROTECTED = -3, /* arrived on the protected port but over no SA: 403 */
	R_INTERNAL = -4,      /* memory or store failure: 500 */
	R_NO_ACCEPTABLE =
	        -5, /* Security-Client offers nothing acceptable, sec-agree not required */
};

/* Return codes of sec_agree_reply(), in the script's $rc (cfg-examples/include/codes.cfg). */
enum reply_rc {
	RP_DONE = 1,    /* the reply is as it may go on (keys taken out, SAs set up or updated) */
	RP_FAILED = -1, /* the reply could not be rewritten */
	RP_NO_SA = -2,  /* a 401 whose SAs could not be set up: the UE gets an error, not it */
};

/* ---- module parameters ---- */
static char *algorithms =
        "hmac-sha-1-96/aes-cbc, hmac-md5-96/aes-cbc, hmac-sha-1-96/des-ede3-cbc, hmac-md5-96/des-ede3-cbc, hmac-sha-1-96/null, hmac-md5-96/null";
static int port_ps = 5064;
static int port_pc = 5066;
static char *pcscf_ip = "";
static int spi_min = 10000;
static int spi_max = 2000000000;
static int max_sas = 4096;
static int pending_lifetime = 240; /* SM4 -> SM7: TS 33.203 7.1 temporary SA lifetime */
static int lifetime_margin = 30;   /* beyond the registration expiry */
static int retire_grace = 32;      /* old SAs after a re-registration, 64*T1 */
/* A UE has one registration in progress at a time; an unauthenticated sender must not fill
 * the SA table (each REGISTER makes an offer, each 401 temporary SAs that live
 * pending_lifetime): beyond this many offered or temporary SA sets of one address, the
 * earlier ones are dropped (TS 33.203 7.4: a new unprotected REGISTER supersedes them). */
static int max_offers_per_ue = 8;
static char *backend_name = "record";
static int add_q = 1;
/* Seconds a TCP connection that carried a request over an SA may stay idle; every other one
 * gets the core's tcp_connection_lifetime, short at the P-CSCF (cfg-examples/pcscf.cfg) */
static int tcp_protected_lifetime = 3605;

/* ---- state ---- */
static sl_api_t slb;
static struct tm_binds tmb;
static struct sec_combo policy[SEC_MAX_COMBOS];
static unsigned n_policy;
static gen_lock_t *store_lock;
static struct sa_store *store;
static uint32_t *spi_cursor; /* shm, under store_lock */
static const struct sa_backend *backend;

static stat_var *st_offers, *st_no_acceptable, *st_installed, *st_install_failed, *st_verified,
        *st_verify_mismatch, *st_unprotected, *st_deleted, *st_no_keys, *st_offers_dropped,
        *st_identity_mismatch, *st_unanswered, *st_reply_outside;
static stat_export_t mod_stats[] = {
        {"offers", 0, &st_offers},
        {"no_acceptable_mechanism", 0, &st_no_acceptable},
        {"sa_installed", 0, &st_installed},
        {"sa_install_failed", 0, &st_install_failed},
        {"verified", 0, &st_verified},
        {"verify_mismatch", 0, &st_verify_mismatch},
        {"unprotected_rejected", 0, &st_unprotected},
        {"sa_deleted", 0, &st_deleted},
        {"challenge_without_keys", 0, &st_no_keys},
        {"offers_dropped", 0, &st_offers_dropped},
        {"identity_mismatch", 0, &st_identity_mismatch},
        {"unanswered_over_pending", 0, &st_unanswered},
        {"reply_outside_sa", 0, &st_reply_outside},
        {0, 0, 0},
};

/* ---- helpers ---- */
static void copy_str(char *dst, size_t dstsz, const str *s)
{
	size_t n = (size_t)s->len < dstsz - 1 ? (size_t)s->len : dstsz - 1;
	memcpy(dst, s->s, n);
	dst[n] = '\0';
}

static int is_named(struct hdr_field *h, const char *name)
{
	size_t n = strlen(name);
	return (size_t)h->name.len == n && strncasecmp(h->name.s, name, n) == 0;
}

/* RFC 3329 2.3.1: the sec-agree option tag is for the first hop; drop it (the whole header when
 * it is the only tag) before forwarding. */
static int strip_sec_agree_tag(struct sip_msg *msg, struct hdr_field *h)
{
	char out[512];
	int n = sec_tags_without_agree(h->body.s, (size_t)h->body.len, out, sizeof(out));
	if (n < 0)
		return -1;
	return n ? presec_hdr_replace_body(msg, h, out, (size_t)n) : presec_hdr_remove(msg, h);
}

struct reg_headers {
	struct sec_list client, verify;
	int n_client, n_verify, required;
	const char *why;
};

/* Parses Security-Client and Security-Verify, notes Require/Proxy-Require: sec-agree, and
 * removes all of them (they are for this hop only). -1 with h->why on a malformed header. */
static int take_sec_headers(struct sip_msg *msg, struct reg_headers *h)
{
	memset(h, 0, sizeof(*h));
	if (parse_headers(msg, HDR_EOH_F, 0) < 0) {
		h->why = "cannot parse the headers";
		return -1;
	}
	for (struct hdr_field *f = msg->headers; f; f = f->next) {
		if (f->type == HDR_REQUIRE_T || f->type == HDR_PROXYREQUIRE_T) {
			if (sec_tags_have_agree(f->body.s, (size_t)f->body.len)) {
				h->required = 1;
				if (strip_sec_agree_tag(msg, f) != 0) {
					h->why = "cannot rewrite Require/Proxy-Require";
					return -1;
				}
			}
			continue;
		}
		int is_client = is_named(f, "Security-Client");
		if (!is_client && !is_named(f, "Security-Verify"))
			continue;
		const char *why = NULL;
		if (sec_parse(f->body.s, (size_t)f->body.len, is_client ? &h->client : &h->verify,
		              &why) != SEC_OK) {
			h->why = why;
			return is_client ? -1 : -2;
		}
		(*(is_client ? &h->n_client : &h->n_verify))++;
		if (presec_hdr_remove(msg, f) != 0) {
			h->why = "cannot remove a Security-* header";
			return -1;
		}
	}
	return 0;
}

/* TS 24.229 5.2.2: the P-CSCF states in every Authorization whether the REGISTER arrived over
 * an SA; whatever the UE wrote there itself is replaced. */
static int mark_authorization(struct sip_msg *msg, const char *value)
{
	char out[2048];
	for (struct hdr_field *f = msg->headers; f; f = f->next) {
		if (f->type != HDR_AUTHORIZATION_T)
			continue;
		int n = auth_mark_integrity(f->body.s, (size_t)f->body.len, value, out,
		                            sizeof(out));
		if (n < 0 || presec_hdr_replace_body(msg, f, out, (size_t)n) != 0) {
			LM_ERR("cannot mark the Authorization header of the REGISTER from %s\n",
			       presec_src_ip(msg));
			return -1;
		}
	}
	return 0;
}

/* IMPI: the username of the first Authorization (TS 24.229 5.1.1.2.1); IMPU: the To URI. A
 * REGISTER over the SA must name the same two (check_identities). */
static void identities(struct sip_msg *msg, struct sa_rec *r)
{
	const char *why = NULL;
	r->impi[0] = r->impu[0] = '\0';
	if (parse_to_header(msg) == 0 && msg->to)
		copy_str(r->impu, sizeof(r->impu), &get_to(msg)->uri);
	for (struct hdr_field *f = msg->headers; f; f = f->next) {
		if (f->type != HDR_AUTHORIZATION_T)
			continue;
		if (auth_username(f->body.s, (size_t)f->body.len, r->impi, sizeof(r->impi), &why) <=
		    0)
			r->impi[0] = '\0';
		break;
	}
}

/* TS 33.203 7.1 / TS 24.229 5.2.2: a REGISTER over the SAs of r names r's IMPI and IMPU, or it
 * is someone speaking for another subscriber over her own SA: 403, before anything is marked
 * integrity-protected. 0 when it may go on. */
static int check_identities(struct sip_msg *msg, const struct sa_rec *r)
{
	struct sa_text auth[SA_IDENT_MAX_AUTH + 1], to = {"", 0};
	unsigned n = 0;
	char claimed[SA_ID_MAX];
	const char *why = NULL;

	for (struct hdr_field *f = msg->headers; f && n <= SA_IDENT_MAX_AUTH; f = f->next)
		if (f->type == HDR_AUTHORIZATION_T) {
			auth[n].s = f->body.s;
			auth[n++].n = (size_t)f->body.len;
		}
	if (parse_to_header(msg) == 0 && msg->to) {
		to.s = get_to(msg)->uri.s;
		to.n = (size_t)get_to(msg)->uri.len;
	}
	if (sa_ident_check(r->impi, r->impu, auth, n, to, claimed, sizeof(claimed), &why) ==
	    SA_IDENT_OK)
		return 0;
	update_stat(st_identity_mismatch, 1);
	LM_NOTICE("REGISTER from %s:%u over the SA of %s (%s) names '%s': %s: 403\n",
	          presec_src_ip(msg), msg->rcv.src_port, r->impi, r->impu, claimed, why);
	return -1;
}

/* TS 24.229 5.1.1.4.1 c): what a REGISTER over the SAs of r binds is the UE behind them, its
 * address and protected server port (that of r, or the port_s of the new SAs a re-registration
 * offers in h); a Contact naming another UE would have requests for this registration sent to
 * that UE over its SA. 0 when it may go on. */
static int check_contacts(struct sip_msg *msg, const struct sa_rec *r, const struct reg_headers *h)
{
	unsigned short ports[1 + SEC_MAX_MECHS];
	unsigned n_ports = 0;
	const char *why = NULL;
	str bad = STR_NULL;

	ports[n_ports++] = r->port_us;
	for (unsigned i = 0; h->n_client && i < h->client.n && n_ports < 1 + SEC_MAX_MECHS; i++)
		if (h->client.m[i].type == SEC_MECH_IPSEC_3GPP)
			ports[n_ports++] = h->client.m[i].port_s;
	for (struct hdr_field *f = msg->headers; f && !why; f = f->next) {
		if (f->type != HDR_CONTACT_T)
			continue;
		if (parse_contact(f) < 0 || !f->parsed) {
			why = "a Contact that cannot be parsed";
			bad = f->body;
			break;
		}
		for (contact_t *c = ((contact_body_t *)f->parsed)->contacts; c && !why;
		     c = c->next) {
			struct sip_uri u;
			bad = c->uri;
			if (parse_uri(c->uri.s, c->uri.len, &u) < 0)
				why = "a Contact URI that cannot be parsed";
			else
				sa_contact_check(r->ue_ip, ports, n_ports,
				                 (struct sa_text){u.host.s, (size_t)u.host.len},
				                 u.port_no, &why);
		}
	}
	if (!why)
		return 0;
	update_stat(st_identity_mismatch, 1);
	LM_NOTICE("REGISTER from %s:%u over the SA of %s binds %.*s: %s: 403\n", presec_src_ip(msg),
	          msg->rcv.src_port, r->impi, bad.len > 128 ? 128 : bad.len, bad.s, why);
	return -1;
}

/* TS 33.203 7.2: SM7 over the SAs of a 401 answers that challenge. Until the 200 (SM8) the
 * SAs only say that someone asked for them under an IMPI, not that he is it: a REGISTER over
 * them without an answer (an empty response, which only a re-registration over confirmed SAs
 * may send, TS 24.229 5.1.1.4) would let whoever asked skip the challenge. 0 when it may go on. */
static int check_answer(struct sip_msg *msg, const struct sa_rec *r)
{
	if (r->state != SA_PENDING)
		return 0;
	for (struct hdr_field *f = msg->headers; f; f = f->next) {
		if (f->type != HDR_AUTHORIZATION_T)
			continue;
		if (auth_answers(f->body.s, (size_t)f->body.len) == 1)
			continue;
		update_stat(st_unanswered, 1);
		LM_NOTICE(
		        "REGISTER from %s:%u over the pending SAs of %s does not answer the challenge (no nonce or response): 403\n",
		        presec_src_ip(msg), msg->rcv.src_port, r->impi);
		return -1;
	}
	return 0;
}

static int reply_403(struct sip_msg *msg)
{
	str reason = str_init("Forbidden: not the identity of this security association");
	return slb.freply(msg, 403, &reason);
}

/* Our Security-Server (TS 33.203 7.2, SM4): every combination of the policy, most preferred
 * first, with our SPIs and ports. Without SPIs (spi_pc == 0) it is the list sent in a 494. */
static int print_server(const struct sa_rec *r, char *out, size_t outsz)
{
	struct sec_list l;
	memset(&l, 0, sizeof(l));
	for (unsigned i = 0; i < n_policy && i < SEC_MAX_MECHS; i++) {
		struct sec_mech *m = &l.m[l.n++];
		strcpy(m->name, "ipsec-3gpp");
		m->type = SEC_MECH_IPSEC_3GPP;
		m->alg = policy[i].alg;
		m->ealg = policy[i].ealg;
		m->prot = SEC_PROT_ESP;
		m->mod = SEC_MOD_TRANS;
		m->spi_c = r ? r->spi_pc : 0;
		m->spi_s = r ? r->spi_ps : 0;
		m->port_c = (uint16_t)port_pc;
		m->port_s = (uint16_t)port_ps;
		if (add_q) {
			m->has |= SEC_HAS_Q;
			m->q = n_policy > 1 ? 1000 - 1000 * i / n_policy : 1000;
			if (m->q == 0)
				m->q = 1;
		}
	}
	return sec_print_list(&l, out, outsz);
}

static int reply_494(struct sip_msg *msg)
{
	char list[SA_SERVER_MAX], hdr[SA_SERVER_MAX + 32];
	int n = print_server(NULL, list, sizeof(list));
	str reason = str_init("Security Agreement Required");
	if (n < 0)
		return -1;
	/* no SPIs in a 494: nothing is reserved for a UE that could not agree */
	n = snprintf(hdr, sizeof(hdr), "Security-Server: %s\r\n", list);
	for (char *p = strstr(hdr, ";spi-c=0;spi-s=0"); p; p = strstr(hdr, ";spi-c=0;spi-s=0")) {
		memmove(p, p + 16, strlen(p + 16) + 1);
		n -= 16;
	}
	if (!add_lump_rpl(msg, hdr, n, LUMP_RPL_HDR))
		return -1;
	return slb.freply(msg, 494, &reason);
}

/* A TCP connection to port_ps that carries a request over no SA is not a UE's flow (TS 33.203
 * 7.1: the UE opens it from port_uc over its SA), nor one to port_pc that carries a request at
 * all (it is for the UE's responses): the refusal is its last message, so that
 * nobody keeps a connection to the protected port open to try again. */
static void close_after_refusal(struct sip_msg *msg)
{
	if (msg->rcv.proto == PROTO_TCP &&
	    (msg->rcv.dst_port == port_ps || msg->rcv.dst_port == port_pc))
		msg->rpl_send_flags.f |= SND_F_CON_CLOSE;
}

/* RFC 3261 18.2.2: a response whose TCP connection has gone is sent on a new one to the Via
 * of the request. Forcing the socket the request arrived on (tcp:port_ps) makes the core bind
 * that connection to port_ps (tcp_reuse_port), inside the SA towards port_uc (TS 33.203 7.1),
 * instead of an ephemeral port outside it. tm copies the flags into the transaction. */
static void replies_inside_sa(struct sip_msg *msg)
{
	if (msg->rcv.proto == PROTO_TCP)
		msg->rpl_send_flags.f |= SND_F_FORCE_SOCKET;
}

/* An outsider holds a TCP connection to the P-CSCF by opening it and sending nothing (or only
 * responses, or CRLF keep-alives): it gets the core's short tcp_connection_lifetime. A
 * connection that carried a request over an SA is a UE's flow and lives as long as a
 * registration. The core re-arms a connection's idle timer with its own lifetime (tcpops'
 * tcp_set_connection_lifetime() does the same). */
static void set_connection_lifetime(struct sip_msg *msg, int seconds)
{
	struct tcp_connection *c;
	if (msg->rcv.proto != PROTO_TCP || seconds < 0)
		return;
	if (!(c = tcpconn_get(msg->rcv.proto_reserved1, 0, 0, 0, 0)))
		return;
	c->lifetime = S_TO_TICKS(seconds);
	c->timeout = get_ticks_raw() + c->lifetime;
	tcpconn_put(c);
}

static void keep_protected_connection(struct sip_msg *msg)
{
	if (tcp_protected_lifetime > 0)
		set_connection_lifetime(msg, tcp_protected_lifetime);
}

/* A request pipelined behind a refused one on the same connection (TCP to port_ps or
 * port_pc): the refusal's 403 marked the connection for close (SND_F_CON_CLOSE), so the core
 * no longer finds it. 1: drop it silently. */
static int refused_already(struct sip_msg *msg)
{
	struct tcp_connection *c = NULL;
	int tcp_protected = msg->rcv.proto == PROTO_TCP &&
	                    (msg->rcv.dst_port == port_ps || msg->rcv.dst_port == port_pc);
	if (tcp_protected && (c = tcpconn_get(msg->rcv.proto_reserved1, 0, 0, 0, 0)))
		tcpconn_put(c);
	return sa_refusal(tcp_protected, c != NULL) == SA_REFUSE_SILENT;
}

/* What the refusal's log line adds: that the connection goes with it. */
static const char *closing(struct sip_msg *msg)
{
	return msg->rcv.proto == PROTO_TCP &&
	                       (msg->rcv.dst_port == port_ps || msg->rcv.dst_port == port_pc)
	               ? " (tcp): connection closed"
	               : "";
}

/* ---- SA lifetime ---- */
static void (*flow_gone)(const struct sec_agree_flow *flow);
static void flow_of(const struct sa_rec *r, struct sec_agree_flow *out);

struct same_flow {
	const struct sa_rec *gone;
	time_t now;
	int live;
};

static void count_same_flow(int id, const struct sa_rec *r, void *arg)
{
	struct same_flow *f = arg;
	(void)id;
	if (r->state != SA_OFFERED && r->expires > f->now && r->port_uc == f->gone->port_uc &&
	    strcmp(r->ue_ip, f->gone->ue_ip) == 0 && strcmp(r->impi, f->gone->impi) == 0)
		f->live++;
}

/* R2 finding 6: what other modules learned for a flow (privacy's registration) lasts no longer
 * than the flow's SAs; a re-registration's new set on the same ports keeps it */
static void tell_flow_gone(const struct sa_rec *r)
{
	struct same_flow f = {r, time(NULL), 0};
	struct sec_agree_flow out;
	if (!flow_gone || r->state == SA_OFFERED)
		return;
	sa_store_foreach(store, count_same_flow, &f);
	if (f.live)
		return;
	flow_of(r, &out);
	flow_gone(&out);
}

static void delete_sas(const struct sa_rec *r, void *arg)
{
	struct sa_rec heir;
	(void)arg;
	/* the record is out of the table already: the newest set left takes over shared flows */
	int has_heir = r->installed && sa_store_newest_installed(store, r->ue_ip, &heir) >= 0;
	if (r->installed && backend->remove(r, has_heir ? &heir : NULL) != 0)
		LM_ERR("cannot delete the SAs of %s (%s:%u)\n", r->impi, r->ue_ip, r->port_uc);
	if (r->installed)
		update_stat(st_deleted, 1);
	LM_INFO("SAs of %s (%s, spi_pc %u, spi_ps %u) removed\n", r->impi, r->ue_ip, r->spi_pc,
	        r->spi_ps);
	tell_flow_gone(r);
}

static int is_expired(const struct sa_rec *r, void *arg)
{
	return r->expires <= *(time_t *)arg;
}

static void purge_timer(unsigned int ticks, void *param)
{
	time_t now = time(NULL);
	(void)ticks;
	(void)param;
	if (store)
		sa_store_remove_if(store, is_expired, &now, delete_sas, NULL);
}

static int is_id(const struct sa_rec *r, void *arg)
{
	const struct sa_rec *k = arg;
	return r->spi_ps == k->spi_ps && r->spi_pc == k->spi_pc &&
	       strcmp(r->ue_ip, k->ue_ip) == 0 && r->port_uc == k->port_uc &&
	       r->created == k->created;
}

static void drop_record(const struct sa_rec *r)
{
	struct sa_rec k = *r;
	sa_store_remove_if(store, is_id, &k, delete_sas, NULL);
}

/* ---- sec_agree_register ---- */
static int new_offer(struct sip_msg *msg, struct reg_headers *h)
{
	unsigned combo, mech;
	struct sa_rec r;
	const struct sec_mech *m;

	if (sec_choose(policy, n_policy, &h->client, &combo, &mech) != 0) {
		update_stat(st_no_acceptable, 1);
		LM_NOTICE("REGISTER from %s: Security-Client offers no mechanism we accept%s\n",
		          presec_src_ip(msg), h->required ? ": 494" : "");
		if (h->required)
			return reply_494(msg) == 1 ? R_REJECTED : R_INTERNAL;
		return R_NO_ACCEPTABLE;
	}
	m = &h->client.m[mech];
	memset(&r, 0, sizeof(r));
	r.state = SA_OFFERED;
	identities(msg, &r);
	copy_str(r.call_id, sizeof(r.call_id), &msg->callid->body);
	strncpy(r.ue_ip, presec_src_ip(msg), sizeof(r.ue_ip) - 1);
	if (*pcscf_ip)
		strncpy(r.pcscf_ip, pcscf_ip, sizeof(r.pcscf_ip) - 1);
	else
		strncpy(r.pcscf_ip, ip_addr2a(&msg->rcv.dst_ip), sizeof(r.pcscf_ip) - 1);
	r.port_uc = m->port_c;
	r.port_us = m->port_s;
	r.spi_uc = m->spi_c;
	r.spi_us = m->spi_s;
	r.port_pc = (uint16_t)port_pc;
	r.port_ps = (uint16_t)port_ps;
	r.combo = policy[combo];
	r.created = time(NULL);
	r.expires = r.created + pending_lifetime;
	/* TS 33.203 7.1: an SA pair is the UE's flow (address, protected client port); an offer
	 * for another IMPI on the flow of live SAs would have the P-CSCF take that UE's requests
	 * for the newcomer's (or, unprotected, let anyone who can send from the UE's address cut
	 * it off): 403, one log line */
	struct sa_rec live;
	if (sa_store_flow_of_other(store, r.ue_ip, r.port_uc, r.impi, r.created, &live) >= 0) {
		update_stat(st_identity_mismatch, 1);
		LM_NOTICE(
		        "REGISTER from %s:%u for %s offers port-c %u, the protected client port of the live SAs of %s: 403\n",
		        r.ue_ip, msg->rcv.src_port, r.impi, r.port_uc, live.impi);
		str reason = str_init("Forbidden: the flow of another security association");
		return slb.freply(msg, 403, &reason) == 1 ? R_REJECTED : R_INTERNAL;
	}
	unsigned in_progress = sa_store_count_ue(store, r.ue_ip, SA_OFFERED | SA_PENDING);
	if (in_progress >= (unsigned)max_offers_per_ue) {
		unsigned dropped =
		        sa_store_retire(store, r.ue_ip, -1, SA_OFFERED | SA_PENDING, r.created);
		update_stat(st_offers_dropped, dropped);
		LM_NOTICE(
		        "REGISTER from %s: %u registrations in progress (max_offers_per_ue %d): the earlier offers are dropped\n",
		        r.ue_ip, in_progress, max_offers_per_ue);
	}
	if (sa_store_add(store, &r) < 0) {
		LM_ERR("REGISTER from %s: SA table full (max_sas %d)\n", presec_src_ip(msg),
		       max_sas);
		return R_INTERNAL;
	}
	update_stat(st_offers, 1);
	LM_INFO("REGISTER from %s for %s: offer %s/%s, spi_uc %u spi_us %u port_uc %u port_us %u\n",
	        r.ue_ip, r.impi, sec_alg_name(r.combo.alg), sec_ealg_name(r.combo.ealg), r.spi_uc,
	        r.spi_us, r.port_uc, r.port_us);
	return R_OFFER;
}

/* Does the Security-Client still carry the SPIs and ports of record r? */
static int offer_is(const struct sec_list *client, const struct sa_rec *r)
{
	for (unsigned i = 0; i < client->n; i++) {
		const struct sec_mech *m = &client->m[i];
		if (m->type == SEC_MECH_IPSEC_3GPP && m->spi_c == r->spi_uc &&
		    m->spi_s == r->spi_us && m->port_c == r->port_uc && m->port_s == r->port_us)
			return 1;
	}
	return 0;
}

static int sec_agree_register(struct sip_msg *msg)
{
	struct reg_headers h;
	int protected_port = msg->rcv.dst_port == port_ps;
	int rc = take_sec_headers(msg, &h);

	if (rc < 0) {
		LM_NOTICE("REGISTER from %s: malformed %s: %s\n", presec_src_ip(msg),
		          rc == -2 ? "Security-Verify" : "Security-Client", h.why);
		if (!protected_port && rc == -1) {
			update_stat(st_no_acceptable, 1);
			return reply_494(msg) == 1 ? R_REJECTED : R_INTERNAL;
		}
		if (!protected_port)
			return R_INTERNAL;
	}
	if (protected_port) {
		struct sa_rec r;
		char have[SA_SERVER_MAX];
		char cid[SA_CALLID_MAX];
		copy_str(cid, sizeof(cid), &msg->callid->body);
		int id = sa_store_by_ue_client(store, presec_src_ip(msg), msg->rcv.src_port, cid,
		                               time(NULL), &r);
		if (id < 0) {
			if (refused_already(msg))
				return 0; /* the script ends: nothing sent, nothing logged */
			update_stat(st_unprotected, 1);
			close_after_refusal(msg);
			LM_NOTICE("REGISTER on the protected port from %s:%u, which has no SA%s\n",
			          presec_src_ip(msg), msg->rcv.src_port, closing(msg));
			return R_NOT_PROTECTED;
		}
		/* RFC 3329 2.3.1 / TS 33.203 7.2 (SM7): Security-Verify must repeat our
		 * Security-Server, or a man in the middle may have bid the algorithms down */
		struct sec_list sent;
		memset(&sent, 0, sizeof(sent));
		if (rc < 0 || h.n_verify == 0 ||
		    sec_parse(r.server, strlen(r.server), &sent, NULL) != SEC_OK ||
		    !sec_list_equal(&sent, &h.verify)) {
			update_stat(st_verify_mismatch, 1);
			if (sec_print_list(&h.verify, have, sizeof(have)) < 0)
				strcpy(have, "?");
			LM_NOTICE(
			        "REGISTER from %s:%u for %s: Security-Verify (%s) does not match the Security-Server sent: SAs deleted, 494\n",
			        presec_src_ip(msg), msg->rcv.src_port, r.impi,
			        h.n_verify ? have : "absent");
			drop_record(&r);
			return reply_494(msg) == 1 ? R_REJECTED : R_INTERNAL;
		}
		update_stat(st_verified, 1);
		if (check_identities(msg, &r) != 0 || check_contacts(msg, &r, &h) != 0 ||
		    check_answer(msg, &r) != 0)
			return reply_403(msg) == 1 ? R_REJECTED : R_INTERNAL;
		if (mark_authorization(msg, "yes") != 0)
			return R_INTERNAL;
		replies_inside_sa(msg);
		keep_protected_connection(msg);
		/* TS 24.229 5.1.1.2: SM7 repeats the Security-Client of SM1; TS 33.203 7.4: a
		 * re-registration over the SA offers new SPIs, which starts new SAs */
		if (h.n_client && !offer_is(&h.client, &r)) {
			rc = new_offer(msg, &h);
			if (rc == R_INTERNAL || rc == R_REJECTED)
				return rc; /* a reply (494, 403) went to the UE: not forwarded */
		}
		return R_PROTECTED;
	}
	if (h.n_client == 0) {
		if (h.required) {
			update_stat(st_no_acceptable, 1);
			LM_NOTICE(
			        "REGISTER from %s requires sec-agree without Security-Client: 494\n",
			        presec_src_ip(msg));
			return reply_494(msg) == 1 ? R_REJECTED : R_INTERNAL;
		}
		return R_NO_SEC_AGREE;
	}
	rc = new_offer(msg, &h);
	if (rc == R_OFFER && mark_authorization(msg, "no") != 0)
		return R_INTERNAL;
	return rc;
}

/* ---- sec_agree_reply (onreply_route of the REGISTER transaction) ---- */
static unsigned int reply_expires(struct sip_msg *msg)
{
	unsigned int best = 0;
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return 0;
	for (struct hdr_field *f = msg->headers; f; f = f->next) {
		contact_t *c;
		if (f->type != HDR_CONTACT_T || parse_contact(f) < 0 || !f->parsed)
			continue;
		for (c = ((contact_body_t *)f->parsed)->contacts; c; c = c->next) {
			unsigned int v = 0;
			if (c->expires && c->expires->body.len > 0 &&
			    str2int(&c->expires->body, &v) == 0 && v > best)
				best = v;
		}
	}
	return best;
}

/* The REGISTER a reply answers, as tm keeps it (onreply_route), or NULL. */
static struct sip_msg *tx_request(void)
{
	struct cell *t = tmb.t_gett ? tmb.t_gett() : NULL;
	return t && t != T_UNDEFINED ? t->uas.request : NULL;
}

/* The SA record of the REGISTER a reply answers (in `states`); id or -1. TS 33.203 7.1: which
 * SAs a reply belongs to follows from where its REGISTER came from (the SA it arrived over, or
 * the UE address of an unprotected one), never from the Call-ID alone, which any UE can
 * write: another UE's SAs are not refreshed, activated or deleted by someone else's reply. */
static int reply_record(struct sip_msg *reply, unsigned states, struct sa_rec *r)
{
	char cid[SA_CALLID_MAX], ip[SA_IP_MAX];
	struct sip_msg *req = tx_request();
	int id;

	copy_str(cid, sizeof(cid), &reply->callid->body);
	if (!req) /* not relayed statefully (README: tm): the Call-ID is all there is */
		return sa_store_by_call_id(store, cid, states, r);
	snprintf(ip, sizeof(ip), "%s", ip_addr2a(&req->rcv.src_ip));
	/* an offer is found by its Call-ID (there is no SA yet), among the sender's records */
	if (req->rcv.dst_port != port_ps || (states & SA_OFFERED))
		return sa_store_by_call_id_from(store, cid, ip, states, r);
	id = sa_store_by_ue_client(store, ip, req->rcv.src_port, cid, time(NULL), r);
	return id >= 0 && (r->state & states) ? id : -1;
}

static int install_on_401(struct sip_msg *msg, const str *call_id)
{
	struct sa_rec r;
	struct hdr_field *www = NULL;
	uint8_t ck[16], ik[16], auth_key[20], enc_key[24];
	size_t auth_len = 0, enc_len = 0;
	char body[2048], list[SA_SERVER_MAX], hdr[SA_SERVER_MAX + 32];
	char cid[SA_CALLID_MAX];
	const char *why = NULL;
	int id, n, rc = -1;

	copy_str(cid, sizeof(cid), call_id);
	for (struct hdr_field *f = msg->headers; f; f = f->next)
		if (f->type == HDR_WWW_AUTHENTICATE_T) {
			www = f;
			break;
		}
	if ((id = reply_record(msg, SA_OFFERED, &r)) < 0) {
		/* no new SAs to set up (a re-challenge over existing SAs, or a UE without
		 * sec-agree), but CK and IK still never go past the P-CSCF */
		if (www && (n = auth_take_ck_ik(www->body.s, (size_t)www->body.len, body,
		                                sizeof(body), ck, ik, &why)) >= 0) {
			rc = presec_hdr_replace_body(msg, www, body, (size_t)n) == 0 ? 1 : -1;
			goto out;
		}
		return 1;
	}
	if (!www || (n = auth_take_ck_ik(www->body.s, (size_t)www->body.len, body, sizeof(body), ck,
	                                 ik, &why)) < 0) {
		update_stat(st_no_keys, 1);
		LM_ERR("401 for %s (Call-ID %s): %s; no SA for this UE\n", r.impi, cid,
		       www ? why : "no WWW-Authenticate");
		drop_record(&r);
		return RP_NO_SA;
	}
	/* the keys go no further than this process: not to the UE, not to the log */
	if (presec_hdr_replace_body(msg, www, body, (size_t)n) != 0)
		goto fail;
	if (sa_store_assign_spis(store, id, spi_cursor, (uint32_t)spi_min, (uint32_t)spi_max) !=
	            0 ||
	    sa_store_get(store, id, SA_OFFERED, &r) != 0) {
		update_stat(st_install_failed, 1);
		LM_ERR("cannot set up SAs for %s (%s): no free SPI in [%d, %d]\n", r.impi, r.ue_ip,
		       spi_min, spi_max);
		goto fail;
	}
	if (sec_expand_keys(r.combo.alg, r.combo.ealg, ck, ik, auth_key, &auth_len, enc_key,
	                    &enc_len) != 0)
		goto fail;
	if (print_server(&r, list, sizeof(list)) < 0)
		goto fail;
	strcpy(r.server, list);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* TS 33.203 7.4: a re-registration's set may share flows with the UE's current one */
	struct sa_rec current;
	int has_current = sa_store_newest_installed(store, r.ue_ip, &current) >= 0;
	int irc = backend->install(&r, has_current ? &current : NULL, auth_key, auth_len, enc_key,
	                           enc_len, pending_lifetime);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long install_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	if (irc != 0) {
		update_stat(st_install_failed, 1);
		LM_ERR("cannot install the SAs for %s (%s), spis %u/%u/%u/%u: %s\n", r.impi,
		       r.ue_ip, r.spi_ps, r.spi_uc, r.spi_pc, r.spi_us, strerror(errno));
		goto fail;
	}
	r.installed = 1;
	r.state = SA_PENDING;
	r.expires = time(NULL) + pending_lifetime;
	if (sa_store_put(store, id, &r) != 0)
		goto fail;
	n = snprintf(hdr, sizeof(hdr), "Security-Server: %s\r\n", list);
	if (n < 0 || (size_t)n >= sizeof(hdr) || presec_hdr_add(msg, hdr, (size_t)n) != 0)
		goto fail;
	update_stat(st_installed, 1);
	LM_INFO("SAs for %s: %s/%s, UE %s ports %u/%u spis %u/%u, P-CSCF ports %u/%u spis %u/%u, installed by %s in %ld us\n",
	        r.impi, sec_alg_name(r.combo.alg), sec_ealg_name(r.combo.ealg), r.ue_ip, r.port_uc,
	        r.port_us, r.spi_uc, r.spi_us, r.port_pc, r.port_ps, r.spi_pc, r.spi_ps,
	        backend->name, install_us);
	rc = 1;
	goto out;
fail:
	/* TS 33.203 7.1: the UE cannot go on without the SAs; -2 lets the configuration answer
	 * the REGISTER with an error instead of a challenge nobody can use */
	drop_record(&r);
	rc = RP_NO_SA;
out:
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(ik, sizeof(ik));
	OPENSSL_cleanse(auth_key, sizeof(auth_key));
	OPENSSL_cleanse(enc_key, sizeof(enc_key));
	return rc;
}

static int sec_agree_reply(struct sip_msg *msg)
{
	int code = msg->first_line.u.reply.statuscode;
	struct cseq_body *cs;
	struct sa_rec r;
	int id;

	if (parse_headers(msg, HDR_EOH_F, 0) < 0 || !msg->callid || !msg->cseq)
		return -1;
	cs = get_cseq(msg);
	if (cs->method.len != 8 || strncasecmp(cs->method.s, "REGISTER", 8) != 0)
		return 1;
	if (code == 401)
		return install_on_401(msg, &msg->callid->body);
	if (code < 200)
		return 1;
	if ((id = reply_record(msg, SA_PENDING | SA_ACTIVE, &r)) < 0)
		return 1;
	if (code >= 300) {
		/* TS 33.203 7.1: the temporary SAs go when authentication fails */
		if (r.state == SA_PENDING) {
			LM_NOTICE("REGISTER of %s failed with %d: pending SAs deleted\n", r.impi,
			          code);
			drop_record(&r);
		}
		return 1;
	}
	unsigned int exp = reply_expires(msg);
	if (exp == 0) {
		/* de-registration: every SA of this UE goes, once this 200 has gone to the UE
		 * over them (TS 33.203 7.4); the timer deletes retired SAs within a second */
		LM_INFO("%s de-registered: SAs deleted\n", r.impi);
		sa_store_retire(store, r.ue_ip, -1, SA_PENDING | SA_ACTIVE, time(NULL) + 1);
		return 1;
	}
	/* TS 33.203 7.1: the SAs live as long as the registration, plus a margin */
	r.state = SA_ACTIVE;
	/* TS 24.229 / RFC 3261 18.1.1: a UE that registered over TCP gets its requests over TCP
	 * (from port_pc to port_us); one that registered over UDP gets them over UDP unless
	 * they are too large */
	struct sip_msg *req = tx_request();
	r.ue_tcp = req && req->rcv.proto == PROTO_TCP;
	r.expires = time(NULL) + exp + lifetime_margin;
	if (r.installed && backend->update_lifetime(&r, exp + lifetime_margin) != 0)
		LM_WARN("cannot extend the SA lifetime of %s in the kernel\n", r.impi);
	sa_store_put(store, id, &r);
	/* TS 33.203 7.4: the older SAs of the UE are kept only for messages already on the way */
	if (sa_store_retire(store, r.ue_ip, id, SA_ACTIVE, time(NULL) + retire_grace) > 0)
		LM_INFO("older SAs of %s (%s) retire in %ds\n", r.impi, r.ue_ip, retire_grace);
	return 1;
}

/* ---- requests after registration ---- */
/* TS 33.203 7.2: a UE sends other requests over its SAs once SM8 confirmed them; the pending
 * SAs of a 401 only say that someone asked for a challenge under an IMPI (with the record
 * backend: from that address and port), so nothing but the REGISTER answering it goes over
 * them. A request is taken to come over the active (else retiring) SAs of its flow, never
 * over a newer pending set someone else asked for at the same address and port. */
static int sec_agree_check_protected(struct sip_msg *msg)
{
	struct sa_rec r;
	time_t now = time(NULL);
	if (msg->rcv.dst_port == port_ps &&
	    sa_store_by_ue_flow(store, presec_src_ip(msg), msg->rcv.src_port, now, &r) >= 0) {
		replies_inside_sa(msg);
		keep_protected_connection(msg);
		return 1;
	}
	if (refused_already(msg))
		return 0; /* the script ends: nothing sent, nothing logged */
	update_stat(st_unprotected, 1);
	close_after_refusal(msg);
	if (msg->rcv.dst_port == port_ps &&
	    sa_store_by_ue_client(store, presec_src_ip(msg), msg->rcv.src_port, NULL, now, &r) >= 0)
		LM_NOTICE(
		        "%.*s from %s:%u over the pending SAs of %s, not confirmed by a 200: refused%s\n",
		        msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		        presec_src_ip(msg), msg->rcv.src_port, r.impi, closing(msg));
	else
		LM_NOTICE("%.*s from %s:%u to port %u did not arrive over an SA%s\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg), msg->rcv.src_port, msg->rcv.dst_port, closing(msg));
	return -1;
}

/* ---- sec_agree_check_reply (onreply_route) ---- */
/* A response belongs to the SA its request went over (sa_reply_check()): the branch of the
 * transaction the response matched names where that request went. */
static int sec_agree_check_reply(struct sip_msg *msg)
{
	struct sa_reply_in in;
	struct sa_rec r;
	struct ip_addr dst;
	const char *why = NULL;
	char ip[SA_IP_MAX];
	struct cell *t;
	int b;

	if (!store || msg->first_line.type != SIP_REPLY)
		return -1;
	memset(&in, 0, sizeof(in));
	in.rcv_port = msg->rcv.dst_port;
	in.port_pc = (unsigned)port_pc;
	t = tmb.t_gett ? tmb.t_gett() : NULL;
	b = tmb.t_gett_branch ? tmb.t_gett_branch() : -1;
	if (t && t != T_UNDEFINED && b >= 0 && b < t->nr_of_outgoings) {
		union sockaddr_union *to = &t->uac[b].request.dst.to;
		su2ip_addr(&dst, to);
		snprintf(ip, sizeof(ip), "%s", ip_addr2a(&dst));
		in.to_ue = sa_store_by_ue_server(store, ip, su_getport(to), time(NULL), &r) >= 0;
		in.from_ue_server =
		        ip_addr_cmp(&dst, &msg->rcv.src_ip) && msg->rcv.src_port == su_getport(to);
	}
	in.src_is_ue = sa_store_count_ue(store, presec_src_ip(msg),
	                                 SA_PENDING | SA_ACTIVE | SA_RETIRING) > 0;
	if (sa_reply_check(&in, &why) == SA_REPLY_OK)
		return 1;
	update_stat(st_reply_outside, 1);
	/* a connection to a protected port that carries a forged response is nobody's flow:
	 * the core closes it at its next timer run */
	int close = msg->rcv.proto == PROTO_TCP &&
	            (msg->rcv.dst_port == port_ps || msg->rcv.dst_port == port_pc);
	if (close)
		set_connection_lifetime(msg, 0);
	LM_NOTICE("%d response from %s:%u (%s) to port %u dropped: %s%s\n",
	          msg->first_line.u.reply.statuscode, presec_src_ip(msg), msg->rcv.src_port,
	          msg->rcv.proto == PROTO_TCP ? "tcp" : "udp", msg->rcv.dst_port, why,
	          close ? ": connection closed" : "");
	return -1;
}

/* ---- the API other modules bind (presec/sec_agree_api.h) ---- */
static void flow_of(const struct sa_rec *r, struct sec_agree_flow *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->ue_ip, sizeof(out->ue_ip), "%s", r->ue_ip);
	snprintf(out->impi, sizeof(out->impi), "%s", r->impi);
	snprintf(out->impu, sizeof(out->impu), "%s", r->impu);
	out->port_uc = r->port_uc;
	out->port_us = r->port_us;
	out->ealg = (int)r->combo.ealg;
}

/* The SA a request arrived over: the same test as sec_agree_check_protected() */
static int api_request_flow(struct sip_msg *msg, struct sec_agree_flow *out)
{
	struct sa_rec r;
	if (!store || msg->first_line.type != SIP_REQUEST || msg->rcv.dst_port != port_ps ||
	    sa_store_by_ue_flow(store, presec_src_ip(msg), msg->rcv.src_port, time(NULL), &r) < 0)
		return -1;
	flow_of(&r, out);
	return 0;
}

/* kamailio_conf.c (kamailio_sec_agree.h): the same lookup */
int sec_agree_request_flow(struct sip_msg *msg, struct sec_agree_flow *out)
{
	return api_request_flow(msg, out);
}

/* The SA the answered REGISTER arrived over (none for an unprotected one) */
static int api_reply_flow(struct sip_msg *msg, struct sec_agree_flow *out)
{
	struct sa_rec r;
	struct sip_msg *req = tx_request();
	if (!store || msg->first_line.type != SIP_REPLY || !req || req->rcv.dst_port != port_ps ||
	    parse_headers(msg, HDR_CALLID_F, 0) < 0 || !msg->callid ||
	    reply_record(msg, SA_PENDING | SA_ACTIVE | SA_RETIRING, &r) < 0)
		return -1;
	flow_of(&r, out);
	return 0;
}

static int api_on_flow_gone(void (*fn)(const struct sec_agree_flow *flow))
{
	flow_gone = fn;
	return 0;
}

static int bind_sec_agree(sec_agree_api_t *api)
{
	if (!api)
		return -1;
	api->request_flow = api_request_flow;
	api->reply_flow = api_reply_flow;
	api->on_flow_gone = api_on_flow_gone;
	return 0;
}

/* The active SA towards the UE a request targets (its destination or R-URI): the SA of the
 * very contact, address and protected server port, so that another UE at that address is not
 * reached over its SA (TS 33.203 7.1). 0, -1 (logged). */
static int target_sa_uri(struct sip_msg *msg, struct sa_rec *r, struct sip_uri *uri)
{
	struct sip_uri u;
	str *target = msg->dst_uri.len ? &msg->dst_uri : GET_RURI(msg);
	char ip[SA_IP_MAX];
	str host;

	if (parse_uri(target->s, target->len, &u) < 0 || u.host.len >= (int)sizeof(ip)) {
		LM_ERR("cannot parse the target %.*s\n", target->len, target->s);
		return -1;
	}
	/* an IPv6 reference is in brackets in a URI, not in the SA table */
	host = u.host;
	if (host.len >= 2 && host.s[0] == '[' && host.s[host.len - 1] == ']') {
		host.s++;
		host.len -= 2;
	}
	copy_str(ip, sizeof(ip), &host);
	if (uri)
		*uri = u;
	uint16_t port_us = u.port_no ? u.port_no : SIP_PORT;
	if (sa_store_by_ue_server(store, ip, port_us, time(NULL), r) < 0) {
		LM_NOTICE("no active SA towards %s:%u: not sent\n", ip, port_us);
		return -1;
	}
	return 0;
}

static int target_sa(struct sip_msg *msg, struct sa_rec *r)
{
	return target_sa_uri(msg, r, NULL);
}

int sec_agree_target_flow(struct sip_msg *msg, struct sec_agree_flow *out)
{
	struct sa_rec r;
	if (!store || msg->first_line.type != SIP_REQUEST || target_sa(msg, &r) != 0)
		return -1;
	flow_of(&r, out);
	return 0;
}

/* Requests towards a UE leave from our protected client port to its protected server port
 * (TS 33.203 7.1), over the SA pair set up for that: over UDP, or over TCP (a connection from
 * port_pc to port_us, reused while it is open and opened again from port_pc when it is not)
 * when the UE registered over TCP, its Contact asks for TCP or the request is too large for
 * UDP (RFC 3261 18.1.1; the core's udp_mtu moves one that grows on the way, to the TCP socket
 * of port_pc: mod_init checks it exists). */
static int sec_agree_forward_to_ue(struct sip_msg *msg)
{
	char uri[128];
	struct sa_rec r;
	struct sip_uri u;
	struct socket_info *si, *tcp_si;
	const char *why = NULL;
	struct sa_to_ue in;
	int tp, n;

	if (target_sa_uri(msg, &r, &u) != 0)
		return -1;
	str host = {r.pcscf_ip, (int)strlen(r.pcscf_ip)};
	if (!(si = grep_sock_info(&host, (unsigned short)port_pc, PROTO_UDP))) {
		LM_ERR("no udp socket on %s:%d (listen= the protected client port)\n", r.pcscf_ip,
		       port_pc);
		return -1;
	}
	tcp_si = tcp_disable ? NULL : grep_sock_info(&host, (unsigned short)port_pc, PROTO_TCP);
	memset(&in, 0, sizeof(in));
	in.ue_tcp = r.ue_tcp;
	in.target = sa_uri_transport(u.transport_val.s, (size_t)u.transport_val.len);
	in.size = (size_t)msg->len;
	in.udp_max = cfg_get(core, core_cfg, udp_mtu);
	in.tcp_on_pc = tcp_si != NULL;
	in.reuse_port = !tcp_disable && cfg_get(tcp, tcp_cfg, reuse_port);
	if ((tp = sa_transport_to_ue(&in, &why)) < 0) {
		LM_ERR("%.*s towards %s:%u (SA of %s) not sent: %s\n",
		       msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		       r.ue_ip, r.port_us, r.impi, why);
		return -1;
	}
	/* an IPv6 address goes into the URI in brackets */
	const char *lb = strchr(r.ue_ip, ':') ? "[" : "", *rb = *lb ? "]" : "";
	n = snprintf(uri, sizeof(uri), "sip:%s%s%s:%u%s", lb, r.ue_ip, rb, r.port_us,
	             tp == SA_TP_TCP ? ";transport=tcp" : "");
	if (n < 0 || (size_t)n >= sizeof(uri))
		return -1;
	str d = {uri, n};
	if (set_dst_uri(msg, &d) != 0)
		return -1;
	/* with tcp_reuse_port the core binds a new connection to this socket's address and port
	 * and reuses only a connection whose local port is port_pc */
	set_force_socket(msg, tp == SA_TP_TCP ? tcp_si : si);
	return 1;
}

/* ---- sec_agree_impi: whose SA, for binding a dialog to it ---- */
/* The IMPI of the SA a request arrived over or, for a request towards a UE (after
 * sec_agree_forward_to_ue()), of the SA it goes over. The UE's requests in a dialog come over
 * an SA of that IMPI (a re-registration's new SAs keep it, TS 33.203 7.4), so the P-CSCF binds
 * its Record-Route entry to it and no other subscriber can act in the dialog over her own SA. */
static int sa_impi(struct sip_msg *msg, pv_spec_t *dst)
{
	struct sa_rec r;
	pv_value_t v;

	if (msg->first_line.type != SIP_REQUEST)
		return -1;
	/* a UE's request over its SA first; the S-CSCF's requests reach us on port_ps too (the
	 * Path names it), and have the SA of the UE they go to */
	if ((msg->rcv.dst_port != port_ps ||
	     sa_store_by_ue_flow(store, presec_src_ip(msg), msg->rcv.src_port, time(NULL), &r) <
	             0) &&
	    target_sa(msg, &r) != 0)
		return -1;
	if (!r.impi[0])
		return -1;
	memset(&v, 0, sizeof(v));
	v.flags = PV_VAL_STR;
	v.rs.s = r.impi;
	v.rs.len = (int)strlen(r.impi);
	return dst->setf(msg, &dst->pvp, (int)EQ_T, &v) < 0 ? -1 : 1;
}

static int w_impi(struct sip_msg *msg, char *dst, char *unused)
{
	(void)unused;
	return sa_impi(msg, (pv_spec_t *)dst);
}

static int fixup_impi(void **param, int param_no)
{
	if (fixup_pvar_null(param, param_no) != 0)
		return -1;
	if (!((pv_spec_t *)*param)->setf) {
		LM_ERR("sec_agree_impi(): the parameter must be a writable variable\n");
		return -1;
	}
	return 0;
}

static int ki_impi(struct sip_msg *msg, str *pvname)
{
	pv_spec_t *dst = pv_cache_get(pvname);
	if (!dst || !dst->setf) {
		LM_ERR("sec_agree_impi(): %.*s is not a writable variable\n", pvname->len,
		       pvname->s);
		return -1;
	}
	return sa_impi(msg, dst);
}

/* ---- cfg wrappers ---- */
PRESEC_CFG_WRAP0(w_register, sec_agree_register)
PRESEC_CFG_WRAP0(w_reply, sec_agree_reply)
PRESEC_CFG_WRAP0(w_check, sec_agree_check_protected)
PRESEC_CFG_WRAP0(w_to_ue, sec_agree_forward_to_ue)
PRESEC_CFG_WRAP0(w_check_reply, sec_agree_check_reply)
PRESEC_CFG_WRAP0(w_mark_confidential, sec_agree_mark_confidential)
PRESEC_CFG_WRAP0(w_to_ue_confidential, sec_agree_to_ue_confidential)

/* ---- RPC ---- */
struct rpc_walk {
	rpc_t *rpc;
	void *ctx;
	time_t now;
};

static const char *state_name(enum sa_state s)
{
	switch (s) {
	case SA_OFFERED:
		return "offered";
	case SA_PENDING:
		return "pending";
	case SA_ACTIVE:
		return "active";
	case SA_RETIRING:
		return "retiring";
	}
	return "?";
}

static void rpc_list_one(int id, const struct sa_rec *r, void *arg)
{
	struct rpc_walk *w = arg;
	void *th;
	(void)id;
	/* no key leaves the process: the store has none */
	if (w->rpc->add(w->ctx, "{", &th) < 0)
		return;
	w->rpc->struct_add(th, "sssss", "impi", r->impi, "impu", r->impu, "state",
	                   state_name(r->state), "ue_ip", r->ue_ip, "alg",
	                   sec_alg_name(r->combo.alg));
	w->rpc->struct_add(th, "sdddd", "ealg", sec_ealg_name(r->combo.ealg), "port_uc", r->port_uc,
	                   "port_us", r->port_us, "port_pc", r->port_pc, "port_ps", r->port_ps);
	w->rpc->struct_add(th, "uuuuds", "spi_uc", r->spi_uc, "spi_us", r->spi_us, "spi_pc",
	                   r->spi_pc, "spi_ps", r->spi_ps, "expires_in", (int)(r->expires - w->now),
	                   "transport", r->ue_tcp ? "tcp" : "udp");
}

static const char *rpc_list_doc[] = {"List the security associations (no keys).", 0};
static void rpc_list(rpc_t *rpc, void *c)
{
	struct rpc_walk w = {rpc, c, time(NULL)};
	sa_store_foreach(store, rpc_list_one, &w);
}

static int match_impi_or_ip(const struct sa_rec *r, void *arg)
{
	const char *k = arg;
	return strcmp(r->impi, k) == 0 || strcmp(r->ue_ip, k) == 0;
}

static const char *rpc_delete_doc[] = {"Delete the SAs of an IMPI or a UE address.", 0};
static void rpc_delete(rpc_t *rpc, void *c)
{
	str key;
	char k[SA_ID_MAX];
	if (rpc->scan(c, "S", &key) < 1) {
		rpc->fault(c, 400, "IMPI or UE address expected");
		return;
	}
	copy_str(k, sizeof(k), &key);
	rpc->add(c, "d", (int)sa_store_remove_if(store, match_impi_or_ip, k, delete_sas, NULL));
}

static rpc_export_t rpc_cmds[] = {
        {"sec_agree.list", rpc_list, rpc_list_doc, RET_ARRAY},
        {"sec_agree.delete", rpc_delete, rpc_delete_doc, 0},
        {0, 0, 0, 0},
};

/* ---- module interface ---- */
/* Every udp socket on port_pc has a tcp twin (and there is one at least). */
static int tcp_on_port_pc(void)
{
	struct socket_info **udp = get_sock_info_list(PROTO_UDP), *si;
	int n = 0;
	if (tcp_disable)
		return 0;
	for (si = udp ? *udp : NULL; si; si = si->next) {
		if (si->port_no != port_pc)
			continue;
		if (!find_si(&si->address, (unsigned short)port_pc, PROTO_TCP))
			return 0;
		n++;
	}
	return n > 0;
}

/* TS 33.203 7.1: no TCP connection to a UE may leave from outside port_pc */
static int tcp_setup_check(void)
{
	const char *why = NULL;
	int mtu_to_tcp =
	        default_core_cfg.udp_mtu && default_core_cfg.udp_mtu_try_proto == PROTO_TCP;
	if (sa_tcp_setup_check(!tcp_disable, tcp_on_port_pc(), tcp_default_cfg.reuse_port,
	                       tcp_default_cfg.accept_aliases, mtu_to_tcp, &why) == 0)
		return 0;
	LM_ERR("%s\n", why);
	return -1;
}

static int mod_init(void)
{
	struct presec_store_ops ops;
	const char *why = NULL;
	char err[256] = "";
	int n;

	if ((n = sec_policy_parse(algorithms, policy, SEC_MAX_COMBOS, &why)) < 0) {
		LM_ERR("algorithms '%s': %s\n", algorithms, why);
		return -1;
	}
	n_policy = (unsigned)n;
	const struct presec_int_bound bounds[] = {
	        PRESEC_BOUND(port_ps, 1, 65535),     PRESEC_BOUND(port_pc, 1, 65535),
	        PRESEC_BOUND(spi_min, 256, INT_MAX), PRESEC_BOUND(spi_max, spi_min, INT_MAX),
	        PRESEC_BOUND(max_sas, 1, INT_MAX),   PRESEC_BOUND(pending_lifetime, 10, INT_MAX),
	};
	if (presec_check_bounds("sec_agree", bounds, sizeof(bounds) / sizeof(bounds[0])) != 0)
		return -1;
	if (port_ps == port_pc) {
		LM_ERR("port_ps and port_pc must be two different ports, not both %d\n", port_ps);
		return -1;
	}
	if (tcp_setup_check() != 0)
		return -1;
	if (!tcp_disable &&
	    (unsigned long)tcp_max_connections < sa_tcp_connections_for((unsigned long)max_sas))
		LM_WARN("tcp_max_connections %d is fewer than two per SA set (max_sas %d) plus %d: UEs over TCP may find no connection left\n",
		        tcp_max_connections, max_sas, SA_TCP_MARGIN);
	if (!(backend = sa_backend_find(backend_name))) {
		LM_ERR("backend '%s' unknown (record, xfrm)\n", backend_name);
		return -1;
	}
	if (backend->probe(err, sizeof(err)) != 0) {
		LM_ERR("SA backend '%s' cannot work here: %s\n", backend->name, err);
		return -1;
	}
	if (backend->warning)
		LM_WARN("SA backend '%s': %s\n", backend->name, backend->warning);
	if (sl_load_api(&slb) != 0) {
		LM_ERR("cannot bind the sl module (load sl.so first)\n");
		return -1;
	}
	/* a reply's SAs are those of the REGISTER it answers, which tm keeps */
	if (load_tm_api(&tmb) != 0) {
		LM_ERR("cannot bind the tm module (load tm.so first)\n");
		return -1;
	}
	if (presec_shm_store_ops(&ops, &store_lock) != 0) {
		LM_ERR("cannot create the SA store lock\n");
		return -1;
	}
	if (!(store = sa_store_new(&ops, (unsigned)max_sas)) ||
	    !(spi_cursor = shm_malloc(sizeof(*spi_cursor)))) {
		LM_ERR("cannot create the SA store (max_sas %d)\n", max_sas);
		return -1;
	}
	*spi_cursor = (uint32_t)spi_min;
	if (register_module_stats("sec_agree", mod_stats) != 0 ||
	    rpc_register_array(rpc_cmds) != 0 || register_timer(purge_timer, NULL, 1) < 0) {
		LM_ERR("cannot register statistics, RPC commands or the timer\n");
		return -1;
	}
	return 0;
}

static int child_init(int rank)
{
	(void)rank;
	return 0;
}

static void mod_destroy(void)
{
	/* shutting down: the modules told of flows may be gone already */
	flow_gone = NULL;
	if (store) {
		time_t forever = (time_t)1 << 62;
		sa_store_remove_if(store, is_expired, &forever, delete_sas, NULL);
		sa_store_destroy(store);
		store = NULL;
	}
	if (spi_cursor) {
		shm_free(spi_cursor);
		spi_cursor = NULL;
	}
	presec_shm_lock_free(&store_lock);
}

static cmd_export_t cmds[] = {
        {"sec_agree_register", (cmd_function)w_register, 0, 0, 0, REQUEST_ROUTE},
        {"sec_agree_reply", (cmd_function)w_reply, 0, 0, 0, ONREPLY_ROUTE},
        {"sec_agree_check_protected", (cmd_function)w_check, 0, 0, 0, REQUEST_ROUTE},
        {"sec_agree_check_reply", (cmd_function)w_check_reply, 0, 0, 0, ONREPLY_ROUTE},
        {"sec_agree_forward_to_ue", (cmd_function)w_to_ue, 0, 0, 0,
         REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
        {"sec_agree_impi", (cmd_function)w_impi, 1, fixup_impi, fixup_free_pvar_null,
         REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
        /* TR 33.cde 4.5.2: kamailio_conf.c */
        {"sec_agree_mark_confidential", (cmd_function)w_mark_confidential, 0, 0, 0, REQUEST_ROUTE},
        {"sec_agree_to_ue_confidential", (cmd_function)w_to_ue_confidential, 0, 0, 0,
         REQUEST_ROUTE},
        /* Kamailio's find_export() convention; void (*)(void) is the generic function type */
        {"bind_sec_agree", (cmd_function)(void (*)(void))bind_sec_agree, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0},
};

static param_export_t params[] = {
        {"algorithms", PARAM_STRING, &algorithms},
        {"port_ps", INT_PARAM, &port_ps},
        {"port_pc", INT_PARAM, &port_pc},
        {"pcscf_ip", PARAM_STRING, &pcscf_ip},
        {"spi_min", INT_PARAM, &spi_min},
        {"spi_max", INT_PARAM, &spi_max},
        {"max_sas", INT_PARAM, &max_sas},
        {"pending_lifetime", INT_PARAM, &pending_lifetime},
        {"lifetime_margin", INT_PARAM, &lifetime_margin},
        {"retire_grace", INT_PARAM, &retire_grace},
        {"max_offers_per_ue", INT_PARAM, &max_offers_per_ue},
        {"backend", PARAM_STRING, &backend_name},
        {"add_q", INT_PARAM, &add_q},
        {"tcp_protected_lifetime", INT_PARAM, &tcp_protected_lifetime},
        {0, 0, 0},
};

struct module_exports exports = {
        "sec_agree",     /* module name */
        DEFAULT_DLFLAGS, /* dlopen flags */
        cmds,            /* cfg functions */
        params,          /* module parameters */
        0,               /* RPC commands: registered in mod_init */
        0,               /* pseudo-variables */
        0,               /* response function */
        mod_init,        /* module init */
        child_init,      /* per-child init */
        mod_destroy,     /* destroy */
};

static sr_kemi_t sr_kemi_sec_agree_exports[] = {
        PRESEC_KEMI_0("sec_agree", "sec_agree_register", sec_agree_register),
        PRESEC_KEMI_0("sec_agree", "sec_agree_reply", sec_agree_reply),
        PRESEC_KEMI_0("sec_agree", "sec_agree_check_protected", sec_agree_check_protected),
        PRESEC_KEMI_0("sec_agree", "sec_agree_check_reply", sec_agree_check_reply),
        PRESEC_KEMI_0("sec_agree", "sec_agree_forward_to_ue", sec_agree_forward_to_ue),
        PRESEC_KEMI_S("sec_agree", "sec_agree_impi", ki_impi),
        PRESEC_KEMI_0("sec_agree", "sec_agree_mark_confidential", sec_agree_mark_confidential),
        PRESEC_KEMI_0("sec_agree", "sec_agree_to_ue_confidential", sec_agree_to_ue_confidential),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_sec_agree_exports)
