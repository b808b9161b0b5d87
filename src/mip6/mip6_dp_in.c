/*
 * Mobile IPv6 data plane, input: the Home Address option swapped in the
 * Destination Options handler and checked before delivery (RFC 6275
 * 9.3.1), the type 2 routing header of a home address of this host (6.4,
 * 11.3.3), and the IPv6-in-IPv6 tunnels between mobile node and home
 * agent (10.4.5, 11.3.3). See mip6.h.
 */
#include "ipv6/exthdr.h"
#include "mip6/mip6_dp_priv.h"
#include "proto/ip6.h"
#include "xfrm/xfrm_io_priv.h"

/*
 * RFC 6275 6.3: the home address is a unicast routable address; one that
 * is multicast, unspecified, loopback, link-local or IPv4-mapped is not.
 */
static bool home_addr_ok(const struct in6_addr *a)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	return !in6_is_multicast(a) && !in6_is_unspec(a) && !in6_is_loopback(a) &&
	       !in6_is_linklocal(a) && memcmp(a, v4mapped, sizeof(v4mapped)) != 0;
}

int mip6_hao_input(struct stack *st, struct pkt *p, size_t opt_off)
{
	uint8_t *nh = pkt_nh(p), *o = nh + opt_off;
	struct in6_addr home;

	if (o[1] != 16) {
		STAT_INC(st, mip6_dp_hao_bad_len);
		return -EINVAL;
	}
	if (IP6_CB(p)->hao) {
		STAT_INC(st, mip6_dp_hao_dup);
		return -EINVAL;
	}
	memcpy(&home, o + 2, 16);
	if (!home_addr_ok(&home)) {
		STAT_INC(st, mip6_dp_hao_bad_addr);
		return -EINVAL;
	}
	/* 9.3.1: from here on the packet comes from the home address; the option keeps the care-of. */
	memcpy(o + 2, nh + offsetof(struct ip6_hdr, src), 16);
	memcpy(nh + offsetof(struct ip6_hdr, src), &home, 16);
	IP6_CB(p)->hao = (uint16_t)opt_off;
	STAT_INC(st, mip6_dp_hao_in);
	return 0;
}

/*
 * RFC 6275 9.3.1: a packet that carried a HAO is delivered when a binding
 * for (home address, care-of address) exists (a correspondent's binding
 * cache entry, or a home agent's), or when it is a Binding Update (the
 * binding does not exist yet; 9.5.1 / 10.3.1 check the BU itself).
 * Otherwise it is dropped and the care-of address gets a Binding Error
 * status 1 (mip6_send_be rate-limits it, 9.3.3).
 */
bool mip6_hao_allowed(struct stack *st, struct pkt *p, uint8_t upper_proto)
{
	const uint8_t *nh = pkt_nh(p);
	const uint8_t *mht;
	struct in6_addr coa;
	struct ip6_addrs a = ip6_addrs_of(nh);

	memcpy(&coa, nh + IP6_CB(p)->hao + 2, 16);
	if (upper_proto == NH_MH && (mht = pkt_header(p, 2, 1, NULL)) && *mht == MH_BU) {
		STAT_INC(st, mip6_dp_hao_bu);
		return true;
	}
	if (mip6_dp_match(st, MIP6_DP_CN, &a.src, &coa) || mip6_dp_match(st, MIP6_DP_HA, &a.src, &coa)) {
		STAT_INC(st, mip6_dp_hao_ok);
		return true;
	}
	STAT_INC(st, mip6_dp_hao_no_binding);
	/* 9.3.3: to the care-of address the packet came from, naming the home address. */
	mip6_send_be(st, &coa, &a.dst, MH_BE_UNKNOWN_HAO, &a.src);
	return false;
}

/*
 * RFC 6275 6.4 / 11.3.3: a type 2 routing header is accepted only for a
 * home address of this host, the packet coming to the care-of address
 * registered for it (the home address itself while at home): the mobile
 * node's home registration or a route-optimisation binding.
 */
