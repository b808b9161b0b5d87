/*
 * The socket API for SOCK_STREAM (include/usagi/socket.h): bind, listen,
 * accept, connect, send, recv, shutdown, close, with non-blocking
 * semantics as in Linux (-EAGAIN, -EINPROGRESS, -ENOTCONN, -EPIPE, ...),
 * and the TCP socket options. socket.c calls in here for IPPROTO_TCP.
 */
#include <stdlib.h>
#include "l4/tcp.h"
#include "l4/sock.h"
#include "proto/ip4.h"
#include "ipv6/addrconf.h"
#include "ipv4/inet4.h"
#include "link/netdev.h"

int tcp_sock_create(struct usock *s)
{
	struct tcb *t = tcb_new(s->st);

	if (!t)
		return -ENOMEM;
	t->sk = s;
	s->tcb = t;
	return 0;
}

/*
 * RFC 9293 3.10.5 ABORT (close with SO_LINGER on and a zero timeout): RST
 * in the synchronized states that have not closed yet, and the connection
 * is gone at once, TIME-WAIT included.
 */
static void linger_abort(struct tcb *t)
{
	switch (t->state) {
	case TCPS_SYN_RECEIVED: case TCPS_ESTABLISHED: case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2: case TCPS_CLOSE_WAIT:
		tcp_send_rst(t);
		break;
	default:
		break;
	}
	if (t->state != TCPS_CLOSED && t->state != TCPS_LISTEN)
		STAT_INC(t->st, tcp_linger_abort);
	tcp_done(t, 0);
}

/* RFC 9293 3.10.4 CLOSE: FIN after the queued data, or RST if data was left unread. */
void tcp_sock_close(struct usock *s)
{
	struct tcb *t = s->tcb;
	struct stack *st = s->st;

	s->tcb = NULL;
	if (!t)
		return;
	t->sk = NULL;
	t->user_closed = true;
	st->sk.tcp->depth++;
	if (s->linger_on && s->linger_s == 0) {
		linger_abort(t);
		st->sk.tcp->depth--;
		tcp_reap(st);
		return;
	}
	switch (t->state) {
	case TCPS_CLOSED: case TCPS_LISTEN: case TCPS_SYN_SENT:
		tcp_done(t, 0);
		break;
	case TCPS_SYN_RECEIVED: case TCPS_ESTABLISHED: case TCPS_CLOSE_WAIT:
		if (t->rcv.len || t->ooo) {
			/* RFC 2525 2.17: unread data is lost, tell the peer. */
			tcp_send_rst(t);
			tcp_done(t, 0);
		} else {
			tcp_shutdown_wr(t);
		}
		break;
	case TCPS_FIN_WAIT_2:
		stack_timer_in(st, &t->tw_timer, 2 * st->sk.tcp->msl_ns);
		break;
	default:
		break;
	}
	st->sk.tcp->depth--;
	tcp_reap(st);
}

/*
 * True if a listener or a connection whose own socket bound @port holds it
 * for @a; with @reuse (SO_REUSEADDR) connections in TIME-WAIT do not.
 */
static bool port_busy(struct stack *st, uint16_t port, const struct in6_addr *a, bool v6only,
		      bool reuse)
{
	struct dlist *b = tcp_bbucket(st, port), *pos, *tmp;

	dlist_for_each_safe(pos, tmp, b) {
		struct tcb *t = dlist_entry(pos, struct tcb, bnode);

		if (t->lport != port || !t->bound_user || (reuse && t->state == TCPS_TIME_WAIT))
			continue;
		if (!a || in6_equal(a, &t->laddr) || sock_addr_any(a) || sock_addr_any(&t->laddr)) {
			/* A V6ONLY :: and an IPv4 address coexist, as in Linux. */
			if (a && ((v6only && in6_is_v4mapped(&t->laddr)) ||
				  (t->v6only && in6_is_v4mapped(a))))
				continue;
			return true;
		}
	}
	return false;
}

static void bhash_add(struct tcb *t)
{
	dlist_add_tail(tcp_bbucket(t->st, t->lport), &t->bnode);
	t->bhashed = true;
}

/* RFC 6056 3.3.1: a random start in the dynamic range, then the next free port. */
static int pick_port(struct stack *st, uint16_t *port)
{
	const uint32_t n = EPHEMERAL_HI - EPHEMERAL_LO + 1;
	uint32_t start = rng_below(&st->rng, n);

	for (uint32_t i = 0; i < n; i++) {
		uint16_t cand = (uint16_t)(EPHEMERAL_LO + (start + i) % n);

		if (!port_busy(st, cand, NULL, false, false)) {
			*port = cand;
			return 0;
		}
	}
	STAT_INC(st, sock_no_ephemeral);
	return -EADDRINUSE;
}

