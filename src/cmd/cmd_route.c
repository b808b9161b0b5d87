/*
 * `route add|del|show`: the IPv4 and IPv6 routing tables, printed as `ip
 * route show` then `ip -6 route show` print them. The family comes from
 * the prefix, or for `default` from the gateway.
 */
#include "cmd/cmd_priv.h"
#include "ipv6/route6.h"
#include "ipv4/route4.h"
#include "ipv4/ipv4.h"
#include "proto/ip4.h"

/*
 * Routes added by hand print no proto, as iproute2 prints routes of its
 * default protocol (boot); kernel and RA routes name theirs.
 */
static const char *const proto_names[] = {
	[RT6_PROTO_KERNEL] = "kernel",
	[RT6_PROTO_STATIC] = NULL,
	[RT6_PROTO_RA] = "ra",
};

void cmd_print_route(FILE *f, const struct route6 *r, uint64_t now)
{
	char buf[INET6_ADDRSTRLEN];
	const char *proto = r->proto < ARRAY_SIZE(proto_names) ? proto_names[r->proto] : "unknown";

	if (r->plen == 0)
		fputs("default", f);
	else
		fprintf(f, "%s/%u", in6_ntop(&r->dst, buf), r->plen);
	if (!in6_is_unspec(&r->gw))
		fprintf(f, " via %s", in6_ntop(&r->gw, buf));
	if (r->dev)
		fprintf(f, " dev %s", r->dev->name);
	if (proto)
		fprintf(f, " proto %s", proto);
	fprintf(f, " metric %u", r->metric);
	if (r->expires)
		fprintf(f, " expires %llusec", (unsigned long long)
			(r->expires > now ? (r->expires - now) / NS_PER_SEC : 0));
	fputc('\n', f);
}

/* iproute2's order: dst, via, dev, proto, scope, src, metric; boot-proto routes print none. */
void cmd_print_route4(FILE *f, const struct route4 *r)
{
	char buf[INET_ADDRSTRLEN];

	if (r->plen == 0)
		fputs("default", f);
	else
		fprintf(f, "%s/%u", ip4_ntop(r->dst, buf), r->plen);
	if (r->gw)
		fprintf(f, " via %s", ip4_ntop(r->gw, buf));
	if (r->dev)
		fprintf(f, " dev %s", r->dev->name);
	if (r->proto == RT4_PROTO_KERNEL)
		fputs(" proto kernel", f);
	if (!r->gw)
		fputs(" scope link", f);
	if (r->prefsrc)
		fprintf(f, " src %s", ip4_ntop(r->prefsrc, buf));
	if (r->metric)
		fprintf(f, " metric %u", r->metric);
	fputc('\n', f);
}

struct show_ctx {
	FILE *f;
	uint64_t now;
};

static void show_one(void *ctx, const struct route6 *r)
{
	struct show_ctx *c = ctx;

	cmd_print_route(c->f, r, c->now);
}

static void show_one4(void *ctx, const struct route4 *r)
{
	struct show_ctx *c = ctx;

	cmd_print_route4(c->f, r);
}

static int route_show(struct cmd_env *env, int argc, char **argv)
{
	struct show_ctx c = { env->out, env->st->now };

	if (argc > 1)
		return cmd_bad_arg(env, "route show", argv[1]);
	route4_foreach(env->st, show_one4, &c);
	route6_foreach(env->st, show_one, &c);
	return 0;
}

/* `PREFIX [via ADDR] [dev NAME] [metric N]`, before the family is known. */
struct route_args {
	const char *dst, *via;
	struct netdev *dev;
	unsigned long metric;
	bool has_metric;
};

static int parse_args(struct cmd_env *env, const char *what, int argc, char **argv, bool add,
		      struct route_args *a)
{
	memset(a, 0, sizeof(*a));
	if (argc < 2)
		return cmd_missing(env, what, "PREFIX");
	a->dst = argv[1];
	for (int i = 2; i < argc; i++) {
		bool val = i + 1 < argc;

		if (strcmp(argv[i], "via") == 0 && val) {
			a->via = argv[++i];
		} else if (strcmp(argv[i], "dev") == 0 && val) {
			if (!(a->dev = cmd_dev(env, what, argv[++i])))
				return 1;
		} else if (add && strcmp(argv[i], "metric") == 0 && val) {
			if (cmd_parse_ulong(argv[++i], 0, UINT32_MAX, &a->metric) < 0)
				return cmd_fail(env, 2, what, "invalid metric \"%s\"", argv[i]);
			a->has_metric = true;
		} else
			return cmd_bad_arg(env, what, argv[i]);
	}
	return 0;
}

/* IPv4 when the prefix is dotted, or for `default` when the gateway is. */
static bool args_v4(const struct route_args *a)
{
	const char *s = strcmp(a->dst, "default") == 0 && a->via ? a->via : a->dst;

	return strchr(s, '.') && !strchr(s, ':');
}

static int to_route6(struct cmd_env *env, const char *what, const struct route_args *a,
		     struct route6 *r)
{
	unsigned plen = 0;

