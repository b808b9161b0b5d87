/*
 * TCP output: building segments from the send ring, the decision of what
 * to send (RFC 9293 3.8.6: send window, congestion window, Nagle per RFC
 * 1122 4.2.3.4, sender SWS avoidance), ACKs (delayed per RFC 1122 4.2.3.2:
 * every second full segment or after delack_ns, 40 ms as in Linux), resets
 * and challenge ACKs (RFC 5961).
 */
#include "l4/tcp.h"
#include "l4/sock.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "link/netdev.h"

static uint32_t ts_now(const struct tcb *t)
{
	return (uint32_t)(t->st->now / NS_PER_MS) + t->ts_off;
}

/*
 * The window field (RFC 9293 3.8.6.2.2 receiver SWS avoidance: the right
 * edge moves only by min(rcvbuf/2, MSS) or more; it never moves left).
 */
static uint16_t wnd_field(struct tcb *t, bool syn)
{
	uint32_t space = tcp_rcv_space(t), right, w, step;

	if (syn) {
		w = MIN(space, 0xffffu);   /* RFC 7323 2.2: never scaled in a SYN */
		t->rcv_adv = t->rcv_nxt + w;
		return (uint16_t)w;
	}
	right = t->rcv_nxt + space;
	step = MIN(t->rcv.size / 2, t->adv_mss);
	if (SEQ_GT(right, t->rcv_adv) && right - t->rcv_adv < step && SEQ_GT(t->rcv_adv, t->rcv_nxt))
		right = t->rcv_adv;
	if (SEQ_LT(right, t->rcv_adv))
		right = t->rcv_adv;
	w = (right - t->rcv_nxt) >> t->rcv_wscale;
	if (w > 0xffff)
		w = 0xffff;
	if (SEQ_GT(t->rcv_nxt + (w << t->rcv_wscale), t->rcv_adv))
		t->rcv_adv = t->rcv_nxt + (w << t->rcv_wscale);
	return (uint16_t)w;
}

/*
 * RFC 2018 4: the out-of-order queue as maximal contiguous blocks, the one
 * holding the latest arrival first, then the others in sequence order.
 */
static void sack_blocks(const struct tcb *t, struct tcp_opts *o)
{
	struct tcp_sack_block run[TCP_MAX_SACK + 1], first = t->last_ooo;
	unsigned n = 0, max = t->ts_on ? 3 : 4;

	/* RFC 2883 4: a duplicate just received goes first (then its block, if queued). */
	if (t->dsack_pending)
		o->sack[o->nsack++] = t->dsack;
	if (!t->ooo)
		return;
	for (const struct pkt *q = t->ooo; q; q = q->next) {
		uint32_t l = get_be32(q->cb), r = l + q->len;

		if (n && SEQ_LEQ(l, run[n - 1].right)) {
			if (SEQ_GT(r, run[n - 1].right))
				run[n - 1].right = r;
			continue;
		}
		if (n == ARRAY_SIZE(run))
			break;
		run[n].left = l;
		run[n++].right = r;
	}
	/* The latest arrival may be in the ring already: then the lowest run leads. */
	if (n && SEQ_LEQ(first.right, t->rcv_nxt))
		first = run[0];
	for (unsigned i = 0; i < n; i++)
		if (SEQ_LEQ(run[i].left, first.left) && SEQ_GEQ(run[i].right, first.right))
			first = run[i];
	o->sack[o->nsack++] = first;
	for (unsigned i = 0; i < n && o->nsack < max; i++)
		if (run[i].left != first.left)
			o->sack[o->nsack++] = run[i];
}

