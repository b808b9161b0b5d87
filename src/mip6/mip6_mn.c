/*
 * Mobile node (RFC 6275 11): configuration, movement detection from Router
 * Advertisements and from NUD of the default router (11.5.1), the care-of
 * address from SLAAC on the new link (11.5.2), the home address kept as a
 * home address of this host while away, returning home (11.5.5) and the
 * binding update list listing. The binding update list itself (BU/BA,
 * retransmission, refresh, return routability) is mip6_mn_bul.c.
 *
 * Movement is decided on RAs of the moving interface: an RA carrying the
 * home prefix means home; an RA whose /64 prefixes do not cover the current
 * care-of address, from a router that is not the current one, means a new
 * link. Then the old link is forgotten (its default routers, on-link
 * routes and autoconfigured addresses), the home address becomes a /128
 * IFA_F_HOMEADDRESS, and once the SLAAC address of the new prefix is usable
 * (after DAD; set dad_transmits 0 for an optimistic-like handover) it is the
 * care-of address: MN_HA data-plane binding and home registration.
 */
#include <stdlib.h>

#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/route6.h"
#include "link/netdev.h"
#include "mip6/mip6_mn_priv.h"
#include "proto/ip6.h"

struct mip6_mn *mn_get(struct stack *st)
{
	return st->mip6 ? st->mip6->mn : NULL;
}

/* The moving interface, NULL if it was destroyed meanwhile. */
static struct netdev *mn_dev(struct mip6_mn *mn)
{
	struct netdev *dev = netdev_by_index(mn->st, mn->ifindex);

	return dev == mn->dev ? dev : NULL;
}

/* ---- the old link: routers, on-link routes, addresses ---- */

struct addr_sweep {
	const struct mip6_mn *mn;
	struct in6_addr del[ADDRCONF_MAX_AUTOCONF];
	unsigned n;
};

static void sweep_one(void *ctx, const struct inet6_ifaddr *ifa)
{
	struct addr_sweep *s = ctx;
	const struct mip6_mn *mn = s->mn;

	if (!(ifa->flags & IFA_F_AUTOCONF) || in6_equal(&ifa->addr, &mn->conf.hoa) ||
	    s->n == ARRAY_SIZE(s->del))
		return;
	for (unsigned i = 0; i < mn->npfx; i++)
		if (in6_prefix_match(&ifa->addr, &mn->link_pfx[i], 64)) {
			s->del[s->n++] = ifa->addr;
			return;
		}
}

struct neigh_sweep {
	const struct mip6_mn *mn;
	const struct netdev *dev;
	const struct in6_addr *keep;
	struct in6_addr del[64];
	unsigned n;
};

/* Neighbours of the old link: link-local ones (but the new router) and the old prefixes'. */
static void neigh_one(void *ctx, const struct nd6_neigh_info *ni)
{
	struct neigh_sweep *s = ctx;
	bool old = in6_is_linklocal(&ni->addr) && !in6_equal(&ni->addr, s->keep);

	if (ni->dev != s->dev || ni->state == NUD_PERMANENT || s->n == ARRAY_SIZE(s->del))
		return;
	for (unsigned i = 0; i < s->mn->npfx && !old; i++)
		old = in6_prefix_match(&ni->addr, &s->mn->link_pfx[i], 64);
	if (old)
		s->del[s->n++] = ni->addr;
}

/*
 * RFC 6275 11.5.1: after a movement the previous link's routers and
 * prefixes are no longer on-link; waiting for their lifetimes would keep
 * routing through a router that is gone, and NUD would keep probing
 * neighbours that are not there.
 */
static void forget_link(struct mip6_mn *mn, struct netdev *dev, const struct in6_addr *keep)
{
	struct stack *st = mn->st;
	struct addr_sweep s = { .mn = mn };
	struct neigh_sweep ns = { .mn = mn, .dev = dev, .keep = keep };
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->nd6.routers) {
		struct nd6_router *r = dlist_entry(pos, struct nd6_router, node);

		if (r->dev == dev && !in6_equal(&r->addr, keep))
			nd6_router_lost(st, dev, &r->addr);
	}
	addrconf_foreach(dev, sweep_one, &s);
	for (unsigned i = 0; i < s.n; i++)
		addrconf_del(dev, &s.del[i], 64);
	nd6_neigh_foreach(st, neigh_one, &ns);
	for (unsigned i = 0; i < ns.n; i++)
		nd6_neigh_del(st, dev, &ns.del[i]);
	for (unsigned i = 0; i < mn->npfx; i++)
		route6_del(st, &mn->link_pfx[i], 64, NULL, dev);
	mn->npfx = 0;
}

