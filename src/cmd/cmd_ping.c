/*
 * `ping`: ICMP or ICMPv6 echo over an echo socket, driven by stack timers,
 * with iputils' output. Each request carries its send time (stack clock, ns)
 * in the first 8 payload bytes, so replies give their round trip on their
 * own. The two families differ only in what struct ping_af holds and in the
 * header line; addresses are kept as IPv6 (IPv4-mapped for IPv4).
 */
#include <stdlib.h>
#include <net/if.h>
#include "cmd/cmd_priv.h"
#include "ipv6/addrconf.h"
#include "ipv4/ipv4.h"
#include "ipv4/inet4.h"
#include "proto/ip6.h"
#include "proto/ip4.h"
#include "usagi/socket.h"

#define SEQ_BITS 65536               /* icmp_seq wraps, as duplicates are tracked */

struct ping_af {
	int domain, proto;
	uint8_t request, reply;
	unsigned long max_size;          /* payload of the largest echo message */
};

static const struct ping_af ping_v6 = {
	AF_INET6, IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY, 0xffff - 8,
};
static const struct ping_af ping_v4 = {
	AF_INET, IPPROTO_ICMP, ICMP4_ECHO, ICMP4_ECHO_REPLY, 0xffff - IPV4_HLEN - 8,
};

struct cmd_pending {
	struct cmd_pending *next;        /* env->pending */
	struct cmd_env *env;
	struct stack *st;
	const struct ping_af *af;
	struct usock *sock;
	struct timer timer;              /* next request, then the final wait */
	struct sockaddr_in6 dst;
	uint32_t count, sent, received, dups, errors;
	size_t size;                     /* payload bytes after the ICMPv6 header */
	uint64_t interval_ns, wait_ns;
	uint64_t start_ns, last_ns;      /* first request; last request or reply */
	uint64_t rtt_min, rtt_max, rtt_sum, rtt_sum2; /* us */
	uint8_t seen[SEQ_BITS / 8];      /* replies per icmp_seq, for (DUP!) */
	uint8_t buf[];                   /* one message: 8 + size bytes */
};

struct ping_opts {
	const struct ping_af *af;
	const char *target, *iface_arg;
	struct in6_addr src;
	bool has_src;
	int ifindex;
	unsigned long count, size;
	uint64_t interval_ns, wait_ns;
};

static uint64_t isqrt(uint64_t v)
{
	uint64_t x = v, y = (x + 1) / 2;

	while (y < x) {
		x = y;
		y = (x + v / x) / 2;
	}
	return x;
}

/* iputils prints a round trip with 3 significant digits or more (us in, ms out). */
static void print_ms(FILE *f, uint64_t us)
{
	if (us >= 100000 - 50)
		fprintf(f, "%llu", (unsigned long long)((us + 500) / 1000));
	else if (us >= 10000 - 5)
		fprintf(f, "%llu.%01llu", (unsigned long long)((us + 50) / 1000),
			(unsigned long long)((us + 50) % 1000 / 100));
	else if (us >= 1000)
		fprintf(f, "%llu.%02llu", (unsigned long long)((us + 5) / 1000),
			(unsigned long long)((us + 5) % 1000 / 10));
	else
		fprintf(f, "0.%03llu", (unsigned long long)us);
}

static void print_us3(FILE *f, uint64_t us)
{
	fprintf(f, "%llu.%03llu", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
}

/* IPv4 (mapped) addresses print dotted, as iputils' ping prints them. */
static const char *ping_ntop(const struct in6_addr *a, char *buf)
{
	return in6_is_v4mapped(a) ? ip4_ntop(ip4_from_mapped(a), buf) : in6_ntop(a, buf);
}

/* @a/@port as the socket address of @af (sockaddr_in for IPv4); its length. */
static socklen_t ping_sockaddr(const struct ping_af *af, const struct sockaddr_in6 *a,
			       struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;

	memset(out, 0, sizeof(*out));
	if (af->domain == AF_INET6) {
		memcpy(out, a, sizeof(*a));
		return sizeof(*a);
	}
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = ip4_from_mapped(&a->sin6_addr);
	return sizeof(*sin);
}

/* The reverse: what recvmsg gave, as a sockaddr_in6 (IPv4-mapped). */
static void ping_from(const struct sockaddr_storage *ss, struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		out->sin6_family = AF_INET6;
		ip4_to_mapped(&out->sin6_addr, ((const struct sockaddr_in *)ss)->sin_addr.s_addr);
	} else {
		memcpy(out, ss, sizeof(*out));
	}
}

