/*
 * IPv6 input and output (RFC 8200). Input walks the extension header chain,
 * reassembles, and delivers to the upper layer or forwards; output builds
 * the header, picks route and source, fragments, and hands the packet to
 * Neighbor Discovery.
 */
#ifndef USAGI_IPV6_IPV6_H
#define USAGI_IPV6_IPV6_H

#include "core/common.h"
#include "core/timer.h"

struct stack;
struct pkt;
struct netdev;

/* Per-interface (and "all"/"default") settings: net.ipv6.conf.IF.KEY. */
struct ip6_conf {
	int forwarding;          /* 0/1 */
	int accept_ra;           /* 0, 1 (if not forwarding), 2 (even when forwarding) */
	int autoconf;            /* SLAAC from RA prefixes */
	int dad_transmits;       /* DupAddrDetectTransmits, default 1 */
	int optimistic_dad;      /* RFC 4429 for autoconfigured addresses, default 0 */
	int hop_limit;           /* default 64 */
	int mtu;                 /* IPv6 MTU of the link, default = link MTU */
	int accept_redirects;    /* default 1 (hosts) */
	int router_solicitations;/* default 3 */
	int flowlabel_auto;      /* RFC 6437 flow labels on output, default 1 */
};

/* Upper-layer input: data at the upper-layer header, nh at the IPv6 header. Consumes @p. */
typedef int (*ip6_upper_input)(struct stack *st, struct pkt *p);

/* Input-side per-packet state kept in pkt->cb while IPv6 owns the packet. */
struct ip6_cb {
	int iif;                 /* ifindex the packet came in on */
	uint16_t nhoff;          /* offset from nh of the next-header byte that named the current header */
	uint16_t hao;            /* offset from nh of a Home Address option, 0 if none */
	uint8_t flags;           /* IP6_CB_* */
};
#define IP6_CB(p) ((struct ip6_cb *)(p)->cb)
enum { IP6_CB_FRAG = 1, IP6_CB_RA = 2 /* router alert */ };

/* What a local sender asks of ip6_output(). */
struct ip6_tx {
	struct in6_addr src;     /* :: picks a source (RFC 6724) unless src_any_ok */
	struct in6_addr dst;
	uint8_t proto;           /* next header of the payload */
	int hop_limit;           /* -1: conf hop_limit (multicast: 1) */
	uint8_t tclass;
	int32_t flowlabel;       /* -1: automatic (RFC 6437) if enabled, else 0 */
	struct netdev *oif;      /* required for link-local and multicast destinations */
	int csum_off;            /* -1: none; else offset in the payload of a 16-bit
				    upper-layer checksum that ip6_output fills over the
				    pseudo-header once the source is known */
	uint16_t csum_part_off;  /* 0: none; else (even, past the checksum field) the */
	uint32_t csum_part;      /* payload from csum_part_off on is already summed into
				    csum_part (csum_partial, while it was copied in), so
				    ip6_output sums only the bytes before it */
	bool dontfrag;           /* fail with -EMSGSIZE rather than fragment */
	bool src_any_ok;         /* keep :: as source (DAD probes, early MLD) */
	/* Mobile IPv6 (mip6/mip6.h): NULL, or */
	const struct in6_addr *hao_coa;  /* leave from this care-of address with a Home
					    Address option carrying src (RFC 6275 6.3) */
	const struct in6_addr *rh2_coa;  /* go to this care-of address with a type 2
					    routing header carrying dst (RFC 6275 6.4) */
};
void ip6_tx_init(struct ip6_tx *tx, const struct in6_addr *dst, uint8_t proto);

struct ip6_state {
	struct ip6_conf all;     /* net.ipv6.conf.all */
	struct ip6_conf dflt;    /* net.ipv6.conf.default: new interfaces start with it */
	uint32_t frag_id;        /* next Fragment Identification (randomised start) */
	struct pmtu6_cache *pmtu;  /* per-destination path MTU (RFC 8201) */
	struct reasm_table *reasm; /* reassembly queues (frag6.c over core/reasm.c) */
	uint8_t flow_secret[16];   /* RFC 6437 flow label hash key */
};

/* Both addresses of the IPv6 header at @h, copied out: wire headers are not aligned. */
struct ip6_addrs {
	struct in6_addr src, dst;
};
static inline struct ip6_addrs ip6_addrs_of(const void *h)
{
	struct ip6_addrs a;

	memcpy(&a, (const uint8_t *)h + 8, sizeof(a));
	return a;
}

int ip6_init(struct stack *st);
void ip6_fini(struct stack *st);

/* A frame's IPv6 packet (data = IPv6 header, dev set). Consumes @p. */
int ip6_input(struct stack *st, struct pkt *p);

/*
 * Sends a locally generated packet: @p holds the upper-layer message at data
 * (headroom for IPv6 + link headers). Selects route and source, fills the
 * checksum (tx->csum_off), fragments if needed (unless dontfrag), resolves
 * the next hop. Consumes @p on every path. 0 or -errno: -ENETUNREACH,
 * -EADDRNOTAVAIL, -EMSGSIZE, -ENOBUFS.
 */
int ip6_output(struct stack *st, struct pkt *p, const struct ip6_tx *tx);

/* Sends a packet whose IPv6 header is complete (data = IPv6 header) out of @dev to @nexthop, fragmenting to the path MTU. Consumes @p. */
int ip6_finish_output(struct stack *st, struct pkt *p, struct netdev *dev, const struct in6_addr *nexthop);

/* Path MTU towards @dst (link MTU if unknown). */
uint32_t pmtu6_get(struct stack *st, const struct in6_addr *dst, struct netdev *dev);
/* IPv6 MTU of the link @dev: device MTU, lowered by conf mtu and an RA MTU option. */
uint32_t ip6_link_mtu(const struct netdev *dev);
/* Packet Too Big: lowers the PMTU of @dst to max(@mtu, 1280) (RFC 8201). */
void pmtu6_update(struct stack *st, const struct in6_addr *dst, uint32_t mtu);

/* PMTU cache lifetime (pmtu6.c), called by ip6_init/ip6_fini. */
int pmtu6_init(struct stack *st);
void pmtu6_fini(struct stack *st);

/*
 * Forwards @p (data = IPv6 header, Hop-by-Hop options already processed)
 * that is not for this host (RFC 8200, RFC 4443 errors). Consumes @p.
 */
int ip6_forward(struct stack *st, struct pkt *p);

/* The settings in force on @dev (its own; "all" overrides forwarding). */
const struct ip6_conf *ip6_conf_of(const struct netdev *dev);
bool ip6_forwarding(const struct stack *st, const struct netdev *dev);

#endif
