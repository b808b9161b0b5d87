/*
 * Router side of Neighbor Discovery: Router Advertisements, unsolicited and
 * in answer to Router Solicitations (RFC 4861 6.2), and sending Redirects (8.2).
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "link/netdev.h"
#include "proto/ip6.h"

/* RFC 4861 10: router constants. */
#define MAX_INITIAL_RTR_ADVERT_INTERVAL_MS 16000u
#define MAX_INITIAL_RTR_ADVERTISEMENTS 3
#define MIN_DELAY_BETWEEN_RAS_MS 3000u
#define MAX_RA_DELAY_TIME_MS 500u
#define RA_MAX_PREFIX 8
#define REDIRECT_COST_NS (100 * NS_PER_MS)   /* at most 10 a second... */
#define REDIRECT_BURST_NS (10 * REDIRECT_COST_NS) /* ...after a burst of 10 */

struct nd6_ra_state {
	struct netdev *dev;
	bool enabled;
	struct nd6_ra_conf conf;
	struct nd6_ra_prefix prefixes[RA_MAX_PREFIX];
	unsigned nprefix;
	unsigned initial_left;
	uint64_t last_mcast;        /* ns of the last multicast RA, 0 = none yet */
	struct timer timer;
};

static void ra_timer(struct stack *st, struct timer *t);

/* RFC 4861 6.2.1 defaults: MaxRtrAdvInterval 600 s, MinRtrAdvInterval 0.33 * Max, lifetime 3 * Max. */
static struct nd6_ra_state *ra_get(struct netdev *dev)
{
	struct nd6_ra_state *ra = dev->in6 ? dev->in6->ra : NULL;

	if (ra || !dev->in6)
		return ra;
	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	ra->dev = dev;
	ra->conf = (struct nd6_ra_conf){ .min_interval_ms = 200000, .max_interval_ms = 600000,
					 .lifetime_s = 1800 };
	timer_init(&ra->timer, ra_timer);
	dev->in6->ra = ra;
	return ra;
}

bool nd6_ra_active(const struct netdev *dev)
{
	const struct nd6_ra_state *ra = dev->in6 ? dev->in6->ra : NULL;

	return ra && ra->enabled;
}

void nd6_ra_dev_fini(struct netdev *dev)
{
	struct nd6_ra_state *ra = dev->in6 ? dev->in6->ra : NULL;

	if (!ra)
		return;
	stack_timer_cancel(dev->st, &ra->timer);
	free(ra);
	dev->in6->ra = NULL;
}

static void put_prefix(struct pkt *p, const struct nd6_ra_prefix *pf)
{
	struct nd_opt_prefix *o = pkt_put(p, sizeof(*o));

	memset(o, 0, sizeof(*o));
	o->type = ND_OPT_PREFIX;
	o->len = 4;
	o->plen = pf->plen;
	o->flags = (pf->onlink ? ND_OPT_PI_FLAG_ONLINK : 0) | (pf->autonomous ? ND_OPT_PI_FLAG_AUTO : 0);
	put_be32(o->valid, pf->valid_s);
	put_be32(o->preferred, pf->preferred_s);
	struct in6_addr pfx = pf->prefix;

	in6_prefix_mask(&pfx, pf->plen);
	o->prefix = pfx;
}

/* RFC 4861 6.2.3: sent to all-nodes from the interface's link-local address. */
static int send_ra(struct nd6_ra_state *ra, uint16_t lifetime_s)
{
	struct netdev *dev = ra->dev;
	struct stack *st = dev->st;
	const struct in6_addr *src = addrconf_linklocal(dev);
	struct pkt *p;
	struct nd_ra *h;

	if (!src || !dev->up) {
		STAT_INC(st, nd6_ra_no_linklocal);
		return -EADDRNOTAVAIL;
	}
	p = stack_pkt_alloc(st, sizeof(*h) + 16 + ra->nprefix * sizeof(struct nd_opt_prefix));
	if (!p)
		return -ENOBUFS;
	h = pkt_put(p, sizeof(*h));
	memset(h, 0, sizeof(*h));
	h->type = ND_ROUTER_ADVERT;
	h->cur_hlim = dev->in6->conf.hop_limit > 0 ? (uint8_t)dev->in6->conf.hop_limit : 64;
	h->flags = (ra->conf.managed ? ND_RA_FLAG_MANAGED : 0) |
		   (ra->conf.other ? ND_RA_FLAG_OTHER : 0);
	put_be16(h->router_lft, lifetime_s);
	put_be32(h->retrans, ra->conf.retrans_ms);
	nd6_put_lladdr_opt(p, ND_OPT_SLLA, dev);
	if (ra->conf.mtu) {
		struct nd_opt_mtu *m = pkt_put(p, sizeof(*m));

		memset(m, 0, sizeof(*m));
		m->type = ND_OPT_MTU;
		m->len = 1;
		put_be32(m->mtu, ra->conf.mtu);
	}
	for (unsigned i = 0; i < ra->nprefix; i++)
		put_prefix(p, &ra->prefixes[i]);
	ra->last_mcast = st->now ? st->now : 1;
	STAT_INC(st, nd6_tx_ra);
	return nd6_send(dev, p, src, &in6_all_nodes);
}

