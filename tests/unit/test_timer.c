/*
 * Timer wheel against a naive reference: random arm/cancel/advance with
 * callbacks that re-arm, cancel and arm other timers; the firing order and
 * timer_wheel_next() must match a sorted scan at every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"

#define N 64
#define MAX_LOG 200000

struct model;
struct ttimer {
	struct timer t;
	struct model *m;
	unsigned id;
};

/* The reference: armed flag, expiry and arming order per timer. */
struct ref {
	bool armed;
	uint64_t expires, seq;
};

struct model {
	struct timer_wheel tw;
	struct ttimer tt[N];
	struct ref ref[N];
	uint64_t ref_seq, ref_now;
	unsigned fired_real[MAX_LOG], fired_ref[MAX_LOG];
	size_t nreal, nref;
	unsigned burst_real, burst_ref;
};

/* What a callback does, the same for wheel and reference (a pure function of its inputs). */
struct action {
	int kind;        /* 0 none, 1 arm, 2 cancel */
	unsigned target;
	uint64_t when;
};

static struct action callback_action(unsigned id, size_t nfired, unsigned burst, uint64_t now)
{
	struct action a = { 0 };
	unsigned k = (unsigned)((id * 31 + nfired * 7) % 9);

	if (burst > 500) /* bound the chains a test can build within one advance */
		return a;
	switch (k) {
	case 0: a = (struct action){ 1, id, now + (nfired % 3) * 400000 }; break;
	case 1: a = (struct action){ 2, (id + 1) % N, 0 }; break;
	case 2: a = (struct action){ 1, (id + 3) % N, now + 5 * NS_PER_SEC + id }; break;
	case 3: a = (struct action){ 1, (id + 2) % N, now > 0 ? now - 1 : 0 }; break;
	case 4: a = (struct action){ 1, (id + 5) % N, now + 777 }; break;
	default: break;
	}
	return a;
}

static void ref_arm(struct model *m, unsigned id, uint64_t when)
{
	m->ref[id] = (struct ref){ true, when, m->ref_seq++ };
}

static void real_cb(struct stack *st, struct timer *t)
{
	struct ttimer *tt = container_of(t, struct ttimer, t);
	struct model *m = tt->m;
	struct action a;

	(void)st;
	assert_false(timer_pending(t));
	assert_true(t->expires <= m->tw.now);
	assert_true(m->nreal < MAX_LOG);
	m->fired_real[m->nreal++] = tt->id;
	a = callback_action(tt->id, m->nreal, ++m->burst_real, m->tw.now);
	if (a.kind == 1)
		timer_arm(&m->tw, &m->tt[a.target].t, a.when);
	else if (a.kind == 2)
		timer_cancel(&m->tw, &m->tt[a.target].t);
}

static int ref_min(const struct model *m)
{
	int best = -1;

	for (unsigned i = 0; i < N; i++) {
		const struct ref *r = &m->ref[i];
		if (!r->armed)
			continue;
		if (best < 0 || r->expires < m->ref[best].expires ||
		    (r->expires == m->ref[best].expires && r->seq < m->ref[best].seq))
			best = (int)i;
	}
	return best;
}

static void ref_advance(struct model *m, uint64_t now)
{
	int i;

	if (now > m->ref_now)
		m->ref_now = now;
	while ((i = ref_min(m)) >= 0 && m->ref[i].expires <= m->ref_now) {
		struct action a;

		m->ref[i].armed = false;
		m->fired_ref[m->nref++] = (unsigned)i;
		a = callback_action((unsigned)i, m->nref, ++m->burst_ref, m->ref_now);
		if (a.kind == 1)
			ref_arm(m, a.target, a.when);
		else if (a.kind == 2)
			m->ref[a.target].armed = false;
	}
}

static uint64_t random_delay(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0: return 0;
	case 1: return rng_below(r, 2000000);              /* within 2 ms */
	case 2: return rng_below(r, 1000) * NS_PER_MS;     /* whole ms */
	case 3: return (uint64_t)rng_below(r, 300000) * 1000000ULL + rng_below(r, 1000000);
	case 4: return (uint64_t)rng_below(r, 86400) * NS_PER_SEC * 3; /* up to 3 days */
	default: return rng_below(r, 50000000);
	}
}

static void check_step(struct model *m)
{
	int i = ref_min(m);
	unsigned armed = 0;

	assert_int_equal(m->nreal, m->nref);
	assert_memory_equal(m->fired_real, m->fired_ref, m->nref * sizeof(unsigned));
	assert_int_equal(timer_wheel_next(&m->tw), i < 0 ? UINT64_MAX : m->ref[i].expires);
	for (unsigned k = 0; k < N; k++) {
		assert_int_equal(timer_pending(&m->tt[k].t), m->ref[k].armed);
		armed += m->ref[k].armed;
	}
	assert_int_equal(m->tw.count, armed);
}

