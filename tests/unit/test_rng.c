/* Per-stack RNG: the same seed gives the same stream; rng_below stays in range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/rng.h"

static void test_determinism(void **state)
{
	struct rng a, b, c;

	(void)state;
	rng_seed(&a, 12345);
	rng_seed(&b, 12345);
	rng_seed(&c, 12346);
	unsigned differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a);
		assert_int_equal(x, rng_next(&b));
		differ += x != rng_next(&c);
	}
	assert_true(differ > 990);
	uint8_t b1[37], b2[37];
	rng_bytes(&a, b1, sizeof(b1));
	rng_bytes(&b, b2, sizeof(b2));
	assert_memory_equal(b1, b2, sizeof(b1));
}

static void test_below_range(void **state)
{
	struct rng r;
	unsigned hist[10] = { 0 };

	(void)state;
	rng_seed(&r, 1);
	assert_int_equal(rng_below(&r, 0), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rng_below(&r, 1), 0);
	for (int i = 0; i < 100000; i++) {
		uint32_t v = rng_below(&r, 10);
		assert_true(v < 10);
		hist[v]++;
	}
	/* Roughly uniform: each bucket within 10% of 10000. */
	for (int i = 0; i < 10; i++)
		assert_true(hist[i] > 9000 && hist[i] < 11000);
	for (int i = 0; i < 10000; i++)
		assert_true(rng_below(&r, UINT32_MAX) < UINT32_MAX);
}

static void test_bytes_fill(void **state)
{
	struct rng r;
	uint8_t buf[64];

	(void)state;
	rng_seed(&r, 9);
	memset(buf, 0, sizeof(buf));
	rng_bytes(&r, buf, 13); /* not a multiple of 8: no write past the end */
	unsigned zeros = 0;
	for (int i = 13; i < 64; i++)
		assert_int_equal(buf[i], 0);
	for (int i = 0; i < 13; i++)
		zeros += buf[i] == 0;
	assert_true(zeros < 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_below_range),
		cmocka_unit_test(test_bytes_fill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
