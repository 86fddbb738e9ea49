/* ims_aka: IMS AKA at the S-CSCF (TS 33.203 6.1, TS 24.229 5.4.1.2), the Kamailio glue.
 *
 * The cores (milenage.c, aka.c, digest.c, vstore.c, authreg.c, peer.c) hold every computation
 * and decision; this file adapts them to Kamailio: module parameters, cfg and KEMI functions,
 * the subscriber database, the pending challenges and the authenticated registrations in
 * shared memory, RPC commands and statistics. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/counters.h"
#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/kemi.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/mod_fix.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_ppi_pai.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/pt.h"
#include "core/resolve.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "core/ut.h"
#include "lib/srdb1/db.h"
#include "modules/sl/sl.h"
#include "presec/hex.h"
#include "presec/kamailio_aka.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_db.h"
#include "presec/kamailio_param.h"
#include "presec/kamailio_shm.h"
#include "presec/sql_ident.h"

#include "aka.h"
#include "authreg.h"
#include "avbatch.h"
#include "digest.h"
#include "peer.h"
#include "uri_id.h"
#include "verify.h"
#include "vstore.h"

MODULE_VERSION

/* ---- module parameters ---- */
static str db_url = STR_NULL;
static char *subscriber_table = "ims_subscriber";
static char *impu_table = "ims_impu";
static char *default_algorithm = "AKAv1-MD5";
static int vector_expiry = 30;
static int max_pending = 10000;
static int add_ck_ik = 1;
static int protected_reregistration = 1;
static char *trusted_pcscf = "";
static char *trusted_peers = "";
static int sqn_ind_bits = 5;
static int default_expires = 3600;
static int max_expires = 3600;
static int max_registrations = 65536;
static int av_batch = 1;
static int av_batch_lifetime = 60;
static int sqn_ind = 0;

/* ---- state ---- */
static db_func_t dbf;
static db1_con_t *dbh = NULL; /* per process, opened in child_init */
static sl_api_t slb;
static gen_lock_t *store_lock = NULL;
static struct vstore *store = NULL;
static gen_lock_t *reg_lock = NULL;
static struct authreg *reg = NULL;
static gen_lock_t *batch_lock = NULL;
static struct avbatch *batches = NULL; /* av_batch > 1 only */
static enum aka_algorithm default_alg = AKA_ALG_V1_MD5;

/* trusted_pcscf and trusted_peers, parsed in mod_init (before the fork) */
static struct trust_list pcscf_list, peer_list;

/* What ims_aka_verify() learned about the request being processed, for the functions the script
 * calls after it (P-Associated-URI, stale=TRUE in the next challenge). Per process. */
static struct {
	unsigned int msg_id;
	int msg_pid;
	int valid;
	int stale;
	char impi[VSTORE_IMPI_MAX];
	char impus[VSTORE_IMPUS_MAX];
} ctx;

static struct presec_aka_stats aka_st;
static stat_var *st_successes, *st_protected, *st_fail_impu, *st_refused_untrusted,
        *st_rechallenged, *st_refused_peer, *st_refused_originating, *st_reservations;

static stat_export_t mod_stats[] = {
        PRESEC_AKA_STAT_EXPORTS(aka_st),
        {"successes", 0, &st_successes},
        {"protected_reregistrations", 0, &st_protected},
        {"failures_impu_mismatch", 0, &st_fail_impu},
        {"challenges_refused_untrusted", 0, &st_refused_untrusted},
        {"protected_rechallenged", 0, &st_rechallenged},
        {"requests_refused_peer", 0, &st_refused_peer},
        {"originating_refused", 0, &st_refused_originating},
        {"sqn_reservations", 0, &st_reservations},
        {0, 0, 0},
};

/* expired challenges and registrations go every few seconds */
static void purge_timer(unsigned int ticks, void *param)
{
	(void)ticks;
	(void)param;
	if (store)
		vstore_purge(store, time(NULL));
	if (reg)
		authreg_purge(reg, time(NULL));
	if (batches)
		avbatch_purge(batches, time(NULL));
}

/* ---- helpers ---- */
static int parse_trusted(void)
{
	const char *why = NULL;
	if (aka_peer_list_parse(trusted_pcscf, &pcscf_list, &why) != 0) {
		LM_ERR("trusted_pcscf '%s': %s\n", trusted_pcscf, why);
		return -1;
	}
	if (aka_peer_list_parse(trusted_peers, &peer_list, &why) != 0) {
		LM_ERR("trusted_peers '%s': %s\n", trusted_peers, why);
		return -1;
	}
	if (add_ck_ik && pcscf_list.n == 0)
		LM_WARN("add_ck_ik on and trusted_pcscf empty: every challenge is refused\n");
	return 0;
}

/* The sender's address as text, in the caller's buffer (presec_src_ip's is static). */
static const char *src_of(struct sip_msg *msg, char *buf)
{
	snprintf(buf, AUTHREG_PEER_MAX, "%s", presec_src_ip(msg));
	return buf;
}

static int from_trusted_pcscf(struct sip_msg *msg)
{
	char src[AUTHREG_PEER_MAX];
	return trust_match(&pcscf_list, src_of(msg, src));
}

static void ctx_reset(struct sip_msg *msg)
{
	memset(&ctx, 0, sizeof(ctx));
	ctx.msg_id = msg->id;
	ctx.msg_pid = msg->pid;
}

static int ctx_is_for(struct sip_msg *msg)
{
	return ctx.msg_id == msg->id && ctx.msg_pid == msg->pid;
}

/* The first Digest Authorization header whose realm is ours (RFC 3261 22.4), parsed. Returns
 * 1 found, 0 none, -1 malformed (with *why). */
static int find_credentials(struct sip_msg *msg, const str *realm, struct digest_cred *c,
                            const char **why)
{
	if (parse_headers(msg, HDR_EOH_F, 0) < 0) {
		*why = "cannot parse the headers";
		return -1;
	}
	for (struct hdr_field *h = msg->headers; h; h = h->next) {
		if (h->type != HDR_AUTHORIZATION_T)
			continue;
		if (digest_parse(h->body.s, (size_t)h->body.len, c, why) != 0)
			return -1;
		if (c->realm.len == (size_t)realm->len &&
		    strncasecmp(c->realm.s, realm->s, realm->len) == 0)
			return 1;
	}
	return 0;
}

