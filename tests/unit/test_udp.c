/*
 * UDP input, demultiplexing, ICMPv6 errors and ping6 input, fed with
 * hand-built datagrams straight into udp6_input()/ping6_input() on host B
 * of a back-to-back pair (so they run without the IPv6 input path).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/sock.h"
#include "core/csum.h"
#include "proto/ip6.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

enum csum_mode { CSUM_GOOD, CSUM_ZERO, CSUM_BAD };

/*
 * An input packet as udp6_input sees it: nh at a built IPv6 header, data at
 * the UDP header. @ulen_field 0 means the true length.
 */
static struct pkt *mk_udp(struct stack *st, const struct in6_addr *src, const struct in6_addr *dst,
			  uint16_t sport, uint16_t dport, const char *payload,
			  enum csum_mode mode, uint16_t ulen_field, int iif)
{
	size_t plen = strlen(payload), ulen = 8 + plen;
	struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM, IPV6_HLEN + ulen);
	struct ip6_hdr *ip6 = pkt_put(p, IPV6_HLEN);
	struct udp_hdr *uh = pkt_put(p, 8);

	memset(ip6, 0, sizeof(*ip6));
	ip6_set_vtcfl(ip6, 0, 0);
	put_be16(ip6->plen, (uint16_t)ulen);
	ip6->nxt = NH_UDP;
	ip6->hlim = 61;
	ip6->src = *src;
	ip6->dst = *dst;
	put_be16(uh->sport, sport);
	put_be16(uh->dport, dport);
	put_be16(uh->len, (uint16_t)ulen);
	put_be16(uh->cksum, 0);
	memcpy(pkt_put(p, plen), payload, plen);
	put_be16(uh->cksum, csum_ipv6(src, dst, NH_UDP, uh, ulen));
	if (get_be16(uh->cksum) == 0)
		put_be16(uh->cksum, 0xffff);
	if (mode == CSUM_ZERO)
		put_be16(uh->cksum, 0);
	if (mode == CSUM_BAD)
		uh->cksum[1] ^= 0x5a;
	if (ulen_field)
		put_be16(uh->len, ulen_field);
	pkt_set_nh(p);
	pkt_pull(p, IPV6_HLEN);
	p->tstamp = st->now;
	memset(p->cb, 0, sizeof(p->cb));
	IP6_CB(p)->iif = iif;
	return p;
}

struct fix {
	struct l4_pair pr;
	struct stack *b;
	int ifb;
	struct in6_addr c;    /* a third host on the link */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	/* Addresses only matter to the tests that bind one; those fail on their own. */
	l4_pair_init(&f->pr);
	assert_non_null(f->pr.b.dev);
	f->b = f->pr.b.st;
	f->ifb = f->pr.b.dev->ifindex;
	f->c = A("2001:db8::3");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	l4_pair_fini(&f->pr);
	free(f);
	return 0;
}

static struct usock *udp_bound(struct stack *st, const char *addr, uint16_t port)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin;

	assert_non_null(s);
	sockaddr_make(&sin, addr ? &(struct in6_addr){ 0 } : &in6addr_any, port, 0);
	if (addr)
		inet_pton(AF_INET6, addr, &sin.sin6_addr);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return s;
}

static void test_input_delivers(void **state)
{
	struct fix *f = *state;
	struct usock *s = udp_bound(f->b, NULL, 5000);
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	struct usagi_rxinfo ri;
	char buf[64];

	udp6_input(f->b, mk_udp(f->b, &f->pr.addr_a, &f->pr.addr_b, 1234, 5000, "hello",
				CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(s), 1);
	assert_int_equal(usagi_recvmsg(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl, &ri), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(fl, sizeof(from));
	assert_int_equal(from.sin6_family, AF_INET6);
	assert_true(in6_equal(&from.sin6_addr, &f->pr.addr_a));
	assert_int_equal(ntohs(from.sin6_port), 1234);
	assert_true(in6_equal(&ri.dst, &f->pr.addr_b));
	assert_int_equal(ri.ifindex, f->ifb);
	assert_int_equal(ri.hop_limit, 61);
	assert_int_equal(ri.tstamp, usagi_stack_now(f->b));
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	assert_int_equal(STAT_GET(f->b, udp_in_datagrams), 1);
	usagi_close(s);
}

static void test_bad_input_counted(void **state)
{
	struct fix *f = *state;
	struct stack *b = f->b;
	unsigned base = pkt_pool_in_use(b->pool);
	struct usock *s = udp_bound(b, NULL, 5000);
	const struct in6_addr *sa = &f->pr.addr_a, *da = &f->pr.addr_b;
	struct pkt *p;
	char buf[64];

	udp6_input(b, mk_udp(b, sa, da, 1, 5000, "x", CSUM_BAD, 0, f->ifb));
	assert_int_equal(STAT_GET(b, udp_bad_csum), 1);
	udp6_input(b, mk_udp(b, sa, da, 1, 5000, "x", CSUM_ZERO, 0, f->ifb));
	assert_int_equal(STAT_GET(b, udp_zero_csum), 1);
	udp6_input(b, mk_udp(b, sa, da, 1, 5000, "x", CSUM_GOOD, 7, f->ifb));
	assert_int_equal(STAT_GET(b, udp_bad_len), 1);
	udp6_input(b, mk_udp(b, sa, da, 1, 5000, "x", CSUM_GOOD, 10, f->ifb));
	assert_int_equal(STAT_GET(b, udp_short), 1);
	p = mk_udp(b, sa, da, 1, 5000, "x", CSUM_GOOD, 0, f->ifb);
	pkt_trim(p, 5);
	udp6_input(b, p);
	assert_int_equal(STAT_GET(b, udp_truncated), 1);
	assert_int_equal(usagi_sock_pending(s), 0);

	/* Bytes beyond the length field are padding: trimmed, the datagram still checks. */
	p = mk_udp(b, sa, da, 1, 5000, "abc", CSUM_GOOD, 0, f->ifb);
	memcpy(pkt_put(p, 4), "PADD", 4);
	udp6_input(b, p);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), 3);
	usagi_close(s);
	assert_int_equal(pkt_pool_in_use(b->pool), base);
}

