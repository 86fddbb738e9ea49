/* libFuzzer harness: the compact permission text (pidf_filter_body's argument, which a script may
 * build from request data) and the union with itself. A refusal names its reason; lists stay
 * within their bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "presec/pres_perm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pres_perm p, q;
	const char *why = NULL;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&p, 0, sizeof(p));
	if (perm_parse(s, &p, &why) != 0 && (!why || !*why))
		__builtin_trap();
	q = p;
	perm_union(&q, &p);
	if (q.services.service_uri.n > PERM_LIST_MAX || q.unknown.n > PERM_LIST_MAX ||
	    (unsigned)q.user_input > UI_FULL)
		__builtin_trap();
	for (unsigned i = 0; i < q.services.service_uri.n; i++)
		if (strlen(q.services.service_uri.v[i]) >= PERM_STR_MAX)
			__builtin_trap();
	free(s);
	return 0;
}
