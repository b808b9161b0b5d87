/*
 * SA lifetimes (RFC 4301 4.4.2.1): bytes and packets counted per packet by
 * xfrm_state_account, add and use times by one timer per SA. A soft limit
 * makes the SA DYING and is announced once, so the key manager rekeys; a
 * hard limit announces and removes it. Also the per-packet sequence number
 * and replay helpers, which count into the SA and the stack.
 */
#include "core/stack.h"
#include "xfrm/lifetime.h"
#include "xfrm/state_priv.h"


static struct xfrm_deadlines deadlines_of(const struct xfrm_state *x)
{
	const struct xfrm_lifetime *l = &x->c.lft;
	struct xfrm_deadlines d = { XFRM_NEVER, XFRM_NEVER, 0, 0 };

	xfrm_deadline_pick(&d.hard, &d.hard_why, xfrm_deadline(x->cur.add_time, l->hard_add_s), XFRM_EXP_ADD);
	if (!x->soft_done)
		xfrm_deadline_pick(&d.soft, &d.soft_why, xfrm_deadline(x->cur.add_time, l->soft_add_s), XFRM_EXP_ADD);
	if (x->cur.use_time) {
		xfrm_deadline_pick(&d.hard, &d.hard_why, xfrm_deadline(x->cur.use_time, l->hard_use_s), XFRM_EXP_USE);
		if (!x->soft_done)
			xfrm_deadline_pick(&d.soft, &d.soft_why, xfrm_deadline(x->cur.use_time, l->soft_use_s), XFRM_EXP_USE);
	}
	return d;
}

static void sa_timer(struct stack *st, struct timer *t)
{
	struct xfrm_state *x = container_of(t, struct xfrm_state, timer);
	struct xfrm_deadlines d = deadlines_of(x);

	if (st->now >= d.hard) {
		sad_expire_hard(st, x, d.hard_why);
		return;
	}
	if (st->now >= d.soft)
		sad_expire_soft(st, x, d.soft_why);
	sad_arm(st, x);
}

void sad_arm(struct stack *st, struct xfrm_state *x)
{
	struct xfrm_deadlines d = deadlines_of(x);
	uint64_t next = MIN(d.soft, d.hard);

	if (x->timer.fn != sa_timer)
		timer_init(&x->timer, sa_timer);
	if (next == XFRM_NEVER)
		stack_timer_cancel(st, &x->timer);
	else
		timer_arm(&st->timers, &x->timer, next);
}

void sad_expire_soft(struct stack *st, struct xfrm_state *x, unsigned reason)
{
	if (x->soft_done || !xfrm_state_usable(x))
		return;
	x->soft_done = true;
	x->state = XFRM_STATE_DYING;
	STAT_INC(st, xfrm_sa_expire_soft);
	sad_announce(st, XFRM_EV_EXPIRE_SOFT, x, reason);
}

/* An ACQUIRE larval SA without an SPI was never seen by anyone but the KM: it goes quietly (Linux too). */
void sad_expire_hard(struct stack *st, struct xfrm_state *x, unsigned reason)
{
	bool quiet = x->state == XFRM_STATE_LARVAL && x->c.id.spi == 0;

	sad_unlink(st, x);
	STAT_INC(st, xfrm_sa_expire_hard);
	if (!quiet)
		sad_announce(st, XFRM_EV_EXPIRE_HARD, x, reason);
	xfrm_state_put(x);
}

/* The SAD's reference to an SA killed on the packet path, dropped once the packet is done. */
static void reap(struct stack *st, struct timer *t)
{
	xfrm_state_put(container_of(t, struct xfrm_state, timer));
}

static unsigned over(const struct xfrm_state *x, uint64_t bytes_lim, uint64_t pkts_lim)
{
	return (bytes_lim && x->cur.bytes >= bytes_lim ? XFRM_EXP_BYTES : 0) |
	       (pkts_lim && x->cur.packets >= pkts_lim ? XFRM_EXP_PACKETS : 0);
}

int xfrm_state_account(struct stack *st, struct xfrm_state *x, size_t bytes)
{
	const struct xfrm_lifetime *l = &x->c.lft;
	unsigned why;

	if (!xfrm_state_usable(x))
		return -EKEYEXPIRED;
	if (!x->cur.use_time) {
		x->cur.use_time = st->now ? st->now : 1;
		if (l->soft_use_s || l->hard_use_s)
			sad_arm(st, x);
	}
	x->cur.bytes += bytes;
	x->cur.packets++;
	if ((why = over(x, l->hard_bytes, l->hard_packets))) {
		sad_unlink(st, x);
		STAT_INC(st, xfrm_sa_expire_hard);
		sad_announce(st, XFRM_EV_EXPIRE_HARD, x, why);
		timer_init(&x->timer, reap);
		timer_arm(&st->timers, &x->timer, st->now);
		return 0;
	}
	if (!x->soft_done && (why = over(x, l->soft_bytes, l->soft_packets)))
		sad_expire_soft(st, x, why);
	return 0;
}

int xfrm_state_next_seq(struct stack *st, struct xfrm_state *x, uint64_t *seq)
{
	uint64_t limit = x->c.flags & XFRM_SA_F_ESN ? UINT64_MAX : UINT32_MAX;

	if (x->seq_out >= limit) {
		/* RFC 4303 3.3.3: the counter must not cycle; only a new SA helps. */
		x->stats.seq_overflow++;
		STAT_INC(st, xfrm_seq_overflow);
		sad_expire_soft(st, x, XFRM_EXP_SEQ);
		return -EOVERFLOW;
	}
	*seq = ++x->seq_out;
	return 0;
}

static int count_replay(struct stack *st, struct xfrm_state *x, int rc)
{
	switch (rc) {
	case -EALREADY:
		x->stats.replay_dup++;
		STAT_INC(st, xfrm_replay_dup);
		break;
	case -ERANGE:
		x->stats.replay_old++;
		STAT_INC(st, xfrm_replay_old);
		break;
	case -EINVAL:
		STAT_INC(st, xfrm_replay_invalid);
		break;
	}
	return rc;
}

int xfrm_state_replay_check(struct stack *st, struct xfrm_state *x, uint32_t seq_lo, uint64_t *seq64)
{
	if (!x->replay) {
		*seq64 = seq_lo;
		return 0;
	}
	return count_replay(st, x, xfrm_replay_check(x->replay, seq_lo, seq64));
}

int xfrm_state_replay_advance(struct stack *st, struct xfrm_state *x, uint64_t seq64)
{
	if (!x->replay)
		return 0;
	return count_replay(st, x, xfrm_replay_advance(x->replay, seq64));
}
