/*
 * IPv6 reassembly (RFC 8200 4.5) with the later hardening: overlapping
 * fragments kill the whole datagram (RFC 5722), atomic fragments bypass the
 * queues (RFC 6946), the first fragment must hold the whole header chain
 * (RFC 7112). Queues are found by a keyed hash of (src, dst, id), bounded
 * in number and bytes, oldest evicted first.
 */
#include <stdlib.h>
#include "core/reasm.h"
#include "core/stack.h"
#include "ipv6/exthdr.h"
#include "ipv6/frag6.h"
#include "ipv6/icmp6.h"
#include "proto/ip6.h"

/* RFC 8200 4.5: 60 s after the first fragment arrived; Time Exceeded only if offset 0 came. */
static void frag6_expired(struct stack *st, const struct pkt *first)
{
	icmp6_send_error(st, first, ICMP6_TIME_EXCEEDED, ICMP6_TE_REASSEMBLY, 0);
}

static const struct reasm_ops frag6_ops = {
	.timeout_ns = FRAG6_TIMEOUT_NS,
	.max_queues = FRAG6_QUEUES_MAX,
	.st_overlap = STAT_frag6_overlap,
	.st_dup = STAT_frag6_dup,
	.st_inconsistent = STAT_frag6_inconsistent,
	.st_evict = STAT_frag6_evict,
	.st_timeout = STAT_frag6_timeout,
	.expired = frag6_expired,
};

int frag6_init(struct stack *st)
{
	st->ip6.reasm = reasm_table_new(st, &frag6_ops);
	return st->ip6.reasm ? 0 : -ENOMEM;
}

void frag6_fini(struct stack *st)
{
	reasm_table_free(st, st->ip6.reasm);
	st->ip6.reasm = NULL;
}

unsigned frag6_queue_count(const struct stack *st) { return st->ip6.reasm->count; }
size_t frag6_mem(const struct stack *st) { return st->ip6.reasm->mem; }

/* Smallest upper-layer header that RFC 7112 requires the first fragment to hold. */
static size_t upper_min_len(uint8_t proto)
{
	switch (proto) {
	case NH_UDP: return 8;
	case NH_TCP: return 20;
	case NH_ICMPV6: return 4;
	default: return 0;
	}
}

/* RFC 7112 5: the first fragment holds every header through the upper-layer one. */
static bool first_frag_complete(const struct pkt *p)
{
	const uint8_t *nh = pkt_nh(p);
	size_t len = (size_t)(p->data + p->len - nh), off;
	uint8_t proto;

	if (ip6_find_upper(nh, len, &proto, &off) < 0)
		return false;
	return off + upper_min_len(proto) <= len;
}

/* Removes the Fragment header at data in place (atomic fragments, RFC 6946). */
static void frag_strip(struct pkt *p, uint8_t *nxt)
{
	uint8_t *nh = pkt_nh(p);
	size_t unfrag = (size_t)(p->data - nh);
	uint8_t fnxt = p->data[0];

	nh[IP6_CB(p)->nhoff] = fnxt;
	put_be16(nh + 4, (uint16_t)(get_be16(nh + 4) - 8));
	memmove(nh + 8, nh, unfrag);
	p->nh += 8;
	pkt_pull(p, 8);
	*nxt = fnxt;
}

/*
 * Builds the datagram from a complete queue; the first fragment's security
 * path moves to it. NULL on ENOMEM.
 */
static struct pkt *fq_reassemble(struct stack *st, struct reasm_q *q, uint8_t *nxt)
{
	struct pkt *first = q->frags, *np, *f;
	const uint8_t *fnh = pkt_nh(first);
	size_t unfrag = (size_t)(first->data - 8 - fnh);
	uint16_t nhoff = IP6_CB(first)->nhoff;

	np = pkt_alloc(st->pool, PKT_HEADROOM, unfrag + q->total);
	if (!np)
		return NULL;
	memcpy(pkt_put(np, unfrag), fnh, unfrag);
	*nxt = first->data[-8];
	np->data[nhoff] = *nxt;
	put_be16(np->data + 4, (uint16_t)(unfrag - IPV6_HLEN + q->total));
	pkt_put(np, q->total);
	for (f = first; f; f = f->next)
		memcpy(np->data + unfrag + REASM_CB(f)->off, f->data, REASM_CB(f)->len);
	pkt_set_nh(np);
	pkt_pull(np, unfrag);
	np->dev = first->dev;
	np->tstamp = first->tstamp;
	np->flags = first->flags | PKT_F_REASSEMBLED;
	memcpy(np->cb, first->cb, sizeof(struct ip6_cb));
	IP6_CB(np)->flags |= IP6_CB_FRAG;
	reasm_take_sp(np, q);
	return np;
}

