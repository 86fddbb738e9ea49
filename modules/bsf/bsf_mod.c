/* bsf: the Bootstrapping Server Function of GBA (TS 33.220 4, TS 24.109 4) on Kamailio's xhttp,
 * and the NAF side of GBA (TS 24.109 5.2, TS 33.222 5.3) for a NAF's config: the Kamailio glue.
 *
 * The cores hold every decision and computation: ub.c (what a bootstrapping request must hold,
 * Digest AKA with qop=auth-int), bootinfo.c (B-TID, BootstrappingInfo), gba_kdf.c (the KDF of
 * TS 33.220 Annex B), and ims_aka's Milenage, AKA, Digest and pending-challenge store, compiled
 * in. This file adapts them to Kamailio: module parameters, the bsf_ub() cfg and KEMI function
 * that answers a Ub request through xhttp, the subscriber and bootstrap tables in PostgreSQL,
 * the pending challenges in shared memory, the purge timer, RPC commands and statistics; in a
 * NAF (role "naf") gba_naf_lookup() and gba_naf_identity(), which get Ks_NAF over Zn
 * (presec_gba_zn, sql/009) and choose the asserted identity, and $gba(...) for the script. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/counters.h"
#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/kemi.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/mod_fix.h"
#include "core/parser/msg_parser.h"
#include "core/pvar.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "lib/srdb1/db.h"
#include "modules/xhttp/api.h"
#include "presec/hex.h"
#include "presec/kamailio_aka.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_db.h"
#include "presec/kamailio_param.h"
#include "presec/kamailio_shm.h"

#include "aka.h"
#include "bootinfo.h"
#include "digest.h"
#include "gba_kdf.h"
#include "ua.h"
#include "ub.h"
#include "vstore.h"

MODULE_VERSION

/* What bsf_ub() did, in the cfg script's $rc; the reply has been sent in every case. */
enum ub_rc {
	UB_OK = 1,            /* 200 with the BootstrappingInfo */
	UB_CHALLENGED = 2,    /* 401 with an AKA challenge (first, stale or after a resync) */
	UB_MALFORMED = -1,    /* 400: no or a malformed Authorization */
	UB_FORBIDDEN = -2,    /* 403: wrong RES, unknown IMPI, AUTS with a wrong MAC-S */
	UB_INTERNAL = -3,     /* 500: database or memory failure */
	UB_REPLY_FAILED = -4, /* the reply could not be sent */
};

/* What gba_naf_lookup() found, in $rc. */
enum naf_rc {
	NAF_OK = 1,            /* Ks_NAF and the user's identities are in $gba(...) */
	NAF_NO_GBA = -1,       /* no Digest credentials for this NAF's GBA realm: challenge */
	NAF_MALFORMED = -2,    /* GBA credentials that are malformed (no B-TID): challenge */
	NAF_UNKNOWN_BTID = -3, /* unknown or expired B-TID: challenge, the UE bootstraps again */
	NAF_NOT_ALLOWED = -4,  /* Zn does not answer this NAF for that NAF_Id (configuration) */
	NAF_INTERNAL = -9,     /* database failure */
};

/* What naf_auth_allowed() says, in $rc (besides NAF_INTERNAL). */
enum naf_method_rc {
	NAF_METHOD_ALLOWED = 1,  /* this user may authenticate so at this NAF */
	NAF_METHOD_REFUSED = -1, /* sql/010 lists it not for this user, or no identity */
};

/* ---- module parameters ---- */
static str db_url = STR_NULL;
static char *realm = "bsf.ims.example";
static char *fqdn = "bsf.ims.example";
static int key_lifetime = 3600;
static int vector_expiry = 30;
static int max_pending = 10000;
static int sqn_ind_bits = 5;
static int purge_interval = 60;
static char *role = "bsf";
static char *naf_fqdn = "xcap.ims.example";
static char *unlisted_methods = "gba,password";
static char *peer_header = "";

/* ---- state ---- */
static db_func_t dbf;
static db1_con_t *dbh = NULL; /* per process, opened in child_init */
static xhttp_api_t xhttp;
static gen_lock_t *store_lock = NULL;
static struct vstore *store = NULL;
static int is_naf = 0;

/* What gba_naf_lookup() and gba_naf_identity() learned about the request being processed, for
 * $gba(...). Per process; wiped when the next request comes. */
static struct {
	unsigned int msg_id;
	int msg_pid;
	int valid;
	char password[48]; /* base64(Ks_NAF) (TS 24.109 5.2.2), 44 characters */
	char realm[UA_REALM_MAX + 2];
	char btid[BTID_MAX + 1];
	char impi[VSTORE_IMPI_MAX];
	char impus[VSTORE_IMPUS_MAX];
	char identity[UA_IMPU_MAX];
	char expires[24];
} naf;

static struct presec_aka_stats aka_st;
static stat_var *st_bootstraps, *st_purged, *st_naf_keys, *st_naf_unknown, *st_naf_malformed,
        *st_naf_identity, *st_naf_method;

static stat_export_t mod_stats[] = {
        {"bootstraps", 0, &st_bootstraps},
        PRESEC_AKA_STAT_EXPORTS(aka_st),
        {"purged", 0, &st_purged},
        {"naf_keys", 0, &st_naf_keys},
        {"naf_unknown_btid", 0, &st_naf_unknown},
        {"naf_malformed", 0, &st_naf_malformed},
        {"naf_identity_refused", 0, &st_naf_identity},
        {"naf_method_refused", 0, &st_naf_method},
        {0, 0, 0},
};

