#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "simhost.h"
#include "link/netdev.h"
#include "ipv6/nd6.h"

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

struct simhost *simt_host_up(struct sim_world *w, const char *name, struct sim_segment *seg,
			     uint8_t mac_last)
{
	struct simhost *h = simt_host(w, name);

	simt_attach(h, seg, "eth0", mac_last);
	assert_int_equal(simt_cmd(h, "link set eth0 up"), 0);
	return h;
}

int simt_wait_done(struct simhost *h, uint64_t max_ms)
{
	for (uint64_t t = 0; t < max_ms && h->last_status == -1; t += 100)
		simt_run_ms(h->w, 100);
	return h->last_status;
}

struct neigh_query {
	struct in6_addr a;
	int state;
	uint8_t lladdr[6];
};

static void neigh_match(void *ctx, const struct nd6_neigh_info *n)
{
	struct neigh_query *q = ctx;

	if (in6_equal(&n->addr, &q->a)) {
		q->state = n->state;
		memcpy(q->lladdr, n->lladdr, 6);
	}
}

int simt_neigh_state(struct simhost *h, const struct in6_addr *a, uint8_t *lladdr)
{
	struct neigh_query q = { .a = *a, .state = -1 };

	nd6_neigh_foreach(h->st, neigh_match, &q);
	if (lladdr)
		memcpy(lladdr, q.lladdr, 6);
	return q.state;
}

void simt_host_free(struct simhost *h)
{
	cmd_cancel(&h->env);
	fclose(h->env.out);
	free(h->out);
	free(h);
}
