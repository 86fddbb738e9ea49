/* libFuzzer harness: what a UE sends a NAF for GBA Digest (TS 24.109 5.2.2): the Authorization
 * header (the GBA realm, the B-TID as username) and X-3GPP-Intended-Identity. The input is
 * split at its first NUL: header, then intended identity. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nul = memchr(s, '\0', size);
	size_t hl = nul ? (size_t)(nul - s) : size;
	const char *intended = nul ? nul + 1 : "";
	size_t il = nul ? size - hl - 1 : 0;
	struct digest_cred c;
	const char *why = NULL;
	char out[UA_IMPU_MAX];

	int r = ua_gba_credentials(s, hl, "xcap.ims.example", &c, &why);
	if (r == UA_BAD && (!why || !*why))
		__builtin_trap();
	if (r == UA_OK) {
		/* a B-TID, in the GBA realm of this NAF */
		if (!c.username.s || c.username.len < 26 || !c.realm.s ||
		    c.realm.len < sizeof(UA_REALM_PREFIX) - 1 + 16 || c.username.s < s ||
		    c.username.s + c.username.len > s + hl)
			__builtin_trap();
		for (size_t i = 0; i < c.username.len; i++)
			if (c.username.s[i] == '"' || c.username.s[i] == '\r' ||
			    c.username.s[i] == '\n' || c.username.s[i] == '\'')
				__builtin_trap();
	}
	static const char impus[] = "sip:alice@ims.example,tel:+15550200";
	if (ua_asserted_identity(intended, il, impus, out, sizeof(out), &why) == 0) {
		/* only ever one of the user's own IMPUs */
		if (strcmp(out, "sip:alice@ims.example") != 0 && strcmp(out, "tel:+15550200") != 0)
			__builtin_trap();
	} else if (!why || !*why) {
		__builtin_trap();
	}
	return 0;
}
