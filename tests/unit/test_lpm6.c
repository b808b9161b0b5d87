/*
 * lpm6 as the SPD uses it (route6's own tests cover the plain table): a
 * payload table against a naive list of prefixes, on random nested and
 * clustered prefixes with inserts, removals and payload changes, so buckets
 * grow, split into nodes and empty again. Checked after every batch: the
 * longest match (lpm6_match and lpm6_match_key) and the payload that
 * follows it (the bucket's copy or the object's own), lpm6_has_longer for
 * prefixes in and out of the table, and lpm6_find. test_root_promote:
 * a table grown past the 4096 prefixes at which its root moves to a
 * huge-page mapping of its own (lpm6.c, root_promote) still finds every
 * prefix, before and after, and frees it all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/common.h"
#include "core/rng.h"
#include "ipv6/lpm6.h"

#define NOBJ 3000
#define PSIZE 40

struct obj {
	struct lpm6_pfx pfx;            /* first, the payload right after it */
	uint8_t payload[PSIZE];
	bool in;
};

_Static_assert(offsetof(struct obj, payload) == sizeof(struct lpm6_pfx), "payload follows the prefix");

static const struct siphash_key key = { 1, 2 };

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Clustered around a few bases, so prefixes nest, share buckets and split them. */
static void rand_prefix(struct rng *r, struct in6_addr *a, unsigned *plen)
{
	static const uint8_t lens[] = { 0, 1, 8, 15, 16, 17, 24, 32, 33, 47, 48, 56, 63, 64, 65, 96, 120, 127, 128 };
	static const uint8_t bases[][4] = { { 0x20, 0x01, 0x0d, 0xb8 }, { 0x20, 0x01, 0x0d, 0xb9 }, { 0xfe, 0x80, 0, 0 },
					    { 0, 0, 0, 0 }, { 10, 0, 0, 0 } };
	unsigned b = rng_below(r, ARRAY_SIZE(bases) + 1);

	rng_bytes(r, a, sizeof(*a));
	if (b < ARRAY_SIZE(bases)) {
		memcpy(a->s6_addr, bases[b], 4);
		if (rng_below(r, 2))
			memset(a->s6_addr + 4, 0, 10);    /* many share their first 112 bits */
	}
	*plen = lens[rng_below(r, sizeof(lens))];
}

static bool naive_in(const struct lpm6_pfx *p, uint64_t hi, uint64_t lo)
{
	uint64_t mhi = p->plen == 0 ? 0 : p->plen >= 64 ? ~0ULL : ~0ULL << (64 - p->plen);
	uint64_t mlo = p->plen <= 64 ? 0 : ~0ULL << (128 - p->plen);

	return ((hi ^ p->hi) & mhi) == 0 && ((lo ^ p->lo) & mlo) == 0;
}

static const struct obj *naive_match(const struct obj *o, unsigned n, uint64_t hi, uint64_t lo)
{
	const struct obj *best = NULL;

	for (unsigned i = 0; i < n; i++)
		if (o[i].in && naive_in(&o[i].pfx, hi, lo) && (!best || o[i].pfx.plen > best->pfx.plen))
			best = &o[i];
	return best;
}

static bool naive_has_longer(const struct obj *o, unsigned n, const struct lpm6_pfx *p)
{
	for (unsigned i = 0; i < n; i++)
		if (o[i].in && o[i].pfx.plen > p->plen && naive_in(p, o[i].pfx.hi, o[i].pfx.lo))
			return true;
	return false;
}

