/*
 * Mobile IPv6 (RFC 6275) on simulated links: a mobile node moving between
 * its home link and two foreign links while a correspondent streams UDP to
 * its home address and it streams back.
 *
 *   home 2001:db8:1::/64       foreign1 2001:db8:2::/64    foreign2 2001:db8:3::/64
 *   MN(eth0) --+-- HA ::1         MN --+-- R2 ::1              MN --+-- R3 ::1
 *                  | eth1                   | eth1                      | eth1
 *   core 2001:db8:ff::/64 --- HA ::1 ------ R2 ::2 ----------- R3 ::3 ----- CN ::c
 *
 * The routers (the HA is the home link's router) advertise with RFC 6275
 * 7.5's fast intervals (30..70 ms). The mobile node's home address is
 * 2001:db8:1::100, its care-of addresses are SLAAC (EUI-64 of
 * 02:00:00:00:00:0a), optimistic (RFC 4429: usable while DAD runs).
 * Scenarios: home registration after the first move
 * (BU/BA, binding at the HA, both directions through the tunnel),
 * the second move (new CoA, new BU, handover under 1 s), refresh before
 * expiry, the first two BUs dropped (retransmission at 1.5 s and 3 s),
 * return routability and route optimisation (RH2 in, HAO out, nothing via
 * the HA), return home (deregistration, NA, direct traffic). Handover
 * delays and losses are printed (simulated time).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "mip6_lab.h"
#include "simhost.h"
#include "core/stats.h"
#include "ipv6/addrconf.h"
#include "link/netdev.h"
#include "mip6/mip6.h"
#include "usagi/socket.h"

#define MS (NS_PER_MS)
#define MAXPKT 6000
#define PORT_DOWN 7000
#define PORT_UP 7001

/* ---- events ---- */

struct ev {
	uint64_t t;
	char what[200];
};

struct stream {
	struct sim_world *w;
	struct usock *tx, *rx;
	struct sockaddr_in6 to;
	struct in6_addr want_src;
	uint64_t interval;
	uint32_t next;
	bool on;
	unsigned bad_src;
	uint64_t sent_at[MAXPKT], got_at[MAXPKT];
};

struct lab {
	struct mip6_lab m;        /* the topology (tests/lib/mip6_lab.h) */
	struct ev ev[512];
	unsigned nev;
	char dir[64];
	struct stream *down, *up;  /* CN -> HoA, HoA -> CN */
	bool ro;
};

static void on_event(void *ctx, struct stack *st, const char *what)
{
	struct lab *l = ctx;
	struct ev *e;

	if (getenv("MIP6_SIM_VERBOSE"))
		printf("[%8.3f] %s: %s\n", (double)st->now / 1e9, usagi_stack_name(st), what);
	if (l->nev == sizeof(l->ev) / sizeof(l->ev[0]))
		return;
	e = &l->ev[l->nev++];
	e->t = st->now;
	snprintf(e->what, sizeof(e->what), "%s: %s", usagi_stack_name(st), what);
}

/* Time of the @nth (0-based) event at or after @from containing @s, UINT64_MAX if none. */
static uint64_t ev_at(const struct lab *l, uint64_t from, const char *s, unsigned nth)
{
	for (unsigned i = 0; i < l->nev; i++)
		if (l->ev[i].t >= from && strstr(l->ev[i].what, s) && nth-- == 0)
			return l->ev[i].t;
	return UINT64_MAX;
}

static unsigned ev_count(const struct lab *l, uint64_t from, uint64_t to, const char *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->nev; i++)
		n += l->ev[i].t >= from && l->ev[i].t < to && strstr(l->ev[i].what, s);
	return n;
}

/* ---- the topology (tests/lib/mip6_lab.h) ---- */

static void stream_rx(struct usock *s, void *ctx)
{
	struct stream *sm = ctx;
	struct sockaddr_in6 from;
	socklen_t flen = sizeof(from);
	uint32_t seq;

	while (usagi_recvfrom(s, &seq, sizeof(seq), 0, (struct sockaddr *)&from, &flen) == 4) {
		if (!in6_equal(&from.sin6_addr, &sm->want_src))
			sm->bad_src++;
		if (seq < MAXPKT && !sm->got_at[seq])
			sm->got_at[seq] = sim_world_now(sm->w);
		flen = sizeof(from);
	}
}

static void stream_tick(void *ctx)
{
	struct stream *sm = ctx;
	uint64_t now = sim_world_now(sm->w);
	uint32_t seq;

	if (!sm->on || sm->next >= MAXPKT)
		return;
	seq = sm->next++;
	sm->sent_at[seq] = now;
	usagi_sendto(sm->tx, &seq, sizeof(seq), 0, (struct sockaddr *)&sm->to, sizeof(sm->to));
	sim_at(sm->w, now + sm->interval, stream_tick, sm);
}

static struct usock *udp_sock(struct stack *st, const struct in6_addr *addr, uint16_t port)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_non_null(s);
	if (addr)
		sa.sin6_addr = *addr;
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

