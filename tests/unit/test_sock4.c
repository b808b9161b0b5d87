/*
 * IPv4 in the socket API, end to end between two hosts back to back
 * (tests/lib/l4_pair.h) that also carry IPv4 addresses:
 *
 *   A 2001:db8::1 192.0.2.1/24 ---- 192.0.2.2/24 2001:db8::2 B
 *
 * AF_INET UDP and ICMP echo sockets, AF_INET6 sockets reaching IPv4 peers
 * through mapped addresses, the V6ONLY and bind-conflict rules of Linux,
 * SO_BROADCAST, IP_TTL, ICMP errors back to sockets.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/sock.h"
#include "proto/ip4.h"
#include "ipv4/inet4.h"

static int setup(void **state)
{
	struct l4_pair *pr;

	l4_pair_setup(state);
	pr = *state;
	assert_int_equal(inet4_add(pr->a.dev, htonl(0xc0000201), 24, IFA4_F_NODAD), 0);
	assert_int_equal(inet4_add(pr->b.dev, htonl(0xc0000202), 24, IFA4_F_NODAD), 0);
	l4_pair_pump(pr, 10);
	return 0;
}

static const struct sockaddr *sa4(struct sockaddr_in *sin, const char *addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (addr)
		inet_pton(AF_INET, addr, &sin->sin_addr);
	return (const struct sockaddr *)sin;
}

static const struct sockaddr *sa6(struct sockaddr_in6 *sin, const char *addr, uint16_t port)
{
	sockaddr_make(sin, &in6addr_any, port, 0);
	if (addr)
		inet_pton(AF_INET6, addr, &sin->sin6_addr);
	return (const struct sockaddr *)sin;
}

static struct usock *udp4_bound(struct stack *st, uint16_t port)
{
	struct usock *s = usagi_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;

	assert_non_null(s);
	assert_int_equal(usagi_bind(s, sa4(&sin, NULL, port), sizeof(sin)), 0);
	return s;
}

static void test_socket4_args(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->a.st;
	struct usock *s;
	struct sockaddr_in6 sin6;
	int one = 1;

	assert_null(usagi_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6));
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_null(usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_ICMP));
	assert_int_equal(errno, EPROTONOSUPPORT);
	s = usagi_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_non_null(s);
	usagi_close(s);
	s = usagi_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_non_null(s);
	/* An AF_INET socket speaks sockaddr_in and has no IPv6 options. */
	assert_int_equal(usagi_bind(s, sa6(&sin6, "2001:db8::1", 0), sizeof(sin6)), -EAFNOSUPPORT);
	assert_int_equal(usagi_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
			 -ENOPROTOOPT);
	usagi_close(s);
}

static void test_bind_rules(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->a.st;
	struct usock *v6 = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0), *v4, *dual;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int one = 1;

	/* V6ONLY [::]:5000 and 0.0.0.0:5000 coexist. */
	assert_int_equal(usagi_setsockopt(v6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
	assert_int_equal(usagi_bind(v6, sa6(&sin6, NULL, 5000), sizeof(sin6)), 0);
	assert_int_equal(usagi_setsockopt(v6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), -EINVAL);
	v4 = udp4_bound(st, 5000);
	/* A dual-stack [::]:5001 and 0.0.0.0:5001 collide, whichever comes first. */
	dual = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(usagi_bind(dual, sa6(&sin6, NULL, 5000), sizeof(sin6)), -EADDRINUSE);
	assert_int_equal(usagi_bind(dual, sa6(&sin6, NULL, 5001), sizeof(sin6)), 0);
	usagi_close(v4);
	v4 = usagi_socket(st, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(usagi_bind(v4, sa4(&sin, NULL, 5001), sizeof(sin)), -EADDRINUSE);
	/* Local IPv4 addresses only; the same address twice collides. */
	assert_int_equal(usagi_bind(v4, sa4(&sin, "192.0.2.9", 5002), sizeof(sin)), -EADDRNOTAVAIL);
	assert_int_equal(usagi_bind(v4, sa4(&sin, "192.0.2.1", 5002), sizeof(sin)), 0);
	usagi_close(dual);
	dual = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(usagi_bind(dual, sa6(&sin6, "::ffff:192.0.2.1", 5002), sizeof(sin6)),
			 -EADDRINUSE);
	usagi_close(dual);
	usagi_close(v4);
	usagi_close(v6);
}

static void test_e2e_udp4(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *b = udp4_bound(pr->b.st, 7000);
	struct usock *a = usagi_socket(pr->a.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin, from;
	socklen_t fl = sizeof(from);
	struct usagi_rxinfo info;
	char buf[32];

	assert_int_equal(usagi_sendto(a, "hello", 5, 0, sa4(&sin, "192.0.2.2", 7000), sizeof(sin)), 5);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl, &info), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(fl, sizeof(struct sockaddr_in));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(from.sin_addr.s_addr, htonl(0xc0000201));
	assert_int_equal(info.hop_limit, 64);
	assert_int_equal(STAT_GET(pr->b.st, udp4_in_datagrams), 1);
	/* And back to the sender's port. */
	assert_int_equal(usagi_sendto(b, "ok", 2, 0, (struct sockaddr *)&from, fl), 2);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvfrom(a, buf, sizeof(buf), 0, NULL, NULL), 2);
	usagi_close(a);
	usagi_close(b);
}

/* A dual-stack socket on B sees IPv4 as ::ffff:a.b.c.d and answers through it. */
static void test_e2e_mapped(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *b = usagi_socket(pr->b.st, AF_INET6, SOCK_DGRAM, 0);
	struct usock *a = usagi_socket(pr->a.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin6, from;
	struct sockaddr_in sin;
	socklen_t fl = sizeof(from);
	char buf[32], txt[INET6_ADDRSTRLEN];

	assert_int_equal(usagi_bind(b, sa6(&sin6, NULL, 7001), sizeof(sin6)), 0);
	assert_int_equal(usagi_sendto(a, "v4", 2, 0, sa4(&sin, "192.0.2.2", 7001), sizeof(sin)), 2);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 2);
	assert_int_equal(fl, sizeof(struct sockaddr_in6));
	assert_string_equal(inet_ntop(AF_INET6, &from.sin6_addr, txt, sizeof(txt)), "::ffff:192.0.2.1");
	assert_int_equal(usagi_sendto(b, "back", 4, 0, (struct sockaddr *)&from, fl), 4);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvfrom(a, buf, sizeof(buf), 0, NULL, NULL), 4);
	assert_int_equal(STAT_GET(pr->b.st, udp4_out_datagrams), 1);
	usagi_close(a);
	usagi_close(b);
}

