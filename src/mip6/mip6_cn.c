/*
 * Correspondent node (RFC 6275 5.2, 9.4, 9.5): return routability and the
 * binding cache of route-optimisation bindings.
 *
 * Kcn is 20 random octets drawn once per correspondent (5.2.3). Nonces
 * (5.2.2) live in a ring of MIP6_CN_NONCES slots: a new one is made when a
 * HoTI/CoTI finds the current one MIP6_CN_NONCE_EVERY old, each carries its
 * 16-bit index, and a nonce is accepted for MIP6_MAX_NONCE_LIFETIME after
 * it was made; a slot is reused only after 8 x 30 s = 240 s, so nothing
 * still valid is overwritten. The tokens themselves are never stored:
 * a BU's tokens are recomputed from its Nonce Indices (5.2.5).
 *
 * A binding lives min(asked, MAX_RR_BINDING_LIFETIME = 420 s) (5.2.6) and
 * installs MIP6_DP_CN in the data plane (RH2 out, HAO in). No Binding
 * Refresh Request is sent before expiry (9.5.5 makes it optional): the
 * mobile node refreshes on its own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/stack.h"
#include "crypto/crypto.h"
#include "mip6/mip6_priv.h"
#include "mip6/mip6_rr.h"
#include "mip6/mip6_sig.h"

#define MIP6_CN_NONCES 8
#define MIP6_CN_NONCE_EVERY (30 * MIP6_SEC)
#define MIP6_CN_MAX_BINDINGS 1024

struct cn_nonce {
	uint8_t nonce[MIP6_NONCE_LEN];
	uint16_t idx;
	bool used;
	uint64_t born;              /* ns */
};

struct cn_bce {
	struct dlist node;          /* mip6_cn.bces */
	struct in6_addr hoa, coa;
	struct in6_addr cn_addr;    /* our address the BU went to */
	uint16_t seq;
	uint32_t lifetime_s;
	uint64_t expires;
	struct timer timer;
};

struct mip6_cn {
	uint8_t kcn[MIP6_KCN_LEN];
	struct cn_nonce nonces[MIP6_CN_NONCES];
	uint16_t cur;               /* index of the newest nonce */
	bool have;
	unsigned count;
	struct dlist bces;          /* struct cn_bce */
};

static struct mip6_cn *cn_of(const struct stack *st)
{
	return st->mip6 ? st->mip6->cn : NULL;
}

static struct cn_bce *bce_find(struct mip6_cn *cn, const struct in6_addr *hoa)
{
	struct dlist *pos;

	for (pos = cn->bces.next; pos != &cn->bces; pos = pos->next) {
		struct cn_bce *b = dlist_entry(pos, struct cn_bce, node);

		if (in6_equal(&b->hoa, hoa))
			return b;
	}
	return NULL;
}

bool mip6_cn_has_binding(const struct stack *st, const struct in6_addr *hoa)
{
	struct mip6_cn *cn = cn_of(st);

	return cn && bce_find(cn, hoa);
}

static void bce_free(struct stack *st, struct mip6_cn *cn, struct cn_bce *b)
{
	stack_timer_cancel(st, &b->timer);
	mip6_dp_del(st, MIP6_DP_CN, &b->hoa, NULL);
	dlist_del(&b->node);
	cn->count--;
	free(b);
}

/* The nonce to hand out now (5.2.2), a fresh one every MIP6_CN_NONCE_EVERY. */
static const struct cn_nonce *nonce_current(struct stack *st, struct mip6_cn *cn)
{
	struct cn_nonce *n = &cn->nonces[cn->cur % MIP6_CN_NONCES];

	if (cn->have && st->now - n->born < MIP6_CN_NONCE_EVERY)
		return n;
	if (cn->have)
		cn->cur++;
	cn->have = true;
	n = &cn->nonces[cn->cur % MIP6_CN_NONCES];
	rng_bytes(&st->rng, n->nonce, sizeof(n->nonce));
	n->idx = cn->cur;
	n->used = true;
	n->born = st->now;
	return n;
}