/* ---- replies ---- */
static int reply(struct sip_msg *msg, int code, char *reason, char *ctype, const char *body,
                 size_t body_len)
{
	str r = {reason, (int)strlen(reason)}, ct = {ctype, (int)strlen(ctype)},
	    b = {(char *)body, (int)body_len};
	return xhttp.reply(msg, code, &r, &ct, &b) < 0 ? -1 : 0;
}

static int reply_text(struct sip_msg *msg, int code, char *reason, const char *text, int rc)
{
	if (reply(msg, code, reason, "text/plain", text, strlen(text)) != 0) {
		LM_ERR("cannot send the %d reply to %s\n", code, presec_src_ip(msg));
		return UB_REPLY_FAILED;
	}
	return rc;
}

static int add_header(struct sip_msg *msg, const char *hdr, int len)
{
	return add_lump_rpl(msg, (char *)hdr, len, LUMP_RPL_HDR) ? 0 : -1;
}

/* ---- database ---- */
/* One statement; res must be freed by the caller when 0 is returned. */
static int db_query(const char *sql, int len, db1_res_t **res)
{
	return presec_db_raw(&dbf, dbh, sql, len, res);
}

/* The subscriber's K, OPc, AMF and SQN; with next, SQN moves on first (TS 33.102 C.3.2: a new
 * vector takes the next SEQ), in the same statement as ims_aka so that the BSF and the S-CSCF
 * share one sequence without ever handing out the same SQN. The IMPI passed
 * digest_impi_valid(): no quote or backslash. 1 found, 0 not found, -1 error. */
static int db_subscriber(const char *impi, int next, struct aka_keys *keys, uint64_t *sqn)
{
	char sql[512];
	db1_res_t *res = NULL;
	int n, rc = -1;

	if (next)
		n = snprintf(sql, sizeof(sql),
		             "UPDATE ims_subscriber SET sqn = (((sqn >> %d) + 1) << %d) %% "
		             "281474976710656 WHERE impi = '%s' RETURNING encode(k,'hex'), "
		             "encode(opc,'hex'), encode(amf,'hex'), sqn::text",
		             sqn_ind_bits, sqn_ind_bits, impi);
	else
		n = snprintf(sql, sizeof(sql),
		             "SELECT encode(k,'hex'), encode(opc,'hex'), encode(amf,'hex'), "
		             "sqn::text FROM ims_subscriber WHERE impi = '%s'",
		             impi);
	if (n <= 0 || (size_t)n >= sizeof(sql) || db_query(sql, n, &res) != 0) {
		LM_ERR("subscriber query for %s failed\n", impi);
		return -1;
	}
	if (RES_ROW_N(res) == 0) {
		rc = 0;
		goto out;
	}
	db_val_t *v = ROW_VALUES(&RES_ROWS(res)[0]);
	if (RES_COL_N(res) != 4 || presec_db_aka_keys(v, keys, sqn)) {
		LM_ERR("subscriber row of %s has an unexpected shape\n", impi);
		goto out;
	}
	rc = 1;
out:
	dbf.free_result(dbh, res);
	return rc;
}

/* TS 33.102 6.3.5: after a verified AUTS SQN_HE becomes SQN_MS; it never moves back. */
static int db_resync(const char *impi, uint64_t sqn_ms)
{
	char sql[256];
	db1_res_t *res = NULL;
	int n = snprintf(sql, sizeof(sql),
	                 "UPDATE ims_subscriber SET sqn = greatest(sqn, %llu) WHERE impi = '%s' "
	                 "RETURNING sqn::text",
	                 (unsigned long long)sqn_ms, impi);
	if (n <= 0 || (size_t)n >= sizeof(sql) || db_query(sql, n, &res) != 0)
		return -1;
	int ok = RES_ROW_N(res) == 1;
	dbf.free_result(dbh, res);
	return ok ? 0 : -1;
}

/* TS 33.220 4.5.2: the bootstrap replaces the IMPI's previous one (one row per IMPI). Ks is in
 * the statement as hex; the statement is never logged. */
static int db_store_bootstrap(const char *btid, const char *impi, const uint8_t rand[16],
                              const uint8_t ks[GBA_KEY_LEN], time_t created, time_t expires)
{
	char sql[1024], rand_hex[33], ks_hex[2 * GBA_KEY_LEN + 1];
	db1_res_t *res = NULL;
	int rc = -1;

	hex_encode(rand, 16, rand_hex);
	hex_encode(ks, GBA_KEY_LEN, ks_hex);
	int n = snprintf(
	        sql, sizeof(sql),
	        "INSERT INTO presec_gba_bootstrap (btid, impi, rand, ks, created, expires) "
	        "VALUES ('%s', '%s', decode('%s','hex'), decode('%s','hex'), "
	        "to_timestamp(%lld), to_timestamp(%lld)) ON CONFLICT (impi) DO UPDATE SET "
	        "btid = EXCLUDED.btid, rand = EXCLUDED.rand, ks = EXCLUDED.ks, "
	        "created = EXCLUDED.created, expires = EXCLUDED.expires RETURNING btid",
	        btid, impi, rand_hex, ks_hex, (long long)created, (long long)expires);
	if (n > 0 && (size_t)n < sizeof(sql) && db_query(sql, n, &res) == 0) {
		rc = RES_ROW_N(res) == 1 ? 0 : -1;
		dbf.free_result(dbh, res);
	}
	OPENSSL_cleanse(sql, sizeof(sql));
	OPENSSL_cleanse(ks_hex, sizeof(ks_hex));
	return rc;
}

