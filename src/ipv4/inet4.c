/*
 * IPv4 interface addresses: per-interface lists, the per-stack keyed index
 * that answers "is this ours?" on the packet path, the connected route of
 * each subnet, source selection, and address conflict detection with ARP
 * probes and announcements (RFC 5227).
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv4/arp.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip4.h"

/* RFC 5227 1.1: protocol constants (ms). */
#define PROBE_WAIT_MS 1000
#define PROBE_NUM 3
#define PROBE_MIN_MS 1000
#define PROBE_MAX_MS 2000
#define ANNOUNCE_WAIT_MS 2000
#define ANNOUNCE_NUM 2
#define ANNOUNCE_INTERVAL_MS 2000
#define DEFEND_INTERVAL_MS 10000

#define ADDR_HASH_BITS 8

struct inet4_index {
	struct in4_ifaddr *buckets[1 << ADDR_HASH_BITS];
};

int inet4_index_init(struct stack *st)
{
	st->ip4.addrs = calloc(1, sizeof(*st->ip4.addrs));
	return st->ip4.addrs ? 0 : -ENOMEM;
}

void inet4_index_fini(struct stack *st)
{
	free(st->ip4.addrs);
	st->ip4.addrs = NULL;
}

/* Keyed: addresses on the wire must not be able to aim at one chain. */
static struct in4_ifaddr **bucket(struct stack *st, uint32_t a)
{
	uint64_t h = siphash13(&st->hkey, &a, sizeof(a));

	return &st->ip4.addrs->buckets[h & ((1u << ADDR_HASH_BITS) - 1)];
}

struct in4_ifaddr *inet4_lookup(struct stack *st, uint32_t addr)
{
	struct in4_ifaddr *ifa;

	if (!st->ip4.addrs)
		return NULL;
	for (ifa = *bucket(st, addr); ifa; ifa = ifa->hnext)
		if (ifa->addr == addr)
			return ifa;
	return NULL;
}

static bool usable(const struct in4_ifaddr *ifa)
{
	return !(ifa->flags & (IFA4_F_TENTATIVE | IFA4_F_CONFLICT));
}

bool inet4_is_local(struct stack *st, uint32_t addr)
{
	const struct in4_ifaddr *ifa = inet4_lookup(st, addr);

	return ifa && usable(ifa);
}

static void index_del(struct stack *st, struct in4_ifaddr *ifa)
{
	struct in4_ifaddr **pp = bucket(st, ifa->addr);

	while (*pp && *pp != ifa)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = ifa->hnext;
}

static struct in4_ifaddr *ifa_of(struct dlist *pos)
{
	return dlist_entry(pos, struct in4_ifaddr, node);
}

static struct in4_ifaddr *find_on(struct in4_dev *idev, uint32_t addr)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &idev->addrs)
		if (ifa_of(pos)->addr == addr)
			return ifa_of(pos);
	return NULL;
}

int inet4_dev_init(struct netdev *dev)
{
	struct in4_dev *idev = calloc(1, sizeof(*idev));

	if (!idev)
		return -ENOMEM;
	idev->dev = dev;
	idev->conf = dev->st->ip4.dflt;
	dlist_init(&idev->addrs);
	dev->in4 = idev;
	return 0;
}

void inet4_dev_fini(struct netdev *dev)
{
	struct in4_dev *idev = dev->in4;
	struct dlist *pos, *tmp;

	if (!idev)
		return;
	dlist_for_each_safe(pos, tmp, &idev->addrs)
		inet4_del(dev, ifa_of(pos)->addr, ifa_of(pos)->plen);
	free(idev);
	dev->in4 = NULL;
}

static uint64_t ms_between(struct stack *st, uint32_t lo_ms, uint32_t hi_ms)
{
	return (uint64_t)(lo_ms + rng_below(&st->rng, hi_ms - lo_ms + 1)) * NS_PER_MS;
}

/*
 * RFC 5227 2.1.1 and 2.3: PROBE_NUM probes PROBE_MIN..PROBE_MAX apart, then
 * ANNOUNCE_WAIT of silence makes the address ours, then ANNOUNCE_NUM
 * announcements ANNOUNCE_INTERVAL apart. A conflict stops the timer.
 */
