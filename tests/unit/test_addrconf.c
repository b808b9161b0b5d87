/* addrconf: link-local with DAD, DAD failures, SLAAC from RAs with lifetimes, source selection. */
#include "nd_harness.h"
#include "ipv6/nd6_priv.h"

static struct inet6_ifaddr *ifa_of(struct host *h, const struct in6_addr *a)
{
	return addrconf_lookup_dev(h->dev, a);
}

static void test_linklocal_dad(void **state)
{
	struct host h;
	struct icmp_view v;
	struct in6_addr snm;
	struct inet6_ifaddr *ifa;

	(void)state;
	host_init(&h, true);
	ifa = ifa_of(&h, &ll_us);
	assert_non_null(ifa);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	assert_false(addrconf_is_local(h.st, &ll_us));
	assert_null(addrconf_linklocal(h.dev));
	run_ms(&h, 1100);
	/* RFC 4862 5.4.2: one probe from ::, to the solicited-node group, no options. */
	assert_true(find_nth(&h, ND_NEIGHBOR_SOLICIT, 0, &v));
	in6_solicited_node(&snm, &ll_us);
	assert_true(is_unspec(&v.ip6->src));
	assert_true(in6_eq(&v.ip6->dst, &snm));
	assert_int_equal(v.ip6->hlim, 255);
	assert_int_equal(v.len, 24);
	assert_true(in6_eq(v.m + 8, &ll_us));
	assert_int_equal(v.eth[0], 0x33);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	run_ms(&h, 1000);
	assert_false(ifa->flags & IFA_F_TENTATIVE);
	assert_true(addrconf_is_local(h.st, &ll_us));
	assert_non_null(addrconf_linklocal(h.dev));
	assert_int_equal(STAT_GET(h.st, addrconf_dad_ok), 1);
	host_fini(&h);
}

static const struct in6_addr a_man = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };

static void test_dad_conflict_na(void **state)
{
	struct host h;
	uint8_t m[64];
	size_t len;
	struct inet6_ifaddr *ifa;

	(void)state;
	host_init(&h, true);
	assert_int_equal(addrconf_add(h.dev, &a_man, 64, IFA_F_PERMANENT, UINT32_MAX, UINT32_MAX), 0);
	assert_int_equal(addrconf_add(h.dev, &a_man, 64, 0, UINT32_MAX, UINT32_MAX), -EEXIST);
	ifa = ifa_of(&h, &a_man);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	len = mk_na(m, &a_man, ND_NA_FLAG_OVERRIDE, mac_peer);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	assert_true(ifa->flags & IFA_F_DADFAILED);
	assert_false(ifa->flags & IFA_F_TENTATIVE);
	assert_false(addrconf_is_local(h.st, &a_man));
	assert_int_equal(STAT_GET(h.st, addrconf_dad_failed), 1);
	host_fini(&h);
}

static void test_dad_conflict_ns(void **state)
{
	struct host h;
	uint8_t m[64];
	size_t len;
	struct in6_addr snm;
	static const struct in6_addr any;
	struct inet6_ifaddr *ifa;

	(void)state;
	host_init(&h, true);
	assert_int_equal(addrconf_add(h.dev, &a_man, 64, 0, UINT32_MAX, UINT32_MAX), 0);
	ifa = ifa_of(&h, &a_man);
	in6_solicited_node(&snm, &a_man);
	/* Someone else's probe: from ::, no SLLA. */
	len = mk_ns(m, &a_man, NULL);
	inject_icmp(&h, &any, &snm, 255, m, len);
	assert_true(ifa->flags & IFA_F_DADFAILED);
	host_fini(&h);
}

static const struct in6_addr pfx = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } };
static const struct in6_addr dns1 = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xd, [15] = 0x53 } };

/* RA: hop limit 64, M and O, lifetime 1800 s, SLLA, MTU 1400, prefix (L, A), RDNSS. */
static size_t mk_ra(uint8_t *m, uint32_t valid, uint32_t preferred)
{
	size_t off = 16;

	memset(m, 0, 256);
	m[0] = ND_ROUTER_ADVERT;
	m[4] = 64;
	m[5] = ND_RA_FLAG_MANAGED | ND_RA_FLAG_OTHER;
	put_be16(m + 6, 1800);
	off += put_lladdr(m + off, ND_OPT_SLLA, mac_peer);
	m[off] = ND_OPT_MTU, m[off + 1] = 1, put_be32(m + off + 4, 1400), off += 8;
	m[off] = ND_OPT_PREFIX, m[off + 1] = 4, m[off + 2] = 64;
	m[off + 3] = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
	put_be32(m + off + 4, valid);
	put_be32(m + off + 8, preferred);
	memcpy(m + off + 16, &pfx, 16);
	off += 32;
	m[off] = ND_OPT_RDNSS, m[off + 1] = 3, put_be32(m + off + 4, 600);
	memcpy(m + off + 8, &dns1, 16);
	return off + 24;
}

