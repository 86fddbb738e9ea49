/* Lowercase hex of n octets into out (2n + 1 bytes, NUL added): digest responses and keys
 * (ims_aka), the audit log's hashes (presence_authz). No Kamailio header. */
#ifndef PRESEC_HEX_H
#define PRESEC_HEX_H
#include <stddef.h>
#include <stdint.h>

static inline void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif
