/*
 * TCP segment codec: header checks, options (RFC 9293 3.2 MSS, RFC 7323
 * window scale and timestamps, RFC 2018 SACK), the checksum over the IPv6
 * (RFC 8200 8.1) or IPv4 (RFC 9293 3.1) pseudo-header. Used by the stack,
 * the tests and the fuzz target alike.
 */
#include "l4/tcp.h"
#include "core/csum.h"
#include "ipv4/ipv4.h"
#include "proto/ip4.h"
#include "proto/ip6.h"

/* One option of kind @kind and total length @olen at @v (the value). */
static int opt_one(struct tcp_opts *o, uint8_t kind, const uint8_t *v, size_t olen, bool syn)
{
	switch (kind) {
	case TCPOPT_MSS:
		if (olen != TCPOLEN_MSS)
			return -EINVAL;
		/* RFC 9293 3.7.1: only in SYNs; elsewhere ignored. */
		if (syn) {
			o->mss_ok = true;
			o->mss = get_be16(v);
		}
		return 0;
	case TCPOPT_WSCALE:
		if (olen != TCPOLEN_WSCALE)
			return -EINVAL;
		if (syn) {
			o->ws_ok = true;
			/* RFC 7323 2.3: a shift above 14 is used as 14. */
			o->wscale = MIN(v[0], TCP_MAX_WSCALE);
		}
		return 0;
	case TCPOPT_SACK_PERM:
		if (olen != TCPOLEN_SACK_PERM)
			return -EINVAL;
		if (syn)
			o->sack_perm = true;
		return 0;
	case TCPOPT_TS:
		if (olen != TCPOLEN_TS)
			return -EINVAL;
		o->ts_ok = true;
		o->tsval = get_be32(v);
		o->tsecr = get_be32(v + 4);
		return 0;
	case TCPOPT_SACK:
		/* RFC 2018 3: 2 + 8n octets, n >= 1. */
		if (olen < 10 || (olen - 2) % 8)
			return -EINVAL;
		o->nsack = 0;
		for (size_t i = 0; i < (olen - 2) / 8 && i < TCP_MAX_SACK; i++) {
			o->sack[i].left = get_be32(v + 8 * i);
			o->sack[i].right = get_be32(v + 8 * i + 4);
			o->nsack++;
		}
		return 0;
	default:
		return 0;   /* RFC 9293 3.2: unknown options are skipped by their length */
	}
}

int tcp_parse_opts(struct stack *st, const uint8_t *b, size_t len, struct tcp_opts *o, bool syn)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = b[i];
		size_t olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* RFC 9293 3.2: every other option has a length octet counting kind and length. */
		if (i + 2 > len || b[i + 1] < 2 || i + b[i + 1] > len)
			goto bad;
		olen = b[i + 1];
		if (opt_one(o, kind, b + i + 2, olen, syn) < 0)
			goto bad;
		i += olen;
	}
	return 0;
bad:
	if (st)
		STAT_INC(st, tcp_bad_opt);
	return -EINVAL;
}

int tcp_parse(struct stack *st, const struct pkt *p, struct tcp_seg *seg)
{
	const struct tcp_hdr *th = pkt_header(p, 0, TCP_HLEN, NULL);
	size_t hlen;

	if (!th) {
		STAT_INC(st, tcp_truncated);
		return -EINVAL;
	}
	hlen = (size_t)(th->off >> 4) * 4;
	if (hlen < TCP_HLEN || hlen > p->len) {
		STAT_INC(st, tcp_bad_off);
		return -EINVAL;
	}
	seg->sport = get_be16(th->sport);
	seg->dport = get_be16(th->dport);
	seg->seq = get_be32(th->seq);
	seg->ack = get_be32(th->ack);
	seg->flags = th->flags;
	seg->wnd = get_be16(th->wnd);
	seg->hlen = (uint16_t)hlen;
	seg->len = p->len - (uint32_t)hlen;
	return tcp_parse_opts(st, p->data + TCP_HLEN, hlen - TCP_HLEN, &seg->o,
			      (th->flags & TCP_F_SYN) != 0);
}

static size_t sack_len(const struct tcp_opts *o, bool syn)
{
	return syn || !o->nsack ? 0 : 2 + 2 + 8 * (size_t)o->nsack;
}

