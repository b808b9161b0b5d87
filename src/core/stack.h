/*
 * struct stack: one host. Everything a host has lives here — clock, timers,
 * RNG, packet pool, counters, interfaces, and each layer's state — so many
 * hosts run in one process and nothing is global.
 */
#ifndef USAGI_CORE_STACK_H
#define USAGI_CORE_STACK_H

#include "core/common.h"
#include "core/log.h"
#include "core/pkt.h"
#include "core/reasm.h"
#include "core/rng.h"
#include "core/siphash.h"
#include "core/stats.h"
#include "core/timer.h"
#include "ipv6/ipv6.h"
#include "ipv6/icmp6.h"
#include "ipv6/nd6.h"
#include "ipv6/route6.h"
#include "ipv4/ipv4.h"
#include "l4/udp.h"
#include "usagi/stack.h"

struct xfrm_spd;
struct xfrm_sad;
struct xfrm_out_cache;
struct pfkey_server;
struct spd_listeners;
struct nf_state;
struct mip6_state;

struct stack {
	char name[32];
	uint64_t now;                /* ns, set by the driver (usagi_stack_advance) */
	/*
	 * The wall clock (ns since 1970-01-01 UTC) at stack time 0, for what
	 * must show real dates (PF_KEY add/use times, RFC 2367 2.3.3; setkey
	 * -D). 0: unknown, times show as 1970 (simulations and tests, which
	 * stay deterministic). The core never reads a clock: the owner sets it.
	 */
	uint64_t epoch_ns;
	struct rng rng;
	struct siphash_key hkey;     /* keys every wire-fed hash table */
	struct timer_wheel timers;
	struct pkt_pool *pool;
	enum log_level log_level;
	log_sink log_fn;
	void *log_ctx;
	uint64_t stats[STAT_MAX];

	struct dlist netdevs;        /* struct netdev */
	int next_ifindex;

	struct reasm_budget reasm;   /* fragment memory shared by IPv4 and IPv6 reassembly */
	struct ip6_state ip6;
	struct icmp6_state icmp6;
	struct nd6_state nd6;
	struct route6_state rt6;
	struct ip4_state ip4;
	struct sock_state sk;
	struct pktq loopback;        /* packets to local addresses, either family */
	struct xfrm_spd *spd;        /* security policies (xfrm/policy.h) */
	struct xfrm_sad *sad;        /* security associations (xfrm/xfrm.h) */
	struct xfrm_out_cache *xfrm_ocache; /* output bundles (xfrm_output.c); NULL until used */
	/* Kept by the SPD/SAD so the packet path skips IPsec in one test when unused. */
	uint32_t xfrm_npol[3];       /* policies per direction (enum xfrm_dir) */
	uint32_t xfrm_nencap;        /* SAs with UDP encapsulation (NAT-T, RFC 3948) */
	struct timer xfrm_natt_timer; /* NAT-keepalives (xfrm_natt.c) */
	uint32_t xfrm_natt_interval_s;
	struct pfkey_server *pfkey;  /* PF_KEY sockets (pfkey/pfkey_server.h); NULL while none is open */
	struct spd_listeners *spd_listeners; /* SPD event listeners (xfrm/policy_events.c); NULL while none */
	struct nf_filter *nf_filter; /* filter rules (netfilter/nf_filter.h); NULL until first used */
	/* Netfilter hooks and conntrack (netfilter/nf_conntrack.h); NULL until first used. */
	struct nf_state *nf;
	uint32_t nf_hooks;           /* bit per enum nf_hook with a function registered */
	struct mip6_state *mip6;     /* Mobile IPv6 (mip6/mip6_priv.h); NULL until configured */
};

/* Arms @t to fire @delay_ns from now. */
static inline void stack_timer_in(struct stack *st, struct timer *t, uint64_t delay_ns)
{
	timer_arm(&st->timers, t, st->now + delay_ns);
}
static inline void stack_timer_cancel(struct stack *st, struct timer *t)
{
	timer_cancel(&st->timers, t);
}
/*
 * Queues @p (data = IPv4 or IPv6 header) for delivery to this host as if it
 * had arrived on @dev; usagi_stack_advance delivers it. Consumes @p.
 * 0, or -ENOBUFS when the queue is full (the caller counts it).
 */
int stack_loopback(struct stack *st, struct pkt *p, struct netdev *dev);

/* Drops every deferred packet that points at @dev (loopback, reassembly): it is going away. */
void stack_forget_dev(struct stack *st, const struct netdev *dev);

/* A packet from the stack's pool with PKT_HEADROOM + room for @len; counts failures. */
struct pkt *stack_pkt_alloc(struct stack *st, size_t len);

#endif
