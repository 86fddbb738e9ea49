/* libFuzzer harness: any document a user PUTs over Ut, checked as pres-rules and as
 * resource-lists before anything is stored. A refusal names its reason. */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const auids[] = {"pres-rules", "resource-lists", "rls-services"};
	for (size_t i = 0; i < sizeof(auids) / sizeof(auids[0]); i++) {
		const char *why = NULL;
		if (xcap_doc_check(auids[i], (const char *)data, size, &why) != 0 &&
		    (!why || !*why))
			__builtin_trap();
	}
	return 0;
}
