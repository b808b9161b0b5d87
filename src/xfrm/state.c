/*
 * SAD core: the two hash tables, add/update/delete/get, the input and
 * output lookups, walks, and the event listeners. Lifetimes are in
 * state_lifetime.c, SPI allocation and ACQUIRE in spi.c.
 *
 * Tables are chained hashes keyed with st->hkey (SPIs and addresses come
 * from the wire; hash_id, hash_addr): BYID on (daddr, spi, proto) for input,
 * BYADDR on (daddr, saddr, proto) for output and ACQUIRE. Each doubles
 * when it holds more SAs than buckets, so BYID chains stay about one long;
 * SAs between the same two addresses share a BYADDR chain (an output
 * template with reqid 0 may take any of them), so output lookups cost what
 * the number of SAs per address pair is. Chains are unlinked in O(1).
 * Input keeps its last hits per id in a small direct-mapped table, valid
 * while the BYID index's change count (sad_index.gen) is unchanged.
 */
#include <stdlib.h>
#include "core/ratelimit.h"
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/state_priv.h"
#include "xfrm/xfrm_natt.h"

#define SAD_MIN_BUCKETS 64

static uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * The input lookup's hash, per packet: two keyed multiply-folds (wyhash's
 * mixing) instead of siphash13's seven rounds over the fixed 21-byte key.
 * Still keyed with st->hkey, so a sender without the key cannot aim SPIs
 * at one bucket; only bucket choice depends on it, never an answer (an
 * entry holds the whole id).
 */
static uint64_t hash_id(const struct stack *st, const struct in6_addr *d, uint32_t spi, uint8_t proto)
{
	uint64_t a, b, c = (uint64_t)proto << 32 | spi;

	memcpy(&a, d->s6_addr, 8);
	memcpy(&b, d->s6_addr + 8, 8);
	return mum(c ^ st->hkey.k1 ^ 0xe7037ed1a0b428dbULL,
		   mum(a ^ st->hkey.k0 ^ 0xa0761d6478bd642fULL, b ^ st->hkey.k1 ^ 0x8ebc6af09c88c6e3ULL) ^
		   st->hkey.k0);
}

/* The output lookup's hash (xfrm_state_find, per packet too): the same keyed folds over both addresses. */
static uint64_t hash_addr(const struct stack *st, const struct in6_addr *d, const struct in6_addr *s,
			  uint8_t proto)
{
	uint64_t d0, d1, s0, s1;

	memcpy(&d0, d->s6_addr, 8);
	memcpy(&d1, d->s6_addr + 8, 8);
	memcpy(&s0, s->s6_addr, 8);
	memcpy(&s1, s->s6_addr + 8, 8);
	return mum(mum(d0 ^ st->hkey.k0 ^ 0xa0761d6478bd642fULL, d1 ^ st->hkey.k1 ^ 0xe7037ed1a0b428dbULL) ^
		   proto ^ 0x8ebc6af09c88c6e3ULL,
		   mum(s0 ^ st->hkey.k1 ^ 0x589965cc75374cc3ULL, s1 ^ st->hkey.k0 ^ 0x1d8e4e27c47d124fULL) ^
		   st->hkey.k0);
}

static int table_init(struct sad_table *t, uint32_t buckets)
{
	t->b = calloc(buckets, sizeof(t->b[0]));
	t->mask = buckets - 1;
	t->count = 0;
	return t->b ? 0 : -ENOMEM;
}

/* Doubles @t; on ENOMEM it keeps its size (chains just get longer). */
static void table_grow(struct sad_table *t, int which)
{
	uint32_t n = (t->mask + 1) * 2;
	struct xfrm_state **nb;

	if (n == 0 || !(nb = calloc(n, sizeof(nb[0]))))
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct xfrm_state *x = t->b[i], *next;

		for (; x; x = next) {
			struct xfrm_state **b = &nb[x->hash[which] & (n - 1)];

			next = x->hnext[which];
			x->hnext[which] = *b;
			if (*b)
				(*b)->hpprev[which] = &x->hnext[which];
			x->hpprev[which] = b;
			*b = x;
		}
	}
	free(t->b);
	t->b = nb;
	t->mask = n - 1;
}

static void table_add(struct sad_table *t, int which, struct xfrm_state *x)
{
	struct xfrm_state **b;

	if (t->count >= t->mask + 1)
		table_grow(t, which);
	b = &t->b[x->hash[which] & t->mask];
	x->hnext[which] = *b;
	if (*b)
		(*b)->hpprev[which] = &x->hnext[which];
	x->hpprev[which] = b;
	*b = x;
	t->count++;
}

