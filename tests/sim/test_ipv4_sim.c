/*
 * Simulated IPv4 networks: ARP resolution and NUD on ARP entries after a
 * neighbour disappears, fragmentation and reassembly under reordering,
 * duplication and loss, a router forwarding between two links, and RFC 5227
 * address conflict detection between two hosts wanting one address.
 *
 *        lan1 192.0.2.0/24          lan2 198.51.100.0/24
 *   A ----+---- R (router) ----+---- B
 *   C ----+
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "simhost.h"
#include "ipv4/inet4.h"
#include "ipv6/nd6.h"
#include "proto/ip4.h"

static const struct sim_link_params fast = { .delay_ns = 1 * NS_PER_MS };

static struct in4_ifaddr *addr4_of(struct simhost *h, const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return inet4_lookup(h->st, a);
}

static void test_arp_nud(void **state)
{
	struct sim_world *w = simt_world(11);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &fast);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *b = simt_host(w, "B");
	struct netdev *bdev = simt_attach(b, l1, "eth0", 0x0b);
	static const uint8_t bmac[6] = { 0x02, 0, 0, 0, 0, 0x0b };
	uint8_t ll[6];

	assert_int_equal(simt_cmd(a, "addr add 192.0.2.10/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 192.0.2.11/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "link set eth0 up"), 0);
	simt_run_ms(w, 1000);
	assert_int_equal(simt_neigh_state_of(a, "192.0.2.11", NULL), -1);

	/* ARP request from A, reply from B: A's entry holds B's MAC; B learned A from the request. */
	assert_int_equal(simt_cmd(a, "ping 192.0.2.11 -c 1"), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 5000), 0);
	assert_non_null(strstr(simt_output(a), "1 packets transmitted, 1 received, 0% packet loss"));
	assert_int_equal(simt_neigh_state_of(a, "192.0.2.11", ll), NUD_REACHABLE);
	assert_memory_equal(ll, bmac, 6);
	assert_int_not_equal(simt_neigh_state_of(b, "192.0.2.10", NULL), -1);
	assert_true(STAT_GET(a->st, arp_tx_request) >= 1);
	assert_true(STAT_GET(b->st, arp_tx_reply) >= 1);
	assert_int_equal(simt_cmd(a, "neigh show"), 0);
	assert_non_null(strstr(simt_output(a), "192.0.2.11 dev eth0 lladdr 02:00:00:00:00:0b REACHABLE"));

	/* B's cable is pulled: REACHABLE -> STALE after ReachableTime; a packet
	 * moves it through DELAY to PROBE (unicast ARP requests), and
	 * unanswered probes end it. */
	simt_nud_gone(a, bdev, "192.0.2.11");

	simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

static void test_frag4_reorder_dup_loss(void **state)
{
	struct sim_world *w = simt_world(12);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &simt_rough);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *b = simt_host_up(w, "B", l1, 0x0b);

	assert_int_equal(simt_cmd(a, "addr add 192.0.2.10/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 192.0.2.11/24 dev eth0 nodad"), 0);
	simt_run_ms(w, 1000);
	/* 4028-byte datagrams in 3 fragments each way, reordered and duplicated:
	 * every datagram reassembles, so every reply comes back. */
	simt_ping_big(a, "192.0.2.11");
	assert_non_null(strstr(simt_output(a), "4008 bytes from 192.0.2.11: icmp_seq=1 ttl=64"));
	assert_true(STAT_GET(b->st, frag4_ok) >= 10);
	assert_true(STAT_GET(a->st, frag4_ok) >= 10);
	assert_int_equal(STAT_GET(a->st, ip4_out_frag_ok), 10);
	assert_true(STAT_GET(a->st, frag4_dup) + STAT_GET(b->st, frag4_dup) > 0);
	assert_int_equal(STAT_GET(a->st, frag4_overlap) + STAT_GET(b->st, frag4_overlap), 0);

	/* With loss, datagrams missing a fragment time out (counted); the rest still work. */
	simt_ping_big_lossy(a, l1, &simt_rough, "192.0.2.11");
	assert_true(STAT_GET(b->st, frag4_timeout) + STAT_GET(a->st, frag4_timeout) > 0);

	simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

