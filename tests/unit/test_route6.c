/*
 * Routing table: exact cases, then the lpm6 trie against a deliberately
 * naive linear scan on random nested prefixes with adds, deletes and expiry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"
#include "ipv6/lpm6.h"

#define DEV(i) ((struct netdev *)(uintptr_t)(0x1000 + 64 * (i)))

static struct stack *new_stack(void)
{
	struct stack *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	st->hkey = (struct siphash_key){ 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	assert_int_equal(route6_init(st), 0);
	return st;
}

static void free_stack(struct stack *st)
{
	route6_fini(st);
	free(st);
}

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct route6 R(const char *dst, unsigned plen, const char *gw, int dev, uint32_t metric)
{
	return (struct route6){ .dst = A(dst), .plen = (uint8_t)plen, .gw = A(gw ? gw : "::"),
				.dev = DEV(dev), .metric = metric, .proto = RT6_PROTO_STATIC };
}

static void test_exact_cases(void **state)
{
	struct stack *st = new_stack();
	struct route6 r;
	const struct route6 *got;
	struct in6_addr x = A("2001:db8:1::5");

	(void)state;
	assert_null(route6_lookup(st, &x));
	assert_int_equal(STAT_GET(st, route6_lookup_miss), 1);
	r = R("::", 0, "fe80::1", 0, 1024);
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(route6_add(st, &r), -EEXIST);
	got = route6_lookup(st, &x);
	assert_non_null(got);
	assert_int_equal(got->plen, 0);
	/* Masked on add: host bits of dst are dropped. */
	r = R("2001:db8:1::ffff", 48, NULL, 1, 256);
	assert_int_equal(route6_add(st, &r), 0);
	got = route6_lookup(st, &x);
	assert_int_equal(got->plen, 48);
	assert_true(in6_equal(&got->dst, &(struct in6_addr[1]){ A("2001:db8:1::") }[0]));
	/* Host route wins for exactly its address. */
	r = R("2001:db8:1::5", 128, "fe80::9", 2, 2000);
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(route6_lookup(st, &x)->plen, 128);
	struct in6_addr y = A("2001:db8:1::6");
	assert_int_equal(route6_lookup(st, &y)->plen, 48);
	/* Metric preference within one prefix; the lower metric wins whenever added. */
	r = R("2001:db8:1::", 48, "fe80::2", 1, 100);
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(route6_lookup(st, &y)->metric, 100);
	r = R("2001:db8:1::", 48, "fe80::3", 3, 300);
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(route6_lookup(st, &y)->metric, 100);
	assert_int_equal(st->rt6.count, 5);
	/* Wildcard delete: NULL gw, given dev. */
	assert_int_equal(route6_del(st, &(struct in6_addr[1]){ A("2001:db8:1::") }[0], 48, NULL, DEV(1)), 0);
	assert_int_equal(route6_lookup(st, &y)->metric, 300);
	assert_int_equal(route6_del(st, &(struct in6_addr[1]){ A("2001:db8:1::") }[0], 48, NULL, DEV(1)), -ESRCH);
	/* Wildcard delete of everything at the prefix: back to the default route. */
	assert_int_equal(route6_del(st, &(struct in6_addr[1]){ A("2001:db8:1::") }[0], 48, NULL, NULL), 0);
	assert_int_equal(route6_lookup(st, &y)->plen, 0);
	assert_int_equal(route6_del(st, &(struct in6_addr[1]){ A("2001:db8:1::5") }[0], 128,
				    &(struct in6_addr[1]){ A("fe80::1") }[0], NULL), -ESRCH);
	assert_int_equal(route6_del(st, &(struct in6_addr[1]){ A("2001:db8:1::5") }[0], 128,
				    &(struct in6_addr[1]){ A("fe80::9") }[0], NULL), 0);
	assert_int_equal(route6_lookup(st, &x)->plen, 0);
	assert_int_equal(st->rt6.count, 1);
	r = R("::", 0, NULL, 0, 0);
	r.plen = 129;
	assert_int_equal(route6_add(st, &r), -EINVAL);
	free_stack(st);
}

