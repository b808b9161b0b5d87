/*
 * usagi_setsockopt: the IPv6 socket options of RFC 3493 5 and RFC 3542, the
 * IPv4 ones Linux offers datagram sockets (IP_TTL, IP_TOS, IP_MTU_DISCOVER,
 * IP_MULTICAST_TTL), SO_RCVBUF and SO_BROADCAST; the stream socket options
 * (tcp_sock.c); usagi_getsockopt for the options that can be read back.
 */
#include "l4/sock.h"
#include "l4/tcp.h"
#include <netinet/tcp.h>
#include "proto/ip4.h"
#include "ipv4/ipv4.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "ipv6/mld6.h"
#include "ipv6/route6.h"
#include "link/netdev.h"
#include "ipv6/ipv6.h"

typedef int (*sockopt_fn)(struct usock *s, const void *val, socklen_t len);

static int opt_int(const void *val, socklen_t len, int *out)
{
	if (!val)
		return -EFAULT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/* Hop limits: -1 restores the default, else 0..255 (RFC 3493 5.1/5.2). */
static int opt_hops(const void *val, socklen_t len, int *field)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	if (v < -1 || v > 255)
		return -EINVAL;
	*field = v;
	return 0;
}

static int set_unicast_hops(struct usock *s, const void *val, socklen_t len)
{
	return opt_hops(val, len, &s->ucast_hops);
}

static int set_multicast_hops(struct usock *s, const void *val, socklen_t len)
{
	return opt_hops(val, len, &s->mcast_hops);
}

static int set_tclass(struct usock *s, const void *val, socklen_t len)
{
	int v = 0, rc = opt_hops(val, len, &v);

	if (rc < 0)
		return rc;
	/* RFC 3542 6.5: -1 means the kernel default, 0. */
	s->tclass = (uint8_t)(v < 0 ? 0 : v);
	return 0;
}

static int set_dontfrag(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	s->dontfrag = v != 0;
	return 0;
}

static int set_v6only(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	/* As in Linux: fixed once bound, the port may already cover IPv4. */
	if (s->bound)
		return -EINVAL;
	s->v6only = v != 0;
	return 0;
}

/* IP_TTL: 1..255, -1 restores the default (Linux refuses 0). */
static int set_ttl(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	if (v == 0 || v < -1 || v > 255)
		return -EINVAL;
	s->ucast_hops = v;
	return 0;
}

static int set_tos(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	s->tclass = (uint8_t)v;
	return 0;
}

/* IP_PMTUDISC_DO and _PROBE set DF and refuse to fragment; DONT and WANT may fragment. */
static int set_mtu_discover(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
		return -EINVAL;
	s->dontfrag = v == IP_PMTUDISC_DO || v == IP_PMTUDISC_PROBE;
	return 0;
}

static int set_broadcast(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	s->broadcast = v != 0;
	return 0;
}

static int set_multicast_if(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	if (v < 0)
		return -EINVAL;
	if (v && !netdev_by_index(s->st, v))
		return -ENODEV;
	s->mcast_if = v;
	return 0;
}

static int set_rcvbuf(struct usock *s, const void *val, socklen_t len)
{
	int v, rc = opt_int(val, len, &v);

	if (rc < 0)
		return rc;
	if (v < 0)
		return -EINVAL;
	s->rcvbuf = MIN(MAX((unsigned)v, SOCK_RCVBUF_MIN), SOCK_RCVBUF_MAX);
	return 0;
}

static struct netdev *first_up_dev(struct stack *st)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *dev = dlist_entry(pos, struct netdev, node);

		if (dev->up)
			return dev;
	}
	return NULL;
}

/* RFC 3493 5.2: interface 0 lets the system choose: the route's, else the first one up. */
static struct netdev *group_dev(struct stack *st, const struct in6_addr *g, int ifindex)
{
	const struct route6 *r;

	if (ifindex)
		return netdev_by_index(st, ifindex);
	r = route6_lookup(st, g);
	return r && r->dev ? r->dev : first_up_dev(st);
}

