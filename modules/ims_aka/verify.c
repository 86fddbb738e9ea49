/* The check of an Authorization that answers an IMS AKA challenge (verify.h). Pure core: no
 * Kamailio header. */
#include "verify.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "uri_id.h"

static int is_protected(enum integrity_protected ip)
{
	return ip == IP_YES || ip == IP_TLS_YES || ip == IP_IP_ASSOC_YES;
}

static int dstr_b64_ok(const struct dstr *d, size_t max)
{
	if (d->len == 0 || d->len > max)
		return 0;
	for (size_t i = 0; i < d->len; i++) {
		char ch = d->s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '='))
			return 0;
	}
	return 1;
}

/* Whether the Digest response of c (32 hex digits, checked before) is the one computed with
 * password pw (RES for AKAv1, the RFC 4169 password for AKAv2, empty over an AUTS), compared
 * in constant time. 1, 0, or -1 when it cannot be computed. */
static int response_matches(const struct aka_verify_env *env, const struct digest_cred *c,
                            const uint8_t *pw, size_t pw_len)
{
	char expected[33], got[33];
	int rc = -1;
	if (digest_response_md5(&c->username, &c->realm, pw, pw_len, &env->method, &c->uri,
	                        &c->nonce, &c->nc, &c->cnonce, &c->qop, expected) == 0) {
		for (size_t i = 0; i < 32; i++)
			got[i] = (char)((c->response.s[i] >= 'A' && c->response.s[i] <= 'F')
			                        ? c->response.s[i] + 32
			                        : c->response.s[i]);
		rc = CRYPTO_memcmp(expected, got, 32) == 0;
	}
	OPENSSL_cleanse(expected, sizeof(expected));
	return rc;
}

/* TS 33.203 7.1, TS 24.229 5.4.1.2.1: the mark means "over the SA of the IMPI that
 * authenticated through this P-CSCF"; without that authentication (another P-CSCF, expired,
 * forgotten, never) the IMPI proves itself with a new challenge. */
static enum aka_verify_outcome verify_protected(const struct aka_verify_env *env, const char *impu,
                                                struct aka_verify_result *out)
{
	struct aka_keys keys;
	int found = env->subscriber(env->arg, out->impi, &keys, out->impus, sizeof(out->impus));
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (found < 0)
		return AV_INTERNAL;
	if (found == 0)
		return AV_PROTECTED_UNKNOWN_IMPI;
	if (!uri_id_in_list(impu, out->impus))
		return AV_PROTECTED_IMPU_MISMATCH;
	long life = env->lifetime(env->arg);
	enum authreg_verdict v = life > 0 ? authreg_refresh(env->reg, out->impi, env->peer,
	                                                    env->now, env->now + life)
	                                  : authreg_check(env->reg, out->impi, env->peer, env->now);
	if (v != AUTHREG_OK)
		return v == AUTHREG_OTHER_PEER ? AV_PROTECTED_OTHER_PEER
		                               : AV_PROTECTED_NOT_REGISTERED;
	if (life == 0)
		authreg_remove(env->reg, out->impi);
	return AV_PROTECTED;
}

/* RFC 3310 3.4: a synchronisation failure; the response is over the empty password, MAC-S
 * proves AUTS (TS 33.102 6.3.5). */
static enum aka_verify_outcome verify_auts(const struct aka_verify_env *env,
                                           const struct digest_cred *c,
                                           const struct vstore_entry *e,
                                           struct aka_verify_result *out)
{
	uint8_t auts[AKA_AUTS_LEN + 2];
	struct aka_keys keys;
	char impus[VSTORE_IMPUS_MAX];
	uint64_t sqn_ms = 0;
	static const uint8_t empty[1] = {0};

	if (b64_decode(c->auts.s, c->auts.len, auts, sizeof(auts)) != AKA_AUTS_LEN)
		return AV_AUTS_NOT_BASE64;
	int m = response_matches(env, c, empty, 0);
	if (m < 0)
		return AV_INTERNAL;
	if (!m)
		return AV_AUTS_WRONG_RESPONSE;
	int found = env->subscriber(env->arg, out->impi, &keys, impus, sizeof(impus));
	if (found <= 0) {
		OPENSSL_cleanse(&keys, sizeof(keys));
		return found < 0 ? AV_INTERNAL : AV_AUTS_UNKNOWN_IMPI;
	}
	int r = aka_resync(&keys, e->av.rand, auts, &sqn_ms);
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (r != AKA_OK)
		return AV_BAD_MAC_S;
	if (env->resync(env->arg, out->impi, sqn_ms) != 0)
		return AV_INTERNAL;
	return AV_RESYNCED;
}