/* An address inside @o's prefix, or anywhere. */
static void probe_addr(struct rng *r, const struct obj *o, struct in6_addr *a)
{
	struct in6_addr rnd;
	unsigned plen = o->pfx.plen;

	rng_bytes(r, &rnd, sizeof(rnd));
	lpm6_key_to_addr(&o->pfx, a);
	for (unsigned bit = plen; bit < 128; bit++)
		if (rnd.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			a->s6_addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
}

/* @o: @n objects, those with .in set in @t. */
static void check(struct lpm6 *t, const struct obj *o, unsigned n, struct rng *r)
{
	for (unsigned k = 0; k < 300; k++) {
		struct in6_addr a;

		if (rng_below(r, 4))
			probe_addr(r, &o[rng_below(r, n)], &a);
		else
			rng_bytes(r, &a, sizeof(a));
		uint64_t hi = be64(a.s6_addr), lo = be64(a.s6_addr + 8);
		const struct obj *want = naive_match(o, n, hi, lo);
		const struct lpm6_val *v = lpm6_match(t, &a);

		assert_ptr_equal(v, lpm6_match_key(t, hi, lo));
		if (!want) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_ptr_equal(v->pfx, &want->pfx);
		assert_ptr_equal(v->val, want);
		assert_memory_equal(v + 1, want->payload, PSIZE);
	}
	for (unsigned k = 0; k < 100; k++) {
		struct lpm6_pfx p;
		struct in6_addr a;
		unsigned plen;

		if (rng_below(r, 2)) {
			p = o[rng_below(r, n)].pfx;
		} else {
			rand_prefix(r, &a, &plen);
			lpm6_key(&p, &a, plen);
		}
		assert_int_equal(lpm6_has_longer(t, &p), naive_has_longer(o, n, &p));
	}
}

static void test_payload_differential(void **state)
{
	struct obj *o = calloc(NOBJ, sizeof(*o));
	struct lpm6 *t = lpm6_new_payload(&key, PSIZE);
	struct rng r;
	unsigned live = 0;

	assert_non_null(o);
	assert_non_null(t);
	assert_null(lpm6_new_payload(&key, LPM6_PAYLOAD_MAX + 1));
	rng_seed(&r, 11);
	for (unsigned i = 0; i < NOBJ; i++) {
		struct in6_addr a;
		unsigned plen;

		rand_prefix(&r, &a, &plen);
		lpm6_key(&o[i].pfx, &a, plen);
	}
	for (unsigned round = 0; round < 120; round++) {
		/* Fill to about two thirds, then churn around that. */
		for (unsigned k = 0; k < 60; k++) {
			struct obj *x = &o[rng_below(&r, NOBJ)];
			bool add = live < NOBJ * 2 / 3 ? rng_below(&r, 4) != 0 : rng_below(&r, 2);

			if (add && !x->in) {
				if (lpm6_find(t, &x->pfx))
					continue;    /* the same prefix drawn twice: one object per key */
				rng_bytes(&r, x->payload, PSIZE);
				assert_int_equal(lpm6_insert(t, &x->pfx), 0);
				lpm6_set_val(t, &x->pfx, x, 0);
				x->in = true;
				live++;
			} else if (!add && x->in) {
				assert_ptr_equal(lpm6_find(t, &x->pfx), &x->pfx);
				lpm6_remove(t, &x->pfx);
				x->in = false;
				live--;
			} else if (x->in) {
				rng_bytes(&r, x->payload, PSIZE);  /* a new payload reaches the copies */
				lpm6_set_val(t, &x->pfx, x, 0);
			}
		}
		assert_int_equal(lpm6_count(t), live);
		check(t, o, NOBJ, &r);
	}
	lpm6_free(t);
	free(o);
}

/* Addresses inside @x's prefix, against the naive list. */
static void check_inside(struct lpm6 *t, const struct obj *o, unsigned n, const struct obj *x, struct rng *r)
{
	for (unsigned k = 0; k < 64; k++) {
		struct in6_addr a;

		probe_addr(r, x, &a);
		const struct obj *want = naive_match(o, n, be64(a.s6_addr), be64(a.s6_addr + 8));
		const struct lpm6_val *v = lpm6_match(t, &a);

		assert_non_null(want);
		assert_non_null(v);
		assert_ptr_equal(v->val, want);
	}
}

/* Puts @x in @t unless its key is there already (one object per key). */
static void put(struct lpm6 *t, struct obj *x, struct rng *r)
{
	if (x->in || lpm6_find(t, &x->pfx))
		return;
	rng_bytes(r, x->payload, PSIZE);
	assert_int_equal(lpm6_insert(t, &x->pfx), 0);
	lpm6_set_val(t, &x->pfx, x, 0);
	x->in = true;
}

/*
 * Past 4096 prefixes the root moves to its own huge-page mapping and gets
 * a word per entry (lpm6.c, root_promote): random long prefixes (buckets,
 * their filters, nodes below the root) and clustered ones that nest and
 * cover root entries (/8 to /16) checked against the naive list on both
 * sides of the move, after removals and after adding back.
 */
static void test_root_promote(void **state)
{
	enum { NLONG = 5000, NSHORT = 24, N = 6000 + NSHORT };
	struct obj *o = calloc(N, sizeof(*o));
	struct lpm6 *t = lpm6_new_payload(&key, PSIZE);
	struct rng r;

	assert_non_null(o);
	assert_non_null(t);
	rng_seed(&r, 12);
	for (unsigned i = 0; i < N; i++) {
		struct in6_addr a;
		unsigned plen;

		if (i < NLONG || i >= N - NSHORT) {
			rng_bytes(&r, &a, sizeof(a));
			plen = i < NLONG ? 40 + rng_below(&r, 89) : 8 + rng_below(&r, 9);
		} else {
			do    /* nothing shorter than /8: most root entries stay uncovered, on the word's own path */
				rand_prefix(&r, &a, &plen);
			while (plen < 8);
		}
		lpm6_key(&o[i].pfx, &a, plen);
	}
	for (unsigned i = 0; i < N - NSHORT; i++) {
		put(t, &o[(i * 7919) % (N - NSHORT)], &r);    /* long and clustered interleaved */
		if (i == 3000 || i == 4500)
			check(t, o, N, &r);
	}
	check(t, o, N, &r);
	/* Covering many root entries once the words exist: each word must send lookups to its entry. */
	for (unsigned i = N - NSHORT; i < N; i++) {
		put(t, &o[i], &r);
		check_inside(t, o, N, &o[i], &r);
	}
	for (unsigned i = 0; i < N; i++) {
		if (o[i].in && rng_below(&r, 2)) {
			lpm6_remove(t, &o[i].pfx);
			o[i].in = false;
		}
	}
	check(t, o, N, &r);
	for (unsigned i = 0; i < N; i++)
		put(t, &o[i], &r);
	check(t, o, N, &r);
	lpm6_free(t);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_differential),
		cmocka_unit_test(test_root_promote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
