/*
 * TCP input: segment checks and demultiplexing for both families, and
 * event processing per RFC 9293 3.10.7 with RFC 5961 (blind RST, SYN and
 * data injection), RFC 7323 (window scale, timestamps, PAWS), RFC 5681 and
 * RFC 6582 (fast retransmit, NewReno recovery), reassembly of out-of-order
 * segments and receiver-side SACK blocks (RFC 2018).
 */
#include <stdlib.h>
#include "l4/tcp.h"
#include "l4/sock.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "ipv6/exthdr.h"
#include "ipv4/inet4.h"
#include "link/netdev.h"
#include "core/ratelimit.h"

/*
 * Queued out-of-order segments per connection: 512, or one per KB of the
 * receive buffer if that is more, so a large window's worth of SACKed data
 * is kept (dropping it makes the sender count it in flight, RFC 6675 pipe).
 */
#define TCP_OOO_MAX(t) MAX(512u, (t)->rcv.size / 1024)
#define OOO_SEQ(p) get_be32((p)->cb)
#define OOO_FIN(p) ((p)->cb[4])

static void established(struct tcb *t, const struct tcp_seg *seg);

static uint32_t seg_space(const struct tcp_seg *s)
{
	return s->len + ((s->flags & TCP_F_SYN) ? 1 : 0) + ((s->flags & TCP_F_FIN) ? 1 : 0);
}

/* Options of the peer's SYN decide what the connection uses (RFC 7323 2.2, 3.2; RFC 2018 2). */
static void syn_options(struct tcb *t, const struct tcp_seg *seg, bool we_offered)
{
	const struct tcp_opts *o = &seg->o;
	uint16_t mss = tcp_path_mss(t);

	if (t->user_mss && t->user_mss < mss)
		mss = t->user_mss;
	/* RFC 9293 3.7.1: without the option, 536 (IPv4) or 1220 (IPv6, RFC 8200 8.3). */
	t->mss = MIN(mss, o->mss_ok && o->mss >= 64 ? o->mss :
		     (in6_is_v4mapped(&t->faddr) ? 536 : 1220));
	if (o->ws_ok && we_offered) {
		t->snd_wscale = o->wscale;
	} else {
		t->snd_wscale = 0xff;   /* marks "not negotiated" until cleared below */
	}
	t->ts_on = o->ts_ok;
	if (o->ts_ok)
		t->ts_recent = o->tsval;
	t->sack_on = o->sack_perm;
}

static void ws_settle(struct tcb *t)
{
	if (t->snd_wscale == 0xff) {
		t->snd_wscale = 0;
		t->rcv_wscale = 0;
	}
}

/* Our receive-window shift: the smallest that lets the buffer be announced. */
static uint8_t pick_wscale(uint32_t rcvbuf)
{
	uint8_t s = 0;

	while (s < TCP_MAX_WSCALE && (rcvbuf >> s) > 0xffff)
		s++;
	return s;
}

/* Fills the connection's variables once a SYN of the peer is in (RFC 9293 3.10.7.2-3). */
static void take_syn(struct tcb *t, const struct tcp_seg *seg)
{
	t->irs = seg->seq;
	t->rcv_nxt = seg->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	t->snd_wl1 = seg->seq;
	t->snd_wl2 = seg->ack;
}

static void established(struct tcb *t, const struct tcp_seg *seg)
{
	ws_settle(t);
	t->snd_wnd = (uint32_t)seg->wnd << t->snd_wscale;
	t->max_snd_wnd = t->snd_wnd;
	t->snd_wl1 = seg->seq;
	t->snd_wl2 = seg->ack;
	t->cc->init(t);
	/* RFC 5681 3.1 (RFC 6928 2): after a lost SYN or SYN-ACK, the IW is one SMSS. */
	if (t->retries) {
		t->cwnd = t->mss;
		STAT_INC(t->st, tcp_iw_syn_lost);
	}
	t->retries = 0;
	t->backoff = 0;
	stack_timer_cancel(t->st, &t->rtx_timer);
	tcp_set_state(t, TCPS_ESTABLISHED);
	tcp_keep_reset(t);
	if (t->fin_pending)
		tcp_set_state(t, TCPS_FIN_WAIT_1);
}

/* A child of listener @l for the peer of @seg, with buffers, not yet in any state. */
static struct tcb *child_new(struct tcb *l, const struct tcp_seg *seg, const struct in6_addr *src,
			     const struct in6_addr *dst, int iif)
{
	struct stack *st = l->st;
	struct tcb *c = tcb_new(st);

	if (!c || tcp_alloc_bufs(c, l->sk ? (uint32_t)l->sk->rcvbuf : st->sk.tcp->rcvbuf,
				 l->sk && l->sk->sndbuf ? l->sk->sndbuf : st->sk.tcp->sndbuf) < 0) {
		if (c)
			tcp_done(c, 0);
		return NULL;
	}
	c->laddr = *dst;
	c->faddr = *src;
	c->lport = seg->dport;
	c->fport = seg->sport;
	c->ifindex = in6_is_linklocal(src) ? iif : l->ifindex;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->user_mss = l->user_mss;
	c->cc = l->cc;
	c->passive = true;
	c->listener = l;
	dlist_add_tail(&l->children, &c->qnode);
	l->nchildren++;
	c->adv_mss = tcp_path_mss(c);
	return c;
}

