/*
 * SPD: the Security Policy Database (RFC 4301 4.4.1), shaped like Linux
 * XFRM / KAME so setkey users find what they know.
 *
 * A policy has a selector, a direction (in/out/fwd), a priority (lowest
 * value wins; ties go to the policy added first), an action
 * (allow/block/ipsec) and, for ipsec, up to XFRM_TMPL_MAX templates that
 * say which SAs the traffic needs. Each policy gets an index at add time
 * with its direction in the low 3 bits (like Linux's policy index), used by
 * SPDGET/SPDDELETE2 and by dumps.
 *
 * Lookup: policies hang off their destination prefix in an lpm6 trie
 * (policy_index.c); a lookup finds the longest prefix holding the flow's
 * destination, then walks the chain of shorter prefixes that contain it
 * (each node caches its parent), checking in each node only that
 * direction's policies, sorted by priority, and stopping in a node at the
 * first match or once priorities can no longer win. No scan over the
 * whole database.
 *
 * Every change is announced to the SPD's listeners (xfrm_spd_listen,
 * policy_events.c: PF_KEY's SPD broadcasts), and a policy may carry
 * lifetimes (struct xfrm_policy_lifetime) that expire it on a timer.
 *
 * Pointers to policies are valid until the SPD next changes (a lifetime
 * running out is a change); keep the index to find a policy again later.
 * One SPD per struct stack.
 */
#ifndef USAGI_XFRM_POLICY_H
#define USAGI_XFRM_POLICY_H

#include "core/common.h"
#include "core/timer.h"
#include "xfrm/flow.h"

struct stack;

enum xfrm_dir { XFRM_DIR_IN = 0, XFRM_DIR_OUT = 1, XFRM_DIR_FWD = 2, XFRM_DIR_MAX = 3 };
enum xfrm_action { XFRM_ACT_ALLOW = 0, XFRM_ACT_BLOCK = 1, XFRM_ACT_IPSEC = 2 };
/* KAME's levels (IPSEC_LEVEL_*); DEFAULT behaves as REQUIRE. */
enum xfrm_level { XFRM_LEVEL_DEFAULT = 0, XFRM_LEVEL_USE = 1, XFRM_LEVEL_REQUIRE = 2,
		  XFRM_LEVEL_UNIQUE = 3 };
/* Template modes, same values as Linux's XFRM_MODE_TRANSPORT/TUNNEL. */
enum { XFRM_TMPL_TRANSPORT = 0, XFRM_TMPL_TUNNEL = 1 };

#define XFRM_PROTO_ANY 255         /* setkey's "any" (IPSEC_ULPROTO_ANY); 0 is taken as any too */
#define XFRM_TMPL_MAX 6
#define XFRM_REQID_MANUAL_MAX 0x3fff  /* UNIQUE with reqid 0 gets one above this (KAME, Linux) */

struct xfrm_selector {
	struct in6_addr src, dst;  /* IPv4: mapped; bits past the prefix are ignored */
	uint8_t splen, dplen;      /* in the family's terms: IPv4 0..32, IPv6 0..128 */
	uint8_t family;            /* AF_INET or AF_INET6; must equal the flow's */
	uint8_t proto;             /* upper-layer protocol, XFRM_PROTO_ANY for any */
	uint16_t sport, dport;     /* host order; ICMP type/code; MH type in sport */
	uint16_t sport_mask, dport_mask; /* 0 with a non-zero port means 0xffff (PF_KEY: 0 = any) */
	int ifindex;               /* 0: any interface */
};

struct xfrm_tmpl {
	uint8_t proto;             /* IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP */
	uint8_t mode;              /* XFRM_TMPL_TRANSPORT or XFRM_TMPL_TUNNEL */
	uint8_t level;             /* enum xfrm_level */
	uint8_t family;            /* tunnel: the endpoints' (outer) family */
	struct in6_addr saddr, daddr; /* tunnel endpoints (IPv4 mapped); :: = any (in/fwd only) */
	uint32_t reqid;            /* 0: any SA (UNIQUE: one is assigned) */
	uint32_t spi;              /* host order, 0: any */
};

