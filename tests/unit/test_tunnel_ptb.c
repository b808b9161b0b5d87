/*
 * The tunnel MTU of RFC 2473 7.1 at the stack's tunnel entry points
 * (src/xfrm/tnl_pmtu.c): the Mobile IPv6 tunnels (mip6_dp_out.c) and
 * IPsec tunnel mode (xfrm_tunnel.c), on three stacks joined by
 * tests/lib/ipsec_lab.h links:
 *
 *   A eth0 ---- link 0 ---- eth0 G eth1 ---- link 1 ---- eth0 B
 *   2001:db8:1::/64 192.0.2.0/24      2001:db8:ff::/64 198.51.100.0/24
 *   A ::10 / .10 (+ home address     G ::1 / .1 on both     B ::2 / .2, and
 *   2001:db8:ff::100/128)                                   2001:db8:2::1, 203.0.113.1
 *
 * Mobile IPv6 (bindings installed with mip6_dp_add): A is a mobile node
 * away (care-of 2001:db8:1::10), G its home agent, B a correspondent on
 * the home link. IPsec: G tunnels LAN 2001:db8:1::/64 / 192.0.2.0/24 to
 * 2001:db8:2::/64 / 203.0.113.0/24 in ESP over IPv6 to B.
 *
 * What it asserts: an IPv6 packet over the tunnel MTU and over 1280 is
 * dropped and its remote source gets a Packet Too Big with exactly the
 * tunnel MTU, quoting the packet as far as 1280 octets allow, and its next
 * datagrams, fragmented at the source to that MTU, pass; a packet of at
 * most 1280 octets is tunnelled and the outer packet fragmented; a local
 * UDP socket's packet puts the tunnel MTU into this node's PMTU cache
 * through its loopback with no Packet Too Big on the wire, and is sent as
 * outer fragments (once known, without a new PTB); an IPv4 packet with DF
 * gets a "fragmentation needed" with the next-hop MTU, without DF it is
 * tunnelled and the outer packet fragmented (and decrypted whole at B);
 * a local TCP connection into an IPsec tunnel goes to MSS = tunnel MTU -
 * 60 after the first full segment and never fragments;
 * packets that fit pass without a count. Pools end at their baseline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "ipv6/pmtu_cache.h"
#include "link/ether.h"
#include "mip6/mip6.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "l4/sock.h"
#include "l4/tcp.h"
#include "xfrm/xfrm_io_priv.h"

#undef A6
#undef A4
#undef B6
#define A6 "2001:db8:1::10"
#define A4 "192.0.2.10"
#define G_L0 "2001:db8:1::1"
#define G_L1 "2001:db8:ff::1"
#define B6 "2001:db8:ff::2"
#define B_LAN6 "2001:db8:2::1"
#define B_LAN4 "203.0.113.1"
#define HOA "2001:db8:ff::100"

enum { NA, NG, NB };

struct fx {
	struct lab *l;
	int k0, k1;
	unsigned base[3];
};

#define ST(f, n) lab_st((f)->l, (n))

static struct in6_addr ad(const char *s)
{
	int fam;

	return lab_addr(s, &fam);
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
	lab_cmd(l, NA, "addr add " A4 "/24 dev eth0 nodad");
	lab_cmd(l, NA, "addr add " HOA "/128 dev eth0 nodad");
	lab_cmd(l, NA, "route add default via " G_L0);
	lab_cmd(l, NA, "route add default via 192.0.2.1");
	lab_cmd(l, NG, "addr add " G_L0 "/64 dev eth0 nodad");
	lab_cmd(l, NG, "addr add 192.0.2.1/24 dev eth0 nodad");
	lab_cmd(l, NG, "addr add " G_L1 "/64 dev eth1 nodad");
	lab_cmd(l, NG, "addr add 198.51.100.1/24 dev eth1 nodad");
	lab_cmd(l, NG, "route add 2001:db8:2::/64 via " B6);
	lab_cmd(l, NG, "route add 203.0.113.0/24 via 198.51.100.2");
	lab_cmd(l, NG, "sysctl net.ipv6.conf.all.forwarding=1");
	lab_cmd(l, NG, "sysctl net.ipv4.ip_forward=1");
	lab_cmd(l, NB, "addr add " B6 "/64 dev eth0 nodad");
	lab_cmd(l, NB, "addr add 198.51.100.2/24 dev eth0 nodad");
	lab_cmd(l, NB, "addr add " B_LAN6 "/128 dev eth0 nodad");
	lab_cmd(l, NB, "addr add " B_LAN4 "/32 dev eth0 nodad");
	lab_cmd(l, NB, "route add default via " G_L1);
	lab_cmd(l, NB, "route add default via 198.51.100.1");
	lab_pump(l, 10);
	for (int i = 0; i < 3; i++)
		f->base[i] = pkt_pool_in_use(ST(f, i)->pool);
	lab_cap_clear(l, f->k0);
	lab_cap_clear(l, f->k1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 6; i++)
		lab_pump(f->l, 1000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pkt_pool_in_use(ST(f, i)->pool), f->base[i]);
	lab_free(f->l);
	free(f);
	return 0;
}

/* A's home registration at G, as the signalling would leave it (RFC 6275 10.3.1, 11.7.1). */
static void mip6_bound(struct fx *f)
{
	struct mip6_dp_binding mn = { .kind = MIP6_DP_MN_HA, .hoa = ad(HOA), .coa = ad(A6),
				      .peer = ad(G_L1) };
	struct mip6_dp_binding ha = { .kind = MIP6_DP_HA, .hoa = ad(HOA), .coa = ad(A6),
				      .peer = ad(G_L1) };

	assert_int_equal(mip6_dp_add(ST(f, NA), &mn), 0);
	assert_int_equal(mip6_dp_add(ST(f, NG), &ha), 0);
	/* Stands in for the home agent's proxy ND of the home address. */
	lab_cmd(f->l, NB, "route add " HOA "/128 via " G_L1 " dev eth0");
}

