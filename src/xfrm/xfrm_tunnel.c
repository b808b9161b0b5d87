/*
 * Headers around the IPsec transforms: where a transport-mode header goes
 * (RFC 4303 3.1.1, RFC 4302 3.1.1), the outer header of tunnel mode (RFC
 * 4301 5.1.2, ECN per RFC 6040), lengths, and buffer room.
 */
#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "ipv6/ipv6.h"
#include "ipv6/pmtu_cache.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "xfrm/tnl_pmtu.h"
#include "xfrm/xfrm_io_priv.h"

/* True if the Destination Options header at @h (@hl bytes) carries a Home Address option. */
static bool dst_has_hao(const uint8_t *h, size_t hl)
{
	size_t i = 2;

	while (i < hl) {
		if (h[i] == OPT6_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > hl)
			return false;
		if (h[i] == OPT6_HAO)
			return true;
		i += 2 + (size_t)h[i + 1];
	}
	return false;
}

/*
 * RFC 4303 3.1.1: ESP/AH go after Hop-by-Hop, Routing and Fragment; a
 * Destination Options header stays in front when a Routing header follows
 * it or when it carries the Home Address (RFC 6275 6.3), else it goes
 * inside. The walk is bounded: every step consumes at least 8 bytes.
 */
static int hdr_part6(const uint8_t *h, size_t len, size_t *hoff, size_t *nhoff)
{
	size_t off = IPV6_HLEN, cur;
	uint8_t nxt;

	if (len < IPV6_HLEN)
		return -EINVAL;
	*hoff = IPV6_HLEN;
	*nhoff = offsetof(struct ip6_hdr, nxt);
	nxt = h[*nhoff];
	while (nxt == NH_HOPOPTS || nxt == NH_ROUTING || nxt == NH_DSTOPTS || nxt == NH_FRAGMENT) {
		size_t hl;
		bool ends;

		if (nxt == NH_HOPOPTS && off != IPV6_HLEN)
			break;
		if (len - off < 8)
			return -EINVAL;
		hl = nxt == NH_FRAGMENT ? 8 : ((size_t)h[off + 1] + 1) * 8;
		if (hl > len - off)
			return -EINVAL;
		ends = nxt != NH_DSTOPTS || dst_has_hao(h + off, hl);
		cur = off;
		nxt = h[off];
		off += hl;
		if (ends) {
			*hoff = off;
			*nhoff = cur;
		}
	}
	return 0;
}

int xfrm_hdr_part(const struct pkt *p, size_t *hoff, size_t *nhoff)
{
	const uint8_t *h = p->data;
	size_t ihl;

	if (p->len < IPV4_HLEN)
		return -EINVAL;
	if (h[0] >> 4 == 6)
		return hdr_part6(h, p->len, hoff, nhoff);
	if (h[0] >> 4 != 4)
		return -EINVAL;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < IPV4_HLEN || ihl > p->len)
		return -EINVAL;
	*hoff = ihl;
	*nhoff = offsetof(struct ip4_hdr, proto);
	return 0;
}

void xfrm_set_lengths(uint8_t *h, size_t len)
{
	if (h[0] >> 4 == 6) {
		put_be16(h + 4, (uint16_t)(len - IPV6_HLEN));
		return;
	}
	put_be16(h + 2, (uint16_t)len);
	ip4_set_csum(h, (size_t)(h[0] & 0x0f) * 4);
}

void xfrm_fix_lengths(struct pkt *p)
{
	xfrm_set_lengths(p->data, p->len);
}

/* Moves @p into a new packet with @head/@tail room; the old one is freed. */
static struct pkt *room_copy(struct stack *st, struct pkt *p, size_t head, size_t tail)
{
	struct pkt *np = pkt_alloc(st->pool, head + XFRM_ROOM_SLACK,
				   p->len + tail + XFRM_ROOM_SLACK);
	int32_t shift;

	if (!np)
		return NULL;
	memcpy(pkt_put(np, p->len), p->data, p->len);
	shift = (int32_t)pkt_headroom(np) - (int32_t)pkt_headroom(p);
	np->nh = p->nh >= 0 ? p->nh + shift : -1;
	np->th = p->th >= 0 ? p->th + shift : -1;
	np->dev = p->dev;
	np->flags = p->flags;
	np->tstamp = p->tstamp;
	memcpy(np->cb, p->cb, sizeof(np->cb));
	np->sp_len = p->sp_len;
	memcpy(np->sp, p->sp, p->sp_len * sizeof(p->sp[0]));
	p->sp_len = 0;          /* the references moved */
	pkt_free(p);
	return np;
}

