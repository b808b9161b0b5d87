/*
 * The tunnel MTU bound that xfrm_output keeps per cached bundle
 * (xfrm_tunnel.c, struct xfrm_tmtu_cache): a tunnel packet that fits is
 * sent without a route or PMTU lookup, and whatever lowers the outer
 * path MTU is seen by the very next packet despite that cache.
 *
 *   A eth0 ---- link 0 ---- eth0 G eth1 ---- link 1 ---- eth0 B
 *   2001:db8:1::10/64         ::1 / 2001:db8:ff::1/64     2001:db8:ff::2/64,
 *                                                         2001:db8:2::1/128
 *
 * G tunnels 2001:db8:1::/64 -> 2001:db8:2::/64 in ESP (AES-GCM) over IPv6
 * to B. A sends 1300-octet datagrams to B's LAN address: 1348 octets
 * inner, some 1420 outer, which fit the 1500 links. What it asserts: the
 * bound is computed once for a run of such packets (tnl_mtu_refresh), and
 * after each of these the next packet is dropped with a Packet Too Big
 * carrying the new tunnel MTU, as without the cache: a Packet Too Big of
 * 1400 received by G for the tunnel's outer destination B, G's eth1 MTU
 * set to 1400, G's IPv6 MTU of eth1 set to 1400 by sysctl, a new link of
 * MTU 1280 at G (the bound covers every link); a raised MTU lets the
 * packets through again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "core/csum.h"
#include "ipv6/pmtu_cache.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "xfrm/xfrm_io_priv.h"

#undef A6
#undef B6
#define A6 "2001:db8:1::10"
#define G_L0 "2001:db8:1::1"
#define G_L1 "2001:db8:ff::1"
#define B6 "2001:db8:ff::2"
#define B_LAN6 "2001:db8:2::1"
#define SIZE 1300

enum { NA, NG, NB };

struct fx {
	struct lab *l;
	int k0, k1;
	struct usock *sa, *sb;
	struct xfrm_state *x;
	uint8_t seed;
};

#define ST(f, n) lab_st((f)->l, (n))

static struct in6_addr ad(const char *s)
{
	int fam;

	return lab_addr(s, &fam);
}

static struct usock *udp_at(struct stack *st, uint16_t port)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_non_null(s);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

static void esp_tunnel(struct fx *f)
{
	struct xfrm_tmpl t = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, G_L1, B6, XFRM_LEVEL_REQUIRE);
	struct xfrm_selector s6 = lab_sel("2001:db8:1::", 64, "2001:db8:2::", 64, XFRM_PROTO_ANY);

	f->x = lab_sa(ST(f, NG), IPPROTO_ESP, XFRM_MODE_TUNNEL, G_L1, B6, 0x7001, LAB_GCM);
	lab_sa(ST(f, NB), IPPROTO_ESP, XFRM_MODE_TUNNEL, G_L1, B6, 0x7001, LAB_GCM);
	lab_pol(ST(f, NG), &s6, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &t);
	lab_pol(ST(f, NB), &s6, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &t);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct lab *l;

	assert_non_null(f);
	l = f->l = lab_new();
	lab_node(l, "A");
	lab_node(l, "G");
	lab_node(l, "B");
	f->k0 = lab_connect(l, NA, "eth0", NG, "eth0");
	f->k1 = lab_connect(l, NG, "eth1", NB, "eth0");
	lab_cmd(l, NA, "addr add " A6 "/64 dev eth0 nodad");
	lab_cmd(l, NA, "route add default via " G_L0);
	lab_cmd(l, NG, "addr add " G_L0 "/64 dev eth0 nodad");
	lab_cmd(l, NG, "addr add " G_L1 "/64 dev eth1 nodad");
	lab_cmd(l, NG, "route add 2001:db8:2::/64 via " B6);
	lab_cmd(l, NG, "sysctl net.ipv6.conf.all.forwarding=1");
	lab_cmd(l, NB, "addr add " B6 "/64 dev eth0 nodad");
	lab_cmd(l, NB, "addr add " B_LAN6 "/128 dev eth0 nodad");
	lab_cmd(l, NB, "route add default via " G_L1);
	lab_pump(l, 10);
	esp_tunnel(f);
	f->sa = udp_at(ST(f, NA), 7001);
	f->sb = udp_at(ST(f, NB), 7000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	usagi_close(f->sa);
	usagi_close(f->sb);
	lab_free(f->l);
	free(f);
	return 0;
}

/* A sends SIZE octets to B's LAN; true when B got them (whole, in order). */
static bool send_one(struct fx *f)
{
	uint8_t buf[SIZE], got[SIZE + 1];
	ssize_t n;

	memset(buf, ++f->seed, sizeof(buf));
	assert_int_equal(lab_send_to(f->sa, B_LAN6, 7000, buf, sizeof(buf)), SIZE);
	lab_pump(f->l, 1);
	n = usagi_recvfrom(f->sb, got, sizeof(got), 0, NULL, NULL);
	return n == SIZE && memcmp(got, buf, SIZE) == 0;
}

/* The tunnel MTU for an outer path MTU @mtu: the largest original that fits (searched). */
static uint32_t esp_tmtu(const struct xfrm_state *x, size_t mtu)
{
	const struct xfrm_type *t = xfrm_type_get(IPPROTO_ESP);
	size_t n = mtu;

	while (n + IPV6_HLEN + t->gap(x, AF_INET6) + t->tail(x, n) > mtu)
		n--;
	return (uint32_t)n;
}

