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

/*
 * RFC 7661 4.1: the pipeACK sampling period, max(3 RTT, 1 s). pipeACK is
 * the largest sample of this period or the one before (so it covers one
 * to two periods); older samples are forgotten.
 */
static uint32_t pipeack_of(const struct tcb *t)
{
	const struct tcp_cwv *v = &t->cwv;
	uint64_t psp = MAX((uint64_t)TCP_CWV_PSP_MIN, 3 * t->srtt);

	if (!v->pipeack_set)
		return 0;
	if (t->st->now - v->psp_start >= 2 * psp)
		return 0;
	if (t->st->now - v->psp_start >= psp)
		return v->pipeack_cur;
	return MAX(v->pipeack, v->pipeack_cur);
}

bool tcp_cwv_nonvalidated(const struct tcb *t)
{
	/* RFC 7661 4.2: an undefined pipeACK counts as validated. */
	return t->cwv.pipeack_set && pipeack_of(t) < t->cwnd / 2;
}

/*
 * RFC 7661 4.2, 4.4: the phase after a sample or before sending. At the
 * end of a non-validated period (NVP) spent wholly below cwnd / 2, the
 * window that was not used is given back: ssthresh = max(ssthresh,
 * 3/4 cwnd), cwnd = max(cwnd / 2, IW); another NVP then starts.
 */
void tcp_cwv_phase(struct tcb *t)
{
	struct tcp_cwv *v = &t->cwv;
	uint64_t now = t->st->now ? t->st->now : 1;

	if (!tcp_cwv_nonvalidated(t)) {
		v->nvp_start = 0;
		return;
	}
	if (!v->nvp_start) {
		v->nvp_start = now;
		return;
	}
	if (now - v->nvp_start < TCP_CWV_NVP || t->in_recovery)
		return;
	t->ssthresh = MAX(t->ssthresh, t->cwnd / 4 * 3);
	t->cwnd = MAX(t->cwnd / 2, tcp_initial_cwnd(t));
	v->nvp_start = now;
	STAT_INC(t->st, tcp_cwv_nvp_end);
}

/*
 * RFC 7661 4.1: a pipeACK sample is the octets acknowledged over one
 * smoothed RTT (none before the first RTT measurement).
 */
void tcp_cwv_ack(struct tcb *t, uint32_t acked)
{
	struct tcp_cwv *v = &t->cwv;
	uint64_t now = t->st->now ? t->st->now : 1;
	uint64_t psp = MAX((uint64_t)TCP_CWV_PSP_MIN, 3 * t->srtt);

	if (!v->sample_start)
		v->sample_start = now;
	v->sample_acked += acked;
	if (t->srtt && now - v->sample_start >= t->srtt) {
		if (!v->psp_start || now - v->psp_start >= psp) {
			/* A new sampling period; the last one's samples stay for one more. */
			v->pipeack = v->psp_start && now - v->psp_start < 2 * psp ? v->pipeack_cur : 0;
			v->pipeack_cur = 0;
			v->psp_start = now;
		}
		v->pipeack_cur = MAX(v->pipeack_cur, v->sample_acked);
		v->pipeack_set = true;
		v->sample_start = now;
		v->sample_acked = 0;
	}
	tcp_cwv_phase(t);
}

/*
 * "Cwnd-limited": RFC 5681 3.1's growth only while the window is used
 * (RFC 7661 4.3; RFC 9438 5.8). The flight is the largest of this
 * period (tcp_output.c) or the one just before this ACK.
 * Slow start grows while the flight was at least half of cwnd (as Linux
 * does: a window doubling per RTT is filled half way by the ACKs of the
 * last one, so the pipeACK test would lag it); congestion avoidance only
 * while the flight came within an SMSS of cwnd and pipeACK is validated.
 */
bool tcp_cwnd_limited(const struct tcb *t, uint32_t acked)
{
	uint32_t out = SEQ_GT(t->snd_nxt, t->snd_una) ? t->snd_nxt - t->snd_una : 0;
	uint64_t flight = MAX((uint64_t)out + acked, (uint64_t)t->cwv.max_flight);

	if (t->cwnd < t->ssthresh)
		return 2 * flight >= t->cwnd;
	if (tcp_cwv_nonvalidated(t))
		return false;
	return t->cwv.limited || flight + t->mss >= t->cwnd;
}

/* RFC 5681 3.1 (3): initial window from the SMSS. */
static void reno_init(struct tcb *t)
{
	memset(&t->cwv, 0, sizeof(t->cwv));
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
 * Neither grows unless the window is used (tcp_cwnd_limited): a window
 * held by the receiver or the application is not one the path carried.
 */
static void reno_cong_avoid(struct tcb *t, uint32_t acked)
{
	bool grow = tcp_cwnd_limited(t, acked);

	if (t->cwnd < t->ssthresh) {
		uint32_t l = SEQ_LT(t->snd_una, t->recover) ? 1u : 2u;

		if (t->hs.on) {
			tcp_hystart_ack(t, acked);   /* the initial slow start: RFC 9406 */
			return;
		}
		if (grow)
			t->cwnd += MIN(acked, l * t->mss);
		else
			STAT_INC(t->st, tcp_cwnd_unused);
		return;
	}
	if (!grow) {
		STAT_INC(t->st, tcp_cwnd_unused);
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
