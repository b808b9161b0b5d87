/*
 * Timer wheel: one per stack, driven by the injected clock. Nothing fires
 * on its own; timer_wheel_advance(now) runs every timer whose expiry is at
 * or before @now, in order of expiry (ties in order of arming), and timers
 * armed by callbacks for a time <= now run in the same call.
 */
#ifndef USAGI_CORE_TIMER_H
#define USAGI_CORE_TIMER_H

#include "core/common.h"

struct stack;
struct timer;
typedef void (*timer_fn)(struct stack *st, struct timer *t);

struct timer {
	struct dlist node;
	uint64_t expires;      /* ns, stack clock */
	uint64_t seq;          /* arming order, for ties */
	timer_fn fn;
	bool armed;
	uint16_t where;        /* timer.c: wheel slot (level << TW_BITS | slot) or TW_CURRENT */
};

/*
 * Hierarchical wheel of 1 ms ticks (timer.c): TW_LEVELS levels of 2^TW_BITS
 * slots cover 2^48 ticks, more than a 64-bit ns clock can name, so nothing
 * overflows. A timer sits on the level of the highest byte in which its tick
 * differs from the wheel's tick; timers due at or before the wheel's tick
 * wait on a list sorted by (expires, seq).
 */
#define TW_BITS 8
#define TW_LEVELS 6
#define TW_SLOTS (1 << TW_BITS)
#define TW_TICK_NS 1000000ULL
struct timer_wheel {
	struct stack *owner;   /* passed to callbacks */
	uint64_t now;          /* last advance */
	uint64_t seq;
	unsigned count;        /* armed timers */
	uint64_t tick;         /* wheel position: every wheel timer has a later tick */
	struct dlist current;  /* ticks <= tick, sorted by (expires, seq) */
	uint64_t used[TW_LEVELS][TW_SLOTS / 64]; /* non-empty slots */
	struct dlist slots[TW_LEVELS][TW_SLOTS];
};

void timer_wheel_init(struct timer_wheel *tw, struct stack *owner, uint64_t now);
/* Runs every timer with expires <= @now; @now never goes backwards. */
void timer_wheel_advance(struct timer_wheel *tw, uint64_t now);
/* Earliest expiry among armed timers, UINT64_MAX if none. */
uint64_t timer_wheel_next(const struct timer_wheel *tw);

void timer_init(struct timer *t, timer_fn fn);
/* (Re)arms @t to fire at absolute time @expires (ns); a past time fires at the next advance. */
void timer_arm(struct timer_wheel *tw, struct timer *t, uint64_t expires);
/* Cancels @t if armed; safe on an unarmed timer. */
void timer_cancel(struct timer_wheel *tw, struct timer *t);
static inline bool timer_pending(const struct timer *t) { return t->armed; }

#endif
