/*
 * ICMPv6 (RFC 4443): checksum check and dispatch by type, Echo, error
 * delivery to the upper layer and PMTU, and error generation with the
 * 2.4 rules and a token-bucket rate limit.
 */
#include "core/csum.h"
#include "core/ratelimit.h"
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/exthdr.h"
#include "ipv6/mld6.h"
#include "link/netdev.h"
#include "proto/ip6.h"

#define ICMP6_ERR_MAX IPV6_MIN_MTU  /* RFC 4443 2.4(c): the error packet fits the minimum MTU */

int icmp6_init(struct stack *st)
{
	struct icmp6_state *s = &st->icmp6;

	/* Burst of 10, then one error per 100 ms (RFC 4443 2.4(f) token bucket). */
	s->ratelimit_ms = 100;
	s->burst = 10;
	s->tokens_ns = ratelimit_full(s->ratelimit_ms, s->burst);
	s->last_ns = st->now;
	return 0;
}

static bool icmp6_ratelimit_ok(struct stack *st)
{
	struct icmp6_state *s = &st->icmp6;

	return ratelimit_take(&s->tokens_ns, &s->last_ns, s->ratelimit_ms, s->burst, st->now);
}

int icmp6_send(struct stack *st, struct pkt *p, struct ip6_tx *tx)
{
	int rc;

	tx->proto = NH_ICMPV6;
	tx->csum_off = 2;
	STAT_INC(st, icmp6_out_msgs);
	rc = ip6_output(st, p, tx);
	if (rc < 0)
		STAT_INC(st, icmp6_out_fail);
	return rc;
}

/* RFC 4443 2.4(e): which offending packets may be answered with an error. */
static bool icmp6_err_allowed(struct stack *st, const struct pkt *orig, const struct ip6_hdr *ip6,
			      size_t avail, uint8_t type, uint8_t code)
{
	const uint8_t *nh = (const uint8_t *)ip6;
	const struct ip6_addrs a = ip6_addrs_of(ip6);
	uint8_t proto;
	size_t off;

	if (ip6_find_upper(nh, avail, &proto, &off) == 0 && proto == NH_ICMPV6 && off < avail &&
	    (nh[off] < 128 || nh[off] == ND_REDIRECT)) {
		STAT_INC(st, icmp6_err_about_err);
		return false;
	}
	if ((in6_is_multicast(&a.dst) || (orig->flags & (PKT_F_MCAST | PKT_F_BCAST))) &&
	    type != ICMP6_PACKET_TOO_BIG &&
	    !(type == ICMP6_PARAM_PROB && code == ICMP6_PP_OPTION)) {
		STAT_INC(st, icmp6_err_mcast_dst);
		return false;
	}
	if (in6_is_unspec(&a.src) || in6_is_multicast(&a.src)) {
		STAT_INC(st, icmp6_err_bad_src);
		return false;
	}
	return true;
}

void icmp6_send_error(struct stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		      uint32_t info)
{
	const uint8_t *nh;
	const struct ip6_hdr *ip6;
	struct ip6_tx tx;
	struct pkt *np;
	uint8_t *m;
	size_t avail, qlen;

	if (orig->nh < 0 || orig->head + orig->nh > orig->data + orig->len ||
	    (avail = (size_t)(orig->data + orig->len - pkt_nh(orig))) < IPV6_HLEN) {
		STAT_INC(st, icmp6_err_short);
		return;
	}
	nh = pkt_nh(orig);
	ip6 = (const struct ip6_hdr *)nh;
	if (!icmp6_err_allowed(st, orig, ip6, avail, type, code))
		return;
	const struct ip6_addrs a = ip6_addrs_of(ip6);
	if (!icmp6_ratelimit_ok(st)) {
		STAT_INC(st, icmp6_err_ratelimit);
		return;
	}
	qlen = MIN(avail, ICMP6_ERR_MAX - IPV6_HLEN - 8);
	np = stack_pkt_alloc(st, 8 + qlen);
	if (!np)
		return;
	m = pkt_put(np, 8 + qlen);
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	put_be32(m + 4, info);
	memcpy(m + 8, nh, qlen);
	ip6_tx_init(&tx, &a.src, NH_ICMPV6);
	/* Answer from the address the packet was sent to, if it is one of ours. */
	if (!in6_is_multicast(&a.dst) && addrconf_is_local(st, &a.dst))
		tx.src = a.dst;
	if (in6_is_linklocal(&a.src))
		tx.oif = orig->dev;
	STAT_INC(st, icmp6_out_errors);
	icmp6_send(st, np, &tx);
}

/*
 * Errors (RFC 4443 2.4(d), 3): data = the ICMPv6 header. Lowers the PMTU
 * on Packet Too Big and tells the upper layer of the quoted packet.
 */
