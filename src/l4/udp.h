/* UDP over IPv6 (RFC 768, RFC 8200 8.1) and the socket table behind usagi_socket(). */
#ifndef USAGI_L4_UDP_H
#define USAGI_L4_UDP_H

#include <stdio.h>

#include "core/common.h"

struct stack;
struct pkt;

struct sock_state {
	struct sock_table *udp;     /* bound UDP sockets (keyed hash) */
	struct dlist ping;          /* ICMPv6 echo sockets */
	struct dlist all;           /* every open socket, closed at stack_free */
	struct dlist streams;       /* service_stream.c: udp-stream sources and sinks */
	struct tcp_state *tcp;      /* l4/tcp.h: connections, listeners, tunables */
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

/* TCP input and ICMP errors (l4/tcp_input.c), for the IP layers' tables; as udp6_input etc. */
int tcp6_input(struct stack *st, struct pkt *p);
int tcp4_input(struct stack *st, struct pkt *p);
void tcp6_err(struct stack *st, struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info);
void tcp4_err(struct stack *st, struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info);

/* tcp_service.c: `service tcp-echo PORT` (RFC 862) and `service tcp-discard PORT` (RFC 863). */
int service_tcp_echo(struct stack *st, uint16_t port);
int service_tcp_discard(struct stack *st, uint16_t port);
/*
 * `service tcp-send DST PORT BYTES`: connects to DST (IPv6, or IPv4-mapped),
 * sends BYTES octets of a fixed pattern (byte i = (131 j + j / 512) mod 256,
 * j = i mod 65536),
 * closes, and logs (info) the outcome. 0 or -errno from socket/connect.
 */
int service_tcp_send(struct stack *st, const struct in6_addr *dst, uint16_t port, uint64_t bytes);

/* `service udp-echo PORT`: echoes every datagram to PORT back to its sender. */
int service_udp_echo(struct stack *st, uint16_t port);

/* service_stream.c: a numbered constant-rate UDP stream and its receiver. */
struct service_stream_conf {
	struct in6_addr dst, src;   /* src :: = chosen per datagram */
	uint16_t port;
	uint64_t interval_ns;       /* >= 1 ms */
	uint32_t size;              /* payload octets, 16..1400 */
	uint64_t count;             /* 0: until the stack goes away */
};
/* Starts sending now. 0, -EINVAL, -ENOMEM, or a bind error. */
int service_udp_stream(struct stack *st, const struct service_stream_conf *c);
/*
 * Receives a stream on @port: counts datagrams, missing sequence numbers
 * (lost; a late one is taken back), late ones, and logs (info) each resumption
 * after a gap, a silence of 100 ms or more, or a change of sender address.
 */
int service_udp_sink(struct stack *st, uint16_t port);
/* One line per stream and sink (`service show`). */
void service_show(struct stack *st, FILE *out);
void service_stream_fini(struct stack *st);

#endif
