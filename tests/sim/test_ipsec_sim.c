/*
 * IPsec tunnels between two gateways (tests/lib/ipsec_lab.h):
 *
 *   H1 ---- link 0 ---- G1 ==== link 1 (transit) ==== G2 ---- link 2 ---- H2
 *   LAN1 2001:db8:1::/64      2001:db8:ff::/64              LAN2 2001:db8:2::/64
 *        192.0.2.0/24         198.51.100.0/24                    203.0.113.0/24
 *   H1 ::10 / .10   G1 ::1 / .1 (both links)   G2 ::2 / .2, LAN2 ::1 / .1   H2 ::10 / .10
 *
 * ESP tunnel mode for every nesting of inner and outer family (6in6, 4in6,
 * 6in4, 4in4): UDP both ways, the transit link carrying only ESP of the
 * outer family and never the payload, each gateway decrementing the inner
 * hop limit once; the FWD policy dropping a cleartext packet that should
 * have come through the tunnel; a datagram fragmented before the tunnel and
 * reassembled at the tunnel's end keeping the security path of its first
 * fragment, which the inbound policy then checks. Pools back to baseline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "usagi/socket.h"

enum { H1, G1, G2, H2 };
enum { L1, LT, L2 };

struct fam {
	const char *lan1, *lan2, *h1, *h2, *g2_lan2;
	unsigned plen, hplen;
	int family;
};

static const struct fam F6 = { "2001:db8:1::", "2001:db8:2::", "2001:db8:1::10", "2001:db8:2::10",
			       "2001:db8:2::1", 64, 128, AF_INET6 };
static const struct fam F4 = { "192.0.2.0", "203.0.113.0", "192.0.2.10", "203.0.113.10",
			       "203.0.113.1", 24, 32, AF_INET };
static const char *const g1_out[2] = { "198.51.100.1", "2001:db8:ff::1" };  /* [outer is v6] */
static const char *const g2_out[2] = { "198.51.100.2", "2001:db8:ff::2" };

struct t {
	struct lab *l;
	unsigned base[4];
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct lab *l = t->l = lab_new();

	lab_node(l, "H1");
	lab_node(l, "G1");
	lab_node(l, "G2");
	lab_node(l, "H2");
	lab_connect(l, H1, "eth0", G1, "eth0");
	lab_connect(l, G1, "eth1", G2, "eth1");
	lab_connect(l, G2, "eth0", H2, "eth0");
	lab_cmd(l, H1, "addr add 2001:db8:1::10/64 dev eth0 nodad");
	lab_cmd(l, H1, "addr add 192.0.2.10/24 dev eth0 nodad");
	lab_cmd(l, H1, "route add default via 2001:db8:1::1");
	lab_cmd(l, H1, "route add default via 192.0.2.1");
	lab_cmd(l, G1, "addr add 2001:db8:1::1/64 dev eth0 nodad");
	lab_cmd(l, G1, "addr add 192.0.2.1/24 dev eth0 nodad");
	lab_cmd(l, G1, "addr add 2001:db8:ff::1/64 dev eth1 nodad");
	lab_cmd(l, G1, "addr add 198.51.100.1/24 dev eth1 nodad");
	lab_cmd(l, G1, "route add 2001:db8:2::/64 via 2001:db8:ff::2");
	lab_cmd(l, G1, "route add 203.0.113.0/24 via 198.51.100.2");
	lab_cmd(l, G2, "addr add 2001:db8:2::1/64 dev eth0 nodad");
	lab_cmd(l, G2, "addr add 203.0.113.1/24 dev eth0 nodad");
	lab_cmd(l, G2, "addr add 2001:db8:ff::2/64 dev eth1 nodad");
	lab_cmd(l, G2, "addr add 198.51.100.2/24 dev eth1 nodad");
	lab_cmd(l, G2, "route add 2001:db8:1::/64 via 2001:db8:ff::1");
	lab_cmd(l, G2, "route add 192.0.2.0/24 via 198.51.100.1");
	lab_cmd(l, H2, "addr add 2001:db8:2::10/64 dev eth0 nodad");
	lab_cmd(l, H2, "addr add 203.0.113.10/24 dev eth0 nodad");
	lab_cmd(l, H2, "route add default via 2001:db8:2::1");
	lab_cmd(l, H2, "route add default via 203.0.113.1");
	for (int g = G1; g <= G2; g++) {
		lab_cmd(l, g, "sysctl net.ipv6.conf.all.forwarding=1");
		lab_cmd(l, g, "sysctl net.ipv4.ip_forward=1");
	}
	lab_pump(l, 10);
	for (int i = 0; i < 4; i++)
		t->base[i] = pkt_pool_in_use(lab_st(l, i)->pool);
	for (int k = L1; k <= L2; k++)
		lab_cap_clear(l, k);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	lab_free(t->l);
	free(t);
	return 0;
}

static void check_pools(struct t *t)
{
	lab_pump(t->l, 10);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pkt_pool_in_use(lab_st(t->l, i)->pool), t->base[i]);
}

