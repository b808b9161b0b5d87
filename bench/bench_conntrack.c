/*
 * Conntrack table: established-flow lookups at 1k, 100k and 1M entries,
 * one at a time (ct-lookup-*, nf_ct_lookup) and 32 per call
 * (ct-lookup-bulk32-*, nf_ct_lookup_bulk); new-connection setup; a whole
 * nf_ct_in of an established flow's packet, one by one (ct-in-1M) and
 * after nf_ct_prefetch of its receive burst of 32 (ct-in-burst32-1M); and
 * bytes per entry, every chunk and bucket allocated counted. The lookup
 * baseline, measured in the same run, is the floor every lookup pays:
 * fetching the key (same random order) and SipHash-1-3 of it (for setup: a
 * malloc of an entry's size and two hashes; for ct-in, the single lookup;
 * for ct-in-burst32, ct-in). Bulk answers are checked against single ones,
 * and every ct-in packet must find its flow (else a line on stderr).
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/csum.h"
#include "core/stack.h"
#include "netfilter/nf_priv.h"

#define NLOOKUP 2000000
#define NORDER (NLOOKUP / 4)
#define NPKT (1u << 19)
#define BURST 32                  /* packets or lookups per call */
#define PKT_LEN 48                /* IPv6 + UDP header */

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
		sink += siphash13(&st->hkey, &t[order[i % NORDER]], sizeof(*t));
	(void)sink;
	return (now_ns() - t0) / NLOOKUP;
}

/* ns per single lookup; *sum: a checksum of the answers. */
static double time_single(struct stack *st, const struct nf_tuple *t, const unsigned *order,
			  uint64_t *sum)
{
	uint64_t s = 0;
	double t0 = now_ns();
	int dir = 0;

	for (unsigned i = 0; i < NLOOKUP; i++) {
		uint32_t slot = nf_ct_lookup(st, &t[order[i % NORDER]], &dir);

		s += slot * 2 + (uint32_t)dir;
	}
	*sum = s;
	return (now_ns() - t0) / NLOOKUP;
}

/* ns per lookup in bursts of BURST; *sum as time_single's. */
static double time_bulk(struct stack *st, const struct nf_tuple *t, const unsigned *order,
			uint64_t *sum)
{
	const struct nf_tuple *tp[BURST];
	uint32_t slot[BURST];
	int dir[BURST];
	uint64_t s = 0;
	double t0 = now_ns();

	for (unsigned i = 0; i < NLOOKUP; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			tp[j] = &t[order[(i + j) % NORDER]];
		nf_ct_lookup_bulk(st, tp, BURST, slot, dir);
		for (unsigned j = 0; j < BURST; j++)
			s += slot[j] * 2 + (uint32_t)(slot[j] ? dir[j] : 0);
	}
	*sum = s;
	return (now_ns() - t0) / NLOOKUP;
}

/* The IPv6/UDP headers of a packet with tuple @t, its checksum valid. */
static void mk_hdr(uint8_t *b, const struct nf_tuple *t)
{
	memset(b, 0, PKT_LEN);
	b[0] = 0x60;
	put_be16(b + 4, 8);
	b[6] = IPPROTO_UDP;
	b[7] = 64;
	memcpy(b + 8, &t->src, 16);
	memcpy(b + 24, &t->dst, 16);
	put_be16(b + 40, t->sport);
	put_be16(b + 42, t->dport);
	put_be16(b + 44, 8);
	/* A valid checksum: nf_ct_in verifies it at PREROUTING (nf_conntrack_checksum=1, timed too). */
	put_be16(b + 46, csum_ipv6(&t->src, &t->dst, IPPROTO_UDP, b + 40, 8));
}

/*
 * ns per nf_ct_in over a stream of packets of random established flows,
 * received BURST at a time (headers copied into the packets as a
 * receive ring would), with or without nf_ct_prefetch on each burst.
 */
