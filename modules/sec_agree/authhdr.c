/* Digest parameters are a comma-separated list after the scheme (RFC 2617 3.2.1/3.2.2);
 * commas inside quoted strings do not separate. */
#include "authhdr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "presec/hex.h"

struct part {
	const char *s;
	size_t n;
};

/* Splits into the scheme ("Digest") and up to max parameters. Returns the parameter count or -1
 * (unterminated quote, too many). */
static int split(const char *b, size_t len, struct part *scheme, struct part *par, int max)
{
	size_t i = 0;
	int n = 0;
	/* RFC 3261 25.1: no control character but HTAB (and the CRLF of folding) in a header */
	for (size_t k = 0; k < len; k++)
		if (((unsigned char)b[k] < 0x20 && b[k] != '\t' && b[k] != '\r' && b[k] != '\n') ||
		    b[k] == 0x7f)
			return -1;
	while (i < len && isspace((unsigned char)b[i]))
		i++;
	scheme->s = b + i;
	while (i < len && !isspace((unsigned char)b[i]))
		i++;
	scheme->n = (size_t)(b + i - scheme->s);
	if (scheme->n == 0)
		return -1;
	while (i < len) {
		size_t st, en;
		int q = 0;
		while (i < len && (isspace((unsigned char)b[i]) || b[i] == ','))
			i++;
		if (i >= len)
			break;
		st = i;
		while (i < len && (q || b[i] != ',')) {
			if (b[i] == '"')
				q = !q;
			else if (q && b[i] == '\\')
				i++;
			i++;
		}
		if (q || i > len)
			return -1;
		en = i;
		while (en > st && isspace((unsigned char)b[en - 1]))
			en--;
		if (n == max)
			return -1;
		par[n].s = b + st;
		par[n].n = en - st;
		n++;
	}
	return n;
}

/* name of a "name=value" parameter matches */
static int named(const struct part *p, const char *name)
{
	size_t nl = strlen(name), i = nl;
	if (p->n <= nl || strncasecmp(p->s, name, nl) != 0)
		return 0;
	while (i < p->n && isspace((unsigned char)p->s[i]))
		i++;
	return i < p->n && p->s[i] == '=';
}

/* the value of a "name=value" parameter without quotes */
static void value_of(const struct part *p, const char **v, size_t *vn)
{
	const char *e = memchr(p->s, '=', p->n);
	const char *s = e + 1, *end = p->s + p->n;
	while (s < end && isspace((unsigned char)*s))
		s++;
	if (s < end && *s == '"' && end - s >= 2 && end[-1] == '"') {
		s++;
		end--;
	}
	*v = s;
	*vn = (size_t)(end - s);
}

static int append(char *out, size_t outsz, size_t *pos, const char *s, size_t n)
{
	if (*pos + n + 1 > outsz)
		return -1;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
	return 0;
}

#define MAX_PARAMS 32

int auth_take_ck_ik(const char *body, size_t len, char *out, size_t outsz, uint8_t ck[16],
                    uint8_t ik[16], const char **why)
{
	struct part scheme, par[MAX_PARAMS];
	int n = split(body, len, &scheme, par, MAX_PARAMS), have_ck = 0, have_ik = 0, first = 1;
	size_t pos = 0;

	if (n < 0) {
		*why = "WWW-Authenticate is not a Digest challenge";
		return -1;
	}
	if (outsz == 0 || append(out, outsz, &pos, scheme.s, scheme.n) != 0)
		goto toolong;
	for (int i = 0; i < n; i++) {
		const char *v;
		size_t vn;
		if (named(&par[i], "ck") || named(&par[i], "ik")) {
			int is_ck = tolower((unsigned char)par[i].s[0]) == 'c';
			value_of(&par[i], &v, &vn);
			if ((is_ck ? have_ck : have_ik) ||
			    hex_decode(v, vn, is_ck ? ck : ik, 16) != 0) {
				*why = "ck/ik given twice or not 32 hex digits";
				return -1;
			}
			*(is_ck ? &have_ck : &have_ik) = 1;
			continue;
		}
		if (append(out, outsz, &pos, first ? " " : ", ", first ? 1 : 2) != 0 ||
		    append(out, outsz, &pos, par[i].s, par[i].n) != 0)
			goto toolong;
		first = 0;
	}
	if (!have_ck || !have_ik) {
		*why = "no ck and ik in the challenge (is the S-CSCF handing them to the P-CSCF?)";
		return -1;
	}
	return (int)pos;
toolong:
	*why = "WWW-Authenticate too long";
	return -1;
}

int auth_mark_integrity(const char *body, size_t len, const char *value, char *out, size_t outsz)
{
	struct part scheme, par[MAX_PARAMS];
	int n = split(body, len, &scheme, par, MAX_PARAMS), first = 1;
	size_t pos = 0;

	if (n < 0 || outsz == 0 || append(out, outsz, &pos, scheme.s, scheme.n) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (named(&par[i], "integrity-protected"))
			continue;
		if (append(out, outsz, &pos, first ? " " : ", ", first ? 1 : 2) != 0 ||
		    append(out, outsz, &pos, par[i].s, par[i].n) != 0)
			return -1;
		first = 0;
	}
	if (append(out, outsz, &pos, first ? " " : ", ", first ? 1 : 2) != 0 ||
	    append(out, outsz, &pos, "integrity-protected=\"", 21) != 0 ||
	    append(out, outsz, &pos, value, strlen(value)) != 0 ||
	    append(out, outsz, &pos, "\"", 1) != 0)
		return -1;
	return (int)pos;
}

int auth_username(const char *body, size_t len, char *out, size_t outsz, const char **why)
{
	struct part scheme, par[MAX_PARAMS];
	int n = split(body, len, &scheme, par, MAX_PARAMS), found = 0;

	if (n < 0 || scheme.n != 6 || strncasecmp(scheme.s, "Digest", 6) != 0) {
		*why = "Authorization is not Digest credentials";
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *v;
		size_t vn;
		if (!named(&par[i], "username"))
			continue;
		if (found) {
			*why = "Authorization names the username twice";
			return -1;
		}
		value_of(&par[i], &v, &vn);
		if (memchr(v, '\\', vn) || memchr(v, '"', vn)) {
			*why = "Authorization username with an escaped or stray quote character";
			return -1;
		}
		if (vn + 1 > outsz) {
			*why = "Authorization username too long";
			return -1;
		}
		memcpy(out, v, vn);
		out[vn] = '\0';
		found = 1;
	}
	return found;
}

int auth_answers(const char *body, size_t len)
{
	struct part scheme, par[MAX_PARAMS];
	int n = split(body, len, &scheme, par, MAX_PARAMS), nonce = 0, response = 0;
	if (n < 0 || scheme.n != 6 || strncasecmp(scheme.s, "Digest", 6) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *v;
		size_t vn;
		int *seen = named(&par[i], "nonce")      ? &nonce
		            : named(&par[i], "response") ? &response
		                                         : NULL;
		if (!seen)
			continue;
		value_of(&par[i], &v, &vn);
		if (*seen || vn == 0)
			return 0; /* twice, or empty: no answer */
		*seen = 1;
	}
	return nonce && response;
}
