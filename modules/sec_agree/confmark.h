/* Whether the P-CSCF marks a UE's request as confidentiality-protected (TR 33.cde 4.5.2): only
 * when the SA it arrived over encrypts (TS 33.203 6.2). Pure core: no Kamailio header. */
#ifndef PRESEC_CONFMARK_H
#define PRESEC_CONFMARK_H
#include <stddef.h>

#include "sechdr.h"

/* The name the mark carries for an SA's ealg, or NULL when the SA gives no confidentiality:
 * SEC_EALG_ABSENT (a Release 5 UE, TS 33.203 7.2 reads it as null), SEC_EALG_NULL, or an
 * algorithm we do not know. */
const char *sec_confidential_ealg(enum sec_ealg e);

/* "P-Presec-Confidential: <ealg>\r\n" into out: its length; 0 when the SA gives no
 * confidentiality (nothing written); -1 when out is too small. */
int sec_confidential_header(enum sec_ealg e, char *out, size_t outsz);

#endif
