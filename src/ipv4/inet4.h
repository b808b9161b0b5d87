/*
 * IPv4 addresses of a host: per-interface lists and a keyed index, address
 * conflict detection with ARP probes and announcements (RFC 5227),
 * gratuitous ARP on add, source selection, broadcast classification.
 */
#ifndef USAGI_IPV4_INET4_H
#define USAGI_IPV4_INET4_H

#include "core/common.h"
#include "core/timer.h"
#include "ipv4/ipv4.h"

struct stack;
struct netdev;

enum {
	IFA4_F_TENTATIVE = 1 << 0,   /* ARP probing (RFC 5227 2.1) */
	IFA4_F_CONFLICT = 1 << 1,    /* another host has it */
	IFA4_F_NODAD = 1 << 2,       /* no probing */
};

struct in4_ifaddr {
	struct dlist node;           /* idev->addrs */
	struct in4_ifaddr *hnext;    /* index chain */
	struct in4_dev *idev;
	uint32_t addr;               /* network order */
	uint8_t plen;
	uint32_t bcast;              /* directed broadcast of the subnet */
	uint32_t flags;
	int probes_left, announces_left;
	struct timer timer;
	uint64_t last_defend;        /* ns, when @defended (RFC 5227 2.4 b) */
	bool defended;
};

struct in4_dev {
	struct netdev *dev;
	struct ip4_conf conf;
	struct dlist addrs;          /* struct in4_ifaddr */
};

/* The per-stack address index (st->ip4.addrs); created with the IPv4 route table. */
int inet4_index_init(struct stack *st);
void inet4_index_fini(struct stack *st);

int inet4_dev_init(struct netdev *dev);
void inet4_dev_fini(struct netdev *dev);
void inet4_link_up(struct netdev *dev);
void inet4_link_down(struct netdev *dev);

/* Adds @addr/@plen with the connected route; ARP probes unless nodad. 0, -EEXIST, -EINVAL, -ENOMEM. */
int inet4_add(struct netdev *dev, uint32_t addr, unsigned plen, uint32_t flags);
int inet4_del(struct netdev *dev, uint32_t addr, unsigned plen);
/* The address on any interface (tentative too), or NULL. Hot path. */
struct in4_ifaddr *inet4_lookup(struct stack *st, uint32_t addr);
/* A usable (not tentative, not conflicting) local unicast address. */
bool inet4_is_local(struct stack *st, uint32_t addr);
/* True if @a is the limited broadcast or a directed broadcast of one of @dev's subnets. */
bool inet4_is_broadcast(struct netdev *dev, uint32_t a);
/* Source for @dst out of @oif (an address in the same subnet first, then any of @oif's, then any). */
int inet4_select_source(struct stack *st, uint32_t dst, struct netdev *oif, uint32_t *out);
/* An ARP packet claims @ifa from another host while probing or after (RFC 5227 2.1.1, 2.4). */
void inet4_conflict(struct netdev *dev, struct in4_ifaddr *ifa, const uint8_t sha[6]);
/* Calls @fn for every address of @dev (NULL: all). */
void inet4_foreach(struct stack *st, struct netdev *dev,
		   void (*fn)(void *ctx, const struct in4_ifaddr *ifa), void *ctx);

#endif
