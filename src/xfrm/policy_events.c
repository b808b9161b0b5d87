/*
 * SPD events and policy lifetimes.
 *
 * Listeners (xfrm_spd_listen, in the manner of the SAD's xfrm_listen)
 * hear every change to the SPD whoever makes it: PF_KEY turns them into
 * X_SPDADD/UPDATE/DELETE/FLUSH broadcasts, so a key daemon that mirrors
 * the SPD also sees what `setkey`, `ipsec policy flush` or a config file
 * did. The list lives in the stack (st->spd_listeners), made with the
 * first listener and freed with the last.
 *
 * Lifetimes: one timer per policy, armed for its next deadline while it
 * has a limit left (add time + N s; last use + N s, which a packet moves
 * without touching the timer: when the timer fires early because the
 * policy was used meanwhile, it is simply armed again). A soft limit is
 * announced once; a hard one is announced and removes the policy (KAME
 * key_spdexpire: the policy goes without a separate deletion message).
 */
#include <stdlib.h>
#include "core/stack.h"
#include "xfrm/lifetime.h"
#include "xfrm/policy_events.h"
#include "xfrm/xfrm.h"


struct spd_listeners {
	struct {
		xfrm_spd_listen_fn fn;
		void *ctx;
	} l[XFRM_SPD_LISTENERS_MAX];
	unsigned n;
};

int xfrm_spd_listen(struct stack *st, xfrm_spd_listen_fn fn, void *ctx)
{
	struct spd_listeners *ls = st->spd_listeners;

	if (!ls && !(ls = st->spd_listeners = calloc(1, sizeof(*ls))))
		return -ENOMEM;
	for (unsigned i = 0; i < ls->n; i++)
		if (ls->l[i].fn == fn && ls->l[i].ctx == ctx)
			return -EEXIST;
	if (ls->n == XFRM_SPD_LISTENERS_MAX)
		return -ENOSPC;
	ls->l[ls->n].fn = fn;
	ls->l[ls->n++].ctx = ctx;
	return 0;
}

void xfrm_spd_unlisten(struct stack *st, xfrm_spd_listen_fn fn, void *ctx)
{
	struct spd_listeners *ls = st->spd_listeners;

	if (!ls)
		return;
	for (unsigned i = 0; i < ls->n; i++) {
		if (ls->l[i].fn == fn && ls->l[i].ctx == ctx) {
			ls->l[i] = ls->l[--ls->n];
			break;
		}
	}
	if (ls->n == 0) {
		free(ls);
		st->spd_listeners = NULL;
	}
}

void spd_ev_fini(struct stack *st)
{
	free(st->spd_listeners);
	st->spd_listeners = NULL;
}

static void announce(struct stack *st, enum xfrm_spd_event_type type, const struct xfrm_policy *p,
		     unsigned reason)
{
	const struct spd_listeners *ls = st->spd_listeners;
	struct xfrm_spd_event ev = { .type = type, .pol = p, .reason = reason };

	for (unsigned i = 0; ls && i < ls->n; i++)
		ls->l[i].fn(st, &ev, ls->l[i].ctx);
}

/* ---- Lifetimes ------------------------------------------------------------------------ */

/* KAME/Linux: the use limits count from the last use, or from the add time while unused. */
static struct xfrm_deadlines deadlines_of(const struct xfrm_policy *p)
{
	const struct xfrm_policy_lifetime *l = &p->lft;
	uint64_t used = p->use_time ? p->use_time : p->add_time;
	struct xfrm_deadlines d = { XFRM_NEVER, XFRM_NEVER, 0, 0 };

	xfrm_deadline_pick(&d.hard, &d.hard_why, xfrm_deadline(p->add_time, l->hard_add_s), XFRM_EXP_ADD);
	xfrm_deadline_pick(&d.hard, &d.hard_why, xfrm_deadline(used, l->hard_use_s), XFRM_EXP_USE);
	if (!p->soft_done) {
		xfrm_deadline_pick(&d.soft, &d.soft_why, xfrm_deadline(p->add_time, l->soft_add_s), XFRM_EXP_ADD);
		xfrm_deadline_pick(&d.soft, &d.soft_why, xfrm_deadline(used, l->soft_use_s), XFRM_EXP_USE);
	}
	return d;
}

static void policy_timer(struct stack *st, struct timer *t);

static void arm(struct stack *st, struct xfrm_policy *p)
{
	struct xfrm_deadlines d = deadlines_of(p);
	uint64_t next = MIN(d.soft, d.hard);

	if (p->timer.fn != policy_timer)
		timer_init(&p->timer, policy_timer);
	if (next == XFRM_NEVER)
		stack_timer_cancel(st, &p->timer);
	else
		timer_arm(&st->timers, &p->timer, next);
}

static void policy_timer(struct stack *st, struct timer *t)
{
	struct xfrm_policy *p = container_of(t, struct xfrm_policy, timer);
	struct xfrm_deadlines d = deadlines_of(p);

	if (st->now >= d.hard) {
		STAT_INC(st, xfrm_spd_expire_hard);
		p->hard_done = true;
		announce(st, XFRM_SPD_EV_EXPIRE_HARD, p, d.hard_why);
		xfrm_policy_delete_index(st, p->index);   /* frees p; no DELETE event (hard_done) */
		return;
	}
	if (st->now >= d.soft) {
		STAT_INC(st, xfrm_spd_expire_soft);
		p->soft_done = true;
		announce(st, XFRM_SPD_EV_EXPIRE_SOFT, p, d.soft_why);
	}
	arm(st, p);
}

/* ---- Hooks from policy.c ---------------------------------------------------------------- */

void spd_ev_changed(struct stack *st, struct xfrm_policy *p, enum xfrm_spd_event_type type)
{
	/* New lifetimes (spdupdate) may be announced again. */
	p->soft_done = false;
	arm(st, p);
	announce(st, type, p, 0);
}

void spd_ev_forget(struct stack *st, struct xfrm_policy *p)
{
	stack_timer_cancel(st, &p->timer);
}

void spd_ev_gone(struct stack *st, struct xfrm_policy *p)
{
	stack_timer_cancel(st, &p->timer);
	if (!p->hard_done)
		announce(st, XFRM_SPD_EV_DELETE, p, 0);
}

void spd_ev_flushed(struct stack *st)
{
	announce(st, XFRM_SPD_EV_FLUSH, NULL, 0);
}
