/*
 * `usagi setkey` on the wire: one PF_KEY connection to the node (through
 * the client library, include/usagi/pfkey.h), requests matched to their
 * replies by type, sadb_msg_seq and sadb_msg_pid as a PF_KEY client of
 * the kernel does, dumps read to their last entry (sadb_msg_seq 0), and
 * the -x monitor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <usagi/pfkey.h>
#include "setkey_tool.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

int sk_open(struct sk_session *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->fd = usagi_pfkey_open(dir);
	if (s->fd < 0) {
		fprintf(stderr, "usagi: cannot reach node at %s/%s: %s\n", dir, USAGI_PFKEY_SOCKET_NAME,
			strerror(-s->fd));
		return -1;
	}
	s->buf = aligned_alloc(8, USAGI_PFKEY_MSG_MAX);
	if (!s->buf) {
		fprintf(stderr, "usagi: setkey: %s\n", strerror(ENOMEM));
		sk_close(s);
		return -1;
	}
	s->pid = (uint32_t)getpid();
	return 0;
}

void sk_close(struct sk_session *s)
{
	usagi_pfkey_close(s->fd);
	s->fd = -1;
	if (s->buf)
		crypto_wipe(s->buf, USAGI_PFKEY_MSG_MAX);   /* dumps and replies carry keys */
	free(s->buf);
	s->buf = NULL;
}

/*
 * The node sends add and use times as wall-clock seconds (RFC 2367 2.3.3;
 * it knows the wall clock at its stack's time 0), so `current:` is simply
 * this host's wall clock.
 */
