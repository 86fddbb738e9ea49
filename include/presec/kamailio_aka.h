/* Shared Kamailio glue of the two AKA servers, ims_aka (the S-CSCF, TS 33.203) and bsf (Ub,
 * TS 24.109): the statistics both keep, and the subscriber's keys as both read them from
 * ims_subscriber (sql/002). Includes Kamailio headers; cores never include it. */
#ifndef PRESEC_KAMAILIO_AKA_H
#define PRESEC_KAMAILIO_AKA_H

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "presec/hex.h"
#include "presec/kamailio_db.h"

#include "aka.h"

/* What an AKA exchange can end in, the same names in both modules' statistics. */
struct presec_aka_stats {
	stat_var *challenges, *resyncs, *fail_response, *fail_unknown_impi, *fail_stale,
	        *fail_replay, *fail_malformed, *fail_mac_s, *fail_internal;
};

/* The stat_export_t rows of s, for the module's table. */
#define PRESEC_AKA_STAT_EXPORTS(s)                                                                 \
	{"challenges", 0, &(s).challenges}, {"resyncs", 0, &(s).resyncs},                          \
	        {"failures_wrong_response", 0, &(s).fail_response},                                \
	        {"failures_unknown_impi", 0, &(s).fail_unknown_impi},                              \
	        {"failures_stale_nonce", 0, &(s).fail_stale},                                      \
	        {"failures_replayed_nonce", 0, &(s).fail_replay},                                  \
	        {"failures_malformed", 0, &(s).fail_malformed},                                    \
	        {"failures_bad_mac_s", 0, &(s).fail_mac_s},                                        \
	{                                                                                          \
		"failures_internal", 0, &(s).fail_internal                                         \
	}

/* K, OPc, AMF (hex) and SQN (decimal text) from the columns v[0..3] of a subscriber row, as
 * encode(k,'hex'), encode(opc,'hex'), encode(amf,'hex'), sqn::text select them. 0, or -1 when
 * the row has another shape. */
static inline int presec_db_aka_keys(const db_val_t *v, struct aka_keys *keys, uint64_t *sqn)
{
	char hex[40], num[24];
	int rc = -1;
	if (presec_db_text(&v[0], hex, sizeof(hex)) == 0 &&
	    hex_decode(hex, strlen(hex), keys->k, sizeof(keys->k)) == 0 &&
	    presec_db_text(&v[1], hex, sizeof(hex)) == 0 &&
	    hex_decode(hex, strlen(hex), keys->opc, sizeof(keys->opc)) == 0 &&
	    presec_db_text(&v[2], hex, sizeof(hex)) == 0 &&
	    hex_decode(hex, strlen(hex), keys->amf, sizeof(keys->amf)) == 0 &&
	    presec_db_text(&v[3], num, sizeof(num)) == 0) {
		*sqn = strtoull(num, NULL, 10);
		rc = 0;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

#endif
