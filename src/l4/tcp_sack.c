/*
 * The sender's side of SACK (RFC 2018) and SACK-based loss recovery
 * (RFC 6675): a scoreboard of the blocks the peer reported above SND.UNA,
 * IsLost(), the pipe estimate (SetPipe) and the candidates of NextSeg()
 * rules 1, 3 and 4 (rule 2, new data, is tcp_output.c's), and the test
 * for a retransmission lost again. The scoreboard of merged blocks is
 * allocated at the first SACK and grows (doubling) to tcp_sack_cap()
 * blocks, as many holes as the send buffer can have: a slow-start
 * overshoot leaves one per lost segment, and a hole the board cannot
 * hold made everything above it look unSACKed (retransmitted again, and
 * counted in pipe). A board at its bound forgets its highest block, which
 * only makes the sender more conservative.
 * After a timeout the board is emptied (RFC 2018 8: the peer may have
 * reneged) and refilled by the ACKs of the go-back-N retransmission, which
 * then skips what they SACK (RFC 6675 5.1).
 */
#include <stdlib.h>
#include "l4/tcp.h"

unsigned tcp_sack_cap(const struct tcb *t)
{
	/* At most one hole per two full segments of the send buffer (lost, SACKed, lost, ...). */
	unsigned n = t->mss ? t->snd.size / (2u * t->mss) + 2 : 0;

	return MIN(MAX(n, (unsigned)TCP_SACK_BOARD), 0xffffu);
}

/* Room for one more block: grows the board by doubling up to tcp_sack_cap(). false when full. */
static bool board_room(struct tcb *t)
{
	unsigned cap = tcp_sack_cap(t), ncap;
	struct tcp_sack_block *b;

	if (t->nsacked < t->sack_cap)
		return true;
	if (t->sack_cap >= cap)
		return false;
	ncap = t->sack_cap ? MIN(2u * t->sack_cap, cap) : MIN(16u, cap);
	b = realloc(t->sacked, ncap * sizeof(*b));
	if (!b) {
		STAT_INC(t->st, tcp_nomem);
		return false;
	}
	t->sacked = b;
	t->sack_cap = (uint16_t)ncap;
	return true;
}

/* Adds [l, r) to the sorted, merged scoreboard; a full board drops its highest block. */
static void board_add(struct tcb *t, uint32_t l, uint32_t r)
{
	struct tcp_sack_block *b;
	unsigned n = t->nsacked, i = 0, j;
	bool room = board_room(t);

	b = t->sacked;
	if (!b)
		return;
	while (i < n && SEQ_LT(b[i].right, l))
		i++;
	/* Merge every block that touches [l, r). */
	for (j = i; j < n && SEQ_LEQ(b[j].left, r); j++) {
		if (SEQ_LT(b[j].left, l))
			l = b[j].left;
		if (SEQ_GT(b[j].right, r))
			r = b[j].right;
	}
	if (j == i && !room) {
		if (i == n)
			return;
		n--;                    /* forget the highest block to make room */
	}
	memmove(&b[i + 1], &b[j], (n - j) * sizeof(*b));
	b[i].left = l;
	b[i].right = r;
	t->nsacked = (uint16_t)(n - (j - i) + 1);
}

void tcp_sack_update(struct tcb *t, const struct tcp_seg *seg, uint32_t una)
{
	unsigned k = 0;

	/* Blocks at or below the new SND.UNA are acknowledged now. */
	for (unsigned i = 0; i < t->nsacked; i++)
		if (SEQ_GT(t->sacked[i].right, una)) {
			t->sacked[k] = t->sacked[i];
			if (SEQ_LT(t->sacked[k].left, una))
				t->sacked[k].left = una;
			k++;
		}
	t->nsacked = (uint16_t)k;
	if (!t->sack_on)
		return;
	/* RFC 2883 4: a D-SACK names a duplicate the peer got, not data to skip. */
	if (tcp_sack_is_dsack(seg)) {
		STAT_INC(t->st, tcp_dsack_in);
		k = 1;
	} else {
		k = 0;
	}
	for (unsigned i = k; i < seg->o.nsack; i++) {
		uint32_t l = seg->o.sack[i].left, r = seg->o.sack[i].right;

		/* Only what we sent and is not acknowledged (D-SACKs, RFC 2883, fall out here). */
		if (!SEQ_LT(l, r) || SEQ_LEQ(r, una) || SEQ_GT(r, t->snd_max) || SEQ_LT(l, una))
			continue;
		board_add(t, l, r);
	}
}

