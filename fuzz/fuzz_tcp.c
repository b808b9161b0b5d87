/*
 * TCP segment input and option parsing on arbitrary bytes. One host per
 * process (2001:db8::1 on eth0) with a listener on port 80 and, rebuilt
 * whenever it dies, a connection to 2001:db8::2 port 443 that the harness
 * completes with a SYN-ACK, so inputs reach every state's processing.
 *
 * Input: byte 0 selects the target, byte 1 holds flags:
 *   byte0 % 4 == 0: tcp_parse_opts over the rest (SYN and non-SYN rules);
 *   1: a segment (rest = TCP header and payload) to the listener;
 *   2: a segment to the connection, its seq/ack moved near the
 *      connection's own numbers when flag 1 is set (so it lands in the window);
 *   3: an ICMPv6 error quoting a segment of the connection (tcp6_err).
 * The checksum is made correct unless flag 2 is set.
 */
#include "core/csum.h"
#include "l4/sock.h"
#include "l4/tcp.h"
#include "ipv6/addrconf.h"
#include "proto/ip6.h"

#include "fuzz_common.h"

static struct in6_addr me, peer;
static struct usock *lsn, *conn;

static void inject(const uint8_t *seg, size_t len, bool bad_csum)
{
	struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM, len);
	struct ip6_hdr *ip;

	if (!p)
		return;
	memcpy(pkt_put(p, len), seg, len);
	if (len >= TCP_HLEN && !bad_csum) {
		put_be16(p->data + TCP_CSUM_OFF, 0);
		put_be16(p->data + TCP_CSUM_OFF, csum_ipv6(&peer, &me, NH_TCP, p->data, p->len));
	}
	ip = pkt_push(p, IPV6_HLEN);
	memset(ip, 0, IPV6_HLEN);
	ip->vtcfl[0] = 0x60;
	put_be16(ip->plen, (uint16_t)len);
	ip->nxt = NH_TCP;
	ip->hlim = 64;
	memcpy(&ip->src, &peer, 16);
	memcpy(&ip->dst, &me, 16);
	pkt_set_nh(p);
	pkt_pull(p, IPV6_HLEN);
	memset(p->cb, 0, sizeof(p->cb));
	p->dev = dev;
	tcp6_input(st, p);
}

/* A connection in ESTABLISHED: connect, then the peer's SYN-ACK. */
static void make_conn(void)
{
	struct sockaddr_in6 sin;
	uint8_t synack[TCP_HLEN + 8];
	struct tcp_seg s = { .sport = 443, .flags = TCP_F_SYN | TCP_F_ACK, .seq = 1000, .wnd = 65535,
			     .o = { .mss_ok = true, .mss = 1400, .ws_ok = true, .wscale = 2 } };
	struct pkt *p;

	if (conn)
		usagi_close(conn);
	conn = usagi_socket(st, AF_INET6, SOCK_STREAM, 0);
	sockaddr_make(&sin, &peer, 443, 0);
	if (!conn || usagi_connect(conn, (struct sockaddr *)&sin, sizeof(sin)) != -EINPROGRESS)
		return;
	s.dport = conn->tcb->lport;
	s.ack = conn->tcb->iss + 1;
	p = pkt_alloc(st->pool, PKT_HEADROOM, 0);
	if (!p)
		return;
	tcp_push_hdr(p, &s);
	memcpy(synack, p->data, MIN(p->len, sizeof(synack)));
	inject(synack, p->len, false);
	pkt_free(p);
}

static void setup(void)
{
	struct sockaddr_in6 sin;

	fuzz_host_setup("fuzztcp");
	inet_pton(AF_INET6, "2001:db8::1", &me);
	inet_pton(AF_INET6, "2001:db8::2", &peer);
	addrconf_add(dev, &me, 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX);
	lsn = usagi_socket(st, AF_INET6, SOCK_STREAM, 0);
	sockaddr_make(&sin, &in6addr_any, 80, 0);
	usagi_bind(lsn, (struct sockaddr *)&sin, sizeof(sin));
	usagi_listen(lsn, 16);
}

/* Children nobody accepts would fill the backlog: take and close them. */
static void drain_listener(void)
{
	struct usock *c;

	while ((c = usagi_accept(lsn, NULL, NULL)))
		usagi_close(c);
}

static void to_conn(const uint8_t *d, size_t n, uint8_t flags)
{
	uint8_t seg[2048];
	struct tcb *t;

	if (!conn || !conn->tcb || conn->tcb->dead || conn->tcb->state == TCPS_CLOSED)
		make_conn();
	if (!conn || !conn->tcb || n < TCP_HLEN || n > sizeof(seg))
		return;
	t = conn->tcb;
	memcpy(seg, d, n);
	put_be16(seg, t->fport);
	put_be16(seg + 2, t->lport);
	if (flags & 1) {
		put_be32(seg + 4, t->rcv_nxt + (uint32_t)(int8_t)d[4]);
		put_be32(seg + 8, t->snd_una + (uint32_t)(int8_t)d[8]);
	}
	inject(seg, n, flags & 2);
	usagi_recv(conn, seg, sizeof(seg), 0);
	if (flags & 4)
		usagi_send(conn, d, n, 0);
}

static void icmp_err(const uint8_t *d, size_t n, uint8_t flags)
{
	uint8_t q[IPV6_HLEN + 64] = { 0x60 };
	struct pkt *p;

	if (!conn || !conn->tcb)
		return;
	q[6] = NH_TCP;
	memcpy(q + 8, &me, 16);
	memcpy(q + 24, &peer, 16);
	put_be16(q + 40, conn->tcb->lport);
	put_be16(q + 42, conn->tcb->fport);
	memcpy(q + 44, d, MIN(n, sizeof(q) - 44));
	if (flags & 1)
		put_be32(q + 44, conn->tcb->snd_una);
	p = pkt_from_bytes(st->pool, q, IPV6_HLEN + 4 + MIN(n, sizeof(q) - 44));
	if (!p)
		return;
	tcp6_err(st, p, (uint8_t)(1 + flags % 3), (uint8_t)(flags >> 4), 1280);
	pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_opts o;

	if (!st)
		setup();
	if (size < 2 || size > 2000)
		return 0;
	switch (data[0] % 4) {
	case 0:
		tcp_parse_opts(st, data + 2, size - 2, &o, data[1] & 1);
		break;
	case 1:
		if (size - 2 >= 4) {
			uint8_t seg[2000];

			memcpy(seg, data + 2, size - 2);
			put_be16(seg + 2, 80);
			inject(seg, size - 2, data[1] & 2);
		}
		drain_listener();
		break;
	case 2:
		to_conn(data + 2, size - 2, data[1]);
		break;
	default:
		icmp_err(data + 2, size - 2, data[1]);
		break;
	}
	fuzz_tick(31 * NS_PER_SEC);
	return 0;
}
