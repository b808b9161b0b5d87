/*
 * `neigh show`: the neighbour cache, printed as `ip neigh show` prints it.
 * ARP entries share the cache under their IPv4-mapped address: they print
 * as IPv4, and first, as iproute2 lists IPv4 before IPv6.
 */
#include "cmd/cmd_priv.h"
#include "ipv6/nd6.h"
#include "ipv4/ipv4.h"
#include "proto/ip4.h"
#include "link/ether.h"

/* iproute2's spelling of the NUD states. */
static const char *const nud_names[] = {
	[NUD_NONE] = "NONE",
	[NUD_INCOMPLETE] = "INCOMPLETE",
	[NUD_REACHABLE] = "REACHABLE",
	[NUD_STALE] = "STALE",
	[NUD_DELAY] = "DELAY",
	[NUD_PROBE] = "PROBE",
	[NUD_FAILED] = "FAILED",
	[NUD_PERMANENT] = "PERMANENT",
};

void cmd_print_neigh(FILE *f, const struct nd6_neigh_info *n)
{
	char buf[INET6_ADDRSTRLEN], mac[18];
	unsigned s = (unsigned)n->state;

	if (in6_is_v4mapped(&n->addr))
		fputs(ip4_ntop(ip4_from_mapped(&n->addr), buf), f);
	else
		fputs(in6_ntop(&n->addr, buf), f);
	if (n->dev)
		fprintf(f, " dev %s", n->dev->name);
	if (n->has_lladdr)
		fprintf(f, " lladdr %s", eth_ntoa(n->lladdr, mac));
	if (n->is_router)
		fputs(" router", f);
	fprintf(f, " %s\n", s < ARRAY_SIZE(nud_names) ? nud_names[s] : "UNKNOWN");
}

struct show_ctx {
	FILE *f;
	const struct netdev *dev;   /* NULL: every device */
	bool v4;                    /* this pass prints the IPv4 (mapped) entries */
};

static void show_one(void *ctx, const struct nd6_neigh_info *n)
{
	struct show_ctx *c = ctx;

	if ((!c->dev || c->dev == n->dev) && in6_is_v4mapped(&n->addr) == c->v4)
		cmd_print_neigh(c->f, n);
}

static int neigh_show(struct cmd_env *env, int argc, char **argv)
{
	struct show_ctx c = { env->out, NULL, true };
	int i = argc > 2 && strcmp(argv[1], "dev") == 0 ? 2 : 1;

	if (i < argc) {
		if (i + 1 < argc)
			return cmd_bad_arg(env, "neigh show", argv[i + 1]);
		c.dev = cmd_dev(env, "neigh show", argv[i]);
		if (!c.dev)
			return 1;
	}
	nd6_neigh_foreach(env->st, show_one, &c);
	c.v4 = false;
	nd6_neigh_foreach(env->st, show_one, &c);
	return 0;
}

static const struct cmd_entry neigh_cmds[] = {
	{ "show", neigh_show },
	{ "list", neigh_show },
};

int cmd_neigh(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return neigh_show(env, argc, argv);
	return cmd_dispatch(env, "neigh", neigh_cmds, ARRAY_SIZE(neigh_cmds), argc - 1, argv + 1);
}