void tcp_sack_clear(struct tcb *t)
{
	free(t->sacked);
	t->sacked = NULL;
	t->nsacked = t->sack_cap = 0;
	t->high_rxt = t->snd_una;
}

/* SACKed octets above @seq, and how many blocks hold them. */
static uint32_t sacked_above(const struct tcb *t, uint32_t seq, unsigned *nblocks)
{
	uint32_t n = 0;

	*nblocks = 0;
	for (unsigned i = 0; i < t->nsacked; i++) {
		const struct tcp_sack_block *b = &t->sacked[i];

		if (SEQ_LEQ(b->right, seq))
			continue;
		n += b->right - (SEQ_GT(b->left, seq) ? b->left : seq);
		(*nblocks)++;
	}
	return n;
}

bool tcp_sack_is_lost(const struct tcb *t, uint32_t seq)
{
	unsigned nb;
	uint32_t n = sacked_above(t, seq, &nb);

	/* RFC 6675 4: DupThresh discontiguous SACKed sequences, or more than (DupThresh - 1) SMSS. */
	return nb >= TCP_DUPTHRESH || n > (TCP_DUPTHRESH - 1) * (uint32_t)t->mss;
}

uint32_t tcp_sack_total(const struct tcb *t)
{
	unsigned nb;

	return sacked_above(t, t->snd_una, &nb);
}

uint32_t tcp_sack_below(const struct tcb *t, uint32_t seq)
{
	unsigned nb;

	return sacked_above(t, t->snd_una, &nb) - sacked_above(t, seq, &nb);
}

/*
 * RFC 6675 4 SetPipe(): for every unSACKed octet in [HighACK, HighData),
 * one if it is not lost, one more if it was retransmitted (below HighRxt).
 * IsLost() is the same for every octet of one hole (the same SACKed
 * octets lie above each), so it is decided per hole, from the highest
 * hole down with running sums: linear in the blocks, as NextSeg asks for
 * pipe before every segment it sends.
 */
uint32_t tcp_sack_pipe(const struct tcb *t)
{
	uint32_t pipe = 0, above = 0, lost_bytes = (TCP_DUPTHRESH - 1) * (uint32_t)t->mss;
	unsigned n = t->nsacked;

	for (unsigned i = n + 1; i-- > 0;) {
		/* Hole i: from the end of block i - 1 (or SND.UNA) to block i (or HighData). */
		uint32_t a = i ? t->sacked[i - 1].right : t->snd_una;
		uint32_t b = i < n ? t->sacked[i].left : t->snd_max;
		bool lost;

		if (i < n)
			above += t->sacked[i].right - t->sacked[i].left;
		lost = n - i >= TCP_DUPTHRESH || above > lost_bytes;
		if (i && SEQ_LT(a, t->snd_una))
			a = t->snd_una;
		if (!SEQ_LT(a, b))
			continue;
		if (!lost)
			pipe += b - a;
		if (SEQ_GT(t->high_rxt, a))
			pipe += (SEQ_LT(t->high_rxt, b) ? t->high_rxt : b) - a;
	}
	return pipe;
}

