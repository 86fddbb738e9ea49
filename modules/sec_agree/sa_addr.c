/* UE addresses compared as addresses (sa_addr.h). Pure core. */
#include "sa_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* 4 or 16 with the address in bin, 0 when the text is none */
static int parse(const char *s, size_t n, unsigned char bin[16])
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, bin) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, bin) == 1)
		return 16;
	return 0;
}

int sa_addr_canon(const char *s, size_t n, char *out, size_t outsz)
{
	unsigned char bin[16];
	int len = parse(s, n, bin);
	if (!outsz)
		return -1;
	if (len && inet_ntop(len == 4 ? AF_INET : AF_INET6, bin, out, (socklen_t)outsz))
		return 0;
	snprintf(out, outsz, "%.*s", (int)(n < outsz ? n : outsz - 1), s);
	return -1;
}

int sa_addr_same(const char *a, size_t an, const char *b, size_t bn)
{
	unsigned char x[16], y[16];
	int lx = parse(a, an, x), ly = parse(b, bn, y);
	if (!lx || !ly)
		return !lx && !ly && an == bn && memcmp(a, b, an) == 0;
	/* ::ffff:a.b.c.d is an IPv6 address (RFC 4291 2.5.5.2), not the IPv4 one: the SA is
	 * for the address family the UE registered from */
	return lx == ly && memcmp(x, y, (size_t)lx) == 0;
}
