/* libFuzzer harness: the Ut's rls-services check (rls_doc.h), on documents the user PUTs. A
 * refusal names its reason; what it reports stays within its bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rls_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rls_doc_limits lim = {
	        "sip:alice@ims.example", "ims.example", "xcap.ims.example", 8, 4, 3};
	struct rls_doc_info info;
	const char *why = NULL;
	int rc = rls_doc_check((const char *)data, size, &lim, &info, &why);
	if (rc != 0 && (!why || !*why))
		__builtin_trap();
	if (rc == 0 && (info.n_services > lim.max_services || info.n_refs > info.n_services))
		__builtin_trap();
	for (unsigned i = 0; rc == 0 && i < info.n_refs; i++)
		if (strncmp(info.refs[i], "/xcap-root/resource-lists/users/sip:alice@ims.example/",
		            54) != 0)
			__builtin_trap();
	return 0;
}
