/* Inside the AH codec: the ICV input as a list of pieces (ah_mutable.c). */
#ifndef USAGI_XFRM_AH_PRIV_H
#define USAGI_XFRM_AH_PRIV_H

#include "xfrm/ah.h"

/* Room for the changed bytes: an IPv4 header with options (60), or the
 * IPv6 header (40) + a routing header's first 8 bytes; ESN high bits (4). */
#define AH_SCRATCH 72

/* The packet and what the ICV input depends on. */
struct ah_layout {
	const uint8_t *pkt;      /* the IP header */
	size_t len;              /* packet bytes (must equal the IP length field) */
	size_t ahoff;            /* AH header offset */
	size_t ah_len;           /* AH header bytes, padding included */
	size_t icv_len;
	bool esn;
	uint32_t seq_hi;
	bool swap_hao;           /* the Home Address option is in its wire form */
};

/*
 * The ICV input as pieces. Bytes of the packet not yet emitted start at
 * pkt + cur; changed bytes live in scratch (filled in before the MAC runs,
 * so the IPv6 header copy can still be edited once a routing header or a
 * Home Address option is met further on).
 */
struct ah_icv {
	struct crypto_iov v[AH_MAX_PIECES];
	size_t n;
	const uint8_t *pkt;
	size_t cur;
	size_t used;
	uint8_t scratch[AH_SCRATCH];
};

/*
 * Fills @b with the ICV input of @l (RFC 4302 3.3.3, see ah.h): the IP
 * header chain up to the AH header with mutable fields zeroed and
 * predictable ones in their final form, the AH header with a zero ICV,
 * the rest of the packet, the ESN high bits. Reads only l->pkt[0, l->len),
 * which the caller checked holds the whole AH header. 0 or -EINVAL.
 */
int ah_icv_build(struct ah_icv *b, const struct ah_layout *l);

#endif
