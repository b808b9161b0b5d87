/*
 * TCP state machine (l4/tcp*.c) between two hosts back to back
 * (tests/lib/l4_pair.h, A = 2001:db8::1, B = 2001:db8::2), and hand-built
 * segments injected into B whose answers are read from B's link queue.
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
#include "link/ether.h"
#include <netinet/tcp.h>
#include <math.h>

#define PORT 5001

/* Moves both clocks by exactly @ms, then delivers what that caused without more time passing. */
static void tick(struct l4_pair *pr, unsigned ms)
{
	uint64_t now = usagi_stack_now(pr->a.st) + (uint64_t)ms * NS_PER_MS;

	usagi_stack_advance(pr->a.st, now);
	usagi_stack_advance(pr->b.st, now);
	l4_pair_pump(pr, 0);
}

static struct usock *connect_to(struct l4_pair *pr, uint16_t port)
{
	struct usock *c = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;

	assert_non_null(c);
	sockaddr_make(&sin, &pr->addr_b, port, 0);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	return c;
}

/* Handshake A -> B; returns the client and (via @srv) the accepted socket. */
static struct usock *establish(struct l4_pair *pr, struct usock **srv)
{
	struct usock *l = l4_pair_tcp_listen(pr, PORT, 8);
	struct usock *c = connect_to(pr, PORT);

	assert_int_equal(c->tcb->state, TCPS_SYN_SENT);
	l4_pair_pump(pr, 1);
	assert_int_equal(c->tcb->state, TCPS_ESTABLISHED);
	assert_true(usagi_sock_events(c) & USAGI_EV_OUT);
	assert_true(usagi_sock_events(l) & USAGI_EV_IN);
	*srv = usagi_accept(l, NULL, NULL);
	assert_non_null(*srv);
	assert_int_equal((*srv)->tcb->state, TCPS_ESTABLISHED);
	assert_null(usagi_accept(l, NULL, NULL));
	assert_int_equal(errno, EAGAIN);
	/* Options negotiated both ways (RFC 7323, RFC 2018), MSS from the 1500-byte link. */
	assert_true(c->tcb->ts_on && c->tcb->sack_on && (*srv)->tcb->ts_on);
	assert_int_equal(c->tcb->mss, 1500 - 60);
	assert_int_equal(c->tcb->snd_wscale, (*srv)->tcb->rcv_wscale);
	return c;
}

static void test_handshake_data_close(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	char buf[64];
	struct sockaddr_in6 peer;
	socklen_t plen = sizeof(peer);

	assert_int_equal(usagi_send(c, "ping", 4, 0), 4);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(usagi_send(s, "pong!", 5, 0), 5);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), 5);
	assert_int_equal(usagi_getpeername(c, (struct sockaddr *)&peer, &plen), 0);
	assert_int_equal(ntohs(peer.sin6_port), PORT);
	/* Client closes first: FIN-WAIT-1 -> FIN-WAIT-2, server CLOSE-WAIT, recv 0. */
	struct tcb *ct = c->tcb;
	assert_int_equal(usagi_shutdown(c, SHUT_WR), 0);
	assert_int_equal(usagi_send(c, "x", 1, 0), -EPIPE);
	l4_pair_pump(pr, 1);
	assert_int_equal(ct->state, TCPS_FIN_WAIT_2);
	assert_int_equal(s->tcb->state, TCPS_CLOSE_WAIT);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 0);
	usagi_close(s);
	l4_pair_pump(pr, 1);
	assert_int_equal(ct->state, TCPS_TIME_WAIT);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), 0);
	/* TIME-WAIT lasts 2 MSL (60 s by default). */
	tick(pr, 59000);
	assert_int_equal(ct->state, TCPS_TIME_WAIT);
	tick(pr, 2000);
	assert_int_equal(STAT_GET(pr->a.st, tcp_tw_expired), 1);
	usagi_close(c);
}

static void test_server_closes_first(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	struct tcb *st;
	char buf[8];

	pr->b.st->sk.tcp->msl_ns = NS_PER_SEC;
	st = s->tcb;
	usagi_close(s);     /* orphaned: FIN and TIME-WAIT go on without the socket */
	l4_pair_pump(pr, 1);
	assert_int_equal(c->tcb->state, TCPS_CLOSE_WAIT);
	assert_int_equal(st->state, TCPS_FIN_WAIT_2);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), 0);
	usagi_close(c);
	l4_pair_pump(pr, 1);
	assert_int_equal(st->state, TCPS_TIME_WAIT);
	l4_pair_pump(pr, 2100);
	assert_int_equal(STAT_GET(pr->b.st, tcp_tw_expired), 1);
}

