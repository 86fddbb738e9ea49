/* bsf: the Bootstrapping Server Function of GBA (TS 33.220 4, TS 24.109 4) on Kamailio's xhttp,
 * the Kamailio glue.
 *
 * The cores hold every decision and computation: ub.c (what a bootstrapping request must hold,
 * Digest AKA with qop=auth-int), bootinfo.c (B-TID, BootstrappingInfo), gba_kdf.c (the KDF of
 * TS 33.220 Annex B), and ims_aka's Milenage, AKA, Digest and pending-challenge store, compiled
 * in. This file adapts them to Kamailio: module parameters, the bsf_ub() cfg and KEMI function
 * that answers a Ub request through xhttp, the subscriber and bootstrap tables in PostgreSQL,
 * the pending challenges in shared memory, the purge timer, RPC commands and statistics. */
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
#include "core/parser/msg_parser.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "lib/srdb1/db.h"
#include "modules/xhttp/api.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_db.h"
#include "presec/kamailio_shm.h"

#include "aka.h"
#include "bootinfo.h"
#include "digest.h"
#include "gba_kdf.h"
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

/* ---- module parameters ---- */
static str db_url = STR_NULL;
static char *realm = "bsf.ims.example";
static char *fqdn = "bsf.ims.example";
static int key_lifetime = 3600;
static int vector_expiry = 30;
static int max_pending = 10000;
static int sqn_ind_bits = 5;
static int purge_interval = 60;

/* ---- state ---- */
static db_func_t dbf;
static db1_con_t *dbh = NULL; /* per process, opened in child_init */
static xhttp_api_t xhttp;
static gen_lock_t *store_lock = NULL;
static struct vstore *store = NULL;

static stat_var *st_bootstraps, *st_challenges, *st_resyncs, *st_purged, *st_fail_response,
        *st_fail_unknown_impi, *st_fail_stale, *st_fail_replay, *st_fail_malformed, *st_fail_mac_s,
        *st_fail_internal;

