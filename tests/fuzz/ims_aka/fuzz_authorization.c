/* libFuzzer harness: the Authorization header as a UE (or anyone) sends it to the S-CSCF, and
 * everything ims_aka derives from it before any secret is involved: the Digest parameters, the
 * IMPI check, the base64 nonce and AUTS, and the response computation over the parsed views. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aka.h"
#include "digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_cred c;
	const char *why = NULL;

	if (digest_parse((const char *)data, size, &c, &why) != 0) {
		/* every refusal names its reason */
		if (!why || !*why)
			__builtin_trap();
		return 0;
	}
	/* views point inside the input */
	const struct dstr *views[] = {&c.username, &c.realm, &c.nonce, &c.uri,    &c.response,
	                              &c.cnonce,   &c.nc,    &c.qop,   &c.opaque, &c.auts};
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (views[i]->s && (views[i]->s < (const char *)data ||
		                    views[i]->s + views[i]->len > (const char *)data + size))
			__builtin_trap();
	(void)digest_impi_valid(c.username.s, c.username.len);
	uint8_t buf[64];
	int n = c.nonce.s ? b64_decode(c.nonce.s, c.nonce.len, buf, sizeof(buf)) : -1;
	if (n > (int)sizeof(buf))
		__builtin_trap();
	if (c.auts.s) {
		uint8_t auts[AKA_AUTS_LEN + 2];
		n = b64_decode(c.auts.s, c.auts.len, auts, sizeof(auts));
		if (n == AKA_AUTS_LEN) {
			/* the resync check runs on attacker-chosen AUTS with our keys */
			struct aka_keys keys = {{0}, {0}, {0x80, 0}};
			uint64_t sqn_ms;
			uint8_t rand[16] = {0};
			if (aka_resync(&keys, rand, auts, &sqn_ms) == AKA_OK &&
			    sqn_ms > AKA_SQN_MAX)
				__builtin_trap();
		}
	}
	char out[33];
	struct dstr method = {"REGISTER", 8};
	if (c.uri.s && c.nonce.s)
		(void)digest_response_md5(&c.username, &c.realm, (const uint8_t *)"", 0, &method,
		                          &c.uri, &c.nonce, &c.nc, &c.cnonce, &c.qop, out);
	return 0;
}
