/*
 * TCP connection tracking in the manner of nf_conntrack: a state machine
 * that follows both ends (RFC 9293 3.3.2, seen from the middle) and window
 * tracking after Guido van Rooij's "Real Stateful TCP Packet Filtering in IP
 * Filter": a segment must fall within what the receiver allowed and ack
 * what the other end sent, else it is INVALID and changes nothing.
 */
#include "netfilter/nf_priv.h"

enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_ACK = 0x10 };
enum { I_SYN, I_SYNACK, I_FIN, I_ACK, I_RST, I_NONE, I_MAX };
#define MAXACKWIN_MIN 66000      /* nf_conntrack's MAXACKWINCONST: acks may lag this far */

#define sNO NF_TCP_NONE
#define sSS NF_TCP_SYN_SENT
#define sSR NF_TCP_SYN_RECV
#define sES NF_TCP_ESTABLISHED
#define sFW NF_TCP_FIN_WAIT
#define sCW NF_TCP_CLOSE_WAIT
#define sLA NF_TCP_LAST_ACK
#define sTW NF_TCP_TIME_WAIT
#define sCL NF_TCP_CLOSE
#define sS2 NF_TCP_SYN_SENT2
#define sIV NF_TCP_MAX           /* invalid: the segment changes nothing and is INVALID */
#define sIG (NF_TCP_MAX + 1)     /* ignore: passes, state and window unchanged */

/*
 * next[dir][segment][state]. Columns: NO SS SR ES FW CW LA TW CL S2.
 * FW: one end sent FIN; CW: that FIN was acked; LA: both sent FIN;
 * TW: the last FIN was acked. The FIN/ACK rows are refined in tcp_refine
 * by which end sent what.
 */
