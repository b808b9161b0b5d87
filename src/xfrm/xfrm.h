/*
 * SAD: the Security Association Database (RFC 4301 4.4.2), shaped like
 * Linux XFRM states / KAME SAs so PF_KEY (issue 5) maps onto it directly.
 *
 * An SA is named by its id (destination, SPI, protocol). Input finds it by
 * id (xfrm_state_lookup, the hot path: one keyed hash probe); output finds
 * it by what a policy template resolved to (xfrm_state_find). Addresses are
 * in6_addr, IPv4 as ::ffff:a.b.c.d (ip4_to_mapped); SPIs are host order.
 *
 * Life of an SA (enum xfrm_sa_state):
 *   LARVAL  made by xfrm_alloc_spi (GETSPI) or xfrm_acquire; reserves its
 *           SPI, carries no traffic, dies after XFRM_LARVAL_LIFETIME_S
 *           unless xfrm_state_update makes it MATURE;
 *   MATURE  usable; xfrm_state_add makes SAs in this state;
 *   DYING   a soft lifetime ran out (announced once): still usable, but
 *           output prefers any MATURE SA for the same template;
 *   DEAD    a hard lifetime ran out or it was deleted: out of every
 *           table, unusable, freed when the last reference goes.
 *
 * Lifetimes (RFC 4301 4.4.2.1) in bytes, packets, seconds since add and
 * seconds since first use; 0 means no limit. Bytes and packets are checked
 * by xfrm_state_account on every packet, times by one timer per SA.
 *
 * Pointers returned by lookups are borrowed: valid until control returns to
 * the stack's event loop or the SAD is next changed. Keep one longer (a
 * bundle, a queued packet) with xfrm_state_hold / xfrm_state_put.
 *
 * Key material lives in the SA's algorithm blocks and crypto context only;
 * it is wiped when the SA is freed and never logged.
 */
#ifndef USAGI_XFRM_XFRM_H
#define USAGI_XFRM_XFRM_H

#include "core/common.h"
#include "core/timer.h"
#include "crypto/crypto.h"
#include "xfrm/policy.h"
#include "xfrm/replay.h"

struct stack;
struct xfrm_sad;

enum xfrm_mode { XFRM_MODE_TRANSPORT = XFRM_TMPL_TRANSPORT, XFRM_MODE_TUNNEL = XFRM_TMPL_TUNNEL };
enum xfrm_sa_state { XFRM_STATE_LARVAL, XFRM_STATE_MATURE, XFRM_STATE_DYING, XFRM_STATE_DEAD };

#define XFRM_LARVAL_LIFETIME_S 30   /* an unanswered GETSPI/ACQUIRE (Linux's acquire expiry) */
#define XFRM_SPI_MIN 256            /* RFC 4303 2.1: 1..255 reserved by IANA, 0 local */

/* xfrm_sa_cfg.flags */
#define XFRM_SA_F_ESN      0x01     /* 64-bit sequence numbers (RFC 4303 2.2.1) */
#define XFRM_SA_F_NOCRYPTO 0x02     /* tests/benchmarks: no algorithms, no context; the
				       codecs refuse such an SA. PF_KEY never sets it. */

struct xfrm_id {
	struct in6_addr daddr;
	uint32_t spi;               /* host order; IPComp: the CPI, 16 bits */
	uint8_t proto;              /* IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP */
};

struct xfrm_lifetime {              /* 0: no limit */
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_add_s, hard_add_s;  /* seconds since the SA was added */
	uint64_t soft_use_s, hard_use_s;  /* seconds since its first packet */
};

struct xfrm_lifetime_cur {
	uint64_t bytes, packets;
	uint64_t add_time;          /* ns, stack clock: added (or made mature) */
	uint64_t use_time;          /* ns, first packet; 0 = not used yet */
};

/* An algorithm as PF_KEY/setkey gives it: crypto.h name and key bytes. */
struct xfrm_algo {
	char name[32];              /* "" = none */
	uint16_t key_len;           /* bytes */
	uint8_t key[CRYPTO_MAX_KEY];
};

