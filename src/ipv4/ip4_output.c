/*
 * IPv4 output (RFC 791, RFC 1122 3.3): route, source, TTL, TOS, DF,
 * Identification, header and upper-layer checksums, then the loopback
 * queue for local destinations or fragmentation and ARP.
 */
#include "core/csum.h"
#include "core/stack.h"
#include "ipv4/arp.h"
#include "ipv4/frag4.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "xfrm/xfrm_io.h"
#include "netfilter/nf_conntrack.h"


/* Where a packet goes: out of @dev towards @nexthop, or to ourselves (@local). */
struct ip4_dst {
	struct netdev *dev;
	uint32_t nexthop;
	uint32_t prefsrc;
	bool local;
};

uint32_t ip4_pseudo_csum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	put_be16(ph + 10, (uint16_t)len);
	return csum_partial(ph, sizeof(ph), 0);
}

void ip4_set_csum(uint8_t *h, size_t hlen)
{
	h[10] = h[11] = 0;
	put_be16(h + 10, csum_fold(csum_partial(h, hlen, 0)));
}

static int ip4_route(struct stack *st, const struct ip4_tx *tx, struct ip4_dst *d)
{
	const struct in4_ifaddr *ifa = inet4_lookup(st, tx->dst);
	const struct route4 *rt;

	memset(d, 0, sizeof(*d));
	d->nexthop = tx->dst;
	if (ifa && ifa->idev && inet4_is_local(st, tx->dst)) {
		d->dev = ifa->idev->dev;
		d->local = true;
		return 0;
	}
	if (ip4_is_limited_bcast(tx->dst) || ip4_is_multicast(tx->dst)) {
		/* These name no interface by themselves. */
		d->dev = tx->oif;
		if (!d->dev) {
			STAT_INC(st, ip4_out_no_oif);
			return -ENETUNREACH;
		}
		return 0;
	}
	rt = route4_lookup(st, tx->dst);
	if (!rt && !tx->oif) {
		STAT_INC(st, ip4_out_no_route);
		return -ENETUNREACH;
	}
	d->dev = tx->oif ? tx->oif : rt->dev;
	if (rt && rt->dev == d->dev) {
		if (rt->gw)
			d->nexthop = rt->gw;
		d->prefsrc = rt->prefsrc;
	}
	return 0;
}

int ip4_route_xfrm(struct stack *st, uint32_t dst, struct xfrm_route *rt)
{
	struct ip4_tx tx;
	struct ip4_dst d;
	int rc;

	ip4_tx_init(&tx, dst, 0);
	rc = ip4_route(st, &tx, &d);
	if (rc < 0)
		return rc;
	*rt = (struct xfrm_route){ .dev = d.dev, .local = d.local };
	ip4_to_mapped(&rt->nexthop, d.nexthop);
	return 0;
}

