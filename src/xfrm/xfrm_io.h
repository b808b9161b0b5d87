/*
 * The IPsec packet path (RFC 4301 5): where IPv6 and IPv4 input, output
 * and forwarding meet the SPD and the SAD. Shaped like Linux XFRM:
 *
 * Output (ip6_output/ip4_output for local packets, ip6_forward/ip4_forward
 * for forwarded ones), once the IP header is complete:
 *   flow key -> xfrm_policy_lookup(OUT) -> block: drop; allow/none: pass;
 *   ipsec: xfrm_policy_resolve -> xfrm_state_find per step (a missing SA of
 *   a `require`/`unique` template: xfrm_acquire, the packet is dropped and
 *   counted, never sent in clear; a missing `use` SA: the step is skipped)
 *   -> steps applied innermost first: a tunnel step pushes the outer header
 *   (IPv6 or IPv4, any nesting) and then inserts its protocol header after
 *   it, a transport step inserts its header after the IP header (IPv4) or
 *   after Hop-by-Hop, Routing, and Destination Options carrying a Home
 *   Address option (IPv6, RFC 4303 3.1.1, RFC 6275) -> route of the outer
 *   destination -> fragmentation -> neighbour output (or the loopback
 *   queue for a local outer destination).
 *
 * Input: ESP (50), AH (51) and IPComp (108) are extension headers of the
 * IPv6 chain and protocols of IPv4 delivery. Each finds its SA by (outer
 * destination, SPI/CPI, protocol), checks the replay window before the ICV
 * (ESP, AH), decapsulates, advances the window, accounts the lifetime and
 * appends the SA to the packet's security path (pkt->sp, held). Transport
 * mode: the header is cut out of the packet (the IP header moved up to the
 * payload, lengths and next-header byte fixed) and IPv6 goes on along the
 * chain, IPv4 re-enters ip4_input. Tunnel mode: the inner packet
 * (next header 41 or 4) re-enters ip6_input/ip4_input with its security
 * path. Every failure is a counted drop; nothing is decrypted into the
 * stack from a packet that fails its checks.
 *
 * Policy check: before a packet is delivered to an upper layer (dir IN) or
 * forwarded (dir FWD), its security path must satisfy the policy for its
 * (inner) flow: every required template matched by an SA of the path in
 * order (proto, mode, reqid and SPI when the template names them, tunnel
 * endpoints), optional (`use`) transport templates may be missing, and no
 * tunnel-mode SA may be left unmatched. A packet that arrived in clear
 * where the policy demands IPsec fails. No policy: pass, unless the path
 * holds a tunnel-mode SA.
 *
 * Details of the packet path (docs/ipsec.md, "The packet path"):
 * - Templates are matched from the outermost (the last applied on output)
 *   against the path from its outermost SA. A transport-mode SA the
 *   templates do not name may be stepped over (Linux does the same); a
 *   tunnel-mode SA may not. A `use` template of either mode may be missing
 *   as long as no tunnel-mode SA is stepped over: output skips a missing
 *   `use` SA of either mode, so input must accept what output sends.
 *   IPComp templates are always optional on input: a payload that did not
 *   compress travels without IPComp header (RFC 3173 2.2).
 * - Input: an SA is used in the mode it was made with. A tunnel-mode SA
 *   whose payload is not IPv6 (41) or IPv4 (4) is a counted drop; a
 *   transport-mode SA whose payload is IP-in-IP delivers that payload to
 *   the next-header table like any other (RFC 4301 treats it as transport
 *   of protocol 41/4; Linux hands it to an ip6tnl/ipip device if one is
 *   configured), where only an IPComp tunnel-mode SA takes it (below).
 * - IP-in-IP (41, 4) arriving where an IPComp tunnel-mode SA exists for
 *   (outer destination, outer source) is that SA's uncompressed traffic
 *   (RFC 3173 2.2): the SA joins the security path and the inner packet is
 *   re-injected. Without such an SA, IP-in-IP stays an unknown protocol.
 * - The security path is released once the policy check passes before
 *   delivery or forwarding (nothing above the IP layer reads it), and a
 *   packet a host sends carries none.
 * - Per-SA lifetimes count, per packet, the bytes an SA protects: on
 *   output what follows the header part (transport) or the inner packet
 *   (tunnel), on input the IPsec header and everything after it.
 */
#ifndef USAGI_XFRM_XFRM_IO_H
#define USAGI_XFRM_XFRM_IO_H

#include "core/stack.h"
#include "xfrm/policy.h"

struct netdev;

/* xfrm_output: no policy asked for IPsec; the caller sends @p itself. */
#define XFRM_OUT_PASS 1

/* Where the caller would send the packet: what it already routed. */
struct xfrm_route {
	struct netdev *dev;
	struct in6_addr nexthop;    /* IPv4: mapped */
	bool local;                 /* to this host (loopback queue) */
};

/* True when output must look at the SPD (any OUT policy). */
static inline bool xfrm_output_needed(const struct stack *st)
{
	return st->xfrm_npol[XFRM_DIR_OUT] != 0;
}

