/*
 * Pieces of the IPsec packet path checked directly: the template matching
 * of the inbound/forward policy check on hand-built security paths, where
 * a transport-mode header goes (RFC 4303 3.1.1), the RFC 6040 ECN table on
 * decapsulation, the bound on the security path, and st->xfrm_nencap
 * following SAs with UDP encapsulation.
 */
/* GCC inlines pkt_alloc's buffer as the bytes past struct pkt and warns falsely. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "core/csum.h"
#include "ipv6/exthdr.h"
#include "link/ether.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "xfrm/esp.h"
#include "xfrm/xfrm_io_priv.h"

/* An ESP packet A -> B (transport, UDP inside) sealed with @x, nh set, data at ESP. */
static struct pkt *esp_packet(struct stack *st, struct xfrm_state *x, uint64_t seq)
{
	struct esp_sa_params sp = { .spi = x->c.id.spi, .c = x->crypto };
	struct in6_addr a = lab_addr(A6, NULL), b = lab_addr(B6, NULL);
	struct pkt *p = pkt_alloc(st->pool, 128, 256);
	uint8_t *h;

	memset(pkt_put(p, 8), 0, 8);
	assert_int_equal(esp_encap(&sp, p, IPPROTO_UDP, seq), 0);
	h = pkt_push(p, IPV6_HLEN);
	memset(h, 0, IPV6_HLEN);
	ip6_set_vtcfl((struct ip6_hdr *)h, 0, 0);
	put_be16(h + 4, (uint16_t)(p->len - IPV6_HLEN));
	h[6] = NH_ESP;
	h[7] = 64;
	memcpy(h + 8, &a, 16);
	memcpy(h + 24, &b, 16);
	pkt_set_nh(p);
	pkt_pull(p, IPV6_HLEN);
	*IP6_CB(p) = (struct ip6_cb){ .nhoff = offsetof(struct ip6_hdr, nxt) };
	return p;
}

/* A security path already PKT_SP_MAX long takes no further SA (bounds tunnel recursion). */
static void test_sp_full(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_state *xb = lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x1001, LAB_GCM);
	struct pkt *p = esp_packet(SB(t), xb, 1);
	uint8_t nxt = NH_ESP;

	while (p->sp_len < PKT_SP_MAX) {
		xfrm_state_hold(xb);
		p->sp[p->sp_len++] = xb;
	}
	assert_int_equal(xfrm6_input(SB(t), &p, &nxt), EXT_DONE);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_sp_full), 1);
	assert_int_equal(xb->cur.packets, 0);
	assert_int_equal(xb->refcnt, 1);
	/* One short of the bound: accepted, the header cut, the chain goes on at UDP. */
	p = esp_packet(SB(t), xb, 2);
	while (p->sp_len < PKT_SP_MAX - 1) {
		xfrm_state_hold(xb);
		p->sp[p->sp_len++] = xb;
	}
	nxt = NH_ESP;
	assert_int_equal(xfrm6_input(SB(t), &p, &nxt), EXT_CONTINUE);
	assert_int_equal(nxt, IPPROTO_UDP);
	assert_int_equal(p->sp_len, PKT_SP_MAX);
	assert_int_equal(p->len, 8);
	assert_int_equal(get_be16(pkt_nh(p) + 4), 8);
	assert_int_equal(pkt_nh(p)[6], IPPROTO_UDP);
	assert_ptr_equal(pkt_nh(p) + IPV6_HLEN, p->data);
	pkt_free(p);
	assert_int_equal(xb->refcnt, 1);
	lab_pair_check_pools(t);
}

/* --- The policy check on hand-built security paths. --- */

static struct xfrm_state *fake_sa(struct stack *st, uint8_t proto, int mode, uint32_t spi,
				  const char *src, const char *dst)
{
	struct xfrm_sa_cfg c = { .id = { .spi = spi, .proto = proto }, .mode = (uint8_t)mode,
				 .flags = XFRM_SA_F_NOCRYPTO };
	struct xfrm_state *x;
	int fam;

	c.id.daddr = lab_addr(dst, &fam);
	c.saddr = lab_addr(src, NULL);
	c.family = (uint8_t)fam;
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	return x;
}