static bool rh2_home_ok(const struct stack *st, const struct in6_addr *home,
			const struct in6_addr *dst)
{
	const struct mip6_dp_binding *b = mip6_dp_find(st, MIP6_DP_MN_HA, home, NULL);

	if (b && in6_equal(&b->coa, dst))
		return true;
	return mip6_dp_match(st, MIP6_DP_MN_RO, home, dst) != NULL;
}

/*
 * @rh: a well-formed RH2 (exthdr_rt2_parse: Segments Left 1) inside @p.
 * Anything else than one of our home addresses is silently discarded
 * (6.4: the mobile node does not forward it; no ICMP error).
 */
int mip6_rh2_input(struct stack *st, struct pkt *p, uint8_t *rh)
{
	uint8_t *nh = pkt_nh(p);
	struct in6_addr home, dst;

	memcpy(&home, rh + 8, 16);
	memcpy(&dst, nh + offsetof(struct ip6_hdr, dst), 16);
	if (!rh2_home_ok(st, &home, &dst)) {
		STAT_INC(st, mip6_dp_rh2_not_home);
		return -EINVAL;
	}
	/* RFC 8200 4.4: swap the destination with the one address, Segments Left 0. */
	memcpy(rh + 8, &dst, 16);
	memcpy(nh + offsetof(struct ip6_hdr, dst), &home, 16);
	rh[3] = 0;
	STAT_INC(st, mip6_dp_rh2_in);
	return 0;
}

/*
 * Which tunnel the outer @o / inner @in addresses belong to: the home
 * agent's reverse tunnel (outer care-of -> HA, inner from the home
 * address, 10.4.5) or the mobile node's (outer HA -> care-of, inner to
 * the home address, 11.3.3). 0: neither.
 */
static int tnl_in_kind(const struct stack *st, const struct ip6_addrs *o, const struct ip6_addrs *in)
{
	const struct mip6_dp_binding *b = mip6_dp_find(st, MIP6_DP_HA, &in->src, NULL);

	if (b && in6_equal(&b->coa, &o->src) && in6_equal(&b->peer, &o->dst))
		return MIP6_DP_HA + 1;
	b = mip6_dp_find(st, MIP6_DP_MN_HA, &in->dst, NULL);
	if (b && in6_equal(&b->peer, &o->src) && in6_equal(&b->coa, &o->dst))
		return MIP6_DP_MN_HA + 1;
	return 0;
}

int mip6_tunnel_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	struct pkt *p = *pp;
	const uint8_t *in;
	struct ip6_addrs oa, ia;
	int kind;

	if (*nxt != NH_IPV6 || (!mip6_dp_has(st, MIP6_DP_HA) && !mip6_dp_has(st, MIP6_DP_MN_HA)))
		goto not_ours;
	in = pkt_header(p, 0, IPV6_HLEN, NULL);
	if (!in || in[0] >> 4 != 6)
		goto not_ours;
	oa = ip6_addrs_of(pkt_nh(p));
	ia = ip6_addrs_of(in);
	kind = tnl_in_kind(st, &oa, &ia);
	if (!kind)
		goto not_ours;
	if (in[6] == NH_IPV6) {
		STAT_INC(st, mip6_dp_tnl_in_nested);
		goto drop;
	}
	if (xfrm_ecn_decap(p, xfrm_dsfield(pkt_nh(p))) < 0) {
		STAT_INC(st, mip6_dp_tnl_in_ecn);
		goto drop;
	}
	if (kind == MIP6_DP_HA + 1)
		STAT_INC(st, mip6_dp_tnl_in_ha);
	else
		STAT_INC(st, mip6_dp_tnl_in_mn);
	/* Re-enters IPv6 input on the same device, as a tunnel-mode SA's inner packet does. */
	p->nh = -1;
	p->th = -1;
	ip6_input(st, p);
	/* RFC 6275 11.7.2: tunnelled traffic from a correspondent may start route optimisation. */
	if (kind == MIP6_DP_MN_HA + 1 && st->mip6 && st->mip6->mn_tunnelled)
		st->mip6->mn_tunnelled(st, &ia.src);
	return 0;
drop:
	pkt_free(p);
	return 0;
not_ours:
	STAT_INC(st, mip6_dp_tnl_in_not_ours);
	return 1;
}
