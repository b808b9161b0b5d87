/*
 * SACK-based loss recovery (RFC 6675, l4/tcp_sack.c and tcp_output.c)
 * between two hosts back to back (tests/lib/l4_pair.h): B's accepted
 * connection sends, and A's ACKs are either hand-built (SACK blocks chosen
 * by the test) or A's own, delivered round by round with chosen segments
 * lost.
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
#include "core/csum.h"
#include "proto/ip6.h"

#define PORT 5001
#define MAXF 256

struct frame {
	uint32_t seq, len;
	uint8_t flags;
};

/* SO_SNDBUF and SO_RCVBUF of both ends for establish(); 0 = the defaults. */
static int pair_buf;

static struct usock *establish(struct l4_pair *pr, struct usock **srv)
{
	struct usock *l = usagi_socket(pr->b.st, AF_INET6, SOCK_STREAM, 0);
	struct usock *c = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;

	assert_non_null(l);
	assert_non_null(c);
	if (pair_buf) {
		assert_int_equal(usagi_setsockopt(l, SOL_SOCKET, SO_SNDBUF, &pair_buf, sizeof(pair_buf)), 0);
		assert_int_equal(usagi_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &pair_buf, sizeof(pair_buf)), 0);
		assert_int_equal(usagi_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &pair_buf, sizeof(pair_buf)), 0);
		assert_int_equal(usagi_setsockopt(c, SOL_SOCKET, SO_RCVBUF, &pair_buf, sizeof(pair_buf)), 0);
	}
	sockaddr_make(&sin, &in6addr_any, PORT, 0);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(l, 8), 0);
	sockaddr_make(&sin, &pr->addr_b, PORT, 0);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	l4_pair_pump(pr, 1);
	*srv = usagi_accept(l, NULL, NULL);
	assert_non_null(*srv);
	assert_int_equal((*srv)->tcb->state, TCPS_ESTABLISHED);
	assert_true((*srv)->tcb->sack_on && (*srv)->tcb->ts_on);
	return c;
}

/* Takes the TCP segments @sd queued (frames freed); returns how many. */
static unsigned take(struct l4_side *sd, struct frame *f, unsigned max)
{
	unsigned n = 0;
	struct pkt *p = sd->q_head, *next;

	sd->q_head = sd->q_tail = NULL;
	for (; p; p = next) {
		next = p->next;
		if (p->len >= 14 + 40 + 20 && p->data[14 + 6] == NH_TCP && n < max) {
			const uint8_t *t = p->data + 14 + 40;

			f[n].seq = get_be32(t + 4);
			f[n].len = get_be16(p->data + 14 + 4) - (uint32_t)(t[12] >> 4) * 4;
			f[n].flags = t[13];
			n++;
		}
		pkt_free(p);
	}
	return n;
}

/* An ACK from A to B's connection @t acknowledging @ack with SACK blocks (pairs of offsets from @base). */
static void sack_ack(struct l4_pair *pr, struct tcb *t, uint32_t ack, uint32_t base, uint32_t mss,
		     unsigned nblk, const unsigned *blk)
{
	struct tcp_seg s = { .sport = t->fport, .dport = t->lport, .seq = t->rcv_nxt, .ack = ack,
			     .flags = TCP_F_ACK, .wnd = (uint16_t)(t->snd_wnd >> t->snd_wscale) };

	s.o.nsack = (uint8_t)nblk;
	for (unsigned i = 0; i < nblk; i++)
		s.o.sack[i] = (struct tcp_sack_block){ base + blk[2 * i] * mss, base + blk[2 * i + 1] * mss };
	l4_pair_inject_tcp(pr, &s, NULL, 0);
}

/* B's connection with 40 segments queued and 20 sent (cwnd 20); *mss = payload per segment. */
static struct tcb *sender(struct l4_pair *pr, uint32_t *mss, uint32_t *base)
{
	static uint8_t buf[64 * 1500];
	struct frame f[MAXF];
	struct usock *s;
	struct tcb *t;
	unsigned n;