int xfrm_room(struct stack *st, struct pkt **pp, size_t head, size_t tail)
{
	struct pkt *p = *pp, *np;
	size_t hr = pkt_headroom(p), tr = pkt_tailroom(p);

	if (hr >= head && tr >= tail)
		return 0;
	if (hr < head && tr >= tail + (head - hr))
		return pkt_reserve_headroom(p, head) == 0 ? 0 : -ENOBUFS;
	np = room_copy(st, p, head, tail);
	if (!np) {
		STAT_INC(st, xfrm_out_nobufs);
		return -ENOBUFS;
	}
	STAT_INC(st, xfrm_out_copy);
	*pp = np;
	return 0;
}

uint8_t xfrm_dsfield(const uint8_t *h)
{
	return h[0] >> 4 == 4 ? h[1] : (uint8_t)(get_be16(h) >> 4);
}

static void build_outer6(struct stack *st, uint8_t *h, const struct xfrm_state *x,
			 const uint8_t *inner, size_t plen)
{
	bool in4 = inner[0] >> 4 == 4;
	/* RFC 6437 3: the inner flow's label marks the same flow outside. */
	uint32_t fl = in4 ? 0 : ip6_flowlabel((const struct ip6_hdr *)inner);

	ip6_set_vtcfl((struct ip6_hdr *)h, xfrm_dsfield(inner), fl);
	put_be16(h + 4, (uint16_t)plen);
	h[6] = in4 ? NH_IPIP : NH_IPV6;
	h[7] = (uint8_t)st->ip6.dflt.hop_limit;
	memcpy(h + 8, &x->c.saddr, 16);
	memcpy(h + 24, &x->c.id.daddr, 16);
}

/* RFC 4301 5.1.2.1: DF copied from an inner IPv4 header, clear over IPv6 (RFC 2473 7.1 fragments it). */
static void build_outer4(struct stack *st, uint8_t *h, const struct xfrm_state *x,
			 const uint8_t *inner, size_t tot)
{
	bool in4 = inner[0] >> 4 == 4;

	h[0] = 0x45;
	h[1] = xfrm_dsfield(inner);
	put_be16(h + 2, (uint16_t)tot);
	put_be16(h + 4, st->ip4.ip_id++);
	put_be16(h + 6, in4 ? get_be16(inner + 6) & IP4_DF : 0);
	h[8] = (uint8_t)st->ip4.default_ttl;
	h[9] = in4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	ip4_put(h + 12, ip4_from_mapped(&x->c.saddr));
	ip4_put(h + 16, ip4_from_mapped(&x->c.id.daddr));
	ip4_set_csum(h, IPV4_HLEN);
}

int xfrm_tunnel_push(struct stack *st, struct pkt **pp, const struct xfrm_state *x)
{
	bool out6 = x->c.family == AF_INET6;
	size_t ohl = out6 ? IPV6_HLEN : IPV4_HLEN, inner_len = (*pp)->len;
	uint8_t *h;
	int rc;

	if (inner_len > 65535 - (out6 ? 0 : ohl)) {
		STAT_INC(st, xfrm_out_too_big);
		return -EMSGSIZE;
	}
	rc = xfrm_room(st, pp, ohl + XFRM_LL_RESERVE, 0);
	if (rc < 0)
		return rc;
	h = pkt_push(*pp, ohl);
	/* RFC 6040 4.1 normal mode: the outer ECN field (with the DSCP) is the inner one. */
	if (out6)
		build_outer6(st, h, x, h + ohl, inner_len);
	else
		build_outer4(st, h, x, h + ohl, ohl + inner_len);
	pkt_set_nh(*pp);
	return 0;
}

