/*
 * The home agent (RFC 6275 10) and the Mobility Header input (9.2) driven
 * with crafted frames: home registration BUs from a care-of address with a
 * Home Address option go in through ip6_input; the BAs, DAD probes and
 * proxy Neighbor Advertisements the host sends are checked field by field.
 * Home link: eth0, 2001:db8::1/64; home address 2001:db8::100; care-of
 * addresses 2001:db8:2::100 and 2001:db8:3::100 behind the peer.
 */
#include <stdio.h>
#include "mip6_harness.h"
#include "cmd/cmd.h"
#include "ipv6/mld6.h"
#include "xfrm/policy.h"

static const struct in6_addr a_hoa = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [14] = 1 } };
static const struct in6_addr a_hoa_ll = { .s6_addr = { 0xfe, 0x80, [14] = 1 } };
static const struct in6_addr a_foreign = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [14] = 1 } };

static int setup(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	host_init(h);
	add_default_route(h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct host *h = *state;

	host_fini(h);
	free(h);
	return 0;
}

static void enable_ha(struct host *h)
{
	assert_int_equal(mip6_ha_enable(h->st, h->dev), 0);
}

/* A home registration BU (H, A and @flags) for @hoa from @coa to the HA. */
static void send_bu(struct host *h, const struct in6_addr *hoa, const struct in6_addr *coa,
		    uint16_t seq, uint16_t lifetime, uint8_t flags)
{
	struct mh_msg m = { .type = MH_BU };
	uint8_t buf[128];
	size_t len;

	m.bu.seq = seq;
	m.bu.flags = MH_BU_A | MH_BU_H | flags;
	m.bu.lifetime = lifetime;
	len = mk_mh(&m, buf, sizeof(buf), hoa, &a_us, NULL, NULL, NULL);
	send_mh(h, hoa, coa, &a_us, buf, len);
}

/* The captured NA for @target, with its flags; NULL if none. */
static const struct nd_na *find_na(struct host *h, const struct in6_addr *target,
				   const uint8_t **ip6)
{
	const uint8_t *m;

	for (int i = 0; (m = find_icmp_nth(h, ND_NEIGHBOR_ADVERT, i, ip6)); i++) {
		const struct nd_na *na = (const struct nd_na *)m;
		struct in6_addr t;

		memcpy(&t, m + 8, 16);
		if (in6_equal(&t, target))
			return na;
	}
	return NULL;
}

static bool saw_dad_ns(struct host *h, const struct in6_addr *target)
{
	const uint8_t *m, *ip6;

	for (int i = 0; (m = find_icmp_nth(h, ND_NEIGHBOR_SOLICIT, i, &ip6)); i++) {
		struct in6_addr src, t;

		memcpy(&src, ip6 + 8, 16);
		memcpy(&t, m + 8, 16);
		if (in6_equal(&t, target) && in6_is_unspec(&src))
			return true;
	}
	return false;
}

/* First registration: DAD, then BA 0, tunnel binding, unsolicited proxy NA. */
static void register_hoa(struct host *h, uint16_t seq, uint16_t lifetime, uint8_t flags)
{
	send_bu(h, &a_hoa, &a_coa, seq, lifetime, flags);
	assert_true(saw_dad_ns(h, &a_hoa));
	assert_int_equal(count_mh(h, MH_BA), 0);      /* 10.3.1: BA after DAD */
	cap_clear(&h->cap);
	usagi_stack_advance(h->st, h->st->now + NS_PER_SEC);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, seq, lifetime, NULL);
}

