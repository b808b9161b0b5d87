/* ICMP for IPv4 (RFC 792, 1122 3.2.2, 1191): echo, broadcast echo, errors' PMTU, rate limit. */
#include "ip4_harness.h"

static void test_echo_reply(void **state)
{
	struct host h;
	uint8_t m[64], data[24];
	struct f4 f = { .proto = IPPROTO_ICMP, .body = m };
	const uint8_t *ip;

	(void)state;
	host4_init(&h);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	f.len = mk_icmp4(m, ICMP4_ECHO, 0, 0x12340001, data, sizeof(data));
	inject4(&h, &f);
	ip = icmp4_nth(&h, ICMP4_ECHO_REPLY, 0);   /* both checksums verified */
	assert_non_null(ip);
	assert_int_equal(ip4_get(ip + 12), IP(US4));
	assert_int_equal(ip4_get(ip + 16), IP(PEER4));
	assert_int_equal(get_be32(ip + 24), 0x12340001);
	assert_memory_equal(ip + 28, data, sizeof(data));
	/* Bad checksum: counted, no reply. */
	cap_clear(&h.cap);
	m[8] ^= 0xff;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, icmp4_in_bad_csum), 1);
	assert_null(ip4_nth(&h, 0, 0, NULL));
	host_fini(&h);
}

static void test_broadcast_echo_ignored(void **state)
{
	struct host h;
	uint8_t m[16];
	struct f4 f = { .proto = IPPROTO_ICMP, .body = m, .dst = IP("192.0.2.255") };

	(void)state;
	host4_init(&h);
	f.len = mk_icmp4(m, ICMP4_ECHO, 0, 1, NULL, 0);
	inject4(&h, &f);
	f.dst = 0xffffffffu;
	f.l2_bcast = true;
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, icmp4_in_echo_bcast), 2);
	assert_null(ip4_nth(&h, 0, 0, NULL));
	host_fini(&h);
}

static void test_frag_needed_lowers_pmtu(void **state)
{
	struct host h;
	uint8_t m[64], q[28] = { 0x45, 0, 0x05, 0xdc, 0, 0, 0x40, 0, 64, 17 };
	struct f4 f = { .proto = IPPROTO_ICMP, .body = m, .src = 0 };
	uint32_t far = IP("203.0.113.5");

	(void)state;
	host4_init(&h);
	ip4_put(q + 12, IP(US4));
	ip4_put(q + 16, far);
	f.src = IP("192.0.2.254");
	f.len = mk_icmp4(m, ICMP4_DST_UNREACH, ICMP4_DU_FRAG_NEEDED, 1400, q, sizeof(q));
	inject4(&h, &f);
	assert_int_equal(STAT_GET(h.st, icmp4_in_frag_needed), 1);
	assert_int_equal(pmtu4_get(h.st, far, h.dev), 1400);
	/* MTU 0 from an old router: the plateau below the quoted 1500 (RFC 1191 7). */
	f.len = mk_icmp4(m, ICMP4_DST_UNREACH, ICMP4_DU_FRAG_NEEDED, 0, q, sizeof(q));
	ip4_put(m + 8 + 16, IP("203.0.113.6"));
	put_be16(m + 2, 0);
	put_be16(m + 2, csum_fold(csum_partial(m, f.len, 0)));
	inject4(&h, &f);
	assert_int_equal(pmtu4_get(h.st, IP("203.0.113.6"), h.dev), 1492);
	/* Forgotten after 10 minutes. */
	run_ms(&h, 601 * 1000);
	assert_int_equal(pmtu4_get(h.st, far, h.dev), 1500);
	host_fini(&h);
}

static void test_error_rate_limit(void **state)
{
	struct host h;
	uint8_t body[8] = { 0 };
	struct f4 f = { .proto = 253, .body = body, .len = 8 };

	(void)state;
	host4_init(&h);
	for (int i = 0; i < 20; i++)
		inject4(&h, &f);
	assert_int_equal(icmp4_count(&h, ICMP4_DST_UNREACH), 10);
	assert_int_equal(STAT_GET(h.st, icmp4_err_ratelimit), 10);
	run_ms(&h, 100);
	inject4(&h, &f);
	assert_int_equal(icmp4_count(&h, ICMP4_DST_UNREACH), 11);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_reply),
		cmocka_unit_test(test_broadcast_echo_ignored),
		cmocka_unit_test(test_frag_needed_lowers_pmtu),
		cmocka_unit_test(test_error_rate_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