static void table_del(struct sad_table *t, int which, struct xfrm_state *x)
{
	*x->hpprev[which] = x->hnext[which];
	if (x->hnext[which])
		x->hnext[which]->hpprev[which] = x->hpprev[which];
	x->hnext[which] = NULL;
	x->hpprev[which] = NULL;
	t->count--;
}

static uint64_t id_key(uint32_t daddr_nr, uint32_t spi, uint8_t proto)
{
	return (uint64_t)daddr_nr << 40 | (uint64_t)proto << 32 | spi;
}

static struct xfrm_state *entry_sa(uintptr_t v)
{
	return (struct xfrm_state *)(v & ~(uintptr_t)1);
}

static uint32_t entry_home(const struct sad_index *ix, uintptr_t v)
{
	return (uint32_t)entry_sa(v)->hash[SAD_BYID] & ix->mask;
}

static unsigned bucket_match(const struct sad_bucket *b, uint64_t k)
{
	unsigned m = 0;

	for (unsigned w = 0; w < SAD_WAYS; w++)
		m |= (unsigned)(b->key[w] == k) << w;
	return m;
}

/* The destination table's hash: keyed too, addresses come from the wire. */
static uint64_t hash_daddr(const struct stack *st, const struct in6_addr *d)
{
	uint64_t a, b;

	memcpy(&a, d->s6_addr, 8);
	memcpy(&b, d->s6_addr + 8, 8);
	return mum(a ^ st->hkey.k1 ^ 0x589965cc75374cc3ULL, b ^ st->hkey.k0 ^ 0x1d8e4e27c47d124fULL);
}

static int daddrs_init(struct sad_daddrs *da)
{
	da->d = malloc(16 * sizeof(da->d[0]));
	da->head = calloc(16, sizeof(da->head[0]));
	da->mask = 15;
	da->cap = 16;
	da->n = da->used = da->free = 0;
	if (da->d && da->head)
		return 0;
	free(da->d);
	free(da->head);
	return -ENOMEM;
}

/* The number of @d, 0 if no index entry names it. */
static uint32_t daddr_find(const struct stack *st, const struct sad_daddrs *da, const struct in6_addr *d)
{
	uint32_t i = da->head[hash_daddr(st, d) & da->mask];

	while (i && !in6_equal(&da->d[i].a, d))
		i = da->d[i].next;
	return i;
}

/* Doubles the chains' buckets; on ENOMEM they stay (chains just get longer). */
static void daddrs_rehash(const struct stack *st, struct sad_daddrs *da)
{
	uint32_t n = (da->mask + 1) * 2, *nh = calloc(n, sizeof(nh[0]));

	if (!nh)
		return;
	for (uint32_t i = 1; i <= da->n; i++)
		if (da->d[i].refs) {
			uint32_t *h = &nh[hash_daddr(st, &da->d[i].a) & (n - 1)];

			da->d[i].next = *h;
			*h = i;
		}
	free(da->head);
	da->head = nh;
	da->mask = n - 1;
}

/* Takes a reference on @d's number, numbering it if new; 0 on ENOMEM. */
static uint32_t daddr_ref(const struct stack *st, struct sad_daddrs *da, const struct in6_addr *d)
{
	uint32_t i = daddr_find(st, da, d), *h;

	if (i) {
		da->d[i].refs++;
		return i;
	}
	if (da->free) {
		i = da->free;
		da->free = da->d[i].next;
	} else {
		if (da->n == SAD_DADDR_MAX)
			return 0;
		if (da->n + 1 >= da->cap) {
			uint32_t cap = da->cap * 2;
			struct sad_daddr *nd = realloc(da->d, (size_t)cap * sizeof(nd[0]));

			if (!nd)
				return 0;
			da->d = nd;
			da->cap = cap;
		}
		i = ++da->n;
	}
	da->d[i].a = *d;
	da->d[i].refs = 1;
	h = &da->head[hash_daddr(st, d) & da->mask];
	da->d[i].next = *h;
	*h = i;
	if (++da->used > da->mask + 1)
		daddrs_rehash(st, da);
	return i;
}

static void daddr_unref(const struct stack *st, struct sad_daddrs *da, uint32_t i)
{
	uint32_t *p;

	if (--da->d[i].refs)
		return;
	for (p = &da->head[hash_daddr(st, &da->d[i].a) & da->mask]; *p != i; p = &da->d[*p].next)
		;
	*p = da->d[i].next;
	da->d[i].next = da->free;
	da->free = i;
	da->used--;
}

