/* SipHash-2-4 (Aumasson, Bernstein): keyed hashing for every table fed by the wire. */
#ifndef USAGI_CORE_SIPHASH_H
#define USAGI_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

#endif