static int icmp6_err_input(struct stack *st, struct pkt *p)
{
	const struct icmp6_hdr *ih = pkt_header(p, 0, sizeof(*ih), NULL);
	const struct ip6_hdr *q;
	uint8_t type, code, proto;
	uint32_t info;
	size_t off;

	STAT_INC(st, icmp6_in_errors);
	if (!ih || !pkt_header(p, sizeof(*ih), IPV6_HLEN, NULL)) {
		STAT_INC(st, icmp6_in_err_short);
		goto out;
	}
	type = ih->type;
	code = ih->code;
	info = get_be32(ih->data);
	pkt_pull(p, sizeof(*ih));
	q = (const struct ip6_hdr *)p->data;
	const struct ip6_addrs qa = ip6_addrs_of(q);
	if (type == ICMP6_PACKET_TOO_BIG)
		pmtu6_update(st, &qa.dst, info);
	/* RFC 4443 2.4(d): udp6_err also hands quoted Echo Requests to ping sockets. */
	if (ip6_find_upper(p->data, p->len, &proto, &off) == 0 &&
	    (proto == NH_UDP || proto == NH_ICMPV6))
		udp6_err(st, p, type, code, info);
	else if (proto == NH_TCP)
		tcp6_err(st, p, type, code, info);
out:
	pkt_free(p);
	return 0;
}

/* RFC 4443 4.2: same identifier, sequence and data, back to the sender. */
static int icmp6_echo_request(struct stack *st, struct pkt *p)
{
	const struct ip6_addrs a = ip6_addrs_of(pkt_nh(p));
	struct ip6_tx tx;

	STAT_INC(st, icmp6_in_echo);
	ip6_tx_init(&tx, &a.src, NH_ICMPV6);
	/* To a multicast or anycast destination the reply comes from a selected unicast source. */
	if (!in6_is_multicast(&a.dst) && addrconf_is_local(st, &a.dst))
		tx.src = a.dst;
	if (in6_is_linklocal(&a.src))
		tx.oif = p->dev;
	p->data[0] = ICMP6_ECHO_REPLY;
	p->flags = 0;
	p->next = NULL;
	STAT_INC(st, icmp6_out_echo_reply);
	return icmp6_send(st, p, &tx);
}

static int icmp6_echo_reply(struct stack *st, struct pkt *p)
{
	STAT_INC(st, icmp6_in_echo_reply);
	return ping6_input(st, p);
}

typedef int (*icmp6_handler)(struct stack *st, struct pkt *p);

static const icmp6_handler icmp6_handlers[256] = {
	[ICMP6_DST_UNREACH] = icmp6_err_input,
	[ICMP6_PACKET_TOO_BIG] = icmp6_err_input,
	[ICMP6_TIME_EXCEEDED] = icmp6_err_input,
	[ICMP6_PARAM_PROB] = icmp6_err_input,
	[ICMP6_ECHO_REQUEST] = icmp6_echo_request,
	[ICMP6_ECHO_REPLY] = icmp6_echo_reply,
	[MLD_QUERY] = mld6_input,
	[MLD_REPORT_V1] = mld6_input,
	[MLD_DONE] = mld6_input,
	[MLD_REPORT_V2] = mld6_input,
	[ND_ROUTER_SOLICIT] = nd6_input,
	[ND_ROUTER_ADVERT] = nd6_input,
	[ND_NEIGHBOR_SOLICIT] = nd6_input,
	[ND_NEIGHBOR_ADVERT] = nd6_input,
	[ND_REDIRECT] = nd6_input,
};

int icmp6_input(struct stack *st, struct pkt *p)
{
	const struct ip6_addrs a = ip6_addrs_of(pkt_nh(p));
	const struct icmp6_hdr *ih = pkt_header(p, 0, 4, NULL);
	icmp6_handler h;

	STAT_INC(st, icmp6_in_msgs);
	if (!ih) {
		STAT_INC(st, icmp6_in_truncated);
		goto drop;
	}
	/* A correct checksum sums, with the pseudo-header, to all ones. */
	if (csum_fold(csum_partial(p->data, p->len,
				   csum_ipv6_pseudo(&a.src, &a.dst, p->len, NH_ICMPV6))) != 0) {
		STAT_INC(st, icmp6_in_bad_csum);
		goto drop;
	}
	h = icmp6_handlers[ih->type];
	if (h)
		return h(st, p);
	if (ih->type < 128) {
		/* RFC 4443 2.4(b): unknown errors still go to the upper layer. */
		STAT_INC(st, icmp6_in_unknown_err);
		return icmp6_err_input(st, p);
	}
	STAT_INC(st, icmp6_in_unknown_info);
drop:
	pkt_free(p);
	return 0;
}
