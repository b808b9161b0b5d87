/*
 * The command language: exact output and exit status of every command on
 * a stack whose links are dummies (frames sent are dropped).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "cmd/cmd_priv.h"
#include "cmd_capture.h"
#include "ipv6/addrconf.h"
#include "ipv6/nd6.h"
#include "ipv6/route6.h"
#include "proto/ip4.h"

struct fx {
	struct stack *st;
	struct cmd_env env;
	struct cmd_capture cap;
	char out[262144], err[1024]; /* what the last run printed (`stats`: one line per counter) */
	int done_rc, done_calls;
};

static int dummy_xmit(struct netdev *dev, struct pkt *p)
{
	pkt_free(p);
	return 0;
}

static int dummy_fd(const struct netdev *dev) { return -1; }

static const struct netdev_ops dummy_ops = { .kind = "dummy", .xmit = dummy_xmit, .fd = dummy_fd };

/* `link add NAME type dummy`: MAC 02:00:00:00:00:<ifindex>. */
static int dummy_create(struct cmd_env *env, const char *name, int argc, char **argv)
{
	uint8_t mac[6] = { 2, 0, 0, 0, 0, (uint8_t)env->st->next_ifindex };

	if (argc != 1 || strcmp(argv[0], "dummy") != 0) {
		fprintf(env->err, "usagi: link add: unknown type \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	return netdev_create(env->st, name, &dummy_ops, NULL, mac) ? 0 : -errno;
}

static void on_done(struct cmd_env *env, int rc)
{
	struct fx *f = env->ctx;

	f->done_rc = rc;
	f->done_calls++;
}

static int setup(void **state)
{
	struct usagi_stack_config cfg = { .name = "t", .seed = 1 };
	struct fx *f = calloc(1, sizeof(*f));

	cmd_capture_open(&f->cap, &f->env, &cfg);
	f->st = f->env.st;
	f->env.link_create = dummy_create;
	f->env.ctx = f;
	f->env.done = on_done;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cmd_cancel(&f->env);
	cmd_capture_close(&f->cap, &f->env);
	free(f);
	return 0;
}

/* Collects what was printed since the last collect. */
static void collect(struct fx *f)
{
	cmd_capture_collect(&f->cap, &f->env, f->out, sizeof(f->out), f->err, sizeof(f->err));
}

static int run(struct fx *f, const char *line)
{
	int rc = cmd_capture_exec(&f->env, line);

	collect(f);
	return rc;
}

#define RUN_OK(f, line) do { \
	int rc_ = run(f, line); \
	if (rc_ != 0) fail_msg("%s: rc %d err %s", line, rc_, (f)->err); \
} while (0)

static void test_split(void **state)
{
	char line[] = "  addr\tadd  2001:db8::1/64 # dev x\n";
	char many[200], *argv[4];

	assert_int_equal(cmd_split(line, argv, 4), 3);
	assert_string_equal(argv[0], "addr");
	assert_string_equal(argv[1], "add");
	assert_string_equal(argv[2], "2001:db8::1/64");
	assert_null(argv[3]);
	strcpy(many, "a b c d e");
	assert_int_equal(cmd_split(many, argv, 4), -E2BIG);
	strcpy(many, "   # only a comment");
	assert_int_equal(cmd_split(many, argv, 4), 0);
	strcpy(many, "");
	assert_int_equal(cmd_split(many, argv, 4), 0);
	strcpy(many, "a b c d");
	assert_int_equal(cmd_split(many, argv, 4), 4);
}

static void test_lines(void **state)
{
	struct fx *f = *state;
	char big[8192] = "stats";

	assert_int_equal(run(f, ""), 0);
	assert_int_equal(run(f, "   # comment"), 0);
	assert_string_equal(f->out, "");
	assert_int_equal(run(f, "foo bar"), 2);
	assert_string_equal(f->err, "usagi: unknown command \"foo\"\n");
	for (int i = 0; i < CMD_MAX_ARGS; i++)
		strcat(big, " x");
	/* Longer than a control line may be, but a config file's line can be. */
	assert_int_equal(cmd_exec_line(&f->env, big), 2);
	collect(f);
	assert_string_equal(f->err, "usagi: command: too many arguments (at most 2048)\n");
	assert_int_equal(run(f, "help"), 0);
	assert_non_null(strstr(f->out, "  ping ADDR [-c COUNT]"));
	assert_int_equal(run(f, "log debug"), 0);
	assert_int_equal(f->st->log_level, ULOG_DEBUG);
	assert_int_equal(run(f, "log loud"), 2);
	assert_string_equal(f->err,
		"usagi: log: invalid level \"loud\" (error, warn, info or debug)\n");
}

static void test_link(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	assert_int_equal(run(f, "link add tap0 type dummy"), 1);
	assert_string_equal(f->err, "usagi: link add: device \"tap0\" exists\n");
	assert_int_equal(run(f, "link add tap1 type warp"), 1);
	assert_string_equal(f->err, "usagi: link add: unknown type \"warp\"\n");
	assert_int_equal(run(f, "link add tap1"), 2);
	assert_string_equal(f->err, "usagi: link add: missing \"type KIND\"\n");
	RUN_OK(f, "link show tap0");
	assert_string_equal(f->out,
		"1: tap0: <BROADCAST,MULTICAST> mtu 1500 state DOWN\n"
		"    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n");
	RUN_OK(f, "link set dev tap0 up mtu 1400");
	RUN_OK(f, "link");
	assert_string_equal(f->out,
		"1: tap0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 state UP\n"
		"    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n");
	assert_int_equal(run(f, "link set tap0 mtu 1000"), 2);
	assert_string_equal(f->err, "usagi: link set: invalid mtu \"1000\" (1280..65535)\n");
	assert_int_equal(run(f, "link set tap0 sideways"), 2);
	assert_string_equal(f->err, "usagi: link set: unexpected argument \"sideways\"\n");
	assert_int_equal(run(f, "link set tap9 up"), 1);
	assert_string_equal(f->err, "usagi: link set: no such device \"tap9\"\n");
	RUN_OK(f, "link del tap0");
	RUN_OK(f, "link show");
	assert_string_equal(f->out, "");
	f->env.link_create = NULL;
	assert_int_equal(run(f, "link add tap0 type dummy"), 1);
	assert_string_equal(f->err, "usagi: link add: links cannot be created here\n");
}

static void test_addr_errors(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	assert_int_equal(run(f, "addr add 2001:db8::zz/64 dev tap0"), 2);
	assert_string_equal(f->err, "usagi: addr add: invalid prefix \"2001:db8::zz/64\"\n");
	assert_int_equal(run(f, "addr add 2001:db8::1/129 dev tap0"), 2);
	assert_int_equal(run(f, "addr add 2001:db8::1/64 dev tap9"), 1);
	assert_string_equal(f->err, "usagi: addr add: no such device \"tap9\"\n");
	assert_int_equal(run(f, "addr add 2001:db8::1/64"), 2);
	assert_string_equal(f->err, "usagi: addr add: missing \"dev NAME\"\n");
	assert_int_equal(run(f, "addr add 2001:db8::1/64 dev tap0 valid_lft 10 preferred_lft 20"), 2);
	assert_string_equal(f->err, "usagi: addr add: preferred_lft is greater than valid_lft\n");
	assert_int_equal(run(f, "addr add 2001:db8::1/64 dev tap0 valid_lft soon"), 2);
	assert_string_equal(f->err, "usagi: addr add: invalid valid_lft \"soon\"\n");
	assert_int_equal(run(f, "addr add ff02::1/64 dev tap0"), 2);
	assert_int_equal(run(f, "addr frob"), 2);
	assert_string_equal(f->err, "usagi: addr: unknown command \"frob\"\n");
}

static void test_addr_show(void **state)
{
	struct fx *f = *state;
	int rc;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "link set tap0 up");
	rc = run(f, "addr add 2001:db8:1::2/64 dev tap0 nodad");
	if (rc == 1 && strstr(f->err, "not implemented"))
		skip();
	assert_int_equal(rc, 0);
	RUN_OK(f, "addr show dev tap0");
	assert_string_equal(f->out,
		"1: tap0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n"
		"    inet6 2001:db8:1::2/64 scope global nodad \n"
		"       valid_lft forever preferred_lft forever\n"
		"    inet6 fe80::ff:fe00:1/64 scope link tentative \n"
		"       valid_lft forever preferred_lft forever\n");
	assert_int_equal(run(f, "addr add 2001:db8:1::2/64 dev tap0"), 1);
	RUN_OK(f, "addr del 2001:db8:1::2/64 dev tap0");
	RUN_OK(f, "addr show");
	assert_null(strstr(f->out, "2001:db8:1::2"));
	assert_int_equal(run(f, "addr del 2001:db8:1::2/64 dev tap0"), 1);
}

