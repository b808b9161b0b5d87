/*
 * The socket API (include/usagi/socket.h): creation, bind/connect, the
 * receive queue, send/receive, close, for AF_INET and AF_INET6 alike.
 * Protocol work lives in udp.c/udp4.c and ping6.c/ping4.c; options in sockopt.c.
 */
#include <stdlib.h>
#include "l4/sock.h"
#include "l4/tcp.h"
#include "core/csum.h"
#include "proto/ip6.h"
#include "proto/ip4.h"
#include "ipv4/ipv4.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "link/netdev.h"

int sock_init(struct stack *st)
{
	struct sock_state *sk = &st->sk;

	sk->udp = malloc(sizeof(*sk->udp));
	if (!sk->udp)
		return -ENOMEM;
	for (unsigned i = 0; i < SOCK_HASH_SIZE; i++)
		dlist_init(&sk->udp->b[i]);
	dlist_init(&sk->ping);
	dlist_init(&sk->all);
	dlist_init(&sk->streams);
	sk->next_ephemeral = 0;
	return tcp_init(st);
}

/* Closes every socket still open (their queued datagrams go with them). */
void sock_fini(struct stack *st)
{
	struct dlist *pos, *tmp;

	if (!st->sk.udp)
		return;
	service_stream_fini(st);
	if (st->sk.tcp)
		st->sk.tcp->stopping = true;   /* no FINs from a host going away */
	dlist_for_each_safe(pos, tmp, &st->sk.all)
		usagi_close(dlist_entry(pos, struct usock, all));
	tcp_fini(st);
	free(st->sk.udp);
	st->sk.udp = NULL;
}

/* The protocols of each domain: UDP, and the echo ("ping") sockets of Linux. */
static int sock_proto(int domain, int protocol)
{
	if (protocol == 0 || protocol == IPPROTO_UDP)
		return IPPROTO_UDP;
	if ((domain == AF_INET6 && protocol == IPPROTO_ICMPV6) ||
	    (domain == AF_INET && protocol == IPPROTO_ICMP))
		return protocol;
	return -EPROTONOSUPPORT;
}

struct usock *usagi_socket(struct stack *st, int domain, int type, int protocol)
{
	struct usock *s;

