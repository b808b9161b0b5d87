/*
 * `service tcp-echo PORT` (RFC 862) and `service tcp-discard PORT`
 * (RFC 863): a listening stream socket whose connections echo, or read and
 * drop, what they receive; and `service tcp-send DST PORT BYTES`, a client
 * that sends a pattern and closes. Every socket is an ordinary usock, so sock_fini
 * closes them with the stack; a connection closes itself at the peer's FIN
 * (after echoing what it had) or on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "l4/sock.h"
#include "l4/tcp.h"

#define SERVICE_CHUNK 16384

static void echo_ready(struct usock *s, void *ctx)
{
	uint8_t buf[SERVICE_CHUNK];
	struct tcb *t = s->tcb;
	bool echo = ctx != NULL;
	ssize_t n;

	for (;;) {
		/* Echo: read no more than the send buffer takes; the rest waits in the window. */
		size_t room = echo ? MIN(sizeof(buf), (size_t)(t->snd.size - t->snd.len)) : sizeof(buf);

		if (echo && !room && t->rcv.len)
			return;
		n = usagi_recv(s, buf, room, 0);
		if (n <= 0)
			break;
		if (echo && usagi_send(s, buf, (size_t)n, 0) != n)
			STAT_INC(s->st, tcp_echo_err);
	}
	if (n == 0 || (n < 0 && n != -EAGAIN))
		usagi_close(s);
}

static void listen_ready(struct usock *l, void *ctx)
{
	struct usock *c;

	while ((c = usagi_accept(l, NULL, NULL))) {
		usagi_sock_set_callback(c, echo_ready, ctx);
		echo_ready(c, ctx);   /* data may have come with the handshake */
	}
}

static int service_listen(struct stack *st, uint16_t port, bool echo)
{
	struct sockaddr_in6 sin;
	struct usock *s;
	int rc;

	if (port == 0)
		return -EINVAL;
	s = usagi_socket(st, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	if (!s)
		return -errno;
	sockaddr_make(&sin, &in6addr_any, port, 0);
	rc = usagi_bind(s, (const struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = usagi_listen(s, 128);
	if (rc < 0) {
		usagi_close(s);
		return rc;
	}
	/* Any non-NULL context marks the echo service. */
	usagi_sock_set_callback(s, listen_ready, echo ? (void *)s : NULL);
	return 0;
}

int service_tcp_echo(struct stack *st, uint16_t port)
{
	return service_listen(st, port, true);
}

int service_tcp_discard(struct stack *st, uint16_t port)
{
	return service_listen(st, port, false);
}

/* One `service tcp-send`; the dlist comes first: tcp_fini frees it by that pointer. */
struct tcp_sender {
	struct dlist node;       /* tcp_state.senders */
	struct usock *s;
	uint64_t total, sent, start;
	char peer[INET6_ADDRSTRLEN + 8];
};

static void sender_finish(struct tcp_sender *x, const char *how, int err)
{
	struct stack *st = x->s->st;
	uint64_t ms = (st->now - x->start) / NS_PER_MS;

	if (err)
		log_info(st, "tcp-send %s: %s after %llu bytes: %s", x->peer, how,
			 (unsigned long long)x->sent, strerror(-err));
	else
		log_info(st, "tcp-send %s: %llu bytes in %llu ms", x->peer,
			 (unsigned long long)x->sent, (unsigned long long)ms);
	usagi_close(x->s);
	dlist_del(&x->node);
	free(x);
}

static void sender_ready(struct usock *s, void *ctx)
{
	struct tcp_sender *x = ctx;
	uint8_t buf[SERVICE_CHUNK];
	int err = usagi_sock_error(s);
	ssize_t n;

	if (err) {
		sender_finish(x, "failed", err);
		return;
	}
	while (x->sent < x->total) {
		size_t len = (size_t)MIN((uint64_t)sizeof(buf), x->total - x->sent);

		for (size_t i = 0; i < len; i++) {
			uint64_t k = (x->sent + i) & 0xffff;

			buf[i] = (uint8_t)(k * 131 + (k >> 9));
		}
		n = usagi_send(s, buf, len, 0);
		if (n <= 0)
			break;
		x->sent += (uint64_t)n;
	}
	if (x->sent == x->total)
		usagi_shutdown(s, SHUT_WR);
	while ((n = usagi_recv(s, buf, sizeof(buf), 0)) > 0)
		;
	if (n == 0)
		sender_finish(x, "done", 0);
	else if (n != -EAGAIN)
		sender_finish(x, "failed", (int)n);
}

int service_tcp_send(struct stack *st, const struct in6_addr *dst, uint16_t port, uint64_t bytes)
{
	struct tcp_sender *x;
	struct sockaddr_in6 sin;
	int rc;

	if (port == 0)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->s = usagi_socket(st, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	if (!x->s) {
		rc = -errno;
		free(x);
		return rc;
	}
	x->total = bytes;
	x->start = st->now;
	inet_ntop(AF_INET6, dst, x->peer, sizeof(x->peer));
	snprintf(x->peer + strlen(x->peer), sizeof(x->peer) - strlen(x->peer), ".%u", port);
	sockaddr_make(&sin, dst, port, 0);
	rc = usagi_connect(x->s, (const struct sockaddr *)&sin, sizeof(sin));
	if (rc != -EINPROGRESS) {
		usagi_close(x->s);
		free(x);
		return rc < 0 ? rc : -EIO;
	}
	dlist_add_tail(&st->sk.tcp->senders, &x->node);
	usagi_sock_set_callback(x->s, sender_ready, x);
	return 0;
}
