/*
 * SPD internals shared by policy.c (the database), policy_index.c (the
 * lookup structure), policy_lookup.c (the lookup), policy_src.c (the
 * source index of large nodes) and policy_dst.c (the host index).
 */
#ifndef USAGI_XFRM_POLICY_PRIV_H
#define USAGI_XFRM_POLICY_PRIV_H

#include "ipv6/lpm6.h"
#include "xfrm/policy.h"

/*
 * One policy as the lookup sees it: the selector fields beside the
 * priority, so checking a candidate reads neither the policy nor a second
 * cache line (the source mask is derived from splen).
 */
struct spd_ent {
	uint64_t shi, slo;              /* source prefix, host order, masked, mapped for IPv4 */
	struct xfrm_policy *pol;
	uint32_t prio;
	int ifindex;
	uint16_t sport, smask, dport, dmask;
	uint8_t splen;                  /* source prefix length in the 128-bit (mapped) space */
	uint8_t proto;
	uint8_t dir;                    /* in spd_hot.one: SPD_DIR_MULTI unless the node has one policy */
	uint8_t unused;
	uint32_t bound;                 /* in spd_hot.one: its node's bound[dir] */
};

#define SPD_DIR_MULTI 0xff

struct spd_src;

/* A node's policies for one direction. */
struct spd_vec {
	struct spd_ent *e;              /* all of them, sorted by priority, then add order */
	uint32_t n, cap;
	struct spd_src *src;            /* NULL, or the lookup's index of them (policy_src.c) */
};

/*
 * Once a node holds many policies for one direction whose source is a
 * single host (a gateway's inbound policies: one per peer, all to the same
 * local prefix), scanning them all is what a lookup would cost. Then they
 * are also kept by source address, and a lookup checks the flow's source's
 * policies and the others (rest) instead of the whole vector.
 *
 * By source: an open-addressing table (linear probing, at most half full)
 * of one cache line per source, holding that source's first policy in
 * priority order, so the common lookup (one policy per peer) costs one
 * line of a table that big SPDs get in huge pages, and no pointer chase.
 */
struct spd_sslot {
	struct spd_ent e;               /* the source's first policy; e.pol == NULL: free slot */
	struct spd_ent *more;           /* the source's others, sorted; NULL if none */
	uint32_t nmore;
	uint32_t pad;                   /* to the line (the hash is cheap to recompute: spd_addr_hash) */
};

_Static_assert(sizeof(struct spd_sslot) == 64, "a slot is one cache line");

struct spd_src {
	struct spd_ent *rest;           /* the policies whose source is not a single host, sorted */
	uint32_t nrest, caprest;
	struct spd_sslot *slot;         /* mask + 1 slots, 64-byte aligned */
	uint32_t mask, nused;           /* nused: slots holding a source */
};

#define SPD_SRC_MIN 16                  /* host-source policies that make a node build the index */

struct spd_node;

/*
 * All a lookup reads of a node holding a single policy (most do). It sits
 * right after the node's lpm6 prefix, so lpm6 keeps a copy of it in the
 * bucket that holds the prefix (a payload table): the trie's last read
 * already brings the policy, and the node itself is not touched. A copy is
 * good while gen equals spd->gen; a lookup that finds it stale refreshes
 * the node, which refreshes the copy.
 */
struct spd_hot {
	struct spd_node *parent;        /* longest shorter prefix in the table holding this one */
	uint64_t gen;                   /* parent and bounds are valid while this equals spd->gen */
	struct spd_ent one;             /* the only policy; one.dir == SPD_DIR_MULTI if npol != 1 */
};

/*
 * A destination prefix that some policy names exactly. The vectors hold
 * every policy (the single one too) and are read only for nodes with
 * several. lpm6 hands back the node itself as its value.
 */
struct spd_node {
	struct lpm6_pfx pfx;            /* first, and hot right after it (the lpm6 payload) */
	struct spd_hot hot;
	struct spd_vec v[XFRM_DIR_MAX];
	/*
	 * Lowest priority of any policy per direction in the shorter prefixes
	 * (UINT32_MAX if none): a candidate below it ends the walk.
	 */
	uint32_t bound[XFRM_DIR_MAX];
	uint32_t npol;
	uint64_t pgen;                  /* spd->gen when parent was found */
	uint8_t fam;                    /* its table: SPD_FAM_* */
	uint8_t dslot;                  /* 1 + the direction whose host index holds it (policy_dst.c), 0: none */
	uint32_t nhidx;                 /* not a host: its place in spd_tbl.nonhost */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct spd_node, hot) == sizeof(struct lpm6_pfx) && sizeof(struct spd_ent) == 48,
	       "lpm6 copies the hot part from right after the prefix");

