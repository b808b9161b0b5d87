/*
 * Internal view of a datagram socket (struct usock), shared by socket.c
 * (the API), udp.c and udp4.c (UDP input/output, lookup table), ping6.c and
 * ping4.c (echo sockets) and service.c. Users only see the opaque struct usock.
 *
 * One table serves both families: IPv4 addresses are kept IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2). An AF_INET socket's wildcard is
 * ::ffff:0.0.0.0; an AF_INET6 socket bound to :: also takes IPv4 unless
 * v6only; one bound to a mapped address is IPv4-only (RFC 3493 3.7).
 */
#ifndef USAGI_L4_SOCK_H
#define USAGI_L4_SOCK_H

#include "core/stack.h"
#include "usagi/socket.h"
#include <stdio.h>

#define SOCK_HASH_BITS 8
#define SOCK_HASH_SIZE (1u << SOCK_HASH_BITS)

/* Bound UDP sockets, chained by local port under a keyed hash (siphash of the port). */
struct sock_table {
	struct dlist b[SOCK_HASH_SIZE];
};

struct tcb;

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
	int family;                /* AF_INET or AF_INET6 (what the user speaks) */
	int proto;                 /* IPPROTO_UDP, IPPROTO_ICMPV6 or IPPROTO_ICMP */
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
	bool v6only, dontfrag;     /* dontfrag: also IP_MTU_DISCOVER=IP_PMTUDISC_DO (DF) */
	bool broadcast;            /* SO_BROADCAST */
	int ucast_hops, mcast_hops;  /* -1 = default; IP_TTL/IP_MULTICAST_TTL for IPv4 */
	int mcast_if;              /* 0 = route / first interface */
	uint8_t tclass;            /* IPV6_TCLASS, or IP_TOS for IPv4 */
	struct sock_group groups[SOCK_MAX_GROUPS];
	unsigned ngroups;

	usagi_sock_cb cb;
	void *cb_ctx;

	struct tcb *tcb;           /* SOCK_STREAM: the connection (l4/tcp.h), NULL otherwise */
	unsigned sndbuf;           /* SO_SNDBUF, 0 = default */
	bool reuseaddr;            /* SO_REUSEADDR: bind past TIME-WAIT connections (TCP) */
	bool linger_on;            /* SO_LINGER l_onoff; with linger_s 0 close aborts (RST) */
	int linger_s;              /* SO_LINGER l_linger, seconds (stored; close never blocks) */
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
/* The same from the IPv4 header at nh (addresses IPv4-mapped, TTL as hop limit). */
void sock_fill_rxmeta4(struct pkt *p, uint16_t sport);
/* True if @s takes only IPv4 traffic (AF_INET, or bound to a mapped address). */
bool sock_v4only(const struct usock *s);
/* True if @a is a wildcard local address (:: or ::ffff:0.0.0.0). */
bool sock_addr_any(const struct in6_addr *a);

/* sockaddr.c */
/*
 * Copies a socket address from the user as a sockaddr_in6 (a sockaddr_in
 * becomes IPv4-mapped): an AF_INET socket takes sockaddr_in only, an
 * AF_INET6 one both (as Linux's udpv6_sendmsg). 0, -EFAULT, -EINVAL (short),
 * -EAFNOSUPPORT.
 */
int sockaddr_get(const struct usock *s, const struct sockaddr *sa, socklen_t len,
		 struct sockaddr_in6 *out);
void sockaddr_make(struct sockaddr_in6 *out, const struct in6_addr *a, uint16_t port, int scope);
/* Gives @a/@port to the user in @s's family (sockaddr_in for AF_INET); *len = full size. */
void sockaddr_put(const struct usock *s, const struct in6_addr *a, uint16_t port, int scope,
		  struct sockaddr *out, socklen_t *len);
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

/* tcp_sock.c: SOL_SOCKET options of sockopt.c's tables (set and get; 0 or -errno). */
int sock_opt_reuseaddr(struct usock *s, const void *val, socklen_t len);
int sock_opt_linger(struct usock *s, const void *val, socklen_t len);
int sock_get_reuseaddr(struct usock *s, void *val, socklen_t *len);
int sock_get_linger(struct usock *s, void *val, socklen_t *len);

/* tcp_service.c: `service show` lines of tcp-echo, tcp-discard (and their connections), tcp-send. */
void tcp_service_show(struct stack *st, FILE *out);

/* udp.c */
int udp_bind_port(struct usock *s, const struct in6_addr *addr, uint16_t port, int ifindex);
void udp_unhash(struct usock *s);
/*
 * Sends @p (data = UDP payload) from @s to @dst, using source @src (:: =
 * select). Consumes @p. 0 or -errno.
 */
int udp6_send(struct usock *s, struct pkt *p, const struct in6_addr *src,
	      const struct sockaddr_in6 *dst);
