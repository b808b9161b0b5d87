/*
 * SPD lookup against a naive linear scan of the same policies, measured in
 * the same run.
 *
 * spd-lookup-10, spd-lookup-100k: a stress for the index. Policies: half
 * IPv6 (destination /48../128), half IPv4 (/16../32), random sources and
 * prefix lengths, a mix of protocols and ports, random priorities, all
 * three directions, plus a few wildcards. Flows: half aimed at a policy
 * (its selector's own addresses), half random; families, directions and
 * aimed or not all interleaved, so no lookup predicts the next.
 *
 * spd-lookup-100k-hosts: the shape of a large SPD in use, a gateway with a
 * policy per peer and direction: out from the local /64 (or /24) to the
 * peer's /128 (/32), in from the peer to the local prefix, two peers in
 * three IPv6, and a catch-all per family and direction ranked last. Flows:
 * each within a random policy's selector, one in ten with its destination's
 * last byte changed (to another peer, or to none).
 *
 * The figure is the best of PASSES passes over the flows (the project's
 * convention for a shared machine: a co-tenant's slow spell moves a
 * lookup that misses the cache by half); the median and worst pass go to
 * stderr beside it.
 *
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/policy.h"

#define NLOOKUP 1000000
#define PASSES 5

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

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

/* A peer's policies: @i picks the peer, the direction and the family (2 in 3 IPv6). */
static void host_sel(struct rng *r, unsigned i, struct xfrm_policy *req)
{
	unsigned peer = i / 2;
	bool out = i % 2, v6 = peer % 3 != 0;

	memset(req, 0, sizeof(*req));
	req->dir = out ? XFRM_DIR_OUT : XFRM_DIR_IN;
	req->action = XFRM_ACT_BLOCK;
	req->priority = 1000 + rng_below(r, 100);
	req->sel.family = v6 ? AF_INET6 : AF_INET;
	struct in6_addr peer_a, local;
	if (v6) {
		inet_pton(AF_INET6, "2001:db8::", &peer_a);
		inet_pton(AF_INET6, "2001:db8:ffff::", &local);
		put_be32(peer_a.s6_addr + 8, (uint32_t)rng_next(r));
		put_be32(peer_a.s6_addr + 12, peer);
	} else {
		ip4_to_mapped(&peer_a, htonl(0x0a000000u | (peer & 0xffffff)));
		ip4_to_mapped(&local, htonl(0xc0000200u));
	}
	unsigned host = v6 ? 128 : 32, net = v6 ? 64 : 24;
	/* Out: local net -> peer; in: peer -> local net. */
	req->sel.src = out ? local : peer_a;
	req->sel.dst = out ? peer_a : local;
	req->sel.splen = (uint8_t)(out ? net : host);
	req->sel.dplen = (uint8_t)(out ? host : net);
}

static unsigned fill_hosts(struct stack *st, struct rng *r, struct xfrm_policy **v, unsigned n)
{
	unsigned got = 0;

	for (unsigned i = 0; i + 8 < n; i++) {
		struct xfrm_policy req;

		host_sel(r, i, &req);
		if (xfrm_policy_add(st, &req, 0, &v[got]) == 0)
			got++;
	}
	/* Catch-alls, ranked after every peer's policy. */
	for (unsigned i = 0; i < 6; i++) {
		struct xfrm_policy req = { .dir = (uint8_t)(i % 3), .action = XFRM_ACT_ALLOW, .priority = 100000 };

		req.sel.family = i < 3 ? AF_INET6 : AF_INET;
		if (xfrm_policy_add(st, &req, 0, &v[got]) == 0)
			got++;
	}
	return got;
}

