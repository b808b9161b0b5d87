/*
 * Netfilter hooks and layer-3-independent connection tracking (issue 6).
 *
 * One core serves IPv4 and IPv6: an IPv4 address is kept as an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d), so tuples, hashing and the table do not
 * care about the family. Per-protocol handlers (TCP with window tracking,
 * UDP, ICMP, ICMPv6, generic) keep the state of each connection.
 *
 * Everything lives in the stack (st->nf, allocated on first use); nothing is
 * global. The packet path pays one integer test per hook when nothing is
 * registered (nf_hook_run is inline).
 *
 * Where the hooks sit (IPsec: conntrack sees the inner, decapsulated packet
 * on input and the plain packet before encapsulation on output):
 *   PREROUTING   after header checks, reassembly and IPsec decapsulation,
 *                before the local-delivery/forward decision
 *   INPUT        before delivery to the upper layer
 *   FORWARD      before forwarding (after the forward policy check)
 *   OUTPUT       locally generated packets, before the xfrm lookup
 *   POSTROUTING  every packet leaving, before encapsulation/fragmentation
 */
#ifndef USAGI_NETFILTER_NF_CONNTRACK_H
#define USAGI_NETFILTER_NF_CONNTRACK_H

#include "core/stack.h"

struct stack;
struct pkt;
struct netdev;

/* ---------------------------------------------------------------- hooks */

enum nf_hook { NF_PREROUTING, NF_INPUT, NF_FORWARD, NF_OUTPUT, NF_POSTROUTING, NF_HOOK_MAX };
enum nf_verdict { NF_DROP = 0, NF_ACCEPT = 1 };

/* Priorities as Linux numbers them: lower runs first. */
enum {
	NF_PRI_CONNTRACK = -200,
	NF_PRI_FILTER = 0,
	NF_PRI_CONNTRACK_CONFIRM = 0x7fffffff,
};

/* What a hook function sees besides the packet. */
struct nf_hook_state {
	int hook;                   /* enum nf_hook */
	struct netdev *in, *out;    /* NULL where not known (in on OUTPUT, out on PREROUTING/INPUT) */
};

/*
 * A hook function: data = IP header (p->nh set), either family. Returns
 * NF_ACCEPT or NF_DROP; it must not free or replace @p (nf_hook_run's
 * caller frees a dropped packet).
 */
typedef int (*nf_hook_fn)(struct stack *st, struct pkt *p, const struct nf_hook_state *hs,
			  void *ctx);

/*
 * Registers @fn at @hook with @priority (lower first; equal priorities in
 * order of registration). 0, -EINVAL (bad hook), -ENOMEM, -EEXIST (same fn
 * and ctx already there).
 */
int nf_hook_register(struct stack *st, int hook, nf_hook_fn fn, int priority, void *ctx);
/* Removes the registration of (@fn, @ctx) at @hook: 0 or -ENOENT. */
int nf_hook_unregister(struct stack *st, int hook, nf_hook_fn fn, void *ctx);

/*
 * PREROUTING and INPUT for a packet delivered to this host: the final one,
 * reassembled and decapsulated, seen from its IP header at nh (data may be
 * further on; both are restored). False: a hook dropped it (the caller
 * frees it). For IPv4 and IPv6 alike.
 */
bool nf_hook_local_in(struct stack *st, struct pkt *p);

/* The slow half of nf_hook_run: runs the functions registered at @hook. */
int nf_hook_slow(struct stack *st, int hook, struct pkt *p, struct netdev *in,
		 struct netdev *out);

/*
 * Runs every function registered at @hook on @p in order of priority; stops
 * at the first NF_DROP. Returns NF_ACCEPT or NF_DROP; the caller frees a
 * dropped packet (and counts nothing: nf_hook_slow counts nf_hook_drop).
 * When nothing is registered at @hook this is one integer test.
 * A NEW connection created by a dropped packet is removed again (Linux
 * never confirms it), so a filtered SYN leaves no entry behind.
 */
static inline int nf_hook_run(struct stack *st, int hook, struct pkt *p, struct netdev *in,
			      struct netdev *out);

