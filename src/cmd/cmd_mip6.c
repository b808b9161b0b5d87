/*
 * `mip6`: the Mobile IPv6 roles (RFC 6275) of this host and their binding
 * tables (docs/mip6.md).
 *
 *   mip6 home-agent dev NAME [max-lifetime S] | mip6 home-agent off
 *   mip6 correspondent on|off
 *   mip6 mobile-node home ADDR[/LEN] home-agent ADDR [dev NAME] [ro on|off] [lifetime S]
 *   mip6 binding show
 */
#include "cmd/cmd_priv.h"
#include "mip6/mip6_priv.h"

#define WHAT "mip6"

static int mip6_home_agent(struct cmd_env *env, int argc, char **argv)
{
	struct netdev *dev = NULL;
	unsigned long maxl = 0;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "off")) {
		mip6_ha_fini(env->st);
		return 0;
	}
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return cmd_missing(env, WHAT, argv[i]);
		if (!strcmp(argv[i], "dev")) {
			if (!(dev = cmd_dev(env, WHAT, argv[i + 1])))
				return 1;
		} else if (!strcmp(argv[i], "max-lifetime")) {
			if (cmd_parse_ulong(argv[i + 1], 4, 0xffffu * 4, &maxl) < 0)
				return cmd_fail(env, 2, WHAT, "invalid lifetime \"%s\" (4..262140 s)",
						argv[i + 1]);
		} else {
			return cmd_bad_arg(env, WHAT, argv[i]);
		}
	}
	if (!dev)
		return cmd_missing(env, WHAT, "dev NAME");
	rc = mip6_ha_enable(env->st, dev);
	if (rc == -EINVAL)
		return cmd_fail(env, 1, WHAT, "%s has no global address to serve", dev->name);
	if (rc == -EBUSY)
		return cmd_fail(env, 1, WHAT, "already a home agent on another link with bindings");
	if (rc == 0 && maxl)
		rc = mip6_ha_set_max_lifetime(env->st, (uint32_t)maxl);
	return rc < 0 ? cmd_errno(env, WHAT, rc) : 0;
}

static int mip6_correspondent(struct cmd_env *env, int argc, char **argv)
{
	bool on;
	int rc;

	if (argc < 2)
		return cmd_missing(env, WHAT, "on|off");
	if (argc > 2)
		return cmd_bad_arg(env, WHAT, argv[2]);
	if (cmd_parse_bool(argv[1], &on) < 0)
		return cmd_bad_arg(env, WHAT, argv[1]);
	rc = mip6_cn_enable(env->st, on);
	return rc < 0 ? cmd_errno(env, WHAT, rc) : 0;
}

/* One `KEY VALUE` of `mip6 mobile-node`. 0, or the command's exit status. */
static int mn_arg(struct cmd_env *env, const char *key, const char *val, struct mip6_mn_conf *c,
		  bool *have_home, bool *have_ha)
{
	unsigned long v;
	unsigned plen;

	if (!strcmp(key, "home")) {
		if (in6_parse_prefix(val, &c->hoa, &plen) < 0 || plen < 1 || plen > 128)
			return cmd_fail(env, 2, WHAT, "invalid home address \"%s\"", val);
		c->home_plen = strchr(val, '/') ? plen : 64;
		*have_home = true;
	} else if (!strcmp(key, "home-agent")) {
		if (in6_parse_prefix(val, &c->ha, &plen) < 0 || plen != 128)
			return cmd_fail(env, 2, WHAT, "invalid home agent address \"%s\"", val);
		*have_ha = true;
	} else if (!strcmp(key, "dev")) {
		if (!(c->dev = cmd_dev(env, WHAT, val)))
			return 1;
	} else if (!strcmp(key, "ro")) {
		if (cmd_parse_bool(val, &c->ro) < 0)
			return cmd_bad_arg(env, WHAT, val);
	} else if (!strcmp(key, "lifetime")) {
		if (cmd_parse_ulong(val, 4, 0xffffu * 4, &v) < 0)
			return cmd_fail(env, 2, WHAT, "invalid lifetime \"%s\" (4..262140 s)", val);
		c->lifetime_s = (unsigned)v;
	} else {
		return cmd_bad_arg(env, WHAT, key);
	}
	return 0;
}

static int mip6_mobile_node(struct cmd_env *env, int argc, char **argv)
{
	struct mip6_mn_conf c = { .home_plen = 64 };
	bool have_home = false, have_ha = false;
	int rc;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return cmd_missing(env, WHAT, argv[i]);
		rc = mn_arg(env, argv[i], argv[i + 1], &c, &have_home, &have_ha);
		if (rc)
			return rc;
	}
	if (!have_home)
		return cmd_missing(env, WHAT, "home ADDR");
	if (!have_ha)
		return cmd_missing(env, WHAT, "home-agent ADDR");
	rc = mip6_mn_enable(env->st, &c);
	if (rc == -EEXIST)
		return cmd_fail(env, 1, WHAT, "already a mobile node");
	return rc < 0 ? cmd_errno(env, WHAT, rc) : 0;
}

static int mip6_binding(struct cmd_env *env, int argc, char **argv)
{
	struct mip6_state *ms = env->st->mip6;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "show")))
		return cmd_bad_arg(env, WHAT, argv[1]);
	mip6_ha_show(env->st, env->out);
	mip6_cn_show(env->st, env->out);
	if (ms && ms->mn_show)
		ms->mn_show(env->st, env->out);
	return 0;
}

static const struct cmd_entry mip6_cmds[] = {
	{ "home-agent", mip6_home_agent },
	{ "correspondent", mip6_correspondent },
	{ "mobile-node", mip6_mobile_node },
	{ "binding", mip6_binding },
};

int cmd_mip6(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_missing(env, WHAT, "home-agent|correspondent|mobile-node|binding");
	return cmd_dispatch(env, WHAT, mip6_cmds, ARRAY_SIZE(mip6_cmds), argc - 1, argv + 1);
}
