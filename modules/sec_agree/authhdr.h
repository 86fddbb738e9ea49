/* The two Digest headers the P-CSCF rewrites during sec-agree (TS 24.229 5.2.2): it takes ck and
 * ik out of the S-CSCF's WWW-Authenticate before the 401 reaches the UE, and it states in the
 * REGISTER's Authorization whether the request arrived integrity-protected. Pure core. */
#ifndef PRESEC_AUTHHDR_H
#define PRESEC_AUTHHDR_H
#include <stddef.h>
#include <stdint.h>

/* Copies the WWW-Authenticate body without its ck= and ik= parameters into out and returns the
 * two keys. Returns the length written; -1 when ck or ik is missing or not 32 hex digits, or the
 * result does not fit (*why says which). */
int auth_take_ck_ik(const char *body, size_t len, char *out, size_t outsz, uint8_t ck[16],
                    uint8_t ik[16], const char **why);

/* Copies an Authorization body with every integrity-protected parameter removed and
 * integrity-protected="<value>" appended. Returns the length written or -1. */
int auth_mark_integrity(const char *body, size_t len, const char *value, char *out, size_t outsz);

/* The username of an Authorization body (Digest credentials, RFC 2617 3.2.2; the IMPI of
 * TS 24.229 5.1.1.2.1) without its quotes, into out as a C string. 1 found, 0 when the
 * credentials carry no username, -1 when the body is not a parameter list, names the username
 * twice, escapes a character in it (no IMPI has one, and an escaped form would compare unlike
 * the S-CSCF's), or it does not fit (*why says which). */
int auth_username(const char *body, size_t len, char *out, size_t outsz, const char **why);

/* Whether an Authorization body answers a challenge (RFC 2617 3.2.2: a nonce and a response,
 * each given once and not empty), as the REGISTER over SAs not yet confirmed must (TS 33.203
 * 7.2 SM7). 1, 0 (no answer: missing, empty or repeated), -1 not Digest credentials. */
int auth_answers(const char *body, size_t len);

#endif