static int ip4_source(struct stack *st, const struct ip4_tx *tx, const struct ip4_dst *d,
		      uint32_t *src)
{
	*src = tx->src;
	if (*src || tx->src_any_ok)
		return 0;
	if (d->local) {
		*src = tx->dst;
		return 0;
	}
	if (d->prefsrc) {
		*src = d->prefsrc;
		return 0;
	}
	if (inet4_select_source(st, tx->dst, d->dev, src) < 0) {
		STAT_INC(st, ip4_out_no_source);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

/* Upper-layer checksum at tx->csum_off: over the pseudo-header, or (ICMP) the message alone. */
static void ip4_fill_csum(struct pkt *p, const struct ip4_tx *tx, uint32_t src)
{
	uint32_t sum = 0;
	uint8_t *c;
	uint16_t v;

	if (tx->csum_off < 0 || !(c = pkt_header_w(p, (size_t)tx->csum_off, 2)))
		return;
	c[0] = c[1] = 0;
	if (!tx->csum_no_pseudo)
		sum = ip4_pseudo_csum(src, tx->dst, tx->proto, p->len);
	v = csum_fold(csum_partial(p->data, p->len, sum));
	/* RFC 768: a computed UDP checksum of 0 is sent as all ones. */
	if (v == 0 && tx->proto == IPPROTO_UDP)
		v = 0xffff;
	put_be16(c, v);
}

static uint8_t ip4_ttl(const struct stack *st, const struct ip4_tx *tx)
{
	if (tx->ttl >= 0)
		return (uint8_t)MIN(tx->ttl, 255);
	if (ip4_is_multicast(tx->dst))
		return 1;  /* RFC 1112 6.1 */
	return (uint8_t)st->ip4.default_ttl;
}

static void ip4_build_hdr(struct stack *st, uint8_t *h, const struct ip4_tx *tx, uint32_t src,
			  size_t tot)
{
	h[0] = 0x45;
	h[1] = tx->tos;
	put_be16(h + 2, (uint16_t)tot);
	put_be16(h + 4, st->ip4.ip_id++);
	put_be16(h + 6, tx->df ? IP4_DF : 0);
	h[8] = ip4_ttl(st, tx);
	h[9] = tx->proto;
	ip4_put(h + 12, src);
	ip4_put(h + 16, tx->dst);
	ip4_set_csum(h, IPV4_HLEN);
}

static void ip4_loop_enqueue(struct stack *st, struct pkt *p, struct netdev *dev)
{
	if (stack_loopback(st, p, dev) < 0) {
		STAT_INC(st, ip4_loop_overflow);
		return;
	}
	STAT_INC(st, ip4_loop_tx);
}

int ip4_output(struct stack *st, struct pkt *p, const struct ip4_tx *tx)
{
	struct ip4_dst d;
	uint32_t src = 0;
	uint8_t *h;
	int rc;

	STAT_INC(st, ip4_out_requests);
	/* A reply built in the request's buffer must not carry its security path on. */
	if (p->sp_len)
		pkt_sp_release(p);
	rc = ip4_route(st, tx, &d);
	if (rc == 0)
		rc = ip4_source(st, tx, &d, &src);
	if (rc < 0)
		goto drop;
	if (p->len > 65535 - IPV4_HLEN) {
		STAT_INC(st, ip4_out_too_big);
		rc = -EMSGSIZE;
		goto drop;
	}
	ip4_fill_csum(p, tx, src);
	h = pkt_push(p, IPV4_HLEN);
	if (!h) {
		STAT_INC(st, ip4_out_no_headroom);
		rc = -ENOBUFS;
		goto drop;
	}
	ip4_build_hdr(st, h, tx, src, p->len);
	pkt_set_nh(p);
	/* Netfilter OUTPUT and POSTROUTING (issue 6): routed, not yet encapsulated. */
	if (st->nf_hooks && (nf_hook_run(st, NF_OUTPUT, p, NULL, d.dev) != NF_ACCEPT ||
			     nf_hook_run(st, NF_POSTROUTING, p, NULL, d.dev) != NF_ACCEPT)) {
		rc = -EPERM;
		goto drop;
	}
	if (xfrm_output_needed(st) && !tx->xfrm_bypass) {
		struct xfrm_route xr = { .dev = d.dev, .local = d.local };

		/* IPsec output owns the packet unless no policy asks for IPsec. */
		ip4_to_mapped(&xr.nexthop, d.nexthop);
		rc = xfrm_output(st, p, &xr);
		if (rc != XFRM_OUT_PASS)
			return rc;
	}
	if (d.local) {
		ip4_loop_enqueue(st, p, d.dev);
		return 0;
	}
	return ip4_finish_output(st, p, d.dev, d.nexthop);
drop:
	pkt_free(p);
	return rc;
}

int ip4_finish_output(struct stack *st, struct pkt *p, struct netdev *dev, uint32_t nexthop)
{
	uint32_t mtu = pmtu4_get(st, ip4_get(p->data + 16), dev);

	p->dev = dev;
	if (p->len <= mtu)
		return arp_output(st, dev, nexthop, p);
	if (get_be16(p->data + 6) & IP4_DF) {
		STAT_INC(st, ip4_out_df_too_big);
		pkt_free(p);
		return -EMSGSIZE;
	}
	return frag4_output(st, p, dev, nexthop, mtu);
}
