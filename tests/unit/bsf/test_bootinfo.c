/* The B-TID (TS 33.220 4.5.2) and the BootstrappingInfo document (TS 24.109 Annex C). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "bootinfo.h"

static const uint8_t RAND[16] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03,
                                 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xfe, 0xff};

static void test_btid_roundtrip(void **state)
{
	(void)state;
	char btid[BTID_MAX + 1];
	uint8_t rand[16];
	struct dstr host;
	assert_int_equal(btid_make(RAND, "bsf.ims.example", btid, sizeof(btid)), 40);
	assert_string_equal(btid, "3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example");
	assert_int_equal(btid_parse(btid, strlen(btid), rand, &host), 0);
	assert_memory_equal(rand, RAND, 16);
	assert_int_equal(host.len, 15);
	assert_memory_equal(host.s, "bsf.ims.example", 15);
	assert_int_equal(btid_make(RAND, "bsf.ims.example", btid, 40), -1); /* no room for NUL */
	assert_int_equal(btid_make(RAND, "bsf ims", btid, sizeof(btid)), -1);
	assert_int_equal(btid_make(RAND, "", btid, sizeof(btid)), -1);
}

static void parse_refused(const char *s)
{
	uint8_t rand[16];
	struct dstr host;
	if (btid_parse(s, strlen(s), rand, &host) != -1)
		fail_msg("accepted as a B-TID: %s", s);
}

static void test_btid_refusals(void **state)
{
	(void)state;
	parse_refused("");
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==");
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@");
	parse_refused("3q2+7wABAgMEBQYHCAn+/w=@bsf.ims.example");   /* 15 octets */
	parse_refused("3q2+7wABAgMEBQYHCAn+/x==@bsf.ims.example");  /* not canonical */
	parse_refused("3q2+7wABAgMEBQYHCAn+/wAA@bsf.ims.example");  /* 18 octets */
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims..example"); /* empty label */
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@-bsf.ims.example"); /* label starts with - */
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@bsf-.ims.example"); /* label ends with - */
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example."); /* trailing dot */
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@bsf_ims.example");
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example\r\nX: y");
	parse_refused("3q2+7wABAgMEBQYHCAn+/w==@bsf@ims.example");
	parse_refused("<q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example");
	char longer[400];
	memset(longer, 'a', sizeof(longer));
	memcpy(longer, "3q2+7wABAgMEBQYHCAn+/w==@", 25);
	longer[25 + 254] = '\0'; /* a 254-character "host" */
	parse_refused(longer);
	for (int i = 25 + 63; i < 25 + 253; i += 64)
		longer[i] = '.';
	longer[25 + 253] = '\0';
	uint8_t rand[16];
	struct dstr host;
	assert_int_equal(btid_parse(longer, strlen(longer), rand, &host), 0);
	longer[25 + 63] = 'a'; /* a 64-character label */
	parse_refused(longer);
}

static void test_lifetime(void **state)
{
	(void)state;
	char out[LIFETIME_LEN + 1];
	assert_int_equal(bootinfo_lifetime(0, out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_int_equal(bootinfo_lifetime(1073567597, out), 0); /* TS 24.109 A.3's date */
	assert_string_equal(out, "2004-01-08T13:13:17Z");
}

static void test_print(void **state)
{
	(void)state;
	char out[BOOTINFO_MAX];
	int n = bootinfo_print("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example", "2004-01-08T13:13:17Z",
	                       out, sizeof(out));
	const char *want = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                   "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n"
	                   "  <btid>3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example</btid>\n"
	                   "  <lifetime>2004-01-08T13:13:17Z</lifetime>\n"
	                   "</BootstrappingInfo>\n";
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(bootinfo_print("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example",
	                                "2004-01-08T13:13:17Z", out, (size_t)n),
	                 -1);
	assert_int_equal(
	        bootinfo_print("<x>@bsf.ims.example", "2004-01-08T13:13:17Z", out, sizeof(out)),
	        -1);
	assert_int_equal(bootinfo_print("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example",
	                                "2004-01-08T13:13:17Z<", out, sizeof(out)),
	                 -1);
	assert_int_equal(bootinfo_print("3q2+7wABAgMEBQYHCAn+/w==@bsf.ims.example",
	                                "2004-01-08 13:13:17Z", out, sizeof(out)),
	                 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_btid_roundtrip),
	        cmocka_unit_test(test_btid_refusals),
	        cmocka_unit_test(test_lifetime),
	        cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
