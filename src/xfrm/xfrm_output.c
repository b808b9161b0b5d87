/*
 * IPsec output (RFC 4301 5.1): SPD lookup, bundle resolution against the
 * SAD, the transforms applied innermost first, then the route of the outer
 * destination and fragmentation. See xfrm_io.h for the contract.
 */
#include "core/stack.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "xfrm/xfrm_io_priv.h"
#include "xfrm/xfrm_natt.h"

/* The SAs one packet goes through, in application order; NULL: an optional step skipped. */
struct xfrm_bundle {
	struct xfrm_state *x[XFRM_TMPL_MAX];
	unsigned n, used;
};

/*
 * Finds an SA for every step of @pol for @fl. A missing `use` SA skips its
 * step; a missing required one asks the key manager (one ACQUIRE per
 * template while it is pending: -EEXIST/-EBUSY from xfrm_acquire are
 * expected) and the packet is dropped, never sent in clear (RFC 4301 5.1,
 * Linux; KAME could queue it). 0 or -errno (counted).
 */
static int bundle_resolve(struct stack *st, const struct xfrm_policy *pol,
			  const struct xfrm_flow *fl, struct xfrm_bundle *b)
{
	struct xfrm_resolved r[XFRM_TMPL_MAX];
	int n = xfrm_policy_resolve(pol, fl, r);

	if (n < 0) {
		STAT_INC(st, xfrm_spd_bundle_bad);
		return -EINVAL;
	}
	b->n = (unsigned)n;
	b->used = 0;
	for (unsigned i = 0; i < b->n; i++) {
		b->x[i] = xfrm_state_find(st, &r[i]);
		if (b->x[i]) {
			b->used++;
			continue;
		}
		if (r[i].level == XFRM_LEVEL_USE)
			continue;
		(void)xfrm_acquire(st, &r[i], pol->index, NULL);
		STAT_INC(st, xfrm_out_no_state);
		return -EAGAIN;
	}
	return 0;
}

/* A transport-style insertion of @x's header after the header part of the packet at p->data. */
static int xfrm_insert(struct stack *st, struct pkt **pp, struct xfrm_state *x)
{
	const struct xfrm_type *t = xfrm_type_get(x->c.id.proto);
	size_t hoff, nhoff, gap, tail, plen, ipl;
	struct pkt *p = *pp;
	uint8_t next;
	int rc;

	if (!t || !xfrm_state_has_ctx(x)) {
		STAT_INC(st, xfrm_out_nocrypto);
		return -EINVAL;
	}
	if (xfrm_hdr_part(p, &hoff, &nhoff) < 0) {
		STAT_INC(st, xfrm_out_bad_hdr);
		return -EINVAL;
	}
	plen = p->len - hoff;
	gap = t->gap(x, p->data[0] >> 4 == 4 ? AF_INET : AF_INET6);
	tail = t->tail(x, plen);
	ipl = p->len + gap + tail - (p->data[0] >> 4 == 6 ? IPV6_HLEN : 0);
	if (ipl > 65535) {
		STAT_INC(st, xfrm_out_too_big);
		return -EMSGSIZE;
	}
	if (xfrm_state_account(st, x, plen) < 0) {
		STAT_INC(st, xfrm_out_expired);
		return -EKEYEXPIRED;
	}
	if ((rc = xfrm_room(st, pp, gap + XFRM_LL_RESERVE + (x->c.encap.type ? UDP_HLEN : 0),
			    tail)) < 0)
		return rc;
	p = *pp;
	/* Open the gap: the header part moves towards the head, the payload stays. */
	next = p->data[nhoff];
	pkt_push(p, gap);
	memmove(p->data, p->data + gap, hoff);
	p->data[nhoff] = t->proto;
	xfrm_fix_lengths(p);
	rc = t->output(st, x, p, hoff, next);
	if (rc == XFRM_DECLINED) {
		memmove(p->data + gap, p->data, hoff);
		pkt_pull(p, gap);
		p->data[nhoff] = next;
		rc = 0;
	}
	if (rc < 0) {
		if (rc != -EOVERFLOW)    /* sequence numbers used up: counted by the SAD */
			STAT_INC(st, xfrm_out_encap_fail);
		return rc;
	}
	xfrm_fix_lengths(p);
	pkt_set_nh(p);
	/* RFC 3948 2.1: ESP of an SA with UDP encapsulation travels in UDP. */
	if (x->c.encap.type && (rc = xfrm_natt_output(st, x, p)) < 0)
		return rc;
	return 0;
}

