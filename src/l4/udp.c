/*
 * UDP over IPv6 (RFC 768; RFC 8200 8.1 for the pseudo-header and the
 * mandatory checksum): the bound-socket table, input, output, and the
 * ICMPv6 errors that come back about what we sent.
 *
 * Demultiplexing. Sockets hang off a table keyed by siphash(local port),
 * so a remote sender cannot aim many ports at one chain. A unicast datagram
 * goes to the single best socket on the port that accepts it (sock_accepts:
 * bound address, bound interface, connected peer), preferring a connected
 * 4-tuple over a bound address over the wildcard, and a bound interface
 * over none. A multicast datagram goes to every accepting socket on the
 * port, i.e. bound to :: or to the group itself: like Linux's default
 * (IPV6_MULTICAST_ALL), the interface's membership, which ip6_input already
 * checked, admits the datagram, and per-socket joins are not required.
 */
#include "l4/sock.h"
#include "core/csum.h"
#include "proto/ip6.h"
#include "ipv6/icmp6.h"
#include "link/netdev.h"


static struct dlist *udp_bucket(struct stack *st, uint16_t port)
{
	uint8_t key[2];

	put_be16(key, port);
	return &st->sk.udp->b[siphash13(&st->hkey, key, sizeof(key)) & (SOCK_HASH_SIZE - 1)];
}

/*
 * @bucket must be a variable, not a udp_bucket() call: dlist_for_each_safe
 * reads its head on every step, and each read would hash the port again.
 */
#define for_each_port_sock(s, pos, tmp, bucket) \
	dlist_for_each_safe(pos, tmp, bucket) \
		if (((s) = dlist_entry(pos, struct usock, node)), true)

static bool port_in_use(struct stack *st, uint16_t port)
{
	struct dlist *b = udp_bucket(st, port), *pos, *tmp;
	struct usock *s;

	for_each_port_sock(s, pos, tmp, b)
		if (s->lport == port)
			return true;
	return false;
}

/*
 * Two bindings of one port collide on overlapping interfaces when their
 * addresses are the same, or when one is a dual-stack :: (not V6ONLY) and the
 * other the IPv4 wildcard 0.0.0.0, as in Linux (a V6ONLY :: and 0.0.0.0 coexist).
 */
static bool addr_overlap(const struct in6_addr *a, bool a_v6only, const struct usock *s)
{
	static const struct in6_addr v4any = { .s6_addr = { [10] = 0xff, [11] = 0xff } };

	if (in6_equal(&s->laddr, a))
		return true;
	if (in6_is_unspec(a) && !a_v6only)
		return in6_equal(&s->laddr, &v4any);
	return in6_equal(a, &v4any) && in6_is_unspec(&s->laddr) && !s->v6only;
}

static bool bind_conflict(struct usock *me, const struct in6_addr *a, uint16_t port, int ifindex)
{
	struct dlist *b = udp_bucket(me->st, port), *pos, *tmp;
	struct usock *s;

	for_each_port_sock(s, pos, tmp, b)
		if (s->lport == port && addr_overlap(a, me->v6only, s) &&
		    (!s->bound_if || !ifindex || s->bound_if == ifindex))
			return true;
	return false;
}

/* RFC 6056 3.3.1 (Algorithm 1): a random start in the dynamic range, then the next free one. */
static int pick_ephemeral(struct stack *st, uint16_t *port)
{
	const uint32_t n = EPHEMERAL_HI - EPHEMERAL_LO + 1;
	uint32_t start = rng_below(&st->rng, n);

	for (uint32_t i = 0; i < n; i++) {
		uint16_t cand = (uint16_t)(EPHEMERAL_LO + (start + i) % n);

		if (!port_in_use(st, cand)) {
			*port = cand;
			return 0;
		}
	}
	STAT_INC(st, sock_no_ephemeral);
	return -EADDRINUSE;
}

int udp_bind_port(struct usock *s, const struct in6_addr *addr, uint16_t port, int ifindex)
{
	struct stack *st = s->st;
	int rc;

	if (port == 0) {
		rc = pick_ephemeral(st, &port);
		if (rc < 0)
			return rc;
	} else if (bind_conflict(s, addr, port, ifindex)) {
		return -EADDRINUSE;
	}
	s->laddr = *addr;
	s->lport = port;
	s->bound_if = ifindex;
	s->bound = true;
	dlist_add_tail(udp_bucket(st, port), &s->node);
	return 0;
}

void udp_unhash(struct usock *s)
{
	dlist_del(&s->node);
	s->bound = false;
}

static int sock_score(const struct usock *s)
{
	return (s->connected ? 4 : 0) + (sock_addr_any(&s->laddr) ? 0 : 2) + (s->bound_if ? 1 : 0);
}