static void unlink_pending(struct cmd_pending *p)
{
	for (struct cmd_pending **pp = &p->env->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
}

static void destroy(struct cmd_pending *p)
{
	stack_timer_cancel(p->st, &p->timer);
	usagi_close(p->sock);
	free(p);
}

static void print_summary(struct cmd_pending *p, FILE *f)
{
	char buf[INET6_ADDRSTRLEN];
	uint64_t n = p->received + p->dups;

	fprintf(f, "\n--- %s ping statistics ---\n", ping_ntop(&p->dst.sin6_addr, buf));
	fprintf(f, "%u packets transmitted, %u received, ", p->sent, p->received);
	if (p->dups)
		fprintf(f, "+%u duplicates, ", p->dups);
	if (p->errors)
		fprintf(f, "+%u errors, ", p->errors);
	fprintf(f, "%g%% packet loss, time %llums\n",
		p->sent ? (double)(p->sent - p->received) * 100.0 / p->sent : 0.0,
		(unsigned long long)((p->last_ns - p->start_ns + NS_PER_MS / 2) / NS_PER_MS));
	if (!n || p->size < 8)
		return;
	fputs("rtt min/avg/max/mdev = ", f);
	print_us3(f, p->rtt_min);
	fputc('/', f);
	print_us3(f, p->rtt_sum / n);
	fputc('/', f);
	print_us3(f, p->rtt_max);
	fputc('/', f);
	print_us3(f, isqrt(p->rtt_sum2 / n - (p->rtt_sum / n) * (p->rtt_sum / n)));
	fputs(" ms\n", f);
}

/* Prints the statistics, frees the ping, then reports to the owner (who may free env). */
static void finish(struct cmd_pending *p)
{
	struct cmd_env *env = p->env;
	int rc = p->received == p->count ? 0 : 1;

	print_summary(p, env->out);
	fflush(env->out);
	unlink_pending(p);
	destroy(p);
	if (env->done)
		env->done(env, rc);
}

/* Sends request number p->sent + 1; 0 or -errno (counted as sent either way). */
static int send_request(struct cmd_pending *p)
{
	uint16_t seq = (uint16_t)(++p->sent);
	struct sockaddr_storage to;
	socklen_t tolen = ping_sockaddr(p->af, &p->dst, &to);
	ssize_t rc;

	p->buf[0] = p->af->request;
	p->buf[1] = 0;
	memset(p->buf + 2, 0, 4);        /* checksum and identifier: the socket's */
	put_be16(p->buf + 6, seq);
	for (size_t i = 0; i < p->size; i++)
		p->buf[8 + i] = (uint8_t)i;
	if (p->size >= 8) {
		put_be32(p->buf + 8, (uint32_t)(p->st->now >> 32));
		put_be32(p->buf + 12, (uint32_t)p->st->now);
	}
	p->seen[seq / 8] &= (uint8_t)~(1u << (seq % 8));
	p->last_ns = p->st->now;
	rc = usagi_sendto(p->sock, p->buf, 8 + p->size, 0, (const struct sockaddr *)&to, tolen);
	if (rc < 0) {
		p->errors++;
		fprintf(p->env->err, "usagi: ping: sendmsg: %s\n", strerror((int)-rc));
		return (int)rc;
	}
	return 0;
}

static void print_from(FILE *f, const struct sockaddr_in6 *from, struct stack *st)
{
	char buf[INET6_ADDRSTRLEN];
	struct netdev *dev = from->sin6_scope_id ? netdev_by_index(st, (int)from->sin6_scope_id) : NULL;

	fputs(ping_ntop(&from->sin6_addr, buf), f);
	if (dev)
		fprintf(f, "%%%s", dev->name);
}

/* One Echo Reply of @len bytes in p->buf. */
static void got_reply(struct cmd_pending *p, size_t len, const struct sockaddr_in6 *from, int hlim)
{
	FILE *f = p->env->out;
	uint16_t seq;
	uint64_t us = 0;
	bool dup, timed = p->size >= 8 && len >= 16;

	if (len < 8 || p->buf[0] != p->af->reply)
		return;
	seq = get_be16(p->buf + 6);
	dup = p->seen[seq / 8] & (1u << (seq % 8));
	p->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	p->last_ns = p->st->now;
	if (timed) {
		uint64_t t = (uint64_t)get_be32(p->buf + 8) << 32 | get_be32(p->buf + 12);

		us = MIN(t <= p->st->now ? (p->st->now - t) / 1000 : 0, (uint64_t)UINT32_MAX);
		p->rtt_min = p->received + p->dups ? MIN(p->rtt_min, us) : us;
		p->rtt_max = MAX(p->rtt_max, us);
		p->rtt_sum += us;
		p->rtt_sum2 += us * us;
	}
	if (dup)
		p->dups++;
	else
		p->received++;
	fprintf(f, "%zu bytes from ", len);
	print_from(f, from, p->st);
	fprintf(f, ": icmp_seq=%u ttl=%d", seq, hlim);
	if (timed) {
		fputs(" time=", f);
		print_ms(f, us);
		fputs(" ms", f);
	}
	fputs(dup ? " (DUP!)\n" : "\n", f);
}

/* Socket callback: drain replies; once all are in, finish from a timer (never inside the socket). */
static void on_readable(struct usock *s, void *ctx)
{
	struct cmd_pending *p = ctx;

	/* Bounded: the queue holds at most a few hundred datagrams. */
	for (int i = 0; i < 4096; i++) {
		struct sockaddr_storage ss;
		struct sockaddr_in6 from;
		socklen_t fromlen = sizeof(ss);
		struct usagi_rxinfo info;
		ssize_t n = usagi_recvmsg(s, p->buf, 8 + p->size, 0, (struct sockaddr *)&ss,
					  &fromlen, &info);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			p->errors++;
			continue;
		}
		ping_from(&ss, &from);
		got_reply(p, (size_t)n, &from, info.hop_limit);
	}
	if (p->received >= p->count && p->sent >= p->count)
		stack_timer_in(p->st, &p->timer, 0);
}