/* A stream of 4-byte sequence numbers every 10 ms from @src (bound to @src_addr) to @dst. */
static struct stream *stream_new(struct lab *l, struct simhost *src, const struct in6_addr *src_addr,
				 struct simhost *dst, const struct in6_addr *dst_addr, uint16_t port)
{
	struct stream *sm = calloc(1, sizeof(*sm));

	assert_non_null(sm);
	sm->w = l->m.w;
	sm->interval = 10 * MS;
	sm->tx = udp_sock(src->st, src_addr, port);
	sm->rx = udp_sock(dst->st, NULL, port);
	sm->to = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port),
					.sin6_addr = *dst_addr };
	sm->want_src = *src_addr;
	usagi_sock_set_callback(sm->rx, stream_rx, sm);
	sm->on = true;
	sim_at(l->m.w, sim_world_now(l->m.w), stream_tick, sm);
	return sm;
}

static void capture(struct lab *l, struct sim_segment *seg, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s.pcap", l->dir, name);
	assert_int_equal(sim_segment_capture(seg, path), 0);
}

static struct lab *lab_new(uint64_t seed, bool ro, unsigned lifetime_s)
{
	struct lab *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	snprintf(l->dir, sizeof(l->dir), "/tmp/mip6simXXXXXX");
	assert_non_null(mkdtemp(l->dir));
	l->ro = ro;
	mip6_lab_build(&l->m, seed);
	capture(l, l->m.home, "home");
	capture(l, l->m.f1, "foreign1");
	capture(l, l->m.f2, "foreign2");
	capture(l, l->m.core, "core");
	mip6_set_event_fn(l->m.mn->st, on_event, l);
	mip6_set_event_fn(l->m.ha->st, on_event, l);
	mip6_set_event_fn(l->m.cn->st, on_event, l);
	mip6_lab_start(&l->m, ro, lifetime_s);
	return l;
}

static void lab_free(struct lab *l)
{
	char path[160];
	static const char *const names[] = { "home", "foreign1", "foreign2", "core" };

	if (l->down)
		l->down->on = false;
	if (l->up)
		l->up->on = false;
	mip6_lab_free(&l->m);
	free(l->down);
	free(l->up);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", l->dir, names[i]);
		unlink(path);
	}
	rmdir(l->dir);
	free(l);
}

static void streams_start(struct lab *l)
{
	l->down = stream_new(l, l->m.cn, &l->m.cnaddr, l->m.mn, &l->m.hoa, PORT_DOWN);
	l->up = stream_new(l, l->m.mn, &l->m.hoa, l->m.cn, &l->m.cnaddr, PORT_UP);
}

/* ---- measuring a move ---- */

struct move_result {
	double delay_ms;         /* move -> first delivery of a datagram sent after it */
	unsigned lost;           /* datagrams sent from 100 ms before to 2 s after, never delivered */
};

static struct move_result measure(const struct stream *sm, uint64_t t_move)
{
	struct move_result r = { .delay_ms = -1 };
	uint64_t first = UINT64_MAX;

	for (uint32_t i = 0; i < sm->next; i++) {
		if (sm->sent_at[i] > t_move && sm->got_at[i] && sm->got_at[i] < first)
			first = sm->got_at[i];
		if (sm->sent_at[i] + 100 * MS >= t_move && sm->sent_at[i] < t_move + 2000 * MS &&
		    !sm->got_at[i])
			r.lost++;
	}
	if (first != UINT64_MAX)
		r.delay_ms = (double)(first - t_move) / 1e6;
	return r;
}

/* Datagrams sent in [from, to) and delivered. */
static unsigned delivered(const struct stream *sm, uint64_t from, uint64_t to, unsigned *sent)
{
	unsigned n = 0, s = 0;

	for (uint32_t i = 0; i < sm->next; i++)
		if (sm->sent_at[i] >= from && sm->sent_at[i] < to) {
			s++;
			n += sm->got_at[i] != 0;
		}
	*sent = s;
	return n;
}

static uint64_t move(struct lab *l, struct sim_segment *to)
{
	uint64_t t = sim_world_now(l->m.w);

	sim_move(l->m.mndev, to);
	return t;
}

/* ---- reading the captures ---- */

struct frame {
	uint64_t t;
	struct in6_addr src, dst;        /* outer IPv6 header */
	bool tnl, rh2, hao;
	struct in6_addr isrc, idst;      /* inner header of IPv6-in-IPv6 */
	uint8_t upper;                   /* last next header reached */
};

