/*
 * UDP over IPv4 (RFC 768, RFC 1122 4.1) on the socket table of udp.c:
 * input, output, and the ICMP errors that come back about what we sent.
 * Addresses travel IPv4-mapped so IPv4 and dual-stack IPv6 sockets share
 * one demultiplexer (udp_lookup).
 */
#include "l4/sock.h"
#include "core/csum.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "ipv4/ipv4.h"
#include "ipv4/icmp4.h"


static const struct udp_stat_ids udp4_ids = {
	STAT_udp4_truncated, STAT_udp4_bad_len, STAT_udp4_short,
};

/* RFC 768: the pseudo-header holds source, destination, protocol and UDP length. */
static bool udp4_csum_ok(uint32_t src, uint32_t dst, const struct pkt *p)
{
	uint8_t ph[12];
	uint16_t c;

	ip4_put(ph, src);
	ip4_put(ph + 4, dst);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	put_be16(ph + 10, (uint16_t)p->len);
	c = csum_fold(csum_partial(p->data, p->len, csum_partial(ph, sizeof(ph), 0)));
	return c == 0 || c == 0xffff;
}

static bool udp4_to_group(const struct pkt *p, uint32_t dst)
{
	return (IP4_CB(p)->flags & (IP4_CB_BCAST | IP4_CB_MCAST)) || ip4_is_multicast(dst) ||
	       ip4_is_limited_bcast(dst);
}

int udp4_input(struct stack *st, struct pkt *p)
{
	const struct ip4_hdr *ip = (const struct ip4_hdr *)pkt_nh(p);
	const struct udp_hdr *uh = (const struct udp_hdr *)p->data;
	uint32_t src4 = ip4_get(ip->src), dst4 = ip4_get(ip->dst);
	bool group = udp4_to_group(p, dst4);
	struct in6_addr src, dst;
	uint16_t sport;
	struct usock *s;

	if (udp_check_header(st, p, &udp4_ids) < 0)
		goto drop;
	/* RFC 768: an all-zero checksum means the sender computed none. */
	if (get_be16(uh->cksum) == 0) {
		STAT_INC(st, udp4_no_csum);
	} else if (!udp4_csum_ok(src4, dst4, p)) {
		STAT_INC(st, udp4_bad_csum);
		goto drop;
	}
	STAT_INC(st, udp4_in_datagrams);
	sport = get_be16(uh->sport);
	ip4_to_mapped(&src, src4);
	ip4_to_mapped(&dst, dst4);
	pkt_set_th(p);
	if (group) {
		uint16_t dport = get_be16(uh->dport);

		pkt_pull(p, UDP_HLEN);
		sock_fill_rxmeta4(p, sport);
		udp_mcast_deliver(st, p, dport);
		return 0;
	}
	s = udp_lookup(st, &src, sport, &dst, get_be16(uh->dport), IP4_CB(p)->iif);
	if (!s) {
		/* RFC 1122 4.1.3.1: Port Unreachable when no one listens. */
		STAT_INC(st, udp4_no_port);
		icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_PORT, 0);
		goto drop;
	}
	pkt_pull(p, UDP_HLEN);
	sock_fill_rxmeta4(p, sport);
	return sock_queue_rx(s, p);
drop:
	pkt_free(p);
	return -EINVAL;
}

int udp4_send(struct usock *s, struct pkt *p, const struct in6_addr *src,
	      const struct sockaddr_in6 *dst)
{
	struct stack *st = s->st;
	struct ip4_tx tx;
	int rc = udp_push_header(s, p, ntohs(dst->sin6_port));

	if (rc < 0)
		goto drop;
	ip4_tx_init(&tx, ip4_from_mapped(&dst->sin6_addr), IPPROTO_UDP);
	rc = sock_tx4_setup(s, &tx);
	if (rc < 0)
		goto drop;
	tx.src = in6_is_v4mapped(src) ? ip4_from_mapped(src) : 0;
	tx.csum_off = 6;   /* ip4_output sends a computed 0 as 0xffff (RFC 768) */
	rc = ip4_output(st, p, &tx);
	if (rc < 0)
		STAT_INC(st, udp4_out_err);
	else
		STAT_INC(st, udp4_out_datagrams);
	return rc;
drop:
	STAT_INC(st, udp4_out_err);
	pkt_free(p);
	return rc;
}

