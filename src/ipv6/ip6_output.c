/*
 * IPv6 output (RFC 8200): route, source (RFC 6724 via addrconf), hop limit,
 * flow label (RFC 6437), upper-layer checksum, then the loopback queue for
 * local destinations or fragmentation and Neighbor Discovery.
 */
#include "core/csum.h"
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/frag6.h"
#include "link/netdev.h"
#include "mip6/mip6.h"
#include "proto/ip6.h"
#include "xfrm/xfrm_io.h"
#include "netfilter/nf_conntrack.h"


/* Where a packet goes: out of @dev towards @nexthop, or to ourselves (@local). */
struct ip6_dst {
	struct netdev *dev;
	struct in6_addr nexthop;
	bool local;
};

static int ip6_route(struct stack *st, const struct ip6_tx *tx, struct ip6_dst *d)
{
	const struct inet6_ifaddr *ifa = NULL;
	const struct route6 *rt;

	if (!in6_is_multicast(&tx->dst))
		ifa = addrconf_lookup(st, &tx->dst);
	/*
	 * RFC 4862 5.4: a tentative address is not yet ours and a dadfailed one
	 * belongs to the node that defended it: both are reached over the link.
	 */
	if (ifa && ifa->idev && addrconf_ifa_usable(ifa)) {
		d->dev = ifa->idev->dev;
		d->local = true;
		d->nexthop = tx->dst;
		return 0;
	}
	d->local = false;
	d->nexthop = tx->dst;
	if (in6_is_multicast(&tx->dst) || in6_is_linklocal(&tx->dst)) {
		/* These name no interface by themselves (RFC 4007 6). */
		d->dev = tx->oif;
		if (!d->dev) {
			STAT_INC(st, ip6_out_no_oif);
			return -ENETUNREACH;
		}
		return 0;
	}
	rt = route6_lookup(st, &tx->dst);
	if (!rt && !tx->oif) {
		STAT_INC(st, ip6_out_no_route);
		return -ENETUNREACH;
	}
	d->dev = tx->oif ? tx->oif : rt->dev;
	if (rt && rt->dev == d->dev && !in6_is_unspec(&rt->gw))
		d->nexthop = rt->gw;
	return 0;
}

int ip6_route_xfrm(struct stack *st, const struct in6_addr *dst, struct xfrm_route *rt)
{
	struct ip6_tx tx;
	struct ip6_dst d;
	int rc;

	ip6_tx_init(&tx, dst, 0);
	rc = ip6_route(st, &tx, &d);
	if (rc < 0)
		return rc;
	*rt = (struct xfrm_route){ .dev = d.dev, .nexthop = d.nexthop, .local = d.local };
	return 0;
}

/* RFC 6437 3: a flow label from a keyed hash of the flow's identity, never 0. */
static uint32_t ip6_auto_flowlabel(const struct stack *st, const struct in6_addr *src,
				   const struct in6_addr *dst, uint8_t proto)
{
	struct siphash_key k;
	uint8_t buf[33];
	uint32_t fl;

	memcpy(&k.k0, st->ip6.flow_secret, 8);
	memcpy(&k.k1, st->ip6.flow_secret + 8, 8);
	memcpy(buf, src, 16);
	memcpy(buf + 16, dst, 16);
	buf[32] = proto;
	fl = (uint32_t)siphash24(&k, buf, sizeof(buf)) & 0xfffff;
	return fl ? fl : 1;
}

static int ip6_hop_limit(const struct ip6_tx *tx, const struct netdev *dev)
{
	if (tx->hop_limit >= 0)
		return MIN(tx->hop_limit, 255);
	if (in6_is_multicast(&tx->dst))
		return 1;   /* RFC 3493 5.2 default for multicast */
	if (dev->in6 && dev->in6->cur_hlim)
		return dev->in6->cur_hlim;
	return ip6_conf_of(dev)->hop_limit;
}

/* Fills the upper-layer checksum over the pseudo-header (RFC 8200 8.1). */
static void ip6_fill_csum(struct pkt *p, const struct ip6_tx *tx, const struct in6_addr *src)
{
	uint8_t *c;
	uint16_t sum;

	if (tx->csum_off < 0 || !(c = pkt_header_w(p, (size_t)tx->csum_off, 2)))
		return;
	c[0] = c[1] = 0;
	if (tx->csum_part_off && tx->csum_part_off % 2 == 0 &&
	    tx->csum_part_off >= tx->csum_off + 2 && tx->csum_part_off <= p->len) {
		uint32_t s = csum_ipv6_pseudo(src, &tx->dst, p->len, tx->proto);

		s = csum_partial(p->data, tx->csum_part_off, s);
		sum = csum_fold(csum_add(s, tx->csum_part));
		sum = sum ? sum : 0xffff;
	} else {
		sum = csum_ipv6(src, &tx->dst, tx->proto, p->data, p->len);
	}
	/* RFC 768 / 8200 8.1: a computed UDP checksum of 0 goes on the wire as 0xffff. */
	if (sum == 0 && tx->proto == NH_UDP)
		sum = 0xffff;
	put_be16(c, sum);
}

static void ip6_loop_enqueue(struct stack *st, struct pkt *p, struct netdev *dev)
{
	if (stack_loopback(st, p, dev) < 0) {
		STAT_INC(st, ip6_loop_overflow);
		return;
	}
	STAT_INC(st, ip6_loop_tx);
}