/* Expired bootstraps (sql/009 presec_gba_purge()); how many went, or -1. */
static int db_purge(void)
{
	static const char sql[] = "SELECT presec_gba_purge()";
	db1_res_t *res = NULL;
	char num[24];
	int n = -1;
	if (db_query(sql, sizeof(sql) - 1, &res) != 0)
		return -1;
	if (RES_ROW_N(res) == 1 && RES_COL_N(res) == 1) {
		db_val_t *v = &ROW_VALUES(&RES_ROWS(res)[0])[0];
		if (!VAL_NULL(v) && VAL_TYPE(v) == DB1_INT)
			n = VAL_INT(v);
		else if (presec_db_text(v, num, sizeof(num)) == 0)
			n = atoi(num);
	}
	dbf.free_result(dbh, res);
	return n;
}

static void purge_timer(unsigned int ticks, void *param)
{
	(void)ticks;
	(void)param;
	if (store)
		vstore_purge(store, time(NULL));
	int n = db_purge();
	if (n > 0) {
		update_stat(st_purged, n);
		LM_INFO("purged %d expired bootstraps\n", n);
	} else if (n < 0) {
		LM_ERR("cannot purge expired bootstraps\n");
	}
}

/* ---- the Ub exchange ---- */

/* TS 24.109 A.3 steps 2-4: a fresh vector, kept for vector_expiry seconds, and the 401 with
 * nonce = base64(RAND || AUTN) (RFC 3310 3.2), algorithm AKAv1-MD5 and qop="auth-int". */
