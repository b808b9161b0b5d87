/*
 * IPsec output (RFC 4301 5.1): SPD lookup, bundle resolution against the
 * SAD, the transforms applied innermost first, then the route of the outer
 * destination and fragmentation. See xfrm_io.h for the contract.
 *
 * Bundle cache. Resolving a policy's templates and finding an SA for each
 * step (xfrm_state_find: a keyed hash and a template compare per step) is
 * the same work for every packet of a flow, so, as Linux keeps resolved
 * bundles on its dst entries, the result is kept per (policy, flow
 * addresses) in a small direct-mapped table and reused only while a fresh
 * resolution would provably give the same SAs: the lookup returned the
 * same policy object, the SPD changed nothing since (struct
 * xfrm_spd.changes counts every add, update, delete and flush, so
 * spdupdate's change of templates in place too), the flow has the same
 * family and addresses (transport steps take them), and the SAD announced
 * no change since (struct xfrm_sad.changes counts every add, update,
 * expiry, delete, flush and acquire). A cached policy pointer is compared,
 * never followed; the SA pointers are read only while the SAD is
 * unchanged, so none of them can have been freed. A resolution that had
 * to ask for an SA, or during which anything changed, is not kept.
 *
 * Each entry also keeps what the tunnel MTU check (RFC 2473 7.1,
 * xfrm_tunnel_mtu_check) learnt of its bundle: the length up to which a
 * packet fits any path the outer destination may take, valid while the
 * PMTU generation (pmtu_cache_gen: PMTU entries stored, link MTUs changed,
 * links added) is unchanged, so a tunnel packet that fits costs two
 * compares instead of a route and PMTU lookup. It starts empty with the
 * entry, so it never outlives the bundle it describes.
 */
#include <stdlib.h>

#include "core/stack.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "xfrm/state_priv.h"
#include "xfrm/tnl_pmtu.h"
#include "xfrm/xfrm_io_priv.h"
#include "xfrm/xfrm_natt.h"

#define BCACHE_BITS 6             /* 64 entries */

/* A bundle per (policy, flow addresses): what the flows of one address pair share. */
struct bcache_ent {
	const struct xfrm_policy *pol;      /* NULL: empty; compared only */
	uint64_t spd_changes, sad_changes;  /* when resolved */
	struct in6_addr src, dst;           /* the flow's */
	uint8_t family;
	struct xfrm_bundle b;
	struct xfrm_tmtu_cache tmtu;        /* the tunnel MTU check's bound (tnl_pmtu.h) */
};

struct xfrm_out_cache {
	struct bcache_ent e[1u << BCACHE_BITS];
};

int xfrm_output_init(struct stack *st)
{
	st->xfrm_ocache = NULL;
	return 0;
}

void xfrm_output_fini(struct stack *st)
{
	free(st->xfrm_ocache);
	st->xfrm_ocache = NULL;
}

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

/* The entry for (@pol, @fl's addresses): a multiplicative hash of the pointer and address tails. */
static struct bcache_ent *bcache_slot(struct xfrm_out_cache *c, const struct xfrm_policy *pol,
				      const struct xfrm_flow *fl)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;   /* 2^64 / golden ratio */
	uint64_t d, s;

	memcpy(&d, fl->dst.s6_addr + 8, 8);
	memcpy(&s, fl->src.s6_addr + 8, 8);
	return &c->e[((((uint64_t)(uintptr_t)pol ^ d) * k ^ s) * k) >> (64 - BCACHE_BITS)];
}

/*
 * True when @e holds what resolving @pol for @fl would give now: the same
 * policy object, unchanged (the SPD counts every change, spdupdate's in
 * place too), the same addresses (transport steps take them), and the
 * same SAD. The SA pointers are read only then, so none can have been freed.
 */
static bool bcache_valid(const struct stack *st, const struct bcache_ent *e,
			 const struct xfrm_policy *pol, const struct xfrm_flow *fl)
{
	return e->pol == pol && e->spd_changes == xfrm_spd_changes(st) &&
	       e->sad_changes == st->sad->changes && e->family == fl->family &&
	       in6_equal(&e->dst, &fl->dst) && in6_equal(&e->src, &fl->src);
}