static const uint8_t tcp_next[NF_DIR_MAX][I_MAX][NF_TCP_MAX] = {
	[NF_DIR_ORIG] = {
		/* SYN: starts (NO), retransmits (SS), reopens after close (TW, CL:
		 * tcp_packet replaces the entry);
		 * mid-connection SYNs are ignored (the peer answers with an ACK);
		 * S2 stays while the simultaneous open completes. */
		[I_SYN] = { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
		/* SYN/ACK from the initiator only answers the peer's SYN of a
		 * simultaneous open (S2 -> SR) or retransmits that answer (SR). */
		[I_SYNACK] = { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
		/* FIN: first close (SR, ES -> FW), second close (FW, CW -> LA);
		 * retransmitted in LA/TW/CL; never before the handshake. */
		[I_FIN] = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		/* ACK: completes the handshake (SR -> ES), acks a FIN (FW -> CW,
		 * LA -> TW); an ACK before the peer's SYN/ACK is invalid. */
		[I_ACK] = { sIV, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
		/* RST (validated in tcp_rst_ok) closes from any state. */
		[I_RST] = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		/* No SYN, ACK, FIN or RST: never valid (RFC 9293 3.10.7). */
		[I_NONE] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	[NF_DIR_REPLY] = {
		/* SYN from the responder: simultaneous open (SS -> S2, RFC 9293
		 * figure 8), or a new connection the other way after TIME_WAIT
		 * (tcp_packet: reopen); anything else is invalid. */
		[I_SYN] = { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
		/* SYN/ACK: the answer (SS -> SR), its retransmission (SR), the
		 * simultaneous-open answer (S2 -> SR); late copies are ignored. */
		[I_SYNACK] = { sIV, sSR, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
		/* FIN: as in the original direction. */
		[I_FIN] = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		/* ACK: the responder completes a simultaneous open (SR -> ES);
		 * FIN acks as in the original direction. */
		[I_ACK] = { sIV, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
		[I_RST] = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[I_NONE] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

struct seg {
	uint32_t seq, ack, end, win;
	uint8_t flags, ws;
	bool has_ws;
};

static bool before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static int tcp_tuple(struct nf_pkt *np)
{
	if (np->l4len < 4)
		return -EINVAL;
	np->t.sport = get_be16(np->l4);
	np->t.dport = get_be16(np->l4 + 2);
	return 0;
}

/* RFC 7323 2.2: the window scale option, only meaningful on SYNs. */
static void parse_wscale(const uint8_t *o, size_t n, struct seg *s)
{
	for (size_t i = 0; i < n;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			break;
		if (o[i] == 3 && o[i + 1] == 3) {
			s->has_ws = true;
			s->ws = MIN(o[i + 2], 14);   /* RFC 7323 2.3: at most 14 */
		}
		i += o[i + 1];
	}
}

static int parse_seg(const struct nf_pkt *np, struct seg *s)
{
	size_t hl;

	if (np->l4len < 20)
		return -EINVAL;
	hl = (size_t)(np->l4[12] >> 4) * 4;
	if (hl < 20 || hl > np->l4len)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->seq = get_be32(np->l4 + 4);
	s->ack = get_be32(np->l4 + 8);
	s->flags = np->l4[13];
	s->win = get_be16(np->l4 + 14);
	s->end = s->seq + (uint32_t)(np->l4len - hl) + !!(s->flags & F_SYN) + !!(s->flags & F_FIN);
	if (s->flags & F_SYN)
		parse_wscale(np->l4 + 20, hl - 20, s);
	return 0;
}

static int seg_index(uint8_t flags)
{
	uint8_t f = flags & (F_FIN | F_SYN | F_RST | F_ACK);

	switch (f) {
	case F_SYN: return I_SYN;
	case F_SYN | F_ACK: return I_SYNACK;
	case F_FIN | F_ACK: return I_FIN;
	case F_ACK: return I_ACK;
	case F_RST: case F_RST | F_ACK: return I_RST;
	case 0: return I_NONE;
	default: return -1;   /* SYN+FIN, SYN+RST, FIN without ACK ...: crafted */
	}
}

static bool tcp_can_create(const struct stack *st, const struct nf_pkt *np)
{
	int idx = np->l4len >= 14 ? seg_index(np->l4[13]) : -1;

	return idx == I_SYN || (idx == I_ACK && st->nf->tcp_loose);
}

/*
 * nf_conntrack_tcp_loose: an ACK of a connection that started before we
 * looked is taken up as ESTABLISHED, and its windows are not checked (we
 * never saw the SYNs that set them), as Linux marks it "be liberal".
 */
static void tcp_pickup(struct nf_conn *ct, const struct seg *s)
{
	ct->tcp[NF_DIR_ORIG].end = s->end;
	ct->tcp[NF_DIR_ORIG].maxwin = s->win ? s->win : 1;
	ct->tcp[NF_DIR_ORIG].maxend = s->end + ct->tcp[NF_DIR_ORIG].maxwin;
	ct->tcpf[NF_DIR_ORIG] = ct->tcpf[NF_DIR_REPLY] = NF_TCPF_LIBERAL;
}

/* An end's first segment (its SYN): what it sent, what it may send. */
static void end_init(struct nf_conn *ct, int dir, const struct seg *s)
{
	struct nf_tcp_end *e = &ct->tcp[dir];

	e->end = e->maxend = s->end;
	e->maxwin = s->win ? s->win : 1;
	ct->tcpf[dir] = NF_TCPF_SEEN | (s->has_ws ? NF_TCPF_WSCALE | s->ws : 0);
}

enum { WIN_OK, WIN_IGNORE, WIN_INVALID };

/*
 * Van Rooij's four bounds. Ahead of them (data past what the receiver
 * allowed, an ack of data never sent) the segment is INVALID; behind them
 * (a retransmission of long-acked data, a very late ack) it is harmless and
 * passes without changing anything (WIN_IGNORE), as current Linux treats
 * it (6.18 in tests/netns/ct_reference.sh): dropping it would only stall
 * an end that lost its ack.
 */
static int in_window(struct nf_conn *ct, int dir, struct seg *s)
{
	struct nf_tcp_end *snd = &ct->tcp[dir], *rcv = &ct->tcp[!dir];
	uint32_t ack = (s->flags & F_ACK) ? s->ack : rcv->end;
	uint32_t maxack = MAX(snd->maxwin, MAXACKWIN_MIN);
	uint32_t win = s->win;

	if (!(s->flags & F_SYN) && (ct->tcpf[dir] & NF_TCPF_WSCALE) &&
	    (ct->tcpf[!dir] & NF_TCPF_WSCALE))
		win <<= ct->tcpf[dir] & NF_TCPF_WS_MASK;
	if (!(ct->tcpf[!dir] & NF_TCPF_SEEN) || (ct->tcpf[dir] & NF_TCPF_LIBERAL))
		goto update;    /* the receiver has not spoken, or picked up: nothing to check against */
	if (!before(s->seq, snd->maxend + 1) || !before(ack, rcv->end + 1))
		return WIN_INVALID;
	if (!after(s->end, snd->end - rcv->maxwin - 1) || !after(ack, rcv->end - maxack - 1))
		return WIN_IGNORE;
update:
	if (after(s->end, snd->end))
		snd->end = s->end;
	if (win > snd->maxwin)
		snd->maxwin = win;
	if ((s->flags & F_ACK) && after(ack + win, rcv->maxend - 1))
		rcv->maxend = ack + (win ? win : 1);   /* a zero window still admits a probe */
	return WIN_OK;
}

/*
 * RFC 5961 3 in nf_conntrack's form. A RST answering a SYN must ack it; one
 * behind what the sender already sent (the receiver has acked past it) is
 * INVALID. On an assured ESTABLISHED connection a RST in the window but not
 * at the expected sequence number leaves the state alone (*next = old): the
 * receiver answers it with a challenge ACK (RFC 5961 3.2) and the genuine
 * RST that may follow closes. Linux compares with the highest ack the
 * receiver sent; usagi keeps no such field and uses the sender's end, which
 * is the same once the receiver has acked everything.
 */
static int tcp_rst(struct nf_conn *ct, int dir, struct seg *s, int *next)
{
	const struct nf_tcp_end *snd = &ct->tcp[dir];
	struct nf_tcp_end saved[NF_DIR_MAX];
	int w;

	if (ct->l4state == sSS && dir == NF_DIR_REPLY)
		return (s->flags & F_ACK) && s->ack == ct->tcp[NF_DIR_ORIG].end ? WIN_OK : WIN_INVALID;
	if ((ct->tcpf[!dir] & NF_TCPF_SEEN) && !(ct->tcpf[dir] & NF_TCPF_LIBERAL) &&
	    s->seq != snd->end) {
		if (before(s->seq, snd->end))
			return WIN_INVALID;
		if (ct->l4state == sES && (ct->status & NF_CTS_ASSURED))
			*next = ct->l4state;
	}
	/* Checked against the window but moving no edge: a RST carries no data. */
	memcpy(saved, ct->tcp, sizeof(saved));
	w = in_window(ct, dir, s);
	memcpy(ct->tcp, saved, sizeof(saved));
	return w;
}

/* FIN/ACK rows by who sent what: a repeated FIN is a retransmission; only an ack of the peer's FIN advances. */
static int tcp_refine(const struct nf_conn *ct, int dir, int idx, const struct seg *s, int next)
{
	bool peer_fin = ct->tcpf[!dir] & NF_TCPF_FIN, own_fin = ct->tcpf[dir] & NF_TCPF_FIN;

	if (idx == I_FIN && own_fin)
		return ct->l4state;
	if (idx == I_ACK && (next == sCW || next == sTW) && ct->l4state != next &&
	    !(peer_fin && !before(s->ack, ct->tcp[!dir].end)))
		return ct->l4state;
	return next;
}

/* A retransmitted SYN with another initial sequence number starts the handshake afresh. */
static void tcp_reopen(struct nf_conn *ct, const struct seg *s)
{
	memset(ct->tcp, 0, sizeof(ct->tcp));
	ct->tcpf[0] = ct->tcpf[1] = 0;
	ct->status &= (uint8_t)~(NF_CTS_ASSURED | NF_CTS_SEEN_REPLY);
	end_init(ct, NF_DIR_ORIG, s);
}

/*
 * A SYN on a closed connection starts a new one (RFC 9293 3.10.7.4 reuse of
 * a tuple in TIME-WAIT): the initiator's after TIME_WAIT or CLOSE, the
 * responder's after TIME_WAIT, which turns the connection around. The old
 * entry goes and the SYN is classified again as a new connection from its
 * sender, as Linux does (it kills the entry and repeats the lookup).
 */
static bool tcp_reopens(const struct nf_conn *ct, int dir, int idx)
{
	return idx == I_SYN && (ct->l4state == sTW || (ct->l4state == sCL && dir == NF_DIR_ORIG));
}

/* The checks of a segment against an existing connection: WIN_OK, WIN_IGNORE or WIN_INVALID. */
static int tcp_check(struct stack *st, struct nf_conn *ct, int dir, int idx, struct seg *s,
		     int *next)
{
	int w;

	if ((idx == I_SYN || idx == I_SYNACK) && !(ct->tcpf[dir] & NF_TCPF_SEEN)) {
		/* The responder's first segment: its SYN/ACK must ack our SYN. */
		if (idx == I_SYNACK && s->ack != ct->tcp[!dir].end) {
			STAT_INC(st, nf_ct_tcp_out_of_window);
			return WIN_INVALID;
		}
		end_init(ct, dir, s);
		if (idx == I_SYNACK)
			in_window(ct, dir, s);
		return WIN_OK;
	}
	if (idx == I_RST) {
		w = tcp_rst(ct, dir, s, next);
		if (w == WIN_INVALID)
			STAT_INC(st, nf_ct_tcp_bad_rst);
		return w;
	}
	w = in_window(ct, dir, s);
	if (w == WIN_INVALID)
		STAT_INC(st, nf_ct_tcp_out_of_window);
	return w;
}

static int tcp_packet(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
		      bool created)
{
	int idx, next, old = ct->l4state, w = WIN_OK;
	struct seg s;

	if (parse_seg(np, &s) < 0 || (idx = seg_index(s.flags)) < 0) {
		STAT_INC(st, nf_ct_tcp_bad_flags);
		return NF_CT_INVALID;
	}
	next = tcp_next[dir][idx][old];
	if (created && idx == I_ACK) {
		tcp_pickup(ct, &s);
		ct->l4state = sES;
		nf_ct_set_timeout(st, ct, st->nf->to.tcp[sES]);
		return NF_CT_ESTABLISHED;
	}
	if (!created && tcp_reopens(ct, dir, idx))
		return NF_CT_L4_REOPEN;
	if (next == sIV) {
		STAT_INC(st, nf_ct_tcp_bad_flags);
		return NF_CT_INVALID;
	}
	if (next == sIG)
		return NF_CT_ESTABLISHED;
	if (created)
		end_init(ct, NF_DIR_ORIG, &s);
	else if (idx == I_SYN && dir == NF_DIR_ORIG && old == sSS)
		tcp_reopen(ct, &s);
	else
		w = tcp_check(st, ct, dir, idx, &s, &next);
	if (w == WIN_INVALID)
		return NF_CT_INVALID;
	if (w == WIN_IGNORE)
		return NF_CT_ESTABLISHED;
	next = tcp_refine(ct, dir, idx, &s, next);
	if (idx == I_FIN)
		ct->tcpf[dir] |= NF_TCPF_FIN;
	/*
	 * Assured once ESTABLISHED is confirmed by a packet after the first
	 * reply: the handshake's last ACK, or for a picked-up flow the packet
	 * after its answer (the status is the one before this packet).
	 */
	if ((old == sSR || old == sES) && next == sES && (ct->status & NF_CTS_SEEN_REPLY))
		ct->status |= NF_CTS_ASSURED;
	ct->l4state = (uint8_t)next;
	/* A RST before any reply (a refused connection) ends the entry with this packet, as in Linux. */
	nf_ct_set_timeout(st, ct, idx == I_RST && !(ct->status & NF_CTS_SEEN_REPLY) ? 0 :
			  st->nf->to.tcp[next]);
	return NF_CT_ESTABLISHED;
}

const struct nf_l4proto nf_l4_tcp = { tcp_tuple, tcp_can_create, tcp_packet };
