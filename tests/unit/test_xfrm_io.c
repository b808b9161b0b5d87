/*
 * ESP on the IPsec packet path between two hosts (tests/lib/ipsec_lab.h,
 * struct lab_pair):
 *
 *   A 2001:db8:1::1 192.0.2.1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 192.0.2.2 B
 *
 * Transport round trips (UDP and ping; IPv6 and IPv4; AES-GCM and AES-CBC
 * + HMAC-SHA-256) with the wire checked for ESP and the absence of the
 * cleartext; replayed, unknown-SPI, tampered and dummy packets; a
 * cleartext packet where the IN policy requires ESP; block policies; `use`
 * with no SA (clear); a missing `require` SA (ACQUIRE, drop); per-packet
 * lifetimes; an ESP packet larger than the MTU fragmented and reassembled;
 * host-to-host tunnels in the four nestings with the outer header's DSCP,
 * ECN, DF and hop limit. Every test ends with the packet pools back at
 * their baseline and the SAs held only by their SAD. AH and IPComp:
 * test_xfrm_ahcomp.c; the policy check and header helpers directly:
 * test_xfrm_check.c; gateways: sim/test_ipsec_sim.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "ipv4/inet4.h"
#include "link/ether.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "xfrm/esp.h"
#include "xfrm/xfrm_io_priv.h"

/* ESP transport A <-> B, SAs and policies on both; *@a_out, *@b_in: A's and B's A->B SA. */
static void esp_transport(struct lab_pair *t, bool v6, enum lab_alg alg, struct xfrm_state **a_out,
			  struct xfrm_state **b_in, int level)
{
	const char *a = v6 ? A6 : A4, *b = v6 ? B6 : B4;
	unsigned plen = v6 ? 128 : 32;
	struct xfrm_selector ab = lab_sel(a, plen, b, plen, XFRM_PROTO_ANY);
	struct xfrm_selector ba = lab_sel(b, plen, a, plen, XFRM_PROTO_ANY);
	struct xfrm_tmpl tm = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, level);
	struct xfrm_state *x;

	x = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, a, b, 0x1001, alg);
	if (a_out)
		*a_out = x;
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, b, a, 0x1002, alg);
	x = lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, a, b, 0x1001, alg);
	if (b_in)
		*b_in = x;
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, b, a, 0x1002, alg);
	lab_pol(SA(t), &ab, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
	lab_pol(SA(t), &ba, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
	lab_pol(SB(t), &ba, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
	lab_pol(SB(t), &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
	if (v6) {
		lab_allow_nd(SA(t));
		lab_allow_nd(SB(t));
	}
}

/* An echo request from @from to @dst over a ping socket; true if the reply came back. */
static bool ping(struct lab_pair *t, struct stack *from, const char *dst, const char *payload)
{
	bool v6 = strchr(dst, ':');
	struct usock *s = usagi_socket(from, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM,
				       v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	uint8_t req[64] = { v6 ? ICMP6_ECHO_REQUEST : ICMP4_ECHO, 0, 0, 0, 0, 0, 0, 1 }, buf[128];
	size_t len = 8 + strlen(payload);
	ssize_t n;

	memcpy(req + 8, payload, strlen(payload));
	assert_int_equal(lab_send_to(s, dst, 0, req, len), (ssize_t)len);
	lab_pump(t->l, 1);
	n = usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL);
	usagi_close(s);
	return n == (ssize_t)len && buf[0] == (v6 ? ICMP6_ECHO_REPLY : ICMP4_ECHO_REPLY) &&
	       memcmp(buf + 8, payload, strlen(payload)) == 0;
}

static void round_trip(struct lab_pair *t, bool v6, enum lab_alg alg)
{
	const char *a = v6 ? A6 : A4, *b = v6 ? B6 : B4;
	int fam = v6 ? AF_INET6 : AF_INET;
	struct xfrm_state *xa, *xb;
	struct usock *sa, *sb;

	esp_transport(t, v6, alg, &xa, &xb, XFRM_LEVEL_REQUIRE);
	sb = lab_udp_bound(SB(t), fam, 7000);
	sa = lab_udp_bound(SA(t), fam, 7001);
	assert_int_equal(lab_send_to(sa, b, 7000, "udp-secret-ab", 13), 13);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "udp-secret-ab"));
	assert_int_equal(lab_send_to(sb, a, 7001, "udp-secret-ba", 13), 13);
	lab_pump(t->l, 1);
	assert_true(lab_got(sa, "udp-secret-ba"));
	assert_true(ping(t, SA(t), b, "ping-secret"));
	/* Four IP packets each way at most, every one ESP; no cleartext on the wire. */
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_ESP), 4);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_UDP), 0);
	assert_false(lab_wire_has(t->l, t->k, "udp-secret", 10));
	assert_false(lab_wire_has(t->l, t->k, "ping-secret", 11));
	assert_int_equal(STAT_GET(SA(t), xfrm_out_ok), 2);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 2);
	assert_int_equal(STAT_GET(SB(t), xfrm_out_ok), 2);
	assert_int_equal(STAT_GET(SA(t), xfrm_in_ok), 2);
	assert_int_equal(STAT_GET(SB(t), esp_in_ok), 2);
	/* Lifetimes count per packet on both ends; the sequence numbers went 1, 2. */
	assert_int_equal(xa->cur.packets, 2);
	assert_int_equal(xb->cur.packets, 2);
	assert_int_equal(xa->seq_out, 2);
	assert_true(xa->cur.bytes > 0 && xb->cur.bytes > xa->cur.bytes);
	usagi_close(sa);
	usagi_close(sb);
	lab_pair_check_pools(t);
	/* Nothing holds an SA but its SAD. */
	assert_int_equal(xa->refcnt, 1);
	assert_int_equal(xb->refcnt, 1);
}

