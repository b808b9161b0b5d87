/*
 * Mobile node internals (RFC 6275 11) shared by mip6_mn.c (configuration,
 * movement detection, home address, returning home, listing) and
 * mip6_mn_bul.c (binding update list: BU/BA with the home agent and the
 * correspondents, retransmission, refresh, return routability).
 */
#ifndef USAGI_MIP6_MIP6_MN_PRIV_H
#define USAGI_MIP6_MIP6_MN_PRIV_H

#include "core/timer.h"
#include "mip6/mip6_priv.h"
#include "mip6/mip6_rr.h"

#define MN_MAX_CN 8            /* correspondents with route optimisation */
#define MN_MAX_LINK_PFX 8      /* prefixes remembered for the current link */
#define MN_DEFAULT_LIFETIME_S 420
#define MN_COA_POLL_NS (10 * NS_PER_MS)    /* waiting for the new address's DAD */
#define MN_NUD_POLL_NS (500 * NS_PER_MS)   /* watching the default router's NUD state */

/*
 * One binding update list entry (11.1). The home registration is mn->ha;
 * each correspondent with route optimisation has one of mn->cn.
 */
enum mn_bul_state {
	BUL_FREE,        /* unused correspondent slot */
	BUL_IDLE,        /* nothing registered, nothing in flight (at home, or RO waiting) */
	BUL_RR,          /* return routability running (HoTI/CoTI out) */
	BUL_WAIT_BA,     /* BU sent, retransmitting until the BA */
	BUL_BOUND,       /* registered; a refresh timer runs */
	BUL_FAILED,      /* refused by the peer: no more BUs until the next movement */
};

struct mip6_mn;

struct mn_bul {
	struct mip6_mn *mn;
	bool home_reg;             /* the home agent's entry (H flag) */
	enum mn_bul_state state;
	bool registered;           /* the peer holds a binding (also while refreshing) */
	bool dereg;                /* the BU in flight has lifetime 0 (returning home) */
	struct in6_addr peer;
	struct in6_addr coa;       /* of the BU in flight / registered */
	uint16_t seq;              /* of the last BU sent */
	uint32_t lifetime_s;       /* asked for in the BU in flight */
	uint32_t granted_s;        /* from the last accepting BA */
	uint64_t bound_until;      /* ns: the registered binding expires */
	uint64_t timeout;          /* current retransmission timeout (11.8) */
	unsigned tries;            /* transmissions of the current BU or RR */
	uint64_t sent_at;          /* ns: last transmission (the granted lifetime runs from it) */
	struct timer timer;        /* retransmission, or refresh when BOUND */
	/* Return routability (correspondents, 11.6). */
	uint8_t home_cookie[MH_COOKIE_LEN], coa_cookie[MH_COOKIE_LEN];
	uint8_t home_tok[MIP6_TOKEN_LEN], coa_tok[MIP6_TOKEN_LEN];
	uint16_t home_idx, coa_idx;
	bool have_hot, have_cot;
	uint64_t hot_at;           /* when the home keygen token came (MAX_TOKEN_LIFETIME) */
	uint8_t kbm[MIP6_KBM_LEN];
};

struct mip6_mn {
	struct stack *st;
	struct mip6_mn_conf conf;
	struct netdev *dev;
	int ifindex;                /* dev is checked against it: the interface may go away */
	bool located;              /* an RA told where the node is */
	bool away;
	struct in6_addr coa;       /* current care-of address; the home address at home */
	struct in6_addr router;    /* link-local address of the current default router */
	bool have_router;
	bool router_seen;          /* its neighbour entry existed (NUD failure = entry gone) */
	struct in6_addr link_pfx[MN_MAX_LINK_PFX];  /* /64s advertised on the current link */
	unsigned npfx;
	bool waiting_coa;          /* moved; no usable address of the new prefix yet */
	struct in6_addr want_pfx;
	uint64_t moved_at;         /* ns: movement detected (handover timing) */
	uint64_t left_at;          /* ns: last RA of the previous link (lower bound of the move) */
	uint64_t last_ra;
	struct timer coa_timer;
	struct timer nud_timer;
	struct mn_bul ha;
	struct mn_bul cn[MN_MAX_CN];
};

/* st->mip6->mn or NULL. */
struct mip6_mn *mn_get(struct stack *st);

/* mip6_mn_bul.c */
void mn_bul_init(struct mip6_mn *mn, struct mn_bul *b, bool home_reg);
void mn_bul_stop(struct mn_bul *b);
/* Home registration from the current care-of address (or deregistration at home). */
void mn_home_register(struct mip6_mn *mn);
void mn_home_deregister(struct mip6_mn *mn);
/* Correspondent entries: start/redo return routability + BU; deregister from home. */
void mn_ro_update(struct mn_bul *b, bool keep_home_token);
/* Movement: the entry waits (no timers) for the next home registration. */
void mn_ro_suspend(struct mn_bul *b);
void mn_ro_deregister(struct mn_bul *b);
void mn_bul_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx);
const char *mn_bul_state_name(const struct mn_bul *b);

/* mip6_mn.c: the deregistration BA arrived (11.5.5): clean up at home. */
void mn_home_deregistered(struct mip6_mn *mn);

#endif
