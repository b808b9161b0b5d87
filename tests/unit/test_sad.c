/*
 * SAD: add/get/delete, input lookup, output lookup preference, lifetimes
 * (bytes, packets, add and use time; soft then hard), SPI allocation,
 * ACQUIRE, GETSPI+UPDATE, flush, foreach with deletion, a resumable dump
 * under churn, sequence number overflow, and crypto contexts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/xfrm.h"
#include "xfrm/state_priv.h"

#define MAXEV 64
struct evlog {
	unsigned n;
	enum xfrm_event_type type[MAXEV];
	unsigned reason[MAXEV];
	uint32_t spi[MAXEV];
};

static void record(struct stack *st, const struct xfrm_event *ev, void *ctx)
{
	struct evlog *l = ctx;

	if (l->n < MAXEV) {
		l->type[l->n] = ev->type;
		l->reason[l->n] = ev->reason;
		l->spi[l->n] = ev->x ? ev->x->c.id.spi : 0;
	}
	l->n++;
}

static struct stack *new_stack(struct evlog *l)
{
	struct usagi_stack_config cfg = { .name = "sad", .seed = 7, .now = 1000 * NS_PER_SEC };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	if (l) {
		memset(l, 0, sizeof(*l));
		assert_int_equal(xfrm_listen(st, record, l), 0);
	}
	return st;
}

static struct in6_addr addr6(unsigned n)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [14] = (uint8_t)(n >> 8), [15] = (uint8_t)n } };
	return a;
}

static struct xfrm_sa_cfg sa_cfg(unsigned dst, unsigned src, uint32_t spi)
{
	struct xfrm_sa_cfg c = { .id = { addr6(dst), spi, IPPROTO_ESP }, .saddr = addr6(src),
				 .family = AF_INET6, .mode = XFRM_MODE_TRANSPORT, .replay_window = 64,
				 .flags = XFRM_SA_F_NOCRYPTO };
	return c;
}

static struct xfrm_resolved tmpl_of(const struct xfrm_sa_cfg *c)
{
	struct xfrm_resolved t = { .proto = c->id.proto, .mode = c->mode, .family = c->family,
				   .saddr = c->saddr, .daddr = c->id.daddr, .reqid = c->reqid };
	return t;
}

static void advance(struct stack *st, uint64_t secs)
{
	usagi_stack_advance(st, st->now + secs * NS_PER_SEC);
}

static void test_add_get_delete(void **state)
{
	struct evlog l;
	struct stack *st = new_stack(&l);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x1234);
	struct xfrm_state *x;
	struct in6_addr d = addr6(1);

	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_int_equal(x->state, XFRM_STATE_MATURE);
	assert_ptr_equal(xfrm_state_lookup(st, &d, 0x1234, IPPROTO_ESP), x);
	assert_null(xfrm_state_lookup(st, &d, 0x1234, IPPROTO_AH));
	assert_null(xfrm_state_lookup(st, &d, 0x1235, IPPROTO_ESP));
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EEXIST);
	c.id.spi = 0;
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);
	c.id.spi = 9;
	c.family = AF_INET;                         /* IPv6 addresses with an IPv4 family */
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);
	c.family = AF_INET6;
	c.replay_window = XFRM_REPLAY_MAX + 1;
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);
	assert_int_equal(xfrm_state_count(st), 1);
	assert_int_equal(xfrm_state_delete_id(st, &d, 0x1234, IPPROTO_ESP), 0);
	assert_int_equal(xfrm_state_delete_id(st, &d, 0x1234, IPPROTO_ESP), -ESRCH);
	assert_null(xfrm_state_lookup(st, &d, 0x1234, IPPROTO_ESP));
	assert_int_equal(l.n, 2);
	assert_int_equal(l.type[0], XFRM_EV_ADD);
	assert_int_equal(l.type[1], XFRM_EV_DELETE);
	assert_int_equal(xfrm_state_count(st), 0);
	usagi_stack_free(st);
}

static void test_ipv4_mapped(void **state)
{
	struct stack *st = new_stack(NULL);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x500);
	struct in6_addr d;

	ip4_to_mapped(&c.id.daddr, htonl(0xc0000201));
	ip4_to_mapped(&c.saddr, htonl(0xc0000202));
	c.mode = XFRM_MODE_TUNNEL;
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);   /* family says IPv6 */
	c.family = AF_INET;
	assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
	ip4_to_mapped(&d, htonl(0xc0000201));
	assert_non_null(xfrm_state_lookup(st, &d, 0x500, IPPROTO_ESP));
	usagi_stack_free(st);
}

