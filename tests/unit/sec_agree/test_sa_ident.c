/* Whom a REGISTER over an SA may speak for (TS 33.203 7.1, TS 24.229 5.2.2): the Authorization
 * username read as the S-CSCF reads it, and the IMPI and IMPU of the SA compared with every
 * Authorization and the To URI. mallory's SA never carries alice's registration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "authhdr.h"
#include "sa_addr.h"
#include "sa_ident.h"
#include "sa_store.h"

static int username(const char *body, char *out, size_t outsz)
{
	const char *why = NULL;
	int rc = auth_username(body, strlen(body), out, outsz, &why);
	if (rc < 0)
		assert_non_null(why);
	return rc;
}

static void test_the_username_of_digest_credentials(void **state)
{
	char u[64];
	(void)state;
	assert_int_equal(username("Digest username=\"alice@ims.example\", realm=\"ims.example\", "
	                          "nonce=\"\", uri=\"sip:ims.example\", response=\"\"",
	                          u, sizeof(u)),
	                 1);
	assert_string_equal(u, "alice@ims.example");
	/* wherever it is, with any case of the name and spaces around '=' */
	assert_int_equal(
	        username("Digest realm=\"a, b\", USERNAME = \"bob@ims.example\"", u, sizeof(u)), 1);
	assert_string_equal(u, "bob@ims.example");
	assert_int_equal(username("Digest username=carol", u, sizeof(u)), 1);
	assert_string_equal(u, "carol");
	/* a username inside another quoted value is not the username */
	assert_int_equal(username("Digest realm=\"x, username=alice@ims.example\"", u, sizeof(u)),
	                 0);
	assert_int_equal(username("Digest nonce=\"\"", u, sizeof(u)), 0);
	assert_int_equal(username("Digest xusername=\"alice\"", u, sizeof(u)), 0);
}

static void test_usernames_that_could_be_read_two_ways_are_refused(void **state)
{
	char u[32];
	(void)state;
	assert_int_equal(username("Digest username=\"mallory@ims.example\", "
	                          "username=\"alice@ims.example\"",
	                          u, sizeof(u)),
	                 -1);
	assert_int_equal(username("Digest username=\"ali\\ce@ims.example\"", u, sizeof(u)), -1);
	assert_int_equal(username("Digest username=alice\"@ims.example", u, sizeof(u)), -1);
	assert_int_equal(username("Digest username=\"alice@ims.example", u, sizeof(u)), -1);
	assert_int_equal(username("Basic YWxpY2U6cHc=", u, sizeof(u)), -1);
	assert_int_equal(username("Digest username=\"a-very-long-impi-that-does-not-fit@ims\"", u,
	                          sizeof(u)),
	                 -1);
	/* no control character either (RFC 3261 25.1) */
	assert_int_equal(
	        auth_username("Digest username=\"a\0b\"", 21, u, sizeof(u), &(const char *){NULL}),
	        -1);
}

static struct sa_text t(const char *s)
{
	struct sa_text x = {s, strlen(s)};
	return x;
}

static int check(const char *impi, const char *impu, const char *to, int n, const char **auth,
                 char *claimed)
{
	struct sa_text a[SA_IDENT_MAX_AUTH + 1];
	const char *why = NULL;
	for (int i = 0; i < n; i++)
		a[i] = t(auth[i]);
	int rc = sa_ident_check(impi, impu, a, (unsigned)n, t(to), claimed, 128, &why);
	if (rc != SA_IDENT_OK)
		assert_non_null(why);
	return rc;
}

#define ALICE   "Digest username=\"alice@ims.example\", realm=\"ims.example\", response=\"\""
#define MALLORY "Digest username=\"mallory@ims.example\", realm=\"ims.example\", response=\"\""

static void test_a_register_speaks_only_for_its_sa(void **state)
{
	char c[128];
	const char *mallory[] = {MALLORY}, *alice[] = {ALICE}, *both[] = {MALLORY, ALICE};
	const char *many[SA_IDENT_MAX_AUTH + 1];
	(void)state;
	/* her own IMPI and IMPU: fine, with the To written in another (equal) form too */
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:mallory@ims.example", 1, mallory, c),
	                 SA_IDENT_OK);
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:%6dallory@IMS.example;transport=udp", 1, mallory, c),
	                 SA_IDENT_OK);
	/* alice's IMPI over mallory's SA (the hijack), in any case */
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:alice@ims.example", 1, alice, c),
	                 SA_IDENT_OTHER_IMPI);
	assert_string_equal(c, "alice@ims.example");
	/* her IMPI, alice's IMPU; and the user part is case-sensitive (RFC 3261 19.1.4) */
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:alice@ims.example", 1, mallory, c),
	                 SA_IDENT_OTHER_IMPU);
	assert_string_equal(c, "sip:alice@ims.example");
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:Mallory@ims.example", 1, mallory, c),
	                 SA_IDENT_OTHER_IMPU);
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example", "tel:+15550001", 1,
	                       mallory, c),
	                 SA_IDENT_OTHER_IMPU);
	/* a second Authorization for alice: whichever the S-CSCF takes, not this one */
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:mallory@ims.example", 2, both, c),
	                 SA_IDENT_OTHER_IMPI);
	/* no Authorization, one without a username, an SA without identities */
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:mallory@ims.example", 0, NULL, c),
	                 SA_IDENT_NO_IMPI);
	const char *nouser[] = {"Digest realm=\"ims.example\""};
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:mallory@ims.example", 1, nouser, c),
	                 SA_IDENT_NO_IMPI);
	assert_int_equal(check("", "sip:mallory@ims.example", "sip:mallory@ims.example", 1,
	                       (const char *[]){"Digest username=\"\""}, c),
	                 SA_IDENT_NO_IMPI);
	/* credentials that cannot be read, and too many of them */
	const char *dup[] = {"Digest username=\"mallory@ims.example\", username=\"alice\""};
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:mallory@ims.example", 1, dup, c),
	                 SA_IDENT_BAD_AUTH);
	for (int i = 0; i <= SA_IDENT_MAX_AUTH; i++)
		many[i] = MALLORY;
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example",
	                       "sip:mallory@ims.example", SA_IDENT_MAX_AUTH + 1, many, c),
	                 SA_IDENT_BAD_AUTH);
	assert_int_equal(check("mallory@ims.example", "sip:mallory@ims.example", "", 1, mallory, c),
	                 SA_IDENT_OTHER_IMPU);
}

