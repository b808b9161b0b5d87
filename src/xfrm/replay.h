/*
 * ESP/AH anti-replay window (RFC 4303 3.4.3, RFC 4302 3.4.3) with extended
 * sequence numbers (RFC 4303 2.2.1 and Appendix A).
 *
 * The bitmap is a ring of 64-bit words in the manner of RFC 6479: bit
 * (s & 63) of word (s >> 6) & mask records sequence number s. Moving the
 * right edge clears only the words that fall out, so a jump costs at most
 * one pass over the ring and a step inside a word costs nothing: nothing
 * is ever shifted. The ring has one word more than the window needs (a
 * power of two), so the partly used word at the left edge never aliases
 * the word at the right edge.
 *
 * Two steps per packet, so a forged packet cannot move the window:
 *   xfrm_replay_check()   before the ICV: no state change; infers the
 *                         64-bit number (ESN) the ICV must be checked with;
 *   xfrm_replay_advance() after the ICV verified.
 */
#ifndef USAGI_XFRM_REPLAY_H
#define USAGI_XFRM_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define XFRM_REPLAY_MAX 4096     /* packets; the largest window accepted */

struct xfrm_replay {
	uint64_t top;            /* highest number accepted so far; 0 = none */
	uint32_t size;           /* window, in packets: 1..XFRM_REPLAY_MAX */
	uint32_t mask;           /* ring words - 1 (a power of two minus one) */
	bool esn;                /* 64-bit numbers, low 32 bits on the wire */
	uint64_t bits[];         /* the ring */
};

/* A window of @size packets (1..4096), all clear. NULL: -EINVAL size or ENOMEM (errno set). */
struct xfrm_replay *xfrm_replay_new(uint32_t size, bool esn);
void xfrm_replay_free(struct xfrm_replay *w);

/*
 * Checks the received low 32 bits @seq_lo without changing @w. Sets *@seq64
 * to the full number (RFC 4303 A2.1 for ESN: the one of the three candidate
 * epochs that falls in [top - size + 1, top - size + 2^32]; the caller
 * authenticates with its high half). Returns
 *   0          new: authenticate it, then xfrm_replay_advance(*@seq64);
 *   -EALREADY  already received (a replay);
 *   -ERANGE    left of the window (too old);
 *   -EINVAL    sequence number 0, never sent (RFC 4303 3.3.3), or an ESN
 *              number that would lie before the first epoch.
 */
int xfrm_replay_check(const struct xfrm_replay *w, uint32_t seq_lo, uint64_t *seq64);

/*
 * Records @seq64 (authenticated) and moves the right edge if it is newer.
 * Re-checks, since another packet may have moved the window in between:
 * 0, or -EALREADY / -ERANGE / -EINVAL as above (then nothing changed).
 */
int xfrm_replay_advance(struct xfrm_replay *w, uint64_t seq64);

#endif
