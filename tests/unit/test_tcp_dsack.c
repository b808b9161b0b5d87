/*
 * D-SACK (RFC 2883): as a receiver, B reports a duplicate segment in the
 * first SACK block of its ACK (data below RCV.NXT, a copy of queued
 * out-of-order data, the old part of a partly new segment), once; as a
 * sender, B leaves D-SACK blocks out of its scoreboard and counts them.
 * Hand-built segments from A's address are injected into B (tests/lib/l4_pair.h)
 * and B's answers read from its link queue.
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
#include "proto/ip6.h"
#include <netinet/tcp.h>

#define PORT 5001
#define APORT 30000
#define X 1001u               /* A's first data octet (ISN 1000) */

struct dsack_conn {
	struct usock *l, *s;
	uint32_t u;                   /* B's first data octet (its ISS + 1) */
};

static void inject(struct l4_pair *pr, uint32_t seq, uint32_t ack, uint8_t flags,
		   const struct tcp_opts *o, const void *data, size_t len)
{
	struct tcp_seg s = { .sport = APORT, .dport = PORT, .seq = seq, .ack = ack, .flags = flags,
			     .wnd = 1000 };

	if (o)
		s.o = *o;
	l4_pair_inject_tcp(pr, &s, data, len);
}

/* @len octets from A at @seq, acknowledging B's data up to @ack. */
static void data(struct l4_pair *pr, uint32_t seq, size_t len, uint32_t ack)
{
	static const uint8_t buf[1000];

	inject(pr, seq, ack, TCP_F_ACK | TCP_F_PSH, NULL, buf, len);
}

/* B's last segment is an ACK of @ack with exactly the @n SACK blocks in @want (pairs). */
static void expect_ack(struct l4_pair *pr, uint32_t ack, unsigned n, const uint32_t *want)
{
	struct tcp_seg seg;

	assert_true(l4_pair_last_tcp(pr, &seg));
	assert_int_equal(seg.flags & TCP_F_ACK, TCP_F_ACK);
	assert_int_equal(seg.ack, ack);
	assert_int_equal(seg.o.nsack, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(seg.o.sack[i].left, want[2 * i]);
		assert_int_equal(seg.o.sack[i].right, want[2 * i + 1]);
	}
}

/*
 * A (hand-built, SACK-permitted; without timestamps unless @ts, so four
 * blocks fit) connects to B's listener.
 */
