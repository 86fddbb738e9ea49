/* Where a request reaching the S-CSCF comes from (TS 24.229 5.4.1.1, 5.4.3): its P-CSCFs
 * (REGISTER and the served users' originating requests), the other network elements it trusts
 * (terminating requests: the PS, the edge proxy), or anyone else (refused). Pure core on the
 * trust lists of the privacy module's core (trust.c, compiled in). */
#ifndef PRESEC_AKA_PEER_H
#define PRESEC_AKA_PEER_H

#include "trust.h"

enum aka_peer {
	AKA_PEER_PCSCF = 1,             /* a trusted P-CSCF: REGISTER and originating requests */
	AKA_PEER_TRUSTED = 2,           /* another trusted network element: terminating requests */
	AKA_PEER_UNKNOWN = -1,          /* neither: refused */
	AKA_PEER_REGISTER_REFUSED = -2, /* a REGISTER from a trusted element that is no P-CSCF */
};

/* Parses a modparam's list of addresses and CIDR blocks (no host names: a request's source is
 * an address) into *l, which it first empties. 0, or -1 with *why. */
int aka_peer_list_parse(const char *s, struct trust_list *l, const char **why);

/* The verdict for a request from src (an address as text) that is a REGISTER or not. */
enum aka_peer aka_peer_decide(const struct trust_list *pcscfs, const struct trust_list *peers,
                              const char *src, int is_register);

#endif