static void test_many(void **state)
{
	struct stack *st = new_stack(NULL);

	for (unsigned i = 0; i < 20000; i++) {
		struct xfrm_sa_cfg c = sa_cfg(i % 300, 1, 1000 + i);
		assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
	}
	for (unsigned i = 0; i < 20000; i++) {
		struct in6_addr d = addr6(i % 300);
		struct xfrm_state *x = xfrm_state_lookup(st, &d, 1000 + i, IPPROTO_ESP);

		assert_non_null(x);
		assert_int_equal(x->c.id.spi, 1000 + i);
		d = addr6(i % 300 + 1);
		assert_true(i % 300 == 299 || xfrm_state_lookup(st, &d, 1000 + i, IPPROTO_ESP) == NULL);
	}
	assert_int_equal(xfrm_state_flush(st, IPPROTO_AH), 0);
	assert_int_equal(xfrm_state_flush(st, IPPROTO_ESP), 20000);
	assert_int_equal(xfrm_state_count(st), 0);
	usagi_stack_free(st);
}

/* Random adds and deletes against a naive presence array: removal must move
 * overflowed entries back so every live SA stays reachable from its home. */
static void test_index_churn(void **state)
{
	enum { N = 4000 };
	struct stack *st = new_stack(NULL);
	struct xfrm_state *live[N] = { 0 };
	uint32_t r = 12345;

	for (unsigned round = 0; round < 40000; round++) {
		unsigned i;
		struct in6_addr d;

		r = r * 1103515245 + 12345;
		i = (r >> 8) % N;
		d = addr6(i % 7);
		if (live[i]) {
			xfrm_state_delete(st, live[i]);
			live[i] = NULL;
		} else {
			struct xfrm_sa_cfg c = sa_cfg(i % 7, 1, 1000 + i);

			assert_int_equal(xfrm_state_add(st, &c, &live[i]), 0);
		}
		if (round % 997 == 0)
			for (unsigned k = 0; k < N; k++) {
				d = addr6(k % 7);
				assert_ptr_equal(xfrm_state_get(st, &d, 1000 + k, IPPROTO_ESP), live[k]);
			}
	}
	xfrm_state_flush(st, IPPROTO_ESP);
	usagi_stack_free(st);
}

/* The index's destination table: one number per distinct daddr, counted, reused once unnamed. */
static void test_daddr_refs(void **state)
{
	enum { N = 300, ND = 40 };
	struct stack *st = new_stack(NULL);
	const struct sad_daddrs *da = &st->sad->byid.da;
	struct xfrm_state *x[N];

	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < N; i++) {
			struct xfrm_sa_cfg c = sa_cfg(1 + i % ND, 1, 0x1000 + i);

			assert_int_equal(xfrm_state_add(st, &c, &x[i]), 0);
		}
		assert_int_equal(da->used, ND);
		assert_true(da->n == ND);                     /* numbers reused, never new ones */
		for (unsigned i = 0; i < N; i++) {
			struct in6_addr d = addr6(1 + i % ND);
			uint32_t nr = 0;

			for (uint32_t k = 1; k <= da->n; k++)
				if (da->d[k].refs && in6_equal(&da->d[k].a, &d))
					nr = k;
			assert_int_not_equal(nr, 0);
			assert_int_equal(da->d[nr].refs, N / ND + (i % ND < N % ND) - i / ND);
			xfrm_state_delete(st, x[i]);
			assert_null(xfrm_state_get(st, &d, 0x1000 + i, IPPROTO_ESP));
			if (i + ND < N)                        /* a later SA on the same daddr */
				assert_ptr_equal(xfrm_state_get(st, &d, 0x1000 + i + ND, IPPROTO_ESP), x[i + ND]);
		}
		assert_int_equal(da->used, 0);
	}
	/* An unknown daddr and a known daddr with another proto find nothing. */
	{
		struct xfrm_sa_cfg c = sa_cfg(2, 1, 0x77);
		struct in6_addr other = addr6(999);

		assert_int_equal(xfrm_state_add(st, &c, &x[0]), 0);
		assert_null(xfrm_state_get(st, &other, 0x77, IPPROTO_ESP));
		assert_null(xfrm_state_get(st, &c.id.daddr, 0x77, IPPROTO_AH));
		assert_ptr_equal(xfrm_state_lookup(st, &c.id.daddr, 0x77, IPPROTO_ESP), x[0]);
		assert_int_equal(da->used, 1);
		xfrm_state_delete(st, x[0]);
		assert_int_equal(da->used, 0);
	}
	usagi_stack_free(st);
}

