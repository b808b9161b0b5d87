/*
 * `sysctl net.ipv6.conf.NAME.KEY[=VALUE]`: per-interface IPv6 settings
 * (struct ip6_conf), read and written as sysctl(8) does, with Linux's
 * ranges and its rule that all.forwarding is copied to every interface.
 */
#include <limits.h>
#include "cmd/cmd_priv.h"
#include "ipv6/addrconf.h"

#define SYSCTL_PREFIX "net.ipv6.conf."
#define MTU_LINK_MAX -1   /* max: the link MTU (65535 for all/default) */

static const struct {
	const char *name;
	size_t off;
	int min, max;
} conf_keys[] = {
	{ "forwarding", offsetof(struct ip6_conf, forwarding), 0, 1 },
	{ "accept_ra", offsetof(struct ip6_conf, accept_ra), 0, 2 },
	{ "autoconf", offsetof(struct ip6_conf, autoconf), 0, 1 },
	{ "dad_transmits", offsetof(struct ip6_conf, dad_transmits), 0, 255 },
	{ "hop_limit", offsetof(struct ip6_conf, hop_limit), 1, 255 },
	{ "mtu", offsetof(struct ip6_conf, mtu), 1280, MTU_LINK_MAX },
	{ "accept_redirects", offsetof(struct ip6_conf, accept_redirects), 0, 1 },
	/* -1: solicit until a router answers, as Linux allows. */
	{ "router_solicitations", offsetof(struct ip6_conf, router_solicitations), -1, 255 },
};

static int *conf_field(struct ip6_conf *c, size_t key)
{
	return (int *)((char *)c + conf_keys[key].off);
}

static int parse_int(const char *s, long *out)
{
	unsigned long v;
	bool neg = *s == '-';

	if (cmd_parse_ulong(s + neg, 0, INT_MAX, &v) < 0)
		return -EINVAL;
	*out = neg ? -(long)v : (long)v;
	return 0;
}

/* The conf NAME names, or NULL (error printed); @dev set for an interface. */
static struct ip6_conf *find_conf(struct cmd_env *env, const char *name, struct netdev **dev)
{
	*dev = NULL;
	if (strcmp(name, "all") == 0)
		return &env->st->ip6.all;
	if (strcmp(name, "default") == 0)
		return &env->st->ip6.dflt;
	*dev = netdev_by_name(env->st, name);
	if (!*dev) {
		cmd_fail(env, 1, "sysctl", "no such device \"%s\"", name);
		return NULL;
	}
	if (!(*dev)->in6) {
		cmd_fail(env, 1, "sysctl", "%s has no IPv6 state", name);
		return NULL;
	}
	return &(*dev)->in6->conf;
}

static int set_value(struct cmd_env *env, struct ip6_conf *conf, struct netdev *dev,
		     size_t key, const char *val)
{
	int max = conf_keys[key].max;
	struct dlist *pos, *tmp;
	long v;

	if (max == MTU_LINK_MAX)
		max = dev ? (int)dev->mtu : 65535;
	if (parse_int(val, &v) < 0 || v < conf_keys[key].min || v > max)
		return cmd_fail(env, 2, "sysctl", "invalid value \"%s\" for %s (%d..%d)", val,
				conf_keys[key].name, conf_keys[key].min, max);
	*conf_field(conf, key) = (int)v;
	if (conf != &env->st->ip6.all || conf_keys[key].off != offsetof(struct ip6_conf, forwarding))
		return 0;
	/* Linux: writing all.forwarding writes default and every interface too. */
	env->st->ip6.dflt.forwarding = (int)v;
	dlist_for_each_safe(pos, tmp, &env->st->netdevs) {
		struct netdev *d = dlist_entry(pos, struct netdev, node);

		if (d->in6)
			d->in6->conf.forwarding = (int)v;
	}
	return 0;
}

/* One `net.ipv6.conf.NAME.KEY[=VALUE]` argument (modified in place). */
static int sysctl_one(struct cmd_env *env, char *arg)
{
	char *eq = strchr(arg, '='), *name, *dot;
	struct ip6_conf *conf;
	struct netdev *dev;
	size_t key;
	int rc;

	if (eq)
		*eq = '\0';
	if (strncmp(arg, SYSCTL_PREFIX, strlen(SYSCTL_PREFIX)) != 0)
		return cmd_fail(env, 2, "sysctl", "unknown key \"%s\"", arg);
	name = arg + strlen(SYSCTL_PREFIX);
	dot = strrchr(name, '.');
	if (!dot || dot == name)
		return cmd_fail(env, 2, "sysctl", "unknown key \"%s\"", arg);
	*dot = '\0';
	for (key = 0; key < ARRAY_SIZE(conf_keys); key++)
		if (strcmp(dot + 1, conf_keys[key].name) == 0)
			break;
	if (key == ARRAY_SIZE(conf_keys))
		return cmd_fail(env, 2, "sysctl", "unknown key \"%s.%s\"", arg, dot + 1);
	conf = find_conf(env, name, &dev);
	if (!conf)
		return 1;
	if (eq && (rc = set_value(env, conf, dev, key, eq + 1)) != 0)
		return rc;
	fprintf(env->out, SYSCTL_PREFIX "%s.%s = %d\n", name, dot + 1, *conf_field(conf, key));
	return 0;
}

int cmd_sysctl(struct cmd_env *env, int argc, char **argv)
{
	int i = 1, rc = 0;

	if (i < argc && strcmp(argv[i], "-w") == 0)
		i++;
	if (i >= argc)
		return cmd_missing(env, "sysctl", "net.ipv6.conf.NAME.KEY[=VALUE]");
	for (; i < argc; i++) {
		int r = sysctl_one(env, argv[i]);

		rc = MAX(rc, r);
	}
	return rc;
}
