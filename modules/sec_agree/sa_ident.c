#include "sa_ident.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authhdr.h"
#include "sa_addr.h"
#include "uri_id.h" /* the project's one identity comparison (pidf_filter's core) */

static void copy_claim(char *out, size_t outsz, const char *s, size_t n)
{
	if (!outsz)
		return;
	snprintf(out, outsz, "%.*s", (int)(n < 1024 ? n : 1024), s);
}

int sa_ident_check(const char *sa_impi, const char *sa_impu, const struct sa_text *auth,
                   unsigned n_auth, struct sa_text to, char *claimed, size_t claimedsz,
                   const char **why)
{
	char user[256], uri[256];

	copy_claim(claimed, claimedsz, "", 0);
	if (!*sa_impi || !*sa_impu) {
		*why = "the SA was set up without an IMPI or IMPU";
		return SA_IDENT_NO_IMPI;
	}
	if (n_auth == 0) {
		*why = "no Authorization (TS 24.229 5.1.1.4.1: the IMPI goes in its username)";
		return SA_IDENT_NO_IMPI;
	}
	if (n_auth > SA_IDENT_MAX_AUTH) {
		*why = "too many Authorization headers";
		return SA_IDENT_BAD_AUTH;
	}
	/* every one of them: the S-CSCF picks one by its realm, and it must not matter which */
	for (unsigned i = 0; i < n_auth; i++) {
		int rc = auth_username(auth[i].s, auth[i].n, user, sizeof(user), why);
		if (rc < 0) {
			copy_claim(claimed, claimedsz, auth[i].s, auth[i].n);
			return SA_IDENT_BAD_AUTH;
		}
		if (rc == 0 || !*user) {
			*why = "an Authorization without a username";
			return SA_IDENT_NO_IMPI;
		}
		/* an IMPI is compared as written: the UE repeats the one it registered */
		if (strcmp(user, sa_impi) != 0) {
			copy_claim(claimed, claimedsz, user, strlen(user));
			*why = "the Authorization username is not the IMPI of this SA";
			return SA_IDENT_OTHER_IMPI;
		}
	}
	if (to.n == 0 || to.n >= sizeof(uri)) {
		copy_claim(claimed, claimedsz, to.s, to.n);
		*why = "the To URI is not the IMPU of this SA";
		return SA_IDENT_OTHER_IMPU;
	}
	memcpy(uri, to.s, to.n);
	uri[to.n] = '\0';
	if (!uri_id_same(uri, sa_impu)) {
		copy_claim(claimed, claimedsz, uri, to.n);
		*why = "the To URI is not the IMPU of this SA";
		return SA_IDENT_OTHER_IMPU;
	}
	return SA_IDENT_OK;
}

int sa_contact_check(const char *ue_ip, const unsigned short *ports, unsigned n_ports,
                     struct sa_text host, unsigned port, const char **why)
{
	size_t n = strlen(ue_ip);
	/* an IPv6 reference is written in brackets in a URI (RFC 3261 25.1), the SA has none */
	if (host.n >= 2 && host.s[0] == '[' && host.s[host.n - 1] == ']') {
		host.s++;
		host.n -= 2;
	}
	/* the address, not its spelling: [FD00:9::11] and [fd00:9:0:0:0:0:0:11] are fd00:9::11 */
	if (!sa_addr_same(host.s, host.n, ue_ip, n)) {
		*why = "the Contact names another address than the UE's";
		return -1;
	}
	if (port == 0)
		port = 5060;
	for (unsigned i = 0; i < n_ports; i++)
		if (ports[i] == port)
			return 0;
	*why = "the Contact names another port than the UE's protected server port";
	return -1;
}
