/* ICMPv6 (RFC 4443): echo, errors with rate limiting; dispatch of ND and MLD. */
#ifndef USAGI_IPV6_ICMP6_H
#define USAGI_IPV6_ICMP6_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;

struct icmp6_state {
	/* Token bucket for errors (RFC 4443 2.4(f)). */
	uint64_t tokens_ns;
	uint64_t last_ns;
	uint32_t ratelimit_ms;   /* net.ipv6.icmp.ratelimit, default 1000/burst */
	uint32_t burst;
};

int icmp6_init(struct stack *st);
/* ICMPv6 message at data, nh at IPv6 header. Consumes @p. */
int icmp6_input(struct stack *st, struct pkt *p);

/*
 * Sends an ICMPv6 error about @orig (whose nh points at the offending
 * IPv6 header) unless RFC 4443 2.4(e) forbids it (error about an error, a
 * multicast or link-layer multicast destination except PTB / PP code 2,
 * unspecified or multicast source) or the rate limit is hit. @info is the
 * MTU, pointer or 0. Does not consume @orig.
 */
void icmp6_send_error(struct stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		      uint32_t info);

/*
 * Sends an ICMPv6 message: @p holds type, code, zero checksum and body at
 * data. The checksum is filled in. tx fields as for ip6_output (proto is
 * set to ICMPv6). Consumes @p.
 */
struct ip6_tx;
int icmp6_send(struct stack *st, struct pkt *p, struct ip6_tx *tx);

#endif
