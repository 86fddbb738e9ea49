/* presence_authz glue: the confidentiality mark of TR 33.cde 4.5.2 (issue #19) at the PS. The
 * P-CSCF marks a watcher's request that came over an SA with encryption (P-Presec-Confidential,
 * presec/conf_mark.h); the gate (gate_confidential) believes it only from an asserting peer.
 * What it believed goes with the subscription as a branch flag, which Kamailio's presence
 * module stores with it (subs->flags: active_watchers.flags) and hands back for every later
 * decision, so pidf_filter's <ps:confidentiality/> sees it (pol_watcher.confidential). */
#include <string.h>

#include "core/dprint.h"
#include "core/dset.h"
#include "core/flags.h"
#include "core/parser/msg_parser.h"
#include "presec/conf_mark.h"
#include "presec/kamailio_cfg.h"

#include "kamailio_authz.h"

/* Return codes of pres_authz_confidential() (README, cfg-examples/include/codes.cfg) */
enum pa_conf_rc {
	PA_CONF_BELIEVED = 1,   /* the watcher has confidentiality */
	PA_CONF_NONE = -1,      /* no mark */
	PA_CONF_UNTRUSTED = -2, /* a mark from a peer that may not write it: ignored, logged */
	PA_CONF_MALFORMED = -3, /* several marks or an unknown value: ignored, logged */
	PA_CONF_INTERNAL = -4,  /* the request could not be read */
};

int pa_confidential_bflag = -1;

int pa_conf_init(void)
{
	if (pa_confidential_bflag < -1 || pa_confidential_bflag > (int)MAX_FLAG) {
		LM_ERR("confidential_bflag %d: a branch flag 0..%u, or -1\n", pa_confidential_bflag,
		       MAX_FLAG);
		return -1;
	}
	if (pa_confidential_bflag < 0)
		LM_INFO("confidential_bflag unset: <ps:confidentiality/> rules match no watcher\n");
	return 0;
}

int pa_subs_confidential(const subs_t *subs)
{
	return pa_confidential_bflag >= 0 &&
	       (subs->flags & (1u << (unsigned)pa_confidential_bflag)) != 0;
}

#define MARK_LEN 32
int pa_confidential_step(struct sip_msg *msg)
{
	char text[GATE_HDR_MAX][MARK_LEN];
	const char *marks[GATE_HDR_MAX];
	unsigned n = 0;
	if (msg->first_line.type != SIP_REQUEST || parse_headers(msg, HDR_EOH_F, 0) < 0)
		return PA_CONF_INTERNAL;
	for (struct hdr_field *h = msg->headers; h; h = h->next) {
		if (h->name.len != PRESEC_CONF_HDR_LEN ||
		    strncasecmp(h->name.s, PRESEC_CONF_HDR, PRESEC_CONF_HDR_LEN) != 0)
			continue;
		if (n < GATE_HDR_MAX) {
			/* NULL when it does not fit: the gate takes that as malformed */
			marks[n] = NULL;
			if (h->body.len >= 0 && h->body.len < MARK_LEN) {
				memcpy(text[n], h->body.s, (size_t)h->body.len);
				text[n][h->body.len] = '\0';
				marks[n] = text[n];
			}
		}
		n++;
	}
	enum gate_conf g = gate_confidential(&pa.gcfg, presec_src_ip(msg), marks, n);
	/* a request carries one decision: whatever the flag said before is replaced */
	if (pa_confidential_bflag >= 0) {
		if (g == GC_BELIEVED)
			setbflag(0, (flag_t)pa_confidential_bflag);
		else
			resetbflag(0, (flag_t)pa_confidential_bflag);
	}
	switch (g) {
	case GC_BELIEVED:
		return PA_CONF_BELIEVED;
	case GC_NONE:
		return PA_CONF_NONE;
	case GC_UNTRUSTED:
	case GC_MALFORMED:
		break;
	}
	LM_NOTICE("%.*s from %s: %s %s, not believed\n", msg->first_line.u.request.method.len,
	          msg->first_line.u.request.method.s, presec_src_ip(msg), PRESEC_CONF_HDR,
	          gate_conf_name(g));
	return g == GC_UNTRUSTED ? PA_CONF_UNTRUSTED : PA_CONF_MALFORMED;
}
