/*
 * IPv4 addresses: index lookups, connected routes, broadcast
 * classification, source selection, foreach and link events.
 */
#include "arp_harness.h"

static void test_add_del_and_routes(void **state)
{
	struct host h;
	const struct route4 *r;

	(void)state;
	host_init(&h, true);
	assert_int_equal(inet4_add(h.dev, IP("10.1.2.3"), 24, IFA4_F_NODAD), 0);
	assert_int_equal(inet4_add(h.dev, IP("10.1.2.3"), 24, IFA4_F_NODAD), -EEXIST);
	assert_int_equal(inet4_add(h.dev, IP("224.0.0.1"), 24, 0), -EINVAL);
	assert_int_equal(inet4_add(h.dev, IP("10.1.2.255"), 24, 0), -EINVAL);
	assert_int_equal(inet4_add(h.dev, IP("10.1.2.0"), 24, 0), -EINVAL);
	assert_int_equal(inet4_add(h.dev, IP("10.1.2.3"), 33, 0), -EINVAL);
	assert_true(inet4_is_local(h.st, IP("10.1.2.3")));
	assert_false(inet4_is_local(h.st, IP("10.1.2.4")));
	r = route4_lookup(h.st, IP("10.1.2.77"));
	assert_non_null(r);
	assert_int_equal(r->plen, 24);
	assert_int_equal(r->dst, IP("10.1.2.0"));
	assert_int_equal(r->prefsrc, IP("10.1.2.3"));
	assert_int_equal(r->proto, RT4_PROTO_KERNEL);
	assert_ptr_equal(r->dev, h.dev);
	/* A second address of the subnet takes the route over when the first goes. */
	assert_int_equal(inet4_add(h.dev, IP("10.1.2.4"), 24, IFA4_F_NODAD), 0);
	assert_int_equal(inet4_del(h.dev, IP("10.1.2.3"), 24), 0);
	assert_int_equal(inet4_del(h.dev, IP("10.1.2.3"), 24), -EADDRNOTAVAIL);
	assert_null(inet4_lookup(h.st, IP("10.1.2.3")));
	r = route4_lookup(h.st, IP("10.1.2.77"));
	assert_non_null(r);
	assert_int_equal(r->prefsrc, IP("10.1.2.4"));
	assert_int_equal(inet4_del(h.dev, IP("10.1.2.4"), 24), 0);
	assert_null(route4_lookup(h.st, IP("10.1.2.77")));
	host_fini(&h);
}

static void test_broadcast(void **state)
{
	struct host h;

	(void)state;
	host_init(&h, true);
	inet4_add(h.dev, IP("10.1.2.3"), 24, IFA4_F_NODAD);
	inet4_add(h.dev, IP("10.9.0.1"), 31, IFA4_F_NODAD);
	assert_true(inet4_is_broadcast(h.dev, IP("255.255.255.255")));
	assert_true(inet4_is_broadcast(h.dev, IP("10.1.2.255")));
	assert_false(inet4_is_broadcast(h.dev, IP("10.1.2.254")));
	assert_false(inet4_is_broadcast(h.dev, IP("10.9.0.1")));   /* RFC 3021 */
	assert_false(inet4_is_broadcast(h.dev, IP("10.9.0.0")));
	assert_int_equal(inet4_lookup(h.st, IP("10.1.2.3"))->bcast, IP("10.1.2.255"));
	host_fini(&h);
}

static void test_select_source(void **state)
{
	struct host h;
	struct netdev *dev2;
	uint32_t s = 0;

	(void)state;
	host_init(&h, true);
	dev2 = netdev_create(h.st, "eth1", &cap_ops, &h.cap, mac_other);
	assert_int_equal(inet4_select_source(h.st, IP("8.8.8.8"), h.dev, &s), -EADDRNOTAVAIL);
	inet4_add(dev2, IP("172.16.0.1"), 16, IFA4_F_NODAD);
	assert_int_equal(inet4_select_source(h.st, IP("8.8.8.8"), h.dev, &s), 0);
	assert_int_equal(s, IP("172.16.0.1"));   /* any, as a last resort */
	inet4_add(h.dev, IP("10.1.2.3"), 24, IFA4_F_NODAD);
	inet4_add(h.dev, IP("192.0.2.1"), 24, IFA4_F_NODAD);
	assert_int_equal(inet4_select_source(h.st, IP("192.0.2.50"), h.dev, &s), 0);
	assert_int_equal(s, IP("192.0.2.1"));
	assert_int_equal(inet4_select_source(h.st, IP("8.8.8.8"), h.dev, &s), 0);
	assert_int_equal(s, IP("10.1.2.3"));
	/* Tentative addresses are never chosen. */
	inet4_add(h.dev, IP("198.51.100.1"), 24, 0);
	assert_int_equal(inet4_select_source(h.st, IP("198.51.100.9"), h.dev, &s), 0);
	assert_int_equal(s, IP("10.1.2.3"));
	host_fini(&h);
}

static void count_cb(void *ctx, const struct in4_ifaddr *ifa) { (*(int *)ctx)++; }

static void test_foreach_and_link_events(void **state)
{
	struct host h;
	int n = 0;
	const struct in4_ifaddr *ifa;

	(void)state;
	host_init(&h, true);
	inet4_add(h.dev, IP("10.1.2.3"), 24, IFA4_F_NODAD);
	inet4_add(h.dev, IP("10.1.3.3"), 24, 0);
	inet4_foreach(h.st, NULL, count_cb, &n);
	assert_int_equal(n, 2);
	n = 0;
	inet4_foreach(h.st, h.dev, count_cb, &n);
	assert_int_equal(n, 2);
	netdev_set_up(h.dev, false);
	run_ms(&h, 20000);
	ifa = inet4_lookup(h.st, IP("10.1.3.3"));
	assert_non_null(ifa);
	assert_true(ifa->flags & IFA4_F_TENTATIVE);   /* probing waits for the link */
	cap_clear(&h.cap);
	netdev_set_up(h.dev, true);
	run_ms(&h, 12000);
	assert_int_equal(arp_count_kind(&h, IP("10.1.3.3"), true), 3);
	assert_int_equal(arp_count_kind(&h, IP("10.1.3.3"), false), 2);
	assert_int_equal(arp_count_kind(&h, IP("10.1.2.3"), false), 2);
	assert_true(inet4_is_local(h.st, IP("10.1.3.3")));
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_del_and_routes),
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_select_source),
		cmocka_unit_test(test_foreach_and_link_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
