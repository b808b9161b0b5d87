/*
 * IPv6 reassembly (RFC 8200 4.5) with the later hardening: overlapping
 * fragments kill the whole datagram (RFC 5722), atomic fragments bypass the
 * queues (RFC 6946), the first fragment must hold the whole header chain
 * (RFC 7112). Queues are found by a keyed hash of (src, dst, id), bounded
 * in number and bytes, oldest evicted first.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/exthdr.h"
#include "ipv6/frag6.h"
#include "ipv6/icmp6.h"
#include "proto/ip6.h"

#define FRAG6_BUCKETS 256

/* Per-fragment state in pkt->cb while queued; data = fragment payload. */
struct frag6_cb {
	struct ip6_cb ip6;
	uint32_t off;
	uint32_t len;
};
#define FRAG6_CB(p) ((struct frag6_cb *)(p)->cb)
_Static_assert(sizeof(struct frag6_cb) <= sizeof(((struct pkt *)0)->cb), "cb too small");

struct frag6_q {
	struct dlist hnode;        /* bucket chain */
	struct dlist lru;          /* table->lru, oldest first */
	struct stack *st;
	struct in6_addr src, dst;
	uint32_t id;
	struct pkt *frags;         /* sorted by offset */
	uint32_t total;            /* datagram end, 0 until the last fragment */
	uint32_t meat;             /* fragmentable bytes held */
	size_t mem;
	bool dead;                 /* overlap seen: drop the rest of its fragments */
	struct timer timer;
};

struct frag6_table {
	struct dlist buckets[FRAG6_BUCKETS];
	struct dlist lru;
	unsigned count;
	size_t mem;
};

int frag6_init(struct stack *st)
{
	struct frag6_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < FRAG6_BUCKETS; i++)
		dlist_init(&t->buckets[i]);
	dlist_init(&t->lru);
	st->ip6.reasm = t;
	return 0;
}

static void fq_free_frags(struct frag6_table *t, struct frag6_q *q)
{
	pkt_free_chain(q->frags);
	q->frags = NULL;
	t->mem -= q->mem;
	q->mem = 0;
	q->meat = 0;
}

static void fq_destroy(struct stack *st, struct frag6_q *q)
{
	struct frag6_table *t = st->ip6.reasm;

	stack_timer_cancel(st, &q->timer);
	fq_free_frags(t, q);
	dlist_del(&q->hnode);
	dlist_del(&q->lru);
	t->count--;
	free(q);
}

void frag6_fini(struct stack *st)
{
	struct frag6_table *t = st->ip6.reasm;
	struct dlist *pos, *tmp;

	if (!t)
		return;
	dlist_for_each_safe(pos, tmp, &t->lru)
		fq_destroy(st, dlist_entry(pos, struct frag6_q, lru));
	free(t);
	st->ip6.reasm = NULL;
}

unsigned frag6_queue_count(const struct stack *st) { return st->ip6.reasm->count; }
size_t frag6_mem(const struct stack *st) { return st->ip6.reasm->mem; }

/* RFC 8200 4.5: 60 s after the first fragment arrived; Time Exceeded only if offset 0 came. */
static void fq_expire(struct stack *st, struct timer *tm)
{
	struct frag6_q *q = container_of(tm, struct frag6_q, timer);

	if (!q->dead) {
		STAT_INC(st, frag6_timeout);
		if (q->frags && FRAG6_CB(q->frags)->off == 0)
			icmp6_send_error(st, q->frags, ICMP6_TIME_EXCEEDED, ICMP6_TE_REASSEMBLY, 0);
	}
	fq_destroy(st, q);
}

static struct dlist *fq_bucket(struct stack *st, const struct ip6_addrs *ap, uint32_t id)
{
	const struct ip6_addrs a = *ap;
	uint8_t key[36];

	memcpy(key, &a.src, 16);
	memcpy(key + 16, &a.dst, 16);
	memcpy(key + 32, &id, 4);
	return &st->ip6.reasm->buckets[siphash13(&st->hkey, key, sizeof(key)) % FRAG6_BUCKETS];
}

static struct frag6_q *fq_get(struct stack *st, const struct ip6_addrs *ap, uint32_t id)
{
	const struct ip6_addrs a = *ap;
	struct frag6_table *t = st->ip6.reasm;
	struct dlist *b = fq_bucket(st, ap, id), *pos, *tmp;
	struct frag6_q *q;