static void test_register(void **state)
{
	struct host *h = *state;
	const struct mip6_dp_binding *b;
	const struct nd_na *na;
	const uint8_t *ip6, *opt;
	struct in6_addr snm;
	char out[512];

	enable_ha(h);
	register_hoa(h, 10, 60, 0);
	b = mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL);
	assert_non_null(b);
	assert_true(in6_equal(&b->coa, &a_coa));
	assert_true(in6_equal(&b->peer, &a_us));
	/* 10.4.1: all-nodes, Override, neither Solicited nor Router, our MAC. */
	na = find_na(h, &a_hoa, &ip6);
	assert_non_null(na);
	assert_int_equal(na->flags, ND_NA_FLAG_OVERRIDE);
	assert_true(in6_equal((const struct in6_addr *)(ip6 + 24), &in6_all_nodes));
	opt = (const uint8_t *)(na + 1);
	assert_int_equal(opt[0], ND_OPT_TLLA);
	assert_memory_equal(opt + 2, mac_us, 6);
	in6_solicited_node(&snm, &a_hoa);
	assert_true(mld6_is_member(h->dev, &snm));
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_accepted), 1);
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_unprotected), 1);
	binding_show(h, out, sizeof(out));
	assert_string_equal(out, "hoa 2001:db8::100 coa 2001:db8:2::100 ha 2001:db8::1 "
				 "lifetime 240/240 seq 10 state home-registration\n");
}

/* 10.4.1: NS for the registered home address answered by the HA (S, O, not R). */
static void test_proxy_ns(void **state)
{
	struct host *h = *state;
	uint8_t ns[32] = { ND_NEIGHBOR_SOLICIT, 0 };
	struct in6_addr snm;
	const struct nd_na *na;
	const uint8_t *ip6;

	enable_ha(h);
	register_hoa(h, 1, 60, 0);
	cap_clear(&h->cap);
	memcpy(ns + 8, &a_hoa, 16);
	ns[24] = ND_OPT_SLLA;
	ns[25] = 1;
	memcpy(ns + 26, mac_peer, 6);
	in6_solicited_node(&snm, &a_hoa);
	icmp_csum(ns, sizeof(ns), &a_peer, &snm);
	inject(h, &a_peer, &snm, NH_ICMPV6, 255, ns, sizeof(ns));
	na = find_na(h, &a_hoa, &ip6);
	assert_non_null(na);
	assert_int_equal(na->flags, ND_NA_FLAG_OVERRIDE | ND_NA_FLAG_SOLICITED);
	assert_true(in6_equal((const struct in6_addr *)(ip6 + 24), &a_peer));
	assert_memory_equal((const uint8_t *)(na + 1) + 2, mac_us, 6);
	assert_true(mip6_ha_proxies(h->st, h->dev, &a_hoa));
	assert_false(mip6_ha_proxies(h->st, h->dev, &a_peer));
}

/* The L flag: DAD and proxy for fe80::<interface id> too. */
static void test_link_local_flag(void **state)
{
	struct host *h = *state;

	enable_ha(h);
	send_bu(h, &a_hoa, &a_coa, 3, 60, MH_BU_L);
	assert_true(saw_dad_ns(h, &a_hoa));
	assert_true(saw_dad_ns(h, &a_hoa_ll));
	cap_clear(&h->cap);
	usagi_stack_advance(h->st, h->st->now + NS_PER_SEC);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, 3, 60, NULL);
	assert_non_null(find_na(h, &a_hoa, NULL));
	assert_non_null(find_na(h, &a_hoa_ll, NULL));
	assert_true(mip6_ha_proxies(h->st, h->dev, &a_hoa_ll));
}