/* The nonce of index @idx if it is still valid (MAX_NONCE_LIFETIME, 5.2.7), else NULL. */
static const struct cn_nonce *nonce_find(const struct stack *st, const struct mip6_cn *cn,
					 uint16_t idx)
{
	const struct cn_nonce *n = &cn->nonces[idx % MIP6_CN_NONCES];

	if (!n->used || n->idx != idx || st->now - n->born >= MIP6_MAX_NONCE_LIFETIME)
		return NULL;
	return n;
}

/* HoTI -> HoT to the home address; CoTI -> CoT to the care-of address (9.4.1-9.4.4). */
static void cn_test(struct stack *st, struct mip6_cn *cn, const struct mh_msg *m,
		    const struct mip6_rx *rx)
{
	bool home = m->type == MH_HOTI;
	const struct cn_nonce *n;
	struct mh_msg t = { .type = home ? MH_HOT : MH_COT };

	if (home)
		STAT_INC(st, mip6_cn_hoti);
	else
		STAT_INC(st, mip6_cn_coti);
	if (rx->had_hao) {
		STAT_INC(st, mip6_cn_test_hao);   /* 6.1.3/6.1.4: sent without a HAO */
		return;
	}
	n = nonce_current(st, cn);
	/* hot and cot share their layout (mh.h); so do hoti and coti. */
	t.hot.nonce_idx = n->idx;
	memcpy(t.hot.cookie, m->hoti.cookie, MH_COOKIE_LEN);
	if (mip6_keygen_token(cn->kcn, &rx->src, n->nonce, home ? MIP6_TOKEN_HOME : MIP6_TOKEN_COA,
			      t.hot.token) < 0) {
		STAT_INC(st, mip6_cn_crypto);
		return;
	}
	if (mip6_mh_send(st, &t, &rx->dst, &rx->src, NULL, NULL, NULL) == 0) {
		if (home)
			STAT_INC(st, mip6_cn_hot_sent);
		else
			STAT_INC(st, mip6_cn_cot_sent);
	}
}

/* One route-optimisation BU as the checks see it. */
struct cn_bu {
	struct in6_addr hoa, coa;   /* coa: Alternate Care-of Address if given, else the source */
	struct in6_addr to;         /* the BU's packet source: where BAs go (9.5.4) */
	struct in6_addr cn_addr;    /* our address it was sent to */
	uint16_t seq;
	bool dereg;                 /* lifetime 0 or care-of = home: Kbm from the home token alone */
	uint8_t kbm[MIP6_KBM_LEN];
};

/*
 * 9.5.1, 5.2.5, 6.2.7: recent nonces, then the tokens they give, Kbm and
 * the authenticator over the message as received. 0 verified, 136/137/138
 * for expired nonces, -1 to drop silently (counted).
 */
static int cn_verify(struct stack *st, struct mip6_cn *cn, const struct mh_msg *m,
		     const struct mip6_rx *rx, struct cn_bu *u)
{
	const struct cn_nonce *hn, *cnn = NULL;
	uint8_t htok[MIP6_TOKEN_LEN], ctok[MIP6_TOKEN_LEN], mac[MIP6_AUTH_LEN];

	if (!m->opt.has_nonce || !m->opt.has_auth) {
		STAT_INC(st, mip6_cn_bu_no_auth);
		return -1;
	}
	hn = nonce_find(st, cn, m->opt.home_nonce_idx);
	if (!u->dereg)
		cnn = nonce_find(st, cn, m->opt.coa_nonce_idx);
	if (!hn || (!u->dereg && !cnn)) {
		STAT_INC(st, mip6_cn_bu_nonce_expired);
		if (!hn && !u->dereg && !cnn)
			return MH_BA_EXPIRED_NONCES;
		return hn ? MH_BA_EXPIRED_COA_NONCE : MH_BA_EXPIRED_HOME_NONCE;
	}
	if (mip6_keygen_token(cn->kcn, &u->hoa, hn->nonce, MIP6_TOKEN_HOME, htok) < 0 ||
	    (cnn && mip6_keygen_token(cn->kcn, &u->coa, cnn->nonce, MIP6_TOKEN_COA, ctok) < 0)) {
		STAT_INC(st, mip6_cn_crypto);
		return -1;
	}
	mip6_kbm(htok, cnn ? ctok : NULL, u->kbm);
	if (m->opt.auth_off > rx->mh_len ||
	    mip6_bu_auth(u->kbm, &u->coa, &u->cn_addr, rx->mh, m->opt.auth_off, mac) < 0) {
		STAT_INC(st, mip6_cn_crypto);
		return -1;
	}
	if (!crypto_memeq(mac, m->opt.auth, MIP6_AUTH_LEN)) {
		STAT_INC(st, mip6_cn_bu_bad_auth);
		return -1;
	}
	return 0;
}

