/*
 * CUBIC congestion control (RFC 9438) behind struct tcp_cc_ops: the window
 * grows as a cubic function of the time since the last congestion event,
 * W_cubic(t) = C (t - K)^3 + W_max (4.2), never slower than Reno would
 * (the Reno-friendly estimate of 4.3), and backs off by beta = 0.7 (4.6)
 * with fast convergence (4.7); neither W_cubic's clock nor W_est advances
 * while the window is not used (5.8, tcp_cwnd_limited). Slow start is RFC
 * 5681's; fast recovery and loss detection stay in tcp_input.c. Windows
 * are kept in segments (double) as the RFC writes them; the clock is the
 * stack's.
 */
#include <math.h>
#include "l4/tcp.h"

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

struct cubic {
	double w_max;             /* segments, before the last reduction */
	double w_last_max;        /* for fast convergence */
	double k;                 /* seconds for W_cubic to reach w_max again */
	double w_est;             /* Reno-friendly window, segments */
	double cwnd_epoch;        /* cwnd at the start of the epoch, segments */
	uint64_t epoch_start;     /* ns; 0: no epoch (first ACK in congestion avoidance starts one) */
	uint64_t last_ack;        /* ns of the last ACK in congestion avoidance */
};
_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcb *)0)->cc_priv), "cc_priv too small");

static struct cubic *cubic_of(struct tcb *t)
{
	return (struct cubic *)(void *)t->cc_priv;
}

static void cubic_init(struct tcb *t)
{
	struct cubic *c = cubic_of(t);

	tcp_newreno.init(t);
	memset(c, 0, sizeof(*c));
}

/* RFC 9438 4.6-4.7: remember where the loss happened, then reduce by beta. */
static uint32_t cubic_ssthresh(struct tcb *t)
{
	struct cubic *c = cubic_of(t);
	double cwnd = (double)t->cwnd / t->mss;

	c->w_max = cwnd;
	if (cwnd < c->w_last_max)
		c->w_max = cwnd * (1 + CUBIC_BETA) / 2;   /* fast convergence */
	c->w_last_max = cwnd;
	c->epoch_start = 0;
	tcp_hystart_stop(t);
	return MAX((uint32_t)(t->cwnd * CUBIC_BETA), 2u * t->mss);
}

/* RFC 9438 4.2: W_cubic(t) in segments. */
double tcp_cubic_w(double w_max, double k, double t)
{
	double d = t - k;

	return CUBIC_C * d * d * d + w_max;
}

static void epoch_begin(struct tcb *t, struct cubic *c, double cwnd)
{
	c->epoch_start = t->st->now ? t->st->now : 1;
	c->last_ack = c->epoch_start;
	c->cwnd_epoch = cwnd;
	c->w_est = cwnd;
	if (c->w_max <= cwnd) {
		c->k = 0;
		c->w_max = cwnd;
	} else {
		c->k = cbrt((c->w_max - cwnd) / CUBIC_C);   /* 4.2, eq. 2 with cwnd_epoch */
	}
}

static void cubic_cong_avoid(struct tcb *t, uint32_t acked)
{
	struct cubic *c = cubic_of(t);
	double cwnd, secs, rtt, target, segs = (double)acked / t->mss;

	if (t->cwnd < t->ssthresh) {
		/* 4.2: t counts from the start of a congestion avoidance stage (also after an idle restart). */
		c->epoch_start = 0;
		tcp_newreno.cong_avoid(t, acked);
		return;
	}
	cwnd = (double)t->cwnd / t->mss;
	if (!c->epoch_start)
		epoch_begin(t, c, cwnd);
	if (!tcp_cwnd_limited(t, acked)) {
		/*
		 * 5.8 (application-limited flows): no growth of cwnd or of
		 * W_est while not cwnd-limited; the time is left out of t
		 * (the curve moves with it), so the window does not jump when
		 * the sender uses it again.
		 */
		if (t->st->now > c->last_ack)
			c->epoch_start += t->st->now - c->last_ack;
		c->last_ack = t->st->now;
		STAT_INC(t->st, tcp_cwnd_unused);
		return;
	}
	c->last_ack = t->st->now;
	secs = (double)(t->st->now - c->epoch_start) / 1e9;
	rtt = t->srtt ? (double)t->srtt / 1e9 : 0.1;
	/* 4.3: alpha = 3 (1 - beta) / (1 + beta) segments per window. */
	c->w_est += 3 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) * segs / cwnd;
	target = tcp_cubic_w(c->w_max, c->k, secs + rtt);
	target = MIN(MAX(target, cwnd), 1.5 * cwnd);   /* 4.2: bounds on the target */
	if (tcp_cubic_w(c->w_max, c->k, secs) < c->w_est)
		cwnd = MAX(cwnd, c->w_est);                  /* Reno-friendly region */
	else
		cwnd += (target - cwnd) / cwnd * segs;       /* concave or convex region */
	t->cwnd = (uint32_t)MAX(cwnd * t->mss, (double)t->cwnd);
}

const struct tcp_cc_ops tcp_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
};
