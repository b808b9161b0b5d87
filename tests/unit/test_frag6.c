/* Reassembly (RFC 8200 4.5, 5722, 6946, 7112), its timeout, and output fragmentation. */
#include "ip6_harness.h"
#include "ipv6/frag6.h"

static uint8_t msg[1100];
static size_t msg_len;

/* Sends bytes [off, off+n) of msg as a fragment with identification @id. */
static void send_frag(struct host *h, uint32_t id, size_t off, size_t n, bool more)
{
	uint8_t b[1200] = { NH_ICMPV6, 0 };

	put_be16(b + 2, (uint16_t)(off | (more ? 1 : 0)));
	put_be32(b + 4, id);
	memcpy(b + 8, msg + off, n);
	inject(h, &a_peer, &a_us, NH_FRAGMENT, 64, b, 8 + n);
}

static void setup_msg(void)
{
	msg_len = mk_echo(msg, 1000, &a_peer, &a_us);   /* 1008 bytes */
}

static void test_in_order(void **state)
{
	struct host h;
	const uint8_t *r;

	host_init(&h);
	setup_msg();
	send_frag(&h, 1, 0, 512, true);
	assert_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	send_frag(&h, 1, 512, msg_len - 512, false);
	r = find_icmp(&h, ICMP6_ECHO_REPLY, NULL);
	assert_non_null(r);
	assert_memory_equal(r + 4, msg + 4, msg_len - 4);
	assert_int_equal(STAT_GET(h.st, frag6_ok), 1);
	assert_int_equal(frag6_queue_count(h.st), 0);
	assert_int_equal(frag6_mem(h.st), 0);
	host_fini(&h);
}

static void test_reversed_and_dup(void **state)
{
	struct host h;

	host_init(&h);
	setup_msg();
	send_frag(&h, 2, 1000, msg_len - 1000, false);
	send_frag(&h, 2, 504, 496, true);
	send_frag(&h, 2, 504, 496, true);   /* exact duplicate: dropped alone */
	send_frag(&h, 2, 0, 504, true);
	assert_non_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_int_equal(STAT_GET(h.st, frag6_dup), 1);
	host_fini(&h);
}

static void test_overlap(void **state)
{
	struct host h;

	host_init(&h);
	setup_msg();
	send_frag(&h, 3, 0, 512, true);
	send_frag(&h, 3, 504, msg_len - 504, false);   /* overlaps by 8 */
	assert_int_equal(STAT_GET(h.st, frag6_overlap), 1);
	send_frag(&h, 3, 512, msg_len - 512, false);   /* would complete it */
	assert_int_equal(STAT_GET(h.st, frag6_dead), 1);
	assert_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_int_equal(frag6_mem(h.st), 0);
	host_fini(&h);
}

static void test_atomic(void **state)
{
	struct host h;

	host_init(&h);
	setup_msg();
	send_frag(&h, 4, 0, msg_len, false);
	assert_non_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_int_equal(STAT_GET(h.st, frag6_atomic), 1);
	assert_int_equal(frag6_queue_count(h.st), 0);
	host_fini(&h);
}

static void test_tiny_first(void **state)
{
	struct host h;
	uint8_t b[64] = { NH_DSTOPTS, 0, 0, 1, 0, 0, 0, 9,
			  NH_ICMPV6, 1, OPT6_PADN, 4, 0, 0, 0, 0 };   /* DstOpts of 16, cut at 8 */
	const uint8_t *r;

	host_init(&h);
	inject(&h, &a_peer, &a_us, NH_FRAGMENT, 64, b, 16);
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(r);
	assert_int_equal(r[1], ICMP6_PP_FIRSTFRAG);
	assert_int_equal(get_be32(r + 4), 0);
	host_fini(&h);
}

