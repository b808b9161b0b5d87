/*
 * The conntrack hash index: buckets of one cache line, each holding ten
 * keys as a 16-bit tag and an entry reference (slot << 1 | direction).
 *
 * One SipHash-1-3 of a tuple (keyed with st->hkey: a sender cannot aim
 * keys at one bucket) gives the key's two candidate buckets and its tag.
 * A key lives in its first bucket unless that is full, then in its second
 * (two choices, as in cuckoo hashing and DPDK's rte_hash); when both are
 * full, one resident moves to its own other bucket. The index is sized at
 * 2/3 of its slots for two keys per entry (about 19 bytes per entry), so a
 * second bucket is rarely needed and a failed insert practically never.
 *
 * A lookup reads the first bucket's line, compares the tags of its ten
 * keys at once, and reads only the entries whose tag matches: one bucket
 * line and one entry for an established flow, where a chained table reads
 * the bucket and then one entry per chain node. The bulk lookup does the
 * same for a burst, the way vector packet processors do (hash, prefetch
 * buckets; match tags, prefetch entries; compare, in a software pipeline),
 * so in a table much larger than the caches the misses of a burst overlap
 * instead of queueing one after another. A large index asks for huge pages
 * (the entries do not: under this hypervisor their first touch cost more
 * in connection setup than they saved in lookups).
 */
#include <stdlib.h>
#include <sys/mman.h>
#include "core/siphash.h"
#include "netfilter/nf_priv.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

_Static_assert(sizeof(struct nf_bucket) == 64, "a bucket is one cache line");

#define NF_BUCKET_MIN 16
#define NF_HUGE_PAGE (2u << 20)
#define NF_CT_STEP 8u               /* keys per pipeline step of the bulk lookup */
#define REF(slot, dir) ((slot) << 1 | (uint32_t)(dir))

/*
 * The two 32-bit halves pick a bucket each by multiply-shift (any bucket
 * count, no modulo); the tag comes from the low bits of both, which those
 * products hardly use, so it stays independent of the buckets.
 */
static struct nf_hkey hpos_of(const struct nf_state *nf, uint64_t h)
{
	struct nf_hkey hp;

	hp.b1 = (uint32_t)(((h & 0xffffffffu) * nf->nbkt) >> 32);
	hp.b2 = (uint32_t)(((h >> 32) * nf->nbkt) >> 32);
	if (hp.b2 == hp.b1)
		hp.b2 = hp.b1 + 1 == nf->nbkt ? 0 : hp.b1 + 1;
	hp.tag = (uint16_t)(h ^ h >> 32);
	return hp;
}

static struct nf_hkey tuple_pos(const struct stack *st, const struct nf_tuple *t)
{
	return hpos_of(st->nf, siphash13(&st->hkey, t, sizeof(*t)));
}

/* The slots of @b whose tag is @tag: bit 2i for slot i. */
static inline uint32_t tag_match(const struct nf_bucket *b, uint16_t tag)
{
#ifdef __SSE2__
	__m128i k = _mm_set1_epi16((short)tag);
	uint32_t lo = (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi16(_mm_load_si128((const __m128i *)(const void *)b->tag), k));
	uint32_t hi = (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(const void *)&b->tag[8]), k));

	return (lo | (hi & 0xf) << 16) & 0x55555;
#else
	uint32_t m = 0;

	for (unsigned i = 0; i < NF_BUCKET_SLOTS; i++)
		m |= (uint32_t)(b->tag[i] == tag) << (2 * i);
	return m;
#endif
}

bool nf_ct_tuple_is(const struct nf_conn *ct, int dir, const struct nf_tuple *t)
{
	struct nf_tuple inv;

	if (dir == NF_DIR_ORIG)
		return memcmp(&ct->tuple, t, sizeof(*t)) == 0;
	nf_ct_tuple(ct, NF_DIR_REPLY, &inv);
	return memcmp(&inv, t, sizeof(*t)) == 0;
}