/* ---------------------------------------------------------------- tuples */

enum nf_dir { NF_DIR_ORIG = 0, NF_DIR_REPLY = 1, NF_DIR_MAX };

/*
 * A connection as one direction sees it. Addresses are IPv6 (IPv4 mapped as
 * ::ffff:a.b.c.d); ports in host byte order. For ICMP/ICMPv6 echo, sport
 * holds the identifier and type/code the message (request in the original
 * direction, reply in the other); for other protocols without ports both
 * are 0. 40 bytes, compared and hashed as bytes: keep it padding-free.
 */
struct nf_tuple {
	struct in6_addr src, dst;
	union {
		struct { uint16_t sport, dport; };
		struct { uint16_t icmp_id; uint8_t icmp_type, icmp_code; };
	};
	uint8_t l3;                 /* AF_INET or AF_INET6 */
	uint8_t l4;                 /* IPPROTO_* */
	uint8_t pad[2];             /* always 0 */
};

/* ---------------------------------------------------------------- connections */

enum nf_ct_state { NF_CT_NEW, NF_CT_ESTABLISHED, NF_CT_RELATED, NF_CT_INVALID, NF_CT_UNTRACKED };

/* Status bits (struct nf_conn.status), as Linux names them. */
enum {
	NF_CTS_SEEN_REPLY = 1 << 0,  /* a packet went in the reply direction */
	NF_CTS_ASSURED = 1 << 1,     /* not early-dropped when the table is full */
	NF_CTS_CONFIRMED = 1 << 2,   /* its first packet passed every hook */
	NF_CTS_DYING = 1 << 3,       /* being removed */
};

/* TCP states (RFC 9293 3.3.2 as nf_conntrack follows both ends). */
enum nf_tcp_state {
	NF_TCP_NONE, NF_TCP_SYN_SENT, NF_TCP_SYN_RECV, NF_TCP_ESTABLISHED, NF_TCP_FIN_WAIT,
	NF_TCP_CLOSE_WAIT, NF_TCP_LAST_ACK, NF_TCP_TIME_WAIT, NF_TCP_CLOSE,
	NF_TCP_SYN_SENT2,           /* simultaneous open: a SYN was seen from both ends */
	NF_TCP_MAX
};

/* Window tracking of one end of a TCP connection (the sender's view). */
struct nf_tcp_end {
	uint32_t end;               /* highest seq + len sent */
	uint32_t maxend;            /* highest ack + window the peer allowed */
	uint32_t maxwin;            /* largest window advertised (scaled) */
};
/* nf_conn.tcpf[dir]: low nibble the window scale (RFC 7323, 0..14), high nibble flags. */
enum { NF_TCPF_WSCALE = 1 << 4, NF_TCPF_SEEN = 1 << 5, NF_TCPF_FIN = 1 << 6,
       NF_TCPF_LIBERAL = 1 << 7 /* picked up mid-stream: windows not checked */ };
#define NF_TCPF_WS_MASK 0x0f

/*
 * One tracked connection. Only the original tuple is stored: without NAT the
 * reply tuple is its inverse (nf_ct_tuple builds either). 104 bytes on LP64
 * (see the static assertion in nf_conntrack_core.c); the hash index adds
 * about 19 bytes per entry (nf_conntrack_hash.c), under 128 in all. What a
 * lookup reads (tuple, id, deadline) comes first, in the entry's first
 * cache line or two.
 */
struct nf_conn {
	struct nf_tuple tuple;      /* original direction */
	uint32_t id;                /* unique while the stack lives, never 0 (0 marks a free slot) */
	union {
		uint32_t deadline;  /* expiry, stack clock in seconds */
		uint32_t free_next; /* core: the next free slot, while id is 0 */
	};
	uint64_t bytes[NF_DIR_MAX];
	uint32_t mark;              /* for rules (ct mark); 0 by default */
	uint32_t packets[NF_DIR_MAX];
	uint8_t status;             /* NF_CTS_* */
	uint8_t l4state;            /* enum nf_tcp_state for TCP; 0 otherwise */
	uint8_t tcpf[NF_DIR_MAX];   /* TCP: window scale and NF_TCPF_* per end */
	union {
		struct nf_tcp_end tcp[NF_DIR_MAX]; /* TCP */
		struct { uint32_t stream_ms; } udp; /* UDP: stack ms after which a replied flow is a stream */
	};
};

