/* ICMP for IPv4 (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3): echo, errors with rate limiting. */
#ifndef USAGI_IPV4_ICMP4_H
#define USAGI_IPV4_ICMP4_H

#include "core/common.h"

struct stack;
struct pkt;

/* ICMP message at data, nh at the IPv4 header. Consumes @p. */
int icmp4_input(struct stack *st, struct pkt *p);
/*
 * Sends an ICMP error about @orig (nh = its IPv4 header) unless RFC 1122
 * 3.2.2 forbids it (about an ICMP error, a non-first fragment, a broadcast
 * or multicast destination or link-layer broadcast, a source that is not a
 * unicast host address) or the rate limit is hit. @info: next-hop MTU for
 * fragmentation needed, pointer for parameter problem, gateway for
 * redirect. Does not consume @orig.
 */
void icmp4_send_error(struct stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		      uint32_t info);

#endif
