/*
 * Shared by test_nd6.c, test_addrconf.c, test_mld6.c: a host with one
 * capturing interface, ICMPv6 frame injection from a peer on the link, and
 * finders over the captured frames (which skip a Hop-by-Hop header).
 */
#ifndef USAGI_TEST_ND_HARNESS_H
#define USAGI_TEST_ND_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/csum.h"
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "ipv6/nd6.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip6.h"

#define CAP_MAX 512

#include "capdev.h"

struct host {
	struct stack *st;
	struct netdev *dev;
	struct cap cap;
};

static const uint8_t mac_us[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t mac_peer[6] = { 0x02, 0, 0, 0, 0, 2 };
/* fe80::ff:fe00:1, the modified EUI-64 link-local of mac_us. */
static const struct in6_addr ll_us = { .s6_addr = { 0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 1 } };
static const struct in6_addr ll_peer = { .s6_addr = { 0xfe, 0x80, [15] = 2 } };
static const struct in6_addr g_peer = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };

static UNUSED void host_init(struct host *h, bool up)
{
	struct usagi_stack_config cfg = { .name = "nd", .seed = 42 };

	memset(h, 0, sizeof(*h));
	h->st = usagi_stack_new(&cfg);
	assert_non_null(h->st);
	usagi_stack_set_log_level(h->st, 0);
	h->dev = netdev_create(h->st, "eth0", &cap_ops, &h->cap, mac_us);
	assert_non_null(h->dev);
	if (up)
		netdev_set_up(h->dev, true);
}

static UNUSED void host_fini(struct host *h)
{
	struct stack *st = h->st;

	usagi_stack_free(st);
}

static UNUSED void run_ms(struct host *h, uint64_t ms)
{
	uint64_t end = h->st->now + ms * NS_PER_MS;

	/* Step through every event so timers see the clock they expect. */
	for (int guard = 0; guard < 100000; guard++) {
		uint64_t next = usagi_stack_next_event(h->st);

		if (next > end)
			break;
		usagi_stack_advance(h->st, MAX(next, h->st->now));
	}
	usagi_stack_advance(h->st, end);
}

/* Injects an ICMPv6 message (checksum filled here) from @src to @dst with @hlim. */
static UNUSED void inject_icmp(struct host *h, const struct in6_addr *src, const struct in6_addr *dst,
			uint8_t hlim, uint8_t *m, size_t len)
{
	struct pkt *p = pkt_alloc(h->st->pool, PKT_HEADROOM, ETH_HLEN + IPV6_HLEN + len);
	uint8_t *d = pkt_put(p, ETH_HLEN + IPV6_HLEN + len);
	struct ip6_hdr ip6;

	m[2] = m[3] = 0;
	put_be16(m + 2, csum_ipv6(src, dst, NH_ICMPV6, m, len));
	if (in6_is_multicast(dst))
		in6_mc_to_mac(d, dst);
	else
		memcpy(d, h->dev->mac, 6);
	memcpy(d + 6, mac_peer, 6);
	put_be16(d + 12, ETH_P_IPV6);
	ip6_set_vtcfl(&ip6, 0, 0);
	put_be16(ip6.plen, (uint16_t)len);
	ip6.nxt = NH_ICMPV6;
	ip6.hlim = hlim;
	ip6.src = *src;
	ip6.dst = *dst;
	memcpy(d + ETH_HLEN, &ip6, IPV6_HLEN);
	memcpy(d + ETH_HLEN + IPV6_HLEN, m, len);
	netdev_rx(h->dev, p);
	usagi_stack_advance(h->st, h->st->now);
}

/* A captured frame's ICMPv6 message (after an optional HbH header); all NULL/0 if none. */
struct icmp_view {
	const uint8_t *eth;
	const struct ip6_hdr *ip6;
	const uint8_t *hbh;          /* NULL if none */
	const uint8_t *m;
	size_t len;
};

static bool view_of(const struct pkt *p, struct icmp_view *v)
{
	const uint8_t *d = p->data;
	size_t off = ETH_HLEN + IPV6_HLEN;
	uint8_t nxt;

	memset(v, 0, sizeof(*v));
	if (p->len < off || get_be16(d + 12) != ETH_P_IPV6)
		return false;
	v->eth = d;
	v->ip6 = (const struct ip6_hdr *)(d + ETH_HLEN);
	v->hbh = NULL;
	nxt = v->ip6->nxt;
	if (nxt == NH_HOPOPTS) {
		if (p->len < off + 8)
			return false;
		v->hbh = d + off;
		nxt = d[off];
		off += 8 + (size_t)d[off + 1] * 8;
	}
	if (nxt != NH_ICMPV6 || p->len < off + 4)
		return false;
	v->m = d + off;
	v->len = p->len - off;
	return true;
}

/* The @nth captured ICMPv6 message of @type (from 0), or false. */
static UNUSED bool find_nth(struct host *h, uint8_t type, int nth, struct icmp_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < h->cap.n; i++) {
		if (!view_of(h->cap.f[i], v) || v->m[0] != type)
			continue;
		if (nth-- == 0)
			return true;
	}
	return false;
}

static UNUSED int count_type(struct host *h, uint8_t type)
{
	struct icmp_view v;
	int n = 0;

	while (find_nth(h, type, n, &v))
		n++;
	return n;
}

static UNUSED size_t put_lladdr(uint8_t *o, uint8_t type, const uint8_t mac[6])
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, mac, 6);
	return 8;
}

/* NA for @target with @flags and optionally a TLLA; returns its length. */
static UNUSED size_t mk_na(uint8_t *m, const struct in6_addr *target, uint8_t flags, const uint8_t *tlla)
{
	memset(m, 0, 24);
	m[0] = ND_NEIGHBOR_ADVERT;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	return 24 + (tlla ? put_lladdr(m + 24, ND_OPT_TLLA, tlla) : 0);
}

static UNUSED size_t mk_ns(uint8_t *m, const struct in6_addr *target, const uint8_t *slla)
{
	memset(m, 0, 24);
	m[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(m + 8, target, 16);
	return 24 + (slla ? put_lladdr(m + 24, ND_OPT_SLLA, slla) : 0);
}

static UNUSED bool in6_eq(const void *a, const struct in6_addr *b) { return memcmp(a, b, 16) == 0; }
static UNUSED bool is_unspec(const void *a)
{
	static const struct in6_addr any;

	return memcmp(a, &any, 16) == 0;
}

#endif
