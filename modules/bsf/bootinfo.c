#include "bootinfo.h"

#include <stdio.h>
#include <string.h>

static int host_valid(const char *s, size_t len)
{
	size_t label = 0;
	if (len == 0 || len > GBA_FQDN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			/* RFC 1035 2.3.1: no empty label, none starts or ends with '-' */
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || (ch == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

int btid_make(const uint8_t rand[GBA_RAND_LEN], const char *fqdn, char *out, size_t outsz)
{
	size_t n = strlen(fqdn);
	if (!host_valid(fqdn, n) || outsz < BTID_RAND_B64_LEN + 1 + n + 1)
		return -1;
	b64_encode(rand, GBA_RAND_LEN, out);
	out[BTID_RAND_B64_LEN] = '@';
	memcpy(out + BTID_RAND_B64_LEN + 1, fqdn, n + 1);
	return (int)(BTID_RAND_B64_LEN + 1 + n);
}

int btid_parse(const char *s, size_t len, uint8_t rand[GBA_RAND_LEN], struct dstr *host)
{
	uint8_t buf[GBA_RAND_LEN + 2];
	if (len < BTID_RAND_B64_LEN + 2 || len > BTID_MAX || s[BTID_RAND_B64_LEN] != '@')
		return -1;
	if (b64_decode(s, BTID_RAND_B64_LEN, buf, sizeof(buf)) != GBA_RAND_LEN)
		return -1;
	if (!host_valid(s + BTID_RAND_B64_LEN + 1, len - BTID_RAND_B64_LEN - 1))
		return -1;
	memcpy(rand, buf, GBA_RAND_LEN);
	host->s = s + BTID_RAND_B64_LEN + 1;
	host->len = len - BTID_RAND_B64_LEN - 1;
	return 0;
}

int bootinfo_lifetime(time_t expires, char out[LIFETIME_LEN + 1])
{
	struct tm tm;
	if (!gmtime_r(&expires, &tm) || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999)
		return -1;
	return strftime(out, LIFETIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) == LIFETIME_LEN ? 0 : -1;
}

static int lifetime_valid(const char *s)
{
	/* exactly what bootinfo_lifetime() prints: nothing in it needs XML escaping */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	if (strlen(s) != LIFETIME_LEN)
		return 0;
	for (size_t i = 0; i < LIFETIME_LEN; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return 0;
	return 1;
}

int bootinfo_print(const char *btid, const char *lifetime, char *out, size_t outsz)
{
	uint8_t rand[GBA_RAND_LEN];
	struct dstr host;
	/* a B-TID has base64 characters, '@' and a host name: nothing to escape in XML */
	if (btid_parse(btid, strlen(btid), rand, &host) != 0 || !lifetime_valid(lifetime))
		return -1;
	/* TS 24.109 Annex C: namespace uri:3gpp-gba, btid and lifetime */
	int n = snprintf(out, outsz,
	                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                 "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n"
	                 "  <btid>%s</btid>\n"
	                 "  <lifetime>%s</lifetime>\n"
	                 "</BootstrappingInfo>\n",
	                 btid, lifetime);
	return n > 0 && (size_t)n < outsz ? n : -1;
}