/* ---- the home address ---- */

/* Away: a /128 home address, no prefix route, no DAD, no ND answers (RFC 6275 11). */
static void hoa_away(struct mip6_mn *mn, struct netdev *dev)
{
	struct stack *st = mn->st;
	struct inet6_ifaddr *ifa = addrconf_lookup_dev(dev, &mn->conf.hoa);
	struct in6_addr pfx = mn->conf.hoa;

	if (ifa && (ifa->flags & IFA_F_HOMEADDRESS))
		return;
	if (ifa)
		addrconf_del(dev, &mn->conf.hoa, ifa->plen);
	if (addrconf_add(dev, &mn->conf.hoa, 128, IFA_F_HOMEADDRESS | IFA_F_NODAD | IFA_F_PERMANENT,
			 UINT32_MAX, UINT32_MAX) < 0)
		STAT_INC(st, mn_hoa_fail);
	in6_prefix_mask(&pfx, mn->conf.home_plen);
	route6_del(st, &pfx, mn->conf.home_plen, NULL, dev);
}

/*
 * Home: an ordinary address with its /home_plen prefix again. No DAD: the
 * home agent defends it until the deregistration is acknowledged (11.5.5).
 */
static void hoa_home(struct mip6_mn *mn, struct netdev *dev)
{
	struct inet6_ifaddr *ifa = addrconf_lookup_dev(dev, &mn->conf.hoa);

	if (ifa && !(ifa->flags & IFA_F_HOMEADDRESS))
		return;
	if (ifa)
		addrconf_del(dev, &mn->conf.hoa, ifa->plen);
	if (addrconf_add(dev, &mn->conf.hoa, mn->conf.home_plen, IFA_F_NODAD | IFA_F_PERMANENT,
			 UINT32_MAX, UINT32_MAX) < 0)
		STAT_INC(mn->st, mn_hoa_fail);
}

/* ---- care-of address ---- */

struct coa_find {
	const struct mip6_mn *mn;
	struct in6_addr addr;
	bool found, tentative;
};

static void coa_one(void *ctx, const struct inet6_ifaddr *ifa)
{
	struct coa_find *f = ctx;

	if (f->found || (ifa->flags & (IFA_F_DADFAILED | IFA_F_HOMEADDRESS)) ||
	    in6_equal(&ifa->addr, &f->mn->conf.hoa) ||
	    !in6_prefix_match(&ifa->addr, &f->mn->want_pfx, 64))
		return;
	/* 11.5.2 / RFC 4429: an optimistic address is usable while its DAD runs. */
	if (!addrconf_ifa_usable(ifa)) {
		f->tentative = true;
		return;
	}
	f->addr = ifa->addr;
	f->found = true;
}

static void coa_ready(struct mip6_mn *mn, const struct in6_addr *coa)
{
	struct stack *st = mn->st;
	struct mip6_dp_binding b = { .kind = MIP6_DP_MN_HA, .hoa = mn->conf.hoa, .coa = *coa,
				     .peer = mn->conf.ha };
	char buf[INET6_ADDRSTRLEN];

	mn->waiting_coa = false;
	mn->coa = *coa;
	mip6_event(st, "care-of address %s (%llu ms after movement detection)", in6_ntop(coa, buf),
		   (unsigned long long)((st->now - mn->moved_at) / NS_PER_MS));
	/* 11.3.1: from now on the home address's traffic goes through the reverse tunnel. */
	if (mip6_dp_add(st, &b) < 0)
		STAT_INC(st, mn_dp_fail);
	mn_home_register(mn);
}

