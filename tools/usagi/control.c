/*
 * The control socket (docs/control.md): a node serves DIR/ctl, an AF_UNIX
 * stream socket; a client writes one command line ending in '\n' and reads
 * frames back — output, errors, and last the exit status. A pending command
 * (ping) keeps its connection open until it finishes; a client that hangs up
 * first gets it cancelled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "usagi.h"

#define CTL_OBUF_MAX (16u << 20)     /* a client that reads nothing is dropped past this */

enum conn_state { CONN_READING, CONN_RUNNING, CONN_FLUSHING };

struct ctl_conn;

/* Cookie of one output FILE: which connection, which frame type. */
struct ctl_stream {
	struct ctl_conn *conn;
	char type;
};

struct ctl_conn {
	struct dlist node;               /* ctl_server->conns */
	struct ctl_server *srv;
	int fd;
	int slot;                        /* pollfd index from the last fill, -1 none */
	enum conn_state state;
	bool finished;                   /* exit frame queued */
	bool dead;                       /* close at the next chance */
	char line[CTL_LINE_MAX + 1];
	size_t line_len;
	char *obuf;
	size_t olen, ocap, ooff;
	struct ctl_stream s_out, s_err;
	struct cmd_env env;
};

const char *control_dir(const char *opt)
{
	const char *env = getenv("USAGI_CONTROL");

	if (opt)
		return opt;
	return env && *env ? env : USAGI_CONTROL_DEFAULT;
}

static int ctl_path(char *buf, size_t size, const char *dir)
{
	if ((size_t)snprintf(buf, size, "%s/ctl", dir) >= size) {
		fprintf(stderr, "usagi: control path %s/ctl is too long\n", dir);
		return -1;
	}
	return 0;
}

