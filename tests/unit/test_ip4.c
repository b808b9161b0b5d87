/*
 * IPv4 input/output/forwarding (RFC 791, 1122, 1812): echo, counted drops
 * of malformed headers and options, unknown protocol, output
 * fragmentation, forwarding errors.
 */
#include "ip4_harness.h"

static void test_bad_headers_counted(void **state)
{
	struct host h;
	uint8_t body[16] = { 0 };
	struct f4 f = { .proto = 253, .body = body, .len = sizeof(body) };
	struct pkt *p;

	(void)state;
	host4_init(&h);
	f.bad_csum = true;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_bad_csum), 1);
	f.bad_csum = false;
	f.tot_adj = 1;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_truncated), 1);
	f.tot_adj = -(int)(IPV4_HLEN + sizeof(body)) + 8;   /* total < header */
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_bad_ihl), 1);
	f.tot_adj = 0;
	p = mk4(&h, &f);
	p->data[ETH_HLEN] = 0x44;                           /* IHL 4 */
	netdev_rx(h.dev, p);
	assert_int_equal(STAT_GET(h.st, ip4_in_bad_ihl), 2);
	p = mk4(&h, &f);
	p->data[ETH_HLEN] = 0x65;                           /* version 6 */
	netdev_rx(h.dev, p);
	assert_int_equal(STAT_GET(h.st, ip4_in_bad_version), 1);
	f.src = IP("224.0.0.5");
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_bad_src), 1);
	assert_null(ip4_nth(&h, 0, 0, NULL));
	/* Link padding past the total length is trimmed, not an error. */
	f.src = 0;
	f.tot_adj = -4;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_unknown_proto), 1);
	host_fini(&h);
}

static void test_option_overrun_param_problem(void **state)
{
	struct host h;
	uint8_t body[8] = { 0 };
	const uint8_t rr_over[4] = { IPOPT_RR, 10, 4, 0 };   /* length past the header */
	const uint8_t ok[8] = { IPOPT_NOP, IPOPT_RA, 4, 0, 0, IPOPT_END };
	const uint8_t lsrr[8] = { IPOPT_LSRR, 7, 4, 198, 51, 100, 1, IPOPT_END };
	struct f4 f = { .proto = 253, .body = body, .len = 8, .opts = rr_over, .optlen = 4 };
	const uint8_t *ip;

	(void)state;
	host4_init(&h);
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_bad_opts), 1);
	ip = icmp4_nth(&h, ICMP4_PARAM_PROB, 0);
	assert_non_null(ip);
	assert_int_equal(ip[24], IPV4_HLEN + 1);             /* pointer at the length octet */
	assert_int_equal(ip4_get(ip + 16), IP(PEER4));
	cap_clear(&h.cap);
	f.opts = lsrr;
	f.optlen = 8;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_srcroute), 1);
	assert_null(ip4_nth(&h, 0, 0, NULL));
	f.opts = ok;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_in_unknown_proto), 1);   /* options passed */
	host_fini(&h);
}