static void test_esp_transport6_gcm(void **state)
{
	round_trip(*state, true, LAB_GCM);
}

static void test_esp_transport4_cbc(void **state)
{
	round_trip(*state, false, LAB_CBC_SHA256);
}

static void test_esp_transport6_cbc(void **state)
{
	round_trip(*state, true, LAB_CBC_SHA256);
}

static void test_esp_transport4_gcm(void **state)
{
	round_trip(*state, false, LAB_GCM);
}

/* A captured ESP frame sent again, with another SPI, tampered, and a dummy packet. */
static void test_replay_spi_icv_dummy(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_state *xb;
	struct usock *sb;
	const struct lab_frame *f;
	uint8_t frame[256], *esp = frame + ETH_HLEN;
	size_t len;

	esp_transport(t, true, LAB_GCM, NULL, &xb, XFRM_LEVEL_REQUIRE);
	sb = lab_udp_bound(SB(t), AF_INET6, 7000);
	assert_true(lab_udp_send(SA(t), B6, 7000, "once") == 4);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "once"));
	f = lab_find(t->l, t->k, IPPROTO_ESP, 0);
	assert_non_null(f);
	assert_true(f->len <= sizeof(frame));
	len = f->len;
	memcpy(frame, f->b, len);

	/* RFC 4303 3.4.3: the same sequence number again is dropped before any crypto. */
	lab_inject(t->l, t->b, t->k, frame, len);
	assert_int_equal(STAT_GET(SB(t), xfrm_replay_dup), 1);
	assert_int_equal(xb->stats.replay_dup, 1);
	assert_int_equal(STAT_GET(SB(t), esp_in_ok), 1);
	assert_true(lab_empty(sb));

	/* Another SPI: no SA. */
	put_be32(esp + 40, 0x7777);
	lab_inject(t->l, t->b, t->k, frame, len);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_no_state), 1);

	/* A fresh sequence number passes the window, then the ICV fails: nothing advances. */
	memcpy(frame, f->b, len);
	put_be32(esp + 44, 50);
	lab_inject(t->l, t->b, t->k, frame, len);
	assert_int_equal(STAT_GET(SB(t), esp_in_icv_fail), 1);
	assert_int_equal(xb->stats.integrity_failed, 1);
	assert_int_equal(xb->cur.packets, 1);
	assert_true(lab_empty(sb));

	/* RFC 4303 2.6: a dummy packet (next header 59) is dropped silently. */
	{
		struct esp_sa_params sp = { .spi = 0x1001, .c = xb->crypto };
		struct pkt *p = pkt_alloc(NULL, 128, 256);
		uint8_t *h;

		memset(pkt_put(p, 16), 0xab, 16);
		assert_int_equal(esp_encap(&sp, p, ESP_NH_DUMMY, 60), 0);
		h = pkt_push(p, IPV6_HLEN);
		memcpy(h, f->b + ETH_HLEN, IPV6_HLEN);
		put_be16(h + 4, (uint16_t)(p->len - IPV6_HLEN));
		h = pkt_push(p, ETH_HLEN);
		memcpy(h, f->b, ETH_HLEN);
		lab_inject(t->l, t->b, t->k, p->data, p->len);
		pkt_free(p);
	}
	assert_int_equal(STAT_GET(SB(t), esp_in_dummy), 1);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 1);
	assert_int_equal(xb->cur.packets, 2);
	assert_true(lab_empty(sb));
	usagi_close(sb);
	lab_pair_check_pools(t);
	assert_int_equal(xb->refcnt, 1);
}

