/*
 * SPD lookup, the hot path (the structure is in policy_index.c).
 *
 * Cost model: at 100k policies nothing but the trie's root stays cached,
 * so a lookup costs what it reads from memory, and what the CPU can overlap
 * with the next lookup. The trie hands back its bucket's copy of the
 * longest prefix's hot part, and when that prefix holds one policy for
 * this direction that matches and that no shorter prefix can beat (the
 * common case), the lookup ends without touching a node. Everything else
 * walks the chain of shorter prefixes in walk().
 */
#include "core/stack.h"
#include "xfrm/policy_priv.h"

/*
 * The longest prefix holding @fl's destination (its hot part follows the
 * value), NULL if none. The key goes to the trie in registers: one built in
 * memory would hold the trie's first load until the store retires, and with
 * it any overlap with the lookup before.
 */
static inline const struct lpm6_val *dst_match(const struct xfrm_spd *spd, const struct xfrm_flow *fl)
{
	bool v6 = fl->family == AF_INET6;
	const struct lpm6 *t = spd->fam[v6 ? SPD_FAM_6 : SPD_FAM_4].t;
	uint64_t hi = get_be64(fl->dst.s6_addr), lo = get_be64(fl->dst.s6_addr + 8);

	if ((!v6 && fl->family != AF_INET) || !t)
		return NULL;
	/* IPv4: ::ffff:a.b.c.d has a.b.c.d in the low 32 bits of lo. */
	return lpm6_match_key(t, v6 ? hi : lo << 32, v6 ? lo : 0);
}

/* @n's by-source index answered a lookup for @dir: @n may become the family and direction's shortcut. */
static __attribute__((noinline)) void shint_offer(struct xfrm_spd *spd, int dir, struct spd_node *n)
{
	struct spd_shint *sh = &spd->shint[n->fam][dir];
	uint32_t size = n->v[dir].src->nused;

	if (sh->changes != spd->changes) {
		*sh = (struct spd_shint){ .changes = spd->changes };
		spd->sc_on &= ~(1u << (n->fam * XFRM_DIR_MAX + dir));
	}
	if (size <= sh->size)
		return;
	sh->size = size;
	if (lpm6_has_longer(spd->fam[n->fam].t, &n->pfx))
		return;
	sh->node = n;
	spd->sc_on |= 1u << (n->fam * XFRM_DIR_MAX + dir);
	sh->khi = n->pfx.hi;
	sh->klo = n->pfx.lo;
	sh->mhi = spd_mask_hi(n->pfx.plen);
	sh->mlo = spd_mask_lo(n->pfx.plen);
}

/*
 * The general case, from node @n whose hot part (maybe the trie's copy) is
 * @h: in each prefix holding the destination, longest first, that
 * direction's policies in priority order, until a match that no shorter
 * prefix can beat.
 */
static __attribute__((noinline)) struct xfrm_policy *walk(struct xfrm_spd *spd, int dir, const struct xfrm_flow *fl,
							   struct spd_node *n, const struct spd_hot *h)
{
	uint64_t hi = get_be64(fl->src.s6_addr), lo = get_be64(fl->src.s6_addr + 8);
	const struct spd_ent *best = NULL;
	bool first = true;    /* @n is the longest prefix holding the destination */

	for (;;) {
		uint32_t bound;

		if (h->gen != spd->gen) {
			spd_node_refresh(spd, n);
			h = &n->hot;
		}
		if (h->one.dir == (unsigned)dir) {
			best = spd_scan(&h->one, 1, fl, hi, lo, best);
			bound = h->one.bound;
		} else if (h->one.dir == SPD_DIR_MULTI) {
			const struct spd_vec *v = &n->v[dir];

			if (v->src) {
				best = spd_src_best(v->src, fl, hi, lo, best, &spd->key);
				const struct spd_shint *sh = &spd->shint[n->fam][dir];

				if (first && (sh->changes != spd->changes || v->src->nused > sh->size))
					shint_offer(spd, dir, n);
			} else {
				best = spd_scan(v->e, v->n, fl, hi, lo, best);
			}
			bound = n->bound[dir];
		} else {
			bound = 0;    /* its only policy is for another direction */
		}
		if ((best && best->prio < bound) || !(n = h->parent))
			break;        /* no shorter prefix holds a policy that could win */
		h = &n->hot;
		first = false;
	}
	return best ? best->pol : NULL;
}