static void test_print_ifaddr(void **state)
{
	struct inet6_ifaddr ifa = { .plen = 64 };
	char *buf = NULL;
	size_t len;
	FILE *m = open_memstream(&buf, &len);

	inet_pton(AF_INET6, "2001:db8:1:0:11:22ff:fe33:4455", &ifa.addr);
	ifa.flags = IFA_F_TENTATIVE | IFA_F_AUTOCONF;
	ifa.valid_until = 100 * NS_PER_SEC;
	ifa.preferred_until = 50 * NS_PER_SEC;
	cmd_print_ifaddr(m, &ifa, 10 * NS_PER_SEC + 1);
	inet_pton(AF_INET6, "fe80::1", &ifa.addr);
	ifa.flags = IFA_F_DADFAILED | IFA_F_TENTATIVE | IFA_F_PERMANENT;
	ifa.valid_until = ifa.preferred_until = LIFETIME_INFINITE;
	cmd_print_ifaddr(m, &ifa, 0);
	inet_pton(AF_INET6, "::1", &ifa.addr);
	ifa.plen = 128;
	ifa.flags = IFA_F_DEPRECATED;
	ifa.valid_until = 5;
	ifa.preferred_until = 0;
	cmd_print_ifaddr(m, &ifa, 7);
	fclose(m);
	assert_string_equal(buf,
		"    inet6 2001:db8:1:0:11:22ff:fe33:4455/64 scope global tentative dynamic \n"
		"       valid_lft 90sec preferred_lft 40sec\n"
		"    inet6 fe80::1/64 scope link dadfailed tentative \n"
		"       valid_lft forever preferred_lft forever\n"
		"    inet6 ::1/128 scope host deprecated \n"
		"       valid_lft 0sec preferred_lft 0sec\n");
	free(buf);
}

