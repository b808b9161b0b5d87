/*
 * MLDv2 listener (RFC 3810): which groups each interface listens to, State
 * Change Reports on join and leave, Current State Reports in answer to
 * queries. Every group is in EXCLUDE mode with no sources (any-source
 * multicast), so records carry no source addresses.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "core/csum.h"
#include "ipv6/mld6.h"
#include "ipv6/addrconf.h"
#include "link/netdev.h"
#include "proto/ip6.h"

#define MLD_ROBUSTNESS 2                /* RFC 3810 9.1 */
#define MLD_UNSOLICITED_REPORT_MS 1000  /* RFC 3810 9.11 */
#define MLD_HBH_LEN 8
#define MLD_REPORT_HLEN sizeof(struct mld2_report)
#define MLD_REC_LEN sizeof(struct mld2_grec)

struct mld6_group {
	struct dlist node;          /* md->groups */
	struct mld6_dev *md;
	struct in6_addr addr;
	unsigned refs;              /* 0: left, kept until its leave reports are out */
	uint8_t change;             /* record type of the pending state change */
	int changes_left;           /* state change reports still to send */
	bool query_pending;         /* answer to a group-specific query is due */
	struct timer timer;
};

struct mld6_dev {
	struct netdev *dev;
	struct dlist groups;
	struct timer general;       /* answer to a General Query */
};

struct mld6_rec {
	uint8_t type;
	struct in6_addr group;
};

static void group_timer(struct stack *st, struct timer *t);
static void general_timer(struct stack *st, struct timer *t);

static struct mld6_dev *md_of(struct netdev *dev)
{
	return dev->in6 ? dev->in6->mc : NULL;
}

static struct mld6_dev *md_get(struct netdev *dev)
{
	struct mld6_dev *md = md_of(dev);

	if (md || !dev->in6)
		return md;
	md = calloc(1, sizeof(*md));
	if (!md)
		return NULL;
	md->dev = dev;
	dlist_init(&md->groups);
	timer_init(&md->general, general_timer);
	dev->in6->mc = md;
	return md;
}

static struct mld6_group *group_find(struct mld6_dev *md, const struct in6_addr *g)
{
	struct dlist *pos, *tmp;

	if (!md)
		return NULL;
	dlist_for_each_safe(pos, tmp, &md->groups) {
		struct mld6_group *grp = dlist_entry(pos, struct mld6_group, node);

		if (in6_equal(&grp->addr, g))
			return grp;
	}
	return NULL;
}

/* RFC 3810 6: never report all-nodes, nor interface- or reserved-scope groups. */
static bool reportable(const struct in6_addr *g)
{
	return in6_mc_scope(g) > 1 && !in6_equal(g, &in6_all_nodes);
}

static void put_hbh_router_alert(uint8_t *h)
{
	/* RFC 3810 5: Router Alert (RFC 2711) value 0 = MLD, then PadN to 8 bytes. */
	static const uint8_t hbh[MLD_HBH_LEN] = { NH_ICMPV6, 0, OPT6_RTALERT, 2, 0, 0, OPT6_PADN, 0 };

	memcpy(h, hbh, sizeof(hbh));
}

/* One Version 2 Multicast Listener Report with @n records (RFC 3810 5.2). */
static int send_report(struct mld6_dev *md, const struct mld6_rec *recs, unsigned n)
{
	struct netdev *dev = md->dev;
	struct stack *st = dev->st;
	const struct in6_addr *ll = addrconf_linklocal(dev);
	static const struct in6_addr any;
	size_t mlen = MLD_REPORT_HLEN + n * MLD_REC_LEN;
	struct ip6_tx tx;
	struct pkt *p;
	uint8_t *m;

	if (!dev->up) {
		STAT_INC(st, mld6_tx_link_down);
		return -ENETDOWN;
	}
	p = stack_pkt_alloc(st, MLD_HBH_LEN + mlen);
	if (!p)
		return -ENOBUFS;
	put_hbh_router_alert(pkt_put(p, MLD_HBH_LEN));
	m = pkt_put(p, mlen);
	memset(m, 0, mlen);
	m[0] = MLD_REPORT_V2;
	put_be16(m + 6, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		struct mld2_grec *r = (struct mld2_grec *)(m + MLD_REPORT_HLEN + i * MLD_REC_LEN);

		r->type = recs[i].type;
		r->group = recs[i].group;
	}
	/* RFC 3810 5.2.13: from the link-local address, or :: before it is usable. */
	put_be16(m + 2, csum_ipv6(ll ? ll : &any, &in6_all_mldv2_routers, NH_ICMPV6, m, mlen));
	ip6_tx_init(&tx, &in6_all_mldv2_routers, NH_HOPOPTS);
	tx.oif = dev;
	tx.hop_limit = 1;
	tx.csum_off = -1;
	if (ll)
		tx.src = *ll;
	else
		tx.src_any_ok = true;
	STAT_INC(st, mld6_tx_report);
	return ip6_output(st, p, &tx);
}