static uint32_t dst_used(const struct xfrm_spd *spd)
{
	uint32_t n = 0;

	for (unsigned f = 0; f < SPD_FAM_MAX; f++)
		for (unsigned d = 0; d < XFRM_DIR_MAX; d++)
			n += spd->dst[f][d].nused;
	return n;
}

/* What the probes before the trie say when they cannot decide: never a policy's address. */
#define NOT_MINE ((struct xfrm_policy *)(uintptr_t)1)

/*
 * A destination the host index of @fam does not hold for @dir, when that
 * index holds every host node of the family (none failed to go in, none
 * holds two policies): no host node there serves @dir, so the walk starts
 * at the longest other prefix holding the destination. Where the family
 * has few such prefixes (a gateway: its local prefix, a catch-all) they
 * are checked one by one instead of the trie, which its hosts made deep:
 * bench_spd's destinations that are no peer's. NOT_MINE: many, or a host
 * outside the index.
 */
static struct xfrm_policy *nonhost_walk(struct xfrm_spd *spd, unsigned fam, int dir, const struct xfrm_flow *fl,
					uint64_t khi, uint64_t klo)
{
	const struct spd_tbl *tb = &spd->fam[fam];
	uint32_t indexed = 0;
	struct spd_node *best = NULL;

	for (unsigned d = 0; d < XFRM_DIR_MAX; d++)
		indexed += spd->dst[fam][d].nused;
	if (tb->nnonhost > SPD_NONHOST_SCAN || tb->plen_nodes[spd_host_plen(fam)] != indexed)
		return NOT_MINE;
	for (uint32_t i = 0; i < tb->nnonhost; i++) {
		struct spd_node *n = tb->nonhost[i];
		unsigned l = n->pfx.plen;

		if (((((khi ^ n->pfx.hi) & spd_mask_hi(l)) | ((klo ^ n->pfx.lo) & spd_mask_lo(l))) == 0) &&
		    (!best || l > best->pfx.plen))
			best = n;
	}
	return best ? walk(spd, dir, fl, best, &best->hot) : NULL;
}

/*
 * A destination that is a host node's whole prefix, holding one policy
 * for @dir: its slot in the host index (policy_dst.c) decides as the
 * trie's copy would, in one read; one it does not hold may be decided by
 * nonhost_walk(). NOT_MINE: not decided here.
 */
static inline struct xfrm_policy *host_match(struct xfrm_spd *spd, unsigned fam, int dir, const struct xfrm_flow *fl)
{
	bool v6 = fl->family == AF_INET6;
	uint64_t hi = get_be64(fl->dst.s6_addr), lo = get_be64(fl->dst.s6_addr + 8);
	uint64_t khi = v6 ? hi : lo << 32, klo = v6 ? lo : 0;
	const struct spd_ent *e;

	if (spd->dst_gen != spd->gen) {
		/*
		 * Stale bounds: the trie answers until the lookups that missed
		 * the index number half its slots, then every slot is refreshed:
		 * amortised, a slot refresh per two such lookups.
		 */
		if (++spd->dst_stale <= dst_used(spd) / 2)
			return NOT_MINE;
		spd_dst_revalidate(spd);
	}
	e = spd_dst_find(&spd->dst[fam][dir], khi, klo, &spd->key);
	if (!e)
		return nonhost_walk(spd, fam, dir, fl, khi, klo);
	if (e->prio < e->bound && spd_ent_match(e, fl, get_be64(fl->src.s6_addr), get_be64(fl->src.s6_addr + 8)))
		return e->pol;
	return NOT_MINE;
}

/*
 * A destination inside the shortcut node's prefix ends there (no longer
 * prefix lies inside it): its by-source index answers, without the trie.
 * NOT_MINE if the flow is not the shortcut's.
 */