static void test_slaac(void **state)
{
	struct host h;
	uint8_t m[256];
	size_t len;
	struct in6_addr a = pfx;
	struct inet6_ifaddr *ifa;
	const struct route6 *rt;
	static const struct in6_addr far = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb9, [15] = 9 } };

	(void)state;
	host_init(&h, true);
	run_ms(&h, 3000);
	len = mk_ra(m, 20, 10);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_rx_ra), 1);
	in6_eui64(a.s6_addr + 8, mac_us);
	ifa = ifa_of(&h, &a);
	assert_non_null(ifa);
	assert_true(ifa->flags & IFA_F_AUTOCONF);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	assert_true(h.dev->in6->ra_managed);
	assert_true(h.dev->in6->ra_other);
	assert_int_equal(h.dev->in6->mtu6, 1400);
	assert_int_equal(h.dev->in6->cur_hlim, 64);
	assert_true(in6_eq(&h.dev->in6->rdnss[0], &dns1));
	rt = route6_lookup(h.st, &far);
	assert_non_null(rt);
	assert_int_equal(rt->plen, 0);
	assert_true(in6_eq(&rt->gw, &ll_peer));
	run_ms(&h, 2100);
	assert_false(ifa->flags & IFA_F_TENTATIVE);
	assert_false(ifa->flags & IFA_F_DEPRECATED);
	assert_true(addrconf_is_local(h.st, &a));
	run_ms(&h, 8000);       /* 10 s preferred lifetime is over */
	assert_true(ifa->flags & IFA_F_DEPRECATED);
	run_ms(&h, 10000);      /* and the 20 s valid lifetime */
	assert_null(ifa_of(&h, &a));
	assert_int_equal(STAT_GET(h.st, addrconf_expired), 1);
	host_fini(&h);
}

/*
 * RFC 4429 optimistic DAD: with optimistic_dad the SLAAC address is usable
 * at once (local, a source of last resort among usable ones as if
 * deprecated), an NS for it from a neighbour gets an NA without Override,
 * our own NSs never come from it, a probe from :: is still a conflict, and
 * after DAD it is an ordinary address.
 */
static void test_optimistic_dad(void **state)
{
	struct host h;
	uint8_t m[256];
	size_t len;
	struct in6_addr a = pfx, src, snm;
	struct inet6_ifaddr *ifa;
	struct icmp_view v;
	static const struct in6_addr any;

	(void)state;
	host_init(&h, true);
	h.dev->in6->conf.optimistic_dad = 1;
	run_ms(&h, 3000);
	len = mk_ra(m, 600, 600);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	in6_eui64(a.s6_addr + 8, mac_us);
	ifa = ifa_of(&h, &a);
	assert_non_null(ifa);
	assert_true(ifa->flags & IFA_F_TENTATIVE);
	assert_true(ifa->flags & IFA_F_OPTIMISTIC);
	assert_true(addrconf_is_local(h.st, &a));
	assert_int_equal(addrconf_select_source(h.st, &g_peer, h.dev, &src), 0);
	assert_true(in6_eq(&src, &a));
	/* A neighbour resolves it: solicited NA, Override clear (RFC 4429 3.3). */
	cap_clear(&h.cap);
	len = mk_ns(m, &a, mac_peer);
	inject_icmp(&h, &g_peer, &a, 255, m, len);
	assert_true(find_nth(&h, ND_NEIGHBOR_ADVERT, 0, &v));
	assert_true(v.m[4] & ND_NA_FLAG_SOLICITED);
	assert_false(v.m[4] & ND_NA_FLAG_OVERRIDE);
	/* Our NS for an unknown neighbour leaves from the link-local, not the optimistic address. */
	cap_clear(&h.cap);
	{
		static const struct in6_addr other = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 } };
		struct pkt *p = stack_pkt_alloc(h.st, 8);

		assert_non_null(p);
		pkt_put(p, 8);
		memset(p->data, 0, 8);
		nd6_neigh_output(h.st, h.dev, &other, p);
	}
	usagi_stack_advance(h.st, h.st->now);
	assert_true(find_nth(&h, ND_NEIGHBOR_SOLICIT, 0, &v));
	assert_true(in6_eq(&v.ip6->src, &ll_us));
	/* DAD completes: an ordinary address. */
	run_ms(&h, 2100);
	assert_false(ifa->flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC));
	/* A probe from :: against an optimistic address is a conflict. */
	host_fini(&h);
	host_init(&h, true);
	h.dev->in6->conf.optimistic_dad = 1;
	run_ms(&h, 3000);
	len = mk_ra(m, 600, 600);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	ifa = ifa_of(&h, &a);
	assert_true(ifa->flags & IFA_F_OPTIMISTIC);
	in6_solicited_node(&snm, &a);
	len = mk_ns(m, &a, NULL);
	inject_icmp(&h, &any, &snm, 255, m, len);
	assert_true(ifa->flags & IFA_F_DADFAILED);
	assert_false(ifa->flags & IFA_F_OPTIMISTIC);
	assert_false(addrconf_is_local(h.st, &a));
	host_fini(&h);
}

