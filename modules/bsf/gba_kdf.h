/* The GBA key derivation function (TS 33.220 Annex B) and the NAF_Id it is keyed to
 * (TS 33.220 4.5.2, Annex H). Pure core: no Kamailio header. */
#ifndef PRESEC_GBA_KDF_H
#define PRESEC_GBA_KDF_H

#include <stddef.h>
#include <stdint.h>

#define GBA_KEY_LEN       32 /* Ks = CK || IK, and every key the KDF derives (HMAC-SHA-256) */
#define GBA_RAND_LEN      16
#define GBA_UA_ID_LEN     5   /* TS 33.220 H.1: one organisation octet and four protocol octets */
#define GBA_FQDN_MAX      253 /* RFC 1035 2.3.4 */
#define GBA_NAF_ID_MAX    (GBA_FQDN_MAX + GBA_UA_ID_LEN)
#define GBA_KDF_PARAM_MAX 65535 /* TS 33.220 B.1: no parameter is longer */

/* TS 33.220 H.3: Ua security protocol identifiers this suite uses. */
/* HTTP Digest of TS 24.109 (not inside another Ua protocol) */
#define GBA_UA_HTTP_DIGEST ((const uint8_t[GBA_UA_ID_LEN]){0x01, 0x00, 0x00, 0x00, 0x02})
/* TS 33.222 5.3 (shared key UE authentication, certificate NAF authentication): 0x01 0x00 0x01
 * followed by the two octets of the negotiated TLS cipher suite; see gba_ua_id_tls(). */

/* One input parameter P_i of the KDF (its length L_i is written by the KDF). */
struct gba_kdf_param {
	const uint8_t *p;
	size_t len;
};

/* TS 33.220 B.2: derived key = HMAC-SHA-256(key, S), S = FC || P0 || L0 || ... || Pn || Ln, each
 * L_i the length of P_i in two octets, big-endian. Returns 0, or -1 on a parameter longer than
 * 65535 octets, more than 8 parameters or a failing primitive. */
int gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct gba_kdf_param *params,
            size_t n, uint8_t out[GBA_KEY_LEN]);

/* TS 33.220 B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), Ks = CK || IK, FC = 0x01. */
int gba_ks_naf(const uint8_t ks[GBA_KEY_LEN], const uint8_t rand[GBA_RAND_LEN], const char *impi,
               size_t impi_len, const uint8_t *naf_id, size_t naf_id_len, uint8_t out[GBA_KEY_LEN]);

/* TS 33.220 H.3 for TS 33.222 5.3: (0x01, 0x00, 0x01, yy, zz), yy zz the TLS cipher suite. */
void gba_ua_id_tls(uint16_t cipher_suite, uint8_t out[GBA_UA_ID_LEN]);

/* TS 33.220 4.5.2: NAF_Id = the NAF's FQDN (as the UE used it) || Ua security protocol
 * identifier. Returns the length written to out, or -1 when the FQDN is
 * empty, longer than 253 or has a character a host name cannot have, or out is too small. */
int gba_naf_id(const char *fqdn, size_t fqdn_len, const uint8_t ua_id[GBA_UA_ID_LEN], uint8_t *out,
               size_t out_max);

#endif
