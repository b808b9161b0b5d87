/*
 * The public face of a usagi host. The core does no I/O and reads no clock:
 * the owner feeds frames (through a netdev backend), advances time, and
 * polls. One struct stack per host; any number per process, one thread each.
 */
#ifndef USAGI_STACK_H
#define USAGI_STACK_H

#include <stdint.h>

struct stack;

struct usagi_stack_config {
	const char *name;          /* for logs, "host" if NULL */
	uint64_t seed;             /* RNG and hash keys; fixed for deterministic runs */
	uint64_t now;              /* initial clock, ns */
	uint64_t epoch_ns;         /* wall clock (ns since 1970, UTC) at clock 0; 0 = unknown (1970) */
	unsigned pool_packets;     /* packet buffers, 0 = 4096 */
};

/* NULL with errno on failure. */
struct stack *usagi_stack_new(const struct usagi_stack_config *cfg);
/* Frees the host, its interfaces (and their backends), sockets and tables. */
void usagi_stack_free(struct stack *st);
/* Sets the clock to @now (ns, never backwards) and runs what is due. */
void usagi_stack_advance(struct stack *st, uint64_t now);
/* Time (ns) of the next timer, UINT64_MAX if none: the driver's next wake-up. */
uint64_t usagi_stack_next_event(const struct stack *st);
uint64_t usagi_stack_now(const struct stack *st);
const char *usagi_stack_name(const struct stack *st);
/* 0 = errors only ... 3 = debug. */
void usagi_stack_set_log_level(struct stack *st, int level);
typedef void (*usagi_log_fn)(void *ctx, const struct stack *st, int level, const char *msg);
void usagi_stack_set_log(struct stack *st, usagi_log_fn fn, void *ctx);

#endif
