/* IPv6 input/output/forwarding: echo, extension header errors, option action bits, RH0, forwarding errors, rate limit. */
#include "ip6_harness.h"
#include "ipv6/route6.h"

static void test_echo_reply(void **state)
{
	struct host h;
	uint8_t m[64];
	const uint8_t *r, *ip6;
	size_t len;

	host_init(&h);
	len = mk_echo(m, 20, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, len);
	r = find_icmp(&h, ICMP6_ECHO_REPLY, &ip6);
	assert_non_null(r);
	if (!ip6)    /* set with r; cmocka's failures are not noreturn to the compiler */
		return;
	struct ip6_addrs a = ip6_addrs_of(ip6);
	assert_memory_equal(&a.src, &a_us, 16);
	assert_memory_equal(&a.dst, &a_peer, 16);
	assert_int_equal(get_be16(ip6 + 4), len);
	assert_int_equal(csum_fold(csum_partial(r, len, csum_ipv6_pseudo(&a.src, &a.dst, len, NH_ICMPV6))), 0);
	assert_memory_equal(r + 4, m + 4, len - 4);
	/* RFC 6437: an automatic flow label is nonzero. */
	assert_int_not_equal(get_be32(ip6) & 0xfffff, 0);
	host_fini(&h);
}

static void test_bad_csum_dropped(void **state)
{
	struct host h;
	uint8_t m[64];
	size_t len;

	host_init(&h);
	len = mk_echo(m, 20, &a_peer, &a_us);
	m[10] ^= 1;
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, len);
	assert_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_int_equal(STAT_GET(h.st, icmp6_in_bad_csum), 1);
	host_fini(&h);
}

static void test_hbh_not_first(void **state)
{
	struct host h;
	uint8_t b[64] = { NH_HOPOPTS, 0, OPT6_PADN, 4, 0, 0, 0, 0,   /* DstOpts */
			  NH_ICMPV6, 0, OPT6_PADN, 4, 0, 0, 0, 0 };  /* HbH, misplaced */
	const uint8_t *r;

	host_init(&h);
	size_t len = 16 + mk_echo(b + 16, 8, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_DSTOPTS, 64, b, len);
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(r);
	assert_int_equal(r[1], ICMP6_PP_NEXTHEADER);
	assert_int_equal(get_be32(r + 4), 40);
	assert_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	host_fini(&h);
}

/* An unknown HbH option with action bits @act to @dst: reply?, PP? */
static void check_option(unsigned act, const struct in6_addr *dst, bool reply, bool pp)
{
	struct host h;
	uint8_t b[64] = { NH_ICMPV6, 0, (uint8_t)(act << 6 | 0x1e), 4, 0, 0, 0, 0 };
	const uint8_t *r;

	host_init(&h);
	size_t len = 8 + mk_echo(b + 8, 8, &a_peer, dst);
	inject(&h, &a_peer, dst, NH_HOPOPTS, 64, b, len);
	assert_int_equal(find_icmp(&h, ICMP6_ECHO_REPLY, NULL) != NULL, reply);
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_int_equal(r != NULL, pp);
	if (r) {
		assert_int_equal(r[1], ICMP6_PP_OPTION);
		assert_int_equal(get_be32(r + 4), 42);
	}
	host_fini(&h);
}

static void test_option_actions(void **state)
{
	check_option(0, &a_us, true, false);
	check_option(1, &a_us, false, false);
	check_option(2, &a_us, false, true);
	check_option(3, &a_us, false, true);
	check_option(0, &in6_all_nodes, true, false);
	check_option(1, &in6_all_nodes, false, false);
	check_option(2, &in6_all_nodes, false, true);
	check_option(3, &in6_all_nodes, false, false);
}

static void check_rh(uint8_t type, uint8_t segleft, bool reply)
{
	struct host h;
	uint8_t b[128] = { NH_ICMPV6, 2, type, segleft };
	const uint8_t *r;

	host_init(&h);
	memcpy(b + 8, &a_far, 16);
	size_t len = 24 + mk_echo(b + 24, 8, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ROUTING, 64, b, len);
	assert_int_equal(find_icmp(&h, ICMP6_ECHO_REPLY, NULL) != NULL, reply);
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_int_equal(r != NULL, !reply);
	if (r) {
		assert_int_equal(r[1], ICMP6_PP_HEADER);
		assert_int_equal(get_be32(r + 4), 42);
	}
	host_fini(&h);
}