/* Options of a segment of @t with @flags. */
static void seg_opts(struct tcb *t, uint8_t flags, struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (flags & TCP_F_SYN) {
		bool synack = (flags & TCP_F_ACK) != 0;

		o->mss_ok = true;
		o->mss = t->adv_mss;
		/* A SYN-ACK carries only what the peer's SYN offered (RFC 7323 2.2, 3.2; RFC 2018 2). */
		o->ws_ok = !synack || t->snd_wscale != 0xff;
		o->wscale = t->rcv_wscale;
		o->sack_perm = !synack || t->sack_on;
		o->ts_ok = !synack || t->ts_on;
	} else {
		o->ts_ok = t->ts_on;
		if (t->sack_on && (t->ooo || t->dsack_pending) && !(flags & TCP_F_RST))
			sack_blocks(t, o);
	}
	if (o->ts_ok) {
		o->tsval = ts_now(t);
		o->tsecr = t->ts_recent;
	}
}

/* Hands a segment (data = TCP header) to the IP layer of @t's family. Consumes @p. */
static int ip_send(struct tcb *t, struct pkt *p)
{
	struct stack *st = t->st;
	int rc;

	if (in6_is_v4mapped(&t->faddr)) {
		struct ip4_tx tx;

		ip4_tx_init(&tx, ip4_from_mapped(&t->faddr), IPPROTO_TCP);
		tx.src = ip4_from_mapped(&t->laddr);
		tx.csum_off = TCP_CSUM_OFF;
		tx.df = true;     /* RFC 1191: TCP does path MTU discovery */
		if (t->sk)
			tx.tos = t->sk->tclass;
		rc = ip4_output(st, p, &tx);
	} else {
		struct ip6_tx tx;

		ip6_tx_init(&tx, &t->faddr, NH_TCP);
		tx.src = t->laddr;
		tx.csum_off = TCP_CSUM_OFF;
		if (t->ifindex)
			tx.oif = netdev_by_index(st, t->ifindex);
		if (t->sk) {
			tx.tclass = t->sk->tclass;
			tx.hop_limit = t->sk->ucast_hops;
		}
		rc = ip6_output(st, p, &tx);
	}
	if (rc < 0)
		STAT_INC(st, tcp_out_err);
	else
		STAT_INC(st, tcp_out_segs);
	return rc;
}

/* Sends one segment: @len octets of the send ring from @seq, @flags (ACK added once synchronized). */
static int tcp_xmit(struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct stack *st = t->st;
	struct tcp_seg s = { .sport = t->lport, .dport = t->fport, .seq = seq, .flags = flags };
	struct pkt *p;

	if (st->sk.tcp->stopping)
		return -ESHUTDOWN;
	p = stack_pkt_alloc(st, len + TCP_MAX_HLEN);
	if (!p) {
		STAT_INC(st, tcp_out_nomem);
		return -ENOBUFS;
	}
	if (len)
		tcp_ring_peek(&t->snd, seq - t->snd_ring_seq, pkt_put(p, len), len);
	if (t->state > TCPS_SYN_SENT || (flags & TCP_F_ACK)) {
		s.flags |= TCP_F_ACK;
		s.ack = t->rcv_nxt;
	}
	if (t->rcv.buf)
		s.wnd = wnd_field(t, flags & TCP_F_SYN);
	else if (flags & TCP_F_SYN)
		s.wnd = 0xffff;            /* a cookie SYN-ACK: no buffer yet, the usual opening window */
	seg_opts(t, s.flags, &s.o);
	if (tcp_push_hdr(p, &s) < 0) {
		pkt_free(p);
		return -ENOBUFS;
	}
	if (t->dsack_pending && s.o.nsack) {
		/* RFC 2883 4: each duplicate is reported once (seg_opts put it first). */
		STAT_INC(st, tcp_dsack_out);
		t->dsack_pending = false;
	}
	if (len)
		t->cwv.last_send = st->now ? st->now : 1;   /* RFC 5681 4.1: the idle clock */
	if (s.flags & TCP_F_ACK) {
		t->last_ack_sent = t->rcv_nxt;
		t->ack_pending = 0;
		stack_timer_cancel(st, &t->delack_timer);
	}
	return ip_send(t, p);
}

void tcp_send_syn(struct tcb *t)
{
	tcp_xmit(t, t->iss, 0, t->state == TCPS_SYN_SENT ? TCP_F_SYN : TCP_F_SYN | TCP_F_ACK);
	if (!timer_pending(&t->rtx_timer))
		tcp_rearm_rtx(t);
}

