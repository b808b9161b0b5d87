/*
 * The sender's side of SACK (RFC 2018, loss recovery after RFC 6675): a
 * scoreboard of the blocks the peer reported above SND.UNA, and the next
 * hole to retransmit during fast recovery. What this adds to NewReno: every
 * duplicate or partial ACK in recovery may retransmit the next hole below
 * the highest SACKed octet (RFC 6675 NextSeg rule 1), instead of one hole
 * per round trip. Not yet RFC 6675's "pipe": the amount in flight is still
 * NewReno's inflated cwnd; SACK information is dropped after a timeout
 * (RFC 6675 5.1 allows keeping it; the peer may have reneged).
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
	t->nsacked = (uint8_t)(n - (j - i) + 1);
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
	t->nsacked = (uint8_t)k;
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

bool tcp_sack_next_hole(struct tcb *t, uint32_t *seq, uint32_t *len, uint32_t mss)
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