static int find_group(const struct usock *s, const struct in6_addr *g, int ifindex)
{
	for (unsigned i = 0; i < s->ngroups; i++)
		if (s->groups[i].ifindex == ifindex && in6_equal(&s->groups[i].group, g))
			return (int)i;
	return -1;
}

static int get_mreq(struct usock *s, const void *val, socklen_t len, struct ipv6_mreq *m,
		    struct netdev **dev)
{
	if (!val)
		return -EFAULT;
	if (len < sizeof(*m))
		return -EINVAL;
	memcpy(m, val, sizeof(*m));
	if (!in6_is_multicast(&m->ipv6mr_multiaddr))
		return -EINVAL;
	*dev = group_dev(s->st, &m->ipv6mr_multiaddr, (int)m->ipv6mr_interface);
	return *dev ? 0 : -ENODEV;
}

static int join_group(struct usock *s, const void *val, socklen_t len)
{
	struct ipv6_mreq m;
	struct netdev *dev;
	int rc = get_mreq(s, val, len, &m, &dev);

	if (rc < 0)
		return rc;
	if (find_group(s, &m.ipv6mr_multiaddr, dev->ifindex) >= 0)
		return -EADDRINUSE;
	if (s->ngroups >= SOCK_MAX_GROUPS)
		return -ENOBUFS;
	rc = mld6_join(dev, &m.ipv6mr_multiaddr);
	if (rc < 0)
		return rc;
	s->groups[s->ngroups].group = m.ipv6mr_multiaddr;
	s->groups[s->ngroups].ifindex = dev->ifindex;
	s->ngroups++;
	return 0;
}

static int leave_group(struct usock *s, const void *val, socklen_t len)
{
	struct ipv6_mreq m;
	struct netdev *dev;
	int i, rc = get_mreq(s, val, len, &m, &dev);

	if (rc < 0)
		return rc;
	i = find_group(s, &m.ipv6mr_multiaddr, dev->ifindex);
	if (i < 0)
		return -EADDRNOTAVAIL;
	s->groups[i] = s->groups[--s->ngroups];
	return mld6_leave(dev, &m.ipv6mr_multiaddr);
}

void sock_leave_all(struct usock *s)
{
	for (unsigned i = 0; i < s->ngroups; i++) {
		struct netdev *dev = netdev_by_index(s->st, s->groups[i].ifindex);

		if (dev)
			mld6_leave(dev, &s->groups[i].group);
	}
	s->ngroups = 0;
}

static const struct {
	int level, name;
	sockopt_fn set;
} sockopts[] = {
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, set_unicast_hops },
	{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, set_multicast_hops },
	{ IPPROTO_IPV6, IPV6_MULTICAST_IF, set_multicast_if },
	{ IPPROTO_IPV6, IPV6_JOIN_GROUP, join_group },
	{ IPPROTO_IPV6, IPV6_LEAVE_GROUP, leave_group },
	{ IPPROTO_IPV6, IPV6_V6ONLY, set_v6only },
	{ IPPROTO_IPV6, IPV6_DONTFRAG, set_dontfrag },
	{ IPPROTO_IPV6, IPV6_TCLASS, set_tclass },
	{ IPPROTO_IP, IP_TTL, set_ttl },
	{ IPPROTO_IP, IP_MULTICAST_TTL, set_multicast_hops },
	{ IPPROTO_IP, IP_TOS, set_tos },
	{ IPPROTO_IP, IP_MTU_DISCOVER, set_mtu_discover },
	{ SOL_SOCKET, SO_RCVBUF, set_rcvbuf },
	{ SOL_SOCKET, SO_BROADCAST, set_broadcast },
	{ SOL_SOCKET, SO_SNDBUF, sock_opt_sndbuf },
	{ SOL_SOCKET, SO_KEEPALIVE, tcp_opt_keepalive },
	{ SOL_SOCKET, SO_REUSEADDR, sock_opt_reuseaddr },
	{ SOL_SOCKET, SO_LINGER, sock_opt_linger },
	{ IPPROTO_TCP, TCP_NODELAY, tcp_opt_nodelay },
	{ IPPROTO_TCP, TCP_MAXSEG, tcp_opt_maxseg },
	{ IPPROTO_TCP, TCP_CONGESTION, tcp_opt_congestion },
};