static int challenge(struct sip_msg *msg, const char *impi, int stale)
{
	struct aka_keys keys;
	struct vstore_entry e;
	uint64_t sqn = 0;
	char hdr[384];
	int rc = UB_INTERNAL;

	memset(&e, 0, sizeof(e));
	int found = db_subscriber(impi, 1, &keys, &sqn);
	if (found < 0) {
		update_stat(aka_st.fail_internal, 1);
		return reply_text(msg, 500, "Server Internal Error", "database failure\n",
		                  UB_INTERNAL);
	}
	if (found == 0) {
		/* TS 24.109 4.3: nobody to authenticate */
		LM_NOTICE("Ub: bootstrap from %s refused: unknown IMPI %s\n", presec_src_ip(msg),
		          impi);
		update_stat(aka_st.fail_unknown_impi, 1);
		return reply_text(msg, 403, "Forbidden", "unknown user\n", UB_FORBIDDEN);
	}
	uint8_t rand[16];
	if (RAND_bytes(rand, sizeof(rand)) != 1 ||
	    vstore_challenge(&keys, sqn, rand, impi, "", AKA_ALG_V1_MD5, time(NULL), vector_expiry,
	                     &e) != 0) {
		LM_ERR("cannot make an authentication vector for %s\n", impi);
		update_stat(aka_st.fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "no vector\n", UB_INTERNAL);
		goto out;
	}
	if (vstore_add(store, &e) != 0) {
		LM_ERR("cannot keep the challenge for %s (max_pending %d reached?)\n", impi,
		       max_pending);
		update_stat(aka_st.fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "busy\n", UB_INTERNAL);
		goto out;
	}
	/* TS 24.109 4.3: qop="auth-int", the answer covers the body */
	int n = digest_www_authenticate(hdr, sizeof(hdr), realm, strlen(realm), e.nonce,
	                                AKA_ALG_V1_MD5, "auth-int", stale, NULL, NULL);
	if (n <= 0 || (size_t)n >= sizeof(hdr) || add_header(msg, hdr, n) != 0) {
		LM_ERR("cannot add WWW-Authenticate for %s\n", impi);
		goto out;
	}
	rc = reply_text(msg, 401, "Unauthorized", "bootstrapping: answer the AKA challenge\n",
	                UB_CHALLENGED);
	if (rc == UB_CHALLENGED) {
		update_stat(aka_st.challenges, 1);
		LM_INFO("Ub: challenged %s from %s\n", impi, presec_src_ip(msg));
	}
out:
	OPENSSL_cleanse(&keys, sizeof(keys));
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

/* TS 24.109 A.3 steps 7-9: Ks = CK || IK stored with the B-TID, and the 200 with the
 * BootstrappingInfo and Authentication-Info (rspauth over the document). */
static int bootstrapped(struct sip_msg *msg, const struct ub_request *r,
                        const struct vstore_entry *e)
{
	uint8_t ks[GBA_KEY_LEN];
	char btid[BTID_MAX + 1], lifetime[LIFETIME_LEN + 1], doc[BOOTINFO_MAX], rspauth[33];
	char hdr[UB_CNONCE_MAX + 128];
	time_t now = time(NULL), expires = now + key_lifetime;
	int rc = UB_INTERNAL;

	memcpy(ks, e->av.ck, 16);
	memcpy(ks + 16, e->av.ik, 16);
	int doc_len = -1;
	if (btid_make(e->av.rand, fqdn, btid, sizeof(btid)) < 0 ||
	    bootinfo_lifetime(expires, lifetime) != 0 ||
	    (doc_len = bootinfo_print(btid, lifetime, doc, sizeof(doc))) < 0 ||
	    ub_rspauth(&r->c, e->av.xres, sizeof(e->av.xres), (const uint8_t *)doc, (size_t)doc_len,
	               rspauth) != 0) {
		LM_ERR("cannot build the BootstrappingInfo for %s\n", e->impi);
		update_stat(aka_st.fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "internal error\n", UB_INTERNAL);
		goto out;
	}
	if (db_store_bootstrap(btid, e->impi, e->av.rand, ks, now, expires) != 0) {
		LM_ERR("cannot store the bootstrap of %s\n", e->impi);
		update_stat(aka_st.fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "database failure\n",
		                UB_INTERNAL);
		goto out;
	}
	/* RFC 2617 3.2.3: qop, rspauth, cnonce and nc of the answer */
	int n = snprintf(hdr, sizeof(hdr),
	                 "Authentication-Info: qop=auth-int, rspauth=\"%s\", cnonce=\"%.*s\", "
	                 "nc=%.*s\r\n",
	                 rspauth, (int)r->c.cnonce.len, r->c.cnonce.s, (int)r->c.nc.len, r->c.nc.s);
	if (n <= 0 || (size_t)n >= sizeof(hdr) || add_header(msg, hdr, n) != 0) {
		LM_ERR("cannot add Authentication-Info for %s\n", e->impi);
		goto out;
	}
	if (reply(msg, 200, "OK", "application/vnd.3gpp.bsf+xml", doc, (size_t)doc_len) != 0) {
		LM_ERR("cannot send the BootstrappingInfo to %s\n", presec_src_ip(msg));
		rc = UB_REPLY_FAILED;
		goto out;
	}
	update_stat(st_bootstraps, 1);
	LM_INFO("Ub: bootstrapped %s from %s, B-TID %s until %s\n", e->impi, presec_src_ip(msg),
	        btid, lifetime);
	rc = UB_OK;
out:
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(rspauth, sizeof(rspauth));
	return rc;
}

/* The first Authorization header of the request, or NULL. */
static struct hdr_field *authorization_of(struct sip_msg *msg)
{
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return NULL;
	for (struct hdr_field *h = msg->headers; h; h = h->next)
		if (h->type == HDR_AUTHORIZATION_T)
			return h;
	return NULL;
}

/* An answer (RES or AUTS) to a pending challenge. */
static int answer(struct sip_msg *msg, struct ub_request *r, const char *impi)
{
	struct vstore_entry e;
	const char *method = msg->first_line.u.request.method.s;
	size_t method_len = (size_t)msg->first_line.u.request.method.len;
	str uri = msg->first_line.u.request.uri;
	const uint8_t *body = (const uint8_t *)"";
	size_t body_len = 0;
	int rc;

	/* RFC 2617 3.2.2.5: the digest-uri is the Request-URI */
	if (r->c.uri.len != (size_t)uri.len || memcmp(r->c.uri.s, uri.s, uri.len) != 0) {
		LM_NOTICE(
		        "Ub: answer of %s from %s refused: Authorization uri is not the Request-URI\n",
		        impi, presec_src_ip(msg));
		update_stat(aka_st.fail_malformed, 1);
		return reply_text(msg, 400, "Bad Request", "uri is not the Request-URI\n",
		                  UB_MALFORMED);
	}
	char *b = get_body(msg);
	if (b && b < msg->buf + msg->len) {
		body = (const uint8_t *)b;
		body_len = (size_t)(msg->buf + msg->len - b);
	}
	memset(&e, 0, sizeof(e));
	int t = vstore_take(store, r->c.nonce.s, r->c.nonce.len, time(NULL), &e);
	if (t != 0 || strcmp(e.impi, impi) != 0) {
		/* RFC 7616 3.3: an unknown or used nonce is answered with a new one, said stale */
		LM_NOTICE("Ub: answer of %s from %s refused: %s nonce\n", impi, presec_src_ip(msg),
		          t == -2  ? "replayed"
		          : t == 0 ? "another IMPI's"
		                   : "unknown or expired");
		update_stat(t == -2 ? aka_st.fail_replay : aka_st.fail_stale, 1);
		OPENSSL_cleanse(&e, sizeof(e));
		return challenge(msg, impi, 1);
	}
	if (r->kind == UB_AUTS) {
		/* TS 24.109 4.5 / RFC 3310 3.4: the response is over the empty password */
		struct aka_keys keys;
		uint64_t sqn_ms = 0, sqn = 0;
		int m = ub_response_matches(&r->c, (const uint8_t *)"", 0, method, method_len, body,
		                            body_len);
		if (m != 1) {
			LM_NOTICE(
			        "Ub: AUTS of %s from %s refused: response is not over the empty password\n",
			        impi, presec_src_ip(msg));
			update_stat(m < 0 ? aka_st.fail_internal : aka_st.fail_response, 1);
			rc = reply_text(msg, 403, "Forbidden", "authentication failed\n",
			                UB_FORBIDDEN);
			goto out;
		}
		int found = db_subscriber(impi, 0, &keys, &sqn);
		if (found <= 0) {
			OPENSSL_cleanse(&keys, sizeof(keys));
			update_stat(found < 0 ? aka_st.fail_internal : aka_st.fail_unknown_impi, 1);
			if (found == 0)
				LM_NOTICE("Ub: AUTS from %s refused: unknown IMPI %s\n",
				          presec_src_ip(msg), impi);
			rc = found < 0 ? reply_text(msg, 500, "Server Internal Error",
			                            "database failure\n", UB_INTERNAL)
			               : reply_text(msg, 403, "Forbidden", "unknown user\n",
			                            UB_FORBIDDEN);
			goto out;
		}
		int v = aka_resync(&keys, e.av.rand, r->auts, &sqn_ms);
		OPENSSL_cleanse(&keys, sizeof(keys));
		if (v != AKA_OK) {
			LM_NOTICE("Ub: AUTS of %s from %s refused: MAC-S does not verify\n", impi,
			          presec_src_ip(msg));
			update_stat(aka_st.fail_mac_s, 1);
			rc = reply_text(msg, 403, "Forbidden", "authentication failed\n",
			                UB_FORBIDDEN);
			goto out;
		}
		if (db_resync(impi, sqn_ms) != 0) {
			update_stat(aka_st.fail_internal, 1);
			rc = reply_text(msg, 500, "Server Internal Error", "database failure\n",
			                UB_INTERNAL);
			goto out;
		}
		LM_INFO("Ub: resynchronised SQN of %s after AUTS from %s\n", impi,
		        presec_src_ip(msg));
		update_stat(aka_st.resyncs, 1);
		/* TS 24.109 A.4 steps 7-8: a new challenge with the next SQN */
		rc = challenge(msg, impi, 0);
		goto out;
	}
	/* RFC 3310 3.3: AKAv1-MD5's password is RES */
	int m = ub_response_matches(&r->c, e.av.xres, sizeof(e.av.xres), method, method_len, body,
	                            body_len);
	if (m < 0) {
		update_stat(aka_st.fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "internal error\n", UB_INTERNAL);
		goto out;
	}
	if (!m) {
		/* TS 24.109 4.3: user authentication failure */
		LM_NOTICE("Ub: answer of %s from %s refused: wrong response (RES)\n", impi,
		          presec_src_ip(msg));
		update_stat(aka_st.fail_response, 1);
		rc = reply_text(msg, 403, "Forbidden", "authentication failed\n", UB_FORBIDDEN);
		goto out;
	}
	rc = bootstrapped(msg, r, &e);
out:
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

static int ub(struct sip_msg *msg)
{
	struct ub_request r;
	char impi[VSTORE_IMPI_MAX];
	const char *why = NULL;

	if (is_naf) {
		LM_ERR("bsf_ub() serves Ub in role bsf only\n");
		return UB_INTERNAL;
	}

	struct hdr_field *h = authorization_of(msg);
	if (!h) {
		/* TS 24.109 4.2: the UE names its IMPI in the first request */
		LM_NOTICE("Ub: %.*s from %s refused: no Authorization with the IMPI\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg));
		update_stat(aka_st.fail_malformed, 1);
		return reply_text(msg, 400, "Bad Request", "Authorization with the IMPI required\n",
		                  UB_MALFORMED);
	}
	if (ub_check_authorization(h->body.s, (size_t)h->body.len, realm, &r, &why) != 0) {
		LM_NOTICE("Ub: request from %s refused: Authorization: %s\n", presec_src_ip(msg),
		          why);
		update_stat(aka_st.fail_malformed, 1);
		return reply_text(msg, 400, "Bad Request", "malformed Authorization\n",
		                  UB_MALFORMED);
	}
	memcpy(impi, r.c.username.s, r.c.username.len);
	impi[r.c.username.len] = '\0';
	if (r.kind == UB_INITIAL)
		return challenge(msg, impi, 0);
	return answer(msg, &r, impi);
}

/* ---- the NAF side (role "naf") ---- */
static void naf_reset(struct sip_msg *msg)
{
	OPENSSL_cleanse(&naf, sizeof(naf));
	naf.msg_id = msg->id;
	naf.msg_pid = msg->pid;
}

static int naf_is_for(struct sip_msg *msg)
{
	return naf.valid && naf.msg_id == msg->id && naf.msg_pid == msg->pid;
}

/* Who sent the request, for the NAF's log lines: the source address, or behind a proxy that
 * passes the UE's address in peer_header (the AP's GBA endpoint, which takes requests from the
 * AP only) "<UE address> via <source address>". A static buffer: use it at once. */
static const char *naf_peer(struct sip_msg *msg)
{
	static char out[128];
	char src[64];
	str ue = STR_NULL;
	size_t hl = strlen(peer_header);

	if (!hl)
		return presec_src_ip(msg);
	snprintf(src, sizeof(src), "%s", presec_src_ip(msg));
	if (parse_headers(msg, HDR_EOH_F, 0) == 0)
		for (struct hdr_field *h = msg->headers; h; h = h->next)
			if (h->name.len == (int)hl &&
			    strncasecmp(h->name.s, peer_header, hl) == 0) {
				ue = h->body;
				break;
			}
	while (ue.len > 0 && (ue.s[ue.len - 1] == ' ' || ue.s[ue.len - 1] == '\t'))
		ue.len--;
	/* an address, nothing else, goes into the line */
	int ok = ue.len > 0 && ua_is_address_text(ue.s, (size_t)ue.len);
	if (ok)
		snprintf(out, sizeof(out), "%.*s via %s", ue.len, ue.s, src);
	else
		snprintf(out, sizeof(out), "(no %s) via %s", peer_header, src);
	return out;
}

/* Zn (sql/009 presec_gba_zn): status and, when "ok", the key and the user. The B-TID passed
 * btid_parse(): base64 characters, '@' and a host name, nothing to quote. */
static int naf_zn(const char *btid, const uint8_t *naf_id, size_t naf_id_len, char *status,
                  size_t status_sz)
{
	char sql[640], nid_hex[2 * GBA_NAF_ID_MAX + 1];
	db1_res_t *res = NULL;
	int rc = -1;

	hex_encode(naf_id, naf_id_len, nid_hex);
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT status, encode(ks_naf, 'base64'), impi, "
	                 "array_to_string(impus, ','), extract(epoch FROM expires)::bigint::text "
	                 "FROM presec_gba_zn('%s', decode('%s', 'hex'))",
	                 btid, nid_hex);
	if (n <= 0 || (size_t)n >= sizeof(sql) || db_query(sql, n, &res) != 0) {
		LM_ERR("GBA: Zn query for B-TID %s failed\n", btid);
		return -1;
	}
	if (RES_ROW_N(res) != 1 || RES_COL_N(res) != 5)
		goto out;
	db_val_t *v = ROW_VALUES(&RES_ROWS(res)[0]);
	if (presec_db_text(&v[0], status, status_sz) != 0)
		goto out;
	rc = 0;
	if (strcmp(status, "ok") != 0)
		goto out;
	if (presec_db_text(&v[1], naf.password, sizeof(naf.password)) != 0 ||
	    strlen(naf.password) != 44 || presec_db_text(&v[2], naf.impi, sizeof(naf.impi)) != 0 ||
	    presec_db_text(&v[3], naf.impus, sizeof(naf.impus)) != 0 ||
	    presec_db_text(&v[4], naf.expires, sizeof(naf.expires)) != 0) {
		LM_ERR("GBA: Zn answer for B-TID %s has an unexpected shape\n", btid);
		rc = -1;
	}
out:
	dbf.free_result(dbh, res);
	return rc;
}

/* TS 24.109 5.2.2 / TS 33.222 5.3: the GBA credentials of the request, Ks_NAF for this NAF's
 * NAF_Id (its FQDN || the Ua security protocol identifier of the TLS cipher suite the request
 * came over, TS 33.220 Annex H), and the user's identities, for pv_www_authenticate() with
 * $gba(realm) and $gba(password). */
static int naf_lookup(struct sip_msg *msg, str *cipher)
{
	struct digest_cred c;
	const char *why = NULL;
	char cipher_z[128], status[32];
	uint8_t nid[GBA_NAF_ID_MAX];

	naf_reset(msg);
	if (!is_naf) {
		LM_ERR("gba_naf_lookup() needs modparam(\"bsf\", \"role\", \"naf\")\n");
		return NAF_INTERNAL;
	}
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return NAF_MALFORMED;
	struct hdr_field *h;
	int r = UA_NOT_GBA;
	for (h = msg->headers; h; h = h->next) {
		if (h->type != HDR_AUTHORIZATION_T)
			continue;
		r = ua_gba_credentials(h->body.s, (size_t)h->body.len, naf_fqdn, &c, &why);
		if (r != UA_NOT_GBA)
			break;
	}
	if (r == UA_NOT_GBA)
		return NAF_NO_GBA;
	if (r == UA_BAD) {
		LM_NOTICE("GBA: %.*s %.*s from %s refused: Authorization: %s\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s,
		          naf_peer(msg), why);
		update_stat(st_naf_malformed, 1);
		return NAF_MALFORMED;
	}
	memcpy(naf.btid, c.username.s, c.username.len);
	naf.btid[c.username.len] = '\0';
	memcpy(naf.realm, c.realm.s, c.realm.len);
	naf.realm[c.realm.len] = '\0';
	if (cipher->len >= (int)sizeof(cipher_z)) {
		LM_ERR("GBA: TLS cipher suite name too long\n");
		return NAF_NOT_ALLOWED;
	}
	memcpy(cipher_z, cipher->s, cipher->len);
	cipher_z[cipher->len] = '\0';
	int nl = ua_naf_id(naf_fqdn, cipher_z, nid, sizeof(nid));
	if (nl < 0) {
		LM_ERR("GBA: no NAF_Id for %s over TLS cipher suite '%s'\n", naf_fqdn, cipher_z);
		return NAF_NOT_ALLOWED;
	}
	if (naf_zn(naf.btid, nid, (size_t)nl, status, sizeof(status)) != 0) {
		update_stat(aka_st.fail_internal, 1);
		OPENSSL_cleanse(naf.password, sizeof(naf.password));
		return NAF_INTERNAL;
	}
	if (strcmp(status, "ok") == 0) {
		naf.valid = 1;
		update_stat(st_naf_keys, 1);
		return NAF_OK;
	}
	if (strcmp(status, "unknown") == 0 || strcmp(status, "expired") == 0 ||
	    strcmp(status, "bad-btid") == 0) {
		/* TS 24.109 5.2.4: bootstrapping required: a new challenge, the UE bootstraps */
		LM_NOTICE("GBA: %.*s %.*s from %s refused: %s B-TID %s, bootstrapping required\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s,
		          naf_peer(msg), status, naf.btid);
		update_stat(st_naf_unknown, 1);
		return NAF_UNKNOWN_BTID;
	}
	LM_ERR("GBA: Zn refused the key of NAF %s (%s): is this NAF's database role on the allow-list (presec_gba_naf)?\n",
	       naf_fqdn, status);
	return NAF_NOT_ALLOWED;
}

/* TS 24.109 5.2.2: X-3GPP-Intended-Identity must be one of the user's IMPUs; without it, the
 * default IMPU. Two of them name nobody. */
static int naf_identity(struct sip_msg *msg)
{
	static const char name[] = "X-3GPP-Intended-Identity";
	const char *why = NULL;
	str intended = STR_NULL;
	int n = 0;

	if (!naf_is_for(msg)) {
		LM_ERR("gba_naf_identity() needs a successful gba_naf_lookup() first\n");
		return -1;
	}
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	for (struct hdr_field *h = msg->headers; h; h = h->next)
		if (h->name.len == (int)sizeof(name) - 1 &&
		    strncasecmp(h->name.s, name, sizeof(name) - 1) == 0) {
			intended = h->body;
			n++;
		}
	if (n > 1)
		why = "more than one X-3GPP-Intended-Identity";
	else if (ua_asserted_identity(intended.s, (size_t)intended.len, naf.impus, naf.identity,
	                              sizeof(naf.identity), &why) == 0)
		return 1;
	LM_NOTICE("GBA: %.*s %.*s by %s from %s refused: %s: '%.*s'\n",
	          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
	          msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s, naf.impi,
	          naf_peer(msg), why, intended.len > 128 ? 128 : intended.len,
	          intended.s ? intended.s : "");
	naf.identity[0] = '\0';
	update_stat(st_naf_identity, 1);
	return -1;
}

/* Which authentication methods the user acting as identity may use at this NAF (sql/010
 * presec_ut_auth_method; a user without a row: unlisted_methods). GBA and the NAF's own
 * passwords can both be enabled; the operator says per user which ones a user may use. The
 * identity goes to the database hex-encoded, so that nothing in it is SQL. */
static int naf_auth_allowed(struct sip_msg *msg, str *identity, str *method)
{
	char sql[256 + 2 * UA_IMPU_MAX], id_hex[2 * UA_IMPU_MAX + 1], m[17], methods[256];
	const char *from = "unlisted_methods";
	db1_res_t *res = NULL;
	int listed;

	if (!is_naf) {
		LM_ERR("naf_auth_allowed() needs modparam(\"bsf\", \"role\", \"naf\")\n");
		return NAF_INTERNAL;
	}
	if (identity->len <= 0 || identity->len >= UA_IMPU_MAX || method->len <= 0 ||
	    method->len >= (int)sizeof(m) || memchr(identity->s, '\0', identity->len)) {
		LM_ERR("naf_auth_allowed(): an identity (up to %d characters) and a method name (up to %d) are needed\n",
		       UA_IMPU_MAX - 1, (int)sizeof(m) - 1);
		return NAF_METHOD_REFUSED;
	}
	memcpy(m, method->s, method->len);
	m[method->len] = '\0';
	hex_encode((const uint8_t *)identity->s, (size_t)identity->len, id_hex);
	int n = snprintf(sql, sizeof(sql),
	                 "SELECT methods::text FROM presec_ut_auth_method "
	                 "WHERE xui = convert_from(decode('%s', 'hex'), 'UTF8')",
	                 id_hex);
	if (n <= 0 || (size_t)n >= sizeof(sql) || db_query(sql, n, &res) != 0) {
		LM_ERR("GBA: the authentication methods of %.*s cannot be read\n", identity->len,
		       identity->s);
		return NAF_INTERNAL;
	}
	if (RES_ROW_N(res) == 1 && RES_COL_N(res) == 1) {
		from = "presec_ut_auth_method";
		if (presec_db_text(&ROW_VALUES(&RES_ROWS(res)[0])[0], methods, sizeof(methods)) !=
		    0)
			methods[0] = '\0';
		listed = ua_method_listed(methods, m);
	} else {
		listed = ua_method_listed(unlisted_methods, m);
	}
	dbf.free_result(dbh, res);
	if (listed == 1)
		return NAF_METHOD_ALLOWED;
	LM_NOTICE(
	        "GBA NAF %s: %.*s %.*s by %.*s from %s refused: %s authentication is not one this user may use (%s)\n",
	        naf_fqdn, msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
	        msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s, identity->len,
	        identity->s, naf_peer(msg), m, from);
	update_stat(st_naf_method, 1);
	return NAF_METHOD_REFUSED;
}

static int pv_parse_gba(pv_spec_p sp, str *in)
{
	static const char *names[] = {"password", "realm",    "btid",   "impi",
	                              "impus",    "identity", "expires"};
	if (!sp || !in)
		return -1;
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if ((size_t)in->len == strlen(names[i]) && strncmp(in->s, names[i], in->len) == 0) {
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.type = 0;
			sp->pvp.pvn.u.isname.name.n = i;
			return 0;
		}
	LM_ERR("$gba(%.*s): password, realm, btid, impi, impus, identity or expires\n", in->len,
	       in->s);
	return -1;
}

static int pv_get_gba(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	const char *v[] = {naf.password, naf.realm,    naf.btid,   naf.impi,
	                   naf.impus,    naf.identity, naf.expires};
	int i = param->pvn.u.isname.name.n;
	if (!msg || !naf_is_for(msg) || i < 0 || i > 6 || !*v[i])
		return pv_get_null(msg, param, res);
	str s = {(char *)v[i], (int)strlen(v[i])};
	return pv_get_strval(msg, param, res, &s);
}

static pv_export_t mod_pvs[] = {
        {{"gba", 3}, PVT_OTHER, pv_get_gba, 0, pv_parse_gba, 0, 0, 0},
        {{0, 0}, 0, 0, 0, 0, 0, 0, 0},
};

/* ---- cfg and KEMI ---- */
static int w_bsf_ub(struct sip_msg *msg, char *p1, char *p2)
{
	(void)p1;
	(void)p2;
	return ub(msg);
}

static int w_gba_naf_lookup(struct sip_msg *msg, char *p1, char *p2)
{
	(void)p2;
	str cipher = STR_NULL;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &cipher) != 0) {
		LM_ERR("cannot get the TLS cipher suite parameter\n");
		return NAF_INTERNAL;
	}
	return naf_lookup(msg, &cipher);
}

