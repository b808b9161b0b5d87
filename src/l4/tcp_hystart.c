/*
 * HyStart++ (RFC 9406): slow start that leaves before the path's queue
 * overflows. Slow start runs in rounds of one window (a round ends when
 * SND.UNA reaches the SND.NXT of its start); each round keeps its least
 * RTT. When a round's least RTT, over at least N_RTT_SAMPLE samples, has
 * grown by RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms) over the
 * last round's, a queue is building: slow start moves to Conservative
 * Slow Start (CSS), growing a quarter as fast. If a CSS round's least RTT
 * falls back below the baseline that triggered CSS, the exit was spurious
 * and slow start resumes; after CSS_ROUNDS rounds in CSS, congestion
 * avoidance starts at the current window (ssthresh = cwnd).
 *
 * Used for both NewReno and CUBIC (tcp_cc.c's slow start), only in the
 * initial slow start (4.3: RECOMMENDED); a loss ends it and the
 * algorithm's own loss response applies. The sender does not pace, so
 * an ACK grows the window by at most L = 8 SMSS (4.3). Like any slow
 * start here it grows only while the flight is at least half of cwnd
 * (tcp_cwnd_limited).
 */
#include "l4/tcp.h"

#define RTT_NONE UINT64_MAX

void tcp_hystart_init(struct tcb *t)
{
	struct tcp_hystart *h = &t->hs;

	memset(h, 0, sizeof(*h));
	h->on = !t->st->sk.tcp->hystart_off;
	h->last_min = h->cur_min = h->css_baseline = RTT_NONE;
}

void tcp_hystart_rtt(struct tcb *t, uint64_t rtt)
{
	if (t->hs.on)
		t->hs.sample = rtt ? rtt : 1;
}

void tcp_hystart_stop(struct tcb *t)
{
	t->hs.on = false;
	t->hs.css = false;
}

uint64_t tcp_hystart_thresh(uint64_t last_min)
{
	uint64_t d = last_min / TCP_HS_MIN_RTT_DIVISOR;

	return MAX((uint64_t)TCP_HS_MIN_RTT_THRESH, MIN(d, (uint64_t)TCP_HS_MAX_RTT_THRESH));
}

/* 4.2: at the start of each round, lastRoundMinRTT = currentRoundMinRTT. */
static void round_start(struct tcb *t)
{
	struct tcp_hystart *h = &t->hs;

	h->round_set = true;
	h->window_end = t->snd_nxt;
	h->last_min = h->cur_min;
	h->cur_min = RTT_NONE;
	h->samples = 0;
}

/*
 * Starts a round at the first ACK past the last round's windowEnd; true
 * if that completed CSS_ROUNDS rounds in CSS (congestion avoidance now).
 */
static bool round_check(struct tcb *t)
{
	struct tcp_hystart *h = &t->hs;

	/* The ACK of windowEnd itself is the round's last; the next one starts a round. */
	if (h->round_set && SEQ_LEQ(t->snd_una, h->window_end))
		return false;
	if (h->round_set && h->css && ++h->css_rounds >= TCP_HS_CSS_ROUNDS) {
		/* 4.2: CSS_ROUNDS rounds without a spurious exit: congestion avoidance. */
		t->ssthresh = MAX(t->cwnd, 2u * t->mss);
		tcp_hystart_stop(t);
		STAT_INC(t->st, tcp_hystart_ca);
		return true;
	}
	round_start(t);
	return false;
}

void tcp_hystart_ack(struct tcb *t, uint32_t acked)
{
	struct tcp_hystart *h = &t->hs;
	uint32_t inc = MIN(acked, TCP_HS_L * (uint32_t)t->mss);
	uint64_t rtt = h->sample;
	/* RFC 5681 3.1, RFC 7661: rounds and RTTs go on, growth only while the window is used. */
	bool grow = tcp_cwnd_limited(t, acked);

	h->sample = 0;
	if (round_check(t))
		return;
	if (rtt) {
		h->cur_min = MIN(h->cur_min, rtt);
		h->samples++;
	}
	if (!grow) {
		inc = 0;
		STAT_INC(t->st, tcp_cwnd_unused);
	}
	if (!h->css) {
		t->cwnd += inc;
		if (h->samples >= TCP_HS_N_RTT_SAMPLE && h->cur_min != RTT_NONE &&
		    h->last_min != RTT_NONE &&
		    h->cur_min >= h->last_min + tcp_hystart_thresh(h->last_min)) {
			/* The RTT grew by RttThresh: a queue builds; Conservative Slow Start. */
			h->css_baseline = h->cur_min;
			h->css = true;
			h->css_rounds = 0;
			STAT_INC(t->st, tcp_hystart_css);
		}
		return;
	}
	t->cwnd += inc / TCP_HS_CSS_GROWTH_DIVISOR;
	if (h->samples >= TCP_HS_N_RTT_SAMPLE && h->cur_min < h->css_baseline) {
		/* The RTT fell back: the exit was spurious, slow start resumes. */
		h->css_baseline = RTT_NONE;
		h->css = false;
		STAT_INC(t->st, tcp_hystart_spurious);
	}
}
