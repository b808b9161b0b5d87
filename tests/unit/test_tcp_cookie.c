/*
 * SYN cookies that keep window scale, SACK-permitted and timestamps
 * (l4/tcp_cookie.c: the options hidden in the SYN-ACK's TSval), and the
 * rate limit on RSTs to closed ports, with hand-built segments injected
 * into B of two hosts back to back (tests/lib/l4_pair.h).
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

/* A segment from A's address to B, with options @o (may be NULL). */
static void inject(struct l4_pair *pr, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags, const struct tcp_opts *o, const char *data)
{
	struct tcp_seg s = { .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags,
			     .wnd = 1000 };

	if (o)
		s.o = *o;
	l4_pair_inject_tcp(pr, &s, data, data ? strlen(data) : 0);
}

/* B listens on PORT with backlog 1, its one slot taken by a half-open child: every SYN gets a cookie. */
static struct usock *full_listener(struct l4_pair *pr)
{
	struct usock *l = usagi_socket(pr->b.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;

	sockaddr_make(&sin, &in6addr_any, PORT, 0);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(l, 1), 0);
	/* B learns A's link-layer address (a RST to a closed port, A answers the NS). */
	inject(pr, 29999, PORT + 1, 1, 0, TCP_F_SYN, NULL, NULL);
	l4_pair_pump(pr, 1);
	pr->a.cut = true;
	inject(pr, 30000, PORT, 5000, 0, TCP_F_SYN, NULL, NULL);
	assert_int_equal(l->tcb->nchildren, 1);
	return l;
}

static void test_cookie_keeps_options(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l, *s;
	struct tcp_opts syn = { .mss_ok = true, .mss = 1440, .ws_ok = true, .wscale = 7,
				.sack_perm = true, .ts_ok = true, .tsval = 1111 };
	struct tcp_opts ack = { .ts_ok = true, .tsval = 1112 };
	struct tcp_seg sa;
	char buf[16];

	l = full_listener(pr);
	inject(pr, 30001, PORT, 7000, 0, TCP_F_SYN, &syn, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_sent), 1);
	assert_true(l4_pair_last_tcp(pr, &sa));
	assert_int_equal(sa.flags, TCP_F_SYN | TCP_F_ACK);
	/* The SYN-ACK offers everything the SYN did: WS (our shift), SACK, TS echoing 1111. */
	assert_true(sa.o.mss_ok && sa.o.ws_ok && sa.o.sack_perm && sa.o.ts_ok);
	assert_int_equal(sa.o.mss, 1440);
	assert_int_equal(sa.o.wscale, 3);                 /* 256 KB receive buffer: 262144 >> 3 fits */
	assert_int_equal(sa.o.tsecr, 1111);
	assert_int_equal(sa.o.tsval & 0x3f, 7 | 0x10);    /* window shift 7, SACK permitted */
	/* The ACK echoes the TSval: the connection gets all three options. */
	ack.tsecr = sa.o.tsval;
	inject(pr, 30001, PORT, 7001, sa.seq + 1, TCP_F_ACK | TCP_F_PSH, &ack, "options!");
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_ok), 1);
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	assert_true(s->tcb->ts_on && s->tcb->sack_on);
	assert_int_equal(s->tcb->snd_wscale, 7);
	assert_int_equal(s->tcb->rcv_wscale, 3);
	assert_int_equal(s->tcb->snd_wnd, 1000u << 7);    /* the ACK's window, scaled */
	assert_int_equal(s->tcb->ts_recent, 1112);
	assert_int_equal(s->tcb->mss, 1440);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 8);
	/* Its segments carry timestamps that never go back from the SYN-ACK's. */
	assert_int_equal(usagi_send(s, "x", 1, 0), 1);
	assert_true(l4_pair_last_tcp(pr, &sa));
	assert_true(sa.o.ts_ok);
	assert_true((int32_t)(sa.o.tsval - ack.tsecr) >= 0);
	assert_int_equal(sa.o.tsecr, 1112);
	assert_int_equal(sa.wnd, (256 * 1024) >> 3);        /* scaled by our shift, data read */
}

