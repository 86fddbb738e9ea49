/* libFuzzer harness: the registrations store (authreg) driven by arbitrary operations on
 * arbitrary IMPIs, P-CSCF addresses and IMPU sets, as the asserted identities of requests and
 * the sets read from the database reach it; the IMPU index must stay consistent with the
 * registrations (checked against a walk of them) and nothing may leak or be used after free. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authreg.h"

static void nolock(void *a)
{
	(void)a;
}

static void count_cb(const char *impi, const char *peer, const char *impus, time_t expires,
                     void *arg)
{
	(void)impi;
	(void)peer;
	(void)impus;
	(void)expires;
	(*(unsigned *)arg)++;
}

/* the next NUL- or end-terminated field of the input, at most max - 1 octets */
static const char *field(const uint8_t **p, const uint8_t *end, char *buf, size_t max)
{
	size_t n = 0;
	while (*p < end && **p != 0 && n + 1 < max)
		buf[n++] = (char)*(*p)++;
	if (*p < end)
		(*p)++;
	buf[n] = '\0';
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct presec_store_ops ops = {malloc, free, nolock, nolock, NULL};
	struct authreg *ar = authreg_new(&ops, 4, 8);
	const uint8_t *p = data, *end = data + size;
	char impi[AUTHREG_IMPI_MAX + 8], peer[AUTHREG_PEER_MAX + 8], impus[AUTHREG_IMPUS_MAX + 8],
	        out[AUTHREG_IMPI_MAX];
	if (!ar)
		return 0;
	while (p < end) {
		uint8_t op = *p++;
		time_t t = (time_t)(op >> 3);
		field(&p, end, impi, sizeof(impi));
		field(&p, end, peer, sizeof(peer));
		switch (op & 7) {
		case 0:
		case 1:
			field(&p, end, impus, sizeof(impus));
			(void)authreg_set(ar, impi, peer, impus, t + 5);
			break;
		case 2:
			(void)authreg_check(ar, impi, peer, t);
			break;
		case 3:
			(void)authreg_refresh(ar, impi, peer, t, t + 3);
			break;
		case 4:
			(void)authreg_remove(ar, impi);
			break;
		case 5:
			if (authreg_find_impu(ar, impi, strlen(impi), peer, t, out, sizeof(out)) ==
			            AUTHREG_OK &&
			    authreg_check(ar, out, peer, t) != AUTHREG_OK)
				__builtin_trap(); /* the index named a registration that is not
				                     there */
			break;
		default:
			(void)authreg_purge(ar, t);
		}
	}
	unsigned n = 0;
	authreg_foreach(ar, count_cb, &n);
	if (n != authreg_count(ar) || n > 8)
		__builtin_trap();
	authreg_destroy(ar);
	return 0;
}
