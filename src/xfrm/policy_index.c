/*
 * SPD lookup structure: policies by exact destination prefix in an lpm6
 * trie. A flow's candidates are the policies of every prefix holding its
 * destination; lpm6 finds the longest, and each node keeps a pointer to the
 * next shorter one (its parent), so a lookup touches only prefixes that
 * contain the destination and exist, never the whole table.
 *
 * Parents are cached: adding or removing a prefix stales them all and a
 * node recomputes its parent the next time a lookup passes through it
 * (one hash probe per populated shorter length). With the parent, a node
 * caches per direction the best priority its shorter prefixes hold, so a
 * lookup stops once its candidate beats that bound; any policy change
 * stales the bounds (cheap to redo from the parent's). Policy changes are
 * rare against lookups; the cost falls on the first packet after a change.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "xfrm/policy_priv.h"

static inline uint64_t be64_at(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return __builtin_bswap64(v);
}

static inline uint64_t mask_bits(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
}

static void ent_fill(struct spd_ent *e, struct xfrm_policy *pol)
{
	const struct xfrm_selector *s = &pol->sel;
	unsigned plen = spd_plen(s, s->splen);

	e->shi = be64_at(s->src.s6_addr) & mask_bits(MIN(plen, 64));
	e->slo = be64_at(s->src.s6_addr + 8) & mask_bits(plen > 64 ? plen - 64 : 0);
	e->splen = (uint8_t)plen;
	e->prio = pol->priority;
	e->sport = s->sport;
	e->smask = s->sport_mask;
	e->dport = s->dport;
	e->dmask = s->dport_mask;
	e->proto = s->proto;
	e->family = s->family;
	e->ifindex = s->ifindex;
	e->dir = pol->dir;
	e->pol = pol;
}

/* True if @a should be tried before @b: lower priority value, then older. */
static inline bool ent_before(const struct spd_ent *a, const struct spd_ent *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->pol->seq < b->pol->seq);
}

static int vec_grow(struct spd_vec *v)
{
	uint32_t cap = v->cap ? v->cap * 2 : 1;
	struct spd_ent *ne = realloc(v->e, cap * sizeof(*ne));

	if (!ne)
		return -ENOMEM;
	v->e = ne;
	v->cap = cap;
	return 0;
}

static int vec_insert(struct spd_vec *v, struct xfrm_policy *pol)
{
	struct spd_ent e;
	uint32_t i;

	if (v->n == v->cap && vec_grow(v) < 0)
		return -ENOMEM;
	ent_fill(&e, pol);
	for (i = v->n; i > 0 && ent_before(&e, &v->e[i - 1]); i--)
		v->e[i] = v->e[i - 1];
	v->e[i] = e;
	v->n++;
	return 0;
}

static bool vec_remove(struct spd_vec *v, const struct xfrm_policy *pol)
{
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->e[i].pol == pol) {
			memmove(&v->e[i], &v->e[i + 1], (v->n - i - 1) * sizeof(v->e[0]));
			v->n--;
			return true;
		}
	}
	return false;
}

static void dst_key(struct lpm6_pfx *k, const struct xfrm_selector *sel)
{
	lpm6_key(k, &sel->dst, spd_plen(sel, sel->dplen));
}

static struct spd_node *node_get(struct xfrm_spd *spd, const struct xfrm_selector *sel)
{
	struct lpm6_pfx k;

	if (!spd->t)
		return NULL;
	dst_key(&k, sel);
	struct lpm6_pfx *p = lpm6_find(spd->t, &k);

	return p ? container_of(p, struct spd_node, pfx) : NULL;
}

static struct spd_node *node_create(struct xfrm_spd *spd, const struct xfrm_selector *sel)
{
	struct spd_node *n;

	if (!spd->t && !(spd->t = lpm6_new(&spd->key)))
		return NULL;
	n = aligned_alloc(_Alignof(struct spd_node), sizeof(*n));
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->one.dir = SPD_DIR_MULTI;
	dst_key(&n->pfx, sel);
	if (lpm6_insert(spd->t, &n->pfx) < 0) {
		free(n);
		return NULL;
	}
	lpm6_set_val(spd->t, &n->pfx, n, 0);
	spd->plen_nodes[n->pfx.plen]++;
	spd->node_gen = ++spd->gen;
	return n;
}

static void node_destroy(struct xfrm_spd *spd, struct spd_node *n)
{
	lpm6_remove(spd->t, &n->pfx);
	spd->plen_nodes[n->pfx.plen]--;
	spd->node_gen = ++spd->gen;
	for (unsigned d = 0; d < XFRM_DIR_MAX; d++)
		free(n->v[d].e);
	free(n);
}

/* Keeps @n's inline copy in step with its vectors after a change. */
static void node_sync(struct spd_node *n)
{
	n->one.dir = SPD_DIR_MULTI;
	if (n->npol != 1)
		return;
	for (unsigned d = 0; d < XFRM_DIR_MAX; d++)
		if (n->v[d].n)
			n->one = n->v[d].e[0];
}

int spd_index_insert(struct xfrm_spd *spd, struct xfrm_policy *pol)
{
	struct spd_node *n = node_get(spd, &pol->sel);
	int err;

	if (!n && !(n = node_create(spd, &pol->sel)))
		return -ENOMEM;
	err = vec_insert(&n->v[pol->dir], pol);
	if (err < 0) {
		if (n->npol == 0)
			node_destroy(spd, n);
		return err;
	}
	n->npol++;
	node_sync(n);
	spd->gen++;
	return 0;
}

