/* Transport towards the UE over its SAs (sa_transport.h). Pure core. */
#include "sa_transport.h"

#include <strings.h>

enum sa_uri_tp sa_uri_transport(const char *s, size_t n)
{
	if (!s || n == 0)
		return SA_URI_TP_NONE;
	if (n == 3 && strncasecmp(s, "udp", 3) == 0)
		return SA_URI_TP_UDP;
	if (n == 3 && strncasecmp(s, "tcp", 3) == 0)
		return SA_URI_TP_TCP;
	return SA_URI_TP_OTHER;
}

int sa_transport_to_ue(const struct sa_to_ue *in, const char **why)
{
	size_t udp_max = in->udp_max ? in->udp_max : SA_UDP_MAX;
	int tcp;

	if (in->target == SA_URI_TP_OTHER) {
		/* TS 33.203 7.1: the SAs carry SIP over UDP and TCP only */
		*why = "the target names a transport other than udp or tcp";
		return -1;
	}
	/* TS 24.229 / RFC 3261 18.1.1: the UE's own choice of TCP, or a request too large for
	 * UDP; an explicit transport=udp does not hold a large request to UDP (18.1.1 lets a
	 * client switch), but a UE that registered over UDP does not get TCP for a small one */
	tcp = in->ue_tcp || in->target == SA_URI_TP_TCP || in->size > udp_max;
	if (!tcp)
		return SA_TP_UDP;
	if (!in->tcp_on_pc) {
		/* the core would pick another TCP socket, 5060 say: outside the SA */
		*why = "no tcp socket on port_pc (listen=tcp:<P-CSCF>:<port_pc>)";
		return -1;
	}
	if (!in->reuse_port) {
		/* without it a new connection leaves from an ephemeral port: outside the SA */
		*why = "tcp_reuse_port is off: a new connection would not leave from port_pc";
		return -1;
	}
	return SA_TP_TCP;
}

int sa_tcp_setup_check(int tcp, int tcp_on_pc, int reuse_port, int accept_aliases, int mtu_to_tcp,
                       const char **why)
{
	if (!tcp)
		return 0; /* UDP only: nothing can leave over TCP */
	if (accept_aliases) {
		/* RFC 5923 aliases: a UE's connection could be named for another UE's port_us at
		 * the same address, and requests for that UE would go over it */
		*why = "tcp_accept_aliases must be off: a peer could name its connection for another UE's protected server port";
		return -1;
	}
	if (tcp_on_pc && !reuse_port) {
		*why = "tcp_reuse_port must be on with a tcp socket on port_pc: a connection to a UE must leave from port_pc";
		return -1;
	}
	if (mtu_to_tcp && !tcp_on_pc) {
		/* udp_mtu moves a large request to the first TCP socket: 5060, outside the SA */
		*why = "udp_mtu_try_proto TCP needs a tcp socket on port_pc: a large request to a UE would leave from another port";
		return -1;
	}
	return 0;
}

enum sa_reply_verdict sa_reply_check(const struct sa_reply_in *in, const char **why)
{
	if (in->to_ue) {
		/* TS 33.203 7.1: the UE answers from port_us, the P-CSCF takes it on port_pc */
		if (!in->from_ue_server) {
			*why = "the response does not come from the protected server port of the UE the request went to";
			return SA_REPLY_DROP;
		}
		if (in->rcv_port != in->port_pc) {
			*why = "the response to a request sent over the SA did not arrive on the protected client port";
			return SA_REPLY_DROP;
		}
		return SA_REPLY_OK;
	}
	/* a request that went elsewhere (the S-CSCF): a UE's address answering it on port_ps
	 * or the unprotected port is someone on the path forging the response */
	if (in->src_is_ue && in->rcv_port != in->port_pc) {
		*why = "a response from a UE's address to a request that did not go to that UE";
		return SA_REPLY_DROP;
	}
	return SA_REPLY_OK;
}

unsigned long sa_tcp_connections_for(unsigned long max_sas)
{
	return 2 * max_sas + SA_TCP_MARGIN;
}

enum sa_refuse sa_refusal(int tcp_protected, int conn_open)
{
	/* a UDP datagram or an unprotected port: each request is its own attempt */
	if (!tcp_protected || conn_open)
		return SA_REFUSE_REPLY;
	return SA_REFUSE_SILENT;
}
