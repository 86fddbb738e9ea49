#include "digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

static int is_token_char(unsigned char ch)
{
	/* RFC 3261 25.1 token */
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("-.!%*_+`'~", ch) != NULL;
}

static int is_lws(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int ieq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	if (len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)lit[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

enum aka_algorithm aka_algorithm_from(const char *s, size_t len)
{
	if (ieq(s, len, "akav1-md5"))
		return AKA_ALG_V1_MD5;
	if (ieq(s, len, "akav2-md5"))
		return AKA_ALG_V2_MD5;
	return AKA_ALG_OTHER;
}

const char *aka_algorithm_name(enum aka_algorithm a)
{
	switch (a) {
	case AKA_ALG_V1_MD5:
		return "AKAv1-MD5";
	case AKA_ALG_V2_MD5:
		return "AKAv2-MD5";
	default:
		return "unknown";
	}
}

static enum integrity_protected ip_from(const char *s, size_t len)
{
	static const struct {
		const char *name;
		enum integrity_protected v;
	} names[] = {
	        {"no", IP_NO},
	        {"yes", IP_YES},
	        {"tls-pending", IP_TLS_PENDING},
	        {"tls-yes", IP_TLS_YES},
	        {"ip-assoc-pending", IP_IP_ASSOC_PENDING},
	        {"ip-assoc-yes", IP_IP_ASSOC_YES},
	        {"auth-done", IP_AUTH_DONE},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ieq(s, len, names[i].name))
			return names[i].v;
	return IP_ABSENT;
}

/* Which field of the credentials a parameter name fills, and whether it must be quoted
 * (RFC 2617 3.2.2 / RFC 3261 25.1; nc, qop and algorithm are tokens). */
static struct dstr *field_of(struct digest_cred *c, const char *n, size_t len, int *quoted)
{
	static const struct {
		const char *name;
		size_t off;
		int quoted;
	} fields[] = {
	        {"username", offsetof(struct digest_cred, username), 1},
	        {"realm", offsetof(struct digest_cred, realm), 1},
	        {"nonce", offsetof(struct digest_cred, nonce), 1},
	        {"uri", offsetof(struct digest_cred, uri), 1},
	        {"response", offsetof(struct digest_cred, response), 1},
	        {"algorithm", offsetof(struct digest_cred, algorithm_str), 0},
	        {"cnonce", offsetof(struct digest_cred, cnonce), 1},
	        {"nc", offsetof(struct digest_cred, nc), 0},
	        {"qop", offsetof(struct digest_cred, qop), 0},
	        {"opaque", offsetof(struct digest_cred, opaque), 1},
	        {"auts", offsetof(struct digest_cred, auts), 1},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (ieq(n, len, fields[i].name)) {
			*quoted = fields[i].quoted;
			return (struct dstr *)((char *)c + fields[i].off);
		}
	return NULL;
}

int digest_parse(const char *buf, size_t len, struct digest_cred *c, const char **why)
{
	size_t i = 0, nparams = 0;
	struct dstr ip = {0};
	int seen_ip = 0;

	memset(c, 0, sizeof(*c));
	if (len > DIGEST_MAX_HEADER) {
		*why = "Authorization header too long";
		return -1;
	}
	while (i < len && is_lws((unsigned char)buf[i]))
		i++;
	if (len - i < 6 || !ieq(buf + i, 6, "digest") ||
	    (len - i > 6 && !is_lws((unsigned char)buf[i + 6]))) {
		*why = "Authorization scheme is not Digest";
		return -1;
	}
	i += 6;
	for (;;) {
		while (i < len && is_lws((unsigned char)buf[i]))
			i++;
		if (i >= len)
			break;
		/* name */
		size_t ns = i;
		while (i < len && is_token_char((unsigned char)buf[i]))
			i++;
		if (i == ns) {
			*why = "Authorization: parameter name expected";
			return -1;
		}
		struct dstr name = {buf + ns, i - ns};
		while (i < len && is_lws((unsigned char)buf[i]))
			i++;
		if (i >= len || buf[i] != '=') {
			*why = "Authorization: '=' expected after a parameter name";
			return -1;
		}
		i++;
		while (i < len && is_lws((unsigned char)buf[i]))
			i++;
		/* value: quoted-string or token */
		struct dstr val;
		int was_quoted = 0;
		if (i < len && buf[i] == '"') {
			size_t vs = ++i;
			while (i < len && buf[i] != '"') {
				if (buf[i] == '\\') {
					/* quoted-pair: no credential we verify may contain one;
					 * refuse rather than compare an unescaped and an escaped
					 * form */
					*why = "Authorization: escaped character in a quoted value";
					return -1;
				}
				if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t') {
					*why = "Authorization: control character in a quoted value";
					return -1;
				}
				i++;
			}
			if (i >= len) {
				*why = "Authorization: unterminated quoted value";
				return -1;
			}
			val.s = buf + vs;
			val.len = i - vs;
			i++;
			was_quoted = 1;
		} else {
			size_t vs = i;
			while (i < len && is_token_char((unsigned char)buf[i]))
				i++;
			val.s = buf + vs;
			val.len = i - vs;
			if (val.len == 0) {
				*why = "Authorization: parameter value expected";
				return -1;
			}
		}
		if (++nparams > DIGEST_MAX_PARAMS) {
			*why = "Authorization: too many parameters";
			return -1;
		}
		int want_quoted = 0;
		struct dstr *f = field_of(c, name.s, name.len, &want_quoted);
		if (f) {
			if (f->s) {
				*why = "Authorization: duplicate parameter";
				return -1;
			}
			/* qop and nc are tokens, but several clients quote them: accept both */
			if (want_quoted && !was_quoted) {
				*why = "Authorization: parameter must be a quoted string";
				return -1;
			}
			*f = val;
			if (f == &c->response)
				c->has_response = 1;
		} else if (ieq(name.s, name.len, "integrity-protected")) {
			if (seen_ip) {
				*why = "Authorization: duplicate integrity-protected";
				return -1;
			}
			seen_ip = 1;
			ip = val;
		}
		/* other parameters (auth-param extensions) are allowed and ignored */
		while (i < len && is_lws((unsigned char)buf[i]))
			i++;
		if (i >= len)
			break;
		if (buf[i] != ',') {
			*why = "Authorization: ',' expected between parameters";
			return -1;
		}
		i++;
	}
	if (!c->username.s) {
		*why = "Authorization: username missing";
		return -1;
	}
	if (!c->realm.s) {
		*why = "Authorization: realm missing";
		return -1;
	}
	if (c->algorithm_str.s)
		c->algorithm = aka_algorithm_from(c->algorithm_str.s, c->algorithm_str.len);
	if (seen_ip) {
		c->integrity_protected = ip_from(ip.s, ip.len);
		if (c->integrity_protected == IP_ABSENT) {
			*why = "Authorization: unknown integrity-protected value";
			return -1;
		}
	}
	return 0;
}

int digest_impi_valid(const char *s, size_t len)
{
	size_t at = 0, ats = 0;
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '@') {
			at = i;
			ats++;
			continue;
		}
		/* RFC 4282 2.1 utf8-atext without the characters that are special in SQL, SIP or
		 * logs */
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr(".-_+!~*", ch)))
			return 0;
	}
	return ats == 1 && at > 0 && at < len - 1;
}

