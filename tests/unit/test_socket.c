/*
 * The socket API: argument checking, bind rules, options, and end to end
 * between two hosts back to back (tests/lib/l4_pair.h):
 *
 *   A 2001:db8::1 ---- 2001:db8::2 B
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/sock.h"
#include "ipv6/route6.h"
#include "proto/ip6.h"

static struct sockaddr *sa(struct sockaddr_in6 *sin, const char *addr, uint16_t port)
{
	sockaddr_make(sin, &in6addr_any, port, 0);
	if (addr)
		inet_pton(AF_INET6, addr, &sin->sin6_addr);
	return (struct sockaddr *)sin;
}

static uint16_t local_port(struct usock *s)
{
	struct sockaddr_in6 me;
	socklen_t l = sizeof(me);

	assert_int_equal(usagi_getsockname(s, (struct sockaddr *)&me, &l), 0);
	return ntohs(me.sin6_port);
}

static void test_socket_args(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->a.st;
	struct usock *s;

	assert_null(usagi_socket(st, AF_UNIX, SOCK_DGRAM, 0));
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_null(usagi_socket(st, AF_INET6, SOCK_RAW, 0));
	assert_int_equal(errno, ESOCKTNOSUPPORT);
	assert_null(usagi_socket(st, AF_INET6, SOCK_STREAM, IPPROTO_UDP));
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_null(usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_TCP));
	assert_int_equal(errno, EPROTONOSUPPORT);
	s = usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	assert_non_null(s);
	usagi_close(s);
	s = usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	assert_non_null(s);
	usagi_close(s);
}

static void test_ephemeral_ports(void **state)
{
	struct l4_pair *pr = *state;
	enum { N = 300 };
	struct usock *s[N];
	struct sockaddr_in6 sin;
	static uint8_t seen[65536];

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < N; i++) {
		s[i] = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
		assert_int_equal(usagi_bind(s[i], sa(&sin, NULL, 0), sizeof(sin)), 0);
		uint16_t port = local_port(s[i]);

		assert_true(port >= 49152);
		assert_int_equal(seen[port], 0);
		seen[port] = 1;
	}
	assert_int_equal(usagi_bind(s[0], sa(&sin, NULL, 0), sizeof(sin)), -EINVAL);
	for (int i = 0; i < N; i++)
		usagi_close(s[i]);
}

static void test_bind_rules(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->b.st;
	struct usock *s1 = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct usock *s2 = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct usock *s3 = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin;

	assert_int_equal(usagi_bind(s1, sa(&sin, "2001:db8::99", 5000), sizeof(sin)), -EADDRNOTAVAIL);
	assert_int_equal(usagi_bind(s1, sa(&sin, NULL, 5000), 8), -EINVAL);
	assert_int_equal(usagi_bind(s1, sa(&sin, NULL, 5000), sizeof(sin)), 0);
	assert_int_equal(usagi_bind(s2, sa(&sin, NULL, 5000), sizeof(sin)), -EADDRINUSE);
	/* Another address on the same port is no conflict. */
	assert_int_equal(usagi_bind(s2, sa(&sin, "2001:db8::2", 5000), sizeof(sin)), 0);
	assert_int_equal(usagi_bind(s3, sa(&sin, "2001:db8::2", 5000), sizeof(sin)), -EADDRINUSE);
	usagi_close(s1);
	assert_int_equal(usagi_bind(s3, sa(&sin, NULL, 5000), sizeof(sin)), 0);
	usagi_close(s2);
	usagi_close(s3);
}

