/*
 * What IPsec adds to an outgoing packet of a flow, asked before the packet
 * exists: TCP's MSS (RFC 9293 3.7.1: the MSS excludes every header,
 * IPsec's included; RFC 4301 8.2.1) so a full segment fits the path MTU
 * once ESP/AH/IPComp and any tunnel header are added.
 */
#ifndef USAGI_XFRM_OVERHEAD_H
#define USAGI_XFRM_OVERHEAD_H

#include "core/stack.h"
#include "xfrm/flow.h"

/*
 * The most octets the outbound bundle for @fl adds to a packet of that
 * flow (0: no policy, bypass or discard): for each step of the resolved
 * bundle its tunnel header (IPv6 40 / IPv4 20), the type's header (ESP
 * header + IV, AH with its ICV padded for the family, IPComp 4), the
 * largest trailer (ESP padding up to a block, pad length, next header,
 * ICV) and the UDP header of NAT traversal. A step whose SA is not
 * installed yet counts the largest overhead of its protocol (ESP 8 + 16 IV
 * + 17 + 16 ICV = 57, AH 12 + 32 = 44, IPComp 4). Asks the key manager
 * for nothing and changes no counter.
 */
size_t xfrm_output_overhead(struct stack *st, const struct xfrm_flow *fl);
/*
 * The same, and in *@tunnel the part added from the bundle's first tunnel
 * step on (0 for a transport-only bundle): the octets that wrap the
 * packet for another destination, which RFC 2473 7.1 counts against the
 * tunnel's path, not against a PMTU learnt for @fl's destination.
 */
size_t xfrm_output_overhead_split(struct stack *st, const struct xfrm_flow *fl, size_t *tunnel);

#endif