static int contact(const char *ip, const char *host, unsigned port)
{
	const unsigned short ports[] = {5060, 5070};
	const char *why = NULL;
	int rc = sa_contact_check(ip, ports, 2, t(host), port, &why);
	if (rc != 0)
		assert_non_null(why);
	return rc;
}

static void test_a_contact_names_the_ue_behind_the_sa(void **state)
{
	(void)state;
	assert_int_equal(contact("127.0.2.3", "127.0.2.3", 5060), 0);
	assert_int_equal(contact("127.0.2.3", "127.0.2.3", 0), 0); /* 5060 */
	assert_int_equal(contact("127.0.2.3", "127.0.2.3", 5070), 0);
	assert_int_equal(contact("2001:db8::3", "[2001:DB8::3]", 5060), 0);
	/* alice's address, another port, a name */
	assert_int_equal(contact("127.0.2.3", "127.0.2.1", 5060), -1);
	assert_int_equal(contact("127.0.2.3", "127.0.2.3", 5999), -1);
	assert_int_equal(contact("127.0.2.3", "127.0.2.33", 5060), -1);
	assert_int_equal(contact("127.0.2.3", "ue.ims.example", 5060), -1);
	assert_int_equal(contact("2001:db8::3", "[2001:db8::1]", 5060), -1);
	assert_int_equal(contact("127.0.2.3", "[]", 5060), -1);
}

/* atk18: the SA table keeps fd00:9::11; a Contact may spell it any way RFC 4291 2.2 allows,
 * and it is the same UE; a scope, a v4-mapped form of another address or garbage is not */
static void test_an_ipv6_contact_is_compared_as_an_address(void **state)
{
	(void)state;
	assert_int_equal(contact("fd00:9::11", "[FD00:9::11]", 5060), 0);
	assert_int_equal(contact("fd00:9::12", "[fd00:9:0:0:0:0:0:12]", 5060), 0);
	assert_int_equal(contact("fd00:9::12", "[FD00:0009:0000::0012]", 5060), 0);
	assert_int_equal(contact("fd00:9::14", "[fd00:9::14%25lo]", 5060), -1);
	assert_int_equal(contact("fd00:9::13", "[::ffff:127.0.2.1]", 5060), -1);
	assert_int_equal(contact("127.0.2.1", "[::ffff:127.0.2.1]", 5060), -1);
	assert_int_equal(contact("fd00:9::11", "[fd00:9::111]", 5060), -1);
	assert_int_equal(contact("fd00:9::11", "fd00:9::11", 5060), 0);
	assert_int_equal(contact("127.0.2.1", "127.000.002.001", 5060), -1);
	assert_true(sa_addr_same("10.0.0.1", 8, "10.0.0.1", 8));
	assert_false(sa_addr_same("ue.example", 10, "10.0.0.1", 8));
	assert_true(sa_addr_same("ue.example", 10, "ue.example", 10));
	assert_false(sa_addr_same("", 0, "10.0.0.1", 8));
	char out[SA_IP_MAX];
	assert_int_equal(sa_addr_canon("FD00:0:0::0011", 14, out, sizeof(out)), 0);
	assert_string_equal(out, "fd00::11");
	assert_int_equal(sa_addr_canon("ue.example", 10, out, sizeof(out)), -1);
	assert_string_equal(out, "ue.example");
	assert_int_equal(sa_addr_canon("x", 1, out, 0), -1);
}

/* TS 33.203 7.2 SM7: over SAs that are still pending, the REGISTER answers the challenge */
static void test_an_answer_to_the_challenge(void **state)
{
	(void)state;
#define ANSWERS(b) auth_answers(b, strlen(b))
	assert_int_equal(ANSWERS("Digest username=\"a@x\", nonce=\"bm9uY2U=\", response=\"0123\""),
	                 1);
	assert_int_equal(ANSWERS("Digest username=\"a@x\", nonce=\"\", response=\"\""), 0);
	assert_int_equal(ANSWERS("Digest username=\"a@x\", nonce=\"bm9uY2U=\", response=\"\""), 0);
	assert_int_equal(ANSWERS("Digest username=\"a@x\", response=\"0123\""), 0);
	assert_int_equal(
	        ANSWERS("Digest username=\"a@x\", nonce=\"n\", response=\"\", response=\"1\""), 0);
	assert_int_equal(ANSWERS("Digest username=\"a@x\", nonce=n, response=1"), 1);
	assert_int_equal(ANSWERS("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), -1);
#undef ANSWERS
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_the_username_of_digest_credentials),
	        cmocka_unit_test(test_usernames_that_could_be_read_two_ways_are_refused),
	        cmocka_unit_test(test_a_register_speaks_only_for_its_sa),
	        cmocka_unit_test(test_a_contact_names_the_ue_behind_the_sa),
	        cmocka_unit_test(test_an_answer_to_the_challenge),
	        cmocka_unit_test(test_an_ipv6_contact_is_compared_as_an_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
