/* The Ub reference point at the BSF (TS 24.109 4, TS 33.220 4.5.2): what a bootstrapping
 * request's Authorization header must hold, and HTTP Digest AKA with qop=auth-int (RFC 3310,
 * RFC 2617 3.2.2/3.2.3) over the request's and the response's bodies. The Digest parsing and
 * MD5 response are ims_aka's core (digest.c). Pure core: no Kamailio header. */
#ifndef PRESEC_UB_H
#define PRESEC_UB_H

#include <stddef.h>
#include <stdint.h>

#include "aka.h"
#include "digest.h"

#define UB_CNONCE_MAX 128
#define UB_NONCE_MAX  63 /* base64(RAND || AUTN) is 44 characters */

enum ub_kind {
	UB_INITIAL = 1, /* TS 24.109 A.3 step 1: the IMPI only (empty nonce and response) */
	UB_ANSWER,      /* step 6: the answer to the challenge, RES as the password */
	UB_AUTS,        /* TS 24.109 4.5 / A.4: synchronisation failure, AUTS attached */
};

struct ub_request {
	struct digest_cred c; /* views into the header */
	enum ub_kind kind;
	uint8_t auts[AKA_AUTS_LEN]; /* UB_AUTS: the decoded AUTS */
};

/* Checks the value of a bootstrapping request's Authorization header. An initial request
 * needs a valid IMPI as username; an answer in addition the BSF's realm, the nonce, uri,
 * algorithm=AKAv1-MD5 (TS 33.220 4.5.2: GBA runs HTTP Digest AKA, RFC 3310), qop=auth-int
 * (TS 24.109 4.2), nc, cnonce and a 32-digit response. Returns 0 and fills *r, or -1 with *why
 * naming the offending parameter. */
int ub_check_authorization(const char *hdr, size_t len, const char *realm, struct ub_request *r,
                           const char **why);

/* The response a client computes with password pw (RES, or empty with AUTS) for a request
 * with `method` and `body`: RFC 2617 3.2.2.3 with qop=auth-int, A2 = method:uri:H(body).
 * 0 or -1. */
int ub_response(const struct digest_cred *c, const uint8_t *pw, size_t pw_len, const char *method,
                size_t method_len, const uint8_t *body, size_t body_len, char out[33]);

/* Whether c's response is the one computed with pw, compared in constant time: 1, 0, or -1
 * when it cannot be computed. */
int ub_response_matches(const struct digest_cred *c, const uint8_t *pw, size_t pw_len,
                        const char *method, size_t method_len, const uint8_t *body,
                        size_t body_len);

/* RFC 2617 3.2.3: rspauth of the Authentication-Info header with qop=auth-int, A2 =
 * :uri:H(response body), so that the UE knows the BootstrappingInfo came from the BSF that
 * knows RES. 0 or -1. */
int ub_rspauth(const struct digest_cred *c, const uint8_t *pw, size_t pw_len, const uint8_t *body,
               size_t body_len, char out[33]);

#endif