/* @a with random bits past @plen (in the 128-bit space). */
static void host_bits(struct rng *r, struct in6_addr *a, unsigned plen)
{
	for (unsigned bit = plen; bit < 128; bit++)
		if (rng_below(r, 2))
			a->s6_addr[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/* Flows within a random policy's selector; one in ten with the destination's last byte changed. */
static void make_host_flows(struct rng *r, struct xfrm_policy *const *v, unsigned n, struct xfrm_flow *f,
			    int *dir, unsigned nf)
{
	for (unsigned i = 0; i < nf; i++) {
		const struct xfrm_policy *p = v[rng_below(r, n)];
		unsigned base = p->sel.family == AF_INET ? 96 : 0;

		memset(&f[i], 0, sizeof(f[i]));
		f[i].family = p->sel.family;
		f[i].proto = rng_below(r, 2) ? IPPROTO_TCP : IPPROTO_UDP;
		f[i].sport = (uint16_t)rng_next(r);
		f[i].dport = (uint16_t)rng_next(r);
		f[i].src = p->sel.src;
		f[i].dst = p->sel.dst;
		/* Host bits past the prefixes random; some to another peer or to none. */
		host_bits(r, &f[i].src, base + p->sel.splen);
		host_bits(r, &f[i].dst, base + p->sel.dplen);
		if (rng_below(r, 10) == 0)
			f[i].dst.s6_addr[15] ^= (uint8_t)(1 + rng_below(r, 255));
		dir[i] = p->dir;
	}
}

static void run(unsigned npol, unsigned naive_lookups, const char *name, const char *bname, bool hosts)
{
	struct usagi_stack_config cfg = { .name = "bench", .seed = npol };
	struct stack *st = usagi_stack_new(&cfg);
	struct xfrm_policy **v = calloc(npol, sizeof(*v));
	struct xfrm_flow *flows = malloc(NLOOKUP * sizeof(*flows));
	int *dirs = malloc(NLOOKUP * sizeof(*dirs));
	struct rng r;
	uintptr_t sink = 0;
	unsigned n, hits = 0;
	double t0, fast, slow, pass[PASSES];

	if (!st || !v || !flows || !dirs)
		exit(1);
	rng_seed(&r, npol);
	if (hosts) {
		n = fill_hosts(st, &r, v, npol);
		make_host_flows(&r, v, n, flows, dirs, NLOOKUP);
	} else {
		n = fill(st, &r, v, npol);
		make_flows(&r, v, n, flows, dirs, NLOOKUP);
	}
	for (unsigned i = 0; i < NLOOKUP; i++) /* warm up: also settles the parent caches */
		hits += xfrm_policy_lookup(st, dirs[i], &flows[i]) != NULL;
	for (unsigned k = 0; k < PASSES; k++) {
		t0 = now_ns();
		for (unsigned i = 0; i < NLOOKUP; i++)
			sink += (uintptr_t)xfrm_policy_lookup(st, dirs[i], &flows[i]);
		pass[k] = (now_ns() - t0) / NLOOKUP;
	}
	qsort(pass, PASSES, sizeof(pass[0]), cmp_double);
	fast = pass[0];
	t0 = now_ns();
	for (unsigned i = 0; i < naive_lookups; i++) {
		const struct xfrm_policy *want = naive_lookup(v, n, dirs[i], &flows[i]);

		sink += (uintptr_t)want;
		if (want != xfrm_policy_lookup(st, dirs[i], &flows[i]))
			fprintf(stderr, "%s: lookup %u differs from the naive scan\n", name, i);
	}
	slow = (now_ns() - t0) / naive_lookups;
	printf("bench %s %.1f ns baseline %s %.1f ns ratio %.6f\n", name, fast, bname, slow, fast / slow);
	fprintf(stderr, "# %s: %u policies, %.0f%% of flows matched a policy; passes best %.1f median %.1f worst %.1f ns\n",
		name, n, 100.0 * hits / NLOOKUP, pass[0], pass[PASSES / 2], pass[PASSES - 1]);
	if (sink == 42)
		puts("");
	usagi_stack_free(st);
	free(v);
	free(flows);
	free(dirs);
}

int main(void)
{
	run(10, NLOOKUP, "spd-lookup-10", "naive-linear-10", false);
	run(100000, 2000, "spd-lookup-100k", "naive-linear-100k", false);
	run(100000, 2000, "spd-lookup-100k-hosts", "naive-linear-100k-hosts", true);
	return 0;
}
