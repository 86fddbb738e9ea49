/* ims_aka_verify()'s decisions: every outcome of aka_verify(), over real vectors, Digest
 * responses and AUTS (RFC 3310, RFC 4169, TS 33.102 6.3.5, TS 24.229 5.4.1.2.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "verify.h"

#include "../checking_lock.h"
static const struct presec_store_ops ops = {malloc, free, lk, ulk, NULL};

#define PCSCF       "127.0.1.1"
#define ALICE       "alice@ims.example"
#define ALICE_IMPUS "sip:alice@ims.example,tel:+15550101"
#define NOW         1000

static const struct aka_keys alice_keys = {{0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa,
                                            0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc},
                                           {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e, 0x48,
                                            0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf},
                                           {0xb9, 0xb9}};

/* The subscriber database of the tests: alice (and carol, her keys) exist, broken@ fails. */
struct fake_db {
	int resync_calls, resync_fails;
	uint64_t resynced_sqn;
	long lifetime;
};

static int fake_subscriber(void *arg, const char *impi, struct aka_keys *keys, char *impus,
                           size_t impus_sz)
{
	(void)arg;
	if (strcmp(impi, "broken@ims.example") == 0)
		return -1;
	if (strcmp(impi, ALICE) != 0 && strcmp(impi, "carol@ims.example") != 0)
		return 0;
	*keys = alice_keys;
	snprintf(impus, impus_sz, "%s",
	         strcmp(impi, ALICE) == 0 ? ALICE_IMPUS : "sip:carol@ims.example");
	return 1;
}

static int fake_resync(void *arg, const char *impi, uint64_t sqn_ms)
{
	struct fake_db *db = arg;
	(void)impi;
	db->resync_calls++;
	db->resynced_sqn = sqn_ms;
	return db->resync_fails ? -1 : 0;
}

static long fake_lifetime(void *arg)
{
	return ((struct fake_db *)arg)->lifetime;
}

struct fixture {
	struct vstore *store;
	struct authreg *reg;
	struct fake_db db;
	struct aka_verify_env env;
	struct aka_verify_result res;
	char nonce[VSTORE_NONCE_MAX];
	struct aka_vector av;
	char header[1024];
	struct digest_cred c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->store = vstore_new(&ops, 16, 100);
	f->reg = authreg_new(&ops, 16, 2);
	f->db.lifetime = 3600;
	f->env = (struct aka_verify_env){
	        .store = f->store,
	        .reg = f->reg,
	        .peer = PCSCF,
	        .from_pcscf = 1,
	        .protected_reregistration = 1,
	        .method = {"REGISTER", 8},
	        .now = NOW,
	        .arg = &f->db,
	        .subscriber = fake_subscriber,
	        .resync = fake_resync,
	        .lifetime = fake_lifetime,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vstore_destroy(f->store);
	authreg_destroy(f->reg);
	free(f);
	return 0;
}

/* A challenge to impi with SQN sqn, as ims_aka_challenge() keeps it (its RAND from nonce[0],
 * so that each challenge of a test has its own). */
static void challenge(struct fixture *f, const char *impi, enum aka_algorithm alg, uint64_t sqn,
                      time_t expires)
{
	struct vstore_entry e;
	uint8_t rand[16];
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)(0x23 + i + f->nonce[0]);
	assert_int_equal(vstore_challenge(&alice_keys, sqn, rand, impi, ALICE_IMPUS, alg, NOW - 1,
	                                  (int)(expires - (NOW - 1)), &e),
	                 0);
	assert_int_equal(vstore_add(f->store, &e), 0);
	memcpy(f->nonce, e.nonce, sizeof(f->nonce));
	f->av = e.av;
}

/* The Authorization a UE answers with: over RES (pw_kind 1), the empty password with AUTS for
 * sqn_ms (pw_kind 2), or a wrong RES (pw_kind 0). extra is appended as it is. */
