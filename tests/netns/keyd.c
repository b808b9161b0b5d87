/*
 * A small key daemon for tests/netns/pfkey_keyd.sh, written against the
 * PF_KEY client library (include/usagi/pfkey.h) the way a racoon-era
 * daemon is written against the kernel's PF_KEY socket: it plays the IKE
 * daemons of two usagi nodes that have already agreed on keys.
 *
 *   pfkey_keyd [--soft S] [--hard S] [--rekeys N] [--timeout S]
 *              DIR_A ADDR_A DIR_B ADDR_B
 *
 * On each node: REGISTER for ESP (the reply lists the node's algorithms).
 * Then, on an ACQUIRE from node X for X -> Y: both directions of ESP in
 * transport mode (aes-cbc 128 + hmac-sha1, fresh random keys), each
 * direction installed as GETSPI + UPDATE on the receiving node (the SPI
 * is the receiver's choice, RFC 4301) and ADD on the sending one; the
 * first generations get soft/hard add-time lifetimes. A soft EXPIRE of an
 * outbound SA rekeys its direction the same way (new SPI); generations
 * after --rekeys get no lifetimes, so the test ends. Hard EXPIREs are
 * logged. Every step is one line on standard output, e.g.
 *   registered node=A auth=8 encrypt=11
 *   acquire node=A src=192.0.2.1 dst=192.0.2.2 seq=1
 *   installed gen=1 A>B spi=0x3c1d5a07
 *   expire node=A soft spi=0x3c1d5a07 src=192.0.2.1 dst=192.0.2.2
 * Exit 0 at the timeout or SIGTERM, 1 on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <usagi/pfkey.h>
#include "pfkey/pfkey_codec.h"

#define QUEUE_MAX 64
#define REPLY_MS 5000

struct node {
	char name;                       /* 'A' or 'B' */
	int fd;
	struct in6_addr addr;            /* IPv4 mapped, as the codec gives it */
	uint8_t family;
	void *queue[QUEUE_MAX];          /* messages that came while a reply was awaited */
	size_t qlen[QUEUE_MAX], nq;
};