static void cn_ba(struct stack *st, const struct cn_bu *u, uint8_t status, uint16_t seq,
		  uint16_t lifetime, bool with_auth)
{
	struct mip6_auth_in auth = { .kbm = u->kbm, .coa = u->coa, .cn = u->cn_addr };

	mip6_send_ba(st, &u->cn_addr, &u->hoa, &u->to, status, seq, lifetime,
		     with_auth ? &auth : NULL);
}

static void bce_timer(struct stack *st, struct timer *t)
{
	struct cn_bce *b = container_of(t, struct cn_bce, timer);
	struct mip6_cn *cn = cn_of(st);
	char h[INET6_ADDRSTRLEN];

	if (!cn)
		return;
	STAT_INC(st, mip6_cn_expired);
	mip6_event(st, "CN: binding for %s expired", in6_ntop(&b->hoa, h));
	bce_free(st, cn, b);
}

/* 9.5.2: create or refresh; the data plane starts using the care-of address. 0 or -errno. */
static int cn_bind(struct stack *st, struct mip6_cn *cn, struct cn_bce *b, const struct cn_bu *u,
		   uint16_t units)
{
	struct mip6_dp_binding dp = { .kind = MIP6_DP_CN, .hoa = u->hoa, .coa = u->coa };
	bool fresh = !b;

	if (fresh) {
		if (cn->count >= MIP6_CN_MAX_BINDINGS || !(b = calloc(1, sizeof(*b))))
			return -ENOMEM;
		b->hoa = u->hoa;
		timer_init(&b->timer, bce_timer);
		dlist_add_tail(&cn->bces, &b->node);
		cn->count++;
	}
	if (mip6_dp_add(st, &dp) < 0) {
		if (fresh)
			bce_free(st, cn, b);
		return -ENOMEM;
	}
	b->coa = u->coa;
	b->cn_addr = u->cn_addr;
	b->seq = u->seq;
	b->lifetime_s = (uint32_t)units * 4;
	b->expires = st->now + (uint64_t)b->lifetime_s * NS_PER_SEC;
	timer_arm(&st->timers, &b->timer, b->expires);
	return 0;
}

