/*
 * Anti-replay window: fixed cases for windows of 32, 64, 1024 and 4096
 * packets, ESN epoch crossing, and a differential test against a naive
 * reference (every accepted number in a set, plus the highest) over long
 * random sequences with reordering, duplicates, forgeries and jumps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/common.h"
#include "core/rng.h"
#include "xfrm/replay.h"

static const uint32_t sizes[] = { 32, 64, 1024, 4096 };

/* Check, then (if new) advance as if the ICV verified. */
static int recv_seq(struct xfrm_replay *w, uint32_t lo, uint64_t *s)
{
	int rc = xfrm_replay_check(w, lo, s);

	if (rc == 0)
		assert_int_equal(xfrm_replay_advance(w, *s), 0);
	return rc;
}

static void test_basic(void **state)
{
	uint64_t s;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t W = sizes[i];
		struct xfrm_replay *w = xfrm_replay_new(W, false);

		assert_non_null(w);
		assert_int_equal(xfrm_replay_check(w, 0, &s), -EINVAL);
		assert_int_equal(recv_seq(w, 1, &s), 0);
		assert_int_equal(s, 1);
		assert_int_equal(recv_seq(w, 1, &s), -EALREADY);
		assert_int_equal(recv_seq(w, 5 * W, &s), 0);           /* far ahead */
		assert_int_equal(recv_seq(w, 5 * W - W + 1, &s), 0);   /* left edge */
		assert_int_equal(recv_seq(w, 5 * W - W + 1, &s), -EALREADY);
		assert_int_equal(recv_seq(w, 5 * W - W, &s), -ERANGE); /* just outside */
		assert_int_equal(recv_seq(w, 1, &s), -ERANGE);
		assert_int_equal(recv_seq(w, 5 * W - 1, &s), 0);       /* in window, out of order */
		assert_int_equal(recv_seq(w, 5 * W, &s), -EALREADY);
		/* check does not change state: a checked-but-unverified number stays new */
		assert_int_equal(xfrm_replay_check(w, 5 * W + 3, &s), 0);
		assert_int_equal(xfrm_replay_check(w, 5 * W + 3, &s), 0);
		assert_int_equal(w->top, 5 * W);
		/* advance re-checks: the window moved between check and advance */
		assert_int_equal(xfrm_replay_check(w, 5 * W + 2, &s), 0);
		assert_int_equal(recv_seq(w, 7 * W, &s), 0);
		assert_int_equal(xfrm_replay_advance(w, 5 * W + 2), -ERANGE);
		/* a jump of exactly one ring leaves no stale bits behind */
		assert_int_equal(recv_seq(w, 7 * W + (w->mask + 1) * 64, &s), 0);
		for (uint32_t k = 1; k < W; k++)
			assert_int_equal(xfrm_replay_check(w, 7 * W + (w->mask + 1) * 64 - k, &s), 0);
		xfrm_replay_free(w);
	}
}

static void test_sizes(void **state)
{
	uint64_t s;

	assert_null(xfrm_replay_new(0, false));
	assert_null(xfrm_replay_new(XFRM_REPLAY_MAX + 1, false));
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct xfrm_replay *w = xfrm_replay_new(sizes[i], false);

		/* every number of a full window, then all are duplicates */
		for (uint32_t k = 1; k <= sizes[i]; k++)
			assert_int_equal(recv_seq(w, k, &s), 0);
		for (uint32_t k = 1; k <= sizes[i]; k++)
			assert_int_equal(recv_seq(w, k, &s), -EALREADY);
		assert_int_equal(recv_seq(w, sizes[i] + 1, &s), 0);
		assert_int_equal(recv_seq(w, 1, &s), -ERANGE);
		xfrm_replay_free(w);
	}
}

/* Non-ESN ends at 2^32 - 1; there is no next epoch. */
static void test_no_esn_end(void **state)
{
	struct xfrm_replay *w = xfrm_replay_new(64, false);
	uint64_t s;

	assert_int_equal(recv_seq(w, UINT32_MAX, &s), 0);
	assert_int_equal(recv_seq(w, 1, &s), -ERANGE);
	assert_int_equal(recv_seq(w, UINT32_MAX - 10, &s), 0);
	xfrm_replay_free(w);
}

/* RFC 4303 A2: crossing into the next epoch, both cases of the inference. */
static void test_esn_wrap(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t W = sizes[i];
		struct xfrm_replay *w = xfrm_replay_new(W, true);
		uint64_t s;

		assert_int_equal(xfrm_replay_advance(w, UINT32_MAX - 6000), 0); /* a long-lived SA */
		assert_int_equal(recv_seq(w, UINT32_MAX - 5, &s), 0);
		assert_int_equal(s, UINT32_MAX - 5);
		/* case A: window in epoch 0; a small number is epoch 1 */
		assert_int_equal(recv_seq(w, 3, &s), 0);
		assert_int_equal(s, (1ULL << 32) + 3);
		/* case B: window spans epochs 0 and 1; a big number is still epoch 0 */
		assert_int_equal(recv_seq(w, UINT32_MAX - 2, &s), 0);
		assert_int_equal(s, UINT32_MAX - 2);
		assert_int_equal(recv_seq(w, UINT32_MAX - 5, &s), -EALREADY);
		assert_int_equal(recv_seq(w, 0, &s), 0);        /* 2^32 itself is a valid number */
		assert_int_equal(s, 1ULL << 32);
		assert_int_equal(recv_seq(w, 3, &s), -EALREADY);
		/* left of the window's bottom in epoch 0 reads as epoch 1, far ahead (the ICV decides) */
		assert_int_equal(xfrm_replay_check(w, (uint32_t)(UINT32_MAX - W - 10), &s), 0);
		assert_int_equal(s, (2ULL << 32) - W - 11);
		/* far into epoch 1 the window no longer spans: big numbers mean epoch 2 */
		assert_int_equal(recv_seq(w, 0x80000000u, &s), 0);
		assert_int_equal(recv_seq(w, 0xf0000000u, &s), 0);
		assert_int_equal(s, (1ULL << 32) + 0xf0000000u);
		assert_int_equal(recv_seq(w, 0x10, &s), 0);
		assert_int_equal(s, (2ULL << 32) + 0x10);
		xfrm_replay_free(w);
	}
}

