/*
 * `service tcp-echo PORT` (RFC 862) and `service tcp-discard PORT`
 * (RFC 863): a listening stream socket whose connections echo, or read and
 * drop, what they receive; and `service tcp-send DST PORT BYTES`, a client
 * that sends a pattern and closes. Every socket is an ordinary usock, so sock_fini
 * closes them with the stack; a connection closes itself at the peer's FIN
 * (after echoing what it had) or on an error. `service show` lists each
 * service, its open connections and every tcp-send (tcp_service_show).
 */
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "l4/sock.h"
#include "l4/tcp.h"
#include "proto/ip4.h"

#define SERVICE_CHUNK 16384

/* One tcp-echo or tcp-discard; the dlist comes first: tcp_fini frees it by that pointer. */
struct tcp_svc {
	struct dlist node;       /* tcp_state.services */
	struct usock *l;         /* the listener (closed by sock_fini) */
	uint16_t port;
	bool echo;
	uint64_t accepted, in, out;   /* connections accepted, octets read and sent back */
};

static void echo_ready(struct usock *s, void *ctx)
{
	uint8_t buf[SERVICE_CHUNK];
	struct tcp_svc *svc = ctx;
	struct tcb *t = s->tcb;
	bool echo = svc->echo;
	ssize_t n, sent;

	for (;;) {
		/* Echo: read no more than the send buffer takes; the rest waits in the window. */
		size_t room = echo ? MIN(sizeof(buf), (size_t)(t->snd.size - t->snd.len)) : sizeof(buf);

		if (echo && !room && t->rcv.len)
			return;
		n = usagi_recv(s, buf, room, 0);
		if (n <= 0)
			break;
		svc->in += (uint64_t)n;
		if (!echo)
			continue;
		sent = usagi_send(s, buf, (size_t)n, 0);
		if (sent > 0)
			svc->out += (uint64_t)sent;
		if (sent != n)
			STAT_INC(s->st, tcp_echo_err);
	}
	if (n == 0 || (n < 0 && n != -EAGAIN))
		usagi_close(s);
}

static void listen_ready(struct usock *l, void *ctx)
{
	struct tcp_svc *svc = ctx;
	struct usock *c;

	while ((c = usagi_accept(l, NULL, NULL))) {
		svc->accepted++;
		usagi_sock_set_callback(c, echo_ready, ctx);
		echo_ready(c, ctx);   /* data may have come with the handshake */
	}
}