static void run_random(uint64_t seed, uint64_t start, unsigned steps)
{
	struct model *m = calloc(1, sizeof(*m));
	struct rng r;

	assert_non_null(m);
	rng_seed(&r, seed);
	timer_wheel_init(&m->tw, NULL, start);
	m->ref_now = start;
	for (unsigned i = 0; i < N; i++) {
		timer_init(&m->tt[i].t, real_cb);
		m->tt[i].m = m;
		m->tt[i].id = i;
	}
	for (unsigned s = 0; s < steps && m->nref < MAX_LOG - 2000; s++) {
		unsigned op = rng_below(&r, 10), id = rng_below(&r, N);
		uint64_t now = m->tw.now;

		if (op < 5) {
			/* Sometimes in the past, to check "a past time fires at the next advance". */
			uint64_t when = rng_below(&r, 8) == 0 && now > 5 ? now - rng_below(&r, 5)
								      : now + random_delay(&r);
			timer_arm(&m->tw, &m->tt[id].t, when);
			ref_arm(m, id, when);
		} else if (op < 7) {
			timer_cancel(&m->tw, &m->tt[id].t);
			m->ref[id].armed = false;
		} else {
			uint64_t next = timer_wheel_next(&m->tw);
			uint64_t to = op == 9 && next != UINT64_MAX ? next : now + random_delay(&r);

			m->burst_real = m->burst_ref = 0;
			timer_wheel_advance(&m->tw, to);
			ref_advance(m, to);
		}
		check_step(m);
	}
	assert_true(m->nref > 1000);
	free(m);
}

static void test_random_vs_reference(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++)
		run_random(seed, seed * 123456789ULL, 20000);
}

/* A start near a high-level wheel boundary exercises the cascades. */
static void test_random_near_boundaries(void **state)
{
	(void)state;
	run_random(99, ((1ULL << 32) - 3) * TW_TICK_NS - 17, 20000);
	run_random(100, ((1ULL << 40) - 1) * TW_TICK_NS, 20000);
}

/* Exact cases: ties fire in arming order, re-arming moves a timer to the back, the counter counts. */
struct log_timer {
	struct timer t;
	int id;
	int *log, *n;
};

static void log_cb(struct stack *st, struct timer *t)
{
	struct log_timer *lt = container_of(t, struct log_timer, t);

	(void)st;
	lt->log[(*lt->n)++] = lt->id;
}

static void test_exact_order_and_stats(void **state)
{
	struct stack *st = calloc(1, sizeof(*st));
	struct log_timer lt[4];
	int log[8], n = 0;

	(void)state;
	assert_non_null(st);
	timer_wheel_init(&st->timers, st, 1000);
	for (int i = 0; i < 4; i++) {
		timer_init(&lt[i].t, log_cb);
		lt[i] = (struct log_timer){ lt[i].t, i, log, &n };
	}
	assert_int_equal(timer_wheel_next(&st->timers), UINT64_MAX);
	timer_arm(&st->timers, &lt[0].t, 5 * NS_PER_MS);
	timer_arm(&st->timers, &lt[1].t, 5 * NS_PER_MS);
	timer_arm(&st->timers, &lt[2].t, 5 * NS_PER_MS - 1);
	timer_arm(&st->timers, &lt[3].t, 10);          /* in the past */
	timer_arm(&st->timers, &lt[0].t, 5 * NS_PER_MS); /* re-armed: now after 1 */
	assert_int_equal(timer_wheel_next(&st->timers), 10);
	timer_wheel_advance(&st->timers, 1000);
	assert_int_equal(n, 1);
	assert_int_equal(log[0], 3);
	assert_int_equal(timer_wheel_next(&st->timers), 5 * NS_PER_MS - 1);
	timer_wheel_advance(&st->timers, 5 * NS_PER_MS - 2);
	assert_int_equal(n, 1);
	timer_wheel_advance(&st->timers, 5 * NS_PER_MS);
	assert_int_equal(n, 4);
	assert_int_equal(log[1], 2);
	assert_int_equal(log[2], 1);
	assert_int_equal(log[3], 0);
	assert_int_equal(STAT_GET(st, timer_fired), 4);
	/* Cancel is safe twice and on an unarmed timer; the clock never goes back. */
	timer_arm(&st->timers, &lt[1].t, 3 * NS_PER_SEC);
	timer_cancel(&st->timers, &lt[1].t);
	timer_cancel(&st->timers, &lt[1].t);
	assert_int_equal(st->timers.count, 0);
	timer_wheel_advance(&st->timers, 1);
	assert_int_equal(st->timers.now, 5 * NS_PER_MS);
	timer_wheel_advance(&st->timers, 10 * NS_PER_SEC);
	assert_int_equal(n, 4);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_order_and_stats),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_random_near_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
