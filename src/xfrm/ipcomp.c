/* IPComp (RFC 3173) with DEFLATE (RFC 2394) on struct pkt. */
#include "xfrm/ipcomp.h"

#include <stdlib.h>

#include "core/stack.h"

/*
 * Output scratch: libdeflate cannot compress in place. The packet's own
 * tailroom is free memory as long as it holds the largest useful result;
 * otherwise (MTU-sized payloads in pool buffers, large malloc-backed ones)
 * a heap buffer of that size, because a stack array big enough for a 64 KiB
 * datagram would not fit small thread stacks and a per-stack or per-SA
 * buffer would need state outside this module. One malloc per packet is
 * small beside deflating it.
 */
int ipcomp_output(struct crypto_comp *z, uint16_t cpi, struct pkt *p, uint8_t next_header,
		  size_t threshold)
{
	size_t len = p->len, out_max;
	uint8_t *scratch, *heap = NULL, *hdr;
	int n;

	if (len < threshold || len <= IPCOMP_HDR_LEN + 1)
		return 0;
	if (pkt_headroom(p) < IPCOMP_HDR_LEN)
		return -ENOBUFS;
	/* RFC 3173 2.2: only a result with its header smaller than the payload is sent. */
	out_max = len - IPCOMP_HDR_LEN - 1;
	if (pkt_tailroom(p) >= out_max) {
		scratch = p->data + len;
	} else {
		scratch = heap = malloc(out_max);
		if (!heap)
			return -ENOMEM;
	}
	/* -ENOSPC: not smaller; any other failure also leaves the payload to go as it is. */
	n = crypto_compress(z, p->data, len, scratch, out_max);
	if (n > 0) {
		hdr = pkt_push(p, IPCOMP_HDR_LEN);
		hdr[0] = next_header;
		hdr[1] = 0;     /* RFC 3173 3.3: flags reserved, sent as zero */
		put_be16(hdr + 2, cpi);
		memmove(hdr + IPCOMP_HDR_LEN, scratch, (size_t)n);
		pkt_trim(p, IPCOMP_HDR_LEN + (size_t)n);
	}
	free(heap);
	return n > 0;
}

int ipcomp_peek(const struct pkt *p, uint16_t *cpi)
{
	const uint8_t *h = pkt_header(p, 0, IPCOMP_HDR_LEN, NULL);

	if (!h)
		return -EINVAL;
	*cpi = get_be16(h + 2);
	return 0;
}

/*
 * RFC 791 / RFC 8200: the datagram's length field is 16 bits, and the
 * headers from nh to the IPComp header stay in front of the payload. For
 * IPv6 this is 40 bytes stricter than the payload length allows; Linux
 * inflates into 65400 bytes at most, so no real peer sends more.
 */
static size_t inflate_limit(const struct pkt *p)
{
	size_t hr = pkt_headroom(p), hl = 0;

	if (p->nh >= 0 && (size_t)p->nh <= hr)
		hl = hr - (size_t)p->nh;
	return hl < IPCOMP_MAX_DATAGRAM ? IPCOMP_MAX_DATAGRAM - hl : 0;
}

static int inflate_err(int rc)
{
	return rc == -EMSGSIZE ? rc : -EBADMSG;
}

/* Past a pool buffer: inflate into a heap scratch, then a packet sized to the result. */
static int inflate_large(struct stack *st, struct crypto_comp *z, const struct pkt *p,
			 size_t limit, struct pkt **out)
{
	uint8_t *buf = malloc(limit);
	struct pkt *q;
	int n;

	if (!buf)
		return -ENOMEM;
	n = crypto_decompress(z, p->data + IPCOMP_HDR_LEN, p->len - IPCOMP_HDR_LEN, buf, limit);
	if (n < 0) {
		free(buf);
		return inflate_err(n);
	}
	q = pkt_alloc(st->pool, pkt_headroom(p), (size_t)n);
	if (q)
		memcpy(pkt_put(q, (size_t)n), buf, (size_t)n);
	free(buf);
	if (!q)
		return -ENOMEM;
	*out = q;
	return 0;
}

/*
 * Inflates the payload of @p into a new packet with the same headroom.
 * Most results fit a pool buffer: inflate straight into one. A stream that
 * fills it is inflated again into inflate_large's scratch: only datagrams
 * over ~1.8 KB pay for the second pass, and they came reassembled anyway.
 */
static int inflate_pkt(struct stack *st, struct crypto_comp *z, const struct pkt *p,
		       struct pkt **out)
{
	size_t hr = pkt_headroom(p), limit = inflate_limit(p), small;
	struct pkt *q;
	int n;

	if (!limit)
		return -EMSGSIZE;
	if (hr >= PKT_BUF_SIZE)
		return inflate_large(st, z, p, limit, out);
	small = PKT_BUF_SIZE - hr < limit ? PKT_BUF_SIZE - hr : limit;
	q = pkt_alloc(st->pool, hr, small);
	if (!q)
		return -ENOMEM;
	n = crypto_decompress(z, p->data + IPCOMP_HDR_LEN, p->len - IPCOMP_HDR_LEN,
			      q->data, small);
	if (n >= 0) {
		pkt_put(q, (size_t)n);
		*out = q;
		return 0;
	}
	pkt_free(q);
	if (n != -EMSGSIZE || small == limit)
		return inflate_err(n);
	return inflate_large(st, z, p, limit, out);
}

/* Gives @q (data at the same offset) everything of @old but the payload, and frees @old. */
static void transplant(struct pkt *q, struct pkt *old)
{
	memcpy(q->head, old->head, pkt_headroom(old));
	q->dev = old->dev;
	q->nh = old->nh;
	q->th = old->th;
	q->flags = old->flags;
	q->tstamp = old->tstamp;
	memcpy(q->cb, old->cb, sizeof(q->cb));
	/* The references move with the array: no hold here, none dropped by freeing @old. */
	q->sp_len = old->sp_len;
	memcpy(q->sp, old->sp, old->sp_len * sizeof(q->sp[0]));
	old->sp_len = 0;
	pkt_free(old);
}

int ipcomp_input(struct stack *st, struct crypto_comp *z, struct pkt **pp)
{
	struct pkt *p = *pp, *q = NULL;
	/* Header and at least one byte: the shortest DEFLATE stream is two. */
	const uint8_t *h = pkt_header(p, 0, IPCOMP_HDR_LEN + 1, NULL);
	uint8_t nh;
	int rc;

	if (!h)
		return -EINVAL;
	nh = h[0];
	rc = inflate_pkt(st, z, p, &q);
	if (rc < 0)
		return rc;
	transplant(q, p);
	*pp = q;
	return nh;
}

void ipcomp_count_input(struct stack *st, int rc)
{
	switch (rc) {
	case -EINVAL: STAT_INC(st, ipcomp_in_truncated); break;
	case -EMSGSIZE: STAT_INC(st, ipcomp_in_too_big); break;
	case -ENOMEM: STAT_INC(st, ipcomp_in_nomem); break;
	default:
		if (rc < 0)
			STAT_INC(st, ipcomp_in_corrupt);
		else
			STAT_INC(st, ipcomp_in_ok);
	}
}

void ipcomp_count_output(struct stack *st, int rc)
{
	if (rc > 0)
		STAT_INC(st, ipcomp_out_compressed);
	else if (rc == 0)
		STAT_INC(st, ipcomp_out_uncompressed);
	else if (rc == -ENOBUFS)
		STAT_INC(st, ipcomp_out_nobufs);
	else
		STAT_INC(st, ipcomp_out_nomem);
}
