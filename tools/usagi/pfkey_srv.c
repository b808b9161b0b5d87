/*
 * DIR/pfkey: the node's PF_KEY socket (docs/pfkey.md). Each accepted
 * SOCK_SEQPACKET connection is one PF_KEY socket of the node's stack; a
 * packet from the client is one message for pfkey_sock_input, and every
 * message the server has for the client is queued here and sent as one
 * packet when the socket takes it. A dump is produced as the client
 * drains its queue, so DUMP of any size costs PFK_DUMP_LOW of memory; a
 * client that lets PFK_QUEUE_MAX pile up (it stopped reading while
 * broadcasts kept coming) is disconnected, like a DIR/ctl client.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "core/stack.h"
#include "pfkey/pfkey_server.h"
#include "usagi.h"
#include "pfkey_srv.h"

/* One queued message. */
struct pfk_rec {
	struct dlist node;
	size_t len;
	uint64_t data[];                  /* 8-byte aligned, as PF_KEY messages are */
};

struct pfk_conn {
	struct dlist node;                /* pfk_server.conns */
	struct pfk_server *srv;
	int fd;
	int slot;                         /* pollfd index from the last fill, -1 none */
	bool dead;                        /* close at the next sweep (never from inside the stack) */
	struct pfkey_sock *ps;
	struct dlist q;                   /* struct pfk_rec, oldest first */
	size_t qbytes;
};

/* pfkey_send_fn: queue a copy. Called from inside the stack: only marks, never frees. */
static int conn_send(void *ctx, const void *msg, size_t len)
{
	struct pfk_conn *c = ctx;
	struct pfk_rec *r;

	if (c->dead)
		return -EPIPE;
	if (c->qbytes + len > PFK_QUEUE_MAX) {
		log_info(c->srv->st, "pfkey: client not reading (%zu bytes queued): disconnected", c->qbytes);
		c->dead = true;
		return -ENOBUFS;
	}
	r = malloc(sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	r->len = len;
	memcpy(r->data, msg, len);
	dlist_add_tail(&c->q, &r->node);
	c->qbytes += len;
	return 0;
}

static void rec_free(struct pfk_conn *c, struct pfk_rec *r)
{
	dlist_del(&r->node);
	c->qbytes -= r->len;
	explicit_bzero(r->data, r->len);  /* GET and DUMP replies carry keys */
	free(r);
}

static void conn_free(struct pfk_conn *c)
{
	struct dlist *pos, *tmp;

	pfkey_sock_close(c->ps);
	dlist_for_each_safe(pos, tmp, &c->q)
		rec_free(c, dlist_entry(pos, struct pfk_rec, node));
	dlist_del(&c->node);
	c->srv->nconns--;
	close(c->fd);
	free(c);
}

/* Sends queued messages until the socket is full. True when the queue is empty. */
static bool conn_write(struct pfk_conn *c)
{
	while (!c->dead && !dlist_empty(&c->q)) {
		struct pfk_rec *r = dlist_entry(c->q.next, struct pfk_rec, node);
		ssize_t n = send(c->fd, r->data, r->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n < 0 && errno != EMSGSIZE) {
			c->dead = true;
			return false;
		}
		rec_free(c, r);               /* sent, or too big for the socket: dropped */
	}
	return dlist_empty(&c->q);
}

/* Tops up a running dump while little is queued. */
static void conn_refill(struct pfk_conn *c)
{
	while (!c->dead && c->qbytes < PFK_DUMP_LOW && pfkey_sock_dumping(c->ps))
		if (!pfkey_sock_dump_more(c->ps, 64))
			break;
}

/* Writes and refills in turn, a bounded amount per round so other clients get their turn. */
static void conn_pump(struct pfk_conn *c)
{
	for (int i = 0; i < 16 && !c->dead; i++) {
		conn_refill(c);
		if (!conn_write(c) || !pfkey_sock_dumping(c->ps))
			break;
	}
}

/* Reads up to PFK_READ_BURST messages; each is handled at once. */
static void conn_read(struct pfk_conn *c)
{
	uint64_t buf[PFK_MSG_MAX / 8];

	for (int i = 0; i < PFK_READ_BURST && !c->dead; i++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {                 /* 0: the client closed (an empty packet means the same) */
			c->dead = true;
			return;
		}
		/* MSG_TRUNC gives the real length: the rest of the packet is gone. */
		if ((size_t)n > sizeof(buf))
			pfkey_sock_reject(c->ps, buf, sizeof(buf), -EMSGSIZE);
		else
			pfkey_sock_input(c->ps, buf, (size_t)n);
		explicit_bzero(buf, MIN((size_t)n, sizeof(buf)));   /* ADD/UPDATE carry keys */
	}
}

int pfk_server_open(struct pfk_server *srv, struct stack *st, const char *dir)
{
	*srv = (struct pfk_server){ .fd = -1, .st = st };
	dlist_init(&srv->conns);
	if ((size_t)snprintf(srv->path, sizeof(srv->path), "%s/pfkey", dir) >= sizeof(srv->path)) {
		fprintf(stderr, "usagi: PF_KEY path %s/pfkey is too long\n", dir);
		return -1;
	}
	srv->fd = unix_listen(srv->path, SOCK_SEQPACKET);
	return srv->fd < 0 ? -1 : 0;
}

void pfk_server_close(struct pfk_server *srv)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct pfk_conn *c = dlist_entry(pos, struct pfk_conn, node);

		conn_write(c);                /* best effort: what is already queued */
		conn_free(c);
	}
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	srv->fd = -1;
}

