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

/* One's-complement add of two 64-bit words (the carry wraps around). */
static inline uint64_t add_oc(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s + (s < b);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * RFC 1071 2(B): the sum is independent of byte order. Words are loaded
 * 64 bits at a time in the host's order and added with end-around carry;
 * folded to 16 bits, the result is the big-endian sum byte-swapped on a
 * little-endian host, so it is swapped back once at the end.
 */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t a = 0, b = 0;
	uint8_t tail[8] = { 0 };
	uint32_t s;

	while (len >= 32) {
		a = add_oc(a, load64(p));
		b = add_oc(b, load64(p + 8));
		a = add_oc(a, load64(p + 16));
		b = add_oc(b, load64(p + 24));
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		a = add_oc(a, load64(p));
		p += 8;
		len -= 8;
	}
	/* The last 0..7 bytes at their offsets in a zeroed word: an odd byte gets its zero pad (RFC 1071 4.1). */
	if (len) {
		memcpy(tail, p, len);
		b = add_oc(b, load64(tail));
	}
	a = add_oc(a, b);
	s = fold32(a);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (uint32_t)__builtin_bswap16((uint16_t)s);
#endif
	return fold32((uint64_t)s + sum);
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
