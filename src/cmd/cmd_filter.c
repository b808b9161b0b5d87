/*
 * `filter add|del|flush|policy|show|host-mode`: the stateful filter's
 * rules (netfilter/nf_filter.h, docs/filter.md).
 */
#include "cmd/cmd_priv.h"
#include "netfilter/nf_filter.h"

#define WHAT "filter"

static int chain_arg(struct cmd_env *env, int argc, char **argv, int i)
{
	int c;

	if (i >= argc) {
		cmd_missing(env, WHAT, "CHAIN (input, forward or output)");
		return -1;
	}
	c = nf_filter_chain_parse(argv[i]);
	if (c < 0) {
		cmd_fail(env, 2, WHAT, "unknown chain \"%s\" (input, forward or output)", argv[i]);
		return -1;
	}
	return c;
}

static int filter_add(struct cmd_env *env, int argc, char **argv)
{
	char err[128];
	struct nf_rule r;
	int c = chain_arg(env, argc, argv, 1), rc;

	if (c < 0)
		return 2;
	if (nf_filter_parse(argc - 2, argv + 2, &r, err, sizeof(err)) < 0)
		return cmd_fail(env, 2, WHAT, "%s", err);
	rc = nf_filter_add(env->st, c, &r);
	return rc < 0 ? cmd_errno(env, WHAT, rc) : 0;
}

static int filter_del(struct cmd_env *env, int argc, char **argv)
{
	unsigned long h;
	int c = chain_arg(env, argc, argv, 1);

	if (c < 0)
		return 2;
	if (argc < 3)
		return cmd_missing(env, WHAT, "HANDLE");
	if (argc > 3)
		return cmd_bad_arg(env, WHAT, argv[3]);
	if (cmd_parse_ulong(argv[2], 1, UINT32_MAX, &h) < 0)
		return cmd_fail(env, 2, WHAT, "invalid handle \"%s\"", argv[2]);
	if (nf_filter_del(env->st, c, (uint32_t)h) < 0)
		return cmd_fail(env, 1, WHAT, "no rule with handle %lu in chain %s", h, argv[1]);
	return 0;
}

static int filter_flush(struct cmd_env *env, int argc, char **argv)
{
	int c = -1;

	if (argc > 2)
		return cmd_bad_arg(env, WHAT, argv[2]);
	if (argc == 2 && (c = chain_arg(env, argc, argv, 1)) < 0)
		return 2;
	nf_filter_flush(env->st, c);
	return 0;
}

static int filter_policy(struct cmd_env *env, int argc, char **argv)
{
	int c = chain_arg(env, argc, argv, 1), v, rc;

	if (c < 0)
		return 2;
	if (argc < 3)
		return cmd_missing(env, WHAT, "accept|drop");
	if (argc > 3)
		return cmd_bad_arg(env, WHAT, argv[3]);
	if (!strcmp(argv[2], "accept"))
		v = NF_FILTER_ACCEPT;
	else if (!strcmp(argv[2], "drop"))
		v = NF_FILTER_DROP;
	else
		return cmd_fail(env, 2, WHAT, "invalid policy \"%s\" (accept or drop)", argv[2]);
	rc = nf_filter_set_policy(env->st, c, v);
	return rc < 0 ? cmd_errno(env, WHAT, rc) : 0;
}

static int filter_show(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, WHAT, argv[1]);
	nf_filter_show(env->st, env->out);
	return 0;
}

static int filter_host_mode(struct cmd_env *env, int argc, char **argv)
{
	bool on;
	int rc;

	if (argc < 2)
		return cmd_missing(env, WHAT, "on|off");
	if (argc > 2)
		return cmd_bad_arg(env, WHAT, argv[2]);
	if (cmd_parse_bool(argv[1], &on) < 0)
		return cmd_fail(env, 2, WHAT, "invalid value \"%s\" (on or off)", argv[1]);
	rc = nf_filter_host_mode(env->st, on);
	return rc < 0 ? cmd_errno(env, WHAT, rc) : 0;
}

static const struct cmd_entry filter_cmds[] = {
	{ "add", filter_add },
	{ "del", filter_del },
	{ "flush", filter_flush },
	{ "policy", filter_policy },
	{ "show", filter_show },
	{ "host-mode", filter_host_mode },
};

int cmd_filter(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_missing(env, WHAT, "add|del|flush|policy|show|host-mode");
	return cmd_dispatch(env, WHAT, filter_cmds, ARRAY_SIZE(filter_cmds), argc - 1, argv + 1);
}