/* Before the first epoch there is nothing: a big first number is not epoch -1. */
static void test_esn_start(void **state)
{
	struct xfrm_replay *w = xfrm_replay_new(64, true);
	uint64_t s;

	assert_int_equal(xfrm_replay_check(w, UINT32_MAX - 3, &s), -EINVAL);
	assert_int_equal(xfrm_replay_check(w, 0, &s), -EINVAL);
	assert_int_equal(recv_seq(w, 1000, &s), 0);
	assert_int_equal(s, 1000);
	xfrm_replay_free(w);
}

/* ---- the naive reference ---- */

#define SET_BITS 22
struct ref {
	uint64_t top;
	uint32_t size;
	bool esn;
	uint64_t *set;    /* open addressing, 0 = empty (0 is never accepted) */
};

static bool ref_seen(const struct ref *r, uint64_t s)
{
	uint64_t i = (s * 0x9e3779b97f4a7c15ULL) >> (64 - SET_BITS);

	for (;; i = (i + 1) & ((1u << SET_BITS) - 1)) {
		if (r->set[i] == s)
			return true;
		if (r->set[i] == 0)
			return false;
	}
}

static void ref_add(struct ref *r, uint64_t s)
{
	uint64_t i = (s * 0x9e3779b97f4a7c15ULL) >> (64 - SET_BITS);

	while (r->set[i] != 0 && r->set[i] != s)
		i = (i + 1) & ((1u << SET_BITS) - 1);
	r->set[i] = s;
	if (s > r->top)
		r->top = s;
}

/* The plain definition: the one number = seq_lo (mod 2^32) in [top - W + 1, top - W + 2^32]. */
static int ref_check(const struct ref *r, uint32_t lo, uint64_t *out)
{
	int64_t s = lo;

	if (r->esn) {
		int64_t b = (int64_t)r->top - r->size + 1;
		s = b + (uint32_t)(lo - (uint32_t)b);
	}
	*out = (uint64_t)s;
	if (s <= 0)
		return -EINVAL;
	if ((uint64_t)s > r->top)
		return 0;
	if (r->top - (uint64_t)s >= r->size)
		return -ERANGE;
	return ref_seen(r, (uint64_t)s) ? -EALREADY : 0;
}

static uint64_t next_target(struct rng *g, uint64_t top, uint32_t W)
{
	uint32_t k = rng_below(g, 100);
	int64_t d;

	if (k < 50)
		d = 1 + rng_below(g, 4);                           /* in order */
	else if (k < 85)
		d = -(int64_t)rng_below(g, W + W / 4 + 2);         /* reordered, dup, or too old */
	else if (k < 97)
		d = rng_below(g, 3 * W);                           /* ahead */
	else
		d = (int64_t)rng_below(g, 1u << 30);               /* big jump */
	return (int64_t)top + d > 0 ? (uint64_t)((int64_t)top + d) : 1;
}

static void differential(uint32_t W, bool esn, uint64_t start, unsigned steps, uint64_t seed)
{
	struct xfrm_replay *w = xfrm_replay_new(W, esn);
	struct ref r = { .size = W, .esn = esn, .set = calloc(1u << SET_BITS, 8) };
	struct rng g;
	unsigned accepted = 0;

	rng_seed(&g, seed);
	assert_non_null(r.set);
	if (start) {
		assert_int_equal(xfrm_replay_advance(w, start), 0);
		ref_add(&r, start);
	}
	for (unsigned i = 0; i < steps && accepted < (1u << (SET_BITS - 1)); i++) {
		uint64_t t = next_target(&g, r.top, W), s1, s2;
		uint32_t lo = (uint32_t)t;
		int a, b;

		if (!esn && t > UINT32_MAX)
			lo = (uint32_t)rng_next(&g);
		a = xfrm_replay_check(w, lo, &s1);
		b = ref_check(&r, lo, &s2);
		assert_int_equal(a, b);
		if (a == 0 || esn)
			assert_true(s1 == s2);
		if (a == 0 && rng_below(&g, 10) != 0) {        /* one in ten fails its ICV */
			assert_int_equal(xfrm_replay_advance(w, s1), 0);
			ref_add(&r, s1);
			accepted++;
		}
		assert_true(w->top == r.top);
	}
	free(r.set);
	xfrm_replay_free(w);
}

static void test_differential(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		differential(sizes[i], false, 0, 400000, 1 + i);
		differential(sizes[i], true, 0, 400000, 11 + i);
		/* start close to the end of epoch 0 and of epoch 7, cross both */
		differential(sizes[i], true, (1ULL << 32) - 3000, 400000, 21 + i);
		differential(sizes[i], true, (8ULL << 32) - 100, 400000, 31 + i);
	}
	differential(100, true, 0, 200000, 41);   /* a size that is not a multiple of 64 */
	differential(1, false, 0, 200000, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_no_esn_end),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_esn_start),
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
