#include "ipv6/route6.h"
#include "ipv6/lpm6.h"
#include "core/stack.h"
#include <stdlib.h>

/*
 * The routing table: one struct rt6_pfx per distinct (dst, plen) in an lpm6
 * trie, each holding its routes sorted by metric (ties: oldest first). The
 * lowest-metric route and its expiry are cached next to the key, so a lookup
 * whose best route has not expired reads the root entry and one bucket.
 */

struct rt6_entry {
	struct route6 r;            /* first: handed out as const struct route6 * */
	struct rt6_entry *next;
};

struct rt6_pfx {
	struct lpm6_pfx key;        /* first; key.v: best route (&routes->r) and its expiry */
	struct rt6_entry *routes;   /* by metric; never empty while in the table */
	struct lpm6 *table;
};

static inline struct rt6_pfx *to_pfx(struct lpm6_pfx *k) { return (struct rt6_pfx *)k; }

static inline bool route_live(const struct route6 *r, uint64_t now)
{
	return r->expires == 0 || r->expires > now;
}

static void pfx_refresh(struct rt6_pfx *p)
{
	lpm6_set_val(p->table, &p->key, &p->routes->r, p->routes->r.expires);
}

static void pfx_destroy(struct rt6_pfx *p)
{
	for (struct rt6_entry *e = p->routes, *next; e; e = next) {
		next = e->next;
		free(e);
	}
	free(p);
}

struct collect {
	struct rt6_pfx **v;
	unsigned n;
};

static void collect_one(void *ctx, struct lpm6_pfx *k)
{
	struct collect *c = ctx;

	c->v[c->n++] = to_pfx(k);
}

/* Every prefix, as an array the caller frees (so the table may change meanwhile); NULL on ENOMEM. */
static struct rt6_pfx **collect_all(struct lpm6 *t, unsigned *n)
{
	struct collect c = { calloc(lpm6_count(t) + 1, sizeof(*c.v)), 0 };

	if (c.v)
		lpm6_walk(t, collect_one, &c);
	*n = c.n;
	return c.v;
}

int route6_init(struct stack *st)
{
	st->rt6.table = lpm6_new(&st->hkey);
	st->rt6.count = 0;
	return st->rt6.table ? 0 : -ENOMEM;
}

void route6_fini(struct stack *st)
{
	struct rt6_pfx **all;
	unsigned n;

	if (!st->rt6.table)
		return;
	all = collect_all(st->rt6.table, &n);
	for (unsigned i = 0; all && i < n; i++)
		pfx_destroy(all[i]);
	free(all);
	lpm6_free(st->rt6.table);
	st->rt6.table = NULL;
	st->rt6.count = 0;
}

static bool route_same(const struct route6 *a, const struct route6 *b)
{
	return in6_equal(&a->gw, &b->gw) && a->dev == b->dev;
}

/* A new prefix holding @e, inserted in the trie. */
static int pfx_create(struct stack *st, const struct lpm6_pfx *key, struct rt6_entry *e)
{
	struct rt6_pfx *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->key = *key;
	p->routes = e;
	p->table = st->rt6.table;
	/* The value goes in before the insert so the bucket copy starts right. */
	p->key.v = (struct lpm6_val){ &e->r, e->r.expires, &p->key };
	if (lpm6_insert(st->rt6.table, &p->key) < 0) {
		free(p);
		return -ENOMEM;
	}
	return 0;
}

int route6_add(struct stack *st, const struct route6 *r)
{
	struct lpm6_pfx key;
	struct rt6_pfx *p;
	struct rt6_entry *e, **pos;
	int err = -ENOMEM;

	if (!r || r->plen > 128)
		return -EINVAL;
	lpm6_key(&key, &r->dst, r->plen);
	p = to_pfx(lpm6_find(st->rt6.table, &key));
	for (e = p ? p->routes : NULL; e; e = e->next)
		if (route_same(&e->r, r))
			return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e)
		goto drop;
	e->r = *r;
	in6_prefix_mask(&e->r.dst, r->plen);
	if (!p) {
		err = pfx_create(st, &key, e);
		if (err)
			goto drop;
	} else {
		/* After routes of equal metric: the older route keeps winning ties. */
		for (pos = &p->routes; *pos && (*pos)->r.metric <= r->metric; pos = &(*pos)->next)
			;
		e->next = *pos;
		*pos = e;
		pfx_refresh(p);
	}
	st->rt6.count++;
	return 0;
drop:
	STAT_INC(st, route6_add_nomem);
	free(e);
	return err;
}

static bool route_matches(const struct route6 *r, const struct in6_addr *gw, const struct netdev *dev)
{
	return (!gw || in6_equal(&r->gw, gw)) && (!dev || r->dev == dev);
}