int tcp_sock_bind(struct usock *s, const struct sockaddr_in6 *sin, int ifindex)
{
	struct tcb *t = s->tcb;
	uint16_t port = ntohs(sin->sin6_port);
	int rc;

	if (!t || t->bhashed || t->state != TCPS_CLOSED)
		return -EINVAL;
	if (port == 0) {
		rc = pick_port(s->st, &port);
		if (rc < 0)
			return rc;
	} else if (port_busy(s->st, port, &sin->sin6_addr, s->v6only, s->reuseaddr)) {
		return -EADDRINUSE;
	}
	t->laddr = sin->sin6_addr;
	t->lport = port;
	t->ifindex = ifindex;
	t->v6only = s->v6only;
	t->bound_user = true;
	bhash_add(t);
	s->laddr = t->laddr;
	s->lport = port;
	s->bound_if = ifindex;
	s->bound = true;
	return 0;
}

static int autobind(struct usock *s)
{
	struct sockaddr_in6 sin;

	if (s->tcb->bhashed)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin6_family = AF_INET6;
	if (s->family == AF_INET)
		ip4_to_mapped(&sin.sin6_addr, 0);
	return tcp_sock_bind(s, &sin, 0);
}

int usagi_listen(struct usock *s, int backlog)
{
	struct tcb *t = s->tcb;
	int rc;

	if (!t)
		return -EOPNOTSUPP;
	if (t->state != TCPS_CLOSED && t->state != TCPS_LISTEN)
		return -EINVAL;
	rc = autobind(s);
	if (rc < 0)
		return rc;
	/* As Linux: the backlog is capped, and 0 still admits one connection. */
	t->backlog = (unsigned)MIN(MAX(backlog, 1), 4096);
	t->state = TCPS_LISTEN;
	return 0;
}

struct usock *usagi_accept(struct usock *s, struct sockaddr *addr, socklen_t *len)
{
	struct tcb *l = s->tcb, *c = NULL;
	struct dlist *pos, *tmp;
	struct usock *n;

	if (!l || l->state != TCPS_LISTEN) {
		errno = EINVAL;
		return NULL;
	}
	dlist_for_each_safe(pos, tmp, &l->children) {
		struct tcb *x = dlist_entry(pos, struct tcb, qnode);

		if (x->state != TCPS_SYN_RECEIVED) {
			c = x;
			break;
		}
	}
	if (!c) {
		errno = EAGAIN;
		return NULL;
	}
	n = usagi_socket(s->st, s->family, SOCK_STREAM, IPPROTO_TCP);
	if (!n)
		return NULL;
	/* The fresh socket's own (never used) tcb goes to the reaper. */
	n->tcb->sk = NULL;
	n->tcb->dead = true;
	dlist_del(&c->qnode);
	dlist_init(&c->qnode);
	l->nchildren--;
	c->listener = NULL;
	c->sk = n;
	n->tcb = c;
	n->laddr = c->laddr;
	n->lport = c->lport;
	n->faddr = c->faddr;
	n->fport = c->fport;
	n->fscope = c->ifindex;
	n->bound = n->connected = true;
	n->rcvbuf = s->rcvbuf;
	n->sndbuf = s->sndbuf;
	/* Socket-level options pass from the listener, as in Linux. */
	n->reuseaddr = s->reuseaddr;
	n->linger_on = s->linger_on;
	n->linger_s = s->linger_s;
	if (addr && len)
		sockaddr_put(n, &c->faddr, c->fport, sockaddr_needs_scope(&c->faddr) ? c->ifindex : 0,
			     addr, len);
	return n;
}

