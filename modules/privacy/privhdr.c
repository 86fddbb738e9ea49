/* RFC 3323 4.2 (Privacy), RFC 3325 9.1/9.2 (P-Asserted-Identity, P-Preferred-Identity). */
#include "privhdr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int tokchar(int c)
{
	/* RFC 3261 25.1 token; strchr() would also "find" the terminating NUL */
	return c != 0 && (isalnum(c) || strchr("-.!%*_+`'~", c) != NULL);
}

static int is_lws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

int priv_parse(const char *s, size_t n, unsigned *mask, const char **why)
{
	size_t i = 0;
	unsigned m = 0;
	int count = 0;
	for (;;) {
		size_t b;
		while (i < n && is_lws((unsigned char)s[i]))
			i++;
		b = i;
		while (i < n && tokchar((unsigned char)s[i]))
			i++;
		if (i == b) {
			*why = "a priv-value is missing";
			return -1;
		}
		const char *v = s + b;
		size_t vn = i - b;
		m |= eq(v, vn, "none")       ? PRIV_NONE
		     : eq(v, vn, "header")   ? PRIV_HEADER
		     : eq(v, vn, "session")  ? PRIV_SESSION
		     : eq(v, vn, "user")     ? PRIV_USER
		     : eq(v, vn, "id")       ? PRIV_ID
		     : eq(v, vn, "critical") ? PRIV_CRITICAL
		                             : PRIV_OTHER;
		count++;
		while (i < n && is_lws((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		if (s[i] != ';') {
			*why = "priv-values are separated by ';'";
			return -1;
		}
		i++;
	}
	/* RFC 3323 4.2: "none" asks for no privacy and cannot be combined */
	if ((m & PRIV_NONE) && count > 1) {
		*why = "'none' combined with other priv-values";
		return -1;
	}
	*mask |= m;
	return 0;
}

/* one name-addr or addr-spec: [display-name] "<" URI ">" / URI; the URI into out */
static int one_ident(const char *s, size_t n, struct ident *id, const char **why)
{
	size_t i = 0, b, e;
	while (i < n && is_lws((unsigned char)s[i]))
		i++;
	while (n > i && is_lws((unsigned char)s[n - 1]))
		n--;
	if (i < n && s[i] == '"') { /* quoted display-name */
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		if (i >= n) {
			*why = "unterminated display-name";
			return -1;
		}
		i++;
	}
	const char *lt = memchr(s + i, '<', n - i);
	if (lt) {
		b = (size_t)(lt - s) + 1;
		const char *gt = memchr(s + b, '>', n - b);
		if (!gt) {
			*why = "'<' without '>'";
			return -1;
		}
		e = (size_t)(gt - s);
		/* after '>' only header parameters may follow (RFC 3325 9.1 allows none) */
		for (size_t k = e + 1; k < n; k++)
			if (!is_lws((unsigned char)s[k])) {
				*why = "text after the name-addr";
				return -1;
			}
	} else {
		b = i;
		e = n;
		for (size_t k = b; k < e; k++)
			if (is_lws((unsigned char)s[k]) || s[k] == ';') {
				*why = "an addr-spec cannot carry a display-name or parameters";
				return -1;
			}
	}
	if (e <= b || e - b >= IDENT_URI_MAX) {
		*why = "empty or too long URI";
		return -1;
	}
	for (size_t k = b; k < e; k++)
		if ((unsigned char)s[k] <= 0x20 || s[k] == '"' || s[k] == '<' || s[k] == '>' ||
		    s[k] == 0x7f) {
			*why = "a character that cannot be in a URI";
			return -1;
		}
	memcpy(id->uri, s + b, e - b);
	id->uri[e - b] = '\0';
	if (strncasecmp(id->uri, "tel:", 4) == 0 && e - b > 4)
		id->is_tel = 1;
	else if ((strncasecmp(id->uri, "sip:", 4) == 0 && e - b > 4) ||
	         (strncasecmp(id->uri, "sips:", 5) == 0 && e - b > 5))
		id->is_tel = 0;
	else {
		*why = "an identity is a sip, sips or tel URI";
		return -1;
	}
	return 0;
}

/* Where the list item starting at i ends: the next comma outside quotes and <>, or n (an
 * escape at the very end may step one past n, which callers clamp). */
static size_t item_end(const char *s, size_t n, size_t i)
{
	int q = 0, a = 0;
	while (i < n && (q || a || s[i] != ',')) {
		if (s[i] == '"' && !a)
			q = !q;
		else if (q && s[i] == '\\')
			i++;
		else if (!q && s[i] == '<')
			a = 1;
		else if (!q && s[i] == '>')
			a = 0;
		i++;
	}
	return i;
}

int ident_parse(const char *s, size_t n, struct ident_list *l, const char **why)
{
	struct ident_list tmp = *l;
	size_t i = 0;
	while (i <= n) {
		size_t b = i;
		i = item_end(s, n, i);
		if (tmp.n == IDENT_MAX) {
			*why = "more than two identities";
			return -1;
		}
		struct ident *id = &tmp.id[tmp.n];
		if (one_ident(s + b, (i > n ? n : i) - b, id, why) != 0)
			return -1;
		for (unsigned k = 0; k < tmp.n; k++)
			if (tmp.id[k].is_tel == id->is_tel) {
				*why = "two identities of one kind (RFC 3325 9.1: one sip/sips, one tel)";
				return -1;
			}
		tmp.n++;
		i++;
	}
	*l = tmp;
	return 0;
}

int priv_anonymous_from(const char *from_body, size_t n, char *out, size_t outsz)
{
	const char *tag = NULL;
	size_t tn = 0;
	int q = 0, a = 0;
	/* the tag parameter sits outside quotes and outside <> */
	for (size_t i = 0; i < n; i++) {
		char c = from_body[i];
		if (c == '"' && !a)
			q = !q;
		else if (q && c == '\\')
			i++;
		else if (!q && c == '<')
			a = 1;
		else if (!q && c == '>')
			a = 0;
		else if (!q && !a && c == ';' && i + 5 <= n &&
		         strncasecmp(from_body + i + 1, "tag=", 4) == 0) {
			tag = from_body + i + 5;
			while (tag + tn < from_body + n && tokchar((unsigned char)tag[tn]))
				tn++;
			break;
		}
	}
	int w = tag ? snprintf(out, outsz,
	                       "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=%.*s", (int)tn,
	                       tag)
	            : snprintf(out, outsz, "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	return (w < 0 || (size_t)w >= outsz) ? -1 : w;
}

int uri_list_parse(const char *s, size_t n, char (*out)[IDENT_URI_MAX], unsigned max,
                   const char **why)
{
	unsigned k = 0;
	size_t i = 0;
	while (i <= n && k < max) {
		size_t b = i;
		i = item_end(s, n, i);
		struct ident id;
		/* P-Associated-URI entries may carry header parameters after '>': cut them */
		size_t e = i > n ? n : i;
		const char *gt = memchr(s + b, '>', e - b);
		if (gt)
			e = (size_t)(gt - s) + 1;
		if (one_ident(s + b, e - b, &id, why) != 0)
			return -1;
		strcpy(out[k++], id.uri);
		i++;
	}
	return (int)k;
}

int hdr_names_parse(const char *s, struct hdr_names *out, const char **why)
{
	size_t i = 0, n = strlen(s);
	out->n = 0;
	while (i < n) {
		size_t b, e;
		while (i < n && (is_lws((unsigned char)s[i]) || s[i] == ','))
			i++;
		if (i >= n)
			break;
		b = i;
		while (i < n && tokchar((unsigned char)s[i]))
			i++;
		e = i;
		while (i < n && is_lws((unsigned char)s[i]))
			i++;
		if (e == b || (i < n && s[i] != ',')) {
			*why = "a header name is not a token";
			return -1;
		}
		if (e - b >= HDR_NAME_MAX || out->n >= HDR_NAMES_MAX) {
			*why = "too many or too long header names";
			return -1;
		}
		memcpy(out->name[out->n], s + b, e - b);
		out->name[out->n++][e - b] = '\0';
	}
	return 0;
}

int hdr_names_has(const struct hdr_names *l, const char *name, size_t n)
{
	for (unsigned i = 0; i < l->n; i++)
		if (eq(name, n, l->name[i]))
			return 1;
	return 0;
}

int pani_network_provided(const char *s, size_t n)
{
	/* TS 24.229 7.2A.4: access-info parameters after ';', "network-provided" a bare one;
	 * looked for as a token on its own anywhere, so no spelling of it slips through */
	static const char lit[] = "network-provided";
	size_t ln = sizeof(lit) - 1;
	for (size_t i = 0; i + ln <= n; i++)
		if (strncasecmp(s + i, lit, ln) == 0 &&
		    (i == 0 || !tokchar((unsigned char)s[i - 1])) &&
		    (i + ln == n || !tokchar((unsigned char)s[i + ln])))
			return 1;
	return 0;
}
