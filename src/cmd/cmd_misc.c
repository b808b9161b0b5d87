/* `stats`, `service` and the router-advertisement commands (`ra`). */
#include "cmd/cmd_priv.h"
#include "ipv6/nd6.h"
#include "l4/udp.h"
#include <arpa/inet.h>
#include <limits.h>
#include "proto/ip4.h"

int cmd_stats(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, "stats", argv[1]);
	/* Zero counters too: scripts read any counter by name. */
	for (unsigned i = 0; i < STAT_MAX; i++)
		fprintf(env->out, "%s %llu\n", stat_name(i), (unsigned long long)env->st->stats[i]);
	return 0;
}

static int service_echo(struct cmd_env *env, int argc, char **argv)
{
	unsigned long port;
	int rc;

	if (argc < 2)
		return cmd_missing(env, "service udp-echo", "PORT");
	if (argc > 2)
		return cmd_bad_arg(env, "service udp-echo", argv[2]);
	if (cmd_parse_ulong(argv[1], 1, 65535, &port) < 0)
		return cmd_fail(env, 2, "service udp-echo", "invalid port \"%s\"", argv[1]);
	rc = service_udp_echo(env->st, (uint16_t)port);
	return rc < 0 ? cmd_errno(env, "service udp-echo", rc) : 0;
}

static int service_sink(struct cmd_env *env, int argc, char **argv)
{
	unsigned long port;
	int rc;

	if (argc < 2)
		return cmd_missing(env, "service udp-sink", "PORT");
	if (argc > 2)
		return cmd_bad_arg(env, "service udp-sink", argv[2]);
	if (cmd_parse_ulong(argv[1], 1, 65535, &port) < 0)
		return cmd_fail(env, 2, "service udp-sink", "invalid port \"%s\"", argv[1]);
	rc = service_udp_sink(env->st, (uint16_t)port);
	return rc < 0 ? cmd_errno(env, "service udp-sink", rc) : 0;
}

/* [interval T] [size N] [count N] [from ADDR] after DST PORT. */
static int stream_opt(struct cmd_env *env, struct service_stream_conf *c, const char *k, const char *v)
{
	const char *what = "service udp-stream";
	unsigned long n;

	if (strcmp(k, "interval") == 0) {
		if (cmd_parse_seconds_ns(v, &c->interval_ns) < 0 || c->interval_ns < NS_PER_MS)
			return cmd_fail(env, 2, what, "invalid interval \"%s\" (at least 0.001)", v);
	} else if (strcmp(k, "size") == 0) {
		if (cmd_parse_ulong(v, 16, 1400, &n) < 0)
			return cmd_fail(env, 2, what, "invalid size \"%s\" (16..1400)", v);
		c->size = (uint32_t)n;
	} else if (strcmp(k, "count") == 0) {
		if (cmd_parse_ulong(v, 0, 1000000000, &n) < 0)
			return cmd_fail(env, 2, what, "invalid count \"%s\"", v);
		c->count = n;
	} else if (strcmp(k, "from") == 0) {
		if (inet_pton(AF_INET6, v, &c->src) != 1)
			return cmd_fail(env, 2, what, "invalid source address \"%s\"", v);
	} else {
		return cmd_bad_arg(env, what, k);
	}
	return 0;
}

static int service_stream(struct cmd_env *env, int argc, char **argv)
{
	const char *what = "service udp-stream";
	struct service_stream_conf c = { .interval_ns = 20 * NS_PER_MS, .size = 200 };
	unsigned long port;
	int rc;

	if (argc < 3)
		return cmd_missing(env, what, "DST PORT");
	if (inet_pton(AF_INET6, argv[1], &c.dst) != 1 || in6_is_multicast(&c.dst))
		return cmd_fail(env, 2, what, "invalid destination \"%s\"", argv[1]);
	if (cmd_parse_ulong(argv[2], 1, 65535, &port) < 0)
		return cmd_fail(env, 2, what, "invalid port \"%s\"", argv[2]);
	c.port = (uint16_t)port;
	for (int i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			return cmd_missing(env, what, argv[i]);
		rc = stream_opt(env, &c, argv[i], argv[i + 1]);
		if (rc)
			return rc;
	}
	rc = service_udp_stream(env->st, &c);
	return rc < 0 ? cmd_errno(env, what, rc) : 0;
}

/* `service tcp-echo PORT` / `service tcp-discard PORT` (l4/tcp_service.c). */
static int service_tcp(struct cmd_env *env, int argc, char **argv, const char *what,
		       int (*start)(struct stack *, uint16_t))
{
	unsigned long port;
	int rc;

	if (argc < 2)
		return cmd_missing(env, what, "PORT");
	if (argc > 2)
		return cmd_bad_arg(env, what, argv[2]);
	if (cmd_parse_ulong(argv[1], 1, 65535, &port) < 0)
		return cmd_fail(env, 2, what, "invalid port \"%s\"", argv[1]);
	rc = start(env->st, (uint16_t)port);
	return rc < 0 ? cmd_errno(env, what, rc) : 0;
}

