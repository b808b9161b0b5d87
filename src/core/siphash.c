#include "core/siphash.h"
#include <string.h>

/*
 * SipHash-c-d as specified in Aumasson & Bernstein, "SipHash: a fast
 * short-input PRF" (2012): c compression rounds per 8-byte word, d
 * finalisation rounds; siphash.h says which strength serves what. Words are
 * read little-endian whatever the host, so a key gives the same hashes
 * everywhere (and the published vectors hold).
 */

static inline uint64_t rotl64(uint64_t x, unsigned k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);   /* one unaligned load; the byte loop was not merged by every compiler */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1; s->v1 = rotl64(s->v1, 13); s->v1 ^= s->v0; s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3; s->v3 = rotl64(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = rotl64(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = rotl64(s->v1, 17); s->v1 ^= s->v2; s->v2 = rotl64(s->v2, 32);
}

static inline void sip_compress(struct sip_state *s, uint64_t m, int crounds)
{
	s->v3 ^= m;
	for (int i = 0; i < crounds; i++)
		sip_round(s);
	s->v0 ^= m;
}

/* Inlined into each wrapper with constant round counts, so the loops unroll. */
static inline uint64_t siphash_cd(const struct siphash_key *key, const void *data, size_t len,
				  int crounds, int drounds)
{
	const uint8_t *p = data;
	size_t words = len / 8, rest = len % 8;
	/* The paper's initialisation constants: "somepseudorandomlygeneratedbytes". */
	struct sip_state s = {
		.v0 = key->k0 ^ 0x736f6d6570736575ULL,
		.v1 = key->k1 ^ 0x646f72616e646f6dULL,
		.v2 = key->k0 ^ 0x6c7967656e657261ULL,
		.v3 = key->k1 ^ 0x7465646279746573ULL,
	};
	uint64_t last = (uint64_t)(len & 0xff) << 56;

	for (size_t i = 0; i < words; i++, p += 8)
		sip_compress(&s, load_le64(p), crounds);
	/* Final word: the leftover bytes little-endian, length mod 256 in the top byte. */
	for (size_t i = 0; i < rest; i++)
		last |= (uint64_t)p[i] << (8 * i);
	sip_compress(&s, last, crounds);
	s.v2 ^= 0xff;
	for (int i = 0; i < drounds; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	return siphash_cd(key, data, len, 2, 4);
}

uint64_t siphash13(const struct siphash_key *key, const void *data, size_t len)
{
	return siphash_cd(key, data, len, 1, 3);
}
