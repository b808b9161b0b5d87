/* addrconf internals shared by addrconf.c and addrconf_dad.c. */
#ifndef USAGI_IPV6_ADDRCONF_PRIV_H
#define USAGI_IPV6_ADDRCONF_PRIV_H

#include "ipv6/addrconf.h"

/* Starts DAD on @ifa (RFC 4862 5.4), or marks it usable at once if DAD is off. */
void addrconf_dad_start(struct inet6_ifaddr *ifa);
void addrconf_dad_timer(struct stack *st, struct timer *t);
/* Lifetimes in seconds (UINT32_MAX infinite) from now; re-arms the expiry timer. */
void addrconf_set_lifetimes(struct inet6_ifaddr *ifa, uint32_t valid_s, uint32_t preferred_s);
void addrconf_lifetime_arm(struct inet6_ifaddr *ifa);
void addrconf_lifetime_timer(struct stack *st, struct timer *t);

#endif