static void test_options_and_errors(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
	struct ipv6_mreq m = { .ipv6mr_interface = 0 };
	struct sockaddr_in6 sin;
	int v;
	char buf[4];

	v = 300;
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)), -EINVAL);
	v = 7;
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)), 0);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &v, sizeof(v)), 0);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v)), 0);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v)), 0);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)), 0);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &v, 1), -EINVAL);
	v = 99;
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &v, sizeof(v)), -ENODEV);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, 9999, &v, sizeof(v)), -ENOPROTOOPT);
	inet_pton(AF_INET6, "2001:db8::5", &m.ipv6mr_multiaddr);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)), -EINVAL);
	inet_pton(AF_INET6, "ff15::1", &m.ipv6mr_multiaddr);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &m, sizeof(m)), -EADDRNOTAVAIL);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)), 0);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)), -EADDRINUSE);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &m, sizeof(m)), 0);

	assert_int_equal(usagi_sendto(s, "x", 1, 0, NULL, 0), -EDESTADDRREQ);
	assert_int_equal(usagi_sendto(s, "x", 1, 0, sa(&sin, "::ffff:192.0.2.1", 9), sizeof(sin)), -ENETUNREACH);
	assert_int_equal(usagi_sendto(s, "x", 1, 0, sa(&sin, "2001:db8::2", 0), sizeof(sin)), -EINVAL);
	assert_int_equal(usagi_sendto(s, "x", 1, 0, sa(&sin, "fe80::2", 9), sizeof(sin)), -EINVAL);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	/* The failed sends bound the socket implicitly; V6ONLY is now fixed. */
	v = 0;
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)), -EINVAL);
	usagi_close(s);
}

/* ---- end to end: needs ip6_output, addrconf, nd6, icmp6 ---- */

static void test_e2e_datagram(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *sa_ = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
	struct usock *sb = usagi_socket(pr->b.st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin, from;
	socklen_t fl = sizeof(from);
	struct usagi_rxinfo ri;
	char buf[32];

	assert_int_equal(usagi_bind(sb, sa(&sin, NULL, 5000), sizeof(sin)), 0);
	assert_int_equal(usagi_sendto(sa_, "hello B", 7, 0, sa(&sin, "2001:db8::2", 5000), sizeof(sin)), 7);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl, &ri), 7);
	assert_memory_equal(buf, "hello B", 7);
	assert_true(in6_equal(&from.sin6_addr, &pr->addr_a));
	assert_int_equal(ntohs(from.sin6_port), local_port(sa_));
	assert_true(in6_equal(&ri.dst, &pr->addr_b));
	assert_int_equal(ri.ifindex, pr->b.dev->ifindex);
	assert_int_equal(ri.hop_limit, 64);
	usagi_close(sa_);
	usagi_close(sb);
}

static void test_e2e_port_unreachable(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin;
	char buf[8];

	assert_int_equal(usagi_connect(s, sa(&sin, "2001:db8::2", 9), sizeof(sin)), 0);
	assert_int_equal(usagi_sendto(s, "x", 1, 0, NULL, 0), 1);
	l4_pair_pump(pr, 1);
	assert_int_equal(STAT_GET(pr->b.st, udp_no_port), 1);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -ECONNREFUSED);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	usagi_close(s);
}

static void test_e2e_multicast(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *sb = usagi_socket(pr->b.st, AF_INET6, SOCK_DGRAM, 0);
	struct usock *sa_ = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
	struct ipv6_mreq m = { .ipv6mr_interface = 0 };
	struct usagi_rxinfo ri;
	struct sockaddr_in6 sin;
	int ifa = pr->a.dev->ifindex;
	char buf[8];

	assert_int_equal(usagi_bind(sb, sa(&sin, NULL, 8000), sizeof(sin)), 0);
	inet_pton(AF_INET6, "ff15::1234", &m.ipv6mr_multiaddr);
	assert_int_equal(usagi_setsockopt(sb, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)), 0);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_setsockopt(sa_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifa, sizeof(ifa)), 0);
	assert_int_equal(usagi_sendto(sa_, "grp", 3, 0, sa(&sin, "ff15::1234", 8000), sizeof(sin)), 3);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(sb, buf, sizeof(buf), 0, NULL, NULL, &ri), 3);
	assert_true(in6_equal(&ri.dst, &m.ipv6mr_multiaddr));
	assert_int_equal(ri.hop_limit, 1);
	usagi_close(sb);
	usagi_close(sa_);
}