/*
 * Policy lifetimes in seconds, 0 = none (KAME's "lifetime"/"validtime",
 * Linux's xfrm_lifetime_cfg add/use expiry; SPDADD's LIFETIME_HARD/SOFT).
 * The use times are idle times, as in KAME and Linux: measured from the
 * policy's last use (from its add time while it was never used). A soft
 * limit is announced once (XFRM_SPD_EV_EXPIRE_SOFT), the policy stays; a
 * hard limit is announced (XFRM_SPD_EV_EXPIRE_HARD) and removes it.
 */
struct xfrm_policy_lifetime {
	uint64_t soft_add_s, hard_add_s;   /* since the policy was added */
	uint64_t soft_use_s, hard_use_s;   /* since it was last used */
};

struct xfrm_policy {
	/* Set by the caller of xfrm_policy_add. */
	struct xfrm_selector sel;
	uint8_t dir;               /* enum xfrm_dir */
	uint8_t action;            /* enum xfrm_action */
	uint8_t ntmpl;
	uint32_t priority;
	struct xfrm_tmpl tmpl[XFRM_TMPL_MAX]; /* as configured (setkey order) */
	/* Set by the SPD. */
	uint32_t index;            /* (n << 3) | dir */
	uint64_t add_time, use_time; /* stack clock, ns; use_time 0 = never used */
	uint64_t packets, bytes;
	uint64_t seq;              /* add order: breaks priority ties */
	/*
	 * Set by the caller, copied by xfrm_policy_add; spdupdate replaces
	 * them (measured from the original add time, which it keeps).
	 */
	struct xfrm_policy_lifetime lft;
	/* Set by the SPD (policy_events.c): the lifetime timer, armed while a limit is pending. */
	struct timer timer;
	bool soft_done;            /* the soft expiry was announced */
	bool hard_done;            /* the hard expiry was announced: leaving without a DELETE event */
};

/* The SA one template asks for once a flow is known (bundle resolution). */
struct xfrm_resolved {
	const struct xfrm_tmpl *tmpl;
	uint8_t proto, mode, level;
	uint8_t family;            /* of the SA's addresses (the outer header after this step) */
	uint8_t inner_family;      /* of the packet this step protects */
	struct in6_addr saddr, daddr; /* SA addresses: tunnel endpoints, or the current header's */
	uint32_t reqid, spi;
};

/* A dump position that survives any change to the SPD (issue 5). */
struct xfrm_spd_cursor {
	uint32_t last;             /* index of the last policy returned; 0 = start */
};

#define XFRM_POLICY_F_UPDATE 0x01  /* spdupdate: replace a policy with the same selector+dir, or add */

/*
 * SPD events, for PF_KEY (X_SPDADD ... X_SPDEXPIRE broadcasts) and tests:
 * every change, whoever makes it (PF_KEY, the setkey command, `ipsec
 * policy flush`, a config file, a lifetime).
 */
enum xfrm_spd_event_type {
	XFRM_SPD_EV_ADD,          /* pol: the new policy */
	XFRM_SPD_EV_UPDATE,       /* pol: replaced in place by spdupdate (same index) */
	XFRM_SPD_EV_DELETE,       /* pol: about to be freed (still whole, index included) */
	XFRM_SPD_EV_EXPIRE_SOFT,  /* pol: a soft lifetime ran out; it stays */
	XFRM_SPD_EV_EXPIRE_HARD,  /* pol: a hard lifetime ran out; freed right after, no DELETE */
	XFRM_SPD_EV_FLUSH,        /* pol NULL: every policy is gone */
};

struct xfrm_spd_event {
	enum xfrm_spd_event_type type;
	const struct xfrm_policy *pol;
	unsigned reason;          /* EXPIRE_*: XFRM_EXP_ADD or XFRM_EXP_USE (xfrm.h) */
};

/* Listeners read the event and may queue messages; they must not change the SPD. */
typedef void (*xfrm_spd_listen_fn)(struct stack *st, const struct xfrm_spd_event *ev, void *ctx);
#define XFRM_SPD_LISTENERS_MAX 8

