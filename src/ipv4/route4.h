/* IPv4 routing table: longest-prefix match, then lowest metric (over lpm6 with mapped keys). */
#ifndef USAGI_IPV4_ROUTE4_H
#define USAGI_IPV4_ROUTE4_H

#include "core/common.h"

struct stack;
struct netdev;

enum route4_proto { RT4_PROTO_KERNEL, RT4_PROTO_STATIC };

struct route4 {
	uint32_t dst;              /* network order, masked to plen */
	uint8_t plen;
	uint32_t gw;               /* 0 for on-link */
	struct netdev *dev;
	uint32_t metric;           /* 0 default */
	uint8_t proto;
	uint32_t prefsrc;          /* 0 = none (connected routes: the address) */
};

int route4_init(struct stack *st);
void route4_fini(struct stack *st);
/* Adds a route (dst masked to plen). 0, -EEXIST (same dst/plen/gw/dev), -ENOMEM, -EINVAL. */
int route4_add(struct stack *st, const struct route4 *r);
/* Deletes the routes of dst/plen through @gw (0: any) and @dev (NULL: any). 0 or -ESRCH. */
int route4_del(struct stack *st, uint32_t dst, unsigned plen, uint32_t gw, const struct netdev *dev);
const struct route4 *route4_lookup(struct stack *st, uint32_t dst);
void route4_flush_dev(struct stack *st, const struct netdev *dev);
void route4_foreach(struct stack *st, void (*fn)(void *ctx, const struct route4 *r), void *ctx);

#endif
