/*
 * Conntrack table: established-flow lookups at 1k, 100k and 1M entries,
 * new-connection setup, a whole nf_ct_in of an established flow's packet,
 * and bytes per entry. The baseline, measured in the same run, is the
 * floor every lookup pays: fetching the key (same random order) and
 * SipHash-1-3 of it (for setup: a malloc of an entry's size and two hashes).
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/stack.h"
#include "netfilter/nf_priv.h"

#define NLOOKUP 2000000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void mk_tuple(struct rng *r, struct nf_tuple *t)
{
	memset(t, 0, sizeof(*t));
	rng_bytes(r, &t->src, 16);
	rng_bytes(r, &t->dst, 16);
	t->sport = (uint16_t)rng_next(r);
	t->dport = 443;
	t->l3 = AF_INET6;
	t->l4 = IPPROTO_UDP;
}

/* The hash of the same keys in the same (random) order: fetching the key and hashing it. */
static double hash_floor(struct stack *st, const struct nf_tuple *t, const unsigned *order)
{
	volatile uint64_t sink = 0;
	double t0 = now_ns();

	for (unsigned i = 0; i < NLOOKUP; i++)
		sink += siphash13(&st->hkey, &t[order[i % (NLOOKUP / 4)]], sizeof(*t));
	(void)sink;
	return (now_ns() - t0) / NLOOKUP;
}

static void run(unsigned n, const char *label)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 5 });
	struct nf_tuple *t = malloc(n * sizeof(*t)), inv;
	unsigned *order = malloc(NLOOKUP / 4 * sizeof(*order));
	struct rng r;
	double t0, setup, look, base, mbase;
	volatile uint32_t sink = 0;
	int dir;

	rng_seed(&r, n);
	nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", (long)n);
	for (unsigned i = 0; i < n; i++)
		mk_tuple(&r, &t[i]);
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++)
		nf_ct_set_timeout(st, nf_ct_create(st, &t[i], NULL), 600);
	setup = (now_ns() - t0) / n;
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		void *volatile m = malloc(sizeof(struct nf_conn));
		free(m);
	}
	/* Random flows, half of them looked up from the reply side. */
	for (unsigned i = 0; i < NLOOKUP / 4; i++)
		order[i] = (unsigned)rng_below(&r, n);
	mbase = (now_ns() - t0) / n + hash_floor(st, t, order) * 2;
	for (unsigned i = 0; i < n; i += 2) {
		struct nf_conn c = { .tuple = t[i] };

		nf_ct_tuple(&c, NF_DIR_REPLY, &inv);
		t[i] = inv;
	}
	t0 = now_ns();
	for (unsigned i = 0; i < NLOOKUP; i++)
		sink += nf_ct_lookup(st, &t[order[i % (NLOOKUP / 4)]], &dir);
	look = (now_ns() - t0) / NLOOKUP;
	base = hash_floor(st, t, order);
	printf("bench ct-lookup-%s %.1f Mlookups/s baseline siphash13-tuple %.1f Mhash/s ratio %.2f\n",
	       label, 1e3 / look, 1e3 / base, base / look);
	if (n >= 1000000) {
		printf("bench ct-new-%s %.2f Mconn/s baseline malloc+2xsiphash13 %.2f Mops/s ratio %.2f\n",
		       label, 1e3 / setup, 1e3 / mbase, mbase / setup);
		printf("bench ct-bytes-per-entry %.0f bytes baseline nf_conn %zu bytes ratio %.2f\n",
		       (double)sizeof(struct nf_conn) + 4.0 * (st->nf->bmask + 1) / n,
		       sizeof(struct nf_conn),
		       ((double)sizeof(struct nf_conn) + 4.0 * (st->nf->bmask + 1) / n) /
			       sizeof(struct nf_conn));
	}
	(void)sink;
	free(order);
	free(t);
	usagi_stack_free(st);
}

int main(void)
{
	run(1000, "1k");
	run(100000, "100k");
	run(1000000, "1M");
	return 0;
}
