/*
 * struct pkt: one packet in one contiguous buffer with headroom, in the
 * spirit of sk_buff/pbuf. Layers push and pull headers in place; nothing is
 * copied between layers. Buffers come from a per-stack pool (fixed-size
 * buffers on a free list); a request larger than the pool's buffer size is
 * served by malloc and freed back to it.
 *
 *   head                data            data+len           head+size
 *   |<---- headroom ---->|<---- len ----->|<--- tailroom --->|
 */
#ifndef USAGI_CORE_PKT_H
#define USAGI_CORE_PKT_H

#include "core/common.h"

struct netdev;
struct pkt_pool;
struct xfrm_state;

#define PKT_HEADROOM 160        /* eth + IPv6 + tunnel + ESP + a HAO/RH2 */
#define PKT_BUF_SIZE 2048       /* pool buffer, holds a 1500-byte frame + headroom */
#define PKT_SP_MAX 6            /* SAs one packet may pass through on input (Linux: XFRM_MAX_DEPTH) */

enum {
	PKT_F_MCAST = 1 << 0,   /* link-layer multicast */
	PKT_F_BCAST = 1 << 1,   /* link-layer broadcast */
	PKT_F_OTHERHOST = 1 << 2, /* link-layer unicast, not to us */
	PKT_F_FORWARDED = 1 << 3,
	PKT_F_REASSEMBLED = 1 << 4,
	PKT_F_SECURED = 1 << 5,   /* arrived through IPsec: its security path passed the policy check (filter `ipsec in`) */
};

struct pkt {
	struct pkt *next;          /* queue link, owner's use */
	struct pkt_pool *pool;     /* NULL: buffer from malloc */
	uint8_t *head;             /* buffer start */
	uint8_t *data;             /* first valid byte */
	uint32_t len;              /* valid bytes from data */
	uint32_t size;             /* buffer bytes from head */
	struct netdev *dev;        /* input device on input, output device on output */
	int32_t nh;                /* network header offset from head, -1 unset */
	int32_t th;                /* transport header offset from head, -1 unset */
	uint32_t flags;            /* PKT_F_* */
	uint64_t tstamp;           /* receive time (ns, stack clock) */
	/*
	 * The security path (RFC 4301 5.2): the SAs that decapsulated this
	 * packet on input, outermost first, each held (xfrm_state_hold);
	 * checked against the inbound/forward policy (xfrm_io.h). pkt_free
	 * drops the references and pkt_copy takes its own.
	 */
	uint8_t sp_len;
	uint8_t nfct_info;         /* conntrack verdict: state | dir << 4 (netfilter/nf_conntrack.h) */
	uint32_t nfct;             /* conntrack slot, 0 none; with nfct_id (the conn's id) against reuse */
	uint32_t nfct_id;
	struct xfrm_state *sp[PKT_SP_MAX];
	/* Per-layer scratch space, owned by the layer holding the packet. */
	union {
		uint8_t cb[64];
		uint64_t cb_align;
	};
};

/* Creates a pool of @count buffers of PKT_BUF_SIZE bytes; NULL on ENOMEM. */
struct pkt_pool *pkt_pool_new(unsigned count);
/* Frees the pool; every packet from it must be freed first (counted as leak otherwise). */
void pkt_pool_free(struct pkt_pool *pool);
/* Packets currently allocated from @pool (pool or malloc), for leak checks. */
unsigned pkt_pool_in_use(const struct pkt_pool *pool);

/*
 * Allocates a packet with @headroom bytes before data and room for @len
 * bytes of data (len starts at 0; use pkt_put). NULL on ENOMEM.
 * @pool may be NULL (malloc).
 */