	establish(pr, &s);
	pr->a.cut = true;
	t = s->tcb;
	*mss = t->mss - 12;               /* timestamps: 10 octets + 2 NOPs */
	t->cwnd = t->ssthresh = 20 * *mss;
	*base = t->snd_una;
	take(&pr->b, f, MAXF);
	assert_int_equal(usagi_send(s, buf, 40 * *mss, 0), (ssize_t)(40 * *mss));
	n = take(&pr->b, f, MAXF);
	assert_int_equal(n, 20);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(f[i].seq, *base + i * *mss);
		assert_int_equal(f[i].len, *mss);
	}
	return t;
}

/* True if no frame of @f retransmits an octet inside [base + l*mss, base + r*mss). */
static bool avoids(const struct frame *f, unsigned n, uint32_t base, uint32_t mss, unsigned l, unsigned r)
{
	for (unsigned i = 0; i < n; i++)
		if (f[i].len && SEQ_LT(f[i].seq, base + r * mss) && SEQ_GT(f[i].seq + f[i].len, base + l * mss))
			return false;
	return true;
}

/*
 * Segments 0, 4 and 8 of a 20-segment window lost; the ACKs of the others
 * arrive with SACK blocks. Recovery starts at the third duplicate, every
 * hole is retransmitted once as pipe allows (RFC 6675 SetPipe and NextSeg
 * rule 1), new data follows (rule 2), nothing SACKed is sent again, and a
 * cumulative ACK past RecoveryPoint ends the recovery.
 */
