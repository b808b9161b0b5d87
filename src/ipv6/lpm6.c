#include "ipv6/lpm6.h"
#include <stdlib.h>

/* See lpm6.h for the shape. Bits are numbered from the top of the address. */

#define ROOT_BITS 16
#define NODE_BITS 8
#define LPM6_BUCKET_MAX 8
#define TAG_BUCKET ((uintptr_t)1)
#define TAG_SKIP ((uintptr_t)2)
#define TAG_MASK (TAG_BUCKET | TAG_SKIP)
#define NODE_ALIGN 64

/*
 * v.pfx is the longest prefix ending in this node that covers the entry and
 * v a copy of its value, so a match ending in a node reads no prefix object.
 */
struct lpm6_entry {
	struct lpm6_val v;         /* all zero if no prefix covers the entry */
	uintptr_t child;           /* node (| TAG_SKIP), or struct bucket * | TAG_BUCKET */
};

/*
 * The root covers bits [0, ROOT_BITS); every other node is NODE_BITS wide
 * and starts on a stride boundary (ROOT_BITS + k * NODE_BITS). A plain child
 * starts where its parent ends, so lpm6_match() tracks the offset itself and
 * never reads its header. Path compression: when the levels between a
 * parent and a node would each hold a single child and no prefix, the
 * parent links the node directly, tagged TAG_SKIP, and the lookup checks the
 * skipped bits against the node's key (in the header, which shares the line
 * of the first entries). Invariant: no prefix ends in a skipped level, and
 * every address below a TAG_SKIP link carries the node's key.
 */
struct lpm6_node {
	uint8_t off, bits;         /* the stride: address bits [off, off + bits) */
	uint32_t used;             /* prefixes ending here + children */
	uint64_t khi, klo;         /* address bits [0, off), masked */
	void *mem;                 /* what to free: the node is aligned inside it */
	struct lpm6_entry e[];     /* two to a cache line */
};
_Static_assert(sizeof(struct lpm6_entry) == 32 && offsetof(struct lpm6_node, e) == 32,
	       "entries must not straddle cache lines");

/* Masks kept inline so a scan touches only the bucket's own lines. */
struct bitem {
	uint64_t hi, lo, mhi, mlo;
	struct lpm6_val v;         /* copy of v of the prefix, v.pfx is the prefix */
};

/*
 * Cache-line aligned: the header and the first item (56 bytes) fill one
 * line, the next item the next, and most buckets hold one or two items.
 */
#define BUCKET_ALIGN 64
struct bucket {
	uint32_t n, cap;           /* items sorted longest prefix first */
	struct bitem it[];
};

struct lpm6 {
	struct lpm6_node *root;
	struct lpm6_pfx *dflt;     /* ::/0 */
	struct siphash_key key;
	struct lpm6_pfx **hash;
	unsigned hmask, count;
};

static inline uint64_t load_be64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint64_t mask64(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
}

static inline void pfx_masks(unsigned plen, uint64_t *mhi, uint64_t *mlo)
{
	*mhi = mask64(plen);
	*mlo = plen > 64 ? mask64(plen - 64) : 0;
}

void lpm6_key(struct lpm6_pfx *p, const struct in6_addr *a, unsigned plen)
{
	uint64_t mhi, mlo;

	pfx_masks(plen, &mhi, &mlo);
	p->hi = load_be64(a->s6_addr) & mhi;
	p->lo = load_be64(a->s6_addr + 8) & mlo;
	p->plen = (uint8_t)plen;
}

void lpm6_key_to_addr(const struct lpm6_pfx *p, struct in6_addr *a)
{
	for (int i = 0; i < 8; i++) {
		a->s6_addr[i] = (uint8_t)(p->hi >> (56 - 8 * i));
		a->s6_addr[8 + i] = (uint8_t)(p->lo >> (56 - 8 * i));
	}
}

/* Address bits [off, off + bits) as an index; strides never straddle bit 64. */
static inline unsigned bits_at(uint64_t hi, uint64_t lo, unsigned off, unsigned bits)
{
	uint64_t w = off < 64 ? hi << off : lo << (off - 64);

	return (unsigned)(w >> (64 - bits));
}

/* ---- exact-match hash ---- */

static unsigned hash_slot(const struct lpm6 *t, const struct lpm6_pfx *k)
{
	uint8_t buf[17];

	memcpy(buf, &k->hi, 8);
	memcpy(buf + 8, &k->lo, 8);
	buf[16] = k->plen;
	return (unsigned)siphash13(&t->key, buf, sizeof(buf)) & t->hmask;
}

