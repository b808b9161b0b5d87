/*
 * `usagi conntrack [--control DIR] -L|-F|-C|-S|-E ...`: conntrack(8) for a
 * running node, over its control socket (the node's `conntrack` command,
 * src/cmd/cmd_conntrack.c). -L pages through the table with
 * `conntrack -L ... --resume CURSOR`, one connection per page, so a listing
 * of a million entries never piles up in the node's output buffer; -E
 * streams events until interrupted; the rest are one command each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "usagi.h"

struct page {
	char *out;                   /* OUT frames of the page */
	size_t len, cap;
	int status;
};

static int connect_node(const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ctl", dir) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "usagi: control path %s/ctl is too long\n", dir);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "usagi: cannot reach node at %s: %s\n", sun.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int append(struct page *pg, const char *data, size_t n)
{
	if (pg->len + n + 1 > pg->cap) {
		size_t cap = pg->cap ? pg->cap : 65536;
		char *b;

		while (cap < pg->len + n + 1)
			cap *= 2;
		if (!(b = realloc(pg->out, cap)))
			return -1;
		pg->out = b;
		pg->cap = cap;
	}
	memcpy(pg->out + pg->len, data, n);
	pg->len += n;
	pg->out[pg->len] = '\0';
	return 0;
}

/* Sends @line and gathers one page: OUT into pg->out, ERR straight to stderr. 0 or -1. */
static int fetch(const char *dir, const char *line, struct page *pg)
{
	uint8_t hdr[5];
	char buf[8192];
	int fd = connect_node(dir);

	if (fd < 0)
		return -1;
	pg->len = 0;
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		goto lost;
	while (read_full(fd, hdr, sizeof(hdr)) == 0) {
		uint32_t len = get_be32(hdr + 1);

		if (hdr[0] == CTL_FRAME_EXIT) {
			if (len != 4 || read_full(fd, buf, 4) < 0)
				break;
			pg->status = (int)get_be32(buf) & 0xff;
			close(fd);
			return 0;
		}
		while (len) {
			size_t n = MIN(len, sizeof(buf));

			if (read_full(fd, buf, n) < 0)
				goto lost;
			if (hdr[0] == CTL_FRAME_ERR)
				fwrite(buf, 1, n, stderr);
			else if (hdr[0] == CTL_FRAME_OUT && append(pg, buf, n) < 0)
				goto lost;
			len -= (uint32_t)n;
		}
	}
lost:
	fprintf(stderr, "usagi: the node closed the connection\n");
	close(fd);
	return -1;
}

/* -L: pages until one ends without `#resume NEXT`. */
static int list_pages(const char *dir, const char *args)
{
	struct page pg = { 0 };
	unsigned long cursor = 0;
	char line[CTL_LINE_MAX + 1];
	int rc = 0;

	for (;;) {
		char *tag;

		snprintf(line, sizeof(line), "conntrack %s --resume %lu\n", args, cursor);
		if (fetch(dir, line, &pg) < 0) {
			rc = 1;
			break;
		}
		tag = pg.len ? strstr(pg.out, "#resume ") : NULL;
		if (tag && (tag == pg.out || tag[-1] == '\n'))
			*tag = '\0';
		fputs(pg.out ? pg.out : "", stdout);
		if (pg.status || !tag) {
			rc = pg.status;
			break;
		}
		cursor = strtoul(tag + 8, NULL, 10);
	}
	free(pg.out);
	fflush(stdout);
	return rc;
}

int conntrack_main(int argc, char **argv)
{
	const char *opt = NULL;
	char args[CTL_LINE_MAX - 64] = "";
	size_t len = 0;
	bool list = false;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--control")) {
		opt = argv[2];
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: usagi conntrack [--control DIR] -L [-f ipv4|ipv6] [-p PROTO] "
			"| -F | -C | -S | -E\n");
		return 2;
	}
	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 2 > sizeof(args)) {
			fprintf(stderr, "usagi: command line too long\n");
			return 2;
		}
		list |= !strcmp(argv[i], "-L") || !strcmp(argv[i], "--dump");
		memcpy(args + len, argv[i], n);
		len += n;
		args[len++] = ' ';
		args[len] = '\0';
	}
	args[--len] = '\0';
	if (list)
		return list_pages(control_dir(opt), args);
	char line[CTL_LINE_MAX + 1];
	int n = snprintf(line, sizeof(line), "conntrack %s\n", args);

	return ctl_send_line(control_dir(opt), line, (size_t)n);
}
