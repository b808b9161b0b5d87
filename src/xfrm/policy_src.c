/*
 * A node's source index (struct spd_src, see policy_priv.h): the policies
 * of one direction whose source is a single host, by that address in an
 * open-addressing table, and the others in a sorted vector. A lookup then
 * reads the others and one slot, not every policy of the node: a gateway's
 * inbound policies (one per peer, all to the same local prefix) cost one
 * hash probe, whose slot holds the peer's policy itself.
 *
 * Linear probing at most half full: a probe that misses its home slot
 * most often finds the source (or the free slot that ends it) in the next
 * line, which the CPU fetches alongside. Deletion shifts the probe run back
 * (no tombstones), so a lookup never walks past dead slots.
 *
 * The index only speeds up the lookup; struct spd_vec's vector stays the
 * whole truth (bounds, find, dumps), and the index is built from it.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include "core/stack.h"
#include "xfrm/policy_priv.h"

#define SRC_HUGE (2u << 20)

static inline bool is_host(const struct spd_ent *e)
{
	return e->splen == 128;
}

/*
 * A big table's lookups each land on a random line: with 4 KiB pages that
 * is a TLB miss too (a long one under a hypervisor), so from 2 MiB on the
 * memory gets its own mapping, aligned for and offered as huge pages;
 * malloc might hand back heap pages already split into 4 KiB ones.
 */
