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
struct nd6_rx;

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
	/*
	 * Mobile node entry points, set by mip6_mn_enable (NULL otherwise), so
	 * the MH input and Neighbor Discovery reach the mobile node without a
	 * link dependency on it: mn_rx gets BA, BRR, HoT, CoT and BE; mn_ra
	 * every Router Advertisement a host accepted (nd6_ra_rcv, after its
	 * options were processed); mn_show the binding update list.
	 */
	void (*mn_rx)(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx);
	void (*mn_ra)(struct stack *st, const struct nd6_rx *rx);
	void (*mn_show)(struct stack *st, FILE *out);
	/* For the data plane: MN_HA decapsulated a packet from @src (mip6_mn_tunnelled). */
	void (*mn_tunnelled)(struct stack *st, const struct in6_addr *src);
};

/* st->mip6, created on first use: NULL only on -ENOMEM (counted). */
struct mip6_state *mip6_state_get(struct stack *st);

#endif
