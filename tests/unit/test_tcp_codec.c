/*
 * TCP segment codec (l4/tcp_codec.c): options built and parsed back, known
 * byte layouts, unknown options skipped, every malformed input refused and
 * counted, checksums over both pseudo-headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "l4/tcp.h"
#include "core/csum.h"
#include "proto/ip4.h"
#include "proto/ip6.h"

static struct stack *new_stack(void)
{
	struct usagi_stack_config cfg = { .name = "t", .seed = 1 };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	return st;
}

static void test_syn_opts_roundtrip(void **state)
{
	struct tcp_opts o = { .mss_ok = true, .mss = 1440, .ws_ok = true, .wscale = 7,
			      .sack_perm = true, .ts_ok = true, .tsval = 0x01020304, .tsecr = 0 };
	struct tcp_opts r;
	uint8_t b[40];
	size_t n = tcp_build_opts(b, &o, true);

	(void)state;
	assert_int_equal(n, tcp_opts_len(&o, true));
	assert_int_equal(n, 20);   /* MSS 4, SACK-perm 2 + TS 10, NOP + WS 3 */
	assert_int_equal(b[0], TCPOPT_MSS);
	assert_int_equal(tcp_parse_opts(NULL, b, n, &r, true), 0);
	assert_true(r.mss_ok && r.ws_ok && r.sack_perm && r.ts_ok);
	assert_int_equal(r.mss, 1440);
	assert_int_equal(r.wscale, 7);
	assert_int_equal(r.tsval, 0x01020304);
}

static void test_sack_blocks(void **state)
{
	struct tcp_opts o = { .ts_ok = true, .tsval = 5, .tsecr = 6, .nsack = 3,
			      .sack = { { 100, 200 }, { 300, 400 }, { 0xfffffff0u, 16 } } };
	struct tcp_opts r;
	uint8_t b[40];
	size_t n = tcp_build_opts(b, &o, false);

	(void)state;
	assert_int_equal(n, 40);   /* the most a header holds: TS 12 + SACK 28 */
	assert_int_equal(tcp_parse_opts(NULL, b, n, &r, false), 0);
	assert_int_equal(r.nsack, 3);
	assert_int_equal(r.sack[2].left, 0xfffffff0u);
	assert_int_equal(r.sack[2].right, 16);
	assert_int_equal(r.tsecr, 6);
	/* MSS/WS/SACK-permitted outside a SYN are ignored (RFC 9293 3.7.1, RFC 7323 2.2). */
	const uint8_t syn_only[] = { 2, 4, 5, 0xb4, 3, 3, 7, 4, 2, 0 };
	assert_int_equal(tcp_parse_opts(NULL, syn_only, sizeof(syn_only), &r, false), 0);
	assert_false(r.mss_ok || r.ws_ok || r.sack_perm);
}

static void test_unknown_and_eol(void **state)
{
	/* Unknown kind 30 (length 6) skipped; EOL ends parsing even before garbage. */
	const uint8_t b[] = { 30, 6, 1, 2, 3, 4, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0xff, 0xff };
	struct tcp_opts r;

	(void)state;
	assert_int_equal(tcp_parse_opts(NULL, b, sizeof(b), &r, false), 0);
	assert_true(r.ts_ok);
	assert_int_equal(r.tsval, 9);
	/* RFC 7323 2.3: a shift above 14 is taken as 14. */
	const uint8_t ws[] = { 3, 3, 20 };
	assert_int_equal(tcp_parse_opts(NULL, ws, sizeof(ws), &r, true), 0);
	assert_int_equal(r.wscale, 14);
}

static void test_malformed_opts(void **state)
{
	static const struct {
		uint8_t b[12];
		size_t n;
	} bad[] = {
		{ { 2 }, 1 },                     /* kind without length */
		{ { 2, 4, 5 }, 3 },               /* overrun */
		{ { 30, 1 }, 2 },                 /* length below 2 */
		{ { 30, 0 }, 2 },
		{ { 2, 3, 5 }, 3 },               /* MSS of the wrong size */
		{ { 3, 4, 1, 1 }, 4 },            /* WS of the wrong size */
		{ { 8, 8, 0, 0, 0, 0, 0, 0 }, 8 },/* TS of the wrong size */
		{ { 5, 6, 0, 0, 0, 0 }, 6 },      /* SACK without a whole block */
		{ { 5, 11, 0 }, 11 },             /* SACK not 2 + 8n */
		{ { 1, 1, 30, 12 }, 4 },          /* overrun after NOPs */
	};
	struct stack *st = new_stack();
	struct tcp_opts r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(tcp_parse_opts(st, bad[i].b, bad[i].n, &r, true), -EINVAL);
	assert_int_equal(STAT_GET(st, tcp_bad_opt), ARRAY_SIZE(bad));
	usagi_stack_free(st);
}

