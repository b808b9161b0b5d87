/*
 * The mobile node's binding update list (RFC 6275 11.1): home registration
 * with the home agent (11.7.1, H and A flags), route optimisation with
 * correspondents after return routability (11.6, 11.7.2), Binding
 * Acknowledgements (11.7.3), retransmission with exponential back-off
 * (11.8), refresh before expiry and on Binding Refresh Requests (11.7.4),
 * Binding Errors (11.3.6), deregistration when home (11.5.5).
 *
 * Every BU carries a fresh sequence number, retransmissions included
 * (11.8: "greater than that used for the previous transmission").
 */
#include <stdlib.h>

#include "core/stack.h"
#include "mip6/mip6_mn_priv.h"

static void bul_timer(struct stack *st, struct timer *t);

void mn_bul_init(struct mip6_mn *mn, struct mn_bul *b, bool home_reg)
{
	memset(b, 0, sizeof(*b));
	b->mn = mn;
	b->home_reg = home_reg;
	b->state = home_reg ? BUL_IDLE : BUL_FREE;
	if (home_reg)
		b->peer = mn->conf.ha;
	/* Unpredictable first sequence number: a stale one from a reboot is not reused. */
	b->seq = (uint16_t)rng_below(&mn->st->rng, 65536);
	timer_init(&b->timer, bul_timer);
}

void mn_bul_stop(struct mn_bul *b)
{
	stack_timer_cancel(b->mn->st, &b->timer);
}

const char *mn_bul_state_name(const struct mn_bul *b)
{
	switch (b->state) {
	case BUL_RR:
		return "return-routability";
	case BUL_WAIT_BA:
		return b->dereg ? "deregistering" : "waiting-ba";
	case BUL_BOUND:
		return b->home_reg ? "home-registration" : "route-optimisation";
	case BUL_FAILED:
		return "refused";
	default:
		return "idle";
	}
}

static const char *who(const struct mn_bul *b)
{
	return b->home_reg ? "home agent" : "correspondent";
}

/* ---- Binding Updates ---- */

static int send_bu(struct mn_bul *b)
{
	struct mip6_mn *mn = b->mn;
	struct stack *st = mn->st;
	struct mh_msg m = { .type = MH_BU };
	struct mip6_auth_in auth = { .kbm = b->kbm, .coa = b->coa, .cn = b->peer };
	/* At home the care-of address is the home address: no HAO (11.5.5). */
	const struct in6_addr *hao = in6_equal(&b->coa, &mn->conf.hoa) ? NULL : &b->coa;
	char pb[INET6_ADDRSTRLEN];
	int rc;

	m.bu.seq = b->seq;
	m.bu.flags = MH_BU_A | (b->home_reg ? MH_BU_H : 0);
	m.bu.lifetime = b->dereg ? 0 : (uint16_t)MIN(b->lifetime_s / 4, 0xffffu);
	if (!b->home_reg) {
		/* 11.7.2: Nonce Indices and the authenticator over Kbm. */
		m.opt.has_nonce = true;
		m.opt.home_nonce_idx = b->home_idx;
		m.opt.coa_nonce_idx = b->coa_idx;
		m.opt.has_auth = true;
	}
	b->sent_at = st->now;
	rc = mip6_mh_send(st, &m, &mn->conf.hoa, &b->peer, hao, NULL, b->home_reg ? NULL : &auth);
	if (rc < 0)
		STAT_INC(st, mn_send_fail);
	else
		STAT_INC(st, mn_bu_sent);
	mip6_event(st, "BU to %s %s seq %u lifetime %u s%s%s", who(b), in6_ntop(&b->peer, pb),
		   b->seq, b->dereg ? 0 : m.bu.lifetime * 4u, b->dereg ? " (deregistration)" : "",
		   b->tries > 1 ? " (retransmission)" : "");
	return rc;
}

static void bu_transmit(struct mn_bul *b)
{
	b->tries++;
	send_bu(b);
	stack_timer_in(b->mn->st, &b->timer, b->timeout);
}