/*
 * udp6_send for a payload whose checksum sum was taken as it was copied in
 * (csum_partial_copy, *@data_sum; NULL: none): the checksum then costs
 * the UDP header and the pseudo-header only.
 */
int udp6_send_summed(struct usock *s, struct pkt *p, const struct in6_addr *src,
		     const struct sockaddr_in6 *dst, const uint32_t *data_sum);

/* ping6.c */
int ping_bind_id(struct usock *s, const struct in6_addr *addr, uint16_t id, int ifindex);
void ping_unhash(struct usock *s);
/* Sends the Echo Request in @p (data = ICMPv6 header) to @dst. Consumes @p. */
int ping6_send(struct usock *s, struct pkt *p, const struct sockaddr_in6 *dst);

/* An ICMPv6 error quoting an Echo Request at @off of @q (data = quoted IPv6 header). */
void ping6_err(struct stack *st, const struct pkt *q, size_t off, uint8_t type, uint8_t code);

/* udp.c: turns an ICMPv6 error about what @s sent into its pending error (Linux rules). */
void sock_icmp_error(struct usock *s, uint8_t type, uint8_t code);
/* udp4.c: the same for an ICMP (IPv4) error. */
void sock_icmp4_error(struct usock *s, uint8_t type, uint8_t code);

/* udp.c, shared by udp4.c */
struct usock *udp_lookup(struct stack *st, const struct in6_addr *src, uint16_t sport,
			 const struct in6_addr *dst, uint16_t dport, int iif);
/* Consumes @p (data = payload, rxmeta filled): every accepting socket on @dport gets it. */
void udp_mcast_deliver(struct stack *st, struct pkt *p, uint16_t dport);
/*
 * Checks the UDP header at data (RFC 768) and trims @p to its length field;
 * 0 or -EINVAL after counting the drop (counters of the family in @ids).
 */
struct udp_stat_ids {
	unsigned truncated, bad_len, short_len;
};
int udp_check_header(struct stack *st, struct pkt *p, const struct udp_stat_ids *ids);
/* Pushes the UDP header for @s -> @dport on @p (data = payload); -EMSGSIZE if too long. */
int udp_push_header(struct usock *s, struct pkt *p, uint16_t dport);

/* udp4.c / ping4.c */
/* Like udp6_send, for a mapped @dst (and @src mapped or a wildcard). */
int udp4_send(struct usock *s, struct pkt *p, const struct in6_addr *src,
	      const struct sockaddr_in6 *dst);
int ping4_send(struct usock *s, struct pkt *p, const struct sockaddr_in6 *dst);
void ping4_err(struct stack *st, const struct pkt *q, size_t off, uint8_t type, uint8_t code);
/* sockopt.c: TTL, TOS, DF, interface of a send from @s to tx->dst. 0, -EACCES (broadcast), -ENODEV. */
struct ip4_tx;
int sock_tx4_setup(struct usock *s, struct ip4_tx *tx);

/* ping6.c, shared by ping4.c: what differs between the echo sockets of the two families. */
struct ping_family {
	int proto;
	uint8_t request_type, reply_type;
	void (*fill_rxmeta)(struct pkt *p, uint16_t sport);
	void (*icmp_error)(struct usock *s, uint8_t type, uint8_t code);
	unsigned truncated, bad_type, no_socket, in;     /* stat ids */
	unsigned err_bad, err_nosock, err_in;
};
/* Checks that @p (data = ICMP(v6) header) is an Echo Request, clears its checksum, sets our id. */
int ping_stamp(struct usock *s, struct pkt *p, uint8_t request_type);
/* An Echo Reply at data from @src to @dst: to the socket of its identifier. Consumes @p. */
int ping_deliver(struct stack *st, struct pkt *p, const struct ping_family *f,
		 const struct in6_addr *src, const struct in6_addr *dst, int iif);
/* An ICMP(v6) error quoting our Echo Request at @off of @q, sent @src -> @dst. */
void ping_err(struct stack *st, const struct pkt *q, size_t off, const struct ping_family *f,
	      const struct in6_addr *src, const struct in6_addr *dst, uint8_t type, uint8_t code);
/* The ping socket of @proto with identifier @id that accepts src -> dst, or NULL. */
struct usock *ping_lookup(struct stack *st, int proto, uint16_t id, const struct in6_addr *src,
			  const struct in6_addr *dst, int iif);

/* sockopt.c: output interface, hop limit, traffic class, dontfrag of a send from @s to @dst. 0 or -EINVAL. */
struct ip6_tx;
int sock_tx_setup(struct usock *s, struct ip6_tx *tx, const struct sockaddr_in6 *dst);
/* True if @s accepts a datagram src->dst on @ifindex (bound address, interface, connected peer). */
bool sock_accepts(const struct usock *s, const struct in6_addr *src, uint16_t sport,
		  const struct in6_addr *dst, int ifindex);

#endif
