/* TS 24.229 5.4.1.1 / 5.4.3: who may send the S-CSCF what. */
#include "peer.h"

#include <string.h>

int aka_peer_list_parse(const char *s, struct trust_list *l, const char **why)
{
	memset(l, 0, sizeof(*l));
	if (trust_parse(s, l, why) != 0)
		return -1;
	for (unsigned i = 0; i < l->n; i++)
		if (l->e[i].family == 0) {
			*why = "a host name: give addresses or CIDR blocks";
			memset(l, 0, sizeof(*l));
			return -1;
		}
	return 0;
}

enum aka_peer aka_peer_decide(const struct trust_list *pcscfs, const struct trust_list *peers,
                              const char *src, int is_register)
{
	if (trust_match(pcscfs, src))
		return AKA_PEER_PCSCF;
	if (!trust_match(peers, src))
		return AKA_PEER_UNKNOWN;
	/* the PS or the edge proxy registers nobody: a UE registers through its P-CSCF */
	return is_register ? AKA_PEER_REGISTER_REFUSED : AKA_PEER_TRUSTED;
}