static void test_two_hour_rule(void **state)
{
	struct host h;
	uint8_t m[256];
	size_t len;
	struct in6_addr a = pfx;
	struct inet6_ifaddr *ifa;

	(void)state;
	host_init(&h, true);
	run_ms(&h, 3000);
	len = mk_ra(m, 86400, 3600);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	in6_eui64(a.s6_addr + 8, mac_us);
	ifa = ifa_of(&h, &a);
	assert_non_null(ifa);
	/* RFC 4862 5.5.3 e): a short valid lifetime is raised to two hours. */
	len = mk_ra(m, 60, 30);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	assert_int_equal((ifa->valid_until - h.st->now) / NS_PER_SEC, 7200);
	assert_int_equal((ifa->preferred_until - h.st->now) / NS_PER_SEC, 30);
	host_fini(&h);
}

static void test_ra_rejected(void **state)
{
	struct host h;
	uint8_t m[256];
	size_t len;

	(void)state;
	host_init(&h, true);
	run_ms(&h, 3000);
	len = mk_ra(m, 20, 10);
	inject_icmp(&h, &g_peer, &in6_all_nodes, 255, m, len);   /* not link-local */
	assert_int_equal(STAT_GET(h.st, nd6_ra_bad_src), 1);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 64, m, len);   /* forwarded */
	assert_int_equal(STAT_GET(h.st, nd6_bad_hoplimit), 1);
	h.dev->in6->conf.accept_ra = 0;
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 255, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_ra_ignored), 1);
	assert_int_equal(STAT_GET(h.st, addrconf_slaac), 0);
	host_fini(&h);
}

static void test_select_source(void **state)
{
	struct host h;
	struct in6_addr out;
	static const struct in6_addr dep = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } };

	(void)state;
	host_init(&h, true);
	h.dev->in6->conf.dad_transmits = 0;
	assert_int_equal(addrconf_select_source(h.st, &g_peer, NULL, &out), -EADDRNOTAVAIL);
	run_ms(&h, 3000);
	assert_int_equal(addrconf_add(h.dev, &a_man, 64, 0, UINT32_MAX, UINT32_MAX), 0);
	assert_int_equal(addrconf_add(h.dev, &dep, 64, 0, UINT32_MAX, 0), 0);
	assert_int_equal(addrconf_select_source(h.st, &g_peer, NULL, &out), 0);
	assert_true(in6_equal(&out, &a_man));          /* rule 3 avoids the deprecated one */
	assert_int_equal(addrconf_select_source(h.st, &dep, NULL, &out), 0);
	assert_true(in6_equal(&out, &dep));            /* rule 1 */
	assert_int_equal(addrconf_select_source(h.st, &ll_peer, h.dev, &out), 0);
	assert_true(in6_equal(&out, &ll_us));          /* rule 2 */
	assert_int_equal(addrconf_del(h.dev, &dep, 64), 0);
	assert_null(addrconf_lookup(h.st, &dep));
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linklocal_dad),
		cmocka_unit_test(test_dad_conflict_na),
		cmocka_unit_test(test_dad_conflict_ns),
		cmocka_unit_test(test_slaac),
		cmocka_unit_test(test_optimistic_dad),
		cmocka_unit_test(test_two_hour_rule),
		cmocka_unit_test(test_ra_rejected),
		cmocka_unit_test(test_select_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