/* A URI as the IMPU it names: "sip:user@host" (parameters, port and headers dropped) or
 * "tel:number". */
static int uri_impu(str uri, char *out, size_t outsz)
{
	struct sip_uri u;
	if (parse_uri(uri.s, uri.len, &u) < 0)
		return -1;
	int n;
	if (u.type == TEL_URI_T || u.type == TELS_URI_T)
		n = snprintf(out, outsz, "tel:%.*s", u.user.len, u.user.s);
	else
		n = snprintf(out, outsz, "%s:%.*s@%.*s", u.type == SIPS_URI_T ? "sips" : "sip",
		             u.user.len, u.user.s, u.host.len, u.host.s);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* The IMPU the request registers (To). */
static int to_impu(struct sip_msg *msg, char *out, size_t outsz)
{
	if (parse_to_header(msg) < 0 || !msg->to)
		return -1;
	return uri_impu(get_to(msg)->uri, out, outsz);
}

/* RFC 3261 10.2.1.1 / 10.3: how long the registration this REGISTER asks for lasts
 * (authreg_lifetime: 0 de-registers, -1 changes nothing). A contact's expires that does not
 * parse counts as absent, as the registrar takes it. */
#define LIFETIME_MAX_CONTACTS 32
static long request_lifetime(struct sip_msg *msg)
{
	long ce[LIFETIME_MAX_CONTACTS], hdr = -1;
	unsigned n = 0;
	int star = 0;

	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	if (msg->expires && (msg->expires->parsed || parse_expires(msg->expires) == 0)) {
		exp_body_t *eb = (exp_body_t *)msg->expires->parsed;
		if (eb && eb->valid)
			hdr = (long)eb->val;
	}
	for (struct hdr_field *h = msg->contact; h; h = next_sibling_hdr(h)) {
		if (!h->parsed && parse_contact(h) < 0)
			return -1;
		contact_body_t *cb = (contact_body_t *)h->parsed;
		if (cb->star)
			star = 1;
		for (contact_t *c = cb->contacts; c && n < LIFETIME_MAX_CONTACTS; c = c->next) {
			unsigned int v;
			ce[n++] = c->expires && c->expires->body.len > 0 &&
			                          str2int(&c->expires->body, &v) == 0
			                  ? (long)v
			                  : -1;
		}
	}
	return authreg_lifetime(ce, n, star, hdr, default_expires, max_expires);
}

/* IMPI of the request: the Authorization username (TS 24.229 5.1.1.2.1), else derived from the
 * To IMPU the way TS 23.003 13.3 derives it when the IMPI is not otherwise known. */
static int request_impi(struct sip_msg *msg, const str *realm, char *out, size_t outsz)
{
	struct digest_cred c;
	const char *why = NULL;
	int r = find_credentials(msg, realm, &c, &why);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (c.username.len >= outsz)
			return -1;
		memcpy(out, c.username.s, c.username.len);
		out[c.username.len] = '\0';
	} else {
		struct sip_uri u;
		if (parse_to_header(msg) < 0 || !msg->to)
			return -1;
		str uri = get_to(msg)->uri;
		if (parse_uri(uri.s, uri.len, &u) < 0 || u.user.len == 0)
			return -1;
		int n = snprintf(out, outsz, "%.*s@%.*s", u.user.len, u.user.s, u.host.len,
		                 u.host.s);
		if (n <= 0 || (size_t)n >= outsz)
			return -1;
	}
	return digest_impi_valid(out, strlen(out)) ? 0 : -1;
}

/* ---- database ---- */
struct subscriber {
	struct aka_keys keys;
	uint64_t sqn;
	char algorithms[64];
	char impus[VSTORE_IMPUS_MAX];
};

/* One statement that returns the subscriber's secrets, SQN, algorithms and IMPUs. The IMPI has
 * passed digest_impi_valid(), so it holds no quote or backslash. Returns 1 found, 0 not found,
 * -1 error. */
static int db_subscriber(const char *sql, struct subscriber *sub)
{
	db1_res_t *res = NULL;
	int rc = -1;

	if (presec_db_raw(&dbf, dbh, sql, (int)strlen(sql), &res) != 0) {
		LM_ERR("subscriber query failed\n");
		return -1;
	}
	if (RES_ROW_N(res) == 0) {
		rc = 0;
		goto out;
	}
	db_val_t *v = ROW_VALUES(&RES_ROWS(res)[0]);
	if (RES_COL_N(res) != 6 || presec_db_aka_keys(v, &sub->keys, &sub->sqn) ||
	    presec_db_text(&v[4], sub->algorithms, sizeof(sub->algorithms)) ||
	    presec_db_text(&v[5], sub->impus, sizeof(sub->impus))) {
		LM_ERR("subscriber row has an unexpected shape\n");
		goto out;
	}
	rc = 1;
out:
	if (res)
		dbf.free_result(dbh, res);
	return rc;
}

#define SUB_COLUMNS                                                                                \
	"encode(k,'hex'), encode(opc,'hex'), encode(amf,'hex'), sqn::text, "                       \
	"array_to_string(algorithms, ','), "                                                       \
	"(SELECT coalesce(string_agg(impu, ',' ORDER BY position), '') FROM %s i "                 \
	"WHERE i.impi = s.impi)"

/* TS 33.102 C.3.2: each vector takes the next SEQ; one statement reserves the next `count` SEQs
 * and reads the subscriber, so two processes (or two S-CSCFs on one database) never get the
 * same SQN, and the database always holds the highest SEQ reserved: a restart never reuses one
 * (the SEQs a restart leaves unused are a gap, which the USIM accepts, C.2.1). */
