/* SPD internals shared by policy.c (the database) and policy_index.c (lookup). */
#ifndef USAGI_XFRM_POLICY_PRIV_H
#define USAGI_XFRM_POLICY_PRIV_H

#include "ipv6/lpm6.h"
#include "xfrm/policy.h"

/*
 * One policy as the lookup sees it: the selector fields beside the
 * priority, so checking a candidate reads one cache line and not the policy.
 */
struct spd_ent {
	uint64_t shi, slo, smhi, smlo;  /* source prefix and mask, host order, mapped for IPv4 */
	uint32_t prio;
	uint16_t sport, smask, dport, dmask;
	uint8_t proto, family;
	int ifindex;
	struct xfrm_policy *pol;
};

struct spd_vec {
	struct spd_ent *e;              /* sorted by priority, then add order */
	uint32_t n, cap;
};

/*
 * A destination prefix that some policy names exactly. What a lookup reads
 * (parent, gen, the vectors) fills the first cache line; the trie's part
 * follows. lpm6 hands back the node itself as its value.
 */
struct spd_node {
	struct spd_node *parent;        /* longest shorter prefix in the table holding this one */
	uint64_t gen;                   /* parent is valid while this equals spd->gen */
	struct spd_vec v[XFRM_DIR_MAX];
	struct spd_ent inl;             /* the first one-entry vector lives here, next to its header */
	struct lpm6_pfx pfx;            /* mapped for IPv4 (96 + plen) */
	uint32_t npol;
	bool inl_used;
} __attribute__((aligned(64)));

struct xfrm_spd {
	struct lpm6 *t;                 /* spd_node by destination prefix; made at first add */
	struct siphash_key key;
	uint64_t gen;                   /* bumped when a node comes or goes: parents go stale */
	uint32_t plen_nodes[129];       /* nodes per prefix length, for parent searches */
	/* Every policy in index order (indexes only grow); deleted slots hold NULL. */
	uint32_t *idx;
	struct xfrm_policy **pol;
	uint32_t n, cap, live;
	uint32_t next_index, next_reqid;
	uint64_t next_seq;
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