/* A UDP packet A -> B whose path holds @n SAs; the policy check's verdict. */
static bool check_with(struct stack *st, struct xfrm_state **sp, unsigned n, int dir)
{
	struct pkt *p = pkt_alloc(st->pool, 64, 64);
	uint8_t *h = pkt_put(p, IPV6_HLEN + 8);
	struct in6_addr a = lab_addr(A6, NULL), b = lab_addr(B6, NULL);
	bool ok;

	memset(h, 0, IPV6_HLEN + 8);
	ip6_set_vtcfl((struct ip6_hdr *)h, 0, 0);
	put_be16(h + 4, 8);
	h[6] = NH_UDP;
	h[7] = 64;
	memcpy(h + 8, &a, 16);
	memcpy(h + 24, &b, 16);
	put_be16(h + IPV6_HLEN, 1000);
	put_be16(h + IPV6_HLEN + 2, 2000);
	pkt_set_nh(p);
	pkt_pull(p, IPV6_HLEN);
	for (unsigned i = 0; i < n; i++) {
		xfrm_state_hold(sp[i]);
		p->sp[p->sp_len++] = sp[i];
	}
	ok = xfrm_policy_check(st, p, dir);
	pkt_free(p);
	return ok;
}

static void test_policy_check_templates(void **state)
{
	struct lab_pair *t = *state;
	struct stack *st = SB(t);
	struct xfrm_state *esp_t = fake_sa(st, IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x10, A6, B6);
	struct xfrm_state *ah_t = fake_sa(st, IPPROTO_AH, XFRM_MODE_TRANSPORT, 0x11, A6, B6);
	struct xfrm_state *esp_tun = fake_sa(st, IPPROTO_ESP, XFRM_MODE_TUNNEL, 0x12, "2001:db8:9::1", B6);
	struct xfrm_state *esp_tun2 = fake_sa(st, IPPROTO_ESP, XFRM_MODE_TUNNEL, 0x13, "2001:db8:9::2", B6);
	struct xfrm_selector ab = lab_sel(A6, 128, B6, 128, IPPROTO_UDP);
	struct xfrm_tmpl two[2] = {
		lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE),
		lab_tmpl(IPPROTO_AH, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE),
	};
	struct xfrm_tmpl tun = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TUNNEL, "2001:db8:9::1", B6,
					XFRM_LEVEL_REQUIRE);
	struct xfrm_tmpl opt[2] = {
		lab_tmpl(IPPROTO_COMP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE),
		lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_USE),
	};

	/* No policy: anything but a tunnel's inner packet passes. */
	assert_true(check_with(st, NULL, 0, XFRM_DIR_IN));
	assert_true(check_with(st, (struct xfrm_state *[]){ esp_t }, 1, XFRM_DIR_IN));
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_tun }, 1, XFRM_DIR_IN));
	assert_int_equal(STAT_GET(st, xfrm_in_tunnel_nopol), 1);

	/* esp then ah on output: ah outermost in the path. */
	lab_pol(st, &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, 2, two);
	assert_true(check_with(st, (struct xfrm_state *[]){ ah_t, esp_t }, 2, XFRM_DIR_IN));
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_t, ah_t }, 2, XFRM_DIR_IN));
	assert_false(check_with(st, (struct xfrm_state *[]){ ah_t }, 1, XFRM_DIR_IN));
	assert_false(check_with(st, NULL, 0, XFRM_DIR_IN));
	assert_int_equal(STAT_GET(st, xfrm_spd_in_nomatch), 3);
	/* A tunnel SA the templates do not name is never stepped over. */
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_tun, ah_t, esp_t }, 3, XFRM_DIR_IN));
	assert_int_equal(xfrm_policy_delete(st, &ab, XFRM_DIR_IN), 0);

	/* Tunnel endpoints must be the template's. */
	lab_pol(st, &ab, XFRM_DIR_FWD, XFRM_ACT_IPSEC, 1, &tun);
	assert_true(check_with(st, (struct xfrm_state *[]){ esp_tun }, 1, XFRM_DIR_FWD));
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_tun2 }, 1, XFRM_DIR_FWD));
	assert_false(check_with(st, NULL, 0, XFRM_DIR_FWD));
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_t }, 1, XFRM_DIR_FWD));
	/* An extra transport SA inside the tunnel is tolerated (Linux does the same). */
	assert_true(check_with(st, (struct xfrm_state *[]){ esp_tun, esp_t }, 2, XFRM_DIR_FWD));
	assert_int_equal(STAT_GET(st, xfrm_fwd_nomatch), 3);
	assert_int_equal(xfrm_policy_delete(st, &ab, XFRM_DIR_FWD), 0);

	/* `use` and IPComp templates may be missing; present, they are matched. */
	lab_pol(st, &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, 2, opt);
	assert_true(check_with(st, NULL, 0, XFRM_DIR_IN));
	assert_true(check_with(st, (struct xfrm_state *[]){ esp_t }, 1, XFRM_DIR_IN));
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_tun }, 1, XFRM_DIR_IN));
	assert_int_equal(xfrm_policy_delete(st, &ab, XFRM_DIR_IN), 0);

	/* allow = no templates; block drops. */
	lab_pol(st, &ab, XFRM_DIR_IN, XFRM_ACT_ALLOW, 0, NULL);
	assert_true(check_with(st, (struct xfrm_state *[]){ esp_t }, 1, XFRM_DIR_IN));
	assert_false(check_with(st, (struct xfrm_state *[]){ esp_tun }, 1, XFRM_DIR_IN));
	assert_int_equal(xfrm_policy_delete(st, &ab, XFRM_DIR_IN), 0);
	lab_pol(st, &ab, XFRM_DIR_IN, XFRM_ACT_BLOCK, 0, NULL);
	assert_false(check_with(st, NULL, 0, XFRM_DIR_IN));
	assert_int_equal(STAT_GET(st, xfrm_spd_in_block), 1);
	assert_int_equal(esp_t->refcnt, 1);
	assert_int_equal(esp_tun->refcnt, 1);
	lab_pair_check_pools(t);
}

