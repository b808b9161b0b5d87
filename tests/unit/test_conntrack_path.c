/*
 * Netfilter hooks on the IPv6 packet path: an echo request delivered to the
 * host passes PREROUTING and INPUT, its reply OUTPUT and POSTROUTING, and
 * conntrack pairs them; a hook that drops at INPUT stops delivery and
 * leaves no entry; with nothing registered nothing is allocated.
 */
#include "ip6_harness.h"
#include "netfilter/nf_conntrack.h"

struct seen {
	int n[NF_HOOK_MAX];
	enum nf_ct_state state[NF_HOOK_MAX];
	int n_untracked[NF_HOOK_MAX];
	bool drop_input;
};

static int recorder(struct stack *st, struct pkt *p, const struct nf_hook_state *hs, void *ctx)
{
	struct seen *s = ctx;
	struct nf_ct_info ci;

	nf_ct_get(st, p, &ci);
	s->n[hs->hook]++;
	/* Neighbour Discovery the stack sends meanwhile is untracked: keep the last tracked state. */
	if (ci.state == NF_CT_UNTRACKED)
		s->n_untracked[hs->hook]++;
	else
		s->state[hs->hook] = ci.state;
	/* Every hook sees the IP header at data. */
	assert_int_equal(p->data[0] >> 4, 6);
	return hs->hook == NF_INPUT && s->drop_input ? NF_DROP : NF_ACCEPT;
}

static void test_echo_through_hooks(void **state)
{
	struct seen s = { { 0 } };
	struct host h;
	uint8_t m[64];
	size_t len;

	(void)state;
	host_init(&h);
	assert_int_equal(nf_ct_enable(h.st), 0);
	for (int k = 0; k < NF_HOOK_MAX; k++)
		assert_int_equal(nf_hook_register(h.st, k, recorder, NF_PRI_FILTER, &s), 0);
	len = mk_echo(m, 8, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, len);
	assert_non_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_int_equal(s.n[NF_PREROUTING], 1);
	assert_int_equal(s.n[NF_INPUT], 1);
	assert_int_equal(s.n[NF_OUTPUT], 1);
	assert_int_equal(s.n[NF_POSTROUTING], 1);
	assert_int_equal(s.n[NF_FORWARD], 0);
	assert_int_equal(s.state[NF_INPUT], NF_CT_NEW);
	assert_int_equal(s.state[NF_OUTPUT], NF_CT_ESTABLISHED);
	assert_int_equal(nf_ct_count(h.st), 1);

	/* Dropped at INPUT: no reply, and the new entry is forgotten. */
	s.drop_input = true;
	cap_clear(&h.cap);
	m[4] = 0x55;     /* another identifier */
	icmp_csum(m, len, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, len);
	assert_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_int_equal(nf_ct_count(h.st), 1);
	assert_int_equal(STAT_GET(h.st, nf_hook_drop), 1);
	host_fini(&h);
}

/* Forwarded: PREROUTING, FORWARD, POSTROUTING; the router's own Packet Too Big is RELATED on OUTPUT. */
static void test_forward_hooks(void **state)
{
	struct seen s = { { 0 } };
	struct cap c1 = { .n = 0 };
	static uint8_t b[1400];
	struct host h;
	size_t len;

	(void)state;
	fwd_setup(&h, &c1);
	assert_int_equal(nf_ct_enable(h.st), 0);
	for (int k = 0; k < NF_HOOK_MAX; k++)
		assert_int_equal(nf_hook_register(h.st, k, recorder, NF_PRI_FILTER, &s), 0);
	len = mk_echo(b, 100, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	assert_int_equal(STAT_GET(h.st, ip6_fwd_ok), 1);
	assert_int_equal(s.n[NF_PREROUTING], 1);
	assert_int_equal(s.n[NF_FORWARD], 1);
	/* Plus the Neighbor Solicitation for a_far, through OUTPUT and POSTROUTING. */
	assert_int_equal(s.n[NF_POSTROUTING], 1 + s.n[NF_OUTPUT]);
	assert_int_equal(s.n[NF_OUTPUT], s.n_untracked[NF_OUTPUT]);
	assert_int_equal(s.n[NF_INPUT], 0);
	assert_int_equal(s.state[NF_FORWARD], NF_CT_NEW);
	assert_int_equal(nf_ct_count(h.st), 1);

	memset(&s, 0, sizeof(s));
	cap_clear(&h.cap);
	len = mk_echo(b, 1300, &a_peer, &a_far);
	b[5] = 0x99;    /* another identifier */
	icmp_csum(b, len, &a_peer, &a_far);
	inject(&h, &a_peer, &a_far, NH_ICMPV6, 64, b, len);
	assert_non_null(find_icmp(&h, ICMP6_PACKET_TOO_BIG, NULL));
	assert_true(s.n[NF_OUTPUT] >= 1);
	assert_int_equal(s.state[NF_OUTPUT], NF_CT_RELATED);
	host_fini(&h);
}

static void test_nothing_registered(void **state)
{
	struct host h;
	uint8_t m[64];
	size_t len;

	(void)state;
	host_init(&h);
	len = mk_echo(m, 8, &a_peer, &a_us);
	inject(&h, &a_peer, &a_us, NH_ICMPV6, 64, m, len);
	assert_non_null(find_icmp(&h, ICMP6_ECHO_REPLY, NULL));
	assert_null(h.st->nf);
	assert_int_equal(h.st->nf_hooks, 0);
	host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_through_hooks),
		cmocka_unit_test(test_forward_hooks),
		cmocka_unit_test(test_nothing_registered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
