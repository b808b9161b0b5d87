/*
 * The correspondent node (RFC 6275 5.2, 9.4, 9.5) driven with crafted
 * frames: HoTI/CoTI answered with tokens equal to the RFC formula computed
 * here from Kcn and the nonce table (the .c is included to reach them),
 * route-optimisation BUs with Nonce Indices and Binding Authorization Data
 * (from the care-of address with a Home Address option), and the BAs
 * checked byte-wise, their authenticator included.
 * Correspondent 2001:db8::1; mobile node home 2001:db8:1::100, care-of
 * 2001:db8:2::100, both behind the peer.
 */
#include "mip6_harness.h"
#include "mip6/mip6_cn.c"

static const struct in6_addr a_hoa = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [14] = 1 } };
static const uint8_t cookie_h[MH_COOKIE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cookie_c[MH_COOKIE_LEN] = { 9, 10, 11, 12, 13, 14, 15, 16 };

/* What the mobile node learnt from one round of return routability. */
struct rr {
	uint16_t hidx, cidx;
	uint8_t htok[MIP6_TOKEN_LEN], ctok[MIP6_TOKEN_LEN];
};

static int setup(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	host_init(h);
	add_default_route(h);
	assert_int_equal(mip6_cn_enable(h->st, true), 0);
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

/* The token the RFC formula gives for nonce index @idx (5.2.5), from the CN's own Kcn and nonce. */
static void expected_token(struct host *h, const struct in6_addr *addr, uint16_t idx, int which,
			   uint8_t out[MIP6_TOKEN_LEN])
{
	struct mip6_cn *cn = h->st->mip6->cn;
	const struct cn_nonce *n = &cn->nonces[idx % MIP6_CN_NONCES];

	assert_int_equal(n->idx, idx);
	assert_int_equal(mip6_keygen_token(cn->kcn, addr, n->nonce, which, out), 0);
}

/* HoTI from the home address (as through the home agent) -> HoT; returns its index and token. */
static void home_test(struct host *h, struct rr *r)
{
	struct mh_msg m = { .type = MH_HOTI };
	uint8_t buf[64], want[MIP6_TOKEN_LEN];
	struct mh_seen s;
	size_t len;

	cap_clear(&h->cap);
	memcpy(m.hoti.cookie, cookie_h, MH_COOKIE_LEN);
	len = mk_mh(&m, buf, sizeof(buf), &a_hoa, &a_us, NULL, NULL, NULL);
	send_mh(h, &a_hoa, &a_hoa, &a_us, buf, len);
	assert_true(find_mh(h, MH_HOT, 0, &s));
	assert_true(in6_equal(&s.src, &a_us));
	assert_true(in6_equal(&s.dst, &a_hoa));
	assert_false(s.rh2);
	assert_memory_equal(s.m.hot.cookie, cookie_h, MH_COOKIE_LEN);
	expected_token(h, &a_hoa, s.m.hot.nonce_idx, MIP6_TOKEN_HOME, want);
	assert_memory_equal(s.m.hot.token, want, MIP6_TOKEN_LEN);
	r->hidx = s.m.hot.nonce_idx;
	memcpy(r->htok, s.m.hot.token, MIP6_TOKEN_LEN);
}

/* CoTI from the care-of address -> CoT. */
static void care_of_test(struct host *h, struct rr *r)
{
	struct mh_msg m = { .type = MH_COTI };
	uint8_t buf[64], want[MIP6_TOKEN_LEN];
	struct mh_seen s;
	size_t len;

	cap_clear(&h->cap);
	memcpy(m.coti.cookie, cookie_c, MH_COOKIE_LEN);
	len = mk_mh(&m, buf, sizeof(buf), &a_coa, &a_us, NULL, NULL, NULL);
	send_mh(h, &a_coa, &a_coa, &a_us, buf, len);
	assert_true(find_mh(h, MH_COT, 0, &s));
	assert_true(in6_equal(&s.dst, &a_coa));
	assert_memory_equal(s.m.cot.cookie, cookie_c, MH_COOKIE_LEN);
	expected_token(h, &a_coa, s.m.cot.nonce_idx, MIP6_TOKEN_COA, want);
	assert_memory_equal(s.m.cot.token, want, MIP6_TOKEN_LEN);
	r->cidx = s.m.cot.nonce_idx;
	memcpy(r->ctok, s.m.cot.token, MIP6_TOKEN_LEN);
}

static void rr(struct host *h, struct rr *r)
{
	home_test(h, r);
	care_of_test(h, r);
}

/*
 * A route-optimisation BU from @coa (HAO naming the home address) with the
 * Nonce Indices of @r and an authenticator under Kbm from @r's tokens
 * (the home token alone when @dereg). @kbm gets Kbm; @corrupt flips one bit.
 */
static void send_ro_bu(struct host *h, const struct rr *r, const struct in6_addr *coa,
		       uint16_t seq, uint16_t lifetime, uint8_t flags, bool dereg, bool corrupt,
		       uint8_t kbm[MIP6_KBM_LEN])
{
	struct mh_msg m = { .type = MH_BU };
	uint8_t buf[128];
	size_t len;

	m.bu.seq = seq;
	m.bu.flags = flags;
	m.bu.lifetime = lifetime;
	m.opt.has_nonce = true;
	m.opt.home_nonce_idx = r->hidx;
	m.opt.coa_nonce_idx = r->cidx;
	m.opt.has_auth = true;
	mip6_kbm(r->htok, dereg ? NULL : r->ctok, kbm);
	len = mk_mh(&m, buf, sizeof(buf), &a_hoa, &a_us, kbm, coa, &a_us);
	if (corrupt) {
		buf[m.opt.auth_off] ^= 0x01;
		mh_csum_set(buf, len, &a_hoa, &a_us);
	}
	send_mh(h, &a_hoa, coa, &a_us, buf, len);
}

/* The BA's Binding Authorization Data is the RFC's authenticator under @kbm (6.2.7). */
static void expect_ba_auth(const struct mh_seen *s, const uint8_t *kbm, const struct in6_addr *coa)
{
	uint8_t mac[MIP6_AUTH_LEN];

	assert_true(s->m.opt.has_auth);
	assert_int_equal(mip6_bu_auth(kbm, coa, &a_us, s->mh, s->m.opt.auth_off, mac), 0);
	assert_memory_equal(mac, s->m.opt.auth, MIP6_AUTH_LEN);
}

static void test_return_routability(void **state)
{
	struct host *h = *state;
	struct rr r;

	rr(h, &r);
	/* Within 30 s both tests get the same nonce. */
	assert_int_equal(r.hidx, r.cidx);
	assert_int_equal(STAT_GET(h->st, mip6_cn_hot_sent), 1);
	assert_int_equal(STAT_GET(h->st, mip6_cn_cot_sent), 1);
	/* After 30 s a new nonce with the next index. */
	usagi_stack_advance(h->st, h->st->now + 31 * NS_PER_SEC);
	home_test(h, &r);
	assert_int_equal(r.hidx, (uint16_t)(r.cidx + 1));
}

static void test_bu_accepted(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	const struct mip6_dp_binding *b;
	struct mh_seen s;
	struct rr r;
	char out[512];

	rr(h, &r);
	cap_clear(&h->cap);
	send_ro_bu(h, &r, &a_coa, 5, 1000, MH_BU_A, false, false, kbm);
	/* 5.2.6: at most MAX_RR_BINDING_LIFETIME, 420 s = 105 units. */
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, 5, 105, &s);
	expect_ba_auth(&s, kbm, &a_coa);
	b = mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL);
	assert_non_null(b);
	assert_true(in6_equal(&b->coa, &a_coa));
	binding_show(h, out, sizeof(out));
	assert_string_equal(out, "hoa 2001:db8:1::100 coa 2001:db8:2::100 cn 2001:db8::1 "
				 "lifetime 420/420 seq 5 state route-optimisation\n");
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_accepted), 1);
}