void *spd_big_alloc(size_t bytes)
{
	if (bytes < SRC_HUGE) {
		void *t = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

		if (t)
			memset(t, 0, bytes);
		return t;
	}
	unsigned char *m = mmap(NULL, bytes + SRC_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	size_t head = (SRC_HUGE - (uintptr_t)m % SRC_HUGE) % SRC_HUGE;

	if (head)
		munmap(m, head);
	munmap(m + head + bytes, SRC_HUGE - head);
#ifdef MADV_HUGEPAGE
	madvise(m + head, bytes, MADV_HUGEPAGE);    /* advice only: 4 KiB pages work too */
#endif
	return m + head;    /* fresh anonymous memory is zero */
}

void spd_big_free(void *p, size_t bytes)
{
	if (bytes < SRC_HUGE)
		free(p);
	else if (p)
		munmap(p, bytes);
}

static struct spd_sslot *slots_alloc(uint32_t n)
{
	return spd_big_alloc((size_t)n * sizeof(struct spd_sslot));
}

static void slots_free(struct spd_sslot *t, uint32_t n)
{
	spd_big_free(t, (size_t)n * sizeof(struct spd_sslot));
}

/* The slot holding source @hi/@lo (hash @h), or the free slot where it would go. */
static inline struct spd_sslot *probe(const struct spd_src *s, uint64_t hi, uint64_t lo, uint32_t h)
{
	for (uint32_t i = h & s->mask;; i = (i + 1) & s->mask) {
		struct spd_sslot *x = &s->slot[i];

		if (!x->e.pol || (x->e.shi == hi && x->e.slo == lo))
			return x;    /* never full (at most half): a free slot ends every run */
	}
}

/* Twice the slots; the entries move to their new homes. */
static int grow(struct spd_src *s, const struct siphash_key *key)
{
	uint32_t old = s->mask + 1;
	struct spd_sslot *os = s->slot, *ns = slots_alloc(old * 2);

	if (!ns)
		return -ENOMEM;
	s->slot = ns;
	s->mask = old * 2 - 1;
	for (uint32_t i = 0; i < old; i++) {
		if (!os[i].e.pol)
			continue;
		uint32_t j = spd_addr_hash(os[i].e.shi, os[i].e.slo, key) & s->mask;

		while (ns[j].e.pol)
			j = (j + 1) & s->mask;
		ns[j] = os[i];
	}
	slots_free(os, old);
	return 0;
}

/* Puts @e in @a[0..*n) (a malloc'd array of exactly *n), sorted. */
static int sorted_add(struct spd_ent **a, uint32_t *n, const struct spd_ent *e)
{
	struct spd_ent *na = realloc(*a, (*n + 1) * sizeof(*na));
	uint32_t i;

	if (!na)
		return -ENOMEM;
	for (i = *n; i > 0 && spd_ent_before(e, &na[i - 1]); i--)
		na[i] = na[i - 1];
	na[i] = *e;
	*a = na;
	(*n)++;
	return 0;
}

/* Adds @e to the policies of its source's slot @x (in use), keeping [x->e, x->more...] sorted. */
static int slot_add(struct spd_sslot *x, const struct spd_ent *e)
{
	struct spd_ent first = x->e;

	if (!spd_ent_before(e, &x->e))
		return sorted_add(&x->more, &x->nmore, e);
	if (sorted_add(&x->more, &x->nmore, &first) < 0)
		return -ENOMEM;
	x->e = *e;
	return 0;
}

static int rest_add(struct spd_src *s, const struct spd_ent *e)
{
	uint32_t i;

	if (s->nrest == s->caprest) {
		uint32_t cap = s->caprest ? s->caprest * 2 : 4;
		struct spd_ent *r = realloc(s->rest, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->rest = r;
		s->caprest = cap;
	}
	for (i = s->nrest; i > 0 && spd_ent_before(e, &s->rest[i - 1]); i--)
		s->rest[i] = s->rest[i - 1];
	s->rest[i] = *e;
	s->nrest++;
	return 0;
}

static int index_add(struct spd_src *s, const struct spd_ent *e, const struct siphash_key *key)
{
	uint32_t h;
	struct spd_sslot *x;

	if (!is_host(e))
		return rest_add(s, e);
	h = spd_addr_hash(e->shi, e->slo, key);
	x = probe(s, e->shi, e->slo, h);
	if (x->e.pol)
		return slot_add(x, e);
	if (2 * (s->nused + 1) > s->mask + 1) {
		if (grow(s, key) < 0)
			return -ENOMEM;
		x = probe(s, e->shi, e->slo, h);
	}
	x->e = *e;
	x->more = NULL;
	x->nmore = 0;
	s->nused++;
	return 0;
}

/* Frees slot @i (see spd_oa_clear). */
static void slot_clear(struct spd_src *s, uint32_t i, const struct siphash_key *key)
{
	spd_oa_clear(s->slot, sizeof(*s->slot), offsetof(struct spd_sslot, e.pol), s->mask, i, key);
	s->nused--;
}

void spd_src_free(struct spd_vec *v)
{
	struct spd_src *s = v->src;

	if (!s)
		return;
	if (s->slot)
		for (uint32_t i = 0; i <= s->mask; i++)
			free(s->slot[i].more);
	slots_free(s->slot, s->mask + 1);
	free(s->rest);
	free(s);
	v->src = NULL;
}

/* Builds the index from @v->e; without memory, the lookup keeps scanning the vector. */
static void build(struct spd_vec *v, const struct siphash_key *key)
{
	struct spd_src *s = calloc(1, sizeof(*s));
	int err = 0;

	if (!s)
		return;
	s->mask = 4 * SPD_SRC_MIN - 1;
	s->slot = slots_alloc(s->mask + 1);
	v->src = s;
	if (!s->slot)
		err = -ENOMEM;
	for (uint32_t i = 0; i < v->n && !err; i++)
		err = index_add(s, &v->e[i], key);
	if (err)
		spd_src_free(v);
}

void spd_src_added(struct spd_vec *v, const struct spd_ent *e, const struct siphash_key *key)
{
	if (!v->src) {
		uint32_t hosts = 0;

		if (!is_host(e) || v->n < SPD_SRC_MIN)
			return;
		for (uint32_t i = 0; i < v->n; i++)
			hosts += is_host(&v->e[i]);
		if (hosts >= SPD_SRC_MIN)
			build(v, key);
		return;
	}
	if (index_add(v->src, e, key) < 0)
		spd_src_free(v);    /* an index missing a policy would be wrong: scan the vector */
}

/* Takes @pol out of slot @x (its source's); frees the slot if it was the last. */
static void slot_remove(struct spd_src *s, struct spd_sslot *x, const struct xfrm_policy *pol,
			const struct siphash_key *key)
{
	uint32_t i = 0;

	if (x->e.pol == pol) {
		if (!x->nmore) {
			slot_clear(s, (uint32_t)(x - s->slot), key);
			return;
		}
		x->e = x->more[0];
	} else {
		while (i < x->nmore && x->more[i].pol != pol)
			i++;
		if (i == x->nmore)
			return;
	}
	memmove(&x->more[i], &x->more[i + 1], (x->nmore - i - 1) * sizeof(x->more[0]));
	if (!--x->nmore) {
		free(x->more);
		x->more = NULL;
	}
}

void spd_src_removed(struct spd_vec *v, const struct xfrm_policy *pol, const struct siphash_key *key)
{
	struct spd_src *s = v->src;

	if (!s)
		return;
	if (v->n < SPD_SRC_MIN / 2) {
		spd_src_free(v);    /* small again: the vector is as quick */
		return;
	}
	if (spd_plen(&pol->sel, pol->sel.splen) != 128) {
		for (uint32_t i = 0; i < s->nrest; i++) {
			if (s->rest[i].pol == pol) {
				memmove(&s->rest[i], &s->rest[i + 1], (s->nrest - i - 1) * sizeof(s->rest[0]));
				s->nrest--;
				return;
			}
		}
		return;
	}
	uint64_t hi = get_be64(pol->sel.src.s6_addr), lo = get_be64(pol->sel.src.s6_addr + 8);
	struct spd_sslot *x = probe(s, hi, lo, spd_addr_hash(hi, lo, key));

	if (x->e.pol)
		slot_remove(s, x, pol, key);
}

struct xfrm_policy *spd_src_find(const struct spd_vec *v, const struct xfrm_selector *sel, const struct siphash_key *key)
{
	const struct spd_src *s = v->src;

	if (spd_plen(sel, sel->splen) != 128) {
		for (uint32_t i = 0; i < s->nrest; i++)
			if (memcmp(&s->rest[i].pol->sel, sel, sizeof(*sel)) == 0)
				return s->rest[i].pol;
		return NULL;
	}
	uint64_t hi = get_be64(sel->src.s6_addr), lo = get_be64(sel->src.s6_addr + 8);
	const struct spd_sslot *x = probe(s, hi, lo, spd_addr_hash(hi, lo, key));

	if (!x->e.pol)
		return NULL;
	if (memcmp(&x->e.pol->sel, sel, sizeof(*sel)) == 0)
		return x->e.pol;
	for (uint32_t i = 0; i < x->nmore; i++)
		if (memcmp(&x->more[i].pol->sel, sel, sizeof(*sel)) == 0)
			return x->more[i].pol;
	return NULL;
}

const struct spd_ent *spd_src_best(const struct spd_src *s, const struct xfrm_flow *fl, uint64_t hi, uint64_t lo,
				   const struct spd_ent *best, const struct siphash_key *key)
{
	const struct spd_sslot *x;

	if (s->nrest)
		best = spd_scan(s->rest, s->nrest, fl, hi, lo, best);
	x = probe(s, hi, lo, spd_addr_hash(hi, lo, key));
	if (!x->e.pol || (best && !spd_ent_before(&x->e, best)))
		return best;
	/* Its source is the flow's: only protocol, ports and interface are left to check. */
	if (spd_ent_match(&x->e, fl, hi, lo))
		return &x->e;
	return x->nmore ? spd_scan(x->more, x->nmore, fl, hi, lo, best) : best;
}