/* 9.5.1-9.5.4. BAs: always for a refusal, for an acceptance only when A is set. */
static void cn_bu(struct stack *st, struct mip6_cn *cn, const struct mh_msg *m,
		  const struct mip6_rx *rx)
{
	struct cn_bu u = { .hoa = rx->src, .to = rx->coa, .cn_addr = rx->dst, .seq = m->bu.seq };
	struct cn_bce *b;
	uint16_t units;
	int rc;
	char h[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN];

	STAT_INC(st, mip6_cn_bu);
	u.coa = m->opt.has_altcoa ? m->opt.altcoa : rx->coa;
	u.dereg = m->bu.lifetime == 0 || in6_equal(&u.coa, &u.hoa);
	if (!mip6_addr_routable(&u.hoa) || (!u.dereg && !mip6_addr_routable(&u.coa)) ||
	    in6_is_multicast(&rx->dst)) {
		STAT_INC(st, mip6_cn_bu_bad_addr);
		return;
	}
	rc = cn_verify(st, cn, m, rx, &u);
	if (rc) {
		if (rc > 0)
			cn_ba(st, &u, (uint8_t)rc, u.seq, 0, false);
		return;
	}
	b = bce_find(cn, &u.hoa);
	if (b && !mip6_seq_newer(u.seq, b->seq)) {
		STAT_INC(st, mip6_cn_bu_seq);
		cn_ba(st, &u, MH_BA_SEQ_OUT_OF_WINDOW, b->seq, 0, true);
		return;
	}
	if (mip6_ha_has_binding(st, &u.hoa)) {
		STAT_INC(st, mip6_cn_bu_reg_type);
		cn_ba(st, &u, MH_BA_REG_TYPE_CHANGE, u.seq, 0, true);
		return;
	}
	if (u.dereg) {
		STAT_INC(st, mip6_cn_bu_dereg);
		mip6_event(st, "CN: binding for %s deleted", in6_ntop(&u.hoa, h));
		if (b)
			bce_free(st, cn, b);
		if (m->bu.flags & MH_BU_A)
			cn_ba(st, &u, MH_BA_ACCEPTED, u.seq, 0, true);
		return;
	}
	units = (uint16_t)MIN((uint64_t)m->bu.lifetime, MIP6_MAX_RR_BINDING_LIFETIME / MIP6_SEC / 4);
	if (cn_bind(st, cn, b, &u, units) < 0) {
		STAT_INC(st, mip6_cn_bu_full);
		cn_ba(st, &u, MH_BA_RESOURCES, u.seq, 0, true);
		return;
	}
	STAT_INC(st, mip6_cn_bu_accepted);
	mip6_event(st, "CN: binding hoa %s coa %s seq %u lifetime %u", in6_ntop(&u.hoa, h),
		   in6_ntop(&u.coa, c), u.seq, units * 4u);
	if (m->bu.flags & MH_BU_A)
		cn_ba(st, &u, MH_BA_ACCEPTED, u.seq, units, true);
}

void mip6_cn_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx)
{
	struct mip6_cn *cn = cn_of(st);

	if (!cn)
		return;
	if (m->type == MH_HOTI || m->type == MH_COTI)
		cn_test(st, cn, m, rx);
	else if (m->type == MH_BU && !(m->bu.flags & MH_BU_H))
		cn_bu(st, cn, m, rx);
}

int mip6_cn_enable(struct stack *st, bool on)
{
	struct mip6_state *ms;
	struct mip6_cn *cn;

	if (!on) {
		mip6_cn_fini(st);
		return 0;
	}
	ms = mip6_state_get(st);
	if (!ms)
		return -ENOMEM;
	if (ms->cn)
		return 0;
	cn = calloc(1, sizeof(*cn));
	if (!cn) {
		STAT_INC(st, mip6_nomem);
		return -ENOMEM;
	}
	/* 5.2.3: Kcn, 20 random octets, per correspondent (this stack). */
	rng_bytes(&st->rng, cn->kcn, sizeof(cn->kcn));
	cn->cur = (uint16_t)rng_below(&st->rng, 0x10000);
	dlist_init(&cn->bces);
	ms->cn = cn;
	ms->part_fini[MIP6_PART_CN] = mip6_cn_fini;
	mip6_event(st, "CN: correspondent on");
	return 0;
}

void mip6_cn_fini(struct stack *st)
{
	struct mip6_cn *cn = cn_of(st);
	struct dlist *pos, *tmp;

	if (!cn)
		return;
	dlist_for_each_safe(pos, tmp, &cn->bces)
		bce_free(st, cn, dlist_entry(pos, struct cn_bce, node));
	memset(cn->kcn, 0, sizeof(cn->kcn));
	free(cn);
	st->mip6->cn = NULL;
	st->mip6->part_fini[MIP6_PART_CN] = NULL;
}

void mip6_cn_show(struct stack *st, FILE *out)
{
	struct mip6_cn *cn = cn_of(st);
	struct dlist *pos;

	if (!cn)
		return;
	for (pos = cn->bces.next; pos != &cn->bces; pos = pos->next) {
		const struct cn_bce *b = dlist_entry(pos, struct cn_bce, node);
		char h[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN];
		uint64_t left = b->expires > st->now ? (b->expires - st->now) / NS_PER_SEC : 0;

		fprintf(out, "hoa %s coa %s cn %s lifetime %llu/%u seq %u state route-optimisation\n",
			in6_ntop(&b->hoa, h), in6_ntop(&b->coa, c), in6_ntop(&b->cn_addr, a),
			(unsigned long long)left, b->lifetime_s, b->seq);
	}
}