	if (domain != AF_INET6 && domain != AF_INET) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	if (type != SOCK_DGRAM && type != SOCK_STREAM) {
		errno = ESOCKTNOSUPPORT;
		return NULL;
	}
	if (type == SOCK_STREAM)
		protocol = protocol == 0 || protocol == IPPROTO_TCP ? IPPROTO_TCP : -EPROTONOSUPPORT;
	else
		protocol = sock_proto(domain, protocol);
	if (protocol < 0) {
		errno = -protocol;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->st = st;
	s->family = domain;
	s->proto = protocol;
	if (domain == AF_INET)
		ip4_to_mapped(&s->laddr, 0);
	s->rcvbuf = SOCK_RCVBUF_DEFAULT;
	s->ucast_hops = -1;
	s->mcast_hops = -1;
	dlist_init(&s->node);
	if (protocol == IPPROTO_TCP && tcp_sock_create(s) < 0) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	dlist_add_tail(&st->sk.all, &s->all);
	STAT_INC(st, sock_opened);
	return s;
}

void usagi_close(struct usock *s)
{
	struct stack *st;

	if (!s)
		return;
	st = s->st;
	sock_leave_all(s);
	if (s->proto == IPPROTO_TCP)
		tcp_sock_close(s);
	else if (s->bound) {
		if (s->proto == IPPROTO_UDP)
			udp_unhash(s);
		else
			ping_unhash(s);
	}
	pkt_free_chain(s->rxq_head);
	dlist_del(&s->all);
	STAT_INC(st, sock_closed);
	free(s);
}

/* Binds @s (not yet bound) to @addr/@port; port 0 picks one. */
static int sock_do_bind(struct usock *s, const struct in6_addr *addr, uint16_t port, int ifindex)
{
	if (s->proto == IPPROTO_UDP)
		return udp_bind_port(s, addr, port, ifindex);
	return ping_bind_id(s, addr, port, ifindex);
}

/* Implicit bind to the wildcard (:: or 0.0.0.0) and an ephemeral port before the first send. */
static int sock_autobind(struct usock *s)
{
	struct in6_addr any = IN6ADDR_ANY_INIT;

	if (s->bound)
		return 0;
	if (s->family == AF_INET)
		ip4_to_mapped(&any, 0);
	return sock_do_bind(s, &any, 0, 0);
}

/*
 * Whether @s may talk to @dst: IPv4 (mapped) peers need a socket that is
 * not V6ONLY nor bound to an IPv6 address; IPv6 peers a socket that is not
 * IPv4-only (RFC 3493 5.3). 0 or -ENETUNREACH.
 */
static int sock_dst_check(const struct usock *s, const struct in6_addr *dst)
{
	if (in6_is_v4mapped(dst)) {
		if (s->v6only || s->proto == IPPROTO_ICMPV6)
			return -ENETUNREACH;
		if (!in6_is_unspec(&s->laddr) && !in6_is_v4mapped(&s->laddr))
			return -ENETUNREACH;
		return 0;
	}
	return sock_v4only(s) ? -ENETUNREACH : 0;
}

int usagi_bind(struct usock *s, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in6 sin;
	int ifindex = 0;
	int rc;

	if (s->bound)
		return -EINVAL;
	rc = sockaddr_get(s, addr, len, &sin);
	if (rc < 0)
		return rc;
	/* Linux: a V6ONLY socket cannot bind an IPv4-mapped address. */
	if (s->v6only && in6_is_v4mapped(&sin.sin6_addr))
		return -EINVAL;
	if (s->proto == IPPROTO_ICMPV6 && in6_is_v4mapped(&sin.sin6_addr))
		return -EADDRNOTAVAIL;
	rc = sockaddr_local_ifindex(s->st, &sin, s->proto == IPPROTO_UDP, &ifindex);
	if (rc < 0)
		return rc;
	if (s->proto == IPPROTO_TCP)
		return tcp_sock_bind(s, &sin, ifindex);
	return sock_do_bind(s, &sin.sin6_addr, ntohs(sin.sin6_port), ifindex);
}

static void sock_disconnect(struct usock *s)
{
	s->connected = false;
	memset(&s->faddr, 0, sizeof(s->faddr));
	s->fport = 0;
	s->fscope = 0;
}

int usagi_connect(struct usock *s, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in6 sin;
	int rc;

	if (s->proto == IPPROTO_TCP) {
		rc = sockaddr_get(s, addr, len, &sin);
		return rc < 0 ? rc : tcp_sock_connect(s, &sin);
	}
	/* BSD/Linux: connecting to AF_UNSPEC dissolves the association. */
	if (addr && len >= sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC) {
		sock_disconnect(s);
		return 0;
	}
	rc = sockaddr_get(s, addr, len, &sin);
	if (rc < 0)
		return rc;
	rc = sock_dst_check(s, &sin.sin6_addr);
	if (rc < 0)
		return rc;
	if (s->proto == IPPROTO_UDP && sin.sin6_port == 0)
		return -EINVAL;
	rc = sock_autobind(s);
	if (rc < 0)
		return rc;
	s->faddr = sin.sin6_addr;
	s->fport = ntohs(sin.sin6_port);
	s->fscope = (int)sin.sin6_scope_id;
	s->connected = true;
	s->err = 0;
	return 0;
}

/* Returns and clears the pending error, 0 if none. */
static int sock_take_error(struct usock *s)
{
	int err = s->err;

	s->err = 0;
	return err;
}

ssize_t usagi_sendto(struct usock *s, const void *buf, size_t len, int flags,
		     const struct sockaddr *to, socklen_t tolen)
{
	struct sockaddr_in6 dst;
	struct pkt *p;
	int rc;

	if (s->proto == IPPROTO_TCP)
		return to ? -EISCONN : tcp_sock_send(s, buf, len, flags);
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CONFIRM))
		return -EOPNOTSUPP;
	rc = sock_take_error(s);
	if (rc < 0)
		return rc;
	if (to) {
		rc = sockaddr_get(s, to, tolen, &dst);
		if (rc < 0)
			return rc;
	} else if (s->connected) {
		sockaddr_make(&dst, &s->faddr, s->fport, s->fscope);
	} else {
		return -EDESTADDRREQ;
	}
	rc = sock_dst_check(s, &dst.sin6_addr);
	if (rc < 0)
		return rc;
	if (s->proto == IPPROTO_UDP && dst.sin6_port == 0)
		return -EINVAL;
	if (len > 0xffff - 8)
		return -EMSGSIZE;
	if (!buf && len)
		return -EFAULT;
	rc = sock_autobind(s);
	if (rc < 0)
		return rc;
	p = stack_pkt_alloc(s->st, len + 8);
	if (!p)
		return -ENOBUFS;
	if (s->proto == IPPROTO_UDP && !in6_is_v4mapped(&dst.sin6_addr)) {
		/* One pass over the data: copied in and summed for the checksum together. */
		uint32_t sum = len ? csum_partial_copy(pkt_put(p, len), buf, len, 0) : 0;

		rc = udp6_send_summed(s, p, &s->laddr, &dst, &sum);
		return rc < 0 ? rc : (ssize_t)len;
	}
	if (len)
		memcpy(pkt_put(p, len), buf, len);
	if (in6_is_v4mapped(&dst.sin6_addr))
		rc = s->proto == IPPROTO_UDP ? udp4_send(s, p, &s->laddr, &dst) : ping4_send(s, p, &dst);
	else
		rc = ping6_send(s, p, &dst);
	return rc < 0 ? rc : (ssize_t)len;
}