static inline struct xfrm_policy *src_shortcut(struct xfrm_spd *spd, int dir, const struct xfrm_flow *fl)
{
	bool v6 = fl->family == AF_INET6;
	const struct spd_shint *sh = &spd->shint[v6 ? SPD_FAM_6 : SPD_FAM_4][dir];
	uint64_t dhi = get_be64(fl->dst.s6_addr), dlo = get_be64(fl->dst.s6_addr + 8);
	uint64_t khi = v6 ? dhi : dlo << 32, klo = v6 ? dlo : 0;
	struct spd_node *n = sh->node;
	const struct spd_ent *e;

	if (sh->changes != spd->changes || (((khi ^ sh->khi) & sh->mhi) | ((klo ^ sh->klo) & sh->mlo)))
		return NOT_MINE;
	/* Fresh: offered by walk() after its refresh, and only a change moves spd->gen. */
	if (n->v[dir].src) {
		e = spd_src_best(n->v[dir].src, fl, get_be64(fl->src.s6_addr), get_be64(fl->src.s6_addr + 8), NULL,
				 &spd->key);
		if (e && e->prio < n->bound[dir])
			return e->pol;
	}
	return walk(spd, dir, fl, n, &n->hot);
}

/*
 * The probes that may answer before the trie, for the family and
 * direction whose bit is set in dst_on or sc_on. Out of line, with the
 * answer as the return value: inlined (stale paths and all) or with an
 * out-parameter, they cost the lookups that skip them registers and up
 * to half their speed in bench_spd.
 */
static __attribute__((noinline)) struct xfrm_policy *pre_trie(struct xfrm_spd *spd, unsigned fam, int dir,
							       const struct xfrm_flow *fl)
{
	uint32_t bit = 1u << (fam * XFRM_DIR_MAX + dir);
	struct xfrm_policy *p;

	if ((spd->dst_on & bit) && (p = host_match(spd, fam, dir, fl)) != NOT_MINE)
		return p;
	return spd->sc_on & bit ? src_shortcut(spd, dir, fl) : NOT_MINE;
}

struct xfrm_policy *xfrm_policy_lookup(struct stack *st, int dir, const struct xfrm_flow *fl)
{
	struct xfrm_spd *spd = st->spd;
	const struct lpm6_val *v;
	const struct spd_hot *h;
	const struct spd_vec *cv;
	const struct spd_ent *e;
	struct xfrm_policy *p;
	unsigned fam;

	if ((unsigned)dir >= XFRM_DIR_MAX || (fl->family != AF_INET6 && fl->family != AF_INET))
		return NULL;
	fam = fl->family == AF_INET6 ? SPD_FAM_6 : SPD_FAM_4;
	if (((spd->dst_on | spd->sc_on) >> (fam * XFRM_DIR_MAX + dir) & 1) &&
	    (p = pre_trie(spd, fam, dir, fl)) != NOT_MINE)
		return p;
	if (!(v = dst_match(spd, fl)))
		return NULL;
	h = (const struct spd_hot *)(v + 1);    /* the trie's copy, or the node's own */
	if (h->one.dir == (unsigned)dir && h->gen == spd->gen && h->one.prio < h->one.bound &&
	    spd_ent_match(&h->one, fl, get_be64(fl->src.s6_addr), get_be64(fl->src.s6_addr + 8)))
		return h->one.pol;
	/*
	 * Next most common: the longest prefix holds several policies and no
	 * shorter prefix exists, as when only a catch-all holds the
	 * destination. Its vector, sorted, is the whole answer.
	 */
	if (h->one.dir != SPD_DIR_MULTI || h->parent || h->gen != spd->gen)
		return walk(spd, dir, fl, (struct spd_node *)v->val, h);
	cv = &((const struct spd_node *)v->val)->v[dir];
	if (cv->src)
		return walk(spd, dir, fl, (struct spd_node *)v->val, h);
	e = spd_scan(cv->e, cv->n, fl, get_be64(fl->src.s6_addr), get_be64(fl->src.s6_addr + 8), NULL);
	return e ? e->pol : NULL;
}
