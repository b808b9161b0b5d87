/*
 * udp6_input, ping6_input and udp6_err on arbitrary bytes. Input: one
 * selector byte, then an IPv6 header and what follows (for udp6_err: the
 * quoted packet). A wildcard and a connected socket wait on port 7.
 */
#include "core/stack.h"
#include "l4/sock.h"
#include "proto/ip6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1 };
	struct stack *st;
	struct usock *s1, *s2;
	struct sockaddr_in6 sin;
	struct pkt *p;

	if (size < 1 + IPV6_HLEN)
		return 0;
	st = usagi_stack_new(&cfg);
	usagi_stack_set_log_level(st, 0);
	s1 = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	s2 = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	sockaddr_make(&sin, &in6addr_any, 7, 0);
	usagi_bind(s1, (struct sockaddr *)&sin, sizeof(sin));
	memcpy(&sin.sin6_addr, data + 1 + 8, 16);   /* connected to the packet's source */
	usagi_connect(s2, (struct sockaddr *)&sin, sizeof(sin));
	p = pkt_from_bytes(st->pool, data + 1, size - 1);
	if (p) {
		memset(p->cb, 0, sizeof(p->cb));
		switch (data[0] % 3) {
		case 0:
			pkt_set_nh(p);
			pkt_pull(p, IPV6_HLEN);
			udp6_input(st, p);
			break;
		case 1:
			pkt_set_nh(p);
			pkt_pull(p, IPV6_HLEN);
			ping6_input(st, p);
			break;
		default:
			udp6_err(st, p, data[1], data[2], 0);
			pkt_free(p);
			break;
		}
	}
	usagi_stack_free(st);
	return 0;
}