static int md5_hex_of(const struct dstr *parts, size_t n, char out[33])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i].s, parts[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	hex_encode(md, 16, out);
	return 0;
}

#define DS(lit) ((struct dstr){(lit), sizeof(lit) - 1})

int digest_response_md5(const struct dstr *user, const struct dstr *realm, const uint8_t *pw,
                        size_t pw_len, const struct dstr *method, const struct dstr *uri,
                        const struct dstr *nonce, const struct dstr *nc, const struct dstr *cnonce,
                        const struct dstr *qop, char out[33])
{
	char ha1[33], ha2[33];
	const struct dstr colon = DS(":");
	struct dstr a1[] = {*user, colon, *realm, colon, {(const char *)pw, pw_len}};
	struct dstr a2[] = {*method, colon, *uri};

	if (md5_hex_of(a1, 5, ha1) != 0 || md5_hex_of(a2, 3, ha2) != 0)
		return -1;
	if (qop && qop->len) {
		struct dstr r[] = {{ha1, 32}, colon, *nonce, colon, *nc,      colon,
		                   *cnonce,   colon, *qop,   colon, {ha2, 32}};
		return md5_hex_of(r, 11, out);
	}
	struct dstr r[] = {{ha1, 32}, colon, *nonce, colon, {ha2, 32}};
	return md5_hex_of(r, 5, out);
}

