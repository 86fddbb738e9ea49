/* RFC 3329 section 2.2 grammar, with the ipsec-3gpp parameters of TS 33.203 7.2. */
#include "sechdr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct cursor {
	const char *p, *end;
};

static int is_token_char(int c)
{
	/* RFC 3261 25.1 token; strchr() would also "find" the terminating NUL */
	return c != 0 && (isalnum(c) || strchr("-.!%*_+`'~", c) != NULL);
}

static void skip_lws(struct cursor *c)
{
	while (c->p < c->end) {
		if (*c->p == ' ' || *c->p == '\t') {
			c->p++;
		} else if (*c->p == '\r' && c->p + 2 < c->end && c->p[1] == '\n' &&
		           (c->p[2] == ' ' || c->p[2] == '\t')) {
			c->p += 3; /* RFC 3261 7.3.1 header folding */
		} else {
			break;
		}
	}
}

static int take_token(struct cursor *c, const char **s, size_t *n)
{
	const char *b = c->p;
	while (c->p < c->end && is_token_char((unsigned char)*c->p))
		c->p++;
	*s = b;
	*n = (size_t)(c->p - b);
	return *n > 0 ? 0 : -1;
}

/* gen-value = token / host / quoted-string (RFC 3261 25.1) */
static int take_value(struct cursor *c, const char **s, size_t *n)
{
	const char *b = c->p;
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\\') {
				if (c->p + 1 >= c->end)
					return -1;
				c->p++;
			}
			if ((unsigned char)*c->p < 0x20 && *c->p != '\t')
				return -1;
			c->p++;
		}
		if (c->p >= c->end)
			return -1;
		c->p++;
	} else {
		while (c->p < c->end && (is_token_char((unsigned char)*c->p) || *c->p == ':' ||
		                         *c->p == '[' || *c->p == ']'))
			c->p++;
	}
	*s = b;
	*n = (size_t)(c->p - b);
	return *n > 0 ? 0 : -1;
}

static int eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* 1*DIGIT within [lo, hi] */
static int number(const char *s, size_t n, unsigned long long lo, unsigned long long hi,
                  unsigned long long *out)
{
	unsigned long long v = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]) (RFC 3261 20.10) */
static int qvalue(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0, scale = 1000;
	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (unsigned)(s[0] - '0') * 1000;
	if (n > 1) {
		if (s[1] != '.' || n > 5)
			return -1;
		for (size_t i = 2; i < n; i++) {
			if (!isdigit((unsigned char)s[i]))
				return -1;
			scale /= 10;
			v += (unsigned)(s[i] - '0') * scale;
		}
	}
	if (v > 1000)
		return -1;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	enum sec_alg v;
} algs[] = {{"hmac-md5-96", SEC_ALG_HMAC_MD5_96}, {"hmac-sha-1-96", SEC_ALG_HMAC_SHA1_96}};
static const struct {
	const char *name;
	enum sec_ealg v;
} ealgs[] = {{"null", SEC_EALG_NULL},
             {"des-ede3-cbc", SEC_EALG_DES_EDE3_CBC},
             {"aes-cbc", SEC_EALG_AES_CBC}};

enum sec_alg sec_alg_from(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (eq(s, n, algs[i].name))
			return algs[i].v;
	return SEC_ALG_OTHER;
}

enum sec_ealg sec_ealg_from(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(ealgs) / sizeof(ealgs[0]); i++)
		if (eq(s, n, ealgs[i].name))
			return ealgs[i].v;
	return SEC_EALG_OTHER;
}

const char *sec_alg_name(enum sec_alg a)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].v == a)
			return algs[i].name;
	return "?";
}

const char *sec_ealg_name(enum sec_ealg e)
{
	if (e == SEC_EALG_ABSENT)
		return "null";
	for (size_t i = 0; i < sizeof(ealgs) / sizeof(ealgs[0]); i++)
		if (ealgs[i].v == e)
			return ealgs[i].name;
	return "?";
}

