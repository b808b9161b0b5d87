/*
 * Conntrack table: entries in stable slots (chunks of NF_CHUNK), each keyed
 * twice (original and reply tuple) in the hash index of
 * nf_conntrack_hash.c (keyed SipHash-1-3: an attacker cannot aim
 * collisions). Bounded by nf_conntrack_max with early drop of unassured
 * entries; expiry is lazy (a lookup that meets an expired entry removes it)
 * plus a sweep on the stack's timer wheel that visits every slot within
 * NF_GC_CYCLE seconds (NF_GC_SCAN slots a second at least). No global state.
 */
#include <stdlib.h>
#include "netfilter/nf_priv.h"

_Static_assert(sizeof(struct nf_tuple) == 40, "nf_tuple is hashed as bytes: no padding");
_Static_assert(sizeof(struct nf_conn) <= 104, "nf_conn: 128 bytes per entry with the index");
_Static_assert(offsetof(struct nf_conn, deadline) + 4 <= offsetof(struct nf_conn, bytes),
	       "a lookup reads the tuple, id and deadline: keep them first");

void nf_ct_tuple(const struct nf_conn *ct, int dir, struct nf_tuple *out)
{
	*out = ct->tuple;
	if (dir == NF_DIR_ORIG)
		return;
	out->src = ct->tuple.dst;
	out->dst = ct->tuple.src;
	if (out->l4 == IPPROTO_ICMP || out->l4 == IPPROTO_ICMPV6) {
		out->icmp_type = nf_icmp_pair(out->l4, ct->tuple.icmp_type);
	} else {
		out->sport = ct->tuple.dport;
		out->dport = ct->tuple.sport;
	}
}

uint32_t nf_ct_expires_in(const struct stack *st, const struct nf_conn *ct)
{
	int32_t d = (int32_t)(ct->deadline - nf_now_s(st));

	return d > 0 ? (uint32_t)d : 0;
}

bool nf_ct_expired(const struct stack *st, const struct nf_conn *ct)
{
	return (int32_t)(ct->deadline - nf_now_s(st)) <= 0;
}

static uint32_t slot_of(const struct nf_state *nf, const struct nf_conn *ct)
{
	for (uint32_t c = 0; c < nf->nchunks; c++)
		if (ct >= nf->chunks[c] && ct < nf->chunks[c] + NF_CHUNK)
			return c << NF_CHUNK_BITS | (uint32_t)(ct - nf->chunks[c]);
	return 0;
}

struct nf_conn *nf_ct_find(struct stack *st, const struct nf_tuple *t, int *dir)
{
	uint32_t s = nf_ct_lookup(st, t, dir);

	return s ? nf_slot(st->nf, s) : NULL;
}

int nf_ct_set_max(struct stack *st, uint32_t max)
{
	struct nf_state *nf = nf_state_get(st);

	if (!nf)
		return -ENOMEM;
	if (nf->bkt) {
		int rc = nf_hash_resize(st, MAX(max, nf->count));

		if (rc < 0)
			return rc;
	}
	nf->max = max;
	return 0;
}

static void gc_fire(struct stack *st, struct timer *t);

static uint32_t slot_alloc(struct stack *st)
{
	struct nf_state *nf = st->nf;
	uint32_t s = nf->free_head;

	if (s) {
		nf->free_head = nf_slot(nf, s)->free_next;
		return s;
	}
	if (nf->nslots == 0)
		nf->nslots = 1;       /* slot 0 means "none" */
	if ((nf->nslots >> NF_CHUNK_BITS) >= nf->nchunks) {
		struct nf_conn **c = realloc(nf->chunks, (nf->nchunks + 1) * sizeof(*c));

		if (!c)
			return 0;
		nf->chunks = c;
		c[nf->nchunks] = calloc(NF_CHUNK, sizeof(struct nf_conn));
		if (!c[nf->nchunks])
			return 0;
		nf->nchunks++;
	}
	return nf->nslots++;
}

size_t nf_ct_mem_bytes(const struct nf_state *nf)
{
	return (size_t)nf->nchunks * (NF_CHUNK * sizeof(struct nf_conn) + sizeof(*nf->chunks)) +
	       nf_hash_bytes(nf);
}

void nf_ct_event(struct stack *st, int event, const struct nf_conn *ct)
{
	struct nf_state *nf = st->nf;

	for (unsigned i = 0; i < nf->nlis; i++)
		if (nf->lis[i].mask & (unsigned)event)
			nf->lis[i].fn(st, event, ct, nf->lis[i].ctx);
}

void nf_ct_destroy(struct stack *st, struct nf_conn *ct)
{
	if (st->nf)
		nf_ct_destroy_slot(st, slot_of(st->nf, ct));
}