/* Walks the IPv6 header chain of the Ethernet frame @f (@n octets). */
static bool parse_frame(const uint8_t *f, size_t n, struct frame *fr)
{
	size_t off = 14;
	uint8_t nh;

	if (n < 54 || f[12] != 0x86 || f[13] != 0xdd)
		return false;
	memcpy(&fr->src, f + off + 8, 16);
	memcpy(&fr->dst, f + off + 24, 16);
	nh = f[off + 6];
	off += 40;
	while ((nh == 0 || nh == 43 || nh == 60) && off + 8 <= n) {
		size_t len = (f[off + 1] + 1u) * 8;

		if (nh == 43 && f[off + 2] == 2)
			fr->rh2 = true;
		for (size_t o = off + 2; nh == 60 && o + 2 <= off + len && o + 2 <= n;) {
			if (f[o] == 0) {
				o++;
				continue;
			}
			fr->hao |= f[o] == 0xc9;
			o += 2u + f[o + 1];
		}
		nh = f[off];
		off += len;
	}
	fr->upper = nh;
	if (nh == 41 && off + 40 <= n) {
		fr->tnl = true;
		memcpy(&fr->isrc, f + off + 8, 16);
		memcpy(&fr->idst, f + off + 24, 16);
	}
	return true;
}

typedef bool (*frame_pred)(const struct frame *fr, const struct lab *l);

/* Frames of capture @name between @from and @to matching @pred. */
static unsigned count_frames(const struct lab *l, const char *name, uint64_t from, uint64_t to,
			     frame_pred pred)
{
	char path[160];
	uint8_t gh[24], rh[16], buf[2048];
	unsigned n = 0;
	bool nsres;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pcap", l->dir, name);
	fflush(NULL);   /* the capture writers' buffers */
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(gh, 1, sizeof(gh), f), sizeof(gh));
	nsres = gh[0] == 0x4d && gh[1] == 0x3c;   /* a1b23c4d little-endian: ns timestamps */
	while (fread(rh, 1, sizeof(rh), f) == sizeof(rh)) {
		uint32_t sec, frac, len;
		struct frame fr = { 0 };

		memcpy(&sec, rh, 4);
		memcpy(&frac, rh + 4, 4);
		memcpy(&len, rh + 8, 4);
		if (len > sizeof(buf) || fread(buf, 1, len, f) != len)
			break;
		fr.t = (uint64_t)sec * NS_PER_SEC + (nsres ? frac : (uint64_t)frac * 1000);
		if (fr.t >= from && fr.t < to && parse_frame(buf, len, &fr) && pred(&fr, l))
			n++;
	}
	fclose(f);
	return n;
}

static bool is_tunnel(const struct frame *fr, const struct lab *l)
{
	(void)l;
	return fr->tnl;
}

static bool tunnel_to_mn(const struct frame *fr, const struct lab *l)
{
	return fr->tnl && in6_equal(&fr->src, &l->m.haaddr) && in6_equal(&fr->idst, &l->m.hoa);
}

static bool tunnel_from_mn(const struct frame *fr, const struct lab *l)
{
	return fr->tnl && in6_equal(&fr->dst, &l->m.haaddr) && in6_equal(&fr->isrc, &l->m.hoa);
}

static bool tunnel_cn(const struct frame *fr, const struct lab *l)
{
	return is_tunnel(fr, l) && (in6_equal(&fr->isrc, &l->m.cnaddr) ||
				    in6_equal(&fr->idst, &l->m.cnaddr));
}

static bool rh2_from_cn(const struct frame *fr, const struct lab *l)
{
	return !fr->tnl && fr->rh2 && in6_equal(&fr->src, &l->m.cnaddr) && fr->upper == 17;
}

static bool hao_to_cn(const struct frame *fr, const struct lab *l)
{
	return !fr->tnl && fr->hao && in6_equal(&fr->dst, &l->m.cnaddr) && fr->upper == 17;
}

static bool direct_to_hoa(const struct frame *fr, const struct lab *l)
{
	return !fr->tnl && in6_equal(&fr->dst, &l->m.hoa) && in6_equal(&fr->src, &l->m.cnaddr);
}

/* ---- assertions shared by the scenarios ---- */

static const struct mip6_dp_binding *ha_binding(struct lab *l)
{
	return mip6_dp_find(l->m.ha->st, MIP6_DP_HA, &l->m.hoa, NULL);
}

static void show(struct simhost *h, char *buf, size_t cap)
{
	FILE *f = fmemopen(buf, cap, "w");

	assert_non_null(f);
	mip6_mn_show(h->st, f);
	fclose(f);
}

/*
 * After a move to @seg at @t: registered from @coa within @max_ms, traffic
 * flows both ways through the tunnel. The first registration from home
 * includes the home agent's DAD for the home address (RFC 6275 10.3.1,
 * RetransTimer 1 s), so it is given 1.5 s; a handover between foreign
 * links 1 s.
 */
