/*
 * TCP under Mobile IPv6 (issue 8): a correspondent's connection to the
 * mobile node's home address survives the mobile node moving home ->
 * foreign1 -> foreign2 -> home. The mobile node runs `service tcp-echo`;
 * the correspondent writes a paced stream (8 KB every 10 ms, 6.5 Mbit/s)
 * and checks every echoed byte, in order. Per move the stall (the longest
 * time in which no new echoed byte arrived, from the move on) is printed.
 *
 *   home 2001:db8:1::/64       foreign1 2001:db8:2::/64    foreign2 2001:db8:3::/64
 *   MN(eth0) --+-- HA ::1         MN --+-- R2 ::1              MN --+-- R3 ::1
 *                  | eth1                   | eth1                      | eth1
 *   core 2001:db8:ff::/64 --- HA ::1 ------ R2 ::2 ----------- R3 ::3 ----- CN ::c
 *
 * The lab is tests/lib/mip6_lab.h (shared with test_mip6_sim.c): fast RAs
 * (30..70 ms), optimistic DAD for the care-of address, bidirectional
 * tunnelling through the HA (no route optimisation) in one run, route
 * optimisation in another. All links have MTU 1500 and nothing is under
 * IPsec, so a connection opened at home has MSS 1440; once the MN is away
 * its traffic carries the tunnel's 40 octets, and RFC 2473 7.1 makes the
 * tunnel entries (the HA for the CN's segments, the MN itself for its
 * echoes) answer the first full-sized segment with a Packet Too Big of
 * 1460: both ends go to MSS 1400 and nothing is fragmented (issue 8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "mip6_lab.h"
#include "simhost.h"
#include "link/netdev.h"
#include "mip6/mip6.h"
#include "l4/sock.h"
#include "l4/tcp.h"
#include "usagi/socket.h"

#define MS (NS_PER_MS)
#define CHUNK 8192
#define MAX_PROGRESS 8192

struct lab {
	uint64_t t_ba[8];           /* times of the MN's BAs from the HA (registration or home) */
	unsigned nba;
	struct mip6_lab m;          /* the topology (tests/lib/mip6_lab.h) */
};

/* The CN's side of the connection: a paced writer and a checking reader. */
struct conn {
	struct sim_world *w;
	struct usock *s;
	uint64_t sent, rcvd, limit;
	bool bad, on;
	uint64_t t_rx[MAX_PROGRESS];   /* times at which echoed bytes arrived */
	unsigned nrx;
};

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 2654435761u >> 13 ^ i >> 20);
}

/* Records when the MN's binding with its HA was made or removed. */
static void on_event(void *ctx, struct stack *st, const char *what)
{
	struct lab *l = ctx;

	if (getenv("MIP6_SIM_VERBOSE"))
		printf("[%8.3f] %s: %s\n", (double)st->now / 1e9, usagi_stack_name(st), what);
	if (l->nba < ARRAY_SIZE(l->t_ba) && strstr(what, "BA from home agent") &&
	    (strstr(what, "home registration") || strstr(what, "deregistered")))
		l->t_ba[l->nba++] = st->now;
}

/* The first HA binding ack after @t, in ms after it; -1 if none. */
static double ba_ms(const struct lab *l, uint64_t t)
{
	for (unsigned i = 0; i < l->nba; i++)
		if (l->t_ba[i] > t)
			return (double)(l->t_ba[i] - t) / 1e6;
	return -1;
}

static struct lab *lab_new(uint64_t seed, bool ro)
{
	struct lab *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	mip6_lab_build(&l->m, seed);
	mip6_set_event_fn(l->m.mn->st, on_event, l);
	mip6_lab_start(&l->m, ro, 0);
	return l;
}

static void lab_free(struct lab *l)
{
	mip6_lab_free(&l->m);
	free(l);
}