struct lpm6_pfx *lpm6_find(const struct lpm6 *t, const struct lpm6_pfx *k)
{
	for (struct lpm6_pfx *p = t->hash[hash_slot(t, k)]; p; p = p->hnext)
		if (p->hi == k->hi && p->lo == k->lo && p->plen == k->plen)
			return p;
	return NULL;
}

static int hash_grow(struct lpm6 *t)
{
	unsigned old = t->hmask + 1, size = old * 2;
	struct lpm6_pfx **nh = calloc(size, sizeof(*nh)), **oh = t->hash;

	if (!nh)
		return -ENOMEM;
	t->hash = nh;
	t->hmask = size - 1;
	for (unsigned i = 0; i < old; i++) {
		for (struct lpm6_pfx *p = oh[i], *next; p; p = next) {
			unsigned s = hash_slot(t, p);

			next = p->hnext;
			p->hnext = nh[s];
			nh[s] = p;
		}
	}
	free(oh);
	return 0;
}

static void hash_unlink(struct lpm6 *t, struct lpm6_pfx *p)
{
	struct lpm6_pfx **pp = &t->hash[hash_slot(t, p)];

	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	p->hnext = NULL;
}

/* ---- nodes and buckets ---- */

/* Key bits [0, off) of the node are taken from @hi/@lo. */
static struct lpm6_node *node_new(unsigned off, unsigned bits, uint64_t hi, uint64_t lo)
{
	size_t size = sizeof(struct lpm6_node) + ((size_t)1 << bits) * sizeof(struct lpm6_entry);
	void *mem = calloc(1, size + NODE_ALIGN); /* calloc: a big root stays lazily zeroed */
	struct lpm6_node *n;
	uint64_t mhi, mlo;

	if (!mem)
		return NULL;
	n = (struct lpm6_node *)(((uintptr_t)mem + NODE_ALIGN - 1) & ~(uintptr_t)(NODE_ALIGN - 1));
	pfx_masks(off, &mhi, &mlo);
	n->off = (uint8_t)off;
	n->bits = (uint8_t)bits;
	n->khi = hi & mhi;
	n->klo = lo & mlo;
	n->mem = mem;
	return n;
}

static void node_free(struct lpm6_node *n)
{
	free(n->mem);
}

static inline struct lpm6_node *child_node(uintptr_t c)
{
	return (struct lpm6_node *)(c & ~TAG_MASK);
}

/* How a node ending at @parent_end links @c. */
static inline uintptr_t node_link(struct lpm6_node *c, unsigned parent_end)
{
	return (uintptr_t)c | (c->off > parent_end ? TAG_SKIP : 0);
}

/* True if address (@hi, @lo) carries the key of @n, bits [0, n->off). */
static inline bool key_in(const struct lpm6_node *n, uint64_t hi, uint64_t lo)
{
	uint64_t mhi = n->off >= 64 ? ~0ULL : ~0ULL << (64 - n->off);
	uint64_t mlo = n->off <= 64 ? 0 : ~0ULL << (128 - n->off);

	return (((hi ^ n->khi) & mhi) | ((lo ^ n->klo) & mlo)) == 0;
}

static void child_free(uintptr_t c)
{
	if (!c)
		return;
	if (c & TAG_BUCKET) {
		free((void *)(c & ~TAG_BUCKET));
		return;
	}
	struct lpm6_node *n = child_node(c);
	for (size_t i = 0; i < ((size_t)1 << n->bits); i++)
		child_free(n->e[i].child);
	node_free(n);
}

/*
 * The first stride boundary s in [@from, @upto) where @p ends (plen <= s +
 * NODE_BITS) or its stride bits differ from (@hi, @lo); @upto if none.
 * @p and (@hi, @lo) must agree on bits [0, from).
 */
static unsigned split_level(const struct lpm6_pfx *p, uint64_t hi, uint64_t lo,
			    unsigned from, unsigned upto)
{
	unsigned s = from;

	while (s < upto && p->plen > s + NODE_BITS &&
	       bits_at(p->hi, p->lo, s, NODE_BITS) == bits_at(hi, lo, s, NODE_BITS))
		s += NODE_BITS;
	return s;
}

