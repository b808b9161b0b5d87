/*
 * NAT traversal for IPv4 ESP (RFC 3948): ESP carried in UDP on port 4500,
 * told apart from IKE by the non-ESP marker, and NAT-keepalives that keep
 * the NAT's mapping open.
 */
#include "core/csum.h"
#include "ipv4/inet4.h"
#include "xfrm/esp.h"
#include "xfrm/xfrm.h"
#include "xfrm/xfrm_io.h"
#include "xfrm/xfrm_natt.h"
#include "proto/ip4.h"
#include "proto/ip6.h"

#define NATT_KEEPALIVE_BYTE 0xff
#define NATT_DEDUP 64   /* keepalive destinations remembered per round */

/* A datagram to the NAT-T port whose UDP header and checksum hold (else the UDP layer judges it). */
static bool natt_udp_ok(const struct pkt *p, const uint8_t *u)
{
	const uint8_t *ip = pkt_nh(p);
	uint32_t sum;

	if (!u || get_be16(u + 2) != XFRM_NATT_PORT || get_be16(u + 4) != p->len)
		return false;
	if (!get_be16(u + 6))
		return true;    /* RFC 3948 2.1: senders use zero */
	sum = ip4_pseudo_csum(ip4_get(ip + 12), ip4_get(ip + 16), IPPROTO_UDP, p->len);
	return csum_fold(csum_partial(p->data, p->len, sum)) == 0;
}

int xfrm4_udp_encap_input(struct stack *st, struct pkt *p)
{
	const uint8_t *u = pkt_header(p, 0, UDP_HLEN, NULL);
	uint8_t *ip = pkt_nh(p);
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	uint8_t marker[4];

	if (!natt_udp_ok(p, u))
		return 1;
	/* RFC 3948 2.3: a NAT-keepalive is one octet, 0xff. */
	if (p->len == UDP_HLEN + 1 && u[UDP_HLEN] == NATT_KEEPALIVE_BYTE) {
		STAT_INC(st, natt_in_keepalive);
		pkt_free(p);
		return 0;
	}
	/* RFC 3948 2.2: four zero octets (non-ESP marker) start an IKE message. */
	if (p->len < UDP_HLEN + 4)
		return 1;
	memcpy(marker, u + UDP_HLEN, 4);
	if (!(marker[0] | marker[1] | marker[2] | marker[3]))
		return 1;
	if (p->len < UDP_HLEN + ESP_HDR_LEN) {
		STAT_INC(st, natt_in_short);
		pkt_free(p);
		return 0;
	}
	if (IP4_CB(p)->flags & IP4_CB_UDP_ENCAP) {
		/* ESP in UDP in ... already unwrapped once: not a thing RFC 3948 makes. */
		STAT_INC(st, natt_in_nested);
		pkt_free(p);
		return 0;
	}
	IP4_CB(p)->flags |= IP4_CB_UDP_ENCAP;
	IP4_CB(p)->encap_sport = get_be16(u);
	IP4_CB(p)->encap_dport = get_be16(u + 2);
	/* RFC 3948 4: remove the UDP header; the packet is plain ESP from here on. */
	memmove(ip + UDP_HLEN, ip, hlen);
	ip += UDP_HLEN;
	p->nh += UDP_HLEN;
	pkt_pull(p, UDP_HLEN);
	ip[9] = IPPROTO_ESP;
	put_be16(ip + 2, (uint16_t)(hlen + p->len));
	ip4_set_csum(ip, hlen);
	STAT_INC(st, natt_in_esp);
	xfrm4_input(st, p);
	return 0;
}

int xfrm_natt_output(struct stack *st, const struct xfrm_state *x, struct pkt *p)
{
	uint8_t *ip = p->data, *u;
	size_t hlen;

	if (x->c.encap.type != UDP_ENCAP_ESPINUDP || p->len < IPV4_HLEN ||
	    (p->data[0] >> 4) != 4) {
		STAT_INC(st, natt_out_bad);
		return -EINVAL;
	}
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen > p->len || p->len + UDP_HLEN > 65535) {
		STAT_INC(st, natt_out_bad);
		return -EMSGSIZE;
	}
	if (!pkt_push(p, UDP_HLEN)) {
		STAT_INC(st, natt_out_nobufs);
		return -ENOBUFS;
	}
	memmove(p->data, p->data + UDP_HLEN, hlen);
	ip = p->data;
	p->nh = (int32_t)(p->data - p->head);
	u = ip + hlen;
	put_be16(u, x->c.encap.sport);
	put_be16(u + 2, x->c.encap.dport);
	put_be16(u + 4, (uint16_t)(p->len - hlen));
	/* RFC 3948 2.1: the UDP checksum of ESP-in-UDP over IPv4 is sent as zero. */
	put_be16(u + 6, 0);
	ip[9] = IPPROTO_UDP;
	put_be16(ip + 2, (uint16_t)p->len);
	ip4_set_csum(ip, hlen);
	STAT_INC(st, natt_out_esp);
	return 0;
}

