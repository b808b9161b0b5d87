/*
 * ICMP for IPv4 (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3): checksum check
 * and dispatch by type, Echo, errors to the upper layer and the path MTU
 * (RFC 1191), and error generation with the RFC 1122 3.2.2 rules and the
 * token bucket shared with ICMPv6 (core/ratelimit.h).
 */
#include "core/csum.h"
#include "core/ratelimit.h"
#include "core/stack.h"
#include "ipv4/icmp4.h"
#include "ipv4/inet4.h"
#include "link/netdev.h"
#include "proto/ip4.h"

#define ICMP4_ERR_MAX 576      /* RFC 1812 4.3.2.3: the error datagram stays within 576 octets */

/* Sends @p (ICMP message at data, checksum field zero) with @tx. Consumes @p. */
static int icmp4_send(struct stack *st, struct pkt *p, struct ip4_tx *tx)
{
	int rc;

	tx->proto = IPPROTO_ICMP;
	tx->csum_off = 2;
	tx->csum_no_pseudo = true;
	STAT_INC(st, icmp4_out_msgs);
	rc = ip4_output(st, p, tx);
	if (rc < 0)
		STAT_INC(st, icmp4_out_fail);
	return rc;
}

/* Query/informational types (RFC 792, RFC 950): anything else counts as an error. */
static bool icmp4_is_info(uint8_t type)
{
	static const bool info[256] = { [0] = 1, [8] = 1, [9] = 1, [10] = 1, [13] = 1, [14] = 1,
					 [15] = 1, [16] = 1, [17] = 1, [18] = 1 };
	return info[type];
}

/* RFC 1122 3.2.2: datagrams that must never cause an ICMP error. */
static bool icmp4_err_allowed(struct stack *st, const struct pkt *orig, const uint8_t *h,
			      size_t avail)
{
	size_t hlen = (size_t)(h[0] & 0x0f) * 4;
	uint32_t src = ip4_get(h + 12), dst = ip4_get(h + 16);

	if (get_be16(h + 6) & IP4_OFFMASK) {
		STAT_INC(st, icmp4_err_frag);
		return false;
	}
	if (h[9] == IPPROTO_ICMP && avail > hlen && !icmp4_is_info(h[hlen])) {
		STAT_INC(st, icmp4_err_about_err);
		return false;
	}
	if (ip4_is_multicast(dst) || ip4_is_limited_bcast(dst) ||
	    (orig->dev && inet4_is_broadcast(orig->dev, dst)) ||
	    (orig->flags & (PKT_F_BCAST | PKT_F_MCAST))) {
		STAT_INC(st, icmp4_err_bcast_dst);
		return false;
	}
	/* Not one host: 0/8, loopback, broadcast, multicast, class E. */
	if (ip4_is_zeronet(src) || ip4_is_loopback(src) || ip4_is_multicast(src) ||
	    (ntohl(src) >> 28) == 0xf || (orig->dev && inet4_is_broadcast(orig->dev, src))) {
		STAT_INC(st, icmp4_err_bad_src);
		return false;
	}
	return true;
}

/* Type-specific second word: next-hop MTU (RFC 1191 4), pointer (RFC 792), gateway (network order). */
static void icmp4_err_info(uint8_t *m, uint8_t type, uint8_t code, uint32_t info)
{
	if (type == ICMP4_DST_UNREACH && code == ICMP4_DU_FRAG_NEEDED)
		put_be16(m + 6, (uint16_t)info);
	else if (type == ICMP4_PARAM_PROB)
		m[4] = (uint8_t)info;
	else if (type == ICMP4_REDIRECT)
		ip4_put(m + 4, info);
}

void icmp4_send_error(struct stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		      uint32_t info)
{
	const uint8_t *h;
	struct ip4_tx tx;
	struct pkt *np;
	uint8_t *m;
	size_t avail, qlen;

	if (orig->nh < 0 || orig->head + orig->nh + IPV4_HLEN > orig->data + orig->len) {
		STAT_INC(st, icmp4_err_short);
		return;
	}
	h = pkt_nh(orig);
	avail = (size_t)(orig->data + orig->len - h);
	avail = MIN(avail, (size_t)get_be16(h + 2));
	if ((size_t)(h[0] & 0x0f) * 4 > avail || (h[0] & 0x0f) < 5) {
		STAT_INC(st, icmp4_err_short);
		return;
	}
	if (!icmp4_err_allowed(st, orig, h, avail))
		return;
	if (!ratelimit_take(&st->ip4.icmp_tokens_ns, &st->ip4.icmp_last_ns,
			    st->ip4.icmp_ratelimit_ms, st->ip4.icmp_burst, st->now)) {
		STAT_INC(st, icmp4_err_ratelimit);
		return;
	}
	qlen = MIN(avail, ICMP4_ERR_MAX - IPV4_HLEN - 8);
	np = stack_pkt_alloc(st, 8 + qlen);
	if (!np)
		return;
	m = pkt_put(np, 8 + qlen);
	memset(m, 0, 8);
	m[0] = type;
	m[1] = code;
	icmp4_err_info(m, type, code, info);
	memcpy(m + 8, h, qlen);
	ip4_tx_init(&tx, ip4_get(h + 12), IPPROTO_ICMP);
	/* Answer from the address the packet was sent to, if it is ours (RFC 1812 4.3.2.4). */
	if (inet4_is_local(st, ip4_get(h + 16)))
		tx.src = ip4_get(h + 16);
	STAT_INC(st, icmp4_out_errors);
	icmp4_send(st, np, &tx);
}

