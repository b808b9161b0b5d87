/*
 * SipHash (Aumasson, Bernstein): keyed hashing for every table fed by the
 * wire. Two strengths of the same function:
 *
 *   siphash24  SipHash-2-4, the paper's conservative PRF. For anything whose
 *              output leaves the stack or must stay unpredictable for long
 *              (flow labels, identifiers).
 *   siphash13  SipHash-1-3, for hash-table buckets on the packet path. It
 *              keeps the 128-bit secret key, so a sender who cannot read
 *              the key cannot aim addresses or ports at one chain, at 6
 *              rounds instead of 10 for a 16-byte address. A bucket index
 *              is never shown to the peer and the key never changes in
 *              use; this is the trade Python (3.11+) and Rust's HashMap
 *              make for the same job.
 */
#ifndef USAGI_CORE_SIPHASH_H
#define USAGI_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);
uint64_t siphash13(const struct siphash_key *key, const void *data, size_t len);

#endif
