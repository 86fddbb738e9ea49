/* Which privacy can be given (plan.h). Pure core: no Kamailio header. */
#include "plan.h"

#include <string.h>

void priv_plan_make(unsigned mask, int malformed, int is_request, int topology_hiding,
                    struct priv_plan *p)
{
	memset(p, 0, sizeof(*p));
	/* what the user wanted is unclear: hide what can be hidden */
	if (malformed)
		mask |= PRIV_ID | PRIV_HEADER | PRIV_USER;
	p->mask = mask;
	if (mask == 0 || mask == PRIV_NONE)
		return;
	/* RFC 3323 5.1: a proxy cannot anonymize media (session) nor honour a priv-value it does
	 * not know; Via and Record-Route can only be hidden by a topology hiding module that
	 * restores them */
	p->unavailable = mask & (PRIV_SESSION | PRIV_OTHER);
	if ((mask & PRIV_HEADER) && !topology_hiding)
		p->unavailable |= PRIV_HEADER;
	/* RFC 3323 4.2: critical: the message goes only with all the privacy it asks for */
	if (p->unavailable && (mask & PRIV_CRITICAL)) {
		p->verdict = PRIV_PLAN_REFUSE;
		return;
	}
	p->verdict = PRIV_PLAN_APPLY;
	/* RFC 3325 9.3: the identity stays inside the trust domain and goes at its border */
	p->remove_pai = (mask & PRIV_ID) != 0;
	/* RFC 3323 5.1 header privacy: the headers go even when Via/Record-Route cannot */
	p->hide_headers = (mask & PRIV_HEADER) != 0;
	/* RFC 3323 4.1.1 / 5.1 user privacy: a reply's From is the request's, not the user's */
	p->anonymize_from = (mask & PRIV_USER) && is_request;
}
