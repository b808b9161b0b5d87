/* IPv6 wire formats (RFC 8200, 4443, 4861, 3810). All multi-byte fields big-endian. */
#ifndef USAGI_PROTO_IP6_H
#define USAGI_PROTO_IP6_H

#include "core/common.h"

#define IPV6_HLEN 40
#define IPV6_MIN_MTU 1280

struct ip6_hdr {
	uint8_t vtcfl[4];        /* version 4, traffic class 8, flow label 20 */
	uint8_t plen[2];
	uint8_t nxt;
	uint8_t hlim;
	struct in6_addr src;
	struct in6_addr dst;
} PACKED;

static inline unsigned ip6_version(const struct ip6_hdr *h) { return h->vtcfl[0] >> 4; }
static inline uint32_t ip6_flowlabel(const struct ip6_hdr *h) { return get_be32(h->vtcfl) & 0xfffff; }
static inline uint8_t ip6_tclass(const struct ip6_hdr *h) { return (uint8_t)(get_be32(h->vtcfl) >> 20); }
static inline void ip6_set_vtcfl(struct ip6_hdr *h, uint8_t tclass, uint32_t fl)
{
	put_be32(h->vtcfl, 6u << 28 | (uint32_t)tclass << 20 | (fl & 0xfffff));
}

/* Next header values. */
enum {
	NH_HOPOPTS = 0, NH_ICMP = 1, NH_TCP = 6, NH_UDP = 17, NH_IPV6 = 41,
	NH_ROUTING = 43, NH_FRAGMENT = 44, NH_ESP = 50, NH_AH = 51,
	NH_ICMPV6 = 58, NH_NONE = 59, NH_DSTOPTS = 60, NH_MH = 135,
	NH_IPCOMP = 108, NH_IPIP = 4,
};

/* Generic extension header start (HbH, DstOpts, Routing). */
struct ip6_ext {
	uint8_t nxt;
	uint8_t len;             /* 8-octet units, not counting the first 8 */
} PACKED;

struct ip6_frag {
	uint8_t nxt;
	uint8_t reserved;
	uint8_t off_m[2];        /* offset 13 bits (8-octet units), res 2, M 1 */
	uint8_t id[4];
} PACKED;

struct ip6_rthdr {
	uint8_t nxt;
	uint8_t len;
	uint8_t type;
	uint8_t segleft;
} PACKED;

/* Options (RFC 8200 4.2). */
enum { OPT6_PAD1 = 0, OPT6_PADN = 1, OPT6_RTALERT = 5, OPT6_JUMBO = 0xc2, OPT6_HAO = 0xc9 };

struct icmp6_hdr {
	uint8_t type;
	uint8_t code;
	uint8_t cksum[2];
	uint8_t data[4];
} PACKED;

enum {
	ICMP6_DST_UNREACH = 1, ICMP6_PACKET_TOO_BIG = 2, ICMP6_TIME_EXCEEDED = 3,
	ICMP6_PARAM_PROB = 4, ICMP6_ECHO_REQUEST = 128, ICMP6_ECHO_REPLY = 129,
	MLD_QUERY = 130, MLD_REPORT_V1 = 131, MLD_DONE = 132,
	ND_ROUTER_SOLICIT = 133, ND_ROUTER_ADVERT = 134, ND_NEIGHBOR_SOLICIT = 135,
	ND_NEIGHBOR_ADVERT = 136, ND_REDIRECT = 137, MLD_REPORT_V2 = 143,
};

/* Destination Unreachable codes. */
enum { ICMP6_DU_NOROUTE = 0, ICMP6_DU_ADMIN = 1, ICMP6_DU_BEYONDSCOPE = 2,
       ICMP6_DU_ADDR = 3, ICMP6_DU_PORT = 4, ICMP6_DU_POLICY = 5, ICMP6_DU_REJECT = 6 };
/* Time Exceeded codes. */
enum { ICMP6_TE_HOPLIMIT = 0, ICMP6_TE_REASSEMBLY = 1 };
/* Parameter Problem codes. */
enum { ICMP6_PP_HEADER = 0, ICMP6_PP_NEXTHEADER = 1, ICMP6_PP_OPTION = 2,
       ICMP6_PP_FIRSTFRAG = 3 };

/* Neighbor Discovery (RFC 4861 4). Messages start after the 4-byte ICMPv6 type/code/cksum. */
struct nd_rs {
	struct icmp6_hdr h;      /* data: reserved */
} PACKED;

struct nd_ra {
	uint8_t type, code, cksum[2];
	uint8_t cur_hlim;
	uint8_t flags;           /* M 0x80, O 0x40 */
	uint8_t router_lft[2];
	uint8_t reachable[4];
	uint8_t retrans[4];
} PACKED;
#define ND_RA_FLAG_MANAGED 0x80
#define ND_RA_FLAG_OTHER 0x40

struct nd_ns {
	uint8_t type, code, cksum[2];
	uint8_t reserved[4];
	struct in6_addr target;
} PACKED;

struct nd_na {
	uint8_t type, code, cksum[2];
	uint8_t flags;           /* R 0x80, S 0x40, O 0x20 */
	uint8_t reserved[3];
	struct in6_addr target;
} PACKED;
#define ND_NA_FLAG_ROUTER 0x80
#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE 0x20

struct nd_redirect {
	uint8_t type, code, cksum[2];
	uint8_t reserved[4];
	struct in6_addr target;
	struct in6_addr dst;
} PACKED;

/* ND options (RFC 4861 4.6, RFC 8106). */
enum { ND_OPT_SLLA = 1, ND_OPT_TLLA = 2, ND_OPT_PREFIX = 3, ND_OPT_REDIRECTED = 4,
       ND_OPT_MTU = 5, ND_OPT_RDNSS = 25 };

struct nd_opt_prefix {
	uint8_t type, len;       /* 3, 4 */
	uint8_t plen;
	uint8_t flags;           /* L 0x80, A 0x40 */
	uint8_t valid[4];
	uint8_t preferred[4];
	uint8_t reserved[4];
	struct in6_addr prefix;
} PACKED;
#define ND_OPT_PI_FLAG_ONLINK 0x80
#define ND_OPT_PI_FLAG_AUTO 0x40

struct nd_opt_mtu {
	uint8_t type, len;       /* 5, 1 */
	uint8_t reserved[2];
	uint8_t mtu[4];
} PACKED;

/* MLDv2 (RFC 3810 5). */
struct mld2_report {
	uint8_t type, code, cksum[2];
	uint8_t reserved[2];
	uint8_t nrec[2];
} PACKED;

struct mld2_grec {
	uint8_t type;            /* MODE_IS_INCLUDE 1 ... BLOCK_OLD_SOURCES 6 */
	uint8_t auxlen;
	uint8_t nsrc[2];
	struct in6_addr group;
} PACKED;
enum { MLD2_MODE_IS_INCLUDE = 1, MLD2_MODE_IS_EXCLUDE = 2, MLD2_CHANGE_TO_INCLUDE = 3,
       MLD2_CHANGE_TO_EXCLUDE = 4 };

struct mld_query {
	uint8_t type, code, cksum[2];
	uint8_t max_resp[2];
	uint8_t reserved[2];
	struct in6_addr group;
	/* MLDv2 only, when the message is at least 28 bytes: */
	uint8_t s_qrv, qqic;
	uint8_t nsrc[2];
} PACKED;

struct udp_hdr {
	uint8_t sport[2];
	uint8_t dport[2];
	uint8_t len[2];
	uint8_t cksum[2];
} PACKED;
#define UDP_HLEN 8

#endif