static void test_output_find(void **state)
{
	struct stack *st = new_stack(NULL);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x100);
	struct xfrm_resolved t = tmpl_of(&c);
	struct xfrm_state *a, *b, *other;

	c.reqid = 5;
	assert_null(xfrm_state_find(st, &t));
	assert_int_equal(xfrm_state_add(st, &c, &a), 0);
	advance(st, 1);
	c.id.spi = 0x101;
	assert_int_equal(xfrm_state_add(st, &c, &b), 0);
	c.id.spi = 0x102;
	c.mode = XFRM_MODE_TUNNEL;
	assert_int_equal(xfrm_state_add(st, &c, &other), 0);
	assert_ptr_equal(xfrm_state_find(st, &t), b);        /* newest; reqid 0 = any */
	t.reqid = 6;
	assert_null(xfrm_state_find(st, &t));
	t.reqid = 5;
	t.spi = 0x100;
	assert_ptr_equal(xfrm_state_find(st, &t), a);
	t.spi = 0;
	b->state = XFRM_STATE_DYING;                          /* as a soft expiry does */
	assert_ptr_equal(xfrm_state_find(st, &t), a);
	a->state = XFRM_STATE_DYING;
	assert_ptr_equal(xfrm_state_find(st, &t), b);
	t.mode = XFRM_MODE_TUNNEL;
	assert_ptr_equal(xfrm_state_find(st, &t), other);
	usagi_stack_free(st);
}

static void test_lifetime_packets_bytes(void **state)
{
	struct evlog l;
	struct stack *st = new_stack(&l);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x200);
	struct in6_addr d = addr6(1);
	struct xfrm_state *x;

	c.lft.soft_packets = 5;
	c.lft.hard_packets = 8;
	c.lft.hard_bytes = 1000000;
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	for (int i = 1; i <= 8; i++) {
		assert_int_equal(xfrm_state_account(st, x, 100), 0);
		assert_int_equal(x->state, i < 5 ? XFRM_STATE_MATURE : i < 8 ? XFRM_STATE_DYING : XFRM_STATE_DEAD);
	}
	assert_int_equal(xfrm_state_account(st, x, 100), -EKEYEXPIRED);
	assert_null(xfrm_state_lookup(st, &d, 0x200, IPPROTO_ESP));
	assert_int_equal(l.n, 3);
	assert_int_equal(l.type[1], XFRM_EV_EXPIRE_SOFT);
	assert_int_equal(l.reason[1], XFRM_EXP_PACKETS);
	assert_int_equal(l.type[2], XFRM_EV_EXPIRE_HARD);
	advance(st, 0);                                      /* the reaper frees it */
	assert_int_equal(xfrm_state_count(st), 0);
	/* bytes: the packet that reaches the limit is the last */
	c.lft = (struct xfrm_lifetime){ .soft_bytes = 1000, .hard_bytes = 1500 };
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_int_equal(xfrm_state_account(st, x, 999), 0);
	assert_int_equal(x->state, XFRM_STATE_MATURE);
	assert_int_equal(xfrm_state_account(st, x, 1), 0);
	assert_int_equal(x->state, XFRM_STATE_DYING);
	assert_int_equal(xfrm_state_account(st, x, 600), 0);
	assert_int_equal(x->state, XFRM_STATE_DEAD);
	assert_int_equal(l.reason[l.n - 1], XFRM_EXP_BYTES);
	usagi_stack_free(st);
}

