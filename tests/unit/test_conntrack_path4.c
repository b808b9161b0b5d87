/*
 * Netfilter hooks on the IPv4 packet path: an echo request (whole, or in
 * two fragments: conntrack sees the reassembled packet once) passes
 * PREROUTING and INPUT, its reply OUTPUT and POSTROUTING, paired by
 * conntrack.
 */
#include "ip4_harness.h"
#include "netfilter/nf_conntrack.h"

struct seen {
	int n[NF_HOOK_MAX];
	enum nf_ct_state state[NF_HOOK_MAX];
	uint32_t len[NF_HOOK_MAX];
};

static int recorder(struct stack *st, struct pkt *p, const struct nf_hook_state *hs, void *ctx)
{
	struct seen *s = ctx;
	struct nf_ct_info ci;

	nf_ct_get(st, p, &ci);
	s->n[hs->hook]++;
	s->state[hs->hook] = ci.state;
	s->len[hs->hook] = p->len;
	assert_int_equal(p->data[0] >> 4, 4);
	return NF_ACCEPT;
}

static void run(bool fragmented)
{
	struct seen s = { { 0 } };
	struct host h;
	uint8_t m[64 + 8], data[64];
	struct f4 f = { .proto = IPPROTO_ICMP, .body = m };

	host4_init(&h);
	assert_int_equal(nf_ct_enable(h.st), 0);
	for (int k = 0; k < NF_HOOK_MAX; k++)
		assert_int_equal(nf_hook_register(h.st, k, recorder, NF_PRI_FILTER, &s), 0);
	memset(data, 0xab, sizeof(data));
	f.len = mk_icmp4(m, ICMP4_ECHO, 0, 0x12340001, data, sizeof(data));
	if (fragmented) {
		f.id = 77;
		f.frag = IP4_MF;
		f.len = 40;
		inject4(&h, &f);
		f.frag = 5;           /* offset 40 bytes */
		f.body = m + 40;
		f.len = sizeof(m) - 40;
		inject4(&h, &f);
	} else {
		inject4(&h, &f);
	}
	assert_non_null(icmp4_nth(&h, ICMP4_ECHO_REPLY, 0));
	assert_int_equal(s.n[NF_PREROUTING], 1);
	assert_int_equal(s.len[NF_PREROUTING], 20 + sizeof(m));
	assert_int_equal(s.n[NF_INPUT], 1);
	assert_int_equal(s.n[NF_OUTPUT], 1);
	assert_int_equal(s.n[NF_POSTROUTING], 1);
	assert_int_equal(s.state[NF_INPUT], NF_CT_NEW);
	assert_int_equal(s.state[NF_POSTROUTING], NF_CT_ESTABLISHED);
	assert_int_equal(nf_ct_count(h.st), 1);
	host_fini(&h);
}

static void test_echo(void **state)
{
	(void)state;
	run(false);
}

static void test_echo_fragments(void **state)
{
	(void)state;
	run(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_echo_fragments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
