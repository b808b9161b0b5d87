/*
 * TCP connection tracking against tables of packet sequences: each step is
 * a segment in one direction and the conntrack state and TCP state it must
 * leave (handshake, data, FIN teardown in both orders, RST in and out of
 * window, simultaneous open, out-of-window data, retransmitted SYN).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ct_harness.h"

#define O NF_DIR_ORIG
#define R NF_DIR_REPLY
#define S_ NF_CT_NEW
#define E_ NF_CT_ESTABLISHED
#define I_ NF_CT_INVALID

struct step {
	int dir;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t dlen;
	enum nf_ct_state want;
	int tcp;        /* expected enum nf_tcp_state after the step */
};

/* Client 1000, server 5000 ISNs; windows 65535. */
#define HANDSHAKE \
	{ O, TF_SYN, 1000, 0, 0, S_, NF_TCP_SYN_SENT }, \
	{ R, TF_SYN | TF_ACK, 5000, 1001, 0, E_, NF_TCP_SYN_RECV }, \
	{ O, TF_ACK, 1001, 5001, 0, E_, NF_TCP_ESTABLISHED }

static const struct step client_close[] = {
	HANDSHAKE,
	{ O, TF_ACK | TF_PSH, 1001, 5001, 100, E_, NF_TCP_ESTABLISHED },
	{ R, TF_ACK, 5001, 1101, 0, E_, NF_TCP_ESTABLISHED },
	{ O, TF_FIN | TF_ACK, 1101, 5001, 0, E_, NF_TCP_FIN_WAIT },
	{ O, TF_FIN | TF_ACK, 1101, 5001, 0, E_, NF_TCP_FIN_WAIT },      /* retransmitted FIN */
	{ R, TF_ACK, 5001, 1102, 0, E_, NF_TCP_CLOSE_WAIT },
	{ R, TF_FIN | TF_ACK, 5001, 1102, 0, E_, NF_TCP_LAST_ACK },
	{ O, TF_ACK, 1102, 5002, 0, E_, NF_TCP_TIME_WAIT },
};

static const struct step server_close[] = {
	HANDSHAKE,
	{ R, TF_FIN | TF_ACK, 5001, 1001, 0, E_, NF_TCP_FIN_WAIT },
	{ O, TF_ACK, 1001, 5002, 0, E_, NF_TCP_CLOSE_WAIT },
	{ O, TF_FIN | TF_ACK, 1001, 5002, 0, E_, NF_TCP_LAST_ACK },
	{ R, TF_ACK, 5002, 1002, 0, E_, NF_TCP_TIME_WAIT },
};

static const struct step both_close[] = {
	HANDSHAKE,
	{ O, TF_FIN | TF_ACK, 1001, 5001, 0, E_, NF_TCP_FIN_WAIT },
	{ R, TF_FIN | TF_ACK, 5001, 1001, 0, E_, NF_TCP_LAST_ACK },     /* FINs cross */
	{ O, TF_ACK, 1002, 5002, 0, E_, NF_TCP_TIME_WAIT },
	{ R, TF_ACK, 5002, 1002, 0, E_, NF_TCP_TIME_WAIT },
};

static const struct step rst_in_window[] = {
	HANDSHAKE,
	{ R, TF_RST, 5001, 0, 0, E_, NF_TCP_CLOSE },
};

static const struct step rst_out_of_window[] = {
	HANDSHAKE,
	{ R, TF_RST, 5001 + 3000000, 0, 0, I_, NF_TCP_ESTABLISHED },
	{ O, TF_RST | TF_ACK, 1001 - 3000000, 5001, 0, I_, NF_TCP_ESTABLISHED },
	{ O, TF_RST | TF_ACK, 1001, 5001, 0, E_, NF_TCP_CLOSE },
};

static const struct step rst_to_syn[] = {
	{ O, TF_SYN, 1000, 0, 0, S_, NF_TCP_SYN_SENT },
	{ R, TF_RST | TF_ACK, 0, 999, 0, I_, NF_TCP_SYN_SENT },          /* does not ack the SYN */
	{ R, TF_RST, 0, 0, 0, I_, NF_TCP_SYN_SENT },
	{ R, TF_RST | TF_ACK, 0, 1001, 0, E_, NF_TCP_CLOSE },            /* port closed */
};