static void handshake(struct l4_pair *pr, struct dsack_conn *k, bool ts)
{
	struct tcp_opts syn = { .mss_ok = true, .mss = 1440, .ws_ok = true, .wscale = 7, .sack_perm = true,
				.ts_ok = ts, .tsval = 100 };
	struct tcp_opts ack = { .ts_ok = ts, .tsval = 101 };
	struct sockaddr_in6 sin;
	struct tcp_seg sa;

	k->l = usagi_socket(pr->b.st, AF_INET6, SOCK_STREAM, 0);
	sockaddr_make(&sin, &in6addr_any, PORT, 0);
	assert_int_equal(usagi_bind(k->l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(k->l, 8), 0);
	/* B learns A's link-layer address (a RST to a closed port; A answers the NS). */
	sa = (struct tcp_seg){ .sport = APORT, .dport = PORT + 1, .seq = 1, .flags = TCP_F_SYN };
	l4_pair_inject_tcp(pr, &sa, NULL, 0);
	l4_pair_pump(pr, 1);
	pr->a.cut = true;          /* A's own stack stays silent from now on */
	inject(pr, X - 1, 0, TCP_F_SYN, &syn, NULL, 0);
	assert_true(l4_pair_last_tcp(pr, &sa));
	assert_int_equal(sa.flags, TCP_F_SYN | TCP_F_ACK);
	assert_true(sa.o.sack_perm);
	k->u = sa.seq + 1;
	ack.tsecr = sa.o.tsval;
	inject(pr, X, k->u, TCP_F_ACK, &ack, NULL, 0);
	k->s = usagi_accept(k->l, NULL, NULL);
	assert_non_null(k->s);
	assert_true(k->s->tcb->sack_on);
	assert_int_equal(k->s->tcb->ts_on, ts);
}

/* RFC 2883 4: the receiver's D-SACK blocks, in the order and shape 4.1.1-4.1.3 show. */
static void test_dsack_receiver(void **state)
{
	struct l4_pair *pr = *state;
	struct dsack_conn k;

	handshake(pr, &k, false);
	/* 4.1.1: a segment received twice, all below RCV.NXT: D-SACK alone, at once. */
	data(pr, X, 100, k.u);
	data(pr, X, 100, k.u);
	expect_ack(pr, X + 100, 1, (uint32_t[]){ X, X + 100 });
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_out), 1);
	/* Data from before A's first octet was never received: an ACK, but no D-SACK (blind data). */
	data(pr, X - 1000, 100, k.u);
	expect_ack(pr, X + 100, 0, NULL);
	/* Reported once: the next ACK (for out-of-order data) has ordinary SACK blocks only. */
	data(pr, X + 200, 100, k.u);
	expect_ack(pr, X + 100, 1, (uint32_t[]){ X + 200, X + 300 });
	data(pr, X + 400, 100, k.u);
	expect_ack(pr, X + 100, 2, (uint32_t[]){ X + 400, X + 500, X + 200, X + 300 });
	/* 4.1.2: a copy of queued out-of-order data: the D-SACK, then the block holding it. */
	data(pr, X + 200, 100, k.u);
	expect_ack(pr, X + 100, 3, (uint32_t[]){ X + 200, X + 300, X + 200, X + 300, X + 400, X + 500 });
	data(pr, X + 250, 50, k.u);
	expect_ack(pr, X + 100, 3, (uint32_t[]){ X + 250, X + 300, X + 200, X + 300, X + 400, X + 500 });
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_out), 3);
	assert_int_equal(STAT_GET(pr->b.st, tcp_ooo), 2);
	/* 4.1.3-like: a segment partly old, partly filling the hole: D-SACK for the old part. */
	data(pr, X + 50, 150, k.u);
	expect_ack(pr, X + 300, 2, (uint32_t[]){ X + 50, X + 100, X + 400, X + 500 });
	/* Filling the last hole: a plain ACK, nothing left to report. */
	data(pr, X + 300, 100, k.u);
	expect_ack(pr, X + 500, 0, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_out), 4);
	assert_int_equal(k.s->tcb->rcv.len, 500);
	/* A partly old segment with nothing queued: the D-SACK rides on the delayed ACK. */
	data(pr, X + 500, 100, k.u);
	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + 50 * NS_PER_MS);
	expect_ack(pr, X + 600, 0, NULL);
	data(pr, X + 550, 100, k.u);
	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + 50 * NS_PER_MS);
	expect_ack(pr, X + 650, 1, (uint32_t[]){ X + 550, X + 600 });
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_out), 5);
	usagi_close(k.s);
	usagi_close(k.l);
}

/* RFC 7323 5.3 with RFC 2883: an old copy PAWS drops is acknowledged with its D-SACK. */
static void test_dsack_paws(void **state)
{
	struct l4_pair *pr = *state;
	static const uint8_t buf[100];
	struct tcp_opts o = { .ts_ok = true, .tsval = 200 };
	struct dsack_conn k;
	struct tcp_seg seg;

	handshake(pr, &k, true);
	inject(pr, X, k.u, TCP_F_ACK | TCP_F_PSH, &o, buf, 100);
	o.tsval = 150;             /* older than TS.Recent: PAWS */
	inject(pr, X, k.u, TCP_F_ACK | TCP_F_PSH, &o, buf, 100);
	assert_int_equal(STAT_GET(pr->b.st, tcp_paws), 1);
	expect_ack(pr, X + 100, 1, (uint32_t[]){ X, X + 100 });
	assert_true(l4_pair_last_tcp(pr, &seg));
	assert_true(seg.o.ts_ok);
	assert_int_equal(seg.o.tsecr, 200);
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_out), 1);
	usagi_close(k.s);
	usagi_close(k.l);
}

