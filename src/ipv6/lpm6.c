#include "ipv6/lpm6.h"
#include <stdlib.h>

/* See lpm6.h for the shape. Bits are numbered from the top of the address. */

#define ROOT_BITS 16
#define NODE_BITS 8
#define LPM6_BUCKET_MAX 8
#define TAG_BUCKET ((uintptr_t)1)

struct lpm6_entry {
	struct lpm6_pfx *pfx;      /* longest prefix ending in this node covering the entry */
	uintptr_t child;           /* struct lpm6_node *, or struct bucket * | TAG_BUCKET */
};

struct lpm6_node {
	uint8_t off, bits;         /* the stride: address bits [off, off + bits) */
	uint32_t used;             /* prefixes ending here + children */
	struct lpm6_entry e[];
};

/* Masks kept inline so a scan touches only the bucket's own lines. */
struct bitem {
	uint64_t hi, lo, mhi, mlo;
	struct lpm6_val v;         /* copy of v of the prefix, v.pfx is the prefix */
};

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

static struct lpm6_node *node_new(unsigned off, unsigned bits)
{
	struct lpm6_node *n = calloc(1, sizeof(*n) + ((size_t)1 << bits) * sizeof(n->e[0]));

	if (n) {
		n->off = (uint8_t)off;
		n->bits = (uint8_t)bits;
	}
	return n;
}

static void child_free(uintptr_t c)
{
	if (!c)
		return;
	if (c & TAG_BUCKET) {
		free((void *)(c & ~TAG_BUCKET));
		return;
	}
	struct lpm6_node *n = (struct lpm6_node *)c;
	for (size_t i = 0; i < ((size_t)1 << n->bits); i++)
		child_free(n->e[i].child);
	free(n);
}

static struct bucket *bucket_add(struct bucket *b, struct lpm6_pfx *p)
{
	uint32_t n = b ? b->n : 0, cap = b ? b->cap : 0, i;

	if (n == cap) {
		cap = cap ? cap * 2 : 2;
		struct bucket *nb = realloc(b, sizeof(*nb) + cap * sizeof(nb->it[0]));
		if (!nb)
			return NULL;
		if (!b)
			nb->n = 0;
		b = nb;
		b->cap = cap;
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

/* Turns a full bucket plus @p into a node one stride down; the bucket stays on failure. */
static int bucket_split(struct lpm6_entry *e, unsigned off, struct lpm6_pfx *p)
{
	struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);
	struct lpm6_node *c = node_new(off, NODE_BITS);
	int err = c ? node_insert(c, p) : -ENOMEM;

	for (uint32_t i = 0; i < b->n && !err; i++)
		err = node_insert(c, b->it[i].v.pfx);
	if (err) {
		child_free((uintptr_t)c);
		return err;
	}
	free(b);
	e->child = (uintptr_t)c;
	return 0;
}

static int node_insert(struct lpm6_node *n, struct lpm6_pfx *p)
{
	for (;;) {
		unsigned end = n->off + n->bits, first;

		if (p->plen <= end) {
			size_t span = pfx_span(n, p, &first);

			/* Controlled prefix expansion: the longer prefix owns the entry. */
			for (size_t i = first; i < first + span; i++)
				if (!n->e[i].pfx || n->e[i].pfx->plen < p->plen)
					n->e[i].pfx = p;
			n->used++;
			return 0;
		}
		struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

		if (e->child && !(e->child & TAG_BUCKET)) {
			n = (struct lpm6_node *)e->child;
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

/* Removes @p below @n; true if @n is left empty (the caller frees it). */
static bool node_remove(const struct lpm6 *t, struct lpm6_node *n, const struct lpm6_pfx *p)
{
	unsigned end = n->off + n->bits, first;

	if (p->plen <= end) {
		size_t span = pfx_span(n, p, &first);

		for (size_t i = first; i < first + span; i++)
			if (n->e[i].pfx == p)
				n->e[i].pfx = entry_cover(t, n, (unsigned)i, p);
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
	} else if (node_remove(t, (struct lpm6_node *)e->child, p)) {
		free((void *)e->child);
	} else {
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
	t->root = node_new(0, ROOT_BITS);
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
	const struct lpm6_pfx *best = t->dflt;

	for (;;) {
		if (e->pfx)
			best = e->pfx;
		if (!e->child)
			return best ? &best->v : NULL;
		if (e->child & TAG_BUCKET)
			break;
		const struct lpm6_node *n = (const struct lpm6_node *)e->child;
		e = &n->e[bits_at(hi, lo, n->off, NODE_BITS)];
	}
	/* Longest first: the first hit is the longest match below this entry. */
	const struct bucket *b = (const struct bucket *)(e->child & ~TAG_BUCKET);
	for (uint32_t i = 0; i < b->n; i++) {
		const struct bitem *it = &b->it[i];

		if ((((hi ^ it->hi) & it->mhi) | ((lo ^ it->lo) & it->mlo)) == 0)
			return &it->v;
	}
	return best ? &best->v : NULL;
}

void lpm6_set_val(struct lpm6 *t, struct lpm6_pfx *p, const void *val, uint64_t expires)
{
	struct lpm6_node *n = t->root;

	p->v = (struct lpm6_val){ val, expires, p };
	if (p->plen == 0)
		return;
	/* Prefixes ending in a node are reached through the node; only a bucket holds a copy. */
	while (p->plen > n->off + n->bits) {
		struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

		if (!e->child)
			return;
		if (!(e->child & TAG_BUCKET)) {
			n = (struct lpm6_node *)e->child;
			continue;
		}
		struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);
		for (uint32_t i = 0; i < b->n; i++)
			if (b->it[i].v.pfx == p)
				b->it[i].v = p->v;
		return;
	}
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
