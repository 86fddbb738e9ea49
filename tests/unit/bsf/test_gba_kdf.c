/* The GBA KDF (TS 33.220 B.2/B.3): Ks_NAF against the vectors the harness's client computed
 * (ks_naf_vectors.txt, also checked against the Zn SQL function), S's layout against a direct
 * HMAC, and the NAF_Id of TS 33.220 4.5.2 / Annex H. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gba_kdf.h"

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* the vectors file sits beside this source; the tests run from the repository root */
static FILE *open_vectors(void)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	int n = snprintf(path, sizeof(path), "%.*sks_naf_vectors.txt",
	                 slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	return fopen(path, "r");
}

static void test_ks_naf_vectors(void **state)
{
	(void)state;
	FILE *f = open_vectors();
	char line[1024];
	int checked = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char ks_h[80], rand_h[40], impi[300], naf_h[600], want_h[80];
		uint8_t ks[32], rand[16], naf[300], want[32], got[32];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%79s %39s %299s %599s %79s", ks_h, rand_h, impi,
		                        naf_h, want_h),
		                 5);
		assert_int_equal(unhex(ks_h, ks, sizeof(ks)), 32);
		assert_int_equal(unhex(rand_h, rand, sizeof(rand)), 16);
		int nl = unhex(naf_h, naf, sizeof(naf));
		assert_true(nl > GBA_UA_ID_LEN);
		assert_int_equal(unhex(want_h, want, sizeof(want)), 32);
		assert_int_equal(gba_ks_naf(ks, rand, impi, strlen(impi), naf, (size_t)nl, got), 0);
		assert_memory_equal(got, want, 32);
		checked++;
	}
	fclose(f);
	assert_true(checked >= 5);
}

/* S = FC || P0 || L0 || P1 || L1 ... written out by hand and MACed in one piece */
static void test_kdf_layout(void **state)
{
	(void)state;
	uint8_t key[32], rand[16], got[32], want[32], s[256];
	unsigned wl = 0;
	const char *impi = "alice@ims.example";
	const uint8_t naf[] = {'n', 'a', 'f', 0x01, 0x00, 0x00, 0x00, 0x02};
	size_t n = 0;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)(0xa0 + i);
	s[n++] = 0x01;
	memcpy(s + n, "gba-me", 6), n += 6;
	s[n++] = 0x00, s[n++] = 0x06;
	memcpy(s + n, rand, 16), n += 16;
	s[n++] = 0x00, s[n++] = 0x10;
	memcpy(s + n, impi, strlen(impi)), n += strlen(impi);
	s[n++] = 0x00, s[n++] = (uint8_t)strlen(impi);
	memcpy(s + n, naf, sizeof(naf)), n += sizeof(naf);
	s[n++] = 0x00, s[n++] = sizeof(naf);
	assert_non_null(HMAC(EVP_sha256(), key, 32, s, n, want, &wl));
	assert_int_equal(wl, 32);
	assert_int_equal(gba_ks_naf(key, rand, impi, strlen(impi), naf, sizeof(naf), got), 0);
	assert_memory_equal(got, want, 32);

	/* another NAF_Id, another IMPI: another key */
	uint8_t other[32];
	const uint8_t naf2[] = {'n', 'a', 'g', 0x01, 0x00, 0x00, 0x00, 0x02};
	assert_int_equal(gba_ks_naf(key, rand, impi, strlen(impi), naf2, sizeof(naf2), other), 0);
	assert_memory_not_equal(got, other, 32);
	assert_int_equal(gba_ks_naf(key, rand, "bob@ims.example", 15, naf, sizeof(naf), other), 0);
	assert_memory_not_equal(got, other, 32);
}

static void test_kdf_bounds(void **state)
{
	(void)state;
	uint8_t key[32] = {0}, out[32];
	static uint8_t big[65536];
	struct gba_kdf_param p[9] = {{big, 65535}};
	assert_int_equal(gba_kdf(key, 32, 1, p, 1, out), 0);
	p[0].len = 65536; /* TS 33.220 B.1: no parameter is longer than 65535 octets */
	assert_int_equal(gba_kdf(key, 32, 1, p, 1, out), -1);
	p[0].len = 1;
	assert_int_equal(gba_kdf(key, 32, 1, p, 9, out), -1);
	p[0].p = NULL;
	assert_int_equal(gba_kdf(key, 32, 1, p, 1, out), -1);
	/* an empty parameter is allowed (its length 0x00 0x00 is still written) */
	p[0].len = 0;
	assert_int_equal(gba_kdf(key, 32, 1, p, 1, out), 0);
	/* no IMPI, no NAF_Id: no Ks_NAF */
	assert_int_equal(gba_ks_naf(key, key, "", 0, key, 6, out), -1);
	assert_int_equal(gba_ks_naf(key, key, "a@b", 3, key, 0, out), -1);
}

static void test_naf_id(void **state)
{
	(void)state;
	uint8_t out[GBA_NAF_ID_MAX], ua[GBA_UA_ID_LEN];
	const uint8_t want[] = {'x', 'c', 'a', 'p', '.', 'i',  'm',  's',  '.',  'e', 'x',
	                        'a', 'm', 'p', 'l', 'e', 0x01, 0x00, 0x01, 0xc0, 0x2f};
	gba_ua_id_tls(0xc02f, ua);
	assert_int_equal(gba_naf_id("xcap.ims.example", 16, ua, out, sizeof(out)), 21);
	assert_memory_equal(out, want, 21);
	assert_int_equal(gba_naf_id("xcap.ims.example", 16, GBA_UA_HTTP_DIGEST, out, sizeof(out)),
	                 21);
	assert_memory_equal(out + 16, ((const uint8_t[]){1, 0, 0, 0, 2}), 5);
	assert_int_equal(gba_naf_id("", 0, ua, out, sizeof(out)), -1);
	assert_int_equal(gba_naf_id("xcap ims", 8, ua, out, sizeof(out)), -1);
	assert_int_equal(gba_naf_id("xcap/ims", 8, ua, out, sizeof(out)), -1);
	assert_int_equal(gba_naf_id("xcap.ims.example", 16, ua, out, 20), -1);
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	assert_int_equal(gba_naf_id(longname, 254, ua, out, sizeof(out)), -1);
	assert_int_equal(gba_naf_id(longname, 253, ua, out, sizeof(out)), 258);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ks_naf_vectors),
	        cmocka_unit_test(test_kdf_layout),
	        cmocka_unit_test(test_kdf_bounds),
	        cmocka_unit_test(test_naf_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