/* Cleartext where B's inbound policy requires ESP; block policies both ways. */
static void test_clear_and_block(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_selector ab6 = lab_sel(A6, 128, B6, 128, IPPROTO_UDP);
	struct xfrm_selector ab4 = lab_sel(A4, 32, B4, 32, IPPROTO_UDP);
	struct xfrm_tmpl tm = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE);
	struct usock *s6 = lab_udp_bound(SB(t), AF_INET6, 7000), *s4 = lab_udp_bound(SB(t), AF_INET, 7002);
	struct xfrm_policy *pin;

	pin = lab_pol(SB(t), &ab6, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
	lab_pol(SB(t), &ab4, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "clear6"), 6);
	assert_int_equal(lab_udp_send(SA(t), B4, 7002, "clear4"), 6);
	lab_pump(t->l, 1);
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_UDP), 1);
	assert_int_equal(lab_count(t->l, t->k, AF_INET, IPPROTO_UDP), 1);
	assert_true(lab_empty(s6));
	assert_true(lab_empty(s4));
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_nomatch), 2);
	assert_int_equal(pin->packets, 1);
	/* Another port is not the policy's: still delivered in clear (ICMP echo passes too). */
	assert_true(ping(t, SA(t), B6, "clear-ping"));

	/* B blocks: dropped at input. A blocks: never leaves. */
	assert_int_equal(xfrm_policy_delete(SB(t), &ab6, XFRM_DIR_IN), 0);
	lab_pol(SB(t), &ab6, XFRM_DIR_IN, XFRM_ACT_BLOCK, 0, NULL);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "blocked"), 7);
	lab_pump(t->l, 1);
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_block), 1);
	assert_true(lab_empty(s6));
	lab_cap_clear(t->l, t->k);
	lab_pol(SA(t), &ab4, XFRM_DIR_OUT, XFRM_ACT_BLOCK, 0, NULL);
	assert_int_equal(lab_udp_send(SA(t), B4, 7002, "blocked"), -EPERM);
	lab_pump(t->l, 1);
	assert_int_equal(STAT_GET(SA(t), xfrm_spd_out_block), 1);
	assert_int_equal(lab_count(t->l, t->k, AF_INET, IPPROTO_UDP), 0);
	usagi_close(s6);
	usagi_close(s4);
	lab_pair_check_pools(t);
}