static void test_sack_three_holes(void **state)
{
	struct l4_pair *pr = *state;
	struct frame f[MAXF];
	uint32_t m, u;
	struct tcb *t = sender(pr, &m, &u);
	unsigned n;

	/* The first two duplicates: a SACKed segment leaves the flight, a new one goes (RFC 3042). */
	sack_ack(pr, t, u, u, m, 1, (unsigned[]){ 1, 2 });
	sack_ack(pr, t, u, u, m, 1, (unsigned[]){ 1, 3 });
	assert_false(t->in_recovery);
	n = take(&pr->b, f, MAXF);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].seq, u + 20 * m);
	assert_int_equal(f[1].seq, u + 21 * m);
	sack_ack(pr, t, u, u, m, 1, (unsigned[]){ 1, 4 });
	/* RFC 6675 5 (4): RecoveryPoint = HighData, cwnd = ssthresh = FlightSize / 2, segment 0 again. */
	assert_true(t->in_recovery);
	assert_int_equal(t->recover, u + 22 * m);
	assert_int_equal(t->cwnd, 11 * m);
	assert_int_equal(t->ssthresh, 11 * m);
	n = take(&pr->b, f, MAXF);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].seq, u);
	assert_int_equal(f[0].len, m);
	/* pipe: the retransmission (1) + [4, 22) not yet lost (18) = 19 segments: nothing more. */
	assert_int_equal(tcp_sack_pipe(t), 19 * m);
	sack_ack(pr, t, u, u, m, 2, (unsigned[]){ 5, 6, 1, 4 });
	assert_int_equal(tcp_sack_pipe(t), 18 * m);          /* [4, 5) has 1 segment SACKed above */
	sack_ack(pr, t, u, u, m, 2, (unsigned[]){ 5, 8, 1, 4 });
	assert_true(tcp_sack_is_lost(t, u + 4 * m));        /* 3 segments above: lost, out of pipe */
	assert_int_equal(tcp_sack_pipe(t), 15 * m);
	sack_ack(pr, t, u, u, m, 3, (unsigned[]){ 9, 11, 5, 8, 1, 4 });
	assert_int_equal(tcp_sack_pipe(t), 13 * m);
	sack_ack(pr, t, u, u, m, 3, (unsigned[]){ 9, 12, 5, 8, 1, 4 });
	assert_int_equal(tcp_sack_pipe(t), 11 * m);
	assert_int_equal(take(&pr->b, f, MAXF), 0);          /* cwnd - pipe < 1 SMSS: silent */
	/* Segment 12's SACK: pipe 10, cwnd 11: segment 4 goes (rule 1), pipe 11. */
	sack_ack(pr, t, u, u, m, 3, (unsigned[]){ 9, 13, 5, 8, 1, 4 });
	n = take(&pr->b, f, MAXF);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].seq, u + 4 * m);
	assert_int_equal(tcp_sack_pipe(t), 11 * m);
	sack_ack(pr, t, u, u, m, 3, (unsigned[]){ 9, 14, 5, 8, 1, 4 });
	n = take(&pr->b, f, MAXF);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].seq, u + 8 * m);
	/* The rest of the window: one new segment (rule 2) per segment SACKed. */
	for (unsigned r = 15; r <= 22; r++) {
		sack_ack(pr, t, u, u, m, 3, (unsigned[]){ 9, r, 5, 8, 1, 4 });
		n = take(&pr->b, f, MAXF);
		assert_int_equal(n, 1);
		assert_int_equal(f[0].seq, u + (r + 7) * m);
		assert_true(avoids(f, n, u, m, 0, 22));
		assert_true(tcp_sack_pipe(t) <= t->cwnd);
	}
	assert_int_equal(STAT_GET(pr->b.st, tcp_sack_rexmit), 3);
	assert_int_equal(STAT_GET(pr->b.st, tcp_retrans_segs), 3);
	assert_int_equal(STAT_GET(pr->b.st, tcp_sack_recoveries), 1);
	assert_int_equal(STAT_GET(pr->b.st, tcp_sack_rescue), 0);
	/* Partial ACKs as the retransmissions arrive lower pipe: new data only (rule 2). */
	sack_ack(pr, t, u + 4 * m, u, m, 2, (unsigned[]){ 9, 22, 5, 8 });
	assert_true(t->in_recovery);
	sack_ack(pr, t, u + 8 * m, u, m, 1, (unsigned[]){ 9, 22 });
	assert_true(t->in_recovery);
	n = take(&pr->b, f, MAXF);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].seq, u + 30 * m);
	assert_int_equal(f[1].seq, u + 31 * m);
	/* Past RecoveryPoint: recovery over, cwnd at most ssthresh, the board empty. */
	sack_ack(pr, t, u + 22 * m, u, m, 0, NULL);
	assert_false(t->in_recovery);
	assert_true(t->cwnd <= t->ssthresh);
	assert_int_equal(t->nsacked, 0);
	assert_int_equal(STAT_GET(pr->b.st, tcp_retrans_segs), 3);
	assert_int_equal(STAT_GET(pr->b.st, tcp_timeouts), 0);
}

/* RFC 6675 5 (b): one ACK SACKing more than 2 segments makes HighACK + 1 lost: recovery at once. */
static void test_sack_islost_entry(void **state)
{
	struct l4_pair *pr = *state;
	struct frame f[MAXF];
	uint32_t m, u;
	struct tcb *t = sender(pr, &m, &u);

	sack_ack(pr, t, u + m, u, m, 1, (unsigned[]){ 2, 5 });
	assert_int_equal(t->dupacks, 0);
	assert_false(t->in_recovery);       /* a cumulative ACK, not a duplicate */
	take(&pr->b, f, MAXF);
	sack_ack(pr, t, u + m, u, m, 1, (unsigned[]){ 2, 6 });
	assert_int_equal(t->dupacks, 1);
	assert_true(t->in_recovery);
	assert_int_equal(take(&pr->b, f, MAXF), 1);
	assert_int_equal(f[0].seq, u + m);
	assert_int_equal(f[0].len, m);
	/* Without SACK information three duplicates are needed (RFC 5681 3.2). */
	assert_false(tcp_sack_is_lost(t, u + 6 * m));
}