static void check_registered(struct lab *l, uint64_t t, const struct in6_addr *coa,
			     const char *seg, const char *label, uint64_t max_ms)
{
	char buf[1024], cs[INET6_ADDRSTRLEN];
	uint64_t t_ba = ev_at(l, t, "home registration complete", 0);
	struct move_result down = measure(l->down, t), up = measure(l->up, t);
	const struct mip6_dp_binding *b = ha_binding(l);

	assert_true(ev_at(l, t, "movement detected", 0) != UINT64_MAX);
	snprintf(buf, sizeof(buf), "care-of address %s", in6_ntop(coa, cs));
	assert_true(ev_at(l, t, buf, 0) != UINT64_MAX);
	assert_true(ev_at(l, t, "BU to home agent", 0) != UINT64_MAX);
	assert_true(t_ba != UINT64_MAX);
	assert_true(t_ba - t < max_ms * MS);
	assert_non_null(b);
	assert_true(in6_equal(&b->coa, coa));
	show(l->m.mn, buf, sizeof(buf));
	assert_non_null(strstr(buf, "state home-registration"));
	assert_non_null(strstr(buf, cs));
	/* Both streams resumed within 1 s, through the tunnel on the foreign link. */
	assert_true(down.delay_ms >= 0 && down.delay_ms < max_ms);
	assert_true(up.delay_ms >= 0 && up.delay_ms < max_ms);
	/* With ro on the first tunnelled packets start RR: only a few go through the HA. */
	unsigned min_tnl = l->ro ? 1 : 50;

	assert_true(count_frames(l, seg, t_ba, t_ba + 1000 * MS, tunnel_to_mn) >= min_tnl);
	assert_true(count_frames(l, seg, t_ba, t_ba + 1000 * MS, tunnel_from_mn) >= min_tnl);
	assert_int_equal(l->up->bad_src + l->down->bad_src, 0);
	print_message("%s: registration %.1f ms after the move; CN->MN first packet after %.1f ms, "
		      "%u lost; MN->CN after %.1f ms, %u lost\n", label, (double)(t_ba - t) / 1e6,
		      down.delay_ms, down.lost, up.delay_ms, up.lost);
}

static void check_home(struct lab *l, uint64_t t, const char *label)
{
	struct inet6_ifaddr *ifa = addrconf_lookup(l->m.mn->st, &l->m.hoa);
	uint64_t t_dereg = ev_at(l, t, "deregistered, unsolicited NA sent", 0);
	struct move_result down = measure(l->down, t), up = measure(l->up, t);
	unsigned sent, got;

	assert_true(ev_at(l, t, "movement detected: home link", 0) != UINT64_MAX);
	assert_true(t_dereg != UINT64_MAX && t_dereg - t < 1000 * MS);
	assert_null(ha_binding(l));
	assert_null(mip6_dp_find(l->m.mn->st, MIP6_DP_MN_HA, &l->m.hoa, NULL));
	assert_non_null(ifa);
	assert_int_equal(ifa->plen, 64);
	assert_false(ifa->flags & IFA_F_HOMEADDRESS);
	/* Direct delivery on the home link, nothing tunnelled any more. */
	assert_true(count_frames(l, "home", t_dereg + 100 * MS, t_dereg + 1100 * MS,
				 direct_to_hoa) > 50);
	assert_int_equal(count_frames(l, "home", t_dereg + 100 * MS, t_dereg + 1100 * MS,
				      is_tunnel), 0);
	got = delivered(l->down, t_dereg + 100 * MS, t_dereg + 1100 * MS, &sent);
	assert_int_equal(got, sent);
	assert_true(down.delay_ms >= 0 && down.delay_ms < 1000);
	assert_true(up.delay_ms >= 0 && up.delay_ms < 1000);
	print_message("%s: deregistered %.1f ms after the move; CN->MN first packet after %.1f ms, "
		      "%u lost; MN->CN after %.1f ms, %u lost\n", label, (double)(t_dereg - t) / 1e6,
		      down.delay_ms, down.lost, up.delay_ms, up.lost);
}

/* ---- scenarios ---- */

static void test_home_registration_and_moves(void **state)
{
	struct lab *l = lab_new(1, false, 0);
	char buf[1024];
	uint64_t t1, t2, t3;
	unsigned sent, got;

	(void)state;
	show(l->m.mn, buf, sizeof(buf));
	assert_string_equal(buf, "mobile-node hoa 2001:db8:1::100 coa 2001:db8:1::100 "
			    "ha 2001:db8:1::1 state home\n");
	streams_start(l);
	simt_run_ms(l->m.w, 2000);
	/* At home: delivered directly, no tunnel anywhere. */
	got = delivered(l->down, 3500 * MS, 5000 * MS, &sent);
	assert_int_equal(got, sent);
	assert_int_equal(count_frames(l, "core", 0, 5000 * MS, is_tunnel), 0);

	t1 = move(l, l->m.f1);
	simt_run_ms(l->m.w, 3000);
	check_registered(l, t1, &l->m.coa1, "foreign1", "home -> foreign1", 1500);
	/* `mip6 binding show` on both ends. */
	assert_int_equal(simt_cmd(l->m.mn, "mip6 binding show"), 0);
	assert_non_null(strstr(simt_output(l->m.mn), "mobile-node hoa 2001:db8:1::100 coa "
			       "2001:db8:2::ff:fe00:a ha 2001:db8:1::1 state away\n"));
	assert_non_null(strstr(simt_output(l->m.mn), "bul hoa 2001:db8:1::100 coa "
			       "2001:db8:2::ff:fe00:a ha 2001:db8:1::1 lifetime "));
	assert_int_equal(simt_cmd(l->m.ha, "mip6 binding show"), 0);
	assert_non_null(strstr(simt_output(l->m.ha), "hoa 2001:db8:1::100 coa 2001:db8:2::ff:fe00:a "
			       "ha 2001:db8:1::1 lifetime "));
	/* The home address is kept as a /128 home address: `addr show` says so. */
	assert_int_equal(simt_cmd(l->m.mn, "addr show dev eth0"), 0);
	assert_non_null(strstr(simt_output(l->m.mn), "inet6 2001:db8:1::100/128 scope global nodad home"));
	/* Rule 4 (RFC 6724): the home address is the source, not the care-of address. */
	struct in6_addr src;

	assert_int_equal(addrconf_select_source(l->m.mn->st, &l->m.cnaddr, NULL, &src), 0);
	assert_true(in6_equal(&src, &l->m.hoa));

	t2 = move(l, l->m.f2);
	simt_run_ms(l->m.w, 3000);
	check_registered(l, t2, &l->m.coa2, "foreign2", "foreign1 -> foreign2", 1000);
	assert_null(addrconf_lookup(l->m.mn->st, &l->m.coa1));

	t3 = move(l, l->m.home);
	simt_run_ms(l->m.w, 3000);
	check_home(l, t3, "foreign2 -> home");
	/* ro off: tunnelled traffic from the CN started no return routability. */
	assert_int_equal(ev_count(l, 0, UINT64_MAX, "RR with"), 0);
	lab_free(l);
}