/* 11.8: the first home registration waits longer (the home agent runs DAD). */
static void bu_start(struct mn_bul *b, uint64_t first_timeout)
{
	mn_bul_stop(b);
	b->seq++;
	b->tries = 0;
	b->timeout = first_timeout;
	b->state = BUL_WAIT_BA;
	bu_transmit(b);
}

void mn_home_register(struct mip6_mn *mn)
{
	struct mn_bul *b = &mn->ha;

	b->coa = mn->coa;
	b->dereg = false;
	b->lifetime_s = mn->conf.lifetime_s;
	bu_start(b, b->registered ? MIP6_INITIAL_BINDACK_TIMEOUT
				  : MIP6_INITIAL_BINDACK_TIMEOUT_FIRSTREG);
}

void mn_home_deregister(struct mip6_mn *mn)
{
	struct mn_bul *b = &mn->ha;

	b->coa = mn->conf.hoa;
	b->dereg = true;
	b->lifetime_s = 0;
	bu_start(b, MIP6_INITIAL_BINDACK_TIMEOUT);
}

/* ---- return routability (11.6) ---- */

static void rr_transmit(struct mn_bul *b)
{
	struct mip6_mn *mn = b->mn;
	struct stack *st = mn->st;
	struct mh_msg m;
	char pb[INET6_ADDRSTRLEN];

	b->tries++;
	if (!b->have_hot) {
		/* From the home address: the reverse tunnel carries it through the home agent. */
		m = (struct mh_msg){ .type = MH_HOTI };
		memcpy(m.hoti.cookie, b->home_cookie, MH_COOKIE_LEN);
		if (mip6_mh_send(st, &m, &mn->conf.hoa, &b->peer, NULL, NULL, NULL) < 0)
			STAT_INC(st, mn_send_fail);
	}
	if (!b->dereg && !b->have_cot) {
		m = (struct mh_msg){ .type = MH_COTI };
		memcpy(m.coti.cookie, b->coa_cookie, MH_COOKIE_LEN);
		if (mip6_mh_send(st, &m, &b->coa, &b->peer, NULL, NULL, NULL) < 0)
			STAT_INC(st, mn_send_fail);
	}
	mip6_event(st, "RR with %s:%s%s%s", in6_ntop(&b->peer, pb), b->have_hot ? "" : " HoTI",
		   b->dereg || b->have_cot ? "" : " CoTI", b->tries > 1 ? " (retransmission)" : "");
	stack_timer_in(st, &b->timer, b->timeout);
}

static void rr_maybe_done(struct mn_bul *b);

static void rr_start(struct mn_bul *b, bool keep_home_token)
{
	struct mip6_mn *mn = b->mn;
	struct stack *st = mn->st;

	mn_bul_stop(b);
	/* 11.6.1: the HoTI must go through the home agent, not route-optimised. */
	mip6_dp_del(st, MIP6_DP_MN_RO, &mn->conf.hoa, &b->peer);
	if (!keep_home_token || st->now - b->hot_at >= MIP6_MAX_TOKEN_LIFETIME)
		b->have_hot = false;
	b->have_cot = false;
	rng_bytes(&st->rng, b->home_cookie, MH_COOKIE_LEN);
	rng_bytes(&st->rng, b->coa_cookie, MH_COOKIE_LEN);
	b->state = BUL_RR;
	b->tries = 0;
	b->timeout = MIP6_INITIAL_BINDACK_TIMEOUT;
	/* A home keygen token still valid is all a deregistration needs (5.2.5). */
	if (b->have_hot && b->dereg) {
		rr_maybe_done(b);
		return;
	}
	rr_transmit(b);
}

void mn_ro_update(struct mn_bul *b, bool keep_home_token)
{
	struct mip6_mn *mn = b->mn;

	b->coa = mn->coa;
	b->dereg = false;
	rr_start(b, keep_home_token);
}

