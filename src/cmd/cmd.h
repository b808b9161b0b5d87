/*
 * The command language shared by `usagi node -c FILE`, `usagi ctl`, `usagi
 * sim` and the demo: iproute2-shaped commands run against one stack.
 */
#ifndef USAGI_CMD_CMD_H
#define USAGI_CMD_CMD_H

#include <stdio.h>

struct stack;
struct cmd_env;
struct cmd_pending;
struct netdev;

#define CMD_PENDING 1000      /* cmd_exec result: runs on, env->done is called later */
/* A control line is at most 4095 bytes, so it never holds more words than this;
   `setkey -e` with a whole configuration on one line needs many. */
#define CMD_MAX_ARGS 2048

/*
 * Creates the link for `link add NAME type KIND ARGS...`; @argv starts at
 * KIND. Supplied by the program (node: tap/packet; sim: sim). Prints its own
 * error to env->err; returns 0 or -errno.
 */
typedef int (*cmd_link_create_fn)(struct cmd_env *env, const char *name, int argc, char **argv);
/*
 * Moves link @dev to segment @seg for `link set NAME segment SEG` (a mobile
 * node changing links). Supplied by simulations; prints its own error to
 * env->err; returns 0 or -errno.
 */
typedef int (*cmd_link_move_fn)(struct cmd_env *env, struct netdev *dev, const char *seg);

struct cmd_env {
	struct stack *st;
	FILE *out;                      /* command output */
	FILE *err;                      /* error messages, one line each */
	cmd_link_create_fn link_create; /* NULL: `link add` is refused */
	cmd_link_move_fn link_move;     /* NULL: `link set NAME segment` is refused */
	void *ctx;                      /* the program's */
	/* A pending command (ping) finished with exit status @rc; NULL for fire-and-forget. */
	void (*done)(struct cmd_env *env, int rc);
	/* cmd's own: commands still running for this env (zero it; see cmd_cancel). */
	struct cmd_pending *pending;
};

/*
 * Runs one command. Returns its exit status (0 ok, 1 failed, 2 bad usage),
 * or CMD_PENDING when it goes on in the background and will call
 * env->done(env, status) (env must stay valid until then).
 */
int cmd_exec(struct cmd_env *env, int argc, char **argv);
/* Splits @line (modified in place) and runs it; blank lines and `#` comments give 0. */
int cmd_exec_line(struct cmd_env *env, char *line);
/* Splits @line in place on blanks, honouring a trailing `#` comment; returns argc or -E2BIG. */
int cmd_split(char *line, char **argv, int max);
/* Cancels pending commands of @env (its owner goes away); env->done is not called. */
void cmd_cancel(struct cmd_env *env);

#endif
