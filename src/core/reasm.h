/*
 * Datagram reassembly queues shared by IPv6 (frag6.c) and IPv4 (frag4.c):
 * keyed-hash lookup of (src, dst, id, proto) — IPv4 addresses as
 * IPv4-mapped IPv6 addresses —, fragments kept in offset order, the
 * overlap rule of RFC 5722 for both families (an overlap kills the whole
 * datagram; RFC 791 allowed overlaps, but they only ever served evasion),
 * a timeout per queue, and ONE memory budget per stack for both families,
 * so a fragment flood of either cannot exhaust the host: when the budget
 * is exceeded the oldest queue of either family is evicted.
 */
#ifndef USAGI_CORE_REASM_H
#define USAGI_CORE_REASM_H

#include "core/common.h"
#include "core/timer.h"

struct stack;
struct pkt;
struct netdev;

#define REASM_BUCKETS 256
#define REASM_MEM_MAX (4u << 20)        /* queued fragment buffer bytes per stack, both families */

/* Per-stack budget (struct stack.reasm); every queue of every family is on its LRU. */
struct reasm_budget {
	struct dlist lru;                /* struct reasm_q, oldest first */
	size_t mem;
	size_t max;                      /* REASM_MEM_MAX unless a test lowers it */
};

struct reasm_key {
	struct in6_addr src, dst;
	uint32_t id;
	uint8_t proto;                   /* IPv4 protocol; 0 for IPv6 (RFC 8200 keys no protocol) */
};

struct reasm_q;

/* Per-family behaviour: counters (stat ids), timeout, what to do on expiry. */
struct reasm_ops {
	uint64_t timeout_ns;
	unsigned max_queues;
	unsigned st_overlap, st_dup, st_inconsistent, st_evict, st_timeout;
	/* Timed out with the first fragment (offset 0) at q->frags: send Time Exceeded. */
	void (*expired)(struct stack *st, const struct pkt *first);
};

struct reasm_table {
	struct dlist buckets[REASM_BUCKETS];
	const struct reasm_ops *ops;
	unsigned count;
	size_t mem;                      /* this family's share of the budget */
};

struct reasm_q {
	struct dlist hnode;              /* bucket chain */
	struct dlist lru;                /* budget->lru */
	struct reasm_table *t;
	struct stack *st;
	struct reasm_key key;
	struct pkt *frags;               /* sorted by offset; data = fragment payload */
	uint32_t total;                  /* datagram end, 0 until the last fragment */
	uint32_t meat;                   /* fragmentable bytes held */
	size_t mem;
	bool dead;                       /* overlap seen: drop the rest of its fragments */
	struct timer timer;
};

/* Offset and length of a queued fragment, kept at the end of pkt->cb. */
struct reasm_frag_cb {
	uint32_t off, len;
};
#define REASM_CB_OFF (64 - sizeof(struct reasm_frag_cb))
#define REASM_CB(p) ((struct reasm_frag_cb *)((p)->cb + REASM_CB_OFF))

/* A table for one family; NULL on ENOMEM. */
struct reasm_table *reasm_table_new(struct stack *st, const struct reasm_ops *ops);
/* Destroys every queue of @t and @t. NULL is fine. */
void reasm_table_free(struct stack *st, struct reasm_table *t);

/* The queue for @k, created (with its timer) if new; NULL on ENOMEM. */
struct reasm_q *reasm_get(struct stack *st, struct reasm_table *t, const struct reasm_key *k);
/*
 * Puts @p (data = fragment payload of @len bytes at @off) in @q. 1 when
 * queued, 0 when it was an exact duplicate (freed), -1 when the datagram
 * was killed by an overlap or inconsistency (p freed). Consumes @p.
 */
int reasm_insert(struct stack *st, struct reasm_q *q, struct pkt *p, uint32_t off, bool more);
static inline bool reasm_complete(const struct reasm_q *q)
{
	return q->total && q->meat == q->total;
}
void reasm_destroy(struct stack *st, struct reasm_q *q);
/*
 * The datagram @np built from complete @q keeps the security path of its
 * first fragment (offset 0; Linux keeps the head's too): the references
 * move to @np. The other fragments release theirs when freed. RFC 4301
 * leaves reassembly before IPsec processing to the implementation; the
 * inbound policy check then judges the datagram by that path.
 */
void reasm_take_sp(struct pkt *np, struct reasm_q *q);
/* Destroys every queue holding a fragment that came in on @dev (it is going away). */
void reasm_forget_dev(struct stack *st, const struct netdev *dev);
/* Evicts the oldest queues (either family) until the budget holds. */
void reasm_trim(struct stack *st);

#endif
