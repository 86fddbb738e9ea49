/* Where the negotiated SAs go. "record" keeps them in the P-CSCF's table only (deployments that
 * terminate IPsec elsewhere, and kernels without ESP); a kernel backend installs the four ESP
 * transport SAs and their policies. Pure core: no Kamailio header. */
#ifndef PRESEC_SA_BACKEND_H
#define PRESEC_SA_BACKEND_H
#include <stddef.h>
#include <stdint.h>

#include "sa_store.h"

struct sa_backend {
	const char *name;
	const char *warning; /* said loudly at start-up when not NULL */
	/* 0 when the backend can work on this host, else -1 and a reason in err */
	int (*probe)(char *err, size_t errsz);
	/* The four unidirectional SAs of TS 33.203 7.1 for r, keys as Annex I expands them.
	 * current: the UE's newest set already installed (NULL: none); a re-registration's new set
	 * may share flows with it (the same port_us towards our port_pc, TS 33.203 7.4). All or
	 * nothing: on failure what was done is undone, current's traffic untouched. */
	int (*install)(const struct sa_rec *r, const struct sa_rec *current,
	               const uint8_t *auth_key, size_t auth_len, const uint8_t *enc_key,
	               size_t enc_len, int lifetime);
	int (*update_lifetime)(const struct sa_rec *r, int lifetime);
	/* heir: the UE's newest set that stays (NULL: none); a flow it shares with r is handed
	 * over to it instead of being torn down */
	int (*remove)(const struct sa_rec *r, const struct sa_rec *heir);
};

const struct sa_backend *sa_backend_find(const char *name);

#endif
