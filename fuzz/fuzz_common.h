/*
 * Shared by fuzz_frame.c, fuzz_ip4.c and fuzz_xfrm.c: one host per
 * process, with eth0 (the interface inputs arrive on) and eth1 (MTU 1280,
 * for forwarding), both dropping what they transmit, and the per-input
 * clock.
 */
#ifndef USAGI_FUZZ_COMMON_H
#define USAGI_FUZZ_COMMON_H

#include "core/stack.h"
#include "link/netdev.h"

static struct stack *st;
static struct netdev *dev;
static unsigned inputs;

static int drop_xmit(struct netdev *d, struct pkt *p)
{
	pkt_free(p);
	return 0;
}

static const struct netdev_ops fuzz_ops = { .kind = "fuzz", .xmit = drop_xmit };

/* Makes st (named @name, clock at 1 s), dev = eth0 (02:00:00:00:00:01) and
 * eth1 (MTU 1280), both up; returns eth1. */
static struct netdev *fuzz_host_setup(const char *name)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct usagi_stack_config cfg = { .name = name, .seed = 1, .now = NS_PER_SEC };
	struct netdev *d1;

	st = usagi_stack_new(&cfg);
	usagi_stack_set_log_level(st, 0);
	dev = netdev_create(st, "eth0", &fuzz_ops, NULL, mac);
	d1 = netdev_create(st, "eth1", &fuzz_ops, NULL, NULL);
	netdev_set_up(dev, true);
	netdev_set_up(d1, true);
	netdev_set_mtu(d1, 1280);
	return d1;
}

/* After an input: the clock moves 1 ms, or @period_ns every 64th input. */
static inline void fuzz_tick(uint64_t period_ns)
{
	if (++inputs % 64 == 0)
		usagi_stack_advance(st, st->now + period_ns);
	else
		usagi_stack_advance(st, st->now + NS_PER_MS);
}

#endif
