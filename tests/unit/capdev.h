/*
 * Shared by nd_harness.h and ip6_harness.h: a netdev whose transmit keeps
 * the frames (up to CAP_MAX, which the includer defines) for the test to
 * inspect.
 */
#ifndef USAGI_TEST_CAPDEV_H
#define USAGI_TEST_CAPDEV_H

#include "link/netdev.h"

#ifndef CAP_MAX
#error "define CAP_MAX before including capdev.h"
#endif

struct cap {
	struct pkt *f[CAP_MAX];
	int n;
};

static int cap_xmit(struct netdev *dev, struct pkt *p)
{
	struct cap *c = dev->priv;

	if (c->n < CAP_MAX)
		c->f[c->n++] = p;
	else
		pkt_free(p);
	return 0;
}

static void cap_clear(struct cap *c)
{
	for (int i = 0; i < c->n; i++)
		pkt_free(c->f[i]);
	c->n = 0;
}

static void cap_destroy(struct netdev *dev)
{
	cap_clear(dev->priv);
}

static const struct netdev_ops cap_ops = { .kind = "cap", .xmit = cap_xmit, .destroy = cap_destroy };

#endif