static int index_init(struct sad_index *ix, uint32_t buckets)
{
	ix->b = aligned_alloc(64, (size_t)buckets * sizeof(ix->b[0]));
	if (!ix->b)
		return -ENOMEM;
	memset(ix->b, 0, (size_t)buckets * sizeof(ix->b[0]));
	ix->mask = buckets - 1;
	ix->count = 0;
	return 0;
}

/* Enters key @k (an SA whose id hashed to @h) into the first empty entry from its home on. */
static void index_put(struct sad_index *ix, uint64_t h, uint64_t k, uintptr_t v)
{
	for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
		struct sad_bucket *b = &ix->b[i];
		unsigned e = bucket_match(b, 0);

		if (e) {
			unsigned w = (unsigned)__builtin_ctz(e);

			b->key[w] = k;
			b->x[w] = v;
			return;
		}
	}
}

/* Doubles the index; on ENOMEM it stays (the load may pass 1/2, never 1: see index_add). */
static int index_grow(struct sad_index *ix)
{
	struct sad_index old = *ix;

	if (index_init(ix, (old.mask + 1) * 2) < 0) {
		*ix = old;
		return -ENOMEM;
	}
	ix->count = old.count;
	for (uint32_t i = 0; i <= old.mask; i++)
		for (unsigned w = 0; w < SAD_WAYS; w++)
			if (old.b[i].key[w])
				index_put(ix, entry_sa(old.b[i].x[w])->hash[SAD_BYID], old.b[i].key[w],
					  old.b[i].x[w]);
	free(old.b);
	return 0;
}

static int index_add(const struct stack *st, struct sad_index *ix, struct xfrm_state *x)
{
	uint64_t n = ((uint64_t)ix->mask + 1) * SAD_WAYS;
	uint32_t nr;

	/* One entry always stays empty: lookups stop at it. */
	if (((uint64_t)ix->count + 1) * 2 > n && index_grow(ix) < 0 && ix->count + 1 >= n)
		return -ENOMEM;
	if (!(nr = daddr_ref(st, &ix->da, &x->c.id.daddr)))
		return -ENOMEM;
	index_put(ix, x->hash[SAD_BYID], id_key(nr, x->c.id.spi, x->c.id.proto),
		  (uintptr_t)x | xfrm_state_usable(x));
	ix->count++;
	ix->gen++;
	return 0;
}

/* The entry of the SA with this id, NULL if none. */
static uintptr_t *index_find(const struct stack *st, const struct sad_index *ix,
			     const struct in6_addr *d, uint32_t spi, uint8_t proto)
{
	uint64_t h = hash_id(st, d, spi, proto), k;
	uint32_t nr;

	__builtin_prefetch(&ix->b[(uint32_t)h & ix->mask]);   /* loads while the number is found */
	if (!(nr = daddr_find(st, &ix->da, d)))
		return NULL;
	k = id_key(nr, spi, proto);
	for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
		struct sad_bucket *b = &ix->b[i];
		unsigned m = bucket_match(b, k);

		if (m)
			return &b->x[__builtin_ctz(m)];
		if (bucket_match(b, 0))
			return NULL;
	}
}

/*
 * Removes the entry of @x. An entry may sit in bucket j only if every
 * bucket from its home up to j is full, so entries after the hole whose
 * home lies cyclically at or before the hole move back into it.
 */
static void index_del(const struct stack *st, struct sad_index *ix, struct xfrm_state *x)
{
	uint32_t i = (uint32_t)x->hash[SAD_BYID] & ix->mask, j, nr;
	unsigned hw = SAD_WAYS;

	ix->gen++;
	for (;; i = (i + 1) & ix->mask) {
		for (unsigned w = 0; w < SAD_WAYS; w++)
			if (entry_sa(ix->b[i].x[w]) == x && ix->b[i].key[w])
				hw = w;
		if (hw < SAD_WAYS)
			break;
		if (bucket_match(&ix->b[i], 0))
			return;
	}
	nr = (uint32_t)(ix->b[i].key[hw] >> 40);
	for (j = i;;) {
		struct sad_bucket *b;
		unsigned empty, w;

		j = (j + 1) & ix->mask;
		b = &ix->b[j];
		empty = bucket_match(b, 0);
		for (w = 0; w < SAD_WAYS; w++)
			if (b->key[w] && ((j - entry_home(ix, b->x[w])) & ix->mask) >= ((j - i) & ix->mask))
				break;
		if (w < SAD_WAYS) {
			ix->b[i].key[hw] = b->key[w];
			ix->b[i].x[hw] = b->x[w];
			i = j;
			hw = w;
		}
		if (empty)
			break;
	}
	ix->b[i].key[hw] = 0;
	ix->b[i].x[hw] = 0;
	ix->count--;
	daddr_unref(st, &ix->da, nr);
}

