/*
 * Flow keys from raw IPv4/IPv6 packets for SPD lookup. Every read is
 * checked against the end of the packet first; nothing here trusts a length
 * field before comparing it with what is really there.
 */
#include "xfrm/flow.h"
#include "proto/ip4.h"

#define IP6_HLEN 40
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_DSTOPTS 60
#define NH_MH 135
#define MH_TYPE_OFF 2            /* payload proto, header len, MH type (RFC 6275 6.1.1) */
#define OPT6_PAD1 0
#define OPT6_HAO 0xc9            /* Home Address option (RFC 6275 6.3) */

/* Upper-layer headers whose first four bytes are source and destination port. */
static bool has_ports(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: case IPPROTO_UDP: case 33 /* DCCP */:
	case 132 /* SCTP */: case 136 /* UDP-Lite */:
		return true;
	default:
		return false;
	}
}

/*
 * Fills the port fields from the upper-layer header at data[off..end).
 * ESP, AH, IPComp and unknown protocols carry no selector ports.
 */
static int read_l4(const uint8_t *data, size_t off, size_t end, struct xfrm_flow *fl)
{
	size_t room = off <= end ? end - off : 0;

	if (fl->flags & XFRM_FLOW_NOPORTS)
		return 0;
	if (has_ports(fl->proto)) {
		if (room < 4)
			return -EINVAL;
		fl->sport = get_be16(data + off);
		fl->dport = get_be16(data + off + 2);
	} else if (fl->proto == IPPROTO_ICMP || fl->proto == IPPROTO_ICMPV6) {
		if (room < 2)
			return -EINVAL;
		fl->sport = data[off];        /* type */
		fl->dport = data[off + 1];    /* code */
	} else if (fl->proto == NH_MH) {
		if (room < MH_TYPE_OFF + 1)
			return -EINVAL;
		fl->sport = data[off + MH_TYPE_OFF];
	} else if (fl->proto == IPPROTO_ESP || fl->proto == IPPROTO_AH || fl->proto == IPPROTO_COMP) {
		fl->flags |= XFRM_FLOW_NOPORTS;
	}
	return 0;
}

/*
 * RFC 3776 / RFC 6275: selectors are written with home addresses. A Home
 * Address option (in the Destination Options header @h of @hl bytes) gives
 * the source: on output it holds the home address while the header has the
 * care-of address. (Input swaps it first, xfrm_policy_check then keeps the
 * header's source.)
 */
static void hao_src(const uint8_t *h, size_t hl, struct xfrm_flow *fl)
{
	size_t i = 2;

	while (i + 2 <= hl) {
		if (h[i] == OPT6_PAD1) {
			i++;
			continue;
		}
		if (h[i] == OPT6_HAO && h[i + 1] == 16 && i + 18 <= hl) {
			memcpy(&fl->src, h + i + 2, 16);
			return;
		}
		i += 2 + (size_t)h[i + 1];
	}
}

/*
 * A type 2 routing header not yet processed (Segments Left 1, RFC 6275
 * 6.4) names the final destination, the home address; once processed
 * (Segments Left 0) the header already has it.
 */
static void rh2_dst(const uint8_t *h, size_t hl, struct xfrm_flow *fl)
{
	if (hl == 24 && h[2] == 2 && h[3] == 1)
		memcpy(&fl->dst, h + 8, 16);
}

/*
 * Skips IPv6 extension headers from *off; leaves *nh at the upper layer.
 * A non-initial fragment ends the walk: what follows is not a header.
 */
static int skip_ext6(const uint8_t *data, size_t end, size_t *off, uint8_t *nh, struct xfrm_flow *fl)
{
	for (unsigned n = 0; n < 64; n++) {
		size_t room = end - *off;

		switch (*nh) {
		case NH_HOPOPTS: case NH_ROUTING: case NH_DSTOPTS: {
			size_t hlen;

			if (room < 2)
				return -EINVAL;
			hlen = ((size_t)data[*off + 1] + 1) * 8;
			if (room < hlen)
				return -EINVAL;
			if (*nh == NH_DSTOPTS)
				hao_src(data + *off, hlen, fl);
			else if (*nh == NH_ROUTING)
				rh2_dst(data + *off, hlen, fl);
			*nh = data[*off];
			*off += hlen;
			break;
		}
		case NH_FRAGMENT:
			if (room < 8)
				return -EINVAL;
			*nh = data[*off];
			if (get_be16(data + *off + 2) & 0xfff8) {
				fl->flags |= XFRM_FLOW_NOPORTS;
				return 0;
			}
			*off += 8;
			break;
		default:
			return 0;
		}
	}
	return -EINVAL;    /* a chain this long is an attack, not a packet */
}

int xfrm_flow_from_ip6(const uint8_t *data, size_t len, int ifindex, struct xfrm_flow *fl)
{
	size_t end, off = IP6_HLEN;
	uint8_t nh;
	int err;

	memset(fl, 0, sizeof(*fl));
	if (len < IP6_HLEN || data[0] >> 4 != 6)
		return -EINVAL;
	end = IP6_HLEN + (size_t)get_be16(data + 4);
	if (end > len)
		return -EINVAL;     /* truncated (a jumbogram's extension headers fail below) */
	fl->family = AF_INET6;
	fl->ifindex = ifindex;
	memcpy(&fl->src, data + 8, 16);
	memcpy(&fl->dst, data + 24, 16);
	nh = data[6];
	err = skip_ext6(data, end, &off, &nh, fl);
	if (err < 0)
		return err;
	fl->proto = nh;
	return read_l4(data, off, end, fl);
}

int xfrm_flow_from_ip4(const uint8_t *data, size_t len, int ifindex, struct xfrm_flow *fl)
{
	size_t ihl, tot;
	uint32_t a;

	memset(fl, 0, sizeof(*fl));
	if (len < 20 || data[0] >> 4 != 4)
		return -EINVAL;
	ihl = (size_t)(data[0] & 0x0f) * 4;
	tot = get_be16(data + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return -EINVAL;
	fl->family = AF_INET;
	fl->ifindex = ifindex;
	fl->proto = data[9];
	memcpy(&a, data + 12, 4);
	ip4_to_mapped(&fl->src, a);
	memcpy(&a, data + 16, 4);
	ip4_to_mapped(&fl->dst, a);
	if (get_be16(data + 6) & 0x1fff)
		fl->flags |= XFRM_FLOW_NOPORTS;    /* RFC 4301 7: non-initial fragment */
	return read_l4(data, ihl, tot, fl);
}

int xfrm_flow_from_ip(const uint8_t *data, size_t len, int ifindex, struct xfrm_flow *fl)
{
	if (len && data[0] >> 4 == 4)
		return xfrm_flow_from_ip4(data, len, ifindex, fl);
	return xfrm_flow_from_ip6(data, len, ifindex, fl);
}