/* Source address for @tx: given, kept ::, or selected. */
static int ip6_source(struct stack *st, const struct ip6_tx *tx, struct netdev *dev,
		      struct in6_addr *src)
{
	*src = tx->src;
	if (!in6_is_unspec(src) || tx->src_any_ok)
		return 0;
	if (addrconf_select_source(st, &tx->dst, dev, src) < 0) {
		STAT_INC(st, ip6_out_no_source);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static void ip6_build_hdr(struct stack *st, struct ip6_hdr *h, const struct ip6_tx *tx,
			  const struct in6_addr *src, struct netdev *dev, size_t plen)
{
	uint32_t fl = 0;

	if (tx->flowlabel >= 0)
		fl = (uint32_t)tx->flowlabel;
	else if (ip6_conf_of(dev)->flowlabel_auto)
		fl = ip6_auto_flowlabel(st, src, &tx->dst, tx->proto);
	ip6_set_vtcfl(h, tx->tclass, fl);
	put_be16(h->plen, (uint16_t)plen);
	h->nxt = tx->proto;
	h->hlim = (uint8_t)ip6_hop_limit(tx, dev);
	h->src = *src;
	h->dst = tx->dst;
}

/*
 * Mobile IPv6 (mip6/mip6.h): the HAO/RH2 the sender or a binding asks for;
 * a new destination (RH2: the care-of address) is routed again. 0 or -errno.
 * Kept out of line and routing through ip6_route_xfrm, so ip6_route stays
 * inlined in ip6_output (measured: a third caller costs every packet a call).
 */
static __attribute__((noinline, cold)) int ip6_mip6_output(struct stack *st, struct pkt *p,
							   const struct ip6_tx *tx, struct ip6_dst *d)
{
	struct in6_addr dst;
	struct xfrm_route xr;
	bool moved;
	int rc = mip6_output(st, p, tx->hao_coa, tx->rh2_coa, &moved);

	if (rc < 0 || !moved)
		return rc;
	dst = ip6_addrs_of(p->data).dst;
	rc = ip6_route_xfrm(st, &dst, &xr);
	if (rc == 0)
		*d = (struct ip6_dst){ .dev = xr.dev, .nexthop = xr.nexthop, .local = xr.local };
	return rc;
}

int ip6_output(struct stack *st, struct pkt *p, const struct ip6_tx *tx)
{
	struct ip6_dst d;
	struct in6_addr src;
	struct ip6_hdr *h;
	size_t plen = p->len;
	int rc;

	STAT_INC(st, ip6_out_requests);
	/* A reply built in the request's buffer must not carry its security path on. */
	if (p->sp_len)
		pkt_sp_release(p);
	rc = ip6_route(st, tx, &d);
	if (rc == 0)
		rc = ip6_source(st, tx, d.dev, &src);
	if (rc < 0)
		goto drop;
	if (plen > 65535) {
		STAT_INC(st, ip6_out_too_big);
		rc = -EMSGSIZE;
		goto drop;
	}
	ip6_fill_csum(p, tx, &src);
	h = pkt_push(p, IPV6_HLEN);
	if (!h) {
		STAT_INC(st, ip6_out_no_headroom);
		rc = -ENOBUFS;
		goto drop;
	}
	ip6_build_hdr(st, h, tx, &src, d.dev, plen);
	pkt_set_nh(p);
	/* Netfilter OUTPUT and POSTROUTING (issue 6): routed, not yet encapsulated. */
	if (st->nf_hooks && (nf_hook_run(st, NF_OUTPUT, p, NULL, d.dev) != NF_ACCEPT ||
			     nf_hook_run(st, NF_POSTROUTING, p, NULL, d.dev) != NF_ACCEPT)) {
		rc = -EPERM;
		goto drop;
	}
	/*
	 * After the hooks, which thus see the home address as input does once a
	 * HAO is swapped; before IPsec, whose selectors name home addresses.
	 */
	if ((st->mip6 || tx->hao_coa || tx->rh2_coa) && (rc = ip6_mip6_output(st, p, tx, &d)) < 0)
		goto drop;
	if (xfrm_output_needed(st)) {
		const struct xfrm_route xr = { .dev = d.dev, .nexthop = d.nexthop, .local = d.local };

		/* IPsec output owns the packet unless no policy asks for IPsec. */
		rc = xfrm_output(st, p, &xr);
		if (rc != XFRM_OUT_PASS)
			return rc;
	}
	if (d.local) {
		ip6_loop_enqueue(st, p, d.dev);
		return 0;
	}
	if (tx->dontfrag && p->len > pmtu6_get(st, &tx->dst, d.dev)) {
		STAT_INC(st, ip6_out_too_big);
		rc = -EMSGSIZE;
		goto drop;
	}
	p->dev = d.dev;
	return ip6_finish_output(st, p, d.dev, &d.nexthop);
drop:
	pkt_free(p);
	return rc;
}

int ip6_finish_output(struct stack *st, struct pkt *p, struct netdev *dev,
		      const struct in6_addr *nexthop)
{
	const struct ip6_hdr *h = pkt_header(p, 0, IPV6_HLEN, NULL);
	struct ip6_addrs ha;
	uint32_t mtu;
	int rc;

	/* Mobile IPv6 tunnels (mip6.h): after IPsec, before fragmentation. */
	if (st->mip6 && (rc = mip6_tunnel_output(st, p)) != 1)
		return rc;
	if (!h) {
		STAT_INC(st, ip6_out_frag_fail);
		pkt_free(p);
		return -EINVAL;
	}
	ha = ip6_addrs_of(h);
	mtu = pmtu6_get(st, &ha.dst, dev);
	p->dev = dev;
	if (p->len <= mtu)
		return nd6_output(st, dev, nexthop, p);
	return frag6_output(st, p, dev, nexthop, mtu);
}
