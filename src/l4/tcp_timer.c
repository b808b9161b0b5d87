/*
 * TCP timers on the stack's wheel: retransmission (RFC 6298, with
 * exponential backoff and Karn's rule), persist (zero-window probes,
 * RFC 9293 3.8.6.1), delayed ACK, TIME-WAIT (2 * MSL, RFC 9293 3.6) which
 * also bounds an orphaned FIN-WAIT-2, and keepalives (RFC 1122 4.2.3.6).
 */
#include "l4/tcp.h"

static void enter(struct stack *st)
{
	st->sk.tcp->depth++;
}

static void leave(struct stack *st)
{
	st->sk.tcp->depth--;
	tcp_reap(st);
}

void tcp_rearm_rtx(struct tcb *t)
{
	struct tcp_state *ts = t->st->sk.tcp;
	uint64_t rto = t->rto << MIN(t->backoff, 20u);

	stack_timer_in(t->st, &t->rtx_timer, MIN(rto, ts->rto_max_ns));
}

/* RFC 6298 2.2-2.4 (G = 1 ms, the wheel's tick). */
void tcp_rtt_sample(struct tcb *t, uint64_t r)
{
	struct tcp_state *ts = t->st->sk.tcp;
	uint64_t var;

	if (!t->srtt) {
		t->srtt = r ? r : 1;
		t->rttvar = r / 2;
	} else {
		uint64_t d = t->srtt > r ? t->srtt - r : r - t->srtt;

		t->rttvar = (3 * t->rttvar + d) / 4;
		t->srtt = (7 * t->srtt + r) / 8;
	}
	tcp_hystart_rtt(t, r);
	var = MAX(NS_PER_MS, 4 * t->rttvar);
	t->rto = MIN(MAX(t->srtt + var, ts->rto_min_ns), ts->rto_max_ns);
}

/* SYN or SYN-ACK lost: send it again (RFC 6298 5.7 keeps the backed-off RTO). */
static void syn_timeout(struct tcb *t)
{
	if (++t->retries > t->st->sk.tcp->syn_retries) {
		STAT_INC(t->st, tcp_aborted_timeout);
		tcp_done(t, -ETIMEDOUT);
		return;
	}
	t->backoff++;
	STAT_INC(t->st, tcp_retrans_segs);
	tcp_send_syn(t);
	tcp_rearm_rtx(t);
}

/* RFC 6298 5.4-5.6 and RFC 5681 3.1 (4)-(5): back off, shrink to one segment, go back to SND.UNA. */
static void data_timeout(struct tcb *t)
{
	if (t->snd_una == t->snd_max)
		return;
	if (++t->retries > t->st->sk.tcp->data_retries) {
		STAT_INC(t->st, tcp_aborted_timeout);
		tcp_send_rst(t);
		tcp_done(t, -ETIMEDOUT);
		return;
	}
	STAT_INC(t->st, tcp_timeouts);
	t->ssthresh = t->cc->ssthresh(t);
	t->cwnd = t->mss;
	t->bytes_acked = 0;
	t->in_recovery = false;
	t->dupacks = 0;
	t->recover = t->snd_max;   /* RFC 6582 4.2 */
	tcp_sack_clear(t);
	t->backoff++;
	t->rtt_timing = false;     /* Karn: no sample from a retransmitted segment */
	t->snd_nxt = t->snd_una;
	STAT_INC(t->st, tcp_retrans_segs);
	tcp_output(t);
	tcp_rearm_rtx(t);
}

static void rtx_fire(struct stack *st, struct timer *tm)
{
	struct tcb *t = container_of(tm, struct tcb, rtx_timer);

	enter(st);
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED) {
		syn_timeout(t);
	} else if (t->persist) {
		/* Probes never give up while the peer answers (RFC 1122 4.2.2.17). */
		tcp_send_probe(t);
		t->backoff++;
		tcp_rearm_rtx(t);
	} else {
		data_timeout(t);
	}
	leave(st);
}

static void delack_fire(struct stack *st, struct timer *tm)
{
	struct tcb *t = container_of(tm, struct tcb, delack_timer);

	enter(st);
	STAT_INC(st, tcp_delayed_acks);
	tcp_send_ack(t);
	leave(st);
}

static void tw_fire(struct stack *st, struct timer *tm)
{
	struct tcb *t = container_of(tm, struct tcb, tw_timer);

	enter(st);
	if (t->state == TCPS_TIME_WAIT)
		STAT_INC(st, tcp_tw_expired);
	tcp_done(t, 0);
	leave(st);
}

static void keep_fire(struct stack *st, struct timer *tm)
{
	struct tcb *t = container_of(tm, struct tcb, keep_timer);
	struct tcp_state *ts = st->sk.tcp;

	enter(st);
	if (st->now - t->last_rcv < ts->keepidle_ns) {
		stack_timer_in(st, &t->keep_timer, t->last_rcv + ts->keepidle_ns - st->now);
	} else if (t->probes >= ts->keepcnt) {
		STAT_INC(st, tcp_aborted_timeout);
		tcp_send_rst(t);
		tcp_done(t, -ETIMEDOUT);
	} else {
		t->probes++;
		STAT_INC(st, tcp_keepalive);
		tcp_send_probe(t);
		stack_timer_in(st, &t->keep_timer, ts->keepintvl_ns);
	}
	leave(st);
}

void tcp_keep_reset(struct tcb *t)
{
	t->last_rcv = t->st->now;
	t->probes = 0;
	if (t->keepalive && !timer_pending(&t->keep_timer) && t->state >= TCPS_ESTABLISHED &&
	    t->state != TCPS_TIME_WAIT)
		stack_timer_in(t->st, &t->keep_timer, t->st->sk.tcp->keepidle_ns);
}

void tcp_enter_time_wait(struct tcb *t)
{
	struct stack *st = t->st;

	tcp_set_state(t, TCPS_TIME_WAIT);
	stack_timer_cancel(st, &t->rtx_timer);
	stack_timer_cancel(st, &t->keep_timer);
	stack_timer_in(st, &t->tw_timer, 2 * st->sk.tcp->msl_ns);
}

void tcp_timers_init(struct tcb *t)
{
	timer_init(&t->rtx_timer, rtx_fire);
	timer_init(&t->delack_timer, delack_fire);
	timer_init(&t->tw_timer, tw_fire);
	timer_init(&t->keep_timer, keep_fire);
}

void tcp_timers_stop(struct tcb *t)
{
	stack_timer_cancel(t->st, &t->rtx_timer);
	stack_timer_cancel(t->st, &t->delack_timer);
	stack_timer_cancel(t->st, &t->tw_timer);
	stack_timer_cancel(t->st, &t->keep_timer);
}
