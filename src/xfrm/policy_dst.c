/*
 * SPD host-destination index: the nodes whose prefix is a full host
 * address (an IPv6 /128, an IPv4 /32: most of a gateway's outbound
 * policies, one per peer) and that hold a single policy, kept by
 * destination per family and direction in an open-addressing table
 * (linear probing, at most 3/4 full: the lines a big table touches are
 * what lookups compete for the cache with). A slot is one cache line: the
 * address and a copy of the node's hot policy (struct spd_ent, with its
 * bound), so such a lookup reads one line and none of the trie. The
 * table of a direction no host node serves is empty and never probed, so
 * an inbound lookup on a gateway (destination: the local prefix) costs
 * nothing extra.
 *
 * Each slot mirrors its node as spd_node_refresh() leaves it: bounds go
 * stale together when spd->gen moves, so the whole index is trusted only
 * while spd->dst_gen equals spd->gen, and brought back up to date by
 * spd_dst_revalidate() (policy_index.c) once enough lookups missed it.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "xfrm/policy_priv.h"

static inline bool node_is_host(const struct spd_node *n)
{
	return n->pfx.plen == spd_host_plen(n->fam);
}

static inline struct spd_dslot *dprobe(const struct spd_dtab *d, uint64_t hi, uint64_t lo, uint32_t h)
{
	for (uint32_t i = h & d->mask;; i = (i + 1) & d->mask) {
		struct spd_dslot *x = &d->slot[i];

		if (!x->e.pol || (x->khi == hi && x->klo == lo))
			return x;    /* never full (at most 3/4): a free slot ends every run */
	}
}

const struct spd_ent *spd_dst_find(const struct spd_dtab *d, uint64_t hi, uint64_t lo, const struct siphash_key *key)
{
	const struct spd_dslot *x = dprobe(d, hi, lo, spd_addr_hash(hi, lo, key));

	return x->e.pol ? &x->e : NULL;
}

static int dgrow(struct spd_dtab *d, const struct siphash_key *key)
{
	uint32_t old = d->slot ? d->mask + 1 : 0, nslot = old ? old * 2 : 16;
	struct spd_dslot *os = d->slot, *ns = spd_big_alloc((size_t)nslot * sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	d->slot = ns;
	d->mask = nslot - 1;
	for (uint32_t i = 0; i < old; i++)
		if (os[i].e.pol)
			*dprobe(d, os[i].khi, os[i].klo, spd_addr_hash(os[i].khi, os[i].klo, key)) = os[i];
	spd_big_free(os, (size_t)old * sizeof(*os));
	return 0;
}

/* Frees slot @i (see spd_oa_clear). */
static void dclear(struct spd_dtab *d, uint32_t i, const struct siphash_key *key)
{
	spd_oa_clear(d->slot, sizeof(*d->slot), offsetof(struct spd_dslot, e.pol), d->mask, i, key);
	d->nused--;
}

void spd_dst_drop(struct xfrm_spd *spd, struct spd_node *n)
{
	struct spd_dtab *d;
	struct spd_dslot *x;

	if (!n->dslot)
		return;
	d = &spd->dst[n->fam][n->dslot - 1];
	x = dprobe(d, n->pfx.hi, n->pfx.lo, spd_addr_hash(n->pfx.hi, n->pfx.lo, &spd->key));
	if (x->e.pol)
		dclear(d, (uint32_t)(x - d->slot), &spd->key);
	spd_dst_gate(spd, n->fam, n->dslot - 1u);
	n->dslot = 0;
}

void spd_dst_sync(struct xfrm_spd *spd, struct spd_node *n)
{
	unsigned want = 0;

	if (node_is_host(n) && n->npol == 1 && n->hot.one.dir < XFRM_DIR_MAX)
		want = n->hot.one.dir + 1u;
	if (n->dslot != want)
		spd_dst_drop(spd, n);
	if (!want)
		return;
	struct spd_dtab *d = &spd->dst[n->fam][want - 1];
	uint32_t h = spd_addr_hash(n->pfx.hi, n->pfx.lo, &spd->key);

	if (!n->dslot && 4 * (uint64_t)(d->nused + 1) > 3 * (uint64_t)(d->slot ? d->mask + 1 : 0) && dgrow(d, &spd->key) < 0)
		return;    /* without memory the node is simply not indexed: the trie answers */
	struct spd_dslot *x = dprobe(d, n->pfx.hi, n->pfx.lo, h);

	if (!x->e.pol)
		d->nused++;
	x->khi = n->pfx.hi;
	x->klo = n->pfx.lo;
	x->e = n->hot.one;
	n->dslot = (uint8_t)want;
	spd_dst_gate(spd, n->fam, want - 1);
}

void spd_dst_gate(struct xfrm_spd *spd, unsigned fam, unsigned dir)
{
	struct spd_dtab *d = &spd->dst[fam][dir];
	const struct lpm6 *t = spd->fam[fam].t;
	uint32_t bit = 1u << (fam * XFRM_DIR_MAX + dir);

	if (d->nused && t && 2 * (uint64_t)d->nused >= lpm6_count(t))
		spd->dst_on |= bit;
	else
		spd->dst_on &= ~bit;
}

void spd_dst_free(struct xfrm_spd *spd)
{
	for (unsigned f = 0; f < SPD_FAM_MAX; f++) {
		for (unsigned d = 0; d < XFRM_DIR_MAX; d++) {
			struct spd_dtab *t = &spd->dst[f][d];
			if (t->slot)
				spd_big_free(t->slot, (size_t)(t->mask + 1) * sizeof(*t->slot));
			memset(t, 0, sizeof(*t));
		}
	}
	spd->dst_stale = 0;
	spd->dst_on = 0;
}