/* A copy of @b (may be NULL) with room for @cap items; NULL on ENOMEM, @b left intact. */
static struct bucket *bucket_realloc(struct bucket *b, uint32_t cap)
{
	size_t size = sizeof(*b) + cap * sizeof(b->it[0]);
	struct bucket *nb = aligned_alloc(BUCKET_ALIGN, (size + BUCKET_ALIGN - 1) & ~(size_t)(BUCKET_ALIGN - 1));

	if (!nb)
		return NULL;
	nb->n = 0;
	if (b) {
		memcpy(nb, b, sizeof(*b) + b->n * sizeof(b->it[0]));
		free(b);
	}
	nb->cap = cap;
	return nb;
}

static struct bucket *bucket_add(struct bucket *b, struct lpm6_pfx *p)
{
	uint32_t n = b ? b->n : 0, cap = b ? b->cap : 0, i;

	if (n == cap) {
		b = bucket_realloc(b, cap ? cap * 2 : 2);
		if (!b)
			return NULL;
	}
	for (i = b->n; i > 0 && b->it[i - 1].v.pfx->plen < p->plen; i--)
		b->it[i] = b->it[i - 1];
	b->it[i] = (struct bitem){ .hi = p->hi, .lo = p->lo, .v = p->v };
	b->it[i].v.pfx = p;
	pfx_masks(p->plen, &b->it[i].mhi, &b->it[i].mlo);
	b->n++;
	return b;
}

static void bucket_del(struct bucket *b, const struct lpm6_pfx *p)
{
	uint32_t i = 0;

	while (i < b->n && b->it[i].v.pfx != p)
		i++;
	if (i == b->n)
		return;
	memmove(&b->it[i], &b->it[i + 1], (b->n - i - 1) * sizeof(b->it[0]));
	b->n--;
}

/* Entries of @n covered by @p, which ends in @n: [*first, *first + return). */
static size_t pfx_span(const struct lpm6_node *n, const struct lpm6_pfx *p, unsigned *first)
{
	*first = bits_at(p->hi, p->lo, n->off, n->bits);
	return (size_t)1 << (n->off + n->bits - p->plen);
}

static int node_insert(struct lpm6_node *n, struct lpm6_pfx *p);

/*
 * Turns a full bucket at an entry of a node ending at @off, plus @p, into a
 * node: at the deepest stride boundary that all of them pass through, linked
 * with TAG_SKIP if that is below @off. The bucket stays on failure.
 */
static int bucket_split(struct lpm6_entry *e, unsigned off, struct lpm6_pfx *p)
{
	struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);
	unsigned s = split_level(p, p->hi, p->lo, off, 128);

	for (uint32_t i = 0; i < b->n; i++)
		s = split_level(b->it[i].v.pfx, p->hi, p->lo, off, s);
	struct lpm6_node *c = node_new(s, NODE_BITS, p->hi, p->lo);
	int err = c ? node_insert(c, p) : -ENOMEM;

	for (uint32_t i = 0; i < b->n && !err; i++)
		err = node_insert(c, b->it[i].v.pfx);
	if (err) {
		child_free((uintptr_t)c);
		return err;
	}
	free(b);
	e->child = node_link(c, off);
	return 0;
}

/*
 * @p must go below the TAG_SKIP link at @e (of a node ending at @end) to @c
 * but leaves @c's key or ends above @c: a node goes in where they part,
 * holding @c (linked with TAG_SKIP if still below). Returns it, NULL on ENOMEM.
 */
static struct lpm6_node *skip_split(struct lpm6_entry *e, unsigned end, struct lpm6_node *c,
				    const struct lpm6_pfx *p)
{
	unsigned s = split_level(p, c->khi, c->klo, end, c->off);
	struct lpm6_node *m = node_new(s, NODE_BITS, c->khi, c->klo);

	if (!m)
		return NULL;
	m->e[bits_at(c->khi, c->klo, s, NODE_BITS)].child = node_link(c, s + NODE_BITS);
	m->used = 1;
	e->child = node_link(m, end);
	return m;
}