size_t tcp_opts_len(const struct tcp_opts *o, bool syn)
{
	size_t n = 0;

	if (syn) {
		n += o->mss_ok ? 4 : 0;
		n += o->ws_ok ? 4 : 0;
		/* SACK-permitted rides in the two NOPs before the timestamps. */
		n += o->ts_ok ? 12 : (o->sack_perm ? 4 : 0);
	} else {
		n += o->ts_ok ? 12 : 0;
	}
	return n + sack_len(o, syn);
}

static uint8_t *put_ts(uint8_t *b, const struct tcp_opts *o)
{
	b[0] = TCPOPT_TS;
	b[1] = TCPOLEN_TS;
	put_be32(b + 2, o->tsval);
	put_be32(b + 6, o->tsecr);
	return b + TCPOLEN_TS;
}

size_t tcp_build_opts(uint8_t *b, const struct tcp_opts *o, bool syn)
{
	uint8_t *q = b;

	if (syn && o->mss_ok) {
		*q++ = TCPOPT_MSS;
		*q++ = TCPOLEN_MSS;
		put_be16(q, o->mss);
		q += 2;
	}
	if (syn && o->sack_perm) {
		if (!o->ts_ok) {
			*q++ = TCPOPT_NOP;
			*q++ = TCPOPT_NOP;
		}
		*q++ = TCPOPT_SACK_PERM;
		*q++ = TCPOLEN_SACK_PERM;
	} else if (o->ts_ok) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_NOP;
	}
	if (o->ts_ok)
		q = put_ts(q, o);
	if (syn && o->ws_ok) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_WSCALE;
		*q++ = TCPOLEN_WSCALE;
		*q++ = o->wscale;
	}
	if (sack_len(o, syn)) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_SACK;
		*q++ = (uint8_t)(2 + 8 * o->nsack);
		for (unsigned i = 0; i < o->nsack; i++, q += 8) {
			put_be32(q, o->sack[i].left);
			put_be32(q + 4, o->sack[i].right);
		}
	}
	return (size_t)(q - b);
}

int tcp_push_hdr(struct pkt *p, const struct tcp_seg *seg)
{
	bool syn = (seg->flags & TCP_F_SYN) != 0;
	size_t olen = tcp_opts_len(&seg->o, syn);
	struct tcp_hdr *th;

	if (olen > TCP_MAX_HLEN - TCP_HLEN)
		return -EINVAL;
	th = pkt_push(p, TCP_HLEN + olen);
	if (!th)
		return -ENOBUFS;
	put_be16(th->sport, seg->sport);
	put_be16(th->dport, seg->dport);
	put_be32(th->seq, seg->seq);
	put_be32(th->ack, seg->ack);
	th->off = (uint8_t)(((TCP_HLEN + olen) / 4) << 4);
	th->flags = seg->flags;
	put_be16(th->wnd, seg->wnd);
	put_be16(th->cksum, 0);
	put_be16(th->urp, 0);
	tcp_build_opts((uint8_t *)(th + 1), &seg->o, syn);
	return 0;
}

bool tcp_csum_ok(const struct in6_addr *src, const struct in6_addr *dst, const struct pkt *p)
{
	uint32_t sum;

	if (in6_is_v4mapped(src))
		sum = ip4_pseudo_csum(ip4_from_mapped(src), ip4_from_mapped(dst), IPPROTO_TCP, p->len);
	else
		sum = csum_ipv6_pseudo(src, dst, p->len, NH_TCP);
	/* Summing a correct segment gives -0 (RFC 1071); either fold of it is fine. */
	return csum_fold(csum_partial(p->data, p->len, sum)) == 0;
}

bool tcp_sack_is_dsack(const struct tcp_seg *seg)
{
	const struct tcp_sack_block *b = seg->o.sack;

	if (!(seg->flags & TCP_F_ACK) || seg->o.nsack == 0 || !SEQ_LT(b[0].left, b[0].right))
		return false;
	/* RFC 2883 4, 5: a duplicate already acknowledged, or inside the block reported next. */
	if (SEQ_LEQ(b[0].right, seg->ack))
		return true;
	return seg->o.nsack > 1 && SEQ_GEQ(b[0].left, b[1].left) && SEQ_LEQ(b[0].right, b[1].right);
}
