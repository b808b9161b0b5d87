/* Internals of the sim-file engine, shared by its files. */
#ifndef USAGI_SIM_SIMFILE_PRIV_H
#define USAGI_SIM_SIMFILE_PRIV_H

#include <stdbool.h>
#include "core/common.h"
#include "cmd/cmd.h"
#include "sim/simfile.h"

struct sim_world;
struct stack;
struct netdev;

#define SIMFILE_NAME_MAX 32
#define SIMFILE_TAIL_NS (10 * NS_PER_SEC)   /* run on after the last `at` when no `run` follows */

/* A name declared by `host` or `segment`; @obj is the live object (NULL while checking). */
struct sf_name {
	struct dlist node;
	char name[SIMFILE_NAME_MAX];
	void *obj;
};

struct sf_host {
	struct simfile *sf;
	struct stack *st;
	char name[SIMFILE_NAME_MAX];
};

enum sf_cmd_kind { SF_CMD, SF_ECHO, SF_HEADING };
enum sf_cmd_state { SF_SCHEDULED, SF_PENDING, SF_DONE };

/* One `at` line: the command, its environment and its fate. */
struct sf_cmd {
	struct dlist node;           /* simfile->cmds */
	struct simfile *sf;
	struct sf_host *host;        /* NULL for echo/heading */
	enum sf_cmd_kind kind;
	enum sf_cmd_state state;
	int line;
	int rc;
	bool negate;                 /* `! CMD`: succeeds only if CMD fails (status 1) */
	uint64_t t;
	char *text;                  /* as written, for the timeline and the summary */
	char *buf;                   /* the copy cmd_exec_line splits (argv point into it) */
	struct cmd_env env;
};

struct simfile {
	const struct simfile_opts *o;
	const char *name;
	FILE *out, *err;
	bool live;                   /* false: checking pass, nothing is created */
	int line;                    /* line being processed */
	struct sim_world *w;
	uint64_t last_now;           /* clock once the world is gone */
	uint64_t ran_until;          /* end of the last `run` */
	bool ran;
	uint64_t last_at;            /* latest `at` time */
	bool any_at;
	unsigned nhosts;
	struct dlist hosts;          /* struct sf_name, obj = struct sf_host */
	struct dlist segments;       /* struct sf_name, obj = struct sim_segment */
	struct dlist cmds;           /* struct sf_cmd */
	char *pcaps;                 /* "dir/a.pcap dir/b.pcap" for the closing line */
	size_t pcaps_len;
};

__attribute__((format(printf, 2, 3)))
void sf_error(struct simfile *sf, const char *fmt, ...);
struct sf_name *sf_name_find(struct dlist *list, const char *name);
uint64_t sf_now(const struct simfile *sf);
/* Prints "[  t.ttt] WHO: text" (WHO NULL: "[  t.ttt] text"). */
void sf_timeline(struct simfile *sf, uint64_t t, const char *who, const char *sep, const char *text);

/* simfile_cmd.c */
int sf_schedule(struct simfile *sf, uint64_t t, const char *who, const char *rest);
void sf_cmds_finish(struct simfile *sf);
void sf_cmds_free(struct simfile *sf);
int sf_link_create(struct cmd_env *env, const char *name, int argc, char **argv);
int sf_link_move(struct cmd_env *env, struct netdev *dev, const char *seg);
void sf_host_log(void *ctx, const struct stack *st, int level, const char *msg);

#endif
