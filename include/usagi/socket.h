/*
 * usagi's socket API: BSD-shaped, non-blocking, for datagram sockets
 * (UDP, and ICMP/ICMPv6 "ping" sockets as in Linux) of both families on
 * one stack. An AF_INET6 socket reaches IPv4 peers through IPv4-mapped
 * addresses (::ffff:a.b.c.d, RFC 3493 3.7) unless IPV6_V6ONLY is set. Errors are
 * returned as -errno; nothing blocks: recv on an empty queue is -EAGAIN,
 * and a readiness callback announces new data.
 *
 * Stream sockets (SOCK_STREAM, TCP, RFC 9293) follow Linux's non-blocking
 * semantics: connect returns -EINPROGRESS and completes in the background
 * (USAGI_EV_OUT, or USAGI_EV_ERR with usagi_sock_error); accept, send and
 * recv return -EAGAIN (accept: NULL, errno EAGAIN) when they would block;
 * recv returns 0 at the peer's FIN; send after shutdown is -EPIPE. The
 * callback runs on every change of usagi_sock_events().
 */
#ifndef USAGI_SOCKET_H
#define USAGI_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct stack;
struct usock;

typedef void (*usagi_sock_cb)(struct usock *s, void *ctx);

/* Ancillary data of a received datagram (like IPV6_RECVPKTINFO + IPV6_RECVHOPLIMIT; IPv4: the
 * destination IPv4-mapped, the TTL as hop_limit). */
struct usagi_rxinfo {
	struct in6_addr dst;
	int ifindex;
	int hop_limit;
	uint64_t tstamp;          /* ns, stack clock */
};

/*
 * domain AF_INET6 or AF_INET; type SOCK_DGRAM with protocol 0/IPPROTO_UDP,
 * or the echo protocol of the domain (IPPROTO_ICMPV6, IPPROTO_ICMP); or
 * type SOCK_STREAM with protocol 0/IPPROTO_TCP. AF_INET
 * sockets take and give struct sockaddr_in; AF_INET6 ones sockaddr_in6
 * (and take sockaddr_in as a mapped address, as Linux's UDPv6 does).
 */
struct usock *usagi_socket(struct stack *st, int domain, int type, int protocol);
int usagi_bind(struct usock *s, const struct sockaddr *addr, socklen_t len);
/* AF_UNSPEC disconnects (datagram sockets). Stream sockets: -EINPROGRESS, -EALREADY, -EISCONN. */
int usagi_connect(struct usock *s, const struct sockaddr *addr, socklen_t len);
ssize_t usagi_sendto(struct usock *s, const void *buf, size_t len, int flags,
		     const struct sockaddr *to, socklen_t tolen);
ssize_t usagi_recvfrom(struct usock *s, void *buf, size_t len, int flags,
		       struct sockaddr *from, socklen_t *fromlen);
/* recvfrom with ancillary data (@info may be NULL). */
ssize_t usagi_recvmsg(struct usock *s, void *buf, size_t len, int flags,
		      struct sockaddr *from, socklen_t *fromlen, struct usagi_rxinfo *info);
/* Stream sockets. backlog: connections waiting for accept (and half-open ones). */
int usagi_listen(struct usock *s, int backlog);
/* An established connection of listener @s (peer in @addr if given); NULL with errno EAGAIN or EINVAL. */
struct usock *usagi_accept(struct usock *s, struct sockaddr *addr, socklen_t *len);
/* Bytes queued (<= len), -EAGAIN (no room / no data yet), 0 from recv at end of stream, or -errno. */
ssize_t usagi_send(struct usock *s, const void *buf, size_t len, int flags);
ssize_t usagi_recv(struct usock *s, void *buf, size_t len, int flags);
/* SHUT_RD, SHUT_WR (FIN after the queued data), SHUT_RDWR. */
int usagi_shutdown(struct usock *s, int how);
int usagi_getpeername(struct usock *s, struct sockaddr *addr, socklen_t *len);

/* Readiness, as poll(2) would report it. */
enum {
	USAGI_EV_IN = 1,      /* data, end of stream, or (listener) a connection to accept */
	USAGI_EV_OUT = 2,     /* room in the send buffer of a connected socket */
	USAGI_EV_ERR = 4,     /* an error is pending (usagi_sock_error) */
	USAGI_EV_HUP = 8,     /* connection over (reset, or both directions closed) */
};
unsigned usagi_sock_events(const struct usock *s);
/* Takes the pending error (like SO_ERROR): 0 or -errno (-ECONNREFUSED, -ECONNRESET, -ETIMEDOUT...). */
int usagi_sock_error(struct usock *s);

/* IPV6_JOIN_GROUP/IPV6_LEAVE_GROUP (struct ipv6_mreq), IPV6_V6ONLY (before bind), IPV6_UNICAST_HOPS,
 * IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF, IPV6_DONTFRAG, IPV6_TCLASS, IP_TTL, IP_MULTICAST_TTL,
 * IP_TOS, IP_MTU_DISCOVER (IP_PMTUDISC_DO: DF, -EMSGSIZE rather than fragment), SO_RCVBUF,
 * SO_BROADCAST (needed to send to a broadcast address: -EACCES without); stream sockets also
 * SO_SNDBUF, SO_KEEPALIVE, TCP_NODELAY, TCP_MAXSEG (before connect/listen), SO_REUSEADDR (a bind
 * may take a port that only TIME-WAIT connections hold), SO_LINGER (l_onoff with l_linger 0: close
 * aborts with RST; a positive l_linger is kept, but close never blocks: it stays graceful). */
int usagi_setsockopt(struct usock *s, int level, int name, const void *val, socklen_t len);
/* SO_REUSEADDR (int), SO_LINGER (struct linger); *@len in: room at @val, out: size written.
 * 0, -EFAULT, -EINVAL (too short), -ENOPROTOOPT. */
int usagi_getsockopt(struct usock *s, int level, int name, void *val, socklen_t *len);
int usagi_getsockname(struct usock *s, struct sockaddr *addr, socklen_t *len);
/* @cb runs (from stack processing) whenever a datagram is queued, or a stream socket's events change. */
void usagi_sock_set_callback(struct usock *s, usagi_sock_cb cb, void *ctx);
/* Datagrams waiting. */
unsigned usagi_sock_pending(const struct usock *s);
void usagi_close(struct usock *s);

#endif
