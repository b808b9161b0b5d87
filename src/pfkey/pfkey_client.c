/*
 * The PF_KEY client library (include/usagi/pfkey.h): a SOCK_SEQPACKET
 * connection to DIR/pfkey, one PF_KEY message per packet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <usagi/pfkey.h>

static const char *pfkey_dir(const char *dir)
{
	const char *env;

	if (dir)
		return dir;
	env = getenv("USAGI_CONTROL");
	return env && *env ? env : USAGI_PFKEY_CONTROL_DEFAULT;
}

int usagi_pfkey_open(const char *control_dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *dir = pfkey_dir(control_dir);
	int fd, n;

	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/" USAGI_PFKEY_SOCKET_NAME, dir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int usagi_pfkey_send(int fd, const void *msg, size_t len)
{
	ssize_t n;

	if (len == 0 || len > USAGI_PFKEY_MSG_MAX || !msg)
		return -EINVAL;
	do
		n = send(fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* SOCK_SEQPACKET sends a record whole or fails; a short count would be a bug. */
	return (size_t)n == len ? 0 : -EIO;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until @fd is readable: 0, -EAGAIN on timeout, -errno. */
static int wait_readable(int fd, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = timeout_ms;
		int r;

		if (timeout_ms > 0) {
			int64_t d = deadline - now_ms();

			left = d > 0 ? (int)d : 0;
		}
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;            /* POLLHUP/POLLERR too: recv reports them */
		if (r == 0)
			return -EAGAIN;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t usagi_pfkey_pending_len(int fd)
{
	char dummy;
	ssize_t n;

	do
		n = recv(fd, &dummy, 1, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

ssize_t usagi_pfkey_recv(int fd, void *buf, size_t cap, int timeout_ms)
{
	for (;;) {
		ssize_t len;
		int rc;

		if (timeout_ms != 0) {
			rc = wait_readable(fd, timeout_ms);
			if (rc < 0)
				return rc;
		}
		/* Peek the length first so a too-small buffer loses nothing. */
		len = usagi_pfkey_pending_len(fd);
		if (len == -EAGAIN && timeout_ms != 0)
			continue;            /* woken, then another reader took it */
		if (len < 0)
			return len;
		if ((size_t)len > cap)
			return -EMSGSIZE;
		do
			len = recv(fd, buf, cap, MSG_DONTWAIT);
		while (len < 0 && errno == EINTR);
		if (len == 0)
			return -ECONNRESET;
		if (len < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		return len;
	}
}

void usagi_pfkey_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
