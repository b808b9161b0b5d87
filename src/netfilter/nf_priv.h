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
#define NF_GC_SCAN 4096          /* slots the expiry sweep visits per second, at least */
#define NF_GC_CYCLE 32           /* ... and enough to sweep every slot within this many seconds */
#define NF_CT_BURST 32           /* nf_ct_lookup_bulk's group: misses in flight at once */
#define NF_CT_HINT 0xf           /* p->nfct_info state nibble: an nf_ct_prefetch hint, no verdict */

/*
 * The hash index (nf_conntrack_hash.c): every entry is keyed twice, by its
 * original and its reply tuple. A key has two candidate buckets and a
 * 16-bit tag, all from one SipHash-1-3 of the tuple; it goes to its first
 * bucket unless that is full. A bucket is one cache line: a lookup reads
 * one line, and only the entries whose tag matches (another key's tag
 * matches 1 time in 65536). @spill counts keys whose first bucket this is but which live in
 * their second, so a lookup that misses here reads the second only then.
 */
#define NF_BUCKET_SLOTS 10
struct nf_bucket {
	uint16_t tag[NF_BUCKET_SLOTS];
	uint32_t spill;
	uint32_t ref[NF_BUCKET_SLOTS]; /* slot << 1 | dir; 0 = empty */
} __attribute__((aligned(64)));

struct nf_state {
	struct nf_hook_list hooks[NF_HOOK_MAX];
	struct nf_listener *lis;
	unsigned nlis;
	struct nf_ct_timeouts to;
	uint32_t tcp_loose;          /* nf_conntrack_tcp_loose: pick up connections mid-stream */
	uint32_t checksum;           /* nf_conntrack_checksum: bad checksums at PREROUTING are INVALID */
	uint32_t max, count, next_id;
	struct nf_conn **chunks;     /* slot s: chunks[s >> NF_CHUNK_BITS][s & (NF_CHUNK - 1)] */
	uint32_t nchunks, nslots;    /* slots handed out so far (slot 0 never used) */
	uint32_t free_head;          /* free slots, linked by free_next */
	struct nf_bucket *bkt;       /* the hash index, nbkt buckets (NULL until the first entry) */
	uint32_t nbkt;
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
	/*
	 * Updates @ct for a packet in @dir; returns NF_CT_ESTABLISHED/NEW,
	 * NF_CT_INVALID, or NF_CT_L4_REOPEN (the packet starts a new
	 * connection on the tuple: the entry goes, the packet is classified
	 * again). A timeout of 0 ends the entry once the packet passed the hooks.
	 */
	int (*packet)(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
		      bool created);
};
enum { NF_CT_L4_REOPEN = 16 };
extern const struct nf_l4proto nf_l4_tcp, nf_l4_udp, nf_l4_icmp, nf_l4_icmp6, nf_l4_generic;
const struct nf_l4proto *nf_l4_find(uint8_t l4);

/* nf_conntrack_proto_icmp.c: -1 not an error; else NF_CT_RELATED/NF_CT_INVALID with ct and dir set. */
int nf_icmp_error(struct stack *st, const struct nf_pkt *np, uint32_t *slot, int *dir);
/* The type of the reply to ICMP(v6) query @type (l4 IPPROTO_ICMP/ICMPV6), or of the query to a reply; 0xff if unpaired. */
uint8_t nf_icmp_pair(uint8_t l4, uint8_t type);
/* ND/MLD and other messages conntrack leaves untracked (Linux: noct_valid_new). */
bool nf_icmp_untracked(const struct nf_pkt *np);
/*
 * nf_conntrack_csum.c: false if @np is TCP, UDP, ICMP or ICMPv6 with a
 * wrong checksum; true otherwise (other protocols, and headers too short to
 * hold one, which the protocol handlers judge). IPv6: over the final
 * destination of a Routing header and the home address of a Home Address
 * option, unless input swapped that into the header (@hao_swapped).
 */
bool nf_ct_csum_ok(const struct nf_pkt *np, bool hao_swapped);

/* Sets @ct's deadline to @secs from now. */
static inline void nf_ct_set_timeout(struct stack *st, struct nf_conn *ct, uint32_t secs)
{
	ct->deadline = nf_now_s(st) + secs;
}
/* A new entry for @t (original direction), hashed both ways; NULL if the table is full (counted). */
struct nf_conn *nf_ct_create(struct stack *st, const struct nf_tuple *t, uint32_t *slot);
/* nf_ct_find by slot: the slot of @t's entry (0 if none), *dir its direction. */
uint32_t nf_ct_lookup(struct stack *st, const struct nf_tuple *t, int *dir);
/*
 * nf_ct_lookup of @n tuples: slot[i] and dir[i] as nf_ct_lookup(t[i]) gives
 * them (dir[i] untouched when slot[i] is 0). For tables larger than the
 * caches: in groups of NF_CT_BURST, keys are hashed and their buckets
 * prefetched, then the entries the tags name, then compared, in a software
 * pipeline, so the cache misses of a group overlap instead of queueing
 * (DPDK rte_hash_lookup_bulk, VPP).
 */
void nf_ct_lookup_bulk(struct stack *st, const struct nf_tuple *const *t, unsigned n,
		       uint32_t *slot, int *dir);
/* Whether @t is @ct's tuple in direction @dir. */
bool nf_ct_tuple_is(const struct nf_conn *ct, int dir, const struct nf_tuple *t);
/* Where a key lives in the index: its two candidate buckets and its tag. */
struct nf_hkey {
	uint32_t b1, b2;
	uint16_t tag;
};
/* The keys of an entry whose original tuple is @t, both directions; their first buckets are prefetched. */
void nf_hash_keys(const struct stack *st, const struct nf_tuple *t, struct nf_hkey k[NF_DIR_MAX]);
/*
 * Indexes @slot's entry under @k (nf_hash_keys of its tuple, with the index
 * unresized since). 0, or -ENOSPC (a key found both its buckets full and
 * none could move; nothing added).
 */
int nf_hash_add(struct stack *st, uint32_t slot, const struct nf_hkey k[NF_DIR_MAX]);
/* Removes @slot's two keys (present). */
void nf_hash_del(struct stack *st, uint32_t slot);
/* (Re)builds the index for up to @entries entries. 0, -ENOMEM or -ENOSPC (old index kept). */
int nf_hash_resize(struct stack *st, uint32_t entries);
/* Bytes the table takes: entries (every chunk allocated) and index. */
size_t nf_ct_mem_bytes(const struct nf_state *nf);
/* Bytes the index takes. */
size_t nf_hash_bytes(const struct nf_state *nf);
/*
 * For tests: 0 if every key sits in one of its buckets under its tag, the
 * spill counts add up and each entry has its two keys; else -EINVAL.
 */
int nf_hash_check(const struct stack *st);
/* nf_ct_destroy by slot (no-op for 0 or a free slot). */
void nf_ct_destroy_slot(struct stack *st, uint32_t slot);
bool nf_ct_expired(const struct stack *st, const struct nf_conn *ct);
/* nf_conntrack_max; resizes the index. 0, -ENOMEM or -ENOSPC (index unchanged). */
int nf_ct_set_max(struct stack *st, uint32_t max);
/* Emits @event for @ct to the listeners. */
void nf_ct_event(struct stack *st, int event, const struct nf_conn *ct);

#endif