static const struct digest_cred *answer(struct fixture *f, const char *user, enum aka_algorithm alg,
                                        int pw_kind, uint64_t sqn_ms,
                                        const struct aka_keys *ue_keys, const char *extra)
{
	uint8_t res[8], ck[16], ik[16], pw[AKA_PASSWORD_MAX], auts[AKA_AUTS_LEN];
	char response[33], auts_b64[32] = "";
	size_t pw_len = 0;
	uint64_t sqn;
	const char *why = NULL;

	assert_int_equal(aka_ue_answer(&alice_keys, f->av.rand, f->av.autn, &sqn, res, ck, ik),
	                 AKA_OK);
	if (pw_kind == 0)
		res[0] ^= 1;
	if (pw_kind != 2)
		assert_int_equal(aka_digest_password(alg, res, 8, ik, ck, pw, &pw_len), 0);
	else {
		assert_int_equal(aka_ue_auts(ue_keys, f->av.rand, sqn_ms, auts), AKA_OK);
		b64_encode(auts, AKA_AUTS_LEN, auts_b64);
	}
	struct dstr u = {user, strlen(user)}, realm = {"ims.example", 11},
	            uri = {"sip:ims.example", 15}, nonce = {f->nonce, strlen(f->nonce)},
	            nc = {"00000001", 8}, cnonce = {"0a4f113b", 8}, qop = {"auth", 4};
	assert_int_equal(digest_response_md5(&u, &realm, pw, pw_len, &f->env.method, &uri, &nonce,
	                                     &nc, &cnonce, &qop, response),
	                 0);
	snprintf(
	        f->header, sizeof(f->header),
	        "Digest username=\"%s\", realm=\"ims.example\", nonce=\"%s\", uri=\"sip:ims.example\", response=\"%s\", algorithm=%s, cnonce=\"0a4f113b\", nc=00000001%s%s%s%s",
	        user, f->nonce, response, aka_algorithm_name(alg),
	        strstr(extra, "noqop") ? "" : ", qop=auth", pw_kind == 2 ? ", auts=\"" : "",
	        auts_b64, pw_kind == 2 ? "\"" : "");
	if (extra[0] && !strstr(extra, "noqop"))
		snprintf(f->header + strlen(f->header), sizeof(f->header) - strlen(f->header),
		         ", %s", extra);
	assert_int_equal(digest_parse(f->header, strlen(f->header), &f->c, &why), 0);
	return &f->c;
}

static const struct digest_cred *parsed(struct fixture *f, const char *h)
{
	const char *why = NULL;
	snprintf(f->header, sizeof(f->header), "%s", h);
	assert_int_equal(digest_parse(f->header, strlen(f->header), &f->c, &why), 0);
	return &f->c;
}

static enum aka_verify_outcome verify(struct fixture *f, const struct digest_cred *c,
                                      const char *impu)
{
	return aka_verify(&f->env, 1, c, impu, &f->res);
}

#define PROTECTED_REGISTER(user)                                                                   \
	"Digest username=\"" user                                                                  \
	"\", realm=\"ims.example\", nonce=\"\", uri=\"sip:ims.example\", response=\"\", integrity-protected=\"yes\""

static void test_no_or_malformed_credentials(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(aka_verify(&f->env, 0, NULL, NULL, &f->res), AV_NO_CREDENTIALS);
	assert_int_equal(aka_verify(&f->env, -1, NULL, NULL, &f->res), AV_MALFORMED_AUTHORIZATION);
	/* the initial REGISTER of TS 24.229 5.1.1.2: empty nonce and response */
	const struct digest_cred *c = parsed(
	        f, "Digest username=\"" ALICE
	           "\", realm=\"ims.example\", nonce=\"\", uri=\"sip:ims.example\", response=\"\"");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NO_CREDENTIALS);
	assert_string_equal(f->res.impi, ALICE);
	c = parsed(
	        f,
	        "Digest username=\"al'ice@ims.example\", realm=\"ims.example\", nonce=\"\", uri=\"sip:ims.example\", response=\"\"");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_USERNAME_NOT_IMPI);
	assert_string_equal(f->res.impi, "");
	c = parsed(f,
	           "Digest username=\"" ALICE
	           "\", realm=\"ims.example\", nonce=\"\", uri=\"sip:ims.example\", response=\"\"");
	assert_int_equal(verify(f, c, NULL), AV_NO_TO_IMPU);
}

