#include <stdio.h>
#include <stdlib.h>
#include "core/stack.h"
#include "link/netdev.h"
#include "link/ether.h"
#include "link/pcap.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "ipv6/pmtu_cache.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "netfilter/nf_conntrack.h"

struct netdev *netdev_create(struct stack *st, const char *name,
			     const struct netdev_ops *ops, void *priv, const uint8_t *mac)
{
	struct netdev *dev;

	if (!name || !*name || strlen(name) >= NETDEV_NAME_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (netdev_by_name(st, name)) {
		errno = EEXIST;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		errno = ENOMEM;
		return NULL;
	}
	dev->st = st;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ifindex = st->next_ifindex++;
	dev->mtu = ETH_MTU_DEFAULT;
	dev->ops = ops;
	dev->priv = priv;
	if (mac) {
		memcpy(dev->mac, mac, 6);
	} else {
		/* Locally administered, unicast (IEEE 802 U/L and I/G bits). */
		rng_bytes(&st->rng, dev->mac, 6);
		dev->mac[0] = (uint8_t)((dev->mac[0] & 0xfc) | 0x02);
	}
	dlist_add_tail(&st->netdevs, &dev->node);
	if (addrconf_dev_init(dev) < 0 || inet4_dev_init(dev) < 0) {
		addrconf_dev_fini(dev);
	inet4_dev_fini(dev);
		dlist_del(&dev->node);
		free(dev);
		errno = ENOMEM;
		return NULL;
	}
	pmtu_cache_link_changed(st);            /* a new link: its MTU may be the lowest */
	return dev;
}

void netdev_destroy(struct netdev *dev)
{
	struct stack *st = dev->st;

	if (dev->up)
		netdev_set_up(dev, false);
	stack_forget_dev(st, dev);
	route6_flush_dev(st, dev);
	route4_flush_dev(st, dev);
	nd6_flush_dev(st, dev);
	mld6_dev_fini(dev);
	addrconf_dev_fini(dev);
	inet4_dev_fini(dev);
	dlist_del(&dev->node);
	if (dev->ops && dev->ops->destroy)
		dev->ops->destroy(dev);
	if (dev->pcap)
		pcapw_close(dev->pcap);
	free(dev);
}

struct netdev *netdev_by_name(struct stack *st, const char *name)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *dev = dlist_entry(pos, struct netdev, node);

		if (strcmp(dev->name, name) == 0)
			return dev;
	}
	return NULL;
}

struct netdev *netdev_by_index(struct stack *st, int ifindex)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *dev = dlist_entry(pos, struct netdev, node);

		if (dev->ifindex == ifindex)
			return dev;
	}
	return NULL;
}

int netdev_set_up(struct netdev *dev, bool up)
{
	if (dev->up == up)
		return 0;
	dev->up = up;
	log_info(dev->st, "%s: link %s", dev->name, up ? "up" : "down");
	if (up) {
		addrconf_link_up(dev);
		inet4_link_up(dev);
	} else {
		addrconf_link_down(dev);
		inet4_link_down(dev);
	}
	return 0;
}

int netdev_set_mtu(struct netdev *dev, uint32_t mtu)
{
	if (mtu < 1280 || mtu > 65535)
		return -EINVAL;
	dev->mtu = mtu;
	pmtu_cache_link_changed(dev->st);   /* path MTUs computed before may be too large now */
	return 0;
}

void netdev_rx(struct netdev *dev, struct pkt *p)
{
	struct stack *st = dev->st;

	p->dev = dev;
	p->tstamp = st->now;
	if (dev->pcap)
		pcapw_write(dev->pcap, st->now, p->data, p->len);
	if (!dev->up) {
		STAT_INC(st, eth_dev_down);
		dev->rx_dropped++;
		pkt_free(p);
		return;
	}
	dev->rx_packets++;
	dev->rx_bytes += p->len;
	eth_input(dev, p);
}

void netdev_rx_burst(struct netdev *dev, struct pkt *const *pkts, unsigned n)
{
	/*
	 * Connection tracking's buckets and entries for the whole burst are
	 * looked up (and prefetched) before the first frame is processed, the
	 * way vector packet processors use memory-level parallelism; each
	 * frame's nf_ct_in then finds its entry warm. Only hints: verdicts are
	 * the same as frame by frame.
	 */
	if (dev->st->nf && n > 1)
		nf_ct_prefetch(dev->st, pkts, n, ETH_HLEN);
	for (unsigned i = 0; i < n; i++)
		netdev_rx(dev, pkts[i]);
}

int netdev_xmit(struct netdev *dev, struct pkt *p)
{
	struct stack *st = dev->st;
	uint32_t len = p->len;
	int rc;

	if (!dev->up) {
		STAT_INC(st, eth_dev_down);
		dev->tx_dropped++;
		pkt_free(p);
		return -ENETDOWN;
	}
	if (dev->pcap)
		pcapw_write(dev->pcap, st->now, p->data, p->len);
	rc = dev->ops->xmit(dev, p);
	if (rc < 0) {
		STAT_INC(st, eth_tx_error);
		dev->tx_dropped++;
		return rc;
	}
	dev->tx_packets++;
	dev->tx_bytes += len;
	return 0;
}
