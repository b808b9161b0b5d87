/* Neighbor Discovery: NS/NA, the NUD state machine, validation, router side, Redirect. */
#include "nd_harness.h"
#include "ipv6/nd6_priv.h"

static const struct in6_addr a_us = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
static const struct in6_addr a_gone = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 } };

/* A host whose link-local and 2001:db8::1/64 are usable at once (no DAD). */
static void host_ready(struct host *h)
{
	host_init(h, false);
	h->dev->in6->conf.dad_transmits = 0;
	h->dev->in6->conf.router_solicitations = 0;
	netdev_set_up(h->dev, true);
	assert_int_equal(addrconf_add(h->dev, &a_us, 64, IFA_F_PERMANENT, UINT32_MAX, UINT32_MAX), 0);
	run_ms(h, 10);
	cap_clear(&h->cap);
}

/* An IPv6 packet (data = IPv6 header) from @src to @dst with 8 bytes of UDP-ish payload. */
static struct pkt *mk_ip6(struct host *h, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct pkt *p = stack_pkt_alloc(h->st, IPV6_HLEN + 8);
	uint8_t *d = pkt_put(p, IPV6_HLEN + 8);
	struct ip6_hdr ip6;

	memset(d, 0, IPV6_HLEN + 8);
	ip6_set_vtcfl(&ip6, 0, 0);
	put_be16(ip6.plen, 8);
	ip6.nxt = NH_UDP;
	ip6.hlim = 64;
	ip6.src = *src;
	ip6.dst = *dst;
	memcpy(d, &ip6, IPV6_HLEN);
	return p;
}

static void test_ns_answered(void **state)
{
	struct host h;
	struct icmp_view v;
	uint8_t m[64];
	size_t len;
	struct in6_addr snm;

	(void)state;
	host_ready(&h);
	in6_solicited_node(&snm, &a_us);
	len = mk_ns(m, &a_us, mac_peer);
	inject_icmp(&h, &g_peer, &snm, 255, m, len);
	assert_true(find_nth(&h, ND_NEIGHBOR_ADVERT, 0, &v));
	assert_true(in6_eq(&v.ip6->src, &a_us));
	assert_true(in6_eq(&v.ip6->dst, &g_peer));
	assert_int_equal(v.ip6->hlim, 255);
	assert_int_equal(v.m[4], ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE);
	assert_true(in6_eq(v.m + 8, &a_us));
	assert_int_equal(v.len, 32);
	assert_int_equal(v.m[24], ND_OPT_TLLA);
	assert_memory_equal(v.m + 26, mac_us, 6);
	assert_memory_equal(v.eth, mac_peer, 6);      /* resolved through the SLLA */
	assert_int_not_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_NONE);
	host_fini(&h);
}

static void test_resolution_fails(void **state)
{
	struct host h;
	struct icmp_view v;
	struct in6_addr snm;

	(void)state;
	host_ready(&h);
	assert_int_equal(nd6_neigh_add_permanent(h.st, h.dev, &g_peer, mac_peer), 0);
	/* As if forwarded: the sender is on the link and hears about the failure. */
	nd6_output(h.st, h.dev, &a_gone, mk_ip6(&h, &g_peer, &a_gone));
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &a_gone), NUD_INCOMPLETE);
	assert_true(find_nth(&h, ND_NEIGHBOR_SOLICIT, 0, &v));
	in6_solicited_node(&snm, &a_gone);
	assert_true(in6_eq(&v.ip6->dst, &snm));
	assert_true(in6_eq(&v.ip6->src, &a_us));
	assert_int_equal(v.m[24], ND_OPT_SLLA);
	run_ms(&h, 2500);
	assert_int_equal(count_type(&h, ND_NEIGHBOR_SOLICIT), 3);
	assert_false(find_nth(&h, ICMP6_DST_UNREACH, 0, &v));
	run_ms(&h, 600);
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &a_gone), NUD_FAILED);
	assert_int_equal(count_type(&h, ND_NEIGHBOR_SOLICIT), 3);
	assert_true(find_nth(&h, ICMP6_DST_UNREACH, 0, &v));
	assert_int_equal(v.m[1], ICMP6_DU_ADDR);
	assert_true(in6_eq(&v.ip6->dst, &g_peer));
	assert_int_equal(STAT_GET(h.st, nd6_resolve_failed), 1);
	host_fini(&h);
}