PRESEC_CFG_WRAP0(w_gba_naf_identity, naf_identity)

static int w_naf_auth_allowed(struct sip_msg *msg, char *p1, char *p2)
{
	str identity = STR_NULL, method = STR_NULL;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &identity) != 0 ||
	    fixup_get_svalue(msg, (gparam_t *)p2, &method) != 0) {
		LM_ERR("cannot get the identity or the method parameter\n");
		return NAF_INTERNAL;
	}
	return naf_auth_allowed(msg, &identity, &method);
}

/* ---- RPC ---- */
static const char *rpc_purge_doc[] = {"Remove expired bootstraps now; returns how many.", 0};
static void rpc_purge(rpc_t *rpc, void *c)
{
	int n = db_purge();
	if (n < 0) {
		rpc->fault(c, 500, "cannot purge expired bootstraps");
		return;
	}
	update_stat(st_purged, n);
	rpc->add(c, "d", n);
}

struct rpc_walk {
	rpc_t *rpc;
	void *rctx;
	time_t now;
};

static void rpc_pending_one(const struct vstore_entry *e, void *arg)
{
	struct rpc_walk *w = arg;
	void *th;
	/* no nonce, vector or key leaves the process */
	if (w->rpc->add(w->rctx, "{", &th) < 0)
		return;
	w->rpc->struct_add(th, "sdds", "impi", e->impi, "age", (int)(w->now - e->created),
	                   "expires_in", (int)(e->expires - w->now), "state",
	                   e->state == VS_PENDING ? "pending" : "used");
}