/* RFC 8200 4.5 / RFC 7112 checks that answer with a Parameter Problem. 0 or -1 (error sent). */
static int frag_check(struct stack *st, struct pkt *p, uint32_t off, bool more)
{
	uint32_t flen = p->len - 8, fhoff = (uint32_t)(p->data - pkt_nh(p));

	if (more && (flen % 8 || flen == 0)) {
		STAT_INC(st, frag6_bad_len);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_HEADER, 4);
		return -1;
	}
	if (fhoff - IPV6_HLEN + off + flen > 65535) {
		STAT_INC(st, frag6_too_long);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_HEADER, fhoff + 2);
		return -1;
	}
	if (off == 0 && !first_frag_complete(p)) {
		STAT_INC(st, frag6_first_incomplete);
		icmp6_send_error(st, p, ICMP6_PARAM_PROB, ICMP6_PP_FIRSTFRAG, 0);
		return -1;
	}
	return 0;
}

int frag6_input(struct stack *st, struct pkt **pp, uint8_t *nxt)
{
	struct pkt *p = *pp, *np;
	const struct ip6_frag *fh = pkt_header(p, 0, sizeof(*fh), NULL);
	struct reasm_q *q;
	struct reasm_key key;
	uint32_t off;
	bool more;

	STAT_INC(st, frag6_in);
	if (!fh) {
		STAT_INC(st, frag6_truncated);
		goto drop;
	}
	off = get_be16(fh->off_m) & 0xfff8;
	more = fh->off_m[1] & 1;
	if (off == 0 && !more) {
		STAT_INC(st, frag6_atomic);
		frag_strip(p, nxt);
		return EXT_CONTINUE;
	}
	if (frag_check(st, p, off, more) < 0)
		goto drop;
	memset(&key, 0, sizeof(key));
	memcpy(&key.id, fh->id, 4);
	key.src = ip6_addrs_of(pkt_nh(p)).src;
	key.dst = ip6_addrs_of(pkt_nh(p)).dst;
	q = reasm_get(st, st->ip6.reasm, &key);
	if (!q) {
		STAT_INC(st, frag6_nomem);
		goto drop;
	}
	if (q->dead) {
		STAT_INC(st, frag6_dead);
		goto drop;
	}
	pkt_pull(p, 8);
	if (reasm_insert(st, q, p, off, more) <= 0)
		return EXT_DONE;
	if (!reasm_complete(q)) {
		reasm_trim(st);
		return EXT_DONE;
	}
	np = fq_reassemble(st, q, nxt);
	reasm_destroy(st, q);
	if (!np) {
		STAT_INC(st, frag6_nomem);
		return EXT_DONE;
	}
	STAT_INC(st, frag6_ok);
	*pp = np;
	return EXT_CONTINUE;
drop:
	pkt_free(p);
	return EXT_DONE;
}

/* One fragment: unfragmentable part, Fragment header, @n bytes of payload from @off. */
static struct pkt *frag_build(struct stack *st, const struct pkt *p, size_t ulen, size_t nhoff,
			      uint32_t off, size_t n, bool more, uint32_t id)
{
	struct pkt *f = stack_pkt_alloc(st, ulen + 8 + n);
	uint8_t *d;

	if (!f)
		return NULL;
	d = pkt_put(f, ulen + 8 + n);
	memcpy(d, p->data, ulen);
	d[ulen] = p->data[nhoff];
	d[nhoff] = NH_FRAGMENT;
	put_be16(d + 4, (uint16_t)(ulen - IPV6_HLEN + 8 + n));
	d[ulen + 1] = 0;
	put_be16(d + ulen + 2, (uint16_t)(off | (more ? 1 : 0)));
	put_be32(d + ulen + 4, id);
	memcpy(d + ulen + 8, p->data + ulen + off, n);
	pkt_set_nh(f);
	f->flags = p->flags;
	return f;
}

int frag6_output(struct stack *st, struct pkt *p, struct netdev *dev,
		 const struct in6_addr *nexthop, uint32_t mtu)
{
	size_t nhoff, payload, chunk;
	int ulen = ip6_unfrag_len(p->data, p->len, &nhoff), rc = 0;
	uint32_t id;

	if (ulen < 0 || mtu < (size_t)ulen + 16) {
		STAT_INC(st, ip6_out_frag_fail);
		pkt_free(p);
		return ulen < 0 ? -EINVAL : -EMSGSIZE;
	}
	payload = p->len - (size_t)ulen;
	chunk = (mtu - (size_t)ulen - 8) & ~(size_t)7;
	/* RFC 7739: identifications need not be unique per destination, only unpredictable in start. */
	id = st->ip6.frag_id++;
	for (size_t off = 0; off < payload && rc == 0; off += chunk) {
		size_t n = MIN(chunk, payload - off);
		struct pkt *f = frag_build(st, p, (size_t)ulen, nhoff, (uint32_t)off, n,
					   off + n < payload, id);

		if (!f) {
			STAT_INC(st, ip6_out_frag_fail);
			rc = -ENOBUFS;
			break;
		}
		STAT_INC(st, ip6_out_frag_created);
		rc = nd6_output(st, dev, nexthop, f);
	}
	if (rc == 0)
		STAT_INC(st, ip6_out_frag_ok);
	pkt_free(p);
	return rc;
}
