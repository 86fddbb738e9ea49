/* Who asks for and who supplies presence at the PS, decided in one place from what a request
 * carries and where it came from (TS 33.141 4.5.1, RFC 3325, RFC 3903), on one normalised
 * identity (pidf_filter's uri_id.h) and privacy's trust list and identity headers. Pure core:
 * no Kamailio header.
 *
 * - A watcher is the identity the network asserted (P-Asserted-Identity, believed only from
 *   an asserting peer: the S-CSCF or the RLS), anonymous when it asks for Privacy: id, and
 *   otherwise its From: a From of a trusted domain (whose users the core asserts) that nobody
 *   asserted must be proved with Digest at the PS before it counts, any other From is an
 *   unauthenticated watcher. Behind a core that asserts nobody (core_asserts 0) the From of a
 *   trusted domain is believed instead.
 * - A publication is taken only from a network presence source, or for one of the
 *   publisher's own identities: the asserted identity is the presentity or another IMPU of its
 *   implicit registration set (the caller reads the set, gate_publish_set decides). */
#ifndef PRESEC_GATE_H
#define PRESEC_GATE_H
#include <stddef.h>

#include "trust.h"

/* A list of peers as privacy's trust list takes them ("10.0.0.0/8, 127.0.1.2 scscf.example"),
 * where an entry may also be the peer's SIP URI ("sip:127.0.1.2:5060": its host), so that a
 * configuration names the S-CSCF by the URI it routes to. Adds to *l (zeroed by the caller).
 * 0, or -1 with *why. */
int gate_peers_parse(const char *s, struct trust_list *l, const char **why);

struct gate_cfg {
	const struct trust_list *asserting; /* peers whose P-Asserted-Identity counts */
	const struct trust_list *sources;   /* network presence sources (PNAs, Pen/Pex) */
	const char *trusted_domains;        /* domains whose users the core asserts; "": all */
	int core_asserts;                   /* 0: a core that asserts nobody (stock) */
	const struct trust_list *rls;       /* the RLS: asserts list watchers, SUBSCRIBE only */
};

#define GATE_HDR_MAX 4 /* P-Asserted-Identity or Privacy headers looked at */
struct gate_req {
	const char *peer;                  /* the source address, as text */
	const char *ruri;                  /* the Request-URI: the presentity */
	const char *from;                  /* the From URI */
	const char *pai[GATE_HDR_MAX];     /* P-Asserted-Identity bodies */
	unsigned n_pai;                    /* how many there were (may exceed GATE_HDR_MAX) */
	const char *privacy[GATE_HDR_MAX]; /* Privacy bodies */
	unsigned n_privacy;
	int has_to_tag;
	int winfo; /* a SUBSCRIBE to presence.winfo (RFC 3857) */
};

#define GATE_ID_MAX 300
struct gate_verdict {
	int status;                   /* 0 to go on, else the status to refuse with (403, 400) */
	const char *why;              /* the refusal, also the reason phrase */
	char presentity[GATE_ID_MAX]; /* the Request-URI's address-of-record; "" in a dialog */
	/* the watcher as presence is to keep it, or the publisher; for a refusal the identity
	 * or header at fault */
	char identity[GATE_ID_MAX];
};

/* What the anonymous watcher is kept as (RFC 3323 4.1.1) */
#define GATE_ANONYMOUS "sip:anonymous@anonymous.invalid"

enum gate_watcher {
	GW_REFUSED = -1,          /* v->status, v->why */
	GW_ASSERTED = 0,          /* the identity the network asserted */
	GW_ANONYMOUS = 1,         /* Privacy: id */
	GW_BELIEVED = 2,          /* the From of a trusted domain, core_asserts 0 */
	GW_FOREIGN = 3,           /* the From of another domain: unauthenticated */
	GW_MUST_AUTHENTICATE = 4, /* the From of a trusted domain nobody asserted: Digest */
};
enum gate_watcher gate_watcher(const struct gate_cfg *c, const struct gate_req *r,
                               struct gate_verdict *v);
const char *gate_watcher_name(enum gate_watcher w);

/* After GW_MUST_AUTHENTICATE and a Digest that proved `user` in `realm`: 0 and v->identity
 * when the From is that user of that realm (the user part compared with its escapes decoded,
 * with case), else -1 with v->status 403. */
int gate_digest(const struct gate_req *r, const char *user, const char *realm,
                struct gate_verdict *v);

