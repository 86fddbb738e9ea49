/* libFuzzer harness: the Digest headers the P-CSCF rewrites, WWW-Authenticate from the S-CSCF
 * (ck/ik taken out) and Authorization from the UE (integrity-protected replaced). Neither output
 * may keep a ck=, ik= or foreign integrity-protected parameter. And the Authorization username
 * the P-CSCF reads (the IMPI a REGISTER over an SA must name), with the identity check on it. */
#define _GNU_SOURCE /* memmem */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authhdr.h"
#include "sa_ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[8192];
	uint8_t ck[16], ik[16];
	const char *why = NULL;
	int n;

	if (size > 4096)
		return 0;
	n = auth_take_ck_ik((const char *)data, size, out, sizeof(out), ck, ik, &why);
	if (n < 0 && (!why || !*why))
		__builtin_trap();
	if (n >= 0 && ((size_t)n >= sizeof(out) || strlen(out) != (size_t)n))
		__builtin_trap();
	n = auth_mark_integrity((const char *)data, size, "no", out, sizeof(out));
	if (n >= 0) {
		const char *tail = "integrity-protected=\"no\"";
		size_t tl = strlen(tail);
		if ((size_t)n < tl || strcmp(out + n - tl, tail) != 0)
			__builtin_trap();
	}
	/* the username is a C string as long as it says, quote-free, and the input held it */
	char user[64];
	n = auth_username((const char *)data, size, user, sizeof(user), &why);
	if (n < 0 && (!why || !*why))
		__builtin_trap();
	if (n == 1 && (strlen(user) >= sizeof(user) || strchr(user, '"') || strchr(user, '\\') ||
	               !memmem(data, size, user, strlen(user))))
		__builtin_trap();
	/* what passes the identity check names exactly the SA's IMPI */
	struct sa_text auth = {(const char *)data, size}, to = {"sip:a@b", 7};
	char claimed[128];
	if (sa_ident_check("alice@ims.example", "sip:a@b", &auth, 1, to, claimed, sizeof(claimed),
	                   &why) == SA_IDENT_OK &&
	    (n != 1 || strcmp(user, "alice@ims.example") != 0))
		__builtin_trap();
	return 0;
}
