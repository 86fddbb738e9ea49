/* libFuzzer harness: a pres-rules document as a user PUTs it over Ut, compiled and evaluated for
 * a few watchers, and packed and unpacked as the PS caches it. A refusal names its reason; a
 * decision is one of the four sub-handlings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pidf.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p;
	const char *why = NULL;
	if (policy_compile((const char *)data, size, &p, &why) != 0) {
		if (!why || !*why || p.rules || p.n)
			__builtin_trap();
		return 0;
	}
	const struct pol_watcher ws[] = {
	        {"sip:bob@ims.example", 1, 0, 1795500000, NULL},
	        {"sip:bob@ims.example", 1, 1, 1795500000, "work"},
	        {"tel:+15550001", 0, 0, 0, NULL},
	};
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		struct pol_decision d;
		policy_decide(&p, &ws[i], &d);
		if ((unsigned)d.sub_handling > SH_ALLOW || d.n_rules > p.n)
			__builtin_trap();
	}
	/* the packed form the PS caches gives back exactly the compiled rules */
	unsigned char *packed;
	size_t packed_len;
	struct policy q;
	if (policy_pack(&p, &packed, &packed_len) == 0) {
		if (policy_unpack(packed, packed_len, &q) != 0 || q.n != p.n ||
		    (p.n && memcmp(q.rules, p.rules, p.n * sizeof(*p.rules)) != 0))
			__builtin_trap();
		policy_free(&q);
		free(packed);
	}
	policy_free(&p);
	return 0;
}