static void on_timer(struct stack *st, struct timer *t)
{
	struct cmd_pending *p = container_of(t, struct cmd_pending, timer);

	if (p->sent >= p->count || p->received >= p->count) {
		finish(p);
		return;
	}
	send_request(p);
	stack_timer_in(st, &p->timer, p->sent < p->count ? p->interval_ns : p->wait_ns);
}

void cmd_ping_cancel_all(struct cmd_env *env)
{
	while (env->pending) {
		struct cmd_pending *p = env->pending;

		env->pending = p->next;
		destroy(p);
	}
}

/* ADDR or ADDR%IFNAME into o->... dst; 0, or 2 after printing the error. */
static int parse_target(struct cmd_env *env, struct ping_opts *o, struct sockaddr_in6 *dst)
{
	char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *pct;
	struct netdev *dev;
	uint32_t a4;

	if (strlen(o->target) >= sizeof(tmp))
		return cmd_fail(env, 2, "ping", "invalid address \"%s\"", o->target);
	strcpy(tmp, o->target);
	pct = strchr(tmp, '%');
	if (pct)
		*pct++ = '\0';
	memset(dst, 0, sizeof(*dst));
	dst->sin6_family = AF_INET6;
	if (!pct && inet_pton(AF_INET, tmp, &a4) == 1 && a4 != 0) {
		o->af = &ping_v4;
		ip4_to_mapped(&dst->sin6_addr, a4);
		return 0;
	}
	o->af = &ping_v6;
	if (inet_pton(AF_INET6, tmp, &dst->sin6_addr) != 1 || in6_is_unspec(&dst->sin6_addr))
		return cmd_fail(env, 2, "ping", "invalid address \"%s\"", o->target);
	if (pct) {
		if (!(dev = cmd_dev(env, "ping", pct)))
			return 1;
		o->ifindex = o->ifindex ? o->ifindex : dev->ifindex;
	}
	if (in6_is_linklocal(&dst->sin6_addr) || in6_is_multicast(&dst->sin6_addr)) {
		if (!o->ifindex)
			return cmd_fail(env, 2, "ping", "%s needs an interface (-I IFNAME or ADDR%%IFNAME)",
					o->target);
		dst->sin6_scope_id = (uint32_t)o->ifindex;
	}
	return 0;
}