static void test_print_route_neigh(void **state)
{
	struct netdev dev = { .name = "tap0" };
	struct route6 r = { .plen = 64, .dev = &dev, .metric = 256, .proto = RT6_PROTO_KERNEL };
	struct nd6_neigh_info n = { .dev = &dev, .has_lladdr = true, .is_router = true,
				    .lladdr = { 2, 0, 0, 0, 0, 1 }, .state = NUD_REACHABLE };
	char *buf = NULL;
	size_t len;
	FILE *m = open_memstream(&buf, &len);

	inet_pton(AF_INET6, "2001:db8:1::", &r.dst);
	cmd_print_route(m, &r, 0);
	memset(&r.dst, 0, 16);
	r.plen = 0;
	inet_pton(AF_INET6, "fe80::1", &r.gw);
	r.proto = RT6_PROTO_RA;
	r.metric = 1024;
	r.expires = 1800 * NS_PER_SEC;
	cmd_print_route(m, &r, 500 * NS_PER_MS);
	inet_pton(AF_INET6, "2001:db8:9::", &r.dst);
	r.plen = 64;
	inet_pton(AF_INET6, "2001:db8:1::1", &r.gw);
	r.proto = RT6_PROTO_STATIC;
	r.expires = 0;
	cmd_print_route(m, &r, 0);
	inet_pton(AF_INET6, "fe80::1", &n.addr);
	cmd_print_neigh(m, &n);
	inet_pton(AF_INET6, "2001:db8::5", &n.addr);
	n.has_lladdr = n.is_router = false;
	n.state = NUD_FAILED;
	cmd_print_neigh(m, &n);
	n.state = NUD_INCOMPLETE;
	cmd_print_neigh(m, &n);
	fclose(m);
	assert_string_equal(buf,
		"2001:db8:1::/64 dev tap0 proto kernel metric 256\n"
		"default via fe80::1 dev tap0 proto ra metric 1024 expires 1799sec\n"
		"2001:db8:9::/64 via 2001:db8:1::1 dev tap0 metric 1024\n"
		"fe80::1 dev tap0 lladdr 02:00:00:00:00:01 router REACHABLE\n"
		"2001:db8::5 dev tap0 FAILED\n"
		"2001:db8::5 dev tap0 INCOMPLETE\n");
	free(buf);
}

