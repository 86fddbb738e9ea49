/* Whom a REGISTER over an SA may speak for. TS 33.203 7.1 / TS 24.229 5.2.2: the SAs are set
 * up for one IMPI and the IMPU it registers; a REGISTER that arrives over them is marked
 * integrity-protected only when it names that IMPI (every Authorization username) and that
 * IMPU (the To URI, compared as an identity). Anything else is someone using her own SA to
 * speak for another subscriber. Pure core: no Kamailio header. */
#ifndef PRESEC_SA_IDENT_H
#define PRESEC_SA_IDENT_H
#include <stddef.h>

#define SA_IDENT_MAX_AUTH 8 /* Authorization headers looked at; more is refused */

struct sa_text {
	const char *s;
	size_t n;
};

enum sa_ident_rc {
	SA_IDENT_OK = 0,
	SA_IDENT_NO_IMPI = -1,    /* no Authorization username, or the SA has no IMPI */
	SA_IDENT_BAD_AUTH = -2,   /* an Authorization that cannot be read, or too many */
	SA_IDENT_OTHER_IMPI = -3, /* an Authorization username other than the SA's IMPI */
	SA_IDENT_OTHER_IMPU = -4, /* a To URI other than the SA's IMPU */
};

/* sa_impi, sa_impu: what the SA was set up for; auth[0..n_auth): the bodies of the REGISTER's
 * Authorization headers; to: its To URI. SA_IDENT_OK, or why not with *why and the value at
 * fault copied into claimed (for the log line; "" when there is none). */
int sa_ident_check(const char *sa_impi, const char *sa_impu, const struct sa_text *auth,
                   unsigned n_auth, struct sa_text to, char *claimed, size_t claimedsz,
                   const char **why);

/* TS 24.229 5.1.1.4.1 c): a Contact of a REGISTER over an SA names the UE's own address and a
 * protected server port of its SAs (ports[0..n_ports): the SA's, and the port_s a new
 * Security-Client offers). A Contact naming another address or port would have the P-CSCF
 * deliver this registration's requests to whoever is there, another UE over its SA. host: the
 * Contact URI's host (IPv6 in brackets or not), port 0: none given (5060). 0, or -1 with *why. */
int sa_contact_check(const char *ue_ip, const unsigned short *ports, unsigned n_ports,
                     struct sa_text host, unsigned port, const char **why);

#endif