/*
 * One trie per family: an IPv4 or IPv6 selector never matches a flow of the
 * other family, so neither walk visits the other's prefixes. IPv4 keys put
 * the address in the top 32 bits (plen 0..32), so an IPv4 lookup starts at
 * the root's 16-bit stride like an IPv6 one instead of descending through
 * ::ffff:0:0/96 first.
 */
enum { SPD_FAM_4 = 0, SPD_FAM_6 = 1, SPD_FAM_MAX = 2 };

struct spd_tbl {
	struct lpm6 *t;                 /* spd_node by destination prefix; made at first add */
	uint32_t plen_nodes[129];       /* nodes per prefix length, for parent searches */
	/*
	 * The nodes that are not hosts, in no order. A gateway has few (its
	 * local prefix, a catch-all) under many hosts: when the host index
	 * holds every host, a destination it does not know is matched against
	 * these instead of down a trie its hosts made deep (policy_lookup.c).
	 */
	struct spd_node **nonhost;
	uint32_t nnonhost, capnonhost;
};

#define SPD_NONHOST_SCAN 8              /* at most this many: scanned instead of the trie */

/* A node's prefix length that makes it a host in family @fam's table. */
static inline unsigned spd_host_plen(unsigned fam)
{
	return fam == SPD_FAM_4 ? 32 : 128;
}

/*
 * Memory for spd_node (policy_index.c): chunks growing to 2 MiB, aligned
 * and offered as huge pages, freed nodes reused. A lookup whose longest
 * prefix is an IPv4 host reads its node (lpm6 keeps no payload copy in a
 * trie entry), and nodes from malloc would sit one to a 4 KiB page among
 * the policies: a TLB miss each.
 */
struct spd_pool {
	void **chunks;                  /* chunk i has spd_pool_chunk(i) bytes */
	unsigned n, cap;
	unsigned char *cur, *end;       /* the unused part of the last chunk */
	struct spd_node *free;          /* linked through hot.parent */
};

/*
 * policy_dst.c: a host node holding one policy, by destination. One cache
 * line: the key (as the node's prefix) and the node's hot.one.
 */
struct spd_dslot {
	uint64_t khi, klo;
	struct spd_ent e;               /* e.pol == NULL: free slot */
};

_Static_assert(sizeof(struct spd_dslot) == 64, "a slot is one cache line");

struct spd_dtab {
	struct spd_dslot *slot;         /* mask + 1 slots (NULL until the first), 64-byte aligned */
	uint32_t mask, nused;
};

struct xfrm_spd {
	struct spd_tbl fam[SPD_FAM_MAX];
	struct spd_dtab dst[SPD_FAM_MAX][XFRM_DIR_MAX];
	uint64_t dst_gen;               /* the dst index is good while this equals gen */
	uint32_t dst_stale;             /* lookups that found it stale since it last was good */
	struct spd_pool pool;
	struct siphash_key key;
	uint64_t gen;                   /* bumped by a change other nodes depend on: their bounds go stale */
	/*
	 * Bit fam * XFRM_DIR_MAX + dir: lookups probe dst[fam][dir], which
	 * holds at least half its family's prefixes (as when checked last).
	 * A probe that misses costs a memory read before the trie's; only
	 * where hosts dominate do the hits pay for it. Beside gen, which the
	 * lookup reads anyway.
	 */
	uint32_t dst_on;
	uint32_t sc_on;                 /* likewise: shint[fam][dir] has a node (maybe stale) */
	uint64_t node_gen;              /* gen when such a node came or went: parents older are stale */
	/*
	 * Bumped by every add, update, delete and flush, before any policy is
	 * freed: a cached lookup result (xfrm_output.c, xfrm_policy_check.c)
	 * is what a lookup would return, and its policy still alive, while
	 * this holds the value it had when the result was found.
	 */
	uint64_t changes;
	/*
	 * Per family and direction, the node with the largest by-source index
	 * that lookups came to (a gateway's inbound policies, one per peer, all
	 * to the local prefix), if no longer prefix lies inside it: a flow to
	 * that prefix then ends in that node, and the lookup goes there without
	 * the trie. Good while changes holds the value it had when set; size:
	 * the largest index offered since, so each node is weighed once.
	 */
	struct spd_shint {
		struct spd_node *node;          /* NULL: none */
		uint64_t changes;
		uint64_t khi, klo, mhi, mlo;    /* its prefix and masks, as the trie keys them */
		uint32_t size;
	} shint[SPD_FAM_MAX][XFRM_DIR_MAX];
	/* Every policy in index order (indexes only grow); deleted slots hold NULL. */
	uint32_t *idx;
	struct xfrm_policy **pol;
	uint32_t n, cap, live;
	uint32_t next_index, next_reqid;
	uint64_t next_seq;
	uint32_t *npol;                 /* the stack's xfrm_npol: policies per direction */
};

