#include "ipv6/lpm6.h"
#include <stdlib.h>
#include <sys/mman.h>

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
 * Where no prefix covers the entry and a bucket hangs below, the entry says
 * instead which top bits every prefix in the bucket starts with: most
 * addresses that reach a bucket match none of it (random tables leave one
 * or two prefixes per root entry), and the filter spares them the read of
 * a bucket that is rarely cached.
 */
struct lpm6_entry {
	union {
		struct lpm6_val v;
		struct {
			uint64_t hi, mask; /* address bits [0, 64) under mask, as in every item below */
			const void *pfx;   /* NULL, as v.pfx */
		} f;
	};
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
	void *mem;                 /* what to free (the node is aligned inside it); NULL: the node arena's */
	struct lpm6_entry e[];     /* two to a cache line */
};
_Static_assert(sizeof(struct lpm6_entry) == 32 && offsetof(struct lpm6_node, e) == 32,
	       "entries must not straddle cache lines");

/*
 * Masks kept inline so a scan touches only the bucket's own lines. A table
 * with a payload (lpm6_new_payload) follows each item with a copy of it.
 */
struct bitem {
	uint64_t hi, lo, mhi, mlo;
	struct lpm6_val v;         /* copy of v of the prefix, v.pfx is the prefix */
};

/*
 * Cache-line aligned: the header and the first item (56 bytes) fill one
 * line, the next item the next, and most buckets hold one or two items.
 * Items are t->isz apart (sizeof(struct bitem) plus the payload): reach
 * them through item(), never by indexing.
 */
#define BUCKET_ALIGN 64
struct bucket {
	uint32_t n, cap;           /* items sorted longest prefix first */
	unsigned char it[] __attribute__((aligned(8)));
};

/*
 * Buckets come from chunks the table owns, by size class (64 << k bytes),
 * freed ones kept on a list per class for reuse; chunks go back only with
 * the table. A lookup's one random read is a bucket, and with 4 KiB pages
 * a big table's buckets cost a TLB miss each (a long one under a
 * hypervisor): so chunks grow to 2 MiB, aligned, and are offered to the
 * kernel as huge pages. A small table stays in one small chunk.
 */
#define ARENA_FIRST (16u << 10)
#define ARENA_HUGE (2u << 20)
#define ARENA_CLASSES 6            /* 64 .. 2048 bytes */

struct arena {
	void **chunks;
	unsigned nchunks, cap;
	unsigned char *cur, *end;  /* the unused part of the last chunk */
	void *free[ARENA_CLASSES];
};

struct lpm6 {
	struct lpm6_node *root;
	struct lpm6_pfx *dflt;     /* ::/0 */
	unsigned isz, psize;       /* bucket item stride; payload bytes after each lpm6_pfx */
	struct siphash_key key;
	struct lpm6_pfx **hash;
	unsigned hmask, count;
	struct arena mem;          /* buckets */
	struct arena nodes;        /* nodes but the root, likewise: a lookup's reads of them are random too */
	void *root_map;            /* NULL, or the root's own mapping (root_promote) */
	uint64_t *rootw;           /* NULL, or a word per root entry (root_promote, see RW_*) */
};

_Static_assert(sizeof(struct bucket) + LPM6_BUCKET_MAX * (sizeof(struct bitem) + LPM6_PAYLOAD_MAX) <=
	       (size_t)64 << (ARENA_CLASSES - 1), "the largest bucket fits the largest size class");

static inline struct bitem *item(const struct lpm6 *t, const struct bucket *b, uint32_t i)
{
	return (struct bitem *)(uintptr_t)(b->it + (size_t)i * t->isz);
}

