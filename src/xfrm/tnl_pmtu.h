/*
 * The tunnel MTU of RFC 2473 7.1, shared by every tunnel entry point of
 * the stack: the Mobile IPv6 IPv6-in-IPv6 tunnels (mip6_dp_out.c) and
 * IPsec tunnel mode (xfrm_tunnel.c, any IPv6/IPv4 nesting).
 */
#ifndef USAGI_XFRM_TNL_PMTU_H
#define USAGI_XFRM_TNL_PMTU_H

#include "core/stack.h"

/*
 * Decides what happens to the original packet @p (data = nh = its IPv6
 * or IPv4 header, not yet encapsulated) at a tunnel entry whose tunnel
 * MTU (outer path MTU minus every header and trailer the tunnel adds) is
 * @tmtu. Returns 0 when @p is to be sent: it fits, or it may be
 * fragmented as an outer packet (an IPv6 packet of at most 1280 octets,
 * RFC 2473 7.1; an IPv4 packet without DF, RFC 2003 5.1; a non-TCP IPv6
 * packet of this node, which is its source). Returns -EMSGSIZE when @p
 * must be dropped by the caller: a forwarded IPv6 packet over 1280 and
 * over @tmtu (a Packet Too Big with max(@tmtu, 1280) to its source), a
 * local TCP segment so large (the same through loopback), an IPv4 packet
 * with DF (Destination Unreachable, fragmentation needed, next-hop MTU
 * @tmtu, RFC 1191). An error about a local packet (not forwarded) goes to
 * its source address, so through the loopback queue only: the PMTU cache
 * for the inner destination is lowered and TCP/UDP are told exactly as
 * for a received error, and nothing goes on the wire. Every case is
 * counted (tnl_pmtu_stats.def). Does not consume @p.
 */
int tnl_pmtu_check(struct stack *st, const struct pkt *p, uint32_t tmtu);

struct xfrm_bundle;

/*
 * What xfrm_tunnel_mtu_check keeps of one bundle, next to it in
 * xfrm_output's bundle cache (zeroed with the bundle: empty). @fit is a
 * length every original packet up to which surely fits: whatever route
 * the outer destination takes, its packet is at most the lowest path MTU
 * any link of the host would give that destination (the lowest link MTU,
 * lowered by its PMTU entry). It holds while pmtu_cache_gen is @gen:
 * that generation changes with every PMTU entry stored and every link MTU
 * changed or link added, the only events that can lower that bound.
 * Route and address changes need no check: the bound covers every link.
 */
struct xfrm_tmtu_cache {
	uint64_t gen;          /* pmtu_cache_gen when filled; 0: empty */
	uint32_t fit;          /* UINT32_MAX: no tunnel step, nothing to check */
};

/*
 * For xfrm_output (defined in xfrm_tunnel.c): RFC 2473 7.1 / RFC 4301 8.2
 * for a bundle with a tunnel step, asked before it is applied to @p (data
 * = nh = the IP header): the octets the bundle will add, against the path
 * MTU of the outermost tunnel destination. 0: send @p (no tunnel step, it
 * fits, or tnl_pmtu_check lets it be fragmented as an outer packet);
 * -EMSGSIZE: an error went to @p's source (remote, or this node through
 * loopback), the caller drops @p. Counted (tnl_pmtu_stats.def). Does not
 * consume @p. @c: @b's cache entry (NULL: none), filled here when stale.
 * Cost: a packet no longer than @c's fit costs two compares; otherwise a
 * walk of the steps, and the outer route and PMTU are looked up only when
 * the outer packet would pass the family's guaranteed MTU.
 */
int xfrm_tunnel_mtu_check(struct stack *st, const struct pkt *p, const struct xfrm_bundle *b,
			  struct xfrm_tmtu_cache *c);

#endif