/*
 * INCOMPLETE -> FAILED -> INCOMPLETE -> FAILED with a full queue each time.
 * Only the last queued packet of the first round can be answered (the
 * others come from ::), and its sender is the unresolved neighbour itself:
 * the Destination Unreachable re-enters nd6_output for the entry that is
 * being emptied. The queue must be empty by then, not half-drained.
 */
static void test_queue_refail(void **state)
{
	static const struct in6_addr any;
	struct nd6_neigh *n;
	struct host h;

	(void)state;
	host_ready(&h);
	for (int i = 0; i < 2; i++)
		nd6_output(h.st, h.dev, &a_gone, mk_ip6(&h, &any, &a_gone));
	nd6_output(h.st, h.dev, &a_gone, mk_ip6(&h, &a_gone, &a_gone));
	n = nd6_neigh_lookup(h.st, h.dev, &a_gone);
	assert_non_null(n);
	assert_int_equal(n->state, NUD_INCOMPLETE);
	assert_int_equal(n->qlen, 3);
	run_ms(&h, 3100);
	/* The error about the third packet restarted resolution and waits in the queue. */
	assert_int_equal(STAT_GET(h.st, nd6_resolve_failed), 1);
	assert_int_equal(STAT_GET(h.st, nd6_queue_failed), 3);
	assert_int_equal(n->state, NUD_INCOMPLETE);
	assert_int_equal(n->qlen, 1);
	assert_non_null(n->q_head);
	assert_ptr_equal(n->q_head, n->q_tail);
	run_ms(&h, 3100);
	assert_int_equal(n->state, NUD_FAILED);
	assert_int_equal(n->qlen, 0);
	assert_null(n->q_head);
	/* FAILED -> INCOMPLETE again: the bound holds and the oldest packet goes. */
	for (int i = 0; i < 4; i++)
		nd6_output(h.st, h.dev, &a_gone, mk_ip6(&h, &any, &a_gone));
	assert_int_equal(n->state, NUD_INCOMPLETE);
	assert_int_equal(n->qlen, 3);
	assert_int_equal(STAT_GET(h.st, nd6_queue_overflow), 1);
	run_ms(&h, 3100);
	assert_int_equal(n->state, NUD_FAILED);
	assert_int_equal(n->qlen, 0);
	assert_int_equal(STAT_GET(h.st, nd6_resolve_failed), 3);
	host_fini(&h);
}

static void test_nud_cycle(void **state)
{
	struct host h;
	struct icmp_view v;
	uint8_t m[64];
	size_t len;
	int frames;

	(void)state;
	host_ready(&h);
	nd6_output(h.st, h.dev, &g_peer, mk_ip6(&h, &a_us, &g_peer));
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_INCOMPLETE);
	len = mk_na(m, &g_peer, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, mac_peer);
	inject_icmp(&h, &g_peer, &a_us, 255, m, len);
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_REACHABLE);
	frames = h.cap.n;
	assert_memory_equal(h.cap.f[frames - 1]->data, mac_peer, 6);   /* the queued packet left */
	run_ms(&h, h.dev->in6->reachable_ms + 1);
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_STALE);
	nd6_output(h.st, h.dev, &g_peer, mk_ip6(&h, &a_us, &g_peer));
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_DELAY);
	cap_clear(&h.cap);
	run_ms(&h, 5001);
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_PROBE);
	assert_true(find_nth(&h, ND_NEIGHBOR_SOLICIT, 0, &v));
	assert_true(in6_eq(&v.ip6->dst, &g_peer));            /* unicast probe */
	assert_memory_equal(v.eth, mac_peer, 6);
	run_ms(&h, 3100);
	assert_int_equal(count_type(&h, ND_NEIGHBOR_SOLICIT), 3);
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &g_peer), NUD_NONE);
	assert_int_equal(STAT_GET(h.st, nd6_probe_failed), 1);
	host_fini(&h);
}

