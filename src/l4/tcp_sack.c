/*
 * The sender's side of SACK (RFC 2018) and SACK-based loss recovery
 * (RFC 6675): a scoreboard of the blocks the peer reported above SND.UNA,
 * IsLost(), the pipe estimate (SetPipe) and the candidates of NextSeg()
 * rules 1, 3 and 4 (rule 2, new data, is tcp_output.c's). The scoreboard
 * holds at most TCP_SACK_BOARD merged blocks; when it is full the highest
 * block is forgotten, which only makes the sender more conservative.
 * After a timeout the board is emptied (RFC 2018 8: the peer may have
 * reneged) and refilled by the ACKs of the go-back-N retransmission, which
 * then skips what they SACK (RFC 6675 5.1).
 */
#include "l4/tcp.h"

/* Adds [l, r) to the sorted, merged scoreboard; a full board drops its highest block. */
static void board_add(struct tcb *t, uint32_t l, uint32_t r)
{
	struct tcp_sack_block *b = t->sacked;
	unsigned n = t->nsacked, i = 0, j;

	while (i < n && SEQ_LT(b[i].right, l))
		i++;
	/* Merge every block that touches [l, r). */
	for (j = i; j < n && SEQ_LEQ(b[j].left, r); j++) {
		if (SEQ_LT(b[j].left, l))
			l = b[j].left;
		if (SEQ_GT(b[j].right, r))
			r = b[j].right;
	}
	if (j == i && n == TCP_SACK_BOARD) {
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
	for (unsigned i = 0; i < seg->o.nsack; i++) {
		uint32_t l = seg->o.sack[i].left, r = seg->o.sack[i].right;

		/* Only what we sent and is not acknowledged (D-SACKs, RFC 2883, fall out here). */
		if (!SEQ_LT(l, r) || SEQ_LEQ(r, una) || SEQ_GT(r, t->snd_max) || SEQ_LT(l, una))
			continue;
		board_add(t, l, r);
	}
}

void tcp_sack_clear(struct tcb *t)
{
	t->nsacked = 0;
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
 * IsLost() is the same for every octet of one hole (no SACKed octet lies
 * between them), so it is counted per hole.
 */
uint32_t tcp_sack_pipe(const struct tcb *t)
{
	uint32_t pipe = 0, a = t->snd_una;

	for (unsigned i = 0; i <= t->nsacked; i++) {
		uint32_t b = i < t->nsacked ? t->sacked[i].left : t->snd_max;

		if (SEQ_LT(a, b)) {
			if (!tcp_sack_is_lost(t, a))
				pipe += b - a;
			if (SEQ_GT(t->high_rxt, a))
				pipe += (SEQ_LT(t->high_rxt, b) ? t->high_rxt : b) - a;
		}
		if (i < t->nsacked && SEQ_GT(t->sacked[i].right, a))
			a = t->sacked[i].right;
	}
	return pipe;
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
