/*
 * Shared by test_ip4.c, test_frag4.c, test_icmp4.c: the arp_harness host
 * with 192.0.2.1/24 (no DAD) and the peer 192.0.2.2 learnt from its ARP
 * request, IPv4 frame builders and finders over captured IPv4 frames.
 */
#ifndef USAGI_TEST_IP4_HARNESS_H
#define USAGI_TEST_IP4_HARNESS_H

#include "arp_harness.h"
#include "core/csum.h"
#include "ipv4/frag4.h"
#include "ipv4/icmp4.h"

#define US4 "192.0.2.1"
#define PEER4 "192.0.2.2"

static UNUSED void host4_init(struct host *h)
{
	host_init(h, true);
	assert_int_equal(inet4_add(h->dev, IP(US4), 24, IFA4_F_NODAD), 0);
	run_ms(h, 2100);
	inject_arp(h, ARP_REQUEST, mac_peer, IP(PEER4), mac_zero, IP(US4));
	cap_clear(&h->cap);
}

/* What an injected IPv4 frame looks like; zero fields take defaults. */
struct f4 {
	uint32_t src, dst;
	uint8_t proto, ttl, tos;
	uint16_t id, frag;        /* frag: flags + offset field as on the wire */
	const uint8_t *opts;
	size_t optlen;            /* multiple of 4 */
	const void *body;
	size_t len;
	int tot_adj;              /* added to the total length (bad length tests) */
	bool bad_csum, l2_bcast;
};

static UNUSED struct pkt *mk4(struct host *h, const struct f4 *f)
{
	size_t hl = IPV4_HLEN + f->optlen, n = ETH_HLEN + hl + f->len;
	struct pkt *p = pkt_alloc(h->st->pool, PKT_HEADROOM, n);
	uint8_t *d = pkt_put(p, n), *ip = d + ETH_HLEN;

	memcpy(d, f->l2_bcast ? eth_broadcast : h->dev->mac, 6);
	memcpy(d + 6, mac_peer, 6);
	put_be16(d + 12, ETH_P_IP);
	memset(ip, 0, hl);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = f->tos;
	put_be16(ip + 2, (uint16_t)((int)(hl + f->len) + f->tot_adj));
	put_be16(ip + 4, f->id);
	put_be16(ip + 6, f->frag);
	ip[8] = f->ttl ? f->ttl : 64;
	ip[9] = f->proto;
	ip4_put(ip + 12, f->src ? f->src : IP(PEER4));
	ip4_put(ip + 16, f->dst ? f->dst : IP(US4));
	if (f->optlen)
		memcpy(ip + IPV4_HLEN, f->opts, f->optlen);
	put_be16(ip + 10, csum_fold(csum_partial(ip, hl, 0)));
	if (f->bad_csum)
		ip[10] ^= 1;
	if (f->len)
		memcpy(ip + hl, f->body, f->len);
	return p;
}

static UNUSED void inject4(struct host *h, const struct f4 *f)
{
	netdev_rx(h->dev, mk4(h, f));
	usagi_stack_advance(h->st, h->st->now);
}

/* An ICMP message (type, code, 4 bytes rest, @len bytes data) with its checksum. */
static UNUSED size_t mk_icmp4(uint8_t *m, uint8_t type, uint8_t code, uint32_t rest,
			      const void *data, size_t len)
{
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	put_be32(m + 4, rest);
	if (len)
		memcpy(m + 8, data, len);
	put_be16(m + 2, csum_fold(csum_partial(m, 8 + len, 0)));
	return 8 + len;
}

/* The @nth captured IPv4 packet (0 first) with protocol @proto (0: any); IPv4 header or NULL. */
static UNUSED const uint8_t *ip4_nth(struct host *h, uint8_t proto, int nth, size_t *len)
{
	for (int i = 0; i < h->cap.n; i++) {
		const uint8_t *d = h->cap.f[i]->data;

		if (h->cap.f[i]->len < ETH_HLEN + IPV4_HLEN || get_be16(d + 12) != ETH_P_IP)
			continue;
		if (proto && d[ETH_HLEN + 9] != proto)
			continue;
		if (nth-- == 0) {
			if (len)
				*len = h->cap.f[i]->len - ETH_HLEN;
			return d + ETH_HLEN;
		}
	}
	return NULL;
}

/* The @nth captured ICMP message of @type: IPv4 header, checks both checksums. */
static UNUSED const uint8_t *icmp4_nth(struct host *h, uint8_t type, int nth)
{
	const uint8_t *ip;
	size_t len;

	for (int i = 0; (ip = ip4_nth(h, IPPROTO_ICMP, i, &len)); i++) {
		size_t hl = (size_t)(ip[0] & 0x0f) * 4;

		if (ip[hl] != type || nth-- > 0)
			continue;
		assert_int_equal(csum_fold(csum_partial(ip, hl, 0)), 0);
		assert_int_equal(csum_fold(csum_partial(ip + hl, get_be16(ip + 2) - hl, 0)), 0);
		return ip;
	}
	return NULL;
}

static UNUSED int icmp4_count(struct host *h, uint8_t type)
{
	int n = 0;

	while (icmp4_nth(h, type, n))
		n++;
	return n;
}

#endif
