/*
 * IPComp codec (RFC 3173) with DEFLATE (RFC 2394) through crypto_comp
 * (libdeflate): no replay window, no integrity; the SAD is the caller's.
 *
 *  0                   1                   2                   3
 * +---------------+---------------+-------------------------------+
 * | Next Header   |     Flags     |  Compression Parameter Index  |
 * |                  compressed payload ...                       |
 * +---------------------------------------------------------------+
 *
 * Error codes, one per drop reason so ipcomp_count_input can tell them
 * apart: -EINVAL truncated (shorter than the header, or no payload),
 * -EBADMSG corrupt stream, -EMSGSIZE inflates too far, -ENOMEM.
 */
#ifndef USAGI_XFRM_IPCOMP_H
#define USAGI_XFRM_IPCOMP_H

#include "core/pkt.h"
#include "crypto/crypto.h"

struct stack;

#define IPCOMP_HDR_LEN 4
#define IPCOMP_THRESHOLD_DEFAULT 90   /* payloads shorter than this are sent as they are (RFC 2394 2: ~90 octets) */
#define IPCOMP_MAX_DATAGRAM 65535     /* IPv4 total length / IPv6 payload length: 16 bits */

/*
 * Compresses the payload at p->data (@len = p->len bytes: the transport
 * header onwards, or the inner packet in tunnel mode) in place and pushes
 * the IPComp header (@next_header, flags 0, @cpi). Returns 1 when
 * compressed (p->data at the IPComp header); 0 when the payload is shorter
 * than @threshold or its compressed form plus the header is not smaller
 * (RFC 3173 2.2): @p is then unchanged and goes uncompressed, without an
 * IPComp header; -ENOBUFS (fewer than IPCOMP_HDR_LEN bytes of headroom),
 * -ENOMEM (no scratch buffer); @p is unchanged on every error.
 * Scratch: the packet's own tailroom when it can hold the largest useful
 * result (p->len - 5 bytes), else a malloc'd buffer of that size, freed
 * before returning. Does not consume @p.
 */
int ipcomp_output(struct crypto_comp *z, uint16_t cpi, struct pkt *p, uint8_t next_header,
		  size_t threshold);

/* CPI of the IPComp header at p->data; 0 or -EINVAL (truncated). */
int ipcomp_peek(const struct pkt *p, uint16_t *cpi);

/*
 * Decompresses the IPComp packet at (*pp)->data. The payload replaces the
 * IPComp header: on success data keeps its offset from head, so the headers
 * before it (from nh) stay where they were and the caller only fixes their
 * next-header byte and lengths. The result always lands in a new packet
 * (inflate cannot run in place, and its target doubles as the packet):
 * from @st's pool when it fits a pool buffer, else malloc-backed and sized
 * to the result. The new packet holds the same bytes from head to data
 * (same offsets for nh and th), the same dev, flags, tstamp and cb, and
 * the security path moved without new references; the old one is freed
 * and *@pp replaced, so pointers into the old packet are stale.
 * Returns the next header, or -EINVAL (truncated), -EMSGSIZE (inflates
 * beyond IPCOMP_MAX_DATAGRAM less the bytes from nh to data, or less
 * nothing when nh is unset), -EBADMSG (corrupt stream), -ENOMEM. On
 * error *@pp is the unchanged original (drop it). The flags byte is
 * ignored (RFC 3173 3.3); the CPI is the caller's (ipcomp_peek).
 */
int ipcomp_input(struct stack *st, struct crypto_comp *z, struct pkt **pp);

/* Counts an ipcomp_peek/ipcomp_input result, or an ipcomp_output one, in @st's ipcomp_* counters. */
void ipcomp_count_input(struct stack *st, int rc);
void ipcomp_count_output(struct stack *st, int rc);

#endif