/*
 * The open-addressing tables' hash of an address (host order): a keyed
 * multiply-xorshift. The lookup runs per packet, and SipHash would cost a
 * fifth of it. The tables' contents are the administrator's, not the
 * wire's, so a sender cannot lengthen probe runs; the key keeps the spread
 * independent of how addresses were numbered.
 */
static inline uint32_t spd_addr_hash(uint64_t hi, uint64_t lo, const struct siphash_key *key)
{
	uint64_t h = (hi ^ key->k0) * 0x9e3779b97f4a7c15ULL;

	h ^= (lo ^ key->k1) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	h *= 0x94d049bb133111ebULL;
	return (uint32_t)(h >> 32);
}

/*
 * Backward-shift delete in the SPD's open-addressing tables (by source,
 * by host destination), whose @stride-byte slots start with their key
 * (an address, hi then lo in host order) and are free when the policy
 * pointer at @pol_off is NULL: frees slot @i of the @mask + 1 at @slots
 * and moves back each entry after it whose probe run crossed it (one
 * whose home lies cyclically in (i, j] stays).
 */
_Static_assert(offsetof(struct spd_sslot, e.shi) == 0 && offsetof(struct spd_sslot, e.slo) == 8 &&
	       offsetof(struct spd_dslot, khi) == 0 && offsetof(struct spd_dslot, klo) == 8,
	       "a slot starts with its key");

static inline void spd_oa_clear(void *slots, size_t stride, size_t pol_off, uint32_t mask, uint32_t i,
				const struct siphash_key *key)
{
	unsigned char *t = slots;

	for (uint32_t j = i;;) {
		uint64_t k[2];
		void *pol;

		j = (j + 1) & mask;
		memcpy(&pol, t + (size_t)j * stride + pol_off, sizeof(pol));
		if (!pol)
			break;
		memcpy(k, t + (size_t)j * stride, sizeof(k));
		uint32_t home = spd_addr_hash(k[0], k[1], key) & mask;

		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		memcpy(t + (size_t)i * stride, t + (size_t)j * stride, stride);
		i = j;
	}
	memset(t + (size_t)i * stride, 0, stride);
}

/* policy_src.c: zeroed memory, 64-byte aligned; from 2 MiB on its own mapping, 2 MiB aligned, as huge pages. */
void *spd_big_alloc(size_t bytes);
/* Frees what spd_big_alloc(@bytes) returned (NULL is fine). */
void spd_big_free(void *p, size_t bytes);

/* policy_index.c */
int spd_index_insert(struct xfrm_spd *spd, struct xfrm_policy *pol);
void spd_index_remove(struct xfrm_spd *spd, struct xfrm_policy *pol);
struct xfrm_policy *spd_index_find(struct xfrm_spd *spd, const struct xfrm_selector *sel, int dir);
/* Frees every node and trie; the SPD's policies are the caller's. */
void spd_index_free(struct xfrm_spd *spd);
/* Brings @n's parent and bounds up to date (its ancestors' first), and the trie's copy of them. */
void spd_node_refresh(struct xfrm_spd *spd, struct spd_node *n);

/*
 * policy_src.c: @v's source index, kept in step with @v->e (the callers
 * change e first). After @e (a copy of the one just put in @v->e) was
 * added: builds the index once worth it. Without memory the index goes
 * and lookups scan @v->e, which is always right.
 */
