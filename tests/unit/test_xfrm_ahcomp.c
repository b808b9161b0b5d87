/*
 * AH (RFC 4302) and IPComp (RFC 3173) on the IPsec packet path between two
 * hosts (tests/lib/ipsec_lab.h, struct lab_pair):
 *
 *   A 2001:db8:1::1 192.0.2.1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 192.0.2.2 B
 *
 * AH transport and tunnel mode in both families (payload visible, ICV
 * checked, a changed sequence number failing it), ESP inside AH with the
 * inbound check of both, IPComp transport (compressed when it pays, plain
 * otherwise), the KAME ipcomp/tunnel + esp/transport bundle including its
 * uncompressed IP-in-IP form, and IP-in-IP without an IPComp SA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "link/ether.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "xfrm/xfrm.h"

/* --- AH and IPComp, alone and combined with ESP. --- */

struct step {
	uint8_t proto;
	int mode;
	uint32_t spi;              /* A->B; B->A uses spi + 1 */
};

/*
 * SAs for @n steps both ways on both hosts and UDP policies A<->B whose
 * templates are the steps in setkey order (tunnel endpoints: the hosts).
 */
static void pair_steps(struct lab_pair *t, bool v6, unsigned n, const struct step *sp)
{
	const char *a = v6 ? A6 : A4, *b = v6 ? B6 : B4;
	unsigned plen = v6 ? 128 : 32;
	struct xfrm_selector ab = lab_sel(a, plen, b, plen, IPPROTO_UDP);
	struct xfrm_selector ba = lab_sel(b, plen, a, plen, IPPROTO_UDP);
	struct xfrm_tmpl tab[XFRM_TMPL_MAX], tba[XFRM_TMPL_MAX];

	for (unsigned i = 0; i < n; i++) {
		for (int h = 0; h < 2; h++) {
			struct stack *st = h ? SB(t) : SA(t);

			lab_sa(st, sp[i].proto, sp[i].mode, a, b, sp[i].spi, LAB_CBC_SHA256);
			lab_sa(st, sp[i].proto, sp[i].mode, b, a, sp[i].spi + 1, LAB_CBC_SHA256);
		}
		tab[i] = lab_tmpl(sp[i].proto, sp[i].mode, a, b, XFRM_LEVEL_REQUIRE);
		tba[i] = lab_tmpl(sp[i].proto, sp[i].mode, b, a, XFRM_LEVEL_REQUIRE);
	}
	lab_pol(SA(t), &ab, XFRM_DIR_OUT, XFRM_ACT_IPSEC, n, tab);
	lab_pol(SB(t), &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, n, tab);
	lab_pol(SB(t), &ba, XFRM_DIR_OUT, XFRM_ACT_IPSEC, n, tba);
	lab_pol(SA(t), &ba, XFRM_DIR_IN, XFRM_ACT_IPSEC, n, tba);
}

/* @len bytes A -> B and back on UDP; both arrive intact. */
static void pair_echo(struct lab_pair *t, bool v6, size_t len)
{
	int fam = v6 ? AF_INET6 : AF_INET;
	struct usock *sa = lab_udp_bound(SA(t), fam, 7001), *sb = lab_udp_bound(SB(t), fam, 7000);
	static char msg[2000], buf[4000];

	assert_true(len <= sizeof(msg));
	for (size_t i = 0; i < len; i++)
		msg[i] = (char)(i % 64 < 32 ? 'x' : 'a' + i % 7);
	memcpy(msg, "mark", 4);
	assert_int_equal(lab_send_to(sa, v6 ? B6 : B4, 7000, msg, len), (ssize_t)len);
	lab_pump(t->l, 1);
	assert_int_equal(usagi_recvfrom(sb, buf, sizeof(buf), 0, NULL, NULL), (ssize_t)len);
	assert_memory_equal(buf, msg, len);
	assert_int_equal(lab_send_to(sb, v6 ? A6 : A4, 7001, msg, len), (ssize_t)len);
	lab_pump(t->l, 1);
	assert_int_equal(usagi_recvfrom(sa, buf, sizeof(buf), 0, NULL, NULL), (ssize_t)len);
	assert_memory_equal(buf, msg, len);
	usagi_close(sa);
	usagi_close(sb);
}

