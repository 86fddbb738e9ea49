/* The trust domain of RFC 3325 (Spec(T)): the peers whose P-Asserted-Identity is believed and to
 * which it may be given, as addresses, CIDR blocks and host names. Pure core. */
#ifndef PRESEC_TRUST_H
#define PRESEC_TRUST_H
#include <stddef.h>
#include <stdint.h>

#define TRUST_MAX      64
#define TRUST_NAME_MAX 128

struct trust_entry {
	int family; /* AF_INET, AF_INET6, or 0 for a host name */
	uint8_t addr[16];
	unsigned prefix;
	char name[TRUST_NAME_MAX];
};
struct trust_list {
	unsigned n;
	struct trust_entry e[TRUST_MAX];
};

/* Adds "10.0.0.0/8, 2001:db8::/32 127.0.1.2 scscf.ims.example" (comma or space separated).
 * -1 with *why naming the bad entry's problem. */
int trust_parse(const char *s, struct trust_list *l, const char **why);
/* Whether an address (text) or host name is in the list. */
int trust_match(const struct trust_list *l, const char *host);

#endif
