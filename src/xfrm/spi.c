/*
 * SPI allocation (PF_KEY GETSPI) and ACQUIRE: the two ways a LARVAL SA is
 * born. An SPI is drawn uniformly from the range, so a peer cannot guess
 * the next one and the minimum is no likelier than any other; only when
 * random draws keep hitting used SPIs does a probe from a random start
 * search the range to the end.
 */
#include "core/ratelimit.h"
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/state_priv.h"

#define SPI_DRAWS 16

static bool spi_taken(struct stack *st, const struct in6_addr *d, uint8_t proto, uint32_t spi)
{
	return xfrm_state_get(st, d, spi, proto) != NULL;
}

static int pick_spi(struct stack *st, const struct in6_addr *d, uint8_t proto,
		    uint32_t lo, uint32_t hi, uint32_t *spi)
{
	uint32_t n = hi - lo + 1;   /* lo >= XFRM_SPI_MIN, so it cannot wrap to 0 */
	uint32_t start;

	for (int i = 0; i < SPI_DRAWS; i++) {
		uint32_t s = lo + rng_below(&st->rng, n);

		if (!spi_taken(st, d, proto, s)) {
			*spi = s;
			return 0;
		}
	}
	start = rng_below(&st->rng, n);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t s = lo + (uint32_t)(((uint64_t)start + k) % n);

		if (!spi_taken(st, d, proto, s)) {
			*spi = s;
			return 0;
		}
	}
	return -EAGAIN;
}

static int tmpl_check(const struct xfrm_resolved *t)
{
	bool v4 = in6_is_v4mapped(&t->daddr);

	if (t->proto != IPPROTO_ESP && t->proto != IPPROTO_AH && t->proto != IPPROTO_COMP)
		return -EINVAL;
	if (t->mode != XFRM_MODE_TRANSPORT && t->mode != XFRM_MODE_TUNNEL)
		return -EINVAL;
	if (in6_is_unspec(&t->daddr) || (!in6_is_unspec(&t->saddr) && in6_is_v4mapped(&t->saddr) != v4))
		return -EINVAL;
	return 0;
}

/* A LARVAL SA for @t: reserved, never used for traffic, gone in XFRM_LARVAL_LIFETIME_S. */
static struct xfrm_state *new_larval(struct stack *st, const struct xfrm_resolved *t, uint32_t spi)
{
	struct xfrm_state *x = sad_alloc(st);

	if (!x)
		return NULL;
	x->c.id.daddr = t->daddr;
	x->c.id.spi = spi;
	x->c.id.proto = t->proto;
	x->c.saddr = t->saddr;
	x->c.family = in6_is_v4mapped(&t->daddr) ? AF_INET : AF_INET6;
	x->c.mode = t->mode;
	x->c.reqid = t->reqid;
	x->c.lft.hard_add_s = XFRM_LARVAL_LIFETIME_S;
	x->state = XFRM_STATE_LARVAL;
	if (sad_link(st, x) < 0) {
		xfrm_state_put(x);
		return NULL;
	}
	return x;
}

int xfrm_alloc_spi(struct stack *st, const struct xfrm_resolved *t, uint32_t min, uint32_t max,
		   uint32_t km_seq, struct xfrm_state **out)
{
	uint32_t lo = MAX(min, XFRM_SPI_MIN), hi = t->proto == IPPROTO_COMP ? MIN(max, 0xffff) : max;
	struct xfrm_state *x = xfrm_state_find_seq(st, km_seq);
	uint32_t spi;

	if (tmpl_check(t) < 0 || lo > hi)
		return -EINVAL;
	/* The ACQUIRE's own larval SA takes the SPI when GETSPI names it (same destination). */
	if (x && !(x->acquire && x->c.id.spi == 0 && x->c.id.proto == t->proto &&
		   in6_equal(&x->c.id.daddr, &t->daddr)))
		x = NULL;
	if (pick_spi(st, &t->daddr, t->proto, lo, hi, &spi) < 0) {
		STAT_INC(st, xfrm_spi_exhausted);
		return -EAGAIN;
	}
	if (x) {
		x->c.id.spi = spi;
		if (sad_hash_id(st, x) < 0) {
			x->c.id.spi = 0;
			return -ENOMEM;
		}
	} else {
		if (!(x = new_larval(st, t, spi)))
			return -ENOMEM;
		x->km_seq = km_seq;
	}
	*out = x;
	return 0;
}

int xfrm_acquire(struct stack *st, const struct xfrm_resolved *t, uint32_t policy_index,
		 struct xfrm_state **out)
{
	struct xfrm_sad *sad = st->sad;
	struct xfrm_event ev = { .type = XFRM_EV_ACQUIRE, .tmpl = t };
	struct xfrm_state *x;

	if (tmpl_check(t) < 0)
		return -EINVAL;
	if ((x = sad_find_acquire(st, t))) {
		if (out)
			*out = x;
		return -EEXIST;
	}
	if (sad->nacquire >= SAD_ACQUIRE_MAX ||
	    !ratelimit_take(&sad->acq_tokens, &sad->acq_last, SAD_ACQUIRE_COST_MS, SAD_ACQUIRE_BURST, st->now)) {
		STAT_INC(st, xfrm_acquire_limited);
		return -EBUSY;
	}
	if (!(x = new_larval(st, t, 0)))
		return -ENOMEM;
	x->acquire = true;
	sad->nacquire++;
	if (++sad->km_seq == 0)
		sad->km_seq = 1;
	x->km_seq = sad->km_seq;
	x->policy_index = policy_index;
	STAT_INC(st, xfrm_acquire);
	ev.x = x;
	sad_announce_ev(st, &ev);
	if (out)
		*out = x;
	return 0;
}