static const char *rpc_pending_doc[] = {"List pending Ub challenges (IMPI, age; no secrets).", 0};
static void rpc_pending(rpc_t *rpc, void *c)
{
	struct rpc_walk w = {rpc, c, time(NULL)};
	vstore_foreach(store, rpc_pending_one, &w);
}

static rpc_export_t rpc_cmds[] = {
        {"bsf.purge", rpc_purge, rpc_purge_doc, 0},
        {"bsf.pending", rpc_pending, rpc_pending_doc, RET_ARRAY},
        {0, 0, 0, 0},
};

/* ---- module interface ---- */
static int mod_init(void)
{
	struct presec_store_ops ops;
	char probe[BTID_MAX + 1];
	uint8_t nid[GBA_NAF_ID_MAX];
	static const uint8_t zero[16];

	if (presec_db_bind_raw(&db_url, &dbf) != 0)
		return -1;
	if (strcmp(role, "bsf") != 0 && strcmp(role, "naf") != 0) {
		LM_ERR("role must be bsf or naf, not '%s'\n", role);
		return -1;
	}
	is_naf = strcmp(role, "naf") == 0;
	if (register_module_stats("bsf", mod_stats) != 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	if (is_naf) {
		/* a NAF: Zn and the identity only; no Ub, no bootstraps of its own */
		if (ua_naf_id(naf_fqdn, "", nid, sizeof(nid)) < 0) {
			LM_ERR("naf_fqdn '%s' is not a host name\n", naf_fqdn);
			return -1;
		}
		if (strlen(peer_header) > 64 ||
		    strspn(peer_header, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                        "0123456789-") != strlen(peer_header)) {
			LM_ERR("peer_header '%s' is not a header name\n", peer_header);
			return -1;
		}
		if (ua_method_listed(unlisted_methods, "") < 0) {
			LM_ERR("unlisted_methods '%s' is not a comma-separated list of method names\n",
			       unlisted_methods);
			return -1;
		}
		return 0;
	}
	if (btid_make(zero, fqdn, probe, sizeof(probe)) < 0) {
		LM_ERR("fqdn '%s' is not a host name\n", fqdn);
		return -1;
	}
	if (!*realm || strlen(realm) > 128 || strpbrk(realm, "\"\\\r\n")) {
		LM_ERR("realm must be 1 to 128 characters without quotes, backslashes or line breaks\n");
		return -1;
	}
	static const struct presec_int_bound bounds[] = {
	        PRESEC_BOUND(key_lifetime, 60, 7 * 86400), PRESEC_BOUND(vector_expiry, 5, 3600),
	        PRESEC_BOUND(max_pending, 1, INT_MAX),     PRESEC_BOUND(sqn_ind_bits, 0, 10),
	        PRESEC_BOUND(purge_interval, 1, 86400),
	};
	if (presec_check_bounds("bsf", bounds, sizeof(bounds) / sizeof(bounds[0])) != 0)
		return -1;
	if (xhttp_load_api(&xhttp) != 0) {
		LM_ERR("cannot bind the xhttp module (load xhttp.so first)\n");
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
	if (rpc_register_array(rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		return -1;
	}
	if (register_timer(purge_timer, NULL, (unsigned)purge_interval) < 0) {
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
	presec_shm_lock_free(&store_lock);
}

static cmd_export_t cmds[] = {
        {"bsf_ub", (cmd_function)w_bsf_ub, 0, 0, 0, ANY_ROUTE},
        {"gba_naf_lookup", (cmd_function)w_gba_naf_lookup, 1, fixup_spve_null, fixup_free_spve_null,
         ANY_ROUTE},
        {"gba_naf_identity", (cmd_function)w_gba_naf_identity, 0, 0, 0, ANY_ROUTE},
        {"naf_auth_allowed", (cmd_function)w_naf_auth_allowed, 2, fixup_spve_spve,
         fixup_free_spve_spve, ANY_ROUTE},
        {0, 0, 0, 0, 0, 0},
};

static param_export_t params[] = {
        {"db_url", PARAM_STR, &db_url},
        {"realm", PARAM_STRING, &realm},
        {"fqdn", PARAM_STRING, &fqdn},
        {"key_lifetime", INT_PARAM, &key_lifetime},
        {"vector_expiry", INT_PARAM, &vector_expiry},
        {"max_pending", INT_PARAM, &max_pending},
        {"sqn_ind_bits", INT_PARAM, &sqn_ind_bits},
        {"purge_interval", INT_PARAM, &purge_interval},
        {"role", PARAM_STRING, &role},
        {"naf_fqdn", PARAM_STRING, &naf_fqdn},
        {"unlisted_methods", PARAM_STRING, &unlisted_methods},
        {"peer_header", PARAM_STRING, &peer_header},
        {0, 0, 0},
};

struct module_exports exports = {
        "bsf",           /* module name */
        DEFAULT_DLFLAGS, /* dlopen flags */
        cmds,            /* cfg functions */
        params,          /* module parameters */
        0,               /* RPC commands: registered in mod_init */
        mod_pvs,         /* pseudo-variables */
        0,               /* response function */
        mod_init,        /* module init */
        child_init,      /* per-child init */
        mod_destroy,     /* destroy */
};

static sr_kemi_t sr_kemi_bsf_exports[] = {
        PRESEC_KEMI_0("bsf", "bsf_ub", ub),
        PRESEC_KEMI_S("bsf", "gba_naf_lookup", naf_lookup),
        PRESEC_KEMI_0("bsf", "gba_naf_identity", naf_identity),
        PRESEC_KEMI_SS("bsf", "naf_auth_allowed", naf_auth_allowed),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_bsf_exports)
