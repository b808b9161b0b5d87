/*
 * IPv4 options (RFC 791 3.1, RFC 1122 3.2.1.8): a bounds-checked walk over
 * the option area. Known options are checked for their minimum length and
 * pointer and otherwise ignored (we record no route and no timestamp: a
 * host MAY ignore them); unknown options are silently ignored (RFC 1122
 * 3.2.1.8). Source routes: a host need not act as an intermediate hop, and
 * this one does not honour them at all, as Linux with
 * accept_source_route=0: the packet is dropped and counted without an
 * ICMP message (code 5, source route failed, is a router's answer).
 */
#include "core/stack.h"
#include "proto/ip4.h"

/* What each known option must hold: minimum length, smallest legal pointer (0: none). */
static const struct {
	uint8_t minlen;
	uint8_t ptrmin;
	bool srcroute;
} ip4_opt_rules[256] = {
	[IPOPT_RR] = { .minlen = 3, .ptrmin = 4 },
	[IPOPT_TS] = { .minlen = 4, .ptrmin = 5 },
	[IPOPT_LSRR] = { .minlen = 3, .ptrmin = 4, .srcroute = true },
	[IPOPT_SSRR] = { .minlen = 3, .ptrmin = 4, .srcroute = true },
	[IPOPT_RA] = { .minlen = 4 },           /* RFC 2113 2.1: length 4 */
	[IPOPT_SEC] = { .minlen = 3 },          /* RFC 1108 2.1: at least type, length, level */
};

/* One option at @o (header offset @i, @end bytes of header). 0, -EINVAL (*ptr), -EOPNOTSUPP. */
static int opt_check(const uint8_t *h, size_t i, size_t end, size_t *olen, uint32_t *ptr)
{
	uint8_t type = h[i], len;

	if (i + 1 >= end) {
		*ptr = (uint32_t)i;       /* no room for the length octet */
		return -EINVAL;
	}
	len = h[i + 1];
	if (len < 2 || i + len > end || len < ip4_opt_rules[type].minlen) {
		*ptr = (uint32_t)i + 1;
		return -EINVAL;
	}
	if (ip4_opt_rules[type].ptrmin && h[i + 2] < ip4_opt_rules[type].ptrmin) {
		*ptr = (uint32_t)i + 2;
		return -EINVAL;
	}
	*olen = len;
	return ip4_opt_rules[type].srcroute ? -EOPNOTSUPP : 0;
}

int ip4_opts_check(struct stack *st, const struct pkt *p, uint32_t *ptr)
{
	const uint8_t *h = pkt_nh(p);
	size_t end = (size_t)(h[0] & 0x0f) * 4, i = IPV4_HLEN, olen;
	int rc;

	while (i < end) {
		if (h[i] == IPOPT_END)
			break;
		if (h[i] == IPOPT_NOP) {
			i++;
			continue;
		}
		rc = opt_check(h, i, end, &olen, ptr);
		if (rc == -EINVAL) {
			STAT_INC(st, ip4_in_bad_opts);
			return rc;
		}
		if (rc == -EOPNOTSUPP) {
			STAT_INC(st, ip4_in_srcroute);
			return rc;
		}
		i += olen;
	}
	return 0;
}

/* RFC 791 3.1: the copy flag (high bit) says which options every fragment carries. */
size_t ip4_opts_copied(const uint8_t *opts, size_t len, uint8_t *out)
{
	size_t i = 0, n = 0;

	while (i < len && opts[i] != IPOPT_END) {
		size_t olen = 1;

		if (opts[i] != IPOPT_NOP) {
			if (i + 1 >= len || opts[i + 1] < 2 || i + opts[i + 1] > len)
				break;
			olen = opts[i + 1];
		}
		if (opts[i] & 0x80) {
			memcpy(out + n, opts + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = IPOPT_END;
	return n;
}
