/* IPv4 reassembly (RFC 791 3.2, RFC 815) over core/reasm.c, and output fragmentation. */
#ifndef USAGI_IPV4_FRAG4_H
#define USAGI_IPV4_FRAG4_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;

/* RFC 791 suggests 15 s; 30 s as Linux's ipfrag_time. */
#define FRAG4_TIMEOUT_NS (30 * NS_PER_SEC)
#define FRAG4_QUEUES_MAX 1024

int frag4_init(struct stack *st);
void frag4_fini(struct stack *st);

/*
 * A fragment (data = nh = IPv4 header, header already validated). Queues it;
 * when the datagram is complete, *pp becomes the reassembled packet (data =
 * its IPv4 header, MF and offset clear, total length and checksum right) and
 * 1 is returned. 0: consumed (queued or dropped).
 */
int frag4_input(struct stack *st, struct pkt **pp);

unsigned frag4_queue_count(const struct stack *st);
size_t frag4_mem(const struct stack *st);

/*
 * Splits @p (data = IPv4 header, DF clear) into fragments of at most @mtu
 * octets (RFC 791 3.2) and passes each to arp_output(@dev, @nexthop).
 * Consumes @p. 0 or -errno.
 */
int frag4_output(struct stack *st, struct pkt *p, struct netdev *dev, uint32_t nexthop,
		 uint32_t mtu);

#endif
