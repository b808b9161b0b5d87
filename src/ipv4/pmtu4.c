/*
 * IPv4 Path MTU (RFC 1191): kept in the IPv6 PMTU table under IPv4-mapped
 * keys (ipv6/pmtu_cache.h), so both families share one bounded cache with
 * the same 10-minute expiry (RFC 1191 6.3); never below 68 (RFC 791).
 */
#include "core/stack.h"
#include "ipv6/pmtu_cache.h"
#include "link/netdev.h"
#include "proto/ip4.h"

uint32_t pmtu4_get(struct stack *st, uint32_t dst, struct netdev *dev)
{
	uint32_t mtu = dev ? MAX(dev->mtu, IPV4_MIN_MTU) : IPV4_MIN_MTU, c;
	struct in6_addr key;

	ip4_to_mapped(&key, dst);
	c = pmtu_cache_get(st, &key);
	return c && c < mtu ? c : mtu;
}

void pmtu4_update(struct stack *st, uint32_t dst, uint32_t mtu)
{
	struct in6_addr key;

	ip4_to_mapped(&key, dst);
	if (pmtu_cache_set(st, &key, MAX(mtu, IPV4_MIN_MTU)) < 0) {
		STAT_INC(st, ip4_pmtu_ignored);
		return;
	}
	STAT_INC(st, ip4_pmtu_update);
}