void sad_index_usable(struct stack *st, struct xfrm_state *x)
{
	uintptr_t *e = index_find(st, &st->sad->byid, &x->c.id.daddr, x->c.id.spi, x->c.id.proto);

	if (e) {
		*e = (uintptr_t)x | xfrm_state_usable(x);
		st->sad->byid.gen++;
	}
}

int xfrm_sad_init(struct stack *st)
{
	struct xfrm_sad *sad = calloc(1, sizeof(*sad));

	if (!sad)
		return -ENOMEM;
	sad->st = st;
	dlist_init(&sad->all);
	dlist_init(&sad->larval);
	sad->acq_tokens = ratelimit_full(SAD_ACQUIRE_COST_MS, SAD_ACQUIRE_BURST);
	sad->acq_last = st->now;
	sad->byid.gen = 1;
	if (index_init(&sad->byid, SAD_MIN_BUCKETS) < 0 ||
	    table_init(&sad->tab[SAD_BYADDR], SAD_MIN_BUCKETS) < 0 || daddrs_init(&sad->byid.da) < 0) {
		free(sad->byid.b);
		free(sad->tab[SAD_BYADDR].b);
		free(sad);
		return -ENOMEM;
	}
	st->sad = sad;
	st->xfrm_nencap = 0;
	return 0;
}

static void state_free(struct xfrm_state *x)
{
	timer_cancel(&x->sad->st->timers, &x->timer);
	dlist_del(&x->all);
	crypto_ctx_free(x->crypto);
	crypto_comp_free(x->comp);
	xfrm_replay_free(x->replay);
	explicit_bzero(x, sizeof(*x));  /* the keys in x->c */
	free(x);
}

void xfrm_sad_fini(struct stack *st)
{
	struct xfrm_sad *sad = st->sad;
	struct dlist *pos, *tmp;
	unsigned held = 0;

	if (!sad)
		return;
	/* Every holder (bundles, dumps) belongs to a layer that is already gone. */
	dlist_for_each_safe(pos, tmp, &sad->all) {
		struct xfrm_state *x = dlist_entry(pos, struct xfrm_state, all);

		held += x->refcnt > (x->state != XFRM_STATE_DEAD);
		state_free(x);
	}
	if (held)
		log_warn(st, "sad: %u SAs still referenced at exit", held);
	free(sad->byid.b);
	free(sad->byid.da.d);
	free(sad->byid.da.head);
	free(sad->tab[SAD_BYADDR].b);
	free(sad);
	st->sad = NULL;
}

void xfrm_state_put(struct xfrm_state *x)
{
	if (--x->refcnt == 0)
		state_free(x);
}

unsigned xfrm_state_count(const struct stack *st)
{
	return st->sad->count;
}

int xfrm_listen(struct stack *st, xfrm_listen_fn fn, void *ctx)
{
	struct xfrm_sad *sad = st->sad;

	for (unsigned i = 0; i < sad->nlisteners; i++)
		if (sad->listeners[i].fn == fn && sad->listeners[i].ctx == ctx)
			return -EEXIST;
	if (sad->nlisteners == XFRM_LISTENERS_MAX)
		return -ENOSPC;
	sad->listeners[sad->nlisteners].fn = fn;
	sad->listeners[sad->nlisteners++].ctx = ctx;
	return 0;
}

void xfrm_unlisten(struct stack *st, xfrm_listen_fn fn, void *ctx)
{
	struct xfrm_sad *sad = st->sad;

	for (unsigned i = 0; i < sad->nlisteners; i++)
		if (sad->listeners[i].fn == fn && sad->listeners[i].ctx == ctx) {
			sad->listeners[i] = sad->listeners[--sad->nlisteners];
			return;
		}
}

void sad_announce_ev(struct stack *st, const struct xfrm_event *ev)
{
	struct xfrm_sad *sad = st->sad;

	sad->changes++;
	for (unsigned i = 0; i < sad->nlisteners; i++)
		sad->listeners[i].fn(st, ev, sad->listeners[i].ctx);
}

void sad_announce(struct stack *st, enum xfrm_event_type type, struct xfrm_state *x, unsigned reason)
{
	struct xfrm_event ev = { .type = type, .x = x, .reason = reason };

	sad_announce_ev(st, &ev);
}

struct xfrm_state *sad_alloc(struct stack *st)
{
	size_t sz = (sizeof(struct xfrm_state) + 63) & ~(size_t)63;
	struct xfrm_state *x = aligned_alloc(64, sz); /* the hot fields in one cache line */