struct pkt *pkt_alloc(struct pkt_pool *pool, size_t headroom, size_t len);
/* A packet holding a copy of @len bytes at @data, with PKT_HEADROOM. */
struct pkt *pkt_from_bytes(struct pkt_pool *pool, const void *data, size_t len);
/* A deep copy of @p (data, headroom, metadata). NULL on ENOMEM. */
struct pkt *pkt_copy(struct pkt_pool *pool, const struct pkt *p);
/* Frees @p (NULL is fine), dropping its security path. */
void pkt_free(struct pkt *p);
/* Drops the references of p->sp (xfrm/secpath.c); pkt_free calls it. */
void pkt_sp_release(struct pkt *p);
/* Takes references on p->sp[0..sp_len) after a copy (xfrm/secpath.c). */
void pkt_sp_hold(struct pkt *p);
/* Frees a ->next-linked chain. */
void pkt_free_chain(struct pkt *p);

static inline size_t pkt_headroom(const struct pkt *p) { return (size_t)(p->data - p->head); }
static inline size_t pkt_tailroom(const struct pkt *p)
{
	return p->size - pkt_headroom(p) - p->len;
}

/*
 * Push, pull and trim are inline: every layer calls them once or twice per
 * packet, and as calls into pkt.c they cost more than their bounds check and
 * two stores. pkt_put builds packets (not a per-hop step) and stays a call.
 */
/* Prepends @n bytes; returns the new data start, NULL if no headroom. */
static inline void *pkt_push(struct pkt *p, size_t n)
{
	if (n > pkt_headroom(p))
		return NULL;
	p->data -= n;
	p->len += (uint32_t)n;
	return p->data;
}
/* Removes @n bytes from the front; returns the old data start, NULL if shorter than n. */
static inline void *pkt_pull(struct pkt *p, size_t n)
{
	uint8_t *old = p->data;

	if (n > p->len)
		return NULL;
	p->data += n;
	p->len -= (uint32_t)n;
	return old;
}
/* Appends @n bytes; returns where they start, NULL if no tailroom. */
void *pkt_put(struct pkt *p, size_t n);
/* Cuts the packet to @len bytes (no-op if already shorter or equal); 0 or -EINVAL if longer. */
static inline int pkt_trim(struct pkt *p, size_t len)
{
	if (len > p->len)
		return -EINVAL;
	p->len = (uint32_t)len;
	return 0;
}
/* Ensures at least @n bytes of headroom, moving data if the buffer allows; 0 or -ENOMEM. */
int pkt_reserve_headroom(struct pkt *p, size_t n);

/*
 * Bounds-checked header access: returns a pointer to @n bytes at @off from
 * data, or NULL if the packet is shorter. The bytes are contiguous (one
 * buffer), so @buf is only kept for API stability and may be NULL.
 */
static inline const void *pkt_header(const struct pkt *p, size_t off, size_t n, void *buf)
{
	(void)buf;
	if (off > p->len || n > p->len - off)
		return NULL;
	return p->data + off;
}
/* Writable variant of pkt_header. */
static inline void *pkt_header_w(struct pkt *p, size_t off, size_t n)
{
	if (off > p->len || n > p->len - off)
		return NULL;
	return p->data + off;
}

/* A FIFO of packets linked through ->next. */
struct pktq {
	struct pkt *head, *tail;
	unsigned len;
};
static inline void pktq_push(struct pktq *q, struct pkt *p)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->len++;
}
static inline struct pkt *pktq_pop(struct pktq *q)
{
	struct pkt *p = q->head;

	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	p->next = NULL;
	return p;
}
/* Frees every packet on @q and leaves it empty. */
static inline void pktq_purge(struct pktq *q)
{
	pkt_free_chain(q->head);
	q->head = q->tail = NULL;
	q->len = 0;
}

static inline void pkt_set_nh(struct pkt *p) { p->nh = (int32_t)(p->data - p->head); }
static inline void pkt_set_th(struct pkt *p) { p->th = (int32_t)(p->data - p->head); }
static inline uint8_t *pkt_nh(const struct pkt *p) { return p->head + p->nh; }
static inline uint8_t *pkt_th(const struct pkt *p) { return p->head + p->th; }

#endif