static void test_cookie_without_timestamps(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l, *s;
	struct tcp_opts syn = { .mss_ok = true, .mss = 1440, .ws_ok = true, .wscale = 7,
				.sack_perm = true };
	struct tcp_opts ack = { .ts_ok = true, .tsval = 1, .tsecr = 0 };
	struct tcp_seg sa;

	l = full_listener(pr);
	inject(pr, 30002, PORT, 9000, 0, TCP_F_SYN, &syn, NULL);
	assert_true(l4_pair_last_tcp(pr, &sa));
	/* No timestamps, nowhere to keep the rest: MSS only. */
	assert_true(sa.o.mss_ok);
	assert_false(sa.o.ws_ok || sa.o.sack_perm || sa.o.ts_ok);
	inject(pr, 30002, PORT, 9001, sa.seq + 1, TCP_F_ACK, NULL, NULL);
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	assert_false(s->tcb->ts_on || s->tcb->sack_on);
	assert_int_equal(s->tcb->snd_wscale, 0);
	assert_int_equal(s->tcb->rcv_wscale, 0);
	/* A TSecr that cannot be a cookie TSval (bit 5 set, or from the future): refused, RST. */
	syn.ts_ok = true;
	syn.tsval = 50;
	inject(pr, 30003, PORT, 11000, 0, TCP_F_SYN, &syn, NULL);
	assert_true(l4_pair_last_tcp(pr, &sa));
	ack.tsecr = sa.o.tsval | 0x20;
	inject(pr, 30003, PORT, 11001, sa.seq + 1, TCP_F_ACK, &ack, NULL);
	ack.tsecr = sa.o.tsval + 100000;
	inject(pr, 30003, PORT, 11001, sa.seq + 1, TCP_F_ACK, &ack, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_syncookies_bad), 2);
	assert_true(l4_pair_last_tcp(pr, &sa));
	assert_int_equal(sa.flags, TCP_F_RST);
	assert_null(usagi_accept(l, NULL, NULL));
}

/* RSTs to closed ports: a burst of 100, then one per millisecond (token bucket), counted. */
static void test_rst_rate_limit(void **state)
{
	struct l4_pair *pr = *state;
	uint64_t sent;

	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + NS_PER_SEC);
	l4_pair_pump(pr, 0);
	pr->a.cut = true;
	/* Neighbour resolution of A first, so every RST reaches B's link queue. */
	inject(pr, 1, 9, 1, 0, TCP_F_SYN, NULL, NULL);
	l4_pair_pump(pr, 1);
	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + NS_PER_SEC);
	sent = STAT_GET(pr->b.st, tcp_rst_out);
	for (unsigned i = 0; i < 300; i++)
		inject(pr, (uint16_t)(2000 + i), 9, i, 0, TCP_F_SYN, NULL, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out) - sent, 100);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_limited), 200);
	assert_int_equal(STAT_GET(pr->b.st, tcp_no_port), 301);
	/* 10 ms later: 10 more tokens. */
	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + 10 * NS_PER_MS);
	for (unsigned i = 0; i < 20; i++)
		inject(pr, (uint16_t)(3000 + i), 9, i, 0, TCP_F_SYN, NULL, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out) - sent, 110);
	/* A RST to a closed port is never answered and costs no token. */
	usagi_stack_advance(pr->b.st, usagi_stack_now(pr->b.st) + NS_PER_SEC);
	inject(pr, 4000, 9, 1, 0, TCP_F_RST, NULL, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out) - sent, 110);
	/* cost 0: unlimited. */
	pr->b.st->sk.tcp->rst_cost_ms = 0;
	for (unsigned i = 0; i < 300; i++)
		inject(pr, (uint16_t)(5000 + i), 9, i, 0, TCP_F_SYN, NULL, NULL);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_out) - sent, 410);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cookie_keeps_options, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_cookie_without_timestamps, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_rst_rate_limit, l4_pair_setup, l4_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
