/*
 * Layer-3 handlers: IPv4 (RFC 791) and IPv6 (RFC 8200) headers to the
 * family-independent part of a tuple. IPv4 addresses become IPv4-mapped
 * IPv6 addresses (RFC 4291 2.5.5.2). Fragments were reassembled before the
 * hooks, so one seen here is not trackable.
 */
#include "netfilter/nf_priv.h"
#include "ipv6/exthdr.h"
#include "proto/ip4.h"
#include "proto/ip6.h"

static void map4(struct in6_addr *a, const uint8_t v4[4])
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], v4, 4);
}

/* @quoted: an ICMP error's copy, which may be cut short of its total length. */
static int parse4(const uint8_t *ip, size_t len, struct nf_pkt *np, bool quoted)
{
	const struct ip4_hdr *h = (const struct ip4_hdr *)ip;
	size_t hl, tot;

	if (len < IPV4_HLEN || (h->vihl >> 4) != 4)
		return -EINVAL;
	hl = (size_t)(h->vihl & 0xf) * 4;
	tot = get_be16(h->tot_len);
	if (hl < IPV4_HLEN || tot < hl || hl > len || (!quoted && tot > len))
		return -EINVAL;
	if (get_be16(h->frag_off) & (IP4_MF | IP4_OFFMASK))
		return -EINVAL;
	if (tot > len)
		tot = len;
	map4(&np->t.src, h->src);
	map4(&np->t.dst, h->dst);
	np->t.l3 = AF_INET;
	np->t.l4 = h->proto;
	np->l3 = ip;
	np->l4 = ip + hl;
	np->l4len = tot - hl;
	np->len = tot;
	return 0;
}

static int parse6(const uint8_t *ip, size_t len, struct nf_pkt *np, bool quoted)
{
	const struct ip6_hdr *h = (const struct ip6_hdr *)ip;
	size_t tot, off;
	uint8_t proto;

	if (len < IPV6_HLEN || ip6_version(h) != 6)
		return -EINVAL;
	tot = IPV6_HLEN + get_be16(h->plen);
	if (tot > len) {
		if (!quoted)
			return -EINVAL;
		tot = len;
	}
	if (ip6_find_upper(ip, tot, &proto, &off) < 0 || proto == NH_FRAGMENT || off > tot)
		return -EINVAL;
	np->t.src = h->src;
	np->t.dst = h->dst;
	np->t.l3 = AF_INET6;
	np->t.l4 = proto;
	np->l3 = ip;
	np->l4 = ip + off;
	np->l4len = tot - off;
	np->len = tot;
	return 0;
}

int nf_l3_parse(const uint8_t *ip, size_t len, struct nf_pkt *np)
{
	memset(np, 0, sizeof(*np));
	if (len < 1)
		return -EINVAL;
	return (ip[0] >> 4) == 4 ? parse4(ip, len, np, false) : parse6(ip, len, np, false);
}

int nf_l3_parse_quoted(const uint8_t *ip, size_t len, int family, struct nf_pkt *np)
{
	memset(np, 0, sizeof(*np));
	return family == AF_INET ? parse4(ip, len, np, true) : parse6(ip, len, np, true);
}