static socklen_t mkaddr(struct sockaddr_storage *ss, int fam, const char *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr ? addr : "::", &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr ? addr : "0.0.0.0", &s4->sin_addr), 1);
	return sizeof(*s4);
}

static struct usock *udp_bound(struct stack *st, int fam, uint16_t port)
{
	struct usock *s = usagi_socket(st, fam, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(&ss, fam, NULL, port);

	assert_non_null(s);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&ss, sl), 0);
	return s;
}

static ssize_t send_to(struct usock *s, int fam, const char *dst, uint16_t port, const void *buf,
		       size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(&ss, fam, dst, port);

	return usagi_sendto(s, buf, len, 0, (struct sockaddr *)&ss, sl);
}

/*
 * Tunnel SAs on both gateways and their policies for LAN1 <-> LAN2 of @f:
 * OUT towards the other LAN, FWD (and IN, for the gateway's own LAN
 * address) from it. @out6: the outer family. Returns G1's outbound SA.
 */
static struct xfrm_state *tunnel(struct t *t, const struct fam *f, bool out6, bool g2_out_policy)
{
	struct lab *l = t->l;
	const char *g1 = g1_out[out6], *g2 = g2_out[out6];
	struct xfrm_selector s12 = lab_sel(f->lan1, f->plen, f->lan2, f->plen, XFRM_PROTO_ANY);
	struct xfrm_selector s21 = lab_sel(f->lan2, f->plen, f->lan1, f->plen, XFRM_PROTO_ANY);
	struct xfrm_tmpl t12 = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, g1, g2, XFRM_LEVEL_REQUIRE);
	struct xfrm_tmpl t21 = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, g2, g1, XFRM_LEVEL_REQUIRE);
	struct xfrm_state *x;

	x = lab_sa(lab_st(l, G1), IPPROTO_ESP, XFRM_MODE_TUNNEL, g1, g2, 0x5001, LAB_GCM);
	lab_sa(lab_st(l, G1), IPPROTO_ESP, XFRM_MODE_TUNNEL, g2, g1, 0x5002, LAB_GCM);
	lab_sa(lab_st(l, G2), IPPROTO_ESP, XFRM_MODE_TUNNEL, g1, g2, 0x5001, LAB_GCM);
	lab_sa(lab_st(l, G2), IPPROTO_ESP, XFRM_MODE_TUNNEL, g2, g1, 0x5002, LAB_GCM);
	lab_pol(lab_st(l, G1), &s12, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &t12);
	lab_pol(lab_st(l, G1), &s21, XFRM_DIR_FWD, XFRM_ACT_IPSEC, 1, &t21);
	lab_pol(lab_st(l, G1), &s21, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &t21);
	if (g2_out_policy)
		lab_pol(lab_st(l, G2), &s21, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &t21);
	lab_pol(lab_st(l, G2), &s12, XFRM_DIR_FWD, XFRM_ACT_IPSEC, 1, &t12);
	lab_pol(lab_st(l, G2), &s12, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &t12);
	return x;
}

static void nesting(struct t *t, const struct fam *f, bool out6)
{
	struct lab *l = t->l;
	int ofam = out6 ? AF_INET6 : AF_INET;
	struct usock *s1 = udp_bound(lab_st(l, H1), f->family, 7001);
	struct usock *s2 = udp_bound(lab_st(l, H2), f->family, 7000);
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct usagi_rxinfo ri;
	struct xfrm_state *x = tunnel(t, f, out6, true);
	char buf[64];

	assert_int_equal(send_to(s1, f->family, f->h2, 7000, "gw-secret-12", 12), 12);
	lab_pump(l, 1);
	assert_int_equal(usagi_recvmsg(s2, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl, &ri), 12);
	assert_memory_equal(buf, "gw-secret-12", 12);
	/* Each gateway forwarded the inner packet once: 64 - 2. */
	assert_int_equal(ri.hop_limit, 62);
	assert_int_equal(send_to(s2, f->family, f->h1, 7001, "gw-secret-21", 12), 12);
	lab_pump(l, 1);
	assert_int_equal(usagi_recvfrom(s1, buf, sizeof(buf), 0, NULL, NULL), 12);
	assert_memory_equal(buf, "gw-secret-21", 12);

	/* The LANs carry the datagrams in clear; the transit link only ESP of the outer family. */
	assert_int_equal(lab_count(l, L1, f->family, IPPROTO_UDP), 2);
	assert_int_equal(lab_count(l, L2, f->family, IPPROTO_UDP), 2);
	assert_int_equal(lab_count(l, LT, ofam, IPPROTO_ESP), 2);
	assert_int_equal(lab_count(l, LT, 0, IPPROTO_UDP), 0);
	assert_false(lab_wire_has(l, LT, "gw-secret", 9));
	assert_int_equal(x->cur.packets, 1);
	assert_int_equal(STAT_GET(lab_st(l, G1), xfrm_out_ok), 1);
	assert_int_equal(STAT_GET(lab_st(l, G1), xfrm_in_ok), 1);
	assert_int_equal(STAT_GET(lab_st(l, G2), xfrm_in_ok), 1);
	assert_int_equal(STAT_GET(lab_st(l, G2), xfrm_out_ok), 1);
	usagi_close(s1);
	usagi_close(s2);
	check_pools(t);
	assert_int_equal(x->refcnt, 1);
}

