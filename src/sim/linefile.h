/*
 * A stdio FILE that hands every complete line written to it to a callback:
 * how command output becomes timeline lines (sim) or prefixed error lines
 * (node config). Unbuffered, so each line reaches the callback as soon as
 * its newline is written; a partial last line is delivered by fclose().
 */
#ifndef USAGI_SIM_LINEFILE_H
#define USAGI_SIM_LINEFILE_H

#include <stdio.h>

/* @line has no trailing newline. */
typedef void (*linefile_fn)(void *ctx, const char *line);

/* NULL with errno on failure. fclose() the result when done. */
FILE *linefile_open(linefile_fn fn, void *ctx);

#endif