/* RFC 1191 7: when the router reports MTU 0, guess the next plateau below the packet. */
static uint32_t icmp4_plateau(uint32_t tot)
{
	static const uint32_t plateaus[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296 };

	for (size_t i = 0; i < ARRAY_SIZE(plateaus); i++)
		if (plateaus[i] < tot)
			return plateaus[i];
	return IPV4_MIN_MTU;
}

/* Errors (RFC 1122 3.2.2.1-5): data = ICMP header, then the quoted datagram. */
static int icmp4_err_input(struct stack *st, struct pkt *p)
{
	const uint8_t *m = pkt_header(p, 0, 8 + IPV4_HLEN, NULL), *q;
	uint8_t type, code;
	uint32_t info, mtu;

	STAT_INC(st, icmp4_in_errors);
	if (!m || (m[8] >> 4) != 4 || (m[8] & 0x0f) < 5 ||
	    !pkt_header(p, 8, (size_t)(m[8] & 0x0f) * 4, NULL)) {
		STAT_INC(st, icmp4_in_err_short);
		goto out;
	}
	type = m[0];
	code = m[1];
	info = get_be32(m + 4);
	q = m + 8;
	if (type == ICMP4_DST_UNREACH && code == ICMP4_DU_FRAG_NEEDED) {
		STAT_INC(st, icmp4_in_frag_needed);
		mtu = get_be16(m + 6);
		pmtu4_update(st, ip4_get(q + 16), mtu ? mtu : icmp4_plateau(get_be16(q + 2)));
		info = mtu;
	}
	pkt_pull(p, 8);
	/* udp4_err hands quoted Echo Requests to ping sockets too. */
	if (q[9] == IPPROTO_UDP || q[9] == IPPROTO_ICMP)
		udp4_err(st, p, type, code, info);
	else if (q[9] == IPPROTO_TCP)
		tcp4_err(st, p, type, code, info);
out:
	pkt_free(p);
	return 0;
}

/* RFC 792 / RFC 1122 3.2.2.6: same identifier, sequence and data, from the address asked. */
static int icmp4_echo_request(struct stack *st, struct pkt *p)
{
	const uint8_t *h = pkt_nh(p);
	struct ip4_tx tx;

	STAT_INC(st, icmp4_in_echo);
	/* RFC 1122 3.2.2.6 lets us ignore broadcast echo; as icmp_echo_ignore_broadcasts=1. */
	if (IP4_CB(p)->flags & (IP4_CB_BCAST | IP4_CB_MCAST) ||
	    (p->flags & (PKT_F_BCAST | PKT_F_MCAST))) {
		STAT_INC(st, icmp4_in_echo_bcast);
		pkt_free(p);
		return 0;
	}
	ip4_tx_init(&tx, ip4_get(h + 12), IPPROTO_ICMP);
	tx.src = ip4_get(h + 16);
	tx.tos = h[1];
	p->data[0] = ICMP4_ECHO_REPLY;
	p->flags = 0;
	p->next = NULL;
	STAT_INC(st, icmp4_out_echo_reply);
	return icmp4_send(st, p, &tx);
}

static int icmp4_echo_reply(struct stack *st, struct pkt *p)
{
	STAT_INC(st, icmp4_in_echo_reply);
	return ping4_input(st, p);
}

static int icmp4_redirect(struct stack *st, struct pkt *p)
{
	/* RFC 1122 3.2.2.2: hosts SHOULD follow; there is no route cache to update yet. */
	STAT_INC(st, icmp4_in_redirect);
	pkt_free(p);
	return 0;
}

static int icmp4_source_quench(struct stack *st, struct pkt *p)
{
	STAT_INC(st, icmp4_in_source_quench);   /* RFC 6633: deprecated, ignored */
	pkt_free(p);
	return 0;
}

typedef int (*icmp4_handler)(struct stack *st, struct pkt *p);

static const icmp4_handler icmp4_handlers[256] = {
	[ICMP4_ECHO_REPLY] = icmp4_echo_reply,
	[ICMP4_DST_UNREACH] = icmp4_err_input,
	[4] = icmp4_source_quench,
	[ICMP4_REDIRECT] = icmp4_redirect,
	[ICMP4_ECHO] = icmp4_echo_request,
	[ICMP4_TIME_EXCEEDED] = icmp4_err_input,
	[ICMP4_PARAM_PROB] = icmp4_err_input,
};

int icmp4_input(struct stack *st, struct pkt *p)
{
	const uint8_t *m = pkt_header(p, 0, 8, NULL);
	icmp4_handler h;

	STAT_INC(st, icmp4_in_msgs);
	if (!m) {
		STAT_INC(st, icmp4_in_truncated);
		goto drop;
	}
	if (csum_fold(csum_partial(p->data, p->len, 0)) != 0) {
		STAT_INC(st, icmp4_in_bad_csum);
		goto drop;
	}
	h = icmp4_handlers[m[0]];
	if (h)
		return h(st, p);
	STAT_INC(st, icmp4_in_unknown);
drop:
	pkt_free(p);
	return 0;
}
