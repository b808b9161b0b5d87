/*
 * ICMPv6 echo ("ping") sockets, shaped like Linux's SOCK_DGRAM/IPPROTO_ICMPV6:
 * the user writes an Echo Request (RFC 4443 4.1), the socket stamps its own
 * identifier (its "port") so replies find their way back, and reads whole
 * Echo Replies (RFC 4443 4.2). Few sockets exist, so they sit on one list,
 * shared with the ICMP (IPv4) echo sockets of ping4.c: identifiers are
 * per protocol, and the delivery code below serves both.
 */
#include "l4/sock.h"
#include "proto/ip6.h"
#include "ipv6/icmp6.h"
#include "ipv6/ipv6.h"

static struct usock *ping_sock(struct dlist *pos)
{
	return dlist_entry(pos, struct usock, node);
}

static bool id_in_use(struct stack *st, int proto, uint16_t id, const struct in6_addr *a,
		      int ifindex)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->sk.ping) {
		const struct usock *s = ping_sock(pos);

		if (s->lport == id && s->proto == proto && (!a || in6_equal(&s->laddr, a)) &&
		    (!s->bound_if || !ifindex || s->bound_if == ifindex))
			return true;
	}
	return false;
}

int ping_bind_id(struct usock *s, const struct in6_addr *addr, uint16_t id, int ifindex)
{
	struct stack *st = s->st;

	if (id == 0) {
		/* Any non-zero identifier; a random start keeps them unpredictable. */
		uint32_t start = rng_below(&st->rng, 0xffff);
		uint32_t i;

		for (i = 0; i < 0xffff; i++) {
			id = (uint16_t)(1 + (start + i) % 0xffff);
			if (!id_in_use(st, s->proto, id, NULL, 0))
				break;
		}
		if (i == 0xffff) {
			STAT_INC(st, sock_no_ephemeral);
			return -EADDRINUSE;
		}
	} else if (id_in_use(st, s->proto, id, addr, ifindex)) {
		return -EADDRINUSE;
	}
	s->laddr = *addr;
	s->lport = id;
	s->bound_if = ifindex;
	s->bound = true;
	dlist_add_tail(&st->sk.ping, &s->node);
	return 0;
}

void ping_unhash(struct usock *s)
{
	dlist_del(&s->node);
	s->bound = false;
}

int ping_stamp(struct usock *s, struct pkt *p, uint8_t request_type)
{
	struct icmp6_hdr *h = pkt_header_w(p, 0, sizeof(*h));

	/* Only Echo Requests; checksum and identifier are ours to fill. */
	if (!h || h->type != request_type || h->code != 0)
		return -EINVAL;
	put_be16(h->cksum, 0);
	put_be16(h->data, s->lport);
	return 0;
}

int ping6_send(struct usock *s, struct pkt *p, const struct sockaddr_in6 *dst)
{
	struct stack *st = s->st;
	struct ip6_tx tx;
	int rc = ping_stamp(s, p, ICMP6_ECHO_REQUEST);

	if (rc < 0)
		goto drop;
	ip6_tx_init(&tx, &dst->sin6_addr, NH_ICMPV6);
	rc = sock_tx_setup(s, &tx, dst);
	if (rc < 0)
		goto drop;
	tx.src = s->laddr;
	rc = icmp6_send(st, p, &tx);
	if (rc < 0)
		STAT_INC(st, ping_out_err);
	else
		STAT_INC(st, ping_out);
	return rc;
drop:
	STAT_INC(st, ping_out_err);
	pkt_free(p);
	return rc;
}

struct usock *ping_lookup(struct stack *st, int proto, uint16_t id, const struct in6_addr *src,
			  const struct in6_addr *dst, int iif)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->sk.ping) {
		struct usock *s = ping_sock(pos);

		if (s->lport == id && s->proto == proto && sock_accepts(s, src, 0, dst, iif))
			return s;
	}
	return NULL;
}

int ping_deliver(struct stack *st, struct pkt *p, const struct ping_family *f,
		 const struct in6_addr *src, const struct in6_addr *dst, int iif)
{
	/* ICMPv6 and ICMP share the layout of type, code, checksum, identifier. */
	const struct icmp6_hdr *h = pkt_header(p, 0, sizeof(*h), NULL);
	struct usock *s;

	if (!h) {
		st->stats[f->truncated]++;
		goto drop;
	}
	if (h->type != f->reply_type) {
		st->stats[f->bad_type]++;
		goto drop;
	}
	s = ping_lookup(st, f->proto, get_be16(h->data), src, dst, iif);
	if (!s) {
		st->stats[f->no_socket]++;
		goto drop;
	}
	st->stats[f->in]++;
	f->fill_rxmeta(p, 0);
	return sock_queue_rx(s, p);
drop:
	pkt_free(p);
	return -EINVAL;
}

static const struct ping_family ping6_family = {
	.proto = IPPROTO_ICMPV6, .request_type = ICMP6_ECHO_REQUEST,
	.reply_type = ICMP6_ECHO_REPLY, .fill_rxmeta = sock_fill_rxmeta,
	.icmp_error = sock_icmp_error, .truncated = STAT_ping_truncated,
	.bad_type = STAT_ping_bad_type, .no_socket = STAT_ping_no_socket, .in = STAT_ping_in,
	.err_bad = STAT_udp_err_bad, .err_nosock = STAT_ping_err_nosock, .err_in = STAT_ping_err_in,
};

int ping6_input(struct stack *st, struct pkt *p)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)pkt_nh(p);
	const struct in6_addr src = ip6->src, dst = ip6->dst;

	return ping_deliver(st, p, &ping6_family, &src, &dst, IP6_CB(p)->iif);
}

void ping_err(struct stack *st, const struct pkt *q, size_t off, const struct ping_family *f,
	      const struct in6_addr *src, const struct in6_addr *dst, uint8_t type, uint8_t code)
{
	const struct icmp6_hdr *h = pkt_header(q, off, sizeof(*h), NULL);
	struct usock *s;

	if (!h || h->type != f->request_type) {
		st->stats[f->err_bad]++;
		return;
	}
	/* We sent src -> dst: as a receiver, dst is the peer and src our address. */
	s = ping_lookup(st, f->proto, get_be16(h->data), dst, src, 0);
	if (!s) {
		st->stats[f->err_nosock]++;
		return;
	}
	st->stats[f->err_in]++;
	f->icmp_error(s, type, code);
}

void ping6_err(struct stack *st, const struct pkt *q, size_t off, uint8_t type, uint8_t code)
{
	const struct ip6_hdr *ip6 = pkt_header(q, 0, IPV6_HLEN, NULL);
	struct in6_addr src, dst;

	if (!ip6) {
		STAT_INC(st, udp_err_bad);
		return;
	}
	src = ip6->src;
	dst = ip6->dst;
	ping_err(st, q, off, &ping6_family, &src, &dst, type, code);
}