static double time_in(struct stack *st, const uint8_t *stream, struct pkt **pk, bool prefetch)
{
	unsigned found = 0;
	double t0 = now_ns();

	for (unsigned i = 0; i < NPKT; i += BURST) {
		struct nf_ct_info ci;

		for (unsigned j = 0; j < BURST; j++)
			memcpy(pk[j]->data, stream + (size_t)(i + j) * PKT_LEN, PKT_LEN);
		if (prefetch)
			nf_ct_prefetch(st, pk, BURST, 0);
		for (unsigned j = 0; j < BURST; j++) {
			nf_ct_in(st, pk[j], NF_PREROUTING, &ci);
			found += ci.ct != NULL;
		}
	}
	if (found != NPKT)
		fprintf(stderr, "bench_conntrack: %u of %u packets found their flow\n", found, NPKT);
	return (now_ns() - t0) / NPKT;
}

/* nf_ct_in per packet; the baseline is the lookup alone (@look ns, single lookups). */
static void run_in(struct stack *st, const struct nf_tuple *t, struct rng *r, const char *label,
		   double look)
{
	uint8_t *stream = malloc((size_t)NPKT * PKT_LEN), z[PKT_LEN] = { 0 };
	struct pkt *pk[BURST];
	double one, burst;

	for (unsigned i = 0; i < NPKT; i++)
		mk_hdr(stream + (size_t)i * PKT_LEN, &t[rng_below(r, 1000000)]);
	for (unsigned j = 0; j < BURST; j++)
		pk[j] = pkt_from_bytes(st->pool, z, PKT_LEN);
	one = time_in(st, stream, pk, false);
	burst = time_in(st, stream, pk, true);
	printf("bench ct-in-%s %.2f Mpps baseline ct-lookup-%s %.2f Mlookups/s ratio %.2f\n",
	       label, 1e3 / one, label, 1e3 / look, look / one);
	printf("bench ct-in-burst32-%s %.2f Mpps baseline ct-in-%s %.2f Mpps ratio %.2f\n",
	       label, 1e3 / burst, label, 1e3 / one, one / burst);
	for (unsigned j = 0; j < BURST; j++)
		pkt_free(pk[j]);
	free(stream);
}

static void print_setup(struct stack *st, unsigned n, const char *label, double setup,
			double mbase)
{
	const struct nf_state *nf = st->nf;
	double bytes = (double)nf_ct_mem_bytes(nf) / n;

	printf("bench ct-new-%s %.2f Mconn/s baseline malloc+2xsiphash13 %.2f Mops/s ratio %.2f\n",
	       label, 1e3 / setup, 1e3 / mbase, mbase / setup);
	printf("bench ct-bytes-per-entry %.1f bytes baseline nf_conn %zu bytes ratio %.2f\n", bytes,
	       sizeof(struct nf_conn), bytes / sizeof(struct nf_conn));
}

static void run(unsigned n, const char *label)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 5 });
	struct nf_tuple *t = malloc(n * sizeof(*t)), inv;
	unsigned *order = malloc(NORDER * sizeof(*order));
	struct rng r;
	double t0, setup, look, bulk, base, mbase;
	uint64_t sum1, sum2;

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
	for (unsigned i = 0; i < NORDER; i++)
		order[i] = (unsigned)rng_below(&r, n);
	mbase = (now_ns() - t0) / n + hash_floor(st, t, order) * 2;
	for (unsigned i = 0; i < n; i += 2) {
		struct nf_conn c = { .tuple = t[i] };

		nf_ct_tuple(&c, NF_DIR_REPLY, &inv);
		t[i] = inv;
	}
	look = time_single(st, t, order, &sum1);
	bulk = time_bulk(st, t, order, &sum2);
	base = hash_floor(st, t, order);
	if (sum1 != sum2)
		fprintf(stderr, "bench_conntrack: bulk and single lookups disagree\n");
	printf("bench ct-lookup-%s %.1f Mlookups/s baseline siphash13-tuple %.1f Mhash/s ratio %.2f\n",
	       label, 1e3 / look, 1e3 / base, base / look);
	printf("bench ct-lookup-bulk32-%s %.1f Mlookups/s baseline siphash13-tuple %.1f Mhash/s ratio %.2f\n",
	       label, 1e3 / bulk, 1e3 / base, base / bulk);
	if (n >= 1000000) {
		print_setup(st, n, label, setup, mbase);
		run_in(st, t, &r, label, look);
	}
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