struct usock *udp_lookup(struct stack *st, const struct in6_addr *src, uint16_t sport,
				const struct in6_addr *dst, uint16_t dport, int iif)
{
	struct dlist *b = udp_bucket(st, dport), *pos, *tmp;
	struct usock *s, *best = NULL;

	for_each_port_sock(s, pos, tmp, b) {
		if (s->lport != dport || !sock_accepts(s, src, sport, dst, iif))
			continue;
		if (!best || sock_score(s) > sock_score(best))
			best = s;
	}
	return best;
}

void udp_mcast_deliver(struct stack *st, struct pkt *p, uint16_t dport)
{
	const struct sock_rxmeta *m = SOCK_RXMETA(p);
	struct dlist *b = udp_bucket(st, dport), *pos, *tmp;
	struct usock *s, *prev = NULL;

	/* Each accepting socket but the last gets a copy; the last takes @p. */
	for_each_port_sock(s, pos, tmp, b) {
		if (s->lport != dport || !sock_accepts(s, &m->src, m->sport, &m->dst, m->ifindex))
			continue;
		if (prev) {
			struct pkt *c = pkt_copy(st->pool, p);

			if (c)
				sock_queue_rx(prev, c);
			else
				STAT_INC(st, udp_nomem);
		}
		prev = s;
	}
	if (prev) {
		sock_queue_rx(prev, p);
		return;
	}
	STAT_INC(st, udp_no_port_mcast);
	pkt_free(p);
}

static bool udp_csum_ok(const struct in6_addr *src, const struct in6_addr *dst,
			const struct pkt *p, size_t ulen)
{
	uint16_t c = csum_ipv6(src, dst, NH_UDP, p->data, ulen);

	/* Summing a correct message gives -0; accept either fold of it. */
	return c == 0 || c == 0xffff;
}

int udp_check_header(struct stack *st, struct pkt *p, const struct udp_stat_ids *ids)
{
	const struct udp_hdr *uh = pkt_header(p, 0, UDP_HLEN, NULL);
	uint16_t ulen;

	if (!uh) {
		st->stats[ids->truncated]++;
		return -EINVAL;
	}
	ulen = get_be16(uh->len);
	if (ulen < UDP_HLEN) {
		st->stats[ids->bad_len]++;
		return -EINVAL;
	}
	if (ulen > p->len) {
		st->stats[ids->short_len]++;
		return -EINVAL;
	}
	pkt_trim(p, ulen);   /* RFC 768: the length field bounds the datagram; the rest is padding */
	return 0;
}

static const struct udp_stat_ids udp6_ids = {
	STAT_udp_truncated, STAT_udp_bad_len, STAT_udp_short,
};

int udp6_input(struct stack *st, struct pkt *p)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)pkt_nh(p);
	const struct in6_addr src = ip6->src, dst = ip6->dst;
	const struct udp_hdr *uh = (const struct udp_hdr *)p->data;
	uint16_t sport, dport;
	struct usock *s;

	if (udp_check_header(st, p, &udp6_ids) < 0)
		goto drop;
	/* RFC 8200 8.1: the checksum is mandatory over IPv6. */
	if (get_be16(uh->cksum) == 0) {
		STAT_INC(st, udp_zero_csum);
		goto drop;
	}
	if (!udp_csum_ok(&src, &dst, p, p->len)) {
		STAT_INC(st, udp_bad_csum);
		goto drop;
	}
	STAT_INC(st, udp_in_datagrams);
	sport = get_be16(uh->sport);
	dport = get_be16(uh->dport);
	pkt_set_th(p);
	if (in6_is_multicast(&dst)) {
		pkt_pull(p, UDP_HLEN);
		sock_fill_rxmeta(p, sport);
		udp_mcast_deliver(st, p, dport);
		return 0;
	}
	s = udp_lookup(st, &src, sport, &dst, dport, IP6_CB(p)->iif);
	if (!s) {
		/* RFC 4443 3.1: code 4 when the transport has no listener. */
		STAT_INC(st, udp_no_port);
		icmp6_send_error(st, p, ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0);
		goto drop;
	}
	pkt_pull(p, UDP_HLEN);
	sock_fill_rxmeta(p, sport);
	return sock_queue_rx(s, p);
drop:
	pkt_free(p);
	return -EINVAL;
}

int udp_push_header(struct usock *s, struct pkt *p, uint16_t dport)
{
	size_t ulen = p->len + UDP_HLEN;
	struct udp_hdr *uh = ulen <= 0xffff ? pkt_push(p, UDP_HLEN) : NULL;

	if (!uh)
		return -EMSGSIZE;
	put_be16(uh->sport, s->lport);
	put_be16(uh->dport, dport);
	put_be16(uh->len, (uint16_t)ulen);
	put_be16(uh->cksum, 0);
	return 0;
}

int udp6_send(struct usock *s, struct pkt *p, const struct in6_addr *src,
	      const struct sockaddr_in6 *dst)
{
	return udp6_send_summed(s, p, src, dst, NULL);
}