/* One ";name[=value]" of a mechanism. */
static int mech_param(struct sec_mech *m, const char *nm, size_t nn, const char *v, size_t vn,
                      const char **why)
{
	unsigned long long num;
	unsigned bit = 0;

	if (eq(nm, nn, "q")) {
		if ((m->has & SEC_HAS_Q) && (*why = "q given twice"))
			return SEC_ERR_DUP;
		if (!v || qvalue(v, vn, &m->q) != 0) {
			*why = "q is not a qvalue";
			return SEC_ERR_SYNTAX;
		}
		m->has |= SEC_HAS_Q;
		return SEC_OK;
	}
	if (m->type == SEC_MECH_IPSEC_3GPP) {
		if (eq(nm, nn, "alg")) {
			if (m->alg != SEC_ALG_NONE && (*why = "alg given twice"))
				return SEC_ERR_DUP;
			if (!v && (*why = "alg without a value"))
				return SEC_ERR_SYNTAX;
			m->alg = sec_alg_from(v, vn);
			return SEC_OK;
		}
		if (eq(nm, nn, "ealg")) {
			if (m->ealg != SEC_EALG_ABSENT && (*why = "ealg given twice"))
				return SEC_ERR_DUP;
			if (!v && (*why = "ealg without a value"))
				return SEC_ERR_SYNTAX;
			m->ealg = sec_ealg_from(v, vn);
			return SEC_OK;
		}
		if (eq(nm, nn, "prot")) {
			if (m->prot != SEC_PROT_ABSENT && (*why = "prot given twice"))
				return SEC_ERR_DUP;
			if (!v && (*why = "prot without a value"))
				return SEC_ERR_SYNTAX;
			m->prot = eq(v, vn, "esp")  ? SEC_PROT_ESP
			          : eq(v, vn, "ah") ? SEC_PROT_AH
			                            : SEC_PROT_OTHER;
			return SEC_OK;
		}
		if (eq(nm, nn, "mod")) {
			if (m->mod != SEC_MOD_ABSENT && (*why = "mod given twice"))
				return SEC_ERR_DUP;
			if (!v && (*why = "mod without a value"))
				return SEC_ERR_SYNTAX;
			m->mod = eq(v, vn, "trans")         ? SEC_MOD_TRANS
			         : eq(v, vn, "tun")         ? SEC_MOD_TUN
			         : eq(v, vn, "UDP-enc-tun") ? SEC_MOD_UDP_ENC_TUN
			                                    : SEC_MOD_OTHER;
			return SEC_OK;
		}
		if (eq(nm, nn, "spi-c"))
			bit = SEC_HAS_SPI_C;
		else if (eq(nm, nn, "spi-s"))
			bit = SEC_HAS_SPI_S;
		else if (eq(nm, nn, "port-c"))
			bit = SEC_HAS_PORT_C;
		else if (eq(nm, nn, "port-s"))
			bit = SEC_HAS_PORT_S;
		if (bit) {
			int is_spi = bit == SEC_HAS_SPI_C || bit == SEC_HAS_SPI_S;
			if ((m->has & bit) && (*why = "spi/port parameter given twice"))
				return SEC_ERR_DUP;
			/* RFC 4303 2.1: SPIs 1..255 are reserved and 0 is never on the wire */
			if (!v || number(v, vn, is_spi ? 256 : 1, is_spi ? 0xffffffffULL : 65535,
			                 &num) != 0) {
				*why = is_spi ? "spi-c/spi-s outside 256..4294967295"
				              : "port-c/port-s outside 1..65535";
				return SEC_ERR_RANGE;
			}
			m->has |= bit;
			if (bit == SEC_HAS_SPI_C)
				m->spi_c = (uint32_t)num;
			else if (bit == SEC_HAS_SPI_S)
				m->spi_s = (uint32_t)num;
			else if (bit == SEC_HAS_PORT_C)
				m->port_c = (uint16_t)num;
			else
				m->port_s = (uint16_t)num;
			return SEC_OK;
		}
	}
	/* an extension (or a digest-* parameter): kept verbatim, lower-cased name */
	if (m->n_ext == SEC_MAX_EXT) {
		*why = "too many parameters in one mechanism";
		return SEC_ERR_TOO_MANY;
	}
	if (nn + (v ? vn + 1 : 0) >= SEC_EXT_MAX) {
		*why = "parameter too long";
		return SEC_ERR_TOO_MANY;
	}
	char *e = m->ext[m->n_ext++];
	for (size_t i = 0; i < nn; i++)
		e[i] = (char)tolower((unsigned char)nm[i]);
	e[nn] = '\0';
	if (v) {
		e[nn] = '=';
		memcpy(e + nn + 1, v, vn);
		e[nn + 1 + vn] = '\0';
	}
	return SEC_OK;
}