static void test_simultaneous_close(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);

	assert_int_equal(usagi_shutdown(c, SHUT_WR), 0);
	assert_int_equal(usagi_shutdown(s, SHUT_WR), 0);
	l4_pair_pump(pr, 1);
	assert_int_equal(c->tcb->state, TCPS_TIME_WAIT);
	assert_int_equal(s->tcb->state, TCPS_TIME_WAIT);
	assert_true(usagi_sock_events(c) & USAGI_EV_HUP);
}

static void test_simultaneous_open(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *a = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);
	struct usock *b = usagi_socket(pr->b.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa, sb;

	sockaddr_make(&sa, &pr->addr_a, 7000, 0);
	sockaddr_make(&sb, &pr->addr_b, 7001, 0);
	assert_int_equal(usagi_bind(a, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(usagi_bind(b, (struct sockaddr *)&sb, sizeof(sb)), 0);
	/* Both SYNs are in flight before either arrives (RFC 9293 3.5 figure 7). */
	assert_int_equal(usagi_connect(a, (struct sockaddr *)&sb, sizeof(sb)), -EINPROGRESS);
	assert_int_equal(usagi_connect(b, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	l4_pair_pump(pr, 1);
	assert_int_equal(a->tcb->state, TCPS_ESTABLISHED);
	assert_int_equal(b->tcb->state, TCPS_ESTABLISHED);
	assert_int_equal(usagi_send(a, "hi", 2, 0), 2);
	l4_pair_pump(pr, 1);
	char buf[4];
	assert_int_equal(usagi_recv(b, buf, 4, 0), 2);
}

static void test_refused(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *c = connect_to(pr, 9);   /* no listener: RFC 9293 3.10.7.1 RST */

	l4_pair_pump(pr, 1);
	assert_int_equal(STAT_GET(pr->b.st, tcp_no_port), 1);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out), 1);
	assert_true(usagi_sock_events(c) & USAGI_EV_ERR);
	assert_int_equal(usagi_sock_error(c), -ECONNREFUSED);
	assert_int_equal(usagi_send(c, "x", 1, 0), -EPIPE);
}

/* Sends a segment from A's address/port to B as if it came off the wire. */
static void inject(struct l4_pair *pr, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags, const char *data)
{
	struct tcp_seg s = { .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags,
			     .wnd = 65535 };

	l4_pair_inject_tcp(pr, &s, data, data ? strlen(data) : 0);
}

/* Flags of the last TCP segment B queued (0 if none), with its seq/ack. */
static int last_out(struct l4_pair *pr, uint32_t *seq, uint32_t *ack)
{
	struct pkt *p = pr->b.q_tail;
	const uint8_t *t;

	if (!p || p->len < 14 + 40 + 20 || p->data[14 + 6] != NH_TCP)
		return 0;
	t = p->data + 14 + 40;
	*seq = get_be32(t + 4);
	*ack = get_be32(t + 8);
	return t[13];
}

static void test_rst_rfc5961(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	struct tcb *t = s->tcb;
	uint32_t seq, ack;
	uint16_t cport = c->tcb->lport;

	pr->a.cut = true;      /* A's own answers stay out of the way */
	/* In window but not exact: challenge ACK (RFC 5961 3.2), connection stays. */
	inject(pr, cport, PORT, t->rcv_nxt + 100, 0, TCP_F_RST, NULL);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	assert_int_equal(STAT_GET(pr->b.st, tcp_challenge_ack), 1);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_ACK);
	assert_int_equal(ack, t->rcv_nxt);
	/* Out of window: silently ignored. */
	inject(pr, cport, PORT, t->rcv_nxt + 0x40000000u, 0, TCP_F_RST, NULL);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	assert_int_equal(STAT_GET(pr->b.st, tcp_challenge_ack), 1);
	/* SYN in a synchronized state: challenge ACK (RFC 5961 4.2). */
	inject(pr, cport, PORT, 12345, 0, TCP_F_SYN, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syn_in_sync), 1);
	assert_int_equal(STAT_GET(pr->b.st, tcp_challenge_ack), 2);
	/* ACK of data never sent (RFC 5961 5.2): challenge ACK, data not taken. */
	inject(pr, cport, PORT, t->rcv_nxt, t->snd_nxt + 5000, TCP_F_ACK, "evil");
	assert_int_equal(STAT_GET(pr->b.st, tcp_ack_bad), 1);
	assert_int_equal(t->rcv.len, 0);
	/* Data with an old sequence number: just an ACK, nothing queued. */
	inject(pr, cport, PORT, t->rcv_nxt - 1000, t->snd_nxt, TCP_F_ACK, "old");
	assert_int_equal(t->rcv.len, 0);
	assert_int_equal(STAT_GET(pr->b.st, tcp_unacceptable), 2);   /* with the out-of-window RST */
	/* Exactly RCV.NXT: reset, the owner hears ECONNRESET. */
	inject(pr, cport, PORT, t->rcv_nxt, 0, TCP_F_RST, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_in), 1);
	assert_int_equal(usagi_recv(s, &seq, 1, 0), -ECONNRESET);
	/* Now nothing matches: a segment with ACK gets RST <SEQ=SEG.ACK>. */
	inject(pr, cport, PORT, 1, 777, TCP_F_ACK, NULL);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_RST);
	assert_int_equal(seq, 777);
	/* ...one without ACK gets RST,ACK <ACK=SEG.SEQ+SEG.LEN>; a RST gets nothing. */
	inject(pr, 4444, PORT + 1, 1000, 0, TCP_F_SYN, NULL);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_RST | TCP_F_ACK);
	assert_int_equal(ack, 1001);
	unsigned rsts = (unsigned)STAT_GET(pr->b.st, tcp_rst_out);
	inject(pr, 4444, PORT + 1, 1000, 0, TCP_F_RST, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out), rsts);
}

