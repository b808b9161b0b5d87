/* AF_PACKET backend: usagi speaks on an existing interface (e.g. a veth end). */
#ifndef USAGI_LINK_PACKET_H
#define USAGI_LINK_PACKET_H

struct stack;
struct netdev;

/*
 * Binds a packet socket to interface @ifname — inside network namespace
 * @netns when not NULL — and registers it on @st as @name, with the
 * interface's MAC address. NULL with errno set.
 */
struct netdev *packet_create(struct stack *st, const char *name, const char *ifname, const char *netns);

#endif
