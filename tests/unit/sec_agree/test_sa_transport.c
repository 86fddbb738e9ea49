/* Which transport a request towards a UE takes over its SAs (TS 33.203 7.1, RFC 3261 18.1.1),
 * and the start-up check that no TCP connection to a UE can leave from outside port_pc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "sa_transport.h"

static struct sa_to_ue ok_tcp(void)
{
	struct sa_to_ue in;
	memset(&in, 0, sizeof(in));
	in.size = 500;
	in.tcp_on_pc = 1;
	in.reuse_port = 1;
	return in;
}

static void test_a_small_request_to_a_udp_ue_stays_on_udp(void **state)
{
	const char *why = NULL;
	struct sa_to_ue in = ok_tcp();
	(void)state;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_UDP);
	in.target = SA_URI_TP_UDP;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_UDP);
	/* at the threshold itself still UDP; one byte more is TCP (RFC 3261 18.1.1) */
	in.size = SA_UDP_MAX;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_UDP);
	/* and without TCP at all a small one needs none */
	in.tcp_on_pc = in.reuse_port = 0;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_UDP);
	assert_null(why);
}

static void test_large_requests_and_tcp_ues_go_over_tcp(void **state)
{
	const char *why = NULL;
	struct sa_to_ue in = ok_tcp();
	(void)state;
	in.size = SA_UDP_MAX + 1;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_TCP);
	/* even when the Contact said udp: 18.1.1 lets the client switch */
	in.target = SA_URI_TP_UDP;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_TCP);
	in = ok_tcp();
	in.ue_tcp = 1;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_TCP);
	in = ok_tcp();
	in.target = SA_URI_TP_TCP;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_TCP);
	/* a smaller path MTU of the operator's choosing */
	in = ok_tcp();
	in.udp_max = 400;
	assert_int_equal(sa_transport_to_ue(&in, &why), SA_TP_TCP);
	assert_null(why);
}

static void test_tcp_that_would_leave_the_sa_is_refused(void **state)
{
	const char *why = NULL;
	struct sa_to_ue in = ok_tcp();
	(void)state;
	in.ue_tcp = 1;
	in.tcp_on_pc = 0;
	assert_int_equal(sa_transport_to_ue(&in, &why), -1);
	assert_non_null(strstr(why, "port_pc"));
	why = NULL;
	in = ok_tcp();
	in.size = 4096;
	in.reuse_port = 0;
	assert_int_equal(sa_transport_to_ue(&in, &why), -1);
	assert_non_null(strstr(why, "tcp_reuse_port"));
	why = NULL;
	in = ok_tcp();
	in.target = SA_URI_TP_OTHER;
	assert_int_equal(sa_transport_to_ue(&in, &why), -1);
	assert_non_null(why);
}

static void test_uri_transport_values(void **state)
{
	(void)state;
	assert_int_equal(sa_uri_transport(NULL, 0), SA_URI_TP_NONE);
	assert_int_equal(sa_uri_transport("tcp", 0), SA_URI_TP_NONE);
	assert_int_equal(sa_uri_transport("TCP", 3), SA_URI_TP_TCP);
	assert_int_equal(sa_uri_transport("udp", 3), SA_URI_TP_UDP);
	assert_int_equal(sa_uri_transport("tls", 3), SA_URI_TP_OTHER);
	assert_int_equal(sa_uri_transport("tcpx", 4), SA_URI_TP_OTHER);
	assert_int_equal(sa_uri_transport("sctp", 4), SA_URI_TP_OTHER);
}

static void test_start_up_check_of_the_tcp_setup(void **state)
{
	const char *why = NULL;
	(void)state;
	/* TCP off: nothing to check */
	assert_int_equal(sa_tcp_setup_check(0, 0, 0, 1, 1, &why), 0);
	/* the set-up of cfg-examples/pcscf.cfg */
	assert_int_equal(sa_tcp_setup_check(1, 1, 1, 0, 1, &why), 0);
	/* TCP on 5060 only, no udp_mtu: nothing can go to a UE over TCP */
	assert_int_equal(sa_tcp_setup_check(1, 0, 0, 0, 0, &why), 0);
	assert_null(why);
	assert_int_equal(sa_tcp_setup_check(1, 1, 1, 1, 1, &why), -1);
	assert_non_null(strstr(why, "tcp_accept_aliases"));
	assert_int_equal(sa_tcp_setup_check(1, 1, 0, 0, 0, &why), -1);
	assert_non_null(strstr(why, "tcp_reuse_port"));
	assert_int_equal(sa_tcp_setup_check(1, 0, 1, 0, 1, &why), -1);
	assert_non_null(strstr(why, "udp_mtu_try_proto"));
}

static void test_a_response_from_outside_the_sa_is_dropped(void **state)
{
	const char *why = NULL;
	struct sa_reply_in in = {1, 1, 1, 5066, 5066};
	(void)state;
	/* alice's MESSAGE went to bob over his SA: his answer from port_us to port_pc is his */
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_OK);
	assert_null(why);
	/* the same source to 5060 or port_ps: outside the SA */
	in.rcv_port = 5060;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_DROP);
	assert_non_null(strstr(why, "protected client port"));
	in.rcv_port = 5064;
	why = NULL;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_DROP);
	/* from bob's address but another port (a new TCP connection, a UDP socket) */
	in.rcv_port = 5066;
	in.from_ue_server = 0;
	why = NULL;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_DROP);
	assert_non_null(strstr(why, "protected server port"));
	/* a request to the S-CSCF: its responses come as they come, but not from a UE address
	 * on 5060 or port_ps */
	in.to_ue = 0;
	in.src_is_ue = 0;
	in.rcv_port = 5060;
	why = NULL;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_OK);
	assert_null(why);
	in.src_is_ue = 1;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_DROP);
	assert_non_null(why);
	in.rcv_port = 5064;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_DROP);
	why = NULL;
	in.rcv_port = 5066;
	assert_int_equal(sa_reply_check(&in, &why), SA_REPLY_OK);
}

static void test_tcp_connections_are_sized_from_max_sas(void **state)
{
	(void)state;
	/* cfg-examples/pcscf.cfg: MAX_SAS 4096, TCP_MAX_CONNECTIONS 8448 */
	assert_int_equal(sa_tcp_connections_for(4096), 8448);
	assert_int_equal(sa_tcp_connections_for(1), 2 + SA_TCP_MARGIN);
}

static void test_requests_after_a_refusal_on_one_connection_are_dropped_silently(void **state)
{
	(void)state;
	assert_int_equal(sa_refusal(1, 1), SA_REFUSE_REPLY);
	assert_int_equal(sa_refusal(1, 0), SA_REFUSE_SILENT);
	/* UDP, or TCP to 5060: no connection is closed by a refusal */
	assert_int_equal(sa_refusal(0, 0), SA_REFUSE_REPLY);
	assert_int_equal(sa_refusal(0, 1), SA_REFUSE_REPLY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_small_request_to_a_udp_ue_stays_on_udp),
	        cmocka_unit_test(test_large_requests_and_tcp_ues_go_over_tcp),
	        cmocka_unit_test(test_tcp_that_would_leave_the_sa_is_refused),
	        cmocka_unit_test(test_uri_transport_values),
	        cmocka_unit_test(test_start_up_check_of_the_tcp_setup),
	        cmocka_unit_test(test_a_response_from_outside_the_sa_is_dropped),
	        cmocka_unit_test(test_tcp_connections_are_sized_from_max_sas),
	        cmocka_unit_test(
	                test_requests_after_a_refusal_on_one_connection_are_dropped_silently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
