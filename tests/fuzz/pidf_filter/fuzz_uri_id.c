/* libFuzzer harness: the identity core (uri_id.h) on URIs as From, P-Asserted-Identity,
 * Request-URIs and pres-rules ids bring them. The input is two URIs separated by a newline.
 * Whatever parses compares equal to itself, equality is symmetric, the address-of-record is a
 * fixed point of parsing, and the decoded user stays within its buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uri_id.h"

static void check_one(const char *s, size_t n)
{
	struct uri_id id, again;
	const char *why = NULL;
	char aor[600], aor2[600], user[URI_ID_USER_MAX];
	if (uri_id_parse(s, n, &id, &why) != 0) {
		if (!why || !*why)
			__builtin_trap();
		return;
	}
	if (!uri_id_equal(&id, &id))
		__builtin_trap();
	if (strlen(id.user) >= URI_ID_USER_MAX || strlen(id.host) >= URI_ID_HOST_MAX ||
	    id.n_params > URI_ID_PARAMS_MAX)
		__builtin_trap();
	int n1 = uri_id_aor(&id, aor, sizeof(aor));
	if (n1 > 0) {
		if (uri_id_parse(aor, (size_t)n1, &again, &why) != 0)
			__builtin_trap();
		if (uri_id_aor(&again, aor2, sizeof(aor2)) != n1 || strcmp(aor, aor2) != 0)
			__builtin_trap();
		/* the address-of-record names the same user of the same host */
		if (strcmp(again.user, id.user) != 0 || strcmp(again.host, id.host) != 0)
			__builtin_trap();
	}
	int u = uri_id_user_decoded(&id, user, sizeof(user));
	if (u >= 0 && (size_t)u != strlen(user))
		__builtin_trap();
	(void)uri_id_in_domains(&id, "ims.example, visited.example");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t n1 = nl ? (size_t)(nl - s) : size;
	check_one(s, n1);
	if (!nl)
		return 0;
	const char *b = nl + 1;
	size_t n2 = size - n1 - 1;
	check_one(b, n2);
	struct uri_id x, y;
	const char *why = NULL;
	if (uri_id_parse(s, n1, &x, &why) == 0 && uri_id_parse(b, n2, &y, &why) == 0 &&
	    uri_id_equal(&x, &y) != uri_id_equal(&y, &x))
		__builtin_trap();
	return 0;
}