/* RFC 9293 3.10.7.4: a retransmitted FIN in TIME-WAIT is ACKed and restarts the 2 MSL timer. */
static void test_time_wait_fin_restarts(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	struct tcb *t = s->tcb;
	uint16_t cport = c->tcb->lport;
	uint32_t seq, ack, rnxt, snxt;

	usagi_close(s);     /* B closes first and ends in TIME-WAIT (2 MSL = 60 s) */
	l4_pair_pump(pr, 1);
	usagi_close(c);
	l4_pair_pump(pr, 1);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	rnxt = t->rcv_nxt;
	snxt = t->snd_nxt;
	pr->a.cut = true;
	tick(pr, 50000);
	assert_int_equal(STAT_GET(pr->b.st, tcp_tw_expired), 0);
	inject(pr, cport, PORT, rnxt - 1, snxt, TCP_F_FIN | TCP_F_ACK, NULL);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_ACK);
	assert_int_equal(ack, rnxt);
	tick(pr, 59000);    /* 109 s: would have expired at 60 s without the restart */
	assert_int_equal(STAT_GET(pr->b.st, tcp_tw_expired), 0);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	tick(pr, 2000);     /* 111 s */
	assert_int_equal(STAT_GET(pr->b.st, tcp_tw_expired), 1);
}

/*
 * Receiver SWS avoidance (RFC 1122 4.2.3.3, as Linux): a read that moves
 * the right edge by more than an MSS sends no pure window update while the
 * window offered is still above half of the buffer.
 */
static void test_no_window_update_half_open(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	static char buf[8192];
	uint64_t out;

	assert_int_equal(usagi_send(c, "x", 1, 0), 1);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 1);
	l4_pair_pump(pr, 100);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(usagi_send(c, buf, 6000, 0), 6000);
	l4_pair_pump(pr, 100);   /* delivered and ACKed (at once or by the delayed-ACK timer) */
	out = STAT_GET(pr->b.st, tcp_out_segs);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 6000);
	assert_int_equal(STAT_GET(pr->b.st, tcp_out_segs), out);
}

static void test_retransmission_timing(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	struct tcb *t = c->tcb;
	uint64_t sent;   /* TCP segments only: ND may send too */

	/* RFC 6298: the RTO after a tiny RTT sits at its floor (200 ms here). */
	assert_int_equal(t->rto, 200 * NS_PER_MS);
	pr->a.cut = true;
	assert_int_equal(usagi_send(c, "lost", 4, 0), 4);
	sent = STAT_GET(pr->a.st, tcp_out_segs);
	tick(pr, 199);
	assert_int_equal(STAT_GET(pr->a.st, tcp_out_segs), sent);
	tick(pr, 2);                         /* 201 ms: first retransmission */
	assert_int_equal(STAT_GET(pr->a.st, tcp_out_segs), sent + 1);
	tick(pr, 398);                       /* backed off: 400 ms later */
	assert_int_equal(STAT_GET(pr->a.st, tcp_out_segs), sent + 1);
	tick(pr, 2);
	assert_int_equal(STAT_GET(pr->a.st, tcp_out_segs), sent + 2);
	assert_int_equal(STAT_GET(pr->a.st, tcp_timeouts), 2);
	assert_true(t->cwnd == t->mss);
	pr->a.cut = false;
	l4_pair_pump(pr, 1000);
	char buf[8];
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 4);
	assert_int_equal(t->backoff, 0);
}