/* 9.5.4: an accepted BU without A gets no BA. */
static void test_bu_no_ack(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	struct rr r;

	rr(h, &r);
	cap_clear(&h->cap);
	send_ro_bu(h, &r, &a_coa, 5, 10, 0, false, false, kbm);
	assert_int_equal(count_mh(h, MH_BA), 0);
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
}

static void test_bad_auth(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	struct rr r;

	rr(h, &r);
	cap_clear(&h->cap);
	send_ro_bu(h, &r, &a_coa, 5, 10, MH_BU_A, false, true, kbm);
	assert_int_equal(count_mh(h, MH_BA), 0);
	assert_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_bad_auth), 1);
	/* A care-of token for another address does not verify either. */
	memset(r.ctok, 0x55, sizeof(r.ctok));
	send_ro_bu(h, &r, &a_coa, 6, 10, MH_BU_A, false, false, kbm);
	assert_int_equal(count_mh(h, MH_BA), 0);
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_bad_auth), 2);
}

/* 9.5.1: without Nonce Indices and Binding Authorization Data, silently discarded. */
static void test_no_auth(void **state)
{
	struct host *h = *state;
	struct mh_msg m = { .type = MH_BU };
	uint8_t buf[64];
	size_t len;

	m.bu.seq = 1;
	m.bu.flags = MH_BU_A;
	m.bu.lifetime = 10;
	len = mk_mh(&m, buf, sizeof(buf), &a_hoa, &a_us, NULL, NULL, NULL);
	send_mh(h, &a_hoa, &a_coa, &a_us, buf, len);
	assert_int_equal(count_mh(h, MH_BA), 0);
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_no_auth), 1);
}