/* Applies the bundle to the packet at (*pp)->data: a tunnel step wraps first, then inserts. */
static int bundle_apply(struct stack *st, struct pkt **pp, const struct xfrm_bundle *b)
{
	int rc;

	for (unsigned i = 0; i < b->n; i++) {
		struct xfrm_state *x = b->x[i];

		if (!x)
			continue;
		if (x->c.mode == XFRM_MODE_TUNNEL && (rc = xfrm_tunnel_push(st, pp, x)) < 0)
			return rc;
		if ((rc = xfrm_insert(st, pp, x)) < 0)
			return rc;
	}
	return 0;
}

/* Where the outer packet goes: the caller's route if the destination is the one it routed. */
static int outer_route(struct stack *st, const struct pkt *p, const struct xfrm_flow *fl,
		       const struct xfrm_route *rt, struct xfrm_route *out)
{
	bool v4 = p->data[0] >> 4 == 4;
	struct in6_addr dst;

	if (v4)
		ip4_to_mapped(&dst, ip4_get(p->data + 16));
	else
		memcpy(&dst, p->data + 24, 16);
	if (v4 == (fl->family == AF_INET) && in6_equal(&dst, &fl->dst)) {
		*out = *rt;
		return 0;
	}
	if ((v4 ? ip4_route_xfrm(st, ip4_from_mapped(&dst), out) : ip6_route_xfrm(st, &dst, out)) < 0) {
		STAT_INC(st, xfrm_out_no_route);
		return -ENETUNREACH;
	}
	return 0;
}

/* Sends the finished outer packet. Consumes @p. */
static int xfrm_send(struct stack *st, struct pkt *p, const struct xfrm_flow *fl,
		     const struct xfrm_route *rt)
{
	struct xfrm_route r;

	if (outer_route(st, p, fl, rt, &r) < 0) {
		pkt_free(p);
		return -ENETUNREACH;
	}
	STAT_INC(st, xfrm_out_ok);
	pkt_set_nh(p);
	if (r.local) {
		if (stack_loopback(st, p, r.dev) < 0) {
			STAT_INC(st, xfrm_out_loop_full);
			return -ENOBUFS;
		}
		return 0;
	}
	p->dev = r.dev;
	if (p->data[0] >> 4 == 4)
		return ip4_finish_output(st, p, r.dev, ip4_from_mapped(&r.nexthop));
	return ip6_finish_output(st, p, r.dev, &r.nexthop);
}

int xfrm_output(struct stack *st, struct pkt *p, const struct xfrm_route *rt)
{
	struct xfrm_bundle b;
	struct xfrm_policy *pol;
	struct xfrm_flow fl;
	int rc;

	if (xfrm_flow_from_ip(p->data, p->len, rt->dev ? rt->dev->ifindex : 0, &fl) < 0) {
		STAT_INC(st, xfrm_spd_flow_bad);
		rc = -EINVAL;
		goto drop;
	}
	pol = xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl);
	if (!pol)
		return XFRM_OUT_PASS;
	xfrm_policy_account(pol, p->len, st->now);
	if (pol->action == XFRM_ACT_ALLOW)
		return XFRM_OUT_PASS;
	if (pol->action == XFRM_ACT_BLOCK) {
		STAT_INC(st, xfrm_spd_out_block);
		rc = -EPERM;
		goto drop;
	}
	if ((rc = bundle_resolve(st, pol, &fl, &b)) < 0)
		goto drop;
	if (b.used == 0) {
		STAT_INC(st, xfrm_out_clear);
		return XFRM_OUT_PASS;
	}
	/* What the packet went through on input does not travel on. */
	if (p->sp_len)
		pkt_sp_release(p);
	if ((rc = bundle_apply(st, &p, &b)) < 0)
		goto drop;
	return xfrm_send(st, p, &fl, rt);
drop:
	pkt_free(p);
	return rc;
}