static void acd_timer(struct stack *st, struct timer *t)
{
	struct in4_ifaddr *ifa = container_of(t, struct in4_ifaddr, timer);
	struct netdev *dev = ifa->idev->dev;

	if (ifa->flags & IFA4_F_TENTATIVE) {
		if (ifa->probes_left > 0) {
			ifa->probes_left--;
			STAT_INC(st, inet4_probe_sent);
			arp_send_request(dev, 0, ifa->addr, NULL);
			stack_timer_in(st, t, ifa->probes_left ?
				       ms_between(st, PROBE_MIN_MS, PROBE_MAX_MS) :
				       (uint64_t)ANNOUNCE_WAIT_MS * NS_PER_MS);
			return;
		}
		ifa->flags &= ~(uint32_t)IFA4_F_TENTATIVE;
		ifa->announces_left = ANNOUNCE_NUM;
	}
	if (ifa->announces_left > 0) {
		ifa->announces_left--;
		arp_announce(dev, ifa->addr);
		if (ifa->announces_left > 0)
			stack_timer_in(st, t, (uint64_t)ANNOUNCE_INTERVAL_MS * NS_PER_MS);
	}
}

/* Probes (or, nodad, announces at once); on a down link it waits for inet4_link_up. */
static void acd_start(struct in4_ifaddr *ifa)
{
	struct netdev *dev = ifa->idev->dev;
	struct stack *st = dev->st;

	stack_timer_cancel(st, &ifa->timer);
	ifa->flags &= ~(uint32_t)IFA4_F_CONFLICT;
	ifa->defended = false;
	if (ifa->flags & IFA4_F_NODAD) {
		ifa->announces_left = ANNOUNCE_NUM;
		if (dev->up)
			acd_timer(st, &ifa->timer);
		return;
	}
	ifa->flags |= IFA4_F_TENTATIVE;
	ifa->probes_left = PROBE_NUM;
	/* RFC 5227 2.1.1: a random 0..PROBE_WAIT first, so hosts powered up together spread out. */
	if (dev->up)
		stack_timer_in(st, &ifa->timer, ms_between(st, 0, PROBE_WAIT_MS));
}

static uint32_t subnet_of(const struct in4_ifaddr *ifa)
{
	return ifa->addr & ip4_mask(ifa->plen);
}

/* The connected route of @ifa's subnet, with @ifa as its preferred source. */
static int connected_add(struct in4_ifaddr *ifa)
{
	struct route4 r = {
		.dst = subnet_of(ifa), .plen = ifa->plen, .dev = ifa->idev->dev,
		.proto = RT4_PROTO_KERNEL, .prefsrc = ifa->addr,
	};

	if (ifa->plen == 32)
		return 0;
	return route4_add(ifa->idev->dev->st, &r);
}

/* Removes @ifa's connected route; another address of the same subnet takes it over. */
static void connected_del(struct in4_ifaddr *ifa)
{
	struct in4_dev *idev = ifa->idev;
	struct dlist *pos, *tmp;

	if (ifa->plen == 32)
		return;
	route4_del(idev->dev->st, subnet_of(ifa), ifa->plen, 0, idev->dev);
	dlist_for_each_safe(pos, tmp, &idev->addrs) {
		struct in4_ifaddr *o = ifa_of(pos);

		if (o != ifa && o->plen == ifa->plen && subnet_of(o) == subnet_of(ifa)) {
			connected_add(o);
			return;
		}
	}
}

static bool addr_valid(uint32_t addr, unsigned plen)
{
	if (plen > 32 || addr == 0 || ip4_is_multicast(addr) || ip4_is_limited_bcast(addr))
		return false;
	/* RFC 1122 3.2.1.3: no host part of all ones or all zeros (RFC 3021: /31 has none). */
	return plen > 30 || ((addr & ~ip4_mask(plen)) != 0 && (addr | ip4_mask(plen)) != 0xffffffffu);
}

int inet4_add(struct netdev *dev, uint32_t addr, unsigned plen, uint32_t flags)
{
	struct stack *st = dev->st;
	struct in4_dev *idev = dev->in4;
	struct in4_ifaddr *ifa, **b;
	int err;

	if (!idev || !addr_valid(addr, plen))
		return -EINVAL;
	if (find_on(idev, addr))
		return -EEXIST;
	ifa = calloc(1, sizeof(*ifa));
	if (!ifa) {
		STAT_INC(st, inet4_add_nomem);
		return -ENOMEM;
	}
	ifa->idev = idev;
	ifa->addr = addr;
	ifa->plen = (uint8_t)plen;
	/* RFC 919/922 directed broadcast; /31 and /32 have none (RFC 3021). */
	ifa->bcast = plen <= 30 ? addr | ~ip4_mask(plen) : 0;
	ifa->flags = flags & IFA4_F_NODAD;
	timer_init(&ifa->timer, acd_timer);
	err = connected_add(ifa);
	if (err < 0 && err != -EEXIST) {
		free(ifa);
		return err;
	}
	dlist_add_tail(&idev->addrs, &ifa->node);
	b = bucket(st, addr);
	ifa->hnext = *b;
	*b = ifa;
	acd_start(ifa);
	return 0;
}