/* An RA default route expires; a longer prefix whose routes expired falls back to a shorter one. */
static void test_expiry(void **state)
{
	struct stack *st = new_stack();
	struct route6 r;
	struct in6_addr x = A("2001:db8:7::1");

	(void)state;
	r = R("::", 0, "fe80::1", 0, 1024);
	r.expires = 10 * NS_PER_SEC;
	assert_int_equal(route6_add(st, &r), 0);
	r = R("2001:db8::", 32, "fe80::2", 0, 1024);
	assert_int_equal(route6_add(st, &r), 0);
	r = R("2001:db8:7::", 48, "fe80::3", 1, 10);
	r.expires = 5 * NS_PER_SEC;
	assert_int_equal(route6_add(st, &r), 0);
	r = R("2001:db8:7::", 48, "fe80::4", 1, 20);
	r.expires = 7 * NS_PER_SEC;
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(route6_lookup(st, &x)->metric, 10);
	st->now = 5 * NS_PER_SEC;   /* expires == now counts as expired */
	assert_int_equal(route6_lookup(st, &x)->metric, 20);
	st->now = 7 * NS_PER_SEC;
	assert_int_equal(route6_lookup(st, &x)->plen, 32);
	struct in6_addr far = A("3000::1");
	assert_int_equal(route6_lookup(st, &far)->plen, 0);
	st->now = 11 * NS_PER_SEC;
	assert_null(route6_lookup(st, &far));
	assert_true(STAT_GET(st, route6_lookup_expired) >= 3);
	free_stack(st);
}

struct dump {
	struct route6 v[16];
	unsigned n;
};

static void dump_one(void *ctx, const struct route6 *r)
{
	struct dump *d = ctx;

	d->v[d->n++] = *r;
}

static void test_foreach_and_flush(void **state)
{
	struct stack *st = new_stack();
	struct dump d = { .n = 0 };
	struct route6 rs[] = {
		R("2001:db8:1::", 48, NULL, 1, 1), R("::", 0, "fe80::1", 2, 1),
		R("2001:db8::", 32, NULL, 1, 1), R("fe80::", 64, NULL, 2, 1),
		R("2001:db8::", 32, "fe80::7", 2, 5),
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(rs); i++)
		assert_int_equal(route6_add(st, &rs[i]), 0);
	route6_foreach(st, dump_one, &d);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.v[0].plen, 0);
	assert_int_equal(d.v[1].plen, 32);
	assert_int_equal(d.v[2].plen, 32);
	assert_int_equal(d.v[2].metric, 5);
	assert_int_equal(d.v[3].plen, 48);
	assert_int_equal(d.v[4].plen, 64);
	route6_flush_dev(st, DEV(2));
	assert_int_equal(st->rt6.count, 2);
	d.n = 0;
	route6_foreach(st, dump_one, &d);
	assert_int_equal(d.n, 2);
	assert_ptr_equal(d.v[0].dev, DEV(1));
	assert_ptr_equal(d.v[1].dev, DEV(1));
	free_stack(st);
}

/* ---- differential test against a linear scan ---- */

struct nroute {
	struct route6 r;
	uint64_t seq;
	bool used;
};

struct naive {
	struct nroute *v;
	unsigned n, cap;
	uint64_t seq;
};

static bool naive_dup(const struct naive *nv, const struct route6 *r)
{
	for (unsigned i = 0; i < nv->n; i++) {
		const struct route6 *q = &nv->v[i].r;
		if (nv->v[i].used && q->plen == r->plen && in6_equal(&q->dst, &r->dst) &&
		    in6_equal(&q->gw, &r->gw) && q->dev == r->dev)
			return true;
	}
	return false;
}

static int naive_add(struct naive *nv, const struct route6 *r)
{
	struct route6 m = *r;

	in6_prefix_mask(&m.dst, m.plen);
	if (naive_dup(nv, &m))
		return -EEXIST;
	assert_true(nv->n < nv->cap);
	nv->v[nv->n++] = (struct nroute){ m, nv->seq++, true };
	return 0;
}

