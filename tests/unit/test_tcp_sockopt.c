/*
 * SO_LINGER and SO_REUSEADDR on stream sockets, set and read back with
 * usagi_getsockopt, between two hosts back to back (tests/lib/l4_pair.h,
 * A = 2001:db8::1, B = 2001:db8::2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/tcp.h"
#include "l4/sock.h"

#define PORT 5001
#define CPORT 6000

static struct usock *bound(struct stack *st, uint16_t port, bool reuse)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;
	int one = 1;

	assert_non_null(s);
	if (reuse)
		assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	sockaddr_make(&sin, &in6addr_any, port, 0);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return s;
}

static int try_bind(struct stack *st, uint16_t port, bool reuse)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;
	int one = 1, rc;

	assert_non_null(s);
	if (reuse)
		assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	sockaddr_make(&sin, &in6addr_any, port, 0);
	rc = usagi_bind(s, (struct sockaddr *)&sin, sizeof(sin));
	usagi_close(s);
	return rc;
}

/* A (client, from port @cport if non-zero) -> B's listener on PORT; *@srv = B's accepted socket. */
static struct usock *establish(struct l4_pair *pr, struct usock *l, uint16_t cport, struct usock **srv)
{
	struct usock *c = cport ? bound(pr->a.st, cport, false) :
			  usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);

	*srv = l4_pair_tcp_accept(pr, c, l, PORT);
	return c;
}

static struct usock *listener(struct l4_pair *pr)
{
	struct usock *l = bound(pr->b.st, PORT, false);

	assert_int_equal(usagi_listen(l, 8), 0);
	return l;
}

/* Defaults, values read back, and the argument checks of both calls. */
static void test_getsockopt(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *s = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);
	struct linger lg = { 7, 7 }, set = { 1, 0 };
	int v = 7, one = 1;
	socklen_t len = sizeof(v);
	char small[2];

	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
	assert_int_equal(v, 0);
	assert_int_equal(len, sizeof(int));
	len = sizeof(lg);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	assert_int_equal(lg.l_onoff, 0);
	assert_int_equal(lg.l_linger, 0);
	assert_int_equal(len, sizeof(struct linger));
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_LINGER, &set, sizeof(set)), 0);
	len = sizeof(v);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
	assert_int_equal(v, 1);
	len = sizeof(lg);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	assert_int_equal(lg.l_onoff, 1);
	assert_int_equal(lg.l_linger, 0);
	set.l_linger = 30;
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_LINGER, &set, sizeof(set)), 0);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	assert_int_equal(lg.l_linger, 30);
	/* Refused: short buffers, a negative timeout, NULL, options without a getter. */
	len = sizeof(small);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, small, &len), -EINVAL);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, small, &len), -EINVAL);
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_LINGER, &set, 4), -EINVAL);
	set.l_linger = -1;
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_LINGER, &set, sizeof(set)), -EINVAL);
	assert_int_equal(usagi_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, NULL, sizeof(int)), -EFAULT);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, NULL, &len), -EFAULT);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, NULL), -EFAULT);
	len = sizeof(v);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_DEBUG, &v, &len), -ENOPROTOOPT);
	usagi_close(s);
}

/*
 * SO_LINGER {1, 0}: close is RFC 9293 3.10.5 ABORT: a RST (the peer's recv
 * gives ECONNRESET), no FIN, no TIME-WAIT, the tcb freed at once, even
 * with data still unacknowledged. An accepted socket inherits the option.
 */
