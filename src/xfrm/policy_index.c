/*
 * SPD lookup structure: policies by exact destination prefix in an lpm6
 * trie per family. A flow's candidates are the policies of every prefix
 * holding its destination; lpm6 finds the longest, and each node keeps a
 * pointer to the next shorter one (its parent), so a lookup touches only
 * prefixes that contain the destination and exist, never the whole table.
 * The trie's buckets carry a copy of each node's hot part (struct
 * spd_hot), so a flow whose destination's longest prefix holds one policy
 * is decided by the trie's own reads (policy_lookup.c). A node with many
 * policies of one direction whose sources are single hosts (a gateway's
 * inbound ones) also keeps them by source (policy_src.c), and a host
 * node with one policy has a slot by destination (policy_dst.c).
 *
 * Parents and bounds are cached. A change at a prefix that holds no other
 * prefix (a host policy: most of a large SPD) concerns only its own node,
 * brought up to date at once. A change at a prefix that holds others
 * stales them all: every node recomputes its bounds the next time a lookup
 * passes through it (cheap, from its parent's), and its parent too if
 * prefixes came or went (one hash probe per populated shorter length).
 * Such changes are rare against lookups.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "xfrm/policy_priv.h"

static inline uint64_t mask_bits(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
}

static void ent_fill(struct spd_ent *e, struct xfrm_policy *pol)
{
	const struct xfrm_selector *s = &pol->sel;
	unsigned plen = spd_plen(s, s->splen);

	memset(e, 0, sizeof(*e));
	e->shi = get_be64(s->src.s6_addr) & mask_bits(MIN(plen, 64));
	e->slo = get_be64(s->src.s6_addr + 8) & mask_bits(plen > 64 ? plen - 64 : 0);
	e->splen = (uint8_t)plen;
	e->prio = pol->priority;
	e->sport = s->sport;
	e->smask = s->sport_mask;
	e->dport = s->dport;
	e->dmask = s->dport_mask;
	e->proto = s->proto;
	e->ifindex = s->ifindex;
	e->dir = pol->dir;
	e->pol = pol;
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

static int vec_insert(struct spd_vec *v, struct xfrm_policy *pol, const struct siphash_key *key)
{
	struct spd_ent e;
	uint32_t i;

	if (v->n == v->cap && vec_grow(v) < 0)
		return -ENOMEM;
	ent_fill(&e, pol);
	for (i = v->n; i > 0 && spd_ent_before(&e, &v->e[i - 1]); i--)
		v->e[i] = v->e[i - 1];
	v->e[i] = e;
	v->n++;
	spd_src_added(v, &e, key);
	return 0;
}

static bool vec_remove(struct spd_vec *v, const struct xfrm_policy *pol, const struct siphash_key *key)
{
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->e[i].pol == pol) {
			memmove(&v->e[i], &v->e[i + 1], (v->n - i - 1) * sizeof(v->e[0]));
			v->n--;
			spd_src_removed(v, pol, key);
			return true;
		}
	}
	return false;
}

static inline unsigned sel_fam(const struct xfrm_selector *sel)
{
	return sel->family == AF_INET ? SPD_FAM_4 : SPD_FAM_6;
}

/* The selector's destination as its table's key: IPv4 in the top 32 bits. */
static void dst_key(struct lpm6_pfx *k, const struct xfrm_selector *sel)
{
	struct in6_addr a;

	if (sel->family != AF_INET) {
		lpm6_key(k, &sel->dst, sel->dplen);
		return;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.s6_addr, sel->dst.s6_addr + 12, 4);
	lpm6_key(k, &a, sel->dplen);
}

static struct spd_node *node_get(struct xfrm_spd *spd, const struct xfrm_selector *sel)
{
	struct spd_tbl *tb = &spd->fam[sel_fam(sel)];
	struct lpm6_pfx k;

	if (!tb->t)
		return NULL;
	dst_key(&k, sel);
	struct lpm6_pfx *p = lpm6_find(tb->t, &k);

	return p ? container_of(p, struct spd_node, pfx) : NULL;
}

#define POOL_FIRST (16u << 10)
#define POOL_HUGE (2u << 20)

static size_t pool_chunk(unsigned i)
{
	return i >= 7 ? POOL_HUGE : (size_t)POOL_FIRST << i;    /* 16 KiB .. 2 MiB */
}

/* Room for a node, uninitialised; NULL on ENOMEM. */
static struct spd_node *pool_get(struct spd_pool *p)
{
	struct spd_node *n = p->free;

