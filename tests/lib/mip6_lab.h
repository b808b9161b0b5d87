/*
 * The Mobile IPv6 lab shared by tests/sim/test_mip6_sim.c and
 * test_tcp_mip6_sim.c:
 *
 *   home 2001:db8:1::/64       foreign1 2001:db8:2::/64    foreign2 2001:db8:3::/64
 *   MN(eth0) --+-- HA ::1         MN --+-- R2 ::1              MN --+-- R3 ::1
 *                  | eth1                   | eth1                      | eth1
 *   core 2001:db8:ff::/64 --- HA ::1 ------ R2 ::2 ----------- R3 ::3 ----- CN ::c
 *
 * Routers (the HA is the home link's router) advertise with RFC 6275 7.5's
 * fast intervals (30..70 ms); links have 1 ms delay and MTU 1500. The MN
 * (MAC 02:00:00:00:00:0a) starts at home with optimistic DAD (RFC 4429);
 * its home address is 2001:db8:1::100, its care-of addresses are SLAAC.
 * The HA runs the home agent on eth0, the CN return routability. No IPsec.
 */
#ifndef USAGI_TESTS_MIP6_LAB_H
#define USAGI_TESTS_MIP6_LAB_H

#include "simhost.h"

struct mip6_lab {
	struct sim_world *w;
	struct simhost *ha, *r2, *r3, *cn, *mn;
	struct sim_segment *home, *f1, *f2, *core;
	struct netdev *mndev;
	struct in6_addr hoa, haaddr, cnaddr, coa1, coa2;
};

/* @s parsed as an IPv6 address (asserted). */
struct in6_addr mip6_lab_addr(const char *s);
/* Builds the topology above in a new world of @seed; the MN is up at home, not yet mobile. */
void mip6_lab_build(struct mip6_lab *m, uint64_t seed);
/*
 * Makes the MN a mobile node (route optimisation @ro, BU lifetime
 * @lifetime_s, 0 = default) and runs the world 3 s so it settles at home.
 */
void mip6_lab_start(struct mip6_lab *m, bool ro, unsigned lifetime_s);
/* Frees the hosts and the world. */
void mip6_lab_free(struct mip6_lab *m);

#endif
