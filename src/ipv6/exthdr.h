/*
 * IPv6 extension headers on input (RFC 8200 4): the per-header handlers of
 * the receive chain, the option walker, and a read-only chain walker used
 * by ICMPv6 (quoted packets), fragmentation and RFC 7112 checks.
 */
#ifndef USAGI_IPV6_EXTHDR_H
#define USAGI_IPV6_EXTHDR_H

#include "core/common.h"

struct stack;
struct pkt;

/*
 * A step of the receive chain. Called with data at the header named by
 * *nxt (IP6_CB(p)->nhoff is the offset from nh of the byte that named it).
 * Returns EXT_CONTINUE with data past the header, *nxt = its next header and
 * nhoff updated; or EXT_DONE when the packet was consumed. *pp may be
 * replaced (reassembly).
 */
enum { EXT_DONE = 0, EXT_CONTINUE = 1 };
typedef int (*ip6_ext_input)(struct stack *st, struct pkt **pp, uint8_t *nxt);

int exthdr_hbh_input(struct stack *st, struct pkt **pp, uint8_t *nxt);
int exthdr_dst_input(struct stack *st, struct pkt **pp, uint8_t *nxt);
int exthdr_rt_input(struct stack *st, struct pkt **pp, uint8_t *nxt);

/* A type 2 routing header (RFC 6275 6.4): its home address. */
struct ip6_rt2 {
	struct in6_addr home;
};
/* Parses a type 2 routing header at @rh (@len bytes available): 0 or -EINVAL. */
int exthdr_rt2_parse(const uint8_t *rh, size_t len, struct ip6_rt2 *out);

/* True for the headers that walkers step over (HbH, Routing, DstOpts, Fragment, AH). */
bool ip6_ext_is_skippable(uint8_t nxt);

/*
 * Walks the header chain of the IPv6 packet at @ip6 (@len bytes) to the
 * first non-extension header: *proto, *off (its offset from @ip6). Stops at
 * a non-first fragment (*proto = NH_FRAGMENT). 0, or -EINVAL if a header
 * runs past @len.
 */
int ip6_find_upper(const uint8_t *ip6, size_t len, uint8_t *proto, size_t *off);

/*
 * Length of the unfragmentable part (RFC 8200 4.5) of the packet at @ip6:
 * IPv6 header, Hop-by-Hop, and every header up to the last Routing header.
 * Sets *nhoff to the offset of the next-header byte that ends it.
 */
int ip6_unfrag_len(const uint8_t *ip6, size_t len, size_t *nhoff);

#endif