/* RFC 6275 11.5.2: the new address is usable once DAD (if any) is done, or at once if optimistic. */
static void coa_check(struct mip6_mn *mn)
{
	struct netdev *dev = mn_dev(mn);
	struct coa_find f = { .mn = mn };

	if (!dev || !mn->waiting_coa)
		return;
	addrconf_foreach(dev, coa_one, &f);
	if (f.found) {
		coa_ready(mn, &f.addr);
		return;
	}
	stack_timer_in(mn->st, &mn->coa_timer, MN_COA_POLL_NS);
}

static void coa_timer(struct stack *st, struct timer *t)
{
	(void)st;
	coa_check(container_of(t, struct mip6_mn, coa_timer));
}

/* ---- movement ---- */

static void remember_link(struct mip6_mn *mn, const struct in6_addr *router,
			  const struct in6_addr *pfx, unsigned n)
{
	if (!mn->have_router || !in6_equal(&mn->router, router))
		mn->router_seen = false;
	mn->router = *router;
	mn->have_router = true;
	mn->npfx = MIN(n, (unsigned)MN_MAX_LINK_PFX);
	memcpy(mn->link_pfx, pfx, mn->npfx * sizeof(*pfx));
}

/* The old care-of address is gone: RO bindings naming it are void (11.7.2). */
static void ro_bindings_drop(struct mip6_mn *mn)
{
	for (unsigned i = 0; i < MN_MAX_CN; i++)
		if (mn->cn[i].state != BUL_FREE)
			mn_ro_suspend(&mn->cn[i]);
}

static void moved(struct mip6_mn *mn, struct netdev *dev, const struct in6_addr *router,
		  const struct in6_addr *pfx, unsigned n)
{
	struct stack *st = mn->st;
	char rb[INET6_ADDRSTRLEN], pb[INET6_ADDRSTRLEN];

	STAT_INC(st, mn_movement);
	mn->moved_at = st->now;
	mip6_event(st, "movement detected: router %s prefix %s/64%s", in6_ntop(router, rb),
		   in6_ntop(&pfx[0], pb), mn->away ? "" : " (leaving home)");
	forget_link(mn, dev, router);
	hoa_away(mn, dev);
	ro_bindings_drop(mn);
	mn->away = true;
	mn->located = true;
	remember_link(mn, router, pfx, n);
	mn->want_pfx = pfx[0];
	mn->waiting_coa = true;
	coa_check(mn);
}

static void returned_home(struct mip6_mn *mn, struct netdev *dev, const struct in6_addr *router,
			  const struct in6_addr *pfx, unsigned n)
{
	struct stack *st = mn->st;
	char rb[INET6_ADDRSTRLEN];

	STAT_INC(st, mn_movement);
	mn->moved_at = st->now;
	mip6_event(st, "movement detected: home link (router %s)", in6_ntop(router, rb));
	forget_link(mn, dev, router);
	stack_timer_cancel(st, &mn->coa_timer);
	mn->waiting_coa = false;
	mn->away = false;
	mn->located = true;
	mn->coa = mn->conf.hoa;
	remember_link(mn, router, pfx, n);
	hoa_home(mn, dev);
	ro_bindings_drop(mn);
	if (mip6_dp_find(st, MIP6_DP_MN_HA, &mn->conf.hoa, NULL)) {
		/* Nothing is tunnelled any more (coa == hoa), the deregistration BU included. */
		struct mip6_dp_binding b = { .kind = MIP6_DP_MN_HA, .hoa = mn->conf.hoa,
					     .coa = mn->conf.hoa, .peer = mn->conf.ha };

		if (mip6_dp_add(st, &b) < 0)
			STAT_INC(st, mn_dp_fail);
	}
	if (!mn->ha.registered && mn->ha.state != BUL_WAIT_BA) {
		mn_home_deregistered(mn);
		return;
	}
	mn_home_deregister(mn);
	/*
	 * 11.5.5: the home agent still defends the home address, so an NS
	 * from it would be answered through the tunnel; one from the
	 * unspecified address is answered to all-nodes, which resolves the
	 * entry the BU waits on.
	 */
	if (nd6_neigh_state(st, dev, &mn->conf.ha) != NUD_REACHABLE)
		nd6_send_ns(dev, &mn->conf.ha, NULL, NULL);
}