/*
 * RFC 6675 rule 4 and 5.1: the last segments of a window lost, nothing new
 * to send: the rescue retransmission goes once; after a timeout the board
 * starts again and the go-back-N retransmission skips what is SACKed anew.
 */
static void test_sack_rescue_and_rto(void **state)
{
	struct l4_pair *pr = *state;
	struct frame f[MAXF];
	uint32_t m, u;
	struct tcb *t = sender(pr, &m, &u);
	unsigned n;

	t->snd.len = t->snd_max - t->snd_ring_seq;   /* no more new data than what is out */
	/* Segments 0 and 18, 19 lost. */
	sack_ack(pr, t, u, u, m, 1, (unsigned[]){ 1, 18 });
	assert_true(t->in_recovery);
	n = take(&pr->b, f, MAXF);
	/* Segment 0 (rule 1), then with pipe 1 + 2: rescue of segment 19 (rule 4), once. */
	assert_int_equal(n, 2);
	assert_int_equal(f[0].seq, u);
	assert_int_equal(f[1].seq, u + 19 * m);
	assert_int_equal(STAT_GET(pr->b.st, tcp_sack_rescue), 1);
	sack_ack(pr, t, u, u, m, 1, (unsigned[]){ 1, 18 });
	assert_int_equal(take(&pr->b, f, MAXF), 0);
	/* A timeout: recovery ends, the board is emptied (RFC 2018 8), cwnd one segment. */
	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + 2 * NS_PER_SEC);
	assert_false(t->in_recovery);
	assert_int_equal(STAT_GET(pr->b.st, tcp_timeouts), 1);
	n = take(&pr->b, f, MAXF);
	assert_true(n >= 1);
	assert_int_equal(f[0].seq, u);
	/* The peer SACKs again; going back, the sender skips to the unSACKed octets (5.1). */
	sack_ack(pr, t, u + m, u, m, 1, (unsigned[]){ 2, 18 });
	n = take(&pr->b, f, MAXF);
	/* cwnd 2 segments, SACKed octets not counted in flight: segments 1 and 18. */
	assert_int_equal(n, 2);
	assert_int_equal(f[0].seq, u + m);
	assert_int_equal(f[1].seq, u + 18 * m);
	assert_int_equal(STAT_GET(pr->b.st, tcp_timeouts), 1);
}

/*
 * Round trips to repair three losses in one window, A's own ACKs
 * delivered a round at a time (one round = one RTT of 10 ms): SACK
 * retransmits all three in the first round after the loss is seen,
 * NewReno one per partial ACK.
 */