static int db_next_vectors(const char *impi, unsigned count, struct subscriber *sub)
{
	char sql[1024];
	int n = snprintf(sql, sizeof(sql),
	                 "UPDATE %s s SET sqn = (((sqn >> %d) + %u) << %d) %% 281474976710656 "
	                 "WHERE impi = '%s' RETURNING " SUB_COLUMNS,
	                 subscriber_table, sqn_ind_bits, count, sqn_ind_bits, impi, impu_table);
	if (n <= 0 || (size_t)n >= sizeof(sql))
		return -1;
	return db_subscriber(sql, sub);
}

static int db_read_subscriber(const char *impi, struct subscriber *sub)
{
	char sql[1024];
	int n = snprintf(sql, sizeof(sql), "SELECT " SUB_COLUMNS " FROM %s s WHERE impi = '%s'",
	                 impu_table, subscriber_table, impi);
	if (n <= 0 || (size_t)n >= sizeof(sql))
		return -1;
	return db_subscriber(sql, sub);
}

/* TS 33.102 6.3.5: after a verified AUTS the HSS sets SQN_HE to SQN_MS; the next vector is
 * fresh for the USIM. Only ever moves forward. */
static int db_resync(const char *impi, uint64_t sqn_ms)
{
	/* the waiting vectors of a batch are stale now, and so is any block reserved before */
	if (batches)
		avbatch_resync(batches, impi, sqn_ms);
	char sql[512];
	db1_res_t *res = NULL;
	int n = snprintf(sql, sizeof(sql),
	                 "UPDATE %s SET sqn = %llu WHERE impi = '%s' RETURNING sqn::text",
	                 subscriber_table, (unsigned long long)sqn_ms, impi);
	if (n <= 0 || (size_t)n >= sizeof(sql) || presec_db_raw(&dbf, dbh, sql, n, &res) != 0)
		return -1;
	int ok = RES_ROW_N(res) == 1;
	dbf.free_result(dbh, res);
	return ok ? 0 : -1;
}

static enum aka_algorithm pick_algorithm(const char *algorithms, enum aka_algorithm asked)
{
	/* the UE's choice when the subscriber may use it, else the operator's default when allowed,
	 * else the subscriber's first algorithm */
	const char *names[] = {NULL, "AKAv1-MD5", "AKAv2-MD5"};
	if ((asked == AKA_ALG_V1_MD5 || asked == AKA_ALG_V2_MD5) &&
	    strstr(algorithms, names[asked]))
		return asked;
	if (strstr(algorithms, names[default_alg]))
		return default_alg;
	return strncmp(algorithms, "AKAv2", 5) == 0 ? AKA_ALG_V2_MD5 : AKA_ALG_V1_MD5;
}

/* ---- ims_aka_challenge ---- */
/* The vector of the next challenge for impi and the subscriber data it needs: from the IMPI's
 * batch when one waits (no statement), else from a new reservation of av_batch SQNs whose
 * vectors are computed now and filed, the first taken like any other. 1, 0 unknown IMPI, -1
 * error. */
static int next_vector(const char *impi, struct avbatch_vec *out, struct avbatch_sub *bs)
{
	struct subscriber sub;
	struct avbatch_vec v[AVBATCH_MAX];
	uint64_t sqns[AVBATCH_MAX];
	unsigned n = (unsigned)av_batch;
	time_t now = time(NULL);
	int rc = -1;

	/* a block a racing process filed above ours may take all of ours: reserve again */
	for (int attempt = 0; attempt < 8; attempt++) {
		if (batches && avbatch_take(batches, impi, now, out, bs) == 1)
			return 1;
		memset(&sub, 0, sizeof(sub));
		int found = db_next_vectors(impi, n, &sub);
		if (found <= 0) {
			OPENSSL_cleanse(&sub, sizeof(sub));
			return found;
		}
		update_stat(st_reservations, 1);
		if (avbatch_block(sub.sqn, n, (unsigned)sqn_ind_bits, (unsigned)sqn_ind, sqns) != 0)
			goto out;
		for (unsigned i = 0; i < n; i++) {
			uint8_t rand[MILENAGE_RAND_LEN];
			v[i].sqn = sqns[i];
			v[i].expires = 0;
			if (RAND_bytes(rand, sizeof(rand)) != 1 ||
			    aka_vector_make(&sub.keys, sqns[i], rand, &v[i].av) != AKA_OK)
				goto out;
		}
		snprintf(bs->algorithms, sizeof(bs->algorithms), "%s", sub.algorithms);
		snprintf(bs->impus, sizeof(bs->impus), "%s", sub.impus);
		/* without batches (av_batch 1), or when the IMPI finds no room, the first vector of
		 * the block goes out at once */
		if (!batches || avbatch_put(batches, impi, bs, v, n, now) < 0) {
			*out = v[0];
			rc = 1;
			goto out;
		}
		OPENSSL_cleanse(&sub, sizeof(sub));
		OPENSSL_cleanse(v, sizeof(v));
	}
	LM_ERR("no fresh vector for %s after eight reservations\n", impi);
out:
	OPENSSL_cleanse(&sub, sizeof(sub));
	OPENSSL_cleanse(v, sizeof(v));
	return rc;
}

static int send_reply(struct sip_msg *msg, int code, char *reason)
{
	str r = {reason, (int)strlen(reason)};
	return slb.freply(msg, code, &r);
}