/* NAT traversal (RFC 3948), carried for later: 0 type = none. */
struct xfrm_encap {
	uint16_t type;              /* UDP_ENCAP_ESPINUDP = 2 */
	uint16_t sport, dport;      /* host order */
	struct in6_addr oa;         /* original address */
};

/* Everything a caller says about an SA (PF_KEY ADD/UPDATE, setkey, tests). */
struct xfrm_sa_cfg {
	struct xfrm_id id;
	struct in6_addr saddr;
	uint8_t family;             /* AF_INET or AF_INET6: of the outer header (the SA's addresses) */
	uint8_t mode;               /* enum xfrm_mode */
	uint16_t replay_window;     /* packets, 0 (no anti-replay) .. XFRM_REPLAY_MAX */
	uint32_t reqid;
	uint32_t flags;             /* XFRM_SA_F_* */
	struct xfrm_algo enc;       /* ESP cipher or AEAD ("null" for none) */
	struct xfrm_algo auth;      /* ESP/AH integrity */
	struct xfrm_algo comp;      /* IPComp ("deflate"); no key */
	struct xfrm_lifetime lft;
	struct xfrm_encap encap;
};

/* Per-SA counters (PF_KEY/`setkey -D` shows them). */
struct xfrm_sa_stats {
	uint64_t replay_dup;        /* already received */
	uint64_t replay_old;        /* left of the window */
	uint64_t integrity_failed;  /* ICV mismatch: the codec's caller counts it here */
	uint64_t seq_overflow;      /* output refused: sequence numbers used up */
};

struct xfrm_state {
	/* The input lookup reads only the SAD's index (state_priv.h), never the SA. */
	struct xfrm_state *hnext[2];   /* SAD chains: [1] by addresses ([0] unused) */
	struct xfrm_sa_cfg c;          /* c.id first */
	struct xfrm_state **hpprev[2]; /* what points at us in each chain: O(1) unlink */

	enum xfrm_sa_state state;
	unsigned refcnt;               /* the SAD's own reference while not DEAD, + holds */
	uint32_t km_seq;               /* PF_KEY sequence of the ACQUIRE/GETSPI that made it */
	uint32_t policy_index;         /* the policy an ACQUIRE was for; 0 = none */
	uint64_t gen;                  /* creation order: dumps walk in it */
	uint64_t seq_out;              /* last sequence number sent */
	struct xfrm_lifetime_cur cur;
	bool soft_done;                /* the soft expiry was announced */
	bool acquire;                  /* larval made by xfrm_acquire (no SPI yet) */
	struct xfrm_replay *replay;    /* NULL: window 0 */
	struct crypto_ctx *crypto;     /* ESP/AH once mature; NULL with XFRM_SA_F_NOCRYPTO */
	struct crypto_comp *comp;      /* IPComp once mature */
	struct xfrm_sa_stats stats;
	struct timer timer;            /* the next lifetime deadline, or the reaper */
	struct dlist all;              /* SAD list in creation order (dead ones while held) */
	struct dlist larval_node;      /* SAD list of larval SAs */
	uint64_t hash[2];
	struct xfrm_sad *sad;
};

/* SAD events, for PF_KEY (issue 5) and tests. */
enum xfrm_event_type {
	XFRM_EV_ACQUIRE,      /* x: the new larval SA; tmpl: what is needed */
	XFRM_EV_EXPIRE_SOFT,  /* x: now DYING */
	XFRM_EV_EXPIRE_HARD,  /* x: now DEAD, about to leave the SAD */
	XFRM_EV_ADD,
	XFRM_EV_DELETE,       /* x: now DEAD */
	XFRM_EV_UPDATE,
	XFRM_EV_FLUSH,        /* x NULL; proto: the one flushed, 0 = all */
};
/* Which limit an expiry hit (bits). */
#define XFRM_EXP_BYTES   0x01
#define XFRM_EXP_PACKETS 0x02
#define XFRM_EXP_ADD     0x04
#define XFRM_EXP_USE     0x08
#define XFRM_EXP_SEQ     0x10   /* output sequence numbers ran out */

