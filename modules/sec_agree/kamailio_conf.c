/* sec_agree glue: the confidentiality mark of TR 33.cde 4.5.2 (issue #19). A Release 5 P-CSCF
 * or an integrity-only SA gives a watcher no confidentiality, and the presentity decides
 * whether its notifications may go to such a watcher (pidf_filter's <ps:confidentiality/>).
 * The P-CSCF knows, from the SA a request arrived over, and tells the trust domain with
 * P-Presec-Confidential; the decision is confmark.c's. */
#include <string.h>

#include "core/data_lump.h"
#include "core/dprint.h"
#include "core/parser/msg_parser.h"
#include "presec/conf_mark.h"
#include "presec/kamailio_cfg.h"
#include "presec/kamailio_lump.h"

#include "confmark.h"
#include "kamailio_sec_agree.h"

/* Return codes of sec_agree_mark_confidential() (README 4.6, cfg-examples/include/codes.cfg) */
enum conf_rc {
	CONF_MARKED = 1,          /* over an SA with encryption: marked */
	CONF_INTEGRITY_ONLY = -1, /* over an SA without encryption (ealg null or absent) */
	CONF_NO_SA = -2,          /* not over an SA */
	CONF_INTERNAL = -3,       /* the message could not be read or changed */
};

static int is_mark(const struct hdr_field *h)
{
	return h->name.len == PRESEC_CONF_HDR_LEN &&
	       strncasecmp(h->name.s, PRESEC_CONF_HDR, PRESEC_CONF_HDR_LEN) == 0;
}

/* whether h is removed already (privacy_assert_identity() ran first): one removal, one log
 * line per message */
static int removed_already(const struct sip_msg *msg, const struct hdr_field *h)
{
	int off = (int)(h->name.s - msg->buf);
	for (const struct lump *l = msg->add_rm; l; l = l->next)
		if (l->op == LUMP_DEL && l->u.offset <= off && l->u.offset + l->len >= off + h->len)
			return 1;
	return 0;
}

int sec_agree_mark_confidential(struct sip_msg *msg)
{
	struct sec_agree_flow f;
	char hdr[64];
	int n = 0;
	if (msg->first_line.type != SIP_REQUEST || parse_headers(msg, HDR_EOH_F, 0) < 0)
		return CONF_INTERNAL;
	/* only this P-CSCF says it, whatever the UE wrote (privacy's untrusted_headers removed
	 * it already where the script calls privacy_assert_identity() first) */
	for (struct hdr_field *h = msg->headers; h; h = h->next)
		if (is_mark(h) && !removed_already(msg, h) && presec_hdr_remove(msg, h) == 0)
			n++;
	if (n)
		LM_NOTICE("%.*s from %s:%u: %s written by the sender removed\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg), msg->rcv.src_port, PRESEC_CONF_HDR);
	if (sec_agree_request_flow(msg, &f) < 0)
		return CONF_NO_SA;
	int len = sec_confidential_header((enum sec_ealg)f.ealg, hdr, sizeof(hdr));
	if (len < 0)
		return CONF_INTERNAL;
	if (len == 0) {
		LM_DBG("%.*s from %s:%u (SA of %s): integrity only, not marked\n",
		       msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		       presec_src_ip(msg), msg->rcv.src_port, f.impi);
		return CONF_INTEGRITY_ONLY;
	}
	if (presec_hdr_add(msg, hdr, (size_t)len) != 0)
		return CONF_INTERNAL;
	return CONF_MARKED;
}

int sec_agree_to_ue_confidential(struct sip_msg *msg)
{
	struct sec_agree_flow f;
	char hdr[64];
	if (sec_agree_target_flow(msg, &f) < 0)
		return CONF_NO_SA;
	/* the same test as the mark's: an SA whose ealg would have marked the UE's request */
	int len = sec_confidential_header((enum sec_ealg)f.ealg, hdr, sizeof(hdr));
	if (len < 0)
		return CONF_INTERNAL;
	return len > 0 ? CONF_MARKED : CONF_INTEGRITY_ONLY;
}