static struct usock *udp_at(struct stack *st, int fam, const char *addr, uint16_t port)
{
	struct usock *s = usagi_socket(st, fam, SOCK_DGRAM, 0);
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;

	assert_non_null(s);
	if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr ? addr : "::", &s6->sin6_addr), 1);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr ? addr : "0.0.0.0", &s4->sin_addr), 1);
		sl = sizeof(*s4);
	}
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&ss, sl), 0);
	return s;
}

/* Sends @n octets of a pattern on @s to @dst:@port; the next pattern byte is @seed. */
static void send_n(struct usock *s, const char *dst, uint16_t port, size_t n, uint8_t seed)
{
	uint8_t buf[2000];

	assert_true(n <= sizeof(buf));
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed + i);
	assert_int_equal(lab_send_to(s, dst, port, buf, n), (ssize_t)n);
}

/* The next datagram on @s has @n octets of the pattern of @seed. */
static void got_n(struct usock *s, size_t n, uint8_t seed)
{
	uint8_t buf[2000];

	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], (uint8_t)(seed + i));
}

/* The @i-th ICMPv6 Packet Too Big on link @k (IPv6 header at the result), asserted. */
static const uint8_t *ptb6_on(struct fx *f, int k, unsigned i, size_t *len)
{
	for (unsigned j = 0, n = 0;; j++) {
		const struct lab_frame *fr = lab_find(f->l, k, NH_ICMPV6, j);

		assert_non_null(fr);
		if (fr->b[ETH_HLEN + IPV6_HLEN] != ICMP6_PACKET_TOO_BIG || n++ != i)
			continue;
		*len = fr->len - ETH_HLEN;
		return fr->b + ETH_HLEN;
	}
}

static unsigned ptb6_count(struct fx *f, int k)
{
	unsigned n = 0;
	const struct lab_frame *fr;

	for (unsigned j = 0; (fr = lab_find(f->l, k, NH_ICMPV6, j)); j++)
		n += fr->b[ETH_HLEN + IPV6_HLEN] == ICMP6_PACKET_TOO_BIG;
	return n;
}

static bool addr_is(const uint8_t *p, const char *s)
{
	struct in6_addr a = ad(s);

	return memcmp(p, &a, 16) == 0;
}

/* --- Mobile IPv6: the home agent's tunnel, a remote source --- */

