/*
 * Token bucket shared by every rate-limited sender (ICMPv6 errors, RFC 4443
 * 2.4(f); ICMPv4 errors, RFC 1812 4.3.2.8): tokens are nanoseconds of
 * credit, each message costs @cost_ms, at most @burst messages in a row.
 */
#ifndef USAGI_CORE_RATELIMIT_H
#define USAGI_CORE_RATELIMIT_H

#include "core/common.h"

/* Fills the bucket (at init): @burst messages may go at once. */
static inline uint64_t ratelimit_full(uint32_t cost_ms, uint32_t burst)
{
	return (uint64_t)burst * cost_ms * NS_PER_MS;
}

/* True (and one token spent) if a message may go at @now; cost 0 means unlimited. */
static inline bool ratelimit_take(uint64_t *tokens_ns, uint64_t *last_ns, uint32_t cost_ms,
				  uint32_t burst, uint64_t now)
{
	uint64_t cost = (uint64_t)cost_ms * NS_PER_MS;
	uint64_t cap = cost * burst, tokens;

	if (cost == 0)
		return true;
	tokens = *tokens_ns + (now - *last_ns);
	*last_ns = now;
	if (tokens > cap)
		tokens = cap;
	if (tokens < cost) {
		*tokens_ns = tokens;
		return false;
	}
	*tokens_ns = tokens - cost;
	return true;
}

#endif
