/* `usagi sim FILE [--out DIR] [--seed N]`: a simulated network from a file (docs/sim.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/simfile.h"
#include "usagi.h"

int sim_main(int argc, char **argv)
{
	struct simfile_opts o = { .outdir = "sim-out", .seed = 1 };
	const char *file = NULL;
	char *end;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--out")) {
			o.outdir = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
			o.seed = strtoull(argv[++i], &end, 0);
			if (*end || !*argv[i]) {
				fprintf(stderr, "usagi: sim: bad seed \"%s\"\n", argv[i]);
				return 2;
			}
		} else if (!file && argv[i][0] != '-') {
			file = argv[i];
		} else {
			file = NULL;
			break;
		}
	}
	if (!file) {
		fprintf(stderr, "usage: usagi sim FILE [--out DIR] [--seed N]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return simfile_run_file(file, &o);
}