static void test_invalid_dropped(void **state)
{
	struct host h;
	uint8_t m[64];
	size_t len;
	struct in6_addr snm;

	(void)state;
	host_ready(&h);
	in6_solicited_node(&snm, &a_us);
	len = mk_ns(m, &a_us, mac_peer);
	inject_icmp(&h, &g_peer, &snm, 254, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_bad_hoplimit), 1);
	m[25] = 0;                                  /* option length 0 */
	inject_icmp(&h, &g_peer, &snm, 255, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_bad_option), 1);
	len = mk_ns(m, &a_us, mac_peer);
	m[1] = 1;
	inject_icmp(&h, &g_peer, &snm, 255, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_bad_code), 1);
	len = mk_ns(m, &in6_all_nodes, NULL);
	inject_icmp(&h, &g_peer, &snm, 255, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_bad_target), 1);
	inject_icmp(&h, &g_peer, &snm, 255, m, 20);
	assert_int_equal(STAT_GET(h.st, nd6_truncated), 1);
	len = mk_na(m, &g_peer, ND_NA_FLAG_SOLICITED, mac_peer);
	inject_icmp(&h, &g_peer, &in6_all_nodes, 255, m, len);
	assert_int_equal(STAT_GET(h.st, nd6_bad_na_solicited), 1);
	assert_int_equal(count_type(&h, ND_NEIGHBOR_ADVERT), 0);
	host_fini(&h);
}

static void test_opts_parse(void **state)
{
	struct nd6_opts o;
	uint8_t b[64] = { 0 };

	(void)state;
	put_lladdr(b, ND_OPT_SLLA, mac_peer);
	b[8] = ND_OPT_MTU, b[9] = 1;
	b[16] = 200, b[17] = 1;                      /* unknown: skipped */
	assert_int_equal(nd6_opts_parse(b, 24, &o), 0);
	assert_non_null(o.slla);
	assert_non_null(o.mtu);
	assert_int_equal(o.ignored, 1);
	assert_int_equal(nd6_opts_parse(b, 23, &o), -EINVAL);    /* overruns */
	b[17] = 0;
	assert_int_equal(nd6_opts_parse(b, 24, &o), -EINVAL);    /* zero length */
	b[0] = ND_OPT_RDNSS, b[1] = 2;               /* even RDNSS length: skipped */
	assert_int_equal(nd6_opts_parse(b, 16, &o), 0);
	assert_int_equal(o.nrdnss, 0);
	assert_int_equal(nd6_opts_parse(b, 1, &o), -EINVAL);
	assert_int_equal(nd6_opts_parse(b, 0, &o), 0);
}

static void test_router_side(void **state)
{
	struct host h;
	struct icmp_view v;
	uint8_t m[64] = { ND_ROUTER_SOLICIT };
	struct nd6_ra_prefix p = { .prefix = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8 } }, .plen = 64,
				   .onlink = true, .autonomous = true, .valid_s = 86400,
				   .preferred_s = 14400 };
	struct in6_addr snm;
	struct nd6_ra_conf c;
	uint64_t t0;

	(void)state;
	host_ready(&h);
	h.dev->in6->conf.forwarding = 1;
	assert_int_equal(nd6_ra_add_prefix(h.dev, &p), 0);
	assert_int_equal(nd6_ra_get_conf(h.dev, &c), 0);
	c.mtu = 1400;
	c.other = true;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	assert_int_equal(nd6_ra_enable(h.dev, true), 0);
	run_ms(&h, 500);
	assert_true(find_nth(&h, ND_ROUTER_ADVERT, 0, &v));
	assert_true(in6_eq(&v.ip6->src, &ll_us));
	assert_true(in6_eq(&v.ip6->dst, &in6_all_nodes));
	assert_int_equal(v.m[4], 64);
	assert_int_equal(v.m[5], ND_RA_FLAG_OTHER);
	assert_int_equal(get_be16(v.m + 6), 1800);
	assert_int_equal(v.len, 16 + 8 + 8 + 32);
	assert_int_equal(v.m[16], ND_OPT_SLLA);
	assert_int_equal(v.m[24], ND_OPT_MTU);
	assert_int_equal(v.m[32], ND_OPT_PREFIX);
	assert_int_equal(v.m[35], ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO);
	/* RS right away: the answer waits for MIN_DELAY_BETWEEN_RAS. */
	t0 = h.st->now;
	cap_clear(&h.cap);
	put_lladdr(m + 8, ND_OPT_SLLA, mac_peer);
	inject_icmp(&h, &ll_peer, &in6_all_routers, 255, m, 16);
	run_ms(&h, 2000);
	assert_int_equal(count_type(&h, ND_ROUTER_ADVERT), 0);
	run_ms(&h, 1100);
	assert_int_equal(count_type(&h, ND_ROUTER_ADVERT), 1);
	assert_true(h.st->now - t0 >= 2500 * NS_PER_MS);
	/* A router answers NS with R set. */
	cap_clear(&h.cap);
	in6_solicited_node(&snm, &a_us);
	inject_icmp(&h, &g_peer, &snm, 255, m, mk_ns(m, &a_us, mac_peer));
	assert_true(find_nth(&h, ND_NEIGHBOR_ADVERT, 0, &v));
	assert_true(v.m[4] & ND_NA_FLAG_ROUTER);
	cap_clear(&h.cap);
	assert_int_equal(nd6_ra_enable(h.dev, false), 0);
	assert_true(find_nth(&h, ND_ROUTER_ADVERT, 0, &v));
	assert_int_equal(get_be16(v.m + 6), 0);
	host_fini(&h);
}

