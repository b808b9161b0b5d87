/*
 * Host side of router discovery (RFC 4861 6.3): Router Solicitations,
 * processing of Router Advertisements (parameters, default router list,
 * on-link prefixes, MTU, RFC 8106 RDNSS) and of Redirects (8.3).
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/addrconf.h"
#include "ipv6/pmtu_cache.h"
#include "link/netdev.h"
#include "mip6/mip6_priv.h"
#include "proto/ip6.h"

#define MAX_REACHABLE_TIME_MS 3600000u  /* RFC 4861 6.2.1 bound on AdvReachableTime */

static void send_rs(struct netdev *dev)
{
	const struct in6_addr *src = addrconf_linklocal(dev);
	struct pkt *p = stack_pkt_alloc(dev->st, 16);
	uint8_t *rs;

	if (!p)
		return;
	rs = pkt_put(p, 8);
	memset(rs, 0, 8);
	rs[0] = ND_ROUTER_SOLICIT;
	/* RFC 4861 4.1: no SLLA option when the source is unspecified. */
	if (src && nd6_put_lladdr_opt(p, ND_OPT_SLLA, dev) < 0) {
		pkt_free(p);
		return;
	}
	STAT_INC(dev->st, nd6_tx_rs);
	nd6_send(dev, p, src, &in6_all_routers);
}

static void rs_timer(struct stack *st, struct timer *t)
{
	struct inet6_dev *idev = container_of(t, struct inet6_dev, rs_timer);

	if (!idev->dev->up || idev->rs_left <= 0)
		return;
	send_rs(idev->dev);
	if (--idev->rs_left > 0)
		stack_timer_in(st, t, ND6_RTR_SOLICITATION_INTERVAL_MS * NS_PER_MS);
}

void nd6_rs_start(struct netdev *dev)
{
	struct inet6_dev *idev = dev->in6;
	struct stack *st = dev->st;

	stack_timer_cancel(st, &idev->rs_timer);
	timer_init(&idev->rs_timer, rs_timer);
	idev->rs_left = idev->conf.router_solicitations;
	/* RFC 4861 6.3.7: delay the first RS by up to MAX_RTR_SOLICITATION_DELAY. */
	if (idev->rs_left > 0)
		stack_timer_in(st, &idev->rs_timer,
			       rng_below(&st->rng, ND6_MAX_RTR_SOLICITATION_DELAY_MS) * NS_PER_MS);
}

void nd6_rs_stop(struct netdev *dev)
{
	if (!dev->in6)
		return;
	stack_timer_cancel(dev->st, &dev->in6->rs_timer);
	dev->in6->rs_left = 0;
}

static struct nd6_router *router_find(struct stack *st, struct netdev *dev,
				      const struct in6_addr *addr)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->nd6.routers) {
		struct nd6_router *r = dlist_entry(pos, struct nd6_router, node);

		if (r->dev == dev && in6_equal(&r->addr, addr))
			return r;
	}
	return NULL;
}

static void router_remove(struct stack *st, struct nd6_router *r)
{
	static const struct in6_addr any;

	route6_del(st, &any, 0, &r->addr, r->dev);
	stack_timer_cancel(st, &r->timer);
	dlist_del(&r->node);
	st->nd6.nrouters--;
	free(r);
}

static void router_timer(struct stack *st, struct timer *t)
{
	STAT_INC(st, nd6_router_expired);
	router_remove(st, container_of(t, struct nd6_router, timer));
}

void nd6_router_lost(struct stack *st, struct netdev *dev, const struct in6_addr *addr)
{
	struct nd6_router *r = router_find(st, dev, addr);

	if (r)
		router_remove(st, r);
}

void nd6_routers_flush(struct stack *st, struct netdev *dev)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->nd6.routers) {
		struct nd6_router *r = dlist_entry(pos, struct nd6_router, node);

		if (!dev || r->dev == dev)
			router_remove(st, r);
	}
}