static int challenge(struct sip_msg *msg, str *realm)
{
	char impi[VSTORE_IMPI_MAX];
	struct avbatch_vec av;
	struct avbatch_sub sub;
	struct vstore_entry e;
	struct digest_cred c;
	const char *why = NULL;
	char hdr[512];
	enum aka_algorithm asked = AKA_ALG_NONE;
	int rc = -1;

	memset(&av, 0, sizeof(av));
	memset(&sub, 0, sizeof(sub));
	memset(&e, 0, sizeof(e));
	if (request_impi(msg, realm, impi, sizeof(impi)) != 0) {
		LM_NOTICE("challenge from %s: no valid IMPI in Authorization or To\n",
		          presec_src_ip(msg));
		update_stat(aka_st.fail_malformed, 1);
		return IMS_AKA_MALFORMED;
	}
	/* TS 24.229 5.4.1.2.1, TS 33.203 6.1: CK and IK go to the P-CSCF only, which takes them out
	 * before the UE sees the challenge; towards anyone else there is no 401 at all (the SAs of
	 * a registration are only ever set up by a P-CSCF), whatever the script checked before */
	if (add_ck_ik && !from_trusted_pcscf(msg)) {
		LM_NOTICE("challenge for %s to %s refused: CK and IK go only to a trusted P-CSCF\n",
		          impi, presec_src_ip(msg));
		update_stat(st_refused_untrusted, 1);
		return IMS_AKA_UNTRUSTED;
	}
	if (find_credentials(msg, realm, &c, &why) == 1)
		asked = c.algorithm;
	int found = next_vector(impi, &av, &sub);
	if (found < 0) {
		update_stat(aka_st.fail_internal, 1);
		return IMS_AKA_INTERNAL;
	}
	if (found == 0) {
		LM_NOTICE("challenge from %s: unknown IMPI %s\n", presec_src_ip(msg), impi);
		update_stat(aka_st.fail_unknown_impi, 1);
		return IMS_AKA_UNKNOWN_IMPI;
	}
	if (vstore_challenge_av(&av.av, impi, sub.impus, pick_algorithm(sub.algorithms, asked),
	                        time(NULL), vector_expiry, &e) != 0) {
		LM_ERR("cannot make an authentication vector for %s\n", impi);
		update_stat(aka_st.fail_internal, 1);
		goto out;
	}
	if (vstore_add(store, &e) != 0) {
		LM_ERR("cannot keep the challenge for %s (max_pending %d reached?)\n", impi,
		       max_pending);
		update_stat(aka_st.fail_internal, 1);
		goto out;
	}
	/* TS 24.229 5.4.1.2.1: towards the P-CSCF the 401 carries CK and IK, which the P-CSCF
	 * removes before the UE sees the challenge */
	int n = digest_www_authenticate(hdr, sizeof(hdr), realm->s, (size_t)realm->len, e.nonce,
	                                e.algorithm, "auth", ctx_is_for(msg) && ctx.stale,
	                                add_ck_ik ? e.av.ck : NULL, add_ck_ik ? e.av.ik : NULL);
	if (n <= 0 || (size_t)n >= sizeof(hdr) || !add_lump_rpl(msg, hdr, n, LUMP_RPL_HDR)) {
		LM_ERR("cannot add WWW-Authenticate for %s\n", impi);
		goto out;
	}
	if (send_reply(msg, 401, "Unauthorized - Challenging the UE") < 0) {
		LM_ERR("cannot send the 401 for %s\n", impi);
		goto out;
	}
	update_stat(aka_st.challenges, 1);
	LM_INFO("challenged %s (%s) from %s\n", impi, aka_algorithm_name(e.algorithm),
	        presec_src_ip(msg));
	rc = 1;
out:
	OPENSSL_cleanse(&av, sizeof(av));
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(hdr, sizeof(hdr));
	return rc;
}

/* ---- ims_aka_verify ---- */
static int db_keys(void *arg, const char *impi, struct aka_keys *keys, char *impus, size_t impus_sz)
{
	struct subscriber sub;
	(void)arg;
	memset(&sub, 0, sizeof(sub));
	int found = db_read_subscriber(impi, &sub);
	if (found == 1) {
		*keys = sub.keys;
		snprintf(impus, impus_sz, "%s", sub.impus);
	}
	OPENSSL_cleanse(&sub, sizeof(sub));
	return found;
}

static int db_resync_cb(void *arg, const char *impi, uint64_t sqn_ms)
{
	(void)arg;
	return db_resync(impi, sqn_ms);
}

static long lifetime_cb(void *arg)
{
	return request_lifetime(arg);
}

/* What each outcome of aka_verify() means to the script, the statistics and the log: the log
 * line reads "<what>[ for <impi>] from <peer>: [<impu> ]<text>[: <why>| with <algorithm>]". */
