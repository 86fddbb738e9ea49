/* The Ua side of GBA at a NAF (TS 24.109 5.2 HTTP Digest with the bootstrapped key, TS 33.222
 * 5.3 over server-authenticated TLS): the GBA credentials of a request, the NAF_Id the key is
 * derived for, and the identity the NAF asserts (X-3GPP-Intended-Identity, TS 24.109 5.2.2).
 * Pure core: no Kamailio header. */
#ifndef PRESEC_UA_H
#define PRESEC_UA_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "gba_kdf.h"

/* TS 33.220 4.5.2 / TS 24.109 5.2.2: realm = "3GPP-bootstrapping@" NAF FQDN */
#define UA_REALM_PREFIX "3GPP-bootstrapping@"
#define UA_REALM_MAX    (sizeof(UA_REALM_PREFIX) - 1 + GBA_FQDN_MAX)
#define UA_IMPU_MAX     256

enum ua_rc {
	UA_OK = 0,
	UA_NOT_GBA = -1, /* no Digest credentials for the GBA realm of this NAF (another realm) */
	UA_BAD = -2,     /* GBA credentials, but malformed (the username is not a B-TID, ...) */
};

/* The value of an Authorization header, checked for GBA at the NAF naf_fqdn: Digest with the
 * realm "3GPP-bootstrapping@<naf_fqdn>" (case-insensitive; the trailing ';' some phones add is
 * tolerated: the realm is then hashed as they sent it) and a B-TID as username. Returns UA_OK
 * with *c parsed, UA_NOT_GBA, or UA_BAD with *why. */
int ua_gba_credentials(const char *hdr, size_t len, const char *naf_fqdn, struct digest_cred *c,
                       const char **why);

/* The IANA code of a TLS cipher suite named as OpenSSL or the IANA registry names it (what
 * Kamailio's $tls_cipher_info gives, e.g. ECDHE-RSA-AES128-GCM-SHA256 or TLS_AES_128_GCM_SHA256).
 * 0 with *id, or -1 for a name this OpenSSL does not know. */
int ua_cipher_suite_id(const char *name, uint16_t *id);

/* TS 33.220 4.5.2, Annex H: NAF_Id = naf_fqdn || Ua security protocol identifier: with a TLS
 * cipher suite (TS 33.222 5.3, shared key UE authentication with certificate-based NAF
 * authentication) (0x01, 0x00, 0x01, yy, zz); without one (plain HTTP Digest of TS 24.109)
 * (0x01, 0x00, 0x00, 0x00, 0x02). cipher: NULL or "" for none. Returns the length, or -1. */
int ua_naf_id(const char *naf_fqdn, const char *cipher, uint8_t *out, size_t out_max);

/* TS 24.109 5.2.2: the identity the NAF asserts for the user. intended: the value of
 * X-3GPP-Intended-Identity (NULL or empty: none), as phones write it: quoted or not, in angle
 * brackets or not. impus: the user's IMPUs from Zn, comma-separated, the default first.
 * Returns 0 with the IMPU (as Zn gave it) in out: the intended one when it is one of impus,
 * the default when there is none; -1 with *why when the intended identity is not the user's
 * or impus is empty. IMPUs are compared as every identity of the suite is (uri_id). */
int ua_asserted_identity(const char *intended, size_t len, const char *impus, char *out,
                         size_t outsz, const char **why);

/* Which authentication methods a user may use at the NAF (sql/010): whether method (a token such
 * as "gba" or "password") is in methods, a comma-separated list as an operator writes it
 * ("gba,password") or as PostgreSQL prints a text[] ("{gba,password}"); blanks around the
 * tokens are ignored, "" and "{}" list nothing. 1 listed, 0 not, -1 when methods is not such a
 * list (a malformed list allows nothing). */
int ua_method_listed(const char *methods, const char *method);

/* Whether s (len bytes, not NUL-terminated) may be written into a log line as the address of a
 * UE that a proxy passed in a header (modparam peer_header): 1 to 45 characters of an IPv4 or
 * IPv6 address in text form (digits, hex letters, '.' and ':'), nothing else. 1 or 0. */
int ua_is_address_text(const char *s, size_t len);

#endif