static int node_insert(struct lpm6_node *n, struct lpm6_pfx *p)
{
	for (;;) {
		unsigned end = n->off + n->bits, first;

		if (p->plen <= end) {
			size_t span = pfx_span(n, p, &first);

			/* Controlled prefix expansion: the longer prefix owns the entry. */
			for (size_t i = first; i < first + span; i++) {
				if (!n->e[i].v.pfx || n->e[i].v.pfx->plen < p->plen) {
					n->e[i].v = p->v;
					n->e[i].v.pfx = p;
				}
			}
			n->used++;
			return 0;
		}
		struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

		if (e->child && !(e->child & TAG_BUCKET)) {
			struct lpm6_node *c = child_node(e->child);

			if ((e->child & TAG_SKIP) && !(p->plen > c->off && key_in(c, p->hi, p->lo))) {
				c = skip_split(e, end, c, p);
				if (!c)
					return -ENOMEM;
			}
			n = c;
			continue;
		}
		struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);

		if (b && b->n >= LPM6_BUCKET_MAX)
			return bucket_split(e, end, p);
		b = bucket_add(b, p);
		if (!b)
			return -ENOMEM;
		if (!e->child)
			n->used++;
		e->child = (uintptr_t)b | TAG_BUCKET;
		return 0;
	}
}

/* Longest prefix other than @gone ending in @n that covers entry @idx (hash probes). */
static struct lpm6_pfx *entry_cover(const struct lpm6 *t, const struct lpm6_node *n,
				    unsigned idx, const struct lpm6_pfx *gone)
{
	struct lpm6_pfx k = { .hi = gone->hi, .lo = gone->lo };
	unsigned shift = 64 - n->bits - (n->off % 64);
	uint64_t *w = n->off < 64 ? &k.hi : &k.lo;

	*w = (*w & ~(mask64(n->bits) >> (n->off % 64))) | (uint64_t)idx << shift;
	for (unsigned len = gone->plen - 1; len > n->off; len--) {
		struct lpm6_pfx q;
		struct in6_addr a;

		lpm6_key_to_addr(&k, &a);
		lpm6_key(&q, &a, len);
		struct lpm6_pfx *hit = lpm6_find(t, &q);
		if (hit)
			return hit;
	}
	return NULL;
}

/*
 * Re-compresses after a delete: if the node linked from @e (of a node ending
 * at @end) holds nothing but one child node, @e links that child directly.
 */
static void merge_single(struct lpm6_entry *e, unsigned end)
{
	struct lpm6_node *c = child_node(e->child);

	if (c->used != 1)
		return;
	for (size_t i = 0; i < ((size_t)1 << c->bits); i++) {
		uintptr_t g = c->e[i].child;

		if (!g)
			continue;
		/* used == 1 and a child: no prefix ends in @c. A bucket stays where it is. */
		if (!(g & TAG_BUCKET)) {
			e->child = node_link(child_node(g), end);
			node_free(c);
		}
		return;
	}
}

/* Removes @p below @n; true if @n is left empty (the caller frees it). */
static bool node_remove(const struct lpm6 *t, struct lpm6_node *n, const struct lpm6_pfx *p)
{
	unsigned end = n->off + n->bits, first;

	if (p->plen <= end) {
		size_t span = pfx_span(n, p, &first);

		for (size_t i = first; i < first + span; i++) {
			if (n->e[i].v.pfx != p)
				continue;
			struct lpm6_pfx *q = entry_cover(t, n, (unsigned)i, p);
			n->e[i].v = q ? q->v : (struct lpm6_val){ 0 };
			n->e[i].v.pfx = q;
		}
		return --n->used == 0;
	}
	struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

	if (!e->child)
		return false;
	if (e->child & TAG_BUCKET) {
		struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);

		bucket_del(b, p);
		if (b->n)
			return false;
		free(b);
	} else if (node_remove(t, child_node(e->child), p)) {
		node_free(child_node(e->child));
	} else {
		merge_single(e, end);
		return false;
	}
	e->child = 0;
	return --n->used == 0;
}

/* ---- API ---- */

struct lpm6 *lpm6_new(const struct siphash_key *key)
{
	struct lpm6 *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->key = *key;
	t->hmask = 63;
	t->hash = calloc(t->hmask + 1, sizeof(*t->hash));
	t->root = node_new(0, ROOT_BITS, 0, 0);
	if (!t->hash || !t->root) {
		lpm6_free(t);
		return NULL;
	}
	return t;
}

void lpm6_free(struct lpm6 *t)
{
	if (!t)
		return;
	if (t->root)
		child_free((uintptr_t)t->root);
	free(t->hash);
	free(t);
}

