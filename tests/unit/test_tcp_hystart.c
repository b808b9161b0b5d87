/*
 * HyStart++ (RFC 9406, l4/tcp_hystart.c) on one connection's control
 * block, ACK by ACK: each ACK covers two segments and carries an RTT
 * sample chosen by the test, and the window goes out again after it (so
 * a round is one window). Checked: growth by min(N, L SMSS) in slow
 * start and a quarter of it in CSS, rounds, RttThresh and its clamps,
 * N_RTT_SAMPLE, the exit to CSS, a spurious exit undone, congestion
 * avoidance after CSS_ROUNDS, a loss ending HyStart++, the switch
 * tcp_state.hystart_off, and CUBIC using the same slow start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/tcp.h"

#define MSS 1000u

/* A connection's tcb at B with @cc after its handshake: cwnd @segs segments, nothing in flight. */
static struct tcb *conn(struct l4_pair *pr, const struct tcp_cc_ops *cc, unsigned segs)
{
	struct tcb *t = tcb_new(pr->b.st);

	assert_non_null(t);
	t->mss = MSS;
	t->iss = t->snd_una = t->snd_nxt = t->snd_max = t->recover = 1000;
	t->cc = cc;
	cc->init(t);
	assert_int_equal(t->cwnd, 4 * MSS);         /* RFC 5681 3.1 initial window */
	assert_int_equal(t->ssthresh, 0xffffffffu);
	t->cwnd = segs * MSS;
	t->snd_nxt = t->snd_max = t->snd_una + t->cwnd;
	return t;
}

/* One ACK of @segs segments with an RTT sample of @rtt_us; then the window is filled again. */
static void ack_n(struct tcb *t, unsigned segs, uint64_t rtt_us)
{
	uint32_t acked = segs * MSS;

	t->snd_una += acked;
	tcp_hystart_rtt(t, rtt_us * 1000);
	t->cc->cong_avoid(t, acked);
	t->snd_nxt = t->snd_max = t->snd_una + t->cwnd;
}

static void ack(struct tcb *t, uint64_t rtt_us)
{
	ack_n(t, 2, rtt_us);
}

/* The rest of the current round: ACKs up to, not including, the one that starts the next. */
static unsigned rest_of_round(struct tcb *t, uint64_t rtt_us)
{
	unsigned n = 0;

	while (t->hs.on && SEQ_LEQ(t->snd_una + 2 * MSS, t->hs.window_end)) {
		ack(t, rtt_us);
		n++;
	}
	return n;
}

/* A whole round (from its first ACK) at @rtt_us; returns its ACKs. */
static unsigned round_at(struct tcb *t, uint64_t rtt_us)
{
	ack(t, rtt_us);
	return 1 + rest_of_round(t, rtt_us);
}

/* RFC 9406 4.2: RttThresh = max(4 ms, min(lastRoundMinRTT / 8, 16 ms)). */
static void test_hystart_thresh(void **state)
{
	(void)state;
	assert_int_equal(tcp_hystart_thresh(10 * NS_PER_MS), 4 * NS_PER_MS);
	assert_int_equal(tcp_hystart_thresh(32 * NS_PER_MS), 4 * NS_PER_MS);
	assert_int_equal(tcp_hystart_thresh(80 * NS_PER_MS), 10 * NS_PER_MS);
	assert_int_equal(tcp_hystart_thresh(128 * NS_PER_MS), 16 * NS_PER_MS);
	assert_int_equal(tcp_hystart_thresh(400 * NS_PER_MS), 16 * NS_PER_MS);
}

/*
 * Slow start in rounds, the exit to CSS once a round's least RTT (over at
 * least 8 samples) is RttThresh above the last round's, a spurious exit
 * undone, and congestion avoidance after CSS_ROUNDS rounds in CSS.
 */