static void test_full_aka_v1_and_v2(void **state)
{
	struct fixture *f = *state;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 32, NOW + 30);
	const struct digest_cred *c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_OK);
	assert_string_equal(f->res.impus, ALICE_IMPUS);
	assert_int_equal(f->res.algorithm, AKA_ALG_V1_MD5);
	assert_int_equal(f->res.not_remembered, 0);
	/* remembered: a protected re-REGISTER through this P-CSCF needs no challenge */
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW + 1), AUTHREG_OK);
	/* the same answer again is a replay */
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NONCE_REPLAYED);

	f->nonce[0]++; /* another RAND */
	challenge(f, ALICE, AKA_ALG_V2_MD5, 64, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V2_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "tel:+15550101"), AV_OK);
	assert_int_equal(f->res.algorithm, AKA_ALG_V2_MD5);
}

static void test_wrong_res_and_impu(void **state)
{
	struct fixture *f = *state;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 32, NOW + 30);
	const struct digest_cred *c = answer(f, ALICE, AKA_ALG_V1_MD5, 0, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_WRONG_RES);
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW), AUTHREG_UNKNOWN);

	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 64, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:erin@ims.example"), AV_IMPU_MISMATCH);
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW), AUTHREG_UNKNOWN);
}

static void test_nonces(void **state)
{
	struct fixture *f = *state;
	const struct digest_cred *c = parsed(
	        f,
	        "Digest username=\"" ALICE
	        "\", realm=\"ims.example\", nonce=\"ab!d\", uri=\"sip:ims.example\", response=\"0123456789abcdef0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"x\"");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NONCE_NOT_BASE64);
	c = parsed(
	        f,
	        "Digest username=\"" ALICE
	        "\", realm=\"ims.example\", nonce=\"QUJDRA==\", uri=\"sip:ims.example\", response=\"0123456789abcdef0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"x\"");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NONCE_UNKNOWN);

	/* expired: vector_expiry passed */
	challenge(f, ALICE, AKA_ALG_V1_MD5, 32, NOW);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NONCE_UNKNOWN);

	/* carol answers alice's challenge: the nonce is spent */
	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 64, NOW + 30);
	c = answer(f, "carol@ims.example", AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:carol@ims.example"), AV_NONCE_OTHER_IMPI);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NONCE_REPLAYED);

	/* RFC 3310 3.3: qop=auth as challenged */
	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 96, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "noqop");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_PARAMS_MISSING);
}

/* RFC 3310 3.4, TS 33.102 6.3.5 */
static void test_auts(void **state)
{
	struct fixture *f = *state;
	struct aka_keys other = alice_keys;
	other.k[0] ^= 0xff;

	challenge(f, ALICE, AKA_ALG_V1_MD5, 32, NOW + 30);
	const struct digest_cred *c = answer(f, ALICE, AKA_ALG_V1_MD5, 2, 4096, &alice_keys, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_RESYNCED);
	assert_int_equal(f->db.resync_calls, 1);
	assert_int_equal(f->db.resynced_sqn, 4096);

	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 64, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 2, 4096, &other, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_BAD_MAC_S);

	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 96, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "auts=\"QUJDRA==\"");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_AUTS_NOT_BASE64);

	/* AUTS with a response over RES, not the empty password */
	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 128, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "auts=\"AAAAAAAAAAAAAAAAAAA=\"");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_AUTS_WRONG_RESPONSE);

	/* the subscriber went away between the challenge and the AUTS */
	f->nonce[0]++;
	challenge(f, "ghost@ims.example", AKA_ALG_V1_MD5, 160, NOW + 30);
	c = answer(f, "ghost@ims.example", AKA_ALG_V1_MD5, 2, 4096, &alice_keys, "");
	assert_int_equal(verify(f, c, "sip:ghost@ims.example"), AV_AUTS_UNKNOWN_IMPI);

	/* the database fails: reading the subscriber, or storing SQN_MS */
	f->nonce[0]++;
	challenge(f, "broken@ims.example", AKA_ALG_V1_MD5, 192, NOW + 30);
	c = answer(f, "broken@ims.example", AKA_ALG_V1_MD5, 2, 4096, &alice_keys, "");
	assert_int_equal(verify(f, c, "sip:broken@ims.example"), AV_INTERNAL);
	f->nonce[0]++;
	f->db.resync_fails = 1;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 224, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 2, 8192, &alice_keys, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_INTERNAL);
	assert_int_equal(f->db.resync_calls, 2);
}

