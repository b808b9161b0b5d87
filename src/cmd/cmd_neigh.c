/* `neigh show`: the neighbour cache, printed as `ip -6 neigh show` prints it. */
#include "cmd/cmd_priv.h"
#include "ipv6/nd6.h"
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

	fprintf(f, "%s", in6_ntop(&n->addr, buf));
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
};

static void show_one(void *ctx, const struct nd6_neigh_info *n)
{
	struct show_ctx *c = ctx;

	if (!c->dev || c->dev == n->dev)
		cmd_print_neigh(c->f, n);
}

static int neigh_show(struct cmd_env *env, int argc, char **argv)
{
	struct show_ctx c = { env->out, NULL };
	int i = argc > 2 && strcmp(argv[1], "dev") == 0 ? 2 : 1;

	if (i < argc) {
		if (i + 1 < argc)
			return cmd_bad_arg(env, "neigh show", argv[i + 1]);
		c.dev = cmd_dev(env, "neigh show", argv[i]);
		if (!c.dev)
			return 1;
	}
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