static void test_hystart_css_and_exit(void **state)
{
	struct l4_pair *pr = *state;
	struct tcb *t = conn(pr, &tcp_newreno, 40);
	struct stack *st = pr->b.st;
	uint32_t w;

	assert_true(t->hs.on);
	/* Round 1 (10 ms): 20 ACKs of 2 segments, each + 2 SMSS: the window doubles. */
	assert_int_equal(round_at(t, 10000), 20);
	assert_int_equal(t->cwnd, 80 * MSS);
	assert_int_equal(t->hs.cur_min, 10 * NS_PER_MS);
	/* Round 2 at 13.9 ms: below 10 + 4 ms, slow start goes on. */
	assert_int_equal(round_at(t, 13900), 40);
	assert_false(t->hs.css);
	assert_int_equal(t->cwnd, 160 * MSS);
	assert_int_equal(t->hs.last_min, 10 * NS_PER_MS);
	/* Round 3 at 18 ms (13.9 + 4 = 17.9): seven samples are too few ... */
	for (int i = 0; i < 7; i++)
		ack(t, 18000);
	assert_int_equal(t->hs.last_min, 13900 * 1000);
	assert_false(t->hs.css);
	assert_int_equal(STAT_GET(st, tcp_hystart_css), 0);
	/* ... the eighth moves to CSS (its own ACK still grew by 2 SMSS) ... */
	ack(t, 18000);
	assert_true(t->hs.css);
	assert_int_equal(t->hs.css_baseline, 18 * NS_PER_MS);
	assert_int_equal(STAT_GET(st, tcp_hystart_css), 1);
	assert_int_equal(t->cwnd, 176 * MSS);
	/* ... where an ACK of 2 SMSS grows cwnd by 2 SMSS / CSS_GROWTH_DIVISOR. */
	ack(t, 18000);
	assert_int_equal(t->cwnd, 176 * MSS + 2 * MSS / 4);
	assert_int_equal(t->ssthresh, 0xffffffffu);
	rest_of_round(t, 18000);
	/* Round 4 at 15 ms, below the 18 ms baseline: after 8 samples, back to slow start. */
	for (int i = 0; i < 8; i++)
		ack(t, 15000);
	assert_false(t->hs.css);
	assert_int_equal(STAT_GET(st, tcp_hystart_spurious), 1);
	w = t->cwnd;
	ack(t, 15000);
	assert_int_equal(t->cwnd, w + 2 * MSS);
	rest_of_round(t, 15000);
	/* Round 5 at 20 ms (15 + 4 = 19): CSS again; it and four more rounds, then congestion avoidance. */
	for (int i = 0; i < 8; i++)
		ack(t, 20000);
	assert_true(t->hs.css);
	assert_int_equal(STAT_GET(st, tcp_hystart_css), 2);
	rest_of_round(t, 20000);
	for (int r = 0; r < TCP_HS_CSS_ROUNDS - 1; r++) {
		w = t->cwnd;
		round_at(t, 20000);
		assert_true(t->hs.css);
		assert_int_equal(t->ssthresh, 0xffffffffu);
		/* A round of ACKs for a window W (W / 2 ACKs) grows it by about W / 4. */
		assert_true(t->cwnd >= w + w / 4 - 2 * MSS && t->cwnd <= w + w / 4 + 2 * MSS);
	}
	w = t->cwnd;
	ack(t, 20000);                              /* the fifth CSS round is over */
	assert_false(t->hs.on);
	assert_false(t->hs.css);
	assert_int_equal(t->ssthresh, w);
	assert_int_equal(STAT_GET(st, tcp_hystart_ca), 1);
	/* Congestion avoidance (RFC 5681): one SMSS per window acknowledged. */
	for (uint32_t acked = 0; acked < w; acked += 2 * MSS)
		ack(t, 20000);
	assert_true(t->cwnd >= w + MSS && t->cwnd <= w + 2 * MSS);
	assert_int_equal(STAT_GET(st, tcp_hystart_css), 2);
}

/* 4.3: without pacing an ACK adds at most L = 8 SMSS, however much it acknowledges. */
static void test_hystart_limit_l(void **state)
{
	struct l4_pair *pr = *state;
	struct tcb *t = conn(pr, &tcp_newreno, 100);

	ack_n(t, 20, 10000);
	assert_int_equal(t->cwnd, (100 + TCP_HS_L) * MSS);
	ack_n(t, 3, 10000);
	assert_int_equal(t->cwnd, (100 + TCP_HS_L + 3) * MSS);
}

/*
 * The first round has no last round to compare with; a loss ends
 * HyStart++ (the slow start after an RTO is RFC 5681's with RFC 3465's
 * L = 1 SMSS); tcp_state.hystart_off leaves plain slow start.
 */
static void test_hystart_loss_and_off(void **state)
{
	struct l4_pair *pr = *state;
	struct tcb *t = conn(pr, &tcp_newreno, 40);

	/* Whatever the RTT in the first round: nothing to compare with. */
	for (int i = 0; i < 15; i++)
		ack(t, i < 5 ? 10000 : 90000);
	assert_false(t->hs.css);
	/* A loss: the algorithm's reduction, HyStart++ over for this connection. */
	t->ssthresh = t->cc->ssthresh(t);
	assert_false(t->hs.on);
	/* An RTO: one segment, RFC 3465 2.3 L = 1 until the data outstanding then is acknowledged. */
	t->recover = t->snd_max;
	t->cwnd = MSS;
	ack(t, 10000);
	assert_int_equal(t->cwnd, 2 * MSS);
	assert_false(t->hs.on);
	/* Turned off for the stack: slow start doubles through any RTT growth. */
	pr->b.st->sk.tcp->hystart_off = true;
	t = conn(pr, &tcp_newreno, 40);
	assert_false(t->hs.on);
	for (int i = 0; i < 60; i++)
		ack(t, i < 20 ? 10000 : 50000);
	assert_false(t->hs.css);
	assert_int_equal(t->cwnd, 160 * MSS);
	assert_int_equal(STAT_GET(pr->b.st, tcp_hystart_css), 0);
}

/* CUBIC's slow start is the same HyStart++; its loss response ends it too. */
static void test_hystart_cubic(void **state)
{
	struct l4_pair *pr = *state;
	struct tcb *t = conn(pr, &tcp_cubic, 40);
	uint32_t w;

	assert_true(t->hs.on);
	round_at(t, 10000);
	assert_int_equal(t->cwnd, 80 * MSS);
	for (int i = 0; i < 8; i++)
		ack(t, 15000);
	assert_true(t->hs.css);
	w = t->cwnd;
	ack(t, 15000);
	assert_int_equal(t->cwnd, w + MSS / 2);
	t->ssthresh = t->cc->ssthresh(t);
	assert_false(t->hs.on);
	assert_int_equal(t->ssthresh, (uint32_t)((w + MSS / 2) * 0.7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hystart_thresh),
		cmocka_unit_test_setup_teardown(test_hystart_css_and_exit, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_hystart_limit_l, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_hystart_loss_and_off, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_hystart_cubic, l4_pair_setup, l4_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
