/*
 * Mobile IPv6 data plane, output: the Home Address option and the type 2
 * routing header inserted into a finished local packet (ip6_output, before
 * IPsec), and the IPv6-in-IPv6 tunnels between mobile node and home agent
 * (ip6_finish_output entry and ip6_forward, after IPsec). See mip6.h.
 */
#include "ipv6/addrconf.h"
#include "ipv6/exthdr.h"
#include "ipv6/icmp6.h"
#include "ipv6/ipv6.h"
#include "link/netdev.h"
#include "mip6/mip6_dp_priv.h"
#include "proto/ip6.h"
#include "xfrm/tnl_pmtu.h"
#include "xfrm/xfrm_io.h"

#define MIP6_XHDR_LEN 24          /* RH2 and our HAO Destination Options header alike */
#define MIP6_LL_ROOM 16           /* link header room kept in front of what we push */

/* RFC 6275 6.4: Hdr Ext Len 2, Routing Type 2, Segments Left 1, reserved, home address. */
static void build_rh2(uint8_t *h, uint8_t nxt, const struct in6_addr *home)
{
	h[0] = nxt;
	h[1] = 2;
	h[2] = 2;
	h[3] = 1;
	memset(h + 4, 0, 4);
	memcpy(h + 8, home, 16);
}

/*
 * RFC 6275 6.3: the option's alignment is 8n+6, so a 4-octet PadN puts
 * its type at offset 6 and the address, 8-octet aligned, at 8..23.
 */
static void build_hao(uint8_t *h, uint8_t nxt, const struct in6_addr *home)
{
	h[0] = nxt;
	h[1] = 2;
	h[2] = OPT6_PADN;
	h[3] = 2;
	h[4] = h[5] = 0;
	h[6] = OPT6_HAO;
	h[7] = 16;
	memcpy(h + 8, home, 16);
}

/*
 * Where a RH2 or HAO header goes (RFC 8200 4.1, RFC 6275 6.3/6.4): after
 * the IPv6 header, a first Hop-by-Hop header, a Destination Options header
 * that precedes a Routing header, and Routing headers (so a HAO follows a
 * RH2); before a Fragment header, AH, ESP, final Destination Options and
 * the upper layer. *off: the insertion offset; *nhoff: the byte that names
 * what is there now. -EINVAL if a header runs past @len. Bounded: every
 * step consumes at least 8 octets.
 */
static int insert_point(const uint8_t *d, size_t len, size_t *off, size_t *nhoff)
{
	size_t o = IPV6_HLEN, nho = offsetof(struct ip6_hdr, nxt);
	uint8_t nxt = d[nho];

	while (nxt == NH_ROUTING || nxt == NH_DSTOPTS || (nxt == NH_HOPOPTS && o == IPV6_HLEN)) {
		size_t hl;

		if (len - o < 8)
			return -EINVAL;
		hl = ((size_t)d[o + 1] + 1) * 8;
		if (hl > len - o)
			return -EINVAL;
		if (nxt == NH_DSTOPTS && d[o] != NH_ROUTING)
			break;
		nho = o;
		nxt = d[o];
		o += hl;
	}
	*off = o;
	*nhoff = nho;
	return 0;
}

/* Inserts a 24-octet header of type @type (43 or 60) at the insertion point. Room checked by the caller. */
static int insert_hdr(struct pkt *p, uint8_t type, const struct in6_addr *home)
{
	size_t off, nhoff;
	uint8_t *d, nxt;

	if (insert_point(p->data, p->len, &off, &nhoff) < 0)
		return -EINVAL;
	d = pkt_push(p, MIP6_XHDR_LEN);
	memmove(d, d + MIP6_XHDR_LEN, off);
	nxt = d[nhoff];
	d[nhoff] = type;
	if (type == NH_ROUTING)
		build_rh2(d + off, nxt, home);
	else
		build_hao(d + off, nxt, home);
	put_be16(d + 4, (uint16_t)(get_be16(d + 4) + MIP6_XHDR_LEN));
	pkt_set_nh(p);
	return 0;
}

/*
 * Neighbor Discovery and MLD (RFC 4861, RFC 3810) belong to the link they
 * are sent on: hop limit 255 / link scope, never rerouted by a binding or
 * carried through a tunnel (a correspondent resolving a mobile node back at
 * home must not send its NA to the old care-of address).
 */
