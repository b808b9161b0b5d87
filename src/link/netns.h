/* Running a piece of setup inside a named network namespace (internal to the link backends). */
#ifndef USAGI_LINK_NETNS_H
#define USAGI_LINK_NETNS_H

/*
 * Calls @fn(@ctx) with this thread inside network namespace @netns
 * (/var/run/netns/NAME, as `ip netns add` makes it), then returns the thread
 * to the namespace it was in. With @netns NULL, just calls @fn. Sockets and
 * devices opened by @fn stay bound to @netns. Returns @fn's result, or
 * -errno if the namespace cannot be entered.
 */
int netns_run(const char *netns, int (*fn)(void *ctx), void *ctx);

#endif
