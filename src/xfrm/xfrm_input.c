/*
 * IPsec input (RFC 4301 5.2): ESP, AH and IPComp as IPv6 extension headers
 * and IPv4 protocols. SA by (outer destination, SPI, protocol), replay
 * window before any crypto, decapsulation, window advanced only after the
 * ICV passed, lifetime accounting, the SA appended to the packet's
 * security path; then the header is cut out (transport) or the inner
 * packet re-enters IP input (tunnel). See xfrm_io.h for the contract.
 */
#include "core/stack.h"
#include "ipv4/icmp4.h"
#include "ipv6/exthdr.h"
#include "mip6/mip6.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "xfrm/esp.h"
#include "xfrm/xfrm_io_priv.h"
#include "xfrm/xfrm_natt.h"

/* The outer destination of the packet at nh, IPv4 mapped: the SA's id. */
static struct in6_addr outer_daddr(const struct pkt *p)
{
	const uint8_t *nh = pkt_nh(p);
	struct in6_addr d;

	if (nh[0] >> 4 == 4)
		ip4_to_mapped(&d, ip4_get(nh + 16));
	else
		memcpy(&d, nh + 24, 16);
	return d;
}

static void sp_append(struct pkt *p, struct xfrm_state *x)
{
	xfrm_state_hold(x);
	p->sp[p->sp_len++] = x;
}

/*
 * The SA for the header at p->data and its replay check (RFC 4303 3.4.3:
 * before the ICV, it is cheaper). 0 with *@xo, *@seq64; -1 to drop (counted).
 */
static int in_state(struct stack *st, const struct pkt *p, const struct xfrm_type *t,
		    struct xfrm_state **xo, uint64_t *seq64)
{
	struct in6_addr daddr = outer_daddr(p);
	struct xfrm_state *x;
	uint32_t spi, seq_lo;

	if (t->peek(p, &spi, &seq_lo) < 0) {
		STAT_INC(st, xfrm_in_truncated);
		return -1;
	}
	x = xfrm_state_lookup(st, &daddr, spi, t->proto);
	if (!x) {
		STAT_INC(st, xfrm_in_no_state);
		return -1;
	}
	if (p->sp_len >= PKT_SP_MAX) {
		STAT_INC(st, xfrm_in_sp_full);
		return -1;
	}
	if (!xfrm_state_has_ctx(x)) {
		STAT_INC(st, xfrm_in_nocrypto);
		return -1;
	}
	*seq64 = 0;
	if (t->seq && xfrm_state_replay_check(st, x, seq_lo, seq64) < 0)
		return -1;
	*xo = x;
	return 0;
}

/*
 * Moves the bare IPv6 header at @from to @to (the areas may overlap) in
 * 8-byte words, all loaded before any is stored: inline, where the
 * 40-byte memmove was a libc call per packet, and in the word-sized
 * pieces that the lengths below and the policy check's flow key read
 * back at once.
 */
static inline void move_ip6_hdr(uint8_t *to, const uint8_t *from)
{
	uint64_t w[IPV6_HLEN / 8];

	for (size_t i = 0; i < IPV6_HLEN / 8; i++)
		memcpy(&w[i], from + 8 * i, 8);
	for (size_t i = 0; i < IPV6_HLEN / 8; i++)
		memcpy(to + 8 * i, &w[i], 8);
}

/*
 * Transport mode: the header part (@hoff bytes at nh) moves up to the
 * payload at p->data, its next-header byte at @nhoff names @nxt.
 */
static void cut_header(struct pkt *p, size_t hoff, size_t nhoff, uint8_t nxt)
{
	uint8_t *nh = pkt_nh(p), *to = p->data - hoff;

	if (to != nh && hoff == IPV6_HLEN)
		move_ip6_hdr(to, nh);
	else if (to != nh)
		memmove(to, nh, hoff);
	p->nh = (int32_t)(to - p->head);
	to[nhoff] = nxt;
	if (to[0] >> 4 == 6) {
		put_be16(to + 4, (uint16_t)(hoff - IPV6_HLEN + p->len));
	} else {
		put_be16(to + 2, (uint16_t)(hoff + p->len));
		ip4_set_csum(to, (size_t)(to[0] & 0x0f) * 4);
	}
}

/*
 * One IPsec header at (*pp)->data, named by the byte at @nhoff from nh.
 * 1: transport mode, the header is gone, *@nxt names the payload at data.
 * 0: consumed (dropped and counted, or a tunnel's inner packet re-entered).
 */