static void conn_read(struct usock *s, void *ctx)
{
	struct conn *c = ctx;
	uint8_t buf[16384];
	ssize_t n;

	while ((n = usagi_recv(s, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(c->rcvd + (uint64_t)i))
				c->bad = true;
		c->rcvd += (uint64_t)n;
		if (c->nrx < MAX_PROGRESS)
			c->t_rx[c->nrx++] = sim_world_now(c->w);
	}
}

/* Every 10 ms: up to CHUNK more octets, never more than 64 KB ahead of the echo. */
static void conn_tick(void *ctx)
{
	struct conn *c = ctx;
	uint8_t buf[CHUNK];
	size_t n = CHUNK;
	ssize_t k;

	if (!c->on)
		return;
	if (c->sent + n > c->limit)
		n = (size_t)(c->limit - c->sent);
	if (c->sent - c->rcvd > 65536)
		n = 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(c->sent + i);
	if (n && (k = usagi_send(c->s, buf, n, 0)) > 0)
		c->sent += (uint64_t)k;
	sim_at(c->w, sim_world_now(c->w) + 10 * MS, conn_tick, c);
}

/* The longest time without echoed data in [t, t_end), counted from t; -1 if none came. */
static double stall_ms(const struct conn *c, uint64_t t, uint64_t t_end)
{
	uint64_t prev = t, worst = 0;
	bool any = false;

	for (unsigned i = 0; i < c->nrx; i++) {
		if (c->t_rx[i] <= t || c->t_rx[i] >= t_end)
			continue;
		worst = MAX(worst, c->t_rx[i] - prev);
		prev = c->t_rx[i];
		any = true;
	}
	return any ? (double)worst / 1e6 : -1;
}

/* Prints the binding ack time and the stall of each of the three moves; the worst stall. */
static double report_stalls(const struct lab *l, const struct conn *c, const uint64_t t_move[3],
			    bool ro)
{
	static const char *const names[] = { "home -> foreign1", "foreign1 -> foreign2",
					     "foreign2 -> home" };
	double worst = 0;

	for (int i = 0; i < 3; i++) {
		double s = stall_ms(c, t_move[i], t_move[i] + 4000 * MS);

		print_message("tcp-mip6 %s %s: binding ack %.1f ms after the move, TCP stall %.1f ms\n",
			      ro ? "RO" : "tunnel", names[i], ba_ms(l, t_move[i]), s);
		assert_true(s > 0);
		worst = MAX(worst, s);
	}
	return worst;
}

static void run(bool ro, uint64_t seed)
{
	struct lab *l = lab_new(seed, ro);
	struct conn *c = calloc(1, sizeof(*c));
	struct sim_segment *path[] = { l->m.f1, l->m.f2, l->m.home };
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(7) };
	uint64_t t_move[3];
	double worst = 0;

	assert_non_null(c);
	assert_int_equal(simt_cmd(l->m.mn, "service tcp-echo 7"), 0);
	c->w = l->m.w;
	c->limit = UINT64_MAX;
	c->s = usagi_socket(l->m.cn->st, AF_INET6, SOCK_STREAM, 0);
	assert_non_null(c->s);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::100", &sa.sin6_addr), 1);
	usagi_sock_set_callback(c->s, conn_read, c);
	assert_int_equal(usagi_connect(c->s, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	simt_run_ms(l->m.w, 100);
	assert_int_equal(c->s->tcb->state, TCPS_ESTABLISHED);
	c->on = true;
	sim_at(l->m.w, sim_world_now(l->m.w), conn_tick, c);
	simt_run_ms(l->m.w, 2000);
	assert_true(c->rcvd > 0);

	for (int i = 0; i < 3; i++) {
		t_move[i] = sim_world_now(l->m.w);
		sim_move(l->m.mndev, path[i]);
		simt_run_ms(l->m.w, 4000);
		assert_false(c->bad);
		assert_int_equal(c->s->tcb->state, TCPS_ESTABLISHED);
		assert_int_equal(usagi_sock_error(c->s), 0);
	}
	/* Stop writing; everything written comes back. */
	c->on = false;
	simt_run_ms(l->m.w, 5000);
	assert_false(c->bad);
	assert_int_equal(c->rcvd, c->sent);
	assert_int_equal(c->s->tcb->state, TCPS_ESTABLISHED);
	worst = report_stalls(l, c, t_move, ro);
	print_message("tcp-mip6 %s: %llu octets echoed intact over 3 moves; %llu retransmitted "
		      "segments, %llu timeouts at the CN; mss %u; fragmented on output: HA %llu, "
		      "MN %llu, CN %llu\n", ro ? "RO" : "tunnel",
		      (unsigned long long)c->rcvd,
		      (unsigned long long)STAT_GET(l->m.cn->st, tcp_retrans_segs),
		      (unsigned long long)STAT_GET(l->m.cn->st, tcp_timeouts), c->s->tcb->mss,
		      (unsigned long long)STAT_GET(l->m.ha->st, ip6_out_frag_ok),
		      (unsigned long long)STAT_GET(l->m.mn->st, ip6_out_frag_ok),
		      (unsigned long long)STAT_GET(l->m.cn->st, ip6_out_frag_ok));
	/* A move costs the handover (RA, BU/BA) plus at most a backed-off RTO or two. */
	assert_true(worst < 3000);
	print_message("tcp-mip6 %s: tunnel Packet Too Big: HA -> CN %llu, MN local %llu; "
		      "HAO/RH2 MSS notices: MN %llu, CN %llu\n", ro ? "RO" : "tunnel",
		      (unsigned long long)STAT_GET(l->m.ha->st, tnl_ptb6_remote),
		      (unsigned long long)STAT_GET(l->m.mn->st, tnl_ptb6_local),
		      (unsigned long long)STAT_GET(l->m.mn->st, mip6_dp_out_mss_notify),
		      (unsigned long long)STAT_GET(l->m.cn->st, mip6_dp_out_mss_notify));
	/*
	 * Issue 8, RFC 2473 7.1: the HA's tunnel answered the CN's first
	 * full-sized segment with a Packet Too Big of 1460, the CN went to
	 * 1460 - 60 = 1400 and no tunnel packet was ever fragmented. The MN's
	 * own echoes: a Packet Too Big through its loopback (tunnel runs).
	 * Route-optimised, the MN's echoes carry a HAO (+24): the first segment
	 * that no longer fits is sent fragmented and TCP told through the
	 * loopback (mip6_dp_out_mss_notify), so it is the only one fragmented.
	 */
	assert_true(STAT_GET(l->m.ha->st, tnl_ptb6_remote) >= 1);
	assert_int_equal(c->s->tcb->mss, 1400);
	assert_int_equal(STAT_GET(l->m.ha->st, ip6_out_frag_ok), 0);
	assert_int_equal(STAT_GET(l->m.cn->st, ip6_out_frag_ok), 0);
	if (!ro) {
		assert_true(STAT_GET(l->m.mn->st, tnl_ptb6_local) >= 1);
		assert_int_equal(STAT_GET(l->m.mn->st, tnl_ptb6_remote), 0);
		assert_int_equal(STAT_GET(l->m.mn->st, ip6_out_frag_ok), 0);
	} else {
		assert_true(STAT_GET(l->m.mn->st, mip6_dp_out_mss_notify) >= 1);
		assert_true(STAT_GET(l->m.mn->st, ip6_out_frag_ok) <=
			    STAT_GET(l->m.mn->st, mip6_dp_out_mss_notify));
	}
	usagi_close(c->s);
	lab_free(l);
	free(c);
}

/*
 * A connection opened while the MN is away (at foreign1, its binding
 * registered): the MSS both ends use counts the reverse tunnel (+40) or,
 * route-optimised, the HAO/RH2 (+24), so nothing is fragmented anywhere.
 */
static void run_away(bool ro, uint64_t seed)
{
	struct lab *l = lab_new(seed, ro);
	struct conn *c = calloc(1, sizeof(*c));
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(7) };
	uint64_t f_ha, f_mn, f_cn;

	assert_non_null(c);
	assert_int_equal(simt_cmd(l->m.mn, "service tcp-echo 7"), 0);
	sim_move(l->m.mndev, l->m.f1);
	simt_run_ms(l->m.w, 3000);    /* home registration (and, RO, return routability) done */
	f_ha = STAT_GET(l->m.ha->st, ip6_out_frag_ok);
	f_mn = STAT_GET(l->m.mn->st, ip6_out_frag_ok);
	f_cn = STAT_GET(l->m.cn->st, ip6_out_frag_ok);
	c->w = l->m.w;
	c->limit = UINT64_MAX;
	c->s = usagi_socket(l->m.cn->st, AF_INET6, SOCK_STREAM, 0);
	assert_non_null(c->s);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::100", &sa.sin6_addr), 1);
	usagi_sock_set_callback(c->s, conn_read, c);
	assert_int_equal(usagi_connect(c->s, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	simt_run_ms(l->m.w, 200);
	assert_int_equal(c->s->tcb->state, TCPS_ESTABLISHED);
	c->on = true;
	sim_at(l->m.w, sim_world_now(l->m.w), conn_tick, c);
	simt_run_ms(l->m.w, 4000);
	c->on = false;
	simt_run_ms(l->m.w, 3000);
	assert_false(c->bad);
	assert_true(c->rcvd > 0);
	assert_int_equal(c->rcvd, c->sent);
	print_message("tcp-mip6 %s opened away: %llu octets echoed; mss %u; fragmented on output: "
		      "HA %llu, MN %llu, CN %llu\n", ro ? "RO" : "tunnel",
		      (unsigned long long)c->rcvd, c->s->tcb->mss,
		      (unsigned long long)(STAT_GET(l->m.ha->st, ip6_out_frag_ok) - f_ha),
		      (unsigned long long)(STAT_GET(l->m.mn->st, ip6_out_frag_ok) - f_mn),
		      (unsigned long long)(STAT_GET(l->m.cn->st, ip6_out_frag_ok) - f_cn));
	assert_int_equal(STAT_GET(l->m.ha->st, ip6_out_frag_ok), f_ha);
	assert_int_equal(STAT_GET(l->m.mn->st, ip6_out_frag_ok), f_mn);
	assert_int_equal(STAT_GET(l->m.cn->st, ip6_out_frag_ok), f_cn);
	usagi_close(c->s);
	lab_free(l);
	free(c);
}

static void test_tcp_mip6_away_tunnel(void **state)
{
	(void)state;
	run_away(false, 2);
}

static void test_tcp_mip6_away_ro(void **state)
{
	(void)state;
	run_away(true, 5);
}

static void test_tcp_mip6_tunnel(void **state)
{
	(void)state;
	run(false, 1);
}

static void test_tcp_mip6_ro(void **state)
{
	(void)state;
	run(true, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_mip6_tunnel),
		cmocka_unit_test(test_tcp_mip6_ro),
		cmocka_unit_test(test_tcp_mip6_away_tunnel),
		cmocka_unit_test(test_tcp_mip6_away_ro),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