/* RFC 4662 4.4, RFC 4826 4.4.9: the owner of a list subscription (a SUBSCRIBE with Supported:
 * eventlist): the identity an asserting peer asserted, also under Privacy: id (*anonymous is
 * then 1: the list watcher is anonymous at every member). 0 with v->identity (and
 * v->presentity), or -1 with v->status 403: nobody asserted the watcher, it is of another
 * domain, or the request is the RLS's own back-end SUBSCRIBE (never a list). */
int gate_rls_owner(const struct gate_cfg *c, const struct gate_req *r, int *anonymous,
                   struct gate_verdict *v);

/* RFC 4662 7.1: the RLS handle of a list watcher, the only watcher rls is given: "r" and 16
 * base32 characters of HMAC-SHA-256(key, owner "\n" anonymous), so that every back-end
 * SUBSCRIBE (whichever process sends it) names on whose behalf it goes, and nobody who lacks
 * the key can make one up. out holds GATE_RLS_TOKEN_MAX. 0, or -1 (no key or owner). */
#define GATE_RLS_TOKEN_MAX 18
#define GATE_RLS_DOMAIN    "rls.invalid"
int gate_rls_handle(const char *key, const char *owner, int anonymous, char *out);
/* Whether a token is one gate_rls_handle() could have written ("r" + 16 of [a-z2-7]): 1, 0 */
int gate_rls_token_valid(const char *s, size_t len);

/* Whether a watcher URI as presence keeps it ("sip:user@domain") is of a trusted domain:
 * what presence_authz takes as authenticated when it decides (RFC 4745 7.1). 1 or 0. */
int gate_watcher_trusted(const struct gate_cfg *c, const char *watcher);

enum gate_publish {
	GP_REFUSED = -1, /* v->status, v->why */
	GP_ALLOWED = 0,
	GP_ASK_SET = 1, /* the publisher (v->identity) is not the presentity: read its set */
};
enum gate_publish gate_publish(const struct gate_cfg *c, const struct gate_req *r,
                               struct gate_verdict *v);

/* RFC 3857, TS 33.141 4.5.1: the watcher list is the presentity's own. After gate_watcher()
 * said w for a SUBSCRIBE to presence.winfo: GP_ALLOWED when the asserted watcher is the
 * presentity (or within a dialog, whose subscriber was decided when it began), GP_ASK_SET when
 * it is asserted but another identity (the presentity may be another IMPU of its set: then
 * gate_publish_set decides), GP_REFUSED (403) for anyone not asserted. */
enum gate_publish gate_winfo(const struct gate_req *r, enum gate_watcher w, struct gate_verdict *v);

/* After GP_ASK_SET: pairs[2i] an IMPU stored like the publisher's, pairs[2i+1] an IMPU of the
 * same implicit registration set (TS 23.228 5.2.1a). GP_ALLOWED when the presentity is one of
 * the publisher's, else GP_REFUSED with v->status 403. */
enum gate_publish gate_publish_set(const char *const *pairs, unsigned n_pairs,
                                   struct gate_verdict *v);

/* Whether two peer lists share an address (a block of one contains an address of the other)
 * or a host name. The asserting peers and the network presence sources must not: a PUBLISH
 * the S-CSCF relays would then count as a network source's, for anyone's presence. 1 or 0. */
int gate_lists_overlap(const struct trust_list *a, const struct trust_list *b);

/* TR 33.cde 4.5.2: whether the watcher's request came over an SA with encryption, as the
 * P-CSCF marked it (P-Presec-Confidential, presec/conf_mark.h). The mark is the trust
 * domain's: believed only from an asserting peer (the S-CSCF, which takes it only from its
 * P-CSCFs), only alone, and only naming an encryption algorithm. marks: the headers' bodies,
 * n how many there were (may exceed GATE_HDR_MAX). */
enum gate_conf {
	GC_NONE = 0,       /* no mark: no confidentiality */
	GC_BELIEVED = 1,   /* one well-formed mark from an asserting peer */
	GC_UNTRUSTED = -1, /* a mark from a peer that may not write it: no confidentiality */
	GC_MALFORMED = -2, /* several marks, or one naming no encryption: no confidentiality */
};
enum gate_conf gate_confidential(const struct gate_cfg *c, const char *peer,
                                 const char *const *marks, unsigned n);
const char *gate_conf_name(enum gate_conf g);

#endif