/* AH authenticates but does not hide: the payload is on the wire; a changed byte fails the ICV. */
static void ah_transport(struct lab_pair *t, bool v6)
{
	const struct step st[] = { { IPPROTO_AH, XFRM_MODE_TRANSPORT, 0x6001 } };
	int fam = v6 ? AF_INET6 : AF_INET;
	struct in6_addr b = lab_addr(v6 ? B6 : B4, NULL);
	struct xfrm_state *xb;
	uint8_t frame[256];
	const struct lab_frame *f;
	size_t ahoff = ETH_HLEN + (v6 ? IPV6_HLEN : IPV4_HLEN);

	pair_steps(t, v6, 1, st);
	pair_echo(t, v6, 40);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_AH), 2);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_UDP), 0);
	assert_true(lab_wire_has(t->l, t->k, "mark", 4));
	assert_int_equal(STAT_GET(SB(t), ah_in_ok), 1);
	assert_int_equal(STAT_GET(SA(t), ah_out_ok), 1);
	f = lab_find(t->l, t->k, IPPROTO_AH, 0);
	assert_true(f && f->len <= sizeof(frame));
	memcpy(frame, f->b, f->len);
	/* RFC 4302 2.2: next header UDP, SPI, sequence number 1. */
	assert_int_equal(frame[ahoff], IPPROTO_UDP);
	assert_int_equal(get_be32(frame + ahoff + 4), 0x6001);
	assert_int_equal(get_be32(frame + ahoff + 8), 1);
	xb = xfrm_state_lookup(SB(t), &b, 0x6001, IPPROTO_AH);
	assert_non_null(xb);
	put_be32(frame + ahoff + 8, 9);
	lab_inject(t->l, t->b, t->k, frame, f->len);
	assert_int_equal(STAT_GET(SB(t), ah_in_icv_fail), 1);
	assert_int_equal(xb->stats.integrity_failed, 1);
	lab_pair_check_pools(t);
}

static void test_ah_transport6(void **state) { ah_transport(*state, true); }
static void test_ah_transport4(void **state) { ah_transport(*state, false); }

static void ah_tunnel(struct lab_pair *t, bool v6)
{
	const struct step st[] = { { IPPROTO_AH, XFRM_MODE_TUNNEL, 0x6101 } };
	int fam = v6 ? AF_INET6 : AF_INET;

	pair_steps(t, v6, 1, st);
	pair_echo(t, v6, 100);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_AH), 2);
	assert_int_equal(STAT_GET(SB(t), ah_in_ok), 1);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 1);
	/* Inside AH: the inner IP header (next header 41 / protocol 4). */
	{
		const struct lab_frame *f = lab_find(t->l, t->k, IPPROTO_AH, 0);

		assert_int_equal(f->b[ETH_HLEN + (v6 ? IPV6_HLEN : IPV4_HLEN)], v6 ? NH_IPV6 : NH_IPIP);
	}
	lab_pair_check_pools(t);
}

static void test_ah_tunnel6(void **state) { ah_tunnel(*state, true); }
static void test_ah_tunnel4(void **state) { ah_tunnel(*state, false); }

/* ESP then AH (RFC 4301 order: AH outermost): the wire shows AH naming ESP; B checks both in order. */
static void test_esp_ah_transport(void **state)
{
	struct lab_pair *t = *state;
	const struct step st[] = { { IPPROTO_AH, XFRM_MODE_TRANSPORT, 0x6201 },
				   { IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x6203 } };
	const struct lab_frame *f;

	pair_steps(t, true, 2, st);
	pair_echo(t, true, 64);
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_AH), 2);
	f = lab_find(t->l, t->k, IPPROTO_AH, 0);
	assert_int_equal(f->b[ETH_HLEN + IPV6_HLEN], IPPROTO_ESP);
	assert_false(lab_wire_has(t->l, t->k, "mark", 4));
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 2);
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_nomatch), 0);
	lab_pair_check_pools(t);
}

