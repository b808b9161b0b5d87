#include "core/csum.h"

/*
 * RFC 1071 Internet checksum. The sum is over 16-bit big-endian words; we
 * add them as big-endian values explicitly, so the accumulator means the
 * same on every host and csum_fold() returns a host-order value for
 * put_be16(). Odd lengths pad the last byte with a zero low byte (RFC 1071
 * 4.1), so csum_partial() must only be given an odd @len for the last piece
 * of a message.
 */

static inline uint32_t fold32(uint64_t s)
{
	/* End-around carry (RFC 1071 2(B)): one's-complement addition is order-free. */
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	return (uint32_t)s;
}

uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	/* 8 bytes per step into a 64-bit accumulator: no carry can be lost below 2^32 steps. */
	while (len >= 8) {
		acc += (uint32_t)(p[0] << 8 | p[1]) + (uint32_t)(p[2] << 8 | p[3]) +
		       (uint32_t)(p[4] << 8 | p[5]) + (uint32_t)(p[6] << 8 | p[7]);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		acc += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	return fold32(acc);
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_ipv6_pseudo(const struct in6_addr *src, const struct in6_addr *dst,
			  uint32_t len, uint8_t nh)
{
	/* RFC 8200 8.1: src, dst, 32-bit upper-layer length, 24 zero bits, next header. */
	uint8_t tail[8];

	put_be32(tail, len);
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = nh;
	uint32_t sum = csum_partial(src->s6_addr, 16, 0);
	sum = csum_partial(dst->s6_addr, 16, sum);
	return csum_partial(tail, sizeof(tail), sum);
}

/*
 * Returns 0xffff instead of 0: RFC 8200 8.1 requires UDP over IPv6 to send a
 * computed 0 as 0xffff (0 means "no checksum" in IPv4 UDP and is invalid in
 * IPv6); for ICMPv6 and others both are the same one's-complement value, so
 * receivers verifying with csum_partial() over the whole message accept it.
 */
uint16_t csum_ipv6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nh,
		   const void *data, size_t len)
{
	uint32_t sum = csum_ipv6_pseudo(src, dst, (uint32_t)len, nh);
	uint16_t c = csum_fold(csum_partial(data, len, sum));

	return c ? c : 0xffff;
}