	if (!x)
		return NULL;
	memset(x, 0, sz);
	x->sad = st->sad;
	x->refcnt = 1;
	dlist_init(&x->all);
	dlist_init(&x->larval_node);
	return x;
}

int sad_hash_id(struct stack *st, struct xfrm_state *x)
{
	x->hash[SAD_BYID] = hash_id(st, &x->c.id.daddr, x->c.id.spi, x->c.id.proto);
	return index_add(st, &st->sad->byid, x);
}

/*
 * st->xfrm_nencap counts the SAs in the SAD with UDP encapsulation, so the
 * UDP input path tests one integer before looking for NAT-T (RFC 3948).
 */
static void encap_count(struct stack *st, const struct xfrm_state *x, int delta)
{
	if (!x->c.encap.type)
		return;
	st->xfrm_nencap += (uint32_t)delta;
	if (delta > 0)
		xfrm_natt_sa_added(st);
}

int sad_link(struct stack *st, struct xfrm_state *x)
{
	struct xfrm_sad *sad = st->sad;

	if (x->c.id.spi && sad_hash_id(st, x) < 0)
		return -ENOMEM;
	x->gen = ++sad->gen;
	x->cur.add_time = st->now;
	dlist_add_tail(&sad->all, &x->all);
	if (x->state == XFRM_STATE_LARVAL)
		dlist_add_tail(&sad->larval, &x->larval_node);
	x->hash[SAD_BYADDR] = hash_addr(st, &x->c.id.daddr, &x->c.saddr, x->c.id.proto);
	table_add(&sad->tab[SAD_BYADDR], SAD_BYADDR, x);
	sad->count++;
	encap_count(st, x, 1);
	sad_arm(st, x);
	return 0;
}

void sad_unlink(struct stack *st, struct xfrm_state *x)
{
	struct xfrm_sad *sad = st->sad;

	if (x->state == XFRM_STATE_DEAD)
		return;
	if (x->c.id.spi)
		index_del(st, &sad->byid, x);
	table_del(&sad->tab[SAD_BYADDR], SAD_BYADDR, x);
	if (x->state == XFRM_STATE_LARVAL)
		dlist_del(&x->larval_node);
	if (x->acquire)
		sad->nacquire--;
	x->acquire = false;
	x->state = XFRM_STATE_DEAD;
	sad->count--;
	encap_count(st, x, -1);
	stack_timer_cancel(st, &x->timer);
}

/* The SA with this id in any live state, NULL if none. */
struct xfrm_state *xfrm_state_get(struct stack *st, const struct in6_addr *daddr, uint32_t spi, uint8_t proto)
{
	uintptr_t *e = index_find(st, &st->sad->byid, daddr, spi, proto);

	return e ? entry_sa(*e) : NULL;
}

/* The last-hit entry for (@d, @spi): a multiplicative hash of the SPI and the address tail. */
static struct sad_lcache_ent *lcache_slot(struct xfrm_sad *sad, const struct in6_addr *d, uint32_t spi)
{
	uint64_t lo;

	memcpy(&lo, d->s6_addr + 8, 8);
	return &sad->lcache[((lo ^ spi) * 0x9e3779b97f4a7c15ull) >> (64 - SAD_LCACHE_BITS)];
}

/*
 * Every ESP/AH packet asks, and a flow's packets ask for the same SA, so
 * the answer is kept per id while the index is unchanged (its gen): the
 * keyed hashes and the bucket probe then cost one compare.
 */
struct xfrm_state *xfrm_state_lookup(struct stack *st, const struct in6_addr *daddr, uint32_t spi, uint8_t proto)
{
	struct xfrm_sad *sad = st->sad;
	struct sad_lcache_ent *c = lcache_slot(sad, daddr, spi);
	uintptr_t *e;

	if (c->gen == sad->byid.gen && c->spi == spi && c->proto == proto && in6_equal(&c->daddr, daddr))
		return c->x;
	e = index_find(st, &sad->byid, daddr, spi, proto);
	if (!e || !(*e & 1))
		return NULL;
	*c = (struct sad_lcache_ent){ .x = entry_sa(*e), .gen = sad->byid.gen, .daddr = *daddr,
				      .spi = spi, .proto = proto };
	return c->x;
}

bool sad_same_tmpl(const struct xfrm_state *x, const struct xfrm_resolved *t)
{
	return x->c.id.proto == t->proto && x->c.mode == t->mode &&
	       (!t->reqid || x->c.reqid == t->reqid) &&
	       in6_equal(&x->c.id.daddr, &t->daddr) && in6_equal(&x->c.saddr, &t->saddr);
}

