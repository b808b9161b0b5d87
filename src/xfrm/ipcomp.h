/*
 * IPComp codec (RFC 3173) with DEFLATE (RFC 2394) through crypto_comp
 * (libdeflate): no replay window, no integrity; the SAD is the caller's.
 *
 *  0                   1                   2                   3
 * +---------------+---------------+-------------------------------+
 * | Next Header   |     Flags     |  Compression Parameter Index  |
 * |                  compressed payload ...                       |
 * +---------------------------------------------------------------+
 */
#ifndef USAGI_XFRM_IPCOMP_H
#define USAGI_XFRM_IPCOMP_H

#include "core/pkt.h"
#include "crypto/crypto.h"

struct stack;

#define IPCOMP_HDR_LEN 4
#define IPCOMP_THRESHOLD_DEFAULT 90   /* payloads shorter than this are sent as they are (RFC 2394 2: ~90 octets) */

/*
 * Compresses the payload at p->data (@len = p->len bytes: the transport
 * header onwards, or the inner packet in tunnel mode) in place and pushes
 * the IPComp header (@next_header, @cpi). Returns 1 when compressed; 0
 * when the payload is shorter than @threshold or its compressed form is
 * not smaller (RFC 3173 2.2): @p is then unchanged and goes uncompressed,
 * without an IPComp header; -ENOBUFS (no headroom), -ENOMEM.
 */
int ipcomp_output(struct crypto_comp *z, uint16_t cpi, struct pkt *p, uint8_t next_header,
		  size_t threshold);

/* CPI of the IPComp header at p->data; 0 or -EMSGSIZE. */
int ipcomp_peek(const struct pkt *p, uint16_t *cpi);

/*
 * Decompresses the IPComp packet at (*pp)->data. The result can be larger
 * than the buffer: then *@pp is replaced by a new packet (from @st's pool or
 * malloc, up to 65535 bytes) holding the same bytes from head to data
 * (headers before IPComp, same offsets for nh), the same metadata (dev,
 * flags, cb, security path moved) and the decompressed payload at data;
 * the old one is freed. Returns the next header, or -EMSGSIZE (truncated,
 * or inflates beyond 65535 - headers), -EBADMSG (corrupt stream), -ENOMEM.
 * On error *@pp is still valid (drop it).
 */
int ipcomp_input(struct stack *st, struct crypto_comp *z, struct pkt **pp);

void ipcomp_count_input(struct stack *st, int rc);
void ipcomp_count_output(struct stack *st, int rc);

#endif