/* RFC 4303 3.1.1: where a transport-mode header goes in an IPv6 chain and after IPv4 options. */
static void test_hdr_part(void **state)
{
	uint8_t b[200] = { 0x60 };
	struct pkt p = { .data = b, .len = sizeof(b) };
	size_t hoff, nhoff;

	/* HbH, DstOpts (HAO), Routing, DstOpts (no HAO), UDP */
	b[6] = NH_HOPOPTS;
	b[40] = NH_DSTOPTS; b[41] = 0;
	b[48] = NH_ROUTING; b[49] = 2; b[50] = OPT6_HAO; b[51] = 16;
	b[72] = NH_DSTOPTS; b[73] = 0;
	b[80] = NH_UDP; b[81] = 0; b[82] = OPT6_PADN; b[83] = 4;
	assert_int_equal(xfrm_hdr_part(&p, &hoff, &nhoff), 0);
	/* After HbH, the HAO DstOpts and the Routing header; the last DstOpts goes inside. */
	assert_int_equal(hoff, 80);
	assert_int_equal(nhoff, 72);

	/* HbH, DstOpts without HAO, UDP: only HbH stays in front. */
	b[48] = NH_UDP; b[49] = 0; b[50] = OPT6_PADN; b[51] = 4;
	assert_int_equal(xfrm_hdr_part(&p, &hoff, &nhoff), 0);
	assert_int_equal(hoff, 48);
	assert_int_equal(nhoff, 40);

	/* DstOpts then Routing: both in front. */
	b[6] = NH_DSTOPTS;
	b[40] = NH_ROUTING; b[41] = 0; b[42] = OPT6_PADN; b[43] = 4;
	b[48] = NH_UDP; b[49] = 0;
	assert_int_equal(xfrm_hdr_part(&p, &hoff, &nhoff), 0);
	assert_int_equal(hoff, 56);
	assert_int_equal(nhoff, 48);

	/* A header running past the packet. */
	b[49] = 40;
	assert_int_equal(xfrm_hdr_part(&p, &hoff, &nhoff), -EINVAL);

	/* IPv4 with 4 bytes of options. */
	memset(b, 0, sizeof(b));
	b[0] = 0x46;
	assert_int_equal(xfrm_hdr_part(&p, &hoff, &nhoff), 0);
	assert_int_equal(hoff, 24);
	assert_int_equal(nhoff, 9);
}

