/*
 * IPv4 reassembly (RFC 791 3.2): in order, reversed, overlap (whole
 * datagram dropped, RFC 5722 rule), timeout with Time Exceeded code 1, and
 * the reassembly memory budget shared with IPv6.
 */
#include "ip4_harness.h"
#include "ipv6/frag6.h"

static uint8_t payload[3000];

/* Fragment [@off, @off + @len) of an ICMP echo datagram holding payload[]. */
static void frag(struct host *h, uint16_t id, size_t off, size_t len, bool more)
{
	struct f4 f = { .proto = IPPROTO_ICMP, .id = id, .body = payload + off, .len = len };

	f.frag = (uint16_t)(off / 8 | (more ? IP4_MF : 0));
	inject4(h, &f);
}

static void setup_payload(void)
{
	uint8_t data[sizeof(payload) - 8];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	mk_icmp4(payload, ICMP4_ECHO, 0, 0x00770001, data, sizeof(data));
}

/* The reassembled echo was answered with the whole payload (fragmented back). */
static void assert_echoed(struct host *h)
{
	assert_int_equal(STAT_GET(h->st, icmp4_out_echo_reply), 1);
	assert_non_null(ip4_nth(h, IPPROTO_ICMP, 0, NULL));
}

static void test_in_order_and_reversed(void **state)
{
	struct host h;

	(void)state;
	setup_payload();
	host4_init(&h);
	frag(&h, 1, 0, 1200, true);
	frag(&h, 1, 1200, 1200, true);
	frag(&h, 1, 2400, 600, false);
	assert_int_equal(STAT_GET(h.st, frag4_ok), 1);
	assert_echoed(&h);
	assert_int_equal(frag4_queue_count(h.st), 0);
	assert_int_equal(frag4_mem(h.st), 0);
	cap_clear(&h.cap);
	frag(&h, 2, 2400, 600, false);
	frag(&h, 2, 1200, 1200, true);
	frag(&h, 2, 0, 1200, true);
	assert_int_equal(STAT_GET(h.st, frag4_ok), 2);
	assert_int_equal(STAT_GET(h.st, icmp4_out_echo_reply), 2);
	host_fini(&h);
}

static void test_overlap_drops_datagram(void **state)
{
	struct host h;

	(void)state;
	setup_payload();
	host4_init(&h);
	frag(&h, 3, 0, 1200, true);
	frag(&h, 3, 1192, 1208, true);    /* overlaps the first by 8 */
	frag(&h, 3, 2400, 600, false);
	assert_int_equal(STAT_GET(h.st, frag4_overlap), 1);
	assert_int_equal(STAT_GET(h.st, frag4_dead), 1);
	assert_int_equal(STAT_GET(h.st, frag4_ok), 0);
	assert_int_equal(frag4_mem(h.st), 0);
	/* Non-last fragment not a multiple of 8. */
	frag(&h, 4, 0, 1201, true);
	assert_int_equal(STAT_GET(h.st, frag4_bad_len), 1);
	/* Timed out dead queue sends nothing. */
	run_ms(&h, 31000);
	assert_int_equal(icmp4_count(&h, ICMP4_TIME_EXCEEDED), 0);
	host_fini(&h);
}

static void test_timeout_time_exceeded(void **state)
{
	struct host h;
	const uint8_t *ip;

	(void)state;
	setup_payload();
	host4_init(&h);
	frag(&h, 5, 0, 1200, true);
	frag(&h, 6, 1200, 1200, true);    /* no first fragment: no error */
	run_ms(&h, 29000);
	assert_int_equal(icmp4_count(&h, ICMP4_TIME_EXCEEDED), 0);
	run_ms(&h, 2000);
	assert_int_equal(STAT_GET(h.st, frag4_timeout), 2);
	assert_int_equal(icmp4_count(&h, ICMP4_TIME_EXCEEDED), 1);
	ip = icmp4_nth(&h, ICMP4_TIME_EXCEEDED, 0);
	assert_int_equal(ip[21], ICMP4_TE_REASSEMBLY);
	assert_int_equal(get_be16(ip + 28 + 4), 5);        /* quotes the first fragment */
	assert_int_equal(frag4_queue_count(h.st), 0);
	host_fini(&h);
}

/* An IPv6 fragment (offset 0, M set) of 1200 octets from fe80::2 to our link-local. */
static void frag6_inject(struct host *h, uint32_t id)
{
	size_t n = ETH_HLEN + 40 + 8 + 1200;
	struct pkt *p = pkt_alloc(h->st->pool, PKT_HEADROOM, n);
	uint8_t *d = pkt_put(p, n), *ip6 = d + ETH_HLEN;

	memset(d, 0, n);
	memcpy(d, h->dev->mac, 6);
	memcpy(d + 6, mac_peer, 6);
	put_be16(d + 12, 0x86dd);
	ip6[0] = 0x60;
	put_be16(ip6 + 4, 8 + 1200);
	ip6[6] = 44;
	ip6[7] = 64;
	memcpy(ip6 + 8, &ll_peer, 16);
	memcpy(ip6 + 24, &ll_us, 16);
	ip6[40] = 17;
	put_be16(ip6 + 42, 1);
	put_be32(ip6 + 44, id);
	netdev_rx(h->dev, p);
}

static void test_shared_budget_evicts_ipv4(void **state)
{
	struct host h;

	(void)state;
	setup_payload();
	host4_init(&h);
	h.st->reasm.max = 16 * PKT_BUF_SIZE;
	frag(&h, 7, 0, 1200, true);
	assert_int_equal(frag4_queue_count(h.st), 1);
	for (uint32_t i = 0; i < 40; i++)
		frag6_inject(&h, 100 + i);
	usagi_stack_advance(h.st, h.st->now);
	assert_true(frag6_queue_count(h.st) > 0);
	/* The IPv4 queue was the oldest: evicted for the IPv6 flood, counted as its own. */
	assert_int_equal(frag4_queue_count(h.st), 0);
	assert_int_equal(STAT_GET(h.st, frag4_evict), 1);
	assert_true(STAT_GET(h.st, frag6_evict) > 0);
	assert_true(h.st->reasm.mem <= h.st->reasm.max);
	assert_int_equal(h.st->reasm.mem, frag4_mem(h.st) + frag6_mem(h.st));
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_reversed),
		cmocka_unit_test(test_overlap_drops_datagram),
		cmocka_unit_test(test_timeout_time_exceeded),
		cmocka_unit_test(test_shared_budget_evicts_ipv4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