static unsigned rounds_to_recover(bool sack)
{
	static uint8_t buf[40 * 1500];
	static const unsigned lost[] = { 5, 12, 20 };
	struct l4_pair pr;
	struct usock *s, *c;
	struct frame f[MAXF];
	struct tcb *t;
	uint32_t m, u;
	bool dropped[3] = { false, false, false };
	unsigned rounds = 0, got = 0;
	char rb[65536];

	assert_int_equal(l4_pair_init(&pr), 0);
	c = establish(&pr, &s);
	t = s->tcb;
	t->sack_on = c->tcb->sack_on = sack;
	m = t->mss - 12;
	t->cwnd = t->ssthresh = 30 * m;
	u = t->snd_una;
	assert_int_equal(usagi_send(s, buf, 30 * m, 0), (ssize_t)(30 * m));
	while (t->snd_una != t->snd_max && rounds < 50) {
		struct pkt *p = pr.b.q_head, *next;

		pr.b.q_head = pr.b.q_tail = NULL;
		for (; p; p = next) {
			const uint8_t *th = p->data + 14 + 40;
			bool drop = false;

			next = p->next;
			for (unsigned i = 0; i < 3; i++)
				if (!dropped[i] && get_be32(th + 4) == u + lost[i] * m)
					drop = dropped[i] = true;
			if (!drop)
				netdev_rx(pr.a.dev, pkt_from_bytes(pr.a.st->pool, p->data, p->len));
			pkt_free(p);
		}
		for (p = pr.a.q_head, pr.a.q_head = pr.a.q_tail = NULL; p; p = next) {
			next = p->next;
			netdev_rx(pr.b.dev, pkt_from_bytes(pr.b.st->pool, p->data, p->len));
			pkt_free(p);
		}
		usagi_stack_advance(pr.a.st, usagi_stack_now(pr.a.st) + 10 * NS_PER_MS);
		usagi_stack_advance(pr.b.st, usagi_stack_now(pr.b.st) + 10 * NS_PER_MS);
		rounds++;
	}
	for (ssize_t r; (r = usagi_recv(c, rb, sizeof(rb), 0)) > 0;)
		got += (unsigned)r;
	assert_int_equal(got, 30 * m);
	assert_int_equal(STAT_GET(pr.b.st, tcp_timeouts), 0);
	/* The three losses, and at most one rescue retransmission (rule 4: nothing new to send). */
	assert_true(STAT_GET(pr.b.st, tcp_sack_rescue) <= 1);
	assert_int_equal(STAT_GET(pr.b.st, tcp_retrans_segs), 3 + STAT_GET(pr.b.st, tcp_sack_rescue));
	take(&pr.b, f, MAXF);
	l4_pair_fini(&pr);
	return rounds;
}

static void test_sack_vs_newreno_rounds(void **state)
{
	unsigned rs = rounds_to_recover(true), rn = rounds_to_recover(false);

	(void)state;
	print_message("3 losses in one window: SACK %u round trips, NewReno %u\n", rs, rn);
	/* Round 1 delivers the window (losses seen), then SACK repairs in one round, NewReno in three. */
	assert_int_equal(rs, 2);
	assert_int_equal(rn, 4);
}

/*
 * A slow-start overshoot: every other segment of the last 400 of a
 * 500-segment flight lost (200 holes, more than TCP_SACK_BOARD), A's own
 * ACKs delivered a round (10 ms) at a time. The board grows to hold every
 * hole, so pipe stays exact: each hole is retransmitted exactly once,
 * nothing the peer holds is sent again, no timeout, and the repair takes
 * one round trip after the one that reveals the losses (the board kept
 * 128 blocks before: the holes above them were retransmitted again and
 * again, a window went out twice and the recovery waited for an RTO).
 */
