/*
 * The home agent on its home link (RFC 6275 10.3.1, 10.4.1): Duplicate
 * Address Detection for a first registration's home address, and proxy
 * Neighbor Discovery for registered home addresses, so that on-link
 * neighbours and the router send the mobile node's packets to the home
 * agent, which tunnels them. Hooked from nd6_input.c (mip6_ha_ns_input,
 * mip6_ha_na_input).
 */
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "ipv6/nd6_priv.h"
#include "link/netdev.h"
#include "mip6/mip6_ha_priv.h"
#include "proto/ip6.h"

/* fe80::<interface identifier of the home address> (the L flag, 10.3.1). */
static void home_ll(const struct in6_addr *hoa, struct in6_addr *ll)
{
	memset(ll, 0, sizeof(*ll));
	ll->s6_addr[0] = 0xfe;
	ll->s6_addr[1] = 0x80;
	memcpy(ll->s6_addr + 8, hoa->s6_addr + 8, 8);
}

static bool bce_names(const struct ha_bce *b, const struct in6_addr *target)
{
	struct in6_addr ll;

	if (in6_equal(&b->hoa, target))
		return true;
	if (!b->ll)
		return false;
	home_ll(&b->hoa, &ll);
	return in6_equal(&ll, target);
}

/* The entry that @target belongs to on the home link @dev, or NULL. */
static struct ha_bce *bce_by_target(struct stack *st, struct netdev *dev,
				    const struct in6_addr *target)
{
	struct mip6_ha *ha = mip6_ha_of(st);
	struct dlist *pos;

	if (!ha || !dev || dev->ifindex != ha->ifindex)
		return NULL;
	for (pos = ha->bces.next; pos != &ha->bces; pos = pos->next) {
		struct ha_bce *b = dlist_entry(pos, struct ha_bce, node);

		if (bce_names(b, target))
			return b;
	}
	return NULL;
}

/* The solicited-node group of the home address also covers its link-local twin (same low 24 bits). */
static void bce_join(struct netdev *dev, struct ha_bce *b)
{
	struct in6_addr snm;

	if (b->joined)
		return;
	in6_solicited_node(&snm, &b->hoa);
	b->joined = mld6_join(dev, &snm) == 0;
}

int mip6_ha_dad_start(struct stack *st, struct netdev *dev, struct ha_bce *b)
{
	const struct ip6_conf *conf = ip6_conf_of(dev);
	uint64_t wait;
	struct in6_addr ll;

	if (!dev->in6 || conf->dad_transmits <= 0)
		return -EAGAIN;
	STAT_INC(st, mip6_ha_dad_start);
	bce_join(dev, b);
	/* RFC 4862 5.4.2: probes from :: to the solicited-node group; one per address. */
	nd6_send_ns(dev, &b->hoa, NULL, NULL);
	if (b->ll) {
		home_ll(&b->hoa, &ll);
		nd6_send_ns(dev, &ll, NULL, NULL);
	}
	wait = (uint64_t)conf->dad_transmits * dev->in6->retrans_ms * NS_PER_MS;
	stack_timer_in(st, &b->timer, wait);
	return 0;
}

/* 10.3.1: somebody owns or probes the home address: refuse with 134. */
static void dad_conflict(struct stack *st, struct ha_bce *b)
{
	struct mip6_ha *ha = mip6_ha_of(st);
	char h[INET6_ADDRSTRLEN];

	STAT_INC(st, mip6_ha_dad_failed);
	mip6_event(st, "HA: DAD failed for %s", in6_ntop(&b->hoa, h));
	mip6_ha_reply_bce(st, b, MH_BA_DAD_FAILED);
	mip6_ha_bce_free(st, ha, b);
}

/*
 * 10.4.1: a Neighbor Advertisement for @target with the home agent's
 * link-layer address, Router clear, Override set; from the link-local
 * address (the home agent's address on the link if it has none).
 */
static void proxy_na(struct stack *st, struct netdev *dev, const struct ha_bce *b,
		     const struct in6_addr *target, const struct in6_addr *to, bool solicited)
{
	const struct in6_addr *src = addrconf_linklocal(dev);

	if (nd6_send_na(dev, target, src ? src : &b->ha_addr, to,
			ND_NA_FLAG_OVERRIDE | (solicited ? ND_NA_FLAG_SOLICITED : 0)) == 0)
		STAT_INC(st, mip6_ha_proxy_na);
}

void mip6_ha_proxy_start(struct stack *st, struct mip6_ha *ha, struct ha_bce *b)
{
	struct netdev *dev = netdev_by_index(st, ha->ifindex);
	struct in6_addr ll;

	if (!dev)
		return;
	bce_join(dev, b);
	/* 10.4.1: all-nodes, Solicited clear, Override set, so caches point at us now. */
	proxy_na(st, dev, b, &b->hoa, &in6_all_nodes, false);
	if (b->ll) {
		home_ll(&b->hoa, &ll);
		proxy_na(st, dev, b, &ll, &in6_all_nodes, false);
	}
}

bool mip6_ha_proxies(struct stack *st, struct netdev *dev, const struct in6_addr *target)
{
	const struct ha_bce *b = bce_by_target(st, dev, target);

	return b && b->state == BCE_REGISTERED;
}

bool mip6_ha_ns_input(struct stack *st, struct netdev *dev, const struct in6_addr *target,
		      const struct in6_addr *src, const uint8_t *slla)
{
	struct ha_bce *b = bce_by_target(st, dev, target);
	bool dad = in6_is_unspec(src);

	if (!b)
		return false;
	if (b->state == BCE_DAD) {
		/* RFC 4862 5.4.3: another node probes for it too. */
		if (dad)
			dad_conflict(st, b);
		return true;
	}
	if (!dad && slla)
		nd6_neigh_from_slla(st, dev, src, slla, false);
	/* RFC 4861 7.2.4: a DAD probe is answered to all-nodes without S. */
	proxy_na(st, dev, b, target, dad ? &in6_all_nodes : src, !dad);
	return true;
}

void mip6_ha_na_input(struct stack *st, struct netdev *dev, const struct in6_addr *target)
{
	struct ha_bce *b = bce_by_target(st, dev, target);

	/* RFC 4862 5.4.4: an NA for the address under test means it is taken. */
	if (b && b->state == BCE_DAD)
		dad_conflict(st, b);
}