/* 11.5.5: the home agent no longer intercepts; neighbours learn our link-layer address. */
void mn_home_deregistered(struct mip6_mn *mn)
{
	struct stack *st = mn->st;
	struct netdev *dev = mn_dev(mn);
	char buf[INET6_ADDRSTRLEN];

	mip6_dp_del(st, MIP6_DP_MN_HA, &mn->conf.hoa, NULL);
	if (dev && !mn->away)
		nd6_send_unsolicited_na(dev, &mn->conf.hoa);
	mip6_event(st, "at home: %s deregistered, unsolicited NA sent",
		   in6_ntop(&mn->conf.hoa, buf));
	/*
	 * Correspondents next: until now the home agent intercepted what was
	 * sent to the home address, their BAs included.
	 */
	for (unsigned i = 0; i < MN_MAX_CN && !mn->away; i++)
		if (mn->cn[i].state != BUL_FREE)
			mn_ro_deregister(&mn->cn[i]);
}

/* The /64 prefixes of @rx (the only length SLAAC forms addresses for). */
static unsigned ra_prefixes(const struct nd6_rx *rx, struct in6_addr *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < rx->opts.nprefix && n < MN_MAX_LINK_PFX; i++) {
		const struct nd_opt_prefix *pi = rx->opts.prefix[i];
		struct in6_addr p = pi->prefix;

		if (pi->plen != 64 || in6_is_linklocal(&p) || in6_is_multicast(&p))
			continue;
		in6_prefix_mask(&p, 64);
		out[n++] = p;
	}
	return n;
}

static bool covers(const struct in6_addr *pfx, unsigned n, const struct in6_addr *a)
{
	for (unsigned i = 0; i < n; i++)
		if (in6_prefix_match(a, &pfx[i], 64))
			return true;
	return false;
}

/* nd6_ra_rcv's hook (ms->mn_ra): RFC 6275 11.5.1 movement detection. */
static void mn_ra(struct stack *st, const struct nd6_rx *rx)
{
	struct mip6_mn *mn = mn_get(st);
	struct netdev *dev = mn ? mn_dev(mn) : NULL;
	struct in6_addr pfx[MN_MAX_LINK_PFX];
	char buf[INET6_ADDRSTRLEN];
	unsigned n;
	bool home = false;

	if (!dev || rx->dev != dev)
		return;
	n = ra_prefixes(rx, pfx);
	/* An RA without prefixes says nothing about where we are. */
	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		home |= in6_prefix_match(&pfx[i], &mn->conf.hoa, MIN(mn->conf.home_plen, 64u));
	if (home) {
		if (mn->away) {
			returned_home(mn, dev, &rx->src, pfx, n);
			return;
		}
		if (!mn->located)
			mip6_event(st, "at home (router %s)", in6_ntop(&rx->src, buf));
		mn->located = true;
		remember_link(mn, &rx->src, pfx, n);
		return;
	}
	if (mn->located && mn->away) {
		const struct in6_addr *cur = mn->waiting_coa ? &mn->want_pfx : &mn->coa;

		/* Another router of the same link, or our own router again. */
		if (covers(pfx, n, cur) || (mn->have_router && in6_equal(&rx->src, &mn->router)))
			return;
	}
	moved(mn, dev, &rx->src, pfx, n);
}

/*
 * 11.5.1: NUD failure of the default router hints at a movement before
 * any RA of the new link arrives; solicit one at once.
 */
static void nud_timer(struct stack *st, struct timer *t)
{
	struct mip6_mn *mn = container_of(t, struct mip6_mn, nud_timer);
	struct netdev *dev = mn_dev(mn);

	if (!dev)
		return;
	if (!mn->have_router)
		goto again;
	/* The cache may drop a failed entry rather than keep it FAILED. */
	enum nud_state ns = nd6_neigh_state(st, dev, &mn->router);

	if (ns != NUD_NONE && ns != NUD_FAILED)
		mn->router_seen = true;
	if (ns == NUD_FAILED || (ns == NUD_NONE && mn->router_seen)) {
		char buf[INET6_ADDRSTRLEN];

		STAT_INC(st, mn_router_unreachable);
		mip6_event(st, "default router %s unreachable (NUD): soliciting",
			   in6_ntop(&mn->router, buf));
		nd6_router_lost(st, dev, &mn->router);
		mn->have_router = false;
		nd6_rs_start(dev);
	}
again:
	stack_timer_in(st, t, MN_NUD_POLL_NS);
}

