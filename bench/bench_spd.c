/*
 * SPD lookup against a naive linear scan of the same policies, measured in
 * the same run. Policies: half IPv6 (destination /48../128), half IPv4
 * (/16../32), random sources and prefix lengths, a mix of protocols and
 * ports, random priorities, all three directions, plus a few wildcards.
 * Flows: half aimed at a policy (its addresses, random host bits), half
 * random.
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/policy.h"

#define NLOOKUP 1000000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The baseline: every policy checked, lowest priority then oldest. */
static const struct xfrm_policy *naive_lookup(struct xfrm_policy *const *v, unsigned n, int dir,
					      const struct xfrm_flow *fl)
{
	const struct xfrm_policy *best = NULL;

	for (unsigned i = 0; i < n; i++) {
		const struct xfrm_policy *p = v[i];

		if (p->dir == dir && (!best || p->priority < best->priority) && xfrm_selector_match(&p->sel, fl))
			best = p;
	}
	return best;
}

static void rand_sel(struct rng *r, struct xfrm_selector *s, bool wild)
{
	static const uint8_t protos[] = { XFRM_PROTO_ANY, XFRM_PROTO_ANY, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 };

	memset(s, 0, sizeof(*s));
	s->family = rng_below(r, 2) ? AF_INET6 : AF_INET;
	if (s->family == AF_INET6) {
		rng_bytes(r, &s->src, 16);
		rng_bytes(r, &s->dst, 16);
		s->dplen = wild ? 0 : (uint8_t)(48 + rng_below(r, 81));
		s->splen = (uint8_t)rng_below(r, 129);
	} else {
		ip4_to_mapped(&s->src, (uint32_t)rng_next(r));
		ip4_to_mapped(&s->dst, (uint32_t)rng_next(r));
		s->dplen = wild ? 0 : (uint8_t)(16 + rng_below(r, 17));
		s->splen = (uint8_t)rng_below(r, 33);
	}
	s->proto = protos[rng_below(r, sizeof(protos))];
	if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP)
		s->dport = rng_below(r, 2) ? 0 : (uint16_t)(1 + rng_below(r, 1024));
}

static unsigned fill(struct stack *st, struct rng *r, struct xfrm_policy **v, unsigned n)
{
	unsigned got = 0, nwild = n >= 1000 ? 10 : 1;

	for (unsigned i = 0; i < n; i++) {
		struct xfrm_policy req = { .dir = (uint8_t)rng_below(r, XFRM_DIR_MAX), .action = XFRM_ACT_BLOCK };

		rand_sel(r, &req.sel, i < nwild);
		/* Wildcards are the catch-alls, tried last (as strongSwan and racoon rank them). */
		req.priority = i < nwild ? 100000 + i : rng_below(r, 10000);
		if (xfrm_policy_add(st, &req, 0, &v[got]) == 0)
			got++;
	}
	/* Pointers stay valid: nothing changes from here on. */
	return got;
}

static void make_flows(struct rng *r, struct xfrm_policy *const *v, unsigned n, struct xfrm_flow *f, int *dir,
		       unsigned nf)
{
	for (unsigned i = 0; i < nf; i++) {
		const struct xfrm_policy *p = v[rng_below(r, n)];

		memset(&f[i], 0, sizeof(f[i]));
		f[i].family = p->sel.family;
		f[i].proto = p->sel.proto != XFRM_PROTO_ANY && i % 2 == 0 ? p->sel.proto
			   : rng_below(r, 2) ? IPPROTO_TCP : IPPROTO_UDP;
		f[i].sport = (uint16_t)rng_next(r);
		f[i].dport = p->sel.dport && i % 2 == 0 ? p->sel.dport : (uint16_t)rng_next(r);
		rng_bytes(r, &f[i].src, 16);
		rng_bytes(r, &f[i].dst, 16);
		if (i % 2 == 0) {    /* inside the policy's prefixes */
			memcpy(&f[i].dst, &p->sel.dst, 16);
			memcpy(&f[i].src, &p->sel.src, 16);
		}
		if (p->sel.family == AF_INET) {
			ip4_to_mapped(&f[i].dst, ip4_from_mapped(&f[i].dst));
			ip4_to_mapped(&f[i].src, ip4_from_mapped(&f[i].src));
		}
		dir[i] = i % 2 == 0 ? p->dir : (int)rng_below(r, XFRM_DIR_MAX);
	}
}

static void run(unsigned npol, unsigned naive_lookups, const char *name, const char *bname)
{
	struct usagi_stack_config cfg = { .name = "bench", .seed = npol };
	struct stack *st = usagi_stack_new(&cfg);
	struct xfrm_policy **v = calloc(npol, sizeof(*v));
	struct xfrm_flow *flows = malloc(NLOOKUP * sizeof(*flows));
	int *dirs = malloc(NLOOKUP * sizeof(*dirs));
	struct rng r;
	uintptr_t sink = 0;
	unsigned n, hits = 0;
	double t0, fast, slow;

	if (!st || !v || !flows || !dirs)
		exit(1);
	rng_seed(&r, npol);
	n = fill(st, &r, v, npol);
	make_flows(&r, v, n, flows, dirs, NLOOKUP);
	for (unsigned i = 0; i < NLOOKUP; i++) /* warm up: also settles the parent caches */
		hits += xfrm_policy_lookup(st, dirs[i], &flows[i]) != NULL;
	t0 = now_ns();
	for (unsigned rep = 0; rep < 3; rep++)
		for (unsigned i = 0; i < NLOOKUP; i++)
			sink += (uintptr_t)xfrm_policy_lookup(st, dirs[i], &flows[i]);
	fast = (now_ns() - t0) / (3.0 * NLOOKUP);
	t0 = now_ns();
	for (unsigned i = 0; i < naive_lookups; i++) {
		const struct xfrm_policy *want = naive_lookup(v, n, dirs[i], &flows[i]);

		sink += (uintptr_t)want;
		if (want != xfrm_policy_lookup(st, dirs[i], &flows[i]))
			fprintf(stderr, "%s: lookup %u differs from the naive scan\n", name, i);
	}
	slow = (now_ns() - t0) / naive_lookups;
	printf("bench %s %.1f ns baseline %s %.1f ns ratio %.4f\n", name, fast, bname, slow, fast / slow);
	fprintf(stderr, "# %s: %u policies, %.0f%% of flows matched a policy\n", name, n, 100.0 * hits / NLOOKUP);
	if (sink == 42)
		puts("");
	usagi_stack_free(st);
	free(v);
	free(flows);
	free(dirs);
}

int main(void)
{
	run(10, NLOOKUP, "spd-lookup-10", "naive-linear-10");
	run(100000, 2000, "spd-lookup-100k", "naive-linear-100k");
	return 0;
}