static void test_rh0(void **state)
{
	check_rh(0, 1, false);   /* RFC 5095 */
	check_rh(0, 0, true);
	check_rh(253, 1, false);
}

static void test_unknown_next_header(void **state)
{
	struct host h;
	uint8_t b[16] = { 0 };
	const uint8_t *r;

	host_init(&h);
	inject(&h, &a_peer, &a_us, 200, 64, b, sizeof(b));
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(r);
	assert_int_equal(r[1], ICMP6_PP_NEXTHEADER);
	assert_int_equal(get_be32(r + 4), 6);
	cap_clear(&h.cap);
	inject(&h, &a_peer, &a_us, NH_NONE, 64, b, sizeof(b));
	assert_int_equal(h.cap.n, 0);
	assert_int_equal(STAT_GET(h.st, ip6_in_no_next), 1);
	host_fini(&h);
}

static void test_ratelimit(void **state)
{
	struct host h;
	uint8_t b[16] = { 0 };

	host_init(&h);
	for (int i = 0; i < 20; i++)
		inject(&h, &a_peer, &a_us, 200, 64, b, sizeof(b));
	assert_int_equal(count_icmp(&h, ICMP6_PARAM_PROB), 10);
	assert_int_equal(STAT_GET(h.st, icmp6_err_ratelimit), 10);
	usagi_stack_advance(h.st, h.st->now + 100 * NS_PER_MS);
	inject(&h, &a_peer, &a_us, 200, 64, b, sizeof(b));
	inject(&h, &a_peer, &a_us, 200, 64, b, sizeof(b));
	assert_int_equal(count_icmp(&h, ICMP6_PARAM_PROB), 11);
	host_fini(&h);
}