void mn_ro_suspend(struct mn_bul *b)
{
	mn_bul_stop(b);
	mip6_dp_del(b->mn->st, MIP6_DP_MN_RO, &b->mn->conf.hoa, &b->peer);
	b->state = BUL_IDLE;
}

/* 11.5.5 / 5.2.5: from home only the home keygen token is needed; Kbm from it alone. */
void mn_ro_deregister(struct mn_bul *b)
{
	struct mip6_mn *mn = b->mn;

	mn_ro_suspend(b);
	if (!b->registered)
		return;
	b->coa = mn->conf.hoa;
	b->dereg = true;
	rr_start(b, true);
}

/* Both tokens in hand (or the home one, deregistering): the BU (11.7.2). */
static void rr_maybe_done(struct mn_bul *b)
{
	struct mip6_mn *mn = b->mn;
	char pb[INET6_ADDRSTRLEN];

	if (!b->have_hot || (!b->dereg && !b->have_cot))
		return;
	mip6_kbm(b->home_tok, b->dereg ? NULL : b->coa_tok, b->kbm);
	mip6_event(mn->st, "RR with %s done", in6_ntop(&b->peer, pb));
	b->lifetime_s = MIN(mn->conf.lifetime_s, (uint32_t)(MIP6_MAX_RR_BINDING_LIFETIME / MIP6_SEC));
	bu_start(b, MIP6_INITIAL_BINDACK_TIMEOUT);
}

static void bul_timer(struct stack *st, struct timer *t)
{
	struct mn_bul *b = container_of(t, struct mn_bul, timer);
	char pb[INET6_ADDRSTRLEN];

	if (b->registered && !b->dereg && st->now >= b->bound_until) {
		b->registered = false;
		STAT_INC(st, mn_binding_expired);
		mip6_event(st, "binding at %s %s expired", who(b), in6_ntop(&b->peer, pb));
	}
	switch (b->state) {
	case BUL_WAIT_BA:
	case BUL_RR:
		/* 11.8: exponential back-off up to MAX_BINDACK_TIMEOUT, then at that rate. */
		b->timeout = MIN(b->timeout * 2, MIP6_MAX_BINDACK_TIMEOUT);
		STAT_INC(st, mn_retransmit);
		if (b->state == BUL_RR) {
			rr_transmit(b);
			return;
		}
		b->seq++;
		bu_transmit(b);
		return;
	case BUL_BOUND:
		/* Refresh before expiry (11.7.1); correspondents get fresh tokens (5.2.6). */
		if (b->home_reg)
			mn_home_register(b->mn);
		else
			mn_ro_update(b, false);
		return;
	default:
		return;
	}
}

/* ---- input ---- */

static struct mn_bul *bul_of(struct mip6_mn *mn, const struct in6_addr *peer)
{
	if (in6_equal(peer, &mn->conf.ha))
		return &mn->ha;
	for (unsigned i = 0; i < MN_MAX_CN; i++)
		if (mn->cn[i].state != BUL_FREE && in6_equal(&mn->cn[i].peer, peer))
			return &mn->cn[i];
	return NULL;
}

/* 6.1.8 / 6.2.7: a correspondent's BA carries an authenticator over Kbm. */
static bool ba_auth_ok(const struct mn_bul *b, const struct mh_msg *m, const struct mip6_rx *rx)
{
	uint8_t want[MIP6_AUTH_LEN];

	if (!m->opt.has_auth || !rx->mh || (size_t)m->opt.auth_off + MIP6_AUTH_LEN > rx->mh_len)
		return false;
	if (mip6_bu_auth(b->kbm, &b->coa, &b->peer, rx->mh, m->opt.auth_off, want) < 0)
		return false;
	return memcmp(want, m->opt.auth, MIP6_AUTH_LEN) == 0;
}