static void test_no_port(void **state)
{
	struct fix *f = *state;

	udp6_input(f->b, mk_udp(f->b, &f->pr.addr_a, &f->pr.addr_b, 1, 4444, "x", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(STAT_GET(f->b, udp_no_port), 1);
	udp6_input(f->b, mk_udp(f->b, &f->pr.addr_a, &(struct in6_addr){ .s6_addr = { 0xff, 0x15, [14] = 0x12, [15] = 0x34 } },
				1, 4444, "x", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(STAT_GET(f->b, udp_no_port_mcast), 1);
	assert_int_equal(STAT_GET(f->b, udp_no_port), 1);
}

static void test_best_match_and_connect(void **state)
{
	struct fix *f = *state;
	struct stack *b = f->b;
	const struct in6_addr *da = &f->pr.addr_b;
	struct usock *any = udp_bound(b, NULL, 6000);
	struct usock *conn = udp_bound(b, "2001:db8::2", 6000);
	struct usock *any2 = udp_bound(b, NULL, 6001);
	struct usock *spec = udp_bound(b, "2001:db8::2", 6001);
	struct sockaddr_in6 peer, un = { .sin6_family = AF_UNSPEC };

	/* The bound address beats ::. */
	udp6_input(b, mk_udp(b, &f->c, da, 1111, 6001, "0", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(spec), 1);
	assert_int_equal(usagi_sock_pending(any2), 0);

	sockaddr_make(&peer, &f->pr.addr_a, 1111, 0);
	assert_int_equal(usagi_connect(conn, (struct sockaddr *)&peer, sizeof(peer)), 0);
	/* From the connected peer: the connected socket wins. */
	udp6_input(b, mk_udp(b, &f->pr.addr_a, da, 1111, 6000, "1", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(conn), 1);
	/* Same address, other port: the connected socket filters it, :: takes it. */
	udp6_input(b, mk_udp(b, &f->pr.addr_a, da, 1112, 6000, "2", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(conn), 1);
	assert_int_equal(usagi_sock_pending(any), 1);
	usagi_close(any);
	/* Only the connected socket is left: other sources find no listener. */
	udp6_input(b, mk_udp(b, &f->c, da, 1111, 6000, "3", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(STAT_GET(b, udp_no_port), 1);
	assert_int_equal(usagi_connect(conn, (struct sockaddr *)&un, sizeof(un)), 0);
	udp6_input(b, mk_udp(b, &f->c, da, 1111, 6000, "4", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(conn), 2);
	usagi_close(conn);
	usagi_close(any2);
	usagi_close(spec);
}

static void test_rcvq_overflow(void **state)
{
	struct fix *f = *state;
	unsigned base = pkt_pool_in_use(f->b->pool);
	struct usock *s = udp_bound(f->b, NULL, 7000);
	int small = 4096;   /* 8 datagrams (rcvbuf / 512) */

	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	for (int i = 0; i < 12; i++)
		udp6_input(f->b, mk_udp(f->b, &f->pr.addr_a, &f->pr.addr_b, 1, 7000, "data",
					CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(s), 8);
	assert_int_equal(STAT_GET(f->b, sock_rcvq_full), 4);
	/* Closing frees what was queued. */
	usagi_close(s);
	assert_int_equal(pkt_pool_in_use(f->b->pool), base);
}

static void test_mcast_fanout(void **state)
{
	struct fix *f = *state;
	struct in6_addr g = A("ff15::1234");
	struct usock *s1 = udp_bound(f->b, NULL, 8000);
	struct usock *s2 = udp_bound(f->b, "ff15::1234", 8000);
	struct usock *s3 = udp_bound(f->b, "2001:db8::2", 8000);

	udp6_input(f->b, mk_udp(f->b, &f->pr.addr_a, &g, 1, 8000, "m", CSUM_GOOD, 0, f->ifb));
	assert_int_equal(usagi_sock_pending(s1), 1);
	assert_int_equal(usagi_sock_pending(s2), 1);
	assert_int_equal(usagi_sock_pending(s3), 0);
	usagi_close(s1);
	usagi_close(s2);
	usagi_close(s3);
}

/* The quoted packet of an ICMPv6 error: what A sent, IPv6 header at data. */
static struct pkt *mk_quote(struct stack *st, const struct in6_addr *src, const struct in6_addr *dst,
			    uint16_t sport, uint16_t dport)
{
	struct pkt *p = mk_udp(st, src, dst, sport, dport, "q", CSUM_GOOD, 0, 0);

	pkt_push(p, IPV6_HLEN);
	return p;
}

static void test_icmp_error_connrefused(void **state)
{
	struct fix *f = *state;
	struct stack *a = f->pr.a.st;
	struct usock *s = usagi_socket(a, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	struct sockaddr_in6 peer, me;
	socklen_t ml = sizeof(me);
	struct pkt *q;
	char buf[8];

	sockaddr_make(&peer, &f->pr.addr_b, 9999, 0);
	assert_int_equal(usagi_connect(s, (struct sockaddr *)&peer, sizeof(peer)), 0);
	assert_int_equal(usagi_getsockname(s, (struct sockaddr *)&me, &ml), 0);
	q = mk_quote(a, &f->pr.addr_a, &f->pr.addr_b, ntohs(me.sin6_port), 9999);
	udp6_err(a, q, ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0);
	pkt_free(q);
	assert_int_equal(STAT_GET(a, udp_err_in), 1);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -ECONNREFUSED);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	/* A short quote is counted, not read past its end. */
	q = mk_quote(a, &f->pr.addr_a, &f->pr.addr_b, ntohs(me.sin6_port), 9999);
	pkt_trim(q, IPV6_HLEN + 2);
	udp6_err(a, q, ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0);
	pkt_free(q);
	assert_int_equal(STAT_GET(a, udp_err_bad), 1);
	usagi_close(s);
}

static struct pkt *mk_echo(struct stack *st, const struct in6_addr *src, const struct in6_addr *dst,
			   uint8_t type, uint16_t id, int iif)
{
	struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM, 64);
	struct ip6_hdr *ip6 = pkt_put(p, IPV6_HLEN);
	uint8_t *m = pkt_put(p, 12);

	memset(ip6, 0, sizeof(*ip6));
	ip6_set_vtcfl(ip6, 0, 0);
	put_be16(ip6->plen, 12);
	ip6->nxt = NH_ICMPV6;
	ip6->hlim = 64;
	ip6->src = *src;
	ip6->dst = *dst;
	memset(m, 0, 12);
	m[0] = type;
	put_be16(m + 4, id);
	put_be16(m + 6, 7);
	memcpy(m + 8, "ping", 4);
	pkt_set_nh(p);
	pkt_pull(p, IPV6_HLEN);
	memset(p->cb, 0, sizeof(p->cb));
	IP6_CB(p)->iif = iif;
	return p;
}

static void test_ping_input(void **state)
{
	struct fix *f = *state;
	struct usock *s = usagi_socket(f->b, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	struct sockaddr_in6 sin, me;
	socklen_t ml = sizeof(me);
	struct usagi_rxinfo ri;
	uint8_t buf[64];

	sockaddr_make(&sin, &in6addr_any, 0, 0);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_getsockname(s, (struct sockaddr *)&me, &ml), 0);
	assert_int_not_equal(me.sin6_port, 0);
	ping6_input(f->b, mk_echo(f->b, &f->pr.addr_a, &f->pr.addr_b, ICMP6_ECHO_REPLY,
				  ntohs(me.sin6_port) ^ 1, f->ifb));
	assert_int_equal(STAT_GET(f->b, ping_no_socket), 1);
	ping6_input(f->b, mk_echo(f->b, &f->pr.addr_a, &f->pr.addr_b, ICMP6_ECHO_REPLY,
				  ntohs(me.sin6_port), f->ifb));
	assert_int_equal(usagi_recvmsg(s, buf, sizeof(buf), 0, NULL, NULL, &ri), 12);
	assert_int_equal(buf[0], ICMP6_ECHO_REPLY);
	assert_int_equal(get_be16(buf + 4), ntohs(me.sin6_port));
	assert_memory_equal(buf + 8, "ping", 4);
	assert_int_equal(ri.hop_limit, 64);
	usagi_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_input_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_best_match_and_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvq_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcast_fanout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_connrefused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
