/*
 * IPv4 forwarding (RFC 1812 5.2-5.3): address checks, TTL with an
 * incremental checksum update (RFC 1624), route, MTU (RFC 1191: DF set ->
 * fragmentation needed with the next-hop MTU; else fragment), Redirect
 * when the packet leaves by the interface it came in on.
 */
#include "core/stack.h"
#include "ipv4/icmp4.h"
#include "ipv4/route4.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "xfrm/xfrm_io.h"
#include "netfilter/nf_conntrack.h"

static bool ip4_is_linklocal(uint32_t a) { return (ntohl(a) >> 16) == 0xa9fe; }

/* RFC 1812 5.3.7, 4.2.2.11, RFC 3927 2.7: addresses a router never forwards. */
static bool ip4_fwd_addr_ok(uint32_t src, uint32_t dst)
{
	return !ip4_is_zeronet(src) && !ip4_is_linklocal(src) && !ip4_is_linklocal(dst) &&
	       !ip4_is_limited_bcast(dst);
}

/* RFC 1624 3: HC' = ~(~HC + ~m + m') for the TTL/protocol word going from @m to @m2. */
static void ip4_dec_ttl(uint8_t *h)
{
	uint16_t m = get_be16(h + 8), m2 = (uint16_t)(m - 0x100);
	uint32_t sum = (uint16_t)~get_be16(h + 10) + (uint16_t)~m + m2;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	h[8]--;
	put_be16(h + 10, (uint16_t)~sum);
}

/* RFC 1812 5.2.7.2: tell a host on the input subnet of a better first hop. */
static void ip4_maybe_redirect(struct stack *st, const struct pkt *p, const struct route4 *rt,
			       uint32_t nexthop)
{
	const struct route4 *srt = route4_lookup(st, ip4_get(pkt_nh(p) + 12));

	if (rt->dev != p->dev || !srt || srt->dev != p->dev || srt->gw)
		return;
	STAT_INC(st, ip4_fwd_redirect);
	icmp4_send_error(st, p, ICMP4_REDIRECT, 1, nexthop);
}

int ip4_forward(struct stack *st, struct pkt *p)
{
	uint8_t *h = pkt_nh(p);
	const struct route4 *rt;
	uint32_t nexthop, dst = ip4_get(h + 16);

	if (p->flags & (PKT_F_BCAST | PKT_F_MCAST)) {
		STAT_INC(st, ip4_fwd_l2_bcast);
		goto drop;
	}
	/* RFC 4301 5.2: a forwarded packet's protection must match its forward policy. */
	if (!xfrm_policy_pass(st, p, XFRM_DIR_FWD))
		goto drop;
	if (!ip4_fwd_addr_ok(ip4_get(h + 12), dst)) {
		STAT_INC(st, ip4_fwd_bad_addr);
		goto drop;
	}
	if (h[8] <= 1) {
		STAT_INC(st, ip4_fwd_ttl);
		icmp4_send_error(st, p, ICMP4_TIME_EXCEEDED, ICMP4_TE_TTL, 0);
		goto drop;
	}
	rt = route4_lookup(st, dst);
	if (!rt) {
		STAT_INC(st, ip4_fwd_no_route);
		icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_NET, 0);
		goto drop;
	}
	/* Netfilter (issue 6): the decapsulated packet, once its way out is known. */
	if (st->nf_hooks && (nf_hook_run(st, NF_PREROUTING, p, p->dev, NULL) != NF_ACCEPT ||
			     nf_hook_run(st, NF_FORWARD, p, p->dev, rt->dev) != NF_ACCEPT))
		goto drop;
	nexthop = rt->gw ? rt->gw : dst;
	if (p->len > rt->dev->mtu && (get_be16(h + 6) & IP4_DF)) {
		STAT_INC(st, ip4_fwd_frag_needed);
		icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_FRAG_NEEDED, rt->dev->mtu);
		goto drop;
	}
	ip4_maybe_redirect(st, p, rt, nexthop);
	ip4_dec_ttl(h);
	p->flags = PKT_F_FORWARDED;
	STAT_INC(st, ip4_fwd_datagrams);
	/* POSTROUTING before IPsec encapsulation: conntrack sees the plain packet. */
	if (st->nf_hooks && nf_hook_run(st, NF_POSTROUTING, p, p->dev, rt->dev) != NF_ACCEPT)
		goto drop;
	if (xfrm_output_needed(st)) {
		struct xfrm_route xr = { .dev = rt->dev };
		int rc;

		ip4_to_mapped(&xr.nexthop, nexthop);
		rc = xfrm_output(st, p, &xr);
		if (rc != XFRM_OUT_PASS)
			return rc;
	}
	return ip4_finish_output(st, p, rt->dev, nexthop);
drop:
	pkt_free(p);
	return 0;
}
