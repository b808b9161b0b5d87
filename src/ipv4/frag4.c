/*
 * IPv4 reassembly (RFC 791 3.2) on the queues shared with IPv6
 * (core/reasm.c): keyed by (src, dst, id, protocol) with the sources and
 * destinations as IPv4-mapped addresses; any overlap drops the whole
 * datagram, the rule RFC 5722 made for IPv6 — overlapping IPv4 fragments
 * have no legitimate use either, only evasion; a 30 s timeout with Time
 * Exceeded code 1 if the first fragment came (RFC 792, RFC 1122 3.3.2);
 * one memory budget with IPv6. And output fragmentation (RFC 791 3.2).
 */
#include "core/reasm.h"
#include "core/stack.h"
#include "ipv4/arp.h"
#include "ipv4/frag4.h"
#include "ipv4/icmp4.h"
#include "proto/ip4.h"

static void frag4_expired(struct stack *st, const struct pkt *first)
{
	icmp4_send_error(st, first, ICMP4_TIME_EXCEEDED, ICMP4_TE_REASSEMBLY, 0);
}

static const struct reasm_ops frag4_ops = {
	.timeout_ns = FRAG4_TIMEOUT_NS,
	.max_queues = FRAG4_QUEUES_MAX,
	.st_overlap = STAT_frag4_overlap,
	.st_dup = STAT_frag4_dup,
	.st_inconsistent = STAT_frag4_inconsistent,
	.st_evict = STAT_frag4_evict,
	.st_timeout = STAT_frag4_timeout,
	.expired = frag4_expired,
};

int frag4_init(struct stack *st)
{
	st->ip4.reasm = reasm_table_new(st, &frag4_ops);
	return st->ip4.reasm ? 0 : -ENOMEM;
}

void frag4_fini(struct stack *st)
{
	reasm_table_free(st, st->ip4.reasm);
	st->ip4.reasm = NULL;
}

unsigned frag4_queue_count(const struct stack *st) { return st->ip4.reasm->count; }
size_t frag4_mem(const struct stack *st) { return st->ip4.reasm->mem; }

/* The datagram from a complete queue: the first fragment's header, MF and offset cleared. */
static struct pkt *fq4_reassemble(struct stack *st, struct reasm_q *q)
{
	struct pkt *first = q->frags, *np, *f;
	const uint8_t *fnh = pkt_nh(first);
	size_t hlen = (size_t)(fnh[0] & 0x0f) * 4;
	uint8_t *h;

	np = pkt_alloc(st->pool, PKT_HEADROOM, hlen + q->total);
	if (!np)
		return NULL;
	h = pkt_put(np, hlen + q->total);
	memcpy(h, fnh, hlen);
	for (f = first; f; f = f->next)
		memcpy(h + hlen + REASM_CB(f)->off, f->data, REASM_CB(f)->len);
	put_be16(h + 2, (uint16_t)(hlen + q->total));
	put_be16(h + 6, get_be16(h + 6) & IP4_DF);
	ip4_set_csum(h, hlen);
	pkt_set_nh(np);
	np->dev = first->dev;
	np->tstamp = first->tstamp;
	np->flags = first->flags | PKT_F_REASSEMBLED;
	memcpy(np->cb, first->cb, sizeof(struct ip4_cb));
	IP4_CB(np)->flags |= IP4_CB_REASM;
	reasm_take_sp(np, q);
	return np;
}

static void frag4_key(struct reasm_key *k, const uint8_t *h)
{
	memset(k, 0, sizeof(*k));
	ip4_to_mapped(&k->src, ip4_get(h + 12));
	ip4_to_mapped(&k->dst, ip4_get(h + 16));
	k->id = get_be16(h + 4);
	k->proto = h[9];
}

