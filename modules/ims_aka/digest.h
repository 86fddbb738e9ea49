/* HTTP Digest for IMS AKA: the Authorization header of RFC 3261/RFC 2617 with the parameters of
 * RFC 3310 (auts), TS 24.229 (integrity-protected), the AKAv1-MD5 (RFC 3310) and AKAv2-MD5
 * (RFC 4169) passwords, the response computation, and the nonce encoding.
 * Pure core: no Kamailio header. */
#ifndef PRESEC_DIGEST_H
#define PRESEC_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "presec/hex.h"

/* A view into the parsed header; not NUL-terminated. len 0 and s NULL when absent. */
struct dstr {
	const char *s;
	size_t len;
};

/* TS 24.229 7.2A.2: integrity-protected, set by the P-CSCF in the Authorization it forwards. */
enum integrity_protected {
	IP_ABSENT = 0,
	IP_NO,
	IP_YES,
	IP_TLS_PENDING,
	IP_TLS_YES,
	IP_IP_ASSOC_PENDING,
	IP_IP_ASSOC_YES,
	IP_AUTH_DONE,
};

enum aka_algorithm {
	AKA_ALG_NONE = 0,
	AKA_ALG_V1_MD5, /* RFC 3310 */
	AKA_ALG_V2_MD5, /* RFC 4169 */
	AKA_ALG_OTHER,  /* present, but not an AKA algorithm we know */
};

struct digest_cred {
	struct dstr username, realm, nonce, uri, response, algorithm_str, cnonce, nc, qop, opaque,
	        auts;
	enum aka_algorithm algorithm;
	enum integrity_protected integrity_protected;
	int has_response; /* response= present (possibly empty, as in an initial IMS REGISTER) */
};

#define DIGEST_MAX_HEADER 4096
#define DIGEST_MAX_PARAMS 32

/* Parse the value of an Authorization (or Proxy-Authorization) header: "Digest" and its
 * comma-separated parameters. Returns 0, or -1 with *why naming the offending part. */
int digest_parse(const char *buf, size_t len, struct digest_cred *c, const char **why);

/* An IMPI (TS 23.003 13.3, a NAI of RFC 4282): user@realm, the characters a NAI allows. Used
 * before an IMPI reaches a query or a log line. */
int digest_impi_valid(const char *s, size_t len);

enum aka_algorithm aka_algorithm_from(const char *s, size_t len);
const char *aka_algorithm_name(enum aka_algorithm a);

/* The Digest password of AKA: AKAv1 uses RES itself (RFC 3310 3.3); AKAv2 uses
 * base64(HMAC-MD5(RES || IK || CK, "http-digest-akav2-password")) (RFC 4169 3).
 * An empty password (pw_len 0) goes with AUTS (RFC 3310 3.4). Returns 0 or -1. */
#define AKA_PASSWORD_MAX 32
int aka_digest_password(enum aka_algorithm alg, const uint8_t *res, size_t res_len,
                        const uint8_t ik[16], const uint8_t ck[16], uint8_t pw[AKA_PASSWORD_MAX],
                        size_t *pw_len);

/* RFC 2617 3.2.2 response with qop=auth (or without qop when qop is empty), MD5:
 * H(H(user:realm:password):nonce[:nc:cnonce:qop]:H(method:uri)) as 32 lowercase hex digits. */
int digest_response_md5(const struct dstr *user, const struct dstr *realm, const uint8_t *pw,
                        size_t pw_len, const struct dstr *method, const struct dstr *uri,
                        const struct dstr *nonce, const struct dstr *nc, const struct dstr *cnonce,
                        const struct dstr *qop, char out[33]);

/* The WWW-Authenticate header line (with its CRLF) of an AKA challenge (RFC 3310 3.1, RFC 2617
 * 3.2.1): realm, nonce, algorithm, qop="<qop>" ("auth" at the S-CSCF, "auth-int" on Ub,
 * TS 24.109 4.3), stale=TRUE when stale (RFC 2617 3.2.1), and ck/ik as hex when given (towards
 * the P-CSCF only, TS 24.229 5.4.1.2.1; the caller wipes out). Returns the length written
 * (without the NUL), or -1 when it does not fit. */
int digest_www_authenticate(char *out, size_t outsz, const char *realm, size_t realm_len,
                            const char *nonce, enum aka_algorithm alg, const char *qop, int stale,
                            const uint8_t *ck, const uint8_t *ik);

/* Base64 (RFC 4648, with padding). encode returns the length written (out needs
 * 4 * ceil(n / 3) + 1 bytes, NUL added); decode returns the length or -1 on any character,
 * padding or length that is not canonical base64. */
size_t b64_encode(const uint8_t *in, size_t n, char *out);
int b64_decode(const char *in, size_t n, uint8_t *out, size_t out_max);

#endif
