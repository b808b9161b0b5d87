/*
 * Internals shared by the Mobility Header input (mip6_input.c), the home
 * agent (mip6_ha.c) and the correspondent (mip6_cn.c): sequence number
 * arithmetic, address checks, the Binding Acknowledgement sender and the
 * cross-role queries behind status 139 (RFC 6275 9.5.1).
 */
#ifndef USAGI_MIP6_MIP6_SIG_H
#define USAGI_MIP6_MIP6_SIG_H

#include "mip6/mip6.h"

/*
 * RFC 6275 9.5.1: @a is newer than @b when it lies in the 32767 values
 * after @b (modulo 2^16); b and the 32768 values before it are "less than
 * or equal" (last 15: 0..15 and 32783..65535 are not newer).
 */
static inline bool mip6_seq_newer(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d != 0 && d < MIP6_SEQ_WINDOW;
}

/* A unicast routable address (9.5.1): not ::, loopback, multicast or link-local. */
static inline bool mip6_addr_routable(const struct in6_addr *a)
{
	return !in6_is_unspec(a) && !in6_is_loopback(a) && !in6_is_multicast(a) &&
	       !in6_is_linklocal(a);
}

/*
 * Sends a Binding Acknowledgement (6.1.8, 9.5.4) from @src to the home
 * address @hoa; when @to (the source of the BU's packet) differs from @hoa
 * it goes there with a type 2 routing header naming @hoa. @lifetime in
 * 4-second units. @auth non-NULL: with Binding Authorization Data (return
 * routability). 0 or -errno (counted).
 */
int mip6_send_ba(struct stack *st, const struct in6_addr *src, const struct in6_addr *hoa,
		 const struct in6_addr *to, uint8_t status, uint16_t seq, uint16_t lifetime,
		 const struct mip6_auth_in *auth);

/* Does the home agent (resp. correspondent) hold a binding for @hoa? (139 checks) */
bool mip6_ha_has_binding(const struct stack *st, const struct in6_addr *hoa);
bool mip6_cn_has_binding(const struct stack *st, const struct in6_addr *hoa);

#endif
