/* UE addresses as the SA table keeps them. An IPv6 address has many spellings (RFC 4291 2.2:
 * case, leading zeros, "::"); the SA table, the Contact check and every lookup compare the
 * address itself (inet_pton), so that the spelling a UE writes in its Contact neither reaches
 * nor misses its SA. Pure core. */
#ifndef PRESEC_SA_ADDR_H
#define PRESEC_SA_ADDR_H
#include <stddef.h>

/* The one text form (inet_ntop) of the IPv4 or IPv6 address in n bytes at s, in out (outsz
 * bytes); 0, or -1 when it is no IP address (out is then a copy of it, cut to outsz). */
int sa_addr_canon(const char *s, size_t n, char *out, size_t outsz);

/* 1 when the two texts name the same IPv4 or IPv6 address; two texts that are no address
 * are the same only when equal byte for byte. */
int sa_addr_same(const char *a, size_t an, const char *b, size_t bn);

#endif
