/*
 * Mobile IPv6 data plane: the binding table the signalling installs and
 * the packet path reads (mip6.h, "Data plane"). The transforms themselves
 * are in mip6_dp_out.c (HAO/RH2 insertion, tunnels on output) and
 * mip6_dp_in.c (HAO/RH2 and tunnels on input).
 */
#include <stdlib.h>

#include "mip6/mip6_dp_priv.h"

static unsigned dp_hash(const struct stack *st, const struct in6_addr *hoa)
{
	return (unsigned)siphash13(&st->hkey, hoa, sizeof(*hoa)) & (MIP6_DP_BUCKETS - 1);
}

/* Same key: kind, home address, and the correspondent for MN_RO. */
static bool dp_key_eq(const struct mip6_dp_binding *b, enum mip6_dp_kind kind,
		      const struct in6_addr *hoa, const struct in6_addr *peer)
{
	return b->kind == kind && in6_equal(&b->hoa, hoa) &&
	       (kind != MIP6_DP_MN_RO || (peer && in6_equal(&b->peer, peer)));
}

/* The link that points at the entry of that key (or at the chain's NULL end). */
static struct mip6_dp_ent **dp_slot(const struct stack *st, struct mip6_dp_table *t,
				    enum mip6_dp_kind kind, const struct in6_addr *hoa,
				    const struct in6_addr *peer)
{
	struct mip6_dp_ent **pe = &t->bucket[dp_hash(st, hoa)];

	while (*pe && !dp_key_eq(&(*pe)->b, kind, hoa, peer))
		pe = &(*pe)->next;
	return pe;
}

/* Part teardown (mip6_fini, after the roles removed theirs): frees whatever is left. */
static void dp_fini(struct stack *st)
{
	struct mip6_dp_table *t = mip6_dp_table(st);

	if (!t)
		return;
	for (unsigned i = 0; i < MIP6_DP_BUCKETS; i++) {
		while (t->bucket[i]) {
			struct mip6_dp_ent *e = t->bucket[i];

			t->bucket[i] = e->next;
			free(e);
		}
	}
	free(t);
	st->mip6->dp = NULL;
	st->mip6->part_fini[MIP6_PART_DP] = NULL;
}

static struct mip6_dp_table *dp_table_get(struct stack *st)
{
	struct mip6_state *ms = mip6_state_get(st);

	if (!ms)
		return NULL;
	if (!ms->dp) {
		ms->dp = calloc(1, sizeof(*ms->dp));
		if (!ms->dp) {
			STAT_INC(st, mip6_dp_nomem);
			return NULL;
		}
		ms->part_fini[MIP6_PART_DP] = dp_fini;
	}
	return ms->dp;
}

/* Home and care-of addresses (and the peer where it means something) must be unicast. */
static bool dp_valid(const struct mip6_dp_binding *b)
{
	bool peer_used = b->kind != MIP6_DP_CN;

	if ((unsigned)b->kind >= MIP6_DP_KINDS)
		return false;
	if (in6_is_unspec(&b->hoa) || in6_is_multicast(&b->hoa) ||
	    in6_is_unspec(&b->coa) || in6_is_multicast(&b->coa))
		return false;
	return !peer_used || !(in6_is_unspec(&b->peer) || in6_is_multicast(&b->peer));
}

int mip6_dp_add(struct stack *st, const struct mip6_dp_binding *b)
{
	struct mip6_dp_table *t;
	struct mip6_dp_ent **pe, *e;

	if (!dp_valid(b)) {
		STAT_INC(st, mip6_dp_bad_binding);
		return -EINVAL;
	}
	t = dp_table_get(st);
	if (!t)
		return -ENOMEM;
	pe = dp_slot(st, t, b->kind, &b->hoa, &b->peer);
	if (*pe) {
		(*pe)->b = *b;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		STAT_INC(st, mip6_dp_nomem);
		return -ENOMEM;
	}
	e->b = *b;
	*pe = e;
	t->nkind[b->kind]++;
	return 0;
}

int mip6_dp_del(struct stack *st, enum mip6_dp_kind kind, const struct in6_addr *hoa,
		const struct in6_addr *peer)
{
	struct mip6_dp_table *t = mip6_dp_table(st);
	struct mip6_dp_ent **pe, *e;

	if (!t || (unsigned)kind >= MIP6_DP_KINDS)
		return -ENOENT;
	pe = dp_slot(st, t, kind, hoa, peer);
	e = *pe;
	if (!e)
		return -ENOENT;
	*pe = e->next;
	t->nkind[kind]--;
	free(e);
	return 0;
}

const struct mip6_dp_binding *mip6_dp_find(const struct stack *st, enum mip6_dp_kind kind,
					   const struct in6_addr *hoa, const struct in6_addr *peer)
{
	struct mip6_dp_table *t = mip6_dp_table(st);
	struct mip6_dp_ent *e;

	if (!t || (unsigned)kind >= MIP6_DP_KINDS || !t->nkind[kind])
		return NULL;
	e = *dp_slot(st, t, kind, hoa, peer);
	return e ? &e->b : NULL;
}

const struct mip6_dp_binding *mip6_dp_match(const struct stack *st, enum mip6_dp_kind kind,
					    const struct in6_addr *hoa, const struct in6_addr *coa)
{
	const struct mip6_dp_table *t = mip6_dp_table(st);

	if (!t || !t->nkind[kind])
		return NULL;
	for (const struct mip6_dp_ent *e = t->bucket[dp_hash(st, hoa)]; e; e = e->next)
		if (e->b.kind == kind && in6_equal(&e->b.hoa, hoa) && in6_equal(&e->b.coa, coa))
			return &e->b;
	return NULL;
}
