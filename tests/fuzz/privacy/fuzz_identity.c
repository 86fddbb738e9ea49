/* libFuzzer harness: P-Asserted-Identity / P-Preferred-Identity / P-Associated-URI bodies. What
 * parses is one sip/sips and one tel URI at most, each a URI without spaces or brackets. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "privhdr.h"
#include "uri_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ident_list l;
	const char *why = NULL;
	char uris[8][IDENT_URI_MAX];

	memset(&l, 0, sizeof(l));
	if (ident_parse((const char *)data, size, &l, &why) != 0) {
		if (!why || l.n != 0)
			__builtin_trap();
	} else {
		if (l.n == 0 || l.n > IDENT_MAX || (l.n == 2 && l.id[0].is_tel == l.id[1].is_tel))
			__builtin_trap();
		for (unsigned i = 0; i < l.n; i++) {
			struct uri_id u;
			if (strpbrk(l.id[i].uri, " <>\""))
				__builtin_trap();
			/* an identity the comparison can read is itself (uri_id) */
			if (uri_id_parse(l.id[i].uri, strlen(l.id[i].uri), &u, &why) == 0 &&
			    !uri_id_same(l.id[i].uri, l.id[i].uri))
				__builtin_trap();
		}
	}
	int n = uri_list_parse((const char *)data, size, uris, 8, &why);
	if (n > 8)
		__builtin_trap();
	return 0;
}
