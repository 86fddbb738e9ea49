/* libFuzzer harness: ims_aka_verify()'s decision (aka_verify(), verify.c) over an Authorization
 * as anyone may send it, against one pending AKAv1 challenge of alice, her registration through
 * the P-CSCF and a database that knows her. The first input octet picks the sender (a trusted
 * P-CSCF or not) and the database's answer to a resync. Whatever it is, the outcome is one of
 * aka_verify()'s, only alice can be authenticated and only over her challenge's nonce. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static void nolock(void *arg)
{
	(void)arg;
}
static const struct presec_store_ops ops = {malloc, free, nolock, nolock, NULL};

#define ALICE       "alice@ims.example"
#define ALICE_IMPUS "sip:alice@ims.example,tel:+15550101"

static const struct aka_keys keys = {{0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f,
                                      0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc},
                                     {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e, 0x48, 0xa5,
                                      0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf},
                                     {0xb9, 0xb9}};

static int resync_ok;

static int subscriber(void *arg, const char *impi, struct aka_keys *k, char *impus, size_t impus_sz)
{
	(void)arg;
	if (strcmp(impi, ALICE) != 0)
		return strcmp(impi, "broken@ims.example") == 0 ? -1 : 0;
	*k = keys;
	snprintf(impus, impus_sz, "%s", ALICE_IMPUS);
	return 1;
}

static int resync(void *arg, const char *impi, uint64_t sqn_ms)
{
	(void)arg;
	(void)impi;
	(void)sqn_ms;
	return resync_ok ? 0 : -1;
}

static long lifetime(void *arg)
{
	(void)arg;
	return 600;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_cred c;
	struct aka_verify_result res;
	struct vstore_entry e;
	const char *why = NULL;
	uint8_t rand[16];

	if (size < 1 || size > DIGEST_MAX_HEADER)
		return 0;
	int from_pcscf = data[0] & 1;
	resync_ok = (data[0] >> 1) & 1;
	data++;
	size--;
	int found = digest_parse((const char *)data, size, &c, &why) == 0 ? 1 : -1;

	struct vstore *store = vstore_new(&ops, 16, 8);
	struct authreg *reg = authreg_new(&ops, 16, 8);
	if (!store || !reg)
		__builtin_trap();
	/* the nonce of the seeds: RAND 0x00..0x0f, SQN 32 */
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)i;
	if (vstore_challenge(&keys, 32, rand, ALICE, ALICE_IMPUS, AKA_ALG_V1_MD5, 1000, 30, &e) !=
	            0 ||
	    vstore_add(store, &e) != 0 ||
	    authreg_set(reg, ALICE, "127.0.1.1", ALICE_IMPUS, 2000) != 0)
		__builtin_trap();
	struct aka_verify_env env = {
	        .store = store,
	        .reg = reg,
	        .peer = "127.0.1.1",
	        .from_pcscf = from_pcscf,
	        .protected_reregistration = 1,
	        .method = {"REGISTER", 8},
	        .now = 1001,
	        .arg = NULL,
	        .subscriber = subscriber,
	        .resync = resync,
	        .lifetime = lifetime,
	};
	enum aka_verify_outcome o =
	        aka_verify(&env, found, found == 1 ? &c : NULL, "sip:alice@ims.example", &res);
	if ((unsigned)o >= AV_OUTCOMES)
		__builtin_trap();
	if (res.impi[0] && !digest_impi_valid(res.impi, strlen(res.impi)))
		__builtin_trap();
	/* only alice, over her own challenge (or her registration through this P-CSCF) */
	if ((o == AV_OK || o == AV_RESYNCED || o == AV_PROTECTED) && strcmp(res.impi, ALICE) != 0)
		__builtin_trap();
	if ((o == AV_OK || o == AV_RESYNCED) &&
	    (c.nonce.len != strlen(e.nonce) || memcmp(c.nonce.s, e.nonce, c.nonce.len) != 0))
		__builtin_trap();
	if (o == AV_PROTECTED && !from_pcscf)
		__builtin_trap();
	if ((o == AV_OK || o == AV_PROTECTED) && strcmp(res.impus, ALICE_IMPUS) != 0)
		__builtin_trap();
	vstore_destroy(store);
	authreg_destroy(reg);
	return 0;
}
