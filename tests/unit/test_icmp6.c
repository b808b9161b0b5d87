/* ICMPv6: echo to multicast, PTB lowering the PMTU, no error about an error, unknown informational types. */
#include "ip6_harness.h"

static void test_echo_multicast(void **state)
{
	struct host h;
	uint8_t m[64];
	const uint8_t *r, *ip6;

	host_init(&h);
	size_t len = mk_echo(m, 8, &a_peer, &in6_all_nodes);
	inject(&h, &a_peer, &in6_all_nodes, NH_ICMPV6, 64, m, len);
	r = find_icmp(&h, ICMP6_ECHO_REPLY, &ip6);
	assert_non_null(r);
	struct ip6_addrs a = ip6_addrs_of(ip6);
	assert_false(in6_is_multicast(&a.src));
	assert_memory_equal(&a.dst, &a_peer, 16);
	host_fini(&h);
}

static void test_ptb_lowers_pmtu(void **state)
{
	struct host h;
	uint8_t m[8 + 40 + 8] = { ICMP6_PACKET_TOO_BIG, 0 };

	host_init(&h);
	put_be32(m + 4, 1300);
	m[8] = 0x60;
	put_be16(m + 12, 8);
	m[14] = NH_UDP;
	m[15] = 64;
	memcpy(m + 16, &a_us, 16);
	memcpy(m + 32, &a_far, 16);
	icmp_csum(m, sizeof(m), &a_peer, &a_us);
	assert_int_equal(pmtu6_get(h.st, &a_far, h.dev), 1500);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, sizeof(m));
	assert_int_equal(pmtu6_get(h.st, &a_far, h.dev), 1300);
	/* RFC 8201 4: never below 1280. */
	put_be32(m + 4, 600);
	icmp_csum(m, sizeof(m), &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, sizeof(m));
	assert_int_equal(pmtu6_get(h.st, &a_far, h.dev), 1280);
	/* RFC 8201 5.3: forgotten after 10 minutes. */
	usagi_stack_advance(h.st, h.st->now + 601 * NS_PER_SEC);
	assert_int_equal(pmtu6_get(h.st, &a_far, h.dev), 1500);
	host_fini(&h);
}

static void test_no_error_about_error(void **state)
{
	struct host h;
	uint8_t b[8 + 8 + 48] = { NH_ICMPV6, 0, 0x9e, 4, 0, 0, 0, 0,   /* HbH, unknown option action 10 */
				  ICMP6_DST_UNREACH, 0 };

	host_init(&h);
	icmp_csum(b + 8, sizeof(b) - 8, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_HOPOPTS, 64, b, sizeof(b));
	assert_null(find_icmp(&h, ICMP6_PARAM_PROB, NULL));
	assert_int_equal(STAT_GET(h.st, icmp6_err_about_err), 1);
	host_fini(&h);
}

static void test_unknown_info(void **state)
{
	struct host h;
	uint8_t m[8] = { 200, 0 };

	host_init(&h);
	icmp_csum(m, sizeof(m), &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, sizeof(m));
	assert_int_equal(STAT_GET(h.st, icmp6_in_unknown_info), 1);
	assert_int_equal(h.cap.n, 0);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_multicast),
		cmocka_unit_test(test_ptb_lowers_pmtu),
		cmocka_unit_test(test_no_error_about_error),
		cmocka_unit_test(test_unknown_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