	dlist_for_each_safe(pos, tmp, b) {
		q = dlist_entry(pos, struct frag6_q, hnode);
		if (q->id == id && in6_equal(&q->src, &a.src) && in6_equal(&q->dst, &a.dst))
			return q;
	}
	if (t->count >= FRAG6_QUEUES_MAX) {
		STAT_INC(st, frag6_evict);
		fq_destroy(st, dlist_entry(t->lru.next, struct frag6_q, lru));
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->st = st;
	q->src = a.src;
	q->dst = a.dst;
	q->id = id;
	dlist_add_tail(b, &q->hnode);
	dlist_add_tail(&t->lru, &q->lru);
	t->count++;
	timer_init(&q->timer, fq_expire);
	stack_timer_in(st, &q->timer, FRAG6_TIMEOUT_NS);
	return q;
}

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

/* Builds the datagram from a complete queue; NULL on ENOMEM. Leaves the queue untouched. */
static struct pkt *fq_reassemble(struct stack *st, struct frag6_q *q, uint8_t *nxt)
{
	struct pkt *first = q->frags, *np, *f;
	const uint8_t *fnh = pkt_nh(first);
	size_t unfrag = (size_t)(first->data - 8 - fnh);
	uint16_t nhoff = FRAG6_CB(first)->ip6.nhoff;

	np = pkt_alloc(st->pool, PKT_HEADROOM, unfrag + q->total);
	if (!np)
		return NULL;
	memcpy(pkt_put(np, unfrag), fnh, unfrag);
	*nxt = first->data[-8];
	np->data[nhoff] = *nxt;
	put_be16(np->data + 4, (uint16_t)(unfrag - IPV6_HLEN + q->total));
	pkt_put(np, q->total);
	for (f = first; f; f = f->next)
		memcpy(np->data + unfrag + FRAG6_CB(f)->off, f->data, FRAG6_CB(f)->len);
	pkt_set_nh(np);
	pkt_pull(np, unfrag);
	np->dev = first->dev;
	np->tstamp = first->tstamp;
	np->flags = first->flags | PKT_F_REASSEMBLED;
	memcpy(np->cb, first->cb, sizeof(struct ip6_cb));
	IP6_CB(np)->flags |= IP6_CB_FRAG;
	return np;
}

/* RFC 5722: an overlap discards the datagram and every later fragment of it. */
static void fq_kill(struct stack *st, struct frag6_q *q)
{
	fq_free_frags(st->ip6.reasm, q);
	q->dead = true;
}

/*
 * Puts @p in @q in offset order. 1 when queued, 0 when @p was dropped (it
 * is freed), -1 when the datagram was killed (p freed).
 */
static int fq_insert(struct stack *st, struct frag6_q *q, struct pkt *p, bool more)
{
	uint32_t off = FRAG6_CB(p)->off, end = off + FRAG6_CB(p)->len;
	struct pkt **link = &q->frags, *f;

	if ((!more && q->total && q->total != end) || (more && q->total && end > q->total)) {
		STAT_INC(st, frag6_inconsistent);
		goto kill;
	}
	for (f = q->frags; f; f = f->next) {
		uint32_t fo = FRAG6_CB(f)->off, fe = fo + FRAG6_CB(f)->len;

		if (!more && fe > end) {
			STAT_INC(st, frag6_inconsistent);
			goto kill;
		}
		if (fo == off && fe == end && memcmp(f->data, p->data, FRAG6_CB(p)->len) == 0) {
			/* RFC 8200 4.5 allows dropping exact duplicates alone. */
			STAT_INC(st, frag6_dup);
			pkt_free(p);
			return 0;
		}
		if (off < fe && fo < end) {
			STAT_INC(st, frag6_overlap);
			goto kill;
		}
		if (fo < off)
			link = &f->next;
	}
	p->next = *link;
	*link = p;
	q->meat += FRAG6_CB(p)->len;
	q->mem += p->size;
	st->ip6.reasm->mem += p->size;
	if (!more)
		q->total = end;
	return 1;
kill:
	pkt_free(p);
	fq_kill(st, q);
	return -1;
}

/* Keeps the queued bytes under the cap, oldest datagrams first. */
static void frag6_trim(struct stack *st)
{
	struct frag6_table *t = st->ip6.reasm;

	while (t->mem > FRAG6_MEM_MAX && !dlist_empty(&t->lru)) {
		STAT_INC(st, frag6_evict);
		fq_destroy(st, dlist_entry(t->lru.next, struct frag6_q, lru));
	}
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
	struct frag6_q *q;
	struct ip6_addrs addrs;
	uint32_t off, id;
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
	memcpy(&id, fh->id, 4);
	addrs = ip6_addrs_of(pkt_nh(p));
	q = fq_get(st, &addrs, id);
	if (!q) {
		STAT_INC(st, frag6_nomem);
		goto drop;
	}
	if (q->dead) {
		STAT_INC(st, frag6_dead);
		goto drop;
	}
	pkt_pull(p, 8);
	FRAG6_CB(p)->off = off;
	FRAG6_CB(p)->len = p->len;
	if (fq_insert(st, q, p, more) <= 0)
		return EXT_DONE;
	if (!q->total || q->meat != q->total) {
		frag6_trim(st);
		return EXT_DONE;
	}
	np = fq_reassemble(st, q, nxt);
	fq_destroy(st, q);
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