/*
 * Applies the outbound policy to @p: data = nh = a complete IPv6 or IPv4
 * header (local or forwarded; hop limit/TTL already final). @rt is where
 * the caller routed the original destination; it is used when the outer
 * destination did not change (transport-only bundles), else the outer
 * destination is routed here.
 * Returns XFRM_OUT_PASS with @p untouched when no IPsec applies (no policy,
 * or allow); otherwise consumes @p: 0 when sent (or queued to loopback),
 * -EPERM (block policy), -EAGAIN (SA being acquired), -ENETUNREACH,
 * -ENOBUFS, -EMSGSIZE, -EKEYEXPIRED, -EIO, -EINVAL (headers that cannot
 * be walked, a policy whose bundle cannot be resolved, an SA without
 * algorithms), -EOVERFLOW (sequence numbers used up). Every drop is
 * counted. A packet handed to xfrm_output must not carry a security path
 * it means to keep: it is released. The outer packet is fragmented by
 * ip6_finish_output/ip4_finish_output (an outer IPv4 header copies DF
 * from an inner IPv4 one, so such a packet too big is dropped there).
 * A tunnel bundle first checks @p against the tunnel MTU (RFC 2473 7.1,
 * xfrm/tnl_pmtu.h): a packet that may not be fragmented as an outer one
 * is dropped with an ICMP error to its source and 0 is returned.
 */
int xfrm_output(struct stack *st, struct pkt *p, const struct xfrm_route *rt);
/*
 * The output bundle cache's life (stack layers): init makes none (the
 * first IPsec packet allocates it), fini frees it. 0.
 */
int xfrm_output_init(struct stack *st);
void xfrm_output_fini(struct stack *st);

/*
 * Routes an outer destination the way ip6_output/ip4_output route a local
 * packet (defined there, so the route logic is not duplicated): 0 and
 * @rt filled, or -ENETUNREACH (counted by the IP layer).
 */
int ip6_route_xfrm(struct stack *st, const struct in6_addr *dst, struct xfrm_route *rt);
int ip4_route_xfrm(struct stack *st, uint32_t dst, struct xfrm_route *rt);

/* IPv6 input chain step for NH_ESP, NH_AH and NH_IPCOMP (exthdr.h's ip6_ext_input). */
int xfrm6_input(struct stack *st, struct pkt **pp, uint8_t *nxt);
/*
 * IPv4 upper-layer input for ESP, AH and IPComp: data at that header, nh
 * at the IPv4 header. Consumes @p.
 */
int xfrm4_input(struct stack *st, struct pkt *p);
/*
 * IP-in-IP (next header 41 or 4) in either family: taken by an IPComp
 * tunnel-mode SA for (outer destination, outer source), else treated as an
 * unknown protocol (counted, ICMP error as ip6_input/ip4_input send it).
 * xfrm6_iptnl_input is an IPv6 chain step, xfrm4_iptnl_input an IPv4
 * upper-layer input (data past the IPv4 header). Consume @p.
 */
int xfrm6_iptnl_input(struct stack *st, struct pkt **pp, uint8_t *nxt);
int xfrm4_iptnl_input(struct stack *st, struct pkt *p);

/*
 * NAT traversal (RFC 3948) input, called by IPv4 delivery for every UDP
 * datagram to this host while an SA uses UDP encapsulation, before the
 * policy check (data at the UDP header, nh at the IPv4 header). A
 * datagram to port 4500 with a sound UDP header (zero or correct checksum)
 * holding ESP (non-zero first four octets) goes to ESP input with the UDP
 * header removed; a NAT-keepalive (one octet 0xff) is counted and dropped.
 * Returns 1 without touching @p for anything else (an IKE message with the
 * non-ESP marker, other ports: the UDP layer takes it), else consumes @p
 * and returns 0.
 */
int xfrm4_udp_encap_input(struct stack *st, struct pkt *p);

/* True when input must look at the policy (any policy in @dir, or a security path). */
static inline bool xfrm_policy_check_needed(const struct stack *st, const struct pkt *p, int dir)
{
	return p->sp_len != 0 || st->xfrm_npol[dir] != 0;
}

/*
 * The inbound (XFRM_DIR_IN, before upper-layer delivery) or forward
 * (XFRM_DIR_FWD) policy check of @p, whose IP header is at nh (data may be
 * anywhere after it). True: accept. False: the caller drops @p (the reason
 * is counted here). Accounts the policy that matched.
 */
bool xfrm_policy_check(struct stack *st, struct pkt *p, int dir);

/*
 * What ip6_input/ip4_input (dir IN, before the upper layer) and
 * ip6_forward/ip4_forward (dir FWD) call: true to go on, with the security
 * path released (it has served its purpose; sockets and neighbour queues
 * never hold SA references); false: drop @p (counted).
 */
static inline bool xfrm_policy_pass(struct stack *st, struct pkt *p, int dir)
{
	if (!xfrm_policy_check_needed(st, p, dir))
		return true;
	if (!xfrm_policy_check(st, p, dir))
		return false;
	if (p->sp_len) {
		p->flags |= PKT_F_SECURED;   /* the filter's `ipsec in` still needs to know */
		pkt_sp_release(p);
	}
	return true;
}

/*
 * NAT-T keepalives (RFC 3948 2.3): one 0xff octet in UDP from the SA's
 * encapsulation source port to its destination port, sent by
 * xfrm_state timers every @interval_s seconds (0: off, the default 20).
 */
void xfrm_nat_keepalive_set(struct stack *st, uint32_t interval_s);

#endif