int unix_connect(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void put_u32(uint8_t *b, uint32_t v)
{
	b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = (uint8_t)v;
}

/* Queues one frame for the client; drops the client if it stopped reading. */
static void conn_queue(struct ctl_conn *c, char type, const void *data, size_t len)
{
	size_t need = c->olen + 5 + len;

	if (c->dead)
		return;
	if (need > CTL_OBUF_MAX) {
		c->dead = true;
		return;
	}
	if (need > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 4096;
		char *b;

		while (cap < need)
			cap *= 2;
		b = realloc(c->obuf, cap);
		if (!b) {
			c->dead = true;
			return;
		}
		c->obuf = b;
		c->ocap = cap;
	}
	c->obuf[c->olen] = type;
	put_u32((uint8_t *)c->obuf + c->olen + 1, (uint32_t)len);
	memcpy(c->obuf + c->olen + 5, data, len);
	c->olen = need;
}

static ssize_t stream_write(void *cookie, const char *data, size_t n)
{
	struct ctl_stream *s = cookie;

	if (!s->conn->finished)
		conn_queue(s->conn, s->type, data, n);
	return (ssize_t)n;
}

static FILE *stream_open(struct ctl_stream *s, struct ctl_conn *c, char type)
{
	static const cookie_io_functions_t io = { .write = stream_write };
	FILE *f;

	s->conn = c;
	s->type = type;
	f = fopencookie(s, "w", io);
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* The command finished: its exit frame goes last. Safe from inside the stack. */
static void conn_finish(struct ctl_conn *c, int rc)
{
	uint8_t b[4];

	if (c->finished)
		return;
	fflush(c->env.out);
	fflush(c->env.err);
	put_u32(b, (uint32_t)rc);
	conn_queue(c, CTL_FRAME_EXIT, b, sizeof(b));
	c->finished = true;
	c->state = CONN_FLUSHING;
}

static void conn_done(struct cmd_env *env, int rc)
{
	conn_finish(env->ctx, rc);
}

static void conn_free(struct ctl_conn *c)
{
	if (c->state == CONN_RUNNING && !c->finished)
		cmd_cancel(&c->env);
	if (c->env.out)
		fclose(c->env.out);
	if (c->env.err)
		fclose(c->env.err);
	dlist_del(&c->node);
	close(c->fd);
	free(c->obuf);
	free(c);
}

static void conn_exec(struct ctl_conn *c)
{
	struct ctl_server *srv = c->srv;
	int rc;

	c->env = (struct cmd_env){ .st = srv->st, .link_create = srv->link_create,
				   .ctx = c, .done = conn_done };
	c->env.out = stream_open(&c->s_out, c, CTL_FRAME_OUT);
	c->env.err = stream_open(&c->s_err, c, CTL_FRAME_ERR);
	if (!c->env.out || !c->env.err) {
		c->dead = true;
		return;
	}
	c->state = CONN_RUNNING;
	rc = cmd_exec_line(&c->env, c->line);
	if (rc != CMD_PENDING)
		conn_finish(c, rc);
}

static void conn_read(struct ctl_conn *c)
{
	ssize_t n;
	char *nl;

	if (c->state != CONN_READING) {
		char junk[256];

		/* Anything after the command line is ignored; EOF means the client left. */
		n = read(c->fd, junk, sizeof(junk));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->dead = true;
		return;
	}
	n = read(c->fd, c->line + c->line_len, CTL_LINE_MAX - c->line_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->dead = true;
		return;
	}
	if (n < 0)
		return;
	c->line_len += (size_t)n;
	c->line[c->line_len] = '\0';
	nl = memchr(c->line, '\n', c->line_len);
	if (nl) {
		*nl = '\0';
		conn_exec(c);
	} else if (c->line_len == CTL_LINE_MAX) {
		static const char msg[] = "usagi: command line too long\n";
		uint8_t b[4];

		conn_queue(c, CTL_FRAME_ERR, msg, sizeof(msg) - 1);
		put_u32(b, 2);
		conn_queue(c, CTL_FRAME_EXIT, b, sizeof(b));
		c->finished = true;
		c->state = CONN_FLUSHING;
	}
}

static void conn_write(struct ctl_conn *c)
{
	while (c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->dead = true;
			return;
		}
		c->ooff += (size_t)n;
	}
	c->ooff = c->olen = 0;
	if (c->finished)
		c->dead = true;          /* everything sent: close */
}

/* A socket file nobody answers on is left from a node that died: remove it. */
/* A socket file at @path that nobody answers on (of @type) is a dead node's: remove it. */
static int clear_stale(const char *path, int type)
{
	struct stat sb;
	int fd;

	if (lstat(path, &sb) < 0)
		return 0;
	if (!S_ISSOCK(sb.st_mode)) {
		fprintf(stderr, "usagi: %s exists and is not a socket\n", path);
		return -1;
	}
	fd = unix_connect(path, type);
	if (fd >= 0) {
		close(fd);
		fprintf(stderr, "usagi: a node is already running at %s\n", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "usagi: cannot remove stale %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int make_dir(const char *dir)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; ; p++) {
		bool end = *p == '\0';

		if (!end && *p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -errno;
		if (end)
			return 0;
		*p = '/';
	}
}

int ctl_server_open(struct ctl_server *srv, const char *dir)
{
	int rc;

	dlist_init(&srv->conns);
	srv->fd = -1;
	if (ctl_path(srv->path, sizeof(srv->path), dir) < 0)
		return -1;
	rc = make_dir(dir);
	if (rc < 0) {
		fprintf(stderr, "usagi: cannot create %s: %s\n", dir, strerror(-rc));
		return -1;
	}
	srv->fd = unix_listen(srv->path, SOCK_STREAM);
	return srv->fd < 0 ? -1 : 0;
}

int unix_listen(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (clear_stale(path, type) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0660) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "usagi: cannot listen on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

void ctl_server_close(struct ctl_server *srv)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct ctl_conn *c = dlist_entry(pos, struct ctl_conn, node);

		if (c->state == CONN_RUNNING && !c->finished) {
			static const char msg[] = "usagi: the node is stopping\n";

			cmd_cancel(&c->env);
			fflush(c->env.out);
			conn_queue(c, CTL_FRAME_ERR, msg, sizeof(msg) - 1);
			conn_finish(c, 1);
			conn_write(c);     /* best effort: the client may not be reading */
		}
		conn_free(c);
	}
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	srv->fd = -1;
}

size_t ctl_server_nfds(const struct ctl_server *srv)
{
	size_t n = 1;

	for (const struct dlist *p = srv->conns.next; p != &srv->conns; p = p->next)
		n++;
	return n;
}

size_t ctl_server_fill(struct ctl_server *srv, struct pollfd *pfd)
{
	struct dlist *pos, *tmp;
	size_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = srv->fd, .events = POLLIN };
	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct ctl_conn *c = dlist_entry(pos, struct ctl_conn, node);

		c->slot = (int)n;
		pfd[n++] = (struct pollfd){ .fd = c->fd,
			.events = (short)(POLLIN | (c->olen > c->ooff ? POLLOUT : 0)) };
	}
	return n;
}