/* Refreshes the copy of @p (its value and payload) in bucket item @it. */
static void item_fill(const struct lpm6 *t, struct bitem *it, struct lpm6_pfx *p)
{
	it->v = p->v;
	it->v.pfx = p;
	memcpy(it + 1, p + 1, t->psize);
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
	p->hi = get_be64(a->s6_addr) & mhi;
	p->lo = get_be64(a->s6_addr + 8) & mlo;
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

/* ---- bucket memory ---- */

static unsigned size_class(size_t size)
{
	unsigned k = 0;

	while (((size_t)64 << k) < size)
		k++;
	return k;
}

static int arena_grow(struct arena *a, size_t need)
{
	size_t size = a->nchunks ? MIN((size_t)ARENA_HUGE, (size_t)ARENA_FIRST << a->nchunks) : ARENA_FIRST;
	void *c;

	if (a->nchunks == a->cap) {
		unsigned cap = a->cap ? a->cap * 2 : 8;
		void **nc = realloc(a->chunks, cap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		a->chunks = nc;
		a->cap = cap;
	}
	size = MAX(size, need);
	c = aligned_alloc(size >= ARENA_HUGE ? ARENA_HUGE : BUCKET_ALIGN, size);
	if (!c)
		return -ENOMEM;
#ifdef MADV_HUGEPAGE
	if (size >= ARENA_HUGE)
		madvise(c, size, MADV_HUGEPAGE);    /* advice only: 4 KiB pages work too */
#endif
	a->chunks[a->nchunks++] = c;
	a->cur = c;
	a->end = a->cur + size;
	return 0;
}

/* Room for @size bytes (<= 64 << (ARENA_CLASSES - 1)), 64-byte aligned; NULL on ENOMEM. */
static void *arena_alloc(struct arena *a, size_t size)
{
	unsigned k = size_class(size);
	size_t bytes = (size_t)64 << k;
	void *p = a->free[k];

	if (p) {
		memcpy(&a->free[k], p, sizeof(void *));
		return p;
	}
	if ((size_t)(a->end - a->cur) < bytes && arena_grow(a, bytes) < 0)
		return NULL;
	p = a->cur;
	a->cur += bytes;
	return p;
}

static void arena_free(struct arena *a, void *p, size_t size)
{
	unsigned k = size_class(size);

	memcpy(p, &a->free[k], sizeof(void *));
	a->free[k] = p;
}

static void arena_fini(struct arena *a)
{
	for (unsigned i = 0; i < a->nchunks; i++)
		free(a->chunks[i]);
	free(a->chunks);
}

static size_t bucket_size(const struct lpm6 *t, uint32_t cap);

static void bucket_free(struct lpm6 *t, struct bucket *b)
{
	arena_free(&t->mem, b, bucket_size(t, b->cap));
}

/* ---- nodes and buckets ---- */

#define NODE_SIZE ((sizeof(struct lpm6_node) + ((size_t)1 << NODE_BITS) * sizeof(struct lpm6_entry) + 63) & ~(size_t)63)

/* Zeroed room for a NODE_BITS node from the table's node arena (all one size, one free list). */
static void *node_mem(struct lpm6 *t)
{
	struct arena *a = &t->nodes;
	void *p = a->free[0];

	if (p)
		memcpy(&a->free[0], p, sizeof(void *));
	else if ((size_t)(a->end - a->cur) < NODE_SIZE && arena_grow(a, NODE_SIZE) < 0)
		return NULL;
	else {
		p = a->cur;
		a->cur += NODE_SIZE;
	}
	memset(p, 0, NODE_SIZE);
	return p;
}

/*
 * Key bits [0, off) of the node are taken from @hi/@lo. The root comes
 * from calloc (mem set: a big root stays lazily zeroed), the others from
 * the node arena (mem NULL).
 */
static struct lpm6_node *node_new(struct lpm6 *t, unsigned off, unsigned bits, uint64_t hi, uint64_t lo)
{
	size_t size = sizeof(struct lpm6_node) + ((size_t)1 << bits) * sizeof(struct lpm6_entry);
	void *mem = NULL;
	struct lpm6_node *n;
	uint64_t mhi, mlo;

	if (bits == NODE_BITS) {
		n = node_mem(t);
	} else {
		mem = calloc(1, size + NODE_ALIGN);
		n = mem ? (struct lpm6_node *)(((uintptr_t)mem + NODE_ALIGN - 1) & ~(uintptr_t)(NODE_ALIGN - 1)) : NULL;
	}
	if (!n)
		return NULL;
	pfx_masks(off, &mhi, &mlo);
	n->off = (uint8_t)off;
	n->bits = (uint8_t)bits;
	n->khi = hi & mhi;
	n->klo = lo & mlo;
	n->mem = mem;
	return n;
}

/*
 * A big table's root in a word per entry, beside the root (512 KiB instead
 * of the root's 2 MiB, so the SPD's two families' words stay cached where
 * their roots would not): the entry's child (tags and all: children are
 * 64-byte aligned and below 2^48), and for a bucket the part of its filter
 * in address bits [16, 32), in whole nibbles. RW_FAT sends the lookup to
 * the entry itself: a prefix covers it, or its child does not fit a word.
 */
static size_t pfx_span(const struct lpm6_node *n, const struct lpm6_pfx *p, unsigned *first);

#define RW_FAT ((uint64_t)4)
#define RW_NIB_SHIFT 3               /* bits 3..5: filter nibbles, 0..4 */
#define RW_CHILD (((uint64_t)1 << 48) - 64 + TAG_MASK)

static uint64_t rw_make(const struct lpm6_entry *e)
{
	uintptr_t ptr = e->child & ~TAG_MASK;
	uint64_t w = e->child;
	unsigned run;

	if (e->v.pfx || (uint64_t)ptr >> 48 || ptr % 64)
		return RW_FAT;
	if (!(e->child & TAG_BUCKET))
		return w;
	/* The filter fixes a leading run of bits, the root's 16 and more. */
	run = e->f.mask ? (unsigned)__builtin_popcountll(e->f.mask) : 0;
	run = run < 16 ? 0 : MIN(run, 32u) - 16;
	return w | (uint64_t)(run / 4) << RW_NIB_SHIFT | (e->f.hi << 16 & 0xffff000000000000ULL);
}

/* True if no prefix in the bucket of word @w can hold address bits @hi. */
static inline bool rw_filter_miss(uint64_t w, uint64_t hi)
{
	unsigned nib = (unsigned)(w >> RW_NIB_SHIFT) & 7;
	uint64_t m = nib ? ~0ULL << (64 - 4 * nib) : 0;

	return ((hi << 16 ^ w) & m) != 0;
}

/* After @p went in or out: the words of the root entries it touched. */
static void rw_sync(struct lpm6 *t, const struct lpm6_pfx *p)
{
	unsigned first = (unsigned)(p->hi >> (64 - ROOT_BITS));
	size_t span = 1;

	if (!t->rootw || p->plen == 0)
		return;
	if (p->plen <= ROOT_BITS)
		span = pfx_span(t->root, p, &first);
	for (size_t i = first; i < first + span; i++)
		t->rootw[i] = rw_make(&t->root->e[i]);
}

/*
 * A big table's root: every lookup reads a random entry of its 2 MiB, with
 * 4 KiB pages a TLB miss each (a long one under a hypervisor), and with
 * two big tables (the SPD's families) a miss more often than not. Once
 * the table holds ROOT_HUGE_AT prefixes the root moves to a mapping of its
 * own whose entries fill one 2 MiB page, offered as a huge page (the
 * header sits at the end of the 4 KiB page before). Small tables keep the
 * lazily zeroed calloc'd root: a huge page would be 2 MiB resident at the
 * first insert, in every table of every stack. Advice only: a table that
 * cannot have the mapping keeps the root it has.
 */
#define ROOT_HUGE_AT 4096
#define ROOT_MAP (ARENA_HUGE + 4096)

static void root_promote(struct lpm6 *t)
{
	size_t bytes = sizeof(struct lpm6_node) + ((size_t)1 << ROOT_BITS) * sizeof(struct lpm6_entry);
	size_t len = 2 * ARENA_HUGE + 4096;
	unsigned char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *page, *end;
	struct lpm6_node *n;

	_Static_assert(((size_t)1 << ROOT_BITS) * sizeof(struct lpm6_entry) == ARENA_HUGE, "root entries fill a huge page");
	if (raw == MAP_FAILED)
		return;
	page = (unsigned char *)(((uintptr_t)raw + 4096 + ARENA_HUGE - 1) & ~(uintptr_t)(ARENA_HUGE - 1));
	end = raw + len;
	if (page - 4096 > raw)
		munmap(raw, (size_t)(page - 4096 - raw));
	if (end > page + ARENA_HUGE)
		munmap(page + ARENA_HUGE, (size_t)(end - page - ARENA_HUGE));
#ifdef MADV_HUGEPAGE
	madvise(page, ARENA_HUGE, MADV_HUGEPAGE);
#endif
	n = (struct lpm6_node *)(page - offsetof(struct lpm6_node, e));
	memcpy(n, t->root, bytes);
	n->mem = NULL;
	free(t->root->mem);
	t->root = n;
	t->root_map = page - 4096;
	/* The words: a huge page of their own too (most of it never touched). */
	t->rootw = aligned_alloc(ARENA_HUGE, ARENA_HUGE);
	if (!t->rootw)
		return;
#ifdef MADV_HUGEPAGE
	madvise(t->rootw, ARENA_HUGE, MADV_HUGEPAGE);
#endif
	for (size_t i = 0; i < (size_t)1 << ROOT_BITS; i++)
		t->rootw[i] = rw_make(&n->e[i]);
}

static void node_free(struct lpm6 *t, struct lpm6_node *n)
{
	if (n == t->root && t->root_map) {
		munmap(t->root_map, ROOT_MAP);
		return;
	}
	if (n->mem) {
		free(n->mem);
		return;
	}
	memcpy(n, &t->nodes.free[0], sizeof(void *));
	t->nodes.free[0] = n;
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

static void child_free(struct lpm6 *t, uintptr_t c)
{
	if (!c)
		return;
	if (c & TAG_BUCKET) {
		bucket_free(t, (struct bucket *)(c & ~TAG_BUCKET));
		return;
	}
	struct lpm6_node *n = child_node(c);
	for (size_t i = 0; i < ((size_t)1 << n->bits); i++)
		child_free(t, n->e[i].child);
	node_free(t, n);
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

static size_t bucket_size(const struct lpm6 *t, uint32_t cap)
{
	return sizeof(struct bucket) + cap * t->isz;
}

/* Recomputes @e's bucket filter; to be called whenever its bucket or its v.pfx changes. */
static void entry_filter(const struct lpm6 *t, struct lpm6_entry *e)
{
	const struct bucket *b = (const struct bucket *)(e->child & ~TAG_BUCKET);
	uint64_t hi = 0, mask = ~0ULL;

	if (e->v.pfx || !(e->child & TAG_BUCKET))
		return;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct bitem *it = item(t, b, i);
		uint64_t diff = i ? (it->hi ^ hi) & mask : 0;

		/* Keep the bits all items fix and agree on: the common leading run. */
		mask &= it->mhi;
		if (diff)
			mask &= ~(~0ULL >> __builtin_clzll(diff));
		hi = it->hi & mask;
	}
	e->f.hi = hi;
	e->f.mask = b->n ? mask : 0;
}

/* A copy of @b (may be NULL) with room for @cap items; NULL on ENOMEM, @b left intact. */
static struct bucket *bucket_realloc(struct lpm6 *t, struct bucket *b, uint32_t cap)
{
	struct bucket *nb = arena_alloc(&t->mem, bucket_size(t, cap));

	if (!nb)
		return NULL;
	nb->n = 0;
	if (b) {
		memcpy(nb, b, bucket_size(t, b->n));
		bucket_free(t, b);
	}
	nb->cap = cap;
	return nb;
}

/* Buckets start with room for one item: most hold one, and the smaller the table the more stays cached. */
static struct bucket *bucket_add(struct lpm6 *t, struct bucket *b, struct lpm6_pfx *p)
{
	uint32_t n = b ? b->n : 0, cap = b ? b->cap : 0, i;
	struct bitem *it;

	if (n == cap) {
		b = bucket_realloc(t, b, cap ? cap * 2 : 1);
		if (!b)
			return NULL;
	}
	for (i = b->n; i > 0 && item(t, b, i - 1)->v.pfx->plen < p->plen; i--)
		memcpy(item(t, b, i), item(t, b, i - 1), t->isz);
	it = item(t, b, i);
	it->hi = p->hi;
	it->lo = p->lo;
	pfx_masks(p->plen, &it->mhi, &it->mlo);
	item_fill(t, it, p);
	b->n++;
	return b;
}

static void bucket_del(const struct lpm6 *t, struct bucket *b, const struct lpm6_pfx *p)
{
	uint32_t i = 0;

	while (i < b->n && item(t, b, i)->v.pfx != p)
		i++;
	if (i == b->n)
		return;
	memmove(item(t, b, i), item(t, b, i + 1), (b->n - i - 1) * t->isz);
	b->n--;
}

/* Entries of @n covered by @p, which ends in @n: [*first, *first + return). */
static size_t pfx_span(const struct lpm6_node *n, const struct lpm6_pfx *p, unsigned *first)
{
	*first = bits_at(p->hi, p->lo, n->off, n->bits);
	return (size_t)1 << (n->off + n->bits - p->plen);
}

static int node_insert(struct lpm6 *t, struct lpm6_node *n, struct lpm6_pfx *p);

/*
 * Turns a full bucket at an entry of a node ending at @off, plus @p, into a
 * node: at the deepest stride boundary that all of them pass through, linked
 * with TAG_SKIP if that is below @off. The bucket stays on failure.
 */
static int bucket_split(struct lpm6 *t, struct lpm6_entry *e, unsigned off, struct lpm6_pfx *p)
{
	struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);
	unsigned s = split_level(p, p->hi, p->lo, off, 128);

	for (uint32_t i = 0; i < b->n; i++)
		s = split_level(item(t, b, i)->v.pfx, p->hi, p->lo, off, s);
	struct lpm6_node *c = node_new(t, s, NODE_BITS, p->hi, p->lo);
	int err = c ? node_insert(t, c, p) : -ENOMEM;

	for (uint32_t i = 0; i < b->n && !err; i++)
		err = node_insert(t, c, item(t, b, i)->v.pfx);
	if (err) {
		child_free(t, (uintptr_t)c);
		return err;
	}
	bucket_free(t, b);
	e->child = node_link(c, off);
	return 0;
}

/*
 * @p must go below the TAG_SKIP link at @e (of a node ending at @end) to @c
 * but leaves @c's key or ends above @c: a node goes in where they part,
 * holding @c (linked with TAG_SKIP if still below). Returns it, NULL on ENOMEM.
 */
static struct lpm6_node *skip_split(struct lpm6 *t, struct lpm6_entry *e, unsigned end, struct lpm6_node *c,
				    const struct lpm6_pfx *p)
{
	unsigned s = split_level(p, c->khi, c->klo, end, c->off);
	struct lpm6_node *m = node_new(t, s, NODE_BITS, c->khi, c->klo);

	if (!m)
		return NULL;
	m->e[bits_at(c->khi, c->klo, s, NODE_BITS)].child = node_link(c, s + NODE_BITS);
	m->used = 1;
	e->child = node_link(m, end);
	return m;
}

static int node_insert(struct lpm6 *t, struct lpm6_node *n, struct lpm6_pfx *p)
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
				c = skip_split(t, e, end, c, p);
				if (!c)
					return -ENOMEM;
			}
			n = c;
			continue;
		}
		struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);

		if (b && b->n >= LPM6_BUCKET_MAX)
			return bucket_split(t, e, end, p);
		b = bucket_add(t, b, p);
		if (!b)
			return -ENOMEM;
		if (!e->child)
			n->used++;
		e->child = (uintptr_t)b | TAG_BUCKET;
		entry_filter(t, e);
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
static void merge_single(struct lpm6 *t, struct lpm6_entry *e, unsigned end)
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
			node_free(t, c);
		}
		return;
	}
}

