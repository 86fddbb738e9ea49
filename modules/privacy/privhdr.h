/* The privacy headers (RFC 3323 Privacy, RFC 3325 P-Asserted-Identity and P-Preferred-Identity)
 * and the anonymous From of RFC 3323 4.1.1. Pure core: no Kamailio header. */
#ifndef PRESEC_PRIVHDR_H
#define PRESEC_PRIVHDR_H
#include <stddef.h>

/* priv-values (RFC 3323 4.2, RFC 3325 9.3) */
#define PRIV_NONE     0x01
#define PRIV_HEADER   0x02
#define PRIV_SESSION  0x04
#define PRIV_USER     0x08
#define PRIV_ID       0x10
#define PRIV_CRITICAL 0x20
#define PRIV_OTHER    0x40 /* an extension token */

/* ORs the priv-values of one Privacy header body into *mask. -1 with *why when it is not a
 * priv-value list, or when "none" comes with any other value. */
int priv_parse(const char *s, size_t n, unsigned *mask, const char **why);

#define IDENT_MAX     2 /* RFC 3325 9.1: one sip/sips URI and one tel URI at most */
#define IDENT_URI_MAX 256

struct ident {
	char uri[IDENT_URI_MAX]; /* the URI as written, without <> and display name */
	int is_tel;
};
struct ident_list {
	unsigned n;
	struct ident id[IDENT_MAX];
};

/* Appends the identities of one P-Asserted-Identity or P-Preferred-Identity body (name-addr or
 * addr-spec, comma-separated). -1 with *why (not an identity, more than one of a kind, a scheme
 * other than sip, sips and tel); *l is unchanged then. */
int ident_parse(const char *s, size_t n, struct ident_list *l, const char **why);

/* The From of user privacy (RFC 3323 4.1.1): "Anonymous" <sip:anonymous@anonymous.invalid>
 * with the original tag, so that the dialog still matches. Returns the length written or -1. */
int priv_anonymous_from(const char *from_body, size_t n, char *out, size_t outsz);

/* The URIs of a comma-separated list of name-addrs (P-Associated-URI, TS 24.229 7.2.1), in
 * order, into out[max][len]. Returns how many, or -1 when an entry is not a name-addr or
 * addr-spec of a sip, sips or tel URI. */
int uri_list_parse(const char *s, size_t n, char (*out)[IDENT_URI_MAX], unsigned max,
                   const char **why);

/* A comma-separated list of header names (the untrusted_headers parameter). 0, or -1 with
 * *why when a name is not a token or there are too many. */
#define HDR_NAMES_MAX 32
#define HDR_NAME_MAX  64
struct hdr_names {
	unsigned n;
	char name[HDR_NAMES_MAX][HDR_NAME_MAX];
};
int hdr_names_parse(const char *s, struct hdr_names *out, const char **why);
/* Whether the header name (n bytes) is in the list, case-insensitively (RFC 3261 7.3.1). */
int hdr_names_has(const struct hdr_names *l, const char *name, size_t n);
/* Whether a P-Access-Network-Info body claims to be network-provided (TS 24.229 7.2A.4),
 * which a UE's may not. */
int pani_network_provided(const char *s, size_t n);

#endif
