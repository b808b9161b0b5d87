/*
 * `sysctl KEY[=VALUE]`: per-interface IPv6 and IPv4 settings (struct
 * ip6_conf as net.ipv6.conf.NAME.KEY, struct ip4_conf as
 * net.ipv4.conf.NAME.KEY) and the IPv4 host settings net.ipv4.ip_forward
 * and net.ipv4.ip_default_ttl, TCP's net.ipv4.tcp_initial_window (struct
 * tcp_state), read and written as sysctl(8) does, with
 * Linux's ranges and its rule that all.forwarding (and ip_forward) is
 * copied to every interface.
 */
#include <limits.h>
#include "cmd/cmd_priv.h"
#include "ipv6/addrconf.h"
#include "ipv6/pmtu_cache.h"
#include "ipv4/inet4.h"
#include "netfilter/nf_conntrack.h"
#include "l4/tcp.h"

#define MTU_LINK_MAX -1   /* max: the link MTU (65535 for all/default) */

struct conf_key {
	const char *name;
	size_t off;
	int min, max;
};

static const struct conf_key ip6_keys[] = {
	{ "forwarding", offsetof(struct ip6_conf, forwarding), 0, 1 },
	{ "accept_ra", offsetof(struct ip6_conf, accept_ra), 0, 2 },
	{ "autoconf", offsetof(struct ip6_conf, autoconf), 0, 1 },
	{ "dad_transmits", offsetof(struct ip6_conf, dad_transmits), 0, 255 },
	{ "optimistic_dad", offsetof(struct ip6_conf, optimistic_dad), 0, 1 },
	{ "hop_limit", offsetof(struct ip6_conf, hop_limit), 1, 255 },
	{ "mtu", offsetof(struct ip6_conf, mtu), 1280, MTU_LINK_MAX },
	{ "accept_redirects", offsetof(struct ip6_conf, accept_redirects), 0, 1 },
	/* -1: solicit until a router answers, as Linux allows. */
	{ "router_solicitations", offsetof(struct ip6_conf, router_solicitations), -1, 255 },
};

static const struct conf_key ip4_keys[] = {
	{ "forwarding", offsetof(struct ip4_conf, forwarding), 0, 1 },
	{ "accept_redirects", offsetof(struct ip4_conf, accept_redirects), 0, 1 },
	{ "arp_ignore", offsetof(struct ip4_conf, arp_ignore), 0, 8 },
	{ "arp_announce", offsetof(struct ip4_conf, arp_announce), 0, 2 },
	{ "rp_filter", offsetof(struct ip4_conf, rp_filter), 0, 2 },
};

/* Host-wide IPv4 settings (fields of struct ip4_state). */
static const struct conf_key ip4_host_keys[] = {
	{ "net.ipv4.ip_forward", offsetof(struct ip4_state, ip_forward), 0, 1 },
	{ "net.ipv4.ip_default_ttl", offsetof(struct ip4_state, default_ttl), 1, 255 },
};

/* TCP settings (fields of struct tcp_state, l4/tcp.h); Linux keeps these under net.ipv4 too. */
static const struct conf_key tcp_keys[] = {
	{ "net.ipv4.tcp_initial_window", offsetof(struct tcp_state, initial_window), 0, TCP_IW_MAX },
};

/* A family's per-interface settings: where "all", "default" and NAME live. */
struct conf_family {
	const char *prefix, *name;
	const struct conf_key *keys;
	size_t nkeys;
	void *(*conf_of)(struct stack *st, const char *name, struct netdev *dev);
	void (*set_forwarding)(struct stack *st, int v);
};

static void *conf6_of(struct stack *st, const char *name, struct netdev *dev)
{
	if (!dev)
		return strcmp(name, "all") == 0 ? &st->ip6.all : &st->ip6.dflt;
	return dev->in6 ? &dev->in6->conf : NULL;
}