void spd_index_remove(struct xfrm_spd *spd, struct xfrm_policy *pol)
{
	struct spd_node *n = node_get(spd, &pol->sel);

	if (!n || !vec_remove(&n->v[pol->dir], pol))
		return;
	if (--n->npol == 0)
		node_destroy(spd, n);
	else
		node_sync(n);
	spd->gen++;
}

struct xfrm_policy *spd_index_find(struct xfrm_spd *spd, const struct xfrm_selector *sel, int dir)
{
	struct spd_node *n = node_get(spd, sel);

	if (!n)
		return NULL;
	for (uint32_t i = 0; i < n->v[dir].n; i++) {
		struct xfrm_policy *p = n->v[dir].e[i].pol;

		if (memcmp(&p->sel, sel, sizeof(*sel)) == 0)
			return p;
	}
	return NULL;
}

static void collect(void *ctx, struct lpm6_pfx *p)
{
	struct spd_node ***cursor = ctx;

	*(*cursor)++ = container_of(p, struct spd_node, pfx);
}

void spd_index_free(struct xfrm_spd *spd)
{
	unsigned n;
	struct spd_node **all, **cur;

	if (!spd->t)
		return;
	n = lpm6_count(spd->t);
	all = calloc(n ? n : 1, sizeof(*all));
	if (all) {  /* without memory to list them, the nodes leak rather than the trie break */
		cur = all;
		lpm6_walk(spd->t, collect, &cur);
		for (unsigned i = 0; i < n; i++)
			node_destroy(spd, all[i]);
		free(all);
	}
	lpm6_free(spd->t);
	spd->t = NULL;
}

/* The longest prefix in the table strictly shorter than @n's that holds it. */
static struct spd_node *find_parent(struct xfrm_spd *spd, const struct spd_node *n)
{
	struct in6_addr a;

	lpm6_key_to_addr(&n->pfx, &a);
	for (unsigned plen = n->pfx.plen; plen-- > 0;) {
		struct lpm6_pfx k;

		if (!spd->plen_nodes[plen])
			continue;
		lpm6_key(&k, &a, plen);
		struct lpm6_pfx *hit = lpm6_find(spd->t, &k);

		if (hit)
			return container_of(hit, struct spd_node, pfx);
	}
	return NULL;
}

/* Brings @n's parent and bounds up to date (its ancestors' first). */
static __attribute__((noinline)) void node_refresh(struct xfrm_spd *spd, struct spd_node *n)
{
	struct spd_node *p;

	if (n->pgen < spd->node_gen) {
		n->parent = find_parent(spd, n);
		n->pgen = spd->gen;
	}
	p = n->parent;
	if (p && p->gen != spd->gen)
		node_refresh(spd, p);
	for (unsigned d = 0; d < XFRM_DIR_MAX; d++) {
		n->bound[d] = UINT32_MAX;
		if (p) {
			n->bound[d] = p->bound[d];
			if (p->v[d].n && p->v[d].e[0].prio < n->bound[d])
				n->bound[d] = p->v[d].e[0].prio;
		}
	}
	if (n->one.dir != SPD_DIR_MULTI)
		n->one.bound = n->bound[n->one.dir];
	n->gen = spd->gen;
}

static inline bool ent_match(const struct spd_ent *e, const struct xfrm_flow *fl, uint64_t hi, uint64_t lo)
{
	unsigned l = e->splen;
	uint64_t mhi = l >= 64 ? ~0ULL : ~(~0ULL >> l);
	uint64_t mlo = l > 64 ? ~0ULL << (128 - l) : 0;

	if (((hi ^ e->shi) & mhi) | ((lo ^ e->slo) & mlo))
		return false;
	if (e->family != fl->family || (e->proto != XFRM_PROTO_ANY && e->proto != fl->proto))
		return false;
	if (e->smask | e->dmask) {
		if (fl->flags & XFRM_FLOW_NOPORTS)
			return false;
		if (((fl->sport ^ e->sport) & e->smask) | ((fl->dport ^ e->dport) & e->dmask))
			return false;
	}
	return !e->ifindex || e->ifindex == fl->ifindex;
}

struct xfrm_policy *xfrm_policy_lookup(struct stack *st, int dir, const struct xfrm_flow *fl)
{
	struct xfrm_spd *spd = st->spd;
	const struct spd_ent *best = NULL;
	const struct lpm6_val *v;
	uint64_t hi, lo;

	if (!spd->t || (unsigned)dir >= XFRM_DIR_MAX || !(v = lpm6_match(spd->t, &fl->dst)))
		return NULL;
	hi = be64_at(fl->src.s6_addr);
	lo = be64_at(fl->src.s6_addr + 8);
	for (struct spd_node *n = (struct spd_node *)v->val; n; n = n->parent) {
		const struct spd_ent *ents = &n->one;
		uint32_t cnt = 1, bound;

		if (n->gen != spd->gen)
			node_refresh(spd, n);
		if (n->one.dir == (unsigned)dir) {
			bound = n->one.bound;
		} else if (n->one.dir == SPD_DIR_MULTI) {
			ents = n->v[dir].e;
			cnt = n->v[dir].n;
			bound = n->bound[dir];
		} else {
			continue;    /* its only policy is for another direction */
		}
		for (uint32_t i = 0; i < cnt; i++) {
			const struct spd_ent *e = &ents[i];

			if (best && !ent_before(e, best))
				break;    /* sorted: nothing further in this node can win */
			if (ent_match(e, fl, hi, lo)) {
				best = e;
				break;
			}
		}
		if (best && best->prio < bound)
			break;        /* no shorter prefix holds a policy that could win */
	}
	return best ? best->pol : NULL;
}