static void test_out_of_order(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	static char data[3 * 1428], got[sizeof(data)];   /* three full segments: MSS 1440 less 12 for timestamps */
	int one = 1;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	assert_int_equal(usagi_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(usagi_send(c, data, sizeof(data), 0), sizeof(data));
	/* Reverse A's queue: the three segments arrive last first. */
	struct pkt *p = pr->a.q_head, *rev = NULL, *tail = p;
	while (p) {
		struct pkt *n = p->next;
		p->next = rev;
		rev = p;
		p = n;
	}
	pr->a.q_head = rev;
	pr->a.q_tail = tail;
	l4_pair_pump(pr, 1);
	assert_int_equal(STAT_GET(pr->b.st, tcp_ooo), 2);
	assert_int_equal(usagi_recv(s, got, sizeof(got), 0), sizeof(got));
	assert_memory_equal(got, data, sizeof(data));
}

static void test_zero_window(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l = l4_pair_tcp_listen(pr, PORT, 8);
	int small = 4096;
	static char data[20000], got[sizeof(data)];
	size_t sent = 0, rcvd = 0;

	assert_int_equal(usagi_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct usock *c = connect_to(pr, PORT);
	l4_pair_pump(pr, 1);
	struct usock *s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 13 + 1);
	sent = (size_t)usagi_send(c, data, sizeof(data), 0);
	assert_int_equal(sent, sizeof(data));
	l4_pair_pump(pr, 1);
	tick(pr, 100);                            /* B's delayed ACK closes the window */
	tick(pr, 100);
	assert_int_equal(c->tcb->snd_wnd, 0);     /* B's 4 KB are full */
	l4_pair_pump(pr, 3000);                   /* persist timer probes the window */
	assert_true(STAT_GET(pr->a.st, tcp_zwp) >= 2);
	assert_int_equal(STAT_GET(pr->a.st, tcp_timeouts), 0);
	for (int i = 0; i < 100 && rcvd < sizeof(data); i++) {
		ssize_t n = usagi_recv(s, got + rcvd, sizeof(got) - rcvd, 0);
		if (n > 0)
			rcvd += (size_t)n;
		l4_pair_pump(pr, 1);
	}
	assert_int_equal(rcvd, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
}

static void test_echo_service(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *c;
	char buf[32];

	assert_int_equal(service_tcp_echo(pr->b.st, 7), 0);
	c = connect_to(pr, 7);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_send(c, "echo me", 7, 0), 7);
	l4_pair_pump(pr, 50);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "echo me", 7);
	usagi_shutdown(c, SHUT_WR);
	l4_pair_pump(pr, 50);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), 0);   /* the service closed too */
}

/* `service show` of @st as one string (caller frees). */
static char *show(struct stack *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	service_show(st, f);
	fclose(f);
	return buf;
}

/*
 * `service show`: the UDP lines first and unchanged, then a line per TCP
 * service (listening state, connections accepted and open, octets in and
 * out), a line per open connection (peer, state, octets, cwnd, srtt), and
 * a line per tcp-send, running or finished.
 */