/* A full AKA succeeded: through a trusted P-CSCF, the IMPI may re-register protected through
 * it, and its IMPUs are asserted by it, for as long as the registration lasts. */
static void remember_authentication(const struct aka_verify_env *env, struct aka_verify_result *out)
{
	if (!env->from_pcscf)
		return;
	long life = env->lifetime(env->arg);
	if (life < 0)
		return;
	if (life == 0) {
		authreg_remove(env->reg, out->impi);
		return;
	}
	/* a registration not remembered is challenged again and cannot originate (README) */
	if (authreg_set(env->reg, out->impi, env->peer, out->impus, env->now + life) != 0)
		out->not_remembered = 1;
}

/* The answer to a challenge: the nonce taken once, the response over RES. */
static enum aka_verify_outcome verify_answer(const struct aka_verify_env *env,
                                             const struct digest_cred *c, const char *impu,
                                             struct vstore_entry *e, struct aka_verify_result *out)
{
	uint8_t pw[AKA_PASSWORD_MAX];
	size_t pw_len = 0;
	enum aka_verify_outcome o;

	if (!dstr_b64_ok(&c->nonce, VSTORE_NONCE_MAX - 1))
		return AV_NONCE_NOT_BASE64;
	int r = vstore_take(env->store, c->nonce.s, c->nonce.len, env->now, e);
	if (r == -2)
		return AV_NONCE_REPLAYED;
	if (r != 0)
		return AV_NONCE_UNKNOWN;
	if (strcmp(e->impi, out->impi) != 0)
		return AV_NONCE_OTHER_IMPI;
	out->algorithm = e->algorithm;
	/* RFC 3310 3.3/3.4: qop=auth as challenged, with its nc and cnonce */
	if (c->qop.len != 4 || strncasecmp(c->qop.s, "auth", 4) != 0 || c->nc.len != 8 ||
	    c->cnonce.len == 0 || !c->uri.s || c->response.len != 32)
		return AV_PARAMS_MISSING;
	if (c->auts.s)
		return verify_auts(env, c, e, out);
	if (aka_digest_password(e->algorithm, e->av.xres, sizeof(e->av.xres), e->av.ik, e->av.ck,
	                        pw, &pw_len) != 0)
		return AV_INTERNAL;
	int m = response_matches(env, c, pw, pw_len);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (m < 0)
		o = AV_INTERNAL;
	else if (!m)
		o = AV_WRONG_RES;
	else if (!uri_id_in_list(impu, e->impus))
		o = AV_IMPU_MISMATCH;
	else {
		snprintf(out->impus, sizeof(out->impus), "%s", e->impus);
		remember_authentication(env, out);
		o = AV_OK;
	}
	return o;
}

enum aka_verify_outcome aka_verify(const struct aka_verify_env *env, int found,
                                   const struct digest_cred *c, const char *impu,
                                   struct aka_verify_result *out)
{
	struct vstore_entry e;

	memset(out, 0, sizeof(*out));
	if (found < 0)
		return AV_MALFORMED_AUTHORIZATION;
	if (found == 0)
		return AV_NO_CREDENTIALS;
	if (!digest_impi_valid(c->username.s, c->username.len)) /* at most 253 octets */
		return AV_USERNAME_NOT_IMPI;
	memcpy(out->impi, c->username.s, c->username.len);
	out->impi[c->username.len] = '\0';
	if (!impu)
		return AV_NO_TO_IMPU;
	/* TS 24.229 5.4.1.2.1: a REGISTER the P-CSCF received over the UE's security association
	 * need not be challenged again; the marking counts only from a P-CSCF we trust. */
	if (is_protected(c->integrity_protected) && c->response.len == 0 && c->nonce.len == 0) {
		if (!env->from_pcscf)
			out->protection_ignored = 1;
		else if (env->protected_reregistration)
			return verify_protected(env, impu, out);
	}
	if (c->nonce.len == 0 || !c->has_response)
		return AV_NO_CREDENTIALS; /* the initial REGISTER of TS 24.229 5.1.1.2 */
	memset(&e, 0, sizeof(e));
	enum aka_verify_outcome o = verify_answer(env, c, impu, &e, out);
	OPENSSL_cleanse(&e, sizeof(e));
	return o;
}