static void test_mip6_remote_ptb(void **state)
{
	struct fx *f = *state;
	struct usock *sb, *sa;
	const uint8_t *ip;
	size_t len;

	mip6_bound(f);
	lab_cmd(f->l, NG, "link set eth0 mtu 1400");     /* tunnel MTU 1400 - 40 = 1360 */
	sa = udp_at(ST(f, NA), AF_INET6, HOA, 7001);
	sb = udp_at(ST(f, NB), AF_INET6, NULL, 7000);

	/* 1000 octets: 1048 inner + 40 fit 1400, tunnelled, no count. */
	send_n(sb, HOA, 7001, 1000, 1);
	lab_pump(f->l, 1);
	got_n(sa, 1000, 1);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 0);

	/* 1400 octets: 1448 > 1360 and > 1280: dropped, PTB 1360 to B quoting 1232 octets. */
	send_n(sb, HOA, 7001, 1400, 2);
	lab_pump(f->l, 1);
	assert_true(lab_empty(sa));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 1);
	assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_IPV6), 1);   /* only the first */
	ip = ptb6_on(f, f->k1, 0, &len);
	assert_int_equal(len, IPV6_MIN_MTU);
	assert_true(addr_is(ip + 8, G_L1));
	assert_true(addr_is(ip + 24, B6));
	assert_int_equal(ip[41], 0);
	assert_int_equal(get_be32(ip + 44), 1360);
	assert_int_equal(ip[48] >> 4, 6);
	assert_int_equal(get_be16(ip + 48 + 4), 1400 + UDP_HLEN);    /* the original's length */
	assert_true(addr_is(ip + 48 + 8, B6));
	assert_true(addr_is(ip + 48 + 24, HOA));
	assert_int_equal(ip[48 + 40 + 8], 2);                        /* its payload */
	assert_int_equal(ip[len - 1], (uint8_t)(2 + 1232 - 48 - 1));
	/* B learnt 1360 and fragments its next datagram so that each piece fits the tunnel. */
	assert_int_equal(pmtu_cache_get(ST(f, NB), (struct in6_addr[]){ ad(HOA) }), 1360);
	send_n(sb, HOA, 7001, 1400, 3);
	lab_pump(f->l, 1);
	got_n(sa, 1400, 3);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 1);
	assert_int_equal(STAT_GET(ST(f, NG), ip6_out_frag_ok), 0);
	usagi_close(sa);
	usagi_close(sb);
}

/* An original of at most 1280 octets is tunnelled and the outer packet fragmented (7.1). */
static void test_mip6_small_fragments(void **state)
{
	struct fx *f = *state;
	struct usock *sb, *sa;

	mip6_bound(f);
	lab_cmd(f->l, NG, "link set eth0 mtu 1280");     /* tunnel MTU 1240 */
	sa = udp_at(ST(f, NA), AF_INET6, HOA, 7001);
	sb = udp_at(ST(f, NB), AF_INET6, NULL, 7000);
	send_n(sb, HOA, 7001, 1200, 4);                  /* 1248 inner: over 1240, under 1280 */
	lab_pump(f->l, 1);
	got_n(sa, 1200, 4);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_frag6_small), 1);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 0);
	assert_int_equal(STAT_GET(ST(f, NG), ip6_out_frag_ok), 1);
	assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_FRAGMENT), 2);
	assert_int_equal(ptb6_count(f, f->k1), 0);
	usagi_close(sa);
	usagi_close(sb);
}

/*
 * The mobile node's own UDP socket: the PTB goes through its loopback into
 * its PMTU cache (nothing on the wire), the datagram itself is sent as
 * outer fragments (the node is its source); the next one tells nobody.
 */
static void test_mip6_local_ptb(void **state)
{
	struct fx *f = *state;
	struct usock *sa, *sb;

	mip6_bound(f);
	lab_cmd(f->l, NA, "link set eth0 mtu 1400");
	sa = udp_at(ST(f, NA), AF_INET6, HOA, 7001);
	sb = udp_at(ST(f, NB), AF_INET6, NULL, 7000);
	send_n(sa, B6, 7000, 1400, 5);
	lab_pump(f->l, 1);
	got_n(sb, 1400, 5);
	assert_int_equal(STAT_GET(ST(f, NA), tnl_ptb6_local), 1);
	assert_int_equal(STAT_GET(ST(f, NA), tnl_frag6_local), 1);
	assert_int_equal(STAT_GET(ST(f, NA), tnl_ptb6_remote), 0);
	assert_int_equal(pmtu_cache_get(ST(f, NA), (struct in6_addr[]){ ad(B6) }), 1360);
	/* On the wire: the tunnel packet in two fragments, no Packet Too Big. */
	assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_FRAGMENT), 2);
	assert_int_equal(ptb6_count(f, f->k0), 0);
	/* Known now: the next large datagram is sent the same way without a new PTB. */
	send_n(sa, B6, 7000, 1400, 6);
	lab_pump(f->l, 1);
	got_n(sb, 1400, 6);
	assert_int_equal(STAT_GET(ST(f, NA), tnl_ptb6_local), 1);
	assert_int_equal(STAT_GET(ST(f, NA), tnl_frag6_local), 2);
	/* What fits the tunnel goes whole. */
	send_n(sa, B6, 7000, 1300, 7);
	lab_pump(f->l, 1);
	got_n(sb, 1300, 7);
	assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_FRAGMENT), 4);
	usagi_close(sa);
	usagi_close(sb);
}