static int pick_source(struct usock *s, const struct sockaddr_in6 *sin, int *oif)
{
	struct tcb *t = s->tcb;
	struct netdev *dev = NULL;
	int rc;

	*oif = t->ifindex;
	if (sockaddr_needs_scope(&sin->sin6_addr)) {
		*oif = sin->sin6_scope_id ? (int)sin->sin6_scope_id : t->ifindex;
		if (!*oif)
			return -EINVAL;
	}
	if (*oif && !(dev = netdev_by_index(s->st, *oif)))
		return -ENODEV;
	if (!sock_addr_any(&t->laddr))
		return 0;
	if (in6_is_v4mapped(&sin->sin6_addr)) {
		uint32_t src;

		rc = inet4_select_source(s->st, ip4_from_mapped(&sin->sin6_addr), dev, &src);
		if (rc < 0)
			return -ENETUNREACH;
		ip4_to_mapped(&t->laddr, src);
		return 0;
	}
	rc = addrconf_select_source(s->st, &sin->sin6_addr, dev, &t->laddr);
	return rc < 0 ? -EADDRNOTAVAIL : 0;
}

/* Family rules of sock.h: a mapped peer needs a socket open to IPv4, and the reverse. */
static int family_check(const struct usock *s, const struct in6_addr *dst)
{
	if (in6_is_v4mapped(dst))
		return s->v6only || (!sock_addr_any(&s->laddr) && !in6_is_v4mapped(&s->laddr)) ?
		       -ENETUNREACH : 0;
	return sock_v4only(s) ? -ENETUNREACH : 0;
}

int tcp_sock_connect(struct usock *s, const struct sockaddr_in6 *sin)
{
	struct stack *st = s->st;
	struct tcb *t = s->tcb;
	int rc, oif;

	if (!t)
		return -EINVAL;
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		return -EALREADY;
	if (t->state != TCPS_CLOSED || t->dead)
		return t->dead && t->err ? -ECONNABORTED : -EISCONN;
	if (sin->sin6_port == 0 || in6_is_multicast(&sin->sin6_addr) || sock_addr_any(&sin->sin6_addr))
		return -EINVAL;
	rc = family_check(s, &sin->sin6_addr);
	if (rc < 0)
		return rc;
	rc = autobind(s);
	if (rc < 0)
		return rc;
	rc = pick_source(s, sin, &oif);
	if (rc < 0)
		return rc;
	if (tcp_lookup(st, &sin->sin6_addr, ntohs(sin->sin6_port), &t->laddr, t->lport, 0) &&
	    tcp_lookup(st, &sin->sin6_addr, ntohs(sin->sin6_port), &t->laddr, t->lport, 0)->state != TCPS_LISTEN)
		return -EADDRINUSE;
	rc = tcp_alloc_bufs(t, (uint32_t)s->rcvbuf, s->sndbuf ? s->sndbuf : st->sk.tcp->sndbuf);
	if (rc < 0)
		return rc;
	t->faddr = sin->sin6_addr;
	t->fport = ntohs(sin->sin6_port);
	t->ifindex = oif;
	t->iss = tcp_isn(st, &t->laddr, t->lport, &t->faddr, t->fport);
	t->snd_una = t->recover = t->iss;
	t->snd_nxt = t->snd_max = t->snd_ring_seq = t->iss + 1;
	t->adv_mss = tcp_path_mss(t);
	if (t->user_mss && t->user_mss < t->adv_mss)
		t->adv_mss = t->user_mss;
	t->rcv_wscale = (uint8_t)0;
	while (t->rcv_wscale < TCP_MAX_WSCALE && (t->rcv.size >> t->rcv_wscale) > 0xffff)
		t->rcv_wscale++;
	t->ts_off = (uint32_t)t->iss;
	t->state = TCPS_SYN_SENT;
	tcp_ehash(t);
	s->laddr = t->laddr;
	s->faddr = t->faddr;
	s->fport = t->fport;
	s->fscope = oif;
	s->connected = true;
	STAT_INC(st, tcp_active_opens);
	tcp_send_syn(t);
	return -EINPROGRESS;
}

static int take_err(struct tcb *t)
{
	int e = t->err;

	t->err = 0;
	return e;
}

ssize_t tcp_sock_send(struct usock *s, const void *buf, size_t len, int flags)
{
	struct tcb *t = s->tcb;
	uint32_t n;
	int e;

	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE))
		return -EOPNOTSUPP;
	if (!t)
		return -ENOTCONN;
	e = take_err(t);
	if (e)
		return e;
	switch (t->state) {
	case TCPS_ESTABLISHED: case TCPS_CLOSE_WAIT:
		break;
	case TCPS_SYN_SENT: case TCPS_SYN_RECEIVED:
		return -EAGAIN;
	case TCPS_CLOSED: case TCPS_LISTEN:
		return t->dead ? -EPIPE : -ENOTCONN;
	default:
		return -EPIPE;
	}
	if (t->fin_pending)
		return -EPIPE;
	if (!buf && len)
		return -EFAULT;
	n = tcp_ring_write(&t->snd, buf, (uint32_t)MIN(len, (size_t)UINT32_MAX));
	if (!n && len)
		return -EAGAIN;
	s->st->sk.tcp->depth++;
	tcp_output(t);
	s->st->sk.tcp->depth--;
	tcp_reap(s->st);
	return (ssize_t)n;
}

