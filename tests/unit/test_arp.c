/*
 * ARP (RFC 826) on the shared neighbour cache: replies, resolution with a
 * queue, NUD on ARP entries, RFC 5227 probes/announcements/conflicts,
 * spoofing of our own address, and counted drops of bad packets.
 */
#include "arp_harness.h"
#include "ipv6/nd6_priv.h"

static const char *US = "192.0.2.1", *PEER = "192.0.2.2";

static void host4(struct host *h, uint32_t flags)
{
	host_init(h, true);
	assert_int_equal(inet4_add(h->dev, IP(US), 24, flags), 0);
	run_ms(h, 2100);   /* past the nodad announcements */
	cap_clear(&h->cap);
}

static void test_request_for_us_replies(void **state)
{
	struct host h;
	const struct arp_hdr *a;
	const uint8_t *eth;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	inject_arp(&h, ARP_REQUEST, mac_peer, IP(PEER), mac_zero, IP(US));
	a = arp_nth(&h, ARP_REPLY, 0, &eth);
	assert_non_null(a);
	assert_memory_equal(eth, mac_peer, 6);
	assert_memory_equal(a->sha, mac_us, 6);
	assert_int_equal(ip4_get(a->spa), IP(US));
	assert_memory_equal(a->tha, mac_peer, 6);
	assert_int_equal(ip4_get(a->tpa), IP(PEER));
	/* RFC 826 merge: the requester is now a (STALE) neighbour. */
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_STALE);
	/* Not ours: no reply, no entry. */
	cap_clear(&h.cap);
	inject_arp(&h, ARP_REQUEST, mac_other, IP("192.0.2.3"), mac_zero, IP("192.0.2.9"));
	assert_int_equal(arp_count(&h, 0), 0);
	assert_int_equal(neigh4_state(&h, IP("192.0.2.3")), NUD_NONE);
	assert_int_equal(STAT_GET(h.st, arp_not_for_us), 1);
	host_fini(&h);
}

static void resolve_peer(struct host *h)
{
	const struct arp_hdr *a;
	const uint8_t *eth;

	assert_int_equal(arp_output(h->st, h->dev, IP(PEER), ip4_pkt(h, IP(US), IP(PEER))), 0);
	assert_int_equal(arp_output(h->st, h->dev, IP(PEER), ip4_pkt(h, IP(US), IP(PEER))), 0);
	assert_int_equal(neigh4_state(h, IP(PEER)), NUD_INCOMPLETE);
	a = arp_nth(h, ARP_REQUEST, 0, &eth);
	assert_non_null(a);
	assert_memory_equal(eth, eth_broadcast, 6);
	assert_int_equal(ip4_get(a->spa), IP(US));
	assert_int_equal(ip4_get(a->tpa), IP(PEER));
	assert_int_equal(arp_count(h, ARP_REQUEST), 1);
	assert_int_equal(ip4_count_to(h, mac_peer), 0);
	inject_arp(h, ARP_REPLY, mac_peer, IP(PEER), mac_us, IP(US));
	assert_int_equal(neigh4_state(h, IP(PEER)), NUD_REACHABLE);
	assert_int_equal(ip4_count_to(h, mac_peer), 2);
}

static void test_resolution_queues_then_sends(void **state)
{
	struct host h;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	resolve_peer(&h);
	/* Broadcast and multicast need no resolution (RFC 1112 6.4). */
	cap_clear(&h.cap);
	arp_output(h.st, h.dev, IP("192.0.2.255"), ip4_pkt(&h, IP(US), IP("192.0.2.255")));
	arp_output(h.st, h.dev, IP("224.0.0.251"), ip4_pkt(&h, IP(US), IP("224.0.0.251")));
	assert_int_equal(ip4_count_to(&h, eth_broadcast), 1);
	assert_int_equal(ip4_count_to(&h, (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 0xfb }), 1);
	assert_int_equal(arp_count(&h, 0), 0);
	host_fini(&h);
}

static void test_nud_on_arp_entries(void **state)
{
	struct host h;
	const uint8_t *eth;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	resolve_peer(&h);
	run_ms(&h, 46000);
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_STALE);
	cap_clear(&h.cap);
	arp_output(h.st, h.dev, IP(PEER), ip4_pkt(&h, IP(US), IP(PEER)));
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_DELAY);
	assert_int_equal(ip4_count_to(&h, mac_peer), 1);
	run_ms(&h, 5001);
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_PROBE);
	assert_non_null(arp_nth(&h, ARP_REQUEST, 0, &eth));
	assert_memory_equal(eth, mac_peer, 6);   /* unicast probe */
	run_ms(&h, 3100);
	assert_int_equal(arp_count(&h, ARP_REQUEST), 3);
	for (int i = 0; i < 3; i++) {
		assert_non_null(arp_nth(&h, ARP_REQUEST, i, &eth));
		assert_memory_equal(eth, mac_peer, 6);
	}
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_NONE);
	assert_int_equal(STAT_GET(h.st, nd6_probe_failed), 1);
	host_fini(&h);
}

