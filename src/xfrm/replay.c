/* Anti-replay window: see replay.h for the layout and the contract. */
#include <stdlib.h>
#include "core/common.h"
#include "xfrm/replay.h"

struct xfrm_replay *xfrm_replay_new(uint32_t size, bool esn)
{
	struct xfrm_replay *w;
	uint32_t need, words = 2;

	if (size == 0 || size > XFRM_REPLAY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	/* Enough words for any window position, plus the partial one at the left edge. */
	need = (size + 63) / 64 + 1;
	while (words < need)
		words <<= 1;
	w = calloc(1, sizeof(*w) + words * sizeof(w->bits[0]));
	if (!w)
		return NULL;
	w->size = size;
	w->mask = words - 1;
	w->esn = esn;
	return w;
}

void xfrm_replay_free(struct xfrm_replay *w)
{
	free(w);
}

/*
 * RFC 4303 A2.1: the high 32 bits from the window's position. Case A: the
 * window lies in one epoch (Tl >= W - 1); case B: it spans the previous
 * one. 0 when the number would lie before the first epoch.
 */
static uint64_t esn_infer(const struct xfrm_replay *w, uint32_t seq_lo)
{
	uint32_t tl = (uint32_t)w->top, th = (uint32_t)(w->top >> 32);
	uint32_t bl = tl - (w->size - 1);
	uint32_t hi;

	if (tl >= w->size - 1)
		hi = seq_lo >= bl ? th : th + 1;
	else if (seq_lo >= bl) {
		if (th == 0)
			return 0;
		hi = th - 1;
	} else
		hi = th;
	return (uint64_t)hi << 32 | seq_lo;
}

static bool seen(const struct xfrm_replay *w, uint64_t s)
{
	return w->bits[(s >> 6) & w->mask] >> (s & 63) & 1;
}

/* 0 if @s may be accepted against the current window, else why not. */
static int judge(const struct xfrm_replay *w, uint64_t s)
{
	if (s == 0)
		return -EINVAL;
	if (s > w->top)
		return 0;
	if (w->top - s >= w->size)
		return -ERANGE;
	return seen(w, s) ? -EALREADY : 0;
}

int xfrm_replay_check(const struct xfrm_replay *w, uint32_t seq_lo, uint64_t *seq64)
{
	uint64_t s = w->esn ? esn_infer(w, seq_lo) : seq_lo;

	*seq64 = s;
	return judge(w, s);
}

int xfrm_replay_advance(struct xfrm_replay *w, uint64_t s)
{
	int rc = judge(w, s);

	if (rc < 0)
		return rc;
	if (!w->esn && s > UINT32_MAX)
		return -EINVAL;
	if (s > w->top) {
		uint64_t from = w->top >> 6, to = s >> 6;

		if (to - from > w->mask)
			memset(w->bits, 0, (w->mask + 1) * sizeof(w->bits[0]));
		else
			for (uint64_t b = from + 1; b <= to; b++)
				w->bits[b & w->mask] = 0;
		w->top = s;
	}
	w->bits[(s >> 6) & w->mask] |= 1ULL << (s & 63);
	return 0;
}