/* MATURE before DYING; then the newest (RFC 4301 4.4.2 leaves it to us; Linux does this). */
static bool better(const struct xfrm_state *x, const struct xfrm_state *best)
{
	if (!best)
		return true;
	if (x->state != best->state)
		return x->state == XFRM_STATE_MATURE;
	if (x->cur.add_time != best->cur.add_time)
		return x->cur.add_time > best->cur.add_time;
	return x->gen > best->gen;
}

struct xfrm_state *xfrm_state_find(struct stack *st, const struct xfrm_resolved *t)
{
	const struct sad_table *tab = &st->sad->tab[SAD_BYADDR];
	struct xfrm_state *x = tab->b[hash_addr(st, &t->daddr, &t->saddr, t->proto) & tab->mask];
	struct xfrm_state *best = NULL;

	for (; x; x = x->hnext[SAD_BYADDR])
		if (xfrm_state_usable(x) && sad_same_tmpl(x, t) && (!t->spi || x->c.id.spi == t->spi) &&
		    better(x, best))
			best = x;
	return best;
}

struct xfrm_state *sad_find_acquire(struct stack *st, const struct xfrm_resolved *t)
{
	const struct sad_table *tab = &st->sad->tab[SAD_BYADDR];
	struct xfrm_state *x = tab->b[hash_addr(st, &t->daddr, &t->saddr, t->proto) & tab->mask];

	for (; x; x = x->hnext[SAD_BYADDR])
		if (x->acquire && x->c.reqid == t->reqid && sad_same_tmpl(x, t))
			return x;
	return NULL;
}

struct xfrm_state *xfrm_state_find_seq(struct stack *st, uint32_t km_seq)
{
	struct dlist *pos, *tmp;

	if (km_seq == 0)
		return NULL;
	dlist_for_each_safe(pos, tmp, &st->sad->larval) {
		struct xfrm_state *x = dlist_entry(pos, struct xfrm_state, larval_node);

		if (x->km_seq == km_seq)
			return x;
	}
	return NULL;
}

/* The configuration checks every SA passes, larval or not. */
static int cfg_check_ids(const struct xfrm_sa_cfg *c)
{
	bool v4 = c->family == AF_INET;

	if (c->id.proto != IPPROTO_ESP && c->id.proto != IPPROTO_AH && c->id.proto != IPPROTO_COMP)
		return -EINVAL;
	if (c->mode != XFRM_MODE_TRANSPORT && c->mode != XFRM_MODE_TUNNEL)
		return -EINVAL;
	if (c->family != AF_INET && c->family != AF_INET6)
		return -EINVAL;
	if (in6_is_unspec(&c->id.daddr) || in6_is_v4mapped(&c->id.daddr) != v4)
		return -EINVAL;
	if (!in6_is_unspec(&c->saddr) && in6_is_v4mapped(&c->saddr) != v4)
		return -EINVAL;
	return 0;
}

static int cfg_check(const struct xfrm_sa_cfg *c)
{
	int rc = cfg_check_ids(c);

	if (rc < 0)
		return rc;
	if (c->id.spi == 0 || (c->id.proto == IPPROTO_COMP && c->id.spi > 0xffff))
		return -EINVAL;
	if (c->replay_window > XFRM_REPLAY_MAX || (c->flags & ~(XFRM_SA_F_ESN | XFRM_SA_F_NOCRYPTO)))
		return -EINVAL;
	if (c->enc.key_len > sizeof(c->enc.key) || c->auth.key_len > sizeof(c->auth.key))
		return -EINVAL;
	if (!memchr(c->enc.name, 0, sizeof(c->enc.name)) || !memchr(c->auth.name, 0, sizeof(c->auth.name)) ||
	    !memchr(c->comp.name, 0, sizeof(c->comp.name)))
		return -EINVAL;
	return 0;
}

/* What an SA needs to carry traffic, built before it is committed. */
struct sa_parts {
	struct crypto_ctx *crypto;
	struct crypto_comp *comp;
	struct xfrm_replay *replay;
};

static void parts_free(struct sa_parts *p)
{
	crypto_ctx_free(p->crypto);
	crypto_comp_free(p->comp);
	xfrm_replay_free(p->replay);
}

