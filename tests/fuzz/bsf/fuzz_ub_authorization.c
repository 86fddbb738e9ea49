/* libFuzzer harness: the Authorization header of a Ub request as anyone may send it to the BSF,
 * and everything the BSF derives from it before a secret is involved: the checks of
 * ub_check_authorization() (on ims_aka's Digest parser), the decoded AUTS, and the auth-int
 * response and rspauth computed over the parsed views. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ub.h"

static int inside(const struct dstr *d, const uint8_t *data, size_t size)
{
	return !d->s || (d->s >= (const char *)data && d->s + d->len <= (const char *)data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ub_request r;
	const char *why = NULL;

	if (ub_check_authorization((const char *)data, size, "bsf.ims.example", &r, &why) != 0) {
		/* every refusal names its reason */
		if (!why || !*why)
			__builtin_trap();
		return 0;
	}
	const struct dstr *views[] = {&r.c.username, &r.c.realm,  &r.c.nonce, &r.c.uri,
	                              &r.c.response, &r.c.cnonce, &r.c.nc,    &r.c.auts};
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (!inside(views[i], data, size))
			__builtin_trap();
	if (r.kind != UB_INITIAL && r.kind != UB_ANSWER && r.kind != UB_AUTS)
		__builtin_trap();
	if (!digest_impi_valid(r.c.username.s, r.c.username.len))
		__builtin_trap();
	if (r.kind == UB_INITIAL)
		return 0;
	/* what is echoed in Authentication-Info can hold no quote or line break */
	for (size_t i = 0; i < r.c.cnonce.len; i++)
		if (r.c.cnonce.s[i] == '"' || r.c.cnonce.s[i] == '\r' || r.c.cnonce.s[i] == '\n')
			__builtin_trap();
	if (r.c.response.len != 32 || r.c.nc.len == 0 || r.c.nc.len > 8)
		__builtin_trap();
	static const uint8_t res[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	char out[33];
	if (ub_response(&r.c, res, sizeof(res), "GET", 3, data, size, out) != 0 ||
	    strlen(out) != 32)
		__builtin_trap();
	int m = ub_response_matches(&r.c, res, sizeof(res), "GET", 3, (const uint8_t *)"", 0);
	if (m != 0 && m != 1)
		__builtin_trap();
	if (ub_rspauth(&r.c, res, sizeof(res), data, size, out) != 0)
		__builtin_trap();
	return 0;
}
