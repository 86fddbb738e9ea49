/* The presentity's authorization rules: RFC 4745 common-policy with the RFC 5025 pres-rules
 * actions and transformations and the OMA common-policy extensions (anonymous-request,
 * other-identity), compiled from the XML document into a policy and evaluated for one watcher.
 * Pure core on libxml2: no Kamailio header. */
#ifndef PRESEC_POLICY_H
#define PRESEC_POLICY_H
#include <stddef.h>

#include "presec/pres_perm.h"

#define NS_CP  "urn:ietf:params:xml:ns:common-policy"
#define NS_PR  "urn:ietf:params:xml:ns:pres-rules"
#define NS_OCP "urn:oma:xml:xdm:common-policy"
/* presec's own condition (TR 33.cde 4.5.2, pidf_filter README): <ps:confidentiality/> */
#define NS_PSC "urn:presec:xml:ns:pres-rules"

/* RFC 5025 3.2.1: ordered so that combining rules is taking the maximum */
enum sub_handling { SH_BLOCK = 0, SH_CONFIRM = 1, SH_POLITE_BLOCK = 2, SH_ALLOW = 3 };

#define POL_ID_MAX     128
#define POL_ONE_MAX    16
#define POL_MANY_MAX   8
#define POL_EXCEPT_MAX 8
#define POL_LISTS_MAX  4  /* OMA external-list entries per rule */
#define POL_MEMBER_MAX 64 /* members of those lists, once resolved */

struct pol_many {
	char domain[POL_ID_MAX]; /* "" : any authenticated identity */
	unsigned n_except;
	struct {
		char id[POL_ID_MAX], domain[POL_ID_MAX];
	} except[POL_EXCEPT_MAX];
};

struct pol_rule {
	char id[64];
	/* unknown_condition: RFC 4745 7, a condition not understood: the rule never matches */
	int has_identity, has_sphere, has_validity, anonymous_request, other_identity,
	        external_list, unknown_condition;
	/* <ps:confidentiality/>: matches only a watcher whose request came over an encrypted SA */
	int confidentiality;
	/* OMA external-list: the lists named by the anchors (owner's XUI and list name), and
	 * their members once policy_resolve_lists() has read the owner's resource-lists */
	unsigned n_lists, n_members;
	int lists_resolved;
	struct {
		char xui[POL_ID_MAX], name[64];
	} lists[POL_LISTS_MAX];
	char members[POL_MEMBER_MAX][POL_ID_MAX];
	unsigned n_one, n_many, n_validity;
	char one[POL_ONE_MAX][POL_ID_MAX];
	struct pol_many many[POL_MANY_MAX];
	char sphere[64];
	struct {
		long long from, until;
	} validity[4];
	int has_sub_handling;
	enum sub_handling sub_handling;
	struct pres_perm perm;
};

struct policy {
	unsigned n;
	struct pol_rule *rules;
};

/* Compiles a pres-rules document. 0, or -1 with *why naming the offending rule or element. */
int policy_compile(const char *xml, size_t len, struct policy *p, const char **why);
void policy_free(struct policy *p);

/* OMA external-list: fills the members of every external-list rule from the owner's
 * resource-lists document (RFC 4826; the entries of the named list and of the lists nested in
 * it). Anchors into another user's document are not followed (their rule stays without
 * members). lists_xml NULL: the owner has no resource-lists, such rules match nobody.
 * 0, or -1 with *why (the lists are not a resource-lists document, or too many members). */
int policy_resolve_lists(struct policy *p, const char *owner_xui, const char *lists_xml, size_t len,
                         const char **why);
/* Whether any rule has an external-list condition (the caller then reads the lists). */
int policy_needs_lists(const struct policy *p);

/* A compiled policy as one self-contained byte string, for a cache in shared memory: the
 * rules are fixed-size records that are mostly empty, so runs of zero bytes are stored as their
 * length. policy_pack: 0 and *out (malloc) / *len, or -1 (out of memory). policy_unpack: 0, or
 * -1 when the bytes are not a packed policy (nothing allocated then). */
int policy_pack(const struct policy *p, unsigned char **out, size_t *len);
int policy_unpack(const unsigned char *in, size_t len, struct policy *p);

/* What the Ut reference point accepts into the xcap table (RFC 4825 8.2.5: a document that
 * is not acceptable is refused with 409, nothing stored): for the "pres-rules" auid a document
 * that compiles as above; for "resource-lists" (RFC 4826, OMA external-list) a well-formed
 * <resource-lists> in its namespace without DOCTYPE; any other auid is refused. 0, or -1 with
 * *why. */
#define NS_RL "urn:ietf:params:xml:ns:resource-lists"
int xcap_doc_check(const char *auid, const char *xml, size_t len, const char **why);

struct pol_watcher {
	const char *uri;    /* the watcher's identity as the PS knows it */
	int authenticated;  /* P-Asserted-Identity from the trust domain, or digest at the PS */
	int anonymous;      /* Privacy: id: matched as anonymous, never by its identity */
	long long at;       /* the time of the decision (seconds since 1970) */
	const char *sphere; /* the presentity's current sphere, or NULL */
	/* TR 33.cde 4.5.2: the watcher's request arrived at the P-CSCF over an SA with
	 * encryption, as the trust domain marked it and the PS believed it */
	int confidential;
};

#define POL_MATCH_MAX 32
struct pol_decision {
	enum sub_handling sub_handling;
	unsigned n_rules;
	const char *rules[POL_MATCH_MAX]; /* ids of the matching rules (point into the policy) */
	struct pres_perm perm;
};

/* RFC 4745 10: every matching rule counts; sub-handling is the maximum of theirs (block when
 * none matches), the permissions their union. */
void policy_decide(const struct policy *p, const struct pol_watcher *w, struct pol_decision *d);

/* TR 33.cde 4.5.2 with RFC 4745 10: when a rule with <ps:confidentiality/> matches w with the
 * mark, the rules without the condition that allow w without it (their ids in ids[], at most
 * max; the count returned, 0 when no such rule or no rule with the condition names w): w then
 * gets their permissions without confidentiality, the condition must be on each of them. */
unsigned policy_unguarded_allows(const struct policy *p, const struct pol_watcher *w,
                                 const char **ids, unsigned max);

const char *sub_handling_name(enum sub_handling s);

#endif
