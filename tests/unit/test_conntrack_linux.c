/*
 * Conntrack behaviours aligned with the Linux kernel by the reference test
 * (tests/netns/ct_reference.sh compares usagi and a kernel router packet by
 * packet): a SYN after TIME_WAIT from either end starts a new connection, a
 * RST before any reply ends the entry once the packet is through, an
 * in-window RST off the expected sequence leaves an assured connection
 * alone, segments behind the window pass unchanged, a picked-up flow is
 * assured by the packet after its answer, echo requests of any code and
 * IPv6 "no next header".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ct_harness.h"
#include "netfilter/nf_priv.h"

static const char *C = "2001:db8:1::1", *S = "2001:db8:2::1";

/* Client C:40000 -> S:80, ISNs 1000 and 5000, windows 65535: ESTABLISHED and assured. */
static struct nf_conn *handshake(struct stack *st)
{
	struct nf_conn *ct;

	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1000, 0, TF_SYN, 65535, 0), &ct,
				NULL), NF_CT_NEW);
	ct_run(st, ct_tcp(st, S, C, 80, 40000, 5000, 1001, TF_SYN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001, 5001, TF_ACK, 65535, 0), NULL, NULL);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_true(ct->status & NF_CTS_ASSURED);
	return ct;
}

/* The client closes first; both FINs acked: TIME_WAIT. */
static void fin_close(struct stack *st, struct nf_conn *ct)
{
	ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001, 5001, TF_FIN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, S, C, 80, 40000, 5001, 1002, TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, S, C, 80, 40000, 5001, 1002, TF_FIN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, C, S, 40000, 80, 1002, 5002, TF_ACK, 65535, 0), NULL, NULL);
	assert_int_equal(ct->l4state, NF_TCP_TIME_WAIT);
}

/* RFC 9293 3.10.7.4: the server reuses the tuple in TIME_WAIT; the connection turns around. */
static void test_tw_responder_reopens(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;
	struct nf_tuple t;
	int dir;

	(void)state;
	fin_close(st, handshake(st));
	assert_int_equal(ct_run(st, ct_tcp(st, S, C, 80, 40000, 900000, 0, TF_SYN, 65535, 0), &ct,
				&dir), NF_CT_NEW);
	assert_int_equal(dir, NF_DIR_ORIG);
	assert_int_equal(ct->l4state, NF_TCP_SYN_SENT);
	assert_int_equal(ct->tuple.sport, 80);
	assert_false(ct->status & NF_CTS_ASSURED);
	assert_int_equal(nf_ct_count(st), 1);
	nf_ct_tuple(ct, NF_DIR_REPLY, &t);
	assert_int_equal(t.sport, 40000);
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 700000, 900001, TF_SYN | TF_ACK,
					   65535, 0), NULL, &dir), NF_CT_ESTABLISHED);
	assert_int_equal(dir, NF_DIR_REPLY);
	assert_int_equal(ct->l4state, NF_TCP_SYN_RECV);
	usagi_stack_free(st);
}

/* The client's own reopen after TIME_WAIT: a new entry, NEW again. */
static void test_tw_initiator_reopens(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;

	(void)state;
	fin_close(st, handshake(st));
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 300000, 0, TF_SYN, 65535, 0), &ct,
				NULL), NF_CT_NEW);
	assert_int_equal(ct->l4state, NF_TCP_SYN_SENT);
	assert_int_equal(ct->tuple.sport, 40000);
	assert_int_equal(nf_ct_count(st), 1);
	usagi_stack_free(st);
}

/* RFC 5961 3.2: in window, off the expected sequence: no change; exact: CLOSE; behind: INVALID. */
static void test_rst_inexact(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct = handshake(st);

	(void)state;
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001 + 1000, 0, TF_RST, 0, 0), NULL,
				NULL), NF_CT_ESTABLISHED);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 901, 0, TF_RST, 0, 0), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001, 0, TF_RST, 0, 0), NULL, NULL),
			 NF_CT_ESTABLISHED);
	assert_int_equal(ct->l4state, NF_TCP_CLOSE);
	usagi_stack_free(st);
}

