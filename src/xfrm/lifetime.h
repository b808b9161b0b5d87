/*
 * Lifetime arithmetic shared by SAs (state_lifetime.c) and policies
 * (policy_events.c): deadlines on the stack clock and the earliest soft
 * and hard limit with the reason it carries.
 */
#ifndef USAGI_XFRM_LIFETIME_H
#define USAGI_XFRM_LIFETIME_H

#include "core/common.h"

#define XFRM_NEVER UINT64_MAX

/* @secs seconds after @base (ns), XFRM_NEVER for 0 (no limit) or past the clock's range. */
static inline uint64_t xfrm_deadline(uint64_t base, uint64_t secs)
{
	if (!secs || secs > (XFRM_NEVER - base) / NS_PER_SEC)
		return XFRM_NEVER;
	return base + secs * NS_PER_SEC;
}

struct xfrm_deadlines {
	uint64_t soft, hard;
	unsigned soft_why, hard_why;   /* XFRM_EXP_ADD or XFRM_EXP_USE */
};

/* Keeps the earlier of *@when and @t, with @t's reason. */
static inline void xfrm_deadline_pick(uint64_t *when, unsigned *why, uint64_t t, unsigned reason)
{
	if (t < *when) {
		*when = t;
		*why = reason;
	}
}

#endif
