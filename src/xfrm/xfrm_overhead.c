/*
 * xfrm_output_overhead: the SPD lookup and bundle resolution of
 * xfrm_output (xfrm_output.c), without a packet: per step the sizes the
 * codec would add (struct xfrm_type gap and tail, the tunnel header of
 * xfrm_tunnel_push, the UDP header of xfrm_natt_output).
 */
#include "xfrm/xfrm_overhead.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "xfrm/state_priv.h"
#include "xfrm/xfrm_io_priv.h"

#define OVH_UDP_HLEN 8

/* A step without a usable SA: the largest of its protocol (see the header). */
static size_t worst_case(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ESP:
		return 8 + 16 + 17 + 16;
	case IPPROTO_AH:
		return 12 + 32;
	default:
		return 4;
	}
}

/* The trailer @t adds at most: its tail over every payload length modulo a block (at most 256). */
static size_t max_tail(const struct xfrm_type *t, const struct xfrm_state *x)
{
	size_t m = 0;

	for (size_t plen = 1024; plen < 1024 + 256; plen++) {
		size_t n = t->tail(x, plen);

		if (n > m)
			m = n;
	}
	return m;
}

/* What step @r (its SA @x, or NULL) adds to a packet of family @fam. */
static size_t step_overhead(const struct xfrm_resolved *r, const struct xfrm_state *x, int *fam)
{
	const struct xfrm_type *t = xfrm_type_get(r->proto);
	size_t n = 0;

	if (r->mode == XFRM_MODE_TUNNEL) {
		*fam = r->family;
		n += r->family == AF_INET ? IPV4_HLEN : IPV6_HLEN;
	}
	if (!x || !t || !xfrm_state_has_ctx(x))
		return n + worst_case(r->proto);
	n += t->gap(x, *fam) + max_tail(t, x);
	if (x->c.encap.type)
		n += OVH_UDP_HLEN;
	return n;
}

size_t xfrm_output_overhead_split(struct stack *st, const struct xfrm_flow *fl, size_t *tunnel)
{
	struct xfrm_resolved r[XFRM_TMPL_MAX];
	const struct xfrm_policy *pol;
	int n, fam = fl->family;
	size_t total = 0;

	*tunnel = 0;
	if (!st->xfrm_npol[XFRM_DIR_OUT])
		return 0;
	pol = xfrm_policy_lookup(st, XFRM_DIR_OUT, fl);
	if (!pol || pol->action != XFRM_ACT_IPSEC)
		return 0;
	n = xfrm_policy_resolve(pol, fl, r);
	for (int i = 0; i < n; i++) {
		struct xfrm_state *x = xfrm_state_find(st, &r[i]);
		size_t o;

		/* An optional step without an SA is skipped on output, as here. */
		if (!x && r[i].level == XFRM_LEVEL_USE)
			continue;
		o = step_overhead(&r[i], x, &fam);
		total += o;
		/* Steps are innermost first: from the first tunnel on, all of it wraps. */
		if (*tunnel || r[i].mode == XFRM_MODE_TUNNEL)
			*tunnel += o;
	}
	return total;
}

size_t xfrm_output_overhead(struct stack *st, const struct xfrm_flow *fl)
{
	size_t tunnel;

	return xfrm_output_overhead_split(st, fl, &tunnel);
}
