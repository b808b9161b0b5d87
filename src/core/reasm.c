/*
 * Reassembly queues for both IP families (see reasm.h): lookup, ordered
 * insertion with the RFC 5722 overlap rule, expiry, and the per-stack
 * memory budget with oldest-first eviction across families.
 */
#include <stdlib.h>
#include "core/reasm.h"
#include "core/stack.h"

_Static_assert(REASM_CB_OFF >= sizeof(struct ip6_cb) && REASM_CB_OFF >= sizeof(struct ip4_cb),
	       "layer cb overlaps the reassembly cb");

static struct reasm_budget *budget_of(struct stack *st)
{
	struct reasm_budget *b = &st->reasm;

	if (!b->lru.next) {
		dlist_init(&b->lru);
		b->max = REASM_MEM_MAX;
	}
	return b;
}

struct reasm_table *reasm_table_new(struct stack *st, const struct reasm_ops *ops)
{
	struct reasm_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	for (unsigned i = 0; i < REASM_BUCKETS; i++)
		dlist_init(&t->buckets[i]);
	t->ops = ops;
	budget_of(st);
	return t;
}

static void q_free_frags(struct stack *st, struct reasm_q *q)
{
	pkt_free_chain(q->frags);
	q->frags = NULL;
	q->t->mem -= q->mem;
	budget_of(st)->mem -= q->mem;
	q->mem = 0;
	q->meat = 0;
}

void reasm_destroy(struct stack *st, struct reasm_q *q)
{
	stack_timer_cancel(st, &q->timer);
	q_free_frags(st, q);
	dlist_del(&q->hnode);
	dlist_del(&q->lru);
	q->t->count--;
	free(q);
}

void reasm_table_free(struct stack *st, struct reasm_table *t)
{
	struct dlist *pos, *tmp;

	if (!t)
		return;
	for (unsigned i = 0; i < REASM_BUCKETS; i++)
		dlist_for_each_safe(pos, tmp, &t->buckets[i])
			reasm_destroy(st, dlist_entry(pos, struct reasm_q, hnode));
	free(t);
}

/* A queue's lifetime ends: Time Exceeded only if the first fragment came (RFC 8200 4.5, RFC 792). */
static void q_expire(struct stack *st, struct timer *tm)
{
	struct reasm_q *q = container_of(tm, struct reasm_q, timer);
	const struct reasm_ops *ops = q->t->ops;

	if (!q->dead) {
		st->stats[ops->st_timeout]++;
		if (q->frags && REASM_CB(q->frags)->off == 0 && ops->expired)
			ops->expired(st, q->frags);
	}
	reasm_destroy(st, q);
}

static bool key_equal(const struct reasm_key *a, const struct reasm_key *b)
{
	return a->id == b->id && a->proto == b->proto && in6_equal(&a->src, &b->src) &&
	       in6_equal(&a->dst, &b->dst);
}

static struct dlist *q_bucket(struct stack *st, struct reasm_table *t, const struct reasm_key *k)
{
	uint8_t key[37];

	memcpy(key, &k->src, 16);
	memcpy(key + 16, &k->dst, 16);
	memcpy(key + 32, &k->id, 4);
	key[36] = k->proto;
	return &t->buckets[siphash13(&st->hkey, key, sizeof(key)) % REASM_BUCKETS];
}

/* The oldest queue of @t (the budget's LRU holds both families). */
static struct reasm_q *oldest_of(struct stack *st, const struct reasm_table *t)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &budget_of(st)->lru) {
		struct reasm_q *q = dlist_entry(pos, struct reasm_q, lru);

		if (q->t == t)
			return q;
	}
	return NULL;
}

struct reasm_q *reasm_get(struct stack *st, struct reasm_table *t, const struct reasm_key *k)
{
	struct dlist *b = q_bucket(st, t, k), *pos, *tmp;
	struct reasm_q *q;

	dlist_for_each_safe(pos, tmp, b) {
		q = dlist_entry(pos, struct reasm_q, hnode);
		if (key_equal(&q->key, k))
			return q;
	}
	if (t->count >= t->ops->max_queues && (q = oldest_of(st, t)) != NULL) {
		st->stats[t->ops->st_evict]++;
		reasm_destroy(st, q);
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->st = st;
	q->t = t;
	q->key = *k;
	dlist_add_tail(b, &q->hnode);
	dlist_add_tail(&budget_of(st)->lru, &q->lru);
	t->count++;
	timer_init(&q->timer, q_expire);
	stack_timer_in(st, &q->timer, t->ops->timeout_ns);
	return q;
}

/* RFC 5722: an overlap discards the datagram and every later fragment of it. */
static void q_kill(struct stack *st, struct reasm_q *q)
{
	q_free_frags(st, q);
	q->dead = true;
}

int reasm_insert(struct stack *st, struct reasm_q *q, struct pkt *p, uint32_t off, bool more)
{
	const struct reasm_ops *ops = q->t->ops;
	uint32_t end = off + p->len;
	struct pkt **link = &q->frags, *f;

	REASM_CB(p)->off = off;
	REASM_CB(p)->len = p->len;
	if ((!more && q->total && q->total != end) || (more && q->total && end > q->total)) {
		st->stats[ops->st_inconsistent]++;
		goto kill;
	}
	for (f = q->frags; f; f = f->next) {
		uint32_t fo = REASM_CB(f)->off, fe = fo + REASM_CB(f)->len;

		if (!more && fe > end) {
			st->stats[ops->st_inconsistent]++;
			goto kill;
		}
		if (fo == off && fe == end && memcmp(f->data, p->data, p->len) == 0) {
			/* RFC 8200 4.5 allows dropping exact duplicates alone. */
			st->stats[ops->st_dup]++;
			pkt_free(p);
			return 0;
		}
		if (off < fe && fo < end) {
			st->stats[ops->st_overlap]++;
			goto kill;
		}
		if (fo < off)
			link = &f->next;
	}
	p->next = *link;
	*link = p;
	q->meat += p->len;
	q->mem += p->size;
	q->t->mem += p->size;
	budget_of(st)->mem += p->size;
	if (!more)
		q->total = end;
	return 1;
kill:
	pkt_free(p);
	q_kill(st, q);
	return -1;
}

void reasm_take_sp(struct pkt *np, struct reasm_q *q)
{
	struct pkt *first = q->frags;

	/* The references move; reasm_destroy then frees the fragments without them. */
	np->sp_len = first->sp_len;
	memcpy(np->sp, first->sp, first->sp_len * sizeof(first->sp[0]));
	first->sp_len = 0;
}

void reasm_trim(struct stack *st)
{
	struct reasm_budget *b = budget_of(st);

	while (b->mem > b->max && !dlist_empty(&b->lru)) {
		struct reasm_q *q = dlist_entry(b->lru.next, struct reasm_q, lru);

		st->stats[q->t->ops->st_evict]++;
		reasm_destroy(st, q);
	}
}

static bool reasm_q_uses_dev(const struct reasm_q *q, const struct netdev *dev)
{
	for (const struct pkt *f = q->frags; f; f = f->next)
		if (f->dev == dev)
			return true;
	return false;
}

void reasm_forget_dev(struct stack *st, const struct netdev *dev)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->reasm.lru) {
		struct reasm_q *q = dlist_entry(pos, struct reasm_q, lru);

		if (reasm_q_uses_dev(q, dev))
			reasm_destroy(st, q);
	}
}
