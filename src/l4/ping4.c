/*
 * ICMP echo ("ping") sockets for IPv4, like Linux's SOCK_DGRAM/IPPROTO_ICMP:
 * the user writes an Echo (RFC 792), the socket stamps its identifier, and
 * Echo Replies come back by identifier, with the TTL in recvmsg's hop limit.
 * Binding, lookup and delivery are ping6.c's; only the IPv4 edges live here.
 */
#include "l4/sock.h"
#include "proto/ip4.h"
#include "ipv4/ipv4.h"

static const struct ping_family ping4_family = {
	.proto = IPPROTO_ICMP, .request_type = ICMP4_ECHO,
	.reply_type = ICMP4_ECHO_REPLY, .fill_rxmeta = sock_fill_rxmeta4,
	.icmp_error = sock_icmp4_error, .truncated = STAT_ping4_truncated,
	.bad_type = STAT_ping4_bad_type, .no_socket = STAT_ping4_no_socket, .in = STAT_ping4_in,
	.err_bad = STAT_udp4_err_bad, .err_nosock = STAT_ping4_err_nosock,
	.err_in = STAT_ping4_err_in,
};

int ping4_send(struct usock *s, struct pkt *p, const struct sockaddr_in6 *dst)
{
	struct stack *st = s->st;
	struct ip4_tx tx;
	int rc = ping_stamp(s, p, ICMP4_ECHO);

	if (rc < 0)
		goto drop;
	ip4_tx_init(&tx, ip4_from_mapped(&dst->sin6_addr), IPPROTO_ICMP);
	rc = sock_tx4_setup(s, &tx);
	if (rc < 0)
		goto drop;
	tx.src = in6_is_v4mapped(&s->laddr) ? ip4_from_mapped(&s->laddr) : 0;
	tx.csum_off = 2;
	tx.csum_no_pseudo = true;   /* RFC 792: the ICMP checksum covers the message only */
	rc = ip4_output(st, p, &tx);
	if (rc < 0)
		STAT_INC(st, ping4_out_err);
	else
		STAT_INC(st, ping4_out);
	return rc;
drop:
	STAT_INC(st, ping4_out_err);
	pkt_free(p);
	return rc;
}

int ping4_input(struct stack *st, struct pkt *p)
{
	const struct ip4_hdr *ip = (const struct ip4_hdr *)pkt_nh(p);
	struct in6_addr src, dst;

	ip4_to_mapped(&src, ip4_get(ip->src));
	ip4_to_mapped(&dst, ip4_get(ip->dst));
	return ping_deliver(st, p, &ping4_family, &src, &dst, IP4_CB(p)->iif);
}

void ping4_err(struct stack *st, const struct pkt *q, size_t off, uint8_t type, uint8_t code)
{
	const struct ip4_hdr *ip = pkt_header(q, 0, IPV4_HLEN, NULL);
	struct in6_addr src, dst;

	if (!ip) {
		STAT_INC(st, udp4_err_bad);
		return;
	}
	ip4_to_mapped(&src, ip4_get(ip->src));
	ip4_to_mapped(&dst, ip4_get(ip->dst));
	ping_err(st, q, off, &ping4_family, &src, &dst, type, code);
}
