/* The XFRM backend of sec_agree: ESP transport SAs and policies over netlink. Pure core. */
#ifndef PRESEC_SA_XFRM_H
#define PRESEC_SA_XFRM_H
#include <stddef.h>
#include <stdint.h>

#include "sa_store.h"

int sa_xfrm_probe(char *err, size_t errsz);
/* 0, or -1 with errno; all four SAs and policies or none */
int sa_xfrm_install(const struct sa_rec *r, const struct sa_rec *current, const uint8_t *auth_key,
                    size_t auth_len, const uint8_t *enc_key, size_t enc_len, int lifetime);
int sa_xfrm_remove(const struct sa_rec *r, const struct sa_rec *heir);

#endif
