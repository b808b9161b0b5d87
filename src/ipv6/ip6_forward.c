/*
 * Forwarding (RFC 8200 3, RFC 4443 3, RFC 4861 8.2): hop limit, route,
 * scope, link MTU (routers never fragment), Redirect when a packet leaves
 * the way it came to an on-link source.
 */
#include "core/stack.h"
#include "ipv6/icmp6.h"
#include "ipv6/nd6.h"
#include "link/netdev.h"
#include "mip6/mip6.h"
#include "proto/ip6.h"
#include "xfrm/xfrm_io.h"
#include "netfilter/nf_conntrack.h"

/* RFC 4861 8.2: the source is a neighbour on the link the packet leaves by. */
static bool src_onlink(struct stack *st, const struct in6_addr *src, const struct netdev *dev)
{
	const struct route6 *rt = route6_lookup(st, src);

	return rt && rt->dev == dev && in6_is_unspec(&rt->gw);
}

/* Checks that need no route. 0, or -1 with the packet to drop (error sent). */
static int fwd_precheck(struct stack *st, struct pkt *p, const struct ip6_hdr *ip6,
			const struct ip6_addrs *a)
{
	if (p->flags & (PKT_F_MCAST | PKT_F_BCAST)) {
		STAT_INC(st, ip6_fwd_ll_mcast);
		return -1;
	}
	if (in6_is_unspec(&a->src)) {
		STAT_INC(st, ip6_fwd_bad_src);
		return -1;
	}
	if (ip6->hlim <= 1) {
		STAT_INC(st, ip6_fwd_hoplimit);
		icmp6_send_error(st, p, ICMP6_TIME_EXCEEDED, ICMP6_TE_HOPLIMIT, 0);
		return -1;
	}
	return 0;
}

int ip6_forward(struct stack *st, struct pkt *p)
{
	struct ip6_hdr *ip6 = pkt_header_w(p, 0, IPV6_HLEN);
	const struct route6 *rt;
	struct in6_addr nexthop;
	struct ip6_addrs a;
	uint32_t mtu;

	if (!ip6)
		goto drop;
	/* RFC 4301 5.2: a forwarded packet's protection must match its forward policy. */
	if (!xfrm_policy_pass(st, p, XFRM_DIR_FWD))
		goto drop;
	a = ip6_addrs_of(ip6);
	if (fwd_precheck(st, p, ip6, &a) < 0)
		goto drop;
	rt = route6_lookup(st, &a.dst);
	if (!rt || !rt->dev) {
		STAT_INC(st, ip6_fwd_no_route);
		icmp6_send_error(st, p, ICMP6_DST_UNREACH, ICMP6_DU_NOROUTE, 0);
		goto drop;
	}
	/* RFC 4007 9: a link-local source must not leave its link. */
	if (in6_is_linklocal(&a.src) && rt->dev != p->dev) {
		STAT_INC(st, ip6_fwd_beyond_scope);
		icmp6_send_error(st, p, ICMP6_DST_UNREACH, ICMP6_DU_BEYONDSCOPE, 0);
		goto drop;
	}
	/* Netfilter (issue 6): the decapsulated packet, once its way out is known. */
	if (st->nf_hooks && (nf_hook_run(st, NF_PREROUTING, p, p->dev, NULL) != NF_ACCEPT ||
			     nf_hook_run(st, NF_FORWARD, p, p->dev, rt->dev) != NF_ACCEPT))
		goto drop;
	/*
	 * RFC 8200 5: every link carries 1280 bytes (ip6_link_mtu never says
	 * less), so only a larger packet needs the link's MTU looked up.
	 */
	mtu = p->len > IPV6_MIN_MTU ? ip6_link_mtu(rt->dev) : IPV6_MIN_MTU;
	if (p->len > mtu) {
		STAT_INC(st, ip6_fwd_too_big);
		icmp6_send_error(st, p, ICMP6_PACKET_TOO_BIG, 0, mtu);
		goto drop;
	}
	nexthop = in6_is_unspec(&rt->gw) ? a.dst : rt->gw;
	/* A home agent's tunnel takes it off this link (RFC 6275 10.4.2): no Redirect. */
	if (rt->dev == p->dev && src_onlink(st, &a.src, p->dev) &&
	    !(st->mip6 && mip6_tunnel_dst(st, &a.dst))) {
		STAT_INC(st, ip6_fwd_redirect);
		nd6_send_redirect(st, p, &nexthop);
	}
	ip6->hlim--;
	p->flags |= PKT_F_FORWARDED;
	STAT_INC(st, ip6_fwd_ok);
	/* POSTROUTING before IPsec encapsulation: conntrack sees the plain packet. */
	if (st->nf_hooks && nf_hook_run(st, NF_POSTROUTING, p, p->dev, rt->dev) != NF_ACCEPT)
		goto drop;
	if (xfrm_output_needed(st)) {
		const struct xfrm_route xr = { .dev = rt->dev, .nexthop = nexthop };
		int rc = xfrm_output(st, p, &xr);

		if (rc != XFRM_OUT_PASS)
			return rc;
	}
	/* Mobile IPv6: a home agent tunnels what it forwards to a home address away (10.4.2). */
	if (st->mip6) {
		int rc = mip6_tunnel_output(st, p);

		if (rc != 1)
			return rc;
	}
	return nd6_output(st, rt->dev, &nexthop, p);
drop:
	pkt_free(p);
	return 0;
}
