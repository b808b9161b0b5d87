/*
 * Duplicate Address Detection (RFC 4862 5.4), stateless autoconfiguration
 * from RA prefixes (5.5.3), address lifetimes (5.5.4), and what link up and
 * down do to an interface's addresses.
 */
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/addrconf_priv.h"
#include "ipv6/mld6.h"
#include "ipv6/nd6_priv.h"
#include "link/netdev.h"

#define TWO_HOURS_S 7200u

void addrconf_dad_start(struct inet6_ifaddr *ifa)
{
	struct netdev *dev = ifa->idev->dev;
	struct stack *st = dev->st;

	stack_timer_cancel(st, &ifa->timer);
	ifa->flags &= ~(uint32_t)IFA_F_DADFAILED;
	if ((ifa->flags & IFA_F_NODAD) || ifa->idev->conf.dad_transmits <= 0) {
		ifa->flags &= ~(uint32_t)(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC);
		return;
	}
	ifa->flags |= IFA_F_TENTATIVE;
	/*
	 * RFC 4429 3.1: with optimistic_dad, an autoconfigured address (low
	 * collision probability) is used while DAD runs, under the ND limits of
	 * RFC 4429 3.3 (never an NS source, NAs without Override).
	 */
	if ((ifa->flags & IFA_F_AUTOCONF) && ifa->idev->conf.optimistic_dad)
		ifa->flags |= IFA_F_OPTIMISTIC;
	ifa->dad_probes_left = ifa->idev->conf.dad_transmits;
	/* RFC 4862 5.4.2: a random delay in [0, MAX_RTR_SOLICITATION_DELAY] before the first probe. */
	stack_timer_in(st, &ifa->timer,
		       rng_below(&st->rng, ND6_MAX_RTR_SOLICITATION_DELAY_MS) * NS_PER_MS);
}

static void dad_complete(struct inet6_ifaddr *ifa)
{
	struct netdev *dev = ifa->idev->dev;
	char buf[INET6_ADDRSTRLEN];

	ifa->flags &= ~(uint32_t)(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC);
	STAT_INC(dev->st, addrconf_dad_ok);
	log_info(dev->st, "%s: %s: DAD complete", dev->name, in6_ntop(&ifa->addr, buf));
	/* RFC 4862 5.4.1 allows announcing the new address at once. */
	nd6_send_unsolicited_na(dev, &ifa->addr);
}

void addrconf_dad_timer(struct stack *st, struct timer *t)
{
	struct inet6_ifaddr *ifa = container_of(t, struct inet6_ifaddr, timer);
	struct netdev *dev = ifa->idev->dev;

	if (!(ifa->flags & IFA_F_TENTATIVE) || !dev->up)
		return;
	if (ifa->dad_probes_left <= 0) {
		dad_complete(ifa);
		return;
	}
	ifa->dad_probes_left--;
	STAT_INC(st, addrconf_dad_probe);
	nd6_send_ns(dev, &ifa->addr, NULL, NULL);
	/* RFC 4862 5.4.2: probes RetransTimer apart; success RetransTimer after the last. */
	stack_timer_in(st, &ifa->timer, (uint64_t)ifa->idev->retrans_ms * NS_PER_MS);
}

void addrconf_dad_conflict(struct netdev *dev, struct inet6_ifaddr *ifa)
{
	char buf[INET6_ADDRSTRLEN];

	if (!(ifa->flags & IFA_F_TENTATIVE))
		return;
	stack_timer_cancel(dev->st, &ifa->timer);
	ifa->flags = (ifa->flags & ~(uint32_t)(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)) | IFA_F_DADFAILED;
	STAT_INC(dev->st, addrconf_dad_failed);
	/* RFC 4862 5.4.5: the address is not used; an operator has to act. */
	log_warn(dev->st, "%s: %s: duplicate address detected", dev->name,
		 in6_ntop(&ifa->addr, buf));
}

void addrconf_lifetime_arm(struct inet6_ifaddr *ifa)
{
	struct stack *st = ifa->idev->dev->st;
	uint64_t when = ifa->valid_until;

	if (!(ifa->flags & IFA_F_DEPRECATED) && ifa->preferred_until < when)
		when = ifa->preferred_until;
	if (when == LIFETIME_INFINITE)
		stack_timer_cancel(st, &ifa->lft_timer);
	else
		timer_arm(&st->timers, &ifa->lft_timer, when);
}

/* RFC 4862 5.5.4: preferred expiry deprecates, valid expiry removes. */
void addrconf_lifetime_timer(struct stack *st, struct timer *t)
{
	struct inet6_ifaddr *ifa = container_of(t, struct inet6_ifaddr, lft_timer);
	struct netdev *dev = ifa->idev->dev;
	char buf[INET6_ADDRSTRLEN];

	if (st->now >= ifa->valid_until) {
		STAT_INC(st, addrconf_expired);
		log_info(st, "%s: %s: valid lifetime expired", dev->name, in6_ntop(&ifa->addr, buf));
		addrconf_del(dev, &ifa->addr, ifa->plen);
		return;
	}
	if (st->now >= ifa->preferred_until)
		ifa->flags |= IFA_F_DEPRECATED;
	addrconf_lifetime_arm(ifa);
}