static stat_export_t mod_stats[] = {
        {"bootstraps", 0, &st_bootstraps},
        {"challenges", 0, &st_challenges},
        {"resyncs", 0, &st_resyncs},
        {"purged", 0, &st_purged},
        {"failures_wrong_response", 0, &st_fail_response},
        {"failures_unknown_impi", 0, &st_fail_unknown_impi},
        {"failures_stale_nonce", 0, &st_fail_stale},
        {"failures_replayed_nonce", 0, &st_fail_replay},
        {"failures_malformed", 0, &st_fail_malformed},
        {"failures_bad_mac_s", 0, &st_fail_mac_s},
        {"failures_internal", 0, &st_fail_internal},
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
static int db_text(db_val_t *v, char *out, size_t outsz)
{
	const char *s = NULL;
	int len = 0;
	if (VAL_NULL(v))
		return -1;
	switch (VAL_TYPE(v)) {
	case DB1_STRING:
		s = VAL_STRING(v);
		len = (int)strlen(s);
		break;
	case DB1_STR:
		s = VAL_STR(v).s;
		len = VAL_STR(v).len;
		break;
	case DB1_BLOB:
		s = VAL_BLOB(v).s;
		len = VAL_BLOB(v).len;
		break;
	default:
		return -1;
	}
	if (len < 0 || (size_t)len >= outsz)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* One statement; res must be freed by the caller when 0 is returned. */
static int db_query(const char *sql, int len, db1_res_t **res)
{
	str q = {(char *)sql, len};
	*res = NULL;
	if (!dbh) {
		LM_ERR("no database connection in this process\n");
		return -1;
	}
	if (dbf.raw_query(dbh, &q, res) < 0 || !*res) {
		if (*res)
			dbf.free_result(dbh, *res);
		*res = NULL;
		return -1;
	}
	return 0;
}

/* The subscriber's K, OPc, AMF and SQN; with next, SQN moves on first (TS 33.102 C.3.2: a new
 * vector takes the next SEQ), in the same statement as ims_aka so that the BSF and the S-CSCF
 * share one sequence without ever handing out the same SQN. The IMPI passed
 * digest_impi_valid(): no quote or backslash. 1 found, 0 not found, -1 error. */
static int db_subscriber(const char *impi, int next, struct aka_keys *keys, uint64_t *sqn)
{
	char sql[512], hex[40], num[24];
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
	if (RES_COL_N(res) != 4 || db_text(&v[0], hex, sizeof(hex)) || unhex(hex, keys->k, 16) ||
	    db_text(&v[1], hex, sizeof(hex)) || unhex(hex, keys->opc, 16) ||
	    db_text(&v[2], hex, sizeof(hex)) || unhex(hex, keys->amf, 2) ||
	    db_text(&v[3], num, sizeof(num))) {
		LM_ERR("subscriber row of %s has an unexpected shape\n", impi);
		goto out;
	}
	*sqn = strtoull(num, NULL, 10);
	rc = 1;
out:
	OPENSSL_cleanse(hex, sizeof(hex));
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
		else if (db_text(v, num, sizeof(num)) == 0)
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
	uint8_t raw[32];
	char hdr[384];
	int rc = UB_INTERNAL;

	memset(&e, 0, sizeof(e));
	int found = db_subscriber(impi, 1, &keys, &sqn);
	if (found < 0) {
		update_stat(st_fail_internal, 1);
		return reply_text(msg, 500, "Server Internal Error", "database failure\n",
		                  UB_INTERNAL);
	}
	if (found == 0) {
		/* TS 24.109 4.3: nobody to authenticate */
		LM_NOTICE("Ub: bootstrap from %s refused: unknown IMPI %s\n", presec_src_ip(msg),
		          impi);
		update_stat(st_fail_unknown_impi, 1);
		return reply_text(msg, 403, "Forbidden", "unknown user\n", UB_FORBIDDEN);
	}
	if (RAND_bytes(e.av.rand, 16) != 1 || aka_vector_make(&keys, sqn, e.av.rand, &e.av) != 0) {
		LM_ERR("cannot make an authentication vector for %s\n", impi);
		update_stat(st_fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "no vector\n", UB_INTERNAL);
		goto out;
	}
	memcpy(raw, e.av.rand, 16);
	memcpy(raw + 16, e.av.autn, 16);
	b64_encode(raw, 32, e.nonce);
	snprintf(e.impi, sizeof(e.impi), "%s", impi);
	e.algorithm = AKA_ALG_V1_MD5;
	e.created = time(NULL);
	e.expires = e.created + vector_expiry;
	if (vstore_add(store, &e) != 0) {
		LM_ERR("cannot keep the challenge for %s (max_pending %d reached?)\n", impi,
		       max_pending);
		update_stat(st_fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "busy\n", UB_INTERNAL);
		goto out;
	}
	int n = snprintf(hdr, sizeof(hdr),
	                 "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", "
	                 "algorithm=AKAv1-MD5, qop=\"auth-int\"%s\r\n",
	                 realm, e.nonce, stale ? ", stale=TRUE" : "");
	if (n <= 0 || (size_t)n >= sizeof(hdr) || add_header(msg, hdr, n) != 0) {
		LM_ERR("cannot add WWW-Authenticate for %s\n", impi);
		goto out;
	}
	rc = reply_text(msg, 401, "Unauthorized", "bootstrapping: answer the AKA challenge\n",
	                UB_CHALLENGED);
	if (rc == UB_CHALLENGED) {
		update_stat(st_challenges, 1);
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
		update_stat(st_fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "internal error\n", UB_INTERNAL);
		goto out;
	}
	if (db_store_bootstrap(btid, e->impi, e->av.rand, ks, now, expires) != 0) {
		LM_ERR("cannot store the bootstrap of %s\n", e->impi);
		update_stat(st_fail_internal, 1);
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
		LM_NOTICE("Ub: answer of %s from %s refused: Authorization uri is not the "
		          "Request-URI\n",
		          impi, presec_src_ip(msg));
		update_stat(st_fail_malformed, 1);
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
		update_stat(t == -2 ? st_fail_replay : st_fail_stale, 1);
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
			LM_NOTICE("Ub: AUTS of %s from %s refused: response is not over the empty "
			          "password\n",
			          impi, presec_src_ip(msg));
			update_stat(m < 0 ? st_fail_internal : st_fail_response, 1);
			rc = reply_text(msg, 403, "Forbidden", "authentication failed\n",
			                UB_FORBIDDEN);
			goto out;
		}
		int found = db_subscriber(impi, 0, &keys, &sqn);
		if (found <= 0) {
			OPENSSL_cleanse(&keys, sizeof(keys));
			update_stat(found < 0 ? st_fail_internal : st_fail_unknown_impi, 1);
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
			update_stat(st_fail_mac_s, 1);
			rc = reply_text(msg, 403, "Forbidden", "authentication failed\n",
			                UB_FORBIDDEN);
			goto out;
		}
		if (db_resync(impi, sqn_ms) != 0) {
			update_stat(st_fail_internal, 1);
			rc = reply_text(msg, 500, "Server Internal Error", "database failure\n",
			                UB_INTERNAL);
			goto out;
		}
		LM_INFO("Ub: resynchronised SQN of %s after AUTS from %s\n", impi,
		        presec_src_ip(msg));
		update_stat(st_resyncs, 1);
		/* TS 24.109 A.4 steps 7-8: a new challenge with the next SQN */
		rc = challenge(msg, impi, 0);
		goto out;
	}
	/* RFC 3310 3.3: AKAv1-MD5's password is RES */
	int m = ub_response_matches(&r->c, e.av.xres, sizeof(e.av.xres), method, method_len, body,
	                            body_len);
	if (m < 0) {
		update_stat(st_fail_internal, 1);
		rc = reply_text(msg, 500, "Server Internal Error", "internal error\n", UB_INTERNAL);
		goto out;
	}
	if (!m) {
		/* TS 24.109 4.3: user authentication failure */
		LM_NOTICE("Ub: answer of %s from %s refused: wrong response (RES)\n", impi,
		          presec_src_ip(msg));
		update_stat(st_fail_response, 1);
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

	struct hdr_field *h = authorization_of(msg);
	if (!h) {
		/* TS 24.109 4.2: the UE names its IMPI in the first request */
		LM_NOTICE("Ub: %.*s from %s refused: no Authorization with the IMPI\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg));
		update_stat(st_fail_malformed, 1);
		return reply_text(msg, 400, "Bad Request", "Authorization with the IMPI required\n",
		                  UB_MALFORMED);
	}
	if (ub_check_authorization(h->body.s, (size_t)h->body.len, realm, &r, &why) != 0) {
		LM_NOTICE("Ub: request from %s refused: Authorization: %s\n", presec_src_ip(msg),
		          why);
		update_stat(st_fail_malformed, 1);
		return reply_text(msg, 400, "Bad Request", "malformed Authorization\n",
		                  UB_MALFORMED);
	}
	memcpy(impi, r.c.username.s, r.c.username.len);
	impi[r.c.username.len] = '\0';
	if (r.kind == UB_INITIAL)
		return challenge(msg, impi, 0);
	return answer(msg, &r, impi);
}

/* ---- cfg and KEMI ---- */
static int w_bsf_ub(struct sip_msg *msg, char *p1, char *p2)
{
	(void)p1;
	(void)p2;
	return ub(msg);
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
	static const uint8_t zero[16];

	if (!db_url.s || db_url.len == 0) {
		LM_ERR("db_url is required\n");
		return -1;
	}
	db_url.len = (int)strlen(db_url.s);
	if (btid_make(zero, fqdn, probe, sizeof(probe)) < 0) {
		LM_ERR("fqdn '%s' is not a host name\n", fqdn);
		return -1;
	}
	if (!*realm || strlen(realm) > 128 || strpbrk(realm, "\"\\\r\n")) {
		LM_ERR("realm must be 1 to 128 characters without quotes, backslashes or line "
		       "breaks\n");
		return -1;
	}
	if (key_lifetime < 60 || key_lifetime > 7 * 86400 || vector_expiry < 5 ||
	    vector_expiry > 3600 || max_pending < 1 || sqn_ind_bits < 0 || sqn_ind_bits > 10 ||
	    purge_interval < 1 || purge_interval > 86400) {
		LM_ERR("key_lifetime (60..604800), vector_expiry (5..3600), max_pending (>0), "
		       "sqn_ind_bits (0..10) or purge_interval (1..86400) out of range\n");
		return -1;
	}
	if (db_bind_mod(&db_url, &dbf) < 0 || !DB_CAPABILITY(dbf, DB_CAP_RAW_QUERY)) {
		LM_ERR("cannot bind a database module with raw queries for %.*s\n", db_url.len,
		       db_url.s);
		return -1;
	}
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
	if (register_module_stats("bsf", mod_stats) != 0) {
		LM_ERR("cannot register statistics\n");
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
        {0, 0, 0},
};

struct module_exports exports = {
        "bsf",           /* module name */
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

static sr_kemi_t sr_kemi_bsf_exports[] = {
        PRESEC_KEMI_0("bsf", "bsf_ub", ub),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_bsf_exports)
