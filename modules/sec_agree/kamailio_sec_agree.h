/* What sec_agree_mod.c gives the module's other glue files (kamailio_conf.c), and what they
 * give its export tables. Kamailio glue. */
#ifndef PRESEC_KAMAILIO_SEC_AGREE_H
#define PRESEC_KAMAILIO_SEC_AGREE_H

#include "presec/sec_agree_api.h"

/* The SA set a request arrived over (the lookup of bind_sec_agree's request_flow): 0 with
 * *out, -1 when it arrived over none. */
int sec_agree_request_flow(struct sip_msg *msg, struct sec_agree_flow *out);

/* The SA set a request towards a UE goes over (its target, after sec_agree_forward_to_ue()):
 * 0 with *out, -1 when there is none. */
int sec_agree_target_flow(struct sip_msg *msg, struct sec_agree_flow *out);

/* kamailio_conf.c: sec_agree_mark_confidential() and sec_agree_to_ue_confidential() (README
 * 4.6, 4.7) */
int sec_agree_mark_confidential(struct sip_msg *msg);
int sec_agree_to_ue_confidential(struct sip_msg *msg);

#endif