static void send_one(struct mld6_group *g, uint8_t type)
{
	struct mld6_rec rec = { .type = type, .group = g->addr };

	send_report(g->md, &rec, 1);
}

static void group_free(struct mld6_group *g)
{
	stack_timer_cancel(g->md->dev->st, &g->timer);
	dlist_del(&g->node);
	free(g);
}

static void arm_random(struct stack *st, struct timer *t, uint32_t max_ms)
{
	stack_timer_in(st, t, (uint64_t)rng_below(&st->rng, max_ms + 1) * NS_PER_MS);
}

/* RFC 3810 6.1: send now, then Robustness - 1 more times at random within the interval. */
static void start_change(struct mld6_group *g, uint8_t type)
{
	struct stack *st = g->md->dev->st;

	g->change = type;
	g->query_pending = false;
	g->changes_left = 0;
	if (!g->md->dev->up) {
		if (!g->refs)
			group_free(g);
		return;
	}
	send_one(g, type);
	g->changes_left = MLD_ROBUSTNESS - 1;
	arm_random(st, &g->timer, MLD_UNSOLICITED_REPORT_MS);
}

static void group_timer(struct stack *st, struct timer *t)
{
	struct mld6_group *g = container_of(t, struct mld6_group, timer);

	if (g->changes_left > 0) {
		send_one(g, g->change);
		if (--g->changes_left > 0)
			arm_random(st, &g->timer, MLD_UNSOLICITED_REPORT_MS);
	} else if (g->query_pending && g->refs) {
		send_one(g, MLD2_MODE_IS_EXCLUDE);
	}
	g->query_pending = false;
	if (!g->refs && !g->changes_left)
		group_free(g);
}