	if (n) {
		p->free = n->hot.parent;
		return n;
	}
	if ((size_t)(p->end - p->cur) < sizeof(*n)) {
		if (p->n == p->cap) {
			unsigned cap = p->cap ? p->cap * 2 : 8;
			void **nc = realloc(p->chunks, cap * sizeof(*nc));

			if (!nc)
				return NULL;
			p->chunks = nc;
			p->cap = cap;
		}
		size_t size = pool_chunk(p->n);
		unsigned char *c = spd_big_alloc(size);

		if (!c)
			return NULL;
		p->chunks[p->n++] = c;
		p->cur = c;
		p->end = c + size;
	}
	n = (struct spd_node *)(void *)p->cur;
	p->cur += sizeof(*n);
	return n;
}

static void pool_put(struct spd_pool *p, struct spd_node *n)
{
	n->hot.parent = p->free;
	p->free = n;
}

static void pool_fini(struct spd_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		spd_big_free(p->chunks[i], pool_chunk(i));
	free(p->chunks);
	memset(p, 0, sizeof(*p));
}

/* Puts @n (not a host) on its table's list of such nodes; -ENOMEM. */
static int nonhost_add(struct spd_tbl *tb, struct spd_node *n)
{
	if (tb->nnonhost == tb->capnonhost) {
		uint32_t cap = tb->capnonhost ? 2 * tb->capnonhost : 8;
		struct spd_node **v = realloc(tb->nonhost, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		tb->nonhost = v;
		tb->capnonhost = cap;
	}
	n->nhidx = tb->nnonhost;
	tb->nonhost[tb->nnonhost++] = n;
	return 0;
}

static void nonhost_del(struct spd_tbl *tb, struct spd_node *n)
{
	struct spd_node *last = tb->nonhost[--tb->nnonhost];

	tb->nonhost[n->nhidx] = last;
	last->nhidx = n->nhidx;
}

static struct spd_node *node_create(struct xfrm_spd *spd, const struct xfrm_selector *sel)
{
	struct spd_tbl *tb = &spd->fam[sel_fam(sel)];
	struct spd_node *n;
	bool host;

	if (!tb->t && !(tb->t = lpm6_new_payload(&spd->key, sizeof(struct spd_hot))))
		return NULL;
	n = pool_get(&spd->pool);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->hot.one.dir = SPD_DIR_MULTI;
	n->fam = (uint8_t)sel_fam(sel);
	dst_key(&n->pfx, sel);
	host = n->pfx.plen == spd_host_plen(n->fam);
	if ((!host && nonhost_add(tb, n) < 0) || lpm6_insert(tb->t, &n->pfx) < 0) {
		if (!host && tb->nnonhost && tb->nonhost[tb->nnonhost - 1] == n)
			tb->nnonhost--;
		pool_put(&spd->pool, n);
		return NULL;
	}
	lpm6_set_val(tb->t, &n->pfx, n, 0);
	tb->plen_nodes[n->pfx.plen]++;
	return n;
}

static void node_destroy(struct xfrm_spd *spd, struct spd_node *n)
{
	struct spd_tbl *tb = &spd->fam[n->fam];

	spd_dst_drop(spd, n);
	if (n->pfx.plen != spd_host_plen(n->fam))
		nonhost_del(tb, n);
	lpm6_remove(tb->t, &n->pfx);
	tb->plen_nodes[n->pfx.plen]--;
	for (unsigned d = 0; d < XFRM_DIR_MAX; d++) {
		spd_src_free(&n->v[d]);
		free(n->v[d].e);
	}
	pool_put(&spd->pool, n);
}

/* Keeps @n's inline copy in step with its vectors after a change; the trie's copy follows in changed(). */
static void node_sync(struct spd_node *n)
{
	n->hot.one.dir = SPD_DIR_MULTI;
	if (n->npol != 1)
		return;
	for (unsigned d = 0; d < XFRM_DIR_MAX; d++)
		if (n->v[d].n)
			n->hot.one = n->v[d].e[0];
}

/* The longest prefix in the table strictly shorter than @n's that holds it. */
static struct spd_node *find_parent(const struct spd_tbl *tb, const struct spd_node *n)
{
	struct in6_addr a;

	lpm6_key_to_addr(&n->pfx, &a);
	for (unsigned plen = n->pfx.plen; plen-- > 0;) {
		struct lpm6_pfx k;

		if (!tb->plen_nodes[plen])
			continue;
		lpm6_key(&k, &a, plen);
		struct lpm6_pfx *hit = lpm6_find(tb->t, &k);

		if (hit)
			return container_of(hit, struct spd_node, pfx);
	}
	return NULL;
}

void spd_node_refresh(struct xfrm_spd *spd, struct spd_node *n)
{
	struct spd_tbl *tb = &spd->fam[n->fam];
	struct spd_node *p;

	if (n->pgen < spd->node_gen) {
		n->hot.parent = find_parent(tb, n);
		n->pgen = spd->gen;
	}
	p = n->hot.parent;
	if (p && p->hot.gen != spd->gen)
		spd_node_refresh(spd, p);
	for (unsigned d = 0; d < XFRM_DIR_MAX; d++) {
		n->bound[d] = UINT32_MAX;
		if (p) {
			n->bound[d] = p->bound[d];
			if (p->v[d].n && p->v[d].e[0].prio < n->bound[d])
				n->bound[d] = p->v[d].e[0].prio;
		}
	}
	if (n->hot.one.dir != SPD_DIR_MULTI)
		n->hot.one.bound = n->bound[n->hot.one.dir];
	n->hot.gen = spd->gen;
	lpm6_set_val(tb->t, &n->pfx, n, 0);    /* and the trie's copy */
}

/*
 * After a change at @n (@created: @n is new): only nodes inside @n take it
 * as parent or its policies into their bounds. With none (host policies),
 * @n alone is brought up to date, at once; otherwise every bound, and for
 * a new node every parent, goes stale (see the top of the file).
 */
static void changed(struct xfrm_spd *spd, struct spd_node *n, bool created)
{
	if (lpm6_has_longer(spd->fam[n->fam].t, &n->pfx)) {
		spd->gen++;    /* the host index goes stale with the bounds */
		if (created)
			spd->node_gen = spd->gen;
	} else {
		if (created) {
			n->hot.parent = find_parent(&spd->fam[n->fam], n);
			n->pgen = spd->gen;
		}
		spd_node_refresh(spd, n);
	}
	spd_dst_sync(spd, n);
}

/*
 * Membership and policies of the host index follow every change at once
 * (changed()); only the bounds copied into its slots can be stale, all
 * together, when spd->gen moved. Each slot's node is refreshed and its
 * copy taken again.
 */
void spd_dst_revalidate(struct xfrm_spd *spd)
{
	for (unsigned f = 0; f < SPD_FAM_MAX; f++) {
		for (unsigned d = 0; d < XFRM_DIR_MAX; d++) {
			struct spd_dtab *t = &spd->dst[f][d];

			spd_dst_gate(spd, f, d);
			for (uint32_t i = 0; t->nused && i <= t->mask; i++) {
				struct spd_dslot *x = &t->slot[i];
				struct spd_node *n;

				if (!x->e.pol || !(n = node_get(spd, &x->e.pol->sel)))
					continue;
				if (n->hot.gen != spd->gen)
					spd_node_refresh(spd, n);
				x->e = n->hot.one;
			}
		}
	}
	spd->dst_gen = spd->gen;
	spd->dst_stale = 0;
}

int spd_index_insert(struct xfrm_spd *spd, struct xfrm_policy *pol)
{
	struct spd_node *n = node_get(spd, &pol->sel);
	bool created = !n;
	int err;

	if (!n && !(n = node_create(spd, &pol->sel)))
		return -ENOMEM;
	err = vec_insert(&n->v[pol->dir], pol, &spd->key);
	if (err < 0) {
		if (created)
			node_destroy(spd, n);
		return err;
	}
	n->npol++;
	node_sync(n);
	changed(spd, n, created);
	return 0;
}

void spd_index_remove(struct xfrm_spd *spd, struct xfrm_policy *pol)
{
	struct spd_node *n = node_get(spd, &pol->sel);

	if (!n || !vec_remove(&n->v[pol->dir], pol, &spd->key))
		return;
	if (--n->npol) {
		node_sync(n);
		changed(spd, n, false);
		return;
	}
	/* Only a node inside @n can have it as parent. */
	if (lpm6_has_longer(spd->fam[n->fam].t, &n->pfx))
		spd->node_gen = ++spd->gen;
	node_destroy(spd, n);
}

struct xfrm_policy *spd_index_find(struct xfrm_spd *spd, const struct xfrm_selector *sel, int dir)
{
	struct spd_node *n = node_get(spd, sel);

	if (!n)
		return NULL;
	if (n->v[dir].src)
		return spd_src_find(&n->v[dir], sel, &spd->key);
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
	for (unsigned f = 0; f < SPD_FAM_MAX; f++) {
		struct spd_tbl *tb = &spd->fam[f];
		struct spd_node **all, **cur;
		unsigned n;

		if (!tb->t)
			continue;
		n = lpm6_count(tb->t);
		all = calloc(n ? n : 1, sizeof(*all));
		if (all) {  /* without memory to list them, the nodes leak rather than the trie break */
			cur = all;
			lpm6_walk(tb->t, collect, &cur);
			for (unsigned i = 0; i < n; i++)
				node_destroy(spd, all[i]);
			free(all);
		}
		lpm6_free(tb->t);
		tb->t = NULL;
		memset(tb->plen_nodes, 0, sizeof(tb->plen_nodes));
		free(tb->nonhost);
		tb->nonhost = NULL;
		tb->nnonhost = tb->capnonhost = 0;
	}
	spd_dst_free(spd);
	pool_fini(&spd->pool);
}
