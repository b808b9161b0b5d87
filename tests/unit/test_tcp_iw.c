/*
 * The initial congestion window (l4/tcp_cc.c tcp_initial_cwnd, sysctl
 * net.ipv4.tcp_initial_window): RFC 5681 3.1's 2-4 SMSS by default, RFC
 * 6928's min(N SMSS, max(2 SMSS, N x 1460)) when set to N, for both
 * algorithms; and RFC 5681 3.1's one-SMSS window after a lost SYN or
 * SYN-ACK (A's SYN dropped on the wire, then retransmitted); the sysctl
 * (range 0..64, read back).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "l4/tcp.h"
#include "l4/sock.h"
#include "cmd/cmd.h"

#define PORT 5001

/* cwnd of a new connection with @cc at @st for an SMSS of @mss. */
static uint32_t iw_of(struct stack *st, const struct tcp_cc_ops *cc, uint16_t mss)
{
	struct tcb *t = tcb_new(st);

	assert_non_null(t);
	t->mss = mss;
	t->cc = cc;
	cc->init(t);
	assert_int_equal(t->cwnd, tcp_initial_cwnd(t));
	return t->cwnd;
}

static void test_iw_values(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->a.st;

	/* Default: RFC 5681 3.1 (3): > 2190 -> 2, > 1095 -> 3, else 4 SMSS. */
	assert_int_equal(st->sk.tcp->initial_window, 0);
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), 3 * 1440);
	assert_int_equal(iw_of(st, &tcp_newreno, 1095), 4 * 1095);
	assert_int_equal(iw_of(st, &tcp_newreno, 536), 4 * 536);
	assert_int_equal(iw_of(st, &tcp_newreno, 2191), 2 * 2191);
	assert_int_equal(iw_of(st, &tcp_newreno, 8940), 2 * 8940);
	/* RFC 6928 2: min(10 SMSS, max(2 SMSS, 14600)). */
	st->sk.tcp->initial_window = 10;
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), 10 * 1440);
	assert_int_equal(iw_of(st, &tcp_newreno, 1460), 14600);
	assert_int_equal(iw_of(st, &tcp_newreno, 1500), 14600);   /* 9 full segments and a part */
	assert_int_equal(iw_of(st, &tcp_newreno, 536), 10 * 536);
	assert_int_equal(iw_of(st, &tcp_newreno, 8940), 2 * 8940);
	assert_int_equal(iw_of(st, &tcp_cubic, 1440), 10 * 1440);
	/* Other N: the same rule with N for 10. */
	st->sk.tcp->initial_window = 4;
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), 4 * 1440);
	assert_int_equal(iw_of(st, &tcp_newreno, 4000), 2 * 4000);
	st->sk.tcp->initial_window = 1;
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), 1440);
	st->sk.tcp->initial_window = TCP_IW_MAX;
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), TCP_IW_MAX * 1440);
}

static struct usock *connect_to(struct l4_pair *pr)
{
	struct usock *c = usagi_socket(pr->a.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;

	assert_non_null(c);
	sockaddr_make(&sin, &pr->addr_b, PORT, 0);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	return c;
}

/* A handshake without loss starts at the IW; one whose SYN was lost at one SMSS. */
static void test_iw_syn_lost(void **state)
{
	struct l4_pair *pr = *state;
	struct usock *l = l4_pair_tcp_listen(pr, PORT, 8), *c, *s;

	pr->a.st->sk.tcp->initial_window = 10;
	pr->b.st->sk.tcp->initial_window = 10;
	c = connect_to(pr);
	l4_pair_pump(pr, 1);
	assert_int_equal(c->tcb->state, TCPS_ESTABLISHED);
	assert_int_equal(c->tcb->cwnd, tcp_initial_cwnd(c->tcb));
	assert_int_equal(c->tcb->cwnd, 10u * c->tcb->mss);
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(s->tcb->cwnd, 10u * s->tcb->mss);
	assert_int_equal(STAT_GET(pr->a.st, tcp_iw_syn_lost), 0);

	/* The SYN is lost; the retransmission (initial RTO 1 s) gets through. */
	pr->a.cut = true;
	c = connect_to(pr);
	l4_pair_pump(pr, 1);
	assert_int_equal(c->tcb->state, TCPS_SYN_SENT);
	pr->a.cut = false;
	l4_pair_pump(pr, 1100);
	assert_int_equal(c->tcb->state, TCPS_ESTABLISHED);
	assert_int_equal(c->tcb->cwnd, c->tcb->mss);
	assert_int_equal(STAT_GET(pr->a.st, tcp_iw_syn_lost), 1);
	/* B's SYN-ACK was not retransmitted: B starts at the IW. */
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(s->tcb->cwnd, 10u * s->tcb->mss);
	assert_int_equal(STAT_GET(pr->b.st, tcp_iw_syn_lost), 0);
}

/* Runs `sysctl @arg` on @st; its exit status, output in @out (size @n). */
static int sysctl_run(struct stack *st, const char *arg, char *out, size_t n)
{
	struct cmd_env env = { .st = st };
	char line[128], *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	int rc;

	env.out = open_memstream(&obuf, &olen);
	env.err = open_memstream(&ebuf, &elen);
	assert_non_null(env.out);
	assert_non_null(env.err);
	snprintf(line, sizeof(line), "sysctl %s", arg);
	rc = cmd_exec_line(&env, line);
	fclose(env.out);
	fclose(env.err);
	snprintf(out, n, "%s%s", obuf ? obuf : "", ebuf ? ebuf : "");
	free(obuf);
	free(ebuf);
	return rc;
}

static void test_iw_sysctl(void **state)
{
	struct l4_pair *pr = *state;
	struct stack *st = pr->a.st;
	char out[256];

	assert_int_equal(sysctl_run(st, "net.ipv4.tcp_initial_window", out, sizeof(out)), 0);
	assert_string_equal(out, "net.ipv4.tcp_initial_window = 0\n");
	assert_int_equal(sysctl_run(st, "net.ipv4.tcp_initial_window=10", out, sizeof(out)), 0);
	assert_string_equal(out, "net.ipv4.tcp_initial_window = 10\n");
	assert_int_equal(st->sk.tcp->initial_window, 10);
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), 10 * 1440);
	assert_int_equal(sysctl_run(st, "net.ipv4.tcp_initial_window=65", out, sizeof(out)), 2);
	assert_int_equal(sysctl_run(st, "net.ipv4.tcp_initial_window=-1", out, sizeof(out)), 2);
	assert_int_equal(st->sk.tcp->initial_window, 10);
	assert_int_equal(sysctl_run(st, "net.ipv4.tcp_initial_window=64", out, sizeof(out)), 0);
	assert_int_equal(sysctl_run(st, "net.ipv4.tcp_initial_window=0", out, sizeof(out)), 0);
	assert_int_equal(iw_of(st, &tcp_newreno, 1440), 3 * 1440);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iw_values, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_iw_syn_lost, l4_pair_setup, l4_pair_teardown),
		cmocka_unit_test_setup_teardown(test_iw_sysctl, l4_pair_setup, l4_pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