ssize_t usagi_recvmsg(struct usock *s, void *buf, size_t len, int flags,
		      struct sockaddr *from, socklen_t *fromlen, struct usagi_rxinfo *info)
{
	struct pkt *p = s->rxq_head;
	const struct sock_rxmeta *m;
	size_t n;
	int rc;

	if (s->proto == IPPROTO_TCP) {
		ssize_t got = tcp_sock_recv(s, buf, len, flags);

		if (got >= 0 && from && fromlen)
			usagi_getpeername(s, from, fromlen);
		if (info)
			memset(info, 0, sizeof(*info));
		return got;
	}
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC))
		return -EOPNOTSUPP;
	rc = sock_take_error(s);
	if (rc < 0)
		return rc;
	if (!p)
		return -EAGAIN;
	m = SOCK_RXMETA(p);
	n = MIN(len, (size_t)p->len);
	if (n)
		memcpy(buf, p->data, n);
	if (from && fromlen)
		sockaddr_put(s, &m->src, s->proto == IPPROTO_UDP ? m->sport : 0,
			     sockaddr_needs_scope(&m->src) ? m->ifindex : 0, from, fromlen);
	if (info) {
		info->dst = m->dst;
		info->ifindex = m->ifindex;
		info->hop_limit = m->hlim;
		info->tstamp = p->tstamp;
	}
	/* A datagram longer than @len is cut, its tail discarded (MSG_TRUNC reports the full size). */
	rc = (flags & MSG_TRUNC) ? (int)p->len : (int)n;
	if (!(flags & MSG_PEEK))
		pkt_free(sock_dequeue(s));
	return rc;
}

ssize_t usagi_recvfrom(struct usock *s, void *buf, size_t len, int flags,
		       struct sockaddr *from, socklen_t *fromlen)
{
	return usagi_recvmsg(s, buf, len, flags, from, fromlen, NULL);
}

ssize_t usagi_send(struct usock *s, const void *buf, size_t len, int flags)
{
	return usagi_sendto(s, buf, len, flags, NULL, 0);
}

ssize_t usagi_recv(struct usock *s, void *buf, size_t len, int flags)
{
	return usagi_recvmsg(s, buf, len, flags, NULL, NULL, NULL);
}

int usagi_getsockname(struct usock *s, struct sockaddr *addr, socklen_t *len)
{
	if (!addr || !len)
		return -EFAULT;
	sockaddr_put(s, &s->laddr, s->lport, sockaddr_needs_scope(&s->laddr) ? s->bound_if : 0,
		     addr, len);
	return 0;
}

