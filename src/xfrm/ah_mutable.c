/*
 * The ICV input of an AH packet (RFC 4302 3.3.3, Appendix A): mutable
 * fields zeroed, mutable-but-predictable ones (destination under source
 * routing, routing headers, the Home Address option of RFC 6275) in the
 * form the final destination sees. Nothing is written to the packet: the
 * few changed bytes are copies in a scratch area, everything else is
 * referenced in place (ah.h describes the rules).
 */
#include "xfrm/ah_priv.h"

#include "proto/ip6.h"
#include "proto/ip4.h"

/* Stands in for zeroed bytes: an option's data is at most 255 bytes, an ICV 32. */
static const uint8_t zeros[256];

/* RFC 4302 Appendix A.1: the immutable IPv4 options besides proto/ip4.h's. */
enum { IPOPT_ESEC = 133, IPOPT_CIPSO = 134, IPOPT_SDMDD = 149 };
#define IP6_OPT_CHANGE 0x20     /* RFC 8200 4.2: option data may change en route */
#define IP6_HAO_LEN 16

/* Appends a piece, merged with the previous one when it continues it. */
static int emit(struct ah_icv *b, const uint8_t *p, size_t n)
{
	struct crypto_iov *last = b->n ? &b->v[b->n - 1] : NULL;

	if (!n)
		return 0;
	if (last && (const uint8_t *)last->base + last->len == p) {
		last->len += n;
		return 0;
	}
	if (b->n == AH_MAX_PIECES)
		return -EINVAL;
	b->v[b->n].base = p;
	b->v[b->n++].len = n;
	return 0;
}

/* Emits the packet bytes not yet emitted, up to offset @to. */
static int flush(struct ah_icv *b, size_t to)
{
	int rc = emit(b, b->pkt + b->cur, to - b->cur);

	b->cur = to;
	return rc;
}

/* The @n packet bytes at @off count as @n bytes at @src (NULL: zeros). */
static int subst(struct ah_icv *b, size_t off, const uint8_t *src, size_t n)
{
	int rc = flush(b, off);

	for (size_t k = 0; !rc && !src && k < n; k += sizeof(zeros))
		rc = emit(b, zeros, MIN(sizeof(zeros), n - k));
	if (!rc && src)
		rc = emit(b, src, n);
	b->cur = off + n;
	return rc;
}

static uint8_t *scratch(struct ah_icv *b, size_t n)
{
	uint8_t *s = b->scratch + b->used;

	b->used += n;   /* callers ask for at most AH_SCRATCH bytes in all */
	return s;
}

/* ---- IPv4 ---- */

static bool opt4_immutable(uint8_t t)
{
	return t == IPOPT_SEC || t == IPOPT_ESEC || t == IPOPT_CIPSO || t == IPOPT_RA ||
	       t == IPOPT_SDMDD;
}

/*
 * Options of the header copy @h (@hl bytes). An unexhausted source route
 * (pointer <= length, RFC 791 3.1) names the final destination last.
 */
static int opts4(uint8_t *h, size_t hl)
{
	size_t i = IPV4_HLEN;

	while (i < hl && h[i] != IPOPT_END) {
		size_t ol;

		if (h[i] == IPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > hl || h[i + 1] < 2 || h[i + 1] > hl - i)
			return -EINVAL;
		ol = h[i + 1];
		if ((h[i] == IPOPT_LSRR || h[i] == IPOPT_SSRR) && ol >= 7 && h[i + 2] <= ol)
			memcpy(h + 16, h + i + 3 + (ol - 3) / 4 * 4 - 4, 4);
		if (!opt4_immutable(h[i]))
			memset(h + i, 0, ol);
		i += ol;
	}
	return 0;
}

/* RFC 4302 3.3.3.1.1: TOS, flags + offset, TTL, checksum zeroed; options. */
static int build4(struct ah_icv *b, const struct ah_layout *l)
{
	const uint8_t *pkt = l->pkt;
	size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
	uint8_t *h;

	if (hl < IPV4_HLEN || hl != l->ahoff || pkt[9] != NH_AH || get_be16(pkt + 2) != l->len)
		return -EINVAL;
	h = scratch(b, hl);
	memcpy(h, pkt, hl);
	h[1] = 0;
	memset(h + 6, 0, 3);
	memset(h + 10, 0, 2);
	if (opts4(h, hl))
		return -EINVAL;
	return subst(b, 0, h, hl);
}

/* ---- IPv6 ---- */

/*
 * Options of the Hop-by-Hop or Destination Options header at @o (@hl
 * bytes): change-en-route data zeroed (RFC 4302 3.3.3.1.2.2), the Home
 * Address option swapped with the source of the copy @ip6 (RFC 6275 6.3).
 */
static int opts6(struct ah_icv *b, const struct ah_layout *l, uint8_t *ip6, size_t o,
		 size_t hl, bool dst, bool *hao)
{
	const uint8_t *h = l->pkt + o;
	size_t i = 2;
	int rc = 0;

	while (i < hl && !rc) {
		size_t ol;

		if (h[i] == OPT6_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > hl || (size_t)h[i + 1] > hl - i - 2)
			return -EINVAL;
		ol = h[i + 1];
		if (dst && h[i] == OPT6_HAO) {
			if (*hao || ol != IP6_HAO_LEN)
				return -EINVAL;
			*hao = true;
			if (l->swap_hao) {
				rc = subst(b, o + i + 2, l->pkt + 8, IP6_HAO_LEN);
				memcpy(ip6 + 8, h + i + 2, IP6_HAO_LEN);
			}
		} else if (h[i] & IP6_OPT_CHANGE) {
			rc = subst(b, o + i + 2, NULL, ol);
		}
		i += 2 + ol;
	}
	return rc;
}

