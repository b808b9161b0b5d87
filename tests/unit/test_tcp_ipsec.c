/*
 * TCP's MSS under IPsec: xfrm_output_overhead (src/xfrm/xfrm_overhead.c)
 * against hand-computed bundle sizes, and a connection between two hosts
 * (tests/lib/ipsec_lab.h, MTU 1500) under ESP whose full segments fill
 * the link MTU exactly, with no fragment on the wire.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "link/ether.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "l4/sock.h"
#include "l4/tcp.h"
#include "xfrm/policy.h"
#include "xfrm/xfrm_overhead.h"

#define PORT 6001

static struct xfrm_flow tcp_flow(const char *src, const char *dst)
{
	struct xfrm_flow fl = { .sport = 40000, .dport = PORT, .proto = IPPROTO_TCP };
	int fam;

	fl.src = lab_addr(src, &fam);
	fl.dst = lab_addr(dst, &fam);
	fl.family = (uint8_t)fam;
	return fl;
}

/* One outbound policy src -> dst TCP with one template. */
static void policy(struct stack *st, const char *src, const char *dst, uint8_t proto, int mode,
		   const char *ts, const char *td)
{
	struct xfrm_selector sel = lab_sel(src, 128, dst, 128, IPPROTO_TCP);
	struct xfrm_tmpl tm = lab_tmpl(proto, mode, ts, td, XFRM_LEVEL_REQUIRE);

	if (strchr(src, '.'))
		sel = lab_sel(src, 32, dst, 32, IPPROTO_TCP);
	lab_pol(st, &sel, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
}

/*
 * The overhead of each kind of bundle, by hand: ESP header 8, IV (GCM 8,
 * CBC 16), padding to the block (GCM 4: at most 3; CBC 16: at most 15),
 * pad length and next header 2, ICV 16; AH 12 + ICV 16 = 28 (8-aligned: 32
 * for IPv6, 28 for IPv4); a tunnel's outer header 40 or 20.
 */
static void test_overhead_sizes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_flow fl6 = tcp_flow(A6, B6), fl4 = tcp_flow(A4, B4);

	assert_int_equal(xfrm_output_overhead(SA(t), &fl6), 0);          /* no policy */
	policy(SA(t), A6, B6, IPPROTO_ESP, XFRM_MODE_TRANSPORT, NULL, NULL);
	/* The SA is not there yet: the largest ESP could add (IV 16, block 16, ICV 16). */
	assert_int_equal(xfrm_output_overhead(SA(t), &fl6), 57);
	assert_int_equal(STAT_GET(SA(t), xfrm_out_no_state), 0);          /* no ACQUIRE either */
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x501, LAB_GCM);
	assert_int_equal(xfrm_output_overhead(SA(t), &fl6), 8 + 8 + 3 + 2 + 16);
	/* Another flow, no policy of its own. */
	struct xfrm_flow other = tcp_flow(A6, "2001:db8:1::9");
	assert_int_equal(xfrm_output_overhead(SA(t), &other), 0);
	/* IPv4, ESP with AES-CBC + HMAC-SHA-256-128 in an IPv6 tunnel. */
	policy(SA(t), A4, B4, IPPROTO_ESP, XFRM_MODE_TUNNEL, A6, B6);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TUNNEL, A6, B6, 0x502, LAB_CBC_SHA256);
	assert_int_equal(xfrm_output_overhead(SA(t), &fl4), 40 + 8 + 16 + 15 + 2 + 16);
	/* AH transport over IPv6 (ICV padded to 8 octets) for a third peer. */
	policy(SA(t), A6, "2001:db8:1::7", IPPROTO_AH, XFRM_MODE_TRANSPORT, NULL, NULL);
	lab_sa(SA(t), IPPROTO_AH, XFRM_MODE_TRANSPORT, A6, "2001:db8:1::7", 0x503, LAB_CBC_SHA256);
	struct xfrm_flow ah = tcp_flow(A6, "2001:db8:1::7");
	assert_int_equal(xfrm_output_overhead(SA(t), &ah), 32);
}

/* Bytes of the largest IPv6 frame on link @k carrying @proto; *nfrag = frames with a fragment header. */
static size_t largest(struct lab *l, int k, uint8_t proto, unsigned *nfrag)
{
	size_t m = 0;
	const struct lab_frame *f;

	for (unsigned i = 0; (f = lab_find(l, k, proto, i)); i++)
		if (f->len > m)
			m = f->len;
	*nfrag = lab_count(l, k, AF_INET6, 44);
	return m;
}

/*
 * A -> B over ESP transport (AES-GCM) both ways: the SYN announces
 * 1500 - 40 - 20 - 37 = 1403, and a bulk transfer's full segments are
 * ESP packets of exactly the link MTU, never fragmented.
 */
static void test_esp_mss_fills_mtu(void **state)
{
	static char buf[200000], rb[65536];
	struct lab_pair *t = *state;
	struct usock *l = usagi_socket(SB(t), AF_INET6, SOCK_STREAM, 0);
	struct usock *c = usagi_socket(SA(t), AF_INET6, SOCK_STREAM, 0), *s;
	struct sockaddr_in6 sin;
	unsigned nfrag, got = 0;
	size_t big;

	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	policy(SA(t), A6, B6, IPPROTO_ESP, XFRM_MODE_TRANSPORT, NULL, NULL);
	policy(SB(t), B6, A6, IPPROTO_ESP, XFRM_MODE_TRANSPORT, NULL, NULL);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x601, LAB_GCM);
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x601, LAB_GCM);
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, B6, A6, 0x602, LAB_GCM);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, B6, A6, 0x602, LAB_GCM);
	sockaddr_make(&sin, &in6addr_any, PORT, 0);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(l, 4), 0);
	sin.sin6_addr = lab_addr(B6, NULL);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	assert_int_equal(c->tcb->adv_mss, 1500 - 40 - 20 - 37);
	lab_pump(t->l, 1);
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	/* B took A's MSS option (its own path gives the same) and A took B's. */
	assert_int_equal(s->tcb->mss, 1403);
	assert_int_equal(c->tcb->mss, 1403);
	lab_cap_clear(t->l, t->k);
	assert_int_equal(usagi_send(c, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (int i = 0; i < 200 && got < sizeof(buf); i++) {
		ssize_t r;

		lab_pump(t->l, 1);
		while ((r = usagi_recv(s, rb, sizeof(rb), 0)) > 0)
			got += (unsigned)r;
	}
	assert_int_equal(got, sizeof(buf));
	big = largest(t->l, t->k, IPPROTO_ESP, &nfrag);
	print_message("largest ESP frame %zu octets (link MTU 1500 + 14)\n", big);
	/*
	 * A full segment: 40 + ESP header 8 + IV 8 + (TCP 20 + timestamps 12 +
	 * 1391 data + 2, padded to 4: 1428) + ICV 16 = 1500, the MTU exactly.
	 */
	assert_true(big <= ETH_HLEN + 1500);
	assert_true(big >= ETH_HLEN + 1500 - 3);
	assert_int_equal(nfrag, 0);
	assert_int_equal(STAT_GET(SA(t), ip6_out_frag_ok), 0);
	usagi_close(c);
	usagi_close(s);
	usagi_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overhead_sizes, lab_pair_setup, lab_pair_teardown),
		cmocka_unit_test_setup_teardown(test_esp_mss_fills_mtu, lab_pair_setup, lab_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
