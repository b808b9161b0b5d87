/*
 * The per-destination path MTU table of pmtu6.c, shared by both families:
 * IPv4 destinations are stored as IPv4-mapped addresses (pmtu4.c), so one
 * bounded, keyed table serves the host.
 */
#ifndef USAGI_IPV6_PMTU_CACHE_H
#define USAGI_IPV6_PMTU_CACHE_H

#include "core/common.h"

struct stack;

/* The cached MTU for @key, 0 if none (or expired). */
uint32_t pmtu_cache_get(struct stack *st, const struct in6_addr *key);
/* Lowers @key's MTU to @mtu for 10 minutes. 0 stored, 1 stored over an evicted entry, -1 not lower. */
int pmtu_cache_set(struct stack *st, const struct in6_addr *key, uint32_t mtu);

/*
 * The path MTU generation: changes whenever a path MTU this node computes
 * (pmtu6_get, pmtu4_get: the table's entry and the link's MTU) may have
 * dropped: an entry stored (pmtu_cache_set, any family), a link's MTU
 * changed or a link added (pmtu_cache_link_changed). Expiry, which only
 * raises path MTUs, does not change it. Whoever keeps a lower bound of a
 * path MTU (the IPsec tunnel entry, xfrm_tunnel.c) may trust it while the
 * generation is the same. Never 0 while the table exists; 0 without one.
 */
uint64_t pmtu_cache_gen(const struct stack *st);
/* For the link layer and the IPv6 MTU settings: a link's MTU changed or a link was added. */
void pmtu_cache_link_changed(struct stack *st);

#endif