/* 11.7.1: the binding is refreshed before it expires, at 80% of the granted lifetime. */
static void test_refresh(void **state)
{
	struct lab *l = lab_new(2, false, 40);
	uint64_t t = move(l, l->m.f1), t_ba, t_re, t_bu, t_bu2;
	char buf[1024];

	(void)state;
	simt_run_ms(l->m.w, 130000);
	t_bu = ev_at(l, t, "BU to home agent", 0);
	t_bu2 = ev_at(l, t, "BU to home agent", 1);
	t_ba = ev_at(l, t, "home registration complete", 0);
	t_re = ev_at(l, t, "home registration complete", 1);
	assert_true(t_ba != UINT64_MAX && t_re != UINT64_MAX);
	/* 80% of the 40 s granted, counted from the BU (the lifetime runs from there). */
	assert_int_equal(t_bu2 - t_bu, 32000 * MS);
	assert_true(t_re > t_bu2 && t_re - t_bu2 < 100 * MS);
	assert_true(ev_count(l, t, UINT64_MAX, "home registration complete") >= 4);
	assert_int_equal(ev_count(l, t, UINT64_MAX, "expired"), 0);
	assert_int_equal(STAT_GET(l->m.mn->st, mn_binding_expired), 0);
	assert_non_null(ha_binding(l));
	show(l->m.mn, buf, sizeof(buf));
	assert_non_null(strstr(buf, "bul hoa 2001:db8:1::100 coa 2001:db8:2::ff:fe00:a "
				   "ha 2001:db8:1::1 lifetime "));
	assert_non_null(strstr(buf, "/40 seq "));
	assert_non_null(strstr(buf, "state home-registration"));
	print_message("refresh: lifetime 40 s, first BU at %.3f s, refresh BU %.3f s later\n",
		      (double)t_bu / 1e9, (double)(t_bu2 - t_bu) / 1e9);
	lab_free(l);
}

struct dropper {
	struct lab *l;
	bool removed;
	uint64_t second_bu;
};

/* Lifts R2's drop rule once two BUs have been dropped (the third passes). */
static void dropper_tick(void *ctx)
{
	struct dropper *d = ctx;
	uint64_t now = sim_world_now(d->l->m.w);

	if (d->removed)
		return;
	if (!d->second_bu && STAT_GET(d->l->m.mn->st, mn_bu_sent) >= 2)
		d->second_bu = now;
	if (d->second_bu && now > d->second_bu + 200 * MS) {
		assert_int_equal(simt_cmd(d->l->m.r2, "filter del forward 1"), 0);
		d->removed = true;
		return;
	}
	sim_at(d->l->m.w, now + 1 * MS, dropper_tick, d);
}