int mld6_join(struct netdev *dev, const struct in6_addr *group)
{
	struct mld6_dev *md = md_get(dev);
	struct mld6_group *g;

	if (!in6_is_multicast(group))
		return -EINVAL;
	if (!md)
		return -ENOMEM;
	g = group_find(md, group);
	if (g) {
		if (g->refs++ == 0 && reportable(group))
			start_change(g, MLD2_CHANGE_TO_EXCLUDE);
		return 0;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->md = md;
	g->addr = *group;
	g->refs = 1;
	timer_init(&g->timer, group_timer);
	dlist_add_tail(&md->groups, &g->node);
	STAT_INC(dev->st, mld6_join);
	if (reportable(group))
		start_change(g, MLD2_CHANGE_TO_EXCLUDE);
	return 0;
}

int mld6_leave(struct netdev *dev, const struct in6_addr *group)
{
	struct mld6_group *g = group_find(md_of(dev), group);

	if (!g || !g->refs)
		return -EADDRNOTAVAIL;
	if (--g->refs > 0)
		return 0;
	STAT_INC(dev->st, mld6_leave);
	if (reportable(group))
		start_change(g, MLD2_CHANGE_TO_INCLUDE);
	else
		group_free(g);
	return 0;
}

bool mld6_is_member(struct netdev *dev, const struct in6_addr *group)
{
	const struct mld6_group *g;

	if (in6_equal(group, &in6_all_nodes))
		return true;
	/* A linear scan: an interface has a handful of groups, fewer than a hash would pay for. */
	g = group_find(md_of(dev), group);
	return g && g->refs > 0;
}

void mld6_foreach(struct netdev *dev, void (*fn)(void *ctx, const struct in6_addr *g), void *ctx)
{
	struct mld6_dev *md = md_of(dev);
	struct dlist *pos, *tmp;

	if (!md)
		return;
	dlist_for_each_safe(pos, tmp, &md->groups) {
		struct mld6_group *g = dlist_entry(pos, struct mld6_group, node);

		if (g->refs)
			fn(ctx, &g->addr);
	}
}

/* RFC 3810 6.3: one Current State Record per group, as many reports as the MTU needs. */
static void general_timer(struct stack *st, struct timer *t)
{
	struct mld6_dev *md = container_of(t, struct mld6_dev, general);
	unsigned per_pkt = (md->dev->mtu - IPV6_HLEN - MLD_HBH_LEN - MLD_REPORT_HLEN) / MLD_REC_LEN;
	struct mld6_rec recs[64];
	struct dlist *pos, *tmp;
	unsigned n = 0;

	per_pkt = MIN(per_pkt, ARRAY_SIZE(recs));
	dlist_for_each_safe(pos, tmp, &md->groups) {
		struct mld6_group *g = dlist_entry(pos, struct mld6_group, node);

		if (!g->refs || !reportable(&g->addr))
			continue;
		recs[n].type = MLD2_MODE_IS_EXCLUDE;
		recs[n++].group = g->addr;
		if (n == per_pkt) {
			send_report(md, recs, n);
			n = 0;
		}
	}
	if (n)
		send_report(md, recs, n);
}

void mld6_link_up(struct netdev *dev)
{
	struct mld6_dev *md = md_get(dev);
	struct dlist *pos, *tmp;

	if (!md)
		return;
	dlist_for_each_safe(pos, tmp, &md->groups) {
		struct mld6_group *g = dlist_entry(pos, struct mld6_group, node);

		if (g->refs && reportable(&g->addr))
			start_change(g, MLD2_CHANGE_TO_EXCLUDE);
	}
}

void mld6_link_down(struct netdev *dev)
{
	struct mld6_dev *md = md_of(dev);
	struct dlist *pos, *tmp;

	if (!md)
		return;
	stack_timer_cancel(dev->st, &md->general);
	dlist_for_each_safe(pos, tmp, &md->groups) {
		struct mld6_group *g = dlist_entry(pos, struct mld6_group, node);

		stack_timer_cancel(dev->st, &g->timer);
		g->changes_left = 0;
		g->query_pending = false;
		if (!g->refs)
			group_free(g);
	}
}

void mld6_dev_fini(struct netdev *dev)
{
	struct mld6_dev *md = md_of(dev);
	struct dlist *pos, *tmp;

	if (!md)
		return;
	stack_timer_cancel(dev->st, &md->general);
	dlist_for_each_safe(pos, tmp, &md->groups)
		group_free(dlist_entry(pos, struct mld6_group, node));
	free(md);
	dev->in6->mc = NULL;
}

/* RFC 3810 5.1.3: Maximum Response Code to milliseconds. */
static uint32_t max_resp_ms(const struct mld_query *q, bool v2)
{
	uint16_t code = get_be16(q->max_resp);

	if (!v2 || code < 32768)
		return code;
	return (uint32_t)((code & 0x0fff) | 0x1000) << (((code >> 12) & 7) + 3);
}

/* Schedules @t at a random point within @max_ms unless it is already due sooner (RFC 3810 6.2). */
static void schedule_answer(struct stack *st, struct timer *t, uint32_t max_ms)
{
	uint64_t when = st->now + (uint64_t)rng_below(&st->rng, max_ms + 1) * NS_PER_MS;

	if (timer_pending(t) && t->expires <= when)
		return;
	timer_arm(&st->timers, t, when);
}

static int query_rcv(struct stack *st, struct mld6_dev *md, const struct mld_query *q, bool v2)
{
	uint32_t max_ms = max_resp_ms(q, v2);
	struct in6_addr group = q->group;
	struct mld6_group *g;

	if (in6_is_unspec(&group)) {
		STAT_INC(st, mld6_rx_general_query);
		schedule_answer(st, &md->general, max_ms);
		return 0;
	}
	if (!in6_is_multicast(&group)) {
		STAT_INC(st, mld6_bad_group);
		return -EINVAL;
	}
	g = group_find(md, &group);
	if (!g || !g->refs || !reportable(&g->addr)) {
		STAT_INC(st, mld6_query_not_member);
		return 0;
	}
	STAT_INC(st, mld6_rx_group_query);
	/* A pending state change report already tells the router. */
	if (g->changes_left)
		return 0;
	g->query_pending = true;
	schedule_answer(st, &g->timer, max_ms);
	return 0;
}

int mld6_input(struct stack *st, struct pkt *p)
{
	const struct ip6_hdr *ip6 = p->nh >= 0 ? (const struct ip6_hdr *)pkt_nh(p) : NULL;
	const struct mld_query *q = pkt_header(p, 0, 24, NULL);
	struct mld6_dev *md = p->dev ? md_of(p->dev) : NULL;
	struct in6_addr src;
	bool v2;

	if (!ip6 || !md) {
		STAT_INC(st, mld6_no_dev);
		goto drop;
	}
	if (!q) {
		STAT_INC(st, mld6_truncated);
		goto drop;
	}
	/* Listeners ignore other listeners' reports and Dones (RFC 3810 6, no suppression in v2). */
	if (q->type != MLD_QUERY) {
		STAT_INC(st, mld6_rx_other);
		goto drop;
	}
	/* RFC 3810 5.1.14 and 5: queries come from link-local sources, hop limit 1. */
	src = ip6->src;
	if (!in6_is_linklocal(&src)) {
		STAT_INC(st, mld6_bad_src);
		goto drop;
	}
	if (ip6->hlim != 1) {
		STAT_INC(st, mld6_bad_hoplimit);
		goto drop;
	}
	/* RFC 3810 8.1: 24 bytes is MLDv1, 28 or more MLDv2, anything else is ignored. */
	v2 = p->len >= 28;
	if ((p->len > 24 && !v2) || (v2 && 28 + 16 * (size_t)get_be16(q->nsrc) > p->len)) {
		STAT_INC(st, mld6_bad_length);
		goto drop;
	}
	query_rcv(st, md, q, v2);
	pkt_free(p);
	return 0;
drop:
	pkt_free(p);
	return -EINVAL;
}