static bool link_scoped_icmp6(const uint8_t *ip6, size_t len)
{
	size_t off = IPV6_HLEN;
	uint8_t nxt = ip6[6], type;

	if (nxt == NH_HOPOPTS && len >= off + 8) {     /* MLD's Router Alert */
		nxt = ip6[off];
		off += ((size_t)ip6[off + 1] + 1) * 8;
	}
	if (nxt != NH_ICMPV6 || len < off + 1)
		return false;
	type = ip6[off];
	return (type >= 130 && type <= 137) || type == 143;
}

/*
 * What the bindings ask for a packet from @a->src to @a->dst (6.1: never
 * for a Mobility Header message, which bypasses the binding cache and the
 * binding update list): a HAO when route-optimised with the correspondent
 * (MN_RO, away), a RH2 when the destination is a home address in the
 * binding cache (CN, 9.3.2).
 */
static void binding_wants(const struct stack *st, const struct ip6_addrs *a, uint8_t first_nxt,
			  const struct in6_addr **hao_coa, const struct in6_addr **rh2_coa)
{
	const struct mip6_dp_binding *b;

	if (first_nxt == NH_MH)
		return;
	if (!*hao_coa && (b = mip6_dp_find(st, MIP6_DP_MN_RO, &a->src, &a->dst)) &&
	    !in6_equal(&b->coa, &b->hoa))
		*hao_coa = &b->coa;
	if (!*rh2_coa && (b = mip6_dp_find(st, MIP6_DP_CN, &a->dst, NULL)) &&
	    !in6_equal(&b->coa, &b->hoa))
		*rh2_coa = &b->coa;
}

/* Both insertions fit (payload length, headroom), or -errno counted and @p untouched. */
static int out_room(struct stack *st, struct pkt *p, size_t add)
{
	if (p->len - IPV6_HLEN + add > 65535) {
		STAT_INC(st, mip6_dp_out_too_big);
		return -EMSGSIZE;
	}
	if (pkt_reserve_headroom(p, add + MIP6_LL_ROOM) < 0) {
		STAT_INC(st, mip6_dp_out_nobufs);
		return -ENOBUFS;
	}
	return 0;
}

/*
 * A local TCP segment sized before the binding existed (a connection
 * opened at home, or before route optimisation) that the HAO/RH2 (@add
 * octets) push past the path MTU of where it now goes (@to): it is still
 * sent, fragmented at this source, and TCP hears a Packet Too Big with
 * that path MTU through the loopback, so it recomputes its MSS with the
 * binding's overhead (tcp_path_mss) instead of fragmenting every segment.
 */
static void mss_notify(struct stack *st, struct pkt *p, const struct in6_addr *to, size_t add)
{
	struct xfrm_route rt;
	uint32_t mtu;
	uint8_t proto;
	size_t off;

	if (p->len + add <= IPV6_MIN_MTU || ip6_find_upper(p->data, p->len, &proto, &off) < 0 ||
	    proto != NH_TCP || ip6_route_xfrm(st, to, &rt) < 0 || rt.local)
		return;
	mtu = pmtu6_get(st, to, rt.dev);
	if (p->len > mtu || p->len + add <= mtu)
		return;
	STAT_INC(st, mip6_dp_out_mss_notify);
	pkt_set_nh(p);
	icmp6_send_error(st, p, ICMP6_PACKET_TOO_BIG, 0, mtu);
}

int mip6_output(struct stack *st, struct pkt *p, const struct in6_addr *hao_coa,
		const struct in6_addr *rh2_coa, bool *dst_changed)
{
	struct ip6_addrs a;
	size_t off, nhoff, add;
	int rc;

	*dst_changed = false;
	if (p->len < IPV6_HLEN)
		return 0;
	a = ip6_addrs_of(p->data);
	if (!link_scoped_icmp6(p->data, p->len))
		binding_wants(st, &a, p->data[6], &hao_coa, &rh2_coa);
	if (!hao_coa && !rh2_coa)
		return 0;
	/* The chain is walked once up front, so a failure leaves @p untouched. */
	if (insert_point(p->data, p->len, &off, &nhoff) < 0) {
		STAT_INC(st, mip6_dp_out_bad_hdr);
		return -EINVAL;
	}
	add = (hao_coa ? MIP6_XHDR_LEN : 0) + (rh2_coa ? MIP6_XHDR_LEN : 0);
	rc = out_room(st, p, add);
	if (rc < 0)
		return rc;
	mss_notify(st, p, rh2_coa ? rh2_coa : &a.dst, add);
	/* RFC 8200 8.1 / RFC 6275 6.1.1: the checksum already covers the home address: kept. */
	if (rh2_coa) {
		insert_hdr(p, NH_ROUTING, &a.dst);
		memcpy(p->data + 24, rh2_coa, 16);
		*dst_changed = true;
		STAT_INC(st, mip6_dp_rh2_out);
	}
	if (hao_coa) {
		insert_hdr(p, NH_DSTOPTS, &a.src);
		memcpy(p->data + 8, hao_coa, 16);
		STAT_INC(st, mip6_dp_hao_out);
	}
	return 0;
}