size_t pfk_server_nfds(const struct pfk_server *srv)
{
	return 1 + srv->nconns;
}

size_t pfk_server_fill(struct pfk_server *srv, struct pollfd *pfd)
{
	struct dlist *pos, *tmp;
	size_t n = 0;

	if (srv->fd < 0)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = srv->fd, .events = POLLIN };
	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct pfk_conn *c = dlist_entry(pos, struct pfk_conn, node);
		bool out = !dlist_empty(&c->q) || pfkey_sock_dumping(c->ps);

		c->slot = (int)n;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = (short)(POLLIN | (out ? POLLOUT : 0)) };
	}
	return n;
}

static bool accept_one(struct pfk_server *srv)
{
	int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct pfk_conn *c;

	if (fd < 0)
		return false;
	if (srv->nconns >= PFK_CONNS_MAX || !(c = calloc(1, sizeof(*c)))) {
		log_info(srv->st, "pfkey: client refused (%u connected)", srv->nconns);
		close(fd);
		return true;
	}
	c->srv = srv;
	c->fd = fd;
	c->slot = -1;
	dlist_init(&c->q);
	c->ps = pfkey_sock_open(srv->st, conn_send, c);
	if (!c->ps) {
		close(fd);
		free(c);
		return true;
	}
	dlist_add_tail(&srv->conns, &c->node);
	srv->nconns++;
	return true;
}

void pfk_server_serve(struct pfk_server *srv, const struct pollfd *pfd, size_t n)
{
	struct dlist *pos, *tmp;

	if (srv->fd < 0)
		return;
	/*
	 * Accept first, whatever poll said: connect() returns once the
	 * connection is queued, so a client may have connected before another
	 * client's message that we are about to handle. A PF_KEY socket sees
	 * every broadcast from the moment it exists; so must this one.
	 */
	for (int i = 0; i < 16 && accept_one(srv); i++)
		;
	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct pfk_conn *c = dlist_entry(pos, struct pfk_conn, node);
		short ev = c->slot >= 0 && (size_t)c->slot < n ? pfd[c->slot].revents : 0;

		if (ev & (POLLIN | POLLHUP | POLLERR))
			conn_read(c);
	}
	/* Anyone may have been sent something (broadcasts, ACQUIRE, EXPIRE): write, then sweep. */
	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct pfk_conn *c = dlist_entry(pos, struct pfk_conn, node);

		if (!c->dead)
			conn_pump(c);
		if (c->dead)
			conn_free(c);
	}
}
