/* libFuzzer harness: the Digest headers the P-CSCF rewrites, WWW-Authenticate from the S-CSCF
 * (ck/ik taken out) and Authorization from the UE (integrity-protected replaced). Neither output
 * may keep a ck=, ik= or foreign integrity-protected parameter. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[8192];
	uint8_t ck[16], ik[16];
	const char *why = NULL;
	int n;

	if (size > 4096)
		return 0;
	n = auth_take_ck_ik((const char *)data, size, out, sizeof(out), ck, ik, &why);
	if (n < 0 && (!why || !*why))
		__builtin_trap();
	if (n >= 0 && ((size_t)n >= sizeof(out) || strlen(out) != (size_t)n))
		__builtin_trap();
	n = auth_mark_integrity((const char *)data, size, "no", out, sizeof(out));
	if (n >= 0) {
		const char *tail = "integrity-protected=\"no\"";
		size_t tl = strlen(tail);
		if ((size_t)n < tl || strcmp(out + n - tl, tail) != 0)
			__builtin_trap();
	}
	return 0;
}