static void test_incomplete_fails_after_three(void **state)
{
	struct host h;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	arp_output(h.st, h.dev, IP("192.0.2.7"), ip4_pkt(&h, IP(US), IP("192.0.2.7")));
	run_ms(&h, 3500);
	assert_int_equal(arp_count(&h, ARP_REQUEST), 3);
	assert_int_equal(neigh4_state(&h, IP("192.0.2.7")), NUD_FAILED);
	assert_int_equal(STAT_GET(h.st, nd6_resolve_failed), 1);
	host_fini(&h);
}

static void test_probes_then_announcements(void **state)
{
	struct host h;
	const struct in4_ifaddr *ifa;
	const uint8_t *eth;

	(void)state;
	host_init(&h, true);
	assert_int_equal(inet4_add(h.dev, IP(US), 24, 0), 0);
	ifa = inet4_lookup(h.st, IP(US));
	assert_true(ifa->flags & IFA4_F_TENTATIVE);
	assert_false(inet4_is_local(h.st, IP(US)));
	run_ms(&h, 1000 + 2 * 2000 + 1999);   /* latest third probe, not yet ANNOUNCE_WAIT */
	assert_int_equal(arp_count_kind(&h, IP(US), true), 3);
	assert_non_null(arp_nth(&h, ARP_REQUEST, 0, &eth));
	assert_memory_equal(eth, eth_broadcast, 6);
	run_ms(&h, 10000);
	assert_int_equal(arp_count_kind(&h, IP(US), true), 3);
	assert_int_equal(arp_count_kind(&h, IP(US), false), 2);
	assert_false(ifa->flags & IFA4_F_TENTATIVE);
	assert_true(inet4_is_local(h.st, IP(US)));
	host_fini(&h);
}

static void test_conflict_while_probing(void **state)
{
	struct host h;
	const struct in4_ifaddr *ifa;

	(void)state;
	host_init(&h, true);
	assert_int_equal(inet4_add(h.dev, IP(US), 24, 0), 0);
	ifa = inet4_lookup(h.st, IP(US));
	run_ms(&h, 1500);
	inject_arp(&h, ARP_REPLY, mac_peer, IP(US), mac_us, IP(US));
	assert_true(ifa->flags & IFA4_F_CONFLICT);
	assert_false(ifa->flags & IFA4_F_TENTATIVE);
	assert_false(inet4_is_local(h.st, IP(US)));
	assert_int_equal(neigh4_state(&h, IP(US)), NUD_NONE);
	cap_clear(&h.cap);
	run_ms(&h, 10000);
	assert_int_equal(arp_count(&h, 0), 0);
	/* Another host probing for the same tentative address is a conflict too (2.1.1). */
	assert_int_equal(inet4_add(h.dev, IP("192.0.2.5"), 24, 0), 0);
	ifa = inet4_lookup(h.st, IP("192.0.2.5"));
	inject_arp(&h, ARP_REQUEST, mac_other, 0, mac_zero, IP("192.0.2.5"));
	assert_true(ifa->flags & IFA4_F_CONFLICT);
	assert_int_equal(STAT_GET(h.st, inet4_dad_conflict), 2);
	host_fini(&h);
}

static void test_spoofed_local_address(void **state)
{
	struct host h;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	run_ms(&h, 5000);
	cap_clear(&h.cap);
	inject_arp(&h, ARP_REQUEST, mac_other, IP(US), mac_zero, IP(PEER));
	assert_int_equal(STAT_GET(h.st, arp_spoof_local), 1);
	assert_int_equal(neigh4_state(&h, IP(US)), NUD_NONE);
	assert_int_equal(STAT_GET(h.st, inet4_defend), 1);
	assert_int_equal(arp_count_kind(&h, IP(US), false), 1);
	/* A second claim within DEFEND_INTERVAL is not answered; the address stays. */
	inject_arp(&h, ARP_REPLY, mac_other, IP(US), mac_us, IP(US));
	assert_int_equal(STAT_GET(h.st, arp_spoof_local), 2);
	assert_int_equal(STAT_GET(h.st, inet4_defend_limited), 1);
	assert_int_equal(arp_count_kind(&h, IP(US), false), 1);
	assert_true(inet4_is_local(h.st, IP(US)));
	run_ms(&h, 10001);
	inject_arp(&h, ARP_REPLY, mac_other, IP(US), mac_us, IP(US));
	assert_int_equal(STAT_GET(h.st, inet4_defend), 2);
	host_fini(&h);
}

