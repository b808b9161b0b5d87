/*
 * `addr add|del|show`: IPv4 and IPv6 addresses, printed as `ip addr show`
 * prints them (inet lines before inet6). The address form picks the family.
 */
#include "cmd/cmd_priv.h"
#include "ipv6/addrconf.h"
#include "ipv4/inet4.h"
#include "proto/ip4.h"

/* In iproute2's order; "dynamic" is our SLAAC flag (iproute2: not permanent). */
static const struct {
	uint32_t mask;
	const char *name;
} ifa_flag_names[] = {
	{ IFA_F_NODAD, "nodad" },
	{ IFA_F_OPTIMISTIC, "optimistic" },
	{ IFA_F_DADFAILED, "dadfailed" },
	{ IFA_F_HOMEADDRESS, "home" },
	{ IFA_F_DEPRECATED, "deprecated" },
	{ IFA_F_TENTATIVE, "tentative" },
	{ IFA_F_AUTOCONF, "dynamic" },
};

/* Listed in this order, global first, as Linux lists them. */
static const char *const scope_names[] = { "global", "link", "host" };

static unsigned scope_of(const struct in6_addr *a)
{
	return in6_is_loopback(a) ? 2 : in6_is_linklocal(a) ? 1 : 0;
}

/* Whole seconds left, rounded up as Linux reports address lifetimes. */
static void print_lft(FILE *f, const char *name, uint64_t until, uint64_t now)
{
	if (until == LIFETIME_INFINITE)
		fprintf(f, "%s forever", name);
	else
		fprintf(f, "%s %llusec", name, (unsigned long long)
			(until > now ? (until - now + NS_PER_SEC - 1) / NS_PER_SEC : 0));
}

void cmd_print_ifaddr(FILE *f, const struct inet6_ifaddr *ifa, uint64_t now)
{
	char buf[INET6_ADDRSTRLEN];

	fprintf(f, "    inet6 %s/%u scope %s ", in6_ntop(&ifa->addr, buf), ifa->plen,
		scope_names[scope_of(&ifa->addr)]);
	for (size_t i = 0; i < ARRAY_SIZE(ifa_flag_names); i++)
		if (ifa->flags & ifa_flag_names[i].mask)
			fprintf(f, "%s ", ifa_flag_names[i].name);
	fputs("\n       ", f);
	print_lft(f, "valid_lft", ifa->valid_until, now);
	print_lft(f, " preferred_lft", ifa->preferred_until, now);
	fputc('\n', f);
}

/* iproute2: scope, flags, then the label (the device name) on IPv4 lines. */
void cmd_print_ifaddr4(FILE *f, const struct in4_ifaddr *ifa)
{
	char buf[INET_ADDRSTRLEN];
	const struct netdev *dev = ifa->idev ? ifa->idev->dev : NULL;

	fprintf(f, "    inet %s/%u", ip4_ntop(ifa->addr, buf), ifa->plen);
	/* /31 and /32 have no broadcast address (RFC 3021). */
	if (ifa->plen < 31)
		fprintf(f, " brd %s", ip4_ntop(ifa->bcast, buf));
	fprintf(f, " scope %s ", ip4_is_loopback(ifa->addr) ? "host" : "global");
	if (ifa->flags & IFA4_F_CONFLICT)
		fputs("dadfailed ", f);
	if (ifa->flags & IFA4_F_TENTATIVE)
		fputs("tentative ", f);
	fprintf(f, "%s\n       valid_lft forever preferred_lft forever\n", dev ? dev->name : "");
}

static void print_ifaddr4(void *ctx, const struct in4_ifaddr *ifa)
{
	cmd_print_ifaddr4(ctx, ifa);
}

static void count_ifaddr4(void *ctx, const struct in4_ifaddr *ifa)
{
	(void)ifa;
	++*(unsigned *)ctx;
}

/* Like `ip addr show`, devices without addresses are not listed. */
static void show_dev(FILE *f, struct stack *st, struct netdev *dev, uint64_t now)
{
	struct dlist *pos, *tmp;
	unsigned n4 = 0;

	inet4_foreach(st, dev, count_ifaddr4, &n4);
	if (!n4 && (!dev->in6 || dlist_empty(&dev->in6->addrs)))
		return;
	fprintf(f, "%d: %s: <BROADCAST,MULTICAST%s> mtu %u state %s\n", dev->ifindex, dev->name,
		dev->up ? ",UP,LOWER_UP" : "", dev->mtu, dev->up ? "UP" : "DOWN");
	inet4_foreach(st, dev, print_ifaddr4, f);
	if (!dev->in6)
		return;
	for (unsigned scope = 0; scope < ARRAY_SIZE(scope_names); scope++) {
		dlist_for_each_safe(pos, tmp, &dev->in6->addrs) {
			struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

			if (scope_of(&ifa->addr) == scope)
				cmd_print_ifaddr(f, ifa, now);
		}
	}
}

