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

#endif