enum { VLOG_NONE, VLOG_INFO, VLOG_NOTICE };
enum { SHOW_NONE, SHOW_IMPU, SHOW_WHY, SHOW_ALG };
static const struct verify_row {
	int rc;
	stat_var **stat;
	int level, show, stale, asserts;
	const char *what, *text;
} verify_table[AV_OUTCOMES] = {
        [AV_OK] = {IMS_AKA_OK, &st_successes, VLOG_INFO, SHOW_ALG, 0, 1, "Authorization",
                   "authenticated"},
        [AV_PROTECTED] = {IMS_AKA_PROTECTED, &st_protected, VLOG_NONE, SHOW_NONE, 0, 1, "", ""},
        [AV_NO_CREDENTIALS] = {IMS_AKA_NO_CREDENTIALS, NULL, VLOG_NONE, SHOW_NONE, 0, 0, "", ""},
        [AV_PROTECTED_OTHER_PEER] = {IMS_AKA_NO_CREDENTIALS, &st_rechallenged, VLOG_NOTICE,
                                     SHOW_NONE, 0, 0, "protected REGISTER",
                                     "it authenticated through another P-CSCF: challenged"},
        [AV_PROTECTED_NOT_REGISTERED] =
                {IMS_AKA_NO_CREDENTIALS, &st_rechallenged, VLOG_NOTICE, SHOW_NONE, 0, 0,
                 "protected REGISTER",
                 "no AKA of this IMPI through this P-CSCF is registered: challenged"},
        [AV_PROTECTED_UNKNOWN_IMPI] = {IMS_AKA_UNKNOWN_IMPI, &aka_st.fail_unknown_impi, VLOG_NOTICE,
                                       SHOW_NONE, 0, 0, "protected REGISTER", "unknown IMPI"},
        [AV_PROTECTED_IMPU_MISMATCH] = {IMS_AKA_IMPU_MISMATCH, &st_fail_impu, VLOG_NOTICE,
                                        SHOW_IMPU, 0, 0, "protected REGISTER",
                                        "is not an IMPU of this IMPI"},
        [AV_MALFORMED_AUTHORIZATION] = {IMS_AKA_MALFORMED, &aka_st.fail_malformed, VLOG_NOTICE,
                                        SHOW_WHY, 0, 0, "Authorization", "malformed Authorization"},
        [AV_USERNAME_NOT_IMPI] = {IMS_AKA_MALFORMED, &aka_st.fail_malformed, VLOG_NOTICE, SHOW_NONE,
                                  0, 0, "Authorization", "username is not a valid IMPI"},
        [AV_NO_TO_IMPU] = {IMS_AKA_MALFORMED, &aka_st.fail_malformed, VLOG_NOTICE, SHOW_NONE, 0, 0,
                           "Authorization", "cannot read the To IMPU"},
        [AV_NONCE_NOT_BASE64] = {IMS_AKA_MALFORMED, &aka_st.fail_malformed, VLOG_NOTICE, SHOW_NONE,
                                 0, 0, "Authorization", "nonce is not base64"},
        [AV_NONCE_UNKNOWN] = {IMS_AKA_STALE_NONCE, &aka_st.fail_stale, VLOG_NOTICE, SHOW_NONE, 1, 0,
                              "Authorization", "unknown or expired nonce"},
        [AV_NONCE_REPLAYED] = {IMS_AKA_STALE_NONCE, &aka_st.fail_replay, VLOG_NOTICE, SHOW_NONE, 1,
                               0, "Authorization", "replayed nonce"},
        [AV_NONCE_OTHER_IMPI] = {IMS_AKA_STALE_NONCE, &aka_st.fail_stale, VLOG_NOTICE, SHOW_NONE, 1,
                                 0, "Authorization", "another IMPI's nonce"},
        [AV_PARAMS_MISSING] = {IMS_AKA_MALFORMED, &aka_st.fail_malformed, VLOG_NOTICE, SHOW_NONE, 0,
                               0, "Authorization",
                               "qop=auth, nc, cnonce, uri and a 32-digit response are required"},
        [AV_AUTS_NOT_BASE64] = {IMS_AKA_MALFORMED, &aka_st.fail_malformed, VLOG_NOTICE, SHOW_NONE,
                                0, 0, "AUTS", "auts is not 14 octets of base64"},
        [AV_AUTS_WRONG_RESPONSE] = {IMS_AKA_WRONG_RESPONSE, &aka_st.fail_response, VLOG_NOTICE,
                                    SHOW_NONE, 0, 0, "AUTS",
                                    "response is not over the empty password"},
        [AV_AUTS_UNKNOWN_IMPI] = {IMS_AKA_UNKNOWN_IMPI, &aka_st.fail_unknown_impi, VLOG_NOTICE,
                                  SHOW_NONE, 0, 0, "AUTS", "unknown IMPI"},
        [AV_BAD_MAC_S] = {IMS_AKA_BAD_MAC_S, &aka_st.fail_mac_s, VLOG_NOTICE, SHOW_NONE, 0, 0,
                          "AUTS", "MAC-S does not verify"},
        [AV_RESYNCED] = {IMS_AKA_RESYNCED, &aka_st.resyncs, VLOG_INFO, SHOW_NONE, 0, 0, "AUTS",
                         "resynchronised SQN"},
        [AV_WRONG_RES] = {IMS_AKA_WRONG_RESPONSE, &aka_st.fail_response, VLOG_NOTICE, SHOW_NONE, 0,
                          0, "Authorization", "wrong response (RES)"},
        [AV_IMPU_MISMATCH] = {IMS_AKA_IMPU_MISMATCH, &st_fail_impu, VLOG_NOTICE, SHOW_IMPU, 0, 0,
                              "Authorization", "is not one of its IMPUs"},
        [AV_INTERNAL] = {IMS_AKA_INTERNAL, &aka_st.fail_internal, VLOG_NONE, SHOW_NONE, 0, 0, "",
                         ""},
};

/* One log line per outcome, the same shape for all. */
#define VERIFY_LOG_FMT "%s%s%s from %s: %s%s%s%s%s\n"
#define VERIFY_LOG_ARGS                                                                            \
	r->what, res.impi[0] ? " for " : "", res.impi, src, lead, lead[0] ? " " : "", r->text,     \
	        tail[0] ? sep : "", tail

static int verify(struct sip_msg *msg, str *realm)
{
	struct digest_cred c;
	struct aka_verify_result res;
	const char *why = "";
	char src[AUTHREG_PEER_MAX], impu[256] = "";
	struct aka_verify_env env = {
	        .store = store,
	        .reg = reg,
	        .peer = src_of(msg, src),
	        .from_pcscf = from_trusted_pcscf(msg),
	        .protected_reregistration = protected_reregistration,
	        .method = {msg->first_line.u.request.method.s,
	                   (size_t)msg->first_line.u.request.method.len},
	        .now = time(NULL),
	        .arg = msg,
	        .subscriber = db_keys,
	        .resync = db_resync_cb,
	        .lifetime = lifetime_cb,
	};

	ctx_reset(msg);
	int found = find_credentials(msg, realm, &c, &why);
	int have_impu = found == 1 && to_impu(msg, impu, sizeof(impu)) == 0;
	enum aka_verify_outcome o = aka_verify(&env, found, &c, have_impu ? impu : NULL, &res);
	if ((unsigned)o >= AV_OUTCOMES || verify_table[o].rc == 0) {
		/* an outcome without its row would be $rc 0, a silent exit: refuse it instead */
		LM_ERR("aka_verify() outcome %d has no row in verify_table: refused as internal error\n",
		       (int)o);
		return IMS_AKA_INTERNAL;
	}
	const struct verify_row *r = &verify_table[o];

	if (res.protection_ignored)
		LM_NOTICE("integrity-protected from %s ignored: not a trusted P-CSCF\n", src);
	if (res.not_remembered)
		LM_WARN("AKA of %s via %s not remembered: max_registrations %d reached?\n",
		        res.impi, src, max_registrations);
	const char *lead = r->show == SHOW_IMPU ? impu : "";
	const char *sep = r->show == SHOW_ALG ? " with " : ": ";
	const char *tail = r->show == SHOW_WHY   ? why
	                   : r->show == SHOW_ALG ? aka_algorithm_name(res.algorithm)
	                                         : "";
	if (r->level == VLOG_NOTICE)
		LM_NOTICE(VERIFY_LOG_FMT, VERIFY_LOG_ARGS);
	else if (r->level == VLOG_INFO)
		LM_INFO(VERIFY_LOG_FMT, VERIFY_LOG_ARGS);
	if (r->stat)
		update_stat(*r->stat, 1);
	ctx.stale = r->stale;
	if (r->asserts) {
		ctx.valid = 1;
		snprintf(ctx.impi, sizeof(ctx.impi), "%s", res.impi);
		snprintf(ctx.impus, sizeof(ctx.impus), "%s", res.impus);
	}
	return r->rc;
}