	memset(r, 0, sizeof(*r));
	r->metric = a->has_metric ? (uint32_t)a->metric : 1024;
	r->proto = RT6_PROTO_STATIC;
	r->dev = a->dev;
	if (strcmp(a->dst, "default") != 0 && in6_parse_prefix(a->dst, &r->dst, &plen) < 0)
		return cmd_fail(env, 2, what, "invalid prefix \"%s\"", a->dst);
	r->plen = (uint8_t)plen;
	in6_prefix_mask(&r->dst, plen);
	if (a->via && (inet_pton(AF_INET6, a->via, &r->gw) != 1 || in6_is_multicast(&r->gw)))
		return cmd_fail(env, 2, what, "invalid gateway \"%s\"", a->via);
	return 0;
}

static int to_route4(struct cmd_env *env, const char *what, const struct route_args *a,
		     struct route4 *r)
{
	unsigned plen = 0;

	memset(r, 0, sizeof(*r));
	r->metric = a->has_metric ? (uint32_t)a->metric : 0;
	r->proto = RT4_PROTO_STATIC;
	r->dev = a->dev;
	if (strcmp(a->dst, "default") != 0 && ip4_parse_prefix(a->dst, &r->dst, &plen) < 0)
		return cmd_fail(env, 2, what, "invalid prefix \"%s\"", a->dst);
	r->plen = (uint8_t)plen;
	r->dst &= ip4_mask(plen);
	if (a->via && (inet_pton(AF_INET, a->via, &r->gw) != 1 || ip4_is_multicast(r->gw) ||
		       r->gw == 0))
		return cmd_fail(env, 2, what, "invalid gateway \"%s\"", a->via);
	return 0;
}

/* Like Linux: without dev, the gateway's own (connected) route names the device. */
static int gw_dev(struct cmd_env *env, const struct route_args *a, struct netdev **dev,
		  struct netdev *found)
{
	if (!*dev && a->via)
		*dev = found;
	if (!*dev && !a->via)
		return cmd_missing(env, "route add", "\"dev NAME\"");
	if (!*dev)
		return cmd_fail(env, 1, "route add", "no device reaches gateway %s (give dev NAME)",
				a->via);
	return 0;
}

static int route_add_result(struct cmd_env *env, int rc)
{
	if (rc == -EEXIST)
		return cmd_fail(env, 1, "route add", "route exists");
	return rc < 0 ? cmd_errno(env, "route add", rc) : 0;
}

static int route_add4(struct cmd_env *env, const struct route_args *a)
{
	const struct route4 *via;
	struct route4 r;
	int rc = to_route4(env, "route add", a, &r);

	if (rc)
		return rc;
	via = r.gw ? route4_lookup(env->st, r.gw) : NULL;
	rc = gw_dev(env, a, &r.dev, via && !via->gw ? via->dev : NULL);
	return rc ? rc : route_add_result(env, route4_add(env->st, &r));
}

static int route_add(struct cmd_env *env, int argc, char **argv)
{
	const struct route6 *via;
	struct route_args a;
	struct route6 r;
	int rc = parse_args(env, "route add", argc, argv, true, &a);

	if (rc)
		return rc;
	if (args_v4(&a))
		return route_add4(env, &a);
	if ((rc = to_route6(env, "route add", &a, &r)) != 0)
		return rc;
	via = a.via && !in6_is_linklocal(&r.gw) ? route6_lookup(env->st, &r.gw) : NULL;
	rc = gw_dev(env, &a, &r.dev, via && in6_is_unspec(&via->gw) ? via->dev : NULL);
	return rc ? rc : route_add_result(env, route6_add(env->st, &r));
}

static int route_del(struct cmd_env *env, int argc, char **argv)
{
	struct route_args a;
	struct route6 r;
	struct route4 r4;
	int rc = parse_args(env, "route del", argc, argv, false, &a);

	if (rc)
		return rc;
	if (args_v4(&a)) {
		if ((rc = to_route4(env, "route del", &a, &r4)) != 0)
			return rc;
		rc = route4_del(env->st, r4.dst, r4.plen, r4.gw, r4.dev);
	} else {
		if ((rc = to_route6(env, "route del", &a, &r)) != 0)
			return rc;
		rc = route6_del(env->st, &r.dst, r.plen, a.via ? &r.gw : NULL, r.dev);
	}
	if (rc == -ESRCH || rc == -ENOENT)
		return cmd_fail(env, 1, "route del", "no such route");
	return rc < 0 ? cmd_errno(env, "route del", rc) : 0;
}

static const struct cmd_entry route_cmds[] = {
	{ "add", route_add },
	{ "del", route_del },
	{ "delete", route_del },
	{ "show", route_show },
	{ "list", route_show },
};

int cmd_route(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return route_show(env, argc, argv);
	return cmd_dispatch(env, "route", route_cmds, ARRAY_SIZE(route_cmds), argc - 1, argv + 1);
}