static void test_route(void **state)
{
	struct fx *f = *state;
	int rc;

	RUN_OK(f, "link add tap0 type dummy");
	assert_int_equal(run(f, "route add 2001:db8:9::/64 via 2001:db8:1::zz dev tap0"), 2);
	assert_string_equal(f->err, "usagi: route add: invalid gateway \"2001:db8:1::zz\"\n");
	assert_int_equal(run(f, "route add 2001:db8:9::/64"), 2);
	assert_string_equal(f->err, "usagi: route add: missing \"dev NAME\"\n");
	assert_int_equal(run(f, "route add 2001:db8:9::/64 dev tap0 metric x"), 2);
	assert_string_equal(f->err, "usagi: route add: invalid metric \"x\"\n");
	rc = run(f, "route add 2001:db8:9::1/64 via 2001:db8:1::1 dev tap0");
	if (rc == 1 && strstr(f->err, "not implemented"))
		skip();
	assert_int_equal(rc, 0);
	RUN_OK(f, "route add default via fe80::1 dev tap0 metric 5");
	RUN_OK(f, "route show");
	assert_non_null(strstr(f->out, "2001:db8:9::/64 via 2001:db8:1::1 dev tap0 metric 1024\n"));
	assert_non_null(strstr(f->out, "default via fe80::1 dev tap0 metric 5\n"));
	RUN_OK(f, "route del default");
	RUN_OK(f, "route del 2001:db8:9::/64 via 2001:db8:1::1 dev tap0");
	assert_int_equal(run(f, "route del 2001:db8:9::/64"), 1);
	assert_string_equal(f->err, "usagi: route del: no such route\n");
}

