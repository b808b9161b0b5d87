/* `usagi`: one program, a subcommand per job (see docs/usage.md). */
#include <stdio.h>
#include <string.h>
#include "usagi.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *usage;
} subcommands[] = {
	{ "node", node_main, "node -c FILE [--control DIR]    run a host on TAP/AF_PACKET links" },
	{ "ctl", ctl_main, "ctl [--control DIR] COMMAND...   run a command on a running node" },
	{ "setkey", setkey_main, "setkey [--control DIR] -c|-f FILE|-D[P]|-F[P]|-x  setkey(8) over PF_KEY" },
	{ "conntrack", conntrack_main, "conntrack [--control DIR] -L [-f ipv4|ipv6] [-p PROTO]|-F|-C|-S|-E  conntrack(8)" },
	{ "sim", sim_main, "sim FILE [--out DIR] [--seed N]  run a simulated network (docs/sim.md)" },
	{ "demo", demo_main, "demo [--out DIR]                 show what usagi does, simulated" },
};

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: usagi SUBCOMMAND [ARGS...]\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  usagi %s\n", subcommands[i].usage);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout, 0);
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "usagi: unknown subcommand \"%s\"\n", argv[1]);
	return usage(stderr, 2);
}