static void test_service_show(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *c;
	struct tcb *t;
	char buf[32], want[1024], *got;
	struct dlist *pos, *tmp;

	assert_int_equal(service_udp_sink(pr->b.st, 5000), 0);
	assert_int_equal(service_tcp_echo(pr->b.st, 7), 0);
	assert_int_equal(service_tcp_discard(pr->b.st, 9), 0);
	got = show(pr->b.st);
	assert_string_equal(got, "udp-sink port 5000 received 0 lost 0 late 0 bad 0 max-silence 0ms avg-delay 0us\n"
			    "tcp-echo port 7 LISTEN accepted 0 active 0 queued 0 in 0 out 0\n"
			    "tcp-discard port 9 LISTEN accepted 0 active 0 queued 0 in 0 out 0\n");
	free(got);
	c = connect_to(pr, 7);
	assert_int_equal(service_tcp_send(pr->a.st, &pr->addr_b, 9, 3000), 0);
	got = show(pr->a.st);
	assert_string_equal(got, "tcp-send to [2001:db8::2]:9 SYN-SENT sent 0 of 3000 cwnd 0\n");
	free(got);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_send(c, "echo me", 7, 0), 7);
	l4_pair_pump(pr, 50);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), 7);
	/* B's end of the echo connection: the only tcb of B whose peer port is c's. */
	t = NULL;
	dlist_for_each_safe(pos, tmp, &pr->b.st->sk.tcp->all) {
		struct tcb *x = dlist_entry(pos, struct tcb, all);

		if (x->fport == c->tcb->lport && x->lport == 7)
			t = x;
	}
	assert_non_null(t);
	assert_true(t->srtt > 0 && t->cwnd > 0);
	snprintf(want, sizeof(want),
		 "udp-sink port 5000 received 0 lost 0 late 0 bad 0 max-silence 0ms avg-delay 0us\n"
		 "tcp-echo port 7 LISTEN accepted 1 active 1 queued 0 in 7 out 7\n"
		 "tcp-echo port 7 peer [2001:db8::1]:%u ESTABLISHED in 7 out 7 cwnd %u srtt %lluus\n"
		 "tcp-discard port 9 LISTEN accepted 1 active 0 queued 0 in 3000 out 0\n",
		 c->tcb->lport, t->cwnd, (unsigned long long)(t->srtt / 1000));
	got = show(pr->b.st);
	assert_string_equal(got, want);
	free(got);
	got = show(pr->a.st);
	assert_non_null(strstr(got, "tcp-send to [2001:db8::2]:9 done sent 3000 of 3000 in "));
	free(got);
	/* A tcp-send to a closed port: refused, and shown so. */
	assert_int_equal(service_tcp_send(pr->a.st, &pr->addr_b, 10, 100), 0);
	l4_pair_pump(pr, 10);
	got = show(pr->a.st);
	assert_non_null(strstr(got, "tcp-send to [2001:db8::2]:10 failed sent 0 of 100 error Connection refused\n"));
	free(got);
}

/*
 * B answers the last frame A queued with an ICMPv6 error (RFC 4443) through
 * A's whole input path: @type/@code, @info (the MTU of a Packet Too Big).
 */
static void icmp6_to_a(struct l4_pair *pr, uint8_t type, uint8_t code, uint32_t info)
{
	struct pkt *last = pr->a.q_tail, *p;
	size_t qlen = MIN((size_t)last->len - ETH_HLEN, (size_t)1232 - 48);
	uint8_t *d;

	p = pkt_alloc(pr->a.st->pool, PKT_HEADROOM, ETH_HLEN + 48 + qlen);
	d = pkt_put(p, ETH_HLEN + 48 + qlen);
	memcpy(d, pr->a.dev->mac, 6);
	memcpy(d + 6, pr->b.dev->mac, 6);
	put_be16(d + 12, ETH_P_IPV6);
	memset(d + 14, 0, 48);
	d[14] = 0x60;
	put_be16(d + 14 + 4, (uint16_t)(8 + qlen));
	d[14 + 6] = NH_ICMPV6;
	d[14 + 7] = 64;
	memcpy(d + 14 + 8, &pr->addr_b, 16);
	memcpy(d + 14 + 24, &pr->addr_a, 16);
	d[54] = type;
	d[55] = code;
	put_be32(d + 58, info);
	memcpy(d + 62, last->data + ETH_HLEN, qlen);
	put_be16(d + 56, csum_ipv6(&pr->addr_b, &pr->addr_a, NH_ICMPV6, d + 54, 8 + qlen));
	netdev_rx(pr->a.dev, p);
}