/* 9.5.1: not newer than the last accepted -> 135 with that number; newer moves the binding. */
static void test_sequence(void **state)
{
	struct host *h = *state;
	const struct mip6_dp_binding *b;

	enable_ha(h);
	register_hoa(h, 10, 60, 0);
	cap_clear(&h->cap);
	send_bu(h, &a_hoa, &a_coa2, 10, 60, 0);
	expect_ba(h, &a_hoa, &a_coa2, MH_BA_SEQ_OUT_OF_WINDOW, 10, 0, NULL);
	cap_clear(&h->cap);
	send_bu(h, &a_hoa, &a_coa2, (uint16_t)(10 + 32768), 60, 0);   /* modulo 2^16: older */
	expect_ba(h, &a_hoa, &a_coa2, MH_BA_SEQ_OUT_OF_WINDOW, 10, 0, NULL);
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_seq), 2);
	b = mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL);
	assert_true(in6_equal(&b->coa, &a_coa));
	/* A newer one (no DAD: the binding exists) moves it at once. */
	cap_clear(&h->cap);
	send_bu(h, &a_hoa, &a_coa2, 11, 30, 0);
	expect_ba(h, &a_hoa, &a_coa2, MH_BA_ACCEPTED, 11, 30, NULL);
	b = mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL);
	assert_true(in6_equal(&b->coa, &a_coa2));
	assert_false(saw_dad_ns(h, &a_hoa));
	assert_null(find_na(h, &a_hoa, NULL));          /* already proxied: no new NA */
}

static void test_not_home_subnet(void **state)
{
	struct host *h = *state;

	enable_ha(h);
	send_bu(h, &a_foreign, &a_coa, 1, 60, 0);
	expect_ba(h, &a_foreign, &a_coa, MH_BA_NOT_HOME_SUBNET, 1, 0, NULL);
	assert_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_foreign, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_not_home_subnet), 1);
}

/* The lifetime is capped by the configured maximum. */
static void test_lifetime_cap(void **state)
{
	struct host *h = *state;

	enable_ha(h);
	assert_int_equal(mip6_ha_set_max_lifetime(h->st, 100), 0);
	send_bu(h, &a_hoa, &a_coa, 1, 60000, 0);
	cap_clear(&h->cap);
	usagi_stack_advance(h->st, h->st->now + NS_PER_SEC);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, 1, 25, NULL);
}

/* 10.3.2: lifetime 0 (or care-of = home) removes everything; unknown -> 133. */
static void test_deregister(void **state)
{
	struct host *h = *state;
	char out[256];

	enable_ha(h);
	register_hoa(h, 20, 60, 0);
	cap_clear(&h->cap);
	send_bu(h, &a_hoa, &a_coa, 21, 0, 0);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, 21, 0, NULL);
	assert_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL));
	assert_false(mip6_ha_proxies(h->st, h->dev, &a_hoa));
	binding_show(h, out, sizeof(out));
	assert_string_equal(out, "");
	/* The mobile node at home: care-of = home, no HAO, no RH2 in the BA. */
	learn_peer(h, &a_hoa);
	cap_clear(&h->cap);
	send_bu(h, &a_hoa, &a_hoa, 22, 60, 0);
	expect_ba(h, &a_hoa, &a_hoa, MH_BA_NOT_HOME_AGENT, 22, 0, NULL);
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_dereg), 1);
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_not_ha), 1);
}

static void test_expiry(void **state)
{
	struct host *h = *state;
	char out[256];

	enable_ha(h);
	register_hoa(h, 1, 2, 0);                      /* 8 s */
	usagi_stack_advance(h->st, h->st->now + 7 * NS_PER_SEC);
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL));
	usagi_stack_advance(h->st, h->st->now + 2 * NS_PER_SEC);
	assert_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_ha_expired), 1);
	binding_show(h, out, sizeof(out));
	assert_string_equal(out, "");
}

/* 10.3.1: the home address is in use on the home link -> 134, nothing installed. */
static void test_dad_failed_na(void **state)
{
	struct host *h = *state;
	uint8_t na[32] = { ND_NEIGHBOR_ADVERT, 0 };

	enable_ha(h);
	send_bu(h, &a_hoa, &a_coa, 7, 60, 0);
	cap_clear(&h->cap);
	na[4] = ND_NA_FLAG_OVERRIDE;
	memcpy(na + 8, &a_hoa, 16);
	na[24] = ND_OPT_TLLA;
	na[25] = 1;
	memcpy(na + 26, mac_peer, 6);
	icmp_csum(na, sizeof(na), &a_hoa, &in6_all_nodes);
	inject(h, &a_hoa, &in6_all_nodes, NH_ICMPV6, 255, na, sizeof(na));
	expect_ba(h, &a_hoa, &a_coa, MH_BA_DAD_FAILED, 7, 0, NULL);
	assert_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_ha_dad_failed), 1);
	/* Nothing more when the DAD time is over. */
	cap_clear(&h->cap);
	usagi_stack_advance(h->st, h->st->now + 2 * NS_PER_SEC);
	assert_int_equal(count_mh(h, MH_BA), 0);
}