static void form_eui64(struct netdev *dev, const struct in6_addr *prefix, struct in6_addr *out)
{
	*out = *prefix;
	in6_eui64(out->s6_addr + 8, dev->mac);
}

static unsigned autoconf_count(struct inet6_dev *idev)
{
	struct dlist *pos, *tmp;
	unsigned n = 0;

	dlist_for_each_safe(pos, tmp, &idev->addrs)
		n += (dlist_entry(pos, struct inet6_ifaddr, node)->flags & IFA_F_AUTOCONF) != 0;
	return n;
}

/* RFC 4862 5.5.3 e): the two-hour rule protects against a spoofed short lifetime. */
static uint32_t valid_update(const struct stack *st, const struct inet6_ifaddr *ifa, uint32_t valid_s)
{
	uint64_t remaining;

	if (ifa->valid_until == LIFETIME_INFINITE)
		remaining = UINT32_MAX;
	else
		remaining = ifa->valid_until > st->now ? (ifa->valid_until - st->now) / NS_PER_SEC : 0;
	if (valid_s > TWO_HOURS_S || valid_s > remaining)
		return valid_s;
	if (remaining <= TWO_HOURS_S)
		return (uint32_t)remaining;
	return TWO_HOURS_S;
}

void addrconf_prefix_rcv(struct netdev *dev, const struct in6_addr *prefix, unsigned plen,
			 uint32_t valid_s, uint32_t preferred_s)
{
	struct stack *st = dev->st;
	struct inet6_ifaddr *ifa;
	struct in6_addr addr;

	if (!dev->in6 || !dev->in6->conf.autoconf) {
		STAT_INC(st, addrconf_prefix_ignored);
		return;
	}
	/* RFC 4862 5.5.3 b), c); d): our interface identifiers are 64 bits. */
	if (in6_is_linklocal(prefix) || preferred_s > valid_s || plen != 64) {
		STAT_INC(st, addrconf_prefix_bad);
		return;
	}
	form_eui64(dev, prefix, &addr);
	ifa = addrconf_lookup_dev(dev, &addr);
	if (ifa) {
		if (!(ifa->flags & IFA_F_AUTOCONF))
			return;
		valid_s = valid_update(st, ifa, valid_s);
		addrconf_set_lifetimes(ifa, valid_s, MIN(preferred_s, valid_s));
		return;
	}
	if (valid_s == 0)
		return;
	if (autoconf_count(dev->in6) >= ADDRCONF_MAX_AUTOCONF) {
		STAT_INC(st, addrconf_too_many);
		return;
	}
	if (addrconf_add(dev, &addr, plen, IFA_F_AUTOCONF, valid_s, preferred_s) == 0)
		STAT_INC(st, addrconf_slaac);
}

void addrconf_link_up(struct netdev *dev)
{
	struct inet6_dev *idev = dev->in6;
	static const struct in6_addr ll_prefix = { .s6_addr = { 0xfe, 0x80 } };
	struct in6_addr ll;
	struct dlist *pos, *tmp;

	if (!idev)
		return;
	mld6_join(dev, &in6_all_nodes);
	mld6_link_up(dev);
	form_eui64(dev, &ll_prefix, &ll);
	if (!addrconf_lookup_dev(dev, &ll))
		addrconf_add(dev, &ll, 64, 0, UINT32_MAX, UINT32_MAX);
	/* Addresses configured while the link was down are probed now. */
	dlist_for_each_safe(pos, tmp, &idev->addrs) {
		struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		if ((ifa->flags & IFA_F_TENTATIVE) && !timer_pending(&ifa->timer))
			addrconf_dad_start(ifa);
	}
	if (!ip6_forwarding(dev->st, dev))
		nd6_rs_start(dev);
}

void addrconf_link_down(struct netdev *dev)
{
	struct inet6_dev *idev = dev->in6;
	struct dlist *pos, *tmp;

	if (!idev)
		return;
	nd6_rs_stop(dev);
	dlist_for_each_safe(pos, tmp, &idev->addrs) {
		struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		/* Learned addresses go; configured ones are probed again at the next up. */
		if ((ifa->flags & IFA_F_AUTOCONF) || in6_is_linklocal(&ifa->addr)) {
			addrconf_del(dev, &ifa->addr, ifa->plen);
			continue;
		}
		stack_timer_cancel(dev->st, &ifa->timer);
		if (!(ifa->flags & IFA_F_NODAD) && idev->conf.dad_transmits > 0)
			ifa->flags = (ifa->flags & ~(uint32_t)IFA_F_DADFAILED) | IFA_F_TENTATIVE;
	}
	nd6_flush_dev(dev->st, dev);
	mld6_link_down(dev);
	mld6_leave(dev, &in6_all_nodes);
	idev->mtu6 = 0;
	idev->cur_hlim = 0;
	memset(idev->rdnss, 0, sizeof(idev->rdnss));
	memset(idev->rdnss_until, 0, sizeof(idev->rdnss_until));
}