/* The last Packet Too Big G sent A on link 0: its MTU field. */
static uint32_t last_ptb_mtu(struct fx *f)
{
	const struct lab_frame *fr, *last = NULL;

	for (unsigned j = 0; (fr = lab_find(f->l, f->k0, NH_ICMPV6, j)); j++)
		if (fr->b[ETH_HLEN + IPV6_HLEN] == ICMP6_PACKET_TOO_BIG)
			last = fr;
	assert_non_null(last);
	return get_be32(last->b + ETH_HLEN + IPV6_HLEN + 4);
}

/*
 * Three packets that fit: one refresh of the bound, no error. Then the
 * next one after @lower is dropped with a PTB of the tunnel MTU for @mtu.
 */
static void fits_then_dropped(struct fx *f, void (*lower)(struct fx *f), uint32_t mtu)
{
	uint64_t refresh;

	for (int i = 0; i < 3; i++)
		assert_true(send_one(f));
	refresh = STAT_GET(ST(f, NG), tnl_mtu_refresh);
	assert_int_equal(refresh, 1);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 0);
	lower(f);
	assert_false(send_one(f));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 1);
	assert_int_equal(last_ptb_mtu(f), esp_tmtu(f->x, mtu));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_mtu_refresh), refresh + 1);
	/* A learnt the tunnel MTU and fragments at the source: its next datagram arrives. */
	assert_int_equal(pmtu_cache_get(ST(f, NA), (struct in6_addr[]){ ad(B_LAN6) }),
			 esp_tmtu(f->x, mtu));
	assert_true(send_one(f));
}

/* A Packet Too Big from the outer path, for B, as a router on link 1 would send it. */
static void ptb_for_outer_dst(struct fx *f)
{
	struct netdev *dev = netdev_by_name(ST(f, NG), "eth1");
	struct in6_addr src = ad(B6), dst = ad(G_L1);
	uint8_t fr[ETH_HLEN + IPV6_HLEN + 8 + IPV6_HLEN + 8] = { 0 };
	uint8_t *ip = fr + ETH_HLEN, *m = ip + IPV6_HLEN, *q = m + 8;

	memcpy(fr, dev->mac, 6);
	memcpy(fr + 6, (uint8_t[]){ 0x02, 0xee, 0, 0, 0, 1 }, 6);
	put_be16(fr + 12, ETH_P_IPV6);
	ip[0] = 0x60;
	put_be16(ip + 4, 8 + IPV6_HLEN + 8);
	ip[6] = NH_ICMPV6;
	ip[7] = 64;
	memcpy(ip + 8, &src, 16);
	memcpy(ip + 24, &dst, 16);
	m[0] = ICMP6_PACKET_TOO_BIG;
	put_be32(m + 4, 1400);
	/* The quoted packet: G's ESP to B. */
	q[0] = 0x60;
	put_be16(q + 4, 1400);
	q[6] = IPPROTO_ESP;
	q[7] = 64;
	memcpy(q + 8, &dst, 16);
	memcpy(q + 24, &src, 16);
	put_be32(q + IPV6_HLEN, 0x7001);
	put_be16(m + 2, csum_ipv6(&src, &dst, NH_ICMPV6, m, 8 + IPV6_HLEN + 8));
	lab_inject(f->l, NG, f->k1, fr, sizeof(fr));
	lab_pump(f->l, 1);
	assert_int_equal(pmtu_cache_get(ST(f, NG), (struct in6_addr[]){ ad(B6) }), 1400);
}

static void eth1_mtu_1400(struct fx *f)
{
	lab_cmd(f->l, NG, "link set eth1 mtu 1400");
}

static void eth1_ipv6_mtu_1400(struct fx *f)
{
	lab_cmd(f->l, NG, "sysctl net.ipv6.conf.eth1.mtu=1400");
}

static void test_ptb_for_outer_dst(void **state)
{
	fits_then_dropped(*state, ptb_for_outer_dst, 1400);
}

static void test_link_mtu(void **state)
{
	struct fx *f = *state;

	fits_then_dropped(f, eth1_mtu_1400, 1400);
	/* Raised again: the bound follows, A's fragments and whole packets pass. */
	lab_cmd(f->l, NG, "link set eth1 mtu 1500");
	assert_true(send_one(f));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 1);
}

static void test_ipv6_conf_mtu(void **state)
{
	fits_then_dropped(*state, eth1_ipv6_mtu_1400, 1400);
}

/*
 * A link added at G with a smaller MTU: the route to B has not changed, so
 * nothing is dropped, but the bound is recomputed (it covers every link)
 * and, being lower than these packets, each is checked in full.
 */
static void test_new_link(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++)
		assert_true(send_one(f));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_mtu_refresh), 1);
	lab_connect(f->l, NG, "eth2", lab_node(f->l, "C"), "eth0");
	lab_cmd(f->l, NG, "link set eth2 mtu 1280");
	for (int i = 0; i < 2; i++)
		assert_true(send_one(f));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_mtu_refresh), 2);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ptb_for_outer_dst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_conf_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_link, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
