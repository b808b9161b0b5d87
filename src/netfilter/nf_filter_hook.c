/*
 * The filter at the hooks: what a packet shows the rules (nf_pktinfo from
 * the IP header, conntrack's verdict, the security path), and the reject
 * verdicts (ICMPv6 administratively prohibited, ICMP port unreachable;
 * `reject with tcp reset`: a TCP RST built by TCP's own closed-port answer).
 */
#include <errno.h>
#include "netfilter/nf_filter_priv.h"
#include "netfilter/nf_priv.h"
#include "l4/tcp.h"
#include "proto/tcp.h"
#include "core/stack.h"
#include "core/pkt.h"
#include "ipv6/addrconf.h"
#include "ipv6/icmp6.h"
#include "ipv4/inet4.h"
#include "ipv4/icmp4.h"
#include "proto/ip6.h"
#include "proto/ip4.h"
#include "xfrm/flow.h"
#include "xfrm/policy.h"
#include "link/netdev.h"

/* The chain of each hook, -1 where the filter has none. */
static const int8_t hook_chain[NF_HOOK_MAX] = {
	[NF_PREROUTING] = -1, [NF_INPUT] = NF_FILTER_INPUT, [NF_FORWARD] = NF_FILTER_FORWARD,
	[NF_OUTPUT] = NF_FILTER_OUTPUT, [NF_POSTROUTING] = -1,
};

/* True if the outbound policy for @fl asks for IPsec: what `ipsec out` matches. */
static bool out_protected(struct stack *st, const struct xfrm_flow *fl)
{
	const struct xfrm_policy *pol;

	if (!st->xfrm_npol[XFRM_DIR_OUT])
		return false;
	pol = xfrm_policy_lookup(st, XFRM_DIR_OUT, fl);
	return pol && pol->action == XFRM_ACT_IPSEC;
}

/* 0, or -EINVAL for a packet whose headers cannot be read (the hook drops it). */
static int fill_info(struct stack *st, struct pkt *p, const struct nf_hook_state *hs,
		     uint32_t used, struct nf_pktinfo *pi)
{
	struct xfrm_flow fl;
	struct nf_ct_info ct;

	memset(pi, 0, sizeof(*pi));
	if (xfrm_flow_from_ip(p->data, p->len, 0, &fl) < 0)
		return -EINVAL;
	pi->family = fl.family == AF_INET ? 4 : 6;
	pi->saddr = fl.src;
	/* RFC 6275 9.3.1: input swapped the HAO; the header has the home address (xfrm/flow.h). */
	if (pi->family == 6 && (hs->hook == NF_PREROUTING || hs->hook == NF_INPUT) && IP6_CB(p)->hao)
		memcpy(&pi->saddr, p->data + 8, 16);
	pi->daddr = fl.dst;
	pi->l4proto = fl.proto;
	pi->len = p->len;
	pi->iif = hs->in;
	pi->oif = hs->out;
	if (!(fl.flags & XFRM_FLOW_NOPORTS)) {
		bool icmp = fl.proto == IPPROTO_ICMP || fl.proto == IPPROTO_ICMPV6;

		pi->has_icmp = icmp;
		pi->has_ports = fl.proto == IPPROTO_TCP || fl.proto == IPPROTO_UDP;
		pi->icmp_type = icmp ? (uint8_t)fl.sport : 0;
		pi->sport = fl.sport;
		pi->dport = fl.dport;
	}
	/* Lookups only for what some rule of the chain asks. */
	if (used & NF_M_LOCALSRC)
		pi->local_src = pi->family == 6 ? addrconf_is_local(st, &fl.src)
						: inet4_is_local(st, fl.src.s6_addr32[3]);
	nf_ct_get(st, p, &ct);
	pi->ct_state = (uint8_t)(1u << ct.state);
	pi->ipsec_in = p->sp_len > 0 || (p->flags & PKT_F_SECURED);
	pi->ipsec_out = (used & NF_M_IPSEC) && hs->hook != NF_INPUT && out_protected(st, &fl);
	return 0;
}