struct xfrm_event {
	enum xfrm_event_type type;
	struct xfrm_state *x;
	const struct xfrm_resolved *tmpl;   /* ACQUIRE only */
	uint8_t proto;                      /* FLUSH only */
	unsigned reason;                    /* EXPIRE_*: XFRM_EXP_* */
};

/* Listeners read the event and may queue messages; they must not change the SAD. */
typedef void (*xfrm_listen_fn)(struct stack *st, const struct xfrm_event *ev, void *ctx);
#define XFRM_LISTENERS_MAX 8

int xfrm_sad_init(struct stack *st);
void xfrm_sad_fini(struct stack *st);

/* Registers @fn (0, -ENOSPC, -EEXIST for the same fn+ctx); unlisten removes it. */
int xfrm_listen(struct stack *st, xfrm_listen_fn fn, void *ctx);
void xfrm_unlisten(struct stack *st, xfrm_listen_fn fn, void *ctx);

/*
 * Adds a MATURE SA from @cfg (copied; the caller wipes its copy of the
 * keys). Builds the crypto context and the replay window (ESN with window 0
 * gets the minimum 32: the window is what infers the high bits). Replaces a
 * pending ACQUIRE larval for the same template. Announces ADD.
 * 0 and *@out (may be NULL), or -EEXIST (same id, any state), -EINVAL (bad
 * proto/mode/family/addresses/window, SPI 0, unknown algorithm, key refused),
 * -ENOMEM.
 */
int xfrm_state_add(struct stack *st, const struct xfrm_sa_cfg *cfg, struct xfrm_state **out);

/*
 * PF_KEY UPDATE: a LARVAL SA with @cfg's id becomes MATURE with @cfg (its
 * add time restarts); a MATURE or DYING one takes @cfg's lifetimes and
 * encapsulation only. Announces UPDATE. 0, -ESRCH (no such SA), or as add.
 */
int xfrm_state_update(struct stack *st, const struct xfrm_sa_cfg *cfg, struct xfrm_state **out);

/* Deletes @x (any state but DEAD); announces DELETE. */
void xfrm_state_delete(struct stack *st, struct xfrm_state *x);
/* Deletes by id. 0 or -ESRCH. */
int xfrm_state_delete_id(struct stack *st, const struct in6_addr *daddr, uint32_t spi, uint8_t proto);
/* Deletes every SA of @proto (0 or XFRM_PROTO_ANY: all); announces FLUSH once. Returns the count. */
unsigned xfrm_state_flush(struct stack *st, uint8_t proto);

/* The SA with this id in any state but DEAD (PF_KEY GET), NULL if none. */
struct xfrm_state *xfrm_state_get(struct stack *st, const struct in6_addr *daddr, uint32_t spi, uint8_t proto);
/* Input, hot path: the MATURE or DYING SA with this id, NULL if none. Counts nothing. */
struct xfrm_state *xfrm_state_lookup(struct stack *st, const struct in6_addr *daddr, uint32_t spi, uint8_t proto);
/*
 * Output: the SA for a resolved template (daddr, saddr, proto, mode, and
 * reqid and spi unless 0): a MATURE one before any DYING one, the newest
 * first (RFC 4301 4.4.2; Linux). LARVAL SAs never carry traffic. NULL if none.
 */
struct xfrm_state *xfrm_state_find(struct stack *st, const struct xfrm_resolved *t);
/* The LARVAL SA made by the GETSPI/ACQUIRE with PF_KEY sequence @km_seq, NULL if none. */
struct xfrm_state *xfrm_state_find_seq(struct stack *st, uint32_t km_seq);