/* ---- tunnels ---- */

static uint8_t tnl_hop_limit(const struct netdev *dev)
{
	if (dev->in6 && dev->in6->cur_hlim)
		return dev->in6->cur_hlim;
	return (uint8_t)ip6_conf_of(dev)->hop_limit;
}

/*
 * Pushes the outer header @src -> @dst (next header 41; traffic class and
 * flow label copied from the inner packet, RFC 2473 6.3/6.5), routes @dst
 * and sends. Consumes @p. The outer packet goes straight to
 * ip6_finish_output, not through the SPD again: IPsec of the inner packet
 * was applied before (mip6.h). RFC 2473 7.1: an inner packet over the
 * tunnel MTU (the outer path MTU - 40) is answered with a Packet Too Big
 * (tnl_pmtu_check: to a remote source, or through loopback to this node's
 * own socket) and dropped, unless it is at most 1280 octets: then the
 * outer packet is fragmented by ip6_finish_output.
 */
static int tnl_send(struct stack *st, struct pkt *p, const struct in6_addr *src,
		    const struct in6_addr *dst)
{
	const struct ip6_hdr *in = (const struct ip6_hdr *)p->data;
	struct xfrm_route rt;
	struct ip6_hdr *o;
	uint32_t vtcfl = get_be32(in->vtcfl);
	int rc;

	if (ip6_route_xfrm(st, dst, &rt) < 0) {
		STAT_INC(st, mip6_dp_tnl_out_no_route);
		rc = -ENETUNREACH;
		goto drop;
	}
	if (p->len > 65535) {
		STAT_INC(st, mip6_dp_tnl_out_too_big);
		rc = -EMSGSIZE;
		goto drop;
	}
	/* Only a packet that could pass 1280 octets once wrapped looks at the path MTU. */
	if (!rt.local && p->len + IPV6_HLEN > IPV6_MIN_MTU) {
		pkt_set_nh(p);
		/* Dropped like a router drops it: the sender learns from the error, not from rc. */
		if (tnl_pmtu_check(st, p, pmtu6_get(st, dst, rt.dev) - IPV6_HLEN) < 0) {
			pkt_free(p);
			return 0;
		}
	}
	if (pkt_reserve_headroom(p, IPV6_HLEN + MIP6_LL_ROOM) < 0) {
		STAT_INC(st, mip6_dp_out_nobufs);
		rc = -ENOBUFS;
		goto drop;
	}
	o = pkt_push(p, IPV6_HLEN);
	put_be32(o->vtcfl, vtcfl);
	put_be16(o->plen, (uint16_t)(p->len - IPV6_HLEN));
	o->nxt = NH_IPV6;
	o->hlim = tnl_hop_limit(rt.dev);
	o->src = *src;
	o->dst = *dst;
	pkt_set_nh(p);
	if (rt.local) {
		if (stack_loopback(st, p, rt.dev) < 0) {
			STAT_INC(st, mip6_dp_out_nobufs);
			return -ENOBUFS;
		}
		return 0;
	}
	return ip6_finish_output(st, p, rt.dev, &rt.nexthop);
drop:
	pkt_free(p);
	return rc;
}

/*
 * The tunnel a packet from @a->src to @a->dst belongs in: the home agent's
 * to a registered home address away from home (10.4.2), else the mobile
 * node's reverse tunnel for its home address as source (11.3.1: a
 * route-optimised packet left from the care-of address with a HAO and does
 * not match). Link-local and multicast-link-scope packets stay on their link.
 */
