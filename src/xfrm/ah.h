/*
 * AH codec (RFC 4302) on a whole IPv6 or IPv4 packet, independent of the
 * SAD like esp.h: the caller owns the SA, sequence numbers and replay
 * window.
 *
 *  0                   1                   2                   3
 * +---------------+---------------+-------------------------------+
 * | Next Header   |  Payload Len  |          RESERVED             |
 * |                 Security Parameters Index (SPI)               |
 * |                    Sequence Number (low 32)                   |
 * |        Integrity Check Value (ICV, padded: IPv6 to 8 octets,  |
 * |        IPv4 to 4)                                             |
 * +---------------------------------------------------------------+
 * Payload Len = AH length in 32-bit words - 2 (RFC 4302 2.2), e.g.
 * HMAC-SHA1-96: 24 bytes, 4; HMAC-SHA256-128: 28 bytes (IPv4, 5) or 32
 * (IPv6, 6: 4 octets of zero padding, RFC 4302 2.6 / 3.3.3.2.1).
 *
 * What the ICV covers (RFC 4302 3.3.3.1 and Appendix A), built as a list of
 * pieces (crypto_auth_v): copies of the few changed bytes, the rest of the
 * packet in place:
 *
 * IPv4: the header with TOS, flags + fragment offset, TTL and checksum
 *   zeroed. Options: EOL, NOP, Security (130), Extended Security (133),
 *   Commercial Security (134), Router Alert (148) and Sender Directed
 *   Multi-Destination Delivery (149) as they are; every other option
 *   zeroed whole, type and length included (RFC 4302 3.3.3.1.1.2: "the
 *   entire option is zeroed"), bytes after EOL as they are. Loose/strict
 *   source route (131/137) whose pointer is not past its length (route not
 *   yet exhausted, i.e. as the sender sends it): the destination address
 *   counts as the last address of the route, the final destination
 *   (3.3.3.1.1.1, mutable but predictable); once exhausted (as the final
 *   destination receives it) the destination field already holds it.
 *
 * IPv6: the header with traffic class, flow label and hop limit zeroed.
 *   Hop-by-Hop (only right after the IPv6 header) and Destination Options:
 *   the data of each option whose type has the change-en-route bit (0x20)
 *   zeroed, type and length kept (3.3.3.1.2.2). Routing header (at most
 *   one) as the final destination will see it: types 0 and 2 (RFC 6275
 *   6.4) with Segments Left n over k addresses: the IPv6 destination
 *   becomes the last address, the list keeps its first k-n entries, then
 *   the current destination, then the next n-1 entries, Segments Left 0;
 *   type 4 (SRH, RFC 8754): destination = Segment List[0], Segments Left
 *   0, the rest as it is. Segments Left 0 leaves everything unchanged, so
 *   the same rule serves output (not yet routed) and input (routed in
 *   place, or not). Any other type with Segments Left > 0 cannot be
 *   predicted: -EINVAL. Other headers (Fragment, ESP, AH, unknown) before
 *   the AH header: -EINVAL.
 *
 * Home Address option (type 201, only in a Destination Options header, at
 *   most one, length 16): RFC 6275 6.3 and 9.3.1: the receiver swaps it
 *   with the source before AH is verified, so the ICV is computed with
 *   source = home address and option data = care-of address. ah_output
 *   gets the wire form (source = care-of, option = home) and swaps on its
 *   copy. ah_input by default does the same: it expects the wire form.
 *   A caller whose Destination Options processing already swapped the
 *   addresses in place (the Linux way, and usagi's IPv6 input once Mobile
 *   IPv6 is configured: IP6_CB(p)->hao set) passes AH_IN_HAO_SWAPPED to
 *   ah_input_flags, as xfrm_type.c's ah_in does.
 *
 * Then the AH header with the ICV zeroed (padding as it is), everything
 * after it, and with ESN the high 32 bits of the sequence number appended
 * (RFC 4302 2.5.1, 3.3.3.1: included in the ICV, not sent).
 *
 * The IP length field must match the packet (IPv6 payload length + 40,
 * IPv4 total length = p->len; jumbograms are refused). At most
 * AH_MAX_PIECES pieces: a header chain with more than about 25 options
 * carrying the change-en-route bit is refused with -EINVAL.
 */
#ifndef USAGI_XFRM_AH_H
#define USAGI_XFRM_AH_H

#include "core/pkt.h"
#include "crypto/crypto.h"

struct stack;

#define AH_FIXED_LEN 12
#define AH_MAX_PIECES 64

struct ah_sa_params {
	uint32_t spi;           /* host order */
	bool esn;
	struct crypto_ctx *c;   /* an auth algorithm (enc "null" is ignored) */
};

/*
 * Bytes of the AH header for @family (AF_INET6 / AF_INET): 12 + ICV,
 * padded to 8 (IPv6) or 4 (IPv4). 0 for any other family.
 */
size_t ah_hdr_len(const struct ah_sa_params *sa, int family);

/*
 * p->data = the IPv6/IPv4 header of a packet whose length fields are final
 * and in which ah_hdr_len() bytes of room sit at offset @ahoff, already
 * named by the preceding next-header/protocol byte (51). Fills the AH
 * header (@next_header, length, reserved 0, SPI, low 32 bits of @seq, ICV,
 * zero padding). The packet is otherwise unchanged (mutable fields are
 * zeroed on a copy). The IPv4 header checksum is not touched: the caller
 * computes it (the ICV does not cover it).
 * 0, -EINVAL (malformed headers before @ahoff, no room, SA without an
 * integrity algorithm), -EIO (libgcrypt).
 */
int ah_output(const struct ah_sa_params *sa, struct pkt *p, size_t ahoff, uint8_t next_header,
	      uint64_t seq);

/* SPI and low sequence number of the AH header at p->data + @ahoff; 0 or -EMSGSIZE. */
int ah_peek(const struct pkt *p, size_t ahoff, uint32_t *spi, uint32_t *seq_lo);

/*
 * Verifies the AH header at p->data + @ahoff (p->data = the IP header as
 * received; a routing header routed in place or not, see above; a Home
 * Address option in its wire form) with @sa; @seq_hi as the replay window
 * inferred it (ESN, ignored otherwise). Returns the next header (0..255)
 * and *@ah_len, the bytes to cut; the packet is unchanged. Errors:
 * -EMSGSIZE (truncated: shorter than the header its length field claims),
 * -EPROTO (the length field disagrees with the SA's ICV size),
 * -EINVAL (malformed headers, SA without an integrity algorithm),
 * -EBADMSG (ICV mismatch, compared in constant time), -EIO.
 */
int ah_input(const struct ah_sa_params *sa, const struct pkt *p, size_t ahoff, uint32_t seq_hi,
	     size_t *ah_len);

/* ah_input flags. */
enum {
	/* The Home Address option was already swapped with the source in place. */
	AH_IN_HAO_SWAPPED = 1 << 0,
};
/* ah_input with AH_IN_* @flags. */
int ah_input_flags(const struct ah_sa_params *sa, const struct pkt *p, size_t ahoff,
		   uint32_t seq_hi, unsigned flags, size_t *ah_len);

/* Counts an ah_input/ah_output result in @st's ah_* counters. */
void ah_count_input(struct stack *st, int rc);
void ah_count_output(struct stack *st, int rc);

#endif