/* The RA of @h's first capture after enabling advertisements; fails the test if none. */
static void first_ra(struct host *h, struct icmp_view *v)
{
	cap_clear(&h->cap);
	assert_int_equal(nd6_ra_enable(h->dev, true), 0);
	run_ms(h, 500);
	assert_true(find_nth(h, ND_ROUTER_ADVERT, 0, v));
}

/* Each RA parameter changes alone; lifetime 0 is a router that is not a default router. */
static void test_ra_conf(void **state)
{
	struct host h;
	struct icmp_view v;
	struct nd6_ra_conf c, want;

	(void)state;
	host_ready(&h);
	h.dev->in6->conf.forwarding = 1;
	assert_int_equal(nd6_ra_get_conf(h.dev, &c), 0);
	assert_int_equal(c.max_interval_ms, 600000);
	assert_int_equal(c.min_interval_ms, 200000);
	assert_int_equal(c.lifetime_s, 1800);
	assert_int_equal(c.mtu, 0);
	assert_false(c.managed || c.other);
	c.other = true;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	c.managed = true;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	c.lifetime_s = 0;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	want = c;
	/* Invalid values are refused whole and change nothing. */
	c.mtu = 1000;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), -EINVAL);
	c = want;
	c.lifetime_s = 9001;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), -EINVAL);
	c = want;
	c.min_interval_ms = 8000, c.max_interval_ms = 10000;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), -EINVAL);
	assert_int_equal(nd6_ra_get_conf(h.dev, &c), 0);
	assert_int_equal(c.min_interval_ms, want.min_interval_ms);
	assert_int_equal(c.max_interval_ms, want.max_interval_ms);
	assert_int_equal(c.lifetime_s, 0);
	assert_int_equal(c.mtu, 0);
	assert_true(c.managed && c.other);
	assert_int_equal(c.retrans_ms, 0);
	first_ra(&h, &v);
	assert_int_equal(v.m[5], ND_RA_FLAG_MANAGED | ND_RA_FLAG_OTHER);
	assert_int_equal(get_be16(v.m + 6), 0);
	assert_int_equal(get_be32(v.m + 12), 0);   /* Retrans Timer unspecified */
	assert_int_equal(v.len, 16 + 8);       /* SLLA only: no MTU option */
	/* A Retrans Timer is advertised and the router's own on the link too. */
	c.retrans_ms = 3600001;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), -EINVAL);
	assert_int_equal(h.dev->in6->retrans_ms, 1000);
	c.retrans_ms = 250;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	assert_int_equal(h.dev->in6->retrans_ms, 250);
	assert_int_equal(nd6_ra_enable(h.dev, false), 0);
	first_ra(&h, &v);
	assert_int_equal(get_be32(v.m + 12), 250);
	host_fini(&h);
}

/*
 * RFC 4861 6.2.4: a parameter change on an advertising interface restarts
 * the initial advertisements, so a shorter interval takes effect at once.
 */
