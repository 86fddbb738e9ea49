/* RFC 3261 19.1.1 (SIP URI syntax) and 19.1.4 (comparison), RFC 3966 3 and 4 (tel), RFC 3859
 * (pres). See uri_id.h for what is an identity here. */
#include "uri_id.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "presec/hex.h"

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* strchr() would also "find" the terminating NUL */
static int one_of(int c, const char *set)
{
	return c != 0 && strchr(set, c) != NULL;
}

/* RFC 3261 25.1 */
static int is_unreserved(int c)
{
	return is_alnum(c) || one_of(c, "-_.!~*'()");
}

static int is_reserved(int c)
{
	return one_of(c, ";/?:@&=+$,");
}

static int is_user_unreserved(int c)
{
	return one_of(c, "&=+$,;?/");
}

static int is_param_unreserved(int c)
{
	return one_of(c, "[]/:&+$");
}

/* a bounded output string */
struct out {
	char *p;
	size_t n, cap;
	int over;
};

static void put(struct out *o, int c)
{
	if (o->n + 1 >= o->cap) {
		o->over = 1;
		return;
	}
	o->p[o->n++] = (char)c;
	o->p[o->n] = '\0';
}

static void put_escape(struct out *o, unsigned c, int upper)
{
	const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	put(o, '%');
	put(o, hx[c >> 4]);
	put(o, hx[c & 15]);
}

/* the escape at s[i] ("%HH"), or -1 */
static int escape_at(const char *s, size_t n, size_t i)
{
	int h, l;
	if (i + 2 >= n)
		return -1;
	h = hex_digit((unsigned char)s[i + 1]);
	l = hex_digit((unsigned char)s[i + 2]);
	return h < 0 || l < 0 ? -1 : h * 16 + l;
}

/* RFC 3261 19.1.4: "Characters other than those in the reserved set are equivalent to their
 * %HEX HEX encoding": an unreserved character as itself, a reserved one as written (its escape
 * in upper case), anything else as its escape. */
static int norm_user(const char *s, size_t n, char *out, size_t cap, const char **why)
{
	struct out o = {out, 0, cap, 0};
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if ((c = escape_at(s, n, i)) < 0) {
				*why = "a '%' in the user part that is not an escape";
				return -1;
			}
			i += 2;
			if (is_unreserved(c))
				put(&o, c);
			else
				put_escape(&o, (unsigned)c, 1);
		} else if (is_unreserved(c) || is_user_unreserved(c)) {
			put(&o, c);
		} else {
			*why = "a character that cannot be in the user part";
			return -1;
		}
	}
	if (o.over) {
		*why = "the user part is too long";
		return -1;
	}
	return 0;
}

/* a host name, IPv4 address or IPv6 reference, lower case; escapes decoded (the grammar has
 * none in a host: decoded, "ims%2Eexample" cannot pass for another name than it spells) */
static int norm_host(const char *s, size_t n, char *out, size_t cap, const char **why)
{
	struct out o = {out, 0, cap, 0};
	int v6 = n > 0 && s[0] == '[';
	out[0] = '\0';
	if (n == 0 || (v6 && (n < 3 || s[n - 1] != ']'))) {
		*why = "no host, or an IPv6 reference without ']'";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%' && !v6) {
			if ((c = escape_at(s, n, i)) < 0) {
				*why = "a '%' in the host that is not an escape";
				return -1;
			}
			i += 2;
		}
		c = lower(c);
		int ok = v6 ? (i == 0 && c == '[') || (i == n - 1 && c == ']') ||
		                         hex_digit(c) >= 0 || c == ':' || c == '.'
		            : is_alnum(c) || c == '-' || c == '.';
		if (!ok) {
			*why = "the host is not a host name or address";
			return -1;
		}
		put(&o, c);
	}
	if (o.over) {
		*why = "the host is too long";
		return -1;
	}
	return 0;
}

/* A parameter name or value, compared without case (RFC 3261 19.1.4; RFC 3966 4): escapes of
 * characters that may stand as themselves decoded, letters in lower case. */
