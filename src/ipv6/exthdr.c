/*
 * Extension headers on input (RFC 8200 4.3-4.4, 4.6): Hop-by-Hop and
 * Destination Options with the action bits of unrecognised options, the
 * Routing header (RFC 5095: type 0 is never processed), and read-only
 * chain walkers for quoted and outgoing packets.
 */
#include "core/stack.h"
#include "ipv6/exthdr.h"
#include "ipv6/ipv6.h"
#include "ipv6/icmp6.h"
#include "mip6/mip6.h"
#include "proto/ip6.h"

/* Options this host understands; everything else goes by its action bits. */
struct opt6 {
	uint8_t type;
	int8_t len;              /* exact data length, -1 any */
	bool hbh_only;
	void (*note)(struct stack *st, struct pkt *p, const uint8_t *opt);
};

static void note_router_alert(struct stack *st, struct pkt *p, const uint8_t *opt)
{
	/* RFC 2711: MLD (value 0) is the one user here; the flag lets mld6 check it. */
	IP6_CB(p)->flags |= IP6_CB_RA;
	STAT_INC(st, ip6_in_router_alert);
}

static const struct opt6 opt6_known[] = {
	{ OPT6_PADN, -1, false, NULL },
	{ OPT6_RTALERT, 2, true, note_router_alert },
};

static const struct opt6 *opt6_find(uint8_t type, bool hbh)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt6_known); i++)
		if (opt6_known[i].type == type && (hbh || !opt6_known[i].hbh_only))
			return &opt6_known[i];
	return NULL;
}

/*
 * RFC 8200 4.2: the two high bits of an unrecognised option's type say what
 * to do. Returns 0 to skip, -1 when the packet must be dropped (having sent
 * the Parameter Problem the bits ask for).
 */
static int opt6_unknown(struct stack *st, struct pkt *p, const uint8_t *opt)
{
	const struct ip6_addrs a = ip6_addrs_of(pkt_nh(p));
	uint32_t ptr = (uint32_t)(opt - pkt_nh(p));

	switch (opt[0] >> 6) {
	case 0:
		STAT_INC(st, ip6_in_opt_unknown_skip);
		return 0;
	case 2:
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_OPTION, ptr);
		break;
	case 3:
		if (!in6_is_multicast(&a.dst))
			icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_OPTION, ptr);
		break;
	}
	STAT_INC(st, ip6_in_opt_unknown_drop);
	return -1;
}

/* Walks the options of the header at @h (@hlen bytes). 0, or -1: drop. */
static int opts_input(struct stack *st, struct pkt *p, const uint8_t *h, size_t hlen, bool hbh)
{
	size_t i = 2;

	while (i < hlen) {
		const struct opt6 *o;
		size_t olen;

		if (h[i] == OPT6_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > hlen || i + 2 + (size_t)h[i + 1] > hlen) {
			STAT_INC(st, ip6_in_opt_truncated);
			return -1;
		}
		olen = h[i + 1];
		/*
		 * RFC 6275 9.3.1: the Home Address option, in Destination Options
		 * only, once Mobile IPv6 is configured; otherwise (and in Hop-by-Hop)
		 * it is unrecognised and its action bits 11 drop the packet.
		 */
		if (h[i] == OPT6_HAO && !hbh && st->mip6) {
			if (mip6_hao_input(st, p, (size_t)(h + i - pkt_nh(p))) < 0)
				return -1;
			i += 2 + olen;
			continue;
		}
		o = opt6_find(h[i], hbh);
		if (!o) {
			if (opt6_unknown(st, p, h + i) < 0)
				return -1;
		} else if (o->len >= 0 && (size_t)o->len != olen) {
			STAT_INC(st, ip6_in_opt_bad_len);
			return -1;
		} else if (o->note) {
			o->note(st, p, h + i);
		}
		i += 2 + olen;
	}
	return 0;
}

/* Pulls one generic extension header (len in 8-octet units) at data; NULL if truncated. */
static const uint8_t *ext_pull(struct stack *st, struct pkt *p, size_t *hlen)
{
	const struct ip6_ext *e = pkt_header(p, 0, sizeof(*e), NULL);

	if (!e || !pkt_header(p, 0, ((size_t)e->len + 1) * 8, NULL)) {
		STAT_INC(st, ip6_in_ext_truncated);
		return NULL;
	}
	*hlen = ((size_t)e->len + 1) * 8;
	return (const uint8_t *)e;
}

/* Moves past a processed header whose first byte is its next header. */
static int ext_advance(struct pkt *p, size_t hlen, uint8_t *nxt)
{
	IP6_CB(p)->nhoff = (uint16_t)(p->data - pkt_nh(p));
	*nxt = p->data[0];
	pkt_pull(p, hlen);
	return EXT_CONTINUE;
}

static int opts_hdr_input(struct stack *st, struct pkt **pp, uint8_t *nxt, bool hbh)
{
	struct pkt *p = *pp;
	size_t hlen;
	const uint8_t *h = ext_pull(st, p, &hlen);

	if (!h || opts_input(st, p, h, hlen, hbh) < 0)
		goto drop;
	return ext_advance(p, hlen, nxt);
drop:
	pkt_free(p);
	return EXT_DONE;
}