/* What nf_ct_in tells about one packet. */
struct nf_ct_info {
	enum nf_ct_state state;
	int dir;                    /* enum nf_dir */
	struct nf_conn *ct;         /* borrowed: valid until the stack's next packet or timer; NULL when INVALID/UNTRACKED */
};

/*
 * Classifies @p (data = IP header at p->nh, either family; IPv6 extension
 * headers skipped; fragments already reassembled) and creates or updates
 * its connection. @hook is the hook it runs at (new entries start
 * unconfirmed on PREROUTING/OUTPUT; at PREROUTING a TCP, UDP, ICMP or ICMPv6
 * checksum is verified when net.netfilter.nf_conntrack_checksum is 1, the
 * default: a bad one is INVALID, counted nf_ct_bad_csum). Fills @out and records it in the packet
 * (p->nfct*) for later hooks (nf_ct_get). Returns 0, or -EINVAL for a
 * packet it cannot parse (out->state = NF_CT_INVALID), -ENOMEM/-ENOSPC when
 * no entry could be made (table full and nothing to early-drop;
 * out->state = NF_CT_INVALID, counted as nf_ct_drop).
 */
int nf_ct_in(struct stack *st, struct pkt *p, int hook, struct nf_ct_info *out);

/*
 * The conntrack verdict of @p recorded by an earlier nf_ct_in (p->nfct).
 * Sets @out; returns false (out->state = NF_CT_UNTRACKED) when the packet
 * was not classified or its entry is gone.
 */
bool nf_ct_get(struct stack *st, const struct pkt *p, struct nf_ct_info *out);

/* The tuple of @ct as seen in direction @dir (the reply is the inverse of the original). */
void nf_ct_tuple(const struct nf_conn *ct, int dir, struct nf_tuple *out);

/* Seconds until @ct expires (0 if due). */
uint32_t nf_ct_expires_in(const struct stack *st, const struct nf_conn *ct);

/* The looked-up entry for @t (either direction; *dir set), or NULL. No side effects. */
struct nf_conn *nf_ct_find(struct stack *st, const struct nf_tuple *t, int *dir);

/*
 * Burst hint for a receive path that holds several packets at once (the
 * VPP/DPDK pattern): call it on the burst before handing the packets to the
 * stack one by one. It parses each packet's tuple (IP header at
 * p->data + @l3off; anything else is skipped), looks the whole burst up
 * with the cache misses overlapped (nf_ct_lookup_bulk) and leaves in each
 * packet a hint (p->nfct*) that its nf_ct_in checks (same entry id, same
 * full tuple) and then uses instead of hashing again. Optional and never
 * changes a verdict: a stale or wrong hint only costs the lookup it saved,
 * and nf_ct_get ignores hints. Does nothing while the table is empty.
 */
void nf_ct_prefetch(struct stack *st, struct pkt *const *pkts, unsigned n, size_t l3off);

/* Removes @ct now (destroy event, counted). */
void nf_ct_destroy(struct stack *st, struct nf_conn *ct);

/*
 * Registers conntrack's own hooks (classify at PREROUTING and OUTPUT,
 * confirm at INPUT and POSTROUTING). Idempotent; the filter calls it when a
 * rule uses `ct state`. 0 or -ENOMEM.
 */
int nf_ct_enable(struct stack *st);
/* Unregisters them and flushes the table. */
void nf_ct_disable(struct stack *st);

/* ---------------------------------------------------------------- table API (tools) */

/*
 * Resumable iteration: entries are visited in slot order, so a listing in
 * many calls returns every entry that exists throughout exactly once,
 * however many others come and go meanwhile; none twice. Entries made
 * after the cursor passed their slot are not listed, those made ahead of
 * it may be (a table that grows faster than the walk keeps it going).
 * Start with cursor = 0.
 */
