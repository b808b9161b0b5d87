/*
 * The mobile node's Binding Acknowledgement, BRR, HoT/CoT and Binding
 * Error handling (RFC 6275 11.7.3, 11.7.4, 11.3.6) with crafted messages
 * fed to mip6_mn_rx: the node sits on a foreign link (a router advertising
 * 2001:db8:2::/64) and no home agent answers, so each BA is ours to make.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "simhost.h"
#include "core/stats.h"
#include "mip6/mip6.h"

struct t {
	struct sim_world *w;
	struct simhost *r, *mn;
	struct in6_addr hoa, ha, coa;
	char last[256];         /* last event */
	unsigned nbu;
	unsigned last_seq;      /* of the last BU event */
	uint64_t bu_t[32];      /* when each BU went out */
};

static void on_event(void *ctx, struct stack *st, const char *what)
{
	struct t *t = ctx;
	const char *s = strstr(what, " seq ");

	snprintf(t->last, sizeof(t->last), "%s", what);
	if (!strncmp(what, "BU to home agent", 16) && s) {
		if (t->nbu < 32)
			t->bu_t[t->nbu] = st->now;
		t->nbu++;
		t->last_seq = (unsigned)strtoul(s + 5, NULL, 10);
	}
}

static int setup(void **state)
{
	static const struct sim_link_params lan = { .delay_ns = NS_PER_MS };
	struct t *t = calloc(1, sizeof(*t));
	struct sim_segment *seg;

	t->w = simt_world(7);
	seg = sim_segment_new(t->w, "foreign", &lan);
	t->r = simt_host_up(t->w, "R", seg, 0x20);
	assert_int_equal(simt_cmd(t->r, "sysctl net.ipv6.conf.all.forwarding=1"), 0);
	assert_int_equal(simt_cmd(t->r, "addr add 2001:db8:2::1/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(t->r, "ra eth0 prefix 2001:db8:2::/64"), 0);
	assert_int_equal(simt_cmd(t->r, "ra eth0 interval 0.03 0.07"), 0);
	assert_int_equal(simt_cmd(t->r, "ra eth0 on"), 0);
	t->mn = simt_host(t->w, "MN");
	simt_attach(t->mn, seg, "eth0", 0x0a);
	assert_int_equal(simt_cmd(t->mn, "sysctl net.ipv6.conf.eth0.dad_transmits=0"), 0);
	assert_int_equal(simt_cmd(t->mn, "link set eth0 up"), 0);
	inet_pton(AF_INET6, "2001:db8:1::100", &t->hoa);
	inet_pton(AF_INET6, "2001:db8:1::1", &t->ha);
	inet_pton(AF_INET6, "2001:db8:2::ff:fe00:a", &t->coa);
	mip6_set_event_fn(t->mn->st, on_event, t);
	struct mip6_mn_conf c = { .hoa = t->hoa, .ha = t->ha, .ro = true };

	assert_int_equal(mip6_mn_enable(t->mn->st, &c), 0);
	assert_int_equal(mip6_mn_enable(t->mn->st, &c), -EEXIST);
	/* The router's link-local passes DAD, then fast RAs: movement, CoA, the first BU. */
	for (unsigned ms = 0; ms < 5000 && !t->nbu; ms += 5)
		simt_run_ms(t->w, 5);
	assert_int_equal(t->nbu, 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	simt_host_free(t->r);
	simt_host_free(t->mn);
	sim_world_free(t->w);
	free(t);
	return 0;
}

static void ba(struct t *t, const struct in6_addr *from, uint8_t status, uint16_t seq,
	       uint16_t lifetime_units)
{
	struct mh_msg m = { .type = MH_BA };
	struct mip6_rx rx = { .src = *from, .dst = t->hoa, .coa = *from, .had_rh2 = true };

	m.ba.status = status;
	m.ba.seq = seq;
	m.ba.lifetime = lifetime_units;
	mip6_mn_rx(t->mn->st, &m, &rx);
}

static const char *show(struct t *t)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	mip6_mn_show(t->mn->st, f);
	fclose(f);
	return buf;
}

/* 11.7.3: a BA for another sequence number, or from a stranger, changes nothing. */
static void test_ba_mismatch(void **state)
{
	struct t *t = *state;
	struct in6_addr other;

	inet_pton(AF_INET6, "2001:db8:9::1", &other);
	ba(t, &t->ha, MH_BA_ACCEPTED, (uint16_t)(t->last_seq + 7), 10);
	assert_int_equal(STAT_GET(t->mn->st, mn_ba_seq_mismatch), 1);
	ba(t, &other, MH_BA_ACCEPTED, (uint16_t)t->last_seq, 10);
	assert_int_equal(STAT_GET(t->mn->st, mn_ba_unexpected), 1);
	assert_non_null(strstr(show(t), "state waiting-ba"));
}

/* 11.7.3: status 135 carries the HA's last accepted number; the next BU goes on from it. */
static void test_ba_135_resync(void **state)
{
	struct t *t = *state;

	ba(t, &t->ha, MH_BA_SEQ_OUT_OF_WINDOW, 5000, 0);
	assert_int_equal(STAT_GET(t->mn->st, mn_ba_resync), 1);
	assert_int_equal(t->nbu, 2);
	assert_int_equal(t->last_seq, 5001);
	ba(t, &t->ha, MH_BA_ACCEPTED, 5001, 10);
	assert_non_null(strstr(show(t), "ha 2001:db8:1::1 lifetime 40/40 seq 5001 "
				     "state home-registration"));
}

/* 11.8: unanswered BUs back off 1.5, 3, 6, ... 32 s (first registration), each with a new number. */
static void test_retransmission_backoff(void **state)
{
	struct t *t = *state;
	static const uint64_t gaps_ms[] = { 1500, 3000, 6000, 12000, 24000, 32000, 32000 };
	unsigned seq = t->last_seq;

	simt_run_ms(t->w, 111000);
	assert_int_equal(t->nbu, 8);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(t->bu_t[i + 1] - t->bu_t[i], gaps_ms[i] * NS_PER_MS);
	assert_int_equal(t->last_seq, seq + 7);
	assert_int_equal(STAT_GET(t->mn->st, mn_retransmit), 7);
}

/* 11.7.4: a BRR for our registration refreshes it at once; refused BAs stop retransmission. */
static void test_brr_and_refusal(void **state)
{
	struct t *t = *state;
	struct mh_msg m = { .type = MH_BRR };
	struct mip6_rx rx = { .src = t->ha, .dst = t->hoa, .coa = t->ha };
	unsigned n;

	mip6_mn_rx(t->mn->st, &m, &rx);
	assert_int_equal(STAT_GET(t->mn->st, mn_brr_ignored), 1);   /* nothing registered yet */
	ba(t, &t->ha, MH_BA_ACCEPTED, (uint16_t)t->last_seq, 105);
	n = t->nbu;
	mip6_mn_rx(t->mn->st, &m, &rx);
	assert_int_equal(t->nbu, n + 1);
	assert_non_null(strstr(t->last, "lifetime 420 s"));
	ba(t, &t->ha, MH_BA_PROHIBITED, (uint16_t)t->last_seq, 0);
	assert_int_equal(STAT_GET(t->mn->st, mn_ba_refused), 1);
	assert_non_null(strstr(show(t), "state refused"));
	simt_run_ms(t->w, 70000);
	assert_int_equal(t->nbu, n + 1);
}

/* HoT/CoT without return routability running, and a Binding Error from a stranger. */
static void test_unsolicited_tests_and_be(void **state)
{
	struct t *t = *state;
	struct in6_addr cn;
	struct mh_msg m = { .type = MH_HOT };
	struct mip6_rx rx = { .dst = t->hoa };

	inet_pton(AF_INET6, "2001:db8:ff::c", &cn);
	rx.src = rx.coa = cn;
	mip6_mn_rx(t->mn->st, &m, &rx);
	m.type = MH_COT;
	rx.dst = t->coa;
	mip6_mn_rx(t->mn->st, &m, &rx);
	assert_int_equal(STAT_GET(t->mn->st, mn_test_unmatched), 2);
	m = (struct mh_msg){ .type = MH_BE };
	m.be.status = MH_BE_UNKNOWN_HAO;
	m.be.home = t->hoa;
	mip6_mn_rx(t->mn->st, &m, &rx);
	assert_int_equal(STAT_GET(t->mn->st, mn_be_rcvd), 1);
	m.type = MH_HOTI;
	mip6_mn_rx(t->mn->st, &m, &rx);
	assert_int_equal(STAT_GET(t->mn->st, mn_rx_unexpected), 1);
	/* RO requests: refused for the HA and the home address, accepted once for a CN. */
	assert_int_equal(mip6_mn_ro_start(t->mn->st, &t->ha), -EINVAL);
	assert_int_equal(mip6_mn_ro_start(t->mn->st, &t->hoa), -EINVAL);
	assert_int_equal(mip6_mn_ro_start(t->mn->st, &cn), 0);
	assert_int_equal(mip6_mn_ro_start(t->mn->st, &cn), 0);
	assert_non_null(strstr(show(t), "cn 2001:db8:ff::c lifetime 0/0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ba_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ba_135_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brr_and_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_tests_and_be, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