/* ---- configuration ---- */

static void mn_free(struct stack *st)
{
	struct mip6_mn *mn = mn_get(st);
	struct mip6_state *ms = st->mip6;

	if (!mn)
		return;
	stack_timer_cancel(st, &mn->coa_timer);
	stack_timer_cancel(st, &mn->nud_timer);
	mn_bul_stop(&mn->ha);
	for (unsigned i = 0; i < MN_MAX_CN; i++)
		if (mn->cn[i].state != BUL_FREE) {
			mn_bul_stop(&mn->cn[i]);
			mip6_dp_del(st, MIP6_DP_MN_RO, &mn->conf.hoa, &mn->cn[i].peer);
		}
	mip6_dp_del(st, MIP6_DP_MN_HA, &mn->conf.hoa, NULL);
	free(mn);
	ms->mn = NULL;
	ms->mn_rx = NULL;
	ms->mn_ra = NULL;
	ms->mn_show = NULL;
	ms->mn_tunnelled = NULL;
	ms->part_fini[MIP6_PART_MN] = NULL;
}

void mip6_mn_fini(struct stack *st)
{
	mn_free(st);
}

static bool addr_ok(const struct in6_addr *a)
{
	return !in6_is_unspec(a) && !in6_is_multicast(a) && !in6_is_linklocal(a) &&
	       !in6_is_loopback(a);
}

static struct netdev *first_dev(struct stack *st)
{
	if (dlist_empty(&st->netdevs))
		return NULL;
	return dlist_entry(st->netdevs.next, struct netdev, node);
}

static void mn_setup(struct mip6_mn *mn, struct stack *st, const struct mip6_mn_conf *c,
		     struct netdev *dev)
{
	mn->st = st;
	mn->conf = *c;
	mn->conf.dev = dev;
	if (!mn->conf.home_plen)
		mn->conf.home_plen = 64;
	if (!mn->conf.lifetime_s)
		mn->conf.lifetime_s = MN_DEFAULT_LIFETIME_S;
	mn->dev = dev;
	mn->ifindex = dev->ifindex;
	mn->coa = c->hoa;
	timer_init(&mn->coa_timer, coa_timer);
	timer_init(&mn->nud_timer, nud_timer);
	mn_bul_init(mn, &mn->ha, true);
	for (unsigned i = 0; i < MN_MAX_CN; i++)
		mn_bul_init(mn, &mn->cn[i], false);
}

int mip6_mn_enable(struct stack *st, const struct mip6_mn_conf *c)
{
	struct mip6_state *ms = mip6_state_get(st);
	struct netdev *dev = c->dev ? c->dev : first_dev(st);
	struct mip6_mn *mn;
	char hb[INET6_ADDRSTRLEN], ab[INET6_ADDRSTRLEN];
	unsigned plen = c->home_plen ? c->home_plen : 64;

	if (!ms)
		return -ENOMEM;
	if (ms->mn)
		return -EEXIST;
	if (!addr_ok(&c->hoa) || !addr_ok(&c->ha) || in6_equal(&c->hoa, &c->ha) || plen > 128 ||
	    !in6_prefix_match(&c->hoa, &c->ha, plen))
		return -EINVAL;
	if (!dev || !dev->in6)
		return -ENODEV;
	mn = calloc(1, sizeof(*mn));
	if (!mn)
		return -ENOMEM;
	mn_setup(mn, st, c, dev);
	ms->mn = mn;
	ms->part_fini[MIP6_PART_MN] = mip6_mn_fini;
	ms->mn_rx = mip6_mn_rx;
	ms->mn_ra = mn_ra;
	ms->mn_show = mip6_mn_show;
	ms->mn_tunnelled = mip6_mn_tunnelled;
	/* Assume home until an RA says otherwise: the home address is an ordinary address. */
	if (!addrconf_lookup_dev(dev, &c->hoa))
		addrconf_add(dev, &c->hoa, mn->conf.home_plen, IFA_F_PERMANENT, UINT32_MAX, UINT32_MAX);
	stack_timer_in(st, &mn->nud_timer, MN_NUD_POLL_NS);
	mip6_event(st, "mobile node on %s: home address %s, home agent %s%s", dev->name,
		   in6_ntop(&c->hoa, hb), in6_ntop(&c->ha, ab), c->ro ? ", route optimisation on" : "");
	return 0;
}