/* The routing header's first 8 bytes with Segments Left 0. */
static int rt_head(struct ah_icv *b, size_t o)
{
	uint8_t *s = scratch(b, 8);

	memcpy(s, b->pkt + o, 8);
	s[3] = 0;
	return subst(b, o, s, 8);
}

/*
 * Types 0 and 2 after n more hops (RFC 8200 / RFC 2460 8.4 swap, RFC 6275
 * 6.4): addresses a[0..k) become a[0..k-n), the current destination,
 * a[k-n..k-1); the destination becomes a[k-1].
 */
static int rt_swap(struct ah_icv *b, const struct ah_layout *l, uint8_t *ip6, size_t o)
{
	const uint8_t *h = l->pkt + o;
	size_t k = h[1] / 2, n = h[3];
	const uint8_t *a = h + 8;
	int rc;

	if (h[1] % 2 || n > k)
		return -EINVAL;
	rc = rt_head(b, o);
	if (!rc)
		rc = flush(b, o + 8 + 16 * (k - n));
	if (!rc)
		rc = emit(b, l->pkt + 24, 16);
	if (!rc)
		rc = emit(b, a + 16 * (k - n), 16 * (n - 1));
	b->cur = o + 8 + 16 * k;
	memcpy(ip6 + 24, a + 16 * (k - 1), 16);
	return rc;
}

/* Type 4 (RFC 8754 2, 4.3.1.1): the final destination is Segment List[0]. */
static int rt_srh(struct ah_icv *b, const struct ah_layout *l, uint8_t *ip6, size_t o,
		  size_t hl)
{
	const uint8_t *h = l->pkt + o;
	size_t last = h[4];

	if (8 + 16 * (last + 1) > hl || h[3] > last)
		return -EINVAL;
	memcpy(ip6 + 24, h + 8, 16);
	return rt_head(b, o);
}

static int rt6(struct ah_icv *b, const struct ah_layout *l, uint8_t *ip6, size_t o, size_t hl)
{
	const uint8_t *h = l->pkt + o;

	if (h[3] == 0)
		return 0;   /* routed, or never will be: as it is */
	switch (h[2]) {
	case 0:
	case 2:
		return rt_swap(b, l, ip6, o);
	case 4:
		return rt_srh(b, l, ip6, o, hl);
	default:
		return -EINVAL;
	}
}

/* The extension headers between the IPv6 header and the AH header. */
static int walk6(struct ah_icv *b, const struct ah_layout *l, uint8_t *ip6)
{
	const uint8_t *pkt = l->pkt;
	size_t o = IPV6_HLEN;
	uint8_t nxt = pkt[6];
	bool rt = false, hao = false;
	int rc;

	while (o < l->ahoff) {
		size_t hl;

		if (l->ahoff - o < 8)
			return -EINVAL;
		hl = ((size_t)pkt[o + 1] + 1) * 8;
		if (hl > l->ahoff - o)
			return -EINVAL;
		if (nxt == NH_HOPOPTS && o == IPV6_HLEN)
			rc = opts6(b, l, ip6, o, hl, false, &hao);
		else if (nxt == NH_DSTOPTS)
			rc = opts6(b, l, ip6, o, hl, true, &hao);
		else if (nxt == NH_ROUTING && !rt)
			rc = rt6(b, l, ip6, o, hl);
		else
			return -EINVAL;
		if (rc)
			return rc;
		rt |= nxt == NH_ROUTING;
		nxt = pkt[o];
		o += hl;
	}
	return o == l->ahoff && nxt == NH_AH ? 0 : -EINVAL;
}

/* RFC 4302 3.3.3.1.2.1: traffic class, flow label, hop limit zeroed. */
static int build6(struct ah_icv *b, const struct ah_layout *l)
{
	const uint8_t *pkt = l->pkt;
	uint8_t *ip6;
	int rc;

	if (l->ahoff < IPV6_HLEN || get_be16(pkt + 4) == 0 ||
	    (size_t)get_be16(pkt + 4) + IPV6_HLEN != l->len)
		return -EINVAL;
	ip6 = scratch(b, IPV6_HLEN);
	memcpy(ip6, pkt, IPV6_HLEN);
	ip6[0] &= 0xf0;
	ip6[1] = ip6[2] = ip6[3] = 0;
	ip6[7] = 0;
	rc = subst(b, 0, ip6, IPV6_HLEN);
	return rc ? rc : walk6(b, l, ip6);
}

int ah_icv_build(struct ah_icv *b, const struct ah_layout *l)
{
	uint8_t *hi;
	int rc;

	b->n = 0;
	b->pkt = l->pkt;
	b->cur = 0;
	b->used = 0;
	switch (l->pkt[0] >> 4) {
	case 4: rc = build4(b, l); break;
	case 6: rc = build6(b, l); break;
	default: return -EINVAL;
	}
	if (!rc)
		rc = subst(b, l->ahoff + AH_FIXED_LEN, NULL, l->icv_len);
	if (!rc)
		rc = flush(b, l->len);
	if (!rc && l->esn) {
		hi = scratch(b, 4);
		put_be32(hi, l->seq_hi);
		rc = emit(b, hi, 4);
	}
	return rc;
}