static void test_icmp_ptb_lowers_mss(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	static char data[8000], got[sizeof(data)];
	size_t rcvd = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i ^ (i >> 8));
	assert_int_equal(usagi_send(c, data, sizeof(data), 0), sizeof(data));
	assert_int_equal(c->tcb->mss, 1440);
	/* The path beyond B has an MTU of 1280: the segments in flight must shrink. */
	icmp6_to_a(pr, ICMP6_PACKET_TOO_BIG, 0, 1280);
	assert_int_equal(STAT_GET(pr->a.st, tcp_icmp_err), 1);
	assert_int_equal(c->tcb->mss, 1280 - 60);
	for (int i = 0; i < 10; i++)
		tick(pr, 50);                /* delayed ACKs, Nagle's last small segment */
	while (rcvd < sizeof(data)) {
		ssize_t n = usagi_recv(s, got + rcvd, sizeof(got) - rcvd, 0);

		assert_true(n > 0);
		rcvd += (size_t)n;
	}
	assert_memory_equal(got, data, sizeof(data));
	/* An error quoting a sequence number outside the flight (all is acked now) is ignored (RFC 5927 4.1). */
	assert_int_equal(c->tcb->snd_una, c->tcb->snd_max);
	usagi_send(s, "y", 1, 0);
	l4_pair_pump(pr, 1);
	/* A's delayed ACK of "y", still queued at A, is the frame quoted. */
	usagi_stack_advance(pr->a.st, usagi_stack_now(pr->a.st) + 50 * NS_PER_MS);
	assert_non_null(pr->a.q_tail);
	icmp6_to_a(pr, ICMP6_PACKET_TOO_BIG, 0, 1280);
	assert_int_equal(STAT_GET(pr->a.st, tcp_icmp_err), 1);
	assert_int_equal(STAT_GET(pr->a.st, tcp_icmp_nosock), 1);
}

static void test_icmp_unreach_in_syn_sent(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *c;

	/* A first learns B's link-layer address (a refused connection), so the SYN leaves at once. */
	c = connect_to(pr, 9);
	l4_pair_pump(pr, 1);
	usagi_close(c);
	c = connect_to(pr, 5555);
	/* Hold the SYN at A, answer it with "port unreachable" instead of delivering it. */
	icmp6_to_a(pr, ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0);
	assert_int_equal(usagi_sock_error(c), -ECONNREFUSED);
	assert_int_equal(c->tcb->state, TCPS_CLOSED);
}

static void test_keepalive(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	struct tcp_state *ts = pr->a.st->sk.tcp;
	int one = 1;

	ts->keepidle_ns = 10 * NS_PER_SEC;
	ts->keepintvl_ns = NS_PER_SEC;
	ts->keepcnt = 3;
	assert_int_equal(usagi_setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	/* A live peer answers every probe: the connection stays. */
	tick(pr, 10001);
	assert_int_equal(STAT_GET(pr->a.st, tcp_keepalive), 1);
	tick(pr, 10001);
	assert_int_equal(STAT_GET(pr->a.st, tcp_keepalive), 2);
	assert_int_equal(c->tcb->state, TCPS_ESTABLISHED);
	/* The peer vanishes: idle time, then keepcnt probes a second apart, then ETIMEDOUT. */
	pr->a.cut = true;
	tick(pr, 10001);
	for (int i = 0; i < 3; i++)
		tick(pr, 1000);
	assert_int_equal(STAT_GET(pr->a.st, tcp_keepalive), 5);
	assert_int_equal(STAT_GET(pr->a.st, tcp_aborted_timeout), 1);
	assert_int_equal(usagi_sock_error(c), -ETIMEDOUT);
	assert_true(usagi_sock_events(c) & USAGI_EV_HUP);
}

/* Window field of the last segment B queued. */
static uint16_t last_wnd(struct l4_pair *pr)
{
	return get_be16(pr->b.q_tail->data + 14 + 40 + 14);
}

static void test_syn_cookies(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l = usagi_socket(pr->b.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;
	uint32_t seq, ack = 0, cookie = 0;
	char buf[16];

	struct usock *s0, *c0 = establish(pr, &s0);   /* B learns A's link-layer address */

	(void)c0;
	pr->a.cut = true;
	sockaddr_make(&sin, &in6addr_any, PORT + 10, 0);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(l, 2), 0);
	/* A flood of 1000 SYNs from different ports: two half-open children, the rest cookies. */
	for (unsigned i = 0; i < 1000; i++)
		inject(pr, (uint16_t)(20000 + i), PORT + 10, 1000 * i, 0, TCP_F_SYN, NULL);
	assert_int_equal(l->tcb->nchildren, 2);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_sent), 998);
	assert_int_equal(last_out(pr, &cookie, &ack), TCP_F_SYN | TCP_F_ACK);
	assert_int_equal(ack, 1000 * 999 + 1);
	assert_int_equal(last_wnd(pr), 0xffff);
	/* The last flooder completes its handshake (with data): the connection exists at once. */
	inject(pr, 20999, PORT + 10, 1000 * 999 + 1, cookie + 1, TCP_F_ACK | TCP_F_PSH, "cookie!");
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_ok), 1);
	struct usock *s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(s->tcb->state, TCPS_ESTABLISHED);
	assert_int_equal(s->tcb->fport, 20999);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "cookie!", 7);
	/* A forged ACK (wrong cookie, or another peer's) is answered with RST, no state. */
	inject(pr, 20998, PORT + 10, 1000 * 998 + 1, cookie + 1, TCP_F_ACK, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_bad), 1);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_RST);
	assert_int_equal(STAT_GET(pr->b.st, tcp_listen_ack), 1);
	/* A cookie is good for two 64 s periods, not more (a fresh cookie keeps checking on). */
	tick(pr, 130000);
	inject(pr, 20997, PORT + 10, 1000 * 997, 0, TCP_F_SYN, NULL);
	assert_int_equal(last_out(pr, &cookie, &ack), TCP_F_SYN | TCP_F_ACK);
	tick(pr, 129000);
	inject(pr, 20996, PORT + 10, 1000 * 996, 0, TCP_F_SYN, NULL);
	inject(pr, 20997, PORT + 10, 1000 * 997 + 1, cookie + 1, TCP_F_ACK, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_bad), 2);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_RST);
	/* 129 s after the last cookie none can be valid: an ACK is just an ACK to a listener. */
	tick(pr, 129000);
	inject(pr, 20996, PORT + 10, 1000 * 996 + 1, 12345, TCP_F_ACK, NULL);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_RST);
	assert_int_equal(seq, 12345);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_bad), 2);
	assert_int_equal(STAT_GET(pr->b.st, tcp_listen_ack), 3);
}

