/*
 * Shared by test_ip6.c, test_frag6.c, test_icmp6.c: a host with one
 * capturing interface (2001:db8::1/64), a known peer (2001:db8::2 and
 * fe80::2, learnt from an NS), frame builders and captured-frame finders.
 */
#ifndef USAGI_TEST_IP6_HARNESS_H
#define USAGI_TEST_IP6_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/csum.h"
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/exthdr.h"
#include "ipv6/route6.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip6.h"

#define CAP_MAX 256

#include "capdev.h"

struct host {
	struct stack *st;
	struct netdev *dev;
	struct cap cap;
};

static const uint8_t mac_us[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t mac_peer[6] = { 0x02, 0, 0, 0, 0, 2 };
static const struct in6_addr a_us = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
static const struct in6_addr a_peer = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
static const struct in6_addr a_peer_ll = { .s6_addr = { 0xfe, 0x80, [15] = 2 } };
static const struct in6_addr a_far = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 5 } };

/* Frame to us from the peer: Ethernet + IPv6 header + @body (first header @nxt). */
static struct pkt *mk_frame(struct host *h, const struct in6_addr *src, const struct in6_addr *dst,
			    uint8_t nxt, uint8_t hlim, const void *body, size_t len)
{
	struct pkt *p = pkt_alloc(h->st->pool, PKT_HEADROOM, ETH_HLEN + IPV6_HLEN + len);
	uint8_t *d = pkt_put(p, ETH_HLEN + IPV6_HLEN + len);
	struct ip6_hdr ip6;

	if (in6_is_multicast(dst))
		in6_mc_to_mac(d, dst);
	else
		memcpy(d, h->dev->mac, 6);
	memcpy(d + 6, mac_peer, 6);
	put_be16(d + 12, ETH_P_IPV6);
	ip6_set_vtcfl(&ip6, 0, 0);
	put_be16(ip6.plen, (uint16_t)len);
	ip6.nxt = nxt;
	ip6.hlim = hlim;
	ip6.src = *src;
	ip6.dst = *dst;
	memcpy(d + ETH_HLEN, &ip6, IPV6_HLEN);
	memcpy(d + ETH_HLEN + IPV6_HLEN, body, len);
	return p;
}

static void inject(struct host *h, const struct in6_addr *src, const struct in6_addr *dst,
		   uint8_t nxt, uint8_t hlim, const void *body, size_t len)
{
	netdev_rx(h->dev, mk_frame(h, src, dst, nxt, hlim, body, len));
	usagi_stack_advance(h->st, h->st->now);
}

/* Fills the ICMPv6 checksum of the message at @m (@len bytes). */
static void icmp_csum(uint8_t *m, size_t len, const struct in6_addr *src, const struct in6_addr *dst)
{
	m[2] = m[3] = 0;
	put_be16(m + 2, csum_ipv6(src, dst, NH_ICMPV6, m, len));
}

/* Echo Request id 0x1234 seq 7 with @dlen bytes of pattern data into @m; returns its length. */
static size_t mk_echo(uint8_t *m, size_t dlen, const struct in6_addr *src, const struct in6_addr *dst)
{
	m[0] = ICMP6_ECHO_REQUEST;
	m[1] = 0;
	put_be16(m + 4, 0x1234);
	put_be16(m + 6, 7);
	for (size_t i = 0; i < dlen; i++)
		m[8 + i] = (uint8_t)(i * 7 + 3);
	icmp_csum(m, 8 + dlen, src, dst);
	return 8 + dlen;
}

/* The @nth captured IPv6 frame whose upper layer is ICMPv6 of @type; NULL if none. */
static const uint8_t *find_icmp_nth(struct host *h, uint8_t type, int nth, const uint8_t **ip6)
{
	if (ip6)
		*ip6 = NULL;
	for (int i = 0; i < h->cap.n; i++) {
		const struct pkt *p = h->cap.f[i];
		const uint8_t *d = p->data + ETH_HLEN;
		uint8_t proto;
		size_t off;

		if (p->len < ETH_HLEN + IPV6_HLEN || get_be16(p->data + 12) != ETH_P_IPV6)
			continue;
		if (ip6_find_upper(d, p->len - ETH_HLEN, &proto, &off) < 0 || proto != NH_ICMPV6 ||
		    off + 4 > p->len - ETH_HLEN || d[off] != type)
			continue;
		if (nth-- > 0)
			continue;
		if (ip6)
			*ip6 = d;
		return d + off;
	}
	return NULL;
}

static UNUSED const uint8_t *find_icmp(struct host *h, uint8_t type, const uint8_t **ip6)
{
	return find_icmp_nth(h, type, 0, ip6);
}

static UNUSED int count_icmp(struct host *h, uint8_t type)
{
	int n = 0;

	while (find_icmp_nth(h, type, n, NULL))
		n++;
	return n;
}

/* Teaches the host the peer's MAC: an NS from @peer with a source link-layer option (RFC 4861 7.2.3). */
static void learn_peer(struct host *h, const struct in6_addr *peer)
{
	uint8_t ns[32] = { ND_NEIGHBOR_SOLICIT, 0 };
	struct in6_addr snm;

	memcpy(ns + 8, &a_us, 16);
	ns[24] = ND_OPT_SLLA;
	ns[25] = 1;
	memcpy(ns + 26, mac_peer, 6);
	if (in6_is_linklocal(peer)) {
		const struct in6_addr *ll = addrconf_linklocal(h->dev);
		if (!ll)
			return;
		memcpy(ns + 8, ll, 16);
	}
	in6_solicited_node(&snm, (const struct in6_addr *)(ns + 8));
	icmp_csum(ns, sizeof(ns), peer, &snm);
	inject(h, peer, &snm, NH_ICMPV6, 255, ns, sizeof(ns));
}

static void host_init(struct host *h)
{
	struct usagi_stack_config cfg = { .name = "t", .seed = 42, .now = NS_PER_SEC };

	memset(h, 0, sizeof(*h));
	h->st = usagi_stack_new(&cfg);
	assert_non_null(h->st);
	h->dev = netdev_create(h->st, "eth0", &cap_ops, &h->cap, mac_us);
	assert_non_null(h->dev);
	netdev_set_up(h->dev, true);
	assert_int_equal(addrconf_add(h->dev, &a_us, 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX), 0);
	/* Let link-local DAD and router solicitations finish. */
	usagi_stack_advance(h->st, h->st->now + 10 * NS_PER_SEC);
	learn_peer(h, &a_peer);
	learn_peer(h, &a_peer_ll);
	cap_clear(&h->cap);
}

static void host_fini(struct host *h)
{
	usagi_stack_free(h->st);
}

/* A forwarding host_init host: a_far's /48 behind eth1 (MTU 1280, frames into @c1); eth1. */
static UNUSED struct netdev *fwd_setup(struct host *h, struct cap *c1)
{
	struct route6 r = { .plen = 48, .metric = 1024, .proto = RT6_PROTO_STATIC };
	struct netdev *d1;

	host_init(h);
	h->st->ip6.all.forwarding = 1;
	d1 = netdev_create(h->st, "eth1", &cap_ops, c1, NULL);
	assert_non_null(d1);
	netdev_set_mtu(d1, 1280);
	netdev_set_up(d1, true);
	r.dst = a_far;
	in6_prefix_mask(&r.dst, 48);
	r.dev = d1;
	assert_int_equal(route6_add(h->st, &r), 0);
	return d1;
}

#endif
