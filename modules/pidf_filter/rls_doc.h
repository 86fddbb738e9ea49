/* The Ut's check of an RFC 4826 rls-services document before it is stored, mirroring what
 * Kamailio's rls does with one (presence_authz README 5): what rls would drop silently, loop on
 * or follow into someone else's documents is refused here with a reason (RFC 4825 8.2.5: 409
 * with an xcap-error phrase). Pure core: libxml2 and uri_id only. */
#ifndef PRESEC_RLS_DOC_H
#define PRESEC_RLS_DOC_H
#include <stddef.h>

struct rls_doc_limits {
	const char *owner;       /* the XUI, canonical "sip:user@domain" */
	const char *home_domain; /* service URIs and members are of this domain */
	const char *xcap_host;   /* a <resource-list> may name https://xcap_host; NULL: path only */
	unsigned max_members;    /* entries of one service, nested lists included */
	unsigned max_services;   /* services in the document */
	unsigned max_depth;      /* nested <list> levels (and /list steps of a reference) */
};

#define RLS_DOC_MAX_BYTES    131072
#define RLS_DOC_SERVICES_MAX 64
#define RLS_DOC_SELECTOR_MAX 100 /* the XPath after "~~", un-escaped (rls's path buffer) */

/* What the check found, for the caller's further checks (the resource-lists a reference
 * names must exist; no service URI may be anyone else's) */
struct rls_doc_info {
	unsigned n_services;
	char services[RLS_DOC_SERVICES_MAX][300]; /* the service URIs, canonical */
	unsigned n_refs;
	char refs[RLS_DOC_SERVICES_MAX][300]; /* each <resource-list>'s document path (doc_uri) */
	char ref_lists[RLS_DOC_SERVICES_MAX][120]; /* the first list name of each reference */
};

/* 0 when the document may be stored (info filled, when given), -1 with *why */
int rls_doc_check(const char *xml, size_t len, const struct rls_doc_limits *lim,
                  struct rls_doc_info *info, const char **why);

#endif
