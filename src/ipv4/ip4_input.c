/*
 * IPv4 input (RFC 791, RFC 1122 3.2.1): header checks, options, local
 * delivery (our addresses, broadcasts, all-hosts) with reassembly and the
 * upper-layer table, or forwarding.
 */
#include "core/csum.h"
#include "core/stack.h"
#include "ipv4/frag4.h"
#include "ipv4/icmp4.h"
#include "ipv4/inet4.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "xfrm/xfrm_io.h"
#include "netfilter/nf_conntrack.h"

#define IP4_ALL_HOSTS htonl(0xe0000001u)   /* 224.0.0.1 (RFC 1112 4) */

typedef int (*ip4_upper_input)(struct stack *st, struct pkt *p);

/* @ipsec: a step of IPsec input (xfrm_io.h); the policy is checked after it, not before. */
static const struct {
	ip4_upper_input input;
	bool ipsec;
} ip4_protos[256] = {
	[IPPROTO_ICMP] = { icmp4_input },
	[IPPROTO_UDP] = { udp4_input },
	[IPPROTO_TCP] = { tcp4_input },
	[IPPROTO_ESP] = { xfrm4_input, true },
	[IPPROTO_AH] = { xfrm4_input, true },
	[IPPROTO_COMP] = { xfrm4_input, true },
	[IPPROTO_IPIP] = { xfrm4_iptnl_input, true },
	[IPPROTO_IPV6] = { xfrm4_iptnl_input, true },
};

/* RFC 791 3.1, RFC 1122 3.2.1.1-3.2.1.3: fixed-header checks; trims link padding. */
static int ip4_rcv_check(struct stack *st, struct pkt *p)
{
	const struct ip4_hdr *h = pkt_header(p, 0, IPV4_HLEN, NULL);
	size_t hlen, tot;
	uint32_t src, dst;

	if (!h) {
		STAT_INC(st, ip4_in_truncated);
		return -EINVAL;
	}
	if (h->vihl >> 4 != 4) {
		STAT_INC(st, ip4_in_bad_version);
		return -EINVAL;
	}
	hlen = (size_t)(h->vihl & 0x0f) * 4;
	tot = get_be16(h->tot_len);
	if (hlen < IPV4_HLEN || hlen > tot) {
		STAT_INC(st, ip4_in_bad_ihl);
		return -EINVAL;
	}
	if (tot > p->len) {
		STAT_INC(st, ip4_in_truncated);
		return -EINVAL;
	}
	pkt_trim(p, tot);
	if (csum_fold(csum_partial(h, hlen, 0)) != 0) {
		STAT_INC(st, ip4_in_bad_csum);
		return -EINVAL;
	}
	src = ip4_get(h->src);
	dst = ip4_get(h->dst);
	/* RFC 1122 3.2.1.3: these never name one sending host. */
	if (ip4_is_multicast(src) || ip4_is_limited_bcast(src) || ip4_is_loopback(src) ||
	    (p->dev && inet4_is_broadcast(p->dev, src))) {
		STAT_INC(st, ip4_in_bad_src);
		return -EINVAL;
	}
	if (dst == 0 || ip4_is_loopback(dst)) {
		STAT_INC(st, ip4_in_bad_dst);
		return -EINVAL;
	}
	return 0;
}

/* True if @dst is ours on @p's interface; sets IP4_CB flags for broadcasts and multicast. */
static bool ip4_for_us(struct stack *st, struct pkt *p, uint32_t dst)
{
	if (ip4_is_multicast(dst)) {
		IP4_CB(p)->flags |= IP4_CB_MCAST;
		/* Only all-hosts until IGMP joins groups. */
		return dst == IP4_ALL_HOSTS;
	}
	if (ip4_is_limited_bcast(dst) || (p->dev && inet4_is_broadcast(p->dev, dst))) {
		IP4_CB(p)->flags |= IP4_CB_BCAST;
		STAT_INC(st, ip4_in_bcast);
		return true;
	}
	return inet4_is_local(st, dst);
}


/* A packet for us (data = nh = IPv4 header): reassembly, then the upper layer. Consumes @p. */
static int ip4_deliver(struct stack *st, struct pkt *p)
{
	const uint8_t *h = pkt_nh(p);
	uint8_t proto;

	if (get_be16(h + 6) & (IP4_MF | IP4_OFFMASK)) {
		if (frag4_input(st, &p) == 0)
			return 0;
		h = pkt_nh(p);
	}
	proto = h[9];
	pkt_pull(p, (size_t)(h[0] & 0x0f) * 4);
	if (!ip4_protos[proto].input) {
		STAT_INC(st, ip4_in_unknown_proto);
		icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_PROTO, 0);
		pkt_free(p);
		return -EPROTONOSUPPORT;
	}
	/* RFC 3948: ESP in UDP is IPsec input, checked by policy once decapsulated. */
	if (proto == IPPROTO_UDP && st->xfrm_nencap && xfrm4_udp_encap_input(st, p) == 0)
		return 0;
	/* RFC 4301 5.2: the SAs it came through must be the ones its policy asks for. */
	if (!ip4_protos[proto].ipsec && !xfrm_policy_pass(st, p, XFRM_DIR_IN)) {
		pkt_free(p);
		return -EPERM;
	}
	if (st->nf_hooks && !ip4_protos[proto].ipsec && !nf_hook_local_in(st, p)) {
		pkt_free(p);
		return -EPERM;
	}
	STAT_INC(st, ip4_in_delivers);
	pkt_set_th(p);
	return ip4_protos[proto].input(st, p);
}

/* Not ours: forward if enabled; never multicast or broadcast. Consumes @p. */
static int ip4_not_for_us(struct stack *st, struct pkt *p)
{
	if (IP4_CB(p)->flags & IP4_CB_MCAST) {
		STAT_INC(st, ip4_in_mc_not_member);
		goto drop;
	}
	if (!ip4_forwarding(st, p->dev)) {
		STAT_INC(st, ip4_in_not_for_us);
		goto drop;
	}
	return ip4_forward(st, p);
drop:
	pkt_free(p);
	return 0;
}

int ip4_input(struct stack *st, struct pkt *p)
{
	uint32_t ptr = 0;
	int rc;

	STAT_INC(st, ip4_in_receives);
	pkt_set_nh(p);
	if (ip4_rcv_check(st, p) < 0)
		goto drop;
	memset(p->cb, 0, sizeof(struct ip4_cb));
	IP4_CB(p)->iif = p->dev ? p->dev->ifindex : 0;
	if ((pkt_nh(p)[0] & 0x0f) > 5) {
		rc = ip4_opts_check(st, p, &ptr);
		if (rc == -EINVAL)
			icmp4_send_error(st, p, ICMP4_PARAM_PROB, 0, ptr);
		if (rc < 0)
			goto drop;
	}
	if (!ip4_for_us(st, p, ip4_get(pkt_nh(p) + 16)))
		return ip4_not_for_us(st, p);
	return ip4_deliver(st, p);
drop:
	pkt_free(p);
	return -EINVAL;
}