static void test_6in6(void **state) { nesting(*state, &F6, true); }
static void test_4in6(void **state) { nesting(*state, &F4, true); }
static void test_6in4(void **state) { nesting(*state, &F6, false); }
static void test_4in4(void **state) { nesting(*state, &F4, false); }

/* G2 lacks its OUT policy: H2's reply crosses the transit link in clear; G1's FWD policy drops it. */
static void fwd_policy(struct t *t, const struct fam *f)
{
	struct lab *l = t->l;
	struct usock *s1 = udp_bound(lab_st(l, H1), f->family, 7001);
	struct usock *s2 = udp_bound(lab_st(l, H2), f->family, 7000);

	tunnel(t, f, true, false);
	assert_int_equal(send_to(s2, f->family, f->h1, 7001, "clear-21", 8), 8);
	lab_pump(l, 1);
	assert_int_equal(lab_count(l, LT, f->family, IPPROTO_UDP), 1);
	assert_int_equal(usagi_sock_pending(s1), 0);
	assert_int_equal(STAT_GET(lab_st(l, G1), xfrm_fwd_nomatch), 1);
	assert_int_equal(lab_count(l, L1, 0, IPPROTO_UDP), 0);
	/* The tunnelled direction still works. */
	assert_int_equal(send_to(s1, f->family, f->h2, 7000, "tunnel-12", 9), 9);
	lab_pump(l, 1);
	assert_int_equal(usagi_sock_pending(s2), 1);
	usagi_close(s1);
	usagi_close(s2);
	check_pools(t);
}

static void test_fwd_policy6(void **state) { fwd_policy(*state, &F6); }
static void test_fwd_policy4(void **state) { fwd_policy(*state, &F4); }

/*
 * H1 sends 3000 bytes to G2's own LAN2 address: H1 fragments, G1 tunnels
 * each fragment, G2 decapsulates each and reassembles the datagram, which
 * keeps the first fragment's security path; G2's IN policy requires the
 * tunnel, so delivery proves the path survived reassembly.
 */
static void reasm_sp(struct t *t, const struct fam *f, bool out6)
{
	struct lab *l = t->l;
	struct stack *g2 = lab_st(l, G2);
	struct usock *s1 = usagi_socket(lab_st(l, H1), f->family, SOCK_DGRAM, 0);
	struct usock *s2 = udp_bound(g2, f->family, 7000);
	static char big[3000], buf[4000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('A' + i % 26);
	tunnel(t, f, out6, true);
	/* Neighbours resolved first: a queue of 3 per entry would drop the first burst. */
	assert_int_equal(send_to(s1, f->family, f->g2_lan2, 7000, "warm", 4), 4);
	lab_pump(l, 1);
	assert_int_equal(usagi_recvfrom(s2, buf, sizeof(buf), 0, NULL, NULL), 4);
	/* RFC 2473 7.1: 1400 octets of IPv6 do not fit the tunnel: a Packet Too Big teaches H1. */
	if (f->family == AF_INET6) {
		assert_int_equal(send_to(s1, f->family, f->g2_lan2, 7000, big, 1400), 1400);
		lab_pump(l, 1);
		assert_true(lab_empty(s2));
		assert_int_equal(STAT_GET(lab_st(l, G1), tnl_ptb6_remote), 1);
	}
	assert_int_equal(send_to(s1, f->family, f->g2_lan2, 7000, big, sizeof(big)), (ssize_t)sizeof(big));
	lab_pump(l, 1);
	assert_int_equal(usagi_recvfrom(s2, buf, sizeof(buf), 0, NULL, NULL), (ssize_t)sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(STAT_GET(g2, xfrm_in_ok), 1 + 3);
	/* The inner datagram, and outer packets that grew past the MTU, were reassembled. */
	if (f->family == AF_INET6)
		assert_true(STAT_GET(g2, frag6_ok) >= 1);
	else
		assert_true(STAT_GET(g2, frag4_ok) >= 1);
	assert_int_equal(STAT_GET(g2, xfrm_spd_in_nomatch), 0);
	assert_false(lab_wire_has(l, LT, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26));
	usagi_close(s1);
	usagi_close(s2);
	check_pools(t);
}

static void test_reasm_sp6(void **state) { reasm_sp(*state, &F6, true); }
static void test_reasm_sp4(void **state) { reasm_sp(*state, &F4, false); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_6in6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4in6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_6in4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4in4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_policy6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_policy4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasm_sp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasm_sp4, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