/* The first key among the tag matches @m of @b whose entry has tuple @t: its ref, or 0. */
static uint32_t bucket_find(const struct nf_state *nf, const struct nf_bucket *b, uint32_t m,
			    const struct nf_tuple *t)
{
	for (; m; m &= m - 1) {
		uint32_t r = b->ref[__builtin_ctz(m) >> 1];

		if (r && nf_ct_tuple_is(nf_slot(nf, r >> 1), (int)(r & 1), t))
			return r;
	}
	return 0;
}

static uint32_t find_ref(const struct stack *st, const struct nf_tuple *t)
{
	const struct nf_state *nf = st->nf;
	struct nf_hkey hp = tuple_pos(st, t);
	const struct nf_bucket *b = &nf->bkt[hp.b1];
	uint32_t r = bucket_find(nf, b, tag_match(b, hp.tag), t);

	if (!r && b->spill) {
		b = &nf->bkt[hp.b2];
		r = bucket_find(nf, b, tag_match(b, hp.tag), t);
	}
	return r;
}

uint32_t nf_ct_lookup(struct stack *st, const struct nf_tuple *t, int *dir)
{
	uint32_t r;

	if (!st->nf || !st->nf->bkt)
		return 0;
	r = find_ref(st, t);
	if (r)
		*dir = (int)(r & 1);
	return r >> 1;
}

/* One lookup of a burst in flight. */
struct probe {
	const struct nf_bucket *b;
	uint32_t m;                 /* tag matches in b */
	uint32_t b2;
	uint16_t tag;
};

/* Lines of an entry a lookup reads: its tuple (40 bytes, one line or two). */
static inline void prefetch_key(const struct nf_conn *ct)
{
	__builtin_prefetch(ct);
	__builtin_prefetch((const char *)ct + sizeof(ct->tuple) - 1);
}

/* Stage 1: hash the keys and ask for their first buckets. */
static void probe_hash(const struct stack *st, const struct nf_tuple *const *t,
		       struct probe *pr, unsigned n)
{
	const struct nf_state *nf = st->nf;

	for (unsigned i = 0; i < n; i++) {
		struct nf_hkey hp = tuple_pos(st, t[i]);

		pr[i] = (struct probe){ &nf->bkt[hp.b1], 0, hp.b2, hp.tag };
		__builtin_prefetch(pr[i].b);
	}
}

/* Stage 2: match the tags of the buckets asked for, ask for the entries they name. */
static void probe_tags(const struct nf_state *nf, struct probe *pr, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct nf_bucket *b = pr[i].b;
		uint32_t m = tag_match(b, pr[i].tag);

		pr[i].m = m;
		for (; m; m &= m - 1) {
			uint32_t r = b->ref[__builtin_ctz(m) >> 1];

			if (r)
				prefetch_key(nf_slot(nf, r >> 1));
		}
		if (b->spill)
			__builtin_prefetch(&nf->bkt[pr[i].b2]);
	}
}

/* Stage 3: compare the full tuples (the second bucket only when the first says so). */
static void probe_compare(const struct nf_state *nf, const struct nf_tuple *const *t,
			  const struct probe *pr, unsigned n, uint32_t *slot, int *dir)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t r = bucket_find(nf, pr[i].b, pr[i].m, t[i]);

		if (!r && pr[i].b->spill) {
			const struct nf_bucket *b2 = &nf->bkt[pr[i].b2];

			r = bucket_find(nf, b2, tag_match(b2, pr[i].tag), t[i]);
		}
		slot[i] = r >> 1;
		if (r)
			dir[i] = (int)(r & 1);
	}
}

/*
 * Software pipelined over steps of NF_CT_STEP keys: while one step's
 * buckets are on their way, the step before matches tags and the one
 * before that compares, so about three steps of misses are in flight.
 */