struct keyd {
	struct node n[2];
	uint32_t pid, seq;
	unsigned soft, hard, rekeys;
	unsigned gen[2];                 /* generation installed per direction (index: sender) */
	uint32_t out_spi[2];             /* the sender's current outbound SPI per direction */
	uint64_t buf[USAGI_PFKEY_MSG_MAX / 8];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *ntop(const struct in6_addr *a, char *buf)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return inet_ntop(AF_INET, a->s6_addr + 12, buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static __attribute__((noreturn)) void die(const char *what, int err)
{
	fprintf(stderr, "keyd: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Receives one message from @n into k->buf: its length, or -EAGAIN. */
static ssize_t recv_one(struct keyd *k, struct node *n, int timeout_ms, struct pfkey_msg *m)
{
	ssize_t len = usagi_pfkey_recv(n->fd, k->buf, sizeof(k->buf), timeout_ms);

	if (len == -EAGAIN)
		return len;
	if (len < 0)
		die("recv", (int)len);
	if (pfkey_parse(k->buf, (size_t)len, m) < 0)
		die(m->why ? m->why : "malformed message", EINVAL);
	return len;
}

/* Sends @b to @n and waits for its reply; anything else is queued for the main loop. */
static int call(struct keyd *k, struct node *n, struct pfkey_buf *b, struct pfkey_msg *reply)
{
	const struct sadb_msg *req;
	uint8_t type;
	uint32_t seq;
	int rc = pfkey_buf_finish(b);

	if (rc < 0 || (rc = usagi_pfkey_send(n->fd, b->data, b->len)) < 0)
		die("send", rc);
	req = (const void *)b->data;
	type = req->sadb_msg_type;
	seq = req->sadb_msg_seq;
	for (;;) {
		ssize_t len = recv_one(k, n, REPLY_MS, reply);

		if (len == -EAGAIN)
			die("no reply from the node", ETIMEDOUT);
		if (reply->hdr->sadb_msg_type == type && reply->hdr->sadb_msg_seq == seq &&
		    reply->hdr->sadb_msg_pid == k->pid)
			return -(int)reply->hdr->sadb_msg_errno;
		if (n->nq < QUEUE_MAX && (n->queue[n->nq] = malloc((size_t)len))) {
			memcpy(n->queue[n->nq], k->buf, (size_t)len);
			n->qlen[n->nq++] = (size_t)len;
		}
	}
}

static void do_register(struct keyd *k, struct node *n)
{
	struct pfkey_buf b;
	struct pfkey_msg m;
	const struct sadb_ext *a, *e;
	int rc;

	pfkey_buf_init(&b, SADB_REGISTER, SADB_SATYPE_ESP, ++k->seq, k->pid);
	if ((rc = call(k, n, &b, &m)) < 0)
		die("REGISTER", rc);
	pfkey_buf_free(&b);
	a = m.ext[SADB_EXT_SUPPORTED_AUTH];
	e = m.ext[SADB_EXT_SUPPORTED_ENCRYPT];
	printf("registered node=%c auth=%u encrypt=%u\n", n->name,
	       a ? (unsigned)((PFKEY_UNUNIT64(a->sadb_ext_len) - 8) / 8) : 0,
	       e ? (unsigned)((PFKEY_UNUNIT64(e->sadb_ext_len) - 8) / 8) : 0);
}

/* The body of an UPDATE/ADD: SA, SA2, lifetimes, addresses, keys. */
static void sa_body(struct keyd *k, struct pfkey_buf *b, uint32_t spi, const struct node *from,
		    const struct node *to, unsigned gen, const uint8_t *ekey, const uint8_t *akey)
{
	pfkey_add_sa(b, spi, 32, SADB_SASTATE_MATURE, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, 0);
	pfkey_add_sa2(b, IPSEC_MODE_TRANSPORT, 0);
	if (gen <= k->rekeys) {
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, 0, 0, k->hard, 0);
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, 0, 0, k->soft, 0);
	}
	pfkey_add_address(b, SADB_EXT_ADDRESS_SRC, &from->addr, from->family, 0, 0xff, 0);
	pfkey_add_address(b, SADB_EXT_ADDRESS_DST, &to->addr, to->family, 0, 0xff, 0);
	pfkey_add_key(b, SADB_EXT_KEY_AUTH, 160, akey);
	pfkey_add_key(b, SADB_EXT_KEY_ENCRYPT, 128, ekey);
}

/* Direction @x -> @y, generation gen[x] + 1: GETSPI + UPDATE on y (inbound), ADD on x (outbound). */
static void install(struct keyd *k, int x)
{
	struct node *from = &k->n[x], *to = &k->n[!x];
	unsigned gen = k->gen[x] + 1;
	uint8_t keys[16 + 20];
	struct pfkey_buf b;
	struct pfkey_msg m;
	uint32_t spi;
	int rc;

	if (getrandom(keys, sizeof(keys), 0) != sizeof(keys))
		die("getrandom", errno);
	pfkey_buf_init(&b, SADB_GETSPI, SADB_SATYPE_ESP, ++k->seq, k->pid);
	pfkey_add_sa2(&b, IPSEC_MODE_TRANSPORT, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &from->addr, from->family, 0, 0xff, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &to->addr, to->family, 0, 0xff, 0);
	pfkey_add_spirange(&b, 0x1000, 0x7fffffff);
	if ((rc = call(k, to, &b, &m)) < 0)
		die("GETSPI", rc);
	pfkey_buf_free(&b);
	spi = pfkey_get_spi(&m);
	printf("getspi node=%c spi=0x%08x\n", to->name, spi);

	pfkey_buf_init(&b, SADB_UPDATE, SADB_SATYPE_ESP, ++k->seq, k->pid);
	sa_body(k, &b, spi, from, to, gen, keys, keys + 16);
	if ((rc = call(k, to, &b, &m)) < 0)
		die("UPDATE", rc);
	pfkey_buf_free(&b);
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, ++k->seq, k->pid);
	sa_body(k, &b, spi, from, to, gen, keys, keys + 16);
	if ((rc = call(k, from, &b, &m)) < 0)
		die("ADD", rc);
	pfkey_buf_free(&b);
	explicit_bzero(keys, sizeof(keys));
	k->gen[x] = gen;
	k->out_spi[x] = spi;
	printf("installed gen=%u %c>%c spi=0x%08x\n", gen, from->name, to->name, spi);
}

static int node_of_addr(const struct keyd *k, const struct pfkey_addr *a)
{
	return in6_equal(&a->addr, &k->n[0].addr) ? 0 : in6_equal(&a->addr, &k->n[1].addr) ? 1 : -1;
}

static void on_acquire(struct keyd *k, struct node *n, const struct pfkey_msg *m)
{
	struct pfkey_addr src, dst;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int x;

	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &src) < 0 ||
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &dst) < 0)
		die("ACQUIRE without addresses", EINVAL);
	printf("acquire node=%c src=%s dst=%s seq=%u\n", n->name, ntop(&src.addr, a),
	       ntop(&dst.addr, b), m->hdr->sadb_msg_seq);
	x = node_of_addr(k, &src);
	if (x < 0 || node_of_addr(k, &dst) != !x)
		return;
	/* Like an IKE exchange: both directions at once, the reverse first so replies find theirs. */
	if (!k->gen[!x])
		install(k, !x);
	if (!k->gen[x])
		install(k, x);
}