/*
 * RFC 9293 3.10.7.2, segments to a listener, each under its own counter: a RST
 * is ignored, an ACK answered by <SEQ=SEG.ACK><CTL=RST>, data without SYN or
 * ACK dropped; without cookies sent lately, no ACK is a cookie failure.
 */
static void test_listen_counters(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c = establish(pr, &s);
	uint32_t seq, ack;
	uint64_t rst_out;

	(void)c;
	(void)s;
	pr->a.cut = true;
	rst_out = STAT_GET(pr->b.st, tcp_rst_out);
	inject(pr, 30000, PORT, 5000, 7000, TCP_F_RST | TCP_F_ACK, NULL);
	inject(pr, 30000, PORT, 5000, 0, TCP_F_RST, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_listen_rst), 2);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out), rst_out);
	inject(pr, 30001, PORT, 5000, 7000, TCP_F_ACK | TCP_F_PSH, "stale");
	assert_int_equal(STAT_GET(pr->b.st, tcp_listen_ack), 1);
	assert_int_equal(last_out(pr, &seq, &ack), TCP_F_RST);
	assert_int_equal(seq, 7000);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out), rst_out + 1);
	inject(pr, 30002, PORT, 5000, 0, TCP_F_PSH, "no syn");
	inject(pr, 30002, PORT, 5000, 0, TCP_F_FIN, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_listen_nosyn), 2);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out), rst_out + 1);
	/* Cookies on, but this listener never sent one: no cookie was checked. */
	assert_true(pr->b.st->sk.tcp->syncookies);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_bad), 0);
	assert_int_equal(STAT_GET(pr->b.st, tcp_no_port), 0);
}