/* `use` with no SA sends in clear; once SAs exist the same policy uses them. */
static void test_use_level(void **state)
{
	struct lab_pair *t = *state;
	struct usock *sb = lab_udp_bound(SB(t), AF_INET, 7000);
	struct xfrm_state *xa;
	struct xfrm_selector ab = lab_sel(A4, 32, B4, 32, XFRM_PROTO_ANY);
	struct xfrm_tmpl tm = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_USE);

	lab_pol(SA(t), &ab, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
	lab_pol(SB(t), &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
	assert_int_equal(lab_udp_send(SA(t), B4, 7000, "in-clear"), 8);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "in-clear"));
	assert_int_equal(STAT_GET(SA(t), xfrm_out_clear), 1);
	assert_int_equal(lab_count(t->l, t->k, AF_INET, IPPROTO_UDP), 1);
	assert_int_equal(STAT_GET(SA(t), xfrm_acquire), 0);

	xa = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A4, B4, 0x2001, LAB_GCM);
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A4, B4, 0x2001, LAB_GCM);
	assert_int_equal(lab_udp_send(SA(t), B4, 7000, "now-esp"), 7);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "now-esp"));
	assert_int_equal(lab_count(t->l, t->k, AF_INET, IPPROTO_ESP), 1);
	assert_false(lab_wire_has(t->l, t->k, "now-esp", 7));
	assert_int_equal(xa->cur.packets, 1);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

#define MAXEV 16
struct evlog {
	unsigned n;
	struct xfrm_event ev[MAXEV];
	struct xfrm_resolved tmpl[MAXEV];
};

static void record(struct stack *st, const struct xfrm_event *ev, void *ctx)
{
	struct evlog *l = ctx;

	if (l->n < MAXEV) {
		l->ev[l->n] = *ev;
		if (ev->tmpl)
			l->tmpl[l->n] = *ev->tmpl;
	}
	l->n++;
}

static unsigned count_ev(const struct evlog *l, enum xfrm_event_type type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->n && i < MAXEV; i++)
		n += l->ev[i].type == type;
	return n;
}

/* A missing `require` SA: ACQUIRE once, every packet dropped, nothing in clear. */
static void test_acquire(void **state)
{
	struct lab_pair *t = *state;
	struct evlog ev = { 0 };
	struct in6_addr b = lab_addr(B6, NULL);
	struct usock *sb;

	assert_int_equal(xfrm_listen(SA(t), record, &ev), 0);
	esp_transport(t, true, LAB_GCM, NULL, NULL, XFRM_LEVEL_REQUIRE);
	xfrm_state_flush(SA(t), IPPROTO_ESP);
	ev.n = 0;
	sb = lab_udp_bound(SB(t), AF_INET6, 7000);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "wait"), -EAGAIN);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "wait"), -EAGAIN);
	lab_pump(t->l, 1);
	assert_int_equal(count_ev(&ev, XFRM_EV_ACQUIRE), 1);
	assert_int_equal(ev.tmpl[0].proto, IPPROTO_ESP);
	assert_int_equal(ev.tmpl[0].mode, XFRM_MODE_TRANSPORT);
	assert_true(in6_equal(&ev.tmpl[0].daddr, &b));
	assert_int_equal(STAT_GET(SA(t), xfrm_out_no_state), 2);
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_UDP), 0);
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_ESP), 0);
	assert_true(lab_empty(sb));
	/* The key manager answers: the SA replaces the larval one and traffic flows. */
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x1001, LAB_GCM);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "done"), 4);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "done"));
	xfrm_unlisten(SA(t), record, &ev);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

