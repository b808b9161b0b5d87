/*
 * Input's SA lookup keeps its last hits (state.c, struct sad_lcache_ent):
 * against the index itself (xfrm_state_get and the usable states) after
 * every change that could make a kept hit stale: add, delete, update of a
 * larval SA with an SPI (GETSPI), hard expiry, flush, and ids that share
 * a cache slot. Random operations on a small id space, so slots collide
 * and ids come back after deletion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"
#include "xfrm/xfrm.h"
#include "xfrm/state_priv.h"

#define NDST 3
#define NSPI 6

static struct in6_addr dst_of(unsigned n)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(n + 1) } };
	return a;
}

static struct xfrm_sa_cfg cfg_of(unsigned d, uint32_t spi, uint8_t proto)
{
	struct xfrm_sa_cfg c = { .id = { dst_of(d), spi, proto }, .saddr = dst_of(9),
				 .family = AF_INET6, .mode = XFRM_MODE_TRANSPORT, .replay_window = 32,
				 .flags = XFRM_SA_F_NOCRYPTO };
	return c;
}

static struct stack *new_stack(void)
{
	struct usagi_stack_config cfg = { .name = "lcache", .seed = 3, .now = NS_PER_SEC };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	return st;
}

/* Lets the timers reap what expired, then frees the stack. */
static void fini(struct stack *st)
{
	usagi_stack_advance(st, st->now + 60 * NS_PER_SEC);
	usagi_stack_free(st);
}

/* The naive answer: the index's entry, if its SA is in a usable state. */
static struct xfrm_state *reference(struct stack *st, const struct in6_addr *d, uint32_t spi,
				    uint8_t proto)
{
	struct xfrm_state *x = xfrm_state_get(st, d, spi, proto);

	return x && xfrm_state_usable(x) ? x : NULL;
}

/* Every id of the space, twice (the second from the cache), against the reference. */
static void check_all(struct stack *st)
{
	static const uint8_t protos[] = { IPPROTO_ESP, IPPROTO_AH };

	for (int pass = 0; pass < 2; pass++)
		for (unsigned d = 0; d < NDST; d++)
			for (uint32_t s = 1; s <= NSPI; s++)
				for (unsigned p = 0; p < 2; p++) {
					struct in6_addr a = dst_of(d);

					assert_ptr_equal(xfrm_state_lookup(st, &a, 0x100 * s, protos[p]),
							 reference(st, &a, 0x100 * s, protos[p]));
				}
}

static void test_delete_readd(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_sa_cfg c = cfg_of(0, 0x100, IPPROTO_ESP);
	struct in6_addr d = dst_of(0);
	struct xfrm_state *x, *y;

	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x100, IPPROTO_ESP), x);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x100, IPPROTO_ESP), x);   /* kept */
	assert_int_equal(xfrm_state_delete_id(st, &d, 0x100, IPPROTO_ESP), 0);
	assert_null(xfrm_state_lookup(st, &d, 0x100, IPPROTO_ESP));
	assert_int_equal(xfrm_state_add(st, &c, &y), 0);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x100, IPPROTO_ESP), y);
	xfrm_state_flush(st, 0);
	assert_null(xfrm_state_lookup(st, &d, 0x100, IPPROTO_ESP));
	usagi_stack_free(st);
}

/* A larval SA that got its SPI is in the index but not usable; its update makes it so. */
static void test_larval_then_mature(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_sa_cfg c = cfg_of(1, 0, IPPROTO_ESP);
	struct xfrm_resolved t = { .proto = IPPROTO_ESP, .mode = XFRM_MODE_TRANSPORT,
				   .family = AF_INET6, .saddr = c.saddr, .daddr = c.id.daddr };
	struct in6_addr d = dst_of(1);
	struct xfrm_state *x, *z;

	assert_int_equal(xfrm_alloc_spi(st, &t, 0x1000, 0x1000, 0, &x), 0);
	assert_int_equal(x->c.id.spi, 0x1000);
	assert_null(xfrm_state_lookup(st, &d, 0x1000, IPPROTO_ESP));
	assert_null(xfrm_state_lookup(st, &d, 0x1000, IPPROTO_ESP));
	c.id.spi = 0x1000;
	assert_int_equal(xfrm_state_update(st, &c, &z), 0);
	assert_ptr_equal(z, x);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x1000, IPPROTO_ESP), x);
	usagi_stack_free(st);
}

/* A hard packet limit removes the SA while its hit is kept. */
static void test_hard_expiry(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_sa_cfg c = cfg_of(2, 0x200, IPPROTO_ESP);
	struct in6_addr d = dst_of(2);
	struct xfrm_state *x;

	c.lft.hard_packets = 2;
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x200, IPPROTO_ESP), x);
	assert_int_equal(xfrm_state_account(st, x, 100), 0);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x200, IPPROTO_ESP), x);
	assert_int_equal(xfrm_state_account(st, x, 100), 0);    /* the limit: gone */
	assert_null(xfrm_state_lookup(st, &d, 0x200, IPPROTO_ESP));
	fini(st);
}

/* Random adds, deletes, updates, expiries and flushes; every id checked after each. */
static void test_random_against_index(void **state)
{
	struct stack *st = new_stack();
	uint64_t r = 0x243f6a8885a308d3ull;

	for (int step = 0; step < 3000; step++) {
		unsigned op, d;
		uint32_t spi;
		uint8_t proto;
		struct in6_addr a;
		struct xfrm_state *x;

		r = r * 6364136223846793005ull + 1442695040888963407ull;
		op = (unsigned)(r >> 60);
		d = (unsigned)(r >> 40) % NDST;
		spi = 0x100 * (1 + (uint32_t)(r >> 20) % NSPI);
		proto = (r >> 10) & 1 ? IPPROTO_AH : IPPROTO_ESP;
		a = dst_of(d);
		if (op < 7) {
			struct xfrm_sa_cfg c = cfg_of(d, spi, proto);

			c.lft.hard_packets = (r >> 5) & 1 ? 3 : 0;
			(void)xfrm_state_add(st, &c, NULL);
		} else if (op < 12) {
			(void)xfrm_state_delete_id(st, &a, spi, proto);
		} else if (op < 15) {
			if ((x = xfrm_state_lookup(st, &a, spi, proto)))
				(void)xfrm_state_account(st, x, 10);
		} else if ((r >> 8) % 8 == 0) {
			xfrm_state_flush(st, 0);
		}
		check_all(st);
	}
	fini(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delete_readd),
		cmocka_unit_test(test_larval_then_mature),
		cmocka_unit_test(test_hard_expiry),
		cmocka_unit_test(test_random_against_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
