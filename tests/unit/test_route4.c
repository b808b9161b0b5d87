/*
 * IPv4 routing table: exact cases, then the mapped-key lpm6 table against a
 * deliberately naive linear scan on random nested prefixes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"
#include "ipv4/route4.h"
#include "proto/ip4.h"

#define DEV(i) ((struct netdev *)(uintptr_t)(0x1000 + 64 * (i)))

static struct stack *new_stack(void)
{
	struct stack *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	st->hkey = (struct siphash_key){ 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	assert_int_equal(route4_init(st), 0);
	return st;
}

static void free_stack(struct stack *st)
{
	route4_fini(st);
	free(st);
}

static uint32_t IP(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct route4 R(const char *dst, unsigned plen, const char *gw, int dev, uint32_t metric)
{
	return (struct route4){ .dst = IP(dst), .plen = (uint8_t)plen, .gw = gw ? IP(gw) : 0,
				.dev = DEV(dev), .metric = metric, .proto = RT4_PROTO_STATIC };
}

struct dump {
	struct route4 v[16];
	unsigned n;
};

static void dump_one(void *ctx, const struct route4 *r)
{
	struct dump *d = ctx;

	d->v[d->n++] = *r;
}

static void test_exact_cases(void **state)
{
	struct stack *st = new_stack();
	struct route4 r;
	struct dump d = { .n = 0 };

	(void)state;
	assert_null(route4_lookup(st, IP("10.0.0.1")));
	assert_int_equal(STAT_GET(st, route4_lookup_miss), 1);
	r = R("0.0.0.0", 0, "192.0.2.254", 0, 0);
	assert_int_equal(route4_add(st, &r), 0);
	assert_int_equal(route4_add(st, &r), -EEXIST);
	assert_int_equal(route4_lookup(st, IP("10.0.0.1"))->plen, 0);
	r = R("10.1.255.255", 16, NULL, 1, 10);     /* masked on add */
	assert_int_equal(route4_add(st, &r), 0);
	assert_int_equal(route4_lookup(st, IP("10.1.2.3"))->dst, IP("10.1.0.0"));
	r = R("10.1.2.3", 32, "10.1.0.1", 2, 50);
	assert_int_equal(route4_add(st, &r), 0);
	assert_int_equal(route4_lookup(st, IP("10.1.2.3"))->plen, 32);
	assert_int_equal(route4_lookup(st, IP("10.1.2.4"))->plen, 16);
	r = R("10.1.0.0", 16, "10.1.0.9", 2, 5);
	assert_int_equal(route4_add(st, &r), 0);
	assert_int_equal(route4_lookup(st, IP("10.1.2.4"))->metric, 5);
	r = R("10.1.0.0", 16, "10.1.0.8", 3, 5);      /* equal metric: the older one wins */
	assert_int_equal(route4_add(st, &r), 0);
	assert_int_equal(route4_lookup(st, IP("10.1.2.4"))->gw, IP("10.1.0.9"));
	route4_foreach(st, dump_one, &d);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.v[0].plen, 0);
	assert_int_equal(d.v[1].plen, 16);
	assert_int_equal(d.v[4].plen, 32);
	assert_int_equal(route4_del(st, IP("10.1.0.0"), 16, 0, DEV(2)), 0);
	assert_int_equal(route4_del(st, IP("10.1.0.0"), 16, 0, DEV(2)), -ESRCH);
	assert_int_equal(route4_lookup(st, IP("10.1.2.4"))->gw, IP("10.1.0.8"));
	assert_int_equal(route4_del(st, IP("10.1.9.9"), 16, 0, NULL), 0);
	assert_int_equal(route4_lookup(st, IP("10.1.2.4"))->plen, 0);
	route4_flush_dev(st, DEV(2));
	assert_int_equal(route4_lookup(st, IP("10.1.2.3"))->plen, 0);
	r.plen = 33;
	assert_int_equal(route4_add(st, &r), -EINVAL);
	free_stack(st);
}

/* ---- differential test against a linear scan ---- */

struct nroute {
	struct route4 r;
	uint64_t seq;
	bool used;
};

struct naive {
	struct nroute v[8000];
	unsigned n;
	uint64_t seq;
};

