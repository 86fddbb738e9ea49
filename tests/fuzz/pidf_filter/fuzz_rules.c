/* libFuzzer harness: a pres-rules document as a user PUTs it over Ut, compiled and evaluated for
 * a few watchers. A refusal names its reason; a decision is one of the four sub-handlings. */
#include <stddef.h>
#include <stdint.h>

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
	policy_free(&p);
	return 0;
}
