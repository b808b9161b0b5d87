/*
 * route6_lookup against a naive linear scan, measured in the same run.
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/stack.h"

#define NLOOKUP 1000000

struct naive_rt {
	struct in6_addr dst;
	unsigned plen;
	uint32_t metric;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The baseline: every route checked, longest prefix then lowest metric. */
static const struct naive_rt *naive_lookup(const struct naive_rt *v, unsigned n, const struct in6_addr *a)
{
	const struct naive_rt *best = NULL;

	for (unsigned i = 0; i < n; i++)
		if (in6_prefix_match(&v[i].dst, a, v[i].plen) &&
		    (!best || v[i].plen > best->plen || (v[i].plen == best->plen && v[i].metric < best->metric)))
			best = &v[i];
	return best;
}

static void fill(struct stack *st, struct rng *r, struct naive_rt *nv, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct route6 rt = { .metric = 1024, .dev = (struct netdev *)(uintptr_t)0x1000 };

		rng_bytes(r, &rt.dst, 16);
		rt.plen = rng_below(r, 100) == 0 ? 128 : (uint8_t)(16 + rng_below(r, 49));
		in6_prefix_mask(&rt.dst, rt.plen);
		if (route6_add(st, &rt) == 0)
			nv[i] = (struct naive_rt){ rt.dst, rt.plen, rt.metric };
		else
			nv[i] = (struct naive_rt){ .plen = 129 }; /* a duplicate: never matches */
	}
}

/* Half the addresses fall inside a route (random host bits), half anywhere. */
static void make_addrs(struct rng *r, const struct naive_rt *nv, unsigned n, struct in6_addr *a, unsigned na)
{
	for (unsigned i = 0; i < na; i++) {
		rng_bytes(r, &a[i], 16);
		if (i % 2 == 0) {
			const struct naive_rt *q = &nv[rng_below(r, n)];
			unsigned full = q->plen > 128 ? 0 : q->plen / 8;
			memcpy(&a[i], &q->dst, full);
		}
	}
}

static void run(unsigned nroutes, unsigned naive_lookups, const char *name, const char *bname)
{
	struct stack *st = calloc(1, sizeof(*st));
	struct naive_rt *nv = calloc(nroutes, sizeof(*nv));
	struct in6_addr *addrs = malloc(NLOOKUP * sizeof(*addrs));
	struct rng r;
	uintptr_t sink = 0;
	double t0, fast, slow;

	if (!st || !nv || !addrs)
		exit(1);
	rng_seed(&r, nroutes);
	st->hkey = (struct siphash_key){ rng_next(&r), rng_next(&r) };
	if (route6_init(st) < 0)
		exit(1);
	fill(st, &r, nv, nroutes);
	make_addrs(&r, nv, nroutes, addrs, NLOOKUP);
	for (unsigned i = 0; i < NLOOKUP / 10; i++) /* warm up */
		sink += (uintptr_t)route6_lookup(st, &addrs[i]);
	t0 = now_ns();
	for (unsigned rep = 0; rep < 3; rep++)
		for (unsigned i = 0; i < NLOOKUP; i++)
			sink += (uintptr_t)route6_lookup(st, &addrs[i]);
	fast = (now_ns() - t0) / (3.0 * NLOOKUP);
	t0 = now_ns();
	for (unsigned i = 0; i < naive_lookups; i++)
		sink += (uintptr_t)naive_lookup(nv, nroutes, &addrs[i]);
	slow = (now_ns() - t0) / naive_lookups;
	printf("bench %s %.1f ns baseline %s %.1f ns ratio %.4f\n", name, fast, bname, slow, fast / slow);
	if (sink == 42)
		puts("");
	route6_fini(st);
	free(st);
	free(nv);
	free(addrs);
}

int main(void)
{
	run(10, NLOOKUP, "route6-lookup-10", "naive-linear-10");
	run(100000, 300, "route6-lookup-100k", "naive-linear-100k");
	return 0;
}
