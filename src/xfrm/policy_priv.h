/* SPD internals shared by policy.c (the database) and policy_index.c (lookup). */
#ifndef USAGI_XFRM_POLICY_PRIV_H
#define USAGI_XFRM_POLICY_PRIV_H

#include "ipv6/lpm6.h"
#include "xfrm/policy.h"

/*
 * One policy as the lookup sees it: the selector fields beside the
 * priority, so checking a candidate reads one cache line and not the policy.
 * Kept to 48 bytes so a node's copy of its only policy shares the node's
 * first cache line (the source mask is derived from splen).
 */
struct spd_ent {
	uint64_t shi, slo;              /* source prefix, host order, masked, mapped for IPv4 */
	struct xfrm_policy *pol;
	uint32_t prio;
	int ifindex;
	uint16_t sport, smask, dport, dmask;
	uint8_t splen;                  /* source prefix length in the 128-bit space */
	uint8_t proto, family;
	uint8_t dir;                    /* in spd_node.one: SPD_DIR_MULTI unless the node has one policy */
	uint32_t bound;                 /* in spd_node.one: its node's bound[dir] */
};

#define SPD_DIR_MULTI 0xff

struct spd_vec {
	struct spd_ent *e;              /* sorted by priority, then add order */
	uint32_t n, cap;
};

/*
 * A destination prefix that some policy names exactly. The first cache line
 * is all a lookup reads when the node holds a single policy (most do): the
 * parent link and a copy of that policy's entry. The vectors hold every
 * policy (the single one too) and are read only for nodes with several.
 * lpm6 hands back the node itself as its value.
 */
struct spd_node {
	struct spd_node *parent;        /* longest shorter prefix in the table holding this one */
	uint64_t gen;                   /* parent and bounds are valid while this equals spd->gen */
	struct spd_ent one;             /* the only policy; one.dir == SPD_DIR_MULTI if npol != 1 */
	struct spd_vec v[XFRM_DIR_MAX];
	/*
	 * Lowest priority of any policy per direction in the shorter prefixes
	 * (UINT32_MAX if none): a candidate below it ends the walk.
	 */
	uint32_t bound[XFRM_DIR_MAX];
	uint32_t npol;
	uint64_t pgen;                  /* spd->gen when parent was found */
	struct lpm6_pfx pfx;            /* mapped for IPv4 (96 + plen) */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct spd_ent) == 48 && offsetof(struct spd_node, v) == 64,
	       "a single-policy lookup reads one line");

struct xfrm_spd {
	struct lpm6 *t;                 /* spd_node by destination prefix; made at first add */
	struct siphash_key key;
	uint64_t gen;                   /* bumped on every change: bounds go stale */
	uint64_t node_gen;              /* gen when a node last came or went: parents older are stale */
	uint32_t plen_nodes[129];       /* nodes per prefix length, for parent searches */
	/* Every policy in index order (indexes only grow); deleted slots hold NULL. */
	uint32_t *idx;
	struct xfrm_policy **pol;
	uint32_t n, cap, live;
	uint32_t next_index, next_reqid;
	uint64_t next_seq;
	uint32_t *npol;                 /* the stack's xfrm_npol: policies per direction */
};

/* policy_index.c */
int spd_index_insert(struct xfrm_spd *spd, struct xfrm_policy *pol);
void spd_index_remove(struct xfrm_spd *spd, struct xfrm_policy *pol);
struct xfrm_policy *spd_index_find(struct xfrm_spd *spd, const struct xfrm_selector *sel, int dir);
void spd_index_free(struct xfrm_spd *spd);
/* Where the selector's addresses sit in the shared 128-bit space. */
static inline unsigned spd_plen(const struct xfrm_selector *sel, unsigned plen)
{
	return sel->family == AF_INET ? 96 + plen : plen;
}

#endif
