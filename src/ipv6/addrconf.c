/*
 * Interface addresses: per-interface IPv6 state, adding and removing
 * addresses with their on-link prefix route and solicited-node group, the
 * per-stack keyed hash that makes "is this ours?" constant time, and source
 * address selection (RFC 6724). DAD, SLAAC and link events: addrconf_dad.c.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/addrconf_priv.h"
#include "ipv6/mld6.h"
#include "ipv6/nd6_priv.h"
#include "link/netdev.h"

#define ADDR_HASH_BITS 8
#define ADDR_FILTER_BITS 8

/*
 * Besides the keyed hash, a counting filter answers "certainly not ours"
 * with one load and a multiply: a router asks about every destination it
 * forwards, and nearly all are someone else's. It has no false negatives
 * (a count per slot, kept with the chains); a sender who finds a busy slot
 * only gets the keyed-hash lookup that every packet had before.
 */
struct addrconf_index {
	struct inet6_ifaddr *buckets[1 << ADDR_HASH_BITS];
	unsigned filter[1 << ADDR_FILTER_BITS];
	unsigned count;
};

int addrconf_index_init(struct stack *st)
{
	st->nd6.addrs = calloc(1, sizeof(*st->nd6.addrs));
	return st->nd6.addrs ? 0 : -ENOMEM;
}

void addrconf_index_fini(struct stack *st)
{
	free(st->nd6.addrs);
	st->nd6.addrs = NULL;
}

static struct inet6_ifaddr **bucket(struct stack *st, const struct in6_addr *a)
{
	uint64_t h = siphash13(&st->hkey, a, sizeof(*a));

	return &st->nd6.addrs->buckets[h & ((1u << ADDR_HASH_BITS) - 1)];
}

/* Top bits of a multiply by an odd key word: every address bit reaches them. */
static unsigned *filter_slot(struct stack *st, const struct in6_addr *a)
{
	uint64_t w[2];

	memcpy(w, a, sizeof(w));
	return &st->nd6.addrs->filter[((w[0] ^ w[1]) * (st->hkey.k1 | 1)) >> (64 - ADDR_FILTER_BITS)];
}

struct inet6_ifaddr *addrconf_lookup(struct stack *st, const struct in6_addr *a)
{
	struct inet6_ifaddr *ifa;

	if (!st->nd6.addrs || !*filter_slot(st, a))
		return NULL;
	for (ifa = *bucket(st, a); ifa; ifa = ifa->hnext)
		if (in6_equal(&ifa->addr, a))
			return ifa;
	return NULL;
}

struct inet6_ifaddr *addrconf_lookup_dev(struct netdev *dev, const struct in6_addr *a)
{
	struct inet6_ifaddr *ifa;

	if (!*filter_slot(dev->st, a))
		return NULL;
	for (ifa = *bucket(dev->st, a); ifa; ifa = ifa->hnext)
		if (ifa->idev->dev == dev && in6_equal(&ifa->addr, a))
			return ifa;
	return NULL;
}

bool addrconf_is_local(struct stack *st, const struct in6_addr *a)
{
	const struct inet6_ifaddr *ifa = addrconf_lookup(st, a);

	return ifa && addrconf_ifa_usable(ifa);
}

int addrconf_dev_init(struct netdev *dev)
{
	struct stack *st = dev->st;
	struct inet6_dev *idev = calloc(1, sizeof(*idev));

	if (!idev)
		return -ENOMEM;
	idev->dev = dev;
	idev->conf = st->ip6.dflt;
	dlist_init(&idev->addrs);
	idev->base_reachable_ms = 30000;
	idev->reachable_ms = nd6_random_reachable(st, idev->base_reachable_ms);
	idev->retrans_ms = 1000;
	timer_init(&idev->rs_timer, NULL);
	dev->in6 = idev;
	return 0;
}

void addrconf_dev_fini(struct netdev *dev)
{
	struct inet6_dev *idev = dev->in6;
	struct dlist *pos, *tmp;

	if (!idev)
		return;
	nd6_rs_stop(dev);
	nd6_ra_dev_fini(dev);
	dlist_for_each_safe(pos, tmp, &idev->addrs) {
		struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		addrconf_del(dev, &ifa->addr, ifa->plen);
	}
	free(idev);
	dev->in6 = NULL;
}

static uint64_t lifetime_to_ns(const struct stack *st, uint32_t s)
{
	return s == UINT32_MAX ? LIFETIME_INFINITE : st->now + (uint64_t)s * NS_PER_SEC;
}

void addrconf_set_lifetimes(struct inet6_ifaddr *ifa, uint32_t valid_s, uint32_t preferred_s)
{
	struct stack *st = ifa->idev->dev->st;

	ifa->valid_until = lifetime_to_ns(st, valid_s);
	ifa->preferred_until = lifetime_to_ns(st, preferred_s);
	if (preferred_s == 0)
		ifa->flags |= IFA_F_DEPRECATED;
	else
		ifa->flags &= ~(uint32_t)IFA_F_DEPRECATED;
	addrconf_lifetime_arm(ifa);
}

