/*
 * csum_partial_copy (the UDP send path's copy + checksum in one pass) and
 * csum_partial's lane arithmetic, against a deliberately naive reference:
 * every length and alignment up to 2100 bytes (whole 64-byte blocks and
 * every tail), split sums, and buffers past the lanes' overflow bound
 * (4096 blocks) filled with 0xff, the worst case for carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/csum.h"
#include "core/rng.h"

/* 16-bit big-endian words, a trailing odd byte padded with zero, folded at the end. */
static uint16_t ref_csum(const uint8_t *b, size_t n, uint32_t seed)
{
	uint64_t s = seed;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n % 2)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_copy_every_length(void **state)
{
	struct rng r;
	uint8_t src[2100 + 8], dst[2100 + 8];

	(void)state;
	rng_seed(&r, 7);
	for (size_t len = 0; len <= 2100; len++) {
		const uint8_t *s = src + len % 8;
		uint8_t *d = dst + (len / 8) % 8;
		uint32_t seed = rng_below(&r, 0x20000);

		rng_bytes(&r, src, sizeof(src));
		if (len && rng_below(&r, 4) == 0)
			memset(src, 0xff, sizeof(src));
		memset(dst, 0xa5, sizeof(dst));
		uint32_t c = csum_partial_copy(d, s, len, seed);
		if (len)
			assert_memory_equal(d, s, len);
		assert_int_equal(csum_fold(c), ref_csum(s, len, seed));
		assert_int_equal(csum_fold(c), csum_fold(csum_partial(s, len, seed)));
		/* Bytes around the copy are untouched. */
		if (d > dst)
			assert_int_equal(d[-1], 0xa5);
		assert_int_equal(d[len], 0xa5);
	}
}

/* A sum carried from a copied piece into the next, as a header summed after its payload. */
static void test_copy_split(void **state)
{
	uint8_t src[1500], dst[1500];
	struct rng r;

	(void)state;
	rng_seed(&r, 11);
	rng_bytes(&r, src, sizeof(src));
	for (size_t cut = 0; cut <= sizeof(src); cut += 2) {
		uint32_t s = csum_partial_copy(dst + cut, src + cut, sizeof(src) - cut, 0);

		assert_int_equal(csum_fold(csum_partial(src, cut, s)), ref_csum(src, sizeof(src), 0));
	}
}

/* More than 4096 blocks of 0xff: the lanes must be flushed before they overflow. */
static void test_large_all_ones(void **state)
{
	size_t len = 4096 * 64 * 2 + 130;
	uint8_t *src = malloc(len), *dst = malloc(len);

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	memset(src, 0xff, len);
	src[len - 1] = 0x12;
	assert_int_equal(csum_fold(csum_partial(src, len, 0)), ref_csum(src, len, 0));
	assert_int_equal(csum_fold(csum_partial_copy(dst, src, len, 0xffff)),
			 ref_csum(src, len, 0xffff));
	assert_memory_equal(dst, src, len);
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_every_length),
		cmocka_unit_test(test_copy_split),
		cmocka_unit_test(test_large_all_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
