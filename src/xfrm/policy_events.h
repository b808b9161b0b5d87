/*
 * What policy.c tells policy_events.c (the SPD's listeners and policy
 * lifetimes) when the SPD changes. policy.c calls these at the few places
 * where a policy comes, changes or goes; nothing else in the SPD knows
 * about listeners or timers.
 */
#ifndef USAGI_XFRM_POLICY_EVENTS_H
#define USAGI_XFRM_POLICY_EVENTS_H

#include "xfrm/policy.h"

/* @p was just added (XFRM_SPD_EV_ADD) or replaced in place (XFRM_SPD_EV_UPDATE): (re)arms its lifetime timer, announces. */
void spd_ev_changed(struct stack *st, struct xfrm_policy *p, enum xfrm_spd_event_type type);
/* @p is about to be freed (deleted, or lost on a failed update): cancels its timer, announces DELETE unless it expired. */
void spd_ev_gone(struct stack *st, struct xfrm_policy *p);
/* @p is about to be freed by a flush: cancels its timer, announces nothing. */
void spd_ev_forget(struct stack *st, struct xfrm_policy *p);
/* Every policy went (xfrm_policy_flush): announces FLUSH. */
void spd_ev_flushed(struct stack *st);
/* The stack is going: forgets every listener (the final flush is not announced). */
void spd_ev_fini(struct stack *st);

#endif