/* Behind the window: passes, changes nothing; ahead of it: INVALID. */
static void test_old_segments_ignored(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct = handshake(st);
	struct nf_tcp_end before = ct->tcp[NF_DIR_ORIG];
	uint32_t deadline = ct->deadline;

	(void)state;
	st->now += 5 * NS_PER_SEC;
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001 - 800000, 5001, TF_ACK, 65535,
					   10), NULL, NULL), NF_CT_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_tcp(st, S, C, 80, 40000, 5001, 1001 - 800000, TF_ACK, 65535,
					   0), NULL, NULL), NF_CT_ESTABLISHED);
	assert_memory_equal(&ct->tcp[NF_DIR_ORIG], &before, sizeof(before));
	assert_int_equal(ct->deadline, deadline);       /* not refreshed */
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001 + 3000000, 5001, TF_ACK, 65535,
					   10), NULL, NULL), NF_CT_INVALID);
	usagi_stack_free(st);
}

/* A refused connection (RST/ACK before any reply) leaves no entry once the RST is through. */
static void test_refused_entry_ends(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct pkt *p;

	(void)state;
	assert_int_equal(nf_ct_enable(st), 0);
	p = ct_tcp(st, C, S, 40000, 80, 1000, 0, TF_SYN, 65535, 0);
	assert_int_equal(nf_hook_run(st, NF_PREROUTING, p, NULL, NULL), NF_ACCEPT);
	assert_int_equal(nf_hook_run(st, NF_POSTROUTING, p, NULL, NULL), NF_ACCEPT);
	pkt_free(p);
	assert_int_equal(nf_ct_count(st), 1);
	p = ct_tcp(st, S, C, 80, 40000, 0, 1001, TF_RST | TF_ACK, 0, 0);
	assert_int_equal(nf_hook_run(st, NF_PREROUTING, p, NULL, NULL), NF_ACCEPT);
	{
		struct nf_ct_info ci;

		assert_true(nf_ct_get(st, p, &ci));
		assert_int_equal(ci.state, NF_CT_ESTABLISHED);  /* the filter still sees it as a reply */
	}
	assert_int_equal(nf_ct_count(st), 1);
	assert_int_equal(nf_hook_run(st, NF_POSTROUTING, p, NULL, NULL), NF_ACCEPT);
	pkt_free(p);
	assert_int_equal(nf_ct_count(st), 0);
	usagi_stack_free(st);
}

/* Picked up mid-stream (tcp_loose): the answer does not assure, the packet after it does. */
static void test_pickup_assured_late(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;

	(void)state;
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 1, 2, 700, 900, TF_ACK, 100, 10), &ct, NULL),
			 NF_CT_NEW);
	ct_run(st, ct_tcp(st, S, C, 2, 1, 900, 710, TF_ACK, 100, 0), NULL, NULL);
	assert_false(ct->status & NF_CTS_ASSURED);
	ct_run(st, ct_tcp(st, C, S, 1, 2, 710, 900, TF_ACK, 100, 0), NULL, NULL);
	assert_true(ct->status & NF_CTS_ASSURED);
	usagi_stack_free(st);
}

/* Echo requests of any code start an entry; a packet with No Next Header is INVALID. */
static void test_icmp_code_and_no_next_header(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	uint8_t none[8] = { 0 };

	(void)state;
	assert_int_equal(ct_run(st, ct_icmp(st, C, S, 128, 1, 7, NULL, 0), NULL, NULL), NF_CT_NEW);
	assert_int_equal(ct_run(st, ct_icmp(st, S, C, 129, 1, 7, NULL, 0), NULL, NULL),
			 NF_CT_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_icmp(st, "192.0.2.1", "198.51.100.1", 8, 3, 9, NULL, 0), NULL,
				NULL), NF_CT_NEW);
	assert_int_equal(ct_run(st, ct_ip(st, C, S, IPPROTO_NONE, none, sizeof(none)), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(nf_ct_count(st), 2);
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tw_responder_reopens),
		cmocka_unit_test(test_tw_initiator_reopens),
		cmocka_unit_test(test_rst_inexact),
		cmocka_unit_test(test_old_segments_ignored),
		cmocka_unit_test(test_refused_entry_ends),
		cmocka_unit_test(test_pickup_assured_late),
		cmocka_unit_test(test_icmp_code_and_no_next_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
