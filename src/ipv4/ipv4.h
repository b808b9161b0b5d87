/*
 * IPv4 (RFC 791, RFC 1122, RFC 1812 for forwarding): input with header and
 * option validation, output with route and source selection, fragmentation
 * and reassembly (sharing the reassembly memory cap with IPv6), forwarding,
 * Path MTU from ICMP fragmentation-needed.
 */
#ifndef USAGI_IPV4_IPV4_H
#define USAGI_IPV4_IPV4_H

#include "core/common.h"

struct stack;
struct pkt;
struct netdev;

/* Per-interface settings: net.ipv4.conf.IF.KEY (and "all"/"default"). */
struct ip4_conf {
	int forwarding;
	int accept_redirects;
	int arp_ignore;          /* 0: answer for any local address on any interface */
	int arp_announce;
	int rp_filter;           /* 0 off (default here) */
};

/* Input-side per-packet state in pkt->cb while IPv4 owns the packet. */
struct ip4_cb {
	int iif;
	uint8_t flags;           /* IP4_CB_* */
	uint16_t encap_sport;    /* IP4_CB_UDP_ENCAP: the UDP ports ESP came in (host order) */
	uint16_t encap_dport;
};
#define IP4_CB(p) ((struct ip4_cb *)(p)->cb)
enum { IP4_CB_BCAST = 1, IP4_CB_MCAST = 2, IP4_CB_REASM = 4,
       IP4_CB_UDP_ENCAP = 8 /* ESP that arrived in UDP (RFC 3948), header removed */ };

/* What a local sender asks of ip4_output(). Addresses in network order. */
struct ip4_tx {
	uint32_t src;            /* 0: source selection */
	uint32_t dst;
	uint8_t proto;
	int ttl;                 /* -1: default_ttl (multicast: 1) */
	uint8_t tos;
	struct netdev *oif;      /* required for limited broadcast and multicast */
	int csum_off;            /* -1 none; else offset in the payload of an upper-layer
				    checksum filled over the pseudo-header once src is known
				    (ICMP: computed over the payload only, no pseudo-header) */
	bool csum_no_pseudo;     /* ICMP: checksum without the pseudo-header */
	bool df;                 /* set DF; fail with -EMSGSIZE rather than fragment */
	bool src_any_ok;         /* keep 0.0.0.0 as source */
	bool xfrm_bypass;        /* no IPsec policy applies (NAT-T keepalives, like IKE's socket bypass) */
};
void ip4_tx_init(struct ip4_tx *tx, uint32_t dst, uint8_t proto);

struct ip4_state {
	struct ip4_conf all, dflt;
	int ip_forward;          /* net.ipv4.ip_forward */
	int default_ttl;         /* net.ipv4.ip_default_ttl, 64 */
	uint16_t ip_id;          /* next IP Identification */
	struct reasm_table *reasm;   /* frag4.c over core/reasm.c */
	struct pmtu4_cache *pmtu;    /* unused: IPv4 paths live in the IPv6 PMTU cache, mapped */
	struct route4_table *routes;
	struct arp_state *arp;
	struct inet4_index *addrs;   /* every local address, keyed hash */
	/* ICMP error token bucket (RFC 1812 4.3.2.8). */
	uint64_t icmp_tokens_ns, icmp_last_ns;
	uint32_t icmp_ratelimit_ms, icmp_burst;
};

int ip4_init(struct stack *st);
void ip4_fini(struct stack *st);

/* An Ethernet frame's IPv4 packet (data = IPv4 header, dev set). Consumes @p. */
int ip4_input(struct stack *st, struct pkt *p);
/* Locally generated packet, @p holds the upper-layer message. Consumes @p. 0 or -errno. */
int ip4_output(struct stack *st, struct pkt *p, const struct ip4_tx *tx);
/* Packet with complete IPv4 header out of @dev to @nexthop (fragments as needed). Consumes @p. */
int ip4_finish_output(struct stack *st, struct pkt *p, struct netdev *dev, uint32_t nexthop);

uint32_t pmtu4_get(struct stack *st, uint32_t dst, struct netdev *dev);
void pmtu4_update(struct stack *st, uint32_t dst, uint32_t mtu);

const struct ip4_conf *ip4_conf_of(const struct netdev *dev);
bool ip4_forwarding(const struct stack *st, const struct netdev *dev);

/* IPv4 forwarding (RFC 1812 5.2), data = IPv4 header of a packet not for us. Consumes @p. */
int ip4_forward(struct stack *st, struct pkt *p);
/*
 * One's-complement sum of the IPv4 pseudo-header (RFC 768, RFC 793 3.1)
 * for upper-layer length @len and protocol @proto; add the payload with
 * csum_partial and csum_fold the result.
 */
uint32_t ip4_pseudo_csum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);
/* Header checksum of the IPv4 header at @h (@hlen bytes), stored in place. */
void ip4_set_csum(uint8_t *h, size_t hlen);

/*
 * Options (ip4_opts.c). Validates the options of the header at nh (RFC
 * 1122 3.2.1.8, RFC 791 3.1): 0 if acceptable; -EINVAL if malformed with
 * *ptr = offset of the bad octet for a Parameter Problem; -EOPNOTSUPP for
 * a source route option (a host drops them silently, see ip4_opts.c).
 */
int ip4_opts_check(struct stack *st, const struct pkt *p, uint32_t *ptr);
/* Writes to @out the options of @opts (@len bytes) whose copy flag is set, padded to 4 octets; returns the length. */
size_t ip4_opts_copied(const uint8_t *opts, size_t len, uint8_t *out);

/* "192.0.2.1" into buf (INET_ADDRSTRLEN). */
const char *ip4_ntop(uint32_t a, char *buf);
/* "A.B.C.D" or "A.B.C.D/LEN" (LEN defaults to 32); 0 or -EINVAL. */
int ip4_parse_prefix(const char *s, uint32_t *a, unsigned *plen);

#endif
