/* TS 33.203 7.1 (SPIs and ports), 7.2 (algorithm choice) and Annex I (key expansion). */
#include "negotiate.h"

#include <string.h>

int sec_policy_parse(const char *s, struct sec_combo *out, unsigned max, const char **why)
{
	struct sec_combo tmp[SEC_MAX_COMBOS];
	unsigned n = 0, k = 0;
	const char *p = s;

	while (*p) {
		const char *b, *slash = NULL;
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		b = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t') {
			if (*p == '/')
				slash = p;
			p++;
		}
		if (n == SEC_MAX_COMBOS || n == max) {
			*why = "too many algorithm combinations";
			return -1;
		}
		const char *ae = slash ? slash : p;
		tmp[n].alg = sec_alg_from(b, (size_t)(ae - b));
		tmp[n].ealg =
		        slash ? sec_ealg_from(slash + 1, (size_t)(p - slash - 1)) : SEC_EALG_NULL;
		if (tmp[n].alg == SEC_ALG_OTHER || tmp[n].ealg == SEC_EALG_OTHER) {
			*why = "unknown algorithm (integrity: hmac-md5-96, hmac-sha-1-96; encryption: aes-cbc, des-ede3-cbc, null)";
			return -1;
		}
		for (unsigned i = 0; i < n; i++)
			if (tmp[i].alg == tmp[n].alg && tmp[i].ealg == tmp[n].ealg) {
				*why = "algorithm combination listed twice";
				return -1;
			}
		n++;
	}
	if (n == 0) {
		*why = "no algorithm combination";
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		if (tmp[i].ealg != SEC_EALG_NULL)
			out[k++] = tmp[i];
	for (unsigned i = 0; i < n; i++)
		if (tmp[i].ealg == SEC_EALG_NULL)
			out[k++] = tmp[i];
	return (int)n;
}

static int offers(const struct sec_mech *m, const struct sec_combo *c)
{
	enum sec_ealg e = m->ealg == SEC_EALG_ABSENT ? SEC_EALG_NULL : m->ealg;
	if (m->type != SEC_MECH_IPSEC_3GPP)
		return 0;
	/* TS 33.203 7.2: only ESP in transport mode is used between UE and P-CSCF */
	if (m->prot != SEC_PROT_ABSENT && m->prot != SEC_PROT_ESP)
		return 0;
	if (m->mod != SEC_MOD_ABSENT && m->mod != SEC_MOD_TRANS)
		return 0;
	return m->alg == c->alg && e == c->ealg;
}

int sec_choose(const struct sec_combo *policy, unsigned n, const struct sec_list *client,
               unsigned *combo, unsigned *mech)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < client->n; j++)
			if (offers(&client->m[j], &policy[i])) {
				*combo = i;
				*mech = j;
				return 0;
			}
	return -1;
}

int sec_expand_keys(enum sec_alg alg, enum sec_ealg ealg, const uint8_t ck[16],
                    const uint8_t ik[16], uint8_t auth_key[20], size_t *auth_len,
                    uint8_t enc_key[24], size_t *enc_len)
{
	switch (alg) {
	case SEC_ALG_HMAC_MD5_96:
		memcpy(auth_key, ik, 16);
		*auth_len = 16;
		break;
	case SEC_ALG_HMAC_SHA1_96:
		memcpy(auth_key, ik, 16);
		memset(auth_key + 16, 0, 4);
		*auth_len = 20;
		break;
	default:
		return -1;
	}
	switch (ealg) {
	case SEC_EALG_ABSENT:
	case SEC_EALG_NULL:
		*enc_len = 0;
		break;
	case SEC_EALG_AES_CBC:
		memcpy(enc_key, ck, 16);
		*enc_len = 16;
		break;
	case SEC_EALG_DES_EDE3_CBC:
		memcpy(enc_key, ck, 16);     /* CK1 || CK2 */
		memcpy(enc_key + 16, ck, 8); /* || CK1 */
		*enc_len = 24;
		break;
	default:
		return -1;
	}
	return 0;
}

uint32_t sec_spi_alloc(uint32_t *cursor, uint32_t lo, uint32_t hi,
                       int (*in_use)(uint32_t spi, void *arg), void *arg)
{
	uint64_t span = (uint64_t)hi - lo + 1;
	uint32_t c = *cursor;

	if (lo == 0 || hi < lo)
		return 0;
	if (c < lo || c > hi)
		c = lo;
	/* bounded: a full table is reported, not spun on */
	for (uint64_t tried = 0; tried < span && tried < 1000000; tried++) {
		uint32_t spi = c;
		c = c == hi ? lo : c + 1;
		if (!in_use(spi, arg)) {
			*cursor = c;
			return spi;
		}
	}
	return 0;
}
