/*
 * Shared by test_arp.c and test_inet4.c: the nd_harness host (one capturing
 * interface), plus ARP frame injection from peers and finders over the
 * captured ARP and IPv4 frames.
 */
#ifndef USAGI_TEST_ARP_HARNESS_H
#define USAGI_TEST_ARP_HARNESS_H

#include "nd_harness.h"
#include "ipv4/arp.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "proto/ip4.h"

static UNUSED uint32_t IP(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static UNUSED const uint8_t mac_other[6] = { 0x02, 0, 0, 0, 0, 3 };
static UNUSED const uint8_t mac_zero[6];

/* Builds and injects an Ethernet/ARP frame from @sha; @len cuts the ARP part (28 = whole). */
static UNUSED void inject_arp_raw(struct host *h, const uint8_t eth_dst[6], uint16_t op,
				  const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
				  uint32_t tpa, size_t len)
{
	struct pkt *p = pkt_alloc(h->st->pool, PKT_HEADROOM, ETH_HLEN + 28);
	uint8_t *d = pkt_put(p, ETH_HLEN + len);
	struct arp_hdr a;

	memcpy(d, eth_dst, 6);
	memcpy(d + 6, sha, 6);
	put_be16(d + 12, ETH_P_ARP);
	put_be16(a.htype, 1);
	put_be16(a.ptype, ETH_P_IP);
	a.hlen = 6;
	a.plen = 4;
	put_be16(a.op, op);
	memcpy(a.sha, sha, 6);
	ip4_put(a.spa, spa);
	memcpy(a.tha, tha, 6);
	ip4_put(a.tpa, tpa);
	memcpy(d + ETH_HLEN, &a, len);
	netdev_rx(h->dev, p);
	usagi_stack_advance(h->st, h->st->now);
}

static UNUSED void inject_arp(struct host *h, uint16_t op, const uint8_t sha[6], uint32_t spa,
			      const uint8_t tha[6], uint32_t tpa)
{
	inject_arp_raw(h, op == ARP_REQUEST ? eth_broadcast : h->dev->mac, op, sha, spa,
		       tha, tpa, 28);
}

/* The @nth captured ARP packet with opcode @op (0: any), from 0; eth header in *eth. */
static UNUSED const struct arp_hdr *arp_nth(struct host *h, uint16_t op, int nth, const uint8_t **eth)
{
	for (int i = 0; i < h->cap.n; i++) {
		const uint8_t *d = h->cap.f[i]->data;
		const struct arp_hdr *a = (const struct arp_hdr *)(d + ETH_HLEN);

		if (h->cap.f[i]->len < ETH_HLEN + 28 || get_be16(d + 12) != ETH_P_ARP)
			continue;
		if (op && get_be16(a->op) != op)
			continue;
		if (nth-- == 0) {
			if (eth)
				*eth = d;
			return a;
		}
	}
	return NULL;
}

static UNUSED int arp_count(struct host *h, uint16_t op)
{
	int n = 0;

	while (arp_nth(h, op, n, NULL))
		n++;
	return n;
}

/* Probes (sender IP 0) and announcements (sender IP = target IP) of @ip. */
static UNUSED int arp_count_kind(struct host *h, uint32_t ip, bool probe)
{
	const struct arp_hdr *a;
	int n = 0;

	for (int i = 0; (a = arp_nth(h, ARP_REQUEST, i, NULL)); i++)
		if (ip4_get(a->tpa) == ip && ip4_get(a->spa) == (probe ? 0 : ip))
			n++;
	return n;
}

/* An IPv4 packet (header only, data = IPv4 header) from @src to @dst. */
static UNUSED struct pkt *ip4_pkt(struct host *h, uint32_t src, uint32_t dst)
{
	struct pkt *p = pkt_alloc(h->st->pool, PKT_HEADROOM, IPV4_HLEN);
	struct ip4_hdr *ip = pkt_put(p, IPV4_HLEN);

	memset(ip, 0, sizeof(*ip));
	ip->vihl = 0x45;
	put_be16(ip->tot_len, IPV4_HLEN);
	ip->ttl = 64;
	ip->proto = 17;
	ip4_put(ip->src, src);
	ip4_put(ip->dst, dst);
	return p;
}

/* Number of captured IPv4 frames to @mac. */
static UNUSED int ip4_count_to(struct host *h, const uint8_t mac[6])
{
	int n = 0;

	for (int i = 0; i < h->cap.n; i++) {
		const uint8_t *d = h->cap.f[i]->data;

		if (h->cap.f[i]->len >= ETH_HLEN && get_be16(d + 12) == ETH_P_IP &&
		    memcmp(d, mac, 6) == 0)
			n++;
	}
	return n;
}

static UNUSED enum nud_state neigh4_state(struct host *h, uint32_t a)
{
	struct in6_addr m;

	ip4_to_mapped(&m, a);
	return nd6_neigh_state(h->st, h->dev, &m);
}

#endif