static void ba_refused(struct mn_bul *b, const struct mh_msg *m)
{
	struct stack *st = b->mn->st;
	char pb[INET6_ADDRSTRLEN];
	uint8_t s = m->ba.status;

	STAT_INC(st, mn_ba_refused);
	mip6_event(st, "BA from %s %s seq %u status %u: refused", who(b), in6_ntop(&b->peer, pb),
		   m->ba.seq, s);
	/* 11.7.3: expired nonces: run return routability again for fresh tokens. */
	if (!b->home_reg && s >= MH_BA_EXPIRED_HOME_NONCE && s <= MH_BA_EXPIRED_NONCES &&
	    b->tries < 4 && !b->dereg) {
		mn_ro_update(b, s == MH_BA_EXPIRED_COA_NONCE);
		return;
	}
	b->registered = false;
	b->state = BUL_FAILED;
}

static void ba_bound(struct mn_bul *b, const struct mh_msg *m)
{
	struct mip6_mn *mn = b->mn;
	struct stack *st = mn->st;
	uint64_t refresh_ns;
	char pb[INET6_ADDRSTRLEN];

	b->registered = true;
	b->granted_s = m->ba.lifetime * 4u;
	b->bound_until = b->sent_at + (uint64_t)b->granted_s * NS_PER_SEC;
	refresh_ns = (uint64_t)b->granted_s * NS_PER_SEC / 10 * 8;
	/* 6.2.4: the home agent may ask for refreshes sooner. */
	if (m->opt.has_refresh && m->opt.refresh && m->opt.refresh * 4u < b->granted_s)
		refresh_ns = (uint64_t)m->opt.refresh * 4u * NS_PER_SEC;
	b->state = BUL_BOUND;
	timer_arm(&st->timers, &b->timer, b->sent_at + refresh_ns);
	if (b->home_reg) {
		mip6_event(st, "BA from home agent seq %u status %u lifetime %u s: home registration "
			   "complete (%llu ms after movement detection)", m->ba.seq, m->ba.status,
			   b->granted_s, (unsigned long long)((st->now - mn->moved_at) / NS_PER_MS));
		for (unsigned i = 0; i < MN_MAX_CN; i++)
			if (mn->cn[i].state == BUL_IDLE && mn->away)
				mn_ro_update(&mn->cn[i], true);
		return;
	}
	struct mip6_dp_binding d = { .kind = MIP6_DP_MN_RO, .hoa = mn->conf.hoa, .coa = b->coa,
				     .peer = b->peer };

	if (mip6_dp_add(st, &d) < 0)
		STAT_INC(st, mn_dp_fail);
	mip6_event(st, "BA from correspondent %s seq %u lifetime %u s: route optimisation active",
		   in6_ntop(&b->peer, pb), m->ba.seq, b->granted_s);
}

static void ba_accepted(struct mn_bul *b, const struct mh_msg *m)
{
	struct stack *st = b->mn->st;
	char pb[INET6_ADDRSTRLEN];

	if (b->dereg) {
		b->registered = false;
		b->dereg = false;
		b->granted_s = 0;
		b->state = BUL_IDLE;
		mip6_event(st, "BA from %s %s seq %u status %u: deregistered", who(b),
			   in6_ntop(&b->peer, pb), m->ba.seq, m->ba.status);
		if (b->home_reg)
			mn_home_deregistered(b->mn);
		return;
	}
	/* 11.7.3: lifetime 0 for a registration means no binding at all. */
	if (m->ba.lifetime == 0) {
		STAT_INC(st, mn_ba_zero_lifetime);
		b->registered = false;
		b->state = BUL_FAILED;
		return;
	}
	ba_bound(b, m);
}

