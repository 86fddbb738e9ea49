/* libFuzzer harness: a B-TID as a UE names it to a NAF (the GBA Digest username), parsed, and
 * printed back into a BootstrappingInfo: whatever parses is base64 of 16 octets and a host
 * name, prints without anything that needs XML escaping, and makes the same B-TID again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bootinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t rand[GBA_RAND_LEN];
	struct dstr host;
	char s[BTID_MAX + 2], again[BTID_MAX + 1], host_z[GBA_FQDN_MAX + 1], doc[BOOTINFO_MAX];

	if (btid_parse((const char *)data, size, rand, &host) != 0)
		return 0;
	if (size > BTID_MAX || host.len == 0 || host.len > GBA_FQDN_MAX ||
	    host.s != (const char *)data + BTID_RAND_B64_LEN + 1)
		__builtin_trap();
	memcpy(s, data, size);
	s[size] = '\0';
	if (strlen(s) != size) /* a NUL inside was accepted */
		__builtin_trap();
	memcpy(host_z, host.s, host.len);
	host_z[host.len] = '\0';
	if (btid_make(rand, host_z, again, sizeof(again)) != (int)size || strcmp(again, s) != 0)
		__builtin_trap();
	int n = bootinfo_print(s, "2004-01-08T13:13:17Z", doc, sizeof(doc));
	if (n <= 0)
		__builtin_trap();
	const char *btid = strstr(doc, "<btid>") + 6;
	for (const char *p = btid; *p != '<'; p++)
		if (*p == '&' || *p == '>' || *p == '"' || *p == '\'')
			__builtin_trap();
	return 0;
}