static const struct step simultaneous_open[] = {
	{ O, TF_SYN, 1000, 0, 0, S_, NF_TCP_SYN_SENT },
	{ R, TF_SYN, 5000, 0, 0, E_, NF_TCP_SYN_SENT2 },
	{ O, TF_SYN | TF_ACK, 1000, 5001, 0, E_, NF_TCP_SYN_RECV },
	{ R, TF_SYN | TF_ACK, 5000, 1001, 0, E_, NF_TCP_SYN_RECV },
	{ O, TF_ACK, 1001, 5001, 0, E_, NF_TCP_ESTABLISHED },
};

static const struct step out_of_window[] = {
	HANDSHAKE,
	{ O, TF_ACK, 1001 + 200000, 5001, 10, I_, NF_TCP_ESTABLISHED },  /* beyond the advertised window */
	{ O, TF_ACK, 1001 - 200000, 5001, 10, E_, NF_TCP_ESTABLISHED },  /* far behind: passes, ignored (Linux) */
	{ R, TF_ACK, 5001, 1001 + 100000, 0, I_, NF_TCP_ESTABLISHED },   /* acks unsent data */
	{ O, TF_ACK, 1001, 5001, 10, E_, NF_TCP_ESTABLISHED },
};

static const struct step retransmitted_syn[] = {
	{ O, TF_SYN, 1000, 0, 0, S_, NF_TCP_SYN_SENT },
	{ O, TF_SYN, 1000, 0, 0, S_, NF_TCP_SYN_SENT },
	{ R, TF_SYN | TF_ACK, 5000, 1001, 0, E_, NF_TCP_SYN_RECV },
	{ R, TF_SYN | TF_ACK, 5000, 1001, 0, E_, NF_TCP_SYN_RECV },      /* retransmitted SYN/ACK */
	{ O, TF_ACK, 1001, 5001, 0, E_, NF_TCP_ESTABLISHED },
};

static const struct step bad_flags[] = {
	HANDSHAKE,
	{ O, TF_SYN | TF_FIN, 1001, 5001, 0, I_, NF_TCP_ESTABLISHED },
	{ O, 0, 1001, 5001, 0, I_, NF_TCP_ESTABLISHED },                 /* no flags */
	{ O, TF_FIN, 1001, 5001, 0, I_, NF_TCP_ESTABLISHED },            /* FIN without ACK */
};

static const struct step bad_synack[] = {
	{ O, TF_SYN, 1000, 0, 0, S_, NF_TCP_SYN_SENT },
	{ R, TF_SYN | TF_ACK, 5000, 4242, 0, I_, NF_TCP_SYN_SENT },
	{ O, TF_ACK, 1001, 5001, 0, I_, NF_TCP_SYN_SENT },               /* no SYN/ACK seen yet */
};

static void run_steps(const struct step *s, size_t n, const char *c, const char *v)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct = NULL, *got;

	for (size_t i = 0; i < n; i++) {
		bool o = s[i].dir == O;
		struct pkt *p = ct_tcp(st, o ? c : v, o ? v : c, o ? 40000 : 80, o ? 80 : 40000,
				       s[i].seq, s[i].ack, s[i].flags, 65535, s[i].dlen);
		int dir = -1;
		enum nf_ct_state state = ct_run(st, p, &got, &dir);

		if (!ct)
			ct = got;
		print_message("step %zu: %s (want %s) tcp %s (want %s)\n", i, nf_ct_state_name(state),
			      nf_ct_state_name(s[i].want), ct ? nf_tcp_state_name(ct->l4state) : "-",
			      nf_tcp_state_name(s[i].tcp));
		assert_int_equal(state, s[i].want);
		if (state != NF_CT_INVALID) {
			assert_ptr_equal(got, ct);
			assert_int_equal(dir, s[i].dir);
		}
		assert_non_null(ct);
		assert_int_equal(ct->l4state, s[i].tcp);
	}
	usagi_stack_free(st);
}

#define CASE(name) \
	static void test_##name(void **state) \
	{ \
		(void)state; \
		run_steps(name, ARRAY_SIZE(name), "2001:db8::1", "2001:db8::2"); \
		run_steps(name, ARRAY_SIZE(name), "192.0.2.1", "198.51.100.2"); \
	}
CASE(client_close)
CASE(server_close)
CASE(both_close)
CASE(rst_in_window)
CASE(rst_out_of_window)
CASE(rst_to_syn)
CASE(simultaneous_open)
CASE(out_of_window)
CASE(retransmitted_syn)
CASE(bad_flags)
CASE(bad_synack)

