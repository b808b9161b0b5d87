/* Per-stack pseudo-random numbers (xoshiro256**), seeded by the stack's owner: deterministic in tests. */
#ifndef USAGI_CORE_RNG_H
#define USAGI_CORE_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); 0 if n == 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
void rng_bytes(struct rng *r, void *buf, size_t len);

#endif
