/* What presence is told about a subscription and what a watcher is sent, from the decision of
 * the presentity's rules (policy.h) and whether the rules could be read at all; the watcher as
 * a URI; the names and URIs this module writes into SQL. The glue maps these answers onto the
 * presence module's terms (kamailio_events.c, kamailio_rules.c, kamailio_ut.c). Pure core: no
 * Kamailio header. */
#ifndef PRESEC_AUTHZ_H
#define PRESEC_AUTHZ_H
#include <stddef.h>

#include "policy.h"

/* how the rules of the presentity were had */
enum authz_outcome {
	AUTHZ_DECIDED = 0,      /* the rules decided */
	AUTHZ_REFUSED = -1,     /* the stored document is not acceptable pres-rules */
	AUTHZ_UNAVAILABLE = -2, /* the database cannot be read */
};

enum authz_status { AUTHZ_ACTIVE, AUTHZ_PENDING, AUTHZ_TERMINATED };
/* the statistic a decision counts in (README 6: decisions_*) */
enum authz_count {
	AUTHZ_COUNT_NONE,
	AUTHZ_COUNT_ALLOW,
	AUTHZ_COUNT_CONFIRM,
	AUTHZ_COUNT_POLITE_BLOCK,
	AUTHZ_COUNT_BLOCK,
};
struct authz_subscription {
	enum authz_status status;
	const char
	        *reason; /* of a terminated subscription: the RFC 6665 Subscription-State reason */
	enum authz_count count;
};

/* The subscription's state: allow active; polite-block active too, its NOTIFYs carrying the
 * offline document (RFC 5025 3.2.1); confirm pending; block, and refused rules, terminated
 * "rejected"; rules that cannot be read pending (fail closed, counted nowhere: a refresh or a
 * rule change decides again). */
void authz_subscription(enum authz_outcome how, enum sub_handling sh,
                        struct authz_subscription *out);

enum authz_doc {
	AUTHZ_DOC_FILTERED, /* the composed document, filtered by the decision's permissions */
	AUTHZ_DOC_OFFLINE,  /* the polite-block document */
	AUTHZ_DOC_EMPTY,    /* an empty body: presence would send the original for nothing */
};
/* What a watcher is sent: the filtered document only when the rules decided allow; anything
 * else (polite-block, confirm, block, rules refused or unreadable) the offline document, never
 * the unfiltered one. */
enum authz_doc authz_document(enum authz_outcome how, enum sub_handling sh);
/* What is sent instead when producing `failed` failed: the offline document for the filtered
 * one, an empty body for the offline one. */
enum authz_doc authz_document_fallback(enum authz_doc failed);

/* TR 33.cde 4.5.2: whether the subscription's state is decided as if the watcher had the
 * confidentiality mark. Kamailio's presence asks for the state per watcher identity (its
 * watchers table keeps the first answer; a rule change asks without the dialog's flags), so
 * the state is the most the identity could have and each dialog's document follows its own
 * mark (kamailio_events.c). Only a UE registered at a marking P-CSCF can have the mark: its
 * identity is of a trusted domain (authenticated) unless it asked for anonymity; any other
 * watcher is decided without it. */
int authz_state_confidential(int authenticated, int anonymous);

/* RFC 3323 4.1.1: the watcher's domain is the anonymous URI's (anonymous.invalid) */
int authz_anonymous_domain(const char *domain, size_t len);
/* The watcher as presence keeps it (user and domain) as a URI: "sip:user@domain", or the tel
 * URI of a number when there is no domain. */
void authz_watcher_uri(const char *user, size_t ulen, const char *domain, size_t dlen, char *out,
                       size_t outsz);
/* presence_authz.decide's optional flags, comma-separated: "unauthenticated", "anonymous",
 * "confidential" (the watcher's request had the P-CSCF's mark, TR 33.cde 4.5.2); none (len 0)
 * is an authenticated watcher without the mark; an unknown flag changes nothing. */
void authz_rpc_flag(const char *flag, size_t len, int *authenticated, int *anonymous,
                    int *confidential);

/* A user or domain name that may be written into the xcap query as it is: 1 to 64 of
 * [A-Za-z0-9.-_+]. No XCAP user could have stored rules under another name. */
int authz_xcap_name_ok(const char *s, size_t len);
/* A presentity that may be written into the audit query: a sip: URI of those characters and
 * '@', at most 200 long. */
int authz_plain_sip_uri(const char *s, size_t len);

#endif