/* What a socket user sees for each Destination Unreachable code (as Linux's icmp_err_convert). */
static const int du4_errno[] = {
	[ICMP4_DU_NET] = ENETUNREACH, [ICMP4_DU_HOST] = EHOSTUNREACH,
	[ICMP4_DU_PROTO] = ENOPROTOOPT, [ICMP4_DU_PORT] = ECONNREFUSED,
	[ICMP4_DU_FRAG_NEEDED] = EMSGSIZE, [ICMP4_DU_SRC_ROUTE] = EOPNOTSUPP,
	[6] = ENETUNREACH, [7] = EHOSTDOWN, [8] = ENONET, [9] = ENETUNREACH,
	[10] = EHOSTUNREACH, [11] = ENETUNREACH, [12] = EHOSTUNREACH,
	[ICMP4_DU_ADMIN] = EHOSTUNREACH, [14] = EHOSTUNREACH, [15] = EHOSTUNREACH,
};

void sock_icmp4_error(struct usock *s, uint8_t type, uint8_t code)
{
	int err = 0;

	if (type == ICMP4_DST_UNREACH && code == ICMP4_DU_FRAG_NEEDED) {
		/* The PMTU is already lowered; only a DF (IP_PMTUDISC_DO) sender must hear it. */
		if (s->dontfrag)
			sock_set_error(s, -EMSGSIZE);
		return;
	}
	/* Without IP_RECVERR, Linux reports errors to connected sockets only. */
	if (!s->connected)
		return;
	if (type == ICMP4_DST_UNREACH)
		err = code < ARRAY_SIZE(du4_errno) && du4_errno[code] ? du4_errno[code] : EHOSTUNREACH;
	else if (type == ICMP4_TIME_EXCEEDED)
		err = EHOSTUNREACH;
	else if (type == ICMP4_PARAM_PROB)
		err = EPROTO;
	if (err)
		sock_set_error(s, -err);
}

void udp4_err(struct stack *st, struct pkt *q, uint8_t type, uint8_t code, uint32_t info)
{
	const struct ip4_hdr *ip = pkt_header(q, 0, IPV4_HLEN, NULL);
	size_t hl = ip ? (size_t)(ip->vihl & 0xf) * 4 : 0;
	const uint8_t *ports = hl >= IPV4_HLEN ? pkt_header(q, hl, 4, NULL) : NULL;
	struct in6_addr src, dst;
	struct usock *s;

	(void)info;   /* the next-hop MTU already went to pmtu4 */
	/* Only a first fragment carries the ports (RFC 792: header + 64 bits of data). */
	if (!ports || (ip->vihl >> 4) != 4 || (get_be16(ip->frag_off) & IP4_OFFMASK)) {
		STAT_INC(st, udp4_err_bad);
		return;
	}
	if (ip->proto == IPPROTO_ICMP) {
		ping4_err(st, q, hl, type, code);
		return;
	}
	if (ip->proto != IPPROTO_UDP) {
		STAT_INC(st, udp4_err_bad);
		return;
	}
	ip4_to_mapped(&src, ip4_get(ip->src));
	ip4_to_mapped(&dst, ip4_get(ip->dst));
	/* We sent src:sport -> dst:dport, so we are the receiver of dst:dport -> src:sport. */
	s = udp_lookup(st, &dst, get_be16(ports + 2), &src, get_be16(ports), 0);
	if (!s) {
		STAT_INC(st, udp4_err_nosock);
		return;
	}
	STAT_INC(st, udp4_err_in);
	sock_icmp4_error(s, type, code);
}
