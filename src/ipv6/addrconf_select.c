/* Source address selection (RFC 6724 5): rules 1, 2, 3, 4, 5 and 8. */
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "link/netdev.h"

enum { SCOPE_LINK = 2, SCOPE_GLOBAL = 14 };

/* RFC 6724 3.1: unicast scopes as multicast scope values. */
static int addr_scope(const struct in6_addr *a)
{
	if (in6_is_multicast(a))
		return in6_mc_scope(a);
	if (in6_is_linklocal(a) || in6_is_loopback(a))
		return SCOPE_LINK;
	return SCOPE_GLOBAL;
}

static unsigned common_prefix(const struct in6_addr *a, const struct in6_addr *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++) {
		uint8_t x = a->s6_addr[i] ^ b->s6_addr[i];

		if (x == 0) {
			n += 8;
			continue;
		}
		while (!(x & 0x80)) {
			n++;
			x <<= 1;
		}
		break;
	}
	return n;
}

struct cand {
	const struct inet6_ifaddr *ifa;
	int scope;
	bool deprecated, on_oif, home;
	unsigned cpl;
};

/* True if @a is better than @b for @dst (RFC 6724 5, rules in order). */
static bool better(const struct cand *a, const struct cand *b, const struct in6_addr *dst,
		   int dscope)
{
	if (in6_equal(&a->ifa->addr, dst) != in6_equal(&b->ifa->addr, dst))
		return in6_equal(&a->ifa->addr, dst);
	if (a->scope != b->scope) {
		if (a->scope < b->scope)
			return a->scope >= dscope;
		return b->scope < dscope;
	}
	if (a->deprecated != b->deprecated)
		return !a->deprecated;
	/* Rule 4: prefer home addresses (RFC 6275 11 keeps applications on the HoA). */
	if (a->home != b->home)
		return a->home;
	if (a->on_oif != b->on_oif)
		return a->on_oif;
	return a->cpl > b->cpl;
}

static void consider(struct netdev *dev, const struct in6_addr *dst, struct netdev *oif,
		     int dscope, struct cand *best)
{
	struct dlist *pos, *tmp;

	if (!dev->in6)
		return;
	dlist_for_each_safe(pos, tmp, &dev->in6->addrs) {
		const struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);
		struct cand c = { .ifa = ifa, .scope = addr_scope(&ifa->addr), .on_oif = dev == oif };

		if (!addrconf_ifa_usable(ifa))
			continue;
		/* A link-local source is meaningless off its own link. */
		if (c.scope <= SCOPE_LINK && oif && dev != oif)
			continue;
		/* RFC 4429 3.1: an Optimistic Address is treated as deprecated here. */
		c.deprecated = ifa->flags & (IFA_F_DEPRECATED | IFA_F_OPTIMISTIC);
		c.home = ifa->flags & IFA_F_HOMEADDRESS;
		c.cpl = MIN(common_prefix(&ifa->addr, dst), ifa->plen);
		if (!best->ifa || better(&c, best, dst, dscope))
			*best = c;
	}
}

int addrconf_select_source(struct stack *st, const struct in6_addr *dst, struct netdev *oif,
			   struct in6_addr *out)
{
	int dscope = addr_scope(dst);
	struct cand best = { 0 };
	struct dlist *pos, *tmp;

	if (oif && dscope <= SCOPE_LINK) {
		/* Link-scoped destinations are only reachable through @oif. */
		consider(oif, dst, oif, dscope, &best);
	} else {
		dlist_for_each_safe(pos, tmp, &st->netdevs)
			consider(dlist_entry(pos, struct netdev, node), dst, oif, dscope, &best);
	}
	if (!best.ifa)
		return -EADDRNOTAVAIL;
	*out = best.ifa->addr;
	return 0;
}
