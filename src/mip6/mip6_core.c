/*
 * The Mobile IPv6 stack layer: the per-stack state every part hangs off,
 * its teardown, and the event line the roles report through (timelines in
 * the demo and tests). Each event is also logged at level info, "mip6: ...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/stack.h"
#include "mip6/mip6_priv.h"

int mip6_init(struct stack *st)
{
	st->mip6 = NULL;
	return 0;
}

/* Roles first (they remove their data-plane bindings), the data plane last. */
void mip6_fini(struct stack *st)
{
	struct mip6_state *ms = st->mip6;

	if (!ms)
		return;
	for (int i = MIP6_PARTS; i-- > 0;)
		if (ms->part_fini[i])
			ms->part_fini[i](st);
	free(ms);
	st->mip6 = NULL;
}

struct mip6_state *mip6_state_get(struct stack *st)
{
	if (!st->mip6) {
		st->mip6 = calloc(1, sizeof(*st->mip6));
		if (!st->mip6)
			STAT_INC(st, mip6_nomem);
	}
	return st->mip6;
}

void mip6_set_event_fn(struct stack *st, mip6_event_fn fn, void *ctx)
{
	struct mip6_state *ms = mip6_state_get(st);

	if (!ms)
		return;
	ms->event_fn = fn;
	ms->event_ctx = ctx;
}

void mip6_event(struct stack *st, const char *fmt, ...)
{
	struct mip6_state *ms = st->mip6;
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Every event is also a log line (level info): sim timelines show them with their time. */
	log_info(st, "mip6: %s", line);
	if (ms && ms->event_fn)
		ms->event_fn(ms->event_ctx, st, line);
}