uint64_t sk_now(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* The next message from the node, parsed, into s->buf. 0, -EAGAIN (timeout) or -errno (printed). */
static int sk_recv(struct sk_session *s, int timeout_ms, struct pfkey_msg *m)
{
	for (;;) {
		ssize_t n = usagi_pfkey_recv(s->fd, s->buf, USAGI_PFKEY_MSG_MAX, timeout_ms);

		if (n == -EAGAIN)
			return -EAGAIN;
		if (n < 0) {
			s->io_failed = true;
			fprintf(stderr, "usagi: setkey: %s\n", n == -ECONNRESET ?
				"the node closed the PF_KEY connection" : strerror((int)-n));
			return (int)n;
		}
		if (pfkey_parse(s->buf, (size_t)n, m) == 0)
			return 0;
		fprintf(stderr, "usagi: setkey: a malformed message from the node ignored: %s\n",
			m->why ? m->why : "?");
	}
}

static int sk_send(struct sk_session *s, struct pfkey_buf *b)
{
	int rc = usagi_pfkey_send(s->fd, b->data, b->len);

	if (rc < 0) {
		s->io_failed = true;
		fprintf(stderr, "usagi: setkey: cannot send to the node: %s\n", strerror(-rc));
	}
	return rc;
}

int sk_call(struct sk_session *s, struct pfkey_buf *b, struct pfkey_msg *reply)
{
	const struct sadb_msg *req = (const struct sadb_msg *)b->data;
	uint8_t type = req->sadb_msg_type;
	uint32_t seq = req->sadb_msg_seq;
	int rc = sk_send(s, b);

	while (rc == 0) {
		rc = sk_recv(s, SK_REPLY_TIMEOUT_MS, reply);
		if (rc == -EAGAIN) {
			s->io_failed = true;
			fprintf(stderr, "usagi: setkey: no answer from the node\n");
			return -ETIMEDOUT;
		}
		if (rc < 0)
			return rc;
		/* Broadcasts of other clients' changes, EXPIREs ... are not ours. */
		if (reply->hdr->sadb_msg_type == type && reply->hdr->sadb_msg_seq == seq &&
		    reply->hdr->sadb_msg_pid == s->pid)
			return -(int)reply->hdr->sadb_msg_errno;
	}
	return rc;
}

int sk_dump(struct sk_session *s, uint8_t type, uint8_t satype,
	    int (*fn)(struct sk_session *s, const struct pfkey_msg *m, void *ctx), void *ctx)
{
	struct pfkey_buf b;
	struct pfkey_msg m;
	int rc = pfkey_buf_init(&b, type, satype, ++s->seq, s->pid), stop = 0;

	if (rc == 0)
		rc = pfkey_buf_finish(&b);
	if (rc == 0)
		rc = sk_send(s, &b);
	pfkey_buf_free(&b);
	while (rc == 0) {
		rc = sk_recv(s, SK_REPLY_TIMEOUT_MS, &m);
		if (rc == -EAGAIN) {
			s->io_failed = true;
			fprintf(stderr, "usagi: setkey: the node stopped in the middle of a dump\n");
			return -ETIMEDOUT;
		}
		if (rc < 0)
			return rc;
		/* Entries count down in sadb_msg_seq (RFC 2367 3.1.10): match on type and pid. */
		if (m.hdr->sadb_msg_type != type || m.hdr->sadb_msg_pid != s->pid)
			continue;
		if (m.hdr->sadb_msg_errno)
			return m.hdr->sadb_msg_errno == ENOENT ? stop : -(int)m.hdr->sadb_msg_errno;
		if (!stop)
			stop = fn(s, &m, ctx);
		if (m.hdr->sadb_msg_seq == 0)
			return stop;
	}
	return rc;
}

struct print_ctx {
	unsigned n;
};

static int print_sa_entry(struct sk_session *s, const struct pfkey_msg *m, void *ctx)
{
	((struct print_ctx *)ctx)->n++;
	if (setkey_pfkey_print_sa(stdout, m, sk_now()) < 0)
		fprintf(stderr, "usagi: setkey: an SA entry of the dump could not be read\n");
	return 0;
}

static int print_policy_entry(struct sk_session *s, const struct pfkey_msg *m, void *ctx)
{
	((struct print_ctx *)ctx)->n++;
	if (setkey_pfkey_print_policy(stdout, m) < 0)
		fprintf(stderr, "usagi: setkey: a policy entry of the dump could not be read\n");
	return 0;
}

int sk_print_sad(struct sk_session *s, uint8_t satype)
{
	struct print_ctx c = { 0 };
	int rc = sk_dump(s, SADB_DUMP, satype, print_sa_entry, &c);

	if (rc == 0 && c.n == 0)
		fputs("No SAD entries.\n", stdout);
	if (rc < 0 && !s->io_failed)
		fprintf(stderr, "usagi: setkey: dump: %s\n", strerror(-rc));
	fflush(stdout);
	return rc < 0;
}

int sk_print_spd(struct sk_session *s)
{
	struct print_ctx c = { 0 };
	int rc = sk_dump(s, SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC, print_policy_entry, &c);

	if (rc == 0 && c.n == 0)
		fputs("No SPD entries.\n", stdout);
	if (rc < 0 && !s->io_failed)
		fprintf(stderr, "usagi: setkey: spddump: %s\n", strerror(-rc));
	fflush(stdout);
	return rc < 0;
}

int sk_flush(struct sk_session *s, bool policy)
{
	struct pfkey_buf b;
	struct pfkey_msg m;
	int rc = pfkey_buf_init(&b, policy ? SADB_X_SPDFLUSH : SADB_FLUSH, SADB_SATYPE_UNSPEC,
				++s->seq, s->pid);

	if (rc == 0 && (rc = pfkey_buf_finish(&b)) == 0)
		rc = sk_call(s, &b, &m);
	pfkey_buf_free(&b);
	if (rc < 0 && !s->io_failed)
		fprintf(stderr, "usagi: setkey: %s: %s\n", policy ? "spdflush" : "flush", strerror(-rc));
	return rc < 0;
}

/* setkey -x: "Nov 26 04:01:02.123456" (local time); -xx: "1764129662.123456". */
static const char *stamp(unsigned xlevel, char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (xlevel >= 2) {
		snprintf(buf, size, "%lld.%06ld", (long long)ts.tv_sec, ts.tv_nsec / 1000);
		return buf;
	}
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%b %e %H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06ld", ts.tv_nsec / 1000);
	return buf;
}

/* Milliseconds left until @deadline (CLOCK_MONOTONIC ns); -1 for none, at least 1 otherwise. */
static int left_ms(uint64_t deadline)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (!deadline)
		return -1;
	return now >= deadline ? 0 : (int)MAX((deadline - now) / 1000000, 1);
}

int sk_monitor(struct sk_session *s, const struct sk_monitor_opts *o)
{
	uint64_t deadline = o->timeout_ms ? clock_ns(CLOCK_MONOTONIC) + o->timeout_ms * 1000000 : 0;
	unsigned long n = 0;
	struct pfkey_buf b;
	struct pfkey_msg m;
	char when[48];
	/* KAME/Linux: X_PROMISC with satype 1 turns promiscuous mode on. */
	int rc = pfkey_buf_init(&b, SADB_X_PROMISC, 1, ++s->seq, s->pid);

	if (rc == 0 && (rc = pfkey_buf_finish(&b)) == 0)
		rc = sk_call(s, &b, &m);
	pfkey_buf_free(&b);
	if (rc < 0) {
		if (!s->io_failed)
			fprintf(stderr, "usagi: setkey: -x: the node refused X_PROMISC: %s\n", strerror(-rc));
		return 1;
	}
	while (!o->count || n < o->count) {
		int wait = left_ms(deadline);

		if (wait == 0)
			break;
		rc = sk_recv(s, wait, &m);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return 1;
		setkey_pfkey_print_event(stdout, stamp(o->xlevel, when, sizeof(when)), &m, sk_now());
		fputc('\n', stdout);
		fflush(stdout);
		n++;
	}
	return 0;
}
