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
 *
 * The ICV covers the IP header with its mutable fields zeroed (IPv4: TOS,
 * flags and fragment offset, TTL, header checksum, mutable options; IPv6:
 * traffic class, flow label, hop limit, the data of options whose type has
 * the change-en-route bit), a routing header as the destination will see
 * it, a Home Address option as the receiver sees it once swapped (RFC 6275
 * 6.3: source = home address, option = care-of address), the AH header
 * with the ICV zeroed, everything after it, and with ESN the high 32 bits
 * of the sequence number appended (RFC 4302 3.3.3.1).
 */
#ifndef USAGI_XFRM_AH_H
#define USAGI_XFRM_AH_H

#include "core/pkt.h"
#include "crypto/crypto.h"

struct stack;

#define AH_FIXED_LEN 12

struct ah_sa_params {
	uint32_t spi;           /* host order */
	bool esn;
	struct crypto_ctx *c;   /* an auth algorithm (enc "null" is ignored) */
};

/* Bytes of the AH header for @family (AF_INET6 / AF_INET): 12 + ICV, padded. */
size_t ah_hdr_len(const struct ah_sa_params *sa, int family);

/*
 * p->data = the IPv6/IPv4 header of a packet whose length fields are final
 * and in which ah_hdr_len() bytes of room sit at offset @ahoff, already
 * named by the preceding next-header/protocol byte. Fills the AH header
 * (@next_header, length, SPI, low 32 bits of @seq) and its ICV. The packet
 * is otherwise unchanged (mutable fields are zeroed on a copy).
 * 0, -EINVAL (malformed headers before @ahoff), -EIO (libgcrypt).
 */
int ah_output(const struct ah_sa_params *sa, struct pkt *p, size_t ahoff, uint8_t next_header,
	      uint64_t seq);

/* SPI and low sequence number of the AH header at p->data + @ahoff; 0 or -EMSGSIZE. */
int ah_peek(const struct pkt *p, size_t ahoff, uint32_t *spi, uint32_t *seq_lo);

/*
 * Verifies the AH header at p->data + @ahoff (p->data = the IP header as
 * received, IPv6 routing already processed) with @sa; @seq_hi as the
 * replay window inferred it (ESN). Returns the next header (0..255) and
 * *@ah_len, the bytes to cut; the packet is unchanged. Errors:
 * -EMSGSIZE (truncated, or the length field disagrees with the ICV size),
 * -EINVAL (malformed headers), -EBADMSG (ICV mismatch, constant time),
 * -EIO.
 */
int ah_input(const struct ah_sa_params *sa, const struct pkt *p, size_t ahoff, uint32_t seq_hi,
	     size_t *ah_len);

/* Counts an ah_input/ah_output result in @st's ah_* counters. */
void ah_count_input(struct stack *st, int rc);
void ah_count_output(struct stack *st, int rc);

#endif
