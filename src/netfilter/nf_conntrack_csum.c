/*
 * Checksum validation for conntrack, as Linux's nf_conntrack_checksum: a
 * TCP, UDP, ICMP or ICMPv6 packet whose checksum is wrong is INVALID, so
 * `ct state invalid drop` drops it before it creates or moves an entry.
 * Checked where packets come in (PREROUTING) only; what this host
 * generates is trusted.
 */
#include "netfilter/nf_priv.h"
#include "core/csum.h"
#include "proto/ip6.h"

/* The pseudo-header's addresses of an IPv6 packet (RFC 8200 8.1, RFC 6275 6.3/6.4). */
struct v6_pseudo {
	struct in6_addr src, dst;
};

/* A Home Address option in the Destination Options header at @h (@hl bytes): its address into @src. */
static void find_hao(const uint8_t *h, size_t hl, struct in6_addr *src)
{
	for (size_t o = 2; o < hl;) {
		if (h[o] == OPT6_PAD1) {
			o++;
			continue;
		}
		if (o + 2 > hl || o + 2 + h[o + 1] > hl)
			return;
		if (h[o] == OPT6_HAO && h[o + 1] == 16)
			memcpy(src, h + o + 2, 16);
		o += 2 + (size_t)h[o + 1];
	}
}

/*
 * The addresses the sender summed: the final destination of a Routing
 * header with segments left (types 0 and 2: its last address; type 4, RFC
 * 8754 4.1: Segment List[0]), and the home address of a Home Address option
 * unless input already swapped it into the header (@swapped). False for a
 * routing type whose final destination is unknown: not verified.
 */
static bool v6_addrs(const struct nf_pkt *np, bool swapped, struct v6_pseudo *a)
{
	const uint8_t *h = np->l3;
	size_t off = IPV6_HLEN, end = (size_t)(np->l4 - np->l3), hl;
	uint8_t nxt = h[6];

	a->src = np->t.src;
	a->dst = np->t.dst;
	while (off + 8 <= end) {
		hl = nxt == NH_AH ? ((size_t)h[off + 1] + 2) * 4 : ((size_t)h[off + 1] + 1) * 8;
		if (off + hl > end)
			return true;
		if (nxt == NH_ROUTING && h[off + 3] > 0) {
			if (h[off + 2] == 4)
				memcpy(&a->dst, h + off + 8, 16);
			else if ((h[off + 2] == 0 || h[off + 2] == 2) && hl >= 24)
				memcpy(&a->dst, h + off + hl - 16, 16);
			else
				return false;
		}
		if (nxt == NH_DSTOPTS && !swapped)
			find_hao(h + off, hl, &a->src);
		nxt = h[off];
		off += hl;
	}
	return true;
}

/* The pseudo-header sum (RFC 768, RFC 9293 3.1, RFC 8200 8.1) for @len bytes of @proto. */
static uint32_t pseudo(const struct nf_pkt *np, const struct v6_pseudo *a, uint8_t proto,
		       uint32_t len)
{
	uint8_t ph[12];

	if (np->t.l3 == AF_INET6)
		return csum_ipv6_pseudo(&a->src, &a->dst, len, proto);
	/* The tuple holds IPv4 addresses mapped (RFC 4291 2.5.5.2): the last four bytes. */
	memcpy(ph, &np->t.src.s6_addr[12], 4);
	memcpy(ph + 4, &np->t.dst.s6_addr[12], 4);
	ph[8] = 0;
	ph[9] = proto;
	put_be16(ph + 10, (uint16_t)len);
	return csum_partial(ph, sizeof(ph), 0);
}

/* Whether @len bytes at @l4 plus @sum verify (their one's-complement sum is all ones). */
static bool sum_ok(const uint8_t *l4, size_t len, uint32_t sum)
{
	return csum_fold(csum_partial(l4, len, sum)) == 0;
}

bool nf_ct_csum_ok(const struct nf_pkt *np, bool hao_swapped)
{
	const uint8_t *l4 = np->l4;
	size_t len = np->l4len, ulen;
	struct v6_pseudo a6, *a = &a6;

	if (np->t.l4 != IPPROTO_TCP && np->t.l4 != IPPROTO_UDP && np->t.l4 != IPPROTO_ICMP &&
	    np->t.l4 != IPPROTO_ICMPV6)
		return true;
	if (np->t.l3 == AF_INET6 && !v6_addrs(np, hao_swapped, &a6))
		return true;
	switch (np->t.l4) {
	case IPPROTO_TCP:
		/* Too short for a header: left to the TCP handler, which calls it INVALID. */
		return len < 20 || sum_ok(l4, len, pseudo(np, a, IPPROTO_TCP, (uint32_t)len));
	case IPPROTO_UDP:
		if (len < 8)
			return true;
		ulen = get_be16(l4 + 4);
		if (ulen < 8 || ulen > len)
			return true;        /* a malformed length is the UDP handler's to judge */
		/* RFC 768: zero means "no checksum" over IPv4; RFC 8200 8.1 forbids it over IPv6. */
		if (np->t.l3 == AF_INET && get_be16(l4 + 6) == 0)
			return true;
		return sum_ok(l4, ulen, pseudo(np, a, IPPROTO_UDP, (uint32_t)ulen));
	case IPPROTO_ICMP:
		/* RFC 792: over the ICMP message only, no pseudo-header. */
		return len < 8 || sum_ok(l4, len, 0);
	case IPPROTO_ICMPV6:
		/* RFC 4443 2.3: with the IPv6 pseudo-header. */
		return len < 8 || sum_ok(l4, len, pseudo(np, a, IPPROTO_ICMPV6, (uint32_t)len));
	default:
		return true;
	}
}