static int naive_del(struct naive *nv, const struct in6_addr *dst, unsigned plen,
		     const struct in6_addr *gw, const struct netdev *dev)
{
	struct in6_addr m = *dst;
	int found = 0;

	in6_prefix_mask(&m, plen);
	for (unsigned i = 0; i < nv->n; i++) {
		struct nroute *q = &nv->v[i];
		if (q->used && q->r.plen == plen && in6_equal(&q->r.dst, &m) &&
		    (!gw || in6_equal(gw, &q->r.gw)) && (!dev || dev == q->r.dev)) {
			q->used = false;
			found = 1;
		}
	}
	return found ? 0 : -ESRCH;
}

static const struct route6 *naive_lookup(const struct naive *nv, const struct in6_addr *a, uint64_t now)
{
	const struct nroute *best = NULL;

	for (unsigned i = 0; i < nv->n; i++) {
		const struct nroute *q = &nv->v[i];
		if (!q->used || (q->r.expires && q->r.expires <= now) ||
		    !in6_prefix_match(&q->r.dst, a, q->r.plen))
			continue;
		if (!best || q->r.plen > best->r.plen ||
		    (q->r.plen == best->r.plen && (q->r.metric < best->r.metric ||
		     (q->r.metric == best->r.metric && q->seq < best->seq))))
			best = q;
	}
	return best ? &best->r : NULL;
}

static unsigned naive_count(const struct naive *nv)
{
	unsigned c = 0;

	for (unsigned i = 0; i < nv->n; i++)
		c += nv->v[i].used;
	return c;
}

