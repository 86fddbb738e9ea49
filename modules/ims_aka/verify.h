/* The S-CSCF's check of an Authorization that answers an IMS AKA challenge (RFC 3310 3.3/3.4,
 * RFC 4169, TS 24.229 5.4.1.2.1, TS 33.203 6.1/7.1): every decision of ims_aka_verify(), each
 * ending in one outcome; the glue maps an outcome to its statistic, log line and cfg return
 * code. Pure core: the subscriber database comes as callbacks. */
#ifndef PRESEC_VERIFY_H
#define PRESEC_VERIFY_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aka.h"
#include "authreg.h"
#include "digest.h"
#include "vstore.h"

/* The cfg return codes of ims_aka_verify() and ims_aka_challenge() ($rc), the numbers the
 * configurations test (cfg-examples/scscf.cfg). */
enum ims_aka_rc {
	IMS_AKA_OK = 1,              /* response verified: register */
	IMS_AKA_PROTECTED = 2,       /* integrity-protected re-REGISTER from a trusted P-CSCF */
	IMS_AKA_NO_CREDENTIALS = -1, /* nothing to verify yet: challenge */
	IMS_AKA_WRONG_RESPONSE = -2, /* RES (the Digest response) does not match: 403 */
	IMS_AKA_STALE_NONCE = -3,    /* unknown, expired or replayed nonce: challenge again */
	IMS_AKA_UNKNOWN_IMPI = -4,   /* no such subscriber: 403 */
	IMS_AKA_RESYNCED = -5,       /* AUTS accepted, SQN resynchronised: challenge again */
	IMS_AKA_BAD_MAC_S = -6,      /* AUTS does not verify: 403 */
	IMS_AKA_MALFORMED = -7,      /* malformed Authorization: 400 or 403 */
	IMS_AKA_IMPU_MISMATCH = -8,  /* the To IMPU is not in the IMPI's registration set: 403 */
	IMS_AKA_INTERNAL = -9,       /* database or memory failure: 500 */
	IMS_AKA_UNTRUSTED = -10, /* ims_aka_challenge(): not from a trusted P-CSCF, no 401: 403 */
};

/* The return codes of ims_aka_check_originating(). */
enum ims_aka_originating_rc {
	IMS_AKA_ORIG_OK = 1,              /* every asserted identity is an IMPU registered here */
	IMS_AKA_ORIG_NO_ASSERTED = -1,    /* no P-Asserted-Identity: 403 */
	IMS_AKA_ORIG_NOT_REGISTERED = -2, /* an asserted identity not registered via this P-CSCF */
	IMS_AKA_ORIG_MALFORMED = -3,      /* a P-Asserted-Identity that does not parse: 403 */
	IMS_AKA_ORIG_NOT_PCSCF = -4,      /* not from a trusted P-CSCF: 403 */
};

/* Every way aka_verify() ends. */
enum aka_verify_outcome {
	AV_OK = 0,                   /* RES verified, the To IMPU is in the set */
	AV_PROTECTED,                /* protected re-REGISTER taken without a challenge */
	AV_NO_CREDENTIALS,           /* no Authorization of the realm, or no nonce/response yet */
	AV_PROTECTED_OTHER_PEER,     /* protected, but the IMPI authenticated via another P-CSCF */
	AV_PROTECTED_NOT_REGISTERED, /* protected, but no AKA of the IMPI via this P-CSCF */
	AV_PROTECTED_UNKNOWN_IMPI,   /* protected REGISTER of an IMPI the database does not know */
	AV_PROTECTED_IMPU_MISMATCH,  /* protected REGISTER for an IMPU not of the IMPI */
	AV_MALFORMED_AUTHORIZATION,  /* the Authorization header does not parse */
	AV_USERNAME_NOT_IMPI,        /* username is not a NAI */
	AV_NO_TO_IMPU,               /* the To header does not give an IMPU */
	AV_NONCE_NOT_BASE64,         /* nonce is not base64 (or too long) */
	AV_NONCE_UNKNOWN,            /* the nonce is unknown or expired */
	AV_NONCE_REPLAYED,           /* the nonce was answered before */
	AV_NONCE_OTHER_IMPI,         /* the nonce challenged another IMPI */
	AV_PARAMS_MISSING,           /* no qop=auth, nc, cnonce, uri or 32-digit response */
	AV_AUTS_NOT_BASE64,          /* auts is not 14 octets of base64 */
	AV_AUTS_WRONG_RESPONSE,      /* with AUTS, the response is not over the empty password */
	AV_AUTS_UNKNOWN_IMPI,        /* AUTS for an IMPI the database no longer knows */
	AV_BAD_MAC_S,                /* AUTS whose MAC-S does not verify */
	AV_RESYNCED,                 /* AUTS verified, SQN_HE set to SQN_MS */
	AV_WRONG_RES,                /* the response is not over RES (or the AKAv2 password) */
	AV_IMPU_MISMATCH,            /* RES right, but the To IMPU is not of the IMPI */
	AV_INTERNAL,                 /* database or computation failure */
	AV_OUTCOMES                  /* the number of outcomes */
};

/* What the check needs from the module. */
struct aka_verify_env {
	struct vstore *store;         /* the pending challenges */
	struct authreg *reg;          /* who authenticated through which P-CSCF */
	const char *peer;             /* the sender's address */
	int from_pcscf;               /* the sender is a trusted P-CSCF */
	int protected_reregistration; /* the modparam */
	struct dstr method;           /* of the request, for the Digest response */
	time_t now;
	void *arg; /* passed to the callbacks */
	/* The subscriber's keys and implicit registration set (comma-separated): 1 found, 0 not,
	 * -1 error. */
	int (*subscriber)(void *arg, const char *impi, struct aka_keys *keys, char *impus,
	                  size_t impus_sz);
	/* TS 33.102 6.3.5: SQN_HE := SQN_MS. 0 or -1. */
	int (*resync)(void *arg, const char *impi, uint64_t sqn_ms);
	/* How long the registration the request asks for lasts (authreg_lifetime()). */
	long (*lifetime)(void *arg);
};

struct aka_verify_result {
	char impi[VSTORE_IMPI_MAX];   /* "" until the username is a valid IMPI */
	char impus[VSTORE_IMPUS_MAX]; /* the registration set, on AV_OK and AV_PROTECTED */
	enum aka_algorithm algorithm; /* of the challenge answered */
	int protection_ignored;       /* integrity-protected came from outside the P-CSCFs */
	int not_remembered;           /* AV_OK, but the registration table is full */
};

/* found and c: what the glue found of the realm's Authorization (1 found, 0 none, -1 it does
 * not parse); impu: the To IMPU, NULL when the To does not give one. */
enum aka_verify_outcome aka_verify(const struct aka_verify_env *env, int found,
                                   const struct digest_cred *c, const char *impu,
                                   struct aka_verify_result *out);

#endif