/* --- IPsec tunnel mode at gateway G: LAN1 -> LAN2 in ESP over IPv6 to B --- */

static struct xfrm_state *esp_tunnel(struct fx *f)
{
	struct xfrm_tmpl t = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, G_L1, B6, XFRM_LEVEL_REQUIRE);
	struct xfrm_selector s6 = lab_sel("2001:db8:1::", 64, "2001:db8:2::", 64, XFRM_PROTO_ANY);
	struct xfrm_selector s4 = lab_sel("192.0.2.0", 24, "203.0.113.0", 24, XFRM_PROTO_ANY);
	struct xfrm_state *x;

	x = lab_sa(ST(f, NG), IPPROTO_ESP, XFRM_MODE_TUNNEL, G_L1, B6, 0x7001, LAB_GCM);
	lab_sa(ST(f, NB), IPPROTO_ESP, XFRM_MODE_TUNNEL, G_L1, B6, 0x7001, LAB_GCM);
	lab_pol(ST(f, NG), &s6, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &t);
	lab_pol(ST(f, NG), &s4, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &t);
	lab_pol(ST(f, NB), &s6, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &t);
	lab_pol(ST(f, NB), &s4, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &t);
	/* The outer path to B learnt 1400 (as from a router's Packet Too Big). */
	assert_int_equal(pmtu_cache_set(ST(f, NG), (struct in6_addr[]){ ad(B6) }, 1400), 0);
	return x;
}

/*
 * The tunnel MTU G reports for an outer path MTU of 1400: the largest
 * original length whose ESP-in-IPv6 packet fits (searched here, not derived).
 */
static uint32_t esp_tmtu(const struct xfrm_state *x)
{
	const struct xfrm_type *t = xfrm_type_get(IPPROTO_ESP);
	size_t n = 1400;

	while (n + IPV6_HLEN + t->gap(x, AF_INET6) + t->tail(x, n) > 1400)
		n--;
	return (uint32_t)n;
}

static void test_xfrm_ipv6_remote_and_local(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x = esp_tunnel(f);
	struct usock *sa = udp_at(ST(f, NA), AF_INET6, NULL, 7001);
	struct usock *sg = udp_at(ST(f, NG), AF_INET6, G_L0, 7002);
	struct usock *sb = udp_at(ST(f, NB), AF_INET6, NULL, 7000);
	uint32_t tmtu = esp_tmtu(x);
	const uint8_t *ip;
	size_t len;

	/* Forwarded from A: a PTB with the tunnel MTU on link 0, nothing on link 1. */
	send_n(sa, B_LAN6, 7000, 1400, 7);
	lab_pump(f->l, 1);
	assert_true(lab_empty(sb));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_remote), 1);
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, IPPROTO_ESP), 0);
	ip = ptb6_on(f, f->k0, 0, &len);
	assert_true(addr_is(ip + 24, A6));
	assert_int_equal(get_be32(ip + 44), tmtu);
	assert_true(addr_is(ip + 48 + 24, B_LAN6));
	/* A's next datagram comes in pieces that fit: ESP unfragmented, B gets it whole. */
	assert_int_equal(pmtu_cache_get(ST(f, NA), (struct in6_addr[]){ ad(B_LAN6) }), tmtu);
	send_n(sa, B_LAN6, 7000, 1400, 8);
	lab_pump(f->l, 1);
	got_n(sb, 1400, 8);
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, IPPROTO_ESP), 2);
	assert_int_equal(STAT_GET(ST(f, NG), ip6_out_frag_ok), 0);

	/* G's own UDP socket inside the tunnel: the PTB stays in G, the datagram goes in fragments. */
	lab_cap_clear(f->l, f->k0);
	lab_cap_clear(f->l, f->k1);
	send_n(sg, B_LAN6, 7000, 1400, 9);
	lab_pump(f->l, 1);
	got_n(sb, 1400, 9);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb6_local), 1);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_frag6_local), 1);
	assert_int_equal(pmtu_cache_get(ST(f, NG), (struct in6_addr[]){ ad(B_LAN6) }), tmtu);
	assert_int_equal(ptb6_count(f, f->k0) + ptb6_count(f, f->k1), 0);
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, NH_FRAGMENT), 2);
	usagi_close(sa);
	usagi_close(sg);
	usagi_close(sb);
}