static int service_tcp_echo_cmd(struct cmd_env *env, int argc, char **argv)
{
	return service_tcp(env, argc, argv, "service tcp-echo", service_tcp_echo);
}

static int service_tcp_discard_cmd(struct cmd_env *env, int argc, char **argv)
{
	return service_tcp(env, argc, argv, "service tcp-discard", service_tcp_discard);
}

/* `service tcp-send DST PORT BYTES` (DST IPv6 or IPv4). */
static int service_tcp_send_cmd(struct cmd_env *env, int argc, char **argv)
{
	const char *what = "service tcp-send";
	struct in6_addr dst;
	struct in_addr a4;
	unsigned long port, bytes;
	int rc;

	if (argc < 4)
		return cmd_missing(env, what, "DST PORT BYTES");
	if (argc > 4)
		return cmd_bad_arg(env, what, argv[4]);
	if (inet_pton(AF_INET, argv[1], &a4) == 1)
		ip4_to_mapped(&dst, a4.s_addr);
	else if (inet_pton(AF_INET6, argv[1], &dst) != 1 || in6_is_multicast(&dst))
		return cmd_fail(env, 2, what, "invalid destination \"%s\"", argv[1]);
	if (cmd_parse_ulong(argv[2], 1, 65535, &port) < 0)
		return cmd_fail(env, 2, what, "invalid port \"%s\"", argv[2]);
	if (cmd_parse_ulong(argv[3], 0, ULONG_MAX, &bytes) < 0)
		return cmd_fail(env, 2, what, "invalid byte count \"%s\"", argv[3]);
	rc = service_tcp_send(env->st, &dst, (uint16_t)port, bytes);
	return rc < 0 ? cmd_errno(env, what, rc) : 0;
}

static int service_list(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, "service show", argv[1]);
	service_show(env->st, env->out);
	return 0;
}

static const struct cmd_entry service_cmds[] = {
	{ "udp-echo", service_echo },
	{ "udp-sink", service_sink },
	{ "udp-stream", service_stream },
	{ "tcp-echo", service_tcp_echo_cmd },
	{ "tcp-discard", service_tcp_discard_cmd },
	{ "tcp-send", service_tcp_send_cmd },
	{ "show", service_list },
};

int cmd_service(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_missing(env, "service", "udp-echo, udp-stream, udp-sink or show");
	for (size_t i = 0; i < ARRAY_SIZE(service_cmds); i++)
		if (strcmp(argv[1], service_cmds[i].name) == 0)
			return service_cmds[i].fn(env, argc - 1, argv + 1);
	return cmd_fail(env, 2, "service", "unknown service \"%s\"", argv[1]);
}

/* RFC 4861 6.2.1 defaults for advertised prefixes. */
#define RA_VALID_DEFAULT 2592000u
#define RA_PREFERRED_DEFAULT 604800u

static int ra_prefix(struct cmd_env *env, struct netdev *dev, int argc, char **argv)
{
	const char *what = "ra prefix";
	struct nd6_ra_prefix p = { .onlink = true, .autonomous = true,
				   .valid_s = RA_VALID_DEFAULT, .preferred_s = RA_PREFERRED_DEFAULT };
	unsigned plen;
	int rc;

	if (argc < 2)
		return cmd_missing(env, what, "PREFIX/LEN");
	if (in6_parse_prefix(argv[1], &p.prefix, &plen) < 0 || in6_is_multicast(&p.prefix))
		return cmd_fail(env, 2, what, "invalid prefix \"%s\"", argv[1]);
	p.plen = (uint8_t)plen;
	in6_prefix_mask(&p.prefix, plen);
	for (int i = 2; i < argc; i++) {
		bool val = i + 1 < argc;

		if (strcmp(argv[i], "valid") == 0 && val) {
			if (cmd_parse_lft(argv[++i], &p.valid_s) < 0)
				return cmd_fail(env, 2, what, "invalid valid lifetime \"%s\"", argv[i]);
		} else if (strcmp(argv[i], "preferred") == 0 && val) {
			if (cmd_parse_lft(argv[++i], &p.preferred_s) < 0)
				return cmd_fail(env, 2, what, "invalid preferred lifetime \"%s\"", argv[i]);
		} else if (strcmp(argv[i], "noautonomous") == 0)
			p.autonomous = false;
		else if (strcmp(argv[i], "noonlink") == 0)
			p.onlink = false;
		else
			return cmd_bad_arg(env, what, argv[i]);
	}
	if (p.preferred_s > p.valid_s)
		return cmd_fail(env, 2, what, "preferred lifetime is greater than valid lifetime");
	rc = nd6_ra_add_prefix(dev, &p);
	return rc < 0 ? cmd_errno(env, what, rc) : 0;
}