static void *conf4_of(struct stack *st, const char *name, struct netdev *dev)
{
	if (!dev)
		return strcmp(name, "all") == 0 ? &st->ip4.all : &st->ip4.dflt;
	return dev->in4 ? &dev->in4->conf : NULL;
}

/* Linux: writing all.forwarding writes default and every interface too. */
static void ip6_set_forwarding(struct stack *st, int v)
{
	struct dlist *pos, *tmp;

	st->ip6.all.forwarding = st->ip6.dflt.forwarding = v;
	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *d = dlist_entry(pos, struct netdev, node);

		if (d->in6)
			d->in6->conf.forwarding = v;
	}
}

/* Linux (devinet): ip_forward and conf.all.forwarding are one switch, copied everywhere. */
static void ip4_set_forwarding(struct stack *st, int v)
{
	struct dlist *pos, *tmp;

	st->ip4.ip_forward = st->ip4.all.forwarding = st->ip4.dflt.forwarding = v;
	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *d = dlist_entry(pos, struct netdev, node);

		if (d->in4)
			d->in4->conf.forwarding = v;
	}
}

static const struct conf_family families[] = {
	{ "net.ipv6.conf.", "IPv6", ip6_keys, ARRAY_SIZE(ip6_keys), conf6_of, ip6_set_forwarding },
	{ "net.ipv4.conf.", "IPv4", ip4_keys, ARRAY_SIZE(ip4_keys), conf4_of, ip4_set_forwarding },
};

static int parse_int(const char *s, long *out)
{
	unsigned long v;
	bool neg = *s == '-';

	if (cmd_parse_ulong(s + neg, 0, INT_MAX, &v) < 0)
		return -EINVAL;
	*out = neg ? -(long)v : (long)v;
	return 0;
}

/* Writes @val into @field within @k's range (@dev bounds the MTU); 0 or 2 after an error. */
static int set_field(struct cmd_env *env, const struct conf_key *k, int *field,
		     const struct netdev *dev, const char *val)
{
	int max = k->max;
	long v;

	if (max == MTU_LINK_MAX)
		max = dev ? (int)dev->mtu : 65535;
	if (parse_int(val, &v) < 0 || v < k->min || v > max)
		return cmd_fail(env, 2, "sysctl", "invalid value \"%s\" for %s (%d..%d)", val,
				k->name, k->min, max);
	*field = (int)v;
	if (k->max == MTU_LINK_MAX)     /* path MTUs computed before may be too large now */
		pmtu_cache_link_changed(env->st);
	return 0;
}

/* `net.ipv4.ip_forward` and friends; -1 if @arg is none of them. */
static int sysctl_host(struct cmd_env *env, const char *arg, const char *val)
{
	for (size_t i = 0; i < ARRAY_SIZE(ip4_host_keys); i++) {
		const struct conf_key *k = &ip4_host_keys[i];
		int *field = (int *)((char *)&env->st->ip4 + k->off), rc;

		if (strcmp(arg, k->name) != 0)
			continue;
		if (val && (rc = set_field(env, k, field, NULL, val)) != 0)
			return rc;
		if (val && k->off == offsetof(struct ip4_state, ip_forward))
			ip4_set_forwarding(env->st, *field);
		fprintf(env->out, "%s = %d\n", k->name, *field);
		return 0;
	}
	return -1;
}

/* `net.ipv4.tcp_*` (struct tcp_state); -1 if @arg is none of them. */
static int sysctl_tcp(struct cmd_env *env, const char *arg, const char *val)
{
	for (size_t i = 0; i < ARRAY_SIZE(tcp_keys); i++) {
		const struct conf_key *k = &tcp_keys[i];
		int *field = (int *)((char *)env->st->sk.tcp + k->off), rc;

		if (strcmp(arg, k->name) != 0)
			continue;
		if (val && (rc = set_field(env, k, field, NULL, val)) != 0)
			return rc;
		fprintf(env->out, "%s = %d\n", k->name, *field);
		return 0;
	}
	return -1;
}

