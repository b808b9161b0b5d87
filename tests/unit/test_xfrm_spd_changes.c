/*
 * Whatever the packet path keeps between packets (xfrm_output.c's bundle
 * cache, valid while struct xfrm_spd.changes and the SAD's change count
 * hold), every packet must be handled as a fresh SPD lookup would have it,
 * after any change of the SPD since the flow's last packet. Two hosts
 * (tests/lib/ipsec_lab.h, struct lab_pair):
 *
 *   A 2001:db8:1::1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 B
 *
 * Output: a flow that found no policy goes ESP once one is added, clear
 * again once it is deleted; a bypass for one port does not leak to the flow
 * of another port; a bypass turned into a block
 * by spdupdate (the same policy object) blocks at once; after a flush the
 * flow goes clear. Input: B's IN policy added, updated in place, deleted
 * and added again decides each clear datagram from A as a lookup would.
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

/* What A's datagram to B:@port left as: IPPROTO_ESP, IPPROTO_UDP, or 0 (nothing sent). */
static int send_as(struct lab_pair *t, uint16_t port)
{
	lab_cap_clear(t->l, t->k);
	lab_udp_send(SA(t), B6, port, "x");
	lab_pump(t->l, 1);
	if (lab_count(t->l, t->k, AF_INET6, IPPROTO_ESP))
		return IPPROTO_ESP;
	if (lab_count(t->l, t->k, AF_INET6, IPPROTO_UDP))
		return IPPROTO_UDP;
	return 0;
}

/* A policy A -> B for UDP (@port, 0: any) of @action at @prio; @flags as xfrm_policy_add's. */
static struct xfrm_policy *udp_policy(struct stack *st, int dir, uint16_t port, int action,
				      uint32_t prio, int flags)
{
	struct xfrm_policy req = { .dir = (uint8_t)dir, .action = (uint8_t)action,
				   .priority = prio };
	struct xfrm_policy *pol = NULL;

	req.sel = lab_sel(A6, 128, B6, 128, IPPROTO_UDP);
	if (port) {
		req.sel.dport = port;
		req.sel.dport_mask = 0xffff;
	}
	if (action == XFRM_ACT_IPSEC) {
		req.ntmpl = 1;
		req.tmpl[0] = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL,
				       XFRM_LEVEL_REQUIRE);
	}
	assert_int_equal(xfrm_policy_add(st, &req, flags, &pol), 0);
	return pol;
}

static void test_out_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_selector any = lab_sel(A6, 128, B6, 128, IPPROTO_UDP);
	uint64_t blocked;

	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x6001, LAB_GCM);
	/* No policy for the flow: clear, and the answer is cached. */
	assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
	assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
	udp_policy(SA(t), XFRM_DIR_OUT, 0, XFRM_ACT_IPSEC, 100, 0);
	assert_int_equal(send_as(t, 7000), IPPROTO_ESP);
	assert_int_equal(send_as(t, 7000), IPPROTO_ESP);
	/* A bypass for port 7001 only, ahead of the ipsec policy. */
	udp_policy(SA(t), XFRM_DIR_OUT, 7001, XFRM_ACT_ALLOW, 50, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(send_as(t, 7001), IPPROTO_UDP);
		assert_int_equal(send_as(t, 7000), IPPROTO_ESP);
	}
	/* spdupdate: the same policy object now blocks. */
	blocked = STAT_GET(SA(t), xfrm_spd_out_block);
	udp_policy(SA(t), XFRM_DIR_OUT, 7001, XFRM_ACT_BLOCK, 50, XFRM_POLICY_F_UPDATE);
	assert_int_equal(send_as(t, 7001), 0);
	assert_int_equal(STAT_GET(SA(t), xfrm_spd_out_block), blocked + 1);
	assert_int_equal(send_as(t, 7000), IPPROTO_ESP);
	assert_int_equal(xfrm_policy_delete(SA(t), &any, XFRM_DIR_OUT), 0);
	assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
	assert_int_equal(send_as(t, 7001), 0);
	xfrm_policy_flush(SA(t));
	assert_int_equal(send_as(t, 7001), IPPROTO_UDP);
	lab_pair_check_pools(t);
}

static void test_in_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_selector any = lab_sel(A6, 128, B6, 128, IPPROTO_UDP);
	struct usock *s;
	uint64_t nomatch;

	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	s = lab_udp_bound(SB(t), AF_INET6, 7000);
	/* No IN policy on B for the flow: A's clear datagram is taken (and cached so). */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
		assert_true(lab_got(s, "x"));
	}
	nomatch = STAT_GET(SB(t), xfrm_spd_in_nomatch);
	udp_policy(SB(t), XFRM_DIR_IN, 0, XFRM_ACT_IPSEC, 100, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
		assert_true(lab_empty(s));
	}
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_nomatch), nomatch + 2);
	/* spdupdate to a bypass (the same object): taken again. */
	udp_policy(SB(t), XFRM_DIR_IN, 0, XFRM_ACT_ALLOW, 100, XFRM_POLICY_F_UPDATE);
	assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
	assert_true(lab_got(s, "x"));
	assert_int_equal(xfrm_policy_delete(SB(t), &any, XFRM_DIR_IN), 0);
	assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
	assert_true(lab_got(s, "x"));
	/* Added again (the allocator may hand out the same address): required once more. */
	udp_policy(SB(t), XFRM_DIR_IN, 0, XFRM_ACT_IPSEC, 100, 0);
	assert_int_equal(send_as(t, 7000), IPPROTO_UDP);
	assert_true(lab_empty(s));
	assert_int_equal(STAT_GET(SB(t), xfrm_spd_in_nomatch), nomatch + 3);
	usagi_close(s);
	lab_pair_check_pools(t);
}

#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_out_changes),
		PAIR_TEST(test_in_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
