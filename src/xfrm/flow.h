/*
 * The flow key the SPD is searched with: what a packet says about itself,
 * in one fixed shape for both families (IPv4 addresses as ::ffff:a.b.c.d).
 *
 * Ports follow Linux's flowi: for ICMP and ICMPv6 sport carries the type and
 * dport the code; for the Mobility Header (135) sport carries the MH type
 * (RFC 3776 3.1, Linux). A non-initial fragment, and ESP/AH/IPComp, carry no
 * ports: XFRM_FLOW_NOPORTS is set and only port-wildcard policies match
 * (RFC 4301 7).
 *
 * Mobile IPv6 (RFC 3776, RFC 6275): the source comes from a Home Address
 * option and the destination from a type 2 routing header with Segments
 * Left 1, so selectors written with home addresses match route-optimised
 * packets as the SPD sees them on output. A receiver that swapped the HAO
 * already (IP6_CB(p)->hao) takes the source from the header instead.
 */
#ifndef USAGI_XFRM_FLOW_H
#define USAGI_XFRM_FLOW_H

#include "core/common.h"

#define XFRM_FLOW_NOPORTS 0x01   /* ports unknown: only port-wildcard selectors match */

struct xfrm_flow {
	struct in6_addr src, dst;   /* IPv4: mapped */
	uint16_t sport, dport;      /* host order; ICMP type/code; MH type in sport */
	uint8_t proto;              /* upper-layer protocol (after extension headers) */
	uint8_t family;             /* AF_INET or AF_INET6 */
	uint8_t flags;              /* XFRM_FLOW_* */
	int ifindex;                /* 0: unknown */
};

/*
 * Builds @fl from the IPv6 packet in data[0..len): walks Hop-by-Hop,
 * Destination Options, Routing and Fragment headers with every length
 * checked, stops at the first upper-layer header (ESP, AH and IPComp
 * included) and reads its ports or type/code. Reads nothing past
 * min(len, 40 + payload length). 0, or -EINVAL if a header the key needs
 * is truncated or the packet is not IPv6 (the caller counts it).
 */
int xfrm_flow_from_ip6(const uint8_t *data, size_t len, int ifindex, struct xfrm_flow *fl);

/* The same for an IPv4 packet (options skipped, fragments as above). */
int xfrm_flow_from_ip4(const uint8_t *data, size_t len, int ifindex, struct xfrm_flow *fl);

/* Either of the above by the version nibble. */
int xfrm_flow_from_ip(const uint8_t *data, size_t len, int ifindex, struct xfrm_flow *fl);

#endif
