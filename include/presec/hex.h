/* Lowercase hex of n octets into out (2n + 1 bytes, NUL added): digest responses and keys
 * (ims_aka), the audit log's hashes (presence_authz); and back (keys read from PostgreSQL's
 * encode(..., 'hex'): ims_aka, bsf; ck and ik of a 401: sec_agree; escapes: uri_id). No Kamailio
 * header. */
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

static inline int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* len characters that are exactly 2n hex digits (nothing else: no sign, no space) into n
 * octets. 0, or -1. */
static inline int hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

#endif