static void test_bad_lengths(void **state)
{
	struct host h;
	const uint8_t *r;

	host_init(&h);
	setup_msg();
	send_frag(&h, 5, 0, 500, true);   /* not a multiple of 8 */
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(r);
	assert_int_equal(r[1], ICMP6_PP_HEADER);
	assert_int_equal(get_be32(r + 4), 4);
	cap_clear(&h.cap);
	uint8_t b[24] = { NH_ICMPV6, 0, 0xff, 0xf8, 0, 0, 0, 5 };   /* 65528 + 16 ends past 65535 */
	inject(&h, &a_peer, &a_us, NH_FRAGMENT, 64, b, sizeof(b));
	r = find_icmp(&h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(r);
	assert_int_equal(get_be32(r + 4), 42);
	host_fini(&h);
}

static void test_timeout(void **state)
{
	struct host h;
	const uint8_t *r;

	host_init(&h);
	setup_msg();
	send_frag(&h, 6, 0, 512, true);
	send_frag(&h, 7, 512, 256, true);   /* no first fragment: silent */
	assert_int_equal(frag6_queue_count(h.st), 2);
	usagi_stack_advance(h.st, h.st->now + 61 * NS_PER_SEC);
	assert_int_equal(count_icmp(&h, ICMP6_TIME_EXCEEDED), 1);
	r = find_icmp(&h, ICMP6_TIME_EXCEEDED, NULL);
	assert_int_equal(r[1], ICMP6_TE_REASSEMBLY);
	assert_int_equal(frag6_queue_count(h.st), 0);
	assert_int_equal(STAT_GET(h.st, frag6_timeout), 2);
	host_fini(&h);
}

static void test_output_fragmentation(void **state)
{
	struct host h;
	struct ip6_tx tx;
	struct pkt *p;
	static uint8_t data[3000], re[3000];
	size_t total = 0;
	uint32_t id = 0;

	host_init(&h);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	p = pkt_alloc(h.st->pool, PKT_HEADROOM, sizeof(data));
	memcpy(pkt_put(p, sizeof(data)), data, sizeof(data));
	ip6_tx_init(&tx, &a_peer, NH_UDP);
	assert_int_equal(ip6_output(h.st, p, &tx), 0);
	assert_int_equal(h.cap.n, 3);
	for (int i = 0; i < 3; i++) {
		const uint8_t *ip6 = h.cap.f[i]->data + ETH_HLEN, *fh = ip6 + IPV6_HLEN;
		size_t plen = get_be16(ip6 + 4), n = plen - 8;
		uint16_t om = get_be16(fh + 2);

		assert_int_equal(h.cap.f[i]->len, ETH_HLEN + IPV6_HLEN + plen);
		assert_true(IPV6_HLEN + plen <= 1500);
		assert_int_equal(ip6[6], NH_FRAGMENT);
		assert_int_equal(fh[0], NH_UDP);
		assert_int_equal(om & 1, i < 2);
		assert_int_equal(om & 0xfff8, i * 1448);
		if (i == 0)
			id = get_be32(fh + 4);
		assert_int_equal(get_be32(fh + 4), id);
		memcpy(re + (om & 0xfff8), fh + 8, n);
		total += n;
	}
	assert_int_equal(total, sizeof(data));
	assert_memory_equal(re, data, sizeof(data));
	host_fini(&h);
}

/*
 * A device destroyed while packets that name it wait (a reassembly queue,
 * the loopback queue) must take them along: found by fuzzing `link del`.
 */
static void test_device_destroyed_with_pending(void **state)
{
	struct host h;
	struct ip6_tx tx;
	struct pkt *p;

	host_init(&h);
	setup_msg();
	send_frag(&h, 9, 0, 512, true);
	assert_int_equal(frag6_queue_count(h.st), 1);
	/* A packet to ourselves, queued for loopback delivery through eth0. */
	p = stack_pkt_alloc(h.st, msg_len);
	memcpy(pkt_put(p, msg_len), msg, msg_len);
	ip6_tx_init(&tx, &a_us, NH_ICMPV6);
	assert_int_equal(ip6_output(h.st, p, &tx), 0);
	assert_non_null(h.st->loopback.head);
	netdev_destroy(h.dev);
	assert_null(h.st->loopback.head);
	assert_int_equal(frag6_queue_count(h.st), 0);
	usagi_stack_advance(h.st, h.st->now + 70 * NS_PER_SEC);
	assert_int_equal(pkt_pool_in_use(h.st->pool), 0);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reversed_and_dup),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_tiny_first),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_output_fragmentation),
		cmocka_unit_test(test_device_destroyed_with_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
