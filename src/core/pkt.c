#include "core/pkt.h"
#include <stdlib.h>

/*
 * A pool is one slab of @count fixed-size buffers, each with its struct pkt
 * in front, on a free list. No locking: a pool belongs to one stack, which
 * runs on one thread.
 */
struct pkt_pool {
	struct pkt *free;
	uint8_t *slab;
	unsigned count;
	unsigned in_use;        /* pool buffers + malloc packets */
};

#define SLOT_SIZE (sizeof(struct pkt) + PKT_BUF_SIZE)

struct pkt_pool *pkt_pool_new(unsigned count)
{
	struct pkt_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	pool->slab = malloc((size_t)count * SLOT_SIZE);
	if (count && !pool->slab) {
		free(pool);
		return NULL;
	}
	pool->count = count;
	for (unsigned i = count; i-- > 0;) {
		struct pkt *p = (struct pkt *)(pool->slab + (size_t)i * SLOT_SIZE);

		p->next = pool->free;
		pool->free = p;
	}
	return pool;
}

void pkt_pool_free(struct pkt_pool *pool)
{
	if (!pool)
		return;
	free(pool->slab);
	free(pool);
}

unsigned pkt_pool_in_use(const struct pkt_pool *pool)
{
	return pool ? pool->in_use : 0;
}

static void pkt_init(struct pkt *p, struct pkt_pool *pool, uint8_t *buf, size_t size, size_t headroom)
{
	p->next = NULL;
	p->pool = pool;
	p->head = buf;
	p->size = (uint32_t)size;
	p->data = buf + headroom;
	p->len = 0;
	p->dev = NULL;
	p->nh = -1;
	p->th = -1;
	p->flags = 0;
	p->tstamp = 0;
	p->sp_len = 0;
	p->nfct = 0;
	p->nfct_info = 0;
}

struct pkt *pkt_alloc(struct pkt_pool *pool, size_t headroom, size_t len)
{
	size_t need = headroom + len;
	struct pkt *p;

	if (need > UINT32_MAX / 2)
		return NULL;
	if (pool && need <= PKT_BUF_SIZE && pool->free) {
		p = pool->free;
		pool->free = p->next;
		pkt_init(p, pool, (uint8_t *)(p + 1), PKT_BUF_SIZE, headroom);
		pool->in_use++;
		return p;
	}
	/* Large or pool exhausted: one malloc for header and buffer. */
	p = malloc(sizeof(*p) + need);
	if (!p)
		return NULL;
	pkt_init(p, pool, (uint8_t *)(p + 1), need, headroom);
	if (pool)
		pool->in_use++;
	return p;
}

static bool pkt_in_slab(const struct pkt *p)
{
	const struct pkt_pool *pool = p->pool;
	const uint8_t *a = (const uint8_t *)p;

	return pool && pool->slab && a >= pool->slab &&
	       a < pool->slab + (size_t)pool->count * SLOT_SIZE;
}

void pkt_free(struct pkt *p)
{
	struct pkt_pool *pool;

	if (!p)
		return;
	if (p->sp_len)
		pkt_sp_release(p);
	pool = p->pool;
	if (pool)
		pool->in_use--;
	if (pkt_in_slab(p)) {
		p->next = pool->free;
		pool->free = p;
		return;
	}
	free(p);
}

void pkt_free_chain(struct pkt *p)
{
	while (p) {
		struct pkt *n = p->next;

		pkt_free(p);
		p = n;
	}
}

struct pkt *pkt_from_bytes(struct pkt_pool *pool, const void *data, size_t len)
{
	struct pkt *p = pkt_alloc(pool, PKT_HEADROOM, len);

	if (!p)
		return NULL;
	memcpy(pkt_put(p, len), data, len);
	return p;
}

struct pkt *pkt_copy(struct pkt_pool *pool, const struct pkt *src)
{
	size_t hr = pkt_headroom(src);
	struct pkt *p = pkt_alloc(pool, hr, src->len + pkt_tailroom(src));

	if (!p)
		return NULL;
	memcpy(p->head, src->head, hr + src->len);
	p->len = src->len;
	p->dev = src->dev;
	p->nh = src->nh;
	p->th = src->th;
	p->flags = src->flags;
	p->tstamp = src->tstamp;
	memcpy(p->cb, src->cb, sizeof(p->cb));
	p->nfct = src->nfct;
	p->nfct_id = src->nfct_id;
	p->nfct_info = src->nfct_info;
	p->sp_len = src->sp_len;
	memcpy(p->sp, src->sp, src->sp_len * sizeof(p->sp[0]));
	if (p->sp_len)
		pkt_sp_hold(p);
	return p;
}

void *pkt_put(struct pkt *p, size_t n)
{
	uint8_t *tail = p->data + p->len;

	if (n > pkt_tailroom(p))
		return NULL;
	p->len += (uint32_t)n;
	return tail;
}

int pkt_reserve_headroom(struct pkt *p, size_t n)
{
	size_t hr = pkt_headroom(p);

	if (hr >= n)
		return 0;
	if (pkt_tailroom(p) < n - hr)
		return -ENOMEM;
	/* Slide data (and the header offsets with it) towards the tail. */
	size_t shift = n - hr;
	memmove(p->data + shift, p->data, p->len);
	p->data += shift;
	if (p->nh >= 0)
		p->nh += (int32_t)shift;
	if (p->th >= 0)
		p->th += (int32_t)shift;
	return 0;
}