/* Another node's DAD probe for the same address is a conflict too (RFC 4862 5.4.3). */
static void test_dad_failed_ns(void **state)
{
	struct host *h = *state;
	uint8_t ns[24] = { ND_NEIGHBOR_SOLICIT, 0 };
	static const struct in6_addr any;
	struct in6_addr snm;

	enable_ha(h);
	send_bu(h, &a_hoa, &a_coa, 7, 60, 0);
	cap_clear(&h->cap);
	memcpy(ns + 8, &a_hoa, 16);
	in6_solicited_node(&snm, &a_hoa);
	icmp_csum(ns, sizeof(ns), &any, &snm);
	inject(h, &any, &snm, NH_ICMPV6, 255, ns, sizeof(ns));
	expect_ba(h, &a_hoa, &a_coa, MH_BA_DAD_FAILED, 7, 0, NULL);
}

/*
 * The duplicate home address rule: a binding registered under IPsec is not
 * taken over by an unprotected BU (129), whatever its sequence number.
 */
static void test_duplicate_home_address(void **state)
{
	struct host *h = *state;
	struct mh_msg m = { .type = MH_BU };
	struct mip6_rx rx = { .src = a_hoa, .dst = a_us, .coa = a_coa, .had_hao = true,
			      .secured = true, .iif = h->dev->ifindex };
	const struct mip6_dp_binding *b;

	enable_ha(h);
	m.bu.seq = 100;
	m.bu.flags = MH_BU_A | MH_BU_H;
	m.bu.lifetime = 60;
	mip6_ha_rx(h->st, &m, &rx);
	usagi_stack_advance(h->st, h->st->now + NS_PER_SEC);
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL));
	cap_clear(&h->cap);
	send_bu(h, &a_hoa, &a_coa2, 101, 60, 0);
	expect_ba(h, &a_hoa, &a_coa2, MH_BA_PROHIBITED, 101, 0, NULL);
	b = mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL);
	assert_true(in6_equal(&b->coa, &a_coa));
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_downgrade), 1);
	/* The owner, still under IPsec, moves on. */
	cap_clear(&h->cap);
	rx.coa = a_coa2;
	m.bu.seq = 102;
	mip6_ha_rx(h->st, &m, &rx);
	expect_ba(h, &a_hoa, &a_coa2, MH_BA_ACCEPTED, 102, 60, NULL);
}

/* RFC 3776: where an inbound policy covers the BU, one without IPsec is dropped silently. */
static void test_policy_requires_ipsec(void **state)
{
	struct host *h = *state;
	struct xfrm_policy pol = { .dir = XFRM_DIR_IN, .action = XFRM_ACT_IPSEC, .ntmpl = 1 };

	pol.sel.family = AF_INET6;
	pol.sel.proto = NH_MH;
	pol.tmpl[0].proto = IPPROTO_ESP;
	pol.tmpl[0].mode = XFRM_TMPL_TRANSPORT;
	pol.tmpl[0].level = XFRM_LEVEL_USE;    /* lets the packet reach us without an SA */
	assert_int_equal(xfrm_policy_add(h->st, &pol, 0, NULL), 0);
	enable_ha(h);
	send_bu(h, &a_hoa, &a_coa, 1, 60, 0);
	usagi_stack_advance(h->st, h->st->now + 2 * NS_PER_SEC);
	assert_int_equal(count_mh(h, MH_BA), 0);
	assert_false(saw_dad_ns(h, &a_hoa));
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_insecure), 1);
}