/* -I ADDR (source address) or -I IFNAME (scope of link-local and multicast targets). */
static int parse_iface(struct cmd_env *env, struct ping_opts *o, const char *arg)
{
	struct netdev *dev;
	uint32_t a4;

	if (inet_pton(AF_INET, arg, &a4) == 1) {
		ip4_to_mapped(&o->src, a4);
		o->has_src = true;
		return 0;
	}
	if (inet_pton(AF_INET6, arg, &o->src) == 1) {
		o->has_src = true;
		return 0;
	}
	if (!(dev = cmd_dev(env, "ping", arg)))
		return 1;
	o->ifindex = dev->ifindex;
	return 0;
}

static int parse_opt(struct cmd_env *env, struct ping_opts *o, char opt, const char *val)
{
	switch (opt) {
	case 'c':
		if (cmd_parse_ulong(val, 1, INT32_MAX, &o->count) < 0)
			return cmd_fail(env, 2, "ping", "invalid count \"%s\"", val);
		return 0;
	case 's':
		if (cmd_parse_ulong(val, 0, ping_v6.max_size, &o->size) < 0)
			return cmd_fail(env, 2, "ping", "invalid size \"%s\" (0..%lu)", val,
					ping_v6.max_size);
		return 0;
	case 'i':
		if (cmd_parse_seconds_ns(val, &o->interval_ns) < 0 || o->interval_ns < NS_PER_MS)
			return cmd_fail(env, 2, "ping", "invalid interval \"%s\" (at least 0.001)", val);
		return 0;
	case 'W':
		if (cmd_parse_seconds_ns(val, &o->wait_ns) < 0 || o->wait_ns == 0)
			return cmd_fail(env, 2, "ping", "invalid timeout \"%s\"", val);
		return 0;
	case 'I':
		o->iface_arg = val;
		return 0;
	}
	return cmd_fail(env, 2, "ping", "unknown option \"-%c\"", opt);
}

/* Options may come before or after the target, valued as `-c 3` or `-c3`. */
static int parse_ping(struct cmd_env *env, int argc, char **argv, struct ping_opts *o)
{
	int rc;

	*o = (struct ping_opts){ .count = 3, .size = 56, .interval_ns = NS_PER_SEC,
				 .wait_ns = NS_PER_SEC };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;

		if (a[0] != '-' || a[1] == '\0') {
			if (o->target)
				return cmd_bad_arg(env, "ping", a);
			o->target = a;
			continue;
		}
		val = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
		if (a[1] && strchr("csiWI", a[1]) && !val)
			return cmd_fail(env, 2, "ping", "option \"-%c\" needs a value", a[1]);
		if ((rc = parse_opt(env, o, a[1], val)) != 0)
			return rc;
	}
	if (!o->target)
		return cmd_missing(env, "ping", "ADDR");
	if (o->iface_arg && (rc = parse_iface(env, o, o->iface_arg)) != 0)
		return rc;
	return 0;
}

/* IPv4 with -I IFNAME: the source that interface offers (iputils binds the device). */
static int source4_of_dev(struct cmd_env *env, struct ping_opts *o, const struct sockaddr_in6 *dst)
{
	struct netdev *dev;
	uint32_t src;

	if (o->af != &ping_v4 || o->has_src || !o->ifindex)
		return 0;
	dev = netdev_by_index(env->st, o->ifindex);
	if (!dev || inet4_select_source(env->st, ip4_from_mapped(&dst->sin6_addr), dev, &src) < 0)
		return cmd_fail(env, 1, "ping", "%s has no IPv4 address", dev ? dev->name : "?");
	ip4_to_mapped(&o->src, src);
	o->has_src = true;
	return 0;
}