/* Registers @fn (0, -ENOSPC, -EEXIST for the same fn+ctx, -ENOMEM); unlisten removes it. */
int xfrm_spd_listen(struct stack *st, xfrm_spd_listen_fn fn, void *ctx);
void xfrm_spd_unlisten(struct stack *st, xfrm_spd_listen_fn fn, void *ctx);

int xfrm_spd_init(struct stack *st);
void xfrm_spd_fini(struct stack *st);

/*
 * Adds a copy of @req (its SPD-set fields are ignored). The selector is
 * normalised (addresses masked, 0 protocol -> any, port masks). Without
 * XFRM_POLICY_F_UPDATE a policy with the same selector and direction is
 * -EEXIST; with it that policy's priority, action, templates and
 * lifetimes are replaced and it keeps its index, counters and age.
 * Announces ADD or UPDATE (policy_events.c) and arms the lifetime timer. -EINVAL for a
 * malformed policy, -ENOMEM, -ENOSPC when indexes run out. On success
 * *@out (if not NULL) is the policy in the SPD.
 */
int xfrm_policy_add(struct stack *st, const struct xfrm_policy *req, int flags,
		    struct xfrm_policy **out);
/* Deletes the policy with this selector (normalised as at add) and direction; announces DELETE. 0 or -ENOENT. */
int xfrm_policy_delete(struct stack *st, const struct xfrm_selector *sel, int dir);
/* SPDDELETE2; announces DELETE. 0 or -ENOENT. */
int xfrm_policy_delete_index(struct stack *st, uint32_t index);
/* SPDGET: the policy with this index, NULL if none. */
struct xfrm_policy *xfrm_policy_get(struct stack *st, uint32_t index);
/* Deletes every policy (setkey -FP); announces FLUSH. */
void xfrm_policy_flush(struct stack *st);
unsigned xfrm_policy_count(const struct stack *st);

/*
 * The policy for @fl in direction @dir: of all whose selector matches, the
 * lowest priority value, the first added on a tie. NULL if none. Hot path;
 * it counts nothing (see xfrm_policy_account).
 */
struct xfrm_policy *xfrm_policy_lookup(struct stack *st, int dir, const struct xfrm_flow *fl);

/* True if @sel matches @fl (the plain definition; the naive reference in tests). */
bool xfrm_selector_match(const struct xfrm_selector *sel, const struct xfrm_flow *fl);

static inline void xfrm_policy_account(struct xfrm_policy *pol, size_t bytes, uint64_t now)
{
	pol->packets++;
	pol->bytes += bytes;
	pol->use_time = now;
}

/*
 * The next policy after @cur in index order, NULL at the end; advances
 * @cur. Every policy that exists for the whole dump is returned exactly
 * once whatever is added or deleted in between (indexes only grow; an
 * update keeps its index); policies added meanwhile come at the end.
 */
struct xfrm_policy *xfrm_policy_next(struct stack *st, struct xfrm_spd_cursor *cur);

/* Calls @fn on every policy in index order; @fn may delete any policy. Stops when @fn returns non-zero and returns that. */
int xfrm_policy_foreach(struct stack *st, int (*fn)(void *ctx, struct xfrm_policy *pol), void *ctx);

/*
 * The templates of @pol in the order they are applied on output, innermost
 * first (RFC 4301 / Linux): within each group ended by a tunnel-mode
 * template, IPComp, then ESP, then AH outermost, setkey order kept among
 * equals; the tunnel template stays last in its group, since it wraps what
 * came before. Returns the count.
 */
unsigned xfrm_policy_tmpl_order(const struct xfrm_policy *pol, const struct xfrm_tmpl *out[XFRM_TMPL_MAX]);

/*
 * Bundle resolution: the SAs @pol needs for @fl, in application order
 * (out[0] is applied first). Transport steps use the current header's
 * addresses; a tunnel step wraps in its endpoints' family, so IPv4 and IPv6
 * nest in any combination. A tunnel endpoint left as :: takes the current
 * header's address. Returns the count, or -EINVAL if the policy is not an
 * ipsec policy or a step cannot apply (a tunnel's endpoint of the wrong
 * family, no address to use).
 */
int xfrm_policy_resolve(const struct xfrm_policy *pol, const struct xfrm_flow *fl,
			struct xfrm_resolved out[XFRM_TMPL_MAX]);

#endif