/*
 * RFC 6675 has no test for a retransmission that is lost again (the RTO
 * repairs it, after the window has drained and idled). The test here is
 * RFC 6675's own IsLost() applied in the order of sending, as RACK (RFC
 * 8985 2.2) does with time: data sent after the latest retransmission
 * (above rxt_mark) arrived, by more than DupThresh - 1 segments, yet the
 * retransmitted hole at SND.UNA is still missing, so every retransmission
 * still missing below HighRxt is lost. The congestion window is not cut
 * again (one reduction per recovery, RFC 5681 3.2, RFC 6675 5).
 */
bool tcp_sack_rxt_lost(struct tcb *t)
{
	unsigned nb;
	uint32_t above;

	if (!t->in_recovery || !SEQ_LT(t->snd_una, t->high_rxt) || !SEQ_LT(t->rxt_mark, t->snd_max))
		return false;
	/* The hole at SND.UNA: it starts below the first SACKed block. */
	if (t->nsacked && SEQ_LEQ(t->sacked[0].left, t->snd_una))
		return false;
	above = sacked_above(t, t->rxt_mark, &nb);
	if (nb < TCP_DUPTHRESH && above <= (TCP_DUPTHRESH - 1) * (uint32_t)t->mss)
		return false;
	STAT_INC(t->st, tcp_sack_rxt_lost);
	t->high_rxt = t->snd_una;
	return true;
}

bool tcp_sack_hole(const struct tcb *t, uint32_t mss, bool lost_only, uint32_t *seq, uint32_t *len)
{
	/* Holes are tried from the lowest; IsLost() only weakens going up, so the first decides. */
	if (!tcp_sack_next_hole(t, seq, len, mss))
		return false;
	return !lost_only || tcp_sack_is_lost(t, *seq);
}

bool tcp_sack_rescue(struct tcb *t, uint32_t mss, uint32_t data_end, uint32_t *seq, uint32_t *len)
{
	uint32_t lo = SEQ_GT(t->high_rxt, t->snd_una) ? t->high_rxt : t->snd_una;
	uint32_t end = SEQ_LT(data_end, t->snd_max) ? data_end : t->snd_max;

	/* RFC 6675 NextSeg (4): once per recovery (until HighACK passes RescueRxt). */
	if (t->rescue_set && SEQ_LEQ(t->snd_una, t->rescue_rxt))
		return false;
	if (t->nsacked && SEQ_GT(t->sacked[t->nsacked - 1].right, lo))
		lo = t->sacked[t->nsacked - 1].right;
	if (!SEQ_LT(lo, end))
		return false;
	*seq = end - lo > mss ? end - mss : lo;
	*len = end - *seq;
	t->rescue_rxt = t->recover;
	t->rescue_set = true;
	return true;
}

uint32_t tcp_sack_skip(const struct tcb *t, uint32_t *seq)
{
	for (unsigned i = 0; i < t->nsacked; i++) {
		const struct tcp_sack_block *b = &t->sacked[i];

		if (SEQ_LEQ(b->right, *seq))
			continue;
		if (SEQ_LEQ(b->left, *seq)) {
			*seq = b->right;
			continue;
		}
		return b->left - *seq;
	}
	return UINT32_MAX;
}

bool tcp_sack_next_hole(const struct tcb *t, uint32_t *seq, uint32_t *len, uint32_t mss)
{
	uint32_t s = SEQ_GT(t->high_rxt, t->snd_una) ? t->high_rxt : t->snd_una;

	for (unsigned i = 0; i < t->nsacked; i++) {
		const struct tcp_sack_block *b = &t->sacked[i];

		if (SEQ_LEQ(b->right, s))
			continue;
		if (SEQ_GEQ(s, b->left)) {
			s = b->right;   /* inside a SACKed block: the hole starts after it */
			continue;
		}
		/* RFC 6675 NextSeg (1): an unSACKed range below a SACKed one. */
		*seq = s;
		*len = MIN(b->left - s, mss);
		return true;
	}
	return false;
}
