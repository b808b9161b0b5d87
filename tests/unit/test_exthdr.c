/* Read-only extension-header walkers: chain to the upper layer, unfragmentable part, type 2 routing header. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ipv6/exthdr.h"
#include "proto/ip6.h"

static void test_find_upper(void **state)
{
	uint8_t p[128] = { 0x60, [6] = NH_HOPOPTS };
	uint8_t proto;
	size_t off;

	p[40] = NH_ROUTING; p[41] = 0;                 /* HbH, 8 */
	p[48] = NH_FRAGMENT; p[49] = 2;                /* Routing, 24 */
	p[72] = NH_UDP;                                /* Fragment, offset 0 */
	assert_int_equal(ip6_find_upper(p, sizeof(p), &proto, &off), 0);
	assert_int_equal(proto, NH_UDP);
	assert_int_equal(off, 80);
	/* A non-first fragment hides the upper layer. */
	p[75] = 8;
	assert_int_equal(ip6_find_upper(p, sizeof(p), &proto, &off), 0);
	assert_int_equal(proto, NH_FRAGMENT);
	/* A header running past the end. */
	assert_int_equal(ip6_find_upper(p, 60, &proto, &off), -EINVAL);
	assert_int_equal(ip6_find_upper(p, 39, &proto, &off), -EINVAL);
}

static void test_unfrag_len(void **state)
{
	uint8_t p[128] = { 0x60, [6] = NH_HOPOPTS };
	size_t nhoff;

	p[40] = NH_DSTOPTS; p[41] = 0;                 /* HbH */
	p[48] = NH_ROUTING; p[49] = 0;                 /* DstOpts before Routing: unfragmentable */
	p[56] = NH_DSTOPTS; p[57] = 0;                 /* Routing */
	p[64] = NH_UDP; p[65] = 0;                     /* DstOpts after Routing: fragmentable */
	assert_int_equal(ip6_unfrag_len(p, sizeof(p), &nhoff), 64);
	assert_int_equal(nhoff, 56);
	p[6] = NH_UDP;
	assert_int_equal(ip6_unfrag_len(p, sizeof(p), &nhoff), 40);
	assert_int_equal(nhoff, 6);
}

static void test_rt2(void **state)
{
	uint8_t rh[24] = { NH_ICMPV6, 2, 2, 1, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, [23] = 9 };
	struct ip6_rt2 r;

	assert_int_equal(exthdr_rt2_parse(rh, sizeof(rh), &r), 0);
	assert_int_equal(r.home.s6_addr[15], 9);
	rh[3] = 0;
	assert_int_equal(exthdr_rt2_parse(rh, sizeof(rh), &r), -EINVAL);
	rh[3] = 1;
	assert_int_equal(exthdr_rt2_parse(rh, 16, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_upper),
		cmocka_unit_test(test_unfrag_len),
		cmocka_unit_test(test_rt2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