static int naive_add(struct naive *nv, const struct route4 *r)
{
	struct route4 m = *r;

	m.dst &= ip4_mask(m.plen);
	for (unsigned i = 0; i < nv->n; i++) {
		const struct route4 *q = &nv->v[i].r;

		if (nv->v[i].used && q->plen == m.plen && q->dst == m.dst && q->gw == m.gw &&
		    q->dev == m.dev)
			return -EEXIST;
	}
	assert_true(nv->n < ARRAY_SIZE(nv->v));
	nv->v[nv->n++] = (struct nroute){ m, nv->seq++, true };
	return 0;
}

static int naive_del(struct naive *nv, uint32_t dst, unsigned plen, uint32_t gw,
		     const struct netdev *dev)
{
	int found = 0;

	dst &= ip4_mask(plen);
	for (unsigned i = 0; i < nv->n; i++) {
		struct nroute *q = &nv->v[i];

		if (q->used && q->r.plen == plen && q->r.dst == dst && (!gw || gw == q->r.gw) &&
		    (!dev || dev == q->r.dev)) {
			q->used = false;
			found = 1;
		}
	}
	return found ? 0 : -ESRCH;
}

static const struct route4 *naive_lookup(const struct naive *nv, uint32_t a)
{
	const struct nroute *best = NULL;

	for (unsigned i = 0; i < nv->n; i++) {
		const struct nroute *q = &nv->v[i];

		if (!q->used || ((a ^ q->r.dst) & ip4_mask(q->r.plen)) != 0)
			continue;
		if (!best || q->r.plen > best->r.plen ||
		    (q->r.plen == best->r.plen && q->r.metric < best->r.metric))
			best = q;
	}
	return best ? &best->r : NULL;
}

/* Near one of a few bases, so prefixes nest. */
static uint32_t near(struct rng *r, const uint32_t *bases)
{
	uint32_t a = ntohl(bases[rng_below(r, 4)]);
	unsigned from = rng_below(r, 20) == 0 ? 0 : rng_below(r, 33);

	for (unsigned bit = from; bit < 32; bit++)
		if (rng_below(r, 2))
			a ^= 0x80000000u >> bit;
	return htonl(a);
}

static void check(struct stack *st, const struct naive *nv, uint32_t a)
{
	const struct route4 *want = naive_lookup(nv, a), *got = route4_lookup(st, a);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(got->plen, want->plen);
	assert_int_equal(got->dst, want->dst);
	assert_int_equal(got->metric, want->metric);
	/* Equal metrics: the older route wins in both. */
	assert_int_equal(got->gw, want->gw);
	assert_ptr_equal(got->dev, want->dev);
}

static void test_differential(void **state)
{
	struct stack *st = new_stack();
	struct naive *nv = calloc(1, sizeof(*nv));
	uint32_t bases[4];
	struct rng r;

	(void)state;
	assert_non_null(nv);
	rng_seed(&r, 11);
	rng_bytes(&r, bases, sizeof(bases));
	for (int i = 0; i < 6000; i++) {
		struct route4 rt = {
			.dst = near(&r, bases), .plen = (uint8_t)rng_below(&r, 33),
			.gw = htonl(0x0a000000u | rng_below(&r, 3)), .dev = DEV(rng_below(&r, 3)),
			.metric = 10 * rng_below(&r, 3),
		};

		if (rng_below(&r, 4) == 0 && nv->n) {
			const struct nroute *q = &nv->v[rng_below(&r, nv->n)];
			uint32_t gw = rng_below(&r, 2) ? q->r.gw : 0;
			const struct netdev *dev = rng_below(&r, 2) ? q->r.dev : NULL;

			assert_int_equal(route4_del(st, q->r.dst, q->r.plen, gw, dev),
					 naive_del(nv, q->r.dst, q->r.plen, gw, dev));
		} else {
			assert_int_equal(route4_add(st, &rt), naive_add(nv, &rt));
		}
		for (int k = 0; k < 4; k++)
			check(st, nv, near(&r, bases));
	}
	route4_flush_dev(st, DEV(1));
	for (unsigned i = 0; i < nv->n; i++)
		if (nv->v[i].r.dev == DEV(1))
			nv->v[i].used = false;
	for (int k = 0; k < 2000; k++)
		check(st, nv, near(&r, bases));
	free(nv);
	free_stack(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_cases),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