/* An address near one of a few bases, so random prefixes nest and overlap. */
static void near_addr(struct rng *r, const struct in6_addr *bases, struct in6_addr *a)
{
	unsigned from = rng_below(r, 129);

	*a = bases[rng_below(r, 8)];
	if (rng_below(r, 20) == 0)
		from = 0; /* anywhere */
	for (unsigned bit = from; bit < 128; bit++)
		if (rng_below(r, 2))
			a->s6_addr[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

static void random_route(struct rng *r, const struct in6_addr *bases, struct route6 *rt, uint64_t now)
{
	static const uint8_t lens[] = { 0, 1, 7, 8, 9, 15, 16, 17, 24, 32, 48, 56, 63, 64, 65, 96, 120, 127, 128 };

	memset(rt, 0, sizeof(*rt));
	near_addr(r, bases, &rt->dst);
	rt->plen = rng_below(r, 3) ? (uint8_t)(16 + rng_below(r, 49))
				   : (rng_below(r, 2) ? lens[rng_below(r, ARRAY_SIZE(lens))]
						      : (uint8_t)rng_below(r, 129));
	rt->gw.s6_addr[0] = 0xfe;
	rt->gw.s6_addr[1] = 0x80;
	rt->gw.s6_addr[15] = (uint8_t)rng_below(r, 3);
	rt->dev = DEV(rng_below(r, 3));
	rt->metric = 100 * rng_below(r, 4);
	if (rng_below(r, 4) == 0)
		rt->expires = now + 1 + (uint64_t)rng_below(r, 100000) * NS_PER_MS;
}

static void check_lookup(struct stack *st, const struct naive *nv, const struct in6_addr *a)
{
	const struct route6 *want = naive_lookup(nv, a, st->now);
	const struct route6 *got = route6_lookup(st, a);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(got->plen, want->plen);
	assert_memory_equal(&got->dst, &want->dst, 16);
	assert_memory_equal(&got->gw, &want->gw, 16);
	assert_ptr_equal(got->dev, want->dev);
	assert_int_equal(got->metric, want->metric);
	assert_int_equal(got->expires, want->expires);
}

static void random_delete(struct stack *st, struct naive *nv, struct rng *r)
{
	const struct nroute *q = &nv->v[rng_below(r, nv->n)];
	const struct in6_addr *gw = rng_below(r, 2) ? &q->r.gw : NULL;
	const struct netdev *dev = rng_below(r, 2) ? q->r.dev : NULL;
	struct in6_addr dst = q->r.dst;

	if (rng_below(r, 4) == 0) /* host bits set: the prefix is masked before the match */
		dst.s6_addr[15] ^= 1;
	int want = naive_del(nv, &dst, q->r.plen, gw, dev);
	assert_int_equal(route6_del(st, &dst, q->r.plen, gw, dev), want);
}

static void test_differential(void **state)
{
	struct stack *st = new_stack();
	struct naive nv = { .cap = 40000 };
	struct in6_addr bases[8], a;
	struct route6 rt;
	struct rng r;

	(void)state;
	nv.v = calloc(nv.cap, sizeof(*nv.v));
	assert_non_null(nv.v);
	rng_seed(&r, 7);
	rng_bytes(&r, bases, sizeof(bases));
	for (unsigned i = 0; i < 10000; i++) {
		random_route(&r, bases, &rt, st->now);
		assert_int_equal(route6_add(st, &rt), naive_add(&nv, &rt));
	}
	assert_int_equal(st->rt6.count, naive_count(&nv));
	for (unsigned step = 0; step < 120000; step++) {
		unsigned op = rng_below(&r, 100);

		if (op < 88) {
			near_addr(&r, bases, &a);
			check_lookup(st, &nv, &a);
		} else if (op < 93) {
			random_route(&r, bases, &rt, st->now);
			assert_int_equal(route6_add(st, &rt), naive_add(&nv, &rt));
		} else if (op < 98) {
			random_delete(st, &nv, &r);
		} else {
			st->now += (uint64_t)rng_below(&r, 3000) * NS_PER_MS;
		}
		if (step % 20000 == 0) {
			route6_flush_dev(st, DEV(2));
			for (unsigned i = 0; i < nv.n; i++)
				if (nv.v[i].r.dev == DEV(2))
					nv.v[i].used = false;
		}
		if (step % 1000 == 0)
			assert_int_equal(st->rt6.count, naive_count(&nv));
	}
	assert_true(STAT_GET(st, route6_lookup_expired) > 0);
	free(nv.v);
	free_stack(st);
}

static unsigned depth_of(struct stack *st, const char *a)
{
	struct in6_addr x = A(a);

	return lpm6_depth(st->rt6.table, &x);
}

static void expect_plen(struct stack *st, const char *a, int plen)
{
	struct in6_addr x = A(a);
	const struct route6 *r = route6_lookup(st, &x);

	if (plen < 0) {
		assert_null(r);
		return;
	}
	assert_non_null(r);
	assert_int_equal(r->plen, plen);
}

static void del(struct stack *st, const char *dst, unsigned plen)
{
	struct in6_addr d = A(dst);

	assert_int_equal(route6_del(st, &d, plen, NULL, NULL), 0);
}

/*
 * Path compression: a bucket split below the root skips the levels all its
 * prefixes share; a later prefix that leaves the skipped bits, or ends in
 * them, splits the link; deleting it merges the link again.
 */
static void test_compressed_paths(void **state)
{
	struct stack *st = new_stack();
	char buf[64];
	struct route6 r;

	(void)state;
	for (unsigned i = 1; i <= 9; i++) {   /* 9 > LPM6_BUCKET_MAX: the bucket splits */
		snprintf(buf, sizeof(buf), "2001:db8:0:%x::", i);
		r = R(buf, 64, NULL, 1, 1);
		assert_int_equal(route6_add(st, &r), 0);
	}
	/* Root, then straight to the node of bits 56..63. */
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 2);
	expect_plen(st, "2001:db8:0:9::1", 64);
	expect_plen(st, "2001:db8:0:a::1", -1);
	expect_plen(st, "2001:db8:1:1::1", -1);     /* differs in a skipped level */
	expect_plen(st, "2001:db9:0:1::1", -1);

	r = R("2001:db8:1::", 48, NULL, 1, 1);     /* leaves the key in bits 40..47 */
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 3);
	expect_plen(st, "2001:db8:1:1::1", 48);
	expect_plen(st, "2001:db8:0:1::1", 64);
	expect_plen(st, "2001:db8:2::1", -1);

	r = R("2001:db8::", 32, NULL, 1, 1);       /* ends in a skipped level */
	assert_int_equal(route6_add(st, &r), 0);
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 4);
	expect_plen(st, "2001:db8:2::1", 32);
	expect_plen(st, "2001:db8:0:a::1", 32);
	expect_plen(st, "2001:db8:1:1::1", 48);
	expect_plen(st, "2001:db8:0:3::1", 64);
	expect_plen(st, "2001:db9::1", -1);

	r = R("2001:db9::", 32, NULL, 1, 1);       /* a sibling in the node of bits 24..31 */
	assert_int_equal(route6_add(st, &r), 0);
	expect_plen(st, "2001:db9::1", 32);
	del(st, "2001:db8::", 32);
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 4);  /* the sibling holds the node */
	expect_plen(st, "2001:db8:2::1", -1);
	del(st, "2001:db9::", 32);                 /* the node of bits 24..31 merges away */
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 3);
	expect_plen(st, "2001:db9::1", -1);
	expect_plen(st, "2001:db8:1:1::1", 48);
	del(st, "2001:db8:1::", 48);               /* and the node of bits 40..47 */
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 2);
	expect_plen(st, "2001:db8:1:1::1", -1);
	for (unsigned i = 1; i <= 9; i++) {
		snprintf(buf, sizeof(buf), "2001:db8:0:%x::1", i);
		expect_plen(st, buf, 64);
	}
	for (unsigned i = 1; i <= 9; i++) {
		snprintf(buf, sizeof(buf), "2001:db8:0:%x::", i);
		del(st, buf, 64);
	}
	assert_int_equal(depth_of(st, "2001:db8:0:1::1"), 1);
	expect_plen(st, "2001:db8:0:1::1", -1);
	free_stack(st);
}

