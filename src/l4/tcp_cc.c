/*
 * Congestion control behind struct tcp_cc_ops (tcp.h): the window grows
 * here; loss detection and NewReno's fast recovery (RFC 6582) stay in
 * tcp_input.c, so another algorithm (CUBIC, RFC 9438) only supplies these
 * three functions.
 */
#include "l4/tcp.h"

/*
 * 0: RFC 5681 3.1 (the IW of RFC 3390): 2, 3 or 4 SMSS by the SMSS.
 * N: RFC 6928 2, IW = min(10 SMSS, max(2 SMSS, 14600)), with N for 10
 * (so 14600 becomes N x 1460): N full-sized Ethernet segments, fewer of
 * larger ones (a 9000-octet MTU gets 2 SMSS at N = 10).
 */
uint32_t tcp_initial_cwnd(const struct tcb *t)
{
	uint32_t mss = t->mss;
	uint32_t n = (uint32_t)MIN(MAX(t->st->sk.tcp->initial_window, 0), TCP_IW_MAX);

	if (!n)
		return mss > 2190 ? 2 * mss : (mss > 1095 ? 3 * mss : 4 * mss);
	return MIN(n * mss, MAX(2 * mss, n * 1460));
}

/* RFC 5681 3.1 (3): initial window from the SMSS. */
static void reno_init(struct tcb *t)
{
	t->cwnd = tcp_initial_cwnd(t);
	t->ssthresh = 0xffffffffu;   /* RFC 5681 3.1: arbitrarily high */
	t->bytes_acked = 0;
	tcp_hystart_init(t);
}

/* RFC 5681 3.1 (4): half the flight size, at least two segments. */
static uint32_t reno_ssthresh(struct tcb *t)
{
	uint32_t flight = t->snd_max - t->snd_una;

	tcp_hystart_stop(t);
	return MAX(flight / 2, 2u * t->mss);
}

/*
 * The initial slow start is HyStart++'s (tcp_hystart.c, RFC 9406) unless
 * turned off; otherwise, and after an RTO,
 * slow start with appropriate byte counting (RFC 3465 2.2, L = 2*SMSS): an
 * ACK covering two segments (a delayed-ACK receiver, RFC 5681 4.2) grows
 * cwnd by both, so slow start doubles per RTT instead of growing 1.5x.
 * RFC 3465 2.3: L = 1*SMSS in the slow start after an RTO (until the data
 * outstanding at the timeout, up to t->recover, is acknowledged).
 * Congestion avoidance: one SMSS per window acknowledged (RFC 5681 3.1).
 */
static void reno_cong_avoid(struct tcb *t, uint32_t acked)
{
	if (t->cwnd < t->ssthresh) {
		uint32_t l = SEQ_LT(t->snd_una, t->recover) ? 1u : 2u;

		if (t->hs.on) {
			tcp_hystart_ack(t, acked);   /* the initial slow start: RFC 9406 */
			return;
		}
		t->cwnd += MIN(acked, l * t->mss);
		return;
	}
	t->bytes_acked += acked;
	if (t->bytes_acked >= t->cwnd) {
		t->bytes_acked -= t->cwnd;
		t->cwnd += t->mss;
	}
}

const struct tcp_cc_ops tcp_newreno = {
	.name = "newreno",
	.init = reno_init,
	.ssthresh = reno_ssthresh,
	.cong_avoid = reno_cong_avoid,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	static const struct tcp_cc_ops *const all[] = { &tcp_newreno, &tcp_cubic };

	if (strcmp(name, "reno") == 0)
		return &tcp_newreno;
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