static void test_sysctl(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "sysctl net.ipv6.conf.default.hop_limit=32");
	assert_string_equal(f->out, "net.ipv6.conf.default.hop_limit = 32\n");
	assert_int_equal(f->st->ip6.dflt.hop_limit, 32);
	RUN_OK(f, "sysctl net.ipv6.conf.default.hop_limit");
	assert_string_equal(f->out, "net.ipv6.conf.default.hop_limit = 32\n");
	assert_int_equal(run(f, "sysctl net.ipv6.conf.default.hop_limit=0"), 2);
	assert_string_equal(f->err,
		"usagi: sysctl: invalid value \"0\" for hop_limit (1..255)\n");
	assert_int_equal(run(f, "sysctl net.ipv6.conf.all.accept_ra=3"), 2);
	assert_int_equal(run(f, "sysctl net.ipv6.conf.all.forwarding=yes"), 2);
	assert_int_equal(run(f, "sysctl net.ipv6.conf.all.colour=1"), 2);
	assert_string_equal(f->err, "usagi: sysctl: unknown key \"net.ipv6.conf.all.colour\"\n");
	assert_int_equal(run(f, "sysctl net.ipv4.ip_forward=2"), 2);
	assert_string_equal(f->err, "usagi: sysctl: invalid value \"2\" for net.ipv4.ip_forward (0..1)\n");
	assert_int_equal(run(f, "sysctl net.ipv6.conf.tap9.forwarding=1"), 1);
	assert_string_equal(f->err, "usagi: sysctl: no such device \"tap9\"\n");
	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "sysctl -w net.ipv6.conf.all.forwarding=1");
	assert_string_equal(f->out, "net.ipv6.conf.all.forwarding = 1\n");
	assert_int_equal(f->st->ip6.dflt.forwarding, 1);
	if (!netdev_by_name(f->st, "tap0")->in6)
		skip();
	RUN_OK(f, "sysctl net.ipv6.conf.tap0.forwarding");
	assert_string_equal(f->out, "net.ipv6.conf.tap0.forwarding = 1\n");
	assert_int_equal(run(f, "sysctl net.ipv6.conf.tap0.mtu=1501"), 2);
	assert_string_equal(f->err, "usagi: sysctl: invalid value \"1501\" for mtu (1280..1500)\n");
	RUN_OK(f, "sysctl net.ipv6.conf.tap0.mtu=1400 net.ipv6.conf.tap0.dad_transmits=0");
	assert_string_equal(f->out, "net.ipv6.conf.tap0.mtu = 1400\n"
			    "net.ipv6.conf.tap0.dad_transmits = 0\n");
}

static void test_stats_service(void **state)
{
	struct fx *f = *state;
	int lines = 0;
	char first[128];

	f->st->stats[0] = 7;
	RUN_OK(f, "stats");
	for (const char *p = f->out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, STAT_MAX);
	snprintf(first, sizeof(first), "%s 7\n", stat_name(0));
	assert_memory_equal(f->out, first, strlen(first));
	assert_int_equal(run(f, "stats now"), 2);
	assert_int_equal(run(f, "service udp-echo 0"), 2);
	assert_string_equal(f->err, "usagi: service udp-echo: invalid port \"0\"\n");
	assert_int_equal(run(f, "service tcp-chargen 19"), 2);
	assert_string_equal(f->err, "usagi: service: unknown service \"tcp-chargen\"\n");
	assert_int_equal(run(f, "service tcp-echo 0"), 2);
	assert_string_equal(f->err, "usagi: service tcp-echo: invalid port \"0\"\n");
}

static void test_ra_errors(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	assert_int_equal(run(f, "ra tap9 on"), 1);
	assert_string_equal(f->err, "usagi: ra: no such device \"tap9\"\n");
	assert_int_equal(run(f, "ra tap0 prefix 2001:db8::/64 valid 10 preferred 20"), 2);
	assert_string_equal(f->err,
		"usagi: ra prefix: preferred lifetime is greater than valid lifetime\n");
	assert_int_equal(run(f, "ra tap0 interval 10 5"), 2);
	assert_int_equal(run(f, "ra tap0 mtu 1000"), 2);
	assert_string_equal(f->err, "usagi: ra mtu: invalid mtu \"1000\" (1280..1500)\n");
	assert_int_equal(run(f, "ra tap0 managed maybe"), 2);
	assert_int_equal(run(f, "ra tap0 lifetime"), 2);
}

/* The RA parameters of @name, read back through the API. */
static struct nd6_ra_conf ra_conf_of(struct fx *f, const char *name)
{
	struct nd6_ra_conf c;

	assert_int_equal(nd6_ra_get_conf(netdev_by_name(f->st, name), &c), 0);
	return c;
}