/* RFC 4443 3.1 code 1 / RFC 1812 5.2.7.1 (port unreachable, as iptables' default reject). */
static void send_reject(struct stack *st, const struct pkt *p, int family)
{
	if (family == 6)
		icmp6_send_error(st, p, ICMP6_DST_UNREACH, ICMP6_DU_ADMIN, 0);
	else
		icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_PORT, 0);
}

/* Whether a reset may answer a segment to @d (never to multicast or broadcast: RFC 1122 4.2.3.10). */
static bool unicast(const struct in6_addr *d)
{
	uint32_t v4;

	if (!in6_is_v4mapped(d))
		return !in6_is_multicast(d);
	memcpy(&v4, &d->s6_addr[12], 4);
	v4 = ntohl(v4);
	return (v4 >> 28) != 0xe && v4 != 0xffffffffu;
}

/*
 * `reject with tcp reset`: the RST RFC 9293 3.10.7.1 gives a segment for no
 * connection, through tcp_reply_rst (the answer TCP sends for a closed
 * port), from the segment's destination. None for a RST, a segment with a
 * bad checksum (it may not be what was sent; Linux checks it too) or to
 * multicast or broadcast. 0 if sent, -EINVAL if not TCP (the caller sends
 * the ICMP reject instead), -EPERM if it must not be answered.
 */
static int send_reset(struct stack *st, const struct pkt *p)
{
	struct nf_pkt np;
	struct tcp_seg seg;
	size_t hl;

	if (nf_l3_parse(p->data, p->len, &np) < 0 || np.t.l4 != IPPROTO_TCP)
		return -EINVAL;
	if (np.l4len < 20 || (hl = (size_t)(np.l4[12] >> 4) * 4) < 20 || hl > np.l4len)
		return -EPERM;
	if (!st->sk.tcp || !nf_ct_csum_ok(&np, np.t.l3 == AF_INET6 && IP6_CB(p)->hao) || !unicast(&np.t.dst) || (np.l4[13] & TCP_F_RST))
		return -EPERM;
	memset(&seg, 0, sizeof(seg));
	seg.sport = get_be16(np.l4);
	seg.dport = get_be16(np.l4 + 2);
	seg.seq = get_be32(np.l4 + 4);
	seg.ack = get_be32(np.l4 + 8);
	seg.flags = np.l4[13];
	seg.hlen = (uint16_t)hl;
	seg.len = (uint32_t)(np.l4len - hl);
	tcp_reply_rst(st, p, &seg, &np.t.src, &np.t.dst);
	return 0;
}

static int filter_hook(struct stack *st, struct pkt *p, const struct nf_hook_state *hs, void *ctx)
{
	struct nf_filter_chain_rules *c;
	struct nf_pktinfo pi;
	int chain, v;

	(void)ctx;
	if (hs->hook < 0 || hs->hook >= NF_HOOK_MAX || (chain = hook_chain[hs->hook]) < 0 ||
	    !st->nf_filter)
		return NF_ACCEPT;
	c = &st->nf_filter->chain[chain];
	if (c->n == 0 && c->policy == NF_FILTER_ACCEPT) {
		c->policy_packets++;
		return NF_ACCEPT;
	}
	if (fill_info(st, p, hs, c->used, &pi) < 0) {
		STAT_INC(st, nf_filter_bad_header);
		return NF_DROP;
	}
	v = nf_filter_eval(st, chain, &pi);
	if (v == NF_FILTER_ACCEPT)
		return NF_ACCEPT;
	if (v == NF_FILTER_REJECT_TCP && send_reset(st, p) != -EINVAL) {
		STAT_INC(st, nf_filter_reject);
	} else if (v == NF_FILTER_REJECT || v == NF_FILTER_REJECT_TCP) {
		STAT_INC(st, nf_filter_reject);
		send_reject(st, p, pi.family);
	} else {
		STAT_INC(st, nf_filter_drop);
	}
	return NF_DROP;
}

int nf_filter_hook_register(struct stack *st)
{
	static const int hooks[] = { NF_INPUT, NF_FORWARD, NF_OUTPUT };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(hooks); i++) {
		rc = nf_hook_register(st, hooks[i], filter_hook, NF_PRI_FILTER, NULL);
		if (rc == -EEXIST)
			rc = 0;
	}
	return rc;
}