int usagi_setsockopt(struct usock *s, int level, int name, const void *val, socklen_t len)
{
	/* As Linux: an AF_INET socket has no IPv6 options. */
	if (level == IPPROTO_IPV6 && s->family == AF_INET)
		return -ENOPROTOOPT;
	for (size_t i = 0; i < ARRAY_SIZE(sockopts); i++)
		if (sockopts[i].level == level && sockopts[i].name == name)
			return sockopts[i].set(s, val, len);
	return -ENOPROTOOPT;
}

static const struct {
	int level, name;
	int (*get)(struct usock *s, void *val, socklen_t *len);
} sockopts_get[] = {
	{ SOL_SOCKET, SO_REUSEADDR, sock_get_reuseaddr },
	{ SOL_SOCKET, SO_LINGER, sock_get_linger },
};

int usagi_getsockopt(struct usock *s, int level, int name, void *val, socklen_t *len)
{
	if (!val || !len)
		return -EFAULT;
	for (size_t i = 0; i < ARRAY_SIZE(sockopts_get); i++)
		if (sockopts_get[i].level == level && sockopts_get[i].name == name)
			return sockopts_get[i].get(s, val, len);
	return -ENOPROTOOPT;
}

int sock_tx_setup(struct usock *s, struct ip6_tx *tx, const struct sockaddr_in6 *dst)
{
	const struct in6_addr *a = &dst->sin6_addr;
	int oif = sockaddr_needs_scope(a) ? (int)dst->sin6_scope_id : 0;

	if (in6_is_multicast(a)) {
		tx->hop_limit = s->mcast_hops;
		if (!oif)
			oif = s->mcast_if ? s->mcast_if : s->bound_if;
		if (!oif) {
			struct netdev *dev = group_dev(s->st, a, 0);

			oif = dev ? dev->ifindex : 0;
		}
	} else {
		tx->hop_limit = s->ucast_hops;
		if (!oif)
			oif = s->bound_if;
	}
	/* RFC 4007 6: a zoned destination needs its zone. */
	if (!oif && sockaddr_needs_scope(a))
		return -EINVAL;
	if (oif) {
		tx->oif = netdev_by_index(s->st, oif);
		if (!tx->oif)
			return -ENODEV;
	}
	tx->tclass = s->tclass;
	tx->dontfrag = s->dontfrag;
	return 0;
}

int sock_tx4_setup(struct usock *s, struct ip4_tx *tx)
{
	struct stack *st = s->st;
	uint32_t a = tx->dst;
	bool mcast = ip4_is_multicast(a);
	int oif = mcast && s->mcast_if ? s->mcast_if : s->bound_if;
	struct netdev *dev = NULL, *out;

	tx->ttl = mcast ? s->mcast_hops : s->ucast_hops;
	if (oif && !(tx->oif = netdev_by_index(st, oif)))
		return -ENODEV;
	if (!tx->oif) {
		const struct route4 *r = route4_lookup(st, a);

		dev = r ? r->dev : NULL;
	}
	out = tx->oif ? tx->oif : dev;
	/* BSD and Linux: sending to a broadcast address needs SO_BROADCAST. */
	if (ip4_is_limited_bcast(a) || (out && inet4_is_broadcast(out, a))) {
		if (!s->broadcast)
			return -EACCES;
		mcast = true;
	}
	/* ip4_output needs the interface of a limited broadcast or a group. */
	if (mcast && !tx->oif && !(tx->oif = dev ? dev : first_up_dev(st)))
		return -ENETUNREACH;
	tx->tos = s->tclass;
	tx->df = s->dontfrag;
	return 0;
}