/* Removes @p below @n; true if @n is left empty (the caller frees it). */
static bool node_remove(struct lpm6 *t, struct lpm6_node *n, const struct lpm6_pfx *p)
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
			entry_filter(t, &n->e[i]);
		}
		return --n->used == 0;
	}
	struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

	if (!e->child)
		return false;
	if (e->child & TAG_BUCKET) {
		struct bucket *b = (struct bucket *)(e->child & ~TAG_BUCKET);

		bucket_del(t, b, p);
		if (b->n) {
			entry_filter(t, e);
			return false;
		}
		bucket_free(t, b);
	} else if (node_remove(t, child_node(e->child), p)) {
		node_free(t, child_node(e->child));
	} else {
		merge_single(t, e, end);
		return false;
	}
	e->child = 0;
	return --n->used == 0;
}

/* ---- API ---- */

struct lpm6 *lpm6_new(const struct siphash_key *key)
{
	return lpm6_new_payload(key, 0);
}

struct lpm6 *lpm6_new_payload(const struct siphash_key *key, size_t psize)
{
	struct lpm6 *t = psize <= LPM6_PAYLOAD_MAX ? calloc(1, sizeof(*t)) : NULL;

	if (!t)
		return NULL;
	t->psize = (unsigned)psize;
	t->isz = (unsigned)((sizeof(struct bitem) + psize + 7) & ~(size_t)7);
	t->key = *key;
	t->hmask = 63;
	t->hash = calloc(t->hmask + 1, sizeof(*t->hash));
	t->root = node_new(t, 0, ROOT_BITS, 0, 0);
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
		child_free(t, (uintptr_t)t->root);
	arena_fini(&t->mem);
	arena_fini(&t->nodes);
	free(t->rootw);
	free(t->hash);
	free(t);
}