static int parse_mech(struct cursor *c, struct sec_mech *m, const char **why)
{
	const char *s, *v;
	size_t n, vn;
	int rc;

	memset(m, 0, sizeof(*m));
	skip_lws(c);
	if (take_token(c, &s, &n) != 0 || n >= SEC_NAME_MAX) {
		*why = "mechanism name missing or too long";
		return SEC_ERR_SYNTAX;
	}
	for (size_t i = 0; i < n; i++)
		m->name[i] = (char)tolower((unsigned char)s[i]);
	m->type = eq(s, n, "ipsec-3gpp") ? SEC_MECH_IPSEC_3GPP
	          : eq(s, n, "tls")      ? SEC_MECH_TLS
	          : eq(s, n, "digest")   ? SEC_MECH_DIGEST
	                                 : SEC_MECH_OTHER;
	for (;;) {
		skip_lws(c);
		if (c->p >= c->end || *c->p != ';')
			break;
		c->p++;
		skip_lws(c);
		if (take_token(c, &s, &n) != 0) {
			*why = "parameter name missing after ';'";
			return SEC_ERR_SYNTAX;
		}
		skip_lws(c);
		v = NULL;
		vn = 0;
		if (c->p < c->end && *c->p == '=') {
			c->p++;
			skip_lws(c);
			if (take_value(c, &v, &vn) != 0) {
				*why = "parameter value missing or unterminated";
				return SEC_ERR_SYNTAX;
			}
		}
		if ((rc = mech_param(m, s, n, v, vn, why)) != SEC_OK)
			return rc;
	}
	if (m->type == SEC_MECH_IPSEC_3GPP) {
		unsigned need = SEC_HAS_SPI_C | SEC_HAS_SPI_S | SEC_HAS_PORT_C | SEC_HAS_PORT_S;
		if (m->alg == SEC_ALG_NONE || (m->has & need) != need) {
			*why = "ipsec-3gpp needs alg, spi-c, spi-s, port-c and port-s";
			return SEC_ERR_MISSING;
		}
	}
	return SEC_OK;
}

int sec_parse(const char *s, size_t len, struct sec_list *l, const char **why)
{
	struct cursor c = {s, s + len};
	unsigned n0 = l->n;
	int rc;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (len > SEC_HDR_MAXLEN) {
		*why = "header too long";
		return SEC_ERR_TOO_MANY;
	}
	for (;;) {
		if (l->n == SEC_MAX_MECHS) {
			*why = "too many mechanisms";
			rc = SEC_ERR_TOO_MANY;
			goto fail;
		}
		if ((rc = parse_mech(&c, &l->m[l->n], why)) != SEC_OK)
			goto fail;
		l->n++;
		skip_lws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		/* a trailing CRLF is what a header line ends with */
		while (c.p < c.end && (*c.p == '\r' || *c.p == '\n'))
			c.p++;
		if (c.p != c.end) {
			*why = "unexpected character in mechanism list";
			rc = SEC_ERR_SYNTAX;
			goto fail;
		}
		return SEC_OK;
	}
fail:
	l->n = n0;
	return rc;
}

static int put(char *out, size_t outsz, size_t *pos, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int put(char *out, size_t outsz, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (*pos >= outsz)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *pos, outsz - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz - *pos)
		return -1;
	*pos += (size_t)n;
	return 0;
}

