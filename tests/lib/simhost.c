#include <stdarg.h>
#include <stdlib.h>
#include "simhost.h"
#include "link/netdev.h"

struct sim_world *simt_world(uint64_t seed)
{
	return sim_world_new(seed);
}

static void done(struct cmd_env *env, int rc)
{
	struct simhost *h = env->ctx;

	h->last_status = rc;
}

struct simhost *simt_host(struct sim_world *w, const char *name)
{
	struct simhost *h = calloc(1, sizeof(*h));
	struct usagi_stack_config cfg = { .name = name, .seed = 42, .now = sim_world_now(w) };

	for (const char *c = name; *c; c++)
		cfg.seed = cfg.seed * 31 + (unsigned char)*c;
	h->st = usagi_stack_new(&cfg);
	h->w = w;
	sim_world_add_stack(w, h->st);
	usagi_stack_set_log_level(h->st, 0);
	h->env.st = h->st;
	h->env.out = open_memstream(&h->out, &h->outlen);
	h->env.err = h->env.out;
	h->env.ctx = h;
	h->env.done = done;
	return h;
}

struct netdev *simt_attach(struct simhost *h, struct sim_segment *seg, const char *ifname,
			   uint8_t mac_last)
{
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, mac_last };

	return sim_attach(seg, h->st, ifname, mac);
}

int simt_cmd(struct simhost *h, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->last_status = -1;
	rc = cmd_exec_line(&h->env, line);
	if (rc != CMD_PENDING)
		h->last_status = rc;
	fflush(h->env.out);
	return rc;
}

void simt_run_ms(struct sim_world *w, uint64_t ms)
{
	sim_run_until(w, sim_world_now(w) + ms * NS_PER_MS);
}

const char *simt_output(struct simhost *h)
{
	fflush(h->env.out);
	return h->out ? h->out : "";
}

void simt_host_free(struct simhost *h)
{
	cmd_cancel(&h->env);
	fclose(h->env.out);
	free(h->out);
	free(h);
}