/*
 * The bundle of @pol for @fl into @b: from the cache when it is still
 * what bundle_resolve would find, else resolved (and kept unless it had
 * to ask for an SA, or anything changed meanwhile). 0 or -errno as
 * bundle_resolve. Without memory for the cache, every packet resolves.
 * *@tc: the entry's tunnel MTU cache, NULL when the bundle is not kept;
 * valid until the next bundle_get.
 */
static int bundle_get(struct stack *st, const struct xfrm_policy *pol, const struct xfrm_flow *fl,
		      struct xfrm_bundle *b, struct xfrm_tmtu_cache **tc)
{
	struct xfrm_out_cache *c = st->xfrm_ocache;
	uint64_t spd = xfrm_spd_changes(st), sad = st->sad->changes;
	struct bcache_ent *e;
	int rc;

	*tc = NULL;
	if (!c && !(c = st->xfrm_ocache = calloc(1, sizeof(*c))))
		return bundle_resolve(st, pol, fl, b);
	e = bcache_slot(c, pol, fl);
	if (bcache_valid(st, e, pol, fl)) {
		*b = e->b;
		*tc = &e->tmtu;
		return 0;
	}
	e->pol = NULL;
	rc = bundle_resolve(st, pol, fl, b);
	if (rc < 0 || spd != xfrm_spd_changes(st) || sad != st->sad->changes)
		return rc;
	*e = (struct bcache_ent){ .pol = pol, .spd_changes = spd, .sad_changes = sad,
				  .src = fl->src, .dst = fl->dst, .family = fl->family, .b = *b };
	*tc = &e->tmtu;
	return 0;
}

/*
 * Opens a @gap-byte hole after the header part (@hoff bytes) of the packet
 * at p->data, named @proto by the byte at @nhoff: the header part moves
 * towards the head (a fixed-size move for a bare IPv6 or IPv4 header, which
 * the compiler inlines), the payload stays. Returns what the byte named.
 */
static uint8_t open_gap(struct pkt *p, size_t gap, size_t hoff, size_t nhoff, uint8_t proto)
{
	uint8_t next = p->data[nhoff];

	pkt_push(p, gap);
	if (hoff == IPV6_HLEN)
		memmove(p->data, p->data + gap, IPV6_HLEN);
	else if (hoff == IPV4_HLEN)
		memmove(p->data, p->data + gap, IPV4_HLEN);
	else
		memmove(p->data, p->data + gap, hoff);
	p->data[nhoff] = proto;
	return next;
}

/* A transport-style insertion of @x's header after the header part of the packet at p->data. */
static int xfrm_insert(struct stack *st, struct pkt **pp, struct xfrm_state *x)
{
	const struct xfrm_type *t = xfrm_type_get(x->c.id.proto);
	size_t hoff, nhoff, gap, tail, plen, want;
	struct pkt *p = *pp;
	bool v4;
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
	v4 = p->data[0] >> 4 == 4;
	plen = p->len - hoff;
	gap = t->gap(x, v4 ? AF_INET : AF_INET6);
	tail = t->tail(x, plen);
	want = p->len + gap + tail;     /* the packet once the codec filled gap and tail */
	if (want - (v4 ? 0 : IPV6_HLEN) > 65535) {
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
	next = open_gap(p, gap, hoff, nhoff, t->proto);
	/* The final lengths at once: AH's ICV covers them (RFC 4302 3.3.3); ESP adds exactly its tail. */
	xfrm_set_lengths(p->data, want);
	rc = t->output(st, x, p, hoff, gap, next);
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
	if (p->len != want)         /* IPComp compressed, or declined */
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
	struct xfrm_tmtu_cache *tc;
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
	if ((rc = bundle_get(st, pol, &fl, &b, &tc)) < 0)
		goto drop;
	if (b.used == 0) {
		STAT_INC(st, xfrm_out_clear);
		return XFRM_OUT_PASS;
	}
	/* What the packet went through on input does not travel on. */
	if (p->sp_len)
		pkt_sp_release(p);
	/* RFC 2473 7.1 / RFC 4301 8.2: a tunnel entry answers what will not fit (tnl_pmtu.h). */
	if (xfrm_tunnel_mtu_check(st, p, &b, tc) < 0) {
		pkt_free(p);      /* as a router drops it: the sender learns from the error */
		return 0;
	}
	if ((rc = bundle_apply(st, &p, &b)) < 0)
		goto drop;
	return xfrm_send(st, p, &fl, rt);
drop:
	pkt_free(p);
	return rc;
}
