/*
 * Network devices. A netdev belongs to one stack and carries Ethernet
 * frames; a backend (sim, tap, packet) supplies ops->xmit and feeds
 * received frames to netdev_rx(). Every frame in or out can be recorded by
 * an attached pcap writer.
 */
#ifndef USAGI_LINK_NETDEV_H
#define USAGI_LINK_NETDEV_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;
struct pcap_writer;
struct inet6_dev;
struct in4_dev;

struct netdev_ops {
	const char *kind;                                   /* "sim", "tap", "packet" */
	/* Sends one frame (data = Ethernet header). Consumes @p on every path. */
	int (*xmit)(struct netdev *dev, struct pkt *p);
	/* File descriptor to poll for input, or -1 (sim). */
	int (*fd)(const struct netdev *dev);
	/* Reads and delivers pending frames (fd readable); returns frames read or -errno. */
	int (*rx_ready)(struct netdev *dev);
	/* Releases backend state (dev->priv). */
	void (*destroy)(struct netdev *dev);
};

#define NETDEV_NAME_MAX 16

struct netdev {
	struct dlist node;          /* stack->netdevs */
	struct stack *st;
	char name[NETDEV_NAME_MAX];
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;               /* link MTU: largest IP packet */
	bool up;
	const struct netdev_ops *ops;
	void *priv;
	struct pcap_writer *pcap;   /* optional capture of every frame in and out */
	struct inet6_dev *in6;      /* IPv6 state (addrconf), created at register */
	struct in4_dev *in4;        /* IPv4 state (inet4), created at register */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped;
};

#define ETH_MTU_DEFAULT 1500

/*
 * Creates and registers a device named @name on @st with @ops (priv is the
 * backend's). @mac NULL picks a locally administered MAC from the stack's
 * RNG. Returns NULL with errno set (EEXIST for a duplicate name).
 */
struct netdev *netdev_create(struct stack *st, const char *name,
			     const struct netdev_ops *ops, void *priv, const uint8_t *mac);
/* Unregisters and frees @dev (IPv6 state, routes, neighbours through it go too). */
void netdev_destroy(struct netdev *dev);
struct netdev *netdev_by_name(struct stack *st, const char *name);
struct netdev *netdev_by_index(struct stack *st, int ifindex);
/* Brings the device up or down; up starts IPv6 on it (link-local, DAD, RS). */
int netdev_set_up(struct netdev *dev, bool up);
/* 0 or -EINVAL (below 1280 or above 65535 for an IPv6 link). */
int netdev_set_mtu(struct netdev *dev, uint32_t mtu);

/* A frame arrived from the backend (data = Ethernet header). Consumes @p. */
void netdev_rx(struct netdev *dev, struct pkt *p);
/* @n frames read in one go (a backend's batch): netdev_rx on each, in order. Consumes them. */
void netdev_rx_burst(struct netdev *dev, struct pkt *const *pkts, unsigned n);
/* Sends a finished frame. Consumes @p. */
int netdev_xmit(struct netdev *dev, struct pkt *p);

#endif
