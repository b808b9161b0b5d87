/*
 * Neighbor Discovery input: the checks every ND message passes (RFC 4861
 * 6.1, 7.1, 8.1), Neighbor Solicitation and Advertisement processing
 * (7.2.3-7.2.5) and the NS/NA senders.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/addrconf.h"
#include "link/netdev.h"
#include "mip6/mip6.h"
#include "proto/ip6.h"

int nd6_init(struct stack *st)
{
	int rc;

	dlist_init(&st->nd6.routers);
	rc = nd6_cache_init(st);
	if (rc < 0)
		return rc;
	rc = addrconf_index_init(st);
	if (rc < 0)
		nd6_cache_fini(st);
	return rc;
}

void nd6_fini(struct stack *st)
{
	nd6_routers_flush(st, NULL);
	nd6_cache_fini(st);
	addrconf_index_fini(st);
}

/* Fixed part of each message; options follow it. */
static const struct nd6_type {
	uint8_t type;
	uint8_t hdrlen;
	unsigned stat;
	void (*rcv)(struct stack *st, const struct nd6_rx *rx);
} nd6_types[] = {
	{ ND_ROUTER_SOLICIT, 8, STAT_nd6_rx_rs, nd6_rs_rcv },
	{ ND_ROUTER_ADVERT, sizeof(struct nd_ra), STAT_nd6_rx_ra, nd6_ra_rcv },
	{ ND_NEIGHBOR_SOLICIT, sizeof(struct nd_ns), STAT_nd6_rx_ns, nd6_ns_rcv },
	{ ND_NEIGHBOR_ADVERT, sizeof(struct nd_na), STAT_nd6_rx_na, nd6_na_rcv },
	{ ND_REDIRECT, sizeof(struct nd_redirect), STAT_nd6_rx_redirect, nd6_redirect_rcv },
};

static const struct nd6_type *nd6_type_of(uint8_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(nd6_types); i++)
		if (nd6_types[i].type == type)
			return &nd6_types[i];
	return NULL;
}

int nd6_input(struct stack *st, struct pkt *p)
{
	const struct nd6_type *t;
	const struct ip6_hdr *ip6;
	struct nd6_rx rx = { .dev = p->dev };
	const uint8_t *msg = pkt_header(p, 0, 4, NULL);

	if (!rx.dev || !rx.dev->in6 || p->nh < 0) {
		STAT_INC(st, nd6_no_dev);
		goto drop;
	}
	if (!msg || !(t = nd6_type_of(msg[0]))) {
		STAT_INC(st, nd6_truncated);
		goto drop;
	}
	ip6 = (const struct ip6_hdr *)pkt_nh(p);
	rx.src = ip6->src;
	rx.dst = ip6->dst;
	/* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1: a hop limit of 255 proves on-link origin. */
	if (ip6->hlim != 255) {
		STAT_INC(st, nd6_bad_hoplimit);
		goto drop;
	}
	if (msg[1] != 0) {
		STAT_INC(st, nd6_bad_code);
		goto drop;
	}
	if (p->len < t->hdrlen) {
		STAT_INC(st, nd6_truncated);
		goto drop;
	}
	if (nd6_opts_parse(p->data + t->hdrlen, p->len - t->hdrlen, &rx.opts) < 0) {
		STAT_INC(st, nd6_bad_option);
		goto drop;
	}
	STAT_ADD(st, nd6_opt_ignored, rx.opts.ignored);
	rx.msg = p->data;
	rx.len = p->len;
	st->stats[t->stat]++;
	t->rcv(st, &rx);
	pkt_free(p);
	return 0;
drop:
	pkt_free(p);
	return -EINVAL;
}

static bool is_solicited_node(const struct in6_addr *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	return memcmp(a->s6_addr, pfx, sizeof(pfx)) == 0;
}

int nd6_send_na(struct netdev *dev, const struct in6_addr *target, const struct in6_addr *src,
		const struct in6_addr *dst, uint8_t flags)
{
	struct stack *st = dev->st;
	struct pkt *p = stack_pkt_alloc(st, sizeof(struct nd_na) + 8);
	struct nd_na *na;

	if (!p)
		return -ENOBUFS;
	na = pkt_put(p, sizeof(*na));
	memset(na, 0, sizeof(*na));
	na->type = ND_NEIGHBOR_ADVERT;
	na->flags = flags;
	na->target = *target;
	if (nd6_put_lladdr_opt(p, ND_OPT_TLLA, dev) < 0) {
		pkt_free(p);
		return -ENOBUFS;
	}
	STAT_INC(st, nd6_tx_na);
	return nd6_send(dev, p, src, dst);
}