/* Frees the routes of @p that match; drops @p from the table if none is left. Returns how many. */
static unsigned pfx_del_matching(struct stack *st, struct rt6_pfx *p,
				 const struct in6_addr *gw, const struct netdev *dev)
{
	unsigned n = 0;

	for (struct rt6_entry **pos = &p->routes, *e; (e = *pos);) {
		if (!route_matches(&e->r, gw, dev)) {
			pos = &e->next;
			continue;
		}
		*pos = e->next;
		free(e);
		n++;
	}
	st->rt6.count -= n;
	if (!p->routes) {
		lpm6_remove(st->rt6.table, &p->key);
		free(p);
	} else if (n) {
		pfx_refresh(p);
	}
	return n;
}

int route6_del(struct stack *st, const struct in6_addr *dst, unsigned plen,
	       const struct in6_addr *gw, const struct netdev *dev)
{
	struct lpm6_pfx key;
	struct lpm6_pfx *k;

	if (!dst || plen > 128)
		return -ESRCH;
	lpm6_key(&key, dst, plen);
	k = lpm6_find(st->rt6.table, &key);
	if (!k || pfx_del_matching(st, to_pfx(k), gw, dev) == 0)
		return -ESRCH;
	return 0;
}

/* Lowest-metric live route of @p, NULL if all have expired. */
static const struct route6 *pfx_live(const struct rt6_pfx *p, uint64_t now)
{
	for (const struct rt6_entry *e = p->routes; e; e = e->next)
		if (route_live(&e->r, now))
			return &e->r;
	return NULL;
}

/* Slow path: the best prefix has only expired routes, so walk to shorter ones. */
static const struct route6 *lookup_expired(struct stack *st, const struct in6_addr *dst,
					   struct rt6_pfx *p)
{
	const struct route6 *r;

	STAT_INC(st, route6_lookup_expired);
	while (p) {
		r = pfx_live(p, st->now);
		if (r)
			return r;
		p = to_pfx(lpm6_match_shorter(st->rt6.table, dst, p->key.plen));
	}
	STAT_INC(st, route6_lookup_miss);
	return NULL;
}

const struct route6 *route6_lookup(struct stack *st, const struct in6_addr *dst)
{
	const struct lpm6_val *v = lpm6_match(st->rt6.table, dst);

	if (__builtin_expect(!v, 0)) {
		STAT_INC(st, route6_lookup_miss);
		return NULL;
	}
	if (__builtin_expect(v->expires == 0 || v->expires > st->now, 1))
		return v->val;
	return lookup_expired(st, dst, to_pfx(v->pfx));
}

struct dev_hit {
	const struct netdev *dev;
	struct rt6_pfx *hit;
};

static void find_dev(void *ctx, struct lpm6_pfx *k)
{
	struct dev_hit *h = ctx;

	for (const struct rt6_entry *e = to_pfx(k)->routes; e && !h->hit; e = e->next)
		if (e->r.dev == h->dev)
			h->hit = to_pfx(k);
}

void route6_flush_dev(struct stack *st, const struct netdev *dev)
{
	unsigned n;
	struct rt6_pfx **all = collect_all(st->rt6.table, &n);

	if (all) {
		for (unsigned i = 0; i < n; i++)
			pfx_del_matching(st, all[i], NULL, dev);
		free(all);
		return;
	}
	/* No memory for the list: one walk per prefix to delete, slow but it finishes. */
	for (;;) {
		struct dev_hit h = { dev, NULL };

		lpm6_walk(st->rt6.table, find_dev, &h);
		if (!h.hit)
			return;
		pfx_del_matching(st, h.hit, NULL, dev);
	}
}

static int pfx_order(const void *a, const void *b)
{
	const struct rt6_pfx *x = *(const struct rt6_pfx *const *)a;
	const struct rt6_pfx *y = *(const struct rt6_pfx *const *)b;

	if (x->key.hi != y->key.hi)
		return x->key.hi < y->key.hi ? -1 : 1;
	if (x->key.lo != y->key.lo)
		return x->key.lo < y->key.lo ? -1 : 1;
	return (int)x->key.plen - (int)y->key.plen;
}

/* @fn must not add or delete routes (it sees entries of a snapshot of the prefix list). */
void route6_foreach(struct stack *st, void (*fn)(void *ctx, const struct route6 *r), void *ctx)
{
	unsigned n;
	struct rt6_pfx **all = collect_all(st->rt6.table, &n);

	if (!all)
		return;
	/* Prefix order: by address, then shorter first (::/0 before 2001:db8::/32). */
	qsort(all, n, sizeof(*all), pfx_order);
	for (unsigned i = 0; i < n; i++)
		for (const struct rt6_entry *e = all[i]->routes; e; e = e->next)
			fn(ctx, &e->r);
	free(all);
}