/* RFC 4861 6.3.4: the Router Lifetime refreshes, creates or removes the default router. */
static void router_update(struct stack *st, struct netdev *dev, const struct in6_addr *addr,
			  uint16_t lifetime_s)
{
	struct nd6_router *r = router_find(st, dev, addr);
	struct route6 rt = { .gw = *addr, .dev = dev, .metric = 1024, .proto = RT6_PROTO_RA };

	if (lifetime_s == 0) {
		if (r)
			router_remove(st, r);
		return;
	}
	if (!r) {
		if (st->nd6.nrouters >= ND6_MAX_ROUTERS || !(r = calloc(1, sizeof(*r)))) {
			STAT_INC(st, nd6_too_many_routers);
			return;
		}
		r->dev = dev;
		r->addr = *addr;
		timer_init(&r->timer, router_timer);
		dlist_add_tail(&st->nd6.routers, &r->node);
		st->nd6.nrouters++;
	}
	r->expires = st->now + (uint64_t)lifetime_s * NS_PER_SEC;
	timer_arm(&st->timers, &r->timer, r->expires);
	rt.expires = r->expires;
	route6_del(st, &rt.dst, 0, addr, dev);
	if (route6_add(st, &rt) < 0)
		STAT_INC(st, nd6_route_fail);
}

static void onlink_update(struct stack *st, struct netdev *dev, const struct in6_addr *prefix,
			  unsigned plen, uint32_t valid_s)
{
	struct route6 rt = { .dst = *prefix, .plen = (uint8_t)plen, .dev = dev, .metric = 256,
			     .proto = RT6_PROTO_RA };

	route6_del(st, prefix, plen, NULL, dev);
	if (valid_s == 0)
		return;
	if (valid_s != UINT32_MAX)
		rt.expires = st->now + (uint64_t)valid_s * NS_PER_SEC;
	if (route6_add(st, &rt) < 0)
		STAT_INC(st, nd6_route_fail);
}

static void prefix_opt(struct stack *st, struct netdev *dev, const struct nd_opt_prefix *pi)
{
	uint32_t valid = get_be32(pi->valid), preferred = get_be32(pi->preferred);
	struct in6_addr prefix = pi->prefix;

	/* RFC 4861 6.3.4 and RFC 4862 5.5.3 a)-c). */
	if (pi->plen > 128 || in6_is_linklocal(&prefix) || in6_is_multicast(&prefix) ||
	    preferred > valid) {
		STAT_INC(st, nd6_prefix_bad);
		return;
	}
	in6_prefix_mask(&prefix, pi->plen);
	if (pi->flags & ND_OPT_PI_FLAG_ONLINK)
		onlink_update(st, dev, &prefix, pi->plen, valid);
	if (pi->flags & ND_OPT_PI_FLAG_AUTO)
		addrconf_prefix_rcv(dev, &prefix, pi->plen, valid, preferred);
}

/* RFC 8106 5.1 and 5.3.1: each address refreshes or takes a slot; lifetime 0 removes it. */
static void rdnss_opt(struct stack *st, struct inet6_dev *idev, const uint8_t *opt)
{
	uint32_t lifetime = get_be32(opt + 4);
	unsigned n = (opt[1] - 1u) / 2;
	uint64_t until = lifetime == UINT32_MAX ? LIFETIME_INFINITE
					      : st->now + (uint64_t)lifetime * NS_PER_SEC;

	for (unsigned i = 0; i < n; i++) {
		struct in6_addr a;
		int slot = -1, free_slot = -1;

		memcpy(&a, opt + 8 + 16 * i, 16);
		for (int j = 0; j < (int)ARRAY_SIZE(idev->rdnss); j++) {
			if (idev->rdnss_until[j] > st->now && in6_equal(&idev->rdnss[j], &a))
				slot = j;
			else if (idev->rdnss_until[j] <= st->now && free_slot < 0)
				free_slot = j;
		}
		if (slot < 0 && lifetime == 0)
			continue;
		if (slot < 0 && (slot = free_slot) < 0) {
			STAT_INC(st, nd6_rdnss_full);
			continue;
		}
		idev->rdnss[slot] = a;
		idev->rdnss_until[slot] = lifetime ? until : 0;
	}
}

static void ra_params(struct stack *st, struct inet6_dev *idev, const struct nd_ra *ra)
{
	uint32_t reachable = get_be32(ra->reachable), retrans = get_be32(ra->retrans);

	if (ra->cur_hlim)
		idev->cur_hlim = ra->cur_hlim;
	idev->ra_managed = ra->flags & ND_RA_FLAG_MANAGED;
	idev->ra_other = ra->flags & ND_RA_FLAG_OTHER;
	/* RFC 4861 6.3.4: recompute ReachableTime only when the base changes. */
	if (reachable && reachable <= MAX_REACHABLE_TIME_MS && reachable != idev->base_reachable_ms) {
		idev->base_reachable_ms = reachable;
		idev->reachable_ms = nd6_random_reachable(st, reachable);
	}
	if (retrans)
		idev->retrans_ms = retrans;
}