/* Binds to the -I source address; a link-local one takes its interface's scope. */
static int bind_source(struct cmd_env *env, struct cmd_pending *p, const struct ping_opts *o)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = o->src };
	struct inet6_ifaddr *ifa = addrconf_lookup(env->st, &o->src);
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;

	if (in6_is_v4mapped(&o->src) != (o->af == &ping_v4))
		return cmd_fail(env, 2, "ping", "source and destination are of different families");
	if (in6_is_linklocal(&o->src))
		sin.sin6_scope_id = (uint32_t)(o->ifindex ? o->ifindex
					       : ifa && ifa->idev ? ifa->idev->dev->ifindex : 0);
	len = ping_sockaddr(o->af, &sin, &ss);
	rc = usagi_bind(p->sock, (const struct sockaddr *)&ss, len);
	if (rc < 0) {
		char buf[INET6_ADDRSTRLEN];

		return cmd_fail(env, 1, "ping", "bind %s: %s", ping_ntop(&o->src, buf), strerror(-rc));
	}
	return 0;
}

/* iputils' ping for IPv4: "PING host (addr) [from src dev: ]56(84) bytes of data." */
static void print_header4(struct cmd_env *env, const struct cmd_pending *p,
			  const struct ping_opts *o)
{
	char buf[INET6_ADDRSTRLEN];
	struct netdev *dev = o->ifindex ? netdev_by_index(env->st, o->ifindex) : NULL;

	fprintf(env->out, "PING %s (%s) ", o->target, ping_ntop(&p->dst.sin6_addr, buf));
	if (o->has_src)
		fprintf(env->out, "from %s %s: ", ping_ntop(&o->src, buf), dev ? dev->name : "");
	fprintf(env->out, "%lu(%lu) bytes of data.\n", o->size, o->size + IPV4_HLEN + 8);
}

static void print_header(struct cmd_env *env, const struct cmd_pending *p, const struct ping_opts *o)
{
	char buf[INET6_ADDRSTRLEN];

	if (o->af == &ping_v4) {
		print_header4(env, p, o);
		return;
	}
	struct netdev *dev = p->dst.sin6_scope_id ? netdev_by_index(env->st, (int)p->dst.sin6_scope_id)
						  : NULL;

	fprintf(env->out, "PING %s(%s", o->target, in6_ntop(&p->dst.sin6_addr, buf));
	if (dev)
		fprintf(env->out, "%%%s", dev->name);
	fputc(')', env->out);
	if (o->has_src)
		fprintf(env->out, " from %s :", in6_ntop(&o->src, buf));
	fprintf(env->out, " %lu data bytes\n", o->size);
}

static struct cmd_pending *ping_new(struct cmd_env *env, const struct ping_opts *o,
				    const struct sockaddr_in6 *dst)
{
	struct cmd_pending *p = calloc(1, sizeof(*p) + 8 + o->size);

	if (!p)
		return NULL;
	p->env = env;
	p->st = env->st;
	p->af = o->af;
	p->dst = *dst;
	p->count = (uint32_t)o->count;
	p->size = o->size;
	p->interval_ns = o->interval_ns;
	p->wait_ns = o->wait_ns;
	timer_init(&p->timer, on_timer);
	p->sock = usagi_socket(env->st, o->af->domain, SOCK_DGRAM, o->af->proto);
	if (!p->sock) {
		int err = errno ? errno : ENOMEM;

		free(p);
		errno = err;
		return NULL;
	}
	usagi_sock_set_callback(p->sock, on_readable, p);
	return p;
}

int cmd_ping(struct cmd_env *env, int argc, char **argv)
{
	struct sockaddr_in6 dst;
	struct ping_opts o;
	struct cmd_pending *p;
	int rc = parse_ping(env, argc, argv, &o);

	if (rc || (rc = parse_target(env, &o, &dst)) != 0 || (rc = source4_of_dev(env, &o, &dst)))
		return rc;
	if (o.size > o.af->max_size)
		return cmd_fail(env, 2, "ping", "invalid size \"%lu\" (0..%lu)", o.size,
				o.af->max_size);
	p = ping_new(env, &o, &dst);
	if (!p)
		return cmd_fail(env, 1, "ping", "socket: %s", strerror(errno));
	if (o.has_src && (rc = bind_source(env, p, &o)) != 0) {
		destroy(p);
		return rc;
	}
	print_header(env, p, &o);
	p->start_ns = env->st->now;
	/* Like iputils' initial connect(): a first request that cannot leave ends the ping. */
	if (send_request(p) < 0) {
		destroy(p);
		return 1;
	}
	p->next = env->pending;
	env->pending = p;
	stack_timer_in(env->st, &p->timer, p->count > 1 ? p->interval_ns : p->wait_ns);
	return CMD_PENDING;
}