int frag4_input(struct stack *st, struct pkt **pp)
{
	struct pkt *p = *pp;
	const uint8_t *h = pkt_nh(p);
	size_t hlen = (size_t)(h[0] & 0x0f) * 4, plen = p->len - hlen;
	uint32_t off = (uint32_t)(get_be16(h + 6) & IP4_OFFMASK) * 8;
	bool more = get_be16(h + 6) & IP4_MF;
	struct reasm_key key;
	struct reasm_q *q;

	STAT_INC(st, frag4_in);
	/* RFC 791 3.2: every fragment but the last carries a multiple of 8 octets. */
	if (more && (plen % 8 || plen == 0)) {
		STAT_INC(st, frag4_bad_len);
		goto drop;
	}
	if (hlen + off + plen > 65535) {
		STAT_INC(st, frag4_too_long);
		goto drop;
	}
	frag4_key(&key, h);
	q = reasm_get(st, st->ip4.reasm, &key);
	if (!q) {
		STAT_INC(st, frag4_nomem);
		goto drop;
	}
	if (q->dead) {
		STAT_INC(st, frag4_dead);
		goto drop;
	}
	pkt_pull(p, hlen);
	if (reasm_insert(st, q, p, off, more) <= 0)
		return 0;
	if (!reasm_complete(q)) {
		reasm_trim(st);
		return 0;
	}
	*pp = fq4_reassemble(st, q);
	reasm_destroy(st, q);
	if (!*pp) {
		STAT_INC(st, frag4_nomem);
		return 0;
	}
	STAT_INC(st, frag4_ok);
	return 1;
drop:
	pkt_free(p);
	return 0;
}

/* One fragment: header @hdr (@hlen bytes), @n payload bytes from @off of @p's payload. */
static struct pkt *frag4_build(struct stack *st, const struct pkt *p, const uint8_t *hdr,
			       size_t hlen, size_t off, size_t n, uint16_t fo)
{
	size_t phlen = (size_t)(p->data[0] & 0x0f) * 4;
	struct pkt *f = stack_pkt_alloc(st, hlen + n);
	uint8_t *d;

	if (!f)
		return NULL;
	d = pkt_put(f, hlen + n);
	memcpy(d, hdr, hlen);
	d[0] = (uint8_t)(0x40 | hlen / 4);
	put_be16(d + 2, (uint16_t)(hlen + n));
	put_be16(d + 6, fo);
	ip4_set_csum(d, hlen);
	memcpy(d + hlen, p->data + phlen + off, n);
	pkt_set_nh(f);
	f->flags = p->flags;
	return f;
}

int frag4_output(struct stack *st, struct pkt *p, struct netdev *dev, uint32_t nexthop,
		 uint32_t mtu)
{
	size_t hlen = (size_t)(p->data[0] & 0x0f) * 4, payload = p->len - hlen, off, n, hl, chunk;
	uint16_t fo0 = get_be16(p->data + 6);
	uint8_t rest[60];
	size_t rlen = IPV4_HLEN + ip4_opts_copied(p->data + IPV4_HLEN, hlen - IPV4_HLEN,
						  rest + IPV4_HLEN);
	int rc = 0;

	memcpy(rest, p->data, IPV4_HLEN);
	if (mtu < hlen + 8) {
		STAT_INC(st, ip4_out_frag_fail);
		pkt_free(p);
		return -EMSGSIZE;
	}
	/* A fragment being fragmented again keeps its offset and, on the last piece, its MF. */
	for (off = 0; off < payload && rc == 0; off += n) {
		const uint8_t *hdr = off ? rest : p->data;
		uint16_t fo;
		struct pkt *f;

		hl = off ? rlen : hlen;
		chunk = (mtu - hl) & ~(size_t)7;
		n = MIN(chunk, payload - off);
		fo = (uint16_t)((fo0 & IP4_OFFMASK) + off / 8);
		if (off + n < payload || (fo0 & IP4_MF))
			fo |= IP4_MF;
		f = frag4_build(st, p, hdr, hl, off, n, fo);
		if (!f) {
			STAT_INC(st, ip4_out_frag_fail);
			rc = -ENOBUFS;
			break;
		}
		STAT_INC(st, ip4_out_frag_created);
		rc = arp_output(st, dev, nexthop, f);
	}
	if (rc == 0)
		STAT_INC(st, ip4_out_frag_ok);
	pkt_free(p);
	return rc;
}
