/* MLDv2 listener (RFC 3810): membership per interface and reports so snooping switches deliver. */
#ifndef USAGI_IPV6_MLD6_H
#define USAGI_IPV6_MLD6_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;

/* Joins @group on @dev (reference counted); sends unsolicited reports when the link is up. */
int mld6_join(struct netdev *dev, const struct in6_addr *group);
int mld6_leave(struct netdev *dev, const struct in6_addr *group);
/* True if @dev listens to @group (all-nodes always). Fast: called per multicast packet. */
bool mld6_is_member(struct netdev *dev, const struct in6_addr *group);
/* MLD Query/Report at data. Consumes @p. */
int mld6_input(struct stack *st, struct pkt *p);
/* Link up: re-report every group (RFC 3810 6.1); down: stop timers. */
void mld6_link_up(struct netdev *dev);
void mld6_link_down(struct netdev *dev);
void mld6_dev_fini(struct netdev *dev);
/* Joined groups of @dev, for `addr show`-style listings. */
void mld6_foreach(struct netdev *dev, void (*fn)(void *ctx, const struct in6_addr *g), void *ctx);

#endif
