/* UDP over IPv6 (RFC 768, RFC 8200 8.1) and the socket table behind usagi_socket(). */
#ifndef USAGI_L4_UDP_H
#define USAGI_L4_UDP_H

#include "core/common.h"

struct stack;
struct pkt;

struct sock_state {
	struct sock_table *udp;     /* bound UDP sockets (keyed hash) */
	struct dlist ping;          /* ICMPv6 echo sockets */
	struct dlist all;           /* every open socket, closed at stack_free */
	uint16_t next_ephemeral;
};

int sock_init(struct stack *st);
void sock_fini(struct stack *st);
/* UDP datagram at data, nh at IPv6 header. Consumes @p. */
int udp6_input(struct stack *st, struct pkt *p);
/* Echo Reply at data (after checksum check): deliver to the ping socket with its identifier. Consumes @p. */
int ping6_input(struct stack *st, struct pkt *p);
/*
 * An ICMPv6 error arrived quoting a packet we sent (data = the quoted
 * IPv6 header). Reports it to the matching socket (like IPV6_RECVERR/ECONNREFUSED).
 */
void udp6_err(struct stack *st, struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info);

/* IPv4 counterparts (data at the UDP/ICMP header, nh at the IPv4 header). Consume @p. */
int udp4_input(struct stack *st, struct pkt *p);
int ping4_input(struct stack *st, struct pkt *p);
/* An ICMP error quoting a packet we sent (data = the quoted IPv4 header). */
void udp4_err(struct stack *st, struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info);

/* `service udp-echo PORT`: echoes every datagram to PORT back to its sender. */
int service_udp_echo(struct stack *st, uint16_t port);

#endif
