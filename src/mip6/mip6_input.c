/*
 * The Mobility Header as upper-layer protocol 135 (RFC 6275 6.1, 9.2):
 * what a received message knows about its packet, the errors the codec's
 * verdicts call for, dispatch to the roles, and the senders every role
 * uses (mip6_mh_send, Binding Error, Binding Acknowledgement).
 *
 * Which role gets what:
 *   BU with H        -> home agent; at a node that is not one: BA 131 (10.3.1)
 *   BU without H     -> correspondent
 *   HoTI, CoTI       -> correspondent
 *   BA, BRR, HoT, CoT, BE -> mobile node (ms->mn_rx)
 * A message whose role is not enabled here gets a Binding Error status 2
 * (9.2; 11.3.6: the mobile node then stops using that type with us), except
 * the answers a mobile node expects, which are dropped (never answer an
 * answer). A node with no role at all answers as a node without Mobile IPv6
 * does: Parameter Problem code 1 on the Next Header (8.1, 11.3.5).
 */
#include "core/ratelimit.h"
#include "core/stack.h"
#include "ipv6/icmp6.h"
#include "mip6/mip6_priv.h"
#include "mip6/mip6_rr.h"
#include "mip6/mip6_sig.h"
#include "proto/ip6.h"

/* Largest message we build: BA with BRA and BAD, BU with every option, all padded. */
#define MH_BUILD_MAX 128
#define HAO_OPT_LEN 16

static bool any_role(const struct mip6_state *ms)
{
	return ms && (ms->ha || ms->cn || ms->mn || ms->mn_rx);
}

/*
 * A type 2 routing header between the IPv6 header and the Mobility Header
 * (9.5.1/11.3.3 tell messages that came to a home address through one).
 * Walks only what input already checked; stops at anything it cannot step.
 */
static bool saw_rh2(const struct pkt *p)
{
	const uint8_t *nh = pkt_nh(p);
	size_t end = (size_t)(p->data - nh), off = IPV6_HLEN;
	uint8_t nxt = nh[6];

	while (off + 8 <= end) {
		const uint8_t *h = nh + off;

		if (nxt == NH_ROUTING && h[2] == 2)
			return true;
		if (nxt == NH_HOPOPTS || nxt == NH_DSTOPTS || nxt == NH_ROUTING)
			off += ((size_t)h[1] + 1) * 8;
		else if (nxt == NH_FRAGMENT)
			off += 8;
		else if (nxt == NH_AH)
			off += ((size_t)h[1] + 2) * 4;
		else
			return false;
		nxt = h[0];
	}
	return false;
}

/*
 * The care-of address of a swapped Home Address option: IP6_CB(p)->hao is
 * the option's offset from the IPv6 header (its type octet; an offset that
 * names the address itself is accepted too). False if it does not fit.
 */
static bool hao_coa(const struct pkt *p, struct in6_addr *coa)
{
	const uint8_t *nh = pkt_nh(p);
	size_t hdrs = (size_t)(p->data - nh), off = IP6_CB(p)->hao;

	if (off + 2 + HAO_OPT_LEN <= hdrs && nh[off] == OPT6_HAO && nh[off + 1] == HAO_OPT_LEN)
		off += 2;
	if (off < IPV6_HLEN || off + HAO_OPT_LEN > hdrs)
		return false;
	memcpy(coa, nh + off, sizeof(*coa));
	return true;
}

/* What the roles know of the packet: addresses after HAO/RH2 processing, IPsec, the raw message. */
static void rx_fill(const struct pkt *p, struct mip6_rx *rx)
{
	struct ip6_addrs a = ip6_addrs_of(pkt_nh(p));

	memset(rx, 0, sizeof(*rx));
	rx->src = a.src;
	rx->dst = a.dst;
	rx->coa = a.src;
	rx->had_hao = IP6_CB(p)->hao != 0 && hao_coa(p, &rx->coa);
	rx->had_rh2 = saw_rh2(p);
	rx->secured = (p->flags & PKT_F_SECURED) != 0;
	rx->iif = IP6_CB(p)->iif;
	rx->mh = p->data;
	rx->mh_len = p->len;
}

/* 9.2: a type no enabled role serves is, for this node, not recognised. */
static void unsupported(struct stack *st, const struct mip6_rx *rx)
{
	STAT_INC(st, mip6_in_unsupported);
	mip6_send_be(st, &rx->coa, &rx->dst, MH_BE_UNKNOWN_MH, rx->had_hao ? &rx->src : NULL);
}

static void dispatch(struct stack *st, struct mip6_state *ms, const struct mh_msg *m,
		     const struct mip6_rx *rx)
{
	switch (m->type) {
	case MH_BU:
		if (m->bu.flags & MH_BU_H) {
			if (ms->ha) {
				mip6_ha_rx(st, m, rx);
			} else {
				/* RFC 6275 10.3.1: not configured as a home agent. */
				STAT_INC(st, mip6_in_bu_no_ha);
				mip6_send_ba(st, &rx->dst, &rx->src, &rx->coa, MH_BA_NO_HOME_REG,
					     m->bu.seq, 0, NULL);
			}
		} else if (ms->cn) {
			mip6_cn_rx(st, m, rx);
		} else {
			unsupported(st, rx);
		}
		break;
	case MH_HOTI:
	case MH_COTI:
		if (ms->cn)
			mip6_cn_rx(st, m, rx);
		else
			unsupported(st, rx);
		break;
	default:
		if (ms->mn_rx)
			ms->mn_rx(st, m, rx);
		else
			STAT_INC(st, mip6_in_no_mn);
		break;
	}
}

