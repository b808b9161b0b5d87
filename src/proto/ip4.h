/* IPv4 wire formats (RFC 791, 792, 826, 1122). Multi-byte fields big-endian. */
#ifndef USAGI_PROTO_IP4_H
#define USAGI_PROTO_IP4_H

#include "core/common.h"

#define IPV4_HLEN 20
#define IPV4_MIN_MTU 68

struct ip4_hdr {
	uint8_t vihl;            /* version 4, IHL (32-bit words) 4 */
	uint8_t tos;
	uint8_t tot_len[2];
	uint8_t id[2];
	uint8_t frag_off[2];     /* reserved 1, DF 1, MF 1, offset 13 (8-octet units) */
	uint8_t ttl;
	uint8_t proto;
	uint8_t cksum[2];
	uint8_t src[4];
	uint8_t dst[4];
} PACKED;
#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff

/* Options (RFC 791 3.1). */
enum { IPOPT_END = 0, IPOPT_NOP = 1, IPOPT_RR = 7, IPOPT_TS = 68, IPOPT_SEC = 130,
       IPOPT_LSRR = 131, IPOPT_SSRR = 137, IPOPT_RA = 148 };

struct icmp4_hdr {
	uint8_t type;
	uint8_t code;
	uint8_t cksum[2];
	uint8_t data[4];
} PACKED;
enum { ICMP4_ECHO_REPLY = 0, ICMP4_DST_UNREACH = 3, ICMP4_REDIRECT = 5, ICMP4_ECHO = 8,
       ICMP4_TIME_EXCEEDED = 11, ICMP4_PARAM_PROB = 12 };
/* Destination Unreachable codes (RFC 792, 1122, 1812). */
enum { ICMP4_DU_NET = 0, ICMP4_DU_HOST = 1, ICMP4_DU_PROTO = 2, ICMP4_DU_PORT = 3,
       ICMP4_DU_FRAG_NEEDED = 4, ICMP4_DU_SRC_ROUTE = 5, ICMP4_DU_ADMIN = 13 };
enum { ICMP4_TE_TTL = 0, ICMP4_TE_REASSEMBLY = 1 };

/* ARP for IPv4 over Ethernet (RFC 826). */
struct arp_hdr {
	uint8_t htype[2];        /* 1 */
	uint8_t ptype[2];        /* 0x0800 */
	uint8_t hlen, plen;      /* 6, 4 */
	uint8_t op[2];           /* 1 request, 2 reply */
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
} PACKED;
enum { ARP_REQUEST = 1, ARP_REPLY = 2 };

/* IPv4 address helpers; addresses are uint32_t in network byte order (in_addr_t). */
static inline uint32_t ip4_get(const uint8_t b[4]) { uint32_t v; memcpy(&v, b, 4); return v; }
static inline void ip4_put(uint8_t b[4], uint32_t v) { memcpy(b, &v, 4); }
static inline bool ip4_is_multicast(uint32_t a) { return (ntohl(a) >> 28) == 0xe; }
static inline bool ip4_is_limited_bcast(uint32_t a) { return a == 0xffffffffu; }
static inline bool ip4_is_loopback(uint32_t a) { return (ntohl(a) >> 24) == 127; }
static inline bool ip4_is_zeronet(uint32_t a) { return (ntohl(a) >> 24) == 0; }
static inline uint32_t ip4_mask(unsigned plen)
{
	return plen == 0 ? 0 : htonl(0xffffffffu << (32 - plen));
}
/* ::ffff:a.b.c.d for @a (RFC 4291 2.5.5.2): how IPv4 addresses travel in shared tables. */
static inline void ip4_to_mapped(struct in6_addr *m, uint32_t a)
{
	memset(m, 0, 10);
	m->s6_addr[10] = 0xff;
	m->s6_addr[11] = 0xff;
	memcpy(m->s6_addr + 12, &a, 4);
}
static inline bool in6_is_v4mapped(const struct in6_addr *m)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };
	return memcmp(m->s6_addr, pfx, 12) == 0;
}
static inline uint32_t ip4_from_mapped(const struct in6_addr *m)
{
	uint32_t a;
	memcpy(&a, m->s6_addr + 12, 4);
	return a;
}

#endif