int lpm6_insert(struct lpm6 *t, struct lpm6_pfx *p)
{
	unsigned s;

	if (t->count > t->hmask && hash_grow(t) < 0)
		return -ENOMEM;
	p->v.pfx = p;    /* lpm6_match() may hand back the prefix's own value */
	if (p->plen > 0) {
		int err = node_insert(t, t->root, p);

		rw_sync(t, p);   /* a failed insert may have split a bucket all the same */
		if (err)
			return err;
	} else {
		t->dflt = p;
	}
	s = hash_slot(t, p);
	p->hnext = t->hash[s];
	t->hash[s] = p;
	if (++t->count == ROOT_HUGE_AT && !t->root_map)
		root_promote(t);
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
	rw_sync(t, p);
}

/* A match's answer, the prefix's own value in a payload table (an entry's copy has no payload after it). */
static inline const struct lpm6_val *match_val(const struct lpm6 *t, const struct lpm6_val *best)
{
	return t->psize && best ? &best->pfx->v : best;
}

static inline __attribute__((always_inline))
const struct lpm6_val *match(const struct lpm6 *t, uint64_t hi, uint64_t lo)
{
	const struct lpm6_entry *e = &t->root->e[hi >> (64 - ROOT_BITS)];
	const struct lpm6_val *best = t->dflt ? &t->dflt->v : NULL;
	const struct lpm6_node *n;
	unsigned off = ROOT_BITS;   /* where the node below @e starts, unless skipped */
	uintptr_t c;

	/* A big table: the root entry's word decides without the entry, unless it says RW_FAT. */
	if (t->rootw) {
		uint64_t w = t->rootw[hi >> (64 - ROOT_BITS)];

		if (!(w & RW_FAT)) {
			c = (uintptr_t)(w & RW_CHILD);
			if (!c || ((c & TAG_BUCKET) && rw_filter_miss(w, hi)))
				return match_val(t, best);
			if (c & TAG_BUCKET)
				goto scan;
			goto node;  /* into the loop, past the entry it has no need of */
		}
	}
	for (;;) {
		c = e->child;
		if (e->v.pfx)
			best = &e->v;
		if (!c)
			return match_val(t, best);
		if (c & TAG_BUCKET) {
			if (!e->v.pfx && ((hi ^ e->f.hi) & e->f.mask))
				return match_val(t, best);
			break;
		}
node:
		n = child_node(c);
		if (c & TAG_SKIP) {
			if (!key_in(n, hi, lo))
				return match_val(t, best);
			off = n->off;
		}
		e = &n->e[bits_at(hi, lo, off, NODE_BITS)];
		off += NODE_BITS;
	}
scan:;
	/* Longest first: the first hit is the longest match below this entry. */
	const struct bucket *b = (const struct bucket *)(c & ~TAG_BUCKET);
	const unsigned char *ip = b->it;
	for (uint32_t i = 0; i < b->n; i++, ip += t->isz) {
		const struct bitem *it = (const struct bitem *)(uintptr_t)ip;

		if ((((hi ^ it->hi) & it->mhi) | ((lo ^ it->lo) & it->mlo)) == 0)
			return &it->v;
	}
	return match_val(t, best);
}