static int service_listen(struct stack *st, uint16_t port, bool echo)
{
	struct sockaddr_in6 sin;
	struct tcp_svc *svc;
	struct usock *s;
	int rc;

	if (port == 0)
		return -EINVAL;
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	s = usagi_socket(st, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	if (!s) {
		rc = -errno;
		free(svc);
		return rc;
	}
	sockaddr_make(&sin, &in6addr_any, port, 0);
	rc = usagi_bind(s, (const struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = usagi_listen(s, 128);
	if (rc < 0) {
		usagi_close(s);
		free(svc);
		return rc;
	}
	svc->l = s;
	svc->port = port;
	svc->echo = echo;
	dlist_add_tail(&st->sk.tcp->services, &svc->node);
	usagi_sock_set_callback(s, listen_ready, svc);
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

/*
 * One `service tcp-send`, listed by `service show` also once finished; the
 * dlist comes first: tcp_fini frees it by that pointer.
 */
struct tcp_sender {
	struct dlist node;       /* tcp_state.senders */
	struct usock *s;         /* NULL once finished */
	struct in6_addr dst;
	uint16_t port;
	int err;                 /* how it finished: 0 or -errno */
	uint64_t total, sent, start, ms;
	char peer[INET6_ADDRSTRLEN + 8];
};

static void sender_finish(struct tcp_sender *x, const char *how, int err)
{
	struct stack *st = x->s->st;
	uint64_t ms = (st->now - x->start) / NS_PER_MS;

	x->ms = ms;
	x->err = err;
	if (err)
		log_info(st, "tcp-send %s: %s after %llu bytes: %s", x->peer, how,
			 (unsigned long long)x->sent, strerror(-err));
	else
		log_info(st, "tcp-send %s: %llu bytes in %llu ms", x->peer,
			 (unsigned long long)x->sent, (unsigned long long)ms);
	usagi_close(x->s);
	x->s = NULL;
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
	x->dst = *dst;
	x->port = port;
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

/* [2001:db8::1]:7 or 192.0.2.1:7 (IPv4 is kept mapped). */
static const char *endpoint(const struct in6_addr *a, uint16_t port, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (in6_is_v4mapped(a)) {
		uint32_t v4 = ip4_from_mapped(a);

		inet_ntop(AF_INET, &v4, s, sizeof(s));
		snprintf(buf, len, "%s:%u", s, port);
	} else {
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(buf, len, "[%s]:%u", s, port);
	}
	return buf;
}

/* cwnd in octets, smoothed RTT in microseconds (once measured). */
static void show_cc(const struct tcb *t, FILE *out)
{
	fprintf(out, " cwnd %u", t->cwnd);
	if (t->srtt)
		fprintf(out, " srtt %lluus", (unsigned long long)(t->srtt / 1000));
}

/* One open connection of @svc: octets received and acknowledged so far (modulo 2^32). */
static void show_conn(const struct tcp_svc *svc, const struct tcb *t, FILE *out)
{
	char peer[INET6_ADDRSTRLEN + 16];
	uint32_t in = t->rcv_nxt - t->irs - 1 - (t->fin_rcvd ? 1 : 0);

	fprintf(out, "%s port %u peer %s %s in %u out %u", svc->echo ? "tcp-echo" : "tcp-discard",
		svc->port, endpoint(&t->faddr, t->fport, peer, sizeof(peer)), tcp_state_name(t->state),
		in, t->snd_ring_seq - t->iss - 1);
	show_cc(t, out);
	fputc('\n', out);
}

static void show_svc(struct stack *st, const struct tcp_svc *svc, FILE *out)
{
	const struct tcb *l = svc->l->tcb;
	struct dlist *pos, *tmp;
	unsigned active = 0;

	dlist_for_each_safe(pos, tmp, &st->sk.tcp->all) {
		const struct tcb *t = dlist_entry(pos, struct tcb, all);

		if (t->sk && t->sk->cb == echo_ready && t->sk->cb_ctx == svc)
			active++;
	}
	fprintf(out, "%s port %u %s accepted %llu active %u queued %u in %llu out %llu\n",
		svc->echo ? "tcp-echo" : "tcp-discard", svc->port, l ? tcp_state_name(l->state) : "CLOSED",
		(unsigned long long)svc->accepted, active, l ? l->nchildren : 0,
		(unsigned long long)svc->in, (unsigned long long)svc->out);
	dlist_for_each_safe(pos, tmp, &st->sk.tcp->all) {
		const struct tcb *t = dlist_entry(pos, struct tcb, all);

		if (t->sk && t->sk->cb == echo_ready && t->sk->cb_ctx == svc)
			show_conn(svc, t, out);
	}
}

static void show_sender(const struct tcp_sender *x, FILE *out)
{
	char peer[INET6_ADDRSTRLEN + 16];
	const struct tcb *t = x->s ? x->s->tcb : NULL;

	fprintf(out, "tcp-send to %s ", endpoint(&x->dst, x->port, peer, sizeof(peer)));
	if (t) {
		fprintf(out, "%s sent %llu of %llu", tcp_state_name(t->state),
			(unsigned long long)x->sent, (unsigned long long)x->total);
		show_cc(t, out);
	} else if (x->err) {
		fprintf(out, "failed sent %llu of %llu error %s", (unsigned long long)x->sent,
			(unsigned long long)x->total, strerror(-x->err));
	} else {
		fprintf(out, "done sent %llu of %llu in %llums", (unsigned long long)x->sent,
			(unsigned long long)x->total, (unsigned long long)x->ms);
	}
	fputc('\n', out);
}

void tcp_service_show(struct stack *st, FILE *out)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->sk.tcp->services)
		show_svc(st, dlist_entry(pos, struct tcp_svc, node), out);
	dlist_for_each_safe(pos, tmp, &st->sk.tcp->senders)
		show_sender(dlist_entry(pos, struct tcp_sender, node), out);
}
