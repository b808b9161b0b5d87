/*
 * IPv6 input (RFC 8200): header checks, Hop-by-Hop first, then local
 * delivery through the extension-header chain and the upper-layer table,
 * or forwarding.
 */
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/exthdr.h"
#include "ipv6/frag6.h"
#include "ipv6/mld6.h"
#include "link/netdev.h"
#include "mip6/mip6.h"
#include "proto/ip6.h"
#include "xfrm/xfrm_io.h"
#include "netfilter/nf_conntrack.h"

/* RFC 8200 4.1: a Hop-by-Hop header anywhere but first is an unrecognised next header. */
static int hbh_not_first(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	STAT_INC(st, ip6_in_hbh_not_first);
	icmp6_send_error(st, *pp, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, IP6_CB(*pp)->nhoff);
	pkt_free(*pp);
	return EXT_DONE;
}

/* RFC 8200 4.7: nothing follows; not an error. */
static int no_next_header(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	STAT_INC(st, ip6_in_no_next);
	pkt_free(*pp);
	return EXT_DONE;
}

static int nested_frag(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	if (IP6_CB(*pp)->flags & IP6_CB_FRAG) {
		STAT_INC(st, ip6_in_nested_frag);
		pkt_free(*pp);
		return EXT_DONE;
	}
	return frag6_input(st, pp, nxt);
}

/* What follows a header: an extension header step or an upper-layer protocol. */
static const struct {
	ip6_ext_input ext;
	ip6_upper_input upper;
} ip6_protos[256] = {
	[NH_HOPOPTS] = { .ext = hbh_not_first },
	[NH_DSTOPTS] = { .ext = exthdr_dst_input },
	[NH_ROUTING] = { .ext = exthdr_rt_input },
	[NH_FRAGMENT] = { .ext = nested_frag },
	[NH_NONE] = { .ext = no_next_header },
	/* IPsec (xfrm_io.h): each removes its header and goes on, or re-enters a tunnel's packet. */
	[NH_ESP] = { .ext = xfrm6_input },
	[NH_AH] = { .ext = xfrm6_input },
	[NH_IPCOMP] = { .ext = xfrm6_input },
	[NH_IPV6] = { .ext = xfrm6_iptnl_input },
	[NH_IPIP] = { .ext = xfrm6_iptnl_input },
	[NH_ICMPV6] = { .upper = icmp6_input },
	[NH_UDP] = { .upper = udp6_input },
	[NH_TCP] = { .upper = tcp6_input },   /* l4/tcp_input.c */
	[NH_MH] = { .upper = mip6_mh_input },   /* RFC 6275 6.1 (mip6/mip6_input.c) */
};


/* Walks the chain from data (named by *nxt) to an upper layer. Consumes @p. */
static int ip6_deliver(struct stack *st, struct pkt *p, uint8_t nxt)
{
	for (;;) {
		if (ip6_protos[nxt].upper) {
			/* RFC 4301 5.2: the SAs it came through must be the ones its policy asks for. */
			if (!xfrm_policy_pass(st, p, XFRM_DIR_IN)) {
				pkt_free(p);
				return -EPERM;
			}
			/* RFC 6275 9.3.1: a Home Address option needs a binding (or a BU). */
			if (IP6_CB(p)->hao && !mip6_hao_allowed(st, p, nxt)) {
				pkt_free(p);
				return -EPERM;
			}
			if (st->nf_hooks && !nf_hook_local_in(st, p)) {
				pkt_free(p);
				return -EPERM;
			}
			STAT_INC(st, ip6_in_delivers);
			pkt_set_th(p);
			return ip6_protos[nxt].upper(st, p);
		}
		if (!ip6_protos[nxt].ext) {
			/* RFC 8200 4: unrecognised Next Header, pointer at the byte that named it. */
			STAT_INC(st, ip6_in_unknown_proto);
			icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER,
					 IP6_CB(p)->nhoff);
			pkt_free(p);
			return -EPROTONOSUPPORT;
		}
		if (ip6_protos[nxt].ext(st, &p, &nxt) != EXT_CONTINUE)
			return 0;
	}
}

/*
 * RFC 8200 3, RFC 4291 2.5.3/2.7: fixed-header checks. 0 or the counter's
 * drop. Fills @a with the header's addresses: they are copied out once per
 * packet (wire headers are not aligned) and every later step reads the copy.
 */
