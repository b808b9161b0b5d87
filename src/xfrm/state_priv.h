/* SAD internals shared by state.c, state_lifetime.c and spi.c. */
#ifndef USAGI_XFRM_STATE_PRIV_H
#define USAGI_XFRM_STATE_PRIV_H

#include "xfrm/xfrm.h"

/* BYID (the index) holds every SA with an SPI, the BYADDR chains every SA (both: not DEAD). */
enum { SAD_BYID = 0, SAD_BYADDR = 1 };

struct sad_table {
	struct xfrm_state **b;
	uint32_t mask;             /* buckets - 1 */
	uint32_t count;
};

/*
 * The by-id index: 64-byte buckets of four entries, linearly probed at load
 * <= 1/2 of the entries. An entry holds the SA's whole id: its SPI, proto
 * and the number of its destination address in the index's table of
 * distinct destinations (inbound SAs share a few), never 0, so a zero key
 * is an empty entry; and the SA with its input usability in bit 0. An input
 * lookup finds the address's number in that small, hot table while the
 * bucket line loads, then compares the line's four keys without branches:
 * a hit is exact and never reads the SA. A lookup stops at the first bucket
 * with an empty entry, so removal moves later entries back into the hole
 * (no tombstones).
 */
#define SAD_WAYS 4
#define SAD_DADDR_MAX ((1u << 24) - 1)   /* key bits 40..63 */

struct sad_bucket {
	uint64_t key[SAD_WAYS];    /* daddr number << 40 | proto << 32 | spi; 0: empty */
	uintptr_t x[SAD_WAYS];     /* struct xfrm_state * | MATURE or DYING */
} __attribute__((aligned(64)));

/* A destination address named by index entries; numbers are reused once none does. */
struct sad_daddr {
	struct in6_addr a;
	uint32_t refs;             /* index entries with this number; 0: free */
	uint32_t next;             /* the hash chain's next number, or the free list's; 0 ends */
};

struct sad_daddrs {
	struct sad_daddr *d;       /* by number; d[0] unused */
	uint32_t *head;            /* hash buckets: the first number of each chain */
	uint32_t mask;             /* buckets - 1 */
	uint32_t n;                /* numbers handed out so far: d[1..n] */
	uint32_t cap;              /* entries of d */
	uint32_t used;             /* numbers with refs */
	uint32_t free;             /* free list of numbers */
};

struct sad_index {
	struct sad_bucket *b;
	uint32_t mask;             /* buckets - 1 */
	uint32_t count;            /* entries */
	struct sad_daddrs da;
	uint64_t gen;              /* bumped by every change of an entry (add, delete, usable bit) */
};

/*
 * Input's last hits (xfrm_state_lookup): an id and what the index gave
 * for it, valid while the index's gen is the one recorded. Only hits are
 * kept, so packets with made-up SPIs can only miss it.
 */
#define SAD_LCACHE_BITS 6
struct sad_lcache_ent {
	struct xfrm_state *x;
	uint64_t gen;              /* 0: empty (the index's gen starts at 1) */
	struct in6_addr daddr;
	uint32_t spi;
	uint8_t proto;
};

struct xfrm_sad {
	struct stack *st;
	struct sad_index byid;
	struct sad_table tab[2];   /* tab[SAD_BYID] unused */
	unsigned count;            /* SAs not DEAD */
	unsigned nacquire;         /* larval SAs from xfrm_acquire */
	struct dlist all;          /* every allocated SA, creation order */
	struct dlist larval;       /* LARVAL SAs */
	uint64_t gen;
	/*
	 * Bumped by every announced change (sad_announce_ev), before any SA
	 * it frees could be looked at again: what xfrm_state_find returns
	 * stays the same while it holds, so output's bundle cache
	 * (xfrm_output.c) is valid as long as it is unchanged.
	 */
	uint64_t changes;
	uint32_t km_seq;           /* last ACQUIRE sequence number */
	struct sad_lcache_ent lcache[1u << SAD_LCACHE_BITS];
	uint64_t acq_tokens, acq_last;
	struct {
		xfrm_listen_fn fn;
		void *ctx;
	} listeners[XFRM_LISTENERS_MAX];
	unsigned nlisteners;
};

#define SAD_ACQUIRE_MAX 1024       /* pending ACQUIREs */
#define SAD_ACQUIRE_COST_MS 10     /* rate: 100 ACQUIREs a second, */
#define SAD_ACQUIRE_BURST 100      /* 100 at once */

/* state.c */
void sad_announce(struct stack *st, enum xfrm_event_type type, struct xfrm_state *x, unsigned reason);
void sad_announce_ev(struct stack *st, const struct xfrm_event *ev);
struct xfrm_state *sad_alloc(struct stack *st);
/* Enters a new @x (state set, id and addresses filled) into the SAD: the SAD's reference. */
int sad_link(struct stack *st, struct xfrm_state *x);
/* Puts @x into the by-id chains (its SPI was just set). */
int sad_hash_id(struct stack *st, struct xfrm_state *x);
/* Tells the input lookup that @x's usability changed (it became MATURE). */
void sad_index_usable(struct stack *st, struct xfrm_state *x);
/* Takes @x out of every table and makes it DEAD; the SAD's reference is still held. */
void sad_unlink(struct stack *st, struct xfrm_state *x);
bool sad_same_tmpl(const struct xfrm_state *x, const struct xfrm_resolved *t);
/* The pending ACQUIRE larval SA for @t, NULL if none. */
struct xfrm_state *sad_find_acquire(struct stack *st, const struct xfrm_resolved *t);

/* state_lifetime.c */
/* (Re)arms @x's timer for its next lifetime deadline. */
void sad_arm(struct stack *st, struct xfrm_state *x);
void sad_expire_soft(struct stack *st, struct xfrm_state *x, unsigned reason);
/* Hard expiry from a timer: announced, out of the SAD, the SAD's reference dropped. */
void sad_expire_hard(struct stack *st, struct xfrm_state *x, unsigned reason);

#endif