struct nf_ct_cursor { uint32_t next; };
/*
 * Calls @fn for up to @max live entries after @cur, advancing it; stops
 * early when @fn returns non-zero (that entry counts as visited). @fn may
 * nf_ct_destroy the entry it is given (conntrack -D), no other. Returns
 * the number visited; 0 means the end.
 */
size_t nf_ct_walk(struct stack *st, struct nf_ct_cursor *cur, size_t max,
		  int (*fn)(struct stack *st, struct nf_conn *ct, void *ctx), void *ctx);

/* Removes every entry (destroy events). Returns how many. */
size_t nf_ct_flush(struct stack *st);
/* Entries in the table. */
size_t nf_ct_count(const struct stack *st);

/* conntrack -S: counters of the stack (nf_stats.def) as conntrack-tools names them. */
struct nf_ct_stats {
	uint64_t found, new, invalid, ignore, insert_failed, drop, early_drop, error,
		 search_restart, expired;
	size_t count, max;
};
void nf_ct_get_stats(const struct stack *st, struct nf_ct_stats *out);

/* Events for conntrack -E. */
enum nf_ct_event { NF_CT_EV_NEW = 1 << 0, NF_CT_EV_UPDATE = 1 << 1, NF_CT_EV_DESTROY = 1 << 2 };
/*
 * A listener: @fn runs synchronously for each event in @mask. It must not
 * add or remove entries; @ct is valid during the call only.
 */
typedef void (*nf_ct_event_fn)(struct stack *st, int event, const struct nf_conn *ct, void *ctx);
/* 0, -ENOMEM, -EEXIST. */
int nf_ct_listen(struct stack *st, unsigned mask, nf_ct_event_fn fn, void *ctx);
/* 0 or -ENOENT. */
int nf_ct_unlisten(struct stack *st, nf_ct_event_fn fn, void *ctx);

/* Names for output: "ESTABLISHED", "SYN_SENT", ...; "tcp"/"udp"/"icmp"/"icmpv6"/"unknown". */
const char *nf_tcp_state_name(int s);
const char *nf_ct_state_name(enum nf_ct_state s);
const char *nf_l4_name(uint8_t l4);

/* ---------------------------------------------------------------- settings */

/*
 * Timeouts in seconds, nf_conntrack's defaults; sysctl keys
 * net.netfilter.nf_conntrack_tcp_timeout_<state>, _udp_timeout,
 * _udp_timeout_stream, _icmp_timeout, _icmpv6_timeout, _generic_timeout,
 * and net.netfilter.nf_conntrack_max (entries; shrinking evicts nothing at
 * once, each new entry then needs an early drop until the count falls) and
 * net.netfilter.nf_conntrack_count (read-only), and
 * net.netfilter.nf_conntrack_tcp_loose (1, Linux's default: an ACK with no
 * entry is picked up as ESTABLISHED without window checks; 0: only a SYN
 * creates an entry).
 */
struct nf_ct_timeouts {
	uint32_t tcp[NF_TCP_MAX];
	uint32_t udp, udp_stream, icmp, icmpv6, generic;
};

/* Key lookup for the sysctl command: 0 with *val, or -ENOENT if @key is not ours. */
int nf_sysctl_get(struct stack *st, const char *key, long *val);
/* 0, -ENOENT (not ours), -EINVAL (out of range), -EPERM (read-only), -ENOMEM. */
int nf_sysctl_set(struct stack *st, const char *key, long val);
/* Every key, for `sysctl -a`-like listings: the @i-th name or NULL past the end. */
const char *nf_sysctl_key(size_t i);

/* Stack layer init/fini (core/stack.c's table): nothing is allocated until first use. */
int nf_init(struct stack *st);
void nf_fini(struct stack *st);

/* ---------------------------------------------------------------- inline */

/* st->nf_hooks: a bit per enum nf_hook with at least one function registered. */
static inline int nf_hook_run(struct stack *st, int hook, struct pkt *p, struct netdev *in,
			      struct netdev *out)
{
	if (!(st->nf_hooks & (1u << hook)))
		return NF_ACCEPT;
	return nf_hook_slow(st, hook, p, in, out);
}

#endif
