/*
 * The command language's front door: splitting a line into words, the
 * top-level command table, help, and cancelling what is still running.
 */
#include "cmd/cmd_priv.h"

static const struct cmd_entry commands[] = {
	{ "link", cmd_link },
	{ "addr", cmd_addr },
	{ "route", cmd_route },
	{ "neigh", cmd_neigh },
	{ "sysctl", cmd_sysctl },
	{ "ping", cmd_ping },
	{ "stats", cmd_stats },
	{ "service", cmd_service },
	{ "ra", cmd_ra },
	{ "setkey", cmd_setkey },
	{ "ipsec", cmd_ipsec },
	{ "log", cmd_log },
	{ "filter", cmd_filter },
	{ "conntrack", cmd_conntrack },
	{ "mip6", cmd_mip6 },
	{ "help", cmd_help },
};

static const char help_text[] =
	"usagi commands:\n"
	"  link add NAME type KIND [ARGS...]\n"
	"  link set [dev] NAME [up|down] [mtu N]...\n"
	"  link del [dev] NAME\n"
	"  link show [[dev] NAME]\n"
	"  link capture [dev] NAME FILE|off\n"
	"  addr add ADDR/LEN dev NAME [nodad] [valid_lft S|forever] [preferred_lft S|forever]\n"
	"  addr del ADDR/LEN dev NAME\n"
	"  addr show [[dev] NAME]\n"
	"  route add PREFIX|default [via ADDR] [dev NAME] [metric N]\n"
	"  route del PREFIX|default [via ADDR] [dev NAME]\n"
	"  route show\n"
	"  neigh show [[dev] NAME]\n"
	"  sysctl net.ipv6.conf.IF|all|default.KEY[=VALUE]\n"
	"  sysctl net.ipv4.conf.IF|all|default.KEY[=VALUE] | net.ipv4.ip_forward[=0|1]\n"
	"  ping ADDR [-c COUNT] [-s SIZE] [-i INTERVAL] [-W TIMEOUT] [-I ADDR|IFNAME]\n"
	"  stats\n"
	"  service udp-echo PORT\n"
	"  ra NAME on|off\n"
	"  ra NAME prefix PREFIX/LEN [valid S] [preferred S] [noautonomous] [noonlink]\n"
	"  ra NAME interval MIN MAX | lifetime S | mtu N | managed on|off | other on|off\n"
	"  setkey -f FILE | -e STATEMENTS... | -D | -DP | -F | -FP   (setkey(8) language)\n"
	"  ipsec sa [show [nokeys] | flush]\n"
	"  ipsec policy [show | flush]\n"
	"  ipsec esp-sa FILE\n"
	"  filter add input|forward|output [MATCHES...] accept|drop|reject [with tcp reset]\n"
	"  filter del CHAIN HANDLE | flush [CHAIN] | policy CHAIN accept|drop | show\n"
	"  filter host-mode on|off\n"
	"  conntrack -L [-f ipv4|ipv6] [-p PROTO] | -F | -C | -S | -E\n"
	"  mip6 home-agent dev NAME [max-lifetime S] | mip6 home-agent off\n"
	"  mip6 correspondent on|off\n"
	"  mip6 mobile-node home ADDR[/LEN] home-agent ADDR [dev NAME] [ro on|off] [lifetime S]\n"
	"  mip6 binding show\n"
	"  log error|warn|info|debug\n"
	"  help\n";

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int cmd_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	if (!line)
		return 0;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (argc >= max)
			return -E2BIG;
		argv[argc++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	if (argc < max)
		argv[argc] = NULL;
	return argc;
}

int cmd_exec_line(struct cmd_env *env, char *line)
{
	char *argv[CMD_MAX_ARGS + 1];
	int argc = cmd_split(line, argv, CMD_MAX_ARGS);

	if (argc == -E2BIG)
		return cmd_fail(env, 2, "command", "too many arguments (at most %d)", CMD_MAX_ARGS);
	if (argc <= 0)
		return 0;
	return cmd_exec(env, argc, argv);
}

int cmd_dispatch(struct cmd_env *env, const char *what, const struct cmd_entry *table,
		 size_t n, int argc, char **argv)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[0], table[i].name) == 0)
			return table[i].fn(env, argc, argv);
	if (what)
		return cmd_fail(env, 2, what, "unknown command \"%s\"", argv[0]);
	fprintf(env->err, "usagi: unknown command \"%s\"\n", argv[0]);
	return 2;
}

int cmd_exec(struct cmd_env *env, int argc, char **argv)
{
	if (!env || !env->st || !env->out || !env->err)
		return 1;
	if (argc <= 0 || !argv || !argv[0])
		return 0;
	for (int i = 0; i < argc; i++)
		if (!argv[i])
			return cmd_fail(env, 2, argv[0], "missing argument");
	return cmd_dispatch(env, NULL, commands, ARRAY_SIZE(commands), argc, argv);
}

void cmd_cancel(struct cmd_env *env)
{
	if (env) {
		cmd_ping_cancel_all(env);
		cmd_conntrack_cancel(env);
	}
}

int cmd_help(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, "help", argv[1]);
	fputs(help_text, env->out);
	return 0;
}

/* Names as log levels are spelled for the user; index = enum log_level. */
static const char *const log_names[] = { "error", "warn", "info", "debug" };

int cmd_log(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_missing(env, "log", "LEVEL");
	if (argc > 2)
		return cmd_bad_arg(env, "log", argv[2]);
	for (size_t i = 0; i < ARRAY_SIZE(log_names); i++) {
		if (strcmp(argv[1], log_names[i]) == 0) {
			usagi_stack_set_log_level(env->st, (int)i);
			return 0;
		}
	}
	return cmd_fail(env, 2, "log", "invalid level \"%s\" (error, warn, info or debug)", argv[1]);
}