static void test_lifetime_time(void **state)
{
	struct evlog l;
	struct stack *st = new_stack(&l);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x300);
	struct xfrm_state *x, *y;

	c.lft.soft_add_s = 10;
	c.lft.hard_add_s = 20;
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	c.id.spi = 0x301;
	c.lft = (struct xfrm_lifetime){ .soft_use_s = 5, .hard_use_s = 8 };
	assert_int_equal(xfrm_state_add(st, &c, &y), 0);
	advance(st, 9);
	assert_int_equal(l.n, 2);
	advance(st, 1);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.type[2], XFRM_EV_EXPIRE_SOFT);
	assert_int_equal(l.reason[2], XFRM_EXP_ADD);
	assert_int_equal(x->state, XFRM_STATE_DYING);
	assert_int_equal(xfrm_state_account(st, y, 10), 0);  /* use time starts now */
	advance(st, 5);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.spi[3], 0x301);
	assert_int_equal(l.reason[3], XFRM_EXP_USE);
	advance(st, 3);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.type[4], XFRM_EV_EXPIRE_HARD);
	assert_int_equal(l.spi[4], 0x301);
	assert_int_equal(xfrm_state_count(st), 1);
	advance(st, 2);
	assert_int_equal(l.n, 6);
	assert_int_equal(l.type[5], XFRM_EV_EXPIRE_HARD);
	assert_int_equal(l.spi[5], 0x300);
	assert_int_equal(xfrm_state_count(st), 0);
	usagi_stack_free(st);
}

static void test_alloc_spi(void **state)
{
	struct evlog l;
	struct stack *st = new_stack(&l);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0);
	struct xfrm_resolved t = tmpl_of(&c);
	struct xfrm_state *x, *y;
	uint32_t minseen = UINT32_MAX;
	unsigned at_min = 0;

	for (int i = 0; i < 200; i++) {
		assert_int_equal(xfrm_alloc_spi(st, &t, 1000, 1000000, 0, &x), 0);
		assert_true(x->c.id.spi >= 1000 && x->c.id.spi <= 1000000);
		assert_int_equal(x->state, XFRM_STATE_LARVAL);
		minseen = MIN(minseen, x->c.id.spi);
		at_min += x->c.id.spi == 1000;
	}
	assert_true(at_min <= 1 && minseen < 100000);
	assert_int_equal(xfrm_state_count(st), 200);
	/* a full range */
	for (int i = 0; i < 4; i++)
		assert_int_equal(xfrm_alloc_spi(st, &t, 5000, 5003, 0, &x), 0);
	assert_int_equal(xfrm_alloc_spi(st, &t, 5000, 5003, 0, &x), -EAGAIN);
	assert_int_equal(xfrm_alloc_spi(st, &t, 0, 100, 0, &x), -EINVAL);  /* all reserved */
	/* GETSPI + UPDATE */
	assert_int_equal(xfrm_alloc_spi(st, &t, 7000, 7000, 0, &x), 0);
	assert_null(xfrm_state_lookup(st, &c.id.daddr, 7000, IPPROTO_ESP));  /* larval: no traffic */
	assert_null(xfrm_state_find(st, &t));
	c.id.spi = 7000;
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EEXIST);
	assert_int_equal(xfrm_state_update(st, &c, &y), 0);
	assert_ptr_equal(x, y);
	assert_int_equal(y->state, XFRM_STATE_MATURE);
	assert_ptr_equal(xfrm_state_lookup(st, &c.id.daddr, 7000, IPPROTO_ESP), y);
	c.id.spi = 7001;
	assert_int_equal(xfrm_state_update(st, &c, NULL), -ESRCH);
	/* the unanswered larval SAs die after 30 s, announced; the mature one stays */
	l.n = 0;
	advance(st, XFRM_LARVAL_LIFETIME_S);
	assert_int_equal(xfrm_state_count(st), 1);
	assert_int_equal(l.n, 204);
	assert_int_equal(l.type[0], XFRM_EV_EXPIRE_HARD);
	usagi_stack_free(st);
}