/*
 * After a read: receiver-side SWS avoidance (RFC 9293 3.8.6.2.2, RFC 1122
 * 4.2.3.3) as Linux does it: a pure window update only if the right edge the
 * peer sees would move by at least min(RCV.BUFF/2, MSS) (the MSS we announced:
 * the peer's full segment, as Linux's rcv_mss estimate) and the window
 * now offered has fallen below half of what it could be; otherwise the next
 * ACK carries the larger window. Else a bulk receiver would ACK every read
 * and every first data would draw a separate window update.
 */
static void window_update(struct tcb *t)
{
	/* Only as far as the window field can announce: else, without window scaling, every read would send an ACK. */
	uint32_t max = MIN(t->rcv.size, 0xffffu << t->rcv_wscale);
	uint32_t right = t->rcv_nxt + MIN(tcp_rcv_space(t), max);
	uint32_t offered = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;

	if (t->state < TCPS_ESTABLISHED || t->state == TCPS_TIME_WAIT)
		return;
	if (SEQ_GT(right, t->rcv_adv) && right - t->rcv_adv >= MIN(t->rcv.size / 2, (uint32_t)t->adv_mss) &&
	    2 * (uint64_t)offered < max)
		tcp_send_ack(t);
}

ssize_t tcp_sock_recv(struct usock *s, void *buf, size_t len, int flags)
{
	struct tcb *t = s->tcb;
	uint32_t n;
	int e;

	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_NOSIGNAL))
		return -EOPNOTSUPP;
	if (!t)
		return -ENOTCONN;
	if (t->rcv.len && !t->rd_shut) {
		n = (uint32_t)MIN(len, (size_t)t->rcv.len);
		if (n)
			tcp_ring_peek(&t->rcv, 0, buf, n);
		if (!(flags & MSG_PEEK)) {
			tcp_ring_drop(&t->rcv, n);
			s->st->sk.tcp->depth++;
			window_update(t);
			s->st->sk.tcp->depth--;
			tcp_reap(s->st);
		}
		return (ssize_t)n;
	}
	e = take_err(t);
	if (e)
		return e;
	if (t->fin_rcvd || t->rd_shut)
		return 0;
	if (t->state == TCPS_CLOSED || t->state == TCPS_LISTEN)
		return t->dead ? 0 : -ENOTCONN;
	return -EAGAIN;
}

int usagi_shutdown(struct usock *s, int how)
{
	struct tcb *t = s->tcb;

	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (!t || t->state < TCPS_SYN_SENT)
		return -ENOTCONN;
	if (how != SHUT_WR)
		t->rd_shut = true;
	if (how != SHUT_RD) {
		s->st->sk.tcp->depth++;
		tcp_shutdown_wr(t);
		s->st->sk.tcp->depth--;
		tcp_reap(s->st);
	}
	/* No callback from inside a user call: the caller knows what it just did. */
	return 0;
}

int usagi_getpeername(struct usock *s, struct sockaddr *addr, socklen_t *len)
{
	if (!addr || !len)
		return -EFAULT;
	if (!s->connected || (s->tcb && s->tcb->state < TCPS_SYN_RECEIVED && s->tcb->state != TCPS_SYN_SENT))
		return -ENOTCONN;
	if (s->tcb && s->tcb->state == TCPS_SYN_SENT)
		return -ENOTCONN;
	sockaddr_put(s, &s->faddr, s->fport, sockaddr_needs_scope(&s->faddr) ? s->fscope : 0, addr, len);
	return 0;
}

static unsigned tcp_events(const struct tcb *t)
{
	unsigned ev = 0;

	if (t->err)
		ev |= USAGI_EV_ERR;
	if (t->state == TCPS_LISTEN) {
		struct dlist *pos, *tmp;

		dlist_for_each_safe(pos, tmp, (struct dlist *)&t->children)
			if (dlist_entry(pos, struct tcb, qnode)->state != TCPS_SYN_RECEIVED)
				return ev | USAGI_EV_IN;
		return ev;
	}
	if (t->rcv.len || t->fin_rcvd || t->rd_shut || t->dead)
		ev |= USAGI_EV_IN;
	if ((t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT) && !t->fin_pending &&
	    t->snd.len < t->snd.size)
		ev |= USAGI_EV_OUT;
	if (t->dead || (t->fin_rcvd && t->fin_pending))
		ev |= USAGI_EV_HUP;
	return ev;
}

