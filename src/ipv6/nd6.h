/*
 * Neighbor Discovery (RFC 4861): neighbour cache with the NUD state machine,
 * NS/NA, RS/RA (host and router side), Redirect, router and prefix lists.
 */
#ifndef USAGI_IPV6_ND6_H
#define USAGI_IPV6_ND6_H

#include "core/common.h"
#include "core/timer.h"

struct stack;
struct pkt;
struct netdev;

enum nud_state {
	NUD_NONE, NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE,
	NUD_FAILED, NUD_PERMANENT,
};

struct nd6_state {
	struct nd6_table *neigh;       /* neighbour cache (nd6_cache.c) */
	struct dlist routers;          /* default router list (struct nd6_router, nd6_router.c) */
	unsigned nrouters;
	unsigned max_neigh;            /* cache bound, default 1024 */
	struct addrconf_index *addrs;  /* keyed hash of every address (addrconf.c) */
	uint64_t redirect_tokens_ns;   /* Redirect send rate limit (RFC 4861 8.2) */
	uint64_t redirect_last_ns;
};

int nd6_init(struct stack *st);
void nd6_fini(struct stack *st);

/* ND message (types 133..137) at data, nh at IPv6 header, already checksummed. Consumes @p. */
int nd6_input(struct stack *st, struct pkt *p);

/*
 * Sends an IPv6 packet (data = IPv6 header) to on-link @nexthop through
 * @dev: multicast maps to 33:33:..., unicast resolves through the cache
 * (queueing up to 3 packets while INCOMPLETE). Consumes @p.
 */
int nd6_output(struct stack *st, struct netdev *dev, const struct in6_addr *nexthop,
	       struct pkt *p);

/* Sends a Neighbor Solicitation for @target; @src NULL means :: (DAD), @dst NULL means solicited-node. */
int nd6_send_ns(struct netdev *dev, const struct in6_addr *target, const struct in6_addr *src,
		const struct in6_addr *dst);
/* Sends an unsolicited NA (override) for @target to all-nodes (e.g. after DAD). */
int nd6_send_unsolicited_na(struct netdev *dev, const struct in6_addr *target);
/*
 * A Neighbor Advertisement for @target with @dev's link-layer address and
 * @flags (ND_NA_FLAG_*), from @src to @dst (counted). 0 or -ENOBUFS.
 */
int nd6_send_na(struct netdev *dev, const struct in6_addr *target, const struct in6_addr *src,
		const struct in6_addr *dst, uint8_t flags);
/*
 * Forwarding saw @orig (data = IPv6 header) leave through the interface it
 * came in on: sends a Redirect to its source naming @target as the better
 * first hop (RFC 4861 8.2). Does not consume @orig.
 */
int nd6_send_redirect(struct stack *st, const struct pkt *orig, const struct in6_addr *target);
/* Upper layer saw forward progress to @addr (RFC 4861 7.3.1). */
void nd6_confirm(struct stack *st, struct netdev *dev, const struct in6_addr *addr);
/* Drops cache entries and routers through @dev. */
void nd6_flush_dev(struct stack *st, struct netdev *dev);

/* One neighbour, for `neigh show`. */
struct nd6_neigh_info {
	struct in6_addr addr;          /* ARP entries: IPv4-mapped (in6_is_v4mapped, ip4_from_mapped) */
	struct netdev *dev;
	uint8_t lladdr[6];
	bool has_lladdr;
	bool is_router;
	enum nud_state state;
};
void nd6_neigh_foreach(struct stack *st, void (*fn)(void *ctx, const struct nd6_neigh_info *),
		       void *ctx);
const char *nud_state_name(enum nud_state s);
/* Adds or replaces a PERMANENT entry (`neigh add ... lladdr ...`). 0, -ENOMEM. */
int nd6_neigh_add_permanent(struct stack *st, struct netdev *dev, const struct in6_addr *addr,
			    const uint8_t lladdr[6]);
/* Removes the entry for @addr on @dev (`neigh del`). 0 or -ESRCH. */
int nd6_neigh_del(struct stack *st, struct netdev *dev, const struct in6_addr *addr);
/* Current state of the entry for @addr on @dev, NUD_NONE if there is none. */
enum nud_state nd6_neigh_state(struct stack *st, struct netdev *dev, const struct in6_addr *addr);

/* Router side: advertise on @dev (as forwarding router), RFC 4861 6.2. */
struct nd6_ra_prefix {
	struct in6_addr prefix;
	uint8_t plen;
	bool onlink, autonomous;
	uint32_t valid_s, preferred_s;
};
int nd6_ra_enable(struct netdev *dev, bool on);
int nd6_ra_add_prefix(struct netdev *dev, const struct nd6_ra_prefix *pfx);
/*
 * RA parameters (RFC 4861 6.2.1), read and written whole so that a caller
 * changes one field by get, modify, set and every other field is kept.
 */
struct nd6_ra_conf {
	uint32_t min_interval_ms, max_interval_ms;  /* default 200 s, 600 s */
	uint16_t lifetime_s;   /* Router Lifetime, default 1800; 0: not a default router */
	uint32_t mtu;          /* MTU option, 0: none */
	bool managed, other;   /* M and O flags */
	/*
	 * Retrans Timer advertised (AdvRetransTimer, ms; 0: unspecified, the
	 * default). Non-zero, the router uses it on the link too (its NS
	 * retransmissions and DAD, a home agent's DAD for a home address), so
	 * the whole link runs on one value.
	 */
	uint32_t retrans_ms;
};
/* The current parameters of @dev (defaults until set). 0 or -ENOMEM. */
int nd6_ra_get_conf(struct netdev *dev, struct nd6_ra_conf *c);
/*
 * Replaces the parameters of @dev; the next RA carries them. 0, -ENOMEM, or
 * -EINVAL (nothing changed) unless: MAX 70 ms..1800 s, MIN 30 ms..0.75*MAX
 * (RFC 4861 6.2.1 with RFC 6275 7.5's shorter intervals), lifetime 0..9000,
 * MTU 0 or 1280..link MTU, retrans 0..3600000 ms.
 */
int nd6_ra_set_conf(struct netdev *dev, const struct nd6_ra_conf *c);

#endif