static int build_crypto(struct stack *st, const struct xfrm_sa_cfg *c, struct sa_parts *p)
{
	const struct crypto_alg *enc, *auth = NULL;
	const char *why = "unknown algorithm";
	int rc;

	if (c->id.proto == IPPROTO_AH && c->enc.name[0])
		return -EINVAL;
	enc = crypto_alg_by_name(CRYPTO_ENC, c->enc.name[0] ? c->enc.name : "null");
	if (c->auth.name[0])
		auth = crypto_alg_by_name(CRYPTO_AUTH, c->auth.name);
	if (!enc || (c->auth.name[0] && !auth) || (c->id.proto == IPPROTO_AH && !auth))
		rc = -EINVAL;
	else
		rc = crypto_ctx_new(&p->crypto, enc, c->enc.key, c->enc.key_len,
				    auth, c->auth.key, c->auth.key_len, &why);
	if (rc == -EINVAL) {
		STAT_INC(st, crypto_key_reject);
		log_debug(st, "sad: SA spi 0x%x refused: %s", c->id.spi, why); /* never key bytes */
	}
	return rc;
}

static int build_parts(struct stack *st, const struct xfrm_sa_cfg *c, struct sa_parts *p)
{
	uint32_t window = c->replay_window;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (c->flags & XFRM_SA_F_NOCRYPTO) {
		if (c->enc.name[0] || c->auth.name[0] || c->comp.name[0])
			return -EINVAL;
	} else if (c->id.proto == IPPROTO_COMP) {
		if (c->comp.name[0] && !crypto_alg_by_name(CRYPTO_COMP, c->comp.name))
			return -EINVAL;
		if (!(p->comp = crypto_comp_new(6)))
			return -ENOMEM;
	} else if ((rc = build_crypto(st, c, p)) < 0)
		return rc;
	/* RFC 4303 A2: the window infers the high half of an ESN; IPComp has no numbers. */
	if ((c->flags & XFRM_SA_F_ESN) && window < 32)
		window = 32;
	if (window && c->id.proto != IPPROTO_COMP &&
	    !(p->replay = xfrm_replay_new(window, c->flags & XFRM_SA_F_ESN))) {
		parts_free(p);
		return -ENOMEM;
	}
	return 0;
}

static void commit_parts(struct xfrm_state *x, struct sa_parts *p)
{
	x->crypto = p->crypto;
	x->comp = p->comp;
	x->replay = p->replay;
}

/* A mature SA for the template a pending ACQUIRE waited for: the larval one goes, quietly. */
static void drop_acquire(struct stack *st, const struct xfrm_state *x)
{
	struct xfrm_resolved t = { .proto = x->c.id.proto, .mode = x->c.mode, .reqid = x->c.reqid,
				   .daddr = x->c.id.daddr, .saddr = x->c.saddr };
	struct xfrm_state *acq = st->sad->nacquire ? sad_find_acquire(st, &t) : NULL;

	if (acq && acq != x) {
		sad_unlink(st, acq);
		xfrm_state_put(acq);
	}
}

int xfrm_state_add(struct stack *st, const struct xfrm_sa_cfg *cfg, struct xfrm_state **out)
{
	struct sa_parts parts;
	struct xfrm_state *x;
	int rc;

	if ((rc = cfg_check(cfg)) < 0 || (rc = build_parts(st, cfg, &parts)) < 0) {
		STAT_INC(st, xfrm_sa_rejected);
		return rc;
	}
	if (xfrm_state_get(st, &cfg->id.daddr, cfg->id.spi, cfg->id.proto)) {
		parts_free(&parts);
		return -EEXIST;
	}
	if (!(x = sad_alloc(st))) {
		parts_free(&parts);
		return -ENOMEM;
	}
	x->c = *cfg;
	commit_parts(x, &parts);
	x->state = XFRM_STATE_MATURE;
	if (sad_link(st, x) < 0) {
		state_free(x);
		return -ENOMEM;
	}
	drop_acquire(st, x);
	STAT_INC(st, xfrm_sa_added);
	sad_announce(st, XFRM_EV_ADD, x, 0);
	if (out)
		*out = x;
	return 0;
}

/* GETSPI then UPDATE: the larval SA takes everything from @cfg and starts its life now. */
static void mature(struct stack *st, struct xfrm_state *x, const struct xfrm_sa_cfg *cfg, struct sa_parts *p)
{
	struct xfrm_sad *sad = st->sad;

	table_del(&sad->tab[SAD_BYADDR], SAD_BYADDR, x);
	dlist_del(&x->larval_node);
	if (x->acquire)
		sad->nacquire--;
	x->acquire = false;
	encap_count(st, x, -1);
	explicit_bzero(&x->c, sizeof(x->c));
	x->c = *cfg;
	encap_count(st, x, 1);
	commit_parts(x, p);
	x->state = XFRM_STATE_MATURE;
	sad_index_usable(st, x);
	x->cur = (struct xfrm_lifetime_cur){ .add_time = st->now };
	x->soft_done = false;
	x->hash[SAD_BYADDR] = hash_addr(st, &x->c.id.daddr, &x->c.saddr, x->c.id.proto);
	table_add(&sad->tab[SAD_BYADDR], SAD_BYADDR, x);
	drop_acquire(st, x);
}

