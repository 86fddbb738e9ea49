/* libFuzzer harness: Security-Client / Security-Verify bodies as a UE (or anyone) sends them to
 * the P-CSCF. Whatever parses must print, and what we print must parse back to the same list
 * (the Security-Verify check relies on that). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "negotiate.h"
#include "sechdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_list l, back;
	const char *why = NULL;
	char out[SEC_HDR_MAXLEN * 4];
	struct sec_combo policy[SEC_MAX_COMBOS];
	unsigned c, m;

	memset(&l, 0, sizeof(l));
	if (sec_parse((const char *)data, size, &l, &why) != SEC_OK) {
		if (!why || !*why || l.n != 0) /* a refusal names its reason and keeps nothing */
			__builtin_trap();
		return 0;
	}
	int n = sec_print_list(&l, out, sizeof(out));
	if (n < 0)
		__builtin_trap();
	memset(&back, 0, sizeof(back));
	/* unknown alg/ealg values print as "?" and do not read back; everything else must */
	int known = 1;
	for (unsigned i = 0; i < l.n; i++)
		if (l.m[i].type == SEC_MECH_IPSEC_3GPP &&
		    (l.m[i].alg == SEC_ALG_OTHER || l.m[i].ealg == SEC_EALG_OTHER ||
		     l.m[i].prot == SEC_PROT_OTHER || l.m[i].mod == SEC_MOD_OTHER))
			known = 0;
	if (known && (size_t)n <= SEC_HDR_MAXLEN &&
	    (sec_parse(out, (size_t)n, &back, &why) != SEC_OK || !sec_list_equal(&l, &back)))
		__builtin_trap();
	int np = sec_policy_parse("hmac-sha-1-96/aes-cbc, hmac-md5-96/des-ede3-cbc, hmac-md5-96",
	                          policy, SEC_MAX_COMBOS, &why);
	if (sec_choose(policy, (unsigned)np, &l, &c, &m) == 0 &&
	    (c >= (unsigned)np || m >= l.n || l.m[m].type != SEC_MECH_IPSEC_3GPP))
		__builtin_trap();
	return 0;
}
