/*
 * The inbound and forward policy check (RFC 4301 5.2 step 4, 4.4.1): the
 * SAs a packet came through (its security path) against the templates of
 * the policy for its inner flow. Rules in xfrm_io.h.
 */
#include "core/stack.h"
#include "link/netdev.h"
#include "xfrm/xfrm_io_priv.h"

/* Does @x satisfy template @t? Tunnel endpoints only where the template names them. */
static bool tmpl_ok(const struct xfrm_tmpl *t, const struct xfrm_state *x)
{
	if (x->c.id.proto != t->proto || x->c.mode != t->mode)
		return false;
	if ((t->reqid && x->c.reqid != t->reqid) || (t->spi && x->c.id.spi != t->spi))
		return false;
	if (t->mode != XFRM_TMPL_TUNNEL)
		return true;
	if (t->family != x->c.family)
		return false;
	return (in6_is_unspec(&t->daddr) || in6_equal(&t->daddr, &x->c.id.daddr)) &&
	       (in6_is_unspec(&t->saddr) || in6_equal(&t->saddr, &x->c.saddr));
}

/* The first tunnel-mode SA at or after @from, or -1. */
static int first_tunnel(const struct pkt *p, unsigned from)
{
	for (unsigned i = from; i < p->sp_len; i++)
		if (p->sp[i]->c.mode == XFRM_MODE_TUNNEL)
			return (int)i;
	return -1;
}

/* RFC 3173 2.2: IPComp is absent whenever the payload did not compress. */
static bool tmpl_optional(const struct xfrm_tmpl *t)
{
	return t->level == XFRM_LEVEL_USE || t->proto == IPPROTO_COMP;
}

/*
 * Matches the templates, outermost first (the reverse of the output order),
 * against the path from its outermost SA. A template takes the first SA
 * it fits, stepping over transport-mode SAs it does not name but never
 * over a tunnel-mode one; an optional template that finds none is skipped.
 * Whatever is left of the path must hold no tunnel-mode SA.
 */
static bool tmpl_match(const struct xfrm_policy *pol, const struct pkt *p)
{
	const struct xfrm_tmpl *order[XFRM_TMPL_MAX];
	unsigned n, k = 0;

	/* One template has one order: no need to ask for it per packet. */
	if (pol->ntmpl == 1) {
		order[0] = &pol->tmpl[0];
		n = 1;
	} else {
		n = xfrm_policy_tmpl_order(pol, order);
	}

	for (unsigned i = n; i-- > 0;) {
		const struct xfrm_tmpl *t = order[i];
		unsigned j = k;
		bool found = false;

		for (; j < p->sp_len; j++) {
			if (tmpl_ok(t, p->sp[j])) {
				found = true;
				break;
			}
			if (p->sp[j]->c.mode == XFRM_MODE_TUNNEL)
				break;
		}
		if (found)
			k = j + 1;
		else if (!tmpl_optional(t))
			return false;
	}
	return first_tunnel(p, k) < 0;
}

static void count_fail(struct stack *st, int dir, uint8_t action)
{
	if (action == XFRM_ACT_BLOCK) {
		if (dir == XFRM_DIR_FWD)
			STAT_INC(st, xfrm_spd_fwd_block);
		else
			STAT_INC(st, xfrm_spd_in_block);
	} else if (dir == XFRM_DIR_FWD) {
		STAT_INC(st, xfrm_fwd_nomatch);
	} else {
		STAT_INC(st, xfrm_spd_in_nomatch);
	}
}

bool xfrm_policy_check(struct stack *st, struct pkt *p, int dir)
{
	const uint8_t *nh = pkt_nh(p);
	size_t len = (size_t)(p->data + p->len - nh);
	struct xfrm_policy *pol = NULL;
	struct xfrm_flow fl;
	bool ok;

	if (xfrm_flow_from_ip(nh, len, p->dev ? p->dev->ifindex : 0, &fl) < 0) {
		STAT_INC(st, xfrm_spd_flow_bad);
		return false;
	}
	/* RFC 6275 9.3.1: a swapped HAO holds the care-of address, the header the home address. */
	if (nh[0] >> 4 == 6 && IP6_CB(p)->hao)
		memcpy(&fl.src, nh + 8, 16);
	if (st->xfrm_npol[dir])
		pol = xfrm_policy_lookup(st, dir, &fl);
	if (!pol) {
		/* A tunnel's inner packet is only accepted where a policy expects the tunnel. */
		if (first_tunnel(p, 0) < 0)
			return true;
		STAT_INC(st, xfrm_in_tunnel_nopol);
		return false;
	}
	xfrm_policy_account(pol, len, st->now);
	if (pol->action == XFRM_ACT_BLOCK)
		ok = false;
	else if (pol->action == XFRM_ACT_ALLOW)
		ok = first_tunnel(p, 0) < 0;    /* allow = no templates */
	else
		ok = tmpl_match(pol, p);
	if (!ok)
		count_fail(st, dir, pol->action);
	return ok;
}