int lpm6_insert(struct lpm6 *t, struct lpm6_pfx *p)
{
	unsigned s;

	if (t->count > t->hmask && hash_grow(t) < 0)
		return -ENOMEM;
	if (p->plen > 0) {
		int err = node_insert(t->root, p);
		if (err)
			return err;
	} else {
		t->dflt = p;
	}
	s = hash_slot(t, p);
	p->hnext = t->hash[s];
	t->hash[s] = p;
	t->count++;
	return 0;
}

void lpm6_remove(struct lpm6 *t, struct lpm6_pfx *p)
{
	/* Unhash first: entry_cover() must not find @p again. */
	hash_unlink(t, p);
	t->count--;
	if (p->plen == 0)
		t->dflt = NULL;
	else
		node_remove(t, t->root, p); /* the root stays even when empty */
}

const struct lpm6_val *lpm6_match(const struct lpm6 *t, const struct in6_addr *a)
{
	uint64_t hi = load_be64(a->s6_addr), lo = load_be64(a->s6_addr + 8);
	const struct lpm6_entry *e = &t->root->e[hi >> (64 - ROOT_BITS)];
	const struct lpm6_val *best = t->dflt ? &t->dflt->v : NULL;
	unsigned off = ROOT_BITS;   /* where the node below @e starts, unless skipped */
	uintptr_t c;

	for (;;) {
		c = e->child;
		if (e->v.pfx)
			best = &e->v;
		if (!c)
			return best;
		if (c & TAG_BUCKET)
			break;
		const struct lpm6_node *n = child_node(c);
		if (c & TAG_SKIP) {
			if (!key_in(n, hi, lo))
				return best;
			off = n->off;
		}
		e = &n->e[bits_at(hi, lo, off, NODE_BITS)];
		off += NODE_BITS;
	}
	/* Longest first: the first hit is the longest match below this entry. */
	const struct bucket *b = (const struct bucket *)(c & ~TAG_BUCKET);
	for (uint32_t i = 0; i < b->n; i++) {
		const struct bitem *it = &b->it[i];

		if ((((hi ^ it->hi) & it->mhi) | ((lo ^ it->lo) & it->mlo)) == 0)
			return &it->v;
	}
	return best;
}

void lpm6_set_val(struct lpm6 *t, struct lpm6_pfx *p, const void *val, uint64_t expires)
{
	struct lpm6_node *n = t->root;

	p->v = (struct lpm6_val){ val, expires, p };
	if (p->plen == 0)
		return;
	/* The copies: in the entries of the node @p ends in, or in its bucket. */
	while (p->plen > n->off + n->bits) {
		struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

		if (!e->child)
			return;
		if (!(e->child & TAG_BUCKET)) {
			n = child_node(e->child);
			continue;
		}
		struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);
		for (uint32_t i = 0; i < b->n; i++)
			if (b->it[i].v.pfx == p)
				b->it[i].v = p->v;
		return;
	}
	unsigned first;
	size_t span = pfx_span(n, p, &first);
	for (size_t i = first; i < first + span; i++)
		if (n->e[i].v.pfx == p)
			n->e[i].v = p->v;
}

struct lpm6_pfx *lpm6_match_shorter(const struct lpm6 *t, const struct in6_addr *a, unsigned plen)
{
	while (plen-- > 0) {
		struct lpm6_pfx k;
		struct lpm6_pfx *hit;

		lpm6_key(&k, a, plen);
		hit = lpm6_find(t, &k);
		if (hit)
			return hit;
	}
	return NULL;
}

void lpm6_walk(const struct lpm6 *t, void (*fn)(void *ctx, struct lpm6_pfx *p), void *ctx)
{
	for (unsigned i = 0; i <= t->hmask; i++)
		for (struct lpm6_pfx *p = t->hash[i]; p; p = p->hnext)
			fn(ctx, p);
}

unsigned lpm6_count(const struct lpm6 *t) { return t->count; }

unsigned lpm6_depth(const struct lpm6 *t, const struct in6_addr *a)
{
	uint64_t hi = load_be64(a->s6_addr), lo = load_be64(a->s6_addr + 8);
	const struct lpm6_entry *e = &t->root->e[hi >> (64 - ROOT_BITS)];
	unsigned d = 1;

	while (e->child && !(e->child & TAG_BUCKET)) {
		const struct lpm6_node *n = child_node(e->child);

		if (!key_in(n, hi, lo))
			break;
		e = &n->e[bits_at(hi, lo, n->off, NODE_BITS)];
		d++;
	}
	return d;
}
