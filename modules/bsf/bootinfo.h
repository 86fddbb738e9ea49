/* What the BSF hands the UE after a bootstrap: the B-TID (TS 33.220 4.5.2) and the
 * BootstrappingInfo document (TS 24.109 Annex C, application/vnd.3gpp.bsf+xml), and the B-TID
 * as a NAF reads it back from the UE. Pure core: no Kamailio header. */
#ifndef PRESEC_BOOTINFO_H
#define PRESEC_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "digest.h"
#include "gba_kdf.h"

#define BTID_RAND_B64_LEN 24 /* base64 of the 16 octets of RAND */
#define BTID_MAX          (BTID_RAND_B64_LEN + 1 + GBA_FQDN_MAX)
#define LIFETIME_LEN      20 /* YYYY-MM-DDThh:mm:ssZ */
#define BOOTINFO_MAX      (BTID_MAX + LIFETIME_LEN + 160)

/* TS 33.220 4.5.2: B-TID = base64(RAND)@BSF server name, a NAI. Returns its length, or -1 when
 * the name is not a host name or out is too small (BTID_MAX + 1 always suffices). */
int btid_make(const uint8_t rand[GBA_RAND_LEN], const char *fqdn, char *out, size_t outsz);

/* A B-TID as a UE sends it to a NAF: exactly base64 of 16 octets, '@', a host name. Returns 0
 * with RAND and a view of the host, or -1. */
int btid_parse(const char *s, size_t len, uint8_t rand[GBA_RAND_LEN], struct dstr *host);

/* TS 24.109 Annex C: the key lifetime as xs:dateTime in UTC. Returns 0 or -1. */
int bootinfo_lifetime(time_t expires, char out[LIFETIME_LEN + 1]);

/* The BootstrappingInfo document with btid and lifetime (TS 24.109 A.3 step 9, Annex C).
 * Returns its length, or -1 when btid is not a B-TID or lifetime not a dateTime we print. */
int bootinfo_print(const char *btid, const char *lifetime, char *out, size_t outsz);

#endif