static void test_acquire(void **state)
{
	struct evlog l;
	struct stack *st = new_stack(&l);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x900);
	struct xfrm_resolved t = tmpl_of(&c);
	struct xfrm_state *x, *y, *z;

	assert_int_equal(xfrm_acquire(st, &t, 42, &x), 0);
	assert_int_equal(x->state, XFRM_STATE_LARVAL);
	assert_int_not_equal(x->km_seq, 0);
	assert_int_equal(xfrm_acquire(st, &t, 42, &y), -EEXIST);   /* one pending, one event */
	assert_ptr_equal(x, y);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.type[0], XFRM_EV_ACQUIRE);
	assert_null(xfrm_state_find(st, &t));
	assert_ptr_equal(xfrm_state_find_seq(st, x->km_seq), x);
	/* the SA arrives: the larval one goes */
	assert_int_equal(xfrm_state_add(st, &c, &z), 0);
	assert_int_equal(xfrm_state_count(st), 1);
	assert_ptr_equal(xfrm_state_find(st, &t), z);
	/* an unanswered acquire dies quietly; then a new one may be made */
	t.reqid = 3;
	assert_int_equal(xfrm_acquire(st, &t, 42, &x), 0);
	l.n = 0;
	advance(st, XFRM_LARVAL_LIFETIME_S);
	assert_int_equal(l.n, 0);
	assert_int_equal(xfrm_acquire(st, &t, 42, &x), 0);
	/* GETSPI naming the acquire's sequence gives its larval SA the SPI */
	assert_int_equal(xfrm_alloc_spi(st, &t, 256, UINT32_MAX, x->km_seq, &y), 0);
	assert_ptr_equal(x, y);
	assert_true(y->c.id.spi >= 256);
	c.id.spi = y->c.id.spi;
	c.reqid = 3;
	assert_int_equal(xfrm_state_update(st, &c, &z), 0);
	assert_ptr_equal(z, y);
	assert_ptr_equal(xfrm_state_find(st, &t), z);
	/* rate limit: a burst of distinct templates is cut off */
	for (unsigned i = 0, limited = 0; i < 300; i++) {
		t.daddr = addr6(1000 + i);
		int rc = xfrm_acquire(st, &t, 42, NULL);
		assert_true(rc == 0 || rc == -EBUSY);
		limited += rc == -EBUSY;
		if (i == 299)
			assert_true(limited >= 150);
	}
	usagi_stack_free(st);
}

static int delete_two(struct stack *st, struct xfrm_state *x, void *ctx)
{
	unsigned *n = ctx;
	struct xfrm_state *next = xfrm_state_get(st, &x->c.id.daddr, x->c.id.spi + 1, IPPROTO_ESP);

	(*n)++;
	if (next)
		xfrm_state_delete(st, next);    /* the one after */
	xfrm_state_delete(st, x);           /* and the current */
	return 0;
}

static void test_foreach_delete(void **state)
{
	struct stack *st = new_stack(NULL);
	unsigned n = 0;

	for (unsigned i = 0; i < 100; i++) {
		struct xfrm_sa_cfg c = sa_cfg(1, 2, 1000 + i);
		assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
	}
	assert_int_equal(xfrm_state_foreach(st, 0, delete_two, &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(xfrm_state_count(st), 0);
	usagi_stack_free(st);
}

/* A dump of 100k SAs in chunks while SAs are added and deleted: each survivor exactly once. */
static void test_walk_churn(void **state)
{
	enum { N = 100000 };
	struct stack *st = new_stack(NULL);
	uint8_t *seen = calloc(2 * N + 1000, 1), *deleted = calloc(2 * N + 1000, 1);
	struct xfrm_state_walk w;
	struct xfrm_state *x;
	uint32_t next_spi = 1000 + N;
	struct rng g;

	rng_seed(&g, 3);
	for (unsigned i = 0; i < N; i++) {
		struct xfrm_sa_cfg c = sa_cfg(i % 1000, 2, 1000 + i);
		assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
	}
	xfrm_state_walk_init(&w, IPPROTO_ESP);
	for (;;) {
		for (int k = 0; k < 100 && (x = xfrm_state_walk_next(st, &w)); k++) {
			assert_int_equal(seen[x->c.id.spi - 1000]++, 0);
			assert_false(deleted[x->c.id.spi - 1000]);
		}
		if (!x)
			break;
		for (int k = 0; k < 30; k++) {     /* churn, including the SA the walk holds */
			uint32_t i = k == 0 ? w.last->c.id.spi - 1000 : rng_below(&g, next_spi - 1000);
			struct in6_addr d = addr6(i % 1000);

			if (xfrm_state_delete_id(st, &d, 1000 + i, IPPROTO_ESP) == 0)
				deleted[i] = 1;
		}
		for (int k = 0; k < 20 && next_spi < 1000 + 2 * N; k++, next_spi++) {
			struct xfrm_sa_cfg c = sa_cfg((next_spi - 1000) % 1000, 2, next_spi);
			assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
		}
	}
	xfrm_state_walk_done(&w);
	for (unsigned i = 0; i < N; i++)
		assert_true(seen[i] == 1 || deleted[i]);
	free(seen);
	free(deleted);
	usagi_stack_free(st);
}

static void test_seq_overflow(void **state)
{
	struct evlog l;
	struct stack *st = new_stack(&l);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x400);
	struct xfrm_state *x;
	uint64_t s;

	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_int_equal(xfrm_state_next_seq(st, x, &s), 0);
	assert_int_equal(s, 1);
	x->seq_out = UINT32_MAX - 1;
	assert_int_equal(xfrm_state_next_seq(st, x, &s), 0);
	assert_int_equal(s, UINT32_MAX);
	assert_int_equal(xfrm_state_next_seq(st, x, &s), -EOVERFLOW);
	assert_int_equal(xfrm_state_next_seq(st, x, &s), -EOVERFLOW);
	assert_int_equal(x->stats.seq_overflow, 2);
	assert_int_equal(x->state, XFRM_STATE_DYING);
	assert_int_equal(l.type[l.n - 1], XFRM_EV_EXPIRE_SOFT);
	assert_int_equal(l.reason[l.n - 1], XFRM_EXP_SEQ);
	assert_int_equal(l.n, 2);
	c.id.spi = 0x401;
	c.flags |= XFRM_SA_F_ESN;
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	x->seq_out = UINT32_MAX;
	assert_int_equal(xfrm_state_next_seq(st, x, &s), 0);
	assert_true(s == 1ULL << 32);
	usagi_stack_free(st);
}

static void test_replay_counting(void **state)
{
	struct stack *st = new_stack(NULL);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x600);
	struct xfrm_state *x;
	uint64_t s;

	c.replay_window = 32;
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_int_equal(xfrm_state_replay_check(st, x, 100, &s), 0);
	assert_int_equal(xfrm_state_replay_advance(st, x, s), 0);
	assert_int_equal(xfrm_state_replay_check(st, x, 100, &s), -EALREADY);
	assert_int_equal(xfrm_state_replay_check(st, x, 10, &s), -ERANGE);
	assert_int_equal(x->stats.replay_dup, 1);
	assert_int_equal(x->stats.replay_old, 1);
	assert_int_equal(STAT_GET(st, xfrm_replay_dup), 1);
	c.id.spi = 0x601;
	c.replay_window = 0;                    /* no window: everything passes */
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_null(x->replay);
	assert_int_equal(xfrm_state_replay_check(st, x, 5, &s), 0);
	c.id.spi = 0x602;
	c.flags |= XFRM_SA_F_ESN;               /* ESN needs a window to infer the high bits */
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_non_null(x->replay);
	assert_int_equal(x->replay->size, 32);
	usagi_stack_free(st);
}