static void test_ra_change_readvertises(void **state)
{
	struct host h;
	struct icmp_view v;
	struct nd6_ra_conf c;
	struct nd6_ra_prefix p = { .prefix = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 9 } }, .plen = 64,
				   .onlink = true, .autonomous = true, .valid_s = 600, .preferred_s = 300 };

	(void)state;
	host_ready(&h);
	h.dev->in6->conf.forwarding = 1;
	first_ra(&h, &v);
	run_ms(&h, 60000);          /* the initial ones (up to 3 x 16 s) are out: the next is 200..600 s away */
	cap_clear(&h.cap);
	run_ms(&h, 60000);
	assert_int_equal(count_type(&h, ND_ROUTER_ADVERT), 0);
	assert_int_equal(nd6_ra_get_conf(h.dev, &c), 0);
	c.min_interval_ms = 30, c.max_interval_ms = 70;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	run_ms(&h, 500);
	assert_true(count_type(&h, ND_ROUTER_ADVERT) >= 1);
	run_ms(&h, 1000);
	assert_true(count_type(&h, ND_ROUTER_ADVERT) >= 14);   /* every 30..70 ms */
	/* A new prefix is advertised at once too. */
	c.min_interval_ms = 200000, c.max_interval_ms = 600000;
	assert_int_equal(nd6_ra_set_conf(h.dev, &c), 0);
	run_ms(&h, 60000);
	cap_clear(&h.cap);
	run_ms(&h, 60000);
	assert_int_equal(count_type(&h, ND_ROUTER_ADVERT), 0);
	assert_int_equal(nd6_ra_add_prefix(h.dev, &p), 0);
	run_ms(&h, 500);
	assert_true(find_nth(&h, ND_ROUTER_ADVERT, 0, &v));
	assert_int_equal(v.m[v.len - 32], ND_OPT_PREFIX);
	host_fini(&h);
}

static void test_redirect(void **state)
{
	struct host h;
	uint8_t m[128];
	static const struct in6_addr far = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb9, [15] = 9 } };
	static const struct in6_addr ll_r2 = { .s6_addr = { 0xfe, 0x80, [15] = 3 } };
	static const uint8_t mac_r2[6] = { 2, 0, 0, 0, 0, 3 };
	struct route6 def = { .gw = ll_peer, .metric = 1024, .proto = RT6_PROTO_STATIC };
	const struct route6 *rt;

	(void)state;
	host_ready(&h);
	def.dev = h.dev;
	assert_int_equal(route6_add(h.st, &def), 0);
	memset(m, 0, sizeof(m));
	m[0] = ND_REDIRECT;
	memcpy(m + 8, &ll_r2, 16);
	memcpy(m + 24, &far, 16);
	put_lladdr(m + 40, ND_OPT_TLLA, mac_r2);
	/* Not from the current first hop: ignored. */
	inject_icmp(&h, &ll_r2, &a_us, 255, m, 48);
	assert_int_equal(STAT_GET(h.st, nd6_redirect_not_from_gw), 1);
	inject_icmp(&h, &ll_peer, &a_us, 255, m, 48);
	assert_int_equal(STAT_GET(h.st, nd6_redirect_accepted), 1);
	rt = route6_lookup(h.st, &far);
	assert_non_null(rt);
	assert_int_equal(rt->plen, 128);
	assert_true(in6_equal(&rt->gw, &ll_r2));
	assert_int_equal(nd6_neigh_state(h.st, h.dev, &ll_r2), NUD_STALE);
	host_fini(&h);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(nud_state_name(NUD_REACHABLE), "REACHABLE");
	assert_string_equal(nud_state_name(NUD_INCOMPLETE), "INCOMPLETE");
	assert_string_equal(nud_state_name(NUD_PERMANENT), "PERMANENT");
	assert_string_equal(nud_state_name((enum nud_state)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_answered),
		cmocka_unit_test(test_resolution_fails),
		cmocka_unit_test(test_queue_refail),
		cmocka_unit_test(test_nud_cycle),
		cmocka_unit_test(test_invalid_dropped),
		cmocka_unit_test(test_opts_parse),
		cmocka_unit_test(test_router_side),
		cmocka_unit_test(test_ra_conf),
		cmocka_unit_test(test_ra_change_readvertises),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