/* Deletes every route in random order, checking lookups near @bases on the way down. */
static void delete_all_checked(struct stack *st, struct naive *nv, const struct in6_addr *bases,
			       unsigned nbases)
{
	struct rng r;

	rng_seed(&r, nv->n);
	for (unsigned left = naive_count(nv); left > 0; left = naive_count(nv)) {
		const struct nroute *q = &nv->v[rng_below(&r, nv->n)];
		struct in6_addr a = bases[rng_below(&r, nbases)];

		if (!q->used)
			continue;
		assert_int_equal(route6_del(st, &q->r.dst, q->r.plen, NULL, NULL),
				 naive_del(nv, &q->r.dst, q->r.plen, NULL, NULL));
		a.s6_addr[15 - rng_below(&r, 12)] ^= (uint8_t)(1u << rng_below(&r, 8));
		check_lookup(st, nv, &a);
		check_lookup(st, nv, &q->r.dst);
	}
	assert_int_equal(st->rt6.count, 0);
	for (unsigned i = 0; i < nbases; i++) /* every link merged or freed */
		assert_int_equal(lpm6_depth(st->rt6.table, &bases[i]), 1);
	nv->n = 0;
}

/* Long prefixes under two deep bases: compressed links split and merge all the time. */
static void test_differential_deep(void **state)
{
	struct stack *st = new_stack();
	struct naive nv = { .cap = 20000 };
	struct in6_addr bases[2], a;
	struct route6 rt;
	struct rng r;

	(void)state;
	nv.v = calloc(nv.cap, sizeof(*nv.v));
	assert_non_null(nv.v);
	rng_seed(&r, 11);
	rng_bytes(&r, bases, sizeof(bases));
	for (unsigned step = 0; step < 60000; step++) {
		unsigned op = rng_below(&r, 100), from = 24 + rng_below(&r, 105);

		a = bases[rng_below(&r, 2)];
		for (unsigned bit = from; bit < 128; bit++)   /* sparse flips: long shared runs */
			if (rng_below(&r, 16) == 0)
				a.s6_addr[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		if (op < 60) {
			check_lookup(st, &nv, &a);
		} else if (op < 80 || nv.n == 0) {
			rt = (struct route6){ .dst = a, .dev = DEV(rng_below(&r, 2)), .metric = 1 };
			rt.plen = (uint8_t)(from > 24 && rng_below(&r, 2) ? from - rng_below(&r, 9)
								 : 24 + rng_below(&r, 105));
			if (nv.n < nv.cap)
				assert_int_equal(route6_add(st, &rt), naive_add(&nv, &rt));
		} else {
			random_delete(st, &nv, &r);
		}
		if (step % 1000 == 0)
			assert_int_equal(st->rt6.count, naive_count(&nv));
		if (step % 3000 == 2999)
			delete_all_checked(st, &nv, bases, 2);
	}
	delete_all_checked(st, &nv, bases, 2);
	free(nv.v);
	free_stack(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_cases),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_foreach_and_flush),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_compressed_paths),
		cmocka_unit_test(test_differential_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
