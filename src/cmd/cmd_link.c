/* `link add|set|del|show`: interfaces, printed as `ip link show` prints them. */
#include "cmd/cmd_priv.h"
#include "link/ether.h"
#include "link/pcap.h"

void cmd_print_link(FILE *f, const struct netdev *dev)
{
	char mac[18];

	fprintf(f, "%d: %s: <BROADCAST,MULTICAST%s> mtu %u state %s\n", dev->ifindex, dev->name,
		dev->up ? ",UP,LOWER_UP" : "", dev->mtu, dev->up ? "UP" : "DOWN");
	fprintf(f, "    link/ether %s brd ff:ff:ff:ff:ff:ff\n", eth_ntoa(dev->mac, mac));
}

/* iproute2 accepts an optional `dev` before the name. */
static int skip_dev(int argc, char **argv, int i)
{
	return i < argc - 1 && strcmp(argv[i], "dev") == 0 ? i + 1 : i;
}

static int link_add(struct cmd_env *env, int argc, char **argv)
{
	const char *what = "link add";
	int rc;

	if (argc < 2)
		return cmd_missing(env, what, "NAME");
	if (argc < 4 || strcmp(argv[2], "type") != 0)
		return cmd_missing(env, what, "\"type KIND\"");
	if (strlen(argv[1]) >= NETDEV_NAME_MAX)
		return cmd_fail(env, 2, what, "name \"%s\" is too long (at most %d characters)",
				argv[1], NETDEV_NAME_MAX - 1);
	if (netdev_by_name(env->st, argv[1]))
		return cmd_fail(env, 1, what, "device \"%s\" exists", argv[1]);
	if (!env->link_create)
		return cmd_fail(env, 1, what, "links cannot be created here");
	rc = env->link_create(env, argv[1], argc - 3, argv + 3);
	return rc < 0 ? 1 : 0;
}

/* Checks every word before changing anything, so a bad line changes nothing. */
static int link_set(struct cmd_env *env, int argc, char **argv)
{
	const char *what = "link set";
	struct netdev *dev;
	unsigned long mtu = 0;
	const char *seg = NULL;
	int i = skip_dev(argc, argv, 1), up = -1, rc;

	if (i >= argc)
		return cmd_missing(env, what, "NAME");
	dev = cmd_dev(env, what, argv[i]);
	if (!dev)
		return 1;
	if (++i >= argc)
		return cmd_missing(env, what, "up, down, mtu N or segment SEG");
	for (; i < argc; i++) {
		if (strcmp(argv[i], "up") == 0 || strcmp(argv[i], "down") == 0)
			up = argv[i][0] == 'u';
		else if (strcmp(argv[i], "mtu") == 0 && i + 1 < argc) {
			if (cmd_parse_ulong(argv[++i], 1280, 65535, &mtu) < 0)
				return cmd_fail(env, 2, what, "invalid mtu \"%s\" (1280..65535)", argv[i]);
		} else if (strcmp(argv[i], "segment") == 0 && i + 1 < argc) {
			if (!env->link_move)
				return cmd_fail(env, 2, what, "segment: only links of a simulation move");
			seg = argv[++i];
		} else
			return cmd_bad_arg(env, what, argv[i]);
	}
	/* Moved first: `link set eth0 segment lan2 up` plugs the cable in, then brings it up. */
	if (seg && (rc = env->link_move(env, dev, seg)) < 0)
		return 1;
	if (mtu && (rc = netdev_set_mtu(dev, (uint32_t)mtu)) < 0)
		return cmd_errno(env, what, rc);
	if (up >= 0 && (rc = netdev_set_up(dev, up)) < 0)
		return cmd_errno(env, what, rc);
	return 0;
}

static int link_del(struct cmd_env *env, int argc, char **argv)
{
	int i = skip_dev(argc, argv, 1);
	struct netdev *dev;

	if (i >= argc)
		return cmd_missing(env, "link del", "NAME");
	if (i + 1 < argc)
		return cmd_bad_arg(env, "link del", argv[i + 1]);
	dev = cmd_dev(env, "link del", argv[i]);
	if (!dev)
		return 1;
	netdev_destroy(dev);
	return 0;
}

static int link_show(struct cmd_env *env, int argc, char **argv)
{
	int i = skip_dev(argc, argv, 1);
	struct dlist *pos, *tmp;

	if (i < argc) {
		struct netdev *dev;

		if (i + 1 < argc)
			return cmd_bad_arg(env, "link show", argv[i + 1]);
		dev = cmd_dev(env, "link show", argv[i]);
		if (!dev)
			return 1;
		cmd_print_link(env->out, dev);
		return 0;
	}
	dlist_for_each_safe(pos, tmp, &env->st->netdevs)
		cmd_print_link(env->out, dlist_entry(pos, struct netdev, node));
	return 0;
}

/* `link capture NAME FILE|off`: records every frame in and out of NAME to a pcap file. */
static int link_capture(struct cmd_env *env, int argc, char **argv)
{
	const char *what = "link capture";
	int i = skip_dev(argc, argv, 1);
	struct pcap_writer *w = NULL;
	struct netdev *dev;

	if (i + 1 >= argc)
		return cmd_missing(env, what, "NAME FILE|off");
	if (i + 2 < argc)
		return cmd_bad_arg(env, what, argv[i + 2]);
	dev = cmd_dev(env, what, argv[i]);
	if (!dev)
		return 1;
	if (strcmp(argv[i + 1], "off") != 0) {
		w = pcapw_open(argv[i + 1]);
		if (!w)
			return cmd_fail(env, 1, what, "%s: %s", argv[i + 1], strerror(errno));
	}
	if (dev->pcap)
		pcapw_close(dev->pcap);
	dev->pcap = w;
	return 0;
}

static const struct cmd_entry link_cmds[] = {
	{ "capture", link_capture },
	{ "add", link_add },
	{ "set", link_set },
	{ "del", link_del },
	{ "delete", link_del },
	{ "show", link_show },
	{ "list", link_show },
};

int cmd_link(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return link_show(env, argc, argv);
	return cmd_dispatch(env, "link", link_cmds, ARRAY_SIZE(link_cmds), argc - 1, argv + 1);
}