static int ip6_rcv_check(struct stack *st, struct pkt *p, struct ip6_addrs *a)
{
	const struct ip6_hdr *ip6 = pkt_header(p, 0, IPV6_HLEN, NULL);
	uint32_t plen;

	if (!ip6) {
		STAT_INC(st, ip6_in_truncated);
		return -EINVAL;
	}
	if (ip6_version(ip6) != 6) {
		STAT_INC(st, ip6_in_bad_version);
		return -EINVAL;
	}
	plen = get_be16(ip6->plen);
	if (plen == 0) {
		STAT_INC(st, ip6_in_jumbo);
		return -EINVAL;
	}
	if (plen > p->len - IPV6_HLEN) {
		STAT_INC(st, ip6_in_truncated);
		return -EINVAL;
	}
	pkt_trim(p, IPV6_HLEN + plen);  /* link-layer padding */
	*a = ip6_addrs_of(ip6);
	if (in6_is_multicast(&a->src) || in6_is_loopback(&a->src)) {
		STAT_INC(st, ip6_in_bad_src);
		return -EINVAL;
	}
	if (in6_is_unspec(&a->dst) || in6_is_loopback(&a->dst)) {
		STAT_INC(st, ip6_in_bad_dst);
		return -EINVAL;
	}
	if (in6_is_multicast(&a->dst) && in6_mc_scope(&a->dst) == 0) {
		STAT_INC(st, ip6_in_mc_scope0);
		return -EINVAL;
	}
	return 0;
}

/*
 * The destination's own address entry, if it names one (multicast never
 * does); looked up once per packet and used both to deliver and to refuse
 * forwarding.
 */
static const struct inet6_ifaddr *ip6_dst_ifa(struct stack *st, const struct in6_addr *dst)
{
	return in6_is_multicast(dst) ? NULL : addrconf_lookup(st, dst);
}

/* True if the packet is ours: a usable local unicast address, or a group joined on the interface. */
static bool ip6_for_us(const struct pkt *p, const struct in6_addr *dst,
		       const struct inet6_ifaddr *ifa)
{
	if (in6_is_multicast(dst))
		return mld6_is_member(p->dev, dst);
	return ifa && addrconf_ifa_usable(ifa);
}

/*
 * Not ours: forward if allowed, never multicast or link-local destinations.
 * @ifa is the destination's address entry (ip6_dst_ifa). Consumes @p.
 */
static int ip6_not_for_us(struct stack *st, struct pkt *p, const struct in6_addr *dst,
			  const struct inet6_ifaddr *ifa)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)pkt_nh(p);

	p->data = (uint8_t *)ip6;
	p->len = IPV6_HLEN + get_be16(ip6->plen);
	if (in6_is_multicast(dst)) {
		STAT_INC(st, ip6_in_not_member);
		goto drop;
	}
	/*
	 * RFC 4862 5.4: a tentative address of ours is not a reason to forward;
	 * a dadfailed one belongs to the node that defended it, so it is.
	 */
	if (!ip6_forwarding(st, p->dev) || (ifa && (ifa->flags & IFA_F_TENTATIVE))) {
		STAT_INC(st, ip6_in_not_for_us);
		goto drop;
	}
	if (in6_is_linklocal(dst)) {
		STAT_INC(st, ip6_in_mc_no_forward);
		goto drop;
	}
	return ip6_forward(st, p);
drop:
	pkt_free(p);
	return 0;
}

int ip6_input(struct stack *st, struct pkt *p)
{
	const struct inet6_ifaddr *ifa;
	struct ip6_addrs a;
	uint8_t nxt;

	STAT_INC(st, ip6_in_receives);
	pkt_set_nh(p);
	if (ip6_rcv_check(st, p, &a) < 0)
		goto drop;
	*IP6_CB(p) = (struct ip6_cb){
		.iif = p->dev ? p->dev->ifindex : 0,
		.nhoff = offsetof(struct ip6_hdr, nxt),
	};
	nxt = ((const struct ip6_hdr *)p->data)->nxt;
	pkt_pull(p, IPV6_HLEN);
	/* RFC 8200 4.3: Hop-by-Hop is examined by every node on the path, first. */
	if (nxt == NH_HOPOPTS && exthdr_hbh_input(st, &p, &nxt) != EXT_CONTINUE)
		return 0;
	ifa = ip6_dst_ifa(st, &a.dst);
	if (!ip6_for_us(p, &a.dst, ifa))
		return ip6_not_for_us(st, p, &a.dst, ifa);
	return ip6_deliver(st, p, nxt);
drop:
	pkt_free(p);
	return -EINVAL;
}