static void test_crypto(void **state)
{
	struct stack *st = new_stack(NULL);
	struct xfrm_sa_cfg c = sa_cfg(1, 2, 0x700);
	struct xfrm_state *x;

	c.flags = 0;
	strcpy(c.enc.name, "aes-cbc");
	c.enc.key_len = 16;
	memset(c.enc.key, 0x11, 16);
	strcpy(c.auth.name, "hmac-sha256");
	c.auth.key_len = 32;
	memset(c.auth.key, 0x22, 32);
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_non_null(x->crypto);
	assert_int_equal(crypto_ctx_icv_len(x->crypto), 16);
	c.id.spi = 0x701;
	c.enc.key_len = 15;
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);
	c.enc.key_len = 16;
	strcpy(c.auth.name, "no-such-mac");
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);
	c.id.proto = IPPROTO_AH;                 /* AH: integrity only */
	strcpy(c.auth.name, "hmac-sha1");
	c.auth.key_len = 20;
	assert_int_equal(xfrm_state_add(st, &c, NULL), -EINVAL);
	c.enc = (struct xfrm_algo){ .name = "" };
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_non_null(x->crypto);
	c.id.proto = IPPROTO_COMP;
	c.auth = (struct xfrm_algo){ .name = "" };
	strcpy(c.comp.name, "deflate");
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_non_null(x->comp);
	assert_null(x->replay);
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get_delete),
		cmocka_unit_test(test_ipv4_mapped),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_index_churn),
		cmocka_unit_test(test_daddr_refs),
		cmocka_unit_test(test_output_find),
		cmocka_unit_test(test_lifetime_packets_bytes),
		cmocka_unit_test(test_lifetime_time),
		cmocka_unit_test(test_alloc_spi),
		cmocka_unit_test(test_acquire),
		cmocka_unit_test(test_foreach_delete),
		cmocka_unit_test(test_walk_churn),
		cmocka_unit_test(test_seq_overflow),
		cmocka_unit_test(test_replay_counting),
		cmocka_unit_test(test_crypto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