/* RFC 4861 6.2.4: uniform in [Min, Max]; the first few no more than 16 s apart. */
static void ra_schedule_next(struct nd6_ra_state *ra)
{
	struct stack *st = ra->dev->st;
	const struct nd6_ra_conf *c = &ra->conf;
	uint64_t ms = c->min_interval_ms +
		      rng_below(&st->rng, c->max_interval_ms - c->min_interval_ms + 1);

	if (ra->initial_left > 0) {
		ra->initial_left--;
		ms = MIN(ms, MAX_INITIAL_RTR_ADVERT_INTERVAL_MS);
	}
	stack_timer_in(st, &ra->timer, ms * NS_PER_MS);
}

static void ra_timer(struct stack *st, struct timer *t)
{
	struct nd6_ra_state *ra = container_of(t, struct nd6_ra_state, timer);

	if (!ra->enabled)
		return;
	if (ra->dev->up)
		send_ra(ra, ra->conf.lifetime_s);
	ra_schedule_next(ra);
}

/*
 * RFC 4861 6.2.4: when an advertising interface's parameters change, the
 * router advertises again as if the interface had just become one: the
 * first of MAX_INITIAL_RTR_ADVERTISEMENTS within MAX_RA_DELAY_TIME, so a
 * shorter interval (RFC 6275 7.5's fast RAs) or a new prefix takes effect
 * at once rather than after the old interval.
 */
static void ra_changed(struct nd6_ra_state *ra)
{
	struct stack *st = ra->dev->st;

	if (!ra->enabled)
		return;
	ra->initial_left = MAX_INITIAL_RTR_ADVERTISEMENTS;
	stack_timer_in(st, &ra->timer, rng_below(&st->rng, MAX_RA_DELAY_TIME_MS) * NS_PER_MS);
}

int nd6_ra_enable(struct netdev *dev, bool on)
{
	struct nd6_ra_state *ra = ra_get(dev);
	struct stack *st = dev->st;

	if (!ra)
		return -ENOMEM;
	if (ra->enabled == on)
		return 0;
	if (on) {
		ra->enabled = true;
		ra->initial_left = MAX_INITIAL_RTR_ADVERTISEMENTS;
		mld6_join(dev, &in6_all_routers);
		stack_timer_in(st, &ra->timer, rng_below(&st->rng, MAX_RA_DELAY_TIME_MS) * NS_PER_MS);
		return 0;
	}
	/* RFC 4861 6.2.5: a last advertisement with Router Lifetime 0. */
	if (dev->up)
		send_ra(ra, 0);
	ra->enabled = false;
	stack_timer_cancel(st, &ra->timer);
	mld6_leave(dev, &in6_all_routers);
	return 0;
}

int nd6_ra_add_prefix(struct netdev *dev, const struct nd6_ra_prefix *pfx)
{
	struct nd6_ra_state *ra = ra_get(dev);
	unsigned i;

	if (!ra)
		return -ENOMEM;
	if (pfx->plen > 128 || pfx->preferred_s > pfx->valid_s)
		return -EINVAL;
	for (i = 0; i < ra->nprefix; i++)
		if (ra->prefixes[i].plen == pfx->plen &&
		    in6_prefix_match(&ra->prefixes[i].prefix, &pfx->prefix, pfx->plen))
			break;
	if (i == RA_MAX_PREFIX)
		return -ENOSPC;
	ra->prefixes[i] = *pfx;
	if (i == ra->nprefix)
		ra->nprefix++;
	ra_changed(ra);
	return 0;
}

int nd6_ra_get_conf(struct netdev *dev, struct nd6_ra_conf *c)
{
	const struct nd6_ra_state *ra = ra_get(dev);

	if (!ra)
		return -ENOMEM;
	*c = ra->conf;
	return 0;
}

/*
 * RFC 4861 6.2.1: Min <= 0.75 * Max, Max <= 1800 s, lifetime <= 9000 s; the
 * lower interval bounds are RFC 6275 7.5's (70 ms, 30 ms) for fast routers.
 * Lifetime 0 is allowed: a router that is not a default router.
 */
static bool ra_conf_valid(const struct netdev *dev, const struct nd6_ra_conf *c)
{
	uint32_t max = c->max_interval_ms, min = c->min_interval_ms;

	if (max < 70 || max > 1800000 || min < 30 || (uint64_t)min * 4 > (uint64_t)max * 3)
		return false;
	if (c->lifetime_s > 9000 || c->retrans_ms > 3600000)
		return false;
	return c->mtu == 0 || (c->mtu >= IPV6_MIN_MTU && c->mtu <= dev->mtu);
}