void nf_ct_lookup_bulk(struct stack *st, const struct nf_tuple *const *t, unsigned n,
		       uint32_t *slot, int *dir)
{
	const struct nf_state *nf = st->nf;
	struct probe pr[NF_CT_BURST];

	if (!nf || !nf->bkt) {
		memset(slot, 0, n * sizeof(*slot));
		return;
	}
	for (unsigned g = 0; g < n; g += NF_CT_BURST) {
		unsigned k = MIN(n - g, (unsigned)NF_CT_BURST), steps = (k + NF_CT_STEP - 1) / NF_CT_STEP;

		/* The keys first: a caller's tuples need not be in cache either. */
		for (unsigned i = 0; i < k; i++) {
			__builtin_prefetch(t[g + i]);
			__builtin_prefetch((const char *)t[g + i] + sizeof(**t) - 1);
		}
		for (unsigned s = 0; s < steps + 2; s++) {
			unsigned a = s * NF_CT_STEP;

			if (s < steps)
				probe_hash(st, t + g + a, pr + a, MIN(k - a, NF_CT_STEP));
			if (s >= 1 && s - 1 < steps)
				probe_tags(nf, pr + a - NF_CT_STEP, MIN(k - (a - NF_CT_STEP), NF_CT_STEP));
			if (s >= 2) {
				unsigned c = a - 2 * NF_CT_STEP, m = MIN(k - c, NF_CT_STEP);

				probe_compare(nf, t + g + c, pr + c, m, slot + g + c, dir + g + c);
			}
		}
	}
}

/* Looks up @k parsed packets at once and leaves a hint in each one found. */
static void hint_burst(struct stack *st, const struct nf_pkt *np, struct pkt *const *pp, unsigned k)
{
	const struct nf_state *nf = st->nf;
	const struct nf_tuple *tp[NF_CT_BURST];
	uint32_t slot[NF_CT_BURST];
	int dir[NF_CT_BURST];

	for (unsigned j = 0; j < k; j++)
		tp[j] = &np[j].t;
	nf_ct_lookup_bulk(st, tp, k, slot, dir);
	for (unsigned j = 0; j < k; j++) {
		const struct nf_conn *ct = nf_slot(nf, slot[j]);

		if (!slot[j])
			continue;
		/* The rest of the entry, which the packet's update reads and writes. */
		__builtin_prefetch((const char *)ct + offsetof(struct nf_conn, bytes) - 1, 1);
		__builtin_prefetch((const char *)ct + 64, 1);
		__builtin_prefetch((const char *)ct + sizeof(*ct) - 1, 1);
		pp[j]->nfct = slot[j];
		pp[j]->nfct_id = ct->id;
		pp[j]->nfct_info = (uint8_t)(NF_CT_HINT | dir[j] << 4);
	}
}

void nf_ct_prefetch(struct stack *st, struct pkt *const *pkts, unsigned n, size_t l3off)
{
	struct nf_pkt np[NF_CT_BURST];
	struct pkt *pp[NF_CT_BURST];
	unsigned k = 0;

	if (!st->nf || !st->nf->count)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct pkt *p = pkts[i];

		if (p->len <= l3off || nf_l3_parse(p->data + l3off, p->len - l3off, &np[k]) < 0 ||
		    nf_l4_find(np[k].t.l4)->tuple(&np[k]) < 0)
			continue;
		pp[k++] = p;
		if (k == NF_CT_BURST) {
			hint_burst(st, np, pp, k);
			k = 0;
		}
	}
	if (k)
		hint_burst(st, np, pp, k);
}

/* Where the key of index reference @r lives (its entry's tuple in its direction, hashed). */
static struct nf_hkey ref_pos(const struct stack *st, uint32_t r)
{
	struct nf_tuple t;

	nf_ct_tuple(nf_slot(st->nf, r >> 1), (int)(r & 1), &t);
	return tuple_pos(st, &t);
}