/* 11.8: lost BUs are retransmitted after 1.5 s (first registration), then 3 s. */
static void test_bu_loss(void **state)
{
	struct lab *l = lab_new(3, false, 0);
	struct dropper d = { .l = l };
	uint64_t t, b1, b2, b3, ba;

	(void)state;
	/*
	 * R2 drops everything from foreign1 to the home agent: the BUs. (Not by
	 * source: the filter sees the home address of a HAO, as the SPD does.)
	 */
	assert_int_equal(simt_cmd(l->m.r2, "filter add forward iif eth0 ip6 daddr 2001:db8:1::1 drop"),
			 0);
	sim_at(l->m.w, sim_world_now(l->m.w), dropper_tick, &d);
	t = move(l, l->m.f1);
	simt_run_ms(l->m.w, 8000);
	assert_true(d.removed);
	assert_int_equal(simt_cmd(l->m.r2, "filter show"), 0);
	b1 = ev_at(l, t, "BU to home agent", 0);
	b2 = ev_at(l, t, "BU to home agent", 1);
	b3 = ev_at(l, t, "BU to home agent", 2);
	ba = ev_at(l, t, "home registration complete", 0);
	assert_true(b1 != UINT64_MAX && b2 != UINT64_MAX && b3 != UINT64_MAX && ba != UINT64_MAX);
	assert_int_equal(b2 - b1, 1500 * MS);   /* InitialBindackTimeoutFirstReg */
	assert_int_equal(b3 - b2, 3000 * MS);   /* doubled */
	/* The third BU is the first the HA sees: it runs DAD first (10.3.1, 1 s). */
	assert_true(ba > b3 && ba - b3 < 1100 * MS);
	assert_int_equal(ev_count(l, t, UINT64_MAX, "BU to home agent"), 3);
	assert_int_equal(STAT_GET(l->m.mn->st, mn_retransmit), 2);
	assert_non_null(ha_binding(l));
	print_message("BU loss: BUs at +%.3f, +%.3f, +%.3f s after the move, BA at +%.3f s\n",
		      (double)(b1 - t) / 1e9, (double)(b2 - t) / 1e9, (double)(b3 - t) / 1e9,
		      (double)(ba - t) / 1e9);
	lab_free(l);
}

/* RO is active with the CN at @t_ro (from @coa): check one second of traffic on @seg. */
static void check_ro(struct lab *l, uint64_t t_ro, const char *seg)
{
	uint64_t a = t_ro + 100 * MS, b = t_ro + 1100 * MS;
	unsigned sent, got;

	assert_true(count_frames(l, seg, a, b, rh2_from_cn) > 80);
	assert_true(count_frames(l, seg, a, b, hao_to_cn) > 80);
	/* Nothing between MN and CN through the home agent, on the foreign link or the core. */
	assert_int_equal(count_frames(l, seg, a, b, tunnel_cn), 0);
	assert_int_equal(count_frames(l, "core", a, b, tunnel_cn), 0);
	got = delivered(l->down, a, b, &sent);
	assert_int_equal(got, sent);
	got = delivered(l->up, a, b, &sent);
	assert_int_equal(got, sent);
	assert_non_null(mip6_dp_find(l->m.cn->st, MIP6_DP_CN, &l->m.hoa, NULL));
}

static void test_route_optimisation(void **state)
{
	struct lab *l = lab_new(4, true, 0);
	uint64_t t1, t2, t3, ro1, ro2, ba;
	struct move_result down, up;
	char buf[1024];

	(void)state;
	streams_start(l);
	simt_run_ms(l->m.w, 1000);
	t1 = move(l, l->m.f1);
	simt_run_ms(l->m.w, 2000);
	check_registered(l, t1, &l->m.coa1, "foreign1", "RO home -> foreign1", 1500);
	/*
	 * 11.7.2: the CN's packets arriving through the tunnel started RR by
	 * themselves (data plane -> mn_tunnelled), after the home registration.
	 */
	ro1 = ev_at(l, t1, "route optimisation active", 0);
	assert_true(ro1 != UINT64_MAX);
	assert_true(ev_at(l, t1, "RR with 2001:db8:ff::c: HoTI CoTI", 0) >
		    ev_at(l, t1, "home registration complete", 0));
	assert_true(ev_at(l, t1, "RR with 2001:db8:ff::c done", 0) < ro1);
	assert_true(ro1 - t1 < 1500 * MS);
	/* Asking explicitly for a correspondent already in the list changes nothing. */
	assert_int_equal(mip6_mn_ro_start(l->m.mn->st, &l->m.cnaddr), 0);
	simt_run_ms(l->m.w, 2000);
	assert_int_equal(ev_count(l, t1, UINT64_MAX, "route optimisation active"), 1);
	print_message("RO home -> foreign1: route optimisation %.1f ms after the move\n",
		      (double)(ro1 - t1) / 1e6);
	show(l->m.mn, buf, sizeof(buf));
	assert_non_null(strstr(buf, "state route-optimisation"));
	check_ro(l, ro1, "foreign1");

	/* Second move: home registration again, then RR (care-of test) and RO again. */
	t2 = move(l, l->m.f2);
	simt_run_ms(l->m.w, 3000);
	ba = ev_at(l, t2, "home registration complete", 0);
	ro2 = ev_at(l, t2, "route optimisation active", 0);
	assert_true(ba != UINT64_MAX && ro2 != UINT64_MAX && ro2 > ba);
	assert_true(ro2 - t2 < 1000 * MS);
	check_ro(l, ro2, "foreign2");
	down = measure(l->down, t2);
	up = measure(l->up, t2);
	print_message("RO foreign1 -> foreign2: home registration %.1f ms, RO %.1f ms after the "
		      "move; CN->MN first packet after %.1f ms, %u lost; MN->CN %.1f ms, %u lost\n",
		      (double)(ba - t2) / 1e6, (double)(ro2 - t2) / 1e6, down.delay_ms, down.lost,
		      up.delay_ms, up.lost);

	/* Home: deregistration with the HA and the CN (home keygen token only). */
	t3 = move(l, l->m.home);
	simt_run_ms(l->m.w, 3000);
	check_home(l, t3, "RO foreign2 -> home");
	/* The CN's deregistration after the HA's (its BA would have been intercepted). */
	uint64_t t_cn = ev_at(l, t3, "BA from correspondent 2001:db8:ff::c", 0);

	assert_true(t_cn == ev_at(l, t3, "status 0: deregistered", 1));
	assert_true(t_cn > ev_at(l, t3, "status 0: deregistered", 0) && t_cn - t3 < 1000 * MS);
	assert_int_equal(ev_count(l, t3, UINT64_MAX, "BU to correspondent"), 1);
	show(l->m.mn, buf, sizeof(buf));
	assert_null(strstr(buf, "route-optimisation"));
	assert_null(mip6_dp_find(l->m.cn->st, MIP6_DP_CN, &l->m.hoa, NULL));
	assert_int_equal(count_frames(l, "home", t3 + 1500 * MS, t3 + 2500 * MS, rh2_from_cn), 0);
	lab_free(l);
}