static int norm_pchars(const char *s, size_t n, char *out, size_t cap, const char **why)
{
	struct out o = {out, 0, cap, 0};
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if ((c = escape_at(s, n, i)) < 0) {
				*why = "a '%' in a parameter that is not an escape";
				return -1;
			}
			i += 2;
			if (is_unreserved(c) || (!is_reserved(c) && is_param_unreserved(c)))
				put(&o, lower(c));
			else
				put_escape(&o, (unsigned)c, 0);
		} else if (is_unreserved(c) || is_param_unreserved(c)) {
			put(&o, lower(c));
		} else {
			*why = "a character that cannot be in a parameter";
			return -1;
		}
	}
	if (o.over) {
		*why = "a parameter is too long";
		return -1;
	}
	return 0;
}

static int visual_separator(int c)
{
	return one_of(c, "-.()");
}

/* RFC 3966 3: a global number ("+" digits) or a local one (hex digits, "*", "#"); visual
 * separators left out, lower case. */
static int norm_number(const char *s, size_t n, char *out, size_t cap, const char **why)
{
	struct out o = {out, 0, cap, 0};
	size_t i = 0;
	int digits = 0, global = n > 0 && s[0] == '+';
	out[0] = '\0';
	if (global)
		put(&o, s[i++]);
	for (; i < n; i++) {
		int c = lower((unsigned char)s[i]);
		if (visual_separator(c))
			continue;
		if ((c >= '0' && c <= '9') ||
		    (!global && (hex_digit(c) >= 0 || c == '*' || c == '#'))) {
			put(&o, c);
			digits++;
			continue;
		}
		*why = "a telephone number with a character that is not a digit or separator";
		return -1;
	}
	if (!digits || o.over) {
		*why = "a telephone number without digits, or too long";
		return -1;
	}
	return 0;
}

static int pname_is(const char *name, const char *lit)
{
	return strcmp(name, lit) == 0;
}

/* ";name[=value]" after the host (sip) or the number (tel), up to the end */
static int parse_params(const char *s, size_t n, struct uri_id *id, int tel, const char **why)
{
	size_t i = 0;
	for (;;) {
		size_t b = i;
		char name[URI_ID_PNAME_MAX], value[URI_ID_PVALUE_MAX];
		while (i < n && s[i] != ';') {
			if (s[i] == '?') {
				*why = "an identity has no header components";
				return -1;
			}
			i++;
		}
		const char *eq = memchr(s + b, '=', i - b);
		size_t nl = eq ? (size_t)(eq - (s + b)) : i - b;
		if (nl == 0) {
			*why = "an empty URI parameter";
			return -1;
		}
		if (norm_pchars(s + b, nl, name, sizeof(name), why) != 0 ||
		    norm_pchars(eq ? eq + 1 : "", eq ? i - b - nl - 1 : 0, value, sizeof(value),
		                why) != 0)
			return -1;
		char *field = NULL;
		size_t fsz = 0;
		if (!tel && pname_is(name, "user")) {
			field = id->user_param;
			fsz = sizeof(id->user_param);
		} else if (!tel && pname_is(name, "method")) {
			field = id->method;
			fsz = sizeof(id->method);
		} else if (!tel && pname_is(name, "ttl")) {
			field = id->ttl;
			fsz = sizeof(id->ttl);
		} else if (!tel && pname_is(name, "maddr")) {
			field = id->maddr;
			fsz = sizeof(id->maddr);
		}
		if (field) {
			if (*field || !*value || strlen(value) >= fsz) {
				*why = "a user, method, ttl or maddr parameter twice, empty or too long";
				return -1;
			}
			strcpy(field, value);
		} else {
			for (unsigned k = 0; k < id->n_params; k++)
				if (strcmp(id->params[k].name, name) == 0) {
					*why = "a URI parameter given twice";
					return -1;
				}
			if (id->n_params == URI_ID_PARAMS_MAX) {
				*why = "too many URI parameters";
				return -1;
			}
			strcpy(id->params[id->n_params].name, name);
			strcpy(id->params[id->n_params].value, value);
			id->n_params++;
		}
		if (i >= n)
			return 0;
		i++; /* the ';' */
	}
}