static bool bucket_put(struct nf_bucket *b, uint16_t tag, uint32_t r)
{
	for (unsigned i = 0; i < NF_BUCKET_SLOTS; i++) {
		if (!b->ref[i]) {
			b->tag[i] = tag;
			b->ref[i] = r;
			return true;
		}
	}
	return false;
}

/* Frees a slot of full bucket @x by moving a resident to its other bucket (one cuckoo step). */
static bool bucket_evict(const struct stack *st, uint32_t x)
{
	struct nf_state *nf = st->nf;
	struct nf_bucket *b = &nf->bkt[x];

	for (unsigned i = 0; i < NF_BUCKET_SLOTS; i++) {
		struct nf_hkey hp = ref_pos(st, b->ref[i]);
		bool home = hp.b1 == x;

		if (!bucket_put(&nf->bkt[home ? hp.b2 : hp.b1], hp.tag, b->ref[i]))
			continue;
		if (home)
			nf->bkt[hp.b1].spill++;
		else
			nf->bkt[hp.b1].spill--;
		b->ref[i] = 0;
		b->tag[i] = 0;
		return true;
	}
	return false;
}

/* Puts key @r at @hp: its first bucket, else its second, else after one cuckoo step. */
static int key_put(const struct stack *st, uint32_t r, struct nf_hkey hp)
{
	struct nf_state *nf = st->nf;

	if (bucket_put(&nf->bkt[hp.b1], hp.tag, r))
		return 0;
	if (bucket_put(&nf->bkt[hp.b2], hp.tag, r) ||
	    (bucket_evict(st, hp.b2) && bucket_put(&nf->bkt[hp.b2], hp.tag, r))) {
		nf->bkt[hp.b1].spill++;
		return 0;
	}
	if (bucket_evict(st, hp.b1) && bucket_put(&nf->bkt[hp.b1], hp.tag, r))
		return 0;
	return -ENOSPC;
}

static bool bucket_take(struct nf_bucket *b, uint32_t r)
{
	for (unsigned i = 0; i < NF_BUCKET_SLOTS; i++) {
		if (b->ref[i] == r) {
			b->ref[i] = 0;
			b->tag[i] = 0;
			return true;
		}
	}
	return false;
}

static void key_take(struct nf_state *nf, uint32_t r, struct nf_hkey hp)
{
	if (!bucket_take(&nf->bkt[hp.b1], r) && bucket_take(&nf->bkt[hp.b2], r))
		nf->bkt[hp.b1].spill--;
}

void nf_hash_keys(const struct stack *st, const struct nf_tuple *t, struct nf_hkey k[NF_DIR_MAX])
{
	struct nf_tuple inv;

	nf_ct_tuple(&(struct nf_conn){ .tuple = *t }, NF_DIR_REPLY, &inv);
	k[NF_DIR_ORIG] = tuple_pos(st, t);
	k[NF_DIR_REPLY] = tuple_pos(st, &inv);
	/* Both buckets asked for before either is written: their misses overlap (and the caller's work). */
	__builtin_prefetch(&st->nf->bkt[k[NF_DIR_ORIG].b1], 1);
	__builtin_prefetch(&st->nf->bkt[k[NF_DIR_REPLY].b1], 1);
}

int nf_hash_add(struct stack *st, uint32_t slot, const struct nf_hkey hp[NF_DIR_MAX])
{
	struct nf_state *nf = st->nf;

	if (key_put(st, REF(slot, NF_DIR_ORIG), hp[NF_DIR_ORIG]) < 0)
		return -ENOSPC;
	if (key_put(st, REF(slot, NF_DIR_REPLY), hp[NF_DIR_REPLY]) < 0) {
		key_take(nf, REF(slot, NF_DIR_ORIG), hp[NF_DIR_ORIG]);
		return -ENOSPC;
	}
	return 0;
}