/* Each `ra NAME SETTING` changes only its own setting. */
static void test_ra_settings(void **state)
{
	struct fx *f = *state;
	struct nd6_ra_conf c;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "ra tap0 other on");
	RUN_OK(f, "ra tap0 managed on");
	c = ra_conf_of(f, "tap0");
	assert_true(c.managed && c.other);
	RUN_OK(f, "ra tap0 managed off");
	c = ra_conf_of(f, "tap0");
	assert_false(c.managed);
	assert_true(c.other);
	RUN_OK(f, "ra tap0 mtu 1400");
	RUN_OK(f, "ra tap0 interval 3 10");
	RUN_OK(f, "ra tap0 lifetime 0");
	c = ra_conf_of(f, "tap0");
	assert_int_equal(c.lifetime_s, 0);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.min_interval_ms, 3000);
	assert_int_equal(c.max_interval_ms, 10000);
	assert_true(c.other);
	RUN_OK(f, "ra tap0 lifetime 600");
	RUN_OK(f, "ra tap0 other off");
	c = ra_conf_of(f, "tap0");
	assert_int_equal(c.lifetime_s, 600);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.max_interval_ms, 10000);
	assert_false(c.managed || c.other);
	/* A bad setting anywhere on the line changes nothing. */
	assert_int_equal(run(f, "ra tap0 managed on lifetime 9001"), 2);
	assert_string_equal(f->err, "usagi: ra lifetime: invalid lifetime \"9001\" (0..9000)\n");
	c = ra_conf_of(f, "tap0");
	assert_false(c.managed);
	assert_int_equal(c.lifetime_s, 600);
}

static void test_ping_usage(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	assert_int_equal(run(f, "ping"), 2);
	assert_string_equal(f->err, "usagi: ping: missing ADDR\n");
	assert_int_equal(run(f, "ping 2001:db8::1 -c 0"), 2);
	assert_string_equal(f->err, "usagi: ping: invalid count \"0\"\n");
	assert_int_equal(run(f, "ping 2001:db8::1 -c"), 2);
	assert_string_equal(f->err, "usagi: ping: option \"-c\" needs a value\n");
	assert_int_equal(run(f, "ping 2001:db8::1 -x 1"), 2);
	assert_string_equal(f->err, "usagi: ping: unknown option \"-x\"\n");
	assert_int_equal(run(f, "ping fe80::1"), 2);
	assert_string_equal(f->err,
		"usagi: ping: fe80::1 needs an interface (-I IFNAME or ADDR%IFNAME)\n");
	assert_int_equal(run(f, "ping fe80::1%tap9"), 1);
	assert_int_equal(run(f, "ping 2001:db8::1 2001:db8::2"), 2);
	assert_int_equal(run(f, "ping 2001:db8::1 -i 0"), 2);
	assert_int_equal(run(f, "ping 2001:db8::1 -s 65528"), 2);
	assert_null(f->env.pending);
}

/* Runs the clock in 1 ms steps until the ping reports (at most @ms). */
static void advance_until_done(struct fx *f, unsigned ms)
{
	for (unsigned i = 0; i < ms && !f->done_calls; i++)
		usagi_stack_advance(f->st, f->st->now + NS_PER_MS);
}

