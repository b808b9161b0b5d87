/* Helpers for simulated-network tests (see simhost.h). */
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
#include "ipsec_lab.h"

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

int simt_neigh_state_of(struct simhost *h, const char *addr, uint8_t *lladdr)
{
	struct in6_addr a = lab_addr(addr, NULL);

	return simt_neigh_state(h, &a, lladdr);
}

void simt_nud_gone(struct simhost *a, struct netdev *gone, const char *addr)
{
	int s;

	sim_detach(gone);
	simt_run_ms(a->w, 60000);
	assert_int_equal(simt_neigh_state_of(a, addr, NULL), NUD_STALE);
	assert_int_equal(simt_cmd(a, "ping %s -c 1 -W 1", addr), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 5000), 1);
	simt_run_ms(a->w, 1000);
	s = simt_neigh_state_of(a, addr, NULL);
	assert_true(s == NUD_DELAY || s == NUD_PROBE);
	simt_run_ms(a->w, 10000);
	s = simt_neigh_state_of(a, addr, NULL);
	assert_true(s == -1 || s == NUD_FAILED);
}

const struct sim_link_params simt_rough = {
	.delay_ns = 2 * NS_PER_MS, .jitter_ns = 3 * NS_PER_MS, .reorder_ppm = 300000,
	.reorder_delay_ns = 4 * NS_PER_MS, .dup_ppm = 100000,
};

void simt_ping_big(struct simhost *a, const char *dst)
{
	assert_int_equal(simt_cmd(a, "ping %s -c 10 -s 4000 -i 0.1", dst), CMD_PENDING);
	assert_int_equal(simt_wait_done(a, 20000), 0);
	assert_non_null(strstr(simt_output(a), "10 packets transmitted, 10 received"));
}

void simt_ping_big_lossy(struct simhost *a, struct sim_segment *seg,
			 const struct sim_link_params *base, const char *dst)
{
	struct sim_link_params lossy = *base;

	lossy.loss_ppm = 100000;
	sim_segment_set_params(seg, &lossy);
	assert_int_equal(simt_cmd(a, "ping %s -c 20 -s 4000 -i 0.1", dst), CMD_PENDING);
	simt_wait_done(a, 30000);
	simt_run_ms(a->w, 70000);
	assert_null(strstr(simt_output(a), "20 packets transmitted, 0 received"));
}

void simt_host_free(struct simhost *h)
{
	cmd_cancel(&h->env);
	fclose(h->env.out);
	free(h->out);
	free(h);
}