/*
 * 11.5.1 without a timely RA: R2 advertises only every 200..600 s, so the
 * MN on foreign1 keeps sending through the home router until NUD of that
 * router fails (REACHABLE -> STALE -> DELAY -> PROBE -> gone); it then
 * solicits, R2 answers, and the usual registration follows.
 */
static void test_nud_movement(void **state)
{
	struct lab *l = lab_new(6, false, 0);
	uint64_t t, t_nud, t_mv, t_ba;

	(void)state;
	assert_int_equal(simt_cmd(l->m.r2, "ra eth0 interval 200 600"), 0);
	simt_run_ms(l->m.w, 1000);     /* the last fast RA is out */
	streams_start(l);
	simt_run_ms(l->m.w, 1000);
	t = move(l, l->m.f1);
	simt_run_ms(l->m.w, 90000);
	t_nud = ev_at(l, t, "unreachable (NUD)", 0);
	t_mv = ev_at(l, t, "movement detected", 0);
	t_ba = ev_at(l, t, "home registration complete", 0);
	assert_true(t_nud != UINT64_MAX && t_mv != UINT64_MAX && t_ba != UINT64_MAX);
	print_message("DEBUG nud %.3f mv %.3f ba %.3f\n", (double)(t_nud - t) / 1e9, (double)(t_mv - t) / 1e9, (double)(t_ba - t) / 1e9);
	assert_true(t_nud < t_mv && t_mv < t_ba);
	/*
	 * Once NUD gave up: the RS within MAX_RTR_SOLICITATION_DELAY (1 s, RFC
	 * 4861 6.3.7), answered within MAX_RA_DELAY_TIME (0.5 s, 6.2.6).
	 */
	assert_true(t_mv - t_nud < 1500 * MS);
	assert_true(STAT_GET(l->m.mn->st, mn_router_unreachable) == 1);
	assert_true(in6_equal(&ha_binding(l)->coa, &l->m.coa1));
	print_message("NUD movement detection: router unreachable %.1f s after the move, movement "
		      "%.1f s, registered %.1f s\n", (double)(t_nud - t) / 1e9,
		      (double)(t_mv - t) / 1e9, (double)(t_ba - t) / 1e9);
	lab_free(l);
}

/* ESP transport for BU (out) and BA (in) between @hoa and the HA, as RFC 3776 4.1 asks. */
static void bu_ba_esp(struct simhost *h, bool is_ha)
{
	static const char *const sa[] = {
		"add 2001:db8:1::100 2001:db8:1::1 esp 0x1001 -E aes-cbc "
		"0x00112233445566778899aabbccddeeff -A hmac-sha1 "
		"0x0102030405060708090a0b0c0d0e0f1011121314;",
		"add 2001:db8:1::1 2001:db8:1::100 esp 0x1002 -E aes-cbc "
		"0xffeeddccbbaa99887766554433221100 -A hmac-sha1 "
		"0x1415161718191a1b1c1d1e1f2021222324252627;",
	};

	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(simt_cmd(h, "setkey -e %s", sa[i]), 0);
	if (is_ha) {
		/* BAs out under ESP; no inbound policy, so unprotected BUs reach the HA's check. */
		assert_int_equal(simt_cmd(h, "setkey -e spdadd 2001:db8:1::1 2001:db8:1::100 mh 6 "
					  "-P out ipsec esp/transport//require;"), 0);
		return;
	}
	assert_int_equal(simt_cmd(h, "setkey -e spdadd 2001:db8:1::100 2001:db8:1::1 mh 5 "
				  "-P out ipsec esp/transport//require;"), 0);
	assert_int_equal(simt_cmd(h, "setkey -e spdadd 2001:db8:1::1 2001:db8:1::100 mh 6 "
				  "-P in ipsec esp/transport//require;"), 0);
}

