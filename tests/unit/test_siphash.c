/*
 * SipHash-2-4 against the 64 vectors of the reference implementation;
 * SipHash-1-3 against vectors from an implementation we did not write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "core/siphash.h"

/* Key 00 01 .. 0f, message 00 01 .. len-1, for len = 0..63. */
static const uint64_t vectors[64] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
	0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
	0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
	0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
	0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
	0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
	0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
	0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
	0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
	0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
	0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
	0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
	0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
	0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
	0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

/* The key bytes 00..0f read as two little-endian words. */
static const struct siphash_key ref_key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };

static void test_reference_vectors(void **state)
{
	uint8_t msg[64];

	(void)state;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (unsigned len = 0; len < 64; len++)
		assert_int_equal(siphash24(&ref_key, msg, len), vectors[len]);
}

/* The worked example of the paper, Appendix A: 15 bytes 00..0e. */
static void test_paper_example(void **state)
{
	uint8_t msg[15];

	(void)state;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(siphash24(&ref_key, msg, sizeof(msg)), 0xa129ca6149be45e5ULL);
}

/*
 * SipHash-1-3 of message 00 01 .. len-1 for len = 1..24, as CPython 3.11's
 * hash(bytes) computes it (sys.hash_info.algorithm == 'siphash13') under
 * PYTHONHASHSEED=1. That seed fills the key from CPython's documented LCG
 * (x = x * 214013 + 2531011, byte = x >> 16), giving the words below.
 */
static const struct siphash_key py_key = { 0xaed66ce184be2329ULL, 0xebe9bbf1f1499052ULL };
static const uint64_t vectors13[24] = {
	0xecd3e5afcecda4b9ULL, 0xbf360f1ea1745965ULL, 0x8d5b20ab227ba858ULL, 0x968a3280faeeb716ULL,
	0xbbda3b5f513c3d69ULL, 0xa77f099d6ffed90eULL, 0xfd15e78052a69ddfULL, 0xc0b5739e7e28dd01ULL,
	0x208a1a5a0cbbf778ULL, 0xb99907ab3e3e597cULL, 0x4d9ec6e9c5127521ULL, 0x9b07906e87e344adULL,
	0x75973ed5708eb192ULL, 0x3a6b5d52e1c90862ULL, 0xfa87985f39e97a53ULL, 0x12e9d283f9f37002ULL,
	0x9f5bb4237f61907fULL, 0xc8481dd155697ab5ULL, 0xea61ba56131a6619ULL, 0xcd48cd0e7a31cb04ULL,
	0x6194f8d23abbab99ULL, 0x8d7773f9524a6d91ULL, 0xf7cea028f939ae8cULL, 0x19b4e5f288f874ceULL,
};

static void test_siphash13_vectors(void **state)
{
	uint8_t msg[24];

	(void)state;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (unsigned len = 1; len <= 24; len++)
		assert_int_equal(siphash13(&py_key, msg, len), vectors13[len - 1]);
	/* Keyed: the same address under another key lands elsewhere. */
	assert_int_not_equal(siphash13(&py_key, msg, 16), siphash13(&ref_key, msg, 16));
}

static void test_key_and_alignment(void **state)
{
	uint8_t buf[80];
	struct siphash_key other = { ref_key.k0 ^ 1, ref_key.k1 };

	(void)state;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* An unaligned start hashes the same bytes the same way. */
	uint8_t copy[40];
	memcpy(copy, buf + 3, sizeof(copy));
	assert_int_equal(siphash24(&ref_key, buf + 3, 40), siphash24(&ref_key, copy, 40));
	assert_int_not_equal(siphash24(&ref_key, buf, 40), siphash24(&other, buf, 40));
	/* Length is part of the hash: a trailing zero byte changes it. */
	uint8_t z[9] = { 0 };
	assert_int_not_equal(siphash24(&ref_key, z, 8), siphash24(&ref_key, z, 9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_paper_example),
		cmocka_unit_test(test_siphash13_vectors),
		cmocka_unit_test(test_key_and_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