static void test_router4_forwarding(void **state)
{
	struct sim_world *w = simt_world(13);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &fast);
	struct sim_segment *l2 = sim_segment_new(w, "lan2", &fast);
	struct simhost *r = simt_host(w, "R");
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *b = simt_host_up(w, "B", l2, 0x0b);

	simt_attach(r, l1, "eth0", 0x01);
	simt_attach(r, l2, "eth1", 0x02);
	assert_int_equal(simt_cmd(r, "link set eth0 up"), 0);
	assert_int_equal(simt_cmd(r, "link set eth1 up"), 0);
	assert_int_equal(simt_cmd(r, "addr add 192.0.2.1/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(r, "addr add 198.51.100.1/24 dev eth1 nodad"), 0);
	assert_int_equal(simt_cmd(a, "addr add 192.0.2.10/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(a, "route add 0.0.0.0/0 via 192.0.2.1"), 0);
	assert_int_equal(simt_cmd(b, "addr add 198.51.100.10/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "route add 0.0.0.0/0 via 198.51.100.1"), 0);
	simt_run_ms(w, 1000);

	/* Not forwarding yet: a host drops what is not for it (RFC 1122 3.3.4). */
	assert_int_equal(simt_cmd(a, "ping 198.51.100.10 -c 1 -W 1"), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 5000), 1);
	assert_true(STAT_GET(r->st, ip4_in_not_for_us) >= 1);

	assert_int_equal(simt_cmd(r, "sysctl net.ipv4.ip_forward=1"), 0);
	assert_int_equal(simt_cmd(a, "ping 198.51.100.10 -c 3 -i 0.2"), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 10000), 0);
	assert_non_null(strstr(simt_output(a), "3 packets transmitted, 3 received, 0% packet loss"));
	/* TTL 63 on arrival at B means R decremented it once; the reply comes back with 63. */
	assert_non_null(strstr(simt_output(a), "64 bytes from 198.51.100.10: icmp_seq=1 ttl=63"));
	assert_true(STAT_GET(r->st, ip4_fwd_datagrams) >= 6);

	simt_host_free(r); simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

static void test_conflict(void **state)
{
	struct sim_world *w = simt_world(14);
	struct sim_segment *l1 = sim_segment_new(w, "lan1", &fast);
	struct simhost *a = simt_host_up(w, "A", l1, 0x0a);
	struct simhost *c = simt_host_up(w, "C", l1, 0x0c);

	/* A probes (RFC 5227 2.1.1), hears nothing, announces and keeps it. */
	assert_int_equal(simt_cmd(a, "addr add 192.0.2.5/24 dev eth0"), 0);
	struct in4_ifaddr *ia = addr4_of(a, "192.0.2.5");
	assert_non_null(ia);
	assert_true(ia->flags & IFA4_F_TENTATIVE);
	simt_run_ms(w, 15000);
	assert_int_equal(ia->flags & (IFA4_F_TENTATIVE | IFA4_F_CONFLICT), 0);
	assert_true(STAT_GET(a->st, inet4_probe_sent) >= 3);

	/* C wants the same address: A answers C's probe, C marks it in conflict. */
	assert_int_equal(simt_cmd(c, "addr add 192.0.2.5/24 dev eth0"), 0);
	simt_run_ms(w, 15000);
	struct in4_ifaddr *ic = addr4_of(c, "192.0.2.5");
	assert_non_null(ic);
	assert_true(ic->flags & IFA4_F_CONFLICT);
	assert_false(ic->flags & IFA4_F_TENTATIVE);
	assert_int_equal(STAT_GET(c->st, inet4_dad_conflict), 1);
	assert_int_equal(ia->flags & (IFA4_F_TENTATIVE | IFA4_F_CONFLICT), 0);
	assert_false(inet4_is_local(c->st, ic->addr));
	assert_true(inet4_is_local(a->st, ia->addr));

	assert_int_equal(simt_cmd(c, "addr show dev eth0"), 0);
	assert_non_null(strstr(simt_output(c),
			       "    inet 192.0.2.5/24 brd 192.0.2.255 scope global dadfailed eth0"));
	assert_int_equal(simt_cmd(a, "addr show dev eth0"), 0);
	assert_non_null(strstr(simt_output(a), "    inet 192.0.2.5/24 brd 192.0.2.255 scope global eth0"));

	/* A third host still reaches the address, and it is A that answers. */
	struct simhost *d = simt_host_up(w, "D", l1, 0x0d);
	uint8_t ll[6];
	static const uint8_t amac[6] = { 0x02, 0, 0, 0, 0, 0x0a };

	assert_int_equal(simt_cmd(d, "addr add 192.0.2.20/24 dev eth0 nodad"), 0);
	simt_run_ms(w, 1000);
	assert_int_equal(simt_cmd(d, "ping 192.0.2.5 -c 1"), CMD_PENDING);
	assert_int_equal(simt_wait_done(d, 5000), 0);
	assert_int_equal(simt_neigh_state_of(d, "192.0.2.5", ll), NUD_REACHABLE);
	assert_memory_equal(ll, amac, 6);

	simt_host_free(a); simt_host_free(c); simt_host_free(d);
	sim_world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_nud),
		cmocka_unit_test(test_frag4_reorder_dup_loss),
		cmocka_unit_test(test_router4_forwarding),
		cmocka_unit_test(test_conflict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