int udp6_send_summed(struct usock *s, struct pkt *p, const struct in6_addr *src,
		     const struct sockaddr_in6 *dst, const uint32_t *data_sum)
{
	struct stack *st = s->st;
	struct ip6_tx tx;
	int rc = udp_push_header(s, p, ntohs(dst->sin6_port));

	if (rc < 0)
		goto drop;
	ip6_tx_init(&tx, &dst->sin6_addr, NH_UDP);
	rc = sock_tx_setup(s, &tx, dst);
	if (rc < 0)
		goto drop;
	tx.src = *src;
	tx.csum_off = 6;
	if (data_sum) {
		/* ip6_output sums the UDP header and the pseudo-header, not the data again. */
		tx.csum_part_off = UDP_HLEN;
		tx.csum_part = *data_sum;
	}
	rc = ip6_output(st, p, &tx);
	if (rc < 0)
		STAT_INC(st, udp_out_err);
	else
		STAT_INC(st, udp_out_datagrams);
	return rc;
drop:
	STAT_INC(st, udp_out_err);
	pkt_free(p);
	return rc;
}

/* Linux's icmpv6_err_convert: what a socket user sees for each ICMPv6 error. */
static const int du_errno[] = {
	[ICMP6_DU_NOROUTE] = ENETUNREACH, [ICMP6_DU_ADMIN] = EACCES,
	[ICMP6_DU_BEYONDSCOPE] = EHOSTUNREACH, [ICMP6_DU_ADDR] = EHOSTUNREACH,
	[ICMP6_DU_PORT] = ECONNREFUSED, [ICMP6_DU_POLICY] = EACCES, [ICMP6_DU_REJECT] = EACCES,
};

void sock_icmp_error(struct usock *s, uint8_t type, uint8_t code)
{
	int err = 0;

	if (type == ICMP6_PACKET_TOO_BIG) {
		/* The PMTU is already lowered; only a don't-fragment sender must hear it. */
		if (s->dontfrag)
			sock_set_error(s, -EMSGSIZE);
		return;
	}
	/* Without IPV6_RECVERR, Linux reports errors to connected sockets only. */
	if (!s->connected)
		return;
	if (type == ICMP6_DST_UNREACH)
		err = code < ARRAY_SIZE(du_errno) ? du_errno[code] : EHOSTUNREACH;
	else if (type == ICMP6_TIME_EXCEEDED)
		err = EHOSTUNREACH;
	else if (type == ICMP6_PARAM_PROB)
		err = EPROTO;
	if (err)
		sock_set_error(s, -err);
}

/* Offset of the upper-layer header in a quoted packet (RFC 8200 4), or -1 with *nxt unknown. */
static int quoted_upper(const struct pkt *q, uint8_t *nxt)
{
	const struct ip6_hdr *ip6 = pkt_header(q, 0, IPV6_HLEN, NULL);
	size_t off = IPV6_HLEN;

	if (!ip6)
		return -1;
	*nxt = ip6->nxt;
	for (int i = 0; i < 8; i++) {
		const struct ip6_ext *e = pkt_header(q, off, sizeof(*e), NULL);

		if (*nxt != NH_HOPOPTS && *nxt != NH_DSTOPTS && *nxt != NH_ROUTING &&
		    *nxt != NH_FRAGMENT)
			return (int)off;
		if (!e)
			return -1;
		if (*nxt == NH_FRAGMENT) {
			const struct ip6_frag *f = pkt_header(q, off, sizeof(*f), NULL);

			/* Only the first fragment carries the ports. */
			if (!f || (get_be16(f->off_m) & 0xfff8))
				return -1;
			off += sizeof(*f);
		} else {
			off += ((size_t)e->len + 1) * 8;
		}
		*nxt = e->nxt;
	}
	return -1;
}

void udp6_err(struct stack *st, struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info)
{
	const struct ip6_hdr *ip6 = pkt_header(quoted, 0, IPV6_HLEN, NULL);
	const uint8_t *ports;
	uint8_t nxt = 0;
	int off = quoted_upper(quoted, &nxt);
	struct in6_addr src, dst;
	struct usock *s;

	ports = off >= 0 ? pkt_header(quoted, (size_t)off, 4, NULL) : NULL;
	if (!ip6 || !ports) {
		STAT_INC(st, udp_err_bad);
		return;
	}
	if (nxt == NH_ICMPV6) {
		ping6_err(st, quoted, (size_t)off, type, code);
		return;
	}
	if (nxt != NH_UDP) {
		STAT_INC(st, udp_err_bad);
		return;
	}
	/* We sent src:sport -> dst:dport, so we are the receiver of dst:dport -> src:sport. */
	src = ip6->src;
	dst = ip6->dst;
	s = udp_lookup(st, &dst, get_be16(ports + 2), &src, get_be16(ports), 0);
	if (!s) {
		STAT_INC(st, udp_err_nosock);
		return;
	}
	STAT_INC(st, udp_err_in);
	sock_icmp_error(s, type, code);
}