static void child_seq(struct tcb *c, uint32_t iss)
{
	c->iss = iss;
	c->snd_una = c->recover = c->iss;
	c->snd_nxt = c->snd_max = c->snd_ring_seq = c->iss + 1;
	c->ts_off = iss;           /* RFC 7323 5.4: a per-connection offset */
}

/*
 * Options of a cookie connection: those coded in the TSval of our SYN-ACK
 * (tcp_cookie.c), echoed in the ACK's TSecr (decoded into @o); none
 * without timestamps.
 */
static void cookie_options(struct tcb *c, const struct tcp_seg *seg, const struct tcp_opts *o)
{
	c->snd_wscale = 0xff;      /* established() settles both shifts to 0 */
	if (!seg->o.ts_ok)
		return;
	c->ts_on = true;
	c->ts_recent = seg->o.tsval;
	c->sack_on = o->sack_perm;
	if (o->ws_ok) {
		c->snd_wscale = o->wscale;
		c->rcv_wscale = pick_wscale(c->rcv.size);
	}
}

/*
 * The ACK of a cookie SYN-ACK (RFC 4987 3.6): a valid cookie makes the
 * connection, ESTABLISHED at once; the segment is then processed in it.
 * false if the ACK carries no valid cookie (the caller answers RST). Consumes @p if true.
 */
static bool cookie_ack(struct tcb *l, struct pkt *p, struct tcp_seg *seg,
		       const struct in6_addr *src, const struct in6_addr *dst, int iif)
{
	struct stack *st = l->st;
	/* The timestamp clock of the connection to be: ms + ISN (child_seq). */
	uint32_t ts_clock = (uint32_t)(st->now / NS_PER_MS) + seg->ack - 1;
	struct tcp_opts o = { 0 };
	uint16_t mss;
	struct tcb *c;

	/* Cookies are checked only while this listener's could come back (as Linux): any other
	 * ACK is an old connection's or a stranger's, not a cookie failure. */
	if (!st->sk.tcp->syncookies || !l->cookie_until || st->now > l->cookie_until ||
	    (seg->flags & TCP_F_SYN))
		return false;
	if (tcp_cookie_check(st, dst, seg->dport, src, seg->sport, seg->seq - 1, seg->ack - 1, &mss) < 0 ||
	    (seg->o.ts_ok && tcp_cookie_ts_decode(ts_clock, seg->o.tsecr, &o) < 0)) {
		STAT_INC(st, tcp_syncookies_bad);
		return false;
	}
	/* Cookies spare the SYN queue; established ones still wait for accept, boundedly. */
	if (l->nchildren >= 2 * l->backlog || !(c = child_new(l, seg, src, dst, iif))) {
		STAT_INC(st, tcp_listen_drop);
		pkt_free(p);
		return true;
	}
	STAT_INC(st, tcp_syncookies_ok);
	STAT_INC(st, tcp_passive_opens);
	child_seq(c, seg->ack - 1);
	c->snd_una = seg->ack;
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rcv_adv = seg->seq + MIN(tcp_rcv_space(c), 0xffffu);   /* the window our SYN-ACK offered */
	c->last_ack_sent = c->rcv_nxt;   /* what the SYN-ACK acknowledged: RFC 7323 4.3 TS.Recent updates */
	c->mss = MIN(mss, c->adv_mss);
	cookie_options(c, seg, &o);
	established(c, seg);
	tcp_ehash(c);
	tcp_wake(l);
	tcp_segment(c, p, seg);
	return true;
}

/* A SYN to a listener whose queue is full: a cookie, or a drop. */
static void listen_full(struct tcb *l, const struct pkt *p, const struct tcp_seg *seg,
			const struct in6_addr *src, const struct in6_addr *dst)
{
	struct stack *st = l->st;
	uint16_t mss = l->user_mss ? l->user_mss : 0xffff, used;
	uint32_t cookie;
	struct tcb probe = { .st = st, .faddr = *src, .laddr = *dst, .fport = seg->sport,
			     .lport = seg->dport };

	if (!st->sk.tcp->syncookies) {
		STAT_INC(st, tcp_listen_drop);
		return;
	}
	mss = MIN(mss, tcp_path_mss(&probe));
	if (seg->o.mss_ok && seg->o.mss >= 64)
		mss = MIN(mss, seg->o.mss);
	cookie = tcp_cookie_make(st, dst, seg->dport, src, seg->sport, seg->seq, mss, &used);
	l->cookie_until = st->now + TCP_COOKIE_LIFE_NS;
	/* The shift a child of @l would announce (its receive buffer, as child_new makes it). */
	tcp_send_cookie_synack(st, p, seg, src, dst, cookie, used,
			       pick_wscale(l->sk ? (uint32_t)l->sk->rcvbuf : st->sk.tcp->rcvbuf));
}

