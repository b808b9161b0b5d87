/* Socket addresses from and to the user, and which interface a local address binds to. */
#include "l4/sock.h"
#include "proto/ip4.h"
#include "ipv4/inet4.h"
#include "ipv6/addrconf.h"
#include "link/netdev.h"

/* A sockaddr_in as the IPv4-mapped sockaddr_in6 the socket layer works with. */
static int sockaddr_get4(const struct sockaddr *sa, socklen_t len, struct sockaddr_in6 *out)
{
	struct sockaddr_in sin;

	if (len < sizeof(sin))
		return -EINVAL;
	memcpy(&sin, sa, sizeof(sin));
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = sin.sin_port;
	ip4_to_mapped(&out->sin6_addr, sin.sin_addr.s_addr);
	return 0;
}

int sockaddr_get(const struct usock *s, const struct sockaddr *sa, socklen_t len,
		 struct sockaddr_in6 *out)
{
	/* RFC 2133's sockaddr_in6 had no scope id (24 bytes); accept it as Linux does. */
	const socklen_t rfc2133_len = offsetof(struct sockaddr_in6, sin6_scope_id);

	if (!sa)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET)
		return sockaddr_get4(sa, len, out);
	if (sa->sa_family != AF_INET6 || s->family != AF_INET6)
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

void sockaddr_put(const struct usock *s, const struct in6_addr *a, uint16_t port, int scope,
		  struct sockaddr *out, socklen_t *len)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (s->family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = ip4_from_mapped(a);
		memcpy(out, &sin, MIN((size_t)*len, sizeof(sin)));
		*len = sizeof(sin);
		return;
	}
	sockaddr_make(&sin6, a, port, scope);
	memcpy(out, &sin6, MIN((size_t)*len, sizeof(sin6)));
	*len = sizeof(sin6);
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
	if (in6_is_v4mapped(a)) {
		uint32_t a4 = ip4_from_mapped(a);

		if (a4 == 0 || (mcast_ok && ip4_is_multicast(a4)) || inet4_lookup(st, a4))
			return 0;
		return -EADDRNOTAVAIL;
	}
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