int inet4_del(struct netdev *dev, uint32_t addr, unsigned plen)
{
	struct stack *st = dev->st;
	struct in4_ifaddr *ifa = dev->in4 ? find_on(dev->in4, addr) : NULL;

	if (!ifa || ifa->plen != plen)
		return -EADDRNOTAVAIL;
	stack_timer_cancel(st, &ifa->timer);
	index_del(st, ifa);
	connected_del(ifa);
	dlist_del(&ifa->node);
	free(ifa);
	return 0;
}

/* RFC 5227 2.1: a link that comes up may have moved; check the addresses again. */
void inet4_link_up(struct netdev *dev)
{
	struct dlist *pos, *tmp;

	if (!dev->in4)
		return;
	dlist_for_each_safe(pos, tmp, &dev->in4->addrs)
		acd_start(ifa_of(pos));
}

/* Addresses stay (they were configured by hand); probing stops until the link is back. */
void inet4_link_down(struct netdev *dev)
{
	struct dlist *pos, *tmp;

	if (!dev->in4)
		return;
	dlist_for_each_safe(pos, tmp, &dev->in4->addrs)
		stack_timer_cancel(dev->st, &ifa_of(pos)->timer);
}

bool inet4_is_broadcast(struct netdev *dev, uint32_t a)
{
	struct dlist *pos, *tmp;

	if (ip4_is_limited_bcast(a))
		return true;
	if (!dev || !dev->in4 || a == 0)
		return false;
	dlist_for_each_safe(pos, tmp, &dev->in4->addrs)
		if (ifa_of(pos)->bcast == a)
			return true;
	return false;
}

/* A usable address of @dev, in @dst's subnet if @same_subnet; 0 if none. */
static uint32_t source_on(struct netdev *dev, uint32_t dst, bool same_subnet)
{
	struct dlist *pos, *tmp;

	if (!dev->in4)
		return 0;
	dlist_for_each_safe(pos, tmp, &dev->in4->addrs) {
		const struct in4_ifaddr *ifa = ifa_of(pos);

		if (usable(ifa) && (!same_subnet || ((ifa->addr ^ dst) & ip4_mask(ifa->plen)) == 0))
			return ifa->addr;
	}
	return 0;
}

int inet4_select_source(struct stack *st, uint32_t dst, struct netdev *oif, uint32_t *out)
{
	struct dlist *pos, *tmp;
	uint32_t a = 0;

	if (oif)
		a = source_on(oif, dst, true);
	if (!a && oif)
		a = source_on(oif, dst, false);
	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		if (a)
			break;
		a = source_on(dlist_entry(pos, struct netdev, node), dst, false);
	}
	if (!a)
		return -EADDRNOTAVAIL;
	*out = a;
	return 0;
}

void inet4_conflict(struct netdev *dev, struct in4_ifaddr *ifa, const uint8_t sha[6])
{
	struct stack *st = dev->st;
	char abuf[INET_ADDRSTRLEN], mbuf[18];

	if (ifa->flags & IFA4_F_CONFLICT)
		return;
	if (ifa->flags & IFA4_F_TENTATIVE) {
		/* RFC 5227 2.1.1: someone has it or wants it too; never use it. */
		stack_timer_cancel(st, &ifa->timer);
		ifa->flags = (ifa->flags & ~(uint32_t)IFA4_F_TENTATIVE) | IFA4_F_CONFLICT;
		STAT_INC(st, inet4_dad_conflict);
	} else if (ifa->defended && st->now - ifa->last_defend < (uint64_t)DEFEND_INTERVAL_MS * NS_PER_MS) {
		/* RFC 5227 2.4 (b): one defence per DEFEND_INTERVAL; a manual address is kept. */
		STAT_INC(st, inet4_defend_limited);
		return;
	} else {
		ifa->defended = true;
		ifa->last_defend = st->now;
		STAT_INC(st, inet4_defend);
		arp_announce(dev, ifa->addr);
	}
	log_warn(st, "%s: %s: address conflict detected (ARP from %s)", dev->name,
		 ip4_ntop(ifa->addr, abuf), eth_ntoa(sha, mbuf));
}

void inet4_foreach(struct stack *st, struct netdev *dev,
		   void (*fn)(void *ctx, const struct in4_ifaddr *ifa), void *ctx)
{
	struct dlist *dpos, *dtmp, *pos, *tmp;

	dlist_for_each_safe(dpos, dtmp, &st->netdevs) {
		struct netdev *d = dlist_entry(dpos, struct netdev, node);

		if ((dev && d != dev) || !d->in4)
			continue;
		dlist_for_each_safe(pos, tmp, &d->in4->addrs)
			fn(ctx, ifa_of(pos));
	}
}
