/*
 * SAD input lookup by (daddr, spi, proto) at 1M SAs, and the replay
 * window's check+advance per packet, each against a baseline run alongside:
 *   sad-lookup-1m         vs naive-linear-1m: every SA compared (the
 *                         structure a hash replaces);
 *   sad-lookup-1m         vs array-index-1m: a plain array indexed by the
 *                         answer, touching the SA — the memory floor no
 *                         table can beat (ratio = what hashing costs);
 *   replay-4096           vs naive-shift-4096: a bitmap shifted on every
 *                         advance (the classic RFC 2401 way).
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/stack.h"
#include "xfrm/xfrm.h"

#define NSA 1000000
#define NLOOKUP 2000000
#define NDADDR 16          /* inbound SAs share the host's few addresses */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct key {
	struct in6_addr d;
	uint32_t spi;
};

static struct in6_addr dst(unsigned i)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [14] = (uint8_t)(i >> 8), [15] = (uint8_t)(1 + i) } };
	return a;
}

static void fill(struct stack *st, struct rng *r, struct key *keys, struct xfrm_state **arr)
{
	for (unsigned i = 0; i < NSA;) {
		struct xfrm_sa_cfg c = { .id = { dst(i % NDADDR), 256 + rng_below(r, UINT32_MAX - 256), IPPROTO_ESP },
					 .saddr = dst(100 + rng_below(r, 4096)), .family = AF_INET6, .replay_window = 64,
					 .flags = XFRM_SA_F_NOCRYPTO };

		if (xfrm_state_add(st, &c, &arr[i]) == 0) {
			keys[i] = (struct key){ c.id.daddr, c.id.spi };
			i++;
		}
	}
}

static struct xfrm_state *naive(struct xfrm_state **arr, const struct key *k)
{
	for (unsigned i = 0; i < NSA; i++)
		if (arr[i]->c.id.spi == k->spi && arr[i]->c.id.proto == IPPROTO_ESP &&
		    in6_equal(&arr[i]->c.id.daddr, &k->d))
			return arr[i];
	return NULL;
}

static void bench_lookup(struct stack *st)
{
	struct key *keys = malloc(NSA * sizeof(*keys));
	struct xfrm_state **arr = malloc(NSA * sizeof(*arr));
	unsigned *order = malloc(NLOOKUP * sizeof(*order));
	struct key *query = malloc(NLOOKUP * sizeof(*query));
	struct rng r;
	uintptr_t sink = 0;
	double t0, fast, slow, ideal;
	const unsigned nnaive = 50;

	if (!keys || !arr || !order || !query)
		exit(1);
	rng_seed(&r, 99);
	fill(st, &r, keys, arr);
	for (unsigned i = 0; i < NLOOKUP; i++) {
		order[i] = rng_below(&r, NSA);
		query[i] = keys[order[i]];   /* what arriving packets' headers say, in order */
	}
	t0 = now_ns();
	for (unsigned i = 0; i < NLOOKUP; i++)
		sink += (uintptr_t)xfrm_state_lookup(st, &query[i].d, query[i].spi, IPPROTO_ESP);
	fast = (now_ns() - t0) / NLOOKUP;
	t0 = now_ns();
	for (unsigned i = 0; i < NLOOKUP; i++) {
		struct xfrm_state *x = arr[order[i]];
		sink += x->c.id.spi == query[i].spi ? (uintptr_t)x : 0;
	}
	ideal = (now_ns() - t0) / NLOOKUP;
	t0 = now_ns();
	for (unsigned i = 0; i < nnaive; i++)
		sink += (uintptr_t)naive(arr, &query[i]);
	slow = (now_ns() - t0) / nnaive;
	printf("bench sad-lookup-1m %.1f ns baseline naive-linear-1m %.1f ns ratio %.6f\n", fast, slow, fast / slow);
	printf("bench sad-lookup-1m %.1f ns baseline array-index-1m %.1f ns ratio %.2f\n", fast, ideal, fast / ideal);
	if (sink == 42)
		puts("");
	free(keys);
	free(arr);
	free(order);
	free(query);
}

/* The classic shifting window: bit i = top - i seen. */
struct shiftwin {
	uint64_t top;
	uint64_t bits[XFRM_REPLAY_MAX / 64];
};

static void shift_left(struct shiftwin *w, uint64_t n)
{
	unsigned nw = XFRM_REPLAY_MAX / 64, ws = (unsigned)(n / 64), bs = (unsigned)(n % 64);

	if (n >= XFRM_REPLAY_MAX) {
		memset(w->bits, 0, sizeof(w->bits));
		return;
	}
	for (unsigned i = nw; i-- > 0;) {
		uint64_t v = i >= ws ? w->bits[i - ws] << bs : 0;
		if (bs && i >= ws + 1)
			v |= w->bits[i - ws - 1] >> (64 - bs);
		w->bits[i] = v;
	}
}

static int shift_recv(struct shiftwin *w, uint64_t s)
{
	uint64_t off;

	if (s > w->top) {
		shift_left(w, s - w->top);
		w->top = s;
		w->bits[0] |= 1;
		return 0;
	}
	off = w->top - s;
	if (off >= XFRM_REPLAY_MAX || (w->bits[off / 64] >> (off % 64) & 1))
		return -1;
	w->bits[off / 64] |= 1ULL << (off % 64);
	return 0;
}

/* Mostly in order, some reordering: what a busy link delivers. */
static void make_seqs(uint64_t *seq, unsigned n, struct rng *r)
{
	for (unsigned i = 0; i < n; i++)
		seq[i] = i + 100 - (rng_below(r, 8) == 0 ? rng_below(r, 64) : 0);
}

static void bench_replay(void)
{
	enum { N = 4000000 };
	uint64_t *seq = malloc(N * sizeof(*seq));
	struct xfrm_replay *w = xfrm_replay_new(XFRM_REPLAY_MAX, true);
	struct shiftwin *sw = calloc(1, sizeof(*sw));
	struct rng r;
	unsigned ok = 0;
	double t0, fast, slow;

	if (!seq || !w || !sw)
		exit(1);
	rng_seed(&r, 5);
	make_seqs(seq, N, &r);
	t0 = now_ns();
	for (unsigned i = 0; i < N; i++) {
		uint64_t s;
		if (xfrm_replay_check(w, (uint32_t)seq[i], &s) == 0 && xfrm_replay_advance(w, s) == 0)
			ok++;
	}
	fast = (now_ns() - t0) / N;
	t0 = now_ns();
	for (unsigned i = 0; i < N; i++)
		ok += shift_recv(sw, seq[i]) == 0;
	slow = (now_ns() - t0) / N;
	printf("bench replay-4096 %.1f ns baseline naive-shift-4096 %.1f ns ratio %.3f\n", fast, slow, fast / slow);
	if (ok == 42)
		puts("");
	free(seq);
	xfrm_replay_free(w);
	free(sw);
}

int main(void)
{
	struct usagi_stack_config cfg = { .name = "bench", .seed = 1 };
	struct stack *st = usagi_stack_new(&cfg);

	if (!st)
		return 1;
	bench_lookup(st);
	bench_replay();
	usagi_stack_free(st);
	return 0;
}