/* RFC 4861 7.2.4: solicited NA; to all-nodes without S when the NS came from ::. */
static void ns_reply(struct netdev *dev, const struct in6_addr *target,
		     const struct in6_addr *to, bool dad, bool override)
{
	uint8_t flags = (override ? ND_NA_FLAG_OVERRIDE : 0) | (dad ? 0 : ND_NA_FLAG_SOLICITED) |
			(ip6_forwarding(dev->st, dev) ? ND_NA_FLAG_ROUTER : 0);

	nd6_send_na(dev, target, target, dad ? &in6_all_nodes : to, flags);
}

void nd6_ns_rcv(struct stack *st, const struct nd6_rx *rx)
{
	const struct nd_ns *ns = (const struct nd_ns *)rx->msg;
	struct in6_addr target = ns->target;
	bool dad = in6_is_unspec(&rx->src);
	struct inet6_ifaddr *ifa;

	if (in6_is_multicast(&target)) {
		STAT_INC(st, nd6_bad_target);
		return;
	}
	/* RFC 4861 7.1.1: a DAD probe goes to a solicited-node group and has no SLLA. */
	if (dad && (!is_solicited_node(&rx->dst) || rx->opts.slla)) {
		STAT_INC(st, nd6_bad_dad_ns);
		return;
	}
	ifa = addrconf_lookup_dev(rx->dev, &target);
	/* RFC 6275 10.4.1: a home agent defends the home addresses it registers. */
	if (!ifa && st->mip6 && mip6_ha_ns_input(st, rx->dev, &target, &rx->src, rx->opts.slla))
		return;
	/* RFC 6275 11: an away mobile node's home address is defended by its home agent. */
	if (!ifa || (ifa->flags & (IFA_F_DADFAILED | IFA_F_HOMEADDRESS))) {
		STAT_INC(st, nd6_ns_not_ours);
		return;
	}
	if (ifa->flags & IFA_F_TENTATIVE) {
		/* RFC 4862 5.4.3: another node probes for it; an NS from a unicast source is ignored. */
		if (dad)
			addrconf_dad_conflict(rx->dev, ifa);
		else if (ifa->flags & IFA_F_OPTIMISTIC)
			goto answer;    /* RFC 4429 3.3: answered, but without Override */
		else
			STAT_INC(st, nd6_ns_tentative);
		return;
	}
answer:
	if (!dad && rx->opts.slla)
		nd6_neigh_from_slla(st, rx->dev, &rx->src, rx->opts.slla, false);
	ns_reply(rx->dev, &target, &rx->src, dad, !(ifa->flags & IFA_F_OPTIMISTIC));
}

/* RFC 4861 7.2.5: an entry waiting for its address. */
static void na_incomplete(struct stack *st, struct nd6_neigh *n, const struct nd6_rx *rx,
			  uint8_t flags)
{
	if (!rx->opts.tlla) {
		STAT_INC(st, nd6_na_no_tlla);
		return;
	}
	nd6_neigh_set_lladdr(n, rx->opts.tlla);
	n->is_router = flags & ND_NA_FLAG_ROUTER;
	nd6_neigh_set_state(n, flags & ND_NA_FLAG_SOLICITED ? NUD_REACHABLE : NUD_STALE);
	nd6_neigh_flush_queue(n);
}

static void na_update(struct stack *st, struct nd6_neigh *n, const struct nd6_rx *rx,
		      uint8_t flags)
{
	const uint8_t *ll = rx->opts.tlla;
	bool differs = ll && (!n->has_lladdr || memcmp(ll, n->lladdr, 6) != 0);
	bool was_router = n->is_router;

	if (!(flags & ND_NA_FLAG_OVERRIDE) && differs) {
		/* Keep the cached address but stop trusting it. */
		if (n->state == NUD_REACHABLE)
			nd6_neigh_set_state(n, NUD_STALE);
		STAT_INC(st, nd6_na_no_override);
		return;
	}
	nd6_neigh_set_lladdr(n, ll);
	if (flags & ND_NA_FLAG_SOLICITED)
		nd6_neigh_set_state(n, NUD_REACHABLE);
	else if (differs)
		nd6_neigh_set_state(n, NUD_STALE);
	n->is_router = flags & ND_NA_FLAG_ROUTER;
	if (was_router && !n->is_router)
		nd6_router_lost(st, n->dev, &n->addr);
}

