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
};

#define TW_BITS 8
#define TW_LEVELS 6
struct timer_wheel {
	struct stack *owner;   /* passed to callbacks */
	uint64_t now;          /* last advance */
	uint64_t seq;
	unsigned count;        /* armed timers */
	struct dlist slots[TW_LEVELS][1 << TW_BITS];
	struct dlist overflow; /* beyond the wheels' span */
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