static void accept_one(struct ctl_server *srv)
{
	struct ctl_conn *c;
	int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->slot = -1;
	dlist_add_tail(&srv->conns, &c->node);
}

void ctl_server_serve(struct ctl_server *srv, const struct pollfd *pfd, size_t n)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct ctl_conn *c = dlist_entry(pos, struct ctl_conn, node);
		short ev = c->slot >= 0 && (size_t)c->slot < n ? pfd[c->slot].revents : 0;

		if (ev & (POLLIN | POLLHUP | POLLERR))
			conn_read(c);
		if (!c->dead && (ev & POLLOUT || c->olen > c->ooff))
			conn_write(c);
	}
	/* A command may finish or fail any client (ping done, buffer full): sweep. */
	dlist_for_each_safe(pos, tmp, &srv->conns) {
		struct ctl_conn *c = dlist_entry(pos, struct ctl_conn, node);

		if (!c->dead && c->finished && c->olen > c->ooff)
			conn_write(c);
		if (c->dead)
			conn_free(c);
	}
	if (n > 0 && pfd[0].revents & POLLIN)
		accept_one(srv);
}

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Copies frames to stdout/stderr until the exit frame; returns the status. */
static int ctl_relay(int fd)
{
	uint8_t hdr[5];
	char buf[8192];

	while (read_full(fd, hdr, sizeof(hdr)) == 0) {
		uint32_t len = get_be32(hdr + 1);
		FILE *to = hdr[0] == CTL_FRAME_ERR ? stderr : stdout;

		if (hdr[0] == CTL_FRAME_EXIT) {
			if (len != 4 || read_full(fd, buf, 4) < 0)
				break;
			fflush(stdout);
			return (int)get_be32(buf) & 0xff;
		}
		while (len) {
			size_t n = MIN(len, sizeof(buf));

			if (read_full(fd, buf, n) < 0)
				goto lost;
			if (hdr[0] == CTL_FRAME_OUT || hdr[0] == CTL_FRAME_ERR)
				fwrite(buf, 1, n, to);
			len -= (uint32_t)n;
		}
		fflush(to);
	}
lost:
	fflush(stdout);
	fprintf(stderr, "usagi: the node closed the connection\n");
	return 1;
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_send_line(const char *dir, const char *line, size_t len)
{
	char path[108];
	int fd, rc;

	if (ctl_path(path, sizeof(path), dir) < 0)
		return 1;
	fd = unix_connect(path, SOCK_STREAM);
	if (fd < 0) {
		fprintf(stderr, "usagi: cannot reach node at %s: %s\n", path, strerror(-fd));
		return 1;
	}
	if (send_all(fd, line, len) < 0) {
		fprintf(stderr, "usagi: cannot reach node at %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	rc = ctl_relay(fd);
	close(fd);
	return rc;
}

int ctl_main(int argc, char **argv)
{
	const char *opt = NULL;
	char line[CTL_LINE_MAX + 1];
	size_t len = 0;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--control")) {
		opt = argv[2];
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: usagi ctl [--control DIR] COMMAND...\n");
		return 2;
	}
	/* `setkey -c`: statements from standard input, one connection each (ctl_setkey.c). */
	if (argc == i + 2 && !strcmp(argv[i], "setkey") && !strcmp(argv[i + 1], "-c"))
		return ctl_setkey_stdin(control_dir(opt));
	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 2 > sizeof(line)) {
			fprintf(stderr, "usagi: command line too long\n");
			return 2;
		}
		memcpy(line + len, argv[i], n);
		len += n;
		line[len++] = i + 1 < argc ? ' ' : '\n';
	}
	return ctl_send_line(control_dir(opt), line, len);
}
