/* RFC 3325 2.3: Spec(T) names the trusted nodes; here by address blocks and names. */
#include "trust.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int add(struct trust_list *l, const char *tok, size_t n, const char **why)
{
	char buf[TRUST_NAME_MAX];
	struct trust_entry e;
	char *slash;
	if (n == 0)
		return 0;
	if (n >= sizeof(buf)) {
		*why = "trusted entry too long";
		return -1;
	}
	if (l->n == TRUST_MAX) {
		*why = "too many trusted entries";
		return -1;
	}
	memcpy(buf, tok, n);
	buf[n] = '\0';
	memset(&e, 0, sizeof(e));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, e.addr) == 1) {
		e.family = AF_INET;
		e.prefix = 32;
	} else if (inet_pton(AF_INET6, buf, e.addr) == 1) {
		e.family = AF_INET6;
		e.prefix = 128;
	} else if (!slash) {
		for (size_t i = 0; i < n; i++)
			if (!(isalnum((unsigned char)buf[i]) || buf[i] == '-' || buf[i] == '.')) {
				*why = "not an address, a CIDR block or a host name";
				return -1;
			}
		strcpy(e.name, buf);
		l->e[l->n++] = e;
		return 0;
	} else {
		*why = "a CIDR block needs an address before '/'";
		return -1;
	}
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || p < 0 || p > (long)e.prefix) {
			*why = "CIDR prefix out of range";
			return -1;
		}
		e.prefix = (unsigned)p;
	}
	l->e[l->n++] = e;
	return 0;
}

int trust_parse(const char *s, struct trust_list *l, const char **why)
{
	struct trust_list tmp = *l;
	const char *p = s;
	while (*p) {
		while (*p == ',' || *p == ' ' || *p == ';' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", ;\t");
		if (add(&tmp, p, n, why) != 0)
			return -1;
		p += n;
	}
	*l = tmp;
	return 0;
}

static int prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

int trust_match(const struct trust_list *l, const char *host)
{
	uint8_t a[16];
	int fam = 0;
	char buf[64];
	size_t n = strlen(host);
	/* [v6] as it appears in a URI */
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET, host, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1)
		fam = AF_INET6;
	for (unsigned i = 0; i < l->n; i++) {
		const struct trust_entry *e = &l->e[i];
		if (fam && e->family == fam && prefix_eq(a, e->addr, e->prefix))
			return 1;
		if (!fam && !e->family && strcasecmp(e->name, host) == 0)
			return 1;
	}
	return 0;
}