/* RFC 9438: the cubic function, the reduction and regrowth of one connection's window. */
static void test_cubic(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s, *c;
	struct tcb *t;
	double k = cbrt((100.0 - 70.0) / 0.4);

	(void)s;
	/* 4.2: W_cubic(0) is the window after the reduction, W_cubic(K) = W_max, symmetric around K. */
	assert_true(fabs(tcp_cubic_w(100, k, 0) - 70) < 1e-9);
	assert_true(fabs(tcp_cubic_w(100, k, k) - 100) < 1e-9);
	assert_true(fabs((tcp_cubic_w(100, k, k + 1) - 100) + (tcp_cubic_w(100, k, k - 1) - 100)) < 1e-9);
	assert_int_equal(usagi_setsockopt(connect_to(pr, 1), IPPROTO_TCP, TCP_CONGESTION, "cubic", 5),
			 -EISCONN);
	c = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(usagi_setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5), -ENOENT);
	assert_int_equal(usagi_setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5), 0);
	usagi_close(c);
	c = establish(pr, &s);
	t = c->tcb;
	t->cc = &tcp_cubic;
	t->cc->init(t);
	t->srtt = 100 * NS_PER_MS;   /* long enough for the cubic region to lead Reno's estimate */
	/* A loss at 100 segments: ssthresh and cwnd to 70 (beta 0.7). */
	t->cwnd = 100u * t->mss;
	t->snd_max = t->snd_una + t->cwnd;
	t->ssthresh = t->cc->ssthresh(t);
	assert_int_equal(t->ssthresh, 70u * t->mss);
	t->cwnd = t->ssthresh;
	/* ACKs of a window every RTT (100 ms): the window is back near W_max after K (4.2 s), and beyond later. */
	uint64_t t0 = pr->a.st->now;
	while (pr->a.st->now - t0 < (uint64_t)(k * 1e9) - 100 * NS_PER_MS) {
		usagi_stack_advance(pr->a.st, pr->a.st->now + 100 * NS_PER_MS);
		t->cc->cong_avoid(t, t->cwnd);
	}
	assert_true(t->cwnd / t->mss >= 97 && t->cwnd / t->mss <= 101);
	for (int i = 0; i < 40; i++) {   /* 4 s past K: W_cubic = 0.4 * 4^3 + 100 = 125.6 */
		usagi_stack_advance(pr->a.st, pr->a.st->now + 100 * NS_PER_MS);
		t->cc->cong_avoid(t, t->cwnd);
	}
	assert_true(t->cwnd / t->mss > 115 && t->cwnd / t->mss < 130);
	/* A second loss below the last W_max: fast convergence (4.7) lowers W_max. */
	t->cwnd = 90u * t->mss;
	t->ssthresh = t->cc->ssthresh(t);
	assert_int_equal(t->ssthresh, 63u * t->mss);
}

/* The SACK scoreboard (tcp_sack.c) against hand-worked cases, across the sequence wrap. */
static void test_sack_board(void **state)
{
	static struct tcb t;
	struct tcp_seg seg;
	uint32_t base = 0xfffff000u, seq, len;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.sack_on = true;
	t.snd_una = t.high_rxt = base;   /* as recovery starts */
	t.snd_max = base + 100000;
	memset(&seg, 0, sizeof(seg));
	seg.o.nsack = 3;
	seg.o.sack[0] = (struct tcp_sack_block){ base + 3000, base + 4000 };
	seg.o.sack[1] = (struct tcp_sack_block){ base + 1000, base + 2000 };
	seg.o.sack[2] = (struct tcp_sack_block){ base + 200000, base + 200100 };  /* never sent: ignored */
	tcp_sack_update(&t, &seg, t.snd_una);
	assert_int_equal(t.nsacked, 2);
	assert_int_equal(t.sacked[0].left, base + 1000);
	/* Holes: [una, 1000), then [2000, 3000) once HighRxt passed the first. */
	assert_true(tcp_sack_next_hole(&t, &seq, &len, 1400));
	assert_int_equal(seq, base);
	assert_int_equal(len, 1000);
	t.high_rxt = base + 1000;
	assert_true(tcp_sack_next_hole(&t, &seq, &len, 500));
	assert_int_equal(seq, base + 2000);
	assert_int_equal(len, 500);
	t.high_rxt = base + 3000;
	assert_false(tcp_sack_next_hole(&t, &seq, &len, 500));   /* nothing SACKed above 4000 */
	/* A block bridging the two merges them; an ACK past the first prunes it. */
	seg.o.nsack = 1;
	seg.o.sack[0] = (struct tcp_sack_block){ base + 1500, base + 3500 };
	tcp_sack_update(&t, &seg, base + 1200);
	assert_int_equal(t.nsacked, 1);
	assert_int_equal(t.sacked[0].left, base + 1200);
	assert_int_equal(t.sacked[0].right, base + 4000);
	/* A full board keeps its lowest blocks. */
	seg.o.nsack = 1;
	for (unsigned i = 0; i < TCP_SACK_BOARD + 4; i++) {
		seg.o.sack[0] = (struct tcp_sack_block){ base + 10000 + 600 * i, base + 10500 + 600 * i };
		tcp_sack_update(&t, &seg, base + 1200);
	}
	assert_int_equal(t.nsacked, TCP_SACK_BOARD);
	assert_int_equal(t.sacked[1].left, base + 10000);
	tcp_sack_clear(&t);
	assert_int_equal(t.nsacked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_data_close, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_server_closes_first, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_close, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_refused, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_rst_rfc5961, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_fin_restarts, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_no_window_update_half_open, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_timing, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_zero_window, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_echo_service, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_service_show, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_ptb_lowers_mss, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_unreach_in_syn_sent, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_syn_cookies, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_listen_counters, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_cubic, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test(test_sack_board),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