static void slot_free(struct nf_state *nf, uint32_t s)
{
	struct nf_conn *ct = nf_slot(nf, s);

	memset(ct, 0, sizeof(*ct));
	ct->free_next = nf->free_head;
	nf->free_head = s;
}

void nf_ct_destroy_slot(struct stack *st, uint32_t s)
{
	struct nf_state *nf = st->nf;
	struct nf_conn *ct;

	if (!s || s >= nf->nslots || !(ct = nf_slot(nf, s))->id)
		return;
	ct->status |= NF_CTS_DYING;
	if (ct->status & NF_CTS_CONFIRMED)
		nf_ct_event(st, NF_CT_EV_DESTROY, ct);
	nf_hash_del(st, s);
	slot_free(nf, s);
	nf->count--;
}

/* Table full: drop an unassured (or expired) entry near a rotating position, as Linux does per bucket. */
static bool early_drop(struct stack *st)
{
	struct nf_state *nf = st->nf;

	for (unsigned i = 0; i < NF_EARLY_DROP_SCAN && nf->nslots > 1; i++) {
		uint32_t s = nf->ed_pos++ % (nf->nslots - 1) + 1;
		struct nf_conn *ct = nf_slot(nf, s);

		if (!ct->id)
			continue;
		if (nf_ct_expired(st, ct)) {
			STAT_INC(st, nf_ct_expired);
			nf_ct_destroy_slot(st, s);
			return true;
		}
		if (!(ct->status & NF_CTS_ASSURED)) {
			STAT_INC(st, nf_ct_early_drop);
			nf_ct_destroy_slot(st, s);
			return true;
		}
	}
	return false;
}

struct nf_conn *nf_ct_create(struct stack *st, const struct nf_tuple *t, uint32_t *slot)
{
	struct nf_state *nf = st->nf;
	struct nf_hkey k[NF_DIR_MAX];
	struct nf_conn *ct;
	uint32_t s;

	if (!nf->bkt && nf_hash_resize(st, nf->max) < 0) {
		STAT_INC(st, nf_ct_insert_failed);
		return NULL;
	}
	nf_hash_keys(st, t, k);
	if (nf->count >= nf->max && !early_drop(st)) {
		STAT_INC(st, nf_ct_drop);
		return NULL;
	}
	s = slot_alloc(st);
	if (!s) {
		STAT_INC(st, nf_ct_insert_failed);
		return NULL;
	}
	ct = nf_slot(nf, s);
	memset(ct, 0, sizeof(*ct));
	ct->tuple = *t;
	ct->id = nf->next_id++;
	if (!nf->next_id)
		nf->next_id = 1;
	if (nf_hash_add(st, s, k) < 0) {
		slot_free(nf, s);
		STAT_INC(st, nf_ct_insert_failed);
		return NULL;
	}
	nf->count++;
	STAT_INC(st, nf_ct_new);
	if (slot)
		*slot = s;
	if (!nf->gc.fn)
		timer_init(&nf->gc, gc_fire);
	if (!timer_pending(&nf->gc))
		stack_timer_in(st, &nf->gc, NS_PER_SEC);
	return ct;
}

/*
 * The expiry sweep, once a second while entries remain: 1/NF_GC_CYCLE of
 * the slots (at least NF_GC_SCAN), so an entry that nothing looks up is
 * gone within NF_GC_CYCLE seconds of its deadline at any table size.
 */
static void gc_fire(struct stack *st, struct timer *t)
{
	struct nf_state *nf = st->nf;
	uint32_t scan = MAX((uint32_t)NF_GC_SCAN, nf->nslots / NF_GC_CYCLE + 1);

	for (uint32_t i = 0; i < scan && nf->nslots > 1; i++) {
		uint32_t s = nf->gc_pos++ % (nf->nslots - 1) + 1;
		struct nf_conn *ct = nf_slot(nf, s);

		if (ct->id && nf_ct_expired(st, ct)) {
			STAT_INC(st, nf_ct_expired);
			nf_ct_destroy_slot(st, s);
		}
	}
	if (nf->count)
		stack_timer_in(st, t, NS_PER_SEC);
}

void nf_ct_table_free(struct stack *st)
{
	struct nf_state *nf = st->nf;

	stack_timer_cancel(st, &nf->gc);
	for (uint32_t c = 0; c < nf->nchunks; c++)
		free(nf->chunks[c]);
	free(nf->chunks);
	free(nf->bkt);
	nf->chunks = NULL;
	nf->bkt = NULL;
	nf->nbkt = 0;
	nf->nchunks = nf->nslots = nf->free_head = nf->count = 0;
}
