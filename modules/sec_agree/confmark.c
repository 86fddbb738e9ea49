/* The confidentiality mark's decision and text (confmark.h). */
#include "confmark.h"

#include <stdio.h>

#include "presec/conf_mark.h"

const char *sec_confidential_ealg(enum sec_ealg e)
{
	switch (e) {
	case SEC_EALG_DES_EDE3_CBC:
	case SEC_EALG_AES_CBC:
		return sec_ealg_name(e);
	case SEC_EALG_ABSENT: /* TS 33.203 7.2: a Release 5 UE, integrity only */
	case SEC_EALG_NULL:
	case SEC_EALG_OTHER: /* never negotiated (not in the policy), never believed */
	default:
		return NULL;
	}
}

int sec_confidential_header(enum sec_ealg e, char *out, size_t outsz)
{
	const char *name = sec_confidential_ealg(e);
	if (!name)
		return 0;
	int n = snprintf(out, outsz, "%s: %s\r\n", PRESEC_CONF_HDR, name);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}
