/* Who may send the S-CSCF what (peer): P-CSCFs register and originate, the other trusted
 * elements terminate, anyone else is refused; the lists take addresses and CIDR blocks only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "peer.h"

static void test_decide(void **state)
{
	(void)state;
	struct trust_list pcscfs, peers;
	const char *why = NULL;
	assert_int_equal(aka_peer_list_parse("127.0.1.1, 2001:db8::1", &pcscfs, &why), 0);
	assert_int_equal(aka_peer_list_parse("127.0.1.0/24 10.9.0.0/16", &peers, &why), 0);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.1.1", 1), AKA_PEER_PCSCF);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.1.1", 0), AKA_PEER_PCSCF);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "2001:db8::1", 1), AKA_PEER_PCSCF);
	/* the PS: terminating requests yes, REGISTER no */
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.1.3", 0), AKA_PEER_TRUSTED);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.1.3", 1),
	                 AKA_PEER_REGISTER_REFUSED);
	/* a UE, the foreign network */
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.2.9", 0), AKA_PEER_UNKNOWN);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.2.9", 1), AKA_PEER_UNKNOWN);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.3.1", 0), AKA_PEER_UNKNOWN);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "2001:db8::2", 1), AKA_PEER_UNKNOWN);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "", 0), AKA_PEER_UNKNOWN);
}

static void test_empty_lists_trust_nobody(void **state)
{
	(void)state;
	struct trust_list pcscfs, peers;
	const char *why = NULL;
	assert_int_equal(aka_peer_list_parse("", &pcscfs, &why), 0);
	assert_int_equal(aka_peer_list_parse(" ,; ", &peers, &why), 0);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.1.1", 1), AKA_PEER_UNKNOWN);
	assert_int_equal(aka_peer_decide(&pcscfs, &peers, "127.0.1.3", 0), AKA_PEER_UNKNOWN);
}

static void test_bad_lists(void **state)
{
	(void)state;
	struct trust_list l;
	const char *why = NULL;
	/* a request's source is an address: a name would never match, so it is refused */
	assert_int_equal(aka_peer_list_parse("127.0.1.1 pcscf.ims.example", &l, &why), -1);
	assert_non_null(why);
	assert_int_equal(l.n, 0);
	assert_int_equal(aka_peer_list_parse("127.0.1.0/33", &l, &why), -1);
	assert_int_equal(aka_peer_list_parse("/24", &l, &why), -1);
	assert_int_equal(aka_peer_list_parse("127.0.1.1;x", &l, &why), -1);
	/* a list parsed again starts empty */
	assert_int_equal(aka_peer_list_parse("127.0.1.1", &l, &why), 0);
	assert_int_equal(aka_peer_list_parse("127.0.1.2", &l, &why), 0);
	assert_int_equal(l.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decide),
	        cmocka_unit_test(test_empty_lists_trust_nobody),
	        cmocka_unit_test(test_bad_lists),
	};
	return cmocka_run_group_tests_name("ims_aka/peer", tests, NULL, NULL);
}
