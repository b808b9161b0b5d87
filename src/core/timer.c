#include "core/timer.h"
#include "core/stack.h"

/*
 * Hierarchical timer wheel (see timer.h for the shape).
 *
 * Invariants, with T(t) = t->expires / TW_TICK_NS and W = tw->tick:
 *  - a timer with T <= W is on tw->current, sorted by (expires, seq);
 *  - a timer with T > W is on level L = highest byte in which T and W
 *    differ, slot = byte L of T. So every level-L timer is earlier than every
 *    level-(L+1) timer, and slots on a level are in time order: the earliest
 *    tick is found from the lowest non-empty level's first used slot.
 * Moving W forward to W' (never past the earliest wheel timer) only breaks
 * the invariant for the one slot per level whose index is byte L of W';
 * those timers are re-inserted ("cascaded"), top level first.
 */

#define TW_CURRENT 0xffffu

_Static_assert(UINT64_MAX / TW_TICK_NS < (1ULL << (TW_BITS * TW_LEVELS)) - 1,
	       "the wheel must span every tick a 64-bit ns clock can name");

static inline uint64_t tick_of(uint64_t ns) { return ns / TW_TICK_NS; }

static inline unsigned slot_index(uint64_t tick, unsigned level)
{
	return (unsigned)(tick >> (level * TW_BITS)) & (TW_SLOTS - 1);
}

static inline bool timer_before(const struct timer *a, const struct timer *b)
{
	return a->expires < b->expires || (a->expires == b->expires && a->seq < b->seq);
}

static void current_insert(struct timer_wheel *tw, struct timer *t)
{
	struct dlist *pos = tw->current.prev;

	/* New timers are usually the latest: scan from the tail. */
	while (pos != &tw->current && timer_before(t, dlist_entry(pos, struct timer, node)))
		pos = pos->prev;
	dlist_add_head(pos, &t->node);
	t->where = TW_CURRENT;
}

static void wheel_insert(struct timer_wheel *tw, struct timer *t)
{
	uint64_t tick = tick_of(t->expires);

	if (tick <= tw->tick) {
		current_insert(tw, t);
		return;
	}
	unsigned level = (unsigned)(63 - __builtin_clzll(tick ^ tw->tick)) / TW_BITS;
	unsigned slot = slot_index(tick, level);

	dlist_add_tail(&tw->slots[level][slot], &t->node);
	tw->used[level][slot / 64] |= 1ULL << (slot % 64);
	t->where = (uint16_t)(level << TW_BITS | slot);
}

static void wheel_unlink(struct timer_wheel *tw, struct timer *t)
{
	dlist_del(&t->node);
	if (t->where == TW_CURRENT)
		return;
	unsigned level = t->where >> TW_BITS, slot = t->where & (TW_SLOTS - 1);

	if (dlist_empty(&tw->slots[level][slot]))
		tw->used[level][slot / 64] &= ~(1ULL << (slot % 64));
}

/* First used slot on @level, -1 if none. */
static int first_used(const struct timer_wheel *tw, unsigned level)
{
	for (unsigned w = 0; w < TW_SLOTS / 64; w++)
		if (tw->used[level][w])
			return (int)(w * 64 + (unsigned)__builtin_ctzll(tw->used[level][w]));
	return -1;
}

/* The slot holding the earliest wheel timer, NULL if the wheel is empty. */
static const struct dlist *earliest_slot(const struct timer_wheel *tw)
{
	for (unsigned level = 0; level < TW_LEVELS; level++) {
		int slot = first_used(tw, level);

		if (slot >= 0)
			return &tw->slots[level][slot];
	}
	return NULL;
}

/* Earliest (by expires, seq) timer on a non-empty slot list. */
static struct timer *slot_min(const struct dlist *head)
{
	struct timer *best = dlist_entry(head->next, struct timer, node);

	for (const struct dlist *pos = head->next->next; pos != head; pos = pos->next) {
		struct timer *t = dlist_entry(pos, struct timer, node);

		if (timer_before(t, best))
			best = t;
	}
	return best;
}

/* Moves the wheel to @tick, which must not pass the earliest wheel timer. */
static void wheel_move(struct timer_wheel *tw, uint64_t tick)
{
	tw->tick = tick;
	for (unsigned level = TW_LEVELS; level-- > 0;) {
		unsigned slot = slot_index(tick, level);
		struct dlist *head = &tw->slots[level][slot], *pos, *tmp;

		if (dlist_empty(head))
			continue;
		tw->used[level][slot / 64] &= ~(1ULL << (slot % 64));
		dlist_for_each_safe(pos, tmp, head) {
			dlist_del(pos);
			wheel_insert(tw, dlist_entry(pos, struct timer, node));
		}
	}
}

/* Runs the due head of the current list until none is due; callbacks may arm anything. */
static void run_current(struct timer_wheel *tw, uint64_t now)
{
	while (!dlist_empty(&tw->current)) {
		struct timer *t = dlist_entry(tw->current.next, struct timer, node);

		if (t->expires > now)
			return;
		dlist_del(&t->node);
		t->armed = false;
		tw->count--;
		if (tw->owner)
			STAT_INC(tw->owner, timer_fired);
		t->fn(tw->owner, t);
	}
}

void timer_wheel_init(struct timer_wheel *tw, struct stack *owner, uint64_t now)
{
	memset(tw, 0, sizeof(*tw));
	tw->owner = owner;
	tw->now = now;
	tw->tick = tick_of(now);
	dlist_init(&tw->current);
	for (unsigned l = 0; l < TW_LEVELS; l++)
		for (unsigned s = 0; s < TW_SLOTS; s++)
			dlist_init(&tw->slots[l][s]);
}

void timer_wheel_advance(struct timer_wheel *tw, uint64_t now)
{
	uint64_t target;

	if (now < tw->now)
		now = tw->now;
	tw->now = now;
	target = tick_of(now);
	for (;;) {
		run_current(tw, now);
		const struct dlist *slot = earliest_slot(tw);
		uint64_t next = slot ? tick_of(slot_min(slot)->expires) : UINT64_MAX;

		if (next > target)
			break;
		wheel_move(tw, next);
	}
	/* Nothing in the wheel is due by @target, so moving there lands nothing on current. */
	if (tw->tick < target)
		wheel_move(tw, target);
}

uint64_t timer_wheel_next(const struct timer_wheel *tw)
{
	const struct dlist *slot;

	if (!dlist_empty(&tw->current))
		return dlist_entry(tw->current.next, struct timer, node)->expires;
	slot = earliest_slot(tw);
	return slot ? slot_min(slot)->expires : UINT64_MAX;
}

void timer_init(struct timer *t, timer_fn fn)
{
	memset(t, 0, sizeof(*t));
	dlist_init(&t->node);
	t->fn = fn;
}

void timer_arm(struct timer_wheel *tw, struct timer *t, uint64_t expires)
{
	if (t->armed)
		wheel_unlink(tw, t);
	else
		tw->count++;
	t->armed = true;
	t->expires = expires;
	t->seq = tw->seq++;
	wheel_insert(tw, t);
}

void timer_cancel(struct timer_wheel *tw, struct timer *t)
{
	if (!t->armed)
		return;
	wheel_unlink(tw, t);
	t->armed = false;
	tw->count--;
}
