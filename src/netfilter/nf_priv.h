/* Netfilter internals shared by the files of src/netfilter. */
#ifndef USAGI_NETFILTER_NF_PRIV_H
#define USAGI_NETFILTER_NF_PRIV_H

#include "netfilter/nf_conntrack.h"

struct nf_hook_entry {
	nf_hook_fn fn;
	void *ctx;
	int prio;
};
struct nf_hook_list {
	struct nf_hook_entry *v;
	unsigned n, cap;
};
struct nf_listener {
	nf_ct_event_fn fn;
	void *ctx;
	unsigned mask;
};

/* Entries live in chunks of 2^NF_CHUNK_BITS slots: pointers and slot numbers stay stable. */
#define NF_CHUNK_BITS 12
#define NF_CHUNK (1u << NF_CHUNK_BITS)
#define NF_DEFAULT_MAX 65536
#define NF_EARLY_DROP_SCAN 256   /* slots looked at for an unassured victim */
#define NF_GC_SCAN 4096          /* slots the expiry sweep visits per second */

struct nf_state {
	struct nf_hook_list hooks[NF_HOOK_MAX];
	struct nf_listener *lis;
	unsigned nlis;
	struct nf_ct_timeouts to;
	uint32_t tcp_loose;          /* nf_conntrack_tcp_loose: pick up connections mid-stream */
	uint32_t max, count, next_id;
	struct nf_conn **chunks;     /* slot s: chunks[s >> NF_CHUNK_BITS][s & (NF_CHUNK - 1)] */
	uint32_t nchunks, nslots;    /* slots handed out so far (slot 0 never used) */
	uint32_t free_head;          /* free slots, linked by hnext[0] */
	uint32_t *buckets;           /* node refs (slot << 1 | dir), 0 = end */
	uint32_t bmask;
	uint32_t gc_pos, ed_pos;
	bool ct_enabled;
	struct timer gc;
};

/* The stack's netfilter state, allocated on first use; NULL on ENOMEM. */
struct nf_state *nf_state_get(struct stack *st);

static inline struct nf_conn *nf_slot(const struct nf_state *nf, uint32_t s)
{
	return &nf->chunks[s >> NF_CHUNK_BITS][s & (NF_CHUNK - 1)];
}
static inline uint32_t nf_now_s(const struct stack *st) { return (uint32_t)(st->now / NS_PER_SEC); }

/* A parsed packet: its tuple and where its layer-4 header is. */
struct nf_pkt {
	struct nf_tuple t;
	const uint8_t *l3, *l4;      /* IP header; layer-4 header */
	size_t l4len;                /* bytes from l4 to the end of the IP payload */
	size_t len;                  /* IP packet length */
};

/* nf_conntrack_l3.c: IP header to tuple addresses, family, l4 protocol and l4 offset. 0 or -EINVAL. */
int nf_l3_parse(const uint8_t *ip, size_t len, struct nf_pkt *np);
/* An ICMP/ICMPv6 error's quoted packet (may be truncated past 8 bytes of l4). 0 or -EINVAL. */
int nf_l3_parse_quoted(const uint8_t *ip, size_t len, int family, struct nf_pkt *np);

/* Per layer-4 protocol handler (tables in the proto files). */
struct nf_l4proto {
	/* Fills ports/ids of np->t from the l4 header; -EINVAL if too short, -ENOENT if not trackable. */
	int (*tuple)(struct nf_pkt *np);
	/* Whether a packet with no entry may create one (TCP: a SYN, or an ACK when loose). */
	bool (*can_create)(const struct stack *st, const struct nf_pkt *np);
	/* Updates @ct for a packet in @dir; returns NF_CT_ESTABLISHED/NEW or NF_CT_INVALID. */
	int (*packet)(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
		      bool created);
};
extern const struct nf_l4proto nf_l4_tcp, nf_l4_udp, nf_l4_icmp, nf_l4_icmp6, nf_l4_generic;
const struct nf_l4proto *nf_l4_find(uint8_t l4);

/* nf_conntrack_proto_icmp.c: -1 not an error; else NF_CT_RELATED/NF_CT_INVALID with ct and dir set. */
int nf_icmp_error(struct stack *st, const struct nf_pkt *np, uint32_t *slot, int *dir);
/* ND/MLD and other messages conntrack leaves untracked (Linux: noct_valid_new). */
bool nf_icmp_untracked(const struct nf_pkt *np);

/* Sets @ct's deadline to @secs from now. */
static inline void nf_ct_set_timeout(struct stack *st, struct nf_conn *ct, uint32_t secs)
{
	ct->deadline = nf_now_s(st) + secs;
}
/* A new entry for @t (original direction), hashed both ways; NULL if the table is full (counted). */
struct nf_conn *nf_ct_create(struct stack *st, const struct nf_tuple *t, uint32_t *slot);
/* nf_ct_find by slot: the slot of @t's entry (0 if none), *dir its direction. */
uint32_t nf_ct_lookup(struct stack *st, const struct nf_tuple *t, int *dir);
/* nf_ct_destroy by slot (no-op for 0 or a free slot). */
void nf_ct_destroy_slot(struct stack *st, uint32_t slot);
bool nf_ct_expired(const struct stack *st, const struct nf_conn *ct);
/* nf_conntrack_max; resizes the buckets. 0 or -ENOMEM. */
int nf_ct_set_max(struct stack *st, uint32_t max);
/* Emits @event for @ct to the listeners. */
void nf_ct_event(struct stack *st, int event, const struct nf_conn *ct);

#endif
