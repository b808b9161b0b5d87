/*
 * `usagi demo [--out DIR]`: the built-in sim file (src/sim/demo.c) run by
 * the same engine as `usagi sim`, showing what the stack does today.
 */
#include <stdio.h>
#include <string.h>
#include "sim/simfile.h"
#include "usagi.h"

int demo_main(int argc, char **argv)
{
	struct simfile_opts o = { .name = "demo", .outdir = "demo-out", .seed = 1 };
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--out")) {
		o.outdir = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: usagi demo [--out DIR]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("usagi demo: a router and three hosts on two simulated links; times are\n"
	       "simulated seconds. Lines: `[time] HOST$ command`, `[time] HOST: output or log`.\n\n"
	       "    A (SLAAC)               C (takes A's address)\n"
	       "    |                       |\n"
	       "  ==+========= lan1 ========+==   2001:db8:1::/64\n"
	       "              |\n"
	       "              R   router: forwarding on, RAs on both links\n"
	       "              |\n"
	       "  ==+========= lan2 ===========   2001:db8:2::/64\n"
	       "    |\n"
	       "    B (SLAAC)\n\n");
	rc = simfile_run(simfile_demo, &o);
	if (rc != SIMFILE_BAD)
		printf("Open the captures in Wireshark, or: tshark -r %s/lan1.pcap\n", o.outdir);
	return rc;
}