static const struct mip6_dp_binding *tnl_binding(const struct stack *st, const struct ip6_addrs *a,
						 bool *ha)
{
	const struct mip6_dp_binding *b;

	if (in6_is_linklocal(&a->src) || in6_is_linklocal(&a->dst) ||
	    (in6_is_multicast(&a->dst) && in6_mc_scope(&a->dst) <= 2))
		return NULL;
	*ha = true;
	b = mip6_dp_find(st, MIP6_DP_HA, &a->dst, NULL);
	if (b && !in6_equal(&b->coa, &b->hoa))
		return b;
	*ha = false;
	b = mip6_dp_find(st, MIP6_DP_MN_HA, &a->src, NULL);
	if (b && !in6_equal(&b->coa, &b->hoa))
		return b;
	return NULL;
}

int mip6_tunnel_output(struct stack *st, struct pkt *p)
{
	const struct mip6_dp_binding *b;
	const struct in6_addr *src, *dst;
	struct ip6_addrs a;
	bool ha;

	if (!mip6_dp_has(st, MIP6_DP_HA) && !mip6_dp_has(st, MIP6_DP_MN_HA))
		return 1;
	if (p->len < IPV6_HLEN || p->data[0] >> 4 != 6 || link_scoped_icmp6(p->data, p->len))
		return 1;
	a = ip6_addrs_of(p->data);
	b = tnl_binding(st, &a, &ha);
	if (!b)
		return 1;
	src = ha ? &b->peer : &b->coa;
	dst = ha ? &b->coa : &b->peer;
	/* Our own outer packet coming back (bindings chained through each other): wrap once. */
	if (p->data[6] == NH_IPV6 && in6_equal(&a.src, src))
		return 1;
	if (ha)
		STAT_INC(st, mip6_dp_tnl_out_ha);
	else
		STAT_INC(st, mip6_dp_tnl_out_mn);
	return tnl_send(st, p, src, dst);
}

bool mip6_tunnel_dst(struct stack *st, const struct in6_addr *dst)
{
	const struct mip6_dp_binding *b = mip6_dp_find(st, MIP6_DP_HA, dst, NULL);

	return b && !in6_equal(&b->coa, &b->hoa);
}

/*
 * Octets Mobile IPv6 adds to a local packet @src -> @dst, for the transport
 * MSS (RFC 6275): a mobile node away from home, source its home address,
 * route-optimised with @dst adds a HAO (6.3, 24), otherwise the reverse
 * tunnel to the home agent (11.3.1, an IPv6 header, 40); a correspondent
 * with a binding for @dst adds a RH2 (6.4, 24). A home agent's tunnelling
 * of forwarded traffic is not a local transport's concern.
 */
uint32_t mip6_output_overhead(const struct stack *st, const struct in6_addr *src,
			      const struct in6_addr *dst)
{
	const struct mip6_dp_binding *b;
	uint32_t n = 0;

	if (in6_is_linklocal(src) || in6_is_linklocal(dst) || in6_is_multicast(dst))
		return 0;
	b = mip6_dp_find(st, MIP6_DP_MN_RO, src, dst);
	if (b && !in6_equal(&b->coa, &b->hoa)) {
		n += MIP6_XHDR_LEN;
	} else {
		b = mip6_dp_find(st, MIP6_DP_MN_HA, src, NULL);
		if (b && !in6_equal(&b->coa, &b->hoa))
			n += IPV6_HLEN;
	}
	b = mip6_dp_find(st, MIP6_DP_CN, dst, NULL);
	if (b && !in6_equal(&b->coa, &b->hoa))
		n += MIP6_XHDR_LEN;
	return n;
}

uint32_t mip6_tunnel_overhead(const struct stack *st, const struct in6_addr *src,
			      const struct in6_addr *dst)
{
	const struct mip6_dp_binding *b;

	if (in6_is_linklocal(src) || in6_is_linklocal(dst) || in6_is_multicast(dst))
		return 0;
	b = mip6_dp_find(st, MIP6_DP_MN_RO, src, dst);
	if (b && !in6_equal(&b->coa, &b->hoa))
		return 0;
	b = mip6_dp_find(st, MIP6_DP_MN_HA, src, NULL);
	return b && !in6_equal(&b->coa, &b->hoa) ? IPV6_HLEN : 0;
}
