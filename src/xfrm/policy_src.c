/*
 * A node's source index (struct spd_src, see policy_priv.h): the policies
 * of one direction whose source is a single host, chained by that address,
 * and the others in a sorted vector. A lookup then reads the others and
 * one chain, not every policy of the node: a gateway's inbound policies
 * (one per peer, all to the same local prefix) cost one hash probe.
 *
 * The index only speeds up the lookup; struct spd_vec's vector stays the
 * whole truth (bounds, find, dumps), and the index is built from it.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "xfrm/policy_priv.h"

static inline bool is_host(const struct spd_ent *e)
{
	return e->splen == 128;
}

static uint32_t slot(const struct spd_src *s, uint64_t hi, uint64_t lo, const struct siphash_key *key)
{
	uint64_t a[2] = { hi, lo };

	return (uint32_t)siphash13(key, a, sizeof(a)) & s->mask;
}

static void chain_add(struct spd_src *s, struct spd_sent *x, const struct siphash_key *key)
{
	struct spd_sent **pp = &s->chain[slot(s, x->e.shi, x->e.slo, key)];

	while (*pp && !spd_ent_before(&x->e, &(*pp)->e))
		pp = &(*pp)->next;
	x->next = *pp;
	*pp = x;
}

/* Twice the chains once they average more than one entry. */
static int rehash(struct spd_src *s, const struct siphash_key *key)
{
	uint32_t old = s->mask + 1, size = old * 2;
	struct spd_sent **oc = s->chain, **nc = calloc(size, sizeof(*nc));

	if (!nc)
		return -ENOMEM;
	s->chain = nc;
	s->mask = size - 1;
	for (uint32_t i = 0; i < old; i++) {
		for (struct spd_sent *x = oc[i], *next; x; x = next) {
			next = x->next;
			chain_add(s, x, key);
		}
	}
	free(oc);
	return 0;
}

static int rest_add(struct spd_src *s, const struct spd_ent *e)
{
	uint32_t i;

	if (s->nrest == s->caprest) {
		uint32_t cap = s->caprest ? s->caprest * 2 : 4;
		struct spd_ent *r = realloc(s->rest, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->rest = r;
		s->caprest = cap;
	}
	for (i = s->nrest; i > 0 && spd_ent_before(e, &s->rest[i - 1]); i--)
		s->rest[i] = s->rest[i - 1];
	s->rest[i] = *e;
	s->nrest++;
	return 0;
}

static int index_add(struct spd_src *s, const struct spd_ent *e, const struct siphash_key *key)
{
	struct spd_sent *x;

	if (!is_host(e))
		return rest_add(s, e);
	if (s->nhost > s->mask && rehash(s, key) < 0)
		return -ENOMEM;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->e = *e;
	chain_add(s, x, key);
	s->nhost++;
	return 0;
}

void spd_src_free(struct spd_vec *v)
{
	struct spd_src *s = v->src;

	if (!s)
		return;
	for (uint32_t i = 0; i <= s->mask; i++) {
		for (struct spd_sent *x = s->chain[i], *next; x; x = next) {
			next = x->next;
			free(x);
		}
	}
	free(s->chain);
	free(s->rest);
	free(s);
	v->src = NULL;
}

/* Builds the index from @v->e; without memory, the lookup keeps scanning the vector. */
static void build(struct spd_vec *v, const struct siphash_key *key)
{
	struct spd_src *s = calloc(1, sizeof(*s));
	int err = 0;

	if (!s)
		return;
	s->mask = 2 * SPD_SRC_MIN - 1;
	s->chain = calloc(s->mask + 1, sizeof(*s->chain));
	v->src = s;
	if (!s->chain)
		err = -ENOMEM;
	for (uint32_t i = 0; i < v->n && !err; i++)
		err = index_add(s, &v->e[i], key);
	if (err)
		spd_src_free(v);
}

void spd_src_added(struct spd_vec *v, const struct spd_ent *e, const struct siphash_key *key)
{
	if (!v->src) {
		uint32_t hosts = 0;

		if (!is_host(e) || v->n < SPD_SRC_MIN)
			return;
		for (uint32_t i = 0; i < v->n; i++)
			hosts += is_host(&v->e[i]);
		if (hosts >= SPD_SRC_MIN)
			build(v, key);
		return;
	}
	if (index_add(v->src, e, key) < 0)
		spd_src_free(v);    /* an index missing a policy would be wrong: scan the vector */
}

void spd_src_removed(struct spd_vec *v, const struct xfrm_policy *pol, const struct siphash_key *key)
{
	struct spd_src *s = v->src;

	if (!s)
		return;
	if (v->n < SPD_SRC_MIN / 2) {
		spd_src_free(v);    /* small again: the vector is as quick */
		return;
	}
	if (spd_plen(&pol->sel, pol->sel.splen) != 128) {
		for (uint32_t i = 0; i < s->nrest; i++) {
			if (s->rest[i].pol == pol) {
				memmove(&s->rest[i], &s->rest[i + 1], (s->nrest - i - 1) * sizeof(s->rest[0]));
				s->nrest--;
				return;
			}
		}
		return;
	}
	uint64_t hi = spd_be64(pol->sel.src.s6_addr), lo = spd_be64(pol->sel.src.s6_addr + 8);

	for (struct spd_sent **pp = &s->chain[slot(s, hi, lo, key)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->e.pol == pol) {
			struct spd_sent *x = *pp;

			*pp = x->next;
			free(x);
			s->nhost--;
			return;
		}
	}
}

struct xfrm_policy *spd_src_find(const struct spd_vec *v, const struct xfrm_selector *sel, const struct siphash_key *key)
{
	const struct spd_src *s = v->src;

	if (spd_plen(sel, sel->splen) != 128) {
		for (uint32_t i = 0; i < s->nrest; i++)
			if (memcmp(&s->rest[i].pol->sel, sel, sizeof(*sel)) == 0)
				return s->rest[i].pol;
		return NULL;
	}
	uint64_t hi = spd_be64(sel->src.s6_addr), lo = spd_be64(sel->src.s6_addr + 8);

	for (const struct spd_sent *x = s->chain[slot(s, hi, lo, key)]; x; x = x->next)
		if (memcmp(&x->e.pol->sel, sel, sizeof(*sel)) == 0)
			return x->e.pol;
	return NULL;
}

const struct spd_ent *spd_src_best(const struct spd_src *s, const struct xfrm_flow *fl, uint64_t hi, uint64_t lo,
				   const struct spd_ent *best, const struct siphash_key *key)
{
	best = spd_scan(s->rest, s->nrest, fl, hi, lo, best);
	for (const struct spd_sent *x = s->chain[slot(s, hi, lo, key)]; x; x = x->next) {
		if (best && !spd_ent_before(&x->e, best))
			break;
		if (spd_ent_match(&x->e, fl, hi, lo))
			return &x->e;
	}
	return best;
}
