/* Internet checksum: RFC 1071 examples, odd lengths, split sums, IPv6 pseudo-header. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/csum.h"
#include "core/rng.h"

/* Deliberately simple reference: 16-bit big-endian words, fold at the end. */
static uint16_t ref_csum(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint64_t s = 0;
	uint8_t buf[4096];
	size_t n = alen + blen;

	if (alen)
		memcpy(buf, a, alen);
	if (blen)
		memcpy(buf + alen, b, blen);
	if (n % 2)
		buf[n++] = 0;
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* RFC 1071 3: the example bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(b, sizeof(b), 0)), (uint16_t)~0xddf2);
}

static void test_odd_lengths(void **state)
{
	static const uint8_t one[] = { 0xab };
	static const uint8_t three[] = { 0x12, 0x34, 0x56 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(one, 1, 0)), (uint16_t)~0xab00);
	assert_int_equal(csum_fold(csum_partial(three, 3, 0)), (uint16_t)~(0x1234 + 0x5600));
	assert_int_equal(csum_fold(csum_partial(NULL, 0, 0)), 0xffff);
}

/* Random buffers of every length up to 2000 at every start alignment, whole and split at an even offset. */
static void test_random_against_reference(void **state)
{
	struct rng r;
	uint8_t mem[2000 + 8], *buf;

	(void)state;
	rng_seed(&r, 42);
	for (size_t len = 0; len <= 2000; len++) {
		buf = mem + len % 8;
		rng_bytes(&r, buf, len);
		if (len && rng_below(&r, 4) == 0)
			memset(buf, 0xff, len); /* maximal carries */
		uint16_t want = ref_csum(buf, len, NULL, 0);
		assert_int_equal(csum_fold(csum_partial(buf, len, 0)), want);
		size_t cut = len ? (rng_below(&r, (uint32_t)len) & ~(size_t)1) : 0;
		uint32_t s = csum_partial(buf, cut, 0);
		assert_int_equal(csum_fold(csum_partial(buf + cut, len - cut, s)), want);
	}
}

/* fe80::1 -> fe80::2 echo request, id 0x1234 seq 1, 17-byte payload. */
static void test_icmp6_echo(void **state)
{
	struct in6_addr src = { .s6_addr = { 0xfe, 0x80, [15] = 1 } };
	struct in6_addr dst = { .s6_addr = { 0xfe, 0x80, [15] = 2 } };
	uint8_t msg[25] = { 128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01 };
	uint8_t ph[40];

	(void)state;
	memcpy(msg + 8, "abcdefghijklmnopq", 17);
	memcpy(ph, &src, 16);
	memcpy(ph + 16, &dst, 16);
	memset(ph + 32, 0, 8);
	ph[35] = sizeof(msg);
	ph[39] = 58;
	uint16_t c = csum_ipv6(&src, &dst, 58, msg, sizeof(msg));
	assert_int_equal(c, ref_csum(ph, sizeof(ph), msg, sizeof(msg)));
	assert_int_equal(c, 0xbc26); /* computed independently with Python */
	/* With the checksum stored, the receiver's sum verifies to 0. */
	put_be16(msg + 2, c);
	uint32_t s = csum_ipv6_pseudo(&src, &dst, sizeof(msg), 58);
	assert_int_equal(csum_fold(csum_partial(msg, sizeof(msg), s)), 0);
}

/* RFC 8200 8.1: a computed 0 is sent as 0xffff. */
static void test_zero_becomes_ffff(void **state)
{
	struct in6_addr src = { 0 }, dst = { 0 };
	uint8_t msg[4];

	(void)state;
	/* Choose the message so pseudo + msg sums to 0xffff, i.e. folds to 0. */
	uint16_t p = (uint16_t)~csum_fold(csum_ipv6_pseudo(&src, &dst, sizeof(msg), 17));
	put_be16(msg, 0);
	put_be16(msg + 2, (uint16_t)(0xffff - p));
	assert_int_equal(csum_fold(csum_partial(msg, 4, csum_ipv6_pseudo(&src, &dst, 4, 17))), 0);
	assert_int_equal(csum_ipv6(&src, &dst, 17, msg, sizeof(msg)), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_odd_lengths),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_icmp6_echo),
		cmocka_unit_test(test_zero_becomes_ffff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