/* `net.netfilter.nf_conntrack_*` (netfilter/nf_sysctl.c); -1 if @arg is not one. */
static int sysctl_nf(struct cmd_env *env, const char *arg, const char *val)
{
	long v;
	int rc;

	if (nf_sysctl_get(env->st, arg, &v) == -ENOENT)
		return -1;
	if (val) {
		rc = parse_int(val, &v) < 0 ? -EINVAL : nf_sysctl_set(env->st, arg, v);
		if (rc == -EPERM)
			return cmd_fail(env, 2, "sysctl", "%s is read-only", arg);
		if (rc < 0)
			return cmd_fail(env, 2, "sysctl", "invalid value \"%s\" for %s", val, arg);
	}
	if (nf_sysctl_get(env->st, arg, &v) < 0)
		return cmd_fail(env, 1, "sysctl", "%s: out of memory", arg);
	fprintf(env->out, "%s = %ld\n", arg, v);
	return 0;
}

/* The conf NAME names in @fam, or NULL (error printed); @dev set for an interface. */
static void *find_conf(struct cmd_env *env, const struct conf_family *fam, const char *name,
		       struct netdev **dev)
{
	void *conf;

	*dev = NULL;
	if (strcmp(name, "all") != 0 && strcmp(name, "default") != 0) {
		*dev = netdev_by_name(env->st, name);
		if (!*dev) {
			cmd_fail(env, 1, "sysctl", "no such device \"%s\"", name);
			return NULL;
		}
	}
	conf = fam->conf_of(env->st, name, *dev);
	if (!conf)
		cmd_fail(env, 1, "sysctl", "%s has no %s state", name, fam->name);
	return conf;
}

/* `PREFIX NAME.KEY[=VALUE]` of @fam (@arg without "=VALUE", modified in place). */
static int sysctl_conf(struct cmd_env *env, const struct conf_family *fam, char *arg,
		       const char *val)
{
	char *name = arg + strlen(fam->prefix), *dot = strrchr(name, '.');
	const struct conf_key *k = NULL;
	struct netdev *dev;
	int *field, rc;
	void *conf;

	if (!dot || dot == name)
		return cmd_fail(env, 2, "sysctl", "unknown key \"%s\"", arg);
	*dot = '\0';
	for (size_t i = 0; i < fam->nkeys && !k; i++)
		if (strcmp(dot + 1, fam->keys[i].name) == 0)
			k = &fam->keys[i];
	if (!k)
		return cmd_fail(env, 2, "sysctl", "unknown key \"%s.%s\"", arg, dot + 1);
	conf = find_conf(env, fam, name, &dev);
	if (!conf)
		return 1;
	field = (int *)((char *)conf + k->off);
	if (val && (rc = set_field(env, k, field, dev, val)) != 0)
		return rc;
	if (val && !dev && strcmp(name, "all") == 0 && strcmp(k->name, "forwarding") == 0)
		fam->set_forwarding(env->st, *field);
	fprintf(env->out, "%s%s.%s = %d\n", fam->prefix, name, k->name, *field);
	return 0;
}

/* One `KEY[=VALUE]` argument (modified in place). */
static int sysctl_one(struct cmd_env *env, char *arg)
{
	char *eq = strchr(arg, '=');
	int rc;

	if (eq)
		*eq = '\0';
	if ((rc = sysctl_host(env, arg, eq ? eq + 1 : NULL)) >= 0)
		return rc;
	if ((rc = sysctl_nf(env, arg, eq ? eq + 1 : NULL)) >= 0)
		return rc;
	if ((rc = sysctl_tcp(env, arg, eq ? eq + 1 : NULL)) >= 0)
		return rc;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++)
		if (strncmp(arg, families[i].prefix, strlen(families[i].prefix)) == 0)
			return sysctl_conf(env, &families[i], arg, eq ? eq + 1 : NULL);
	return cmd_fail(env, 2, "sysctl", "unknown key \"%s\"", arg);
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
