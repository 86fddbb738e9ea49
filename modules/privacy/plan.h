/* What privacy_apply() does with the priv-values a message asks for, towards a hop outside the
 * trust domain (RFC 3323 4.2, 5.1; RFC 3325 9.3): which privacy can be given and whether the
 * message is refused because critical privacy cannot. Pure core: no Kamailio header. */
#ifndef PRESEC_PLAN_H
#define PRESEC_PLAN_H

#include "privhdr.h"

enum priv_verdict {
	PRIV_PLAN_NOTHING = 0, /* no Privacy, or "none": the message goes as it is */
	PRIV_PLAN_APPLY,       /* give what can be given (the flags below) */
	PRIV_PLAN_REFUSE,      /* critical privacy that cannot be given: 500 Privacy Unavailable */
};

struct priv_plan {
	enum priv_verdict verdict;
	unsigned mask;        /* the priv-values asked for (PRIV_*), after a malformed Privacy */
	unsigned unavailable; /* the asked ones this proxy cannot give (PRIV_SESSION, ...) */
	int remove_pai;       /* id: P-Asserted-Identity goes at the border */
	int hide_headers;     /* header: the headers that identify the user beyond the URIs */
	int anonymize_from;   /* user: the anonymous From (requests only) */
};

/* mask: the priv-values of the message's Privacy headers (priv_parse()); malformed: one of
 * them did not parse; is_request: a request, not a reply; topology_hiding: a module that hides
 * and restores Via and Record-Route is loaded. */
void priv_plan_make(unsigned mask, int malformed, int is_request, int topology_hiding,
                    struct priv_plan *p);

#endif