static bool accept_ra(struct stack *st, struct netdev *dev)
{
	int a = dev->in6->conf.accept_ra;

	return a == 2 || (a == 1 && !ip6_forwarding(st, dev));
}

void nd6_ra_rcv(struct stack *st, const struct nd6_rx *rx)
{
	const struct nd_ra *ra = (const struct nd_ra *)rx->msg;
	struct netdev *dev = rx->dev;
	const struct in6_addr *src = &rx->src;
	uint16_t lifetime = get_be16(ra->router_lft);

	/* RFC 4861 6.1.2: routers speak from link-local addresses. */
	if (!in6_is_linklocal(src)) {
		STAT_INC(st, nd6_ra_bad_src);
		return;
	}
	if (!accept_ra(st, dev)) {
		STAT_INC(st, nd6_ra_ignored);
		return;
	}
	ra_params(st, dev->in6, ra);
	router_update(st, dev, src, lifetime);
	if (rx->opts.slla)
		nd6_neigh_from_slla(st, dev, src, rx->opts.slla, true);
	if (rx->opts.mtu) {
		uint32_t mtu = get_be32(rx->opts.mtu->mtu);

		if (mtu >= IPV6_MIN_MTU && mtu <= dev->mtu) {
			dev->in6->mtu6 = mtu;
			pmtu_cache_link_changed(st);
		} else {
			STAT_INC(st, nd6_ra_bad_mtu);
		}
	}
	for (unsigned i = 0; i < rx->opts.nprefix; i++)
		prefix_opt(st, dev, rx->opts.prefix[i]);
	for (unsigned i = 0; i < rx->opts.nrdnss; i++)
		rdnss_opt(st, dev->in6, rx->opts.rdnss[i]);
	/* RFC 4861 6.3.7: a router has answered; stop soliciting. */
	if (lifetime)
		nd6_rs_stop(dev);
	/* RFC 6275 11.5.1: the mobile node's movement detection. */
	if (st->mip6 && st->mip6->mn_ra)
		st->mip6->mn_ra(st, rx);
}

/* RFC 4861 8.1: only the current first hop may redirect, to a link-local router or on-link. */
static bool redirect_valid(struct stack *st, const struct nd6_rx *rx, const struct in6_addr *target,
			   const struct in6_addr *dst)
{
	const struct route6 *rt;

	if (!in6_is_linklocal(&rx->src) || in6_is_multicast(dst) ||
	    (!in6_is_linklocal(target) && !in6_equal(target, dst))) {
		STAT_INC(st, nd6_redirect_bad);
		return false;
	}
	rt = route6_lookup(st, dst);
	if (!rt || rt->dev != rx->dev || !in6_equal(&rt->gw, &rx->src)) {
		STAT_INC(st, nd6_redirect_not_from_gw);
		return false;
	}
	return true;
}

void nd6_redirect_rcv(struct stack *st, const struct nd6_rx *rx)
{
	const struct nd_redirect *rd = (const struct nd_redirect *)rx->msg;
	struct in6_addr tgt = rd->target, dest = rd->dst;
	const struct in6_addr *target = &tgt, *dst = &dest;
	bool onlink = in6_equal(target, dst);
	struct route6 rt = { .dst = *dst, .plen = 128, .dev = rx->dev, .metric = 1024,
			     .proto = RT6_PROTO_RA };

	if (!rx->dev->in6->conf.accept_redirects || ip6_forwarding(st, rx->dev)) {
		STAT_INC(st, nd6_redirect_ignored);
		return;
	}
	if (!redirect_valid(st, rx, target, dst))
		return;
	if (!onlink)
		rt.gw = *target;
	route6_del(st, dst, 128, NULL, rx->dev);
	if (route6_add(st, &rt) < 0)
		STAT_INC(st, nd6_route_fail);
	/* RFC 4861 8.3: the TLLA updates the target's entry, which is a router unless on-link. */
	if (rx->opts.tlla)
		nd6_neigh_from_slla(st, rx->dev, target, rx->opts.tlla, !onlink);
	STAT_INC(st, nd6_redirect_accepted);
}