/* RFC 9293 3.10.7.2: a segment to a listener. Consumes @p. */
static void listen_input(struct tcb *l, struct pkt *p, struct tcp_seg *seg,
			 const struct in6_addr *src, const struct in6_addr *dst, int iif)
{
	struct stack *st = l->st;
	struct tcb *c;

	if (seg->flags & TCP_F_RST) {
		STAT_INC(st, tcp_listen_rst);
		goto drop;
	}
	if (seg->flags & TCP_F_ACK) {
		if (cookie_ack(l, p, seg, src, dst, iif))
			return;
		STAT_INC(st, tcp_listen_ack);
		tcp_reply_rst(st, p, seg, src, dst);
		goto drop;
	}
	if (!(seg->flags & TCP_F_SYN)) {
		STAT_INC(st, tcp_listen_nosyn);
		goto drop;
	}
	if (l->nchildren >= l->backlog) {
		listen_full(l, p, seg, src, dst);
		goto drop;
	}
	c = child_new(l, seg, src, dst, iif);
	if (!c)
		goto drop;
	child_seq(c, tcp_isn(st, dst, seg->dport, src, seg->sport));
	c->rcv_wscale = pick_wscale(c->rcv.size);
	take_syn(c, seg);
	syn_options(c, seg, true);
	if (c->snd_wscale == 0xff)
		c->rcv_wscale = 0;
	c->snd_wnd = seg->wnd;
	tcp_set_state(c, TCPS_SYN_RECEIVED);
	tcp_ehash(c);
	STAT_INC(st, tcp_passive_opens);
	tcp_send_syn(c);
drop:
	pkt_free(p);
}

/* RFC 9293 3.10.7.3: SYN-SENT. Consumes @p. */
static void syn_sent_input(struct tcb *t, struct pkt *p, const struct tcp_seg *seg)
{
	bool ack = (seg->flags & TCP_F_ACK) != 0;

	if (ack && (SEQ_LEQ(seg->ack, t->iss) || SEQ_GT(seg->ack, t->snd_max))) {
		if (!(seg->flags & TCP_F_RST))
			tcp_reply_rst(t->st, p, seg, &t->faddr, &t->laddr);
		STAT_INC(t->st, tcp_ack_bad);
		goto drop;
	}
	if (seg->flags & TCP_F_RST) {
		/* RFC 5961 3.2: only a RST that acknowledges our SYN counts. */
		if (ack) {
			STAT_INC(t->st, tcp_rst_in);
			tcp_done(t, -ECONNREFUSED);
		} else {
			STAT_INC(t->st, tcp_rst_bad);
		}
		goto drop;
	}
	if (!(seg->flags & TCP_F_SYN))
		goto drop;
	take_syn(t, seg);
	syn_options(t, seg, true);
	if (ack) {
		t->snd_una = seg->ack;
		established(t, seg);
		t->snd_wnd = t->max_snd_wnd = seg->wnd;   /* RFC 7323 2.2: a SYN's window is not scaled */
		if (t->ts_on && seg->o.tsecr)
			tcp_rtt_sample(t, (uint64_t)((uint32_t)(t->st->now / NS_PER_MS) + t->ts_off -
						     seg->o.tsecr) * NS_PER_MS);
		tcp_send_ack(t);
		tcp_output(t);
		tcp_wake(t);
	} else {
		/* Simultaneous open (RFC 9293 3.5, figure 7). */
		tcp_set_state(t, TCPS_SYN_RECEIVED);
		t->snd_wnd = seg->wnd;
		stack_timer_cancel(t->st, &t->rtx_timer);
		tcp_send_syn(t);
	}
drop:
	pkt_free(p);
}