bool xfrm_natt_input_ok(struct stack *st, const struct xfrm_state *x, const struct pkt *p)
{
	bool encapsulated = p->nh >= 0 && (pkt_nh(p)[0] >> 4) == 4 &&
			    (IP4_CB(p)->flags & IP4_CB_UDP_ENCAP);

	if (!x->c.encap.type) {
		if (!encapsulated)
			return true;
		STAT_INC(st, natt_in_sa_not_encap);
		return false;
	}
	if (!encapsulated) {
		STAT_INC(st, natt_in_sa_needs_encap);
		return false;
	}
	return true;
}

struct ka_round {
	struct stack *st;
	unsigned n;
	struct { struct in6_addr s, d; uint16_t sp, dp; } seen[NATT_DEDUP];
};

static bool ka_seen(struct ka_round *r, const struct xfrm_state *x)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->seen[i].sp == x->c.encap.sport && r->seen[i].dp == x->c.encap.dport &&
		    in6_equal(&r->seen[i].s, &x->c.saddr) && in6_equal(&r->seen[i].d, &x->c.id.daddr))
			return true;
	if (r->n < NATT_DEDUP) {
		r->seen[r->n].s = x->c.saddr;
		r->seen[r->n].d = x->c.id.daddr;
		r->seen[r->n].sp = x->c.encap.sport;
		r->seen[r->n++].dp = x->c.encap.dport;
	}
	return false;
}

/* RFC 3948 2.3: one 0xff octet from the SA's encapsulation ports, outside IPsec. */
static int ka_send(struct stack *st, struct xfrm_state *x, void *ctx)
{
	struct ka_round *r = ctx;
	struct ip4_tx tx;
	struct pkt *p;
	uint8_t *u;

	if (!x->c.encap.type || !xfrm_state_usable(x) || !in6_is_v4mapped(&x->c.saddr) ||
	    !inet4_is_local(st, ip4_from_mapped(&x->c.saddr)) || ka_seen(r, x))
		return 0;
	p = stack_pkt_alloc(st, UDP_HLEN + 1);
	if (!p)
		return 0;
	u = pkt_put(p, UDP_HLEN + 1);
	put_be16(u, x->c.encap.sport);
	put_be16(u + 2, x->c.encap.dport);
	put_be16(u + 4, UDP_HLEN + 1);
	put_be16(u + 6, 0);
	u[UDP_HLEN] = NATT_KEEPALIVE_BYTE;
	ip4_tx_init(&tx, ip4_from_mapped(&x->c.id.daddr), IPPROTO_UDP);
	tx.src = ip4_from_mapped(&x->c.saddr);
	tx.csum_off = 6;
	tx.xfrm_bypass = true;
	if (ip4_output(st, p, &tx) == 0)
		STAT_INC(st, natt_out_keepalive);
	return 0;
}

/* The timer runs only while SAs with UDP encapsulation exist. */
static void ka_arm(struct stack *st)
{
	stack_timer_cancel(st, &st->xfrm_natt_timer);
	if (st->xfrm_natt_interval_s && st->xfrm_nencap)
		stack_timer_in(st, &st->xfrm_natt_timer,
			       (uint64_t)st->xfrm_natt_interval_s * NS_PER_SEC);
}

static void ka_timer(struct stack *st, struct timer *t)
{
	struct ka_round r = { .st = st };

	(void)t;
	if (st->xfrm_natt_interval_s && st->xfrm_nencap)
		xfrm_state_foreach(st, IPPROTO_ESP, ka_send, &r);
	ka_arm(st);
}

void xfrm_nat_keepalive_set(struct stack *st, uint32_t interval_s)
{
	st->xfrm_natt_interval_s = interval_s;
	ka_arm(st);
}

void xfrm_natt_sa_added(struct stack *st)
{
	if (!st->xfrm_natt_timer.armed)
		ka_arm(st);
}

int xfrm_natt_init(struct stack *st)
{
	timer_init(&st->xfrm_natt_timer, ka_timer);
	st->xfrm_natt_interval_s = XFRM_NATT_KEEPALIVE_DEFAULT_S;
	return 0;
}

void xfrm_natt_fini(struct stack *st)
{
	stack_timer_cancel(st, &st->xfrm_natt_timer);
}