int mip6_mh_input(struct stack *st, struct pkt *p)
{
	struct mip6_state *ms = st->mip6;
	size_t mh_off = (size_t)(p->data - pkt_nh(p));
	struct mip6_rx rx;
	struct mh_msg m;
	uint32_t ptr = 0;

	STAT_INC(st, mip6_in_msgs);
	if (!any_role(ms)) {
		STAT_INC(st, mip6_in_no_role);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, IP6_CB(p)->nhoff);
		goto out;
	}
	rx_fill(p, &rx);
	switch (mh_parse(st, rx.mh, rx.mh_len, &rx.src, &rx.dst, &m, &ptr)) {
	case MH_OK:
		dispatch(st, ms, &m, &rx);
		break;
	case MH_PARAM_PROB:
		/* 9.2: the pointer counts from the start of the IPv6 header. */
		STAT_INC(st, mip6_in_param_prob);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_HEADER, (uint32_t)mh_off + ptr);
		break;
	case MH_UNKNOWN_TYPE:
		STAT_INC(st, mip6_in_unknown_type);
		mip6_send_be(st, &rx.coa, &rx.dst, MH_BE_UNKNOWN_MH, rx.had_hao ? &rx.src : NULL);
		break;
	default:
		break;          /* MH_DROP, counted by mh_parse */
	}
out:
	pkt_free(p);
	return 0;
}

/* Builds @m, with its authenticator when asked (6.2.7: over the message up to it, checksum 0). */
static int build(const struct mh_msg *m, const struct mip6_auth_in *auth, uint8_t *buf,
		 size_t cap)
{
	size_t auth_off = 0;
	int len = mh_build(m, buf, cap, &auth_off);

	if (len < 0)
		return len;
	if (auth && m->opt.has_auth &&
	    mip6_bu_auth(auth->kbm, &auth->coa, &auth->cn, buf, auth_off, buf + auth_off) < 0)
		return -EIO;
	return len;
}

int mip6_mh_send(struct stack *st, const struct mh_msg *m, const struct in6_addr *src,
		 const struct in6_addr *dst, const struct in6_addr *hao_coa,
		 const struct in6_addr *rh2_coa, const struct mip6_auth_in *auth)
{
	uint8_t buf[MH_BUILD_MAX];
	struct ip6_tx tx;
	struct pkt *p;
	int len = build(m, auth, buf, sizeof(buf)), rc;

	if (len < 0) {
		STAT_INC(st, mip6_out_err);
		return len;
	}
	p = stack_pkt_alloc(st, (size_t)len);
	if (!p) {
		STAT_INC(st, mip6_out_err);
		return -ENOBUFS;
	}
	memcpy(pkt_put(p, (size_t)len), buf, (size_t)len);
	ip6_tx_init(&tx, dst, NH_MH);
	if (src)
		tx.src = *src;
	tx.csum_off = MH_CSUM_OFF;
	tx.hao_coa = hao_coa;
	tx.rh2_coa = rh2_coa;
	rc = ip6_output(st, p, &tx);
	if (rc < 0) {
		STAT_INC(st, mip6_out_err);
		return rc;
	}
	STAT_INC(st, mip6_out_msgs);
	return 0;
}

void mip6_send_be(struct stack *st, const struct in6_addr *to, const struct in6_addr *from,
		  uint8_t status, const struct in6_addr *home)
{
	struct mip6_state *ms = mip6_state_get(st);
	struct mh_msg m = { .type = MH_BE };
	uint32_t cost = st->icmp6.ratelimit_ms, burst = st->icmp6.burst;

	if (!ms)
		return;
	if (in6_is_multicast(to) || in6_is_unspec(to) || (from && in6_is_multicast(from))) {
		STAT_INC(st, mip6_be_bad_dst);
		return;
	}
	/* 9.3.1: limited like ICMPv6 errors (RFC 4443 2.4(f)), with a bucket of its own. */
	if (!ms->be_last)
		ms->be_tokens = ratelimit_full(cost, burst);
	if (!ratelimit_take(&ms->be_tokens, &ms->be_last, cost, burst, st->now)) {
		STAT_INC(st, mip6_be_ratelimited);
		return;
	}
	if (!ms->be_last)
		ms->be_last = 1;   /* stack time 0: the bucket is initialised */
	m.be.status = status;
	if (home)
		m.be.home = *home;
	if (mip6_mh_send(st, &m, from, to, NULL, NULL, NULL) == 0)
		STAT_INC(st, mip6_be_sent);
}

int mip6_send_ba(struct stack *st, const struct in6_addr *src, const struct in6_addr *hoa,
		 const struct in6_addr *to, uint8_t status, uint16_t seq, uint16_t lifetime,
		 const struct mip6_auth_in *auth)
{
	struct mh_msg m = { .type = MH_BA };
	char h[INET6_ADDRSTRLEN];

	m.ba.status = status;
	m.ba.seq = seq;
	m.ba.lifetime = lifetime;
	m.opt.has_auth = auth != NULL;
	mip6_event(st, "BA status %u seq %u lifetime %u to %s", status, seq, lifetime * 4u,
		   in6_ntop(hoa, h));
	/* 9.5.4: to the BU's source; through a RH2 naming the home address when that is a care-of address. */
	return mip6_mh_send(st, &m, src, hoa, NULL, in6_equal(to, hoa) ? NULL : to, auth);
}