/* RFC 2883 4, 5: which first blocks are D-SACKs. */
static void test_dsack_detect(void **state)
{
	struct tcp_seg s = { .flags = TCP_F_ACK, .ack = 5000 };

	(void)state;
	s.o.nsack = 1;
	s.o.sack[0] = (struct tcp_sack_block){ 4000, 5000 };          /* below SEG.ACK */
	assert_true(tcp_sack_is_dsack(&s));
	s.o.sack[0] = (struct tcp_sack_block){ 6000, 7000 };          /* an ordinary block */
	assert_false(tcp_sack_is_dsack(&s));
	s.o.nsack = 2;
	s.o.sack[1] = (struct tcp_sack_block){ 5500, 7500 };          /* inside the second */
	assert_true(tcp_sack_is_dsack(&s));
	s.o.sack[1] = (struct tcp_sack_block){ 8000, 9000 };
	assert_false(tcp_sack_is_dsack(&s));
	s.o.sack[0] = (struct tcp_sack_block){ 4999, 5001 };          /* straddles SEG.ACK */
	assert_false(tcp_sack_is_dsack(&s));
	s.o.sack[0] = (struct tcp_sack_block){ 0xfffffff0u, 0x10 };   /* across the wrap, below */
	s.ack = 0x20;
	assert_true(tcp_sack_is_dsack(&s));
	s.flags = 0;                                                  /* not an ACK */
	assert_false(tcp_sack_is_dsack(&s));
	s.flags = TCP_F_ACK;
	s.o.nsack = 0;
	assert_false(tcp_sack_is_dsack(&s));
}

/* An ACK from A with the @n SACK blocks in @b (pairs, offsets from B's first data octet). */
static void sack_ack(struct l4_pair *pr, const struct dsack_conn *k, uint32_t ack, unsigned n,
		     const uint32_t *b)
{
	struct tcp_opts o = { .nsack = (uint8_t)n };

	for (unsigned i = 0; i < n; i++)
		o.sack[i] = (struct tcp_sack_block){ k->u + b[2 * i], k->u + b[2 * i + 1] };
	inject(pr, X, k->u + ack, TCP_F_ACK, &o, NULL, 0);
}

/* The sender: a D-SACK is counted and kept off the scoreboard; ordinary blocks still count. */
static void test_dsack_sender(void **state)
{
	struct l4_pair *pr = *state;
	static const uint8_t buf[5000];
	struct dsack_conn k;
	struct tcb *t;
	int one = 1;

	handshake(pr, &k, false);
	t = k.s->tcb;
	assert_int_equal(usagi_setsockopt(k.s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(usagi_send(k.s, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	/* Below the cumulative ACK: the peer got the first segment twice. */
	sack_ack(pr, &k, 1440, 1, (uint32_t[]){ 0, 1440 });
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_in), 1);
	assert_int_equal(t->snd_una, k.u + 1440);
	assert_int_equal(t->nsacked, 0);
	assert_int_equal(t->snd_max, k.u + 5000);     /* the rest went out with the ACK */
	/* Inside the second block: only the second reaches the board. */
	sack_ack(pr, &k, 1440, 2, (uint32_t[]){ 3000, 3500, 2880, 4320 });
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_in), 2);
	assert_int_equal(t->nsacked, 1);
	assert_int_equal(t->sacked[0].left, k.u + 2880);
	assert_int_equal(t->sacked[0].right, k.u + 4320);
	/* Ordinary blocks, the first not inside the second: both taken, no D-SACK counted. */
	sack_ack(pr, &k, 1440, 2, (uint32_t[]){ 4320, 5000, 2880, 4320 });
	assert_int_equal(STAT_GET(pr->b.st, tcp_dsack_in), 2);
	assert_int_equal(t->nsacked, 1);
	assert_int_equal(t->sacked[0].right, k.u + 5000);
	assert_int_equal(tcp_sack_total(t), 5000 - 2880);
	usagi_close(k.s);
	usagi_close(k.l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dsack_receiver, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_dsack_paws, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test(test_dsack_detect),
		cmocka_unit_test_setup_teardown(test_dsack_sender, l4_pair_setup, l4_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
