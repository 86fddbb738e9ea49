/* RFC 3329 security mechanism lists (Security-Client, Security-Server, Security-Verify) with the
 * ipsec-3gpp parameters of TS 33.203 7.2 / TS 24.229 7.2A.7. Pure core: no Kamailio header. */
#ifndef PRESEC_SECHDR_H
#define PRESEC_SECHDR_H
#include <stddef.h>
#include <stdint.h>

#define SEC_MAX_MECHS  16 /* mechanisms kept from all header instances of one message */
#define SEC_MAX_EXT    8  /* unknown parameters kept per mechanism */
#define SEC_NAME_MAX   32
#define SEC_EXT_MAX    64 /* one "name=value" of an unknown parameter */
#define SEC_HDR_MAXLEN 4096

enum sec_mech_type {
	SEC_MECH_OTHER = 0, /* any other token, kept by name */
	SEC_MECH_IPSEC_3GPP,
	SEC_MECH_TLS,
	SEC_MECH_DIGEST,
};

/* TS 33.203 6.3: integrity algorithms of the ESP SAs */
enum sec_alg { SEC_ALG_NONE = 0, SEC_ALG_HMAC_MD5_96, SEC_ALG_HMAC_SHA1_96, SEC_ALG_OTHER };
/* TS 33.203 6.2: confidentiality; SEC_EALG_ABSENT = no ealg parameter, which TS 33.203 7.2
 * reads as "null" (a Release 5 UE) */
enum sec_ealg {
	SEC_EALG_ABSENT = 0,
	SEC_EALG_NULL,
	SEC_EALG_DES_EDE3_CBC,
	SEC_EALG_AES_CBC,
	SEC_EALG_OTHER
};
enum sec_prot { SEC_PROT_ABSENT = 0, SEC_PROT_ESP, SEC_PROT_AH, SEC_PROT_OTHER };
enum sec_mod { SEC_MOD_ABSENT = 0, SEC_MOD_TRANS, SEC_MOD_TUN, SEC_MOD_UDP_ENC_TUN, SEC_MOD_OTHER };

/* which of the numeric parameters were present */
#define SEC_HAS_SPI_C  0x01
#define SEC_HAS_SPI_S  0x02
#define SEC_HAS_PORT_C 0x04
#define SEC_HAS_PORT_S 0x08
#define SEC_HAS_Q      0x10

struct sec_mech {
	enum sec_mech_type type;
	char name[SEC_NAME_MAX]; /* the mechanism name as received, lower-cased */
	unsigned has;            /* SEC_HAS_* */
	unsigned q;              /* preference in thousandths: q=0.1 -> 100 */
	enum sec_alg alg;
	enum sec_ealg ealg;
	enum sec_prot prot;
	enum sec_mod mod;
	uint32_t spi_c, spi_s;
	uint16_t port_c, port_s;
	/* RFC 3329 2.2: parameters we do not know are kept (and compared in Security-Verify) */
	unsigned n_ext;
	char ext[SEC_MAX_EXT][SEC_EXT_MAX];
};

struct sec_list {
	unsigned n;
	struct sec_mech m[SEC_MAX_MECHS];
};

enum sec_err {
	SEC_OK = 0,
	SEC_ERR_SYNTAX = -1,   /* not a mechanism list */
	SEC_ERR_RANGE = -2,    /* SPI or port out of range */
	SEC_ERR_TOO_MANY = -3, /* more than SEC_MAX_MECHS mechanisms or SEC_MAX_EXT parameters */
	SEC_ERR_DUP = -4,      /* a parameter given twice in one mechanism */
	SEC_ERR_MISSING = -5,  /* ipsec-3gpp without alg, SPIs or ports */
};

/* Appends the mechanisms of one header body (the part after the colon) to *l. On error *l keeps
 * what it had before the call and *why names the problem. */
int sec_parse(const char *s, size_t len, struct sec_list *l, const char **why);

/* Prints one mechanism as RFC 3329 syntax; returns the length written (without the NUL), or -1
 * when it does not fit. */
int sec_print_mech(const struct sec_mech *m, char *out, size_t outsz);
/* The whole list, comma-separated. */
int sec_print_list(const struct sec_list *l, char *out, size_t outsz);

/* RFC 3329 2.3.1: Security-Verify must carry exactly the Security-Server the server sent: same
 * mechanisms in the same order with the same parameters. Returns 1 when equal. */
int sec_list_equal(const struct sec_list *a, const struct sec_list *b);

const char *sec_alg_name(enum sec_alg a);
const char *sec_ealg_name(enum sec_ealg e);
enum sec_alg sec_alg_from(const char *s, size_t n);
enum sec_ealg sec_ealg_from(const char *s, size_t n);

/* Option-tag lists (Require, Proxy-Require, Supported; RFC 3261 20.32, 20.29, 20.37) and the
 * sec-agree tag of RFC 3329 2.3.1, which is for the first hop only. Whether the list of s
 * (n octets, not NUL-terminated) names sec-agree (case-insensitively): 1 or 0. */
int sec_tags_have_agree(const char *s, size_t n);
/* The list without sec-agree (and without empty entries), ", "-separated, into out (not
 * NUL-terminated). Returns the length written, 0 when no tag is left (the header goes), -1 when
 * it does not fit. */
int sec_tags_without_agree(const char *s, size_t n, char *out, size_t outsz);

#endif