/* IPv4 beside IPv6: addresses, routes, neighbours, sysctls, and ping over ICMP. */
static void test_ipv4(void **state)
{
	struct fx *f = *state;
	struct nd6_neigh_info n = { .has_lladdr = true, .state = NUD_REACHABLE,
				    .lladdr = { 2, 0, 0, 0, 0, 9 } };
	FILE *mf;
	char *buf = NULL;
	size_t len = 0;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "link set tap0 up");
	n.dev = netdev_by_name(f->st, "tap0");
	RUN_OK(f, "addr add 192.0.2.2/24 dev tap0 nodad");
	RUN_OK(f, "addr show dev tap0");
	assert_non_null(strstr(f->out, "state UP\n"
			       "    inet 192.0.2.2/24 brd 192.0.2.255 scope global tap0\n"
			       "       valid_lft forever preferred_lft forever\n"
			       "    inet6 fe80::"));
	assert_int_equal(run(f, "addr add 192.0.2.300/24 dev tap0"), 2);
	assert_string_equal(f->err, "usagi: addr add: invalid prefix \"192.0.2.300/24\"\n");
	assert_int_equal(run(f, "addr add 224.0.0.1/24 dev tap0"), 2);
	RUN_OK(f, "route add default via 192.0.2.1");
	RUN_OK(f, "route add 198.51.100.0/24 via 192.0.2.3 dev tap0 metric 7");
	assert_int_equal(run(f, "route add 203.0.113.0/24 via 198.51.100.1"), 1);
	assert_string_equal(f->err, "usagi: route add: no device reaches gateway 198.51.100.1 "
			    "(give dev NAME)\n");
	RUN_OK(f, "route show");
	assert_non_null(strstr(f->out, "default via 192.0.2.1 dev tap0\n"));
	assert_non_null(strstr(f->out, "198.51.100.0/24 via 192.0.2.3 dev tap0 metric 7\n"));
	assert_non_null(strstr(f->out, "192.0.2.0/24 dev tap0 proto kernel scope link src 192.0.2.2\n"));
	assert_true(strstr(f->out, "default via 192.0.2.1") < strstr(f->out, "fe80::/64"));
	RUN_OK(f, "route del 0.0.0.0/0 via 192.0.2.1");
	assert_int_equal(run(f, "route del default via 192.0.2.1"), 1);
	RUN_OK(f, "sysctl net.ipv4.ip_forward=1 net.ipv4.conf.tap0.forwarding net.ipv4.ip_default_ttl");
	assert_string_equal(f->out, "net.ipv4.ip_forward = 1\nnet.ipv4.conf.tap0.forwarding = 1\n"
			    "net.ipv4.ip_default_ttl = 64\n");
	assert_int_equal(f->st->ip4.all.forwarding, 1);
	RUN_OK(f, "sysctl net.ipv4.conf.all.rp_filter=1");
	assert_int_equal(f->st->ip4.all.rp_filter, 1);
	/* An ARP entry lives in the shared cache under its mapped address. */
	ip4_to_mapped(&n.addr, htonl(0xc0000201));
	mf = open_memstream(&buf, &len);
	cmd_print_neigh(mf, &n);
	fclose(mf);
	assert_string_equal(buf, "192.0.2.1 dev tap0 lladdr 02:00:00:00:00:09 REACHABLE\n");
	free(buf);
	RUN_OK(f, "addr del 192.0.2.2/24 dev tap0");
	assert_int_equal(run(f, "addr del 192.0.2.2/24 dev tap0"), 1);
}

/* Pings one of our own IPv4 addresses through the loopback queue, in iputils' words. */
static void test_ping4_self(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "link set tap0 up");
	RUN_OK(f, "addr add 192.0.2.2/24 dev tap0 nodad");
	assert_int_equal(run(f, "ping 192.0.2.2 -s 65508"), 2);
	assert_string_equal(f->err, "usagi: ping: invalid size \"65508\" (0..65507)\n");
	assert_int_equal(run(f, "ping 192.0.2.2 -c 2 -i 0.5 -I 192.0.2.2"), CMD_PENDING);
	assert_string_equal(f->out, "PING 192.0.2.2 (192.0.2.2) from 192.0.2.2 : 56(84) bytes of data.\n");
	advance_until_done(f, 5000);
	collect(f);
	assert_int_equal(f->done_rc, 0);
	assert_non_null(strstr(f->out, "64 bytes from 192.0.2.2: icmp_seq=1 ttl=64 time="));
	assert_non_null(strstr(f->out, "64 bytes from 192.0.2.2: icmp_seq=2 ttl=64 time="));
	assert_non_null(strstr(f->out, "--- 192.0.2.2 ping statistics ---\n"
			       "2 packets transmitted, 2 received, 0% packet loss, time 500ms\n"
			       "rtt min/avg/max/mdev = "));
	f->done_calls = 0;
	assert_int_equal(run(f, "ping 192.0.2.2 -c 1 -I tap0 -s 100"), CMD_PENDING);
	assert_string_equal(f->out, "PING 192.0.2.2 (192.0.2.2) from 192.0.2.2 tap0: 100(128) bytes of data.\n");
	advance_until_done(f, 5000);
	collect(f);
	assert_non_null(strstr(f->out, "108 bytes from 192.0.2.2: icmp_seq=1 ttl=64 time="));
	assert_int_equal(run(f, "ping 203.0.113.1 -c 1"), 1);
	assert_string_equal(f->err, "usagi: ping: sendmsg: Network is unreachable\n");
}

