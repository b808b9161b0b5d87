/*
 * IPv4 routing table on the lpm6 trie: a.b.c.d/len is stored as the
 * IPv4-mapped prefix ::ffff:a.b.c.d/(96+len), in a trie of its own. Each
 * prefix holds its routes by metric (ties: oldest first); the trie value is
 * the first, so a lookup is one trie match. IPv4 routes do not expire.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv4/route4.h"
#include "ipv4/inet4.h"
#include "ipv6/lpm6.h"
#include "proto/ip4.h"

#define MAPPED_PLEN 96

struct rt4_entry {
	struct route4 r;            /* first: handed out as const struct route4 * */
	struct rt4_entry *next;
};

struct rt4_pfx {
	struct lpm6_pfx key;        /* first */
	struct rt4_entry *routes;   /* by metric; never empty while in the trie */
};

struct route4_table {
	struct lpm6 *lpm;
	unsigned count;
};

static void key_of(struct lpm6_pfx *k, uint32_t dst, unsigned plen)
{
	struct in6_addr m;

	ip4_to_mapped(&m, dst);
	lpm6_key(k, &m, MAPPED_PLEN + plen);
}

int route4_init(struct stack *st)
{
	struct route4_table *t = calloc(1, sizeof(*t));

	if (!t || !(t->lpm = lpm6_new(&st->hkey)) || inet4_index_init(st) < 0) {
		if (t)
			lpm6_free(t->lpm);
		free(t);
		return -ENOMEM;
	}
	st->ip4.routes = t;
	return 0;
}

/* Every prefix of the trie, for changes and ordered walks; NULL (and n 0) on ENOMEM. */
struct snapshot {
	struct rt4_pfx **v;
	unsigned n;
};

static void snap_one(void *ctx, struct lpm6_pfx *k)
{
	struct snapshot *s = ctx;

	s->v[s->n++] = (struct rt4_pfx *)k;
}

static struct snapshot snapshot(const struct route4_table *t)
{
	struct snapshot s = { calloc(lpm6_count(t->lpm) + 1, sizeof(*s.v)), 0 };

	if (s.v)
		lpm6_walk(t->lpm, snap_one, &s);
	return s;
}

void route4_fini(struct stack *st)
{
	struct route4_table *t = st->ip4.routes;

	inet4_index_fini(st);
	if (!t)
		return;
	route4_flush_dev(st, NULL);
	lpm6_free(t->lpm);
	free(t);
	st->ip4.routes = NULL;
}

int route4_add(struct stack *st, const struct route4 *r)
{
	struct route4_table *t = st->ip4.routes;
	struct lpm6_pfx key;
	struct rt4_pfx *p;
	struct rt4_entry *e, **pos;

	if (!r || r->plen > 32 || !r->dev)
		return -EINVAL;
	key_of(&key, r->dst, r->plen);
	p = (struct rt4_pfx *)lpm6_find(t->lpm, &key);
	for (e = p ? p->routes : NULL; e; e = e->next)
		if (e->r.gw == r->gw && e->r.dev == r->dev)
			return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!p && e && !(p = calloc(1, sizeof(*p)))) {
		free(e);
		e = NULL;
	}
	if (!e) {
		STAT_INC(st, route4_add_nomem);
		return -ENOMEM;
	}
	e->r = *r;
	e->r.dst = r->dst & ip4_mask(r->plen);
	if (!p->routes) {
		p->key = key;
		p->routes = e;
		p->key.v = (struct lpm6_val){ &e->r, 0, &p->key };
		if (lpm6_insert(t->lpm, &p->key) < 0) {
			STAT_INC(st, route4_add_nomem);
			free(p);
			free(e);
			return -ENOMEM;
		}
	} else {
		for (pos = &p->routes; *pos && (*pos)->r.metric <= r->metric; pos = &(*pos)->next)
			;
		e->next = *pos;
		*pos = e;
		lpm6_set_val(t->lpm, &p->key, &p->routes->r, 0);
	}
	t->count++;
	return 0;
}

/* Frees @p's routes matching @gw (0: any) and @dev (NULL: any); @p goes when empty. */
static unsigned pfx_prune(struct route4_table *t, struct rt4_pfx *p, uint32_t gw,
			  const struct netdev *dev)
{
	unsigned n = 0;
	struct rt4_entry **pos = &p->routes, *e;

	while ((e = *pos)) {
		if ((gw && e->r.gw != gw) || (dev && e->r.dev != dev)) {
			pos = &e->next;
			continue;
		}
		*pos = e->next;
		free(e);
		n++;
	}
	t->count -= n;
	if (!p->routes) {
		lpm6_remove(t->lpm, &p->key);
		free(p);
	} else if (n) {
		lpm6_set_val(t->lpm, &p->key, &p->routes->r, 0);
	}
	return n;
}

int route4_del(struct stack *st, uint32_t dst, unsigned plen, uint32_t gw, const struct netdev *dev)
{
	struct route4_table *t = st->ip4.routes;
	struct lpm6_pfx key;
	struct lpm6_pfx *k;

	if (plen > 32)
		return -ESRCH;
	key_of(&key, dst, plen);
	k = lpm6_find(t->lpm, &key);
	return k && pfx_prune(t, (struct rt4_pfx *)k, gw, dev) ? 0 : -ESRCH;
}

const struct route4 *route4_lookup(struct stack *st, uint32_t dst)
{
	struct in6_addr m;
	const struct lpm6_val *v;

	ip4_to_mapped(&m, dst);
	v = lpm6_match(st->ip4.routes->lpm, &m);
	if (!v) {
		STAT_INC(st, route4_lookup_miss);
		return NULL;
	}
	return v->val;
}

/* @dev NULL flushes everything (route4_fini). */
void route4_flush_dev(struct stack *st, const struct netdev *dev)
{
	struct route4_table *t = st->ip4.routes;
	struct snapshot s;

	if (!t)
		return;
	s = snapshot(t);
	for (unsigned i = 0; i < s.n; i++)
		pfx_prune(t, s.v[i], 0, dev);
	free(s.v);
}

static int pfx_cmp(const void *a, const void *b)
{
	const struct route4 *x = &(*(struct rt4_pfx *const *)a)->routes->r;
	const struct route4 *y = &(*(struct rt4_pfx *const *)b)->routes->r;

	if (x->dst != y->dst)
		return ntohl(x->dst) < ntohl(y->dst) ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

/* Prefix order (0.0.0.0/0 first); @fn must not change the table. */
void route4_foreach(struct stack *st, void (*fn)(void *ctx, const struct route4 *r), void *ctx)
{
	struct snapshot s = snapshot(st->ip4.routes);

	if (!s.v)
		return;
	qsort(s.v, s.n, sizeof(*s.v), pfx_cmp);
	for (unsigned i = 0; i < s.n; i++)
		for (const struct rt4_entry *e = s.v[i]->routes; e; e = e->next)
			fn(ctx, &e->r);
	free(s.v);
}
