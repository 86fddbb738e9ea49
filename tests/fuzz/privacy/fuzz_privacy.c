/* libFuzzer harness: Privacy header bodies from anyone, and the anonymous From built from any
 * From body, and P-Access-Network-Info bodies. A refusal names its reason; the From keeps nothing
 * but the tag. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "privhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mask = 0;
	const char *why = NULL;
	char out[512];

	if (priv_parse((const char *)data, size, &mask, &why) != 0) {
		if (!why || !*why || mask != 0)
			__builtin_trap();
	} else if (mask == 0 || ((mask & PRIV_NONE) && mask != PRIV_NONE)) {
		__builtin_trap();
	}
	static const char anon[] = "\"Anonymous\" <sip:anonymous@anonymous.invalid>";
	int n = priv_anonymous_from((const char *)data, size, out, sizeof(out));
	if (n >= 0 && (strncmp(out, anon, sizeof(anon) - 1) != 0 || strlen(out) != (size_t)n))
		__builtin_trap();
	/* a P-Access-Network-Info body from a UE: read without running past it, and a
	 * "network-provided" claim is found whatever else surrounds it */
	int np = pani_network_provided((const char *)data, size);
	if (np != 0 && np != 1)
		__builtin_trap();
	return 0;
}
