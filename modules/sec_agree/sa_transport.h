/* Which transport carries a request towards a UE over its SAs, and whether the P-CSCF's TCP
 * set-up keeps every connection to a UE inside its SAs. TS 33.203 7.1: requests towards the UE
 * go from port_pc to port_us, over UDP or over a TCP connection the P-CSCF opens from port_pc;
 * RFC 3261 18.1.1: a request larger than the path MTU minus 200 bytes (1300 when unknown) goes
 * over TCP. Pure core: no Kamailio header. */
#ifndef PRESEC_SA_TRANSPORT_H
#define PRESEC_SA_TRANSPORT_H
#include <stddef.h>

#define SA_UDP_MAX 1300 /* RFC 3261 18.1.1: MTU unknown */

enum sa_tp {
	SA_TP_UDP = 1,
	SA_TP_TCP = 2,
};

enum sa_uri_tp {
	SA_URI_TP_NONE = 0,  /* no transport parameter */
	SA_URI_TP_UDP = 1,   /* transport=udp */
	SA_URI_TP_TCP = 2,   /* transport=tcp */
	SA_URI_TP_OTHER = 3, /* tls, sctp, ws, ...: not over an ESP SA of TS 33.203 */
};

struct sa_to_ue {
	int ue_tcp;            /* the UE's registration over the SA came over TCP */
	enum sa_uri_tp target; /* the transport the target URI names */
	size_t size;           /* the request's size as it is now */
	size_t udp_max;        /* 0: SA_UDP_MAX */
	int tcp_on_pc;         /* the P-CSCF listens on TCP on port_pc at the SA's address */
	int reuse_port;        /* core tcp_reuse_port: new connections leave from port_pc */
};

/* SA_TP_UDP or SA_TP_TCP, or -1 with *why when the request cannot go inside the SA (a TCP
 * connection would leave from another port than port_pc, or there is no TCP on port_pc). */
int sa_transport_to_ue(const struct sa_to_ue *in, const char **why);

/* The value of a URI's transport parameter (case-insensitive), n bytes at s; n 0: none. */
enum sa_uri_tp sa_uri_transport(const char *s, size_t n);

/* The P-CSCF's TCP configuration, checked at start-up. tcp: TCP is enabled at all;
 * tcp_on_pc: a TCP socket on port_pc; reuse_port: tcp_reuse_port; accept_aliases:
 * tcp_accept_aliases (a Via ";alias" lets a peer name its connection for another port of its
 * address); mtu_to_tcp: core udp_mtu set with udp_mtu_try_proto TCP. 0, or -1 with *why. */
int sa_tcp_setup_check(int tcp, int tcp_on_pc, int reuse_port, int accept_aliases, int mtu_to_tcp,
                       const char **why);

/* TCP connections the P-CSCF needs for max_sas SA sets: a UE over TCP holds two (its flow from
 * port_uc to port_ps, ours from port_pc to port_us), plus SA_TCP_MARGIN for the S-CSCF links
 * and unprotected REGISTERs over TCP. */
#define SA_TCP_MARGIN 256
unsigned long sa_tcp_connections_for(unsigned long max_sas);

/* What a refusal on the protected ports does with a request that arrived over TCP on a
 * connection an earlier refusal closed already (pipelined after it, in the same read):
 * SA_REFUSE_SILENT drops it without a reply, a log line or a count (the first one said why);
 * SA_REFUSE_REPLY refuses it as usual. tcp_protected: TCP to port_ps or port_pc;
 * conn_open: the connection is still usable (not marked for close). */
enum sa_refuse {
	SA_REFUSE_REPLY = 1,
	SA_REFUSE_SILENT = 2,
};
enum sa_refuse sa_refusal(int tcp_protected, int conn_open);

/* A response to a request the P-CSCF sent to a UE over its SA comes back over that SA (TS 33.203
 * 7.1): from the UE's port_us to port_pc, over UDP or on the TCP connection between those two
 * ports the request left on. tm matches a response by its branch alone, and whoever sees a
 * request (an integrity-only SA is readable on the path) knows the branch. */
struct sa_reply_in {
	int to_ue;          /* the transaction's request went to a UE over its SA */
	int from_ue_server; /* the response's source is that UE's address and port_us */
	int src_is_ue;      /* the response's source address is the address of some UE's SAs */
	unsigned rcv_port;  /* the local port the response arrived on */
	unsigned port_pc;
};

enum sa_reply_verdict {
	SA_REPLY_OK = 1,
	SA_REPLY_DROP = -1,
};

/* SA_REPLY_OK, or SA_REPLY_DROP with *why. */
enum sa_reply_verdict sa_reply_check(const struct sa_reply_in *in, const char **why);

#endif
