/* The confidentiality mark of TR 33.cde 4.5.2 (issue #19): the P-CSCF writes it on a UE's
 * request that arrived over an SA with encryption (sec_agree_mark_confidential), it travels
 * inside the trust domain only (privacy's untrusted_headers strip it from anything else), and
 * the PS believes it only from its asserting peers (presence_authz gate.c), for the pres-rules
 * condition <ps:confidentiality/> (pidf_filter policy.h). Its value is the SA's ealg. No
 * Kamailio header. */
#ifndef PRESEC_CONF_MARK_H
#define PRESEC_CONF_MARK_H
#include <stddef.h>
#include <strings.h>

#define PRESEC_CONF_HDR     "P-Presec-Confidential"
#define PRESEC_CONF_HDR_LEN 21

/* Whether s (n bytes, a header body) names an encryption algorithm of TS 33.203 6.2 as the
 * P-CSCF writes it: "aes-cbc" or "des-ede3-cbc", any case. "null" and anything else: 0. */
static inline int presec_conf_ealg_known(const char *s, size_t n)
{
	return (n == 7 && strncasecmp(s, "aes-cbc", 7) == 0) ||
	       (n == 12 && strncasecmp(s, "des-ede3-cbc", 12) == 0);
}

#endif
