#include "ub.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

static int dieq(const struct dstr *d, const char *lit)
{
	size_t n = strlen(lit);
	if (!d->s || d->len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)d->s[i], b = (unsigned char)lit[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static int all_of(const struct dstr *d, size_t min, size_t max, const char *set, int hex)
{
	if (!d->s || d->len < min || d->len > max)
		return 0;
	for (size_t i = 0; i < d->len; i++) {
		unsigned char ch = (unsigned char)d->s[i];
		int ok = hex ? ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		                (ch >= 'A' && ch <= 'F'))
		             : (ch > 0x20 && ch < 0x7f && !strchr(set, ch));
		if (!ok)
			return 0;
	}
	return 1;
}

int ub_check_authorization(const char *hdr, size_t len, const char *realm, struct ub_request *r,
                           const char **why)
{
	struct digest_cred *c = &r->c;

	memset(r, 0, sizeof(*r));
	if (digest_parse(hdr, len, c, why) != 0)
		return -1;
	/* TS 24.109 4.2: the username is the IMPI (TS 23.003 13.3, a NAI) */
	if (!digest_impi_valid(c->username.s, c->username.len)) {
		*why = "username is not a valid IMPI";
		return -1;
	}
	if (c->nonce.len == 0) {
		/* TS 24.109 A.3 step 1: nonce="" and response="" with the IMPI */
		if (c->response.len != 0) {
			*why = "response without a nonce";
			return -1;
		}
		r->kind = UB_INITIAL;
		return 0;
	}
	if (!dieq(&c->realm, realm)) {
		*why = "realm is not the BSF's";
		return -1;
	}
	if (!all_of(&c->nonce, 4, UB_NONCE_MAX, "", 0) ||
	    b64_decode(c->nonce.s, c->nonce.len, (uint8_t[48]){0}, 48) < 0) {
		*why = "nonce is not base64";
		return -1;
	}
	if (c->algorithm != AKA_ALG_V1_MD5) {
		*why = "algorithm is not AKAv1-MD5";
		return -1;
	}
	if (!dieq(&c->qop, "auth-int")) {
		*why = "qop is not auth-int";
		return -1;
	}
	if (!c->uri.s || c->uri.len == 0) {
		*why = "uri missing";
		return -1;
	}
	/* RFC 2617 3.2.2: nc is 8 hex digits; some phones print it in decimal without leading
	 * zeros, which hashes as sent */
	if (!all_of(&c->nc, 1, 8, "", 1)) {
		*why = "nc is not 1 to 8 hex digits";
		return -1;
	}
	/* echoed in Authentication-Info: printable, no quote (the parser refused \ and controls) */
	if (!all_of(&c->cnonce, 1, UB_CNONCE_MAX, "\"", 0)) {
		*why = "cnonce missing, too long or not printable";
		return -1;
	}
	if (!all_of(&c->response, 32, 32, "", 1)) {
		*why = "response is not 32 hex digits";
		return -1;
	}
	if (c->auts.s) {
		/* RFC 3310 3.4: AUTS is 14 octets, base64 */
		uint8_t auts[AKA_AUTS_LEN + 2];
		if (b64_decode(c->auts.s, c->auts.len, auts, sizeof(auts)) != AKA_AUTS_LEN) {
			*why = "auts is not 14 octets of base64";
			return -1;
		}
		memcpy(r->auts, auts, AKA_AUTS_LEN);
		r->kind = UB_AUTS;
		return 0;
	}
	r->kind = UB_ANSWER;
	return 0;
}

static int md5_hex(const uint8_t *in, size_t n, char out[33])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_Digest(in, n, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16)
		return -1;
	hex_encode(md, 16, out);
	return 0;
}

/* auth-int's A2 is method:uri:H(body); digest.c hashes method:uri, so the uri it is handed is
 * uri:H(body) */
static int auth_int(const struct digest_cred *c, const uint8_t *pw, size_t pw_len,
                    const char *method, size_t method_len, const uint8_t *body, size_t body_len,
                    char out[33])
{
	char uri_hbody[DIGEST_MAX_HEADER + 34], hbody[33];
	static const char qop[] = "auth-int";
	if (!c->uri.s || c->uri.len > DIGEST_MAX_HEADER || md5_hex(body, body_len, hbody) != 0)
		return -1;
	memcpy(uri_hbody, c->uri.s, c->uri.len);
	uri_hbody[c->uri.len] = ':';
	memcpy(uri_hbody + c->uri.len + 1, hbody, 32);
	struct dstr m = {method, method_len}, u = {uri_hbody, c->uri.len + 33},
	            q = {qop, sizeof(qop) - 1};
	return digest_response_md5(&c->username, &c->realm, pw, pw_len, &m, &u, &c->nonce, &c->nc,
	                           &c->cnonce, &q, out);
}

int ub_response(const struct digest_cred *c, const uint8_t *pw, size_t pw_len, const char *method,
                size_t method_len, const uint8_t *body, size_t body_len, char out[33])
{
	return auth_int(c, pw, pw_len, method, method_len, body, body_len, out);
}

int ub_response_matches(const struct digest_cred *c, const uint8_t *pw, size_t pw_len,
                        const char *method, size_t method_len, const uint8_t *body, size_t body_len)
{
	char expected[33], got[33];
	int rc = -1;
	if (c->response.len == 32 &&
	    auth_int(c, pw, pw_len, method, method_len, body, body_len, expected) == 0) {
		for (size_t i = 0; i < 32; i++) {
			char ch = c->response.s[i];
			got[i] = (ch >= 'A' && ch <= 'F') ? (char)(ch + 32) : ch;
		}
		rc = CRYPTO_memcmp(expected, got, 32) == 0;
	}
	OPENSSL_cleanse(expected, sizeof(expected));
	return rc;
}

int ub_rspauth(const struct digest_cred *c, const uint8_t *pw, size_t pw_len, const uint8_t *body,
               size_t body_len, char out[33])
{
	/* RFC 2617 3.2.3: as the response, with an empty method */
	return auth_int(c, pw, pw_len, "", 0, body, body_len, out);
}
