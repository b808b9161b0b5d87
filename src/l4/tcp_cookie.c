/*
 * SYN cookies (RFC 4987 3.6): when a listener's queue is full, its SYN-ACK
 * carries all the state the connection needs in its initial sequence
 * number, and nothing is kept until the peer's ACK proves the exchange:
 *
 *   ISN = count mod 32 << 27 | MSS index << 24 | 24 bits of
 *         SipHash-2-4(per-stack key; addresses, ports, peer's ISN, count)
 *
 * with count = minutes of the stack clock (64 s). An ACK is taken while
 * count is the current or the previous one. The cookie keeps only the MSS:
 * connections made from cookies have no window scaling, SACK or
 * timestamps (Linux hides those in the timestamp; a later step).
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
