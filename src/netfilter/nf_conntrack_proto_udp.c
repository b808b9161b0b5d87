/*
 * UDP (RFC 768) and the generic handler. A flow is unreplied until a packet
 * goes back; then it is assured and lives by the stream timeout, as
 * nf_conntrack's UDP does.
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

static int udp_packet(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
		      bool created)
{
	const struct nf_ct_timeouts *to = &st->nf->to;

	(void)created;
	if (np->l4len < 8 || get_be16(np->l4 + 4) < 8 || get_be16(np->l4 + 4) > np->l4len) {
		STAT_INC(st, nf_ct_error);
		return NF_CT_INVALID;
	}
	if (dir == NF_DIR_REPLY || (ct->status & NF_CTS_SEEN_REPLY)) {
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