/* Packets no connection matches: with nf_conntrack_tcp_loose=0 only a SYN creates one. */
static void test_no_pickup(void **state)
{
	struct stack *st = usagi_stack_new(NULL);

	(void)state;
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_tcp_loose", 0), 0);
	assert_int_equal(ct_run(st, ct_tcp(st, "2001:db8::1", "2001:db8::2", 1, 2, 7, 9, TF_ACK, 100, 0),
				NULL, NULL), NF_CT_INVALID);
	assert_int_equal(ct_run(st, ct_tcp(st, "2001:db8::1", "2001:db8::2", 1, 2, 7, 9,
					   TF_SYN | TF_ACK, 100, 0), NULL, NULL), NF_CT_INVALID);
	assert_int_equal(nf_ct_count(st), 0);
	usagi_stack_free(st);
}

/* nf_conntrack_tcp_loose=1 (the default): an ACK mid-stream is picked up, windows unchecked. */
static void test_loose_pickup(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	const char *c = "2001:db8::1", *v = "2001:db8::2";
	struct nf_conn *ct, *ct2;
	long loose;

	(void)state;
	assert_int_equal(nf_sysctl_get(st, "net.netfilter.nf_conntrack_tcp_loose", &loose), 0);
	assert_int_equal(loose, 1);
	assert_int_equal(ct_run(st, ct_tcp(st, c, v, 1, 2, 700, 900, TF_ACK, 100, 10), &ct, NULL),
			 NF_CT_NEW);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_false(ct->status & NF_CTS_ASSURED);
	assert_int_equal(ct_run(st, ct_tcp(st, v, c, 2, 1, 900, 710, TF_ACK, 100, 0), &ct2, NULL),
			 NF_CT_ESTABLISHED);
	assert_ptr_equal(ct, ct2);
	assert_false(ct->status & NF_CTS_ASSURED);      /* as Linux: the packet after the answer assures */
	/* Far outside what a tracked window would allow: liberal, still passes. */
	assert_int_equal(ct_run(st, ct_tcp(st, c, v, 1, 2, 700 + 5000000, 900, TF_ACK, 100, 0), NULL,
				NULL), NF_CT_ESTABLISHED);
	assert_true(ct->status & NF_CTS_ASSURED);
	/* FIN, RST, SYN/ACK never start a connection. */
	assert_int_equal(ct_run(st, ct_tcp(st, c, v, 3, 2, 1, 1, TF_FIN | TF_ACK, 100, 0), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(ct_run(st, ct_tcp(st, c, v, 3, 2, 1, 1, TF_RST, 100, 0), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(nf_ct_count(st), 1);
	usagi_stack_free(st);
}

/* The assured bit and the timeouts per state (nf_conntrack's defaults). */
static void test_assured_timeouts(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	const char *c = "2001:db8::1", *v = "2001:db8::2";
	struct nf_conn *ct;

	(void)state;
	ct_run(st, ct_tcp(st, c, v, 1, 2, 100, 0, TF_SYN, 100, 0), &ct, NULL);
	assert_int_equal(nf_ct_expires_in(st, ct), 120);
	assert_false(ct->status & NF_CTS_ASSURED);
	ct_run(st, ct_tcp(st, v, c, 2, 1, 900, 101, TF_SYN | TF_ACK, 100, 0), NULL, NULL);
	assert_int_equal(nf_ct_expires_in(st, ct), 60);
	ct_run(st, ct_tcp(st, c, v, 1, 2, 101, 901, TF_ACK, 100, 0), NULL, NULL);
	assert_int_equal(nf_ct_expires_in(st, ct), 432000);
	assert_true(ct->status & NF_CTS_ASSURED);
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_close),
		cmocka_unit_test(test_server_close),
		cmocka_unit_test(test_both_close),
		cmocka_unit_test(test_rst_in_window),
		cmocka_unit_test(test_rst_out_of_window),
		cmocka_unit_test(test_rst_to_syn),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_out_of_window),
		cmocka_unit_test(test_retransmitted_syn),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_bad_synack),
		cmocka_unit_test(test_no_pickup),
		cmocka_unit_test(test_loose_pickup),
		cmocka_unit_test(test_assured_timeouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
