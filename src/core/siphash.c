#include "core/siphash.h"
#include <string.h>

/*
 * SipHash-2-4 as specified in Aumasson & Bernstein, "SipHash: a fast
 * short-input PRF" (2012): 2 compression rounds per 8-byte word, 4
 * finalisation rounds. Words are read little-endian whatever the host, so a
 * key gives the same hashes everywhere (and the paper's vectors hold).
 */

static inline uint64_t rotl64(uint64_t x, unsigned k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
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

static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
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
		sip_compress(&s, load_le64(p));
	/* Final word: the leftover bytes little-endian, length mod 256 in the top byte. */
	for (size_t i = 0; i < rest; i++)
		last |= (uint64_t)p[i] << (8 * i);
	sip_compress(&s, last);
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
