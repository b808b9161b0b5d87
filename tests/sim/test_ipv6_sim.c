/*
 * Simulated networks: SLAAC + DAD (with a duplicate), NUD after a neighbour
 * disappears, reassembly under loss and reordering, a router forwarding
 * between two links.
 *
 *        lan1                     lan2
 *   A ----+---- R (router) ----+---- B
 *   C ----+
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "simhost.h"
#include "ipv6/addrconf.h"
#include "ipv6/nd6.h"

static const struct sim_link_params fast = { .delay_ns = 1 * NS_PER_MS };

static struct inet6_ifaddr *addr_of(struct simhost *h, const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return addrconf_lookup(h->st, &a);
}

/* R routes between lan1 (2001:db8:1::/64) and lan2 (2001:db8:2::/64) and advertises both. */
static struct simhost *router(struct sim_world *w, struct sim_segment *l1, struct sim_segment *l2)
{
	struct simhost *r = simt_host(w, "R");

	simt_attach(r, l1, "eth0", 0x01);
	simt_attach(r, l2, "eth1", 0x02);
	assert_int_equal(simt_cmd(r, "sysctl net.ipv6.conf.all.forwarding=1"), 0);
	assert_int_equal(simt_cmd(r, "link set eth0 up"), 0);
	assert_int_equal(simt_cmd(r, "link set eth1 up"), 0);
	assert_int_equal(simt_cmd(r, "addr add 2001:db8:1::1/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(r, "addr add 2001:db8:2::1/64 dev eth1 nodad"), 0);
	assert_int_equal(simt_cmd(r, "ra eth0 prefix 2001:db8:1::/64"), 0);
	assert_int_equal(simt_cmd(r, "ra eth1 prefix 2001:db8:2::/64"), 0);
	assert_int_equal(simt_cmd(r, "ra eth0 on"), 0);
	assert_int_equal(simt_cmd(r, "ra eth1 on"), 0);
	return r;
}

static void test_slaac_dad(void **state)
{
	struct sim_world *w = simt_world(1);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &fast);
	struct sim_segment *l2 = sim_segment_new(w, "lan2", &fast);
	struct simhost *r = router(w, l1, l2);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	/* C already holds the address A will derive from its MAC 02:00:00:00:00:0a. */
	struct simhost *c = simt_host(w, "C");

	simt_attach(c, l1, "eth0", 0x0c);
	assert_int_equal(simt_cmd(c, "addr add 2001:db8:1::ff:fe00:a/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(c, "link set eth0 up"), 0);
	/* And B on lan2 gets a unique one. */
	struct simhost *b = simt_host_up(w, "B", l2, 0x0b);

	simt_run_ms(w, 20000);

	struct inet6_ifaddr *ll = addr_of(a, "fe80::ff:fe00:a");
	assert_non_null(ll);
	assert_false(ll->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));

	struct inet6_ifaddr *dup = addr_of(a, "2001:db8:1::ff:fe00:a");
	assert_non_null(dup);
	assert_true(dup->flags & IFA_F_DADFAILED);
	assert_true(dup->flags & IFA_F_AUTOCONF);

	struct inet6_ifaddr *ok = addr_of(b, "2001:db8:2::ff:fe00:b");
	assert_non_null(ok);
	assert_true(ok->flags & IFA_F_AUTOCONF);
	assert_false(ok->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));

	assert_int_equal(simt_cmd(a, "addr show dev eth0"), 0);
	assert_non_null(strstr(simt_output(a), "dadfailed"));
	assert_int_equal(simt_cmd(b, "route show"), 0);
	assert_non_null(strstr(simt_output(b), "default via fe80::ff:fe00:2 dev eth0 proto ra"));

	simt_host_free(r); simt_host_free(a); simt_host_free(b); simt_host_free(c);
	sim_world_free(w);
}

static void test_router_forwarding(void **state)
{
	struct sim_world *w = simt_world(2);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &fast);
	struct sim_segment *l2 = sim_segment_new(w, "lan2", &fast);
	struct simhost *r = router(w, l1, l2);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *b = simt_host_up(w, "B", l2, 0x0b);

	simt_run_ms(w, 10000);
	assert_int_equal(simt_cmd(a, "ping 2001:db8:2::ff:fe00:b -c 3 -i 0.2"), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 10000), 0);
	assert_non_null(strstr(simt_output(a), "3 packets transmitted, 3 received, 0% packet loss"));
	/* Hop limit 63 on arrival at B means R decremented it once; the reply comes back with 63. */
	assert_non_null(strstr(simt_output(a), "ttl=63"));

	simt_host_free(r); simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

static void test_nud_neighbour_disappears(void **state)
{
	struct sim_world *w = simt_world(3);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &fast);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *b = simt_host(w, "B");
	struct netdev *bdev = simt_attach(b, l1, "eth0", 0x0b);

	assert_int_equal(simt_cmd(a, "addr add 2001:db8:1::a/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 2001:db8:1::b/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "link set eth0 up"), 0);
	simt_run_ms(w, 3000);
	assert_int_equal(simt_cmd(a, "ping 2001:db8:1::b -c 1"), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 5000), 0);
	assert_int_equal(simt_neigh_state_of(a, "2001:db8:1::b", NULL), NUD_REACHABLE);

	/* B's cable is pulled; after ReachableTime the entry goes STALE, then a
	 * packet moves it through DELAY and PROBE, and unanswered probes end it. */
	simt_nud_gone(a, bdev, "2001:db8:1::b");

	simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

static void test_reassembly_loss_reorder(void **state)
{
	struct sim_world *w = simt_world(4);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &simt_rough);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *b = simt_host_up(w, "B", l1, 0x0b);

	assert_int_equal(simt_cmd(a, "addr add 2001:db8:1::a/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 2001:db8:1::b/64 dev eth0 nodad"), 0);
	simt_run_ms(w, 3000);
	/* Reordered and duplicated fragments still reassemble: every reply comes back. */
	simt_ping_big(a, "2001:db8:1::b");
	/* Both directions reassembled every datagram; duplicates were seen and dropped. */
	assert_true(STAT_GET(b->st, frag6_ok) >= 10);
	assert_true(STAT_GET(a->st, frag6_ok) >= 10);
	assert_true(STAT_GET(a->st, frag6_dup) + STAT_GET(b->st, frag6_dup) > 0);

	/* With loss, lost fragments time out (counted) and the rest still work. */
	simt_ping_big_lossy(a, l1, &simt_rough, "2001:db8:1::b");
	assert_true(STAT_GET(b->st, frag6_timeout) + STAT_GET(a->st, frag6_timeout) > 0);

	simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slaac_dad),
		cmocka_unit_test(test_router_forwarding),
		cmocka_unit_test(test_nud_neighbour_disappears),
		cmocka_unit_test(test_reassembly_loss_reorder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