static int print_mech(const struct sec_mech *m, char *out, size_t outsz, size_t *pos)
{
	if (put(out, outsz, pos, "%s", m->name) != 0)
		return -1;
	if (m->has & SEC_HAS_Q) {
		/* shortest qvalue that reads back the same */
		unsigned q = m->q;
		if (q == 1000 || q == 0) {
			if (put(out, outsz, pos, ";q=%u", q / 1000) != 0)
				return -1;
		} else {
			char d[4] = {(char)('0' + q / 100), (char)('0' + q / 10 % 10),
			             (char)('0' + q % 10), 0};
			for (int i = 2; i > 0 && d[i] == '0'; i--)
				d[i] = 0;
			if (put(out, outsz, pos, ";q=0.%s", d) != 0)
				return -1;
		}
	}
	if (m->type == SEC_MECH_IPSEC_3GPP) {
		if (put(out, outsz, pos, ";alg=%s", sec_alg_name(m->alg)) != 0)
			return -1;
		if (m->ealg != SEC_EALG_ABSENT &&
		    put(out, outsz, pos, ";ealg=%s", sec_ealg_name(m->ealg)) != 0)
			return -1;
		if (m->prot == SEC_PROT_ESP && put(out, outsz, pos, ";prot=esp") != 0)
			return -1;
		if (m->prot == SEC_PROT_AH && put(out, outsz, pos, ";prot=ah") != 0)
			return -1;
		if (m->mod == SEC_MOD_TRANS && put(out, outsz, pos, ";mod=trans") != 0)
			return -1;
		if (m->mod == SEC_MOD_TUN && put(out, outsz, pos, ";mod=tun") != 0)
			return -1;
		if (m->mod == SEC_MOD_UDP_ENC_TUN && put(out, outsz, pos, ";mod=UDP-enc-tun") != 0)
			return -1;
		if (put(out, outsz, pos, ";spi-c=%u;spi-s=%u;port-c=%u;port-s=%u", m->spi_c,
		        m->spi_s, m->port_c, m->port_s) != 0)
			return -1;
	}
	for (unsigned i = 0; i < m->n_ext; i++)
		if (put(out, outsz, pos, ";%s", m->ext[i]) != 0)
			return -1;
	return 0;
}

int sec_print_mech(const struct sec_mech *m, char *out, size_t outsz)
{
	size_t pos = 0;
	if (outsz == 0 || print_mech(m, out, outsz, &pos) != 0)
		return -1;
	return (int)pos;
}

int sec_print_list(const struct sec_list *l, char *out, size_t outsz)
{
	size_t pos = 0;
	if (outsz == 0)
		return -1;
	out[0] = '\0';
	for (unsigned i = 0; i < l->n; i++) {
		if (i && put(out, outsz, &pos, ", ") != 0)
			return -1;
		if (print_mech(&l->m[i], out, outsz, &pos) != 0)
			return -1;
	}
	return (int)pos;
}

static int mech_equal(const struct sec_mech *a, const struct sec_mech *b)
{
	if (strcmp(a->name, b->name) != 0 || a->has != b->has || a->n_ext != b->n_ext)
		return 0;
	if ((a->has & SEC_HAS_Q) && a->q != b->q)
		return 0;
	if (a->alg != b->alg || a->ealg != b->ealg || a->prot != b->prot || a->mod != b->mod ||
	    a->spi_c != b->spi_c || a->spi_s != b->spi_s || a->port_c != b->port_c ||
	    a->port_s != b->port_s)
		return 0;
	for (unsigned i = 0; i < a->n_ext; i++)
		if (strcasecmp(a->ext[i], b->ext[i]) != 0)
			return 0;
	return 1;
}

int sec_list_equal(const struct sec_list *a, const struct sec_list *b)
{
	if (a->n != b->n)
		return 0;
	for (unsigned i = 0; i < a->n; i++)
		if (!mech_equal(&a->m[i], &b->m[i]))
			return 0;
	return 1;
}

/* The next option tag of a list from *p: [*b, *e), trimmed. 0 at the end of the list. A header
 * folded over lines (RFC 3261 7.3.1) keeps its CRLF in the body: line breaks are white space. */
static int next_tag(const char **p, const char *end, const char **b, const char **e)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n' || **p == ','))
		(*p)++;
	if (*p >= end)
		return 0;
	*b = *p;
	while (*p < end && **p != ',')
		(*p)++;
	*e = *p;
	while (*e > *b &&
	       ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r' || (*e)[-1] == '\n'))
		(*e)--;
	return 1;
}

static int is_sec_agree(const char *b, const char *e)
{
	return e - b == 9 && strncasecmp(b, "sec-agree", 9) == 0;
}

int sec_tags_have_agree(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *b, *e;
	while (next_tag(&p, end, &b, &e))
		if (is_sec_agree(b, e))
			return 1;
	return 0;
}

int sec_tags_without_agree(const char *s, size_t n, char *out, size_t outsz)
{
	size_t w = 0;
	const char *p = s, *end = s + n, *b, *e;
	while (next_tag(&p, end, &b, &e)) {
		if (e == b || is_sec_agree(b, e))
			continue;
		if (w + (size_t)(e - b) + 2 >= outsz)
			return -1;
		if (w) {
			memcpy(out + w, ", ", 2);
			w += 2;
		}
		memcpy(out + w, b, (size_t)(e - b));
		w += (size_t)(e - b);
	}
	return (int)w;
}
