/*
 * Mobile IPv6 per-stack state shared by the data plane and the roles
 * (st->mip6, NULL until the first `mip6` command or data-plane binding).
 * Each part owns its own opaque structure; a role registers its fini when
 * it is enabled, so the core frees whatever was built.
 */
#ifndef USAGI_MIP6_MIP6_PRIV_H
#define USAGI_MIP6_MIP6_PRIV_H

#include "mip6/mip6.h"

struct mip6_dp_table;
struct mip6_ha;
struct mip6_cn;
struct mip6_mn;

enum mip6_part { MIP6_PART_DP, MIP6_PART_HA, MIP6_PART_CN, MIP6_PART_MN, MIP6_PARTS };

struct mip6_state {
	struct mip6_dp_table *dp;   /* mip6_dp.c */
	struct mip6_ha *ha;         /* mip6_ha.c */
	struct mip6_cn *cn;         /* mip6_cn.c */
	struct mip6_mn *mn;         /* mip6_mn*.c */
	void (*part_fini[MIP6_PARTS])(struct stack *st);  /* set by each part when it starts */
	mip6_event_fn event_fn;
	void *event_ctx;
	uint64_t be_tokens, be_last;  /* Binding Error rate limit (9.3.1, as ICMPv6 errors) */
};

/* st->mip6, created on first use: NULL only on -ENOMEM (counted). */
struct mip6_state *mip6_state_get(struct stack *st);

#endif
