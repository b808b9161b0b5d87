/* `route add|del|show`: the IPv6 routing table, printed as `ip -6 route show` prints it. */
#include "cmd/cmd_priv.h"
#include "ipv6/route6.h"

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

struct show_ctx {
	FILE *f;
	uint64_t now;
};

static void show_one(void *ctx, const struct route6 *r)
{
	struct show_ctx *c = ctx;

	cmd_print_route(c->f, r, c->now);
}

static int route_show(struct cmd_env *env, int argc, char **argv)
{
	struct show_ctx c = { env->out, env->st->now };

	if (argc > 1)
		return cmd_bad_arg(env, "route show", argv[1]);
	route6_foreach(env->st, show_one, &c);
	return 0;
}

static int parse_dst(struct cmd_env *env, const char *what, const char *s, struct route6 *r)
{
	unsigned plen;

	if (strcmp(s, "default") == 0) {
		memset(&r->dst, 0, sizeof(r->dst));
		r->plen = 0;
		return 0;
	}
	if (in6_parse_prefix(s, &r->dst, &plen) < 0)
		return cmd_fail(env, 2, what, "invalid prefix \"%s\"", s);
	r->plen = (uint8_t)plen;
	in6_prefix_mask(&r->dst, plen);
	return 0;
}

/* Parses `PREFIX [via ADDR] [dev NAME] [metric N]` into @r; @has_gw says whether via was given. */
static int parse_route(struct cmd_env *env, const char *what, int argc, char **argv,
		       bool add, struct route6 *r, bool *has_gw)
{
	unsigned long metric;

	memset(r, 0, sizeof(*r));
	r->metric = 1024;
	r->proto = RT6_PROTO_STATIC;
	*has_gw = false;
	if (argc < 2)
		return cmd_missing(env, what, "PREFIX");
	if (parse_dst(env, what, argv[1], r))
		return 2;
	for (int i = 2; i < argc; i++) {
		bool val = i + 1 < argc;

		if (strcmp(argv[i], "via") == 0 && val) {
			if (inet_pton(AF_INET6, argv[++i], &r->gw) != 1 || in6_is_multicast(&r->gw))
				return cmd_fail(env, 2, what, "invalid gateway \"%s\"", argv[i]);
			*has_gw = true;
		} else if (strcmp(argv[i], "dev") == 0 && val) {
			if (!(r->dev = cmd_dev(env, what, argv[++i])))
				return 1;
		} else if (add && strcmp(argv[i], "metric") == 0 && val) {
			if (cmd_parse_ulong(argv[++i], 0, UINT32_MAX, &metric) < 0)
				return cmd_fail(env, 2, what, "invalid metric \"%s\"", argv[i]);
			r->metric = (uint32_t)metric;
		} else
			return cmd_bad_arg(env, what, argv[i]);
	}
	return 0;
}

static int route_add(struct cmd_env *env, int argc, char **argv)
{
	struct route6 r;
	bool has_gw;
	int rc = parse_route(env, "route add", argc, argv, true, &r, &has_gw);

	if (rc)
		return rc;
	if (!r.dev && has_gw && !in6_is_linklocal(&r.gw)) {
		/* Like Linux: the gateway's own route names the device. */
		const struct route6 *via = route6_lookup(env->st, &r.gw);

		if (via && in6_is_unspec(&via->gw))
			r.dev = via->dev;
	}
	if (!r.dev && !has_gw)
		return cmd_missing(env, "route add", "\"dev NAME\"");
	if (!r.dev) {
		char buf[INET6_ADDRSTRLEN];

		return cmd_fail(env, 1, "route add", "no device reaches gateway %s (give dev NAME)",
				in6_ntop(&r.gw, buf));
	}
	rc = route6_add(env->st, &r);
	if (rc == -EEXIST)
		return cmd_fail(env, 1, "route add", "route exists");
	return rc < 0 ? cmd_errno(env, "route add", rc) : 0;
}

static int route_del(struct cmd_env *env, int argc, char **argv)
{
	struct route6 r;
	bool has_gw;
	int rc = parse_route(env, "route del", argc, argv, false, &r, &has_gw);

	if (rc)
		return rc;
	rc = route6_del(env->st, &r.dst, r.plen, has_gw ? &r.gw : NULL, r.dev);
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