static void test_reply_updates_existing_only(void **state)
{
	struct host h;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	/* Unsolicited reply / gratuitous ARP: no entry is created. */
	inject_arp(&h, ARP_REPLY, mac_peer, IP(PEER), mac_us, IP(US));
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_NONE);
	inject_arp(&h, ARP_REQUEST, mac_peer, IP(PEER), mac_zero, IP(PEER));
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_NONE);
	resolve_peer(&h);
	/* A gratuitous ARP with a new MAC: updated, STALE. */
	inject_arp(&h, ARP_REQUEST, mac_other, IP(PEER), mac_zero, IP(PEER));
	assert_int_equal(neigh4_state(&h, IP(PEER)), NUD_STALE);
	host_fini(&h);
}

static void test_bad_packets_counted(void **state)
{
	struct host h;
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

	(void)state;
	host4(&h, IFA4_F_NODAD);
	inject_arp_raw(&h, eth_broadcast, ARP_REQUEST, mac_peer, IP(PEER), mac_zero, IP(US), 20);
	assert_int_equal(STAT_GET(h.st, arp_truncated), 1);
	inject_arp(&h, 3, mac_peer, IP(PEER), mac_zero, IP(US));
	assert_int_equal(STAT_GET(h.st, arp_bad_op), 1);
	inject_arp(&h, ARP_REQUEST, mcast, IP(PEER), mac_zero, IP(US));
	inject_arp(&h, ARP_REQUEST, mac_us, IP(PEER), mac_zero, IP(US));
	assert_int_equal(STAT_GET(h.st, arp_bad_sha), 2);
	inject_arp(&h, ARP_REQUEST, mac_peer, IP("224.0.0.1"), mac_zero, IP(US));
	inject_arp(&h, ARP_REQUEST, mac_peer, IP("192.0.2.255"), mac_zero, IP(US));
	inject_arp(&h, ARP_REQUEST, mac_peer, IP("255.255.255.255"), mac_zero, IP(US));
	assert_int_equal(STAT_GET(h.st, arp_bad_spa), 3);
	assert_int_equal(arp_count(&h, 0), 0);
	host_fini(&h);
}

static void test_bad_hw_proto(void **state)
{
	struct host h;
	struct pkt *p;
	uint8_t *d;

	(void)state;
	host4(&h, IFA4_F_NODAD);
	for (int i = 0; i < 2; i++) {
		p = pkt_alloc(h.st->pool, PKT_HEADROOM, ETH_HLEN + 28);
		d = pkt_put(p, ETH_HLEN + 28);
		memset(d, 0, ETH_HLEN + 28);
		memcpy(d, eth_broadcast, 6);
		memcpy(d + 6, mac_peer, 6);
		put_be16(d + 12, ETH_P_ARP);
		put_be16(d + 14, i == 0 ? 6 : 1);       /* htype */
		put_be16(d + 16, i == 0 ? ETH_P_IP : ETH_P_IPV6);
		d[18] = 6;
		d[19] = 4;
		put_be16(d + 20, ARP_REQUEST);
		netdev_rx(h.dev, p);
	}
	assert_int_equal(STAT_GET(h.st, arp_bad_hw), 1);
	assert_int_equal(STAT_GET(h.st, arp_bad_proto), 1);
	host_fini(&h);
}

static void test_nodad_announces_on_add(void **state)
{
	struct host h;

	(void)state;
	host_init(&h, true);
	assert_int_equal(inet4_add(h.dev, IP(US), 24, IFA4_F_NODAD), 0);
	assert_true(inet4_is_local(h.st, IP(US)));
	run_ms(&h, 3000);
	assert_int_equal(arp_count_kind(&h, IP(US), false), 2);
	assert_int_equal(arp_count_kind(&h, IP(US), true), 0);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_for_us_replies),
		cmocka_unit_test(test_resolution_queues_then_sends),
		cmocka_unit_test(test_nud_on_arp_entries),
		cmocka_unit_test(test_incomplete_fails_after_three),
		cmocka_unit_test(test_probes_then_announcements),
		cmocka_unit_test(test_conflict_while_probing),
		cmocka_unit_test(test_spoofed_local_address),
		cmocka_unit_test(test_reply_updates_existing_only),
		cmocka_unit_test(test_bad_packets_counted),
		cmocka_unit_test(test_bad_hw_proto),
		cmocka_unit_test(test_nodad_announces_on_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
