/*
 * ARP (RFC 826) on the shared neighbour cache: IPv4 neighbours are kept as
 * IPv4-mapped addresses in the same table and NUD state machine as IPv6
 * neighbours (RFC 4861 7.3 states, with ARP requests as the solicitations).
 */
#ifndef USAGI_IPV4_ARP_H
#define USAGI_IPV4_ARP_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;

/* ARP packet at data. Consumes @p. */
int arp_input(struct stack *st, struct pkt *p);
/* Sends an IPv4 packet (data = IPv4 header) to on-link @nexthop via @dev, resolving with ARP. Consumes @p. */
int arp_output(struct stack *st, struct netdev *dev, uint32_t nexthop, struct pkt *p);
/* Request for @tip; @sip 0 = ARP probe (RFC 5227 2.1.1); @tha NULL = broadcast. */
int arp_send_request(struct netdev *dev, uint32_t sip, uint32_t tip, const uint8_t *tha);
/* Gratuitous ARP announcement of @ip (RFC 5227 2.3). */
int arp_announce(struct netdev *dev, uint32_t ip);

#endif
