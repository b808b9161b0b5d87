/*
 * Neighbor Discovery internals shared by nd6_*.c: the option parser, the
 * neighbour cache entry, the default router list and the senders.
 */
#ifndef USAGI_IPV6_ND6_PRIV_H
#define USAGI_IPV6_ND6_PRIV_H

#include "core/common.h"
#include "core/timer.h"
#include "ipv6/nd6.h"

struct stack;
struct netdev;
struct pkt;
struct ip6_hdr;

/* RFC 4861 10: protocol constants. */
#define ND6_MAX_MULTICAST_SOLICIT 3
#define ND6_MAX_UNICAST_SOLICIT 3
#define ND6_DELAY_FIRST_PROBE_MS 5000
#define ND6_MAX_RTR_SOLICITATION_DELAY_MS 1000
#define ND6_RTR_SOLICITATION_INTERVAL_MS 4000
#define ND6_MAX_QUEUE 3               /* packets held per INCOMPLETE entry */
#define ND6_MAX_ROUTERS 16            /* default router list bound */
#define ND6_DEFAULT_MAX_NEIGH 1024

/* Options of one ND message, pointing into the message (RFC 4861 4.6). */
#define ND6_MAX_PREFIX 8
#define ND6_MAX_RDNSS 4
struct nd6_opts {
	const uint8_t *slla, *tlla;                        /* 6-byte link-layer address */
	const struct nd_opt_prefix *prefix[ND6_MAX_PREFIX];
	unsigned nprefix;
	const struct nd_opt_mtu *mtu;
	const uint8_t *rdnss[ND6_MAX_RDNSS];              /* option start */
	unsigned nrdnss;
	const uint8_t *redir;                              /* Redirected Header option start */
	size_t redir_len;                                  /* whole option, bytes */
	unsigned ignored;    /* unknown, malformed-but-skippable or beyond the bounds above */
};

/*
 * Parses the options in @len bytes at @buf. -EINVAL if an option has length
 * 0 or runs past the end (RFC 4861 6.1, 7.1: the whole message is invalid);
 * options of a known type with a wrong length are skipped and counted in
 * o->ignored. Never reads outside [buf, buf+len).
 */
int nd6_opts_parse(const uint8_t *buf, size_t len, struct nd6_opts *o);

/* One neighbour cache entry (RFC 4861 5.1). */
struct nd6_neigh {
	struct nd6_neigh *hnext;      /* hash chain */
	struct dlist lru;             /* table->lru, least recently updated first */
	struct stack *st;
	struct netdev *dev;
	struct in6_addr addr;
	uint8_t lladdr[6];
	bool has_lladdr;
	bool is_router;
	enum nud_state state;
	int probes;                   /* solicitations sent in this state */
	struct timer timer;
	struct pkt *q_head, *q_tail;  /* packets waiting for resolution */
	unsigned qlen;
};

struct nd6_neigh *nd6_neigh_lookup(struct stack *st, struct netdev *dev,
				   const struct in6_addr *addr);
/*
 * What differs between the families sharing the cache (IPv6 ND and ARP,
 * whose entries are keyed by IPv4-mapped addresses): chosen per entry by
 * in6_is_v4mapped(&n->addr); everything else is one NUD state machine.
 */
struct nd6_family {
	uint16_t ethertype;                                   /* of the queued packets */
	/* Sends one solicitation (multicast/broadcast or unicast); <0 (counted) if none went out. */
	int (*solicit)(struct nd6_neigh *n, bool unicast);
	/* Resolution failed for @q (nh set): the ICMP error to its sender. */
	void (*unreach)(struct stack *st, const struct pkt *q);
	uint32_t (*retrans_ms)(const struct nd6_neigh *n);
	uint32_t (*reachable_ms)(const struct nd6_neigh *n);
};
extern const struct nd6_family arp_neigh_family;   /* arp.c */

/*
 * Sends @p (data = network header) to the on-link unicast neighbour @key
 * (IPv6 or IPv4-mapped) through the cache, queueing while INCOMPLETE.
 * Consumes @p.
 */
int nd6_neigh_output(struct stack *st, struct netdev *dev, const struct in6_addr *key,
		     struct pkt *p);
/* Finds or creates (state NUD_NONE) the entry; NULL if the cache is full of live entries. */
struct nd6_neigh *nd6_neigh_get(struct stack *st, struct netdev *dev, const struct in6_addr *addr);
/* Enters @state and arms the state's timer. */
void nd6_neigh_set_state(struct nd6_neigh *n, enum nud_state state);
/* Records @lladdr (NULL keeps the old one). */
void nd6_neigh_set_lladdr(struct nd6_neigh *n, const uint8_t lladdr[6]);
/* Sends the packets queued while INCOMPLETE. */
void nd6_neigh_flush_queue(struct nd6_neigh *n);
void nd6_neigh_remove(struct nd6_neigh *n);
/*
 * RFC 4861 7.2.3/6.2.6/6.3.4: an NS, RS or RA from @addr carried a source
 * link-layer address: create the entry STALE, or make it STALE if the
 * address changed.
 */
void nd6_neigh_from_slla(struct stack *st, struct netdev *dev, const struct in6_addr *addr,
			 const uint8_t lladdr[6], bool is_router);
int nd6_cache_init(struct stack *st);
void nd6_cache_fini(struct stack *st);

/* A received ND message after the common checks of nd6_input. */
struct nd6_rx {
	struct netdev *dev;
	struct in6_addr src, dst;     /* copied out of the (packed) IPv6 header */
	const uint8_t *msg;           /* ICMPv6 header */
	size_t len;                   /* ICMPv6 message length */
	struct nd6_opts opts;
};
void nd6_ns_rcv(struct stack *st, const struct nd6_rx *rx);
void nd6_na_rcv(struct stack *st, const struct nd6_rx *rx);
void nd6_rs_rcv(struct stack *st, const struct nd6_rx *rx);
void nd6_ra_rcv(struct stack *st, const struct nd6_rx *rx);
void nd6_redirect_rcv(struct stack *st, const struct nd6_rx *rx);

/* Default router list entry (RFC 4861 6.3.4). */
struct nd6_router {
	struct dlist node;            /* st->nd6.routers */
	struct netdev *dev;
	struct in6_addr addr;
	uint64_t expires;             /* ns */
	struct timer timer;
};
/* @addr on @dev is no longer a router (NA with R clear, RFC 4861 7.2.5). */
void nd6_router_lost(struct stack *st, struct netdev *dev, const struct in6_addr *addr);
void nd6_routers_flush(struct stack *st, struct netdev *dev);
/* Host side: start / stop Router Solicitations on @dev (RFC 4861 6.3.7). */
void nd6_rs_start(struct netdev *dev);
void nd6_rs_stop(struct netdev *dev);

/* Router side (nd6_ra.c). */
void nd6_ra_rs_received(struct netdev *dev);
void nd6_ra_dev_fini(struct netdev *dev);
bool nd6_ra_active(const struct netdev *dev);

/* Appends a link-layer address option of @type for @dev to @p; 0 or -ENOBUFS. */
int nd6_put_lladdr_opt(struct pkt *p, uint8_t type, const struct netdev *dev);
/* Sends the ICMPv6 ND message in @p from @src (NULL: ::) to @dst out of @dev, hop limit 255. Consumes @p. */
int nd6_send(struct netdev *dev, struct pkt *p, const struct in6_addr *src,
	     const struct in6_addr *dst);
/* A fresh ReachableTime from BaseReachableTime (RFC 4861 6.3.2: 0.5 to 1.5 times). */
uint32_t nd6_random_reachable(struct stack *st, uint32_t base_ms);

#endif