/* user=phone (RFC 3261 19.1.6): the user part is a telephone-subscriber; its number is
 * compared without visual separators and, like its parameters, without case */
static void norm_phone_user(char *user)
{
	char *w = user;
	int in_number = 1;
	for (char *r = user; *r; r++) {
		if (*r == '%' && r[1] && r[2]) {
			/* an escape stays as norm_user wrote it (upper case hex) */
			*w++ = *r++;
			*w++ = *r++;
			*w++ = *r;
			continue;
		}
		if (*r == ';')
			in_number = 0;
		if (in_number && visual_separator(*r))
			continue;
		*w++ = (char)lower((unsigned char)*r);
	}
	*w = '\0';
}

static int scheme_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static int parse_tel(const char *p, size_t n, struct uri_id *id, const char **why)
{
	size_t e = 0;
	while (e < n && p[e] != ';') {
		if (p[e] == '?') {
			*why = "an identity has no header components";
			return -1;
		}
		e++;
	}
	if (norm_number(p, e, id->user, sizeof(id->user), why) != 0)
		return -1;
	return e < n ? parse_params(p + e + 1, n - e - 1, id, 1, why) : 0;
}

static int parse_port(const char *s, size_t n, unsigned *port, const char **why)
{
	unsigned v = 0;
	if (n == 0 || n > 5) {
		*why = "a port that is not a number";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*why = "a port that is not a number";
			return -1;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535) {
		*why = "a port out of range";
		return -1;
	}
	*port = v;
	return 0;
}

int uri_id_parse(const char *s, size_t n, struct uri_id *id, const char **why)
{
	memset(id, 0, sizeof(*id));
	const char *colon = s ? memchr(s, ':', n) : NULL;
	if (!colon) {
		*why = "not a URI";
		return -1;
	}
	size_t sl = (size_t)(colon - s);
	if (scheme_is(s, sl, "sip") || scheme_is(s, sl, "pres")) {
		id->scheme = URI_ID_SIP;
	} else if (scheme_is(s, sl, "sips")) {
		id->scheme = URI_ID_SIP;
		id->secure = 1;
	} else if (scheme_is(s, sl, "tel")) {
		id->scheme = URI_ID_TEL;
	} else {
		*why = "not a sip, sips, pres or tel URI";
		return -1;
	}
	const char *p = colon + 1;
	size_t rest = n - sl - 1;
	if (memchr(p, '\0', rest)) {
		*why = "a NUL in the URI";
		return -1;
	}
	if (id->scheme == URI_ID_TEL)
		return parse_tel(p, rest, id, why);

	/* userinfo: '@' cannot be in the user part, the host or a parameter, so the first one
	 * ends the userinfo */
	const char *at = memchr(p, '@', rest);
	size_t hb = 0;
	if (at) {
		size_t ul = (size_t)(at - p);
		if (ul == 0) {
			*why = "an empty user part";
			return -1;
		}
		if (memchr(p, ':', ul)) {
			*why = "a password in the URI";
			return -1;
		}
		if (norm_user(p, ul, id->user, sizeof(id->user), why) != 0)
			return -1;
		hb = ul + 1;
	}
	const char *h = p + hb;
	size_t hl = rest - hb, e = 0;
	if (hl > 0 && h[0] == '[') {
		const char *rb = memchr(h, ']', hl);
		if (!rb) {
			*why = "an IPv6 reference without ']'";
			return -1;
		}
		e = (size_t)(rb - h) + 1;
	}
	while (e < hl && h[e] != ':' && h[e] != ';' && h[e] != '?')
		e++;
	if (norm_host(h, e, id->host, sizeof(id->host), why) != 0)
		return -1;
	if (e < hl && h[e] == ':') {
		size_t pb = ++e;
		while (e < hl && h[e] != ';' && h[e] != '?')
			e++;
		if (parse_port(h + pb, e - pb, &id->port, why) != 0)
			return -1;
	}
	if (e < hl && h[e] == '?') {
		*why = "an identity has no header components";
		return -1;
	}
	if (e < hl && parse_params(h + e + 1, hl - e - 1, id, 0, why) != 0)
		return -1;
	if (strcmp(id->user_param, "phone") == 0)
		norm_phone_user(id->user);
	return 0;
}

