/*
 * The sim-file engine behind `usagi sim FILE` and `usagi demo`: hosts,
 * segments with impairments and timed commands, run on one simulated clock
 * (link/sim.h). The file format is described in docs/sim.md.
 */
#ifndef USAGI_SIM_SIMFILE_H
#define USAGI_SIM_SIMFILE_H

#include <stdint.h>
#include <stdio.h>

struct simfile_opts {
	const char *name;     /* file name in error messages; "sim" if NULL */
	const char *outdir;   /* one pcap per segment here (created); NULL = no captures */
	uint64_t seed;        /* world seed; host seeds derive from it */
	FILE *out;            /* the timeline; stdout if NULL */
	FILE *err;            /* file errors, "usagi: NAME:LINE: ..."; stderr if NULL */
	int log_level;        /* stack log level shown in the timeline (0..3); 0 means info */
};

#define SIMFILE_OK 0          /* every command succeeded */
#define SIMFILE_FAILED 1      /* a command failed (or was still running at the end) */
#define SIMFILE_BAD 2         /* the file has an error; nothing (more) was run */

/* Checks then runs @text (the whole file). Returns SIMFILE_*. */
int simfile_run(const char *text, const struct simfile_opts *opts);
/* Reads @path and runs it (its name in messages). */
int simfile_run_file(const char *path, const struct simfile_opts *opts);
/* Shorthand for tests: seed 1, errors and timeline both to @out. */
int simfile_run_string(const char *text, const char *outdir, FILE *out);

/* The built-in scenario of `usagi demo` (src/sim/demo.c). */
extern const char simfile_demo[];

/* "2.5s", "10ms", "300us", "50ns", "1m", bare number = seconds. 0 or -EINVAL. */
int simfile_parse_time(const char *s, uint64_t *ns);
/* "0.5%" or a fraction "0.005", into parts per million. 0 or -EINVAL. */
int simfile_parse_ppm(const char *s, uint32_t *ppm);
/* "100Mbit", "1Gbit", "64kbit", "bit" or no suffix: bit/s into *bps (>= 1). 0 or -EINVAL. */
int simfile_parse_rate(const char *s, uint64_t *bps);

#endif
