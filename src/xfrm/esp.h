/*
 * ESP codec (RFC 4303) on struct pkt, independent of the SAD: the caller
 * owns the SA, the sequence numbers and the replay window, and passes what
 * the codec needs in struct esp_sa_params.
 *
 *  0                   1                   2                   3
 * +---------------------------------------------------------------+
 * |               Security Parameters Index (SPI)                 |
 * |                    Sequence Number (low 32)                   |
 * |                IV (iv_len bytes, may be 0)                    |
 * |                Payload Data (the inner packet)                |
 * |         Padding (1,2,3,...) | Pad Length | Next Header        |
 * |                ICV (icv_len bytes, may be 0)                  |
 * +---------------------------------------------------------------+
 */
#ifndef USAGI_XFRM_ESP_H
#define USAGI_XFRM_ESP_H

#include "core/pkt.h"
#include "crypto/crypto.h"

struct stack;

#define ESP_HDR_LEN 8
#define ESP_TRAILER_LEN 2       /* pad length + next header */
#define ESP_NH_DUMMY 59         /* RFC 4303 2.6: dummy packet, drop silently */

struct esp_sa_params {
	uint32_t spi;           /* host order */
	bool esn;               /* 64-bit sequence numbers (RFC 4303 2.2.1) */
	struct crypto_ctx *c;
};

/* Headroom esp_encap needs in front of the payload: header + IV. Inline: asked per packet. */
static inline size_t esp_encap_headroom(const struct esp_sa_params *sa)
{
	return ESP_HDR_LEN + crypto_ctx_geom(sa->c)->iv_len;
}

/*
 * Tailroom esp_encap needs after a payload of @len bytes: padding (RFC
 * 4303 2.4: payload + pad length + next header to a multiple of the
 * block, a power of two for every cipher), trailer, ICV.
 */
static inline size_t esp_encap_tailroom(const struct esp_sa_params *sa, size_t len)
{
	const struct crypto_geom *g = crypto_ctx_geom(sa->c);
	size_t blk = g->block, ct = len + ESP_TRAILER_LEN;

	ct = (blk & (blk - 1)) == 0 ? (ct + blk - 1) & ~(blk - 1) : (ct + blk - 1) / blk * blk;
	return ct - len + g->icv_len;
}

/*
 * Encapsulates the payload at p->data (an inner IP packet in tunnel mode,
 * the transport header in transport mode): pushes the ESP header and IV,
 * appends padding (1, 2, 3, ...), pad length, @next_header and the ICV, and
 * encrypts. @seq is the full sequence number: its low 32 bits go on the
 * wire, the high 32 bits into the ICV/AAD when sa->esn (RFC 4303 2.2.1,
 * RFC 4106 5). On return p->data is the ESP header.
 * 0; -ENOBUFS when headroom or tailroom is short (the packet is unchanged);
 * -EIO when libgcrypt fails. Does not consume @p.
 */
int esp_encap(const struct esp_sa_params *sa, struct pkt *p, uint8_t next_header, uint64_t seq);
/* esp_encap with a given IV (iv_len bytes) instead of the SA's: known-answer tests. */
int esp_encap_iv(const struct esp_sa_params *sa, struct pkt *p, uint8_t next_header,
		 uint64_t seq, const uint8_t *iv);

/*
 * Reads the SPI and the low 32 bits of the sequence number of the ESP
 * packet at p->data, before any crypto, so the caller can find the SA and
 * check its replay window first (RFC 4303 3.4.3). 0 or -EMSGSIZE (truncated).
 */
int esp_peek(const struct pkt *p, uint32_t *spi, uint32_t *seq_lo);

/*
 * Decapsulates the ESP packet at p->data with @sa: verifies the ICV (constant
 * time) before decrypting, except for AEADs whose tag is checked by the
 * decryption itself, then checks the padding. @seq_hi are the high 32 bits
 * of the sequence number as the caller's replay window inferred them (RFC
 * 4303 Appendix A); ignored unless sa->esn.
 * On success returns the next header (0..255) and leaves p->data at the
 * inner payload, trimmed of padding, trailer and ICV. ESP_NH_DUMMY (59)
 * means a dummy packet: drop it silently (count it, no ICMP, no log).
 * Errors (the packet content is then undefined; drop it):
 *   -EMSGSIZE  shorter than header + IV + trailer + ICV, or ciphertext not
 *              a multiple of the cipher block;
 *   -EBADMSG   ICV mismatch;
 *   -EINVAL    pad length beyond the payload, or padding not 1, 2, 3, ...
 *   -EIO       libgcrypt failed.
 * Does not consume @p.
 */
int esp_decap(const struct esp_sa_params *sa, struct pkt *p, uint32_t seq_hi);

/* Counts an esp_decap/esp_encap result in @st's esp_* counters (dummy included). */
void esp_count_input(struct stack *st, int rc);
void esp_count_output(struct stack *st, int rc);

#endif