static const struct uri_id_param *param_of(const struct uri_id *id, const char *name)
{
	for (unsigned i = 0; i < id->n_params; i++)
		if (strcmp(id->params[i].name, name) == 0)
			return &id->params[i];
	return NULL;
}

int uri_id_equal(const struct uri_id *a, const struct uri_id *b)
{
	if (a->scheme != b->scheme || strcmp(a->user, b->user) != 0)
		return 0;
	if (a->scheme == URI_ID_TEL) {
		/* RFC 3966 4: the same parameters, each with the same value */
		if (a->n_params != b->n_params)
			return 0;
		for (unsigned i = 0; i < a->n_params; i++) {
			const struct uri_id_param *q = param_of(b, a->params[i].name);
			if (!q || strcmp(q->value, a->params[i].value) != 0)
				return 0;
		}
		return 1;
	}
	if (strcmp(a->host, b->host) != 0 || a->port != b->port ||
	    strcmp(a->user_param, b->user_param) != 0 || strcmp(a->method, b->method) != 0 ||
	    strcmp(a->ttl, b->ttl) != 0 || strcmp(a->maddr, b->maddr) != 0)
		return 0;
	/* any other parameter counts when both URIs have it */
	for (unsigned i = 0; i < a->n_params; i++) {
		const struct uri_id_param *q = param_of(b, a->params[i].name);
		if (q && strcmp(q->value, a->params[i].value) != 0)
			return 0;
	}
	return 1;
}

int uri_id_same(const char *a, const char *b)
{
	struct uri_id x, y;
	const char *why = NULL;
	if (!a || !b || uri_id_parse(a, strlen(a), &x, &why) != 0 ||
	    uri_id_parse(b, strlen(b), &y, &why) != 0)
		return 0;
	return uri_id_equal(&x, &y);
}

int uri_id_in_list(const char *uri, const char *list)
{
	struct uri_id x, y;
	const char *why = NULL;
	if (!uri || !list || uri_id_parse(uri, strlen(uri), &x, &why) != 0)
		return 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n && uri_id_parse(p, n, &y, &why) == 0 && uri_id_equal(&x, &y))
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

int uri_id_in_domain(const struct uri_id *id, const char *domain)
{
	return id->scheme == URI_ID_SIP && id->user[0] && domain && *domain &&
	       strcasecmp(id->host, domain) == 0;
}

int uri_id_in_domains(const struct uri_id *id, const char *list)
{
	if (id->scheme != URI_ID_SIP || !id->user[0] || !list)
		return 0;
	size_t hl = strlen(id->host);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ,");
		if (n && n == hl && strncasecmp(p, id->host, n) == 0)
			return 1;
		p += n;
		p += strspn(p, " ,");
	}
	return 0;
}

int uri_id_aor(const struct uri_id *id, char *out, size_t outsz)
{
	int n;
	if (id->scheme == URI_ID_TEL)
		n = snprintf(out, outsz, "tel:%s", id->user);
	else if (id->user[0])
		n = snprintf(out, outsz, "sip:%s@%s", id->user, id->host);
	else
		return -1;
	return n > 0 && (size_t)n < outsz ? n : -1;
}

int uri_id_user_decoded(const struct uri_id *id, char *out, size_t outsz)
{
	size_t k = 0, n = strlen(id->user);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)id->user[i];
		if (c == '%') {
			/* the canonical form has only valid escapes */
			c = escape_at(id->user, n, i);
			i += 2;
			if (c <= 0)
				return -1;
		}
		if (k + 1 >= outsz)
			return -1;
		out[k++] = (char)c;
	}
	if (outsz == 0)
		return -1;
	out[k] = '\0';
	return (int)k;
}
