/*
 * Internals of the IPsec packet path (xfrm_io.h), shared by xfrm_output.c,
 * xfrm_input.c, xfrm_type.c and xfrm_tunnel.c.
 */
#ifndef USAGI_XFRM_XFRM_IO_PRIV_H
#define USAGI_XFRM_XFRM_IO_PRIV_H

#include "xfrm/xfrm.h"
#include "xfrm/xfrm_io.h"
#include "xfrm/policy_priv.h"

#define XFRM_LL_RESERVE 32      /* headroom left for the link header after every step */
#define XFRM_ROOM_SLACK 64      /* extra head and tail room when a packet must be copied */
#define XFRM_DECLINED 1         /* an output op sent the payload unchanged (IPComp, RFC 3173 2.2) */

/*
 * One IPsec protocol, in the manner of FreeBSD's xformsw: the bytes it
 * inserts on output and its codec calls. The packet path around it (gap,
 * lengths, next-header bytes, tunnel headers, SAD, replay, security path)
 * is the same for all three.
 *
 * Output: p->data = the IP header; the header part (IP header, and the
 * IPv6 extension headers that stay in front) is @hoff bytes, followed by
 * a gap of @gap = gap() bytes named by the next-header/protocol byte,
 * lengths already counting the gap and the tail; the payload follows,
 * with tail() bytes of tailroom. @next is what the payload is. Fills the gap (and the tail) and
 * returns 0 with p->data back at the IP header; XFRM_DECLINED when the
 * payload goes as it is (the caller closes the gap); -errno (counted by
 * the codec's counters; the packet is dropped).
 *
 * Input: p->data = the protocol's header, @hoff bytes after nh. peek()
 * reads SPI (IPComp: CPI) and the low sequence number. input() checks and
 * removes the protocol: returns the next header with p->data at the
 * payload (the header part still at nh, *@pp possibly replaced), or
 * -errno (-EBADMSG: integrity failure), counted by the codec's counters.
 */
struct xfrm_type {
	uint8_t proto;
	bool seq;               /* sequence numbers and an anti-replay window */
	size_t (*gap)(const struct xfrm_state *x, int family);
	size_t (*tail)(const struct xfrm_state *x, size_t plen);
	int (*output)(struct stack *st, struct xfrm_state *x, struct pkt *p, size_t hoff, size_t gap,
		      uint8_t next);
	int (*peek)(const struct pkt *p, uint32_t *spi, uint32_t *seq_lo);
	int (*input)(struct stack *st, struct xfrm_state *x, struct pkt **pp, size_t hoff, uint32_t seq_hi);
};

/* Indexed by protocol number (xfrm_type.c); inline lookups: every packet asks. */
extern const struct xfrm_type *const xfrm_types[256];

/* The type of IPsec protocol @proto (ESP, AH, IPComp), NULL for others. */
static inline const struct xfrm_type *xfrm_type_get(uint8_t proto)
{
	return xfrm_types[proto];
}

/* True when @x has what its codec needs (XFRM_SA_F_NOCRYPTO SAs do not). */
static inline bool xfrm_state_has_ctx(const struct xfrm_state *x)
{
	return x->c.id.proto == IPPROTO_COMP ? x->comp != NULL : x->crypto != NULL;
}

/* xfrm_tunnel.c: headers around the transforms. */

/*
 * The header part of the IP packet at p->data: IPv4 header with options;
 * IPv6 header, Hop-by-Hop, Routing, Fragment, and Destination Options
 * before a Routing header or carrying a Home Address option (RFC 4303
 * 3.1.1, RFC 4302 3.1.1, RFC 6275 6.3). *@hoff its length, *@nhoff the
 * offset of the next-header/protocol byte that names what follows it.
 * 0 or -EINVAL (truncated or not IP).
 */
int xfrm_hdr_part(const struct pkt *p, size_t *hoff, size_t *nhoff);
/* Sets the IPv6 payload length / IPv4 total length and checksum at p->data from p->len. */
void xfrm_fix_lengths(struct pkt *p);
/* The same for the header at @h of a packet that will be @len bytes long. */
void xfrm_set_lengths(uint8_t *h, size_t len);
/*
 * Makes @head bytes of headroom and @tail of tailroom: in place when the
 * buffer allows, else by copying into a larger packet (*@pp replaced,
 * counted). 0 or -ENOBUFS (counted; *@pp still valid).
 */
int xfrm_room(struct stack *st, struct pkt **pp, size_t head, size_t tail);
/*
 * Tunnel mode (RFC 4301 5.1.2): pushes the outer header of @x's family in
 * front of the IP packet at p->data (*@pp may be replaced). 0, -ENOBUFS,
 * -EMSGSIZE (counted).
 */
int xfrm_tunnel_push(struct stack *st, struct pkt **pp, const struct xfrm_state *x);
/*
 * RFC 6040 4.2 (normal mode): folds the outer header's ECN field (@outer_ds
 * is its traffic class / TOS) into the inner packet at p->data. 0, or -1:
 * drop (outer CE over a not-ECT inner packet).
 */
int xfrm_ecn_decap(struct pkt *p, uint8_t outer_ds);
/* Traffic class (IPv6) or TOS (IPv4) of the header at @h. */
uint8_t xfrm_dsfield(const uint8_t *h);

/* The SAs one packet goes through, in application order; NULL: an optional step skipped. */
struct xfrm_bundle {
	struct xfrm_state *x[XFRM_TMPL_MAX];
	unsigned n, used;
};

/* The SPD's change count (struct xfrm_spd.changes). */
static inline uint64_t xfrm_spd_changes(const struct stack *st)
{
	return st->spd->changes;
}

/* xfrm_input.c */

/*
 * Tunnel-mode end: the inner packet (next header @nxt) at p->data goes back
 * to ip6_input/ip4_input with its security path. Consumes @p; 0.
 */
int xfrm_tunnel_input(struct stack *st, struct pkt *p, int nxt);

#endif