void nd6_na_rcv(struct stack *st, const struct nd6_rx *rx)
{
	const struct nd_na *na = (const struct nd_na *)rx->msg;
	struct in6_addr target = na->target;
	struct inet6_ifaddr *ifa;
	struct nd6_neigh *n;
	char buf[INET6_ADDRSTRLEN];

	if (in6_is_multicast(&target)) {
		STAT_INC(st, nd6_bad_target);
		return;
	}
	if (in6_is_multicast(&rx->dst) && (na->flags & ND_NA_FLAG_SOLICITED)) {
		STAT_INC(st, nd6_bad_na_solicited);
		return;
	}
	ifa = addrconf_lookup_dev(rx->dev, &target);
	if (!ifa && st->mip6)
		mip6_ha_na_input(st, rx->dev, &target);   /* RFC 6275 10.3.1: DAD for a home address */
	if (ifa) {
		/* RFC 4862 5.4.4: an NA for a tentative address means it is taken. */
		if (ifa->flags & IFA_F_TENTATIVE) {
			addrconf_dad_conflict(rx->dev, ifa);
			return;
		}
		STAT_INC(st, nd6_na_for_own);
		log_warn(st, "%s: NA for our address %s", rx->dev->name, in6_ntop(&target, buf));
		return;
	}
	n = nd6_neigh_lookup(st, rx->dev, &target);
	if (!n || n->state == NUD_PERMANENT) {
		STAT_INC(st, nd6_na_no_entry);
		return;
	}
	if (n->state == NUD_INCOMPLETE || n->state == NUD_FAILED || n->state == NUD_NONE)
		na_incomplete(st, n, rx, na->flags);
	else
		na_update(st, n, rx, na->flags);
}

int nd6_put_lladdr_opt(struct pkt *p, uint8_t type, const struct netdev *dev)
{
	uint8_t *o = pkt_put(p, 8);

	if (!o)
		return -ENOBUFS;
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, dev->mac, 6);
	return 0;
}

int nd6_send(struct netdev *dev, struct pkt *p, const struct in6_addr *src,
	     const struct in6_addr *dst)
{
	struct ip6_tx tx;

	ip6_tx_init(&tx, dst, NH_ICMPV6);
	tx.oif = dev;
	tx.hop_limit = 255;
	if (src && !in6_is_unspec(src))
		tx.src = *src;
	else
		tx.src_any_ok = true;
	return icmp6_send(dev->st, p, &tx);
}

int nd6_send_ns(struct netdev *dev, const struct in6_addr *target, const struct in6_addr *src,
		const struct in6_addr *dst)
{
	struct stack *st = dev->st;
	struct in6_addr snm;
	struct pkt *p;
	struct nd_ns *ns;

	if (!dst) {
		in6_solicited_node(&snm, target);
		dst = &snm;
	}
	p = stack_pkt_alloc(st, sizeof(*ns) + 8);
	if (!p)
		return -ENOBUFS;
	ns = pkt_put(p, sizeof(*ns));
	memset(ns, 0, sizeof(*ns));
	ns->type = ND_NEIGHBOR_SOLICIT;
	ns->target = *target;
	/* RFC 4862 5.4.2: DAD probes come from :: and carry no SLLA option. */
	if (src && !in6_is_unspec(src) && nd6_put_lladdr_opt(p, ND_OPT_SLLA, dev) < 0) {
		pkt_free(p);
		return -ENOBUFS;
	}
	STAT_INC(st, nd6_tx_ns);
	return nd6_send(dev, p, src, dst);
}

int nd6_send_unsolicited_na(struct netdev *dev, const struct in6_addr *target)
{
	/* RFC 4861 7.2.6: S clear, O set (not an anycast address). */
	return nd6_send_na(dev, target, target, &in6_all_nodes,
			   ND_NA_FLAG_OVERRIDE | (ip6_forwarding(dev->st, dev) ? ND_NA_FLAG_ROUTER : 0));
}
