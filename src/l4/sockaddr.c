/* Socket addresses from and to the user, and which interface a local address binds to. */
#include "l4/sock.h"
#include "ipv6/addrconf.h"
#include "link/netdev.h"

int sockaddr_get(const struct sockaddr *sa, socklen_t len, struct sockaddr_in6 *out)
{
	/* RFC 2133's sockaddr_in6 had no scope id (24 bytes); accept it as Linux does. */
	const socklen_t rfc2133_len = offsetof(struct sockaddr_in6, sin6_scope_id);

	if (!sa)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < rfc2133_len)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out, sa, MIN((size_t)len, sizeof(*out)));
	return 0;
}

void sockaddr_make(struct sockaddr_in6 *out, const struct in6_addr *a, uint16_t port, int scope)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = htons(port);
	out->sin6_addr = *a;
	out->sin6_scope_id = (uint32_t)scope;
}

bool sockaddr_needs_scope(const struct in6_addr *a)
{
	/* RFC 4007 6: link-local unicast and interface/link-local multicast are zoned. */
	return in6_is_linklocal(a) || (in6_is_multicast(a) && in6_mc_scope(a) <= 2);
}

/* True if @dev carries the address @a. */
static bool dev_has_addr(struct netdev *dev, const struct in6_addr *a)
{
	struct dlist *pos, *tmp;

	if (!dev->in6)
		return false;
	dlist_for_each_safe(pos, tmp, &dev->in6->addrs) {
		struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		if (in6_equal(&ifa->addr, a))
			return true;
	}
	return false;
}

int sockaddr_local_ifindex(struct stack *st, const struct sockaddr_in6 *sin, bool mcast_ok,
			   int *ifindex)
{
	const struct in6_addr *a = &sin->sin6_addr;
	int scope = (int)sin->sin6_scope_id;
	struct inet6_ifaddr *ifa;

	*ifindex = 0;
	if (in6_is_unspec(a))
		return 0;
	if (scope && sockaddr_needs_scope(a) && !netdev_by_index(st, scope))
		return -ENODEV;
	if (in6_is_multicast(a)) {
		if (!mcast_ok)
			return -EADDRNOTAVAIL;
		*ifindex = sockaddr_needs_scope(a) ? scope : 0;
		return 0;
	}
	ifa = addrconf_lookup(st, a);
	if (!ifa)
		return -EADDRNOTAVAIL;
	if (!in6_is_linklocal(a))
		return 0;
	/* A link-local address binds its interface: the scope id's, else the one holding it. */
	if (!scope) {
		*ifindex = ifa->idev && ifa->idev->dev ? ifa->idev->dev->ifindex : 0;
		return 0;
	}
	if (!dev_has_addr(netdev_by_index(st, scope), a))
		return -EADDRNOTAVAIL;
	*ifindex = scope;
	return 0;
}