/* A BU with a Nonce Indices option and H set is discarded (9.5.1). */
static void test_nonce_with_h_dropped(void **state)
{
	struct host *h = *state;
	struct mh_msg m = { .type = MH_BU };
	uint8_t buf[128];
	size_t len;

	enable_ha(h);
	m.bu.seq = 1;
	m.bu.flags = MH_BU_A | MH_BU_H;
	m.bu.lifetime = 60;
	m.opt.has_nonce = true;
	len = mk_mh(&m, buf, sizeof(buf), &a_hoa, &a_us, NULL, NULL, NULL);
	send_mh(h, &a_hoa, &a_coa, &a_us, buf, len);
	usagi_stack_advance(h->st, h->st->now + 2 * NS_PER_SEC);
	assert_int_equal(count_mh(h, MH_BA), 0);
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_nonce), 1);
}

/* 10.3.1: a home registration at a node that is no home agent -> 131. */
static void test_not_a_home_agent(void **state)
{
	struct host *h = *state;

	assert_int_equal(mip6_cn_enable(h->st, true), 0);
	send_bu(h, &a_hoa, &a_coa, 5, 60, 0);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_NO_HOME_REG, 5, 0, NULL);
	assert_int_equal(STAT_GET(h->st, mip6_in_bu_no_ha), 1);
}

