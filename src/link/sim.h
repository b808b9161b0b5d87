/*
 * Simulated links: in-process L2 segments between stacks, with delay,
 * loss, duplication, reordering and an MTU, all deterministic from a seed.
 * A sim_world owns the clock of every stack attached to it and runs frame
 * deliveries and stack timers in time order.
 */
#ifndef USAGI_LINK_SIM_H
#define USAGI_LINK_SIM_H

#include <stdint.h>
#include <stdbool.h>

struct stack;
struct netdev;
struct sim_world;
struct sim_segment;

struct sim_link_params {
	uint64_t delay_ns;         /* one-way delay */
	uint64_t jitter_ns;        /* extra uniform delay in [0, jitter) */
	uint32_t loss_ppm;         /* frames lost, per million */
	uint32_t dup_ppm;          /* frames duplicated, per million */
	uint32_t reorder_ppm;      /* frames held back by reorder_delay_ns, per million */
	uint64_t reorder_delay_ns;
	uint32_t mtu;              /* largest frame payload carried (0 = 1500); bigger ones are dropped */
	/*
	 * Link rate in bits per second (0 = unlimited). A frame occupies its
	 * sender's port for len * 8 / rate (len = the Ethernet frame without
	 * preamble or FCS) and starts only when the frames queued before it on
	 * that port are out; it arrives delay after its last bit left.
	 */
	uint64_t rate_bps;
	/* Frames a port may hold waiting for the medium (0 = 1000, like txqueuelen); more are dropped. */
	uint32_t queue_frames;
};

struct sim_world *sim_world_new(uint64_t seed);
/* Frees the world, its segments and every stack added with sim_world_add_stack. */
void sim_world_free(struct sim_world *w);
uint64_t sim_world_now(const struct sim_world *w);
/* The world drives @st's clock from now on (and frees it with the world). */
void sim_world_add_stack(struct sim_world *w, struct stack *st);

struct sim_segment *sim_segment_new(struct sim_world *w, const char *name,
				    const struct sim_link_params *params);
struct sim_segment *sim_segment_by_name(struct sim_world *w, const char *name);
void sim_segment_set_params(struct sim_segment *seg, const struct sim_link_params *params);
/*
 * Records every frame sent onto the segment, once, at send time (before
 * loss and MTU drops), to a pcap file with world timestamps. 0 or -errno;
 * a second call replaces the first capture.
 */
int sim_segment_capture(struct sim_segment *seg, const char *path);

/*
 * Creates interface @ifname on @st attached to @seg (MAC NULL = random);
 * NULL with errno. The interface starts down and keeps the default MTU:
 * the segment MTU only decides which frames the link carries.
 */
struct netdev *sim_attach(struct sim_segment *seg, struct stack *st, const char *ifname,
			  const uint8_t *mac);
/* Disconnects @dev from its segment (a cable pulled): frames are lost both ways. */
void sim_detach(struct netdev *dev);
/* Moves @dev to another segment (a mobile node changing links). */
void sim_move(struct netdev *dev, struct sim_segment *seg);
/* True when @dev is a simulated link (sim_attach made it). */
bool sim_is_sim_dev(const struct netdev *dev);

/* Runs deliveries and timers of every stack up to and including time @t (ns). */
void sim_run_until(struct sim_world *w, uint64_t t);
/* Schedules @fn(ctx) at time @t in the world's event order. */
void sim_at(struct sim_world *w, uint64_t t, void (*fn)(void *ctx), void *ctx);

#endif