static int addr_show(struct cmd_env *env, int argc, char **argv)
{
	int i = argc > 2 && strcmp(argv[1], "dev") == 0 ? 2 : 1;
	struct dlist *pos, *tmp;

	if (i < argc) {
		struct netdev *dev;

		if (i + 1 < argc)
			return cmd_bad_arg(env, "addr show", argv[i + 1]);
		dev = cmd_dev(env, "addr show", argv[i]);
		if (!dev)
			return 1;
		show_dev(env->out, env->st, dev, env->st->now);
		return 0;
	}
	dlist_for_each_safe(pos, tmp, &env->st->netdevs)
		show_dev(env->out, env->st, dlist_entry(pos, struct netdev, node), env->st->now);
	return 0;
}

struct addr_args {
	bool v4;
	uint32_t addr4;
	struct in6_addr addr;
	unsigned plen;
	struct netdev *dev;
	uint32_t flags, valid, preferred;
};

/* Parses `ADDR/LEN dev NAME [options]`; @add allows the add-only options. */
static int parse_addr_args(struct cmd_env *env, const char *what, int argc, char **argv,
			   bool add, struct addr_args *a)
{
	const char *devname = NULL;

	a->flags = IFA_F_PERMANENT;
	a->valid = a->preferred = UINT32_MAX;
	if (argc < 2)
		return cmd_missing(env, what, "ADDR/LEN");
	/* An IPv4 address has dots and no colons (a mapped IPv6 one has both). */
	a->v4 = strchr(argv[1], '.') && !strchr(argv[1], ':');
	if (a->v4 ? ip4_parse_prefix(argv[1], &a->addr4, &a->plen) < 0
		  : in6_parse_prefix(argv[1], &a->addr, &a->plen) < 0)
		return cmd_fail(env, 2, what, "invalid prefix \"%s\"", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "dev") == 0 && val)
			devname = argv[++i];
		else if (add && strcmp(opt, "nodad") == 0)
			a->flags |= IFA_F_NODAD;
		else if (add && strcmp(opt, "valid_lft") == 0 && val) {
			if (cmd_parse_lft(argv[++i], &a->valid) < 0)
				return cmd_fail(env, 2, what, "invalid valid_lft \"%s\"", val);
		} else if (add && strcmp(opt, "preferred_lft") == 0 && val) {
			if (cmd_parse_lft(argv[++i], &a->preferred) < 0)
				return cmd_fail(env, 2, what, "invalid preferred_lft \"%s\"", val);
		} else
			return cmd_bad_arg(env, what, opt);
	}
	if (!devname)
		return cmd_missing(env, what, "\"dev NAME\"");
	if (a->preferred > a->valid)
		return cmd_fail(env, 2, what, "preferred_lft is greater than valid_lft");
	a->dev = cmd_dev(env, what, devname);
	return a->dev ? 0 : 1;
}

static int addr_add(struct cmd_env *env, int argc, char **argv)
{
	struct addr_args a;
	int rc = parse_addr_args(env, "addr add", argc, argv, true, &a);

	if (rc)
		return rc;
	if (a.v4 ? ip4_is_multicast(a.addr4) || ip4_is_zeronet(a.addr4) ||
		   ip4_is_limited_bcast(a.addr4)
		 : in6_is_multicast(&a.addr) || in6_is_unspec(&a.addr))
		return cmd_fail(env, 2, "addr add", "not a unicast address \"%s\"", argv[1]);
	if (a.v4)
		rc = inet4_add(a.dev, a.addr4, a.plen, a.flags & IFA_F_NODAD ? IFA4_F_NODAD : 0);
	else
		rc = addrconf_add(a.dev, &a.addr, a.plen, a.flags, a.valid, a.preferred);
	return rc < 0 ? cmd_errno(env, "addr add", rc) : 0;
}

static int addr_del(struct cmd_env *env, int argc, char **argv)
{
	struct addr_args a;
	int rc = parse_addr_args(env, "addr del", argc, argv, false, &a);

	if (rc)
		return rc;
	rc = a.v4 ? inet4_del(a.dev, a.addr4, a.plen) : addrconf_del(a.dev, &a.addr, a.plen);
	if (rc == -ENOENT || rc == -ESRCH || rc == -EADDRNOTAVAIL)
		return cmd_fail(env, 1, "addr del", "no address %s on %s", argv[1], a.dev->name);
	return rc < 0 ? cmd_errno(env, "addr del", rc) : 0;
}

static const struct cmd_entry addr_cmds[] = {
	{ "add", addr_add },
	{ "del", addr_del },
	{ "delete", addr_del },
	{ "show", addr_show },
	{ "list", addr_show },
};

int cmd_addr(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return addr_show(env, argc, argv);
	return cmd_dispatch(env, "addr", addr_cmds, ARRAY_SIZE(addr_cmds), argc - 1, argv + 1);
}