/* 8.1/11.3.5: with no role, MH is an unknown protocol: Parameter Problem code 1 at its Next Header. */
static void test_no_role(void **state)
{
	struct host *h = *state;
	struct mh_msg m = { .type = MH_BU };
	uint8_t buf[64];
	const uint8_t *pp;
	size_t len;

	m.bu.flags = MH_BU_A | MH_BU_H;
	len = mk_mh(&m, buf, sizeof(buf), &a_peer, &a_us, NULL, NULL, NULL);
	inject(h, &a_peer, &a_us, NH_MH, 64, buf, len);
	pp = find_icmp(h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(pp);
	assert_int_equal(pp[1], ICMP6_PP_NEXTHEADER);
	assert_int_equal(get_be32(pp + 4), 6);
	assert_int_equal(STAT_GET(h->st, mip6_in_no_role), 1);
}

/* 9.2: Payload Proto not 59 -> Parameter Problem code 0 at it (from the IPv6 header). */
static void test_param_problem(void **state)
{
	struct host *h = *state;
	struct mh_msg m = { .type = MH_BU };
	uint8_t buf[64];
	const uint8_t *pp;
	size_t len;

	enable_ha(h);
	m.bu.flags = MH_BU_A | MH_BU_H;
	len = mh_build(&m, buf, sizeof(buf), NULL);
	buf[0] = NH_UDP;
	mh_csum_set(buf, len, &a_peer, &a_us);
	inject(h, &a_peer, &a_us, NH_MH, 64, buf, len);
	pp = find_icmp(h, ICMP6_PARAM_PROB, NULL);
	assert_non_null(pp);
	assert_int_equal(pp[1], ICMP6_PP_HEADER);
	assert_int_equal(get_be32(pp + 4), IPV6_HLEN);
	assert_int_equal(STAT_GET(h->st, mip6_in_param_prob), 1);
}

/* 9.2: an unknown MH type -> Binding Error status 2 to the source. */
static void test_unknown_type(void **state)
{
	struct host *h = *state;
	uint8_t mh[16] = { NH_NONE, 1, 99, 0 };
	struct mh_seen s;

	enable_ha(h);
	mh_csum_set(mh, sizeof(mh), &a_peer, &a_us);
	inject(h, &a_peer, &a_us, NH_MH, 64, mh, sizeof(mh));
	assert_true(find_mh(h, MH_BE, 0, &s));
	assert_int_equal(s.m.be.status, MH_BE_UNKNOWN_MH);
	assert_true(in6_equal(&s.dst, &a_peer));
	assert_int_equal(STAT_GET(h->st, mip6_be_sent), 1);
}

/* HoTI at a node that is a home agent but no correspondent: BE status 2 (11.3.6). */
static void test_hoti_at_ha_only(void **state)
{
	struct host *h = *state;
	struct mh_msg m = { .type = MH_HOTI };
	uint8_t buf[64];
	struct mh_seen s;
	size_t len;

	enable_ha(h);
	len = mk_mh(&m, buf, sizeof(buf), &a_peer, &a_us, NULL, NULL, NULL);
	inject(h, &a_peer, &a_us, NH_MH, 64, buf, len);
	assert_true(find_mh(h, MH_BE, 0, &s));
	assert_int_equal(s.m.be.status, MH_BE_UNKNOWN_MH);
	assert_int_equal(STAT_GET(h->st, mip6_in_unsupported), 1);
}


/* Runs one command line; *out and *err get what it printed (caller frees). */
static int run(struct host *h, const char *line, char **out, char **err)
{
	size_t ol = 0, el = 0;
	struct cmd_env env = { .st = h->st };
	char buf[256];
	int rc;

	env.out = open_memstream(out, &ol);
	env.err = open_memstream(err, &el);
	snprintf(buf, sizeof(buf), "%s", line);
	rc = cmd_exec_line(&env, buf);
	fclose(env.out);
	fclose(env.err);
	return rc;
}

static void expect_cmd(struct host *h, const char *line, int rc, const char *out, const char *err)
{
	char *o = NULL, *e = NULL;

	assert_int_equal(run(h, line, &o, &e), rc);
	assert_string_equal(o, out);
	assert_string_equal(e, err);
	free(o);
	free(e);
}

/* The `mip6` commands (docs/commands.md). */
static void test_commands(void **state)
{
	struct host *h = *state;

	expect_cmd(h, "mip6", 2, "", "usagi: mip6: missing home-agent|correspondent|mobile-node|binding\n");
	expect_cmd(h, "mip6 home-agent dev nope", 1, "", "usagi: mip6: no such device \"nope\"\n");
	expect_cmd(h, "mip6 home-agent", 2, "", "usagi: mip6: missing dev NAME\n");
	expect_cmd(h, "mip6 home-agent dev eth0 max-lifetime 2", 2, "",
		   "usagi: mip6: invalid lifetime \"2\" (4..262140 s)\n");
	expect_cmd(h, "mip6 home-agent dev eth0 max-lifetime 100", 0, "", "");
	assert_non_null(h->st->mip6->ha);
	expect_cmd(h, "mip6 correspondent maybe", 2, "", "usagi: mip6: unexpected argument \"maybe\"\n");
	expect_cmd(h, "mip6 correspondent on", 0, "", "");
	assert_non_null(h->st->mip6->cn);
	expect_cmd(h, "mip6 mobile-node home 2001:db8::5", 2, "", "usagi: mip6: missing home-agent ADDR\n");
	expect_cmd(h, "mip6 mobile-node home zzz home-agent 2001:db8::1", 2, "",
		   "usagi: mip6: invalid home address \"zzz\"\n");
	expect_cmd(h, "mip6 binding show", 0, "", "");
	send_bu(h, &a_hoa, &a_coa, 10, 60, 0);
	expect_cmd(h, "mip6 binding show", 0, "hoa 2001:db8::100 coa 2001:db8:2::100 ha 2001:db8::1 "
		   "lifetime 100/100 seq 10 state dad\n", "");
	expect_cmd(h, "mip6 binding flush", 2, "", "usagi: mip6: unexpected argument \"flush\"\n");
	expect_cmd(h, "mip6 home-agent off", 0, "", "");
	assert_null(h->st->mip6->ha);
	expect_cmd(h, "mip6 correspondent off", 0, "", "");
	assert_null(h->st->mip6->cn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_local_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_home_subnet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dad_failed_na, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dad_failed_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_home_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_requires_ipsec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce_with_h_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_home_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hoti_at_ha_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