static void prefix_route_add(struct netdev *dev, const struct in6_addr *addr, unsigned plen)
{
	struct route6 r = { .dst = *addr, .plen = (uint8_t)plen, .dev = dev, .metric = 256,
			    .proto = RT6_PROTO_KERNEL };
	int rc;

	in6_prefix_mask(&r.dst, plen);
	rc = route6_add(dev->st, &r);
	if (rc < 0 && rc != -EEXIST)
		STAT_INC(dev->st, addrconf_route_fail);
}

int addrconf_add(struct netdev *dev, const struct in6_addr *addr, unsigned plen,
		 uint32_t flags, uint32_t valid_s, uint32_t preferred_s)
{
	struct stack *st = dev->st;
	struct inet6_ifaddr *ifa, **b;
	struct in6_addr snm;

	if (!dev->in6 || plen > 128 || in6_is_multicast(addr) || in6_is_unspec(addr) ||
	    preferred_s > valid_s)
		return -EINVAL;
	if (addrconf_lookup_dev(dev, addr))
		return -EEXIST;
	ifa = calloc(1, sizeof(*ifa));
	if (!ifa)
		return -ENOMEM;
	ifa->idev = dev->in6;
	ifa->addr = *addr;
	ifa->plen = (uint8_t)plen;
	ifa->flags = (flags & ~(uint32_t)(IFA_F_DADFAILED | IFA_F_DEPRECATED)) | IFA_F_TENTATIVE;
	timer_init(&ifa->timer, addrconf_dad_timer);
	timer_init(&ifa->lft_timer, addrconf_lifetime_timer);
	dlist_add_tail(&dev->in6->addrs, &ifa->node);
	b = bucket(st, addr);
	ifa->hnext = *b;
	*b = ifa;
	st->nd6.addrs->count++;
	++*filter_slot(st, addr);
	/* RFC 4862 5.4.2: join the solicited-node group before probing. */
	in6_solicited_node(&snm, addr);
	mld6_join(dev, &snm);
	if (plen < 128)
		prefix_route_add(dev, addr, plen);
	addrconf_set_lifetimes(ifa, valid_s, preferred_s);
	if (dev->up)
		addrconf_dad_start(ifa);
	return 0;
}

static bool prefix_in_use(struct inet6_dev *idev, const struct in6_addr *addr, unsigned plen)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &idev->addrs) {
		struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		if (ifa->plen == plen && in6_prefix_match(&ifa->addr, addr, plen))
			return true;
	}
	return false;
}

static void index_unlink(struct stack *st, struct inet6_ifaddr *ifa)
{
	struct inet6_ifaddr **pp = bucket(st, &ifa->addr);

	while (*pp && *pp != ifa)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = ifa->hnext;
		st->nd6.addrs->count--;
		--*filter_slot(st, &ifa->addr);
	}
}

int addrconf_del(struct netdev *dev, const struct in6_addr *addr, unsigned plen)
{
	struct stack *st = dev->st;
	struct inet6_ifaddr *ifa = dev->in6 ? addrconf_lookup_dev(dev, addr) : NULL;
	struct in6_addr snm, pfx;

	if (!ifa || (plen != 128 && ifa->plen != plen))
		return -EADDRNOTAVAIL;
	plen = ifa->plen;
	stack_timer_cancel(st, &ifa->timer);
	stack_timer_cancel(st, &ifa->lft_timer);
	index_unlink(st, ifa);
	dlist_del(&ifa->node);
	in6_solicited_node(&snm, addr);
	mld6_leave(dev, &snm);
	if (plen < 128 && !prefix_in_use(dev->in6, addr, plen)) {
		pfx = *addr;
		in6_prefix_mask(&pfx, plen);
		route6_del(st, &pfx, plen, NULL, dev);
	}
	free(ifa);
	return 0;
}

const struct in6_addr *addrconf_linklocal(struct netdev *dev)
{
	struct dlist *pos, *tmp;

	if (!dev || !dev->in6)
		return NULL;
	dlist_for_each_safe(pos, tmp, &dev->in6->addrs) {
		struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		if (in6_is_linklocal(&ifa->addr) &&
		    !(ifa->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
			return &ifa->addr;
	}
	return NULL;
}

void addrconf_foreach(struct netdev *dev, void (*fn)(void *ctx, const struct inet6_ifaddr *ifa),
		      void *ctx)
{
	struct dlist *pos, *tmp;

	if (!dev->in6)
		return;
	dlist_for_each_safe(pos, tmp, &dev->in6->addrs)
		fn(ctx, dlist_entry(pos, struct inet6_ifaddr, node));
}