/*
 * A second mobile node claiming the home address of a registered one is
 * refused. MN1 registers under ESP (RFC 3776: BU and BA in transport mode
 * between home address and HA); MN2 has no SA, so it cannot speak for that
 * home address: its unprotected BU from foreign2 gets status 129 (the HA's
 * rule, docs/mip6.md: a binding registered under IPsec is only changed
 * under IPsec) and MN1's binding and traffic stay. While the HA's policy
 * protects BAs to the home address, that 129 goes out under MN1's SA and
 * MN2 cannot read it (xfrm_in_no_state): it keeps retransmitting. Without
 * that policy it reads the 129 and stops (state refused).
 */
static void test_duplicate_home_address(void **state)
{
	struct lab *l = lab_new(5, false, 0);
	struct in6_addr coa_mn2 = mip6_lab_addr("2001:db8:3::ff:fe00:b");
	struct simhost *mn2;
	struct netdev *dev2;
	uint64_t t, t2, t3, t_ref;
	unsigned sent, got;
	char buf[1024];

	(void)state;
	bu_ba_esp(l->m.ha, true);
	bu_ba_esp(l->m.mn, false);
	streams_start(l);
	t = move(l, l->m.f1);
	simt_run_ms(l->m.w, 3000);
	assert_true(ev_at(l, t, "home registration complete", 0) != UINT64_MAX);
	assert_true(STAT_GET(l->m.ha->st, mip6_ha_bu_accepted) >= 1);
	assert_int_equal(STAT_GET(l->m.ha->st, mip6_ha_bu_unprotected), 0);

	mn2 = simt_host(l->m.w, "MN2");
	dev2 = simt_attach(mn2, l->m.f2, "eth0", 0x0b);
	assert_int_equal(simt_cmd(mn2, "sysctl net.ipv6.conf.eth0.dad_transmits=0"), 0);
	assert_int_equal(simt_cmd(mn2, "link set eth0 up"), 0);
	struct mip6_mn_conf c = { .hoa = l->m.hoa, .ha = l->m.haaddr, .dev = dev2 };

	mip6_set_event_fn(mn2->st, on_event, l);
	t2 = sim_world_now(l->m.w);
	assert_int_equal(mip6_mn_enable(mn2->st, &c), 0);
	simt_run_ms(l->m.w, 5000);
	/* Refused at the HA every time; the encrypted BAs are lost on MN2. */
	assert_int_equal(STAT_GET(l->m.ha->st, mip6_ha_bu_downgrade), 3);
	assert_int_equal(ev_count(l, t2, UINT64_MAX, "HA: BA status 129"), 3);
	assert_int_equal(STAT_GET(mn2->st, xfrm_in_no_state), 3);
	assert_int_equal(ev_count(l, t2, UINT64_MAX, "MN2: BA from"), 0);
	assert_true(in6_equal(&ha_binding(l)->coa, &l->m.coa1));
	got = delivered(l->down, t2 + 100 * MS, t2 + 5000 * MS, &sent);
	assert_int_equal(got, sent);

	/* BAs in the clear: MN2 reads the 129 of its next retransmission and gives up. */
	assert_int_equal(simt_cmd(l->m.ha, "setkey -e spddelete 2001:db8:1::1 2001:db8:1::100 mh 6 "
				  "-P out;"), 0);
	assert_int_equal(simt_cmd(l->m.mn, "setkey -e spddelete 2001:db8:1::1 2001:db8:1::100 mh 6 "
				  "-P in;"), 0);
	t3 = sim_world_now(l->m.w);
	simt_run_ms(l->m.w, 10000);
	t_ref = ev_at(l, t3, "MN2: BA from home agent", 0);
	assert_true(t_ref != UINT64_MAX);
	assert_true(t_ref == ev_at(l, t3, "status 129: refused", 0));
	assert_int_equal(ev_count(l, t_ref, UINT64_MAX, "MN2: BU to home agent"), 0);
	show(mn2, buf, sizeof(buf));
	assert_non_null(strstr(buf, "state refused"));
	assert_int_equal(STAT_GET(mn2->st, mn_ba_refused), 1);
	/* MN1 keeps its binding (refreshing under ESP) and its traffic. */
	assert_true(in6_equal(&ha_binding(l)->coa, &l->m.coa1));
	assert_false(in6_equal(&ha_binding(l)->coa, &coa_mn2));
	got = delivered(l->down, t3, t3 + 9000 * MS, &sent);
	assert_int_equal(got, sent);
	print_message("duplicate home address: MN2's BUs refused (129) by the HA; readable refusal "
		      "%.1f s after MN2 started, MN1's binding kept\n", (double)(t_ref - t2) / 1e9);
	simt_host_free(mn2);
	lab_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_registration_and_moves),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_bu_loss),
		cmocka_unit_test(test_route_optimisation),
		cmocka_unit_test(test_duplicate_home_address),
		cmocka_unit_test(test_nud_movement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
