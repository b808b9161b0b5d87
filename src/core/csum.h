/* Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 8.1). */
#ifndef USAGI_CORE_CSUM_H
#define USAGI_CORE_CSUM_H

#include "core/common.h"

/* Adds @len bytes at @data to the 32-bit one's-complement accumulator @sum. */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);
/*
 * csum_partial of @len bytes at @src while copying them to @dst (which must
 * not overlap @src): one pass over the data instead of a copy and a sum.
 */
uint32_t csum_partial_copy(void *restrict dst, const void *restrict src, size_t len, uint32_t sum);
/* One's-complement sum of two accumulators (RFC 1071 2(A): order-free). */
static inline uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}
/* Folds to 16 bits and complements: the value to store in a checksum field. */
uint16_t csum_fold(uint32_t sum);
/* Accumulator of the IPv6 pseudo-header for upper-layer length @len and next header @nh. */
uint32_t csum_ipv6_pseudo(const struct in6_addr *src, const struct in6_addr *dst,
			  uint32_t len, uint8_t nh);
/* Checksum (host order, ready for put_be16) of an upper-layer message over IPv6. */
uint16_t csum_ipv6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nh,
		   const void *data, size_t len);

#endif
