/*
 * Output's bundle cache (xfrm_output.c): a packet must leave with the SA a
 * fresh resolution would pick, whatever changed since the last packet of
 * the flow. Two hosts (tests/lib/ipsec_lab.h, struct lab_pair):
 *
 *   A 2001:db8:1::1 eth0 ---- link 0 ---- eth0 2001:db8:1::2, ::3 B
 *
 * Each step sends one UDP datagram A -> B and reads the SPI of the ESP
 * packet on the wire: a newer SA for the same template takes over at once
 * (ADD), the older one comes back when the newer is deleted (DELETE) or
 * soft-expires (DYING loses to MATURE), a policy updated in place to name
 * an SPI uses it (spdupdate keeps the policy object), a policy deleted and
 * added again (maybe at the same address) resolves anew, a flush leaves
 * nothing to send with (ACQUIRE, no stale SA used), and two destinations
 * under one transport policy each get their own SA, also when 80 of them
 * share the cache's 64 entries. Pools and SA
 * references are back at their baseline at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "link/ether.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "xfrm/state_priv.h"

#define B6b "2001:db8:1::3"

/* SPI of the last ESP packet A sent on the link, 0 if none. */
static uint32_t last_spi(struct lab_pair *t)
{
	const struct lab_frame *f = NULL, *g;

	for (unsigned i = 0; (g = lab_find(t->l, t->k, IPPROTO_ESP, i)); i++)
		f = g;
	if (!f || f->len < ETH_HLEN + IPV6_HLEN + 8)
		return 0;
	return get_be32(f->b + ETH_HLEN + IPV6_HLEN);
}

/* One datagram A -> @dst; the SPI it left with (0: not sent as ESP). */
static uint32_t send_spi(struct lab_pair *t, const char *dst)
{
	lab_cap_clear(t->l, t->k);
	if (lab_udp_send(SA(t), dst, 7000, "x") != 1)
		return 0;
	lab_pump(t->l, 1);
	return last_spi(t);
}

static struct xfrm_policy *out_policy(struct lab_pair *t, uint32_t spi, int flags)
{
	struct xfrm_policy req = { .dir = XFRM_DIR_OUT, .action = XFRM_ACT_IPSEC, .ntmpl = 1 };
	struct xfrm_policy *pol;

	req.sel = lab_sel(A6, 128, "2001:db8:1::", 64, IPPROTO_UDP);
	req.tmpl[0] = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE);
	req.tmpl[0].spi = spi;
	assert_int_equal(xfrm_policy_add(SA(t), &req, flags, &pol), 0);
	return pol;
}

static void test_sad_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_state *x1, *x2;
	struct in6_addr b = lab_addr(B6, NULL);

	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	out_policy(t, 0, 0);
	x1 = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x3001, LAB_GCM);
	assert_int_equal(send_spi(t, B6), 0x3001);
	assert_int_equal(send_spi(t, B6), 0x3001);
	/* RFC 4301 4.4.2 leaves the choice to us: the newest MATURE SA, at once. */
	x2 = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x3002, LAB_GCM);
	assert_int_equal(send_spi(t, B6), 0x3002);
	/* A soft expiry makes it DYING: the MATURE one is preferred again. */
	sad_expire_soft(SA(t), x2, XFRM_EXP_PACKETS);
	assert_int_equal(send_spi(t, B6), 0x3001);
	xfrm_state_delete(SA(t), x1);
	assert_int_equal(send_spi(t, B6), 0x3002);   /* DYING is still usable */
	assert_int_equal(xfrm_state_delete_id(SA(t), &b, 0x3002, IPPROTO_ESP), 0);
	/* Nothing left: ACQUIRE and drop, never a freed SA. */
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "z"), -EAGAIN);
	lab_pump(t->l, 1);
	assert_int_equal(STAT_GET(SA(t), xfrm_out_no_state), 1);
	x1 = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x3003, LAB_GCM);
	assert_int_equal(send_spi(t, B6), 0x3003);
	xfrm_state_flush(SA(t), IPPROTO_ESP);
	assert_int_equal(lab_udp_send(SA(t), B6, 7000, "z"), -EAGAIN);
	lab_pump(t->l, 1);
	lab_pair_check_pools(t);
}

static void test_policy_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_selector sel = lab_sel(A6, 128, "2001:db8:1::", 64, IPPROTO_UDP);
	struct xfrm_state *x1, *x2;

	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	out_policy(t, 0, 0);
	x1 = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x3001, LAB_GCM);
	x2 = lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x3002, LAB_GCM);
	assert_int_equal(send_spi(t, B6), 0x3002);
	/* spdupdate changes the templates of the same policy object: the SPD counts it a change. */
	out_policy(t, 0x3001, XFRM_POLICY_F_UPDATE);
	assert_int_equal(send_spi(t, B6), 0x3001);
	out_policy(t, 0, XFRM_POLICY_F_UPDATE);
	assert_int_equal(send_spi(t, B6), 0x3002);
	/* Deleted and added again (the allocator may hand out the same address). */
	assert_int_equal(xfrm_policy_delete(SA(t), &sel, XFRM_DIR_OUT), 0);
	out_policy(t, 0x3001, 0);
	assert_int_equal(send_spi(t, B6), 0x3001);
	assert_int_equal(x1->refcnt, 1);
	assert_int_equal(x2->refcnt, 1);
	lab_pair_check_pools(t);
}

/* Transport steps take the flow's addresses: each destination its own SA. */
static void test_two_destinations(void **state)
{
	struct lab_pair *t = *state;

	lab_cmd(t->l, t->b, "addr add " B6b "/64 dev eth0 nodad");
	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	out_policy(t, 0, 0);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x4002, LAB_GCM);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6b, 0x4003, LAB_GCM);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(send_spi(t, B6), 0x4002);
		assert_int_equal(send_spi(t, B6b), 0x4003);
	}
	lab_pair_check_pools(t);
}

/* More flows than cache entries: some must share an entry, and none may take another's SA. */
static void test_many_destinations(void **state)
{
	struct lab_pair *t = *state;
	char dst[64];

	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	out_policy(t, 0, 0);
	for (unsigned i = 0; i < 80; i++) {
		snprintf(dst, sizeof(dst), "2001:db8:1::%x", 0x100 + i);
		lab_cmd(t->l, t->b, "addr add %s/64 dev eth0 nodad", dst);
		lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, dst, 0x5000 + i, LAB_GCM);
	}
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 80; i++) {
			snprintf(dst, sizeof(dst), "2001:db8:1::%x", 0x100 + i);
			assert_int_equal(send_spi(t, dst), 0x5000 + i);
		}
	}
	lab_pair_check_pools(t);
}

#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_sad_changes),
		PAIR_TEST(test_policy_changes),
		PAIR_TEST(test_two_destinations),
		PAIR_TEST(test_many_destinations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