static void ba_rcv(struct mip6_mn *mn, const struct mh_msg *m, const struct mip6_rx *rx)
{
	struct stack *st = mn->st;
	struct mn_bul *b = bul_of(mn, &rx->src);

	if (!b || b->state != BUL_WAIT_BA) {
		STAT_INC(st, mn_ba_unexpected);
		return;
	}
	/* 11.7.3: take the peer's last accepted number and go on from it at once. */
	if (m->ba.status == MH_BA_SEQ_OUT_OF_WINDOW) {
		STAT_INC(st, mn_ba_resync);
		mip6_event(st, "BA from %s seq %u status 135: resynchronising", who(b), m->ba.seq);
		b->seq = m->ba.seq + 1;
		bu_transmit(b);
		return;
	}
	if (m->ba.seq != b->seq) {
		STAT_INC(st, mn_ba_seq_mismatch);
		return;
	}
	if (!b->home_reg && m->ba.status < 128 && !ba_auth_ok(b, m, rx)) {
		STAT_INC(st, mn_ba_bad_auth);
		return;
	}
	mn_bul_stop(b);
	if (m->ba.status >= 128)
		ba_refused(b, m);
	else
		ba_accepted(b, m);
}

/* HoT (to the home address) and CoT (to the care-of address): matched by cookie. */
static void test_rcv(struct mip6_mn *mn, const struct mh_msg *m, const struct mip6_rx *rx)
{
	struct stack *st = mn->st;
	struct mn_bul *b = bul_of(mn, &rx->src);
	bool home = m->type == MH_HOT;

	if (!b || b->home_reg || b->state != BUL_RR) {
		STAT_INC(st, mn_test_unmatched);
		return;
	}
	if (home && !b->have_hot && !memcmp(m->hot.cookie, b->home_cookie, MH_COOKIE_LEN)) {
		memcpy(b->home_tok, m->hot.token, MIP6_TOKEN_LEN);
		b->home_idx = m->hot.nonce_idx;
		b->have_hot = true;
		b->hot_at = st->now;
	} else if (!home && !b->have_cot && !memcmp(m->cot.cookie, b->coa_cookie, MH_COOKIE_LEN) &&
		   in6_equal(&rx->dst, &b->coa)) {
		memcpy(b->coa_tok, m->cot.token, MIP6_TOKEN_LEN);
		b->coa_idx = m->cot.nonce_idx;
		b->have_cot = true;
	} else {
		STAT_INC(st, mn_test_unmatched);
		return;
	}
	rr_maybe_done(b);
}

/* 11.7.4: a BRR for a binding we hold is answered with a refresh. */
static void brr_rcv(struct mip6_mn *mn, const struct mip6_rx *rx)
{
	struct mn_bul *b = bul_of(mn, &rx->src);

	if (!b || !b->registered || b->state != BUL_BOUND || !mn->away) {
		STAT_INC(mn->st, mn_brr_ignored);
		return;
	}
	mip6_event(mn->st, "BRR from %s: refreshing", who(b));
	if (b->home_reg)
		mn_home_register(mn);
	else
		mn_ro_update(b, false);
}

/* 11.3.6: status 1, the peer has no binding for our HAO; status 2, it speaks no MIPv6. */
static void be_rcv(struct mip6_mn *mn, const struct mh_msg *m, const struct mip6_rx *rx)
{
	struct stack *st = mn->st;
	struct mn_bul *b = bul_of(mn, &rx->src);

	STAT_INC(st, mn_be_rcvd);
	if (!b || b->home_reg || !in6_equal(&m->be.home, &mn->conf.hoa))
		return;
	if (m->be.status == MH_BE_UNKNOWN_MH) {
		mn_ro_suspend(b);
		b->registered = false;
		b->state = BUL_FAILED;
		return;
	}
	if (m->be.status == MH_BE_UNKNOWN_HAO && mn->away && b->state == BUL_BOUND)
		mn_ro_update(b, true);
}

void mn_bul_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx)
{
	struct mip6_mn *mn = mn_get(st);

	switch (m->type) {
	case MH_BA:
		ba_rcv(mn, m, rx);
		return;
	case MH_HOT:
	case MH_COT:
		test_rcv(mn, m, rx);
		return;
	case MH_BRR:
		brr_rcv(mn, rx);
		return;
	case MH_BE:
		be_rcv(mn, m, rx);
		return;
	default:
		STAT_INC(st, mn_rx_unexpected);
		return;
	}
}
