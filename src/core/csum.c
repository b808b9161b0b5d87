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

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * RFC 1071 2(B): the sum is independent of byte order, and deferred
 * carries (2(C)) may be added at the end. Bytes are read as 32-bit words
 * in the host's order and each word's two 16-bit halves are added into
 * one of 16 independent 32-bit lanes (a 64-byte block per round, which
 * the compiler turns into vector adds). A lane gains at most 2 * 0xffff
 * per block, so CSUM_BLOCKS blocks never overflow it; the lanes are then
 * added into a 64-bit total. Folded to 16 bits, the result is the
 * big-endian sum byte-swapped on a little-endian host, so it is swapped
 * back once at the end.
 */
#define CSUM_LANES 16
#define CSUM_BLOCKS 4096        /* 4096 * 2 * 0xffff < 2^32 */

static inline uint32_t halves(uint32_t w)
{
	return (w & 0xffff) + (w >> 16);
}

/*
 * The 64-bit total of the last 0..63 bytes, each piece loaded at its own
 * size (no byte copies into a word, which stall the load that follows):
 * every piece but the last byte starts at an even offset, and a 32-bit
 * word counts as its two halves (2^16 = 1 in one's-complement arithmetic).
 * An odd last byte is the high-order byte of a zero-padded word (RFC 1071
 * 4.1): the low byte of a host-order lane on a little-endian host.
 */
static inline uint64_t sum_rest(const uint8_t *p, size_t len)
{
	uint64_t t = 0, v;
	uint16_t h;

	for (; len >= 8; p += 8, len -= 8) {
		v = load64(p);
		t += (uint32_t)v + (v >> 32);
	}
	if (len & 4) {
		t += load32(p);
		p += 4;
	}
	if (len & 2) {
		memcpy(&h, p, 2);
		t += h;
		p += 2;
	}
	if (len & 1) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		t += p[0];
#else
		t += (uint32_t)p[0] << 8;
#endif
	}
	return t;
}

/* sum_rest of @len bytes at @p while copying them to @d: small payloads need no memcpy call. */
static inline uint64_t sum_rest_copy(uint8_t *d, const uint8_t *p, size_t len)
{
	uint64_t t = 0, v;
	uint32_t w;
	uint16_t h;

	for (; len >= 8; p += 8, d += 8, len -= 8) {
		v = load64(p);
		memcpy(d, &v, 8);
		t += (uint32_t)v + (v >> 32);
	}
	if (len & 4) {
		w = load32(p);
		memcpy(d, &w, 4);
		t += w;
		p += 4;
		d += 4;
	}
	if (len & 2) {
		memcpy(&h, p, 2);
		memcpy(d, &h, 2);
		t += h;
		p += 2;
		d += 2;
	}
	if (len & 1) {
		d[0] = p[0];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		t += p[0];
#else
		t += (uint32_t)p[0] << 8;
#endif
	}
	return t;
}

/* The 64-bit total, in the host's order, back to a big-endian accumulator added to @sum. */
static inline uint32_t finish(uint64_t t, uint32_t sum)
{
	uint32_t s = fold32(t);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (uint32_t)__builtin_bswap16((uint16_t)s);
#endif
	return fold32((uint64_t)s + sum);
}

uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t t = 0;

	while (len >= 64) {
		size_t n = MIN(len / 64, (size_t)CSUM_BLOCKS);
		uint32_t acc[CSUM_LANES] = { 0 };

		for (size_t i = 0; i < n; i++, p += 64)
			for (int k = 0; k < CSUM_LANES; k++)
				acc[k] += halves(load32(p + 4 * k));
		for (int k = 0; k < CSUM_LANES; k++)
			t += acc[k];
		len -= n * 64;
	}
	return finish(t + sum_rest(p, len), sum);
}

uint32_t csum_partial_copy(void *restrict dst, const void *restrict src, size_t len, uint32_t sum)
{
	const uint8_t *p = src;
	uint8_t *d = dst;
	uint64_t t = 0;

	/* The same lanes as csum_partial; each word is stored as it is summed, one pass over memory. */
	while (len >= 64) {
		size_t n = MIN(len / 64, (size_t)CSUM_BLOCKS);
		uint32_t acc[CSUM_LANES] = { 0 };

		for (size_t i = 0; i < n; i++, p += 64, d += 64) {
			for (int k = 0; k < CSUM_LANES; k++) {
				uint32_t w = load32(p + 4 * k);

				memcpy(d + 4 * k, &w, 4);
				acc[k] += halves(w);
			}
		}
		for (int k = 0; k < CSUM_LANES; k++)
			t += acc[k];
		len -= n * 64;
	}
	return finish(t + sum_rest_copy(d, p, len), sum);
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
	uint64_t t = 0;

	/*
	 * One pass over the addresses, as csum_partial over them would take
	 * it (every packet needs this); the length and next header are added
	 * as the big-endian words they are, with no bytes stored and reloaded.
	 */
	for (int i = 0; i < 16; i += 4)
		t += (uint64_t)load32(src->s6_addr + i) + load32(dst->s6_addr + i);
	return finish(t, (len >> 16) + (len & 0xffff) + nh);
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
