/* libFuzzer harness: the option-tag lists (Require, Proxy-Require, Supported) a UE sends to the
 * P-CSCF. What is forwarded never names sec-agree (RFC 3329 2.3.1), fits its buffer, and keeps
 * every other tag. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sechdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512];
	const char *s = (const char *)data;

	int had = sec_tags_have_agree(s, size);
	if (had != 0 && had != 1)
		__builtin_trap();
	int n = sec_tags_without_agree(s, size, out, sizeof(out));
	if (n < -1 || n >= (int)sizeof(out))
		__builtin_trap();
	if (n < 0)
		return 0;
	if (sec_tags_have_agree(out, (size_t)n))
		__builtin_trap();
	/* taking it out again changes nothing */
	char again[512];
	int m = sec_tags_without_agree(out, (size_t)n, again, sizeof(again));
	if (m != n || memcmp(out, again, (size_t)n) != 0)
		__builtin_trap();
	/* without sec-agree in the input, only separators and spacing may go */
	if (!had) {
		size_t tags_in = 0, tags_out = 0;
		for (size_t i = 0; i < size; i++)
			tags_in += s[i] != ' ' && s[i] != '\t' && s[i] != ',' && s[i] != '\r' &&
			           s[i] != '\n';
		for (int i = 0; i < n; i++)
			tags_out += out[i] != ' ' && out[i] != '\t' && out[i] != ',' &&
			            out[i] != '\r' && out[i] != '\n';
		if (tags_in != tags_out)
			__builtin_trap();
	}
	return 0;
}