/* Soft then hard packet lifetimes, per packet; the hard one's packet is the SA's last. */
static void test_lifetimes(void **state)
{
	struct lab_pair *t = *state;
	struct evlog ev = { 0 };
	struct xfrm_state *xa, *xb;
	struct usock *sb;

	esp_transport(t, false, LAB_CBC_SHA256, &xa, &xb, XFRM_LEVEL_REQUIRE);
	xa->c.lft.soft_packets = 2;
	xa->c.lft.hard_packets = 3;
	xfrm_state_hold(xa);
	assert_int_equal(xfrm_listen(SA(t), record, &ev), 0);
	sb = lab_udp_bound(SB(t), AF_INET, 7000);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(lab_udp_send(SA(t), B4, 7000, "life"), 4);
		lab_pump(t->l, 1);
		assert_true(lab_got(sb, "life"));
		assert_int_equal(xa->cur.packets, (uint64_t)i);
		assert_int_equal(count_ev(&ev, XFRM_EV_EXPIRE_SOFT), i >= 2);
		assert_int_equal(count_ev(&ev, XFRM_EV_EXPIRE_HARD), i >= 3);
	}
	assert_int_equal(xa->state, XFRM_STATE_DEAD);
	assert_int_equal(xb->cur.packets, 3);
	assert_true(xa->cur.bytes >= 3 * (8 + 4));
	/* Gone: the next packet asks for a new SA and is dropped. */
	assert_int_equal(lab_udp_send(SA(t), B4, 7000, "late"), -EAGAIN);
	assert_int_equal(count_ev(&ev, XFRM_EV_ACQUIRE), 1);
	lab_pump(t->l, 1);
	assert_true(lab_empty(sb));
	xfrm_state_put(xa);
	xfrm_unlisten(SA(t), record, &ev);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

/* An ESP packet larger than the MTU: fragmented after IPsec, reassembled before it. */
static void frag_round_trip(struct lab_pair *t, bool v6)
{
	const char *b = v6 ? B6 : B4;
	int fam = v6 ? AF_INET6 : AF_INET;
	struct usock *sb = lab_udp_bound(SB(t), fam, 7000), *sa = usagi_socket(SA(t), fam, SOCK_DGRAM, 0);
	static char big[3000], buf[4000];
	ssize_t n;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 23);
	esp_transport(t, v6, LAB_GCM, NULL, NULL, XFRM_LEVEL_REQUIRE);
	assert_int_equal(lab_send_to(sa, b, 7000, big, sizeof(big)), (ssize_t)sizeof(big));
	lab_pump(t->l, 1);
	n = usagi_recvfrom(sb, buf, sizeof(buf), 0, NULL, NULL);
	assert_int_equal(n, (ssize_t)sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	if (v6) {
		assert_int_equal(lab_count(t->l, t->k, AF_INET6, NH_FRAGMENT), 3);
		assert_int_equal(STAT_GET(SA(t), ip6_out_frag_ok), 1);
		assert_int_equal(STAT_GET(SB(t), frag6_ok), 1);
	} else {
		/* The fragments carry protocol 50: IPv4 names the payload in every fragment. */
		assert_int_equal(lab_count(t->l, t->k, AF_INET, IPPROTO_ESP), 3);
		assert_int_equal(STAT_GET(SA(t), ip4_out_frag_ok), 1);
		assert_int_equal(STAT_GET(SB(t), frag4_ok), 1);
	}
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 1);
	/* A datagram this size sits in an exact-size buffer: ESP's trailer needed a bigger one. */
	assert_int_equal(STAT_GET(SA(t), xfrm_out_copy), 1);
	assert_false(lab_wire_has(t->l, t->k, "abcdefghijklmnopq", 17));
	usagi_close(sa);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

static void test_frag6(void **state)
{
	frag_round_trip(*state, true);
}

static void test_frag4(void **state)
{
	frag_round_trip(*state, false);
}