int aka_digest_password(enum aka_algorithm alg, const uint8_t *res, size_t res_len,
                        const uint8_t ik[16], const uint8_t ck[16], uint8_t pw[AKA_PASSWORD_MAX],
                        size_t *pw_len)
{
	static const char akav2_label[] = "http-digest-akav2-password";
	uint8_t key[16 + 16 + 16], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;

	if (res_len > 16)
		return -1;
	switch (alg) {
	case AKA_ALG_V1_MD5:
		memcpy(pw, res, res_len);
		*pw_len = res_len;
		return 0;
	case AKA_ALG_V2_MD5:
		memcpy(key, res, res_len);
		memcpy(key + res_len, ik, 16);
		memcpy(key + res_len + 16, ck, 16);
		if (!HMAC(EVP_md5(), key, (int)(res_len + 32), (const uint8_t *)akav2_label,
		          sizeof(akav2_label) - 1, mac, &maclen) ||
		    maclen != 16)
			return -1;
		char b64[25];
		*pw_len = b64_encode(mac, 16, b64);
		memcpy(pw, b64, *pw_len);
		return 0;
	default:
		return -1;
	}
}

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_val(char ch)
{
	const char *p = ch ? strchr(b64_alphabet, ch) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

int b64_decode(const char *in, size_t n, uint8_t *out, size_t out_max)
{
	size_t o = 0;
	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad) {
				return -1; /* data after padding */
			} else if ((v[j] = b64_val(in[i + j])) < 0) {
				return -1;
			}
		}
		uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) |
		             ((uint32_t)v[2] << 6) | (uint32_t)v[3];
		/* canonical: the bits the padding drops must be zero */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		size_t take = 3 - (size_t)pad;
		if (o + take > out_max)
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (take > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (take > 2)
			out[o++] = (uint8_t)w;
	}
	return (int)o;
}

int digest_www_authenticate(char *out, size_t outsz, const char *realm, size_t realm_len,
                            const char *nonce, enum aka_algorithm alg, const char *qop, int stale,
                            const uint8_t *ck, const uint8_t *ik)
{
	char ck_hex[33] = "", ik_hex[33] = "";
	int keys = ck && ik;
	if (keys) {
		hex_encode(ck, 16, ck_hex);
		hex_encode(ik, 16, ik_hex);
	}
	int n = snprintf(
	        out, outsz,
	        "WWW-Authenticate: Digest realm=\"%.*s\", nonce=\"%s\", algorithm=%s, qop=\"%s\"%s%s%s%s%s%s\r\n",
	        (int)realm_len, realm, nonce, aka_algorithm_name(alg), qop,
	        stale ? ", stale=TRUE" : "", keys ? ", ck=\"" : "", ck_hex, keys ? "\", ik=\"" : "",
	        ik_hex, keys ? "\"" : "");
	OPENSSL_cleanse(ck_hex, sizeof(ck_hex));
	OPENSSL_cleanse(ik_hex, sizeof(ik_hex));
	return n > 0 && (size_t)n < outsz ? n : -1;
}
