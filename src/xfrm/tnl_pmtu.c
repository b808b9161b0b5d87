/*
 * RFC 2473 7.1 at a tunnel entry point: the tunnel is a link whose MTU is
 * the outer path MTU minus the tunnel's headers. An original IPv6 packet
 * larger than that and than 1280 octets is discarded with a Packet Too
 * Big carrying the tunnel MTU (at least 1280, what IPv6 guarantees); a
 * smaller one is encapsulated and the outer packet fragmented. An IPv4
 * original follows RFC 2003 5.1 / RFC 4213 3.2: with DF a "fragmentation
 * needed" with the next-hop MTU (RFC 1191), without DF fragmentation.
 *
 * The error always goes through icmp6_send_error/icmp4_send_error: for a
 * forwarded packet to its remote source, for a packet of this node to one
 * of its own addresses, so through the loopback queue. That delivery is
 * asynchronous on purpose: the packet being sent may come from inside
 * tcp_output, which must not be re-entered by tcp_mtu_reduced. This
 * node's own IPv6 packets over 1280 are its to fragment (tnl_local6).
 */
#include "xfrm/tnl_pmtu.h"
#include "ipv4/icmp4.h"
#include "ipv6/exthdr.h"
#include "ipv6/icmp6.h"
#include "ipv6/pmtu_cache.h"
#include "proto/ip4.h"
#include "proto/ip6.h"

/*
 * A packet of this node's own: the Packet Too Big goes to its source
 * address (loopback). TCP's segment is dropped and every such segment is
 * answered (rate limited), as a router would: TCP resends at once at the
 * smaller MSS (RFC 8201 5.4). Any other packet is sent, the outer packet
 * fragmented: this node is its source and may fragment it (RFC 8200 4.5),
 * as a datagram socket without IPV6_DONTFRAG expects; it is told once,
 * while the PMTU cache does not hold this tunnel MTU or less yet.
 */
static int tnl_local6(struct stack *st, const struct pkt *p, uint32_t tmtu)
{
	const struct ip6_addrs a = ip6_addrs_of(p->data);
	bool tcp = false;
	uint32_t known;
	uint8_t proto;
	size_t off;

	if (ip6_find_upper(p->data, p->len, &proto, &off) == 0)
		tcp = proto == NH_TCP;
	known = tcp ? 0 : pmtu_cache_get(st, &a.dst);
	if (!known || known > tmtu) {
		STAT_INC(st, tnl_ptb6_local);
		icmp6_send_error(st, p, ICMP6_PACKET_TOO_BIG, 0, tmtu);
	}
	if (tcp) {
		STAT_INC(st, tnl_drop6_local_tcp);
		return -EMSGSIZE;
	}
	STAT_INC(st, tnl_frag6_local);
	return 0;
}

static int tnl_pmtu6(struct stack *st, const struct pkt *p, uint32_t tmtu, bool local)
{
	if (p->len <= IPV6_MIN_MTU) {
		STAT_INC(st, tnl_frag6_small);
		return 0;
	}
	/* RFC 2473 7.1: the tunnel MTU reported is never below the IPv6 minimum. */
	tmtu = MAX(tmtu, IPV6_MIN_MTU);
	if (local)
		return tnl_local6(st, p, tmtu);
	STAT_INC(st, tnl_ptb6_remote);
	icmp6_send_error(st, p, ICMP6_PACKET_TOO_BIG, 0, tmtu);
	return -EMSGSIZE;
}

static int tnl_pmtu4(struct stack *st, const struct pkt *p, uint32_t tmtu, bool local)
{
	if (p->len < IPV4_HLEN || !(get_be16(p->data + 6) & IP4_DF)) {
		STAT_INC(st, tnl_frag4_nodf);
		return 0;
	}
	if (local)
		STAT_INC(st, tnl_ptb4_local);
	else
		STAT_INC(st, tnl_ptb4_remote);
	/* RFC 1191 4: the next-hop MTU field is 16 bits; RFC 791: never below 68. */
	icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_FRAG_NEEDED,
			 MIN(MAX(tmtu, IPV4_MIN_MTU), 65535u));
	return -EMSGSIZE;
}

int tnl_pmtu_check(struct stack *st, const struct pkt *p, uint32_t tmtu)
{
	bool local = !(p->flags & PKT_F_FORWARDED);

	if (p->len <= tmtu || p->len < 1)
		return 0;
	if (p->data[0] >> 4 == 6)
		return tnl_pmtu6(st, p, tmtu, local);
	if (p->data[0] >> 4 == 4)
		return tnl_pmtu4(st, p, tmtu, local);
	return 0;
}
