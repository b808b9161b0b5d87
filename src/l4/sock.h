/*
 * Internal view of a datagram socket (struct usock), shared by socket.c
 * (the API), udp.c (UDP input/output, lookup table), ping6.c (ICMPv6 echo
 * sockets) and service.c. Users only see the opaque struct usock.
 */
#ifndef USAGI_L4_SOCK_H
#define USAGI_L4_SOCK_H

#include "core/stack.h"
#include "usagi/socket.h"

#define SOCK_HASH_BITS 8
#define SOCK_HASH_SIZE (1u << SOCK_HASH_BITS)

/* Bound UDP sockets, chained by local port under a keyed hash (siphash of the port). */
struct sock_table {
	struct dlist b[SOCK_HASH_SIZE];
};

#define SOCK_RCVBUF_DEFAULT (256u * 1024)
/* Datagram limit = rcvbuf / SOCK_DGRAM_UNIT: 512 datagrams at the default size. */
#define SOCK_DGRAM_UNIT 512u
#define SOCK_RCVBUF_MIN 2048u
#define SOCK_RCVBUF_MAX (64u * 1024 * 1024)
#define SOCK_MAX_GROUPS 20         /* memberships per socket, as Linux's IP_MAX_MEMBERSHIPS */
#define EPHEMERAL_LO 49152u        /* RFC 6335 6: dynamic ports */
#define EPHEMERAL_HI 65535u

struct sock_group {
	struct in6_addr group;
	int ifindex;
};

struct usock {
	struct dlist all;          /* st->sk.all */
	struct dlist node;         /* hash bucket (UDP) or st->sk.ping, once bound */
	struct stack *st;
	int proto;                 /* IPPROTO_UDP or IPPROTO_ICMPV6 */
	bool bound, connected;
	struct in6_addr laddr;     /* :: = any */
	uint16_t lport;            /* UDP port or echo identifier (host order) */
	int bound_if;              /* 0 = any interface */
	struct in6_addr faddr;
	uint16_t fport;
	int fscope;                /* scope id of a link-local peer */
	int err;                   /* pending -errno from an ICMPv6 error, reported once */

	struct pkt *rxq_head, *rxq_tail;
	unsigned rxq_count;
	size_t rxq_bytes;
	size_t rcvbuf;

	/* Options. */
	bool v6only, dontfrag;
	int ucast_hops, mcast_hops;  /* -1 = default */
	int mcast_if;              /* 0 = route / first interface */
	uint8_t tclass;
	struct sock_group groups[SOCK_MAX_GROUPS];
	unsigned ngroups;

	usagi_sock_cb cb;
	void *cb_ctx;
};

/* Per-datagram receive metadata, kept in pkt->cb while the datagram is queued. */
struct sock_rxmeta {
	struct in6_addr src;
	struct in6_addr dst;
	int32_t ifindex;
	uint16_t sport;
	uint8_t hlim;
};
#define SOCK_RXMETA(p) ((struct sock_rxmeta *)(p)->cb)
_Static_assert(sizeof(struct sock_rxmeta) <= sizeof(((struct pkt *)0)->cb), "pkt cb too small");

/* socket.c */
/*
 * Queues @p (data = payload, SOCK_RXMETA filled) on @s and runs the
 * readiness callback. Consumes @p; 0 or -ENOBUFS (queue full, counted).
 */
int sock_queue_rx(struct usock *s, struct pkt *p);
/* Takes the oldest datagram off @s (NULL if empty). */
struct pkt *sock_dequeue(struct usock *s);
/* Sets the pending error (reported once) and wakes the owner. */
void sock_set_error(struct usock *s, int err);
/* Fills rxmeta src/dst/hlim/ifindex from the IPv6 header at nh of an input packet. */
void sock_fill_rxmeta(struct pkt *p, uint16_t sport);

/* sockaddr.c */
/* Copies a sockaddr_in6 from the user: 0, -EFAULT, -EINVAL (short), -EAFNOSUPPORT. */
int sockaddr_get(const struct sockaddr *sa, socklen_t len, struct sockaddr_in6 *out);
void sockaddr_make(struct sockaddr_in6 *out, const struct in6_addr *a, uint16_t port, int scope);
/* True for addresses whose meaning depends on the interface (link-local, link/if-local multicast). */
bool sockaddr_needs_scope(const struct in6_addr *a);
/*
 * Checks that @sin names :: or an address of this host (or, if @mcast_ok,
 * a multicast group) and gives the interface it binds to (0 = any).
 * 0, -EADDRNOTAVAIL, -ENODEV.
 */
int sockaddr_local_ifindex(struct stack *st, const struct sockaddr_in6 *sin, bool mcast_ok,
			   int *ifindex);

/* sockopt.c */
/* Leaves every group @s joined (interfaces already gone are skipped). */
void sock_leave_all(struct usock *s);

/* udp.c */
int udp_bind_port(struct usock *s, const struct in6_addr *addr, uint16_t port, int ifindex);
void udp_unhash(struct usock *s);
/*
 * Sends @p (data = UDP payload) from @s to @dst, using source @src (:: =
 * select). Consumes @p. 0 or -errno.
 */
int udp6_send(struct usock *s, struct pkt *p, const struct in6_addr *src,
	      const struct sockaddr_in6 *dst);

/* ping6.c */
int ping_bind_id(struct usock *s, const struct in6_addr *addr, uint16_t id, int ifindex);
void ping_unhash(struct usock *s);
/* Sends the Echo Request in @p (data = ICMPv6 header) to @dst. Consumes @p. */
int ping6_send(struct usock *s, struct pkt *p, const struct sockaddr_in6 *dst);

/* An ICMPv6 error quoting an Echo Request at @off of @q (data = quoted IPv6 header). */
void ping6_err(struct stack *st, const struct pkt *q, size_t off, uint8_t type, uint8_t code);

/* udp.c: turns an ICMPv6 error about what @s sent into its pending error (Linux rules). */
void sock_icmp_error(struct usock *s, uint8_t type, uint8_t code);

/* sockopt.c: output interface, hop limit, traffic class, dontfrag of a send from @s to @dst. 0 or -EINVAL. */
struct ip6_tx;
int sock_tx_setup(struct usock *s, struct ip6_tx *tx, const struct sockaddr_in6 *dst);
/* True if @s accepts a datagram src->dst on @ifindex (bound address, interface, connected peer). */
bool sock_accepts(const struct usock *s, const struct in6_addr *src, uint16_t sport,
		  const struct in6_addr *dst, int ifindex);

#endif
