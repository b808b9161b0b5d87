/*
 * Congestion window validation (l4/tcp_cc.c tcp_cwnd_limited, tcp_cwv_*,
 * l4/tcp_output.c): cwnd grows only while the sender uses it (RFC 5681
 * 3.1, RFC 7661 4.3, RFC 9438 5.8). Checked on a control block, ACK by
 * ACK: a flight held by the receive window leaves cwnd alone in
 * congestion avoidance, slow start stops at twice the flight (the half
 * rule), HyStart++ likewise, and CUBIC neither grows nor lets W_cubic's
 * clock run while held (no jump afterwards). On a connection (two
 * hosts): an application sending one segment per RTT keeps the initial
 * window; the same sender with a large cwnd sees it halved at the end of
 * each 5-minute non-validated period (RFC 7661 4.4); and after an idle
 * period longer than the RTO cwnd restarts from min(IW, cwnd) (RFC 5681
 * 4.1), after a shorter one it does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/tcp.h"
#include "l4/sock.h"

#define MSS 1000u
#define PORT 5001

/* A tcb at B with @cc: cwnd @segs segments, ssthresh @ss segments (0: infinite). */
static struct tcb *conn(struct l4_pair *pr, const struct tcp_cc_ops *cc, unsigned segs, unsigned ss)
{
	struct tcb *t = tcb_new(pr->b.st);

	assert_non_null(t);
	t->mss = MSS;
	t->iss = t->snd_una = t->snd_nxt = t->snd_max = t->recover = 1000;
	t->cc = cc;
	cc->init(t);
	t->cwnd = segs * MSS;
	if (ss)
		t->ssthresh = ss * MSS;
	t->srtt = 10 * NS_PER_MS;
	return t;
}

/* An ACK of two segments; then the sender fills up to @flight segments (the peer's window). */
static void ack_held(struct tcb *t, unsigned flight)
{
	t->snd_una += 2 * MSS;
	t->cc->cong_avoid(t, 2 * MSS);
	t->snd_nxt = t->snd_max = t->snd_una + MIN(flight * MSS, t->cwnd);
}

/* Congestion avoidance held by a receive window of half the cwnd: no growth; used, it grows. */
static void test_cwv_rwnd_limited_reno(void **state)
{
	struct l4_pair *pr = *state;
	struct tcb *t = conn(pr, &tcp_newreno, 20, 10);

	t->snd_nxt = t->snd_max = t->snd_una + 10 * MSS;
	for (int i = 0; i < 200; i++)
		ack_held(t, 10);
	assert_int_equal(t->cwnd, 20 * MSS);
	assert_int_equal(STAT_GET(pr->b.st, tcp_cwnd_unused), 200);
	/* The window opens to 40 segments: the flight fills cwnd, one SMSS per window (from the 2nd ACK). */
	for (int i = 0; i < 11; i++)
		ack_held(t, 40);
	assert_int_equal(t->cwnd, 21 * MSS);
	/* Held again a segment below cwnd: "within an SMSS" still counts as used. */
	for (int i = 0; i < 11; i++)
		ack_held(t, 20);
	assert_int_equal(t->cwnd, 22 * MSS);
	for (int i = 0; i < 100; i++)
		ack_held(t, 20);
	assert_int_equal(t->cwnd, 22 * MSS);
}

/* Slow start grows while the flight is at least half of cwnd: it stops at twice the window. */
static void test_cwv_slow_start_half(void **state)
{
	struct l4_pair *pr = *state;
	struct tcb *t;

	pr->b.st->sk.tcp->hystart_off = true;
	t = conn(pr, &tcp_newreno, 10, 0);
	assert_false(t->hs.on);
	t->snd_nxt = t->snd_max = t->snd_una + 10 * MSS;
	for (int i = 0; i < 200; i++)
		ack_held(t, 20);
	/* 2 x 20 segments >= cwnd until cwnd = 40; that ACK still adds its 2 SMSS. */
	assert_int_equal(t->cwnd, 42 * MSS);
	assert_true(STAT_GET(pr->b.st, tcp_cwnd_unused) > 150);
	/* HyStart++'s slow start obeys the same rule (rounds and RTT samples go on). */
	pr->b.st->sk.tcp->hystart_off = false;
	t = conn(pr, &tcp_newreno, 10, 0);
	assert_true(t->hs.on);
	t->snd_nxt = t->snd_max = t->snd_una + 10 * MSS;
	for (int i = 0; i < 200; i++) {
		tcp_hystart_rtt(t, 10 * NS_PER_MS);
		ack_held(t, 20);
	}
	assert_true(t->hs.on);
	assert_int_equal(t->cwnd, 42 * MSS);
	assert_true(t->hs.round_set);
}

/*
 * CUBIC (RFC 9438 5.8) held at half its window for 10 s: neither cwnd nor
 * W_est grows, and W_cubic's clock stops, so that when the window is used
 * again the growth resumes from the plateau instead of jumping to 1.5 cwnd.
 */