/* RFC 6040 4.2 decapsulation table, IPv6 and IPv4 (checksum kept right). */
static void test_ecn_decap(void **state)
{
	static const struct { uint8_t inner, outer; int want; } cases[] = {
		{ 0, 0, 0 }, { 0, 2, 0 }, { 0, 1, 0 }, { 0, 3, -1 },
		{ 2, 0, 2 }, { 2, 2, 2 }, { 2, 1, 1 }, { 2, 3, 3 },
		{ 1, 0, 1 }, { 1, 2, 1 }, { 1, 1, 1 }, { 1, 3, 3 },
		{ 3, 0, 3 }, { 3, 2, 3 }, { 3, 1, 3 }, { 3, 3, 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t h6[40] = { 0 }, h4[20] = { 0x45 };
		struct pkt p6 = { .data = h6, .len = 40 }, p4 = { .data = h4, .len = 20 };
		uint8_t ds = (uint8_t)(0xb8 | cases[i].inner);

		ip6_set_vtcfl((struct ip6_hdr *)h6, ds, 0x12345);
		h4[1] = ds;
		ip4_set_csum(h4, 20);
		assert_int_equal(xfrm_ecn_decap(&p6, (uint8_t)(0x20 | cases[i].outer)), cases[i].want < 0 ? -1 : 0);
		assert_int_equal(xfrm_ecn_decap(&p4, (uint8_t)(0x20 | cases[i].outer)), cases[i].want < 0 ? -1 : 0);
		if (cases[i].want < 0)
			continue;
		assert_int_equal(xfrm_dsfield(h6), 0xb8 | cases[i].want);
		assert_int_equal(ip6_flowlabel((struct ip6_hdr *)h6), 0x12345);
		assert_int_equal(h4[1], 0xb8 | cases[i].want);
		assert_int_equal(csum_fold(csum_partial(h4, 20, 0)), 0);
	}
}

/* st->xfrm_nencap follows SAs with UDP encapsulation through add, update and delete. */
static void test_nencap(void **state)
{
	struct lab_pair *t = *state;
	struct stack *st = SA(t);
	struct xfrm_state *x = lab_sa(st, IPPROTO_ESP, XFRM_MODE_TUNNEL, A4, B4, 0x4001, LAB_GCM);
	struct xfrm_sa_cfg c = x->c;

	assert_int_equal(st->xfrm_nencap, 0);
	c.encap.type = 2;
	c.encap.sport = c.encap.dport = 4500;
	assert_int_equal(xfrm_state_update(st, &c, NULL), 0);
	assert_int_equal(st->xfrm_nencap, 1);
	c.id.spi = 0x4002;
	assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
	assert_int_equal(st->xfrm_nencap, 2);
	c.encap.type = 0;
	assert_int_equal(xfrm_state_update(st, &c, NULL), 0);
	assert_int_equal(st->xfrm_nencap, 1);
	xfrm_state_delete(st, x);          /* 0x4001, still encapsulating */
	assert_int_equal(st->xfrm_nencap, 0);
	c.id.spi = 0x4001;
	c.encap.type = 2;
	assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
	assert_int_equal(st->xfrm_nencap, 1);
	xfrm_state_flush(st, 0);
	assert_int_equal(st->xfrm_nencap, 0);
}

/* A test on a fresh pair of hosts. */
#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_sp_full),
		PAIR_TEST(test_policy_check_templates),
		cmocka_unit_test(test_hdr_part),
		cmocka_unit_test(test_ecn_decap),
		PAIR_TEST(test_nencap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