/* IPComp alone: a compressible payload travels compressed, a short one as it is (RFC 3173 2.2). */
static void ipcomp_transport(struct lab_pair *t, bool v6)
{
	const struct step st[] = { { IPPROTO_COMP, XFRM_MODE_TRANSPORT, 0x701 } };
	int fam = v6 ? AF_INET6 : AF_INET;
	const struct lab_frame *f;

	pair_steps(t, v6, 1, st);
	pair_echo(t, v6, 1200);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_COMP), 2);
	f = lab_find(t->l, t->k, IPPROTO_COMP, 0);
	assert_true(f->len < 600);
	assert_int_equal(STAT_GET(SB(t), ipcomp_in_ok), 1);
	lab_cap_clear(t->l, t->k);
	pair_echo(t, v6, 20);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_COMP), 0);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_UDP), 2);
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_nomatch), 0);
	lab_pair_check_pools(t);
}

static void test_ipcomp_transport6(void **state) { ipcomp_transport(*state, true); }
static void test_ipcomp_transport4(void **state) { ipcomp_transport(*state, false); }

/*
 * The KAME classic: ipcomp/tunnel + esp/transport. Compressible: ESP
 * around IPComp around the inner packet. Short: ESP around plain IP-in-IP,
 * which B takes as the IPComp tunnel's uncompressed traffic.
 */
static void ipcomp_tunnel_esp(struct lab_pair *t, bool v6)
{
	const struct step st[] = { { IPPROTO_COMP, XFRM_MODE_TUNNEL, 0x801 },
				   { IPPROTO_ESP, XFRM_MODE_TRANSPORT, 0x8001 } };
	int fam = v6 ? AF_INET6 : AF_INET;

	pair_steps(t, v6, 2, st);
	pair_echo(t, v6, 1200);
	assert_int_equal(lab_count(t->l, t->k, fam, IPPROTO_ESP), 2);
	assert_int_equal(STAT_GET(SB(t), ipcomp_in_ok), 1);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 2);
	pair_echo(t, v6, 20);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_iptnl), 1);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_ok), 3);
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_nomatch), 0);
	assert_false(lab_wire_has(t->l, t->k, "mark", 4));
	lab_pair_check_pools(t);
}

static void test_ipcomp_tunnel_esp6(void **state) { ipcomp_tunnel_esp(*state, true); }
static void test_ipcomp_tunnel_esp4(void **state) { ipcomp_tunnel_esp(*state, false); }

/* IP-in-IP with no IPComp SA is still an unknown protocol. */
static void test_iptnl_unknown(void **state)
{
	struct lab_pair *t = *state;
	uint8_t frame[ETH_HLEN + 2 * IPV6_HLEN + 8] = { 0 };
	const struct lab_frame *f;
	struct usock *sb = lab_udp_bound(SB(t), AF_INET6, 7000);

	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "x"), 1);
	lab_pump(t->l, 1);
	f = lab_find(t->l, t->k, IPPROTO_UDP, 0);
	assert_non_null(f);
	memcpy(frame, f->b, ETH_HLEN + IPV6_HLEN);
	memcpy(frame + ETH_HLEN + IPV6_HLEN, f->b + ETH_HLEN, IPV6_HLEN + 8);
	frame[ETH_HLEN + 6] = NH_IPV6;
	put_be16(frame + ETH_HLEN + 4, IPV6_HLEN + 8);
	frame[ETH_HLEN + IPV6_HLEN + 4] = 0;
	frame[ETH_HLEN + IPV6_HLEN + 5] = 8;
	lab_inject(t->l, t->b, t->k, frame, sizeof(frame));
	assert_int_equal(STAT_GET(SB(t), ip6_in_unknown_proto), 1);
	assert_int_equal(STAT_GET(SB(t), xfrm_in_iptnl), 0);
	lab_pump(t->l, 1);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

/* A test on a fresh pair of hosts. */
#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_ah_transport6),
		PAIR_TEST(test_ah_transport4),
		PAIR_TEST(test_ah_tunnel6),
		PAIR_TEST(test_ah_tunnel4),
		PAIR_TEST(test_esp_ah_transport),
		PAIR_TEST(test_ipcomp_transport6),
		PAIR_TEST(test_ipcomp_transport4),
		PAIR_TEST(test_ipcomp_tunnel_esp6),
		PAIR_TEST(test_ipcomp_tunnel_esp4),
		PAIR_TEST(test_iptnl_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