/* ---- ims_aka_add_associated_uris ---- */
static int add_associated_uris(struct sip_msg *msg)
{
	char hdr[VSTORE_IMPUS_MAX * 2 + 64];
	size_t n;

	if (!ctx_is_for(msg) || !ctx.valid) {
		LM_ERR("ims_aka_add_associated_uris() needs a successful ims_aka_verify() first\n");
		return -1;
	}
	/* TS 24.229 5.4.1.2.2: P-Associated-URI lists the registered IMPU's set, in order */
	n = (size_t)snprintf(hdr, sizeof(hdr), "P-Associated-URI: ");
	for (const char *p = ctx.impus; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int w = snprintf(hdr + n, sizeof(hdr) - n, "%s<%.*s>", p == ctx.impus ? "" : ", ",
		                 (int)len, p);
		if (w < 0 || (size_t)w >= sizeof(hdr) - n)
			return -1;
		n += (size_t)w;
		if (!e)
			break;
		p = e + 1;
	}
	if (n + 3 > sizeof(hdr))
		return -1;
	memcpy(hdr + n, "\r\n", 3);
	n += 2;
	return add_lump_rpl(msg, hdr, (int)n, LUMP_RPL_HDR) ? 1 : -1;
}

/* ---- ims_aka_peer ---- */
/* TS 24.229 5.4.1.1, 5.4.3: REGISTER and originating requests only from a P-CSCF of this
 * S-CSCF, terminating ones only from the network elements it trusts; one log line for a
 * refusal. */