/*
 * The octets bundle @b adds to @p when it is @len octets long (its whole
 * overhead, so a Packet Too Big names what the original packet may carry),
 * or 0 when no step is a tunnel; *@outer: the outermost tunnel SA. The
 * sizes are the codecs' own (gap, tail for the payload length at that
 * step, NAT-T's UDP header), as xfrm_insert will use them. A step it
 * cannot size (no codec context) gives 0: xfrm_insert drops that packet.
 */
static size_t bundle_ovh(const struct pkt *p, size_t len0, const struct xfrm_bundle *b,
			 const struct xfrm_state **outer)
{
	int fam = p->data[0] >> 4 == 4 ? AF_INET : AF_INET6;
	size_t len = len0, hoff = 0, nhoff;
	unsigned i = 0;

	*outer = NULL;
	/* Transport-only bundles (the common case) cost this loop and nothing else. */
	while (i < b->n && !(b->x[i] && b->x[i]->c.mode == XFRM_MODE_TUNNEL))
		i++;
	if (i == b->n)
		return 0;
	for (i = 0; i < b->n; i++) {
		const struct xfrm_state *x = b->x[i];
		const struct xfrm_type *t = x ? xfrm_type_get(x->c.id.proto) : NULL;

		if (!x)
			continue;
		if (!t || !xfrm_state_has_ctx(x))
			return 0;
		if (x->c.mode == XFRM_MODE_TUNNEL) {
			fam = x->c.family;
			hoff = fam == AF_INET ? IPV4_HLEN : IPV6_HLEN;
			len += hoff;
			*outer = x;
		} else if (!hoff && xfrm_hdr_part(p, &hoff, &nhoff) < 0) {
			return 0;
		}
		len += t->gap(x, fam) + t->tail(x, len - hoff) + (x->c.encap.type ? UDP_HLEN : 0);
	}
	return *outer ? len - len0 : 0;
}

/*
 * The tunnel MTU for an outer path MTU @mtu: the largest original length
 * whose packet still fits. Padding to the cipher's block makes the
 * overhead depend on the length, never the total shrink as it grows, so
 * every shorter packet fits too. Only asked when a packet did not fit (a
 * Packet Too Big is about to be sent), so a short linear search will do.
 */
static uint32_t bundle_tmtu(const struct pkt *p, const struct xfrm_bundle *b, uint32_t mtu,
			    size_t ovh)
{
	const struct xfrm_state *outer;
	size_t t = mtu > ovh ? mtu - ovh : 0;

	/* A shorter padding may let a longer original fit: ESP pads by at most 255. */
	t = MIN(t + 255, (size_t)mtu);
	while (t > 0 && t + bundle_ovh(p, t, b, &outer) > mtu)
		t--;
	return (uint32_t)t;
}

/*
 * 1 when the first step @b applies is a tunnel and every step can be
 * sized (its overhead then depends on the length alone, not on the
 * packet's headers), 0 when some other step is a tunnel, -1 when none is.
 */
static int tunnel_shape(const struct xfrm_bundle *b)
{
	bool first = true, sized = true;
	int shape = -1;

	for (unsigned i = 0; i < b->n; i++) {
		const struct xfrm_state *x = b->x[i];

		if (!x)
			continue;
		sized = sized && xfrm_type_get(x->c.id.proto) && xfrm_state_has_ctx(x);
		if (x->c.mode == XFRM_MODE_TUNNEL)
			shape = first ? 1 : MAX(shape, 0);
		first = false;
	}
	return shape == 1 && !sized ? 0 : shape;
}

/*
 * The lowest path MTU to @outer's destination over any link of the host
 * (pmtu6_get / pmtu4_get on each), a bound of what the route will give;
 * 0 without links.
 */
static uint32_t lowest_pmtu(struct stack *st, const struct xfrm_state *outer)
{
	uint32_t low = UINT32_MAX, d = ip4_from_mapped(&outer->c.id.daddr);
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *dev = dlist_entry(pos, struct netdev, node);
		uint32_t m = outer->c.family == AF_INET ? pmtu4_get(st, d, dev)
							: pmtu6_get(st, &outer->c.id.daddr, dev);

		low = MIN(low, m);
	}
	return low == UINT32_MAX ? 0 : low;
}

/*
 * Fills @c for @b (struct xfrm_tmtu_cache): the longest original whose
 * outer packet fits the lowest path MTU, by bisection (a packet's total
 * never shrinks as it grows: every shorter one fits too). Only a bundle
 * whose overhead depends on the length alone is kept (tunnel_shape); any
 * other with a tunnel step gets fit 0 and is checked in full every time;
 * one without is never checked (fit UINT32_MAX).
 */