/*
 * G's own TCP connection into the tunnel: its MSS at connect counts the
 * tunnel against the 1500 link, but the outer path learnt 1400; the first
 * full segment draws a local Packet Too Big, TCP goes to tunnel MTU - 60
 * and resends, and from then on every segment fits: no fragment anywhere.
 */
static void test_xfrm_tcp_local(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x = esp_tunnel(f);
	struct usock *l = usagi_socket(ST(f, NB), AF_INET6, SOCK_STREAM, 0);
	struct usock *c = usagi_socket(ST(f, NG), AF_INET6, SOCK_STREAM, 0), *s;
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_port = htons(6001) };
	static uint8_t buf[40000], rb[8192];
	size_t got = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(l, 4), 0);
	sin.sin6_port = 0;
	sin.sin6_addr = ad(G_L0);          /* a LAN1 source: the policy's */
	assert_int_equal(usagi_bind(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sin.sin6_port = htons(6001);
	sin.sin6_addr = ad(B_LAN6);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	lab_pump(f->l, 1);
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	assert_true(c->tcb->mss > esp_tmtu(x) - 60);
	assert_int_equal(usagi_send(c, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (int i = 0; i < 400 && got < sizeof(buf); i++) {
		ssize_t r;

		lab_pump(f->l, 1);
		while ((r = usagi_recv(s, rb, sizeof(rb), 0)) > 0) {
			assert_memory_equal(rb, buf + got, (size_t)r);
			got += (size_t)r;
		}
	}
	assert_int_equal(got, sizeof(buf));
	assert_int_equal(c->tcb->mss, esp_tmtu(x) - IPV6_HLEN - 20);
	assert_true(STAT_GET(ST(f, NG), tnl_ptb6_local) >= 1);
	assert_true(STAT_GET(ST(f, NG), tnl_drop6_local_tcp) >= 1);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_frag6_local), 0);
	assert_int_equal(STAT_GET(ST(f, NG), ip6_out_frag_ok), 0);
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, NH_FRAGMENT), 0);
	assert_int_equal(ptb6_count(f, f->k1), 0);
	usagi_close(c);
	usagi_close(s);
	usagi_close(l);
}

/* IPv4 inside: DF set -> fragmentation needed (RFC 1191), DF clear -> outer fragments. */
static void test_xfrm_ipv4_df(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x = esp_tunnel(f);
	struct usock *sa = udp_at(ST(f, NA), AF_INET, NULL, 7001);
	struct usock *sb = udp_at(ST(f, NB), AF_INET, NULL, 7000);
	int pmtudisc = IP_PMTUDISC_DO;
	uint32_t tmtu = esp_tmtu(x);
	const struct lab_frame *fr;
	const uint8_t *m;

	/* Without DF: tunnelled, the outer IPv6 packet fragmented, B decrypts it whole. */
	send_n(sa, B_LAN4, 7000, 1400, 10);
	lab_pump(f->l, 1);
	got_n(sb, 1400, 10);
	assert_int_equal(STAT_GET(ST(f, NG), tnl_frag4_nodf), 1);
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, NH_FRAGMENT), 2);
	assert_int_equal(lab_count(f->l, f->k0, AF_INET, IPPROTO_ICMP), 0);

	/* With DF: dropped, type 3 code 4 with the tunnel MTU to A, which caches it. */
	assert_int_equal(usagi_setsockopt(sa, IPPROTO_IP, IP_MTU_DISCOVER, &pmtudisc,
					  sizeof(pmtudisc)), 0);
	send_n(sa, B_LAN4, 7000, 1400, 11);
	lab_pump(f->l, 1);
	assert_true(lab_empty(sb));
	assert_int_equal(STAT_GET(ST(f, NG), tnl_ptb4_remote), 1);
	fr = lab_find(f->l, f->k0, IPPROTO_ICMP, 0);
	assert_non_null(fr);
	m = fr->b + ETH_HLEN + IPV4_HLEN;
	assert_int_equal(m[0], ICMP4_DST_UNREACH);
	assert_int_equal(m[1], ICMP4_DU_FRAG_NEEDED);
	assert_int_equal(get_be16(m + 6), tmtu);
	assert_int_equal(get_be16(m + 8 + 2), 1400 + 28);            /* the original quoted */
	assert_int_equal(STAT_GET(ST(f, NA), ip4_pmtu_update), 1);
	usagi_close(sa);
	usagi_close(sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mip6_remote_ptb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mip6_small_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mip6_local_ptb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_ipv6_remote_and_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_tcp_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfrm_ipv4_df, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