void nf_hash_del(struct stack *st, uint32_t slot)
{
	struct nf_hkey hp[NF_DIR_MAX];

	for (int d = 0; d < NF_DIR_MAX; d++) {
		hp[d] = ref_pos(st, REF(slot, d));
		__builtin_prefetch(&st->nf->bkt[hp[d].b1], 1);
	}
	for (int d = 0; d < NF_DIR_MAX; d++)
		key_take(st->nf, REF(slot, d), hp[d]);
}
/* Two keys per entry in 2/3 of the slots: 0.3 buckets (19.2 bytes) per entry. */
static uint32_t buckets_for(uint32_t entries)
{
	uint64_t n = ((uint64_t)entries * 3 + 9) / 10;

	return (uint32_t)MAX(n, (uint64_t)NF_BUCKET_MIN);
}

/*
 * Zeroed buckets. A large index is placed on 2 MB boundaries and asked to
 * be backed by huge pages: random lookups then miss the TLB far less
 * (under a hypervisor a TLB miss is a two-level page walk).
 */
static struct nf_bucket *bkt_alloc(uint32_t n)
{
	size_t len = (size_t)n * sizeof(struct nf_bucket);
	size_t align = len >= NF_HUGE_PAGE ? NF_HUGE_PAGE : sizeof(struct nf_bucket);
	struct nf_bucket *b = aligned_alloc(align, (len + align - 1) / align * align);

	if (!b)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (align == NF_HUGE_PAGE)
		madvise(b, len, MADV_HUGEPAGE);
#endif
	memset(b, 0, len);
	return b;
}

int nf_hash_resize(struct stack *st, uint32_t entries)
{
	struct nf_state *nf = st->nf;
	struct nf_bucket *old = nf->bkt;
	uint32_t n = buckets_for(entries), oldn = nf->nbkt;

	if (old && n == oldn)
		return 0;
	nf->bkt = bkt_alloc(n);
	if (!nf->bkt) {
		nf->bkt = old;
		return -ENOMEM;
	}
	nf->nbkt = n;
	for (uint32_t s = 1; s < nf->nslots; s++) {
		if (!nf_slot(nf, s)->id)
			continue;
		struct nf_hkey k[NF_DIR_MAX];

		nf_hash_keys(st, &nf_slot(nf, s)->tuple, k);
		if (nf_hash_add(st, s, k) < 0) {
			free(nf->bkt);
			nf->bkt = old;
			nf->nbkt = oldn;
			return -ENOSPC;
		}
	}
	free(old);
	return 0;
}

size_t nf_hash_bytes(const struct nf_state *nf)
{
	return (size_t)nf->nbkt * sizeof(struct nf_bucket);
}

int nf_hash_check(const struct stack *st)
{
	const struct nf_state *nf = st->nf;
	uint32_t *spill, keys = 0;
	int rc = 0;

	if (!nf || !nf->bkt)
		return 0;
	spill = calloc(nf->nbkt, sizeof(*spill));
	if (!spill)
		return -ENOMEM;
	for (uint32_t x = 0; x < nf->nbkt && !rc; x++) {
		for (unsigned i = 0; i < NF_BUCKET_SLOTS && !rc; i++) {
			uint32_t r = nf->bkt[x].ref[i];
			struct nf_hkey hp;

			if (!r)
				continue;
			if (r >> 1 >= nf->nslots || !nf_slot(nf, r >> 1)->id) {
				rc = -EINVAL;
				break;
			}
			hp = ref_pos(st, r);
			if (hp.tag != nf->bkt[x].tag[i] || (x != hp.b1 && x != hp.b2))
				rc = -EINVAL;
			spill[hp.b1] += x != hp.b1;
			keys++;
		}
	}
	for (uint32_t x = 0; x < nf->nbkt && !rc; x++)
		if (spill[x] != nf->bkt[x].spill)
			rc = -EINVAL;
	if (!rc && keys != 2 * nf->count)
		rc = -EINVAL;
	free(spill);
	return rc;
}