static void test_sack_many_holes(void **state)
{
	enum { SEGS = 500, FIRST = 100 };
	static uint8_t buf[SEGS * 1500];
	struct l4_pair pr;
	struct usock *s, *c;
	struct frame f[MAXF];
	struct tcb *t;
	uint32_t m, u;
	unsigned rounds = 0, got = 0, holes = 0, max_board = 0;
	static bool dropped[SEGS];
	static char rb[1 << 16];

	(void)state;
	memset(dropped, 0, sizeof(dropped));
	assert_int_equal(l4_pair_init(&pr), 0);
	pair_buf = 2 << 20;
	c = establish(&pr, &s);
	pair_buf = 0;
	t = s->tcb;
	m = t->mss - 12;
	t->cwnd = SEGS * m;
	u = t->snd_una;
	assert_int_equal(usagi_send(s, buf, SEGS * m, 0), (ssize_t)(SEGS * m));
	assert_int_equal(t->snd_max, u + SEGS * m);
	assert_true(tcp_sack_cap(t) >= (SEGS - FIRST) / 2);
	while (t->snd_una != t->snd_max && rounds < 50) {
		struct pkt *p = pr.b.q_head, *next;

		pr.b.q_head = pr.b.q_tail = NULL;
		for (; p; p = next) {
			uint32_t k = (get_be32(p->data + 14 + 40 + 4) - u) / m;
			bool drop = k >= FIRST && k < SEGS && (k - FIRST) % 2 == 0 && !dropped[k];

			next = p->next;
			if (drop) {
				dropped[k] = true;
				holes++;
			} else {
				netdev_rx(pr.a.dev, pkt_from_bytes(pr.a.st->pool, p->data, p->len));
			}
			pkt_free(p);
		}
		for (p = pr.a.q_head, pr.a.q_head = pr.a.q_tail = NULL; p; p = next) {
			next = p->next;
			netdev_rx(pr.b.dev, pkt_from_bytes(pr.b.st->pool, p->data, p->len));
			pkt_free(p);
			max_board = MAX(max_board, (unsigned)t->nsacked);
			assert_true(!t->in_recovery || tcp_sack_pipe(t) <= t->snd_max - t->snd_una);
		}
		usagi_stack_advance(pr.a.st, usagi_stack_now(pr.a.st) + 10 * NS_PER_MS);
		usagi_stack_advance(pr.b.st, usagi_stack_now(pr.b.st) + 10 * NS_PER_MS);
		rounds++;
	}
	for (ssize_t r; (r = usagi_recv(c, rb, sizeof(rb), 0)) > 0;)
		got += (unsigned)r;
	print_message("200 holes: %u rounds, board up to %u blocks, %llu retransmissions\n", rounds,
		      max_board, (unsigned long long)STAT_GET(pr.b.st, tcp_retrans_segs));
	assert_int_equal(holes, (SEGS - FIRST) / 2);
	assert_int_equal(got, SEGS * m);
	assert_true(max_board >= (SEGS - FIRST) / 2 - 1);
	assert_int_equal(STAT_GET(pr.b.st, tcp_timeouts), 0);
	assert_int_equal(STAT_GET(pr.b.st, tcp_sack_recoveries), 1);
	assert_int_equal(STAT_GET(pr.b.st, tcp_retrans_segs), holes + STAT_GET(pr.b.st, tcp_sack_rescue));
	assert_true(rounds <= 3);
	take(&pr.b, f, MAXF);
	l4_pair_fini(&pr);
}

/*
 * A retransmission lost again: segment 5 of a 30-segment window and then
 * its first retransmission are dropped, A's own ACKs delivered a round at
 * a time, new data to send. Once more than two segments sent after the
 * retransmission are SACKed with segment 5 still missing, it goes a third
 * time, in the next round, without waiting for the RTO (200 ms, 20
 * rounds), and the congestion window is not cut a second time.
 */