void tcp_send_ack(struct tcb *t)
{
	tcp_xmit(t, t->snd_nxt, 0, TCP_F_ACK);
}

void tcp_ack_soon(struct tcb *t, bool full_segment)
{
	if (full_segment)
		t->ack_pending++;
	if (t->ack_pending >= 2) {
		tcp_send_ack(t);
		return;
	}
	if (!timer_pending(&t->delack_timer))
		stack_timer_in(t->st, &t->delack_timer, t->st->sk.tcp->delack_ns);
}

void tcp_send_rst(struct tcb *t)
{
	if (t->state < TCPS_SYN_SENT || t->state == TCPS_TIME_WAIT)
		return;
	STAT_INC(t->st, tcp_rst_out);
	tcp_xmit(t, t->snd_nxt, 0, t->state == TCPS_SYN_SENT ? TCP_F_RST : TCP_F_RST | TCP_F_ACK);
}

void tcp_challenge_ack(struct tcb *t)
{
	struct tcp_state *ts = t->st->sk.tcp;
	uint64_t sec = t->st->now / NS_PER_SEC;

	if (sec != ts->challenge_epoch) {
		ts->challenge_epoch = sec;
		ts->challenge_count = 0;
	}
	if (++ts->challenge_count > ts->challenge_limit) {
		STAT_INC(t->st, tcp_challenge_limited);
		return;
	}
	STAT_INC(t->st, tcp_challenge_ack);
	tcp_send_ack(t);
}

/*
 * Payload of a full segment: the MSS less the options this segment carries
 * (RFC 9293 3.7.1: Eff.snd.MSS counts TCP options as header).
 */
static uint32_t eff_mss(struct tcb *t)
{
	struct tcp_opts o;
	size_t olen;

	seg_opts(t, TCP_F_ACK, &o);
	olen = tcp_opts_len(&o, false);
	return t->mss > olen + 64 ? t->mss - (uint32_t)olen : 64;
}

/* Octets at @seq that one segment may carry, and whether our FIN goes with them. */
static uint32_t seg_len_at(struct tcb *t, uint32_t seq, bool *fin)
{
	uint32_t off = seq - t->snd_ring_seq;
	uint32_t avail = off <= t->snd.len ? t->snd.len - off : 0;
	uint32_t len = MIN(avail, eff_mss(t));

	*fin = t->fin_pending && off <= t->snd.len && len == avail;
	return len;
}

void tcp_retransmit_one(struct tcb *t)
{
	bool fin;
	uint32_t len = seg_len_at(t, t->snd_una, &fin);

	if (!len && !fin)
		return;
	STAT_INC(t->st, tcp_retrans_segs);
	tcp_xmit(t, t->snd_una, len, fin ? TCP_F_FIN | TCP_F_PSH : (len ? TCP_F_PSH : 0));
	if (fin && SEQ_GT(t->snd_una + len + 1, t->snd_max))
		t->snd_max = t->snd_una + len + 1;
}

void tcp_retransmit_at(struct tcb *t, uint32_t seq, uint32_t len)
{
	uint32_t off = seq - t->snd_ring_seq;

	if (off >= t->snd.len)
		return;
	len = MIN(len, t->snd.len - off);
	STAT_INC(t->st, tcp_retrans_segs);
	tcp_xmit(t, seq, len, TCP_F_PSH);
}