void mip6_mn_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx)
{
	if (!mn_get(st)) {
		STAT_INC(st, mn_rx_not_mn);
		return;
	}
	mn_bul_rx(st, m, rx);
}

static struct mn_bul *cn_find(struct mip6_mn *mn, const struct in6_addr *cn)
{
	for (unsigned i = 0; i < MN_MAX_CN; i++)
		if (mn->cn[i].state != BUL_FREE && in6_equal(&mn->cn[i].peer, cn))
			return &mn->cn[i];
	return NULL;
}

int mip6_mn_ro_start(struct stack *st, const struct in6_addr *cn)
{
	struct mip6_mn *mn = mn_get(st);
	struct mn_bul *b;

	if (!mn || !mn->conf.ro)
		return -EPERM;
	if (!addr_ok(cn) || in6_equal(cn, &mn->conf.ha) || in6_equal(cn, &mn->conf.hoa))
		return -EINVAL;
	if (cn_find(mn, cn))
		return 0;
	for (unsigned i = 0; i < MN_MAX_CN; i++) {
		b = &mn->cn[i];
		if (b->state != BUL_FREE)
			continue;
		mn_bul_init(mn, b, false);
		b->state = BUL_IDLE;
		b->peer = *cn;
		/* 11.7.2: RO once away and registered at home; else when that happens. */
		if (mn->away && !mn->waiting_coa && mn->ha.registered)
			mn_ro_update(b, false);
		return 0;
	}
	STAT_INC(st, mn_bul_full);
	return -ENOSPC;
}

void mip6_mn_tunnelled(struct stack *st, const struct in6_addr *src)
{
	struct mip6_mn *mn = mn_get(st);

	if (!mn || !mn->conf.ro || !mn->away || cn_find(mn, src) || in6_equal(src, &mn->conf.ha))
		return;
	mip6_mn_ro_start(st, src);
}

/* ---- listing ---- */

/* The binding cache lines' shape (docs/mip6.md), marked `bul`: the mobile node's side. */
static void show_bul(struct mip6_mn *mn, const struct mn_bul *b, FILE *out)
{
	char pb[INET6_ADDRSTRLEN], hb[INET6_ADDRSTRLEN], cb[INET6_ADDRSTRLEN];
	uint64_t now = mn->st->now;
	unsigned long long left = b->registered && b->bound_until > now ?
				  (b->bound_until - now) / NS_PER_SEC : 0;

	fprintf(out, "bul hoa %s coa %s %s %s lifetime %llu/%u seq %u state %s\n",
		in6_ntop(&mn->conf.hoa, hb), in6_ntop(&b->coa, cb), b->home_reg ? "ha" : "cn",
		in6_ntop(&b->peer, pb), left, b->granted_s, b->seq, mn_bul_state_name(b));
}

void mip6_mn_show(struct stack *st, FILE *out)
{
	struct mip6_mn *mn = mn_get(st);
	char hb[INET6_ADDRSTRLEN], cb[INET6_ADDRSTRLEN], ab[INET6_ADDRSTRLEN];

	if (!mn)
		return;
	fprintf(out, "mobile-node hoa %s coa %s ha %s state %s\n", in6_ntop(&mn->conf.hoa, hb),
		in6_ntop(&mn->coa, cb), in6_ntop(&mn->conf.ha, ab),
		!mn->located ? "unlocated" : mn->away ? "away" : "home");
	if (mn->ha.state != BUL_IDLE || mn->ha.registered)
		show_bul(mn, &mn->ha, out);
	for (unsigned i = 0; i < MN_MAX_CN; i++)
		if (mn->cn[i].state != BUL_FREE)
			show_bul(mn, &mn->cn[i], out);
}
