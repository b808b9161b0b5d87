/* TAP backend: an Ethernet device on /dev/net/tun, optionally opened inside a named network namespace. */
#ifndef USAGI_LINK_TAP_H
#define USAGI_LINK_TAP_H

struct stack;
struct netdev;

/*
 * Opens (or creates) TAP interface @ifname — inside network namespace @netns
 * (/var/run/netns/NS) when not NULL — and registers it on @st as @name.
 * NULL with errno set (and a log line saying why).
 */
struct netdev *tap_create(struct stack *st, const char *name, const char *ifname, const char *netns);

#endif