/* Host-to-host tunnel mode, both outer families (the gateways' nestings are in sim/test_ipsec_sim.c). */
static void tunnel_host(struct lab_pair *t, bool in6, bool out6)
{
	const char *a = in6 ? A6 : A4, *b = in6 ? B6 : B4, *oa = out6 ? A6 : A4, *ob = out6 ? B6 : B4;
	unsigned plen = in6 ? 128 : 32;
	struct xfrm_selector ab = lab_sel(a, plen, b, plen, IPPROTO_UDP);
	struct xfrm_selector ba = lab_sel(b, plen, a, plen, IPPROTO_UDP);
	struct xfrm_tmpl tab = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, oa, ob, XFRM_LEVEL_REQUIRE);
	struct xfrm_tmpl tba = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, ob, oa, XFRM_LEVEL_REQUIRE);
	int ofam = out6 ? AF_INET6 : AF_INET;
	struct usock *sb = lab_udp_bound(SB(t), in6 ? AF_INET6 : AF_INET, 7000);
	struct usock *sa = lab_udp_bound(SA(t), in6 ? AF_INET6 : AF_INET, 7001);

	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TUNNEL, oa, ob, 0x3001, LAB_CBC_SHA256);
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TUNNEL, oa, ob, 0x3001, LAB_CBC_SHA256);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TUNNEL, ob, oa, 0x3002, LAB_CBC_SHA256);
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TUNNEL, ob, oa, 0x3002, LAB_CBC_SHA256);
	lab_pol(SA(t), &ab, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tab);
	lab_pol(SB(t), &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tab);
	lab_pol(SB(t), &ba, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tba);
	lab_pol(SA(t), &ba, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tba);
	/* DSCP 46 with ECT(0), and DF on an IPv4 inner packet: what the outer header copies. */
	{
		int ds = 0xba, pmtu = IP_PMTUDISC_DO;

		if (in6) {
			assert_int_equal(usagi_setsockopt(sa, IPPROTO_IPV6, IPV6_TCLASS, &ds, sizeof(ds)), 0);
		} else {
			assert_int_equal(usagi_setsockopt(sa, IPPROTO_IP, IP_TOS, &ds, sizeof(ds)), 0);
			assert_int_equal(usagi_setsockopt(sa, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
							  sizeof(pmtu)), 0);
		}
	}
	assert_int_equal(lab_send_to(sa, b, 7000, "tunnelled", 9), 9);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "tunnelled"));
	{
		const struct lab_frame *f = lab_find(t->l, t->k, IPPROTO_ESP, 0);
		const uint8_t *oh = f->b + ETH_HLEN;

		/* RFC 4301 5.1.2.1 / RFC 6040 4.1: DSCP and ECN copied; DF from an IPv4 inner header. */
		assert_int_equal(xfrm_dsfield(oh), 0xba);
		if (!out6)
			assert_int_equal(get_be16(oh + 6) & IP4_DF, in6 ? 0 : IP4_DF);
		else
			assert_int_equal(oh[7], 64);
	}
	assert_int_equal(lab_send_to(sb, a, 7001, "tunnelled", 9), 9);
	lab_pump(t->l, 1);
	assert_true(lab_got(sa, "tunnelled"));
	assert_int_equal(lab_count(t->l, t->k, ofam, IPPROTO_ESP), 2);
	assert_false(lab_wire_has(t->l, t->k, "tunnelled", 9));
	usagi_close(sa);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

static void test_tunnel_host_6in6(void **state) { tunnel_host(*state, true, true); }
static void test_tunnel_host_4in6(void **state) { tunnel_host(*state, false, true); }
static void test_tunnel_host_6in4(void **state) { tunnel_host(*state, true, false); }
static void test_tunnel_host_4in4(void **state) { tunnel_host(*state, false, false); }

/* A test on a fresh pair of hosts. */
#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_esp_transport6_gcm),
		PAIR_TEST(test_esp_transport4_cbc),
		PAIR_TEST(test_esp_transport6_cbc),
		PAIR_TEST(test_esp_transport4_gcm),
		PAIR_TEST(test_replay_spi_icv_dummy),
		PAIR_TEST(test_clear_and_block),
		PAIR_TEST(test_use_level),
		PAIR_TEST(test_acquire),
		PAIR_TEST(test_lifetimes),
		PAIR_TEST(test_frag6),
		PAIR_TEST(test_frag4),
		PAIR_TEST(test_tunnel_host_6in6),
		PAIR_TEST(test_tunnel_host_4in6),
		PAIR_TEST(test_tunnel_host_6in4),
		PAIR_TEST(test_tunnel_host_4in4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