static int xfrm_rcv(struct stack *st, struct pkt **pp, uint8_t proto, size_t nhoff, uint8_t *nxt)
{
	const struct xfrm_type *t = xfrm_type_get(proto);
	size_t hoff = (size_t)((*pp)->data - pkt_nh(*pp)), bytes = (*pp)->len;
	struct xfrm_state *x;
	uint64_t seq64;
	int rc;

	if (in_state(st, *pp, t, &x, &seq64) < 0 || !xfrm_natt_input_ok(st, x, *pp))
		goto drop;
	rc = t->input(st, x, pp, hoff, (uint32_t)(seq64 >> 32));
	if (rc < 0) {
		if (rc == -EBADMSG)
			x->stats.integrity_failed++;
		else if (t->proto != IPPROTO_ESP)
			STAT_INC(st, xfrm_in_decap_fail);
		goto drop;
	}
	if (t->seq && xfrm_state_replay_advance(st, x, seq64) < 0)
		goto drop;
	if (xfrm_state_account(st, x, bytes) < 0) {
		STAT_INC(st, xfrm_in_expired);
		goto drop;
	}
	/* RFC 4303 2.6: a dummy packet is dropped silently (esp_count_input counted it). */
	if (t->proto == IPPROTO_ESP && rc == ESP_NH_DUMMY)
		goto drop;
	sp_append(*pp, x);
	STAT_INC(st, xfrm_in_ok);
	if (x->c.mode == XFRM_MODE_TUNNEL)
		return xfrm_tunnel_input(st, *pp, rc), 0;
	cut_header(*pp, hoff, nhoff, (uint8_t)rc);
	*nxt = (uint8_t)rc;
	return 1;
drop:
	pkt_free(*pp);
	return 0;
}

int xfrm_tunnel_input(struct stack *st, struct pkt *p, int nxt)
{
	uint8_t outer_ds = xfrm_dsfield(pkt_nh(p));
	unsigned ver = p->len ? p->data[0] >> 4 : 0;

	if (!(nxt == NH_IPV6 && ver == 6 && p->len >= IPV6_HLEN) &&
	    !(nxt == NH_IPIP && ver == 4 && p->len >= IPV4_HLEN)) {
		STAT_INC(st, xfrm_in_bad_inner);
		goto drop;
	}
	if (xfrm_ecn_decap(p, outer_ds) < 0) {
		STAT_INC(st, xfrm_in_ecn_drop);
		goto drop;
	}
	p->nh = -1;
	p->th = -1;
	/* Bounded recursion: every level adds an SA to the path, at most PKT_SP_MAX. */
	if (ver == 6)
		ip6_input(st, p);
	else
		ip4_input(st, p);
	return 0;
drop:
	pkt_free(p);
	return 0;
}

int xfrm6_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	uint8_t next;

	if (!xfrm_rcv(st, pp, *nxt, IP6_CB(*pp)->nhoff, &next))
		return EXT_DONE;
	/* The header is gone: the byte at nhoff now names the payload at data. */
	*nxt = next;
	return EXT_CONTINUE;
}

int xfrm4_input(struct stack *st, struct pkt *p)
{
	uint8_t next;

	if (!xfrm_rcv(st, &p, pkt_nh(p)[9], offsetof(struct ip4_hdr, proto), &next))
		return 0;
	/* The datagram is plain IPv4 again: input checks it and delivers its payload. */
	pkt_push(p, (size_t)(p->data - pkt_nh(p)));
	return ip4_input(st, p);
}

/* The IPComp tunnel SA whose uncompressed traffic this IP-in-IP packet is, NULL if none. */
static struct xfrm_state *iptnl_state(struct stack *st, const struct pkt *p)
{
	const uint8_t *nh = pkt_nh(p);
	struct xfrm_resolved r = { .proto = IPPROTO_COMP, .mode = XFRM_MODE_TUNNEL };

	if (nh[0] >> 4 == 4) {
		ip4_to_mapped(&r.daddr, ip4_get(nh + 16));
		ip4_to_mapped(&r.saddr, ip4_get(nh + 12));
	} else {
		memcpy(&r.saddr, nh + 8, 16);
		memcpy(&r.daddr, nh + 24, 16);
	}
	return xfrm_state_find(st, &r);
}

/* RFC 3173 2.2: a payload that did not compress comes as plain IP-in-IP. 0: consumed; -1: not ours. */
static int iptnl_rcv(struct stack *st, struct pkt *p, uint8_t nxt)
{
	struct xfrm_state *x = iptnl_state(st, p);

	if (!x)
		return -1;
	if (p->sp_len >= PKT_SP_MAX) {
		STAT_INC(st, xfrm_in_sp_full);
		goto drop;
	}
	if (xfrm_state_account(st, x, p->len) < 0) {
		STAT_INC(st, xfrm_in_expired);
		goto drop;
	}
	sp_append(p, x);
	STAT_INC(st, xfrm_in_iptnl);
	return xfrm_tunnel_input(st, p, nxt);
drop:
	pkt_free(p);
	return 0;
}

int xfrm6_iptnl_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	struct pkt *p = *pp;

	/* Mobile IPv6 tunnels between mobile node and home agent first (mip6.h). */
	if (st->mip6 && mip6_tunnel_input(st, pp, nxt) != 1)
		return EXT_DONE;
	if (iptnl_rcv(st, p, *nxt) == 0)
		return EXT_DONE;
	/* As ip6_input treats a next header it has no handler for (RFC 8200 4). */
	STAT_INC(st, ip6_in_unknown_proto);
	icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, IP6_CB(p)->nhoff);
	pkt_free(p);
	return EXT_DONE;
}

int xfrm4_iptnl_input(struct stack *st, struct pkt *p)
{
	if (iptnl_rcv(st, p, pkt_nh(p)[9]) == 0)
		return 0;
	STAT_INC(st, ip4_in_unknown_proto);
	icmp4_send_error(st, p, ICMP4_DST_UNREACH, ICMP4_DU_PROTO, 0);
	pkt_free(p);
	return -EPROTONOSUPPORT;
}