/* RFC 9293 3.10.7.4 first check: is any of the segment inside the receive window? */
static bool seq_acceptable(const struct tcb *t, const struct tcp_seg *seg)
{
	uint32_t wnd = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t n = seg_space(seg);

	if (n == 0) {
		if (wnd == 0)
			return seg->seq == t->rcv_nxt;
		return SEQ_GEQ(seg->seq, t->rcv_nxt) && SEQ_LT(seg->seq, t->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (SEQ_GEQ(seg->seq, t->rcv_nxt) && SEQ_LT(seg->seq, t->rcv_nxt + wnd)) ||
	       (SEQ_GEQ(seg->seq + n - 1, t->rcv_nxt) && SEQ_LT(seg->seq + n - 1, t->rcv_nxt + wnd));
}

/* RFC 9293 3.10.7.4 second check (with RFC 5961 3.2). */
static void rst_input(struct tcb *t, const struct tcp_seg *seg)
{
	if (seg->seq != t->rcv_nxt) {
		tcp_challenge_ack(t);
		return;
	}
	STAT_INC(t->st, tcp_rst_in);
	switch (t->state) {
	case TCPS_SYN_RECEIVED:
		/* Passive: the listener simply forgets it; active (simultaneous open): refused. */
		tcp_done(t, t->passive ? 0 : -ECONNREFUSED);
		break;
	case TCPS_ESTABLISHED: case TCPS_FIN_WAIT_1: case TCPS_FIN_WAIT_2: case TCPS_CLOSE_WAIT:
		tcp_done(t, -ECONNRESET);
		break;
	default:
		tcp_done(t, 0);
		break;
	}
}

/* RFC 2883 4: the next ACK reports [@l, @r), octets received twice, first (with SACK only). */
static void dsack_note(struct tcb *t, uint32_t l, uint32_t r)
{
	if (!t->sack_on || !SEQ_LT(l, r))
		return;
	/* Old data from before the peer's first octet was never received: no duplicate (blind data). */
	if (SEQ_LT(l, t->rcv_nxt) && t->rcv_nxt - l > t->rcv_nxt - t->irs - 1)
		return;
	t->dsack.left = l;
	t->dsack.right = r;
	t->dsack_pending = true;
}

/* Cuts what lies before RCV.NXT or past the window; 0, or -1 if nothing is left. */
static int trim_to_window(struct tcb *t, struct pkt *p, struct tcp_seg *seg)
{
	uint32_t wnd = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;

	wnd = MIN(MAX(wnd, 0u), tcp_rcv_space(t));
	if (SEQ_LT(seg->seq, t->rcv_nxt)) {
		uint32_t cut = t->rcv_nxt - seg->seq;

		if (seg->flags & TCP_F_SYN) {
			seg->flags &= (uint8_t)~TCP_F_SYN;
			seg->seq++;
			cut--;
		}
		cut = MIN(cut, seg->len);
		dsack_note(t, seg->seq, seg->seq + cut);
		pkt_pull(p, cut);
		seg->len -= cut;
		seg->seq += cut;
		if (SEQ_LT(seg->seq, t->rcv_nxt))
			seg->flags &= (uint8_t)~TCP_F_FIN;   /* an old FIN */
	}
	if (SEQ_GT(seg->seq + seg->len, t->rcv_nxt + wnd)) {
		uint32_t keep = SEQ_GT(t->rcv_nxt + wnd, seg->seq) ? t->rcv_nxt + wnd - seg->seq : 0;

		STAT_INC(t->st, tcp_rcv_trim);
		pkt_trim(p, keep);
		seg->len = keep;
		seg->flags &= (uint8_t)~TCP_F_FIN;
	}
	return 0;
}

/*
 * RFC 6675 5: a duplicate ACK with SACK. Recovery starts at DupThresh
 * duplicates or as soon as IsLost(HighACK + 1) (5 (a), (b)); in recovery,
 * tcp_output sends by pipe (5 (C)).
 */
static void sack_dupack(struct tcb *t)
{
	if (t->in_recovery) {
		tcp_output(t);
		return;
	}
	++t->dupacks;
	/* RFC 6675 5.1, RFC 6582 3.2 (2): no new recovery before HighACK reaches RecoveryPoint. */
	if (SEQ_LT(t->snd_una, t->recover))
		return;
	if (t->dupacks < TCP_DUPTHRESH && !tcp_sack_is_lost(t, t->snd_una))
		return;
	tcp_sack_enter_recovery(t);
	tcp_output(t);
}

/* RFC 6582 3.2: fast retransmit, fast recovery, partial and full ACKs. */
static void dupack(struct tcb *t)
{
	STAT_INC(t->st, tcp_dupacks);
	if (t->sack_on) {
		sack_dupack(t);
		return;
	}
	if (t->in_recovery) {
		t->cwnd += t->mss;
		tcp_output(t);
		return;
	}
	/* RFC 6582 3.2 (2): no new recovery until the ACK covers the last one's (recover = SND.MAX then). */
	if (++t->dupacks != TCP_DUPTHRESH || SEQ_LT(t->snd_una, t->recover))
		return;
	STAT_INC(t->st, tcp_fast_retrans);
	t->ssthresh = t->cc->ssthresh(t);
	t->recover = t->snd_max;
	t->in_recovery = true;
	tcp_retransmit_one(t);
	t->cwnd = t->ssthresh + 3u * t->mss;
	t->rtt_timing = false;
	tcp_output(t);
}

static void new_ack(struct tcb *t, const struct tcp_seg *seg)
{
	uint32_t acked = seg->ack - t->snd_una;
	uint32_t data = SEQ_GT(seg->ack, t->snd_ring_seq) ? MIN(seg->ack - t->snd_ring_seq, t->snd.len) : 0;

	tcp_ring_drop(&t->snd, data);
	t->snd_ring_seq += data;
	t->snd_una = seg->ack;
	if (SEQ_LT(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	if (t->ts_on && seg->o.ts_ok && seg->o.tsecr)
		tcp_rtt_sample(t, (uint64_t)((uint32_t)(t->st->now / NS_PER_MS) + t->ts_off -
					     seg->o.tsecr) * NS_PER_MS);
	else if (t->rtt_timing && SEQ_GT(seg->ack, t->rtt_seq))
		tcp_rtt_sample(t, t->st->now - t->rtt_start);
	if (t->rtt_timing && SEQ_GT(seg->ack, t->rtt_seq))
		t->rtt_timing = false;
	t->backoff = 0;
	t->retries = 0;
	tcp_cwv_ack(t, acked);      /* RFC 7661 4.1: pipeACK */
	if (t->in_recovery) {
		if (SEQ_GEQ(seg->ack, t->recover)) {
			t->cwnd = MIN(t->ssthresh, (t->snd_max - t->snd_una) + t->mss);
			t->in_recovery = false;
		} else if (t->sack_on) {
			/* RFC 6675 5: a partial ACK only updates the board and pipe; tcp_output sends. */
			STAT_INC(t->st, tcp_partial_acks);
			tcp_rearm_rtx(t);
		} else {
			STAT_INC(t->st, tcp_partial_acks);
			tcp_retransmit_one(t);
			t->cwnd = (t->cwnd > acked ? t->cwnd - acked : 0) + t->mss;
			tcp_rearm_rtx(t);
		}
	} else {
		t->cc->cong_avoid(t, acked);
	}
	t->dupacks = 0;
	if (t->snd_una == t->snd_max)
		stack_timer_cancel(t->st, &t->rtx_timer);
	else if (!t->in_recovery)
		tcp_rearm_rtx(t);
}

/* RFC 9293 3.10.7.4 fifth check, past SYN-RECEIVED. false: drop the segment. */
static bool ack_input(struct tcb *t, struct pkt *p, const struct tcp_seg *seg)
{
	uint32_t wnd, sacked;

	/* RFC 5961 5.2: acceptable between SND.UNA - MAX.SND.WND and SND.NXT. */
	if (SEQ_GT(seg->ack, t->snd_max) || SEQ_LT(seg->ack, t->snd_una - t->max_snd_wnd)) {
		STAT_INC(t->st, tcp_ack_bad);
		tcp_challenge_ack(t);
		return false;
	}
	if (t->state == TCPS_SYN_RECEIVED) {
		if (SEQ_LEQ(seg->ack, t->snd_una)) {
			tcp_reply_rst(t->st, p, seg, &t->faddr, &t->laddr);
			return false;
		}
		t->snd_una = seg->ack;
		established(t, seg);
		if (t->listener)
			tcp_wake(t->listener);
		else
			tcp_wake(t);
	}
	wnd = (uint32_t)seg->wnd << t->snd_wscale;
	sacked = tcp_sack_total(t);
	tcp_sack_update(t, seg, SEQ_GT(seg->ack, t->snd_una) ? seg->ack : t->snd_una);
	if (SEQ_GT(seg->ack, t->snd_una)) {
		new_ack(t, seg);
		tcp_wake(t);
	} else if (seg->ack == t->snd_una && seg->len == 0 && !(seg->flags & TCP_F_FIN) &&
		   t->snd_una != t->snd_max && (wnd == t->snd_wnd || tcp_sack_total(t) > sacked)) {
		/* RFC 6675 2: an ACK that SACKs new octets is a duplicate whatever its window. */
		dupack(t);
	}
	/* RFC 9293 3.10.7.4: update the send window from the newest segment only. */
	if (SEQ_LT(t->snd_wl1, seg->seq) || (t->snd_wl1 == seg->seq && SEQ_LEQ(t->snd_wl2, seg->ack))) {
		if (t->snd_wnd == 0 && wnd && t->persist) {
			/* The window opened: probes over, and their backoff is not the RTO's. */
			t->persist = false;
			t->backoff = 0;
			stack_timer_cancel(t->st, &t->rtx_timer);
		}
		t->snd_wnd = wnd;
		t->max_snd_wnd = MAX(t->max_snd_wnd, wnd);
		t->snd_wl1 = seg->seq;
		t->snd_wl2 = seg->ack;
	}
	if (t->fin_pending && tcp_fin_acked(t)) {
		if (t->state == TCPS_FIN_WAIT_1) {
			tcp_set_state(t, TCPS_FIN_WAIT_2);
			/* An orphan does not wait for the peer's FIN for ever (Linux tcp_fin_timeout). */
			if (!t->sk)
				stack_timer_in(t->st, &t->tw_timer, 2 * t->st->sk.tcp->msl_ns);
		} else if (t->state == TCPS_CLOSING) {
			tcp_enter_time_wait(t);
		} else if (t->state == TCPS_LAST_ACK) {
			tcp_done(t, 0);
			return false;
		}
	}
	return true;
}

/* True if the queued segments hold every octet of [@seq, @end). */
static bool ooo_covered(const struct tcb *t, uint32_t seq, uint32_t end)
{
	uint32_t to = seq;

	for (const struct pkt *q = t->ooo; q && SEQ_LEQ(OOO_SEQ(q), to); q = q->next)
		if (SEQ_GT(OOO_SEQ(q) + q->len, to))
			to = OOO_SEQ(q) + q->len;
	return SEQ_GEQ(to, end);
}

/* Queues an out-of-order segment (data = payload), keeping the list sorted and free of overlaps it adds. */
static void ooo_insert(struct tcb *t, struct pkt *p, const struct tcp_seg *seg)
{
	struct pkt **pp = &t->ooo;
	uint32_t seq = seg->seq, end = seq + seg->len;

	if (t->ooo_count >= TCP_OOO_MAX(t)) {
		STAT_INC(t->st, tcp_ooo_drop);
		pkt_free(p);
		return;
	}
	while (*pp && SEQ_LT(OOO_SEQ(*pp), seq))
		pp = &(*pp)->next;
	/* A duplicate of what is queued: the first copy stays, the ACK reports a D-SACK. */
	if ((*pp && OOO_SEQ(*pp) == seq && (*pp)->len >= seg->len) ||
	    (!(seg->flags & TCP_F_FIN) && ooo_covered(t, seq, end))) {
		dsack_note(t, seq, end);
		t->last_ooo.left = seq;
		t->last_ooo.right = end;
		pkt_free(p);
		return;
	}
	STAT_INC(t->st, tcp_ooo);
	put_be32(p->cb, seq);
	OOO_FIN(p) = (seg->flags & TCP_F_FIN) != 0;
	p->next = *pp;
	*pp = p;
	t->ooo_count++;
	t->last_ooo.left = seq;
	t->last_ooo.right = end;
}

/* Appends in-order octets to the receive ring. */
static void rcv_append(struct tcb *t, const uint8_t *d, uint32_t n)
{
	n = tcp_ring_write(&t->rcv, d, n);
	t->rcv_nxt += n;
}

/* Moves queued segments that now fit at RCV.NXT into the ring; true if one carried the FIN. */
static bool ooo_drain(struct tcb *t)
{
	bool fin = false;

	while (t->ooo && SEQ_LEQ(OOO_SEQ(t->ooo), t->rcv_nxt)) {
		struct pkt *q = t->ooo;
		uint32_t seq = OOO_SEQ(q), skip = t->rcv_nxt - seq;

		t->ooo = q->next;
		t->ooo_count--;
		if (skip <= q->len) {
			rcv_append(t, q->data + skip, q->len - skip);
			fin = OOO_FIN(q) && t->rcv_nxt == seq + q->len;
		}
		pkt_free(q);
	}
	return fin;
}

/* RFC 9293 3.10.7.4 eighth check: the peer's FIN. */
static void fin_input(struct tcb *t)
{
	t->rcv_nxt++;
	t->fin_rcvd = true;
	tcp_send_ack(t);
	switch (t->state) {
	case TCPS_SYN_RECEIVED: case TCPS_ESTABLISHED:
		tcp_set_state(t, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		if (tcp_fin_acked(t))
			tcp_enter_time_wait(t);
		else
			tcp_set_state(t, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		stack_timer_cancel(t->st, &t->tw_timer);
		tcp_enter_time_wait(t);
		break;
	default:
		break;
	}
	tcp_wake(t);
}

/* Seventh and eighth checks: segment text and FIN. Consumes @p. */
static void data_input(struct tcb *t, struct pkt *p, struct tcp_seg *seg)
{
	bool fin = (seg->flags & TCP_F_FIN) != 0;

	if (t->state != TCPS_ESTABLISHED && t->state != TCPS_FIN_WAIT_1 && t->state != TCPS_FIN_WAIT_2) {
		pkt_free(p);
		if (t->state == TCPS_TIME_WAIT && fin) {
			/* RFC 9293 3.10.7.4: a retransmitted FIN is acknowledged and restarts 2 MSL. */
			tcp_send_ack(t);
			stack_timer_in(t->st, &t->tw_timer, 2 * t->st->sk.tcp->msl_ns);
		}
		return;
	}
	if (!seg->len && !fin) {
		pkt_free(p);
		return;
	}
	/* RFC 9293 3.10.4 / RFC 2525 2.17: data for a closed socket resets the connection. */
	if (!t->sk && t->user_closed && seg->len) {
		STAT_INC(t->st, tcp_data_after_close);
		pkt_free(p);
		tcp_send_rst(t);
		tcp_done(t, 0);
		return;
	}
	if (seg->seq != t->rcv_nxt) {
		ooo_insert(t, p, seg);
		tcp_send_ack(t);         /* RFC 5681 4.2: a duplicate ACK at once */
		return;
	}
	rcv_append(t, p->data, seg->len);
	pkt_free(p);
	if (t->ooo) {
		fin = ooo_drain(t) || (fin && !t->ooo);
		tcp_send_ack(t);         /* RFC 5681 4.2: filling a hole is acknowledged at once */
	} else if (!fin) {
		/* Full-sized: payload and options fill the MSS we announced (or our own path's). */
		uint32_t sz = seg->len + seg->hlen - TCP_HLEN;

		tcp_ack_soon(t, sz >= t->adv_mss || sz >= t->mss);
	}
	if (fin)
		fin_input(t);
	else if (seg->len)
		tcp_wake(t);
}

/* RFC 7323 5.3: PAWS; false if the segment is an old duplicate (answered by ACK). */
static bool paws_ok(struct tcb *t, const struct tcp_seg *seg)
{
	if (!t->ts_on || !seg->o.ts_ok || (seg->flags & TCP_F_RST))
		return true;
	if ((int32_t)(seg->o.tsval - t->ts_recent) >= 0)
		return true;
	STAT_INC(t->st, tcp_paws);
	/* RFC 2883 4: an old copy of data already received. */
	if (seg->len && SEQ_LEQ(seg->seq + seg->len, t->rcv_nxt))
		dsack_note(t, seg->seq, seg->seq + seg->len);
	tcp_send_ack(t);
	return false;
}

void tcp_segment(struct tcb *t, struct pkt *p, struct tcp_seg *seg)
{
	if (t->state == TCPS_SYN_SENT) {
		syn_sent_input(t, p, seg);
		return;
	}
	/* A copy of the SYN (our SYN-ACK was lost), or its SYN-ACK in a simultaneous open. */
	if (t->state == TCPS_SYN_RECEIVED && (seg->flags & TCP_F_SYN) && seg->seq == t->irs &&
	    !(seg->flags & TCP_F_RST)) {
		if (!(seg->flags & TCP_F_ACK)) {
			tcp_send_syn(t);
			goto drop;
		}
		seg->flags &= (uint8_t)~TCP_F_SYN;
		seg->seq++;
	}
	if (!paws_ok(t, seg))
		goto drop;
	/* RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence number: challenge ACK. */
	if ((seg->flags & TCP_F_SYN) && !(seg->flags & TCP_F_RST)) {
		STAT_INC(t->st, tcp_syn_in_sync);
		tcp_challenge_ack(t);
		goto drop;
	}
	if (!seq_acceptable(t, seg)) {
		STAT_INC(t->st, tcp_unacceptable);
		/* RFC 2883 4: data that is all below RCV.NXT came twice. */
		if (seg->len && SEQ_LEQ(seg->seq + seg->len, t->rcv_nxt) && !(seg->flags & TCP_F_RST))
			dsack_note(t, seg->seq, seg->seq + seg->len);
		if (!(seg->flags & TCP_F_RST))
			tcp_send_ack(t);
		/* RFC 9293 3.10.7.4: in TIME-WAIT a retransmitted FIN (it ends at RCV.NXT) is
		 * acknowledged (above) and restarts the 2 MSL timeout. */
		if (t->state == TCPS_TIME_WAIT && (seg->flags & (TCP_F_FIN | TCP_F_RST)) == TCP_F_FIN &&
		    seg->seq + seg_space(seg) == t->rcv_nxt)
			stack_timer_in(t->st, &t->tw_timer, 2 * t->st->sk.tcp->msl_ns);
		goto drop;
	}
	if (seg->flags & TCP_F_RST) {
		rst_input(t, seg);
		goto drop;
	}
	if (!(seg->flags & TCP_F_ACK))
		goto drop;
	/* RFC 7323 4.3: remember the newest timestamp of the segment we are about to acknowledge. */
	if (t->ts_on && seg->o.ts_ok && SEQ_LEQ(seg->seq, t->last_ack_sent))
		t->ts_recent = seg->o.tsval;
	tcp_keep_reset(t);
	trim_to_window(t, p, seg);
	if (!ack_input(t, p, seg))
		goto drop;
	data_input(t, p, seg);
	tcp_output(t);
	return;
drop:
	pkt_free(p);
}

static bool bad_addr(const struct in6_addr *src, const struct in6_addr *dst)
{
	if (in6_is_multicast(dst) || in6_is_multicast(src) || in6_is_unspec(src))
		return true;
	if (in6_is_v4mapped(dst)) {
		uint32_t d = ntohl(ip4_from_mapped(dst)), s = ntohl(ip4_from_mapped(src));

		return d >= 0xe0000000u || s >= 0xe0000000u || s == 0;
	}
	return false;
}

/* The RST for a segment to a closed port, within the stack's token bucket (a scan or flood gets few). */
static void closed_port_rst(struct stack *st, const struct pkt *p, const struct tcp_seg *seg,
			    const struct in6_addr *src, const struct in6_addr *dst)
{
	struct tcp_state *ts = st->sk.tcp;

	if (seg->flags & TCP_F_RST)
		return;
	if (!ratelimit_take(&ts->rst_tokens, &ts->rst_last, ts->rst_cost_ms, ts->rst_burst, st->now)) {
		STAT_INC(st, tcp_rst_limited);
		return;
	}
	tcp_reply_rst(st, p, seg, src, dst);
}

/* Both families after the IP layer: checks, lookup, processing. Consumes @p. */
static int tcp_rcv(struct stack *st, struct pkt *p, const struct in6_addr *src,
		   const struct in6_addr *dst, int iif)
{
	struct tcp_seg seg;
	struct tcb *t;

	if (bad_addr(src, dst) || (p->flags & (PKT_F_BCAST | PKT_F_MCAST))) {
		STAT_INC(st, tcp_bad_addr);
		goto drop;
	}
	if (tcp_parse(st, p, &seg) < 0)
		goto drop;
	if (!tcp_csum_ok(src, dst, p)) {
		STAT_INC(st, tcp_bad_csum);
		goto drop;
	}
	if ((seg.flags & (TCP_F_SYN | TCP_F_FIN)) == (TCP_F_SYN | TCP_F_FIN) ||
	    (seg.flags & (TCP_F_SYN | TCP_F_RST)) == (TCP_F_SYN | TCP_F_RST)) {
		STAT_INC(st, tcp_bad_flags);
		goto drop;
	}
	STAT_INC(st, tcp_in_segs);
	pkt_pull(p, seg.hlen);
	st->sk.tcp->depth++;
	t = tcp_lookup(st, src, seg.sport, dst, seg.dport, iif);
	if (!t || t->dead) {
		STAT_INC(st, tcp_no_port);
		closed_port_rst(st, p, &seg, src, dst);
		pkt_free(p);
	} else if (t->state == TCPS_LISTEN) {
		listen_input(t, p, &seg, src, dst, iif);
	} else {
		tcp_segment(t, p, &seg);
	}
	st->sk.tcp->depth--;
	tcp_reap(st);
	return 0;
drop:
	pkt_free(p);
	return -EINVAL;
}

int tcp6_input(struct stack *st, struct pkt *p)
{
	const struct ip6_addrs a = ip6_addrs_of(pkt_nh(p));
	int iif = IP6_CB(p)->iif ? IP6_CB(p)->iif : (p->dev ? p->dev->ifindex : 0);

	return tcp_rcv(st, p, &a.src, &a.dst, iif);
}

int tcp4_input(struct stack *st, struct pkt *p)
{
	const uint8_t *h = pkt_nh(p);
	struct in6_addr src, dst;
	int iif = IP4_CB(p)->iif ? IP4_CB(p)->iif : (p->dev ? p->dev->ifindex : 0);

	ip4_to_mapped(&src, ip4_get(h + 12));
	ip4_to_mapped(&dst, ip4_get(h + 16));
	return tcp_rcv(st, p, &src, &dst, iif);
}

/* An ICMP error about our segment @seq from @t: RFC 5927 4.1 checks, then act on it. */
static void tcp_err(struct stack *st, const struct in6_addr *qsrc, const struct in6_addr *qdst,
		    const uint8_t *th, bool ptb, bool hard)
{
	struct tcb *t = tcp_lookup(st, qdst, get_be16(th + 2), qsrc, get_be16(th), 0);
	uint32_t seq = get_be32(th + 4);

	if (!t || t->state == TCPS_LISTEN || t->dead ||
	    SEQ_LT(seq, t->snd_una) || SEQ_GEQ(seq, t->snd_max)) {
		STAT_INC(st, tcp_icmp_nosock);
		return;
	}
	STAT_INC(st, tcp_icmp_err);
	st->sk.tcp->depth++;
	if (ptb)
		tcp_mtu_reduced(t);
	else if (hard && t->state == TCPS_SYN_SENT)
		/* RFC 1122 4.2.3.9 lets a connection being opened give up on an unreachable. */
		tcp_done(t, -ECONNREFUSED);
	st->sk.tcp->depth--;
	tcp_reap(st);
}

void tcp6_err(struct stack *st, struct pkt *q, uint8_t type, uint8_t code, uint32_t info)
{
	uint8_t proto;
	size_t off;
	const uint8_t *th;
	struct ip6_addrs a;

	(void)info;
	if (q->len < IPV6_HLEN || ip6_find_upper(q->data, q->len, &proto, &off) < 0 ||
	    proto != NH_TCP || !(th = pkt_header(q, off, 8, NULL))) {
		STAT_INC(st, tcp_icmp_nosock);
		return;
	}
	a = ip6_addrs_of(q->data);
	tcp_err(st, &a.src, &a.dst, th, type == ICMP6_PACKET_TOO_BIG,
		type == ICMP6_DST_UNREACH && (code == ICMP6_DU_PORT || code == ICMP6_DU_ADMIN ||
					      code == ICMP6_DU_NOROUTE || code == ICMP6_DU_ADDR));
}

void tcp4_err(struct stack *st, struct pkt *q, uint8_t type, uint8_t code, uint32_t info)
{
	const uint8_t *ip = pkt_header(q, 0, IPV4_HLEN, NULL), *th;
	struct in6_addr src, dst;

	(void)info;
	if (!ip || !(th = pkt_header(q, (size_t)(ip[0] & 0x0f) * 4, 8, NULL))) {
		STAT_INC(st, tcp_icmp_nosock);
		return;
	}
	ip4_to_mapped(&src, ip4_get(ip + 12));
	ip4_to_mapped(&dst, ip4_get(ip + 16));
	/* Type 3 code 4: fragmentation needed (RFC 1191); codes 1-3 unreachable. */
	tcp_err(st, &src, &dst, th, type == 3 && code == 4, type == 3 && code <= 3 && code != 0);
}