int xfrm_state_update(struct stack *st, const struct xfrm_sa_cfg *cfg, struct xfrm_state **out)
{
	struct xfrm_state *x;
	struct sa_parts parts;
	int rc;

	if ((rc = cfg_check(cfg)) < 0)
		return rc;
	if (!(x = xfrm_state_get(st, &cfg->id.daddr, cfg->id.spi, cfg->id.proto)))
		return -ESRCH;
	if (x->state == XFRM_STATE_LARVAL) {
		if ((rc = build_parts(st, cfg, &parts)) < 0) {
			STAT_INC(st, xfrm_sa_rejected);
			return rc;
		}
		mature(st, x, cfg, &parts);
	} else {
		x->c.lft = cfg->lft;
		encap_count(st, x, -1);
		x->c.encap = cfg->encap;
		encap_count(st, x, 1);
	}
	sad_arm(st, x);
	STAT_INC(st, xfrm_sa_updated);
	sad_announce(st, XFRM_EV_UPDATE, x, 0);
	if (out)
		*out = x;
	return 0;
}

void xfrm_state_delete(struct stack *st, struct xfrm_state *x)
{
	if (x->state == XFRM_STATE_DEAD)
		return;
	sad_unlink(st, x);
	STAT_INC(st, xfrm_sa_deleted);
	sad_announce(st, XFRM_EV_DELETE, x, 0);
	xfrm_state_put(x);
}

int xfrm_state_delete_id(struct stack *st, const struct in6_addr *daddr, uint32_t spi, uint8_t proto)
{
	struct xfrm_state *x = xfrm_state_get(st, daddr, spi, proto);

	if (!x)
		return -ESRCH;
	xfrm_state_delete(st, x);
	return 0;
}

static bool proto_match(const struct xfrm_state *x, uint8_t proto)
{
	return proto == 0 || proto == XFRM_PROTO_ANY || x->c.id.proto == proto;
}

int xfrm_state_foreach(struct stack *st, uint8_t proto,
		       int (*fn)(struct stack *st, struct xfrm_state *x, void *ctx), void *ctx)
{
	struct dlist *head = &st->sad->all, *pos = head->next, *next;

	while (pos != head) {
		struct xfrm_state *x = dlist_entry(pos, struct xfrm_state, all);
		int rc;

		if (x->state == XFRM_STATE_DEAD || !proto_match(x, proto)) {
			pos = pos->next;
			continue;
		}
		/* Held, @x stays on the list whatever @fn deletes, so its successor is valid. */
		xfrm_state_hold(x);
		rc = fn(st, x, ctx);
		next = x->all.next;
		xfrm_state_put(x);
		if (rc)
			return rc;
		pos = next;
	}
	return 0;
}

static int flush_one(struct stack *st, struct xfrm_state *x, void *ctx)
{
	unsigned *n = ctx;

	sad_unlink(st, x);
	xfrm_state_put(x);
	(*n)++;
	return 0;
}

unsigned xfrm_state_flush(struct stack *st, uint8_t proto)
{
	struct xfrm_event ev = { .type = XFRM_EV_FLUSH, .proto = proto == XFRM_PROTO_ANY ? 0 : proto };
	unsigned n = 0;

	xfrm_state_foreach(st, proto, flush_one, &n);
	STAT_ADD(st, xfrm_sa_deleted, n);
	sad_announce_ev(st, &ev);
	return n;
}

void xfrm_state_walk_init(struct xfrm_state_walk *w, uint8_t proto)
{
	*w = (struct xfrm_state_walk){ .proto = proto };
}

/* Dead SAs stay on the creation-order list while held, so the held one is a valid place to resume. */
struct xfrm_state *xfrm_state_walk_next(struct stack *st, struct xfrm_state_walk *w)
{
	struct dlist *head = &st->sad->all;
	struct dlist *pos = w->last ? w->last->all.next : head->next;

	if (w->done)
		return NULL;
	for (; pos != head; pos = pos->next) {
		struct xfrm_state *x = dlist_entry(pos, struct xfrm_state, all);

		if (x->state == XFRM_STATE_DEAD || !proto_match(x, w->proto))
			continue;
		xfrm_state_hold(x);
		if (w->last)
			xfrm_state_put(w->last);
		w->last = x;
		return x;
	}
	xfrm_state_walk_done(w);
	w->done = true;
	return NULL;
}

void xfrm_state_walk_done(struct xfrm_state_walk *w)
{
	if (w->last)
		xfrm_state_put(w->last);
	w->last = NULL;
}