static struct pkt *seg_pkt(struct stack *st, uint8_t off, size_t len)
{
	uint8_t b[64] = { 0 };
	struct pkt *p;

	b[12] = off;
	p = pkt_from_bytes(st->pool, b, len);
	assert_non_null(p);
	return p;
}

static void test_header_checks(void **state)
{
	struct stack *st = new_stack();
	struct tcp_seg seg;
	struct pkt *p;

	(void)state;
	p = seg_pkt(st, 5 << 4, 19);
	assert_int_equal(tcp_parse(st, p, &seg), -EINVAL);
	assert_int_equal(STAT_GET(st, tcp_truncated), 1);
	pkt_free(p);
	p = seg_pkt(st, 4 << 4, 20);            /* data offset below 5 */
	assert_int_equal(tcp_parse(st, p, &seg), -EINVAL);
	pkt_free(p);
	p = seg_pkt(st, 6 << 4, 22);            /* offset beyond the segment */
	assert_int_equal(tcp_parse(st, p, &seg), -EINVAL);
	assert_int_equal(STAT_GET(st, tcp_bad_off), 2);
	pkt_free(p);
	p = seg_pkt(st, 6 << 4, 30);            /* 4 option octets of zero (EOL) + 6 payload */
	assert_int_equal(tcp_parse(st, p, &seg), 0);
	assert_int_equal(seg.hlen, 24);
	assert_int_equal(seg.len, 6);
	pkt_free(p);
	usagi_stack_free(st);
}

/* A segment built with tcp_push_hdr, checksummed as ip6_output/ip4_output would, verifies. */
static void test_checksums(void **state)
{
	struct stack *st = new_stack();
	struct tcp_seg s = { .sport = 1234, .dport = 80, .seq = 1, .ack = 2, .flags = TCP_F_ACK,
			     .wnd = 100, .o = { .ts_ok = true, .tsval = 7 } };
	struct in6_addr a, b, a4, b4;
	struct pkt *p = stack_pkt_alloc(st, 100);
	uint16_t c;

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &a);
	inet_pton(AF_INET6, "2001:db8::2", &b);
	memcpy(pkt_put(p, 5), "hello", 5);
	assert_int_equal(tcp_push_hdr(p, &s), 0);
	assert_int_equal(p->len, 20 + 12 + 5);
	c = csum_fold(csum_partial(p->data, p->len, csum_ipv6_pseudo(&a, &b, p->len, NH_TCP)));
	put_be16(p->data + TCP_CSUM_OFF, c);
	assert_true(tcp_csum_ok(&a, &b, p));
	assert_false(tcp_csum_ok(&b, &a, p) && tcp_csum_ok(&a, &a, p));
	p->data[p->len - 1] ^= 1;
	assert_false(tcp_csum_ok(&a, &b, p));
	p->data[p->len - 1] ^= 1;
	/* IPv4 pseudo-header (RFC 9293 3.1) for mapped addresses. */
	ip4_to_mapped(&a4, htonl(0xc0000201));
	ip4_to_mapped(&b4, htonl(0xc0000202));
	put_be16(p->data + TCP_CSUM_OFF, 0);
	c = csum_fold(csum_partial(p->data, p->len,
				   ip4_pseudo_csum(htonl(0xc0000201), htonl(0xc0000202), IPPROTO_TCP, p->len)));
	put_be16(p->data + TCP_CSUM_OFF, c);
	assert_true(tcp_csum_ok(&a4, &b4, p));
	assert_false(tcp_csum_ok(&a, &b, p));
	pkt_free(p);
	usagi_stack_free(st);
}

static void test_seq_compare(void **state)
{
	(void)state;
	assert_true(SEQ_LT(0xfffffff0u, 0x10));   /* wraparound */
	assert_true(SEQ_GT(0x10, 0xfffffff0u));
	assert_true(SEQ_LEQ(5, 5) && SEQ_GEQ(5, 5));
	assert_true(SEQ_LT(1, 0x7fffffffu));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_opts_roundtrip),
		cmocka_unit_test(test_sack_blocks),
		cmocka_unit_test(test_unknown_and_eol),
		cmocka_unit_test(test_malformed_opts),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_seq_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
