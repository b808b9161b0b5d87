/*
 * SYN cookies (RFC 4987 3.6): when a listener's queue is full, its SYN-ACK
 * carries all the state the connection needs in its initial sequence
 * number, and nothing is kept until the peer's ACK proves the exchange:
 *
 *   ISN = count mod 32 << 27 | MSS index << 24 | 24 bits of
 *         SipHash-2-4(per-stack key; addresses, ports, peer's ISN, count)
 *
 * with count = minutes of the stack clock (64 s). An ACK is taken while
 * count is the current or the previous one.
 *
 * Options: when the SYN carried timestamps, the SYN-ACK's TSval hides the
 * rest of what the SYN offered in its low 6 bits (as Linux does): bits 0-3
 * the peer's window shift (15 = no window scale option), bit 4 SACK
 * permitted, bit 5 zero. The peer echoes TSval in the TSecr of its ACK, so
 * a cookie connection gets window scaling, SACK and timestamps. Without
 * timestamps in the SYN, the cookie SYN-ACK offers none of them and the
 * connection keeps only the MSS.
 */
#include "l4/tcp.h"
#include "l4/sock.h"

#define COOKIE_PERIOD (64 * NS_PER_SEC)

/* MSS values a cookie can name (3 bits): the common paths. */
static const uint16_t cookie_mss[8] = { 536, 1200, 1220, 1360, 1400, 1440, 1460, 8940 };

static uint32_t cookie_hash(struct stack *st, const struct in6_addr *la, uint16_t lp,
			    const struct in6_addr *fa, uint16_t fp, uint32_t peer_isn, uint32_t count)
{
	uint8_t k[44];

	memcpy(k, la, 16);
	memcpy(k + 16, fa, 16);
	put_be16(k + 32, lp);
	put_be16(k + 34, fp);
	put_be32(k + 36, peer_isn);
	put_be32(k + 40, count);
	return (uint32_t)siphash24(&st->sk.tcp->cookie_key, k, sizeof(k)) & 0xffffffu;
}

uint32_t tcp_cookie_make(struct stack *st, const struct in6_addr *la, uint16_t lp,
			 const struct in6_addr *fa, uint16_t fp, uint32_t peer_isn, uint16_t mss,
			 uint16_t *used_mss)
{
	uint32_t count = (uint32_t)(st->now / COOKIE_PERIOD), idx = 0;

	for (uint32_t i = 0; i < ARRAY_SIZE(cookie_mss); i++)
		if (cookie_mss[i] <= mss)
			idx = i;
	*used_mss = cookie_mss[idx];
	return (count & 0x1f) << 27 | idx << 24 | cookie_hash(st, la, lp, fa, fp, peer_isn, count);
}

int tcp_cookie_check(struct stack *st, const struct in6_addr *la, uint16_t lp,
		     const struct in6_addr *fa, uint16_t fp, uint32_t peer_isn, uint32_t cookie,
		     uint16_t *mss)
{
	uint32_t now = (uint32_t)(st->now / COOKIE_PERIOD);

	for (uint32_t age = 0; age < 2 && age <= now; age++) {
		uint32_t count = now - age;

		if ((cookie >> 27) != (count & 0x1f))
			continue;
		if ((cookie & 0xffffffu) != cookie_hash(st, la, lp, fa, fp, peer_isn, count))
			return -EINVAL;
		*mss = cookie_mss[(cookie >> 24) & 7];
		return 0;
	}
	return -EINVAL;
}

#define TS_OPT_BITS 6
#define TS_OPT_MASK ((1u << TS_OPT_BITS) - 1)
#define TS_WS_NONE 0xfu
#define TS_SACK 0x10u

uint32_t tcp_cookie_tsval(uint32_t now, const struct tcp_opts *syn)
{
	uint32_t bits = (syn->ws_ok ? MIN(syn->wscale, TCP_MAX_WSCALE) : TS_WS_NONE) |
			(syn->sack_perm ? TS_SACK : 0);
	uint32_t ts = (now & ~TS_OPT_MASK) | bits;

	/* Never ahead of the clock the connection will use: the next TSval must not go back. */
	if ((int32_t)(ts - now) > 0)
		ts -= 1u << TS_OPT_BITS;
	return ts;
}

int tcp_cookie_ts_decode(uint32_t now, uint32_t tsecr, struct tcp_opts *o)
{
	/* An echo of a TSval we never sent (from the future, or older than two cookie periods). */
	if ((int32_t)(now - tsecr) < 0 || now - tsecr > 2 * COOKIE_PERIOD / NS_PER_MS + 64 ||
	    (tsecr & 0x20))
		return -EINVAL;
	o->ws_ok = (tsecr & TS_WS_NONE) != TS_WS_NONE;
	o->wscale = o->ws_ok ? (uint8_t)MIN(tsecr & TS_WS_NONE, (uint32_t)TCP_MAX_WSCALE) : 0;
	o->sack_perm = (tsecr & TS_SACK) != 0;
	return 0;
}
