/* Helpers for simulated-network tests: hosts on sim segments driven by commands. */
#ifndef USAGI_TESTS_SIMHOST_H
#define USAGI_TESTS_SIMHOST_H

#include <stdio.h>
#include "core/stack.h"
#include "cmd/cmd.h"
#include "link/sim.h"

struct simhost {
	struct stack *st;
	struct cmd_env env;
	char *out;            /* everything the host's commands printed */
	size_t outlen;
	int last_status;      /* status of the last finished command, -1 while pending */
	struct sim_world *w;
};

/* A world with @seed; segments and hosts hang off it. */
struct sim_world *simt_world(uint64_t seed);
/* A host named @name whose commands print into h->out. */
struct simhost *simt_host(struct sim_world *w, const char *name);
/* Attaches @h to @seg as @ifname with MAC 02:00:00:00:00:@mac_last. */
struct netdev *simt_attach(struct simhost *h, struct sim_segment *seg, const char *ifname,
			   uint8_t mac_last);
/* Runs one command line now; returns its status, or CMD_PENDING. */
int simt_cmd(struct simhost *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs the world for @ms more milliseconds. */
void simt_run_ms(struct sim_world *w, uint64_t ms);
/* Output captured so far (NUL-terminated). */
const char *simt_output(struct simhost *h);
/* A host named @name with eth0 attached to @seg (MAC ...:@mac_last) and brought up. */
struct simhost *simt_host_up(struct sim_world *w, const char *name, struct sim_segment *seg,
			     uint8_t mac_last);
/* Runs until @h's pending command finishes (bounded by @max_ms) and returns its status. */
int simt_wait_done(struct simhost *h, uint64_t max_ms);
/* NUD state of neighbour @a in @h's cache, -1 if absent; copies its lladdr if @lladdr. */
int simt_neigh_state(struct simhost *h, const struct in6_addr *a, uint8_t *lladdr);
/* simt_neigh_state for @addr given as text: IPv6, or IPv4 (kept as ::ffff:a.b.c.d). */
int simt_neigh_state_of(struct simhost *h, const char *addr, uint8_t *lladdr);
/*
 * NUD once a neighbour is gone (RFC 4861 7.3.3, ARP entries alike): @gone,
 * whose address @addr @a holds REACHABLE, is detached; after ReachableTime
 * the entry is STALE, a packet moves it to DELAY or PROBE, and the
 * unanswered probes remove it or leave it FAILED.
 */
void simt_nud_gone(struct simhost *a, struct netdev *gone, const char *addr);
/* Link parameters under which fragments come in any order, some twice:
 * jitter, 30% reordered, 10% duplicated. */
extern const struct sim_link_params simt_rough;
/* `ping @dst -c 10 -s 4000 -i 0.1` from @a: every reply comes back (20 s at most). */
void simt_ping_big(struct simhost *a, const char *dst);
/*
 * @seg gets @base's parameters and 10% loss; @a pings @dst 20 times with
 * 4000 bytes, then 70 s pass so every incomplete reassembly times out.
 * Not every echo was lost.
 */
void simt_ping_big_lossy(struct simhost *a, struct sim_segment *seg,
			 const struct sim_link_params *base, const char *dst);
/* Frees the host's capture (stack is freed with the world). */
void simt_host_free(struct simhost *h);

#endif