static void test_unknown_proto_unreachable(void **state)
{
	struct host h;
	uint8_t body[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct f4 f = { .proto = 253, .body = body, .len = 8 };
	const uint8_t *ip;

	(void)state;
	host4_init(&h);
	inject4(&h, &f);
	ip = icmp4_nth(&h, ICMP4_DST_UNREACH, 0);
	assert_non_null(ip);
	assert_int_equal(ip[21], ICMP4_DU_PROTO);
	assert_int_equal(ip4_get(ip + 12), IP(US4));
	assert_memory_equal(ip + 28 + IPV4_HLEN, body, 8);    /* header + 8 octets quoted */
	/* Not to a broadcast. */
	cap_clear(&h.cap);
	f.dst = IP("192.0.2.255");
	inject4(&h, &f);
	assert_null(ip4_nth(&h, 0, 0, NULL));
	assert_int_equal(STAT_GET(h.st, icmp4_err_bcast_dst), 1);
	host_fini(&h);
}

static void test_output_fragments(void **state)
{
	struct host h;
	static uint8_t payload[4000], re[4000];
	struct ip4_tx tx;
	struct pkt *p;
	const uint8_t *ip;
	size_t len, got = 0;
	int i;

	(void)state;
	host4_init(&h);
	for (i = 0; i < (int)sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	p = pkt_alloc(h.st->pool, PKT_HEADROOM, sizeof(payload));
	memcpy(pkt_put(p, sizeof(payload)), payload, sizeof(payload));
	ip4_tx_init(&tx, IP(PEER4), 253);
	assert_int_equal(ip4_output(h.st, p, &tx), 0);
	for (i = 0; (ip = ip4_nth(&h, 253, i, &len)); i++) {
		uint16_t fo = get_be16(ip + 6);
		size_t n = get_be16(ip + 2) - IPV4_HLEN, off = (size_t)(fo & IP4_OFFMASK) * 8;

		assert_true(get_be16(ip + 2) <= 1500);
		assert_int_equal(csum_fold(csum_partial(ip, IPV4_HLEN, 0)), 0);
		assert_int_equal(!!(fo & IP4_MF), i < 2);
		if (i < 2)
			assert_int_equal(n % 8, 0);
		memcpy(re + off, ip + IPV4_HLEN, n);
		got += n;
	}
	assert_int_equal(i, 3);
	assert_int_equal(got, sizeof(payload));
	assert_memory_equal(re, payload, sizeof(payload));
	/* With DF the sender hears EMSGSIZE. */
	p = pkt_alloc(h.st->pool, PKT_HEADROOM, sizeof(payload));
	pkt_put(p, sizeof(payload));
	tx.df = true;
	assert_int_equal(ip4_output(h.st, p, &tx), -EMSGSIZE);
	host_fini(&h);
}

/* A router: eth0 192.0.2.1/24 (peer .2), eth1 198.51.100.254/24 with MTU 1280. */
static struct cap cap1;
static struct netdev *router_init(struct host *h)
{
	static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 1, 1 };
	struct netdev *d1;

	host4_init(h);
	memset(&cap1, 0, sizeof(cap1));
	d1 = netdev_create(h->st, "eth1", &cap_ops, &cap1, mac1);
	assert_non_null(d1);
	netdev_set_up(d1, true);
	assert_int_equal(netdev_set_mtu(d1, 1280), 0);
	assert_int_equal(inet4_add(d1, IP("198.51.100.254"), 24, IFA4_F_NODAD), 0);
	h->st->ip4.ip_forward = 1;
	run_ms(h, 10);
	cap_clear(&h->cap);
	return d1;
}

static void test_forward_errors(void **state)
{
	struct host h;
	static uint8_t body[1400];
	struct f4 f = { .proto = 253, .body = body, .len = 100, .dst = 0 };
	const uint8_t *ip;

	(void)state;
	router_init(&h);
	f.dst = IP("203.0.113.9");                           /* no route */
	inject4(&h, &f);
	ip = icmp4_nth(&h, ICMP4_DST_UNREACH, 0);
	assert_non_null(ip);
	assert_int_equal(ip[21], ICMP4_DU_NET);
	assert_int_equal(STAT_GET(h.st, ip4_fwd_no_route), 1);
	run_ms(&h, 1000);
	cap_clear(&h.cap);
	f.dst = IP("198.51.100.7");
	f.ttl = 1;
	inject4(&h, &f);
	ip = icmp4_nth(&h, ICMP4_TIME_EXCEEDED, 0);
	assert_non_null(ip);
	assert_int_equal(ip[21], ICMP4_TE_TTL);
	cap_clear(&h.cap);
	f.ttl = 64;
	f.len = sizeof(body);
	f.frag = IP4_DF;
	inject4(&h, &f);
	ip = icmp4_nth(&h, ICMP4_DST_UNREACH, 0);
	assert_non_null(ip);
	assert_int_equal(ip[21], ICMP4_DU_FRAG_NEEDED);
	assert_int_equal(get_be16(ip + 26), 1280);
	assert_int_equal(STAT_GET(h.st, ip4_fwd_frag_needed), 1);
	/* Link-local never forwarded. */
	f.dst = IP("169.254.1.1");
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_fwd_bad_addr), 1);
	cap_clear(&cap1);
	host_fini(&h);
}

static void test_forward_ttl_and_fragment(void **state)
{
	struct host h;
	static uint8_t body[1400];
	struct f4 f = { .proto = 253, .body = body, .len = sizeof(body), .ttl = 10 };
	struct netdev *d1;
	struct pkt *fr;
	uint8_t *ip;

	(void)state;
	d1 = router_init(&h);
	/* The far neighbour announces itself on eth1. */
	h.dev = d1;
	inject_arp(&h, ARP_REQUEST, mac_other, IP("198.51.100.7"), mac_zero, IP("198.51.100.254"));
	h.dev = netdev_by_name(h.st, "eth0");
	cap_clear(&cap1);
	f.dst = IP("198.51.100.7");
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, ip4_fwd_datagrams), 1);
	assert_int_equal(cap1.n, 2);                          /* 1420 over MTU 1280 */
	fr = cap1.f[0];
	ip = fr->data + ETH_HLEN;
	assert_int_equal(ip[8], 9);
	assert_int_equal(csum_fold(csum_partial(ip, IPV4_HLEN, 0)), 0);
	assert_true(get_be16(ip + 6) & IP4_MF);
	ip = cap1.f[1]->data + ETH_HLEN;
	assert_int_equal(get_be16(ip + 6), (1280 - 20) / 8);
	assert_int_equal(get_be16(ip + 2), IPV4_HLEN + 1400 - 1256);   /* 8-octet chunks */
	cap_clear(&cap1);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_headers_counted),
		cmocka_unit_test(test_option_overrun_param_problem),
		cmocka_unit_test(test_unknown_proto_unreachable),
		cmocka_unit_test(test_output_fragments),
		cmocka_unit_test(test_forward_errors),
		cmocka_unit_test(test_forward_ttl_and_fragment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