/* 9.5.1, 5.2.7: nonces older than MAX_NONCE_LIFETIME -> 136/137/138, no BAD (no Kbm). */
static void test_expired_nonces(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	struct rr old, fresh, mix;
	struct mh_seen s;

	rr(h, &old);
	usagi_stack_advance(h->st, h->st->now + 241 * NS_PER_SEC);
	cap_clear(&h->cap);
	send_ro_bu(h, &old, &a_coa, 5, 10, MH_BU_A, false, false, kbm);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_EXPIRED_NONCES, 5, 0, &s);
	assert_false(s.m.opt.has_auth);
	rr(h, &fresh);
	mix = fresh;
	mix.cidx = old.cidx;
	cap_clear(&h->cap);
	send_ro_bu(h, &mix, &a_coa, 6, 10, MH_BU_A, false, false, kbm);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_EXPIRED_COA_NONCE, 6, 0, NULL);
	mix = fresh;
	mix.hidx = old.hidx;
	cap_clear(&h->cap);
	send_ro_bu(h, &mix, &a_coa, 7, 10, MH_BU_A, false, false, kbm);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_EXPIRED_HOME_NONCE, 7, 0, NULL);
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_nonce_expired), 3);
	assert_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
}

/* 9.5.1: not newer -> 135 with the last accepted number, authenticated. */
static void test_sequence(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	struct mh_seen s;
	struct rr r;

	rr(h, &r);
	send_ro_bu(h, &r, &a_coa, 5, 10, MH_BU_A, false, false, kbm);
	cap_clear(&h->cap);
	send_ro_bu(h, &r, &a_coa, 4, 10, MH_BU_A, false, false, kbm);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_SEQ_OUT_OF_WINDOW, 5, 0, &s);
	expect_ba_auth(&s, kbm, &a_coa);
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_seq), 1);
}

