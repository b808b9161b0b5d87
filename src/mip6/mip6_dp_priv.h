/*
 * The data plane's binding table (mip6_dp.c), shared by its output and
 * input halves (mip6_dp_out.c, mip6_dp_in.c). One chained hash table keyed
 * by the home address (siphash13 with st->hkey, since the addresses come
 * from the wire); an entry is (kind, home address) and, for MN_RO, the
 * correspondent too. Per-kind counts let the packet path skip the lookups
 * of kinds this host does not have.
 */
#ifndef USAGI_MIP6_MIP6_DP_PRIV_H
#define USAGI_MIP6_MIP6_DP_PRIV_H

#include "core/stack.h"
#include "mip6/mip6_priv.h"

#define MIP6_DP_BUCKETS 256       /* power of two */

struct mip6_dp_ent {
	struct mip6_dp_ent *next;
	struct mip6_dp_binding b;
};

struct mip6_dp_table {
	struct mip6_dp_ent *bucket[MIP6_DP_BUCKETS];
	uint32_t nkind[MIP6_DP_KINDS];
};

/* The table, NULL while this host has no binding at all. */
static inline struct mip6_dp_table *mip6_dp_table(const struct stack *st)
{
	return st->mip6 ? st->mip6->dp : NULL;
}

/* True when the host has at least one binding of @kind (cheap, no hashing). */
static inline bool mip6_dp_has(const struct stack *st, enum mip6_dp_kind kind)
{
	const struct mip6_dp_table *t = mip6_dp_table(st);

	return t && t->nkind[kind] != 0;
}

/*
 * A binding of @kind for @hoa whose care-of address is @coa (any peer):
 * what the input checks ask (RFC 6275 9.3.1, 11.3.3). NULL if none.
 */
const struct mip6_dp_binding *mip6_dp_match(const struct stack *st, enum mip6_dp_kind kind,
					    const struct in6_addr *hoa, const struct in6_addr *coa);

#endif