static void test_sack_lost_retransmission(void **state)
{
	static uint8_t buf[80 * 1500];
	struct l4_pair pr;
	struct usock *s, *c;
	struct frame f[MAXF];
	struct tcb *t;
	uint32_t m, u, cwnd_rec = 0;
	unsigned rounds = 0, got = 0, sent5 = 0;
	static char rb[1 << 16];

	(void)state;
	assert_int_equal(l4_pair_init(&pr), 0);
	c = establish(&pr, &s);
	t = s->tcb;
	m = t->mss - 12;
	t->cwnd = t->ssthresh = 30 * m;
	u = t->snd_una;
	assert_int_equal(usagi_send(s, buf, 80 * m, 0), (ssize_t)(80 * m));
	while (t->snd_una != t->snd_max && rounds < 60) {
		struct pkt *p = pr.b.q_head, *next;

		pr.b.q_head = pr.b.q_tail = NULL;
		for (; p; p = next) {
			bool is5 = get_be32(p->data + 14 + 40 + 4) == u + 5 * m;

			next = p->next;
			sent5 += is5;
			if (!is5 || sent5 > 2)
				netdev_rx(pr.a.dev, pkt_from_bytes(pr.a.st->pool, p->data, p->len));
			pkt_free(p);
		}
		for (p = pr.a.q_head, pr.a.q_head = pr.a.q_tail = NULL; p; p = next) {
			next = p->next;
			netdev_rx(pr.b.dev, pkt_from_bytes(pr.b.st->pool, p->data, p->len));
			pkt_free(p);
			if (t->in_recovery && !cwnd_rec)
				cwnd_rec = t->cwnd;
		}
		if (STAT_GET(pr.b.st, tcp_sack_rxt_lost) && t->in_recovery)
			assert_int_equal(t->cwnd, cwnd_rec);   /* no second reduction */
		usagi_stack_advance(pr.a.st, usagi_stack_now(pr.a.st) + 10 * NS_PER_MS);
		usagi_stack_advance(pr.b.st, usagi_stack_now(pr.b.st) + 10 * NS_PER_MS);
		rounds++;
	}
	for (ssize_t r; (r = usagi_recv(c, rb, sizeof(rb), 0)) > 0;)
		got += (unsigned)r;
	print_message("segment 5 lost twice: %u rounds\n", rounds);
	assert_int_equal(got, 80 * m);
	assert_int_equal(sent5, 3);
	assert_int_equal(STAT_GET(pr.b.st, tcp_timeouts), 0);
	assert_int_equal(STAT_GET(pr.b.st, tcp_sack_recoveries), 1);
	assert_int_equal(STAT_GET(pr.b.st, tcp_sack_rxt_lost), 1);
	assert_int_equal(STAT_GET(pr.b.st, tcp_retrans_segs), 2 + STAT_GET(pr.b.st, tcp_sack_rescue));
	assert_true(rounds <= 6);
	take(&pr.b, f, MAXF);
	l4_pair_fini(&pr);
}

/* SetPipe (linear, from the highest hole down) against IsLost asked hole by hole. */
static void test_sack_pipe_many_blocks(void **state)
{
	static struct tcb t;
	struct tcp_seg seg;
	uint32_t base = 0xfff00000u;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.sack_on = true;
	t.mss = 1000;
	t.snd.size = 1u << 20;              /* room for 526 blocks */
	t.snd_una = t.high_rxt = base;
	t.snd_max = base + 1200000;
	memset(&seg, 0, sizeof(seg));
	seg.o.nsack = 1;
	/* 300 blocks of 1 to 3 segments with holes of 1 to 2 segments between them. */
	for (uint32_t i = 0, at = 1000; i < 300; i++) {
		uint32_t len = 1000 * (1 + i % 3);

		seg.o.sack[0] = (struct tcp_sack_block){ base + at, base + at + len };
		tcp_sack_update(&t, &seg, t.snd_una);
		at += len + 1000 * (1 + i % 2);
	}
	assert_int_equal(t.nsacked, 300);
	for (int pass = 0; pass < 2; pass++) {
		uint32_t ref = 0, a = t.snd_una;

		for (unsigned i = 0; i <= t.nsacked; i++) {
			uint32_t b = i < t.nsacked ? t.sacked[i].left : t.snd_max;

			if (!tcp_sack_is_lost(&t, a))
				ref += b - a;
			if (SEQ_GT(t.high_rxt, a))
				ref += (SEQ_LT(t.high_rxt, b) ? t.high_rxt : b) - a;
			if (i < t.nsacked)
				a = t.sacked[i].right;
		}
		assert_int_equal(tcp_sack_pipe(&t), ref);
		t.high_rxt = t.sacked[150].left;     /* then with half of the holes retransmitted */
	}
	tcp_sack_clear(&t);
	assert_null(t.sacked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sack_three_holes, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_sack_islost_entry, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_sack_rescue_and_rto, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test(test_sack_vs_newreno_rounds),
		cmocka_unit_test(test_sack_many_holes),
		cmocka_unit_test(test_sack_lost_retransmission),
		cmocka_unit_test(test_sack_pipe_many_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
