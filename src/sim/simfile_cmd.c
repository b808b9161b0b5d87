/*
 * Timed commands of a sim file: each `at` line becomes a struct sf_cmd whose
 * cmd_env writes into the timeline through line FILEs, so output printed
 * later by a pending command (ping replies) carries the time it happened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/stack.h"
#include "link/netdev.h"
#include "link/sim.h"
#include "sim/linefile.h"
#include "sim/simfile_priv.h"

static void cmd_line_out(void *ctx, const char *line)
{
	struct sf_cmd *c = ctx;

	sf_timeline(c->sf, sf_now(c->sf), c->host->name, ": ", line);
}

void sf_host_log(void *ctx, const struct stack *st, int level, const char *msg)
{
	static const char *const tags[] = { "error: ", "warning: ", "", "" };
	struct sf_host *h = ctx;
	char buf[600];

	snprintf(buf, sizeof(buf), "%s%s", level >= 0 && level < 4 ? tags[level] : "", msg);
	sf_timeline(h->sf, usagi_stack_now(st), h->name, ": ", buf);
}

/* A command's status as the sim counts it: `! CMD` inverts a failure (1), never a usage error (2). */
static int sf_status(const struct sf_cmd *c, int rc)
{
	if (!c->negate)
		return rc;
	return rc == 1 ? 0 : rc == 0 ? 1 : rc;
}

static void cmd_done(struct cmd_env *env, int rc)
{
	struct sf_cmd *c = env->ctx;

	c->rc = sf_status(c, rc);
	c->state = SF_DONE;
}

static void close_files(struct sf_cmd *c)
{
	if (c->env.out)
		fclose(c->env.out);
	if (c->env.err)
		fclose(c->env.err);
	c->env.out = c->env.err = NULL;
}

static void run_cmd(void *ctx)
{
	struct sf_cmd *c = ctx;
	struct simfile *sf = c->sf;
	int rc;

	if (c->kind != SF_CMD) {
		if (c->kind == SF_HEADING)
			fprintf(sf->out, "\n");
		sf_timeline(sf, c->t, NULL, "", c->kind == SF_HEADING ? c->buf : c->text);
		c->state = SF_DONE;
		return;
	}
	sf_timeline(sf, c->t, c->host->name, "$ ", c->text);
	c->env = (struct cmd_env){ .st = c->host->st, .link_create = sf_link_create,
				   .link_move = sf_link_move, .ctx = c, .done = cmd_done };
	c->env.out = linefile_open(cmd_line_out, c);
	c->env.err = linefile_open(cmd_line_out, c);
	if (!c->env.out || !c->env.err) {
		close_files(c);
		sf_timeline(sf, c->t, c->host->name, ": ", strerror(errno));
		c->rc = 1;
		c->state = SF_DONE;
		return;
	}
	c->state = SF_PENDING;
	rc = cmd_exec_line(&c->env, c->buf + (c->negate ? 2 : 0));
	if (rc != CMD_PENDING) {
		c->rc = sf_status(c, rc);
		c->state = SF_DONE;
		close_files(c);
	}
}

int sf_schedule(struct simfile *sf, uint64_t t, const char *who, const char *rest)
{
	struct sf_cmd *c = calloc(1, sizeof(*c));
	struct sf_name *n = sf_name_find(&sf->hosts, who);

	if (!c)
		goto nomem;
	c->sf = sf;
	c->t = t;
	c->line = sf->line;
	c->kind = n ? SF_CMD : !strcmp(who, "heading") ? SF_HEADING : SF_ECHO;
	c->host = n ? n->obj : NULL;
	c->negate = n && rest[0] == '!' && rest[1] == ' ';
	c->text = strdup(rest);
	if (c->kind != SF_HEADING)
		c->buf = strdup(rest);
	else if (asprintf(&c->buf, "== %s ==", rest) < 0)
		c->buf = NULL;
	if (!c->text || !c->buf)
		goto nomem;
	dlist_add_tail(&sf->cmds, &c->node);
	sim_at(sf->w, t, run_cmd, c);
	return 0;
nomem:
	if (c) {
		free(c->text);
		free(c->buf);
	}
	free(c);
	sf_error(sf, "out of memory");
	return -ENOMEM;
}

/* End of the simulation: cancels what still runs, then lists every failure. */
void sf_cmds_finish(struct simfile *sf)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &sf->cmds) {
		struct sf_cmd *c = dlist_entry(pos, struct sf_cmd, node);

		if (c->state == SF_SCHEDULED) {
			c->state = SF_DONE;    /* after the last `run`: never ran */
			continue;
		}
		if (c->state != SF_PENDING)
			continue;
		cmd_cancel(&c->env);
		close_files(c);
		c->rc = 1;
		c->state = SF_DONE;
		sf_timeline(sf, sf_now(sf), c->host->name, ": ", "still running at the end: cancelled");
	}
	dlist_for_each_safe(pos, tmp, &sf->cmds) {
		struct sf_cmd *c = dlist_entry(pos, struct sf_cmd, node);

		if (c->kind != SF_CMD || c->rc == 0 || c->line < 0)
			continue;
		fprintf(sf->out, "failed: %s:%d: %s: %s (status %d)\n", sf->name, c->line,
			c->host->name, c->text, c->rc);
		c->line = -1;          /* reported */
	}
	fflush(sf->out);
}

void sf_cmds_free(struct simfile *sf)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &sf->cmds) {
		struct sf_cmd *c = dlist_entry(pos, struct sf_cmd, node);

		dlist_del(&c->node);
		close_files(c);
		free(c->text);
		free(c->buf);
		free(c);
	}
}

/* `link add NAME type sim segment SEG [mac XX:..]` on a simulated host. */
int sf_link_create(struct cmd_env *env, const char *name, int argc, char **argv)
{
	struct sf_cmd *c = env->ctx;
	struct sf_name *seg;
	uint8_t mac[6];
	unsigned b[6];
	bool have_mac = argc == 5 && !strcmp(argv[3], "mac");

	if (strcmp(argv[0], "sim") || (argc != 3 && !have_mac) || strcmp(argv[1], "segment")) {
		fprintf(env->err, "link add: usage: link add NAME type sim segment SEG [mac XX:XX:XX:XX:XX:XX]\n");
		return -EINVAL;
	}
	seg = sf_name_find(&c->sf->segments, argv[2]);
	if (!seg) {
		fprintf(env->err, "link add: no such segment \"%s\"\n", argv[2]);
		return -ENOENT;
	}
	if (have_mac) {
		if (sscanf(argv[4], "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
			fprintf(env->err, "link add: bad MAC address \"%s\"\n", argv[4]);
			return -EINVAL;
		}
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)b[i];
	}
	if (!sim_attach(seg->obj, env->st, name, have_mac ? mac : NULL)) {
		int e = errno;

		fprintf(env->err, "link add: %s: %s\n", name, strerror(e));
		return -e;
	}
	return 0;
}

int sf_link_move(struct cmd_env *env, struct netdev *dev, const char *seg)
{
	struct sf_cmd *c = env->ctx;
	struct sf_name *n = sf_name_find(&c->sf->segments, seg);

	if (!n) {
		fprintf(env->err, "usagi: link set: no such segment \"%s\"\n", seg);
		return -ENOENT;
	}
	if (!sim_is_sim_dev(dev)) {
		fprintf(env->err, "usagi: link set: %s is not a simulated link\n", dev->name);
		return -EINVAL;
	}
	sim_move(dev, n->obj);
	return 0;
}
