#include "gba_kdf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#define KDF_MAX_PARAMS 8

int gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct gba_kdf_param *params,
            size_t n, uint8_t out[GBA_KEY_LEN])
{
	uint8_t fcb[1] = {fc}, lens[KDF_MAX_PARAMS][2], md[EVP_MAX_MD_SIZE];
	int ok;

	if (n > KDF_MAX_PARAMS || key_len > 1024)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (params[i].len > GBA_KDF_PARAM_MAX || (params[i].len && !params[i].p))
			return -1;
		/* TS 33.220 B.2.1: L_i in two octets, most significant first */
		lens[i][0] = (uint8_t)(params[i].len >> 8);
		lens[i][1] = (uint8_t)params[i].len;
	}
	/* S is fed to the MAC piece by piece: no buffer bounds the parameters' sizes */
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char digest[] = "SHA256";
	OSSL_PARAM mp[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
	                   OSSL_PARAM_construct_end()};
	size_t outl = 0;
	ok = ctx && EVP_MAC_init(ctx, key, key_len, mp) == 1 && EVP_MAC_update(ctx, fcb, 1) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = (params[i].len == 0 || EVP_MAC_update(ctx, params[i].p, params[i].len) == 1) &&
		     EVP_MAC_update(ctx, lens[i], 2) == 1;
	ok = ok && EVP_MAC_final(ctx, md, &outl, sizeof(md)) == 1 && outl == GBA_KEY_LEN;
	if (ok)
		memcpy(out, md, GBA_KEY_LEN);
	OPENSSL_cleanse(md, sizeof(md));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

int gba_ks_naf(const uint8_t ks[GBA_KEY_LEN], const uint8_t rand[GBA_RAND_LEN], const char *impi,
               size_t impi_len, const uint8_t *naf_id, size_t naf_id_len, uint8_t out[GBA_KEY_LEN])
{
	/* TS 33.220 B.3: P0 = "gba-me", P1 = RAND, P2 = IMPI (UTF-8), P3 = NAF_Id */
	static const uint8_t gba_me[] = {'g', 'b', 'a', '-', 'm', 'e'};
	const struct gba_kdf_param p[] = {
	        {gba_me, sizeof(gba_me)},
	        {rand, GBA_RAND_LEN},
	        {(const uint8_t *)impi, impi_len},
	        {naf_id, naf_id_len},
	};
	if (!impi_len || !naf_id_len)
		return -1;
	return gba_kdf(ks, GBA_KEY_LEN, 0x01, p, 4, out);
}

void gba_ua_id_tls(uint16_t cipher_suite, uint8_t out[GBA_UA_ID_LEN])
{
	out[0] = 0x01;
	out[1] = 0x00;
	out[2] = 0x01;
	out[3] = (uint8_t)(cipher_suite >> 8);
	out[4] = (uint8_t)cipher_suite;
}

int gba_naf_id(const char *fqdn, size_t fqdn_len, const uint8_t ua_id[GBA_UA_ID_LEN], uint8_t *out,
               size_t out_max)
{
	if (fqdn_len == 0 || fqdn_len > GBA_FQDN_MAX || out_max < fqdn_len + GBA_UA_ID_LEN)
		return -1;
	for (size_t i = 0; i < fqdn_len; i++) {
		unsigned char ch = (unsigned char)fqdn[i];
		/* RFC 1123 2.1 host names: letters, digits, hyphen, dots between labels; taken as
		 * written (TS 33.220 B.2.1: the FQDN's octets in UTF-8), so UE and NAF must use
		 * the same spelling */
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '.'))
			return -1;
		out[i] = ch;
	}
	memcpy(out + fqdn_len, ua_id, GBA_UA_ID_LEN);
	return (int)(fqdn_len + GBA_UA_ID_LEN);
}