static void test_linger_zero_aborts(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l = listener(pr), *s, *c = establish(pr, l, 0, &s);
	struct linger lg = { 1, 0 }, got;
	socklen_t len = sizeof(got);
	uint16_t cport = c->tcb->lport;
	char buf[8];

	assert_int_equal(usagi_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	pr->a.cut = true;               /* this data is never acknowledged */
	assert_int_equal(usagi_send(c, "lost", 4, 0), 4);
	l4_pair_pump(pr, 1);
	pr->a.cut = false;
	usagi_close(c);
	assert_int_equal(STAT_GET(pr->a.st, tcp_linger_abort), 1);
	assert_int_equal(STAT_GET(pr->a.st, tcp_rst_out), 1);
	/* Gone from A's tables at once: nothing answers for the 4-tuple but a closed-port RST. */
	assert_null(tcp_lookup(pr->a.st, &pr->addr_b, PORT, &pr->addr_a, cport, 0));
	assert_true(dlist_empty(&pr->a.st->sk.tcp->all));
	/* The RST (SEQ = SND.NXT, past the lost data) draws B's challenge ACK (RFC 5961 3.2),
	 * which A, with no connection, answers by a RST at exactly RCV.NXT. */
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), -ECONNRESET);
	assert_int_equal(STAT_GET(pr->b.st, tcp_rst_in), 1);
	assert_int_equal(STAT_GET(pr->b.st, tcp_challenge_ack), 1);
	assert_int_equal(STAT_GET(pr->a.st, tcp_no_port), 1);
	usagi_close(s);
	/* Accepted sockets take the listener's SO_LINGER; their close aborts as well. */
	assert_int_equal(usagi_setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	c = establish(pr, l, 0, &s);
	assert_int_equal(usagi_getsockopt(s, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	assert_int_equal(got.l_onoff, 1);
	usagi_close(s);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recv(c, buf, sizeof(buf), 0), -ECONNRESET);
	assert_int_equal(STAT_GET(pr->b.st, tcp_linger_abort), 1);
	usagi_close(c);
	usagi_close(l);
}

/* SO_LINGER {1, 30}: close cannot block, so it is the ordinary one: FIN, then TIME-WAIT. */
static void test_linger_positive_graceful(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l = listener(pr), *s, *c = establish(pr, l, 0, &s);
	struct linger lg = { 1, 30 };
	struct tcb *t = c->tcb;
	char buf[8];

	assert_int_equal(usagi_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(usagi_send(c, "data", 4, 0), 4);
	usagi_close(c);
	l4_pair_pump(pr, 1);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 4);
	assert_int_equal(usagi_recv(s, buf, sizeof(buf), 0), 0);
	assert_int_equal(t->state, TCPS_FIN_WAIT_2);
	usagi_close(s);
	l4_pair_pump(pr, 1);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	assert_int_equal(STAT_GET(pr->a.st, tcp_linger_abort), 0);
	assert_int_equal(STAT_GET(pr->a.st, tcp_rst_out), 0);
	usagi_close(l);
}

/*
 * SO_REUSEADDR: A's client bound port CPORT sits in TIME-WAIT after an
 * active close; a bind to CPORT fails with EADDRINUSE without the option
 * and succeeds with it (and the new socket connects again from CPORT to
 * another port). A listener or a live connection on the port still
 * blocks it whatever the option.
 */
static void test_reuseaddr(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l = listener(pr), *s, *c = establish(pr, l, CPORT, &s), *n, *l2;
	struct sockaddr_in6 sin;
	struct tcb *t = c->tcb;

	assert_int_equal(try_bind(pr->a.st, CPORT, true), -EADDRINUSE);   /* ESTABLISHED */
	usagi_close(c);
	l4_pair_pump(pr, 1);
	usagi_close(s);
	l4_pair_pump(pr, 1);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	assert_int_equal(try_bind(pr->a.st, CPORT, false), -EADDRINUSE);
	assert_int_equal(try_bind(pr->a.st, CPORT, true), 0);
	/* The same 4-tuple as the TIME-WAIT connection is still refused (no RFC 6191). */
	n = bound(pr->a.st, CPORT, true);
	sockaddr_make(&sin, &pr->addr_b, PORT, 0);
	assert_int_equal(usagi_connect(n, (struct sockaddr *)&sin, sizeof(sin)), -EADDRINUSE);
	usagi_close(n);
	/* Another peer port is fine: the new socket on CPORT connects to B's second listener. */
	l2 = bound(pr->b.st, PORT + 1, false);
	assert_int_equal(usagi_listen(l2, 8), 0);
	n = bound(pr->a.st, CPORT, true);
	sockaddr_make(&sin, &pr->addr_b, PORT + 1, 0);
	assert_int_equal(usagi_connect(n, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	l4_pair_pump(pr, 1);
	assert_int_equal(n->tcb->state, TCPS_ESTABLISHED);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	/* A live connection holds CPORT whatever the option. */
	assert_int_equal(try_bind(pr->a.st, CPORT, true), -EADDRINUSE);
	usagi_close(n);
	/* A listener holds its port against SO_REUSEADDR too. */
	assert_int_equal(try_bind(pr->b.st, PORT, true), -EADDRINUSE);
	usagi_close(l2);
	usagi_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_getsockopt, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_linger_zero_aborts, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_linger_positive_graceful, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_reuseaddr, l4_pair_setup, l4_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
