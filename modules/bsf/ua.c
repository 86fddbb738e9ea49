#include "ua.h"

#include <openssl/ssl.h>
#include <string.h>

#include "bootinfo.h"
#include "uri_id.h"

static int ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

static int realm_is_gba(const struct dstr *realm, const char *naf_fqdn)
{
	size_t pl = sizeof(UA_REALM_PREFIX) - 1, fl = strlen(naf_fqdn), n = realm->len;
	if (!realm->s)
		return 0;
	/* AOSP's Ut client writes the realm with a trailing ';' */
	if (n == pl + fl + 1 && realm->s[n - 1] == ';')
		n--;
	return n == pl + fl && ieq_n(realm->s, UA_REALM_PREFIX, pl) &&
	       ieq_n(realm->s + pl, naf_fqdn, fl);
}

int ua_gba_credentials(const char *hdr, size_t len, const char *naf_fqdn, struct digest_cred *c,
                       const char **why)
{
	uint8_t rand[GBA_RAND_LEN];
	struct dstr host;

	if (digest_parse(hdr, len, c, why) != 0)
		return realm_is_gba(&c->realm, naf_fqdn) ? UA_BAD : UA_NOT_GBA;
	if (!realm_is_gba(&c->realm, naf_fqdn))
		return UA_NOT_GBA;
	/* TS 24.109 5.2.2: the username is the B-TID */
	if (btid_parse(c->username.s, c->username.len, rand, &host) != 0) {
		*why = "username is not a B-TID";
		return UA_BAD;
	}
	return UA_OK;
}

int ua_cipher_suite_id(const char *name, uint16_t *id)
{
	int rc = -1;
	if (!name || !*name)
		return -1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl = NULL;
	/* every suite this OpenSSL knows, TLS 1.3's included (they are listed apart) */
	if (!ctx || SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") != 1 ||
	    !(ssl = SSL_new(ctx)))
		goto out;
	STACK_OF(SSL_CIPHER) *all = SSL_get_ciphers(ssl);
	for (int i = 0; all && i < sk_SSL_CIPHER_num(all); i++) {
		const SSL_CIPHER *ci = sk_SSL_CIPHER_value(all, i);
		const char *std = SSL_CIPHER_standard_name(ci);
		if (strcmp(SSL_CIPHER_get_name(ci), name) == 0 || (std && strcmp(std, name) == 0)) {
			*id = SSL_CIPHER_get_protocol_id(ci);
			rc = 0;
			break;
		}
	}
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return rc;
}

int ua_naf_id(const char *naf_fqdn, const char *cipher, uint8_t *out, size_t out_max)
{
	uint8_t ua[GBA_UA_ID_LEN];
	uint16_t id;
	if (cipher && *cipher) {
		if (ua_cipher_suite_id(cipher, &id) != 0)
			return -1;
		gba_ua_id_tls(id, ua);
	} else {
		memcpy(ua, GBA_UA_HTTP_DIGEST, GBA_UA_ID_LEN);
	}
	return gba_naf_id(naf_fqdn, strlen(naf_fqdn), ua, out, out_max);
}

/* The project's one identity comparison (pidf_filter's uri_id, RFC 3261 19.1.4): scheme and
 * host without case, the user part with it, escapes and tel: separators normalised. */
static int impu_equal(const char *a, size_t an, const char *b, size_t bn)
{
	char az[UA_IMPU_MAX], bz[UA_IMPU_MAX];
	if (an >= sizeof(az) || bn >= sizeof(bz) || memchr(a, '\0', an))
		return 0;
	memcpy(az, a, an);
	az[an] = '\0';
	memcpy(bz, b, bn);
	bz[bn] = '\0';
	return uri_id_same(az, bz);
}

int ua_asserted_identity(const char *intended, size_t len, const char *impus, char *out,
                         size_t outsz, const char **why)
{
	const char *s = intended ? intended : "";
	size_t n = intended ? len : 0;

	if (!impus || !*impus) {
		*why = "the user has no IMPU";
		return -1;
	}
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	/* phones send it quoted, in angle brackets, or both */
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		s++, n -= 2;
	for (const char *p = impus; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		/* TS 24.109 5.2.2: without the header, the default IMPU (the first) */
		if (n == 0 || impu_equal(s, n, p, l)) {
			if (l >= outsz) {
				*why = "IMPU too long";
				return -1;
			}
			memcpy(out, p, l);
			out[l] = '\0';
			return 0;
		}
		if (!e)
			break;
		p = e + 1;
	}
	*why = "X-3GPP-Intended-Identity is not one of the user's IMPUs";
	return -1;
}

static int is_token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

int ua_method_listed(const char *methods, const char *method)
{
	const char *p = methods, *end;
	size_t ml = method ? strlen(method) : 0;
	int found = 0;

	if (!p)
		return -1;
	end = p + strlen(p);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* PostgreSQL's text form of an array: {a,b} */
	if (p < end && *p == '{') {
		if (end[-1] != '}' || end - p < 2)
			return -1;
		p++;
		end--;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return 0;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *t = p;
		while (p < end && is_token_char(*p))
			p++;
		size_t tl = (size_t)(p - t);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (tl == 0 || (p < end && *p != ','))
			return -1;
		if (ml && tl == ml && memcmp(t, method, ml) == 0)
			found = 1;
		if (p == end)
			return found;
		p++; /* ',' */
	}
}

int ua_is_address_text(const char *s, size_t len)
{
	if (!s || len == 0 || len > 45)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F') || ch == '.' || ch == ':'))
			return 0;
	}
	return 1;
}
