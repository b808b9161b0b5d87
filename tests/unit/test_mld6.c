/* MLDv2 listener: reports on join/leave with Router Alert, answers to queries. */
#include "nd_harness.h"

static const struct in6_addr grp = { .s6_addr = { 0xff, 0x05, [13] = 1, [15] = 3 } };

/* Checks @v is an MLDv2 report as RFC 3810 5.2 wants it sent; returns its record count. */
static int check_report(const struct icmp_view *v)
{
	assert_true(in6_eq(&v->ip6->dst, &in6_all_mldv2_routers));
	assert_int_equal(v->ip6->hlim, 1);
	assert_int_equal(v->ip6->nxt, NH_HOPOPTS);
	assert_non_null(v->hbh);
	assert_int_equal(v->hbh[2], OPT6_RTALERT);
	assert_int_equal(v->hbh[3], 2);
	assert_int_equal(get_be16(v->hbh + 4), 0);
	struct in6_addr src = v->ip6->src, dst = v->ip6->dst;

	assert_int_equal(csum_fold(csum_partial(v->m, v->len,
						csum_ipv6_pseudo(&src, &dst, (uint32_t)v->len, NH_ICMPV6))), 0);
	return get_be16(v->m + 6);
}

static bool has_record(const struct icmp_view *v, uint8_t type, const struct in6_addr *g)
{
	for (int i = 0; i < get_be16(v->m + 6); i++) {
		const uint8_t *r = v->m + 8 + 20 * i;

		if (r[0] == type && in6_eq(r + 4, g))
			return true;
	}
	return false;
}

static void test_join_reports(void **state)
{
	struct host h;
	struct icmp_view v;
	bool seen = false;

	(void)state;
	host_init(&h, true);
	run_ms(&h, 3000);
	cap_clear(&h.cap);
	assert_false(mld6_is_member(h.dev, &grp));
	assert_int_equal(mld6_join(h.dev, &grp), 0);
	assert_true(mld6_is_member(h.dev, &grp));
	assert_true(mld6_is_member(h.dev, &in6_all_nodes));
	assert_true(find_nth(&h, MLD_REPORT_V2, 0, &v));
	assert_int_equal(check_report(&v), 1);
	assert_true(has_record(&v, MLD2_CHANGE_TO_EXCLUDE, &grp));
	assert_true(in6_eq(&v.ip6->src, &ll_us));
	run_ms(&h, 1100);
	assert_int_equal(count_type(&h, MLD_REPORT_V2), 2);     /* Robustness Variable 2 */
	cap_clear(&h.cap);
	assert_int_equal(mld6_join(h.dev, &grp), 0);            /* second reference: silent */
	assert_int_equal(count_type(&h, MLD_REPORT_V2), 0);
	assert_int_equal(mld6_leave(h.dev, &grp), 0);
	assert_true(mld6_is_member(h.dev, &grp));
	assert_int_equal(mld6_leave(h.dev, &grp), 0);
	assert_false(mld6_is_member(h.dev, &grp));
	for (int i = 0; find_nth(&h, MLD_REPORT_V2, i, &v); i++)
		seen |= has_record(&v, MLD2_CHANGE_TO_INCLUDE, &grp);
	assert_true(seen);
	run_ms(&h, 1100);
	assert_int_equal(count_type(&h, MLD_REPORT_V2), 2);
	host_fini(&h);
}

static void test_link_up_reports(void **state)
{
	struct host h;
	struct icmp_view v;
	struct in6_addr snm;
	bool seen = false;

	(void)state;
	host_init(&h, true);
	in6_solicited_node(&snm, &ll_us);
	/* The solicited-node group of the link-local is reported, all-nodes never. */
	for (int i = 0; find_nth(&h, MLD_REPORT_V2, i, &v); i++) {
		check_report(&v);
		seen |= has_record(&v, MLD2_CHANGE_TO_EXCLUDE, &snm);
		assert_false(has_record(&v, MLD2_CHANGE_TO_EXCLUDE, &in6_all_nodes));
	}
	assert_true(seen);
	host_fini(&h);
}

static void test_general_query(void **state)
{
	struct host h;
	struct icmp_view v;
	uint8_t q[28] = { MLD_QUERY };
	struct in6_addr snm;

	(void)state;
	host_init(&h, true);
	run_ms(&h, 3000);
	mld6_join(h.dev, &grp);
	run_ms(&h, 1100);
	cap_clear(&h.cap);
	put_be16(q + 4, 1000);                 /* Maximum Response Code: 1 s */
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 1, q, sizeof(q));
	assert_int_equal(STAT_GET(h.st, mld6_rx_general_query), 1);
	run_ms(&h, 1001);
	assert_int_equal(count_type(&h, MLD_REPORT_V2), 1);
	assert_true(find_nth(&h, MLD_REPORT_V2, 0, &v));
	check_report(&v);
	in6_solicited_node(&snm, &ll_us);
	assert_true(has_record(&v, MLD2_MODE_IS_EXCLUDE, &grp));
	assert_true(has_record(&v, MLD2_MODE_IS_EXCLUDE, &snm));
	/* Group-specific query: a report for that group only. */
	cap_clear(&h.cap);
	memcpy(q + 8, &grp, 16);
	inject_icmp(&h, &ll_peer, &grp, 1, q, sizeof(q));
	run_ms(&h, 1001);
	assert_true(find_nth(&h, MLD_REPORT_V2, 0, &v));
	assert_int_equal(check_report(&v), 1);
	assert_true(has_record(&v, MLD2_MODE_IS_EXCLUDE, &grp));
	/* Bad queries are counted and ignored. */
	inject_icmp(&h, &g_peer, &in6_all_nodes, 1, q, sizeof(q));
	assert_int_equal(STAT_GET(h.st, mld6_bad_src), 1);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 2, q, sizeof(q));
	assert_int_equal(STAT_GET(h.st, mld6_bad_hoplimit), 1);
	inject_icmp(&h, &ll_peer, &in6_all_nodes, 1, q, 26);
	assert_int_equal(STAT_GET(h.st, mld6_bad_length), 1);
	host_fini(&h);
}

static void test_link_down_silent(void **state)
{
	struct host h;

	(void)state;
	host_init(&h, false);
	assert_int_equal(mld6_join(h.dev, &grp), 0);
	assert_int_equal(count_type(&h, MLD_REPORT_V2), 0);
	netdev_set_up(h.dev, true);
	assert_true(count_type(&h, MLD_REPORT_V2) > 0);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_reports),
		cmocka_unit_test(test_link_up_reports),
		cmocka_unit_test(test_general_query),
		cmocka_unit_test(test_link_down_silent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