static void on_expire(struct keyd *k, struct node *n, const struct pfkey_msg *m)
{
	bool hard = m->ext[SADB_EXT_LIFETIME_HARD] != NULL;
	uint32_t spi = pfkey_get_spi(m);
	struct pfkey_addr src, dst;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int x;

	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &src) < 0 ||
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &dst) < 0)
		die("EXPIRE without addresses", EINVAL);
	printf("expire node=%c %s spi=0x%08x src=%s dst=%s\n", n->name, hard ? "hard" : "soft", spi,
	       ntop(&src.addr, a), ntop(&dst.addr, b));
	x = node_of_addr(k, &src);
	/* RFC 2367 3.1.8: a soft expiry of the sender's SA is the cue to rekey that direction. */
	if (!hard && x >= 0 && n == &k->n[x] && spi == k->out_spi[x]) {
		install(k, x);
		printf("rekeyed %c>%c old=0x%08x new=0x%08x\n", n->name, k->n[!x].name, spi,
		       k->out_spi[x]);
	}
}

static void handle(struct keyd *k, struct node *n, const struct pfkey_msg *m)
{
	if (m->hdr->sadb_msg_errno)
		return;
	if (m->hdr->sadb_msg_type == SADB_ACQUIRE)
		on_acquire(k, n, m);
	else if (m->hdr->sadb_msg_type == SADB_EXPIRE)
		on_expire(k, n, m);
	fflush(stdout);
}

/* Runs what was queued while replies were awaited (in arrival order per node). */
static void drain_queues(struct keyd *k)
{
	for (int i = 0; i < 2; i++) {
		struct node *n = &k->n[i];

		while (n->nq) {
			struct pfkey_msg m;
			void *msg = n->queue[0];
			size_t len = n->qlen[0];

			memmove(n->queue, n->queue + 1, --n->nq * sizeof(n->queue[0]));
			memmove(n->qlen, n->qlen + 1, n->nq * sizeof(n->qlen[0]));
			memcpy(k->buf, msg, len);
			free(msg);
			if (pfkey_parse(k->buf, len, &m) == 0)
				handle(k, n, &m);
		}
	}
}

static void parse_node(struct keyd *k, int i, char name, const char *dir, const char *addr)
{
	struct node *n = &k->n[i];
	struct in_addr v4;

	n->name = name;
	if (inet_pton(AF_INET, addr, &v4) == 1) {
		memset(&n->addr, 0, sizeof(n->addr));
		n->addr.s6_addr[10] = n->addr.s6_addr[11] = 0xff;
		memcpy(n->addr.s6_addr + 12, &v4, 4);
		n->family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, &n->addr) == 1) {
		n->family = AF_INET6;
	} else {
		die(addr, EINVAL);
	}
	n->fd = usagi_pfkey_open(dir);
	if (n->fd < 0)
		die(dir, n->fd);
}

static unsigned opt_num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s || v > 100000)
		die(s, EINVAL);
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	static struct keyd k = { .soft = 3, .hard = 6, .rekeys = 1 };
	unsigned timeout = 60;
	struct timespec t0, t;
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		unsigned *v = !strcmp(argv[i], "--soft") ? &k.soft : !strcmp(argv[i], "--hard") ? &k.hard :
			      !strcmp(argv[i], "--rekeys") ? &k.rekeys :
			      !strcmp(argv[i], "--timeout") ? &timeout : NULL;

		if (!v)
			die(argv[i], EINVAL);
		*v = opt_num(argv[i + 1]);
	}
	if (argc - i != 4) {
		fprintf(stderr, "usage: pfkey_keyd [--soft S] [--hard S] [--rekeys N] [--timeout S] "
			"DIR_A ADDR_A DIR_B ADDR_B\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	k.pid = (uint32_t)getpid();
	parse_node(&k, 0, 'A', argv[i], argv[i + 1]);
	parse_node(&k, 1, 'B', argv[i + 2], argv[i + 3]);
	do_register(&k, &k.n[0]);
	do_register(&k, &k.n[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = t0; !stop && t.tv_sec - t0.tv_sec < (time_t)timeout; clock_gettime(CLOCK_MONOTONIC, &t)) {
		struct pollfd p[2] = { { k.n[0].fd, POLLIN, 0 }, { k.n[1].fd, POLLIN, 0 } };

		drain_queues(&k);
		if (poll(p, 2, 200) <= 0)
			continue;
		for (int j = 0; j < 2; j++) {
			struct pfkey_msg m;

			if (p[j].revents && recv_one(&k, &k.n[j], 0, &m) > 0)
				handle(&k, &k.n[j], &m);
		}
	}
	usagi_pfkey_close(k.n[0].fd);
	usagi_pfkey_close(k.n[1].fd);
	printf("done\n");
	return 0;
}
