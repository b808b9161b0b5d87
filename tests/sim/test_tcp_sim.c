/*
 * TCP over simulated links: bulk transfers between two usagi hosts that
 * must arrive intact through loss, reordering, duplication and a
 * 1280-byte MTU, over IPv6 and IPv4. Each test prints the transfer time
 * and the goodput in simulated time. On a rate-limited clean link the
 * goodput must reach 90 % of the link rate (issue 8: "a 100 MB transfer
 * arrives intact at close to the link rate"); at 1 Gbit/s slow start
 * takes about a tenth of the transfer, so there the 90 % is asserted for
 * what follows the first tenth. The whole file takes about 15 s of wall
 * time in a Debug build.
 *
 * Debugging: TCP_SIM_FILTER=PATTERN runs only the tests matching it;
 * TCP_SIM_TRACE=1 prints the sender's congestion state every simulated ms;
 * TCP_SIM_IW=N sets the sender's initial window (sysctl
 * net.ipv4.tcp_initial_window) in every test.
 *
 *   A (2001:db8::1, 192.0.2.1) ---- lan (rough) ---- B (2001:db8::2, 192.0.2.2)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "simhost.h"
#include "l4/sock.h"
#include "l4/tcp.h"
#include <netinet/tcp.h>

/* Byte @i of the stream: not periodic in any segment size. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 2654435761u >> 13 ^ i >> 20);
}

struct xfer {
	uint64_t total, sent, rcvd;
	bool bad;
	struct usock *rx;
	struct sim_world *w;
	uint64_t tenth_ns;    /* world time when a tenth of the stream was read */
	uint64_t done_ns;     /* world time when the last byte was read */
};

static void sender_ready(struct usock *s, void *ctx)
{
	struct xfer *x = ctx;
	uint8_t buf[8192];

	while (x->sent < x->total) {
		size_t n = (size_t)MIN((uint64_t)sizeof(buf), x->total - x->sent);
		ssize_t k;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(x->sent + i);
		k = usagi_send(s, buf, n, 0);
		if (k <= 0)
			return;
		x->sent += (uint64_t)k;
	}
	usagi_shutdown(s, SHUT_WR);
}

