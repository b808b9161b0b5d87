/*
 * IPv6 routing table: longest-prefix match, then lowest metric. Connected
 * routes come with addresses, default and prefix routes from RAs (with
 * expiry), static routes from the `route` command.
 */
#ifndef USAGI_IPV6_ROUTE6_H
#define USAGI_IPV6_ROUTE6_H

#include "core/common.h"

struct stack;
struct netdev;

enum route6_proto { RT6_PROTO_KERNEL, RT6_PROTO_STATIC, RT6_PROTO_RA };

struct route6 {
	struct in6_addr dst;
	uint8_t plen;
	struct in6_addr gw;       /* :: for on-link */
	struct netdev *dev;
	uint32_t metric;          /* default 1024 (static), 256 (kernel) */
	uint8_t proto;            /* enum route6_proto */
	uint64_t expires;         /* ns on the stack clock, 0 = never */
};

struct route6_state {
	struct lpm6 *table;       /* route6.c */
	unsigned count;
};

int route6_init(struct stack *st);
void route6_fini(struct stack *st);
/* Adds a route (dst is masked to plen). 0, -EEXIST (same dst/plen/gw/dev), -ENOMEM, -EINVAL. */
int route6_add(struct stack *st, const struct route6 *r);
/* Deletes matching routes (@gw/@dev NULL match any). 0 or -ESRCH. */
int route6_del(struct stack *st, const struct in6_addr *dst, unsigned plen,
	       const struct in6_addr *gw, const struct netdev *dev);
/* Best route for @dst, ignoring expired ones; NULL if none. Hot path. */
const struct route6 *route6_lookup(struct stack *st, const struct in6_addr *dst);
/* Removes every route through @dev. */
void route6_flush_dev(struct stack *st, const struct netdev *dev);
/* Calls @fn for every route, in prefix order. */
void route6_foreach(struct stack *st, void (*fn)(void *ctx, const struct route6 *r), void *ctx);

#endif