int nd6_ra_set_conf(struct netdev *dev, const struct nd6_ra_conf *c)
{
	struct nd6_ra_state *ra = ra_get(dev);

	if (!ra)
		return -ENOMEM;
	if (!ra_conf_valid(dev, c))
		return -EINVAL;
	ra->conf = *c;
	if (c->retrans_ms)
		dev->in6->retrans_ms = c->retrans_ms;
	ra_changed(ra);
	return 0;
}

void nd6_ra_rs_received(struct netdev *dev)
{
	struct nd6_ra_state *ra = dev->in6->ra;
	struct stack *st = dev->st;
	uint64_t when;

	/* RFC 4861 6.2.6: a random delay, and no two multicast RAs closer than 3 s. */
	when = st->now + rng_below(&st->rng, MAX_RA_DELAY_TIME_MS) * NS_PER_MS;
	if (ra->last_mcast && when < ra->last_mcast + MIN_DELAY_BETWEEN_RAS_MS * NS_PER_MS)
		when = ra->last_mcast + MIN_DELAY_BETWEEN_RAS_MS * NS_PER_MS;
	if (timer_pending(&ra->timer) && ra->timer.expires <= when)
		return;
	timer_arm(&st->timers, &ra->timer, when);
}

void nd6_rs_rcv(struct stack *st, const struct nd6_rx *rx)
{
	bool unspec = in6_is_unspec(&rx->src);

	/* RFC 4861 6.1.1: no SLLA from the unspecified address. */
	if (unspec && rx->opts.slla) {
		STAT_INC(st, nd6_bad_rs);
		return;
	}
	/* RFC 4861 6.2.6: hosts silently discard solicitations. */
	if (!nd6_ra_active(rx->dev)) {
		STAT_INC(st, nd6_rs_ignored);
		return;
	}
	if (!unspec && rx->opts.slla)
		nd6_neigh_from_slla(st, rx->dev, &rx->src, rx->opts.slla, false);
	nd6_ra_rs_received(rx->dev);
}

static bool redirect_allowed(struct stack *st)
{
	uint64_t tokens = st->nd6.redirect_tokens_ns + (st->now - st->nd6.redirect_last_ns);

	st->nd6.redirect_last_ns = st->now;
	tokens = MIN(tokens, REDIRECT_BURST_NS);
	if (tokens < REDIRECT_COST_NS) {
		st->nd6.redirect_tokens_ns = tokens;
		return false;
	}
	st->nd6.redirect_tokens_ns = tokens - REDIRECT_COST_NS;
	return true;
}

/* RFC 4861 4.6.3: as much of the packet as keeps the Redirect within the minimum MTU. */
static int put_redirected(struct pkt *p, const struct pkt *orig)
{
	size_t room = IPV6_MIN_MTU - IPV6_HLEN - p->len - 8;
	size_t n = MIN((size_t)orig->len, room) & ~(size_t)7;
	uint8_t *o = pkt_put(p, 8 + n);

	if (!o)
		return -ENOBUFS;
	memset(o, 0, 8);
	o[0] = ND_OPT_REDIRECTED;
	o[1] = (uint8_t)((8 + n) / 8);
	memcpy(o + 8, orig->data, n);
	return 0;
}

int nd6_send_redirect(struct stack *st, const struct pkt *orig, const struct in6_addr *target)
{
	const struct ip6_hdr *ip6 = pkt_header(orig, 0, IPV6_HLEN, NULL);
	struct in6_addr osrc, odst;
	struct netdev *dev = orig->dev;
	const struct in6_addr *src = dev ? addrconf_linklocal(dev) : NULL;
	struct nd6_neigh *n;
	struct nd_redirect *rd;
	struct pkt *p;

	if (ip6) {
		osrc = ip6->src;
		odst = ip6->dst;
	}
	if (!ip6 || !src || in6_is_unspec(&osrc) || in6_is_multicast(&osrc)) {
		STAT_INC(st, nd6_redirect_not_sent);
		return -EINVAL;
	}
	if (!redirect_allowed(st)) {
		STAT_INC(st, nd6_redirect_ratelimited);
		return -EAGAIN;
	}
	p = stack_pkt_alloc(st, IPV6_MIN_MTU);
	if (!p)
		return -ENOBUFS;
	rd = pkt_put(p, sizeof(*rd));
	memset(rd, 0, sizeof(*rd));
	rd->type = ND_REDIRECT;
	rd->target = *target;
	rd->dst = odst;
	n = nd6_neigh_lookup(st, dev, target);
	if (n && n->has_lladdr) {
		uint8_t *o = pkt_put(p, 8);

		o[0] = ND_OPT_TLLA;
		o[1] = 1;
		memcpy(o + 2, n->lladdr, 6);
	}
	if (put_redirected(p, orig) < 0) {
		pkt_free(p);
		return -ENOBUFS;
	}
	STAT_INC(st, nd6_tx_redirect);
	return nd6_send(dev, p, src, &osrc);
}
