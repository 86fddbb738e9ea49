/* The API the sec_agree module gives other modules at the P-CSCF (privacy), bound with
 * find_export("bind_sec_agree", 0, 0) as Kamailio modules do. It answers one question: over
 * which SA did this request arrive, or which SA's REGISTER does this reply answer, and for
 * which IMPI and IMPU was that SA set up. What the P-CSCF asserts for a UE is keyed by that
 * (TS 33.203 7.1, TS 24.229 5.2.6.3), never by a header the UE wrote. No Kamailio header. */
#ifndef PRESEC_SEC_AGREE_API_H
#define PRESEC_SEC_AGREE_API_H

struct sip_msg;

#define SEC_AGREE_IP_MAX 48
#define SEC_AGREE_ID_MAX 256

/* One SA set of a UE (one registration flow): the UE's address and protected ports, and the
 * identities the SA was set up for (IMPI: the Authorization username; IMPU: the To URI of the
 * REGISTER that set it up, both checked on every REGISTER over it). */
struct sec_agree_flow {
	char ue_ip[SEC_AGREE_IP_MAX];
	unsigned short port_uc, port_us;
	char impi[SEC_AGREE_ID_MAX], impu[SEC_AGREE_ID_MAX];
	/* the SA's negotiated confidentiality algorithm (enum sec_ealg of sec_agree's sechdr.h;
	 * null for integrity only): TR 33.cde 4.5.2 */
	int ealg;
};

typedef struct sec_agree_api {
	/* The SA a request arrived over: from the UE's address and protected client port to our
	 * protected server port, SAs confirmed by a 200 (active or retiring) and unexpired. 0
	 * with *out, -1 when it arrived over none. */
	int (*request_flow)(struct sip_msg *req, struct sec_agree_flow *out);
	/* The SA the REGISTER answered by this reply arrived over (the transaction's request, in
	 * onreply_route). 0 with *out, -1 when the REGISTER came over none. */
	int (*reply_flow)(struct sip_msg *reply, struct sec_agree_flow *out);
	/* Registers fn (one; call it from mod_init), called outside every lock when the last SA
	 * set of a flow (address, protected client port, IMPI) is deleted: expired, retired by a
	 * newer registration, de-registered or by RPC; what was learned for the flow goes with
	 * it. 0 or -1. */
	int (*on_flow_gone)(void (*fn)(const struct sec_agree_flow *flow));
} sec_agree_api_t;

typedef int (*bind_sec_agree_f)(sec_agree_api_t *api);

#endif