static int peer(struct sip_msg *msg)
{
	char src[AUTHREG_PEER_MAX];
	int is_register = msg->first_line.type == SIP_REQUEST &&
	                  msg->first_line.u.request.method_value == METHOD_REGISTER;
	enum aka_peer v = aka_peer_decide(&pcscf_list, &peer_list, src_of(msg, src), is_register);
	if (v == AKA_PEER_UNKNOWN) {
		LM_NOTICE("%.*s from %s refused: not a P-CSCF or trusted peer of this S-CSCF\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          src);
		update_stat(st_refused_peer, 1);
	} else if (v == AKA_PEER_REGISTER_REFUSED) {
		LM_NOTICE("REGISTER from %s refused: users register only through a P-CSCF\n", src);
		update_stat(st_refused_peer, 1);
	}
	return (int)v;
}

/* ---- ims_aka_check_originating ---- */
/* TS 24.229 5.4.3.2: the served user of an originating request is the identity the P-CSCF
 * asserted (RFC 3325), never the From the UE wrote; every asserted identity must be an IMPU of
 * one IMPI registered through this same P-CSCF. */
static int check_originating(struct sip_msg *msg)
{
	char src[AUTHREG_PEER_MAX], impu[AUTHREG_IMPI_MAX], impi[AUTHREG_IMPI_MAX],
	        first_impi[AUTHREG_IMPI_MAX] = "";
	str method = msg->first_line.u.request.method;
	time_t now = time(NULL);
	int rc = IMS_AKA_ORIG_OK;

	src_of(msg, src);
	if (!trust_match(&pcscf_list, src)) {
		LM_NOTICE("%.*s from %s refused: originating requests come only from a P-CSCF\n",
		          method.len, method.s, src);
		rc = IMS_AKA_ORIG_NOT_PCSCF;
		goto out;
	}
	if (parse_pai_header(msg) != 0) {
		int present = msg->pai != NULL;
		LM_NOTICE("%.*s from %s refused: %s (TS 24.229 5.4.3.2)\n", method.len, method.s,
		          src,
		          present ? "malformed P-Asserted-Identity" : "no P-Asserted-Identity");
		rc = present ? IMS_AKA_ORIG_MALFORMED : IMS_AKA_ORIG_NO_ASSERTED;
		goto out;
	}
	for (p_id_body_t *b = get_pai(msg); b; b = b->next) {
		for (int i = 0; i < b->num_ids; i++) {
			enum authreg_verdict v = AUTHREG_UNKNOWN;
			if (uri_impu(b->id[i].uri, impu, sizeof(impu)) != 0) {
				LM_NOTICE("%.*s from %s refused: malformed P-Asserted-Identity\n",
				          method.len, method.s, src);
				rc = IMS_AKA_ORIG_MALFORMED;
				goto out;
			}
			v = authreg_find_impu(reg, impu, strlen(impu), src, now, impi,
			                      sizeof(impi));
			if (v == AUTHREG_OK && (!first_impi[0] || strcmp(first_impi, impi) == 0)) {
				snprintf(first_impi, sizeof(first_impi), "%s", impi);
				continue;
			}
			LM_NOTICE(
			        "%.*s from %s refused: P-Asserted-Identity %s %s\n", method.len,
			        method.s, src, impu,
			        v == AUTHREG_OK
			                ? "belongs to another IMPI than the one asserted before it"
			        : v == AUTHREG_OTHER_PEER
			                ? "is registered through another P-CSCF"
			                : "is not an IMPU registered through this P-CSCF");
			rc = IMS_AKA_ORIG_NOT_REGISTERED;
			goto out;
		}
	}
out:
	if (rc != IMS_AKA_ORIG_OK)
		update_stat(st_refused_originating, 1);
	return rc;
}

/* ---- cfg and KEMI wrappers ---- */
static int realm_of(struct sip_msg *msg, char *p, str *realm)
{
	if (fixup_get_svalue(msg, (gparam_t *)p, realm) != 0 || realm->len == 0) {
		LM_ERR("cannot get the realm parameter\n");
		return -1;
	}
	return 0;
}

static int w_ims_aka_verify(struct sip_msg *msg, char *p1, char *p2)
{
	(void)p2;
	str realm;
	return realm_of(msg, p1, &realm) ? IMS_AKA_INTERNAL : verify(msg, &realm);
}

static int w_ims_aka_challenge(struct sip_msg *msg, char *p1, char *p2)
{
	(void)p2;
	str realm;
	return realm_of(msg, p1, &realm) ? IMS_AKA_INTERNAL : challenge(msg, &realm);
}

static int w_ims_aka_add_associated_uris(struct sip_msg *msg, char *p1, char *p2)
{
	(void)p1;
	(void)p2;
	return add_associated_uris(msg);
}

PRESEC_CFG_WRAP0(w_ims_aka_peer, peer)
PRESEC_CFG_WRAP0(w_ims_aka_check_originating, check_originating)

static int ki_ims_aka_verify(struct sip_msg *msg, str *realm)
{
	return verify(msg, realm);
}
static int ki_ims_aka_challenge(struct sip_msg *msg, str *realm)
{
	return challenge(msg, realm);
}

/* ---- RPC ---- */
struct rpc_walk {
	rpc_t *rpc;
	void *rctx;
	time_t now;
};

static void rpc_list_one(const struct vstore_entry *e, void *arg)
{
	struct rpc_walk *w = arg;
	void *th;
	/* no nonce, vector or key material leaves the process */
	if (w->rpc->add(w->rctx, "{", &th) < 0)
		return;
	w->rpc->struct_add(th, "ssdd", "impi", e->impi, "algorithm",
	                   aka_algorithm_name(e->algorithm), "age", (int)(w->now - e->created),
	                   "expires_in", (int)(e->expires - w->now));
	w->rpc->struct_add(th, "s", "state", e->state == VS_PENDING ? "pending" : "used");
}

static const char *rpc_list_doc[] = {
        "List pending AKA challenges (IMPI, algorithm, age; no secrets).", 0};
static void rpc_list(rpc_t *rpc, void *c)
{
	struct rpc_walk w = {rpc, c, time(NULL)};
	vstore_foreach(store, rpc_list_one, &w);
}

static const char *rpc_flush_doc[] = {"Forget every pending AKA challenge.", 0};
static void rpc_flush(rpc_t *rpc, void *c)
{
	unsigned n = vstore_flush(store);
	rpc->add(c, "d", (int)n);
}

static void rpc_reg_one(const char *impi, const char *pcscf, const char *impus, time_t expires,
                        void *arg)
{
	struct rpc_walk *w = arg;
	void *th;
	if (expires <= w->now || w->rpc->add(w->rctx, "{", &th) < 0)
		return;
	w->rpc->struct_add(th, "sssd", "impi", impi, "pcscf", pcscf, "impus", impus, "expires_in",
	                   (int)(expires - w->now));
}

/* IMPI, P-CSCF, IMPUs and seconds left of each registration; nothing secret */
static const char *rpc_registrations_doc[] = {
        "List the IMPIs registered through a trusted P-CSCF after a full AKA.", 0};
static void rpc_registrations(rpc_t *rpc, void *c)
{
	struct rpc_walk w = {rpc, c, time(NULL)};
	authreg_foreach(reg, rpc_reg_one, &w);
}

/* The subscriber's K, OPc, algorithms or IMPUs changed: its waiting vectors must not be used.
 * Returns how many went. */
static const char *rpc_forget_doc[] = {
        "Drop the waiting batch vectors of one IMPI, or of every IMPI without a parameter.", 0};
static void rpc_forget(rpc_t *rpc, void *c)
{
	str impi = STR_NULL;
	char buf[VSTORE_IMPI_MAX];
	unsigned n = 0;
	if (rpc->scan(c, "*S", &impi) == 1 && impi.len > 0) {
		if (impi.len >= (int)sizeof(buf)) {
			rpc->fault(c, 400, "IMPI too long");
			return;
		}
		memcpy(buf, impi.s, impi.len);
		buf[impi.len] = '\0';
		if (batches)
			n = avbatch_forget(batches, buf);
	} else if (batches) {
		n = avbatch_forget(batches, NULL);
	}
	rpc->add(c, "d", (int)n);
}

static rpc_export_t rpc_cmds[] = {
        {"ims_aka.list", rpc_list, rpc_list_doc, RET_ARRAY},
        {"ims_aka.flush", rpc_flush, rpc_flush_doc, 0},
        {"ims_aka.registrations", rpc_registrations, rpc_registrations_doc, RET_ARRAY},
        {"ims_aka.forget_vectors", rpc_forget, rpc_forget_doc, 0},
        {0, 0, 0, 0},
};

/* ---- module interface ---- */
static int mod_init(void)
{
	struct presec_store_ops ops;

	if (presec_db_bind_raw(&db_url, &dbf) != 0)
		return -1;
	if (!sql_ident_ok(subscriber_table, 63)) {
		LM_ERR("subscriber_table '%s' is not a plain lower-case SQL identifier (a-z, 0-9, _; at most 63)\n",
		       subscriber_table);
		return -1;
	}
	if (!sql_ident_ok(impu_table, 63)) {
		LM_ERR("impu_table '%s' is not a plain lower-case SQL identifier (a-z, 0-9, _; at most 63)\n",
		       impu_table);
		return -1;
	}
	default_alg = aka_algorithm_from(default_algorithm, strlen(default_algorithm));
	if (default_alg != AKA_ALG_V1_MD5 && default_alg != AKA_ALG_V2_MD5) {
		LM_ERR("default_algorithm must be AKAv1-MD5 or AKAv2-MD5, not '%s'\n",
		       default_algorithm);
		return -1;
	}
	static const struct presec_int_bound bounds[] = {
	        PRESEC_BOUND(vector_expiry, 5, 3600),   PRESEC_BOUND(max_pending, 1, INT_MAX),
	        PRESEC_BOUND(sqn_ind_bits, 0, 10),      PRESEC_BOUND(default_expires, 1, INT_MAX),
	        PRESEC_BOUND(max_expires, 1, INT_MAX),  PRESEC_BOUND(max_registrations, 1, INT_MAX),
	        PRESEC_BOUND(av_batch, 1, AVBATCH_MAX), PRESEC_BOUND(av_batch_lifetime, 1, 3600),
	        PRESEC_BOUND(sqn_ind, 0, 1023),
	};
	if (presec_check_bounds("ims_aka", bounds, sizeof(bounds) / sizeof(bounds[0])) != 0)
		return -1;
	if (sqn_ind >= (1 << sqn_ind_bits)) {
		LM_ERR("sqn_ind %d does not fit in sqn_ind_bits %d\n", sqn_ind, sqn_ind_bits);
		return -1;
	}
	if (parse_trusted() != 0)
		return -1;
	if (sl_load_api(&slb) != 0) {
		LM_ERR("cannot bind the sl module (load sl.so first)\n");
		return -1;
	}
	if (presec_shm_store_ops(&ops, &store_lock) != 0) {
		LM_ERR("cannot create the challenge store lock\n");
		return -1;
	}
	if (!(store = vstore_new(&ops, 4096, (unsigned)max_pending))) {
		LM_ERR("cannot create the challenge store\n");
		return -1;
	}
	if (presec_shm_store_ops(&ops, &reg_lock) != 0 ||
	    !(reg = authreg_new(&ops, 4096, (unsigned)max_registrations))) {
		LM_ERR("cannot create the registration store\n");
		return -1;
	}
	if (av_batch > 1 &&
	    (presec_shm_store_ops(&ops, &batch_lock) != 0 ||
	     !(batches = avbatch_new(&ops, 4096, (unsigned)max_registrations, (unsigned)av_batch,
	                             av_batch_lifetime, (unsigned)sqn_ind_bits)))) {
		LM_ERR("cannot create the vector batches\n");
		return -1;
	}
	if (register_module_stats("ims_aka", mod_stats) != 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	if (rpc_register_array(rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		return -1;
	}
	if (register_timer(purge_timer, NULL, 5) < 0) {
		LM_ERR("cannot register the purge timer\n");
		return -1;
	}
	return 0;
}

static int child_init(int rank)
{
	return presec_db_child_init(rank, &dbf, &db_url, &dbh);
}

static void mod_destroy(void)
{
	presec_db_close(&dbf, &dbh);
	if (store) {
		vstore_destroy(store);
		store = NULL;
	}
	if (reg) {
		authreg_destroy(reg);
		reg = NULL;
	}
	if (batches) {
		avbatch_destroy(batches);
		batches = NULL;
	}
	presec_shm_lock_free(&store_lock);
	presec_shm_lock_free(&reg_lock);
	presec_shm_lock_free(&batch_lock);
}

static cmd_export_t cmds[] = {
        {"ims_aka_verify", (cmd_function)w_ims_aka_verify, 1, fixup_spve_null, fixup_free_spve_null,
         REQUEST_ROUTE},
        {"ims_aka_challenge", (cmd_function)w_ims_aka_challenge, 1, fixup_spve_null,
         fixup_free_spve_null, REQUEST_ROUTE},
        {"ims_aka_add_associated_uris", (cmd_function)w_ims_aka_add_associated_uris, 0, 0, 0,
         REQUEST_ROUTE},
        {"ims_aka_peer", (cmd_function)w_ims_aka_peer, 0, 0, 0, REQUEST_ROUTE},
        {"ims_aka_check_originating", (cmd_function)w_ims_aka_check_originating, 0, 0, 0,
         REQUEST_ROUTE},
        {0, 0, 0, 0, 0, 0},
};

static param_export_t params[] = {
        {"db_url", PARAM_STR, &db_url},
        {"subscriber_table", PARAM_STRING, &subscriber_table},
        {"impu_table", PARAM_STRING, &impu_table},
        {"default_algorithm", PARAM_STRING, &default_algorithm},
        {"vector_expiry", INT_PARAM, &vector_expiry},
        {"max_pending", INT_PARAM, &max_pending},
        {"add_ck_ik", INT_PARAM, &add_ck_ik},
        {"protected_reregistration", INT_PARAM, &protected_reregistration},
        {"trusted_pcscf", PARAM_STRING, &trusted_pcscf},
        {"trusted_peers", PARAM_STRING, &trusted_peers},
        {"sqn_ind_bits", INT_PARAM, &sqn_ind_bits},
        {"default_expires", INT_PARAM, &default_expires},
        {"max_expires", INT_PARAM, &max_expires},
        {"max_registrations", INT_PARAM, &max_registrations},
        {"av_batch", INT_PARAM, &av_batch},
        {"av_batch_lifetime", INT_PARAM, &av_batch_lifetime},
        {"sqn_ind", INT_PARAM, &sqn_ind},
        {0, 0, 0},
};

struct module_exports exports = {
        "ims_aka",       /* module name */
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

static sr_kemi_t sr_kemi_ims_aka_exports[] = {
        PRESEC_KEMI_S("ims_aka", "ims_aka_verify", ki_ims_aka_verify),
        PRESEC_KEMI_S("ims_aka", "ims_aka_challenge", ki_ims_aka_challenge),
        PRESEC_KEMI_0("ims_aka", "ims_aka_add_associated_uris", add_associated_uris),
        PRESEC_KEMI_0("ims_aka", "ims_aka_peer", peer),
        PRESEC_KEMI_0("ims_aka", "ims_aka_check_originating", check_originating),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_ims_aka_exports)