/*
 * One setting of `ra NAME SETTING...` at argv[*i] applied to @c; advances
 * *i past its values. RFC 4861 6.2.1 ranges (intervals down to RFC 6275
 * 7.5's 30 ms; lifetime 0 advertises a router that is no default router).
 */
static int ra_setting(struct cmd_env *env, struct netdev *dev, int argc, char **argv, int *i,
		      struct nd6_ra_conf *c)
{
	const char *key = argv[*i];
	int left = argc - *i - 1;
	uint64_t min_ns, max_ns;
	unsigned long v;

	if (strcmp(key, "interval") == 0 && left >= 2) {
		if (cmd_parse_seconds_ns(argv[*i + 1], &min_ns) < 0 ||
		    cmd_parse_seconds_ns(argv[*i + 2], &max_ns) < 0 || max_ns < 70 * NS_PER_MS ||
		    max_ns > 1800 * NS_PER_SEC || min_ns < 30 * NS_PER_MS || min_ns * 4 > max_ns * 3)
			return cmd_fail(env, 2, "ra interval", "invalid interval \"%s %s\" "
					"(MAX 0.07..1800 s, MIN 0.03 s..0.75*MAX)", argv[*i + 1], argv[*i + 2]);
		c->min_interval_ms = (uint32_t)(min_ns / NS_PER_MS);
		c->max_interval_ms = (uint32_t)(max_ns / NS_PER_MS);
		*i += 2;
	} else if (strcmp(key, "lifetime") == 0 && left >= 1) {
		if (cmd_parse_ulong(argv[++*i], 0, 9000, &v) < 0)
			return cmd_fail(env, 2, "ra lifetime", "invalid lifetime \"%s\" (0..9000)", argv[*i]);
		c->lifetime_s = (uint16_t)v;
	} else if (strcmp(key, "retrans") == 0 && left >= 1) {
		if (cmd_parse_ulong(argv[++*i], 0, 3600000, &v) < 0)
			return cmd_fail(env, 2, "ra retrans", "invalid retrans timer \"%s\" (0..3600000 ms)",
					argv[*i]);
		c->retrans_ms = (uint32_t)v;
	} else if (strcmp(key, "mtu") == 0 && left >= 1) {
		if (cmd_parse_ulong(argv[++*i], 1280, dev->mtu, &v) < 0)
			return cmd_fail(env, 2, "ra mtu", "invalid mtu \"%s\" (1280..%u)", argv[*i], dev->mtu);
		c->mtu = (uint32_t)v;
	} else if ((strcmp(key, "managed") == 0 || strcmp(key, "other") == 0) && left >= 1) {
		bool *flag = key[0] == 'm' ? &c->managed : &c->other;

		if (cmd_parse_bool(argv[++*i], flag) < 0)
			return cmd_fail(env, 2, "ra", "invalid %s flag \"%s\" (on or off)", key, argv[*i]);
	} else
		return cmd_bad_arg(env, "ra", key);
	return 0;
}

/*
 * `ra NAME SETTING...`: the settings named on the line change, every other
 * one keeps its value; a bad setting anywhere on the line changes nothing.
 */
static int ra_params(struct cmd_env *env, struct netdev *dev, int argc, char **argv)
{
	struct nd6_ra_conf c;
	int rc;

	if ((rc = nd6_ra_get_conf(dev, &c)) < 0)
		return cmd_errno(env, "ra", rc);
	for (int i = 0; i < argc; i++)
		if ((rc = ra_setting(env, dev, argc, argv, &i, &c)) != 0)
			return rc;
	rc = nd6_ra_set_conf(dev, &c);
	return rc < 0 ? cmd_errno(env, "ra", rc) : 0;
}

int cmd_ra(struct cmd_env *env, int argc, char **argv)
{
	struct netdev *dev;
	bool on;
	int rc;

	if (argc < 2)
		return cmd_missing(env, "ra", "NAME");
	if (argc < 3)
		return cmd_missing(env, "ra", "on, off or a setting");
	dev = cmd_dev(env, "ra", argv[1]);
	if (!dev)
		return 1;
	if (strcmp(argv[2], "prefix") == 0)
		return ra_prefix(env, dev, argc - 2, argv + 2);
	if (cmd_parse_bool(argv[2], &on) < 0)
		return ra_params(env, dev, argc - 2, argv + 2);
	if (argc > 3)
		return cmd_bad_arg(env, "ra", argv[3]);
	rc = nd6_ra_enable(dev, on);
	return rc < 0 ? cmd_errno(env, "ra", rc) : 0;
}
