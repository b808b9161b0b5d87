/*
 * UDP (RFC 768) and the generic handler. A flow is unreplied until a packet
 * goes back; once replied and still active 2 s after it began it is a
 * stream: assured, living by the stream timeout, as nf_conntrack's UDP.
 */
#include "netfilter/nf_priv.h"

static int udp_tuple(struct nf_pkt *np)
{
	if (np->l4len < 4)
		return -EINVAL;
	np->t.sport = get_be16(np->l4);
	np->t.dport = get_be16(np->l4 + 2);
	return 0;
}

static bool always(const struct stack *st, const struct nf_pkt *np)
{
	(void)st;
	(void)np;
	return true;
}

/* Linux waits this long after a flow's first packet before a replied flow counts as a stream. */
#define UDP_STREAM_DELAY_MS 2000

static uint32_t now_ms(const struct stack *st) { return (uint32_t)(st->now / 1000000u); }

/*
 * Replied flows keep the short timeout until they are still busy more than
 * 2 s after their first packet; only then are they a stream (assured, the
 * stream timeout), so a single query and its answer never crowd out real
 * streams when the table is full (Linux's stream_ts, v5.13 on). The reply
 * itself does not count: it is judged before it marks the flow replied.
 */
static int udp_packet(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
		      bool created)
{
	const struct nf_ct_timeouts *to = &st->nf->to;

	(void)dir;
	if (np->l4len < 8 || get_be16(np->l4 + 4) < 8 || get_be16(np->l4 + 4) > np->l4len) {
		STAT_INC(st, nf_ct_error);
		return NF_CT_INVALID;
	}
	if (created)
		ct->udp.stream_ms = now_ms(st) + UDP_STREAM_DELAY_MS;
	if ((ct->status & NF_CTS_SEEN_REPLY) && (int32_t)(now_ms(st) - ct->udp.stream_ms) > 0) {
		ct->status |= NF_CTS_ASSURED;
		nf_ct_set_timeout(st, ct, to->udp_stream);
	} else {
		nf_ct_set_timeout(st, ct, to->udp);
	}
	return NF_CT_ESTABLISHED;
}

const struct nf_l4proto nf_l4_udp = { udp_tuple, always, udp_packet };

/* Other protocols: addresses and protocol only (nf_conntrack_proto_generic). */
static int generic_tuple(struct nf_pkt *np)
{
	(void)np;
	return 0;
}

static int generic_packet(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
			  bool created)
{
	(void)dir;
	(void)np;
	(void)created;
	nf_ct_set_timeout(st, ct, st->nf->to.generic);
	return NF_CT_ESTABLISHED;
}

const struct nf_l4proto nf_l4_generic = { generic_tuple, always, generic_packet };

const struct nf_l4proto *nf_l4_find(uint8_t l4)
{
	switch (l4) {
	case IPPROTO_TCP: return &nf_l4_tcp;
	case IPPROTO_UDP: return &nf_l4_udp;
	case IPPROTO_ICMP: return &nf_l4_icmp;
	case IPPROTO_ICMPV6: return &nf_l4_icmp6;
	default: return &nf_l4_generic;
	}
}