/* 9.5.3/5.2.5: lifetime 0 or care-of = home deletes; Kbm from the home token alone. */
static void test_deregister(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	struct mh_seen s;
	uint16_t cidx;
	struct rr r;

	rr(h, &r);
	send_ro_bu(h, &r, &a_coa, 5, 10, MH_BU_A, false, false, kbm);
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	cap_clear(&h->cap);
	cidx = r.cidx;
	r.cidx = 0xdead;            /* 9.5.1: not inspected when deleting */
	send_ro_bu(h, &r, &a_coa, 6, 0, MH_BU_A, true, false, kbm);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, 6, 0, &s);
	expect_ba_auth(&s, kbm, &a_coa);
	assert_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_cn_bu_dereg), 1);
	/* Back home: from the home address, no HAO, BA straight to it. */
	r.cidx = cidx;
	send_ro_bu(h, &r, &a_coa, 7, 10, 0, false, false, kbm);
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	r.cidx = 0xdead;
	learn_peer(h, &a_hoa);
	cap_clear(&h->cap);
	send_ro_bu(h, &r, &a_hoa, 8, 10, MH_BU_A, true, false, kbm);
	expect_ba(h, &a_hoa, &a_hoa, MH_BA_ACCEPTED, 8, 0, NULL);
	assert_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
}

static void test_expiry(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	char out[256];
	struct rr r;

	rr(h, &r);
	send_ro_bu(h, &r, &a_coa, 5, 2, 0, false, false, kbm);
	usagi_stack_advance(h->st, h->st->now + 7 * NS_PER_SEC);
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	usagi_stack_advance(h->st, h->st->now + 2 * NS_PER_SEC);
	assert_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_cn_expired), 1);
	binding_show(h, out, sizeof(out));
	assert_string_equal(out, "");
}

/* `mip6 correspondent off` removes the bindings and the data plane's entries. */
static void test_disable(void **state)
{
	struct host *h = *state;
	uint8_t kbm[MIP6_KBM_LEN];
	struct rr r;

	rr(h, &r);
	send_ro_bu(h, &r, &a_coa, 5, 10, 0, false, false, kbm);
	assert_int_equal(mip6_cn_enable(h->st, false), 0);
	assert_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	assert_null(h->st->mip6->cn);
}


/* 9.5.1: a node that is home agent and correspondent keeps one kind of binding per home address (139). */
static void test_registration_type(void **state)
{
	struct host *h = *state;
	static const struct in6_addr home_pfx = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 } };
	struct mip6_rx rx = { .src = a_hoa, .dst = a_us, .coa = a_coa2, .had_hao = true,
			      .iif = h->dev->ifindex };
	struct mh_msg m = { .type = MH_BU };
	uint8_t kbm[MIP6_KBM_LEN];
	struct rr r;

	assert_int_equal(addrconf_add(h->dev, &home_pfx, 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX), 0);
	h->dev->in6->conf.dad_transmits = 0;
	assert_int_equal(mip6_ha_enable(h->st, h->dev), 0);
	learn_peer(h, &a_hoa);
	rr(h, &r);
	cap_clear(&h->cap);
	send_ro_bu(h, &r, &a_coa, 5, 10, MH_BU_A, false, false, kbm);
	expect_ba(h, &a_hoa, &a_coa, MH_BA_ACCEPTED, 5, 10, NULL);
	cap_clear(&h->cap);
	m.bu.seq = 1;
	m.bu.flags = MH_BU_A | MH_BU_H;
	m.bu.lifetime = 10;
	mip6_ha_rx(h->st, &m, &rx);
	expect_ba(h, &a_hoa, &a_coa2, MH_BA_REG_TYPE_CHANGE, 1, 0, NULL);
	assert_null(mip6_dp_find(h->st, MIP6_DP_HA, &a_hoa, NULL));
	assert_non_null(mip6_dp_find(h->st, MIP6_DP_CN, &a_hoa, NULL));
	assert_int_equal(STAT_GET(h->st, mip6_ha_bu_reg_type), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_return_routability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bu_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bu_no_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_nonces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registration_type, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