const struct lpm6_val *lpm6_match(const struct lpm6 *t, const struct in6_addr *a)
{
	return match(t, get_be64(a->s6_addr), get_be64(a->s6_addr + 8));
}

const struct lpm6_val *lpm6_match_key(const struct lpm6 *t, uint64_t hi, uint64_t lo)
{
	return match(t, hi, lo);
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
			if (item(t, b, i)->v.pfx == p)
				item_fill(t, item(t, b, i), p);
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

/* True if @q is longer than @p and inside it. */
static bool pfx_inside(const struct lpm6_pfx *q, const struct lpm6_pfx *p)
{
	uint64_t mhi, mlo;

	pfx_masks(p->plen, &mhi, &mlo);
	return q->plen > p->plen && (((q->hi ^ p->hi) & mhi) | ((q->lo ^ p->lo) & mlo)) == 0;
}

/* Walks down to where @p ends; whatever hangs below it there is inside it. */
bool lpm6_has_longer(const struct lpm6 *t, const struct lpm6_pfx *p)
{
	const struct lpm6_node *n = t->root;
	uint64_t mhi, mlo;

	if (p->plen == 0)
		return t->count > (t->dflt == p);
	pfx_masks(p->plen, &mhi, &mlo);
	for (;;) {
		unsigned end = n->off + n->bits, first;

		if (p->plen <= end) {
			size_t span = pfx_span(n, p, &first);

			for (size_t i = first; i < first + span; i++)
				if (n->e[i].child || (n->e[i].v.pfx && n->e[i].v.pfx->plen > p->plen))
					return true;
			return false;
		}
		const struct lpm6_entry *e = &n->e[bits_at(p->hi, p->lo, n->off, n->bits)];

		if (!e->child)
			return false;
		if (e->child & TAG_BUCKET) {
			const struct bucket *b = (const struct bucket *)(e->child & ~TAG_BUCKET);

			for (uint32_t i = 0; i < b->n; i++)
				if (pfx_inside(item(t, b, i)->v.pfx, p))
					return true;
			return false;
		}
		n = child_node(e->child);
		if (e->child & TAG_SKIP) {
			/* Everything below @n carries its key: all inside @p, or none. */
			if (p->plen <= n->off)
				return (((n->khi ^ p->hi) & mhi) | ((n->klo ^ p->lo) & mlo)) == 0;
			if (!key_in(n, p->hi, p->lo))
				return false;
		}
	}
}

unsigned lpm6_depth(const struct lpm6 *t, const struct in6_addr *a)
{
	uint64_t hi = get_be64(a->s6_addr), lo = get_be64(a->s6_addr + 8);
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
