/* The S-CSCF's memory of who registered how: which IMPI completed full IMS AKA through which
 * P-CSCF (by address), with its implicit registration set, until the registration expires.
 * It decides whether a protected re-REGISTER may skip the challenge (TS 24.229 5.4.1.2.1: only
 * for the IMPI that authenticated over that P-CSCF) and whether an identity a P-CSCF asserts
 * is one of the IMPUs registered through it (TS 24.229 5.4.3.2). Pure core: memory and locking
 * come from the caller (Kamailio shared memory in the module, malloc in the tests). */
#ifndef PRESEC_AUTHREG_H
#define PRESEC_AUTHREG_H

#include <stddef.h>
#include <time.h>

#include "presec/store_ops.h"

#define AUTHREG_PEER_MAX  48 /* an IPv6 address as text, with room */
#define AUTHREG_IMPI_MAX  256
#define AUTHREG_IMPUS_MAX 1024 /* the comma-separated set, as ims_aka reads it */
#define AUTHREG_KEY_MAX   300  /* one IMPU as the index keys it */

enum authreg_verdict {
	AUTHREG_OK = 0,
	AUTHREG_UNKNOWN = -1,    /* no registration of that IMPI (or IMPU), or it expired */
	AUTHREG_OTHER_PEER = -2, /* registered, but through another P-CSCF */
};

struct authreg;

/* nbuckets: a power of two; max_entries bounds the memory the registrations hold. */
struct authreg *authreg_new(const struct presec_store_ops *ops, unsigned nbuckets,
                            unsigned max_entries);
void authreg_destroy(struct authreg *ar);

/* impi completed full AKA via peer; impus is its implicit registration set (comma-separated,
 * the default IMPU first); the registration lasts until expires. Replaces what was known of the
 * IMPI. 0; -1 when the table is full, out of memory or an argument is too long (then nothing
 * is known of the IMPI any more, so its protected re-registrations are challenged). */
int authreg_set(struct authreg *ar, const char *impi, const char *peer, const char *impus,
                time_t expires);

/* Whether impi may re-register via peer without a challenge at now. */
enum authreg_verdict authreg_check(struct authreg *ar, const char *impi, const char *peer,
                                   time_t now);

/* A registration taken without a new challenge (authreg_check() said AUTHREG_OK) now lasts
 * until expires. Returns the verdict of authreg_check(). */
enum authreg_verdict authreg_refresh(struct authreg *ar, const char *impi, const char *peer,
                                     time_t now, time_t expires);

/* Forgets the IMPI (de-registration). 0, or -1 when nothing was known of it. */
int authreg_remove(struct authreg *ar, const char *impi);

/* Whether impu (len octets; the same identity by RFC 3261 19.1.4 as the project compares them,
 * pidf_filter's uri_id) is in the set of an IMPI registered via peer at now; its IMPI is
 * copied to impi_out. */
enum authreg_verdict authreg_find_impu(struct authreg *ar, const char *impu, size_t len,
                                       const char *peer, time_t now, char *impi_out,
                                       size_t impi_outsz);

/* Removes expired registrations; returns how many. */
unsigned authreg_purge(struct authreg *ar, time_t now);
unsigned authreg_count(struct authreg *ar);

/* Calls fn for each registration (under the lock: fn must not call back into the table). */
void authreg_foreach(struct authreg *ar,
                     void (*fn)(const char *impi, const char *peer, const char *impus,
                                time_t expires, void *arg),
                     void *arg);

/* RFC 3261 10.2.1.1 / 10.3: how long the registration a REGISTER asks for lasts. Each contact
 * its expires parameter (contact_expires[i], -1 when absent), else the Expires header
 * (header_expires, -1 when absent), else dflt, at most max; the longest over the contacts.
 * "Contact: *" (star) removes every binding: 0. No contact at all (a query): -1, nothing
 * changes. */
long authreg_lifetime(const long *contact_expires, unsigned n, int star, long header_expires,
                      long dflt, long max);

#endif
