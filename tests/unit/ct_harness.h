/* Packet builders for the conntrack tests: IPv4/IPv6 packets with TCP, UDP, ICMP. */
#ifndef USAGI_TESTS_CT_HARNESS_H
#define USAGI_TESTS_CT_HARNESS_H

#include <arpa/inet.h>
#include "core/csum.h"
#include "core/stack.h"
#include "netfilter/nf_conntrack.h"

/*
 * Stores the TCP/UDP/ICMP/ICMPv6 checksum of the @l4len-byte message after
 * the @hl-byte IP header at @b (conntrack verifies them at PREROUTING), if
 * the message is long enough to hold one and its field is 0.
 */
static inline void ct_fill_csum(uint8_t *b, size_t hl, uint8_t proto, size_t l4len)
{
	size_t off = proto == 6 ? 16 : proto == 17 ? 6 : (proto == 1 || proto == 58) ? 2 : 0;
	uint8_t *m = b + hl;
	uint32_t sum = 0;
	uint16_t v;

	if (!off || l4len < off + 2 || (proto == 6 && l4len < 20) || get_be16(m + off))
		return;
	if (hl == 40) {
		sum = csum_ipv6_pseudo((const struct in6_addr *)(b + 8), (const struct in6_addr *)(b + 24),
				       (uint32_t)l4len, proto);
	} else if (proto != 1) {
		uint8_t ph[12] = { 0 };

		memcpy(ph, b + 12, 8);
		ph[9] = proto;
		put_be16(ph + 10, (uint16_t)l4len);
		sum = csum_partial(ph, sizeof(ph), 0);
	}
	v = csum_fold(csum_partial(m, l4len, sum));
	put_be16(m + off, v == 0 && proto == 17 ? 0xffff : v);
}

/* An IP packet (data = IP header, nh set) from @src to @dst (family by the text) carrying @l4. */
static inline struct pkt *ct_ip(struct stack *st, const char *src, const char *dst, uint8_t proto,
			 const uint8_t *l4, size_t l4len)
{
	uint8_t b[1600] = { 0 };
	size_t hl;
	struct pkt *p;

	if (strchr(src, ':')) {
		hl = 40;
		b[0] = 0x60;
		put_be16(b + 4, (uint16_t)l4len);
		b[6] = proto;
		b[7] = 64;
		inet_pton(AF_INET6, src, b + 8);
		inet_pton(AF_INET6, dst, b + 24);
	} else {
		hl = 20;
		b[0] = 0x45;
		put_be16(b + 2, (uint16_t)(20 + l4len));
		b[8] = 64;
		b[9] = proto;
		inet_pton(AF_INET, src, b + 12);
		inet_pton(AF_INET, dst, b + 16);
	}
	memcpy(b + hl, l4, l4len);
	ct_fill_csum(b, hl, proto, l4len);
	p = pkt_from_bytes(st->pool, b, hl + l4len);
	p->nh = (int32_t)pkt_headroom(p);
	return p;
}

enum { TF_FIN = 1, TF_SYN = 2, TF_RST = 4, TF_PSH = 8, TF_ACK = 16 };

static inline struct pkt *ct_tcp(struct stack *st, const char *src, const char *dst, uint16_t sport,
			  uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
			  size_t dlen)
{
	uint8_t t[1500] = { 0 };

	put_be16(t, sport);
	put_be16(t + 2, dport);
	put_be32(t + 4, seq);
	put_be32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put_be16(t + 14, win);
	return ct_ip(st, src, dst, 6, t, 20 + dlen);
}

static inline struct pkt *ct_udp(struct stack *st, const char *src, const char *dst, uint16_t sport,
			  uint16_t dport)
{
	uint8_t u[16] = { 0 };

	put_be16(u, sport);
	put_be16(u + 2, dport);
	put_be16(u + 4, sizeof(u));
	return ct_ip(st, src, dst, 17, u, sizeof(u));
}

static inline struct pkt *ct_icmp(struct stack *st, const char *src, const char *dst, uint8_t type,
			   uint8_t code, uint16_t id, const uint8_t *quote, size_t qlen)
{
	uint8_t m[1280] = { 0 };

	m[0] = type;
	m[1] = code;
	put_be16(m + 4, id);
	if (qlen)
		memcpy(m + 8, quote, qlen);
	return ct_ip(st, src, dst, strchr(src, ':') ? 58 : 1, m, 8 + qlen);
}

/* Classifies @p and frees it; returns the state, the conn in *ct if wanted. */
static inline enum nf_ct_state ct_run(struct stack *st, struct pkt *p, struct nf_conn **ct, int *dir)
{
	struct nf_ct_info ci;

	/* ip6_input fills IP6_CB before any hook runs; a packet handed in directly has junk there. */
	memset(p->cb, 0, sizeof(p->cb));
	nf_ct_in(st, p, NF_PREROUTING, &ci);
	pkt_free(p);
	if (ct)
		*ct = ci.ct;
	if (dir)
		*dir = ci.dir;
	return ci.state;
}

#endif