unsigned usagi_sock_events(const struct usock *s)
{
	if (s->tcb)
		return tcp_events(s->tcb);
	return (s->rxq_count ? USAGI_EV_IN : 0) | USAGI_EV_OUT | (s->err ? USAGI_EV_ERR : 0);
}

int usagi_sock_error(struct usock *s)
{
	int e;

	if (s->tcb)
		return take_err(s->tcb);
	e = s->err;
	s->err = 0;
	return e;
}

/* Option setters for sockopt.c's table. */
int tcp_opt_nodelay(struct usock *s, const void *val, socklen_t len)
{
	int v;

	if (!s->tcb)
		return -ENOPROTOOPT;
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	s->tcb->nodelay = v != 0;
	if (v)
		tcp_output(s->tcb);
	return 0;
}

int tcp_opt_maxseg(struct usock *s, const void *val, socklen_t len)
{
	int v;

	if (!s->tcb)
		return -ENOPROTOOPT;
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	/* Linux's bounds: 88 .. 32767 (0 restores the default). */
	if (v != 0 && (v < 88 || v > 32767))
		return -EINVAL;
	s->tcb->user_mss = (uint16_t)v;
	return 0;
}

int tcp_opt_keepalive(struct usock *s, const void *val, socklen_t len)
{
	int v;

	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (!s->tcb)
		return 0;
	s->tcb->keepalive = v != 0;
	if (v)
		tcp_keep_reset(s->tcb);
	else
		stack_timer_cancel(s->st, &s->tcb->keep_timer);
	return 0;
}

int sock_opt_sndbuf(struct usock *s, const void *val, socklen_t len)
{
	int v;

	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (v < 0)
		return -EINVAL;
	/* Takes effect at connect/listen, when the buffers are made. */
	s->sndbuf = MIN(MAX((unsigned)v, SOCK_RCVBUF_MIN), SOCK_RCVBUF_MAX);
	return 0;
}

/* TCP_CONGESTION: the algorithm by name (Linux's option), before the connection starts. */
int tcp_opt_congestion(struct usock *s, const void *val, socklen_t len)
{
	char name[16];
	const struct tcp_cc_ops *ops;

	if (!s->tcb)
		return -ENOPROTOOPT;
	if (!val || len == 0)
		return -EINVAL;
	len = MIN(len, (socklen_t)sizeof(name) - 1);
	memcpy(name, val, len);
	name[len] = 0;
	ops = tcp_cc_find(name);
	if (!ops)
		return -ENOENT;
	if (s->tcb->state >= TCPS_SYN_SENT)
		return -EISCONN;
	s->tcb->cc = ops;
	return 0;
}

/* SO_REUSEADDR: an int; a bind may take a port only TIME-WAIT connections hold. */
int sock_opt_reuseaddr(struct usock *s, const void *val, socklen_t len)
{
	int v;

	if (!val)
		return -EFAULT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	s->reuseaddr = v != 0;
	return 0;
}

/*
 * SO_LINGER (struct linger): l_onoff with l_linger 0 makes close an abort
 * (RST, RFC 9293 3.10.5); a positive l_linger is kept and reported, but
 * close never blocks here, so the close stays the graceful one.
 */
int sock_opt_linger(struct usock *s, const void *val, socklen_t len)
{
	struct linger l;

	if (!val)
		return -EFAULT;
	if (len < sizeof(l))
		return -EINVAL;
	memcpy(&l, val, sizeof(l));
	if (l.l_linger < 0)
		return -EINVAL;
	s->linger_on = l.l_onoff != 0;
	s->linger_s = l.l_linger;
	return 0;
}

int sock_get_reuseaddr(struct usock *s, void *val, socklen_t *len)
{
	int v = s->reuseaddr;

	if (*len < sizeof(v))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

int sock_get_linger(struct usock *s, void *val, socklen_t *len)
{
	struct linger l = { .l_onoff = s->linger_on, .l_linger = s->linger_s };

	if (*len < sizeof(l))
		return -EINVAL;
	memcpy(val, &l, sizeof(l));
	*len = sizeof(l);
	return 0;
}