static void receiver_ready(struct usock *s, void *ctx)
{
	struct xfer *x = ctx;
	uint8_t buf[16384];
	ssize_t n;

	while ((n = usagi_recv(s, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(x->rcvd + (uint64_t)i))
				x->bad = true;
		if (x->rcvd < x->total / 10 && x->rcvd + (uint64_t)n >= x->total / 10)
			x->tenth_ns = sim_world_now(x->w);
		x->rcvd += (uint64_t)n;
		if (x->rcvd == x->total)
			x->done_ns = sim_world_now(x->w);
	}
}

static void listener_ready(struct usock *l, void *ctx)
{
	struct xfer *x = ctx;
	struct usock *c = usagi_accept(l, NULL, NULL);

	if (c) {
		x->rx = c;
		usagi_sock_set_callback(c, receiver_ready, x);
		receiver_ready(c, x);
	}
}

/* The TCP and IPv4 counters of both hosts, when a transfer fell short. */
static void dump_stats(struct simhost *a, struct simhost *b)
{
	for (unsigned i = 0; i < STAT_MAX; i++)
		if ((a->st->stats[i] || b->st->stats[i]) &&
		    (strncmp(stat_name(i), "tcp", 3) == 0 || strncmp(stat_name(i), "ip4", 3) == 0))
			printf("%s A %llu B %llu\n", stat_name(i),
			       (unsigned long long)a->st->stats[i], (unsigned long long)b->st->stats[i]);
}

static void report(const char *cc, const char *dst, uint64_t total, uint64_t ms,
		   struct simhost *a, struct simhost *b, struct usock *c)
{
	printf("tcp-sim %s %s: %llu bytes in %llu ms simulated: %.1f Mbit/s; mss %u, A: %llu segs, "
	       "%llu retrans, %llu timeouts, %llu fast retrans; B: %llu ooo, %llu segs\n",
	       cc, dst, (unsigned long long)total, (unsigned long long)ms,
	       (double)total * 8 / ((double)ms / 1000) / 1e6, c->tcb ? c->tcb->mss : 0,
	       (unsigned long long)STAT_GET(a->st, tcp_out_segs),
	       (unsigned long long)STAT_GET(a->st, tcp_retrans_segs),
	       (unsigned long long)STAT_GET(a->st, tcp_timeouts),
	       (unsigned long long)STAT_GET(a->st, tcp_fast_retrans),
	       (unsigned long long)STAT_GET(b->st, tcp_ooo),
	       (unsigned long long)STAT_GET(b->st, tcp_out_segs));
}

/* Goodput of the last transfer() after its first tenth (past slow start), in bit/s. */
static double xfer_steady_bps;
/* Frames the sender's port queue dropped, retransmissions, timeouts in the last transfer(). */
static uint64_t xfer_drops, xfer_rtx, xfer_rtos;
/* HyStart++ at the sender in the last transfer(): exits to CSS, and to congestion avoidance. */
static uint64_t xfer_css, xfer_ca;
/* The sender's largest cwnd and peer window (octets) seen in the last transfer() (every step). */
static uint32_t xfer_max_cwnd, xfer_max_wnd;

/* Goodput against the link rate, overall and after the first tenth; the queue drops. */
static void report_rate(const struct sim_link_params *lp, uint64_t total, uint64_t ms,
			struct simhost *a, struct simhost *b)
{
	printf("tcp-sim: link %.0f Mbit/s, goodput %.1f %% of it (%.1f %% after the first tenth); "
	       "queue drops A %llu B %llu; HyStart++ CSS %llu, spurious %llu, to CA %llu; "
	       "max cwnd %u, max wnd %u, cwnd unused %llu\n",
	       (double)lp->rate_bps / 1e6, (double)total * 8 * 1e5 / (double)ms / (double)lp->rate_bps,
	       xfer_steady_bps * 100 / (double)lp->rate_bps,
	       (unsigned long long)STAT_GET(a->st, sim_queue_drop),
	       (unsigned long long)STAT_GET(b->st, sim_queue_drop),
	       (unsigned long long)STAT_GET(a->st, tcp_hystart_css),
	       (unsigned long long)STAT_GET(a->st, tcp_hystart_spurious),
	       (unsigned long long)STAT_GET(a->st, tcp_hystart_ca),
	       xfer_max_cwnd, xfer_max_wnd,
	       (unsigned long long)STAT_GET(a->st, tcp_cwnd_unused));
}

/*
 * TCP_SIM_TRACE: the sender's congestion state every simulated ms (wnd:
 * the peer's window; pipe: RFC 6675's in recovery, else the flight).
 */
static void trace(struct tcb *t, uint64_t ms, struct simhost *a)
{
	printf("t %llu hs %d css %d we %u n %u last %llu cur %llu una %u nxt %u max %u cwnd %u ssth %u wnd %u rec %d nsack %u pipe %u rtx %llu drops %llu to %llu\n",
	       (unsigned long long)ms, t->hs.on, t->hs.css, t->hs.window_end - t->iss, t->hs.samples,
	       (unsigned long long)(t->hs.last_min / 1000), (unsigned long long)(t->hs.cur_min / 1000),
	       t->snd_una - t->iss, t->snd_nxt - t->iss, t->snd_max - t->iss,
	       t->cwnd, t->ssthresh, t->snd_wnd, t->in_recovery, t->nsacked,
	       t->in_recovery ? tcp_sack_pipe(t) : t->snd_nxt - t->snd_una,
	       (unsigned long long)STAT_GET(a->st, tcp_retrans_segs),
	       (unsigned long long)STAT_GET(a->st, sim_queue_drop),
	       (unsigned long long)STAT_GET(a->st, tcp_timeouts));
}

/* transfer() without HyStart++ at the sender (tcp_state.hystart_off). */
static bool xfer_hystart_off;

/* The sender's net.ipv4.tcp_initial_window for transfer() (set by sysctl); -1 = default. */
static int xfer_iw = -1;

/* Socket buffers (SO_SNDBUF and SO_RCVBUF on both ends) for transfer(); 0 = default. */
static unsigned xfer_bufsize;

static void set_bufs(struct usock *s)
{
	int v = (int)xfer_bufsize;

	if (!v)
		return;
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
}

/* Sends @total octets A -> B to @dst over a link with @lp; returns the simulated ms it took. */
static uint64_t transfer(const struct sim_link_params *lp, const char *dst, uint64_t total,
			 uint64_t seed, const char *cc)
{
	struct sim_world *w = simt_world(seed);
	struct sim_segment *lan = sim_segment_new(w, "lan", lp);
	struct simhost *a = simt_host_up(w, "A", lan, 0x0a);
	struct simhost *b = simt_host_up(w, "B", lan, 0x0b);
	struct xfer x = { .total = total, .w = w };
	struct sockaddr_in6 sin;
	struct usock *l, *c;
	uint64_t t0, ms = 0;

	a->st->sk.tcp->hystart_off = xfer_hystart_off;
	if (xfer_iw >= 0 || getenv("TCP_SIM_IW"))
		assert_int_equal(simt_cmd(a, "sysctl net.ipv4.tcp_initial_window=%d",
					  getenv("TCP_SIM_IW") ? atoi(getenv("TCP_SIM_IW")) : xfer_iw), 0);
	assert_int_equal(simt_cmd(a, "link set eth0 mtu %u", lp->mtu ? lp->mtu : 1500), 0);
	assert_int_equal(simt_cmd(b, "link set eth0 mtu %u", lp->mtu ? lp->mtu : 1500), 0);
	assert_int_equal(simt_cmd(a, "addr add 2001:db8::1/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 2001:db8::2/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(a, "addr add 192.0.2.1/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 192.0.2.2/24 dev eth0 nodad"), 0);
	simt_run_ms(w, 100);

	l = usagi_socket(b->st, AF_INET6, SOCK_STREAM, 0);
	sockaddr_make(&sin, &in6addr_any, 5001, 0);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	set_bufs(l);
	assert_int_equal(usagi_listen(l, 4), 0);
	usagi_sock_set_callback(l, listener_ready, &x);

	c = usagi_socket(a->st, AF_INET6, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin6_family = AF_INET6;
	sin.sin6_port = htons(5001);
	assert_int_equal(inet_pton(AF_INET6, dst, &sin.sin6_addr), 1);
	usagi_sock_set_callback(c, sender_ready, &x);
	set_bufs(c);
	assert_int_equal(usagi_setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)), 0);
	t0 = sim_world_now(w);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	xfer_max_cwnd = xfer_max_wnd = 0;
	while (x.rcvd < total && ms < 600000) {
		unsigned step = getenv("TCP_SIM_TRACE") ? 1 : 10;

		simt_run_ms(w, step);
		ms += step;
		if (c->tcb && c->tcb->state >= TCPS_ESTABLISHED) {
			xfer_max_cwnd = MAX(xfer_max_cwnd, c->tcb->cwnd);
			xfer_max_wnd = MAX(xfer_max_wnd, c->tcb->snd_wnd);
		}
		if (step == 1 && c->tcb)
			trace(c->tcb, ms, a);
	}
	xfer_steady_bps = x.done_ns > x.tenth_ns ?
		(double)(total - total / 10) * 8 * 1e9 / (double)(x.done_ns - x.tenth_ns) : 0;
	/* From connect() to the last byte read, to the ms (at least 1). */
	ms = x.done_ns > t0 ? (x.done_ns - t0 + NS_PER_MS / 2) / NS_PER_MS : 1;
	if (x.rcvd != total)
		dump_stats(a, b);
	assert_false(x.bad);
	assert_int_equal(x.rcvd, total);
	report(cc, dst, total, ms, a, b, c);
	xfer_drops = STAT_GET(a->st, sim_queue_drop);
	xfer_rtx = STAT_GET(a->st, tcp_retrans_segs);
	xfer_rtos = STAT_GET(a->st, tcp_timeouts);
	xfer_css = STAT_GET(a->st, tcp_hystart_css);
	xfer_ca = STAT_GET(a->st, tcp_hystart_ca);
	if (lp->rate_bps)
		report_rate(lp, total, ms, a, b);
	if (lp->mtu == 1280 && strncmp(dst, "::ffff:", 7) != 0)
		assert_int_equal(c->tcb->mss, 1280 - 60);
	/* The receiver sees the FIN after the last byte. */
	simt_run_ms(w, 2000);
	assert_int_equal(usagi_recv(x.rx, &x, 1, 0), 0);
	simt_host_free(a);
	simt_host_free(b);
	sim_world_free(w);
	return ms;
}

static const struct sim_link_params rough = {
	.delay_ns = 5 * NS_PER_MS, .loss_ppm = 10000, .dup_ppm = 10000,
	.reorder_ppm = 20000, .reorder_delay_ns = 3 * NS_PER_MS, .mtu = 1280,
};

static void test_clean_ipv6(void **state)
{
	static const struct sim_link_params clean = { .delay_ns = 5 * NS_PER_MS };

	(void)state;
	transfer(&clean, "2001:db8::2", 10u << 20, 1, "newreno");
}

/* Goodput of @total octets in @ms, as a fraction of the link rate of @lp. */
static double link_share(const struct sim_link_params *lp, uint64_t total, uint64_t ms)
{
	return (double)total * 8 * 1000 / (double)ms / (double)lp->rate_bps;
}

/*
 * 100 Mbit/s, 5 ms each way: the bandwidth-delay product is 125 KB, well
 * inside the default 256 KB window. A 1500-octet frame carries 1428
 * octets of data (timestamps on) in 1514 on the wire, so 94.3 % is the
 * ceiling; slow start costs a few round trips.
 */
static const struct sim_link_params fast_e = {
	.delay_ns = 5 * NS_PER_MS, .rate_bps = 100000000,
};

static void test_rate_100m_100mb(void **state)
{
	uint64_t ms;

	(void)state;
	xfer_bufsize = 0;
	ms = transfer(&fast_e, "2001:db8::2", 100u << 20, 4, "newreno");
	assert_true(link_share(&fast_e, 100u << 20, ms) >= 0.90);
	assert_true(xfer_steady_bps >= 0.90 * (double)fast_e.rate_bps);
}

/*
 * 1 Gbit/s, 5 ms each way: the bandwidth-delay product is 1.25 MB, so the
 * default 256 KB window would cap the goodput near 200 Mbit/s; both ends
 * use 2 MB buffers (window scale 6). 2 MB is also below BDP + the 1000
 * frame port queue (about 2.7 MB), so slow start is held by the receive
 * window before it overflows the queue. Where the 986 ms go (per-RTT
 * trace, TCP_SIM_TRACE): 10 ms neighbour discovery before the SYN leaves,
 * 10 ms handshake, then slow start doubling per round trip from the RFC
 * 5681 IW of 3 segments (an ACK per two segments, RFC 3465 L = 2 SMSS:
 * 3, 6, ... 384 segments a round, never held by the receive window,
 * Nagle or the send buffer) for 8 round trips, in which 1.09 MB (9 ms at
 * the ceiling) go out; from then on the link is full (94.3 %). Slow start
 * thus costs about 71 ms: 85.1 % overall. RFC 6928's IW of 10 segments
 * saves one round trip less the data it would have sent: 86.4 %. 90 %
 * overall would leave about 27 ms for handshake and ramp together, i.e.
 * an IW of some 70 segments: no standard slow start does that.
 */
static const struct sim_link_params gig_e = {
	.delay_ns = 5 * NS_PER_MS, .rate_bps = 1000000000,
};

static void test_rate_1g_100mb(void **state)
{
	uint64_t ms;

	(void)state;
	xfer_bufsize = 2u << 20;
	ms = transfer(&gig_e, "2001:db8::2", 100u << 20, 5, "newreno");
	/* RFC 5681 IW (3 segments): 8 round trips of slow start, 85.1 %. */
	assert_true(link_share(&gig_e, 100u << 20, ms) >= 0.845);
	assert_true(xfer_steady_bps >= 0.90 * (double)gig_e.rate_bps);
	assert_int_equal(xfer_drops, 0);
	/*
	 * Issue 8: the 2 MB window, not cwnd, holds the flight from the 8th
	 * round trip on. cwnd grows only while used (tcp_cwnd_limited): in
	 * slow start while the flight is at least half of it, so it stops
	 * at twice the window (4.19 MB); it grew to 6.9 MB before.
	 */
	assert_true(xfer_max_wnd >= 2000000);
	assert_true(xfer_max_cwnd <= 2 * xfer_max_wnd + 4 * 1440);
	/* RFC 6928 IW (10 segments, by sysctl): 7 round trips, 86.4 %. */
	xfer_iw = 10;
	ms = transfer(&gig_e, "2001:db8::2", 100u << 20, 5, "newreno");
	xfer_iw = -1;
	xfer_bufsize = 0;
	assert_true(link_share(&gig_e, 100u << 20, ms) >= 0.86);
	assert_true(xfer_steady_bps >= 0.90 * (double)gig_e.rate_bps);
	assert_int_equal(xfer_drops, 0);
	assert_true(xfer_max_cwnd <= 2 * xfer_max_wnd + 4 * 1440);   /* 5.9 MB before */
}

/*
 * 1 Gbit/s with a 200-frame port queue and 4 MB windows: slow start
 * overshoots BDP + queue (about 1.55 MB) and the sender's port drops
 * frames in bursts (congestion loss, not random): 386 of a 1.66 MB
 * flight, one hole every other segment or so. The queue delay (2.4 ms at
 * most) stays below HyStart++'s least RttThresh (4 ms), so slow start
 * only ends with the loss. SACK recovery (RFC 6675) repairs every hole
 * once, within three round trips and without a timeout; NewReno's cut to
 * FlightSize / 2 (834 KB, two thirds of the 1.25 MB BDP) then bounds the
 * rest of the transfer (one SMSS more per round trip): 49 % overall, 71 %
 * after the first tenth. With a 128-block scoreboard the holes above the
 * 128th were retransmitted again and again and the recovery ended in an
 * RTO: 10 % overall. These numbers hold for the RFC 5681 IW: with a
 * larger one (TCP_SIM_IW=4..12) the overshoot falls elsewhere, the
 * unpaced recovery loses a segment of new data and cwnd is halved twice
 * (27-39 %; docs/tcp.md "Measured").
 */
static void test_rate_1g_queue_overflow(void **state)
{
	struct sim_link_params lp = gig_e;
	uint64_t ms;

	(void)state;
	lp.queue_frames = 200;
	xfer_bufsize = 4u << 20;
	ms = transfer(&lp, "2001:db8::2", 20u << 20, 6, "newreno");
	xfer_bufsize = 0;
	assert_true(xfer_drops > 100);
	assert_int_equal(xfer_rtos, 0);
	assert_true(xfer_rtx <= xfer_drops + 2);     /* no spurious retransmission */
	assert_true(link_share(&lp, 20u << 20, ms) >= 0.45);
	assert_true(xfer_steady_bps >= 0.65 * (double)lp.rate_bps);
}

/*
 * The same queue with CUBIC and 100 MB: the same overshoot and repair
 * (389 drops, 389 retransmissions), but beta = 0.7 leaves 1.16 MB, near
 * the BDP, and the cubic growth refills the rest: 84.6 % overall (the
 * clean link's 85.1 %), 94.3 % after the first tenth.
 */
static void test_rate_1g_queue_overflow_cubic(void **state)
{
	struct sim_link_params lp = gig_e;
	uint64_t ms;

	(void)state;
	lp.queue_frames = 200;
	xfer_bufsize = 4u << 20;
	ms = transfer(&lp, "2001:db8::2", 100u << 20, 6, "cubic");
	xfer_bufsize = 0;
	assert_true(xfer_drops > 100);
	assert_int_equal(xfer_rtos, 0);
	assert_true(xfer_rtx <= xfer_drops + 2);
	assert_true(link_share(&lp, 100u << 20, ms) >= 0.82);
	assert_true(xfer_steady_bps >= 0.90 * (double)lp.rate_bps);
}

/*
 * HyStart++ (RFC 9406): 100 Mbit/s with the default 1000-frame port queue
 * (121 ms at the rate, ten times the path's BDP of 125 KB) and 4 MB
 * windows, so that only the congestion window holds slow start back.
 * Without HyStart++ slow start doubles until BDP + queue (1.6 MB)
 * overflows, by up to a window (1084 drops); with it the growing RTT
 * (RttThresh 4 ms: 33 frames queued) moves slow start to CSS a round
 * after the queue starts to stand (570 KB), and then to congestion
 * avoidance; the five CSS rounds (x1.25 each) still overfill the queue
 * a little (118 drops). The queue is deep enough for both to keep the
 * link busy (91.0 %).
 */
static void test_rate_100m_hystart(void **state)
{
	uint64_t ms_on, ms_off, drops_on;

	(void)state;
	xfer_bufsize = 4u << 20;
	ms_on = transfer(&fast_e, "2001:db8::2", 20u << 20, 7, "newreno");
	drops_on = xfer_drops;
	assert_true(xfer_css >= 1);
	assert_int_equal(xfer_ca, 1);
	assert_int_equal(xfer_rtos, 0);
	xfer_hystart_off = true;
	ms_off = transfer(&fast_e, "2001:db8::2", 20u << 20, 7, "newreno");
	xfer_hystart_off = false;
	assert_int_equal(xfer_css, 0);
	xfer_bufsize = 0;
	print_message("HyStart++ on: %llu ms, %llu drops; off: %llu ms, %llu drops\n",
		      (unsigned long long)ms_on, (unsigned long long)drops_on,
		      (unsigned long long)ms_off, (unsigned long long)xfer_drops);
	assert_true(xfer_drops > 1000);
	assert_true(drops_on * 5 < xfer_drops);
	assert_true(link_share(&fast_e, 20u << 20, ms_on) >= 0.90);
	assert_true(link_share(&fast_e, 20u << 20, ms_off) >= 0.90);
}

/*
 * 100 Mbit/s with 1 % loss, 1 % duplication, 2 % reordering and MTU 1280:
 * the 100 MB arrive intact; the goodput is printed (loss-bound,
 * far below the rate: about 1.22 MSS / (RTT sqrt(p))).
 */
static void test_rate_rough(void **state)
{
	struct sim_link_params lp = rough;

	(void)state;
	lp.rate_bps = 100000000;
	xfer_bufsize = 0;
	transfer(&lp, "2001:db8::2", 100u << 20, 8, "newreno");
}

static void test_rough_ipv6_10mb(void **state)
{
	(void)state;
	transfer(&rough, "2001:db8::2", 10u << 20, 2, "newreno");
}

static void test_rough_ipv6_cubic(void **state)
{
	(void)state;
	transfer(&rough, "2001:db8::2", 10u << 20, 2, "cubic");
}

static void test_rough_ipv4(void **state)
{
	(void)state;
	transfer(&rough, "::ffff:192.0.2.2", 2u << 20, 3, "newreno");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_ipv6),
		cmocka_unit_test(test_rough_ipv6_10mb),
		cmocka_unit_test(test_rough_ipv6_cubic),
		cmocka_unit_test(test_rough_ipv4),
		cmocka_unit_test(test_rate_100m_100mb),
		cmocka_unit_test(test_rate_1g_100mb),
		cmocka_unit_test(test_rate_1g_queue_overflow),
		cmocka_unit_test(test_rate_1g_queue_overflow_cubic),
		cmocka_unit_test(test_rate_100m_hystart),
		cmocka_unit_test(test_rate_rough),
	};

	if (getenv("TCP_SIM_FILTER"))
		cmocka_set_test_filter(getenv("TCP_SIM_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