/* Pings one of our own addresses: replies come back through the loopback queue. */
static void test_ping_self(void **state)
{
	struct fx *f = *state;
	int rc;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "link set tap0 up");
	if (run(f, "addr add 2001:db8:1::2/64 dev tap0 nodad") != 0)
		skip();
	rc = run(f, "ping 2001:db8:1::2 -c 2 -i 0.5");
	if (rc == 1)
		skip();   /* the output path has not landed yet */
	assert_int_equal(rc, CMD_PENDING);
	assert_string_equal(f->out, "PING 2001:db8:1::2(2001:db8:1::2) 56 data bytes\n");
	advance_until_done(f, 5000);
	collect(f);
	if (!f->done_calls || f->done_rc != 0)
		skip();   /* echo replies need icmp6 */
	assert_non_null(strstr(f->out, "64 bytes from 2001:db8:1::2: icmp_seq=1 ttl=64 time="));
	assert_non_null(strstr(f->out, "--- 2001:db8:1::2 ping statistics ---\n"
			       "2 packets transmitted, 2 received, 0% packet loss, time "));
	assert_non_null(strstr(f->out, "rtt min/avg/max/mdev = "));
	assert_null(f->env.pending);
}

static void test_ping_cancel(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "link set tap0 up");
	if (run(f, "addr add 2001:db8:1::2/64 dev tap0 nodad") != 0 ||
	    run(f, "ping 2001:db8:1::2 -c 5") != CMD_PENDING)
		skip();
	assert_int_equal(run(f, "ping 2001:db8:1::2 -c 5"), CMD_PENDING);
	assert_non_null(f->env.pending);
	usagi_stack_advance(f->st, f->st->now + 1500 * NS_PER_MS);
	cmd_cancel(&f->env);
	assert_null(f->env.pending);
	collect(f);
	usagi_stack_advance(f->st, f->st->now + 10 * NS_PER_SEC);
	collect(f);
	assert_string_equal(f->out, "");
	assert_int_equal(f->done_calls, 0);
}

static void test_ping_loss(void **state)
{
	struct fx *f = *state;

	RUN_OK(f, "link add tap0 type dummy");
	RUN_OK(f, "link set tap0 up");
	usagi_stack_advance(f->st, f->st->now + 3 * NS_PER_SEC);   /* link-local DAD */
	if (run(f, "ping fe80::99 -I tap0 -c 2 -W 2") != CMD_PENDING)
		skip();
	assert_string_equal(f->out, "PING fe80::99(fe80::99%tap0) 56 data bytes\n");
	advance_until_done(f, 10000);
	collect(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 1);
	assert_string_equal(f->out, "\n--- fe80::99 ping statistics ---\n"
			    "2 packets transmitted, 0 received, 100% packet loss, time 1000ms\n");
	assert_null(f->env.pending);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		T(test_lines),
		T(test_link),
		T(test_addr_errors),
		T(test_addr_show),
		cmocka_unit_test(test_print_ifaddr),
		cmocka_unit_test(test_print_route_neigh),
		T(test_route),
		T(test_sysctl),
		T(test_ipv4),
		T(test_ping4_self),
		T(test_stats_service),
		T(test_ra_errors),
		T(test_ra_settings),
		T(test_ping_usage),
		T(test_ping_self),
		T(test_ping_cancel),
		T(test_ping_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
