/* One normalised identity for a SIP, SIPS, pres or tel URI, so that every decision about "who
 * is this" compares identities the same way: whether a watcher must authenticate, whether a
 * rule names it, whether a publisher is the presentity. Pure core: no Kamailio header, no
 * library; other modules compile it in (PRESEC_SHARED_SOURCES, modules/presence_authz/Makefile).
 *
 * RFC 3261 19.1.4: scheme and host without case, the user part with case; a character outside
 * the reserved set equals its %HEX escape; a port, and the user, ttl, method and maddr
 * parameters, must be in both URIs and equal when they are in either; other parameters are
 * compared when both have them; header components are never ignored (an identity has none).
 * RFC 3966 4 (tel) and user=phone (RFC 3261 19.1.6): visual separators of the number do not
 * count, parameters must be the same set.
 * Where this is an identity and not a contact: sip, sips and pres (RFC 3859) URIs of one user
 * name the same address-of-record (RFC 3261 19.1: a SIPS URI names the same resource, reached
 * securely), as privacy's ident_same takes them; a password in the userinfo is refused. */
#ifndef PRESEC_URI_ID_H
#define PRESEC_URI_ID_H
#include <stddef.h>

#define URI_ID_USER_MAX   256
#define URI_ID_HOST_MAX   256
#define URI_ID_PARAMS_MAX 8
#define URI_ID_PNAME_MAX  32
#define URI_ID_PVALUE_MAX 128

enum uri_id_scheme {
	URI_ID_SIP = 1, /* sip:, sips: and pres: */
	URI_ID_TEL = 2, /* tel: */
};

struct uri_id_param {
	char name[URI_ID_PNAME_MAX];   /* lower case */
	char value[URI_ID_PVALUE_MAX]; /* lower case, escapes normalised; "" without value */
};

struct uri_id {
	enum uri_id_scheme scheme;
	int secure; /* written as sips: (not compared) */
	/* sip: the user part with its escapes normalised (an unreserved character as itself, a
	 * reserved one as it was written, anything else as %HEX in upper case), "" when there is
	 * none; with user=phone, and for tel:, the number without visual separators, lower case */
	char user[URI_ID_USER_MAX];
	char host[URI_ID_HOST_MAX]; /* lower case, escapes decoded; tel: "" */
	unsigned port;              /* 0: none written */
	/* the parameters RFC 3261 19.1.4 compares whenever one URI has them ("" when absent) */
	char user_param[URI_ID_PNAME_MAX], method[URI_ID_PNAME_MAX], ttl[8];
	char maddr[URI_ID_HOST_MAX];
	unsigned n_params; /* every other parameter (tel: all of them) */
	struct uri_id_param params[URI_ID_PARAMS_MAX];
};

/* Parses a URI (an addr-spec: no display name, no <>). 0, or -1 with *why. */
int uri_id_parse(const char *s, size_t n, struct uri_id *id, const char **why);

/* Whether two parsed identities are the same (the rules above). 1 or 0. */
int uri_id_equal(const struct uri_id *a, const struct uri_id *b);

/* Whether two URIs (NUL-terminated) are the same identity; 0 when either does not parse. */
int uri_id_same(const char *a, const char *b);

/* Whether a URI (NUL-terminated) is the same identity as one of a comma-separated list of URIs
 * (an implicit registration set as ims_aka reads it); entries that do not parse never match. */
int uri_id_in_list(const char *uri, const char *list);

/* Whether the identity is a user (sip class, with a user part) whose host is `domain`
 * (compared without case). 1 or 0. */
int uri_id_in_domain(const struct uri_id *id, const char *domain);

/* Whether the identity's host is one of a space or comma separated list of domains. */
int uri_id_in_domains(const struct uri_id *id, const char *list);

/* The address-of-record of an identity as one canonical string: "sip:user@host" (port and
 * parameters dropped: what presence keeps of a watcher) or "tel:number". The length, or -1
 * when it does not fit (or a sip identity has no user). */
int uri_id_aor(const struct uri_id *id, char *out, size_t outsz);

/* The user part with every escape decoded (what a Digest username is compared with). The
 * length, or -1 when it does not fit or would contain a NUL. */
int uri_id_user_decoded(const struct uri_id *id, char *out, size_t outsz);

#endif