static void test_forward_errors(void **state)
{
	struct host h;
	struct cap c1 = { .n = 0 };
	static uint8_t b[1400];
	const uint8_t *r;

	fwd_setup(&h, &c1);
	size_t len = mk_echo(b, 32, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 1, b, len);
	r = find_icmp(&h, ICMP6_TIME_EXCEEDED, NULL);
	assert_non_null(r);
	assert_int_equal(r[1], ICMP6_TE_HOPLIMIT);
	assert_int_equal(STAT_GET(h.st, ip6_fwd_ok), 0);

	cap_clear(&h.cap);
	len = mk_echo(b, 1300, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	r = find_icmp(&h, ICMP6_PACKET_TOO_BIG, NULL);
	assert_non_null(r);
	assert_int_equal(get_be32(r + 4), 1280);

	cap_clear(&h.cap);
	len = mk_echo(b, 100, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	assert_int_equal(STAT_GET(h.st, ip6_fwd_ok), 1);
	struct in6_addr nowhere = a_far;
	nowhere.s6_addr[2] = 0x99;
	inject(&h, &a_peer, &nowhere, NH_ICMPV6, 64, b, len);
	r = find_icmp(&h, ICMP6_DST_UNREACH, NULL);
	assert_non_null(r);
	assert_int_equal(r[1], ICMP6_DU_NOROUTE);
	host_fini(&h);
}

static void test_not_forwarding_drops(void **state)
{
	struct host h;
	uint8_t b[64];

	host_init(&h);
	size_t len = mk_echo(b, 8, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	assert_int_equal(h.cap.n, 0);
	assert_int_equal(STAT_GET(h.st, ip6_in_not_for_us), 1);
	host_fini(&h);
}

static void test_loopback_echo(void **state)
{
	struct host h;
	struct ip6_tx tx;
	struct pkt *p;
	uint8_t m[64];

	host_init(&h);
	size_t len = mk_echo(m, 8, &a_us, &a_us);
	p = stack_pkt_alloc(h.st, len);
	memcpy(pkt_put(p, len), m, len);
	ip6_tx_init(&tx, &a_us, NH_ICMPV6);
	assert_int_equal(icmp6_send(h.st, p, &tx), 0);
	usagi_stack_advance(h.st, h.st->now);
	assert_int_equal(STAT_GET(h.st, icmp6_in_echo), 1);
	assert_int_equal(STAT_GET(h.st, icmp6_in_echo_reply), 1);
	assert_int_equal(h.cap.n, 0);
	host_fini(&h);
}

/* Sends an Echo Request from a_us to @dst through ip6_output. */
static void send_echo(struct host *h, const struct in6_addr *dst)
{
	struct ip6_tx tx;
	struct pkt *p;
	uint8_t m[64];
	size_t len = mk_echo(m, 8, &a_us, dst);

	p = stack_pkt_alloc(h->st, len);
	memcpy(pkt_put(p, len), m, len);
	ip6_tx_init(&tx, dst, NH_ICMPV6);
	tx.src = a_us;
	assert_int_equal(icmp6_send(h->st, p, &tx), 0);
}

/*
 * RFC 4862 5.4: an address still tentative here, or lost in DAD, is not
 * ours: packets to it go out on the link (to the node that owns it), not
 * onto the loopback queue where ip6_input would drop them.
 */
static void test_output_to_unusable_address(void **state)
{
	struct host h;
	struct inet6_ifaddr *ifa;

	host_init(&h);
	assert_int_equal(addrconf_add(h.dev, &a_peer, 64, 0, UINT32_MAX, UINT32_MAX), 0);
	ifa = addrconf_lookup_dev(h.dev, &a_peer);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	cap_clear(&h.cap);
	send_echo(&h, &a_peer);
	assert_int_equal(STAT_GET(h.st, ip6_loop_tx), 0);
	assert_non_null(find_icmp(&h, ICMP6_ECHO_REQUEST, NULL));
	assert_memory_equal(h.cap.f[h.cap.n - 1]->data, mac_peer, 6);
	addrconf_dad_conflict(h.dev, ifa);
	assert_true(ifa->flags & IFA_F_DADFAILED);
	cap_clear(&h.cap);
	send_echo(&h, &a_peer);
	usagi_stack_advance(h.st, h.st->now);
	assert_int_equal(STAT_GET(h.st, ip6_loop_tx), 0);
	assert_int_equal(STAT_GET(h.st, ip6_in_not_for_us), 0);
	assert_non_null(find_icmp(&h, ICMP6_ECHO_REQUEST, NULL));
	assert_memory_equal(h.cap.f[h.cap.n - 1]->data, mac_peer, 6);
	host_fini(&h);
}

/* A router forwards to an address it lost in DAD (it is the defender's), never to a tentative one. */
static void test_forward_to_lost_address(void **state)
{
	struct host h;
	struct cap c1 = { .n = 0 };
	struct inet6_ifaddr *ifa;
	struct netdev *d1;
	uint8_t b[64];
	size_t len;

	d1 = fwd_setup(&h, &c1);
	assert_int_equal(addrconf_add(d1, &a_far, 64, 0, UINT32_MAX, UINT32_MAX), 0);
	ifa = addrconf_lookup_dev(d1, &a_far);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	len = mk_echo(b, 8, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	assert_int_equal(STAT_GET(h.st, ip6_in_not_for_us), 1);
	assert_int_equal(STAT_GET(h.st, ip6_fwd_ok), 0);
	addrconf_dad_conflict(d1, ifa);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	assert_int_equal(STAT_GET(h.st, ip6_in_not_for_us), 1);
	assert_int_equal(STAT_GET(h.st, ip6_fwd_ok), 1);
	assert_int_equal(STAT_GET(h.st, icmp6_in_echo), 0);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_reply),
		cmocka_unit_test(test_bad_csum_dropped),
		cmocka_unit_test(test_hbh_not_first),
		cmocka_unit_test(test_option_actions),
		cmocka_unit_test(test_rh0),
		cmocka_unit_test(test_unknown_next_header),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_forward_errors),
		cmocka_unit_test(test_not_forwarding_drops),
		cmocka_unit_test(test_loopback_echo),
		cmocka_unit_test(test_output_to_unusable_address),
		cmocka_unit_test(test_forward_to_lost_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
