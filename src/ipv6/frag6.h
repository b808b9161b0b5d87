/* IPv6 reassembly (RFC 8200 4.5, RFC 5722, RFC 6946, RFC 7112) and output fragmentation. */
#ifndef USAGI_IPV6_FRAG6_H
#define USAGI_IPV6_FRAG6_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;

#define FRAG6_TIMEOUT_NS (60 * NS_PER_SEC)      /* RFC 8200 4.5 */
#define FRAG6_MEM_MAX (4u << 20)                /* queued fragment buffer bytes per stack */
#define FRAG6_QUEUES_MAX 1024                   /* datagrams in reassembly per stack */

int frag6_init(struct stack *st);
/* Frees every queue and its fragments. */
void frag6_fini(struct stack *st);

/*
 * Receive-chain step for a Fragment header at data (see exthdr.h). Queues
 * the fragment; when the datagram is complete, *pp becomes the reassembled
 * packet (Fragment header removed, next header and payload length fixed)
 * with data after its unfragmentable part, and EXT_CONTINUE is returned.
 */
int frag6_input(struct stack *st, struct pkt **pp, uint8_t *nxt);

/* Datagrams currently in reassembly, and their buffer bytes (tests, stats). */
unsigned frag6_queue_count(const struct stack *st);
size_t frag6_mem(const struct stack *st);

/*
 * Splits @p (data = complete IPv6 packet) into fragments of at most @mtu
 * bytes (RFC 8200 4.5) and passes each to nd6_output(@dev, @nexthop).
 * Consumes @p. 0 or -errno.
 */
int frag6_output(struct stack *st, struct pkt *p, struct netdev *dev,
		 const struct in6_addr *nexthop, uint32_t mtu);

#endif