static void test_cwv_cubic(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->b.st;
	struct tcb *t = conn(pr, &tcp_cubic, 50, 50);

	uint32_t w;

	t->snd_nxt = t->snd_max = t->snd_una + 50 * MSS;
	ack_held(t, 50);                    /* the epoch starts, cwnd-limited */
	ack_held(t, 25);                    /* it acknowledges a full window still */
	w = t->cwnd;
	assert_true(w >= 50 * MSS && w < 51 * MSS);
	for (int i = 0; i < 1000; i++) {
		st->now += 10 * NS_PER_MS;
		ack_held(t, 25);
	}
	assert_int_equal(t->cwnd, w);
	assert_int_equal(STAT_GET(st, tcp_cwnd_unused), 1000);
	/* One RTT used again: W_cubic(t) near W_max = 50 (t about an RTT), not W_cubic(10 s) = 450. */
	for (int i = 0; i < 25; i++) {
		st->now += NS_PER_MS / 2;
		ack_held(t, 100);
	}
	assert_true(t->cwnd >= 50 * MSS);
	assert_true(t->cwnd <= 52 * MSS);
	/* Without the hold the same ACKs after 10 s of growth go far up (4.2's 1.5 cwnd bound). */
	t = conn(pr, &tcp_cubic, 50, 50);
	t->snd_nxt = t->snd_max = t->snd_una + 50 * MSS;
	ack_held(t, 50);
	st->now += 10 * NS_PER_SEC;
	for (int i = 0; i < 25; i++) {
		st->now += NS_PER_MS / 2;
		ack_held(t, 100);
	}
	assert_true(t->cwnd > 60 * MSS);
}

/* A connection A -> B, established; *srv = B's socket. */
static struct usock *connected(struct l4_pair *pr, struct usock **srv)
{
	struct usock *l = l4_pair_tcp_listen(pr, PORT, 8), *c = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);

	*srv = l4_pair_tcp_accept(pr, c, l, PORT);
	return c;
}

/*
 * Sends @n octets from A and lets B read everything, pumping 1 ms steps;
 * then 10 ms steps until B's delayed ACK of the last octets is in (about
 * 50 ms, well below the 200 ms RTO).
 */
static void send_some(struct l4_pair *pr, struct usock *c, struct usock *s, size_t n)
{
	static uint8_t buf[65536];

	while (n) {
		ssize_t k = usagi_send(c, buf, MIN(n, sizeof(buf)), 0);

		assert_true(k > 0);
		n -= (size_t)k;
		l4_pair_pump(pr, 1);
		while (usagi_recv(s, buf, sizeof(buf), 0) > 0)
			;
	}
	for (int i = 0; i < 100 && c->tcb->snd_una != c->tcb->snd_max; i++)
		l4_pair_pump(pr, 10);
	assert_int_equal(c->tcb->snd_una, c->tcb->snd_max);
	while (usagi_recv(s, buf, sizeof(buf), 0) > 0)
		;
}

/*
 * An application sending one segment per round trip never fills the
 * initial window: cwnd stays there (RFC 7661 4.3). With a large cwnd
 * (40 segments in congestion avoidance) pipeACK stays below cwnd / 2:
 * after 5 minutes in the non-validated phase cwnd is halved and ssthresh
 * is at least 3/4 of the old cwnd (RFC 7661 4.4), and again 5 minutes on.
 */
static void test_cwv_app_limited(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = connected(pr, &s);
	struct tcb *t = c->tcb;
	uint32_t iw = tcp_initial_cwnd(t), mss = t->mss;

	for (int i = 0; i < 100; i++)
		send_some(pr, c, s, 1000);
	assert_int_equal(t->cwnd, iw);
	assert_true(STAT_GET(pr->a.st, tcp_cwnd_unused) > 50);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwnd_restart), 0);
	assert_true(tcp_cwv_nonvalidated(t));

	t->cwnd = 40 * mss;
	t->ssthresh = 20 * mss;
	/* About 50 ms per segment: just under 5 minutes, no reduction yet. */
	while (usagi_stack_now(pr->a.st) - t->cwv.nvp_start < TCP_CWV_NVP - NS_PER_SEC)
		send_some(pr, c, s, 1000);
	assert_int_equal(t->cwnd, 40 * mss);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwv_nvp_end), 0);
	for (int i = 0; i < 20; i++)
		send_some(pr, c, s, 1000);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwv_nvp_end), 1);
	assert_int_equal(t->cwnd, 20 * mss);
	assert_int_equal(t->ssthresh, 30 * mss);
	while (STAT_GET(pr->a.st, tcp_cwv_nvp_end) < 2)
		send_some(pr, c, s, 1000);
	assert_int_equal(t->cwnd, 10 * mss);
	assert_int_equal(t->ssthresh, 30 * mss);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwnd_restart), 0);
}

/* RFC 5681 4.1: idle longer than the RTO, cwnd restarts at min(IW, cwnd); shorter, it stays. */
static void test_cwv_restart_after_idle(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = connected(pr, &s);
	struct tcb *t = c->tcb;
	uint32_t iw = tcp_initial_cwnd(t), big;
	uint8_t byte = 1;

	send_some(pr, c, s, 2u << 20);    /* bulk: cwnd-limited, slow start grows cwnd */
	big = t->cwnd;
	assert_true(big > 4 * iw);
	assert_true(t->rto < NS_PER_SEC / 2);
	/* Idle for less than the RTO (send_some's last steps): the next send finds cwnd as it was. */
	assert_true(usagi_stack_now(pr->a.st) - t->cwv.last_send < t->rto);
	assert_int_equal(usagi_send(c, &byte, 1, 0), 1);
	assert_int_equal(t->cwnd, big);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwnd_restart), 0);
	send_some(pr, c, s, 0);
	/* Idle for a second, more than the RTO: the restart window. */
	l4_pair_pump(pr, 1000);
	assert_true(t->cwnd >= big);
	assert_int_equal(usagi_send(c, &byte, 1, 0), 1);
	assert_int_equal(t->cwnd, iw);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwnd_restart), 1);
	send_some(pr, c, s, 0);
	/* An idle period with nothing to send does not count until data is sent. */
	l4_pair_pump(pr, 1000);
	assert_int_equal(STAT_GET(pr->a.st, tcp_cwnd_restart), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cwv_rwnd_limited_reno, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_cwv_slow_start_half, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_cwv_cubic, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_cwv_app_limited, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_cwv_restart_after_idle, l4_pair_setup, l4_pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