void spd_src_added(struct spd_vec *v, const struct spd_ent *e, const struct siphash_key *key);
/* After @pol left @v->e. */
void spd_src_removed(struct spd_vec *v, const struct xfrm_policy *pol, const struct siphash_key *key);
void spd_src_free(struct spd_vec *v);
/* The policy in @v with this (normalised) selector, by the index; NULL if none. */
struct xfrm_policy *spd_src_find(const struct spd_vec *v, const struct xfrm_selector *sel, const struct siphash_key *key);
/*
 * policy_dst.c: puts @n in (or takes it out of, or refreshes its slot in)
 * the host index its current state calls for. Call after each change
 * that spd_node_refresh() brought @n up to date for.
 */
void spd_dst_sync(struct xfrm_spd *spd, struct spd_node *n);
/* Takes @n out of the host index (before it goes). */
void spd_dst_drop(struct xfrm_spd *spd, struct spd_node *n);
/* The slot's policy for destination key @hi/@lo in @d (nused > 0), NULL if none. */
const struct spd_ent *spd_dst_find(const struct spd_dtab *d, uint64_t hi, uint64_t lo, const struct siphash_key *key);
/* Sets @fam/@dir's bit in spd->dst_on from the counts now. */
void spd_dst_gate(struct xfrm_spd *spd, unsigned fam, unsigned dir);
/* Frees the host index tables (their nodes dropped already). */
void spd_dst_free(struct xfrm_spd *spd);
/* policy_index.c: after enough lookups found the host index stale, refreshes every slot; then dst_gen == gen. */
void spd_dst_revalidate(struct xfrm_spd *spd);

/* The better of @best and the first match in @s for @fl (source @hi/@lo). */
const struct spd_ent *spd_src_best(const struct spd_src *s, const struct xfrm_flow *fl, uint64_t hi, uint64_t lo,
				   const struct spd_ent *best, const struct siphash_key *key);

/* True if @a should be tried before @b: lower priority value, then older. */
static inline bool spd_ent_before(const struct spd_ent *a, const struct spd_ent *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->pol->seq < b->pol->seq);
}

/* The masks of an @l-bit prefix (0..128) over a key's high and low 64 bits. */
static inline uint64_t spd_mask_hi(unsigned l)
{
	return l >= 64 ? ~0ULL : ~(~0ULL >> l);
}

static inline uint64_t spd_mask_lo(unsigned l)
{
	return l > 64 ? ~0ULL << (128 - l) : 0;
}

/* True if @e matches @fl, whose source is @hi/@lo (host order). The family is the table's. */
static inline bool spd_ent_match(const struct spd_ent *e, const struct xfrm_flow *fl, uint64_t hi, uint64_t lo)
{
	unsigned l = e->splen;
	uint64_t mhi = spd_mask_hi(l), mlo = spd_mask_lo(l);

	if (((hi ^ e->shi) & mhi) | ((lo ^ e->slo) & mlo))
		return false;
	if (e->proto != XFRM_PROTO_ANY && e->proto != fl->proto)
		return false;
	if (e->smask | e->dmask) {
		if (fl->flags & XFRM_FLOW_NOPORTS)
			return false;
		if (((fl->sport ^ e->sport) & e->smask) | ((fl->dport ^ e->dport) & e->dmask))
			return false;
	}
	return !e->ifindex || e->ifindex == fl->ifindex;
}

/* The best of @best and the first match in @e[0..n) (sorted), which stops where nothing can beat @best. */
static inline const struct spd_ent *spd_scan(const struct spd_ent *e, uint32_t n, const struct xfrm_flow *fl,
					     uint64_t hi, uint64_t lo, const struct spd_ent *best)
{
	for (uint32_t i = 0; i < n; i++) {
		if (best && !spd_ent_before(&e[i], best))
			break;
		if (spd_ent_match(&e[i], fl, hi, lo))
			return &e[i];
	}
	return best;
}
/* Where the selector's addresses sit in the shared 128-bit space. */
static inline unsigned spd_plen(const struct xfrm_selector *sel, unsigned plen)
{
	return sel->family == AF_INET ? 96 + plen : plen;
}

#endif