void usagi_sock_set_callback(struct usock *s, usagi_sock_cb cb, void *ctx)
{
	s->cb = cb;
	s->cb_ctx = ctx;
}

unsigned usagi_sock_pending(const struct usock *s)
{
	return s->rxq_count;
}

static void sock_wake(struct usock *s)
{
	if (s->cb)
		s->cb(s, s->cb_ctx);
}

int sock_queue_rx(struct usock *s, struct pkt *p)
{
	struct stack *st = s->st;
	size_t limit = MAX(1u, s->rcvbuf / SOCK_DGRAM_UNIT);

	/* Like Linux, an empty queue takes one datagram whatever its size. */
	if (s->rxq_count >= limit || (s->rxq_count && s->rxq_bytes + p->len > s->rcvbuf)) {
		STAT_INC(st, sock_rcvq_full);
		pkt_free(p);
		return -ENOBUFS;
	}
	p->next = NULL;
	if (s->rxq_tail)
		s->rxq_tail->next = p;
	else
		s->rxq_head = p;
	s->rxq_tail = p;
	s->rxq_count++;
	s->rxq_bytes += p->len;
	sock_wake(s);
	return 0;
}

struct pkt *sock_dequeue(struct usock *s)
{
	struct pkt *p = s->rxq_head;

	if (!p)
		return NULL;
	s->rxq_head = p->next;
	if (!s->rxq_head)
		s->rxq_tail = NULL;
	p->next = NULL;
	s->rxq_count--;
	s->rxq_bytes -= p->len;
	return p;
}

void sock_set_error(struct usock *s, int err)
{
	s->err = err;
	sock_wake(s);
}

void sock_fill_rxmeta(struct pkt *p, uint16_t sport)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)pkt_nh(p);
	int iif = IP6_CB(p)->iif;
	struct sock_rxmeta *m = SOCK_RXMETA(p);

	/* IP6_CB and the metadata share pkt->cb: read the former first. */
	memset(m, 0, sizeof(*m));
	m->src = ip6->src;
	m->dst = ip6->dst;
	m->hlim = ip6->hlim;
	m->ifindex = iif ? iif : (p->dev ? p->dev->ifindex : 0);
	m->sport = sport;
}

void sock_fill_rxmeta4(struct pkt *p, uint16_t sport)
{
	const struct ip4_hdr *ip = (const struct ip4_hdr *)pkt_nh(p);
	int iif = IP4_CB(p)->iif;
	struct sock_rxmeta *m = SOCK_RXMETA(p);

	/* IP4_CB and the metadata share pkt->cb: read the former first. */
	memset(m, 0, sizeof(*m));
	ip4_to_mapped(&m->src, ip4_get(ip->src));
	ip4_to_mapped(&m->dst, ip4_get(ip->dst));
	m->hlim = ip->ttl;
	m->ifindex = iif ? iif : (p->dev ? p->dev->ifindex : 0);
	m->sport = sport;
}

bool sock_v4only(const struct usock *s)
{
	return s->family == AF_INET || in6_is_v4mapped(&s->laddr);
}

bool sock_addr_any(const struct in6_addr *a)
{
	return in6_is_unspec(a) || (in6_is_v4mapped(a) && ip4_from_mapped(a) == 0);
}

bool sock_accepts(const struct usock *s, const struct in6_addr *src, uint16_t sport,
		  const struct in6_addr *dst, int ifindex)
{
	/* RFC 3493 5.3: IPv4 reaches IPv6 sockets on :: unless IPV6_V6ONLY. */
	if (in6_is_v4mapped(dst) ? s->v6only : sock_v4only(s))
		return false;
	if (!sock_addr_any(&s->laddr) && !in6_equal(&s->laddr, dst))
		return false;
	if (s->bound_if && ifindex && s->bound_if != ifindex)
		return false;
	if (s->connected) {
		if (!in6_equal(&s->faddr, src))
			return false;
		if (s->proto == IPPROTO_UDP && s->fport != sport)
			return false;
	}
	return true;
}