/* A V6ONLY socket never sees IPv4: the sender hears Port Unreachable (connected: ECONNREFUSED). */
static void test_v6only_refused(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *b = usagi_socket(pr->b.st, AF_INET6, SOCK_DGRAM, 0);
	struct usock *a = usagi_socket(pr->a.st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	char buf[8];
	int one = 1;

	assert_int_equal(usagi_setsockopt(b, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
	assert_int_equal(usagi_bind(b, sa6(&sin6, NULL, 7002), sizeof(sin6)), 0);
	/* An IPv6 socket connects to an IPv4 peer with sockaddr_in too. */
	assert_int_equal(usagi_connect(a, sa4(&sin, "192.0.2.2", 7002), sizeof(sin)), 0);
	assert_int_equal(usagi_sendto(a, "x", 1, 0, NULL, 0), 1);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_sock_pending(b), 0);
	assert_int_equal(STAT_GET(pr->b.st, udp4_no_port), 1);
	assert_int_equal(STAT_GET(pr->a.st, udp4_err_in), 1);
	assert_int_equal(usagi_recvfrom(a, buf, sizeof(buf), 0, NULL, NULL), -ECONNREFUSED);
	/* connect(AF_UNSPEC) dissolves the association. */
	sin.sin_family = AF_UNSPEC;
	assert_int_equal(usagi_connect(a, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_sendto(a, "x", 1, 0, NULL, 0), -EDESTADDRREQ);
	/* A V6ONLY socket cannot send to a mapped address. */
	assert_int_equal(usagi_sendto(b, "x", 1, 0, sa6(&sin6, "::ffff:192.0.2.1", 9), sizeof(sin6)),
			 -ENETUNREACH);
	usagi_close(a);
	usagi_close(b);
}

static void test_broadcast_and_ttl(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *b = udp4_bound(pr->b.st, 7003);
	struct usock *a = usagi_socket(pr->a.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	struct usagi_rxinfo info;
	char buf[8];
	int one = 1, ttl = 5, zero = 0;

	assert_int_equal(usagi_sendto(a, "b", 1, 0, sa4(&sin, "192.0.2.255", 7003), sizeof(sin)),
			 -EACCES);
	assert_int_equal(usagi_sendto(a, "b", 1, 0, sa4(&sin, "255.255.255.255", 7003), sizeof(sin)),
			 -EACCES);
	assert_int_equal(usagi_setsockopt(a, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	assert_int_equal(usagi_setsockopt(a, IPPROTO_IP, IP_TTL, &zero, sizeof(zero)), -EINVAL);
	assert_int_equal(usagi_setsockopt(a, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	assert_int_equal(usagi_sendto(a, "b", 1, 0, sa4(&sin, "192.0.2.255", 7003), sizeof(sin)), 1);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(b, buf, sizeof(buf), 0, NULL, NULL, &info), 1);
	assert_int_equal(info.hop_limit, 5);   /* IP_TTL covers broadcasts too (not multicast) */
	assert_int_equal(usagi_sendto(a, "u", 1, 0, sa4(&sin, "192.0.2.2", 7003), sizeof(sin)), 1);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(b, buf, sizeof(buf), 0, NULL, NULL, &info), 1);
	assert_int_equal(info.hop_limit, 5);
	usagi_close(a);
	usagi_close(b);
}

static void test_e2e_ping4(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	uint8_t req[16] = { ICMP4_ECHO, 0, 0, 0, 0, 0, 0, 7, 'p', 'i', 'n', 'g' }, buf[64];
	struct sockaddr_in sin, from;
	socklen_t fl = sizeof(from);
	struct usagi_rxinfo info;

	assert_int_equal(usagi_sendto(s, req, sizeof(req), 0, sa4(&sin, "192.0.2.2", 0), sizeof(sin)),
			 (ssize_t)sizeof(req));
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recvmsg(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl, &info),
			 (ssize_t)sizeof(req));
	assert_int_equal(buf[0], ICMP4_ECHO_REPLY);
	assert_int_equal(get_be16(buf + 6), 7);
	assert_memory_equal(buf + 8, "ping", 4);
	assert_int_equal(from.sin_addr.s_addr, htonl(0xc0000202));
	assert_int_equal(info.hop_limit, 64);
	assert_int_equal(STAT_GET(pr->a.st, ping4_in), 1);
	/* Only Echo Requests go out. */
	req[0] = ICMP4_ECHO_REPLY;
	assert_int_equal(usagi_sendto(s, req, sizeof(req), 0, sa4(&sin, "192.0.2.2", 0), sizeof(sin)),
			 -EINVAL);
	usagi_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket4_args, setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_bind_rules, setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_udp4, setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_mapped, setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_v6only_refused, setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_and_ttl, setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_e2e_ping4, setup, l4_pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