static void tmtu_fill(struct stack *st, const struct pkt *p, const struct xfrm_bundle *b,
		      struct xfrm_tmtu_cache *c)
{
	int shape = tunnel_shape(b);
	const struct xfrm_state *outer, *o;
	uint32_t low, lo = 0, hi;

	STAT_INC(st, tnl_mtu_refresh);
	c->gen = pmtu_cache_gen(st);
	c->fit = shape < 0 ? UINT32_MAX : 0;
	if (shape <= 0)
		return;
	(void)bundle_ovh(p, 0, b, &outer);
	if (!outer || !(low = lowest_pmtu(st, outer)))
		return;
	hi = low;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (mid + bundle_ovh(p, mid, b, &o) <= low)
			lo = mid;
		else
			hi = mid - 1;
	}
	c->fit = lo;
}

int xfrm_tunnel_mtu_check(struct stack *st, const struct pkt *p, const struct xfrm_bundle *b,
			  struct xfrm_tmtu_cache *c)
{
	const struct xfrm_state *outer;
	size_t ovh;
	struct xfrm_route rt;
	uint32_t mtu;

	/* The common case: nothing that could lower a path MTU happened, and @p is no longer than then. */
	if (c && p->len <= c->fit && c->gen == pmtu_cache_gen(st))
		return 0;
	ovh = bundle_ovh(p, p->len, b, &outer);
	/* Filled before any error is sent: sending one may reuse this cache slot (xfrm_output). */
	if (c && c->gen != pmtu_cache_gen(st)) {
		tmtu_fill(st, p, b, c);
		if (p->len <= c->fit)
			return 0;
	}
	if (!outer)
		return 0;
	if (outer->c.family == AF_INET) {
		uint32_t d = ip4_from_mapped(&outer->c.id.daddr);

		if (ip4_route_xfrm(st, d, &rt) < 0 || rt.local)
			return 0;      /* xfrm_send counts the missing route */
		mtu = pmtu4_get(st, d, rt.dev);
	} else {
		/* RFC 8200 5: every IPv6 path carries 1280 octets, no lookup below that. */
		if (p->len + ovh <= IPV6_MIN_MTU)
			return 0;
		if (ip6_route_xfrm(st, &outer->c.id.daddr, &rt) < 0 || rt.local)
			return 0;
		mtu = pmtu6_get(st, &outer->c.id.daddr, rt.dev);
	}
	if (p->len + ovh <= mtu)
		return 0;
	return tnl_pmtu_check(st, p, bundle_tmtu(p, b, mtu, ovh));
}

enum { ECN_NOT_ECT = 0, ECN_ECT1 = 1, ECN_ECT0 = 2, ECN_CE = 3 };

/* RFC 6040 4.2, Figure 4: the inner ECN field after decapsulation, -1 = drop. */
static int ecn_combine(unsigned inner, unsigned outer)
{
	if (inner == ECN_NOT_ECT)
		return outer == ECN_CE ? -1 : ECN_NOT_ECT;
	if (outer == ECN_CE)
		return ECN_CE;
	if (outer == ECN_ECT1 && inner == ECN_ECT0)
		return ECN_ECT1;
	return (int)inner;
}

int xfrm_ecn_decap(struct pkt *p, uint8_t outer_ds)
{
	uint8_t *h = p->data;
	uint8_t ds = xfrm_dsfield(h);
	int ecn = ecn_combine(ds & 3, outer_ds & 3);
	size_t ihl;

	if (ecn < 0)
		return -1;
	if (ecn == (ds & 3))
		return 0;
	ds = (uint8_t)((ds & ~3u) | (unsigned)ecn);
	if (h[0] >> 4 == 6) {
		put_be16(h, (uint16_t)((get_be16(h) & 0xf00f) | ds << 4));
		return 0;
	}
	/* A malformed inner header is ip4_input's to drop; only a sane one is rewritten. */
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < IPV4_HLEN || ihl > p->len)
		return 0;
	h[1] = ds;
	ip4_set_csum(h, ihl);
	return 0;
}