void tcp_sack_enter_recovery(struct tcb *t)
{
	uint32_t seq, len;

	STAT_INC(t->st, tcp_fast_retrans);
	STAT_INC(t->st, tcp_sack_recoveries);
	/* RFC 6675 5 (4.1)-(4.2): RecoveryPoint = HighData; ssthresh = cwnd = the algorithm's cut. */
	t->recover = t->snd_max;
	t->ssthresh = t->cc->ssthresh(t);
	t->cwnd = t->ssthresh;
	t->in_recovery = true;
	t->high_rxt = t->snd_una;
	t->rescue_set = false;
	t->rtt_timing = false;
	/* (4.3) the segment at HighACK + 1, up to the first SACKed octet. */
	if (tcp_sack_hole(t, eff_mss(t), false, &seq, &len)) {
		STAT_INC(t->st, tcp_sack_rexmit);
		tcp_retransmit_at(t, seq, len);
		t->high_rxt = seq + len;
	} else {
		tcp_retransmit_one(t);
		t->high_rxt = t->snd_una + MIN(eff_mss(t), t->snd_max - t->snd_una);
	}
	t->rxt_mark = t->snd_max;
}

static bool may_send_data(const struct tcb *t)
{
	switch (t->state) {
	case TCPS_ESTABLISHED: case TCPS_CLOSE_WAIT: case TCPS_FIN_WAIT_1:
	case TCPS_CLOSING: case TCPS_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/* The octets in flight outside SACK recovery (what the peer SACKed since a timeout is not, RFC 6675 5.1). */
static uint32_t flight_size(const struct tcb *t)
{
	return t->snd_nxt - t->snd_una - (t->nsacked ? tcp_sack_below(t, t->snd_nxt) : 0);
}

/*
 * RFC 7661 / RFC 5681 3.1: after new data left, notes whether cwnd was
 * the limit. A period lasts until SND.UNA passes the SND.NXT of its
 * first transmission (about an RTT); tcp_cwnd_limited (tcp_cc.c) reads
 * its largest flight and whether the flight came within an SMSS of cwnd.
 */
static void cwv_sent(struct tcb *t)
{
	struct tcp_cwv *v = &t->cwv;
	uint32_t flight = flight_size(t);
	bool full = (uint64_t)flight + t->mss >= t->cwnd;

	if (!v->set || SEQ_GEQ(t->snd_una, v->seq)) {
		v->set = true;
		v->seq = t->snd_nxt;
		v->max_flight = flight;
		v->limited = full;
		return;
	}
	v->max_flight = MAX(v->max_flight, flight);
	v->limited = v->limited || full;
}

/*
 * RFC 5681 4.1: no data sent for longer than the RTO and nothing in
 * flight: cwnd is cut to the restart window RW = min(IW, cwnd) before new
 * data leaves, so an idle connection does not resume with a burst the
 * path may no longer carry. The last period's flight is forgotten too.
 */
static void restart_after_idle(struct tcb *t)
{
	struct tcp_cwv *v = &t->cwv;
	uint32_t rw;

	if (!v->last_send || t->snd_una != t->snd_max || t->in_recovery ||
	    t->st->now - v->last_send <= t->rto)
		return;
	if (t->snd.len <= t->snd_nxt - t->snd_ring_seq && !t->fin_pending)
		return;                 /* nothing to send yet */
	v->set = false;
	v->max_flight = 0;
	v->limited = false;
	rw = MIN(tcp_initial_cwnd(t), t->cwnd);
	if (t->cwnd > rw) {
		t->cwnd = rw;
		STAT_INC(t->st, tcp_cwnd_restart);
	}
	v->last_send = 0;
}

/* One segment at snd_nxt if window, cwnd, Nagle and SWS avoidance allow it. */
static bool send_one(struct tcb *t, uint32_t room)
{
	uint32_t flight = t->snd_nxt - t->snd_una;
	uint32_t usable = t->snd_wnd > flight ? MIN(t->snd_wnd - flight, room) : 0, off;
	uint32_t avail, len, mss = eff_mss(t), gap = UINT32_MAX;
	bool fin;

	/* Going back after a timeout: what the peer SACKed since is not sent again (RFC 6675 5.1). */
	if (t->nsacked && SEQ_LT(t->snd_nxt, t->snd_max)) {
		gap = tcp_sack_skip(t, &t->snd_nxt);
		if (SEQ_GT(t->snd_nxt, t->snd_max))
			t->snd_nxt = t->snd_max;
		flight = t->snd_nxt - t->snd_una;
		usable = t->snd_wnd > flight ? MIN(t->snd_wnd - flight, room) : 0;
	}
	off = t->snd_nxt - t->snd_ring_seq;
	if (off > t->snd.len)
		return false;           /* FIN sent */
	avail = t->snd.len - off;
	len = MIN(MIN(MIN(avail, usable), mss), gap);
	fin = t->fin_pending && len == avail;
	if (!len && !fin)
		return false;
	/* The FIN may leave with a closed window only when no data remains (it takes no window). */
	if (!len && avail)
		return false;
	/* Sender SWS avoidance (RFC 9293 3.8.6.2.1): no small segment cut by the window while data is in flight. */
	if (len < mss && len < avail && flight)
		return false;
	/* Nagle (RFC 1122 4.2.3.4): one small segment in flight at a time, unless TCP_NODELAY. */
	if (len < mss && !fin && flight && !t->nodelay)
		return false;
	if (tcp_xmit(t, t->snd_nxt, len, (fin ? TCP_F_FIN : 0) | (len == avail && len ? TCP_F_PSH : 0)) < 0)
		return false;
	if (!t->rtt_timing && !t->ts_on && len) {
		t->rtt_timing = true;
		t->rtt_seq = t->snd_nxt;
		t->rtt_start = t->st->now;
	}
	t->snd_nxt += len + (fin ? 1 : 0);
	if (SEQ_GT(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	cwv_sent(t);
	if (!timer_pending(&t->rtx_timer) || t->persist) {
		t->persist = false;
		tcp_rearm_rtx(t);
	}
	return true;
}

/* Congestion room outside SACK recovery: cwnd less the octets in flight. */
static uint32_t cwnd_room(const struct tcb *t)
{
	uint32_t flight = flight_size(t);

	return t->cwnd > flight ? t->cwnd - flight : 0;
}

static void sack_rexmit(struct tcb *t, uint32_t seq, uint32_t len)
{
	STAT_INC(t->st, tcp_sack_rexmit);
	tcp_retransmit_at(t, seq, len);
	t->high_rxt = seq + len;
	t->rxt_mark = t->snd_max;
}

/*
 * RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, send NextSeg(): a lost hole
 * (rule 1), else new data (2), else any hole below a SACKed block (3),
 * else the rescue retransmission (4). Each sent octet raises pipe.
 */
static void sack_output(struct tcb *t)
{
	uint32_t mss = eff_mss(t), seq, len, pipe;

	tcp_sack_rxt_lost(t);
	/* Every pass sends, and every sent octet raises pipe: the guard is only a guard. */
	for (unsigned guard = 0; guard < 4096; guard++) {
		pipe = tcp_sack_pipe(t);
		if (t->cwnd < pipe + mss)
			return;
		if (tcp_sack_hole(t, mss, true, &seq, &len)) {
			sack_rexmit(t, seq, len);           /* rule 1 */
			continue;
		}
		if (send_one(t, t->cwnd - pipe))          /* rule 2 */
			continue;
		if (tcp_sack_hole(t, mss, false, &seq, &len)) {
			sack_rexmit(t, seq, len);           /* rule 3 */
			continue;
		}
		if (tcp_sack_rescue(t, mss, t->snd_ring_seq + t->snd.len, &seq, &len)) {
			STAT_INC(t->st, tcp_sack_rescue);
			tcp_retransmit_at(t, seq, len);     /* rule 4: HighRxt stays */
			t->rxt_mark = t->snd_max;
		}
		return;
	}
}

void tcp_output(struct tcb *t)
{
	if (!may_send_data(t) || !t->snd.buf)
		return;
	restart_after_idle(t);
	tcp_cwv_phase(t);
	if (t->in_recovery && t->sack_on)
		sack_output(t);
	else
		while (send_one(t, cwnd_room(t)))
			;
	/* Zero window with data waiting and nothing in flight: probe (RFC 9293 3.8.6.1). */
	if (t->snd_wnd == 0 && t->snd_nxt == t->snd_una && t->snd.len > t->snd_nxt - t->snd_ring_seq &&
	    !timer_pending(&t->rtx_timer)) {
		t->persist = true;
		tcp_rearm_rtx(t);
	}
}

/* A zero-window probe: an old sequence number the peer must ACK (with its current window). */
void tcp_send_probe(struct tcb *t)
{
	STAT_INC(t->st, tcp_zwp);
	tcp_xmit(t, t->snd_una - 1, 0, TCP_F_ACK);
}

void tcp_mtu_reduced(struct tcb *t)
{
	uint16_t mss = tcp_path_mss(t);

	if (t->user_mss && t->user_mss < mss)
		mss = t->user_mss;
	if (mss >= t->mss)
		return;
	t->mss = mss;
	/* RFC 8201 5.4 / RFC 1191 6.5: resend what was too big at once, without a cwnd cut. */
	if (t->snd_nxt != t->snd_una && may_send_data(t)) {
		t->snd_nxt = t->snd_una;
		tcp_output(t);
	}
}

/* A control block on the stack for answers that keep no state (RST, cookie SYN-ACK). */
static void tmp_tcb(struct tcb *tmp, struct stack *st, const struct pkt *p, const struct tcp_seg *seg,
		    const struct in6_addr *src, const struct in6_addr *dst)
{
	memset(tmp, 0, sizeof(*tmp));
	tmp->st = st;
	tmp->laddr = *dst;
	tmp->faddr = *src;
	tmp->lport = seg->dport;
	tmp->fport = seg->sport;
	if (in6_is_linklocal(src) && p->dev)
		tmp->ifindex = p->dev->ifindex;
}

void tcp_send_cookie_synack(struct stack *st, const struct pkt *p, const struct tcp_seg *seg,
			    const struct in6_addr *src, const struct in6_addr *dst, uint32_t cookie,
			    uint16_t mss, uint8_t rcv_wscale)
{
	struct tcb tmp;

	tmp_tcb(&tmp, st, p, seg, src, dst);
	tmp.state = TCPS_SYN_RECEIVED;
	tmp.rcv_nxt = seg->seq + 1;
	tmp.adv_mss = mss;
	tmp.snd_wscale = 0xff;     /* without timestamps: no window scale, SACK or timestamps */
	if (seg->o.ts_ok) {
		/* The connection's clock will be ms + ISN (child_seq): the TSval hides the options. */
		uint32_t now = (uint32_t)(st->now / NS_PER_MS) + cookie;

		tmp.ts_on = true;
		tmp.ts_recent = seg->o.tsval;
		tmp.ts_off = tcp_cookie_tsval(now, &seg->o) - (uint32_t)(st->now / NS_PER_MS);
		tmp.sack_on = seg->o.sack_perm;
		if (seg->o.ws_ok) {
			tmp.snd_wscale = seg->o.wscale;
			tmp.rcv_wscale = rcv_wscale;
		}
	}
	STAT_INC(st, tcp_syncookies_sent);
	tcp_xmit(&tmp, cookie, 0, TCP_F_SYN | TCP_F_ACK);
}

void tcp_reply_rst(struct stack *st, const struct pkt *p, const struct tcp_seg *seg,
		   const struct in6_addr *src, const struct in6_addr *dst)
{
	struct tcb tmp;
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TCP_F_RST;

	if (seg->flags & TCP_F_RST)
		return;
	/* RFC 9293 3.10.7.1: acknowledge what it sent unless it acked something itself. */
	if (seg->flags & TCP_F_ACK) {
		seq = seg->ack;
	} else {
		flags |= TCP_F_ACK;
		ack = seg->seq + seg->len + ((seg->flags & TCP_F_SYN) ? 1 : 0) +
		      ((seg->flags & TCP_F_FIN) ? 1 : 0);
	}
	tmp_tcb(&tmp, st, p, seg, src, dst);
	tmp.state = TCPS_CLOSED;
	tmp.rcv_nxt = ack;
	STAT_INC(st, tcp_rst_out);
	tcp_xmit(&tmp, seq, 0, flags);
}