/*
 * GETSPI: a LARVAL SA for (@t->daddr, @t->saddr, @t->proto, mode, reqid)
 * with a random free SPI in [@min, @max] (clamped to >= XFRM_SPI_MIN; for
 * IPComp to <= 0xffff): uniform start, then probing. If the pending ACQUIRE
 * larval with @km_seq matches, it takes the SPI instead of a new SA.
 * 0 and *@out, -EAGAIN (no free SPI in the range), -EINVAL, -ENOMEM.
 */
int xfrm_alloc_spi(struct stack *st, const struct xfrm_resolved *t, uint32_t min, uint32_t max,
		   uint32_t km_seq, struct xfrm_state **out);

/*
 * Output found no SA for a `require` template: makes one LARVAL SA (no SPI)
 * for it and announces ACQUIRE with a fresh km_seq. While that larval SA
 * lives, a second call for the same template is -EEXIST (no new event);
 * -EBUSY when too many acquires are pending or the rate limit says wait.
 */
int xfrm_acquire(struct stack *st, const struct xfrm_resolved *t, uint32_t policy_index,
		 struct xfrm_state **out);

/*
 * Counts one packet of @bytes on @x and checks its byte/packet lifetimes
 * (the first packet also starts the use-time lifetimes). 0: the packet may
 * use @x (a soft limit may have been announced); -EKEYEXPIRED: @x had hit a
 * hard limit or is not usable, drop the packet. The packet that reaches a
 * hard limit is the SA's last: @x then becomes DEAD at once and leaves the
 * SAD at the next timer run, so @x stays valid for the caller.
 */
int xfrm_state_account(struct stack *st, struct xfrm_state *x, size_t bytes);

/*
 * The next output sequence number into *@seq (RFC 4303 3.3.3: never wraps).
 * -EOVERFLOW when the 32-bit (or ESN 64-bit) space is used up: counted, and
 * the SA is announced as soft-expired (rekey) if it was not yet.
 */
int xfrm_state_next_seq(struct stack *st, struct xfrm_state *x, uint64_t *seq);

/*
 * Input anti-replay, counted per SA and per stack: as xfrm_replay_check /
 * xfrm_replay_advance (replay.h); without a window, every number passes.
 */
int xfrm_state_replay_check(struct stack *st, struct xfrm_state *x, uint32_t seq_lo, uint64_t *seq64);
int xfrm_state_replay_advance(struct stack *st, struct xfrm_state *x, uint64_t seq64);

static inline void xfrm_state_hold(struct xfrm_state *x) { x->refcnt++; }
/* Drops a reference; the last one frees @x and wipes its keys. */
void xfrm_state_put(struct xfrm_state *x);
static inline bool xfrm_state_usable(const struct xfrm_state *x)
{
	return x->state == XFRM_STATE_MATURE || x->state == XFRM_STATE_DYING;
}

/* SAs in the SAD (every state but DEAD). */
unsigned xfrm_state_count(const struct stack *st);

/*
 * Calls @fn on every SA of @proto (0/XFRM_PROTO_ANY: all) in creation
 * order; @fn may delete any SA. Stops at the first non-zero return and
 * returns it.
 */
int xfrm_state_foreach(struct stack *st, uint8_t proto,
		       int (*fn)(struct stack *st, struct xfrm_state *x, void *ctx), void *ctx);

/*
 * A resumable dump (PF_KEY DUMP over many messages): every SA that exists
 * for the whole dump is returned exactly once, in creation order, whatever
 * is added or deleted in between; SAs added meanwhile come at the end. The
 * walk holds a reference on the last SA it returned: finish every walk
 * with xfrm_state_walk_done.
 */
struct xfrm_state_walk {
	struct xfrm_state *last;   /* held; NULL before the first */
	uint8_t proto;             /* 0: all */
	bool done;
};
void xfrm_state_walk_init(struct xfrm_state_walk *w, uint8_t proto);
struct xfrm_state *xfrm_state_walk_next(struct stack *st, struct xfrm_state_walk *w);
void xfrm_state_walk_done(struct xfrm_state_walk *w);

#endif