static void test_e2e_udp_echo(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin, from;
	socklen_t fl = sizeof(from);
	char buf[32];

	assert_int_equal(service_udp_echo(pr->b.st, 7777), 0);
	assert_int_equal(service_udp_echo(pr->b.st, 7777), -EADDRINUSE);
	assert_int_equal(usagi_sendto(s, "echo me", 7, 0, sa(&sin, "2001:db8::2", 7777), sizeof(sin)), 7);
	l4_pair_pump(pr, 1);
	assert_int_equal(STAT_GET(pr->b.st, udp_echo_replied), 1);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 7);
	assert_memory_equal(buf, "echo me", 7);
	assert_true(in6_equal(&from.sin6_addr, &pr->addr_b));
	assert_int_equal(ntohs(from.sin6_port), 7777);
	usagi_close(s);
}

static void test_e2e_ping(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	uint8_t req[16] = { ICMP6_ECHO_REQUEST, 0, 0xde, 0xad, 0x12, 0x34, 0, 1, 'u', 's', 'a', 'g', 'i' };
	struct sockaddr_in6 sin, from;
	socklen_t fl = sizeof(from);
	struct usagi_rxinfo ri;
	uint8_t buf[64];

	req[0] = 1;   /* not an Echo Request */
	assert_int_equal(usagi_sendto(s, req, sizeof(req), 0, sa(&sin, "2001:db8::2", 0), sizeof(sin)), -EINVAL);
	req[0] = ICMP6_ECHO_REQUEST;
	assert_int_equal(usagi_sendto(s, req, sizeof(req), 0, sa(&sin, "2001:db8::2", 0), sizeof(sin)),
			 (ssize_t)sizeof(req));
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl, &ri),
			 (ssize_t)sizeof(req));
	assert_int_equal(buf[0], ICMP6_ECHO_REPLY);
	assert_int_equal(get_be16(buf + 4), local_port(s));
	assert_int_equal(get_be16(buf + 6), 1);
	assert_memory_equal(buf + 8, "usagi", 5);
	assert_true(in6_equal(&from.sin6_addr, &pr->addr_b));
	assert_int_equal(ri.hop_limit, 64);
	usagi_close(s);
}

/*
 * An ICMPv6 error quoting our Echo Request reaches the ping socket that sent
 * it (RFC 4443 2.4(d)): A routes 2001:db8:9::/48 via B, which forwards but
 * has no route for it and answers Destination Unreachable (no route).
 */
static void test_e2e_ping_error(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	uint8_t req[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 0, 0, 1 };
	struct route6 r = { .plen = 48, .dev = pr->a.dev, .metric = 1024,
			    .proto = RT6_PROTO_STATIC, .gw = pr->addr_b };
	struct sockaddr_in6 sin;
	uint8_t buf[64];

	inet_pton(AF_INET6, "2001:db8:9::", &r.dst);
	assert_int_equal(route6_add(pr->a.st, &r), 0);
	pr->b.st->ip6.all.forwarding = 1;
	assert_int_equal(usagi_connect(s, sa(&sin, "2001:db8:9::9", 0), sizeof(sin)), 0);
	assert_int_equal(usagi_sendto(s, req, sizeof(req), 0, NULL, 0), (ssize_t)sizeof(req));
	l4_pair_pump(pr, 1);
	assert_int_equal(STAT_GET(pr->a.st, ping_err_in), 1);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -ENETUNREACH);
	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	usagi_close(s);
}

/* Sockets left open with queued datagrams are closed (and their buffers freed) by the stack. */
static void test_fini_closes(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->b.st, AF_INET6, SOCK_DGRAM, 0);
	unsigned base = pkt_pool_in_use(pr->b.st->pool);
	struct pkt *p = pkt_alloc(pr->b.st->pool, 0, 16);

	pkt_put(p, 16);
	memset(p->cb, 0, sizeof(p->cb));
	assert_int_equal(sock_queue_rx(s, p), 0);
	assert_int_equal(pkt_pool_in_use(pr->b.st->pool), base + 1);
	sock_fini(pr->b.st);
	assert_int_equal(pkt_pool_in_use(pr->b.st->pool), base);
	assert_int_equal(STAT_GET(pr->b.st, sock_closed), STAT_GET(pr->b.st, sock_opened));
	assert_int_equal(sock_init(pr->b.st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_args, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_ports, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_bind_rules, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_options_and_errors, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_fini_closes, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_datagram, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_port_unreachable, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_multicast, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_udp_echo, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_ping, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_ping_error, l4_pair_setup, l4_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