/* TS 24.229 5.4.1.2.1, TS 33.203 7.1 */
static void test_protected_reregistration(void **state)
{
	struct fixture *f = *state;
	const struct digest_cred *c = parsed(f, PROTECTED_REGISTER(ALICE));

	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_PROTECTED_NOT_REGISTERED);
	assert_int_equal(authreg_set(f->reg, ALICE, "127.0.1.9", ALICE_IMPUS, NOW + 100), 0);
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_PROTECTED_OTHER_PEER);
	assert_int_equal(authreg_set(f->reg, ALICE, PCSCF, ALICE_IMPUS, NOW + 100), 0);
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_PROTECTED);
	assert_string_equal(f->res.impus, ALICE_IMPUS);
	/* refreshed to now + lifetime */
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW + 3000), AUTHREG_OK);
	assert_int_equal(verify(f, c, "sip:mallory@ims.example"), AV_PROTECTED_IMPU_MISMATCH);

	/* the mark from outside the P-CSCFs is ignored: an ordinary initial REGISTER */
	f->env.from_pcscf = 0;
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NO_CREDENTIALS);
	assert_int_equal(f->res.protection_ignored, 1);
	f->env.from_pcscf = 1;
	f->env.protected_reregistration = 0;
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_NO_CREDENTIALS);
	assert_int_equal(f->res.protection_ignored, 0);
	f->env.protected_reregistration = 1;

	c = parsed(f, PROTECTED_REGISTER("bob@ims.example"));
	assert_int_equal(verify(f, c, "sip:bob@ims.example"), AV_PROTECTED_UNKNOWN_IMPI);
	c = parsed(f, PROTECTED_REGISTER("broken@ims.example"));
	assert_int_equal(verify(f, c, "sip:broken@ims.example"), AV_INTERNAL);

	/* de-registration (lifetime 0) forgets the IMPI */
	c = parsed(f, PROTECTED_REGISTER(ALICE));
	f->db.lifetime = 0;
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_PROTECTED);
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW), AUTHREG_UNKNOWN);
}

/* What a full AKA leaves behind: only through a trusted P-CSCF, as long as asked for. */
static void test_remembering(void **state)
{
	struct fixture *f = *state;
	f->env.from_pcscf = 0;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 32, NOW + 30);
	const struct digest_cred *c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_OK);
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW), AUTHREG_UNKNOWN);

	f->env.from_pcscf = 1;
	assert_int_equal(authreg_set(f->reg, ALICE, PCSCF, ALICE_IMPUS, NOW + 100), 0);
	f->db.lifetime = 0; /* a de-registering REGISTER */
	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 64, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_OK);
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW), AUTHREG_UNKNOWN);

	f->db.lifetime = -1; /* a query: nothing changes */
	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 96, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_OK);
	assert_int_equal(authreg_check(f->reg, ALICE, PCSCF, NOW), AUTHREG_UNKNOWN);

	/* the table holds two registrations: the third is not remembered */
	f->db.lifetime = 3600;
	assert_int_equal(authreg_set(f->reg, "x@ims.example", PCSCF, "sip:x@ims.example", NOW + 99),
	                 0);
	assert_int_equal(authreg_set(f->reg, "y@ims.example", PCSCF, "sip:y@ims.example", NOW + 99),
	                 0);
	f->nonce[0]++;
	challenge(f, ALICE, AKA_ALG_V1_MD5, 128, NOW + 30);
	c = answer(f, ALICE, AKA_ALG_V1_MD5, 1, 0, NULL, "");
	assert_int_equal(verify(f, c, "sip:alice@ims.example"), AV_OK);
	assert_int_equal(f->res.not_remembered, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_no_or_malformed_credentials, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_full_aka_v1_and_v2, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_res_and_impu, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_nonces, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_auts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_protected_reregistration, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_remembering, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