int exthdr_hbh_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	return opts_hdr_input(st, pp, nxt, true);
}

int exthdr_dst_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	return opts_hdr_input(st, pp, nxt, false);
}

int exthdr_rt2_parse(const uint8_t *rh, size_t len, struct ip6_rt2 *out)
{
	/* RFC 6275 6.4: Hdr Ext Len 2, Segments Left 1, one address after 4 reserved bytes. */
	if (len < 24 || rh[1] != 2 || rh[2] != 2 || rh[3] != 1)
		return -EINVAL;
	memcpy(&out->home, rh + 8, 16);
	return 0;
}

/*
 * RFC 8200 4.4 / RFC 5095: type 0 is never processed; type 2 (RFC 6275
 * 6.4) goes to Mobile IPv6 once it is configured, which accepts it for a
 * home address of this host and silently drops it otherwise. Any other
 * header: Segments Left 0, skip it; else Parameter Problem code 0 pointing
 * at the Routing Type field.
 */
int exthdr_rt_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	struct pkt *p = *pp;
	size_t hlen;
	const uint8_t *h = ext_pull(st, p, &hlen);
	struct ip6_rt2 rt2;

	if (!h)
		goto drop;
	if (hlen < sizeof(struct ip6_rthdr)) {
		STAT_INC(st, ip6_in_ext_truncated);
		goto drop;
	}
	if (h[2] == 2 && exthdr_rt2_parse(h, hlen, &rt2) < 0) {
		STAT_INC(st, ip6_in_rh2_bad);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_HEADER,
				 (uint32_t)(h + 1 - pkt_nh(p)));
		goto drop;
	}
	if (h[2] == 2 && st->mip6) {
		if (mip6_rh2_input(st, p, (uint8_t *)h) < 0)
			goto drop;
		return ext_advance(p, hlen, nxt);
	}
	if (h[3] != 0) {
		STAT_INC(st, ip6_in_rh_segleft);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_HEADER,
				 (uint32_t)(h + 2 - pkt_nh(p)));
		goto drop;
	}
	STAT_INC(st, ip6_in_rh_ignored);
	return ext_advance(p, hlen, nxt);
drop:
	pkt_free(p);
	return EXT_DONE;
}

bool ip6_ext_is_skippable(uint8_t nxt)
{
	return nxt == NH_HOPOPTS || nxt == NH_ROUTING || nxt == NH_DSTOPTS ||
	       nxt == NH_FRAGMENT || nxt == NH_AH;
}

/* Length of the extension header at @h (@avail bytes), 0 if it runs past. */
static size_t ext_len(uint8_t nxt, const uint8_t *h, size_t avail)
{
	size_t n;

	if (avail < 8)
		return 0;
	if (nxt == NH_FRAGMENT)
		n = 8;
	else if (nxt == NH_AH)
		n = ((size_t)h[1] + 2) * 4;   /* RFC 4302 2.2: 4-octet units, minus 2 */
	else
		n = ((size_t)h[1] + 1) * 8;
	return n <= avail ? n : 0;
}

int ip6_find_upper(const uint8_t *ip6, size_t len, uint8_t *proto, size_t *off)
{
	size_t o = IPV6_HLEN;
	uint8_t nxt;

	if (len < IPV6_HLEN)
		return -EINVAL;
	nxt = ip6[6];
	while (ip6_ext_is_skippable(nxt)) {
		size_t n = ext_len(nxt, ip6 + o, len - o);

		if (!n)
			return -EINVAL;
		/* Only the first fragment holds the upper-layer header. */
		if (nxt == NH_FRAGMENT && (get_be16(ip6 + o + 2) & 0xfff8))
			break;
		nxt = ip6[o];
		o += n;
	}
	*proto = nxt;
	*off = o;
	return 0;
}

/* True if the Destination Options header at @h (@hl bytes) carries a Home Address option. */
static bool dstopts_has_hao(const uint8_t *h, size_t hl)
{
	size_t i = 2;

	while (i + 2 <= hl) {
		if (h[i] == OPT6_PAD1) {
			i++;
			continue;
		}
		if (h[i] == OPT6_HAO)
			return true;
		i += 2 + (size_t)h[i + 1];
	}
	return false;
}

int ip6_unfrag_len(const uint8_t *ip6, size_t len, size_t *nhoff)
{
	size_t o = IPV6_HLEN, end = IPV6_HLEN, end_nhoff = 6, cur_nhoff = 6;
	uint8_t nxt;

	if (len < IPV6_HLEN)
		return -EINVAL;
	nxt = ip6[6];
	while (nxt == NH_HOPOPTS || nxt == NH_DSTOPTS || nxt == NH_ROUTING) {
		size_t n = ext_len(nxt, ip6 + o, len - o);

		if (!n)
			return -EINVAL;
		/* RFC 6275 6.3: a Home Address option travels before the Fragment header. */
		bool ends = nxt == NH_ROUTING || (nxt == NH_HOPOPTS && o == IPV6_HLEN) ||
			    (nxt == NH_DSTOPTS && dstopts_has_hao(ip6 + o, n));
		cur_nhoff = o;
		nxt = ip6[o];
		o += n;
		if (ends) {
			end = o;
			end_nhoff = cur_nhoff;
		}
	}
	*nhoff = end_nhoff;
	return (int)end;
}
