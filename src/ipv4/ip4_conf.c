/* IPv4 settings (net.ipv4.*), the layer's lifetime, address text helpers. */
#include <stdio.h>
#include <stdlib.h>
#include "core/ratelimit.h"
#include "core/stack.h"
#include "ipv4/frag4.h"
#include "ipv4/inet4.h"
#include "link/netdev.h"

static const struct ip4_conf ip4_conf_defaults = {
	.forwarding = 0,
	.accept_redirects = 1,
};

int ip4_init(struct stack *st)
{
	struct ip4_state *s = &st->ip4;

	s->all = ip4_conf_defaults;
	s->dflt = ip4_conf_defaults;
	s->ip_forward = 0;
	s->default_ttl = 64;
	/* RFC 6864 4.3 / RFC 7739: start Identifications at an unpredictable value. */
	s->ip_id = (uint16_t)rng_next(&st->rng);
	/* Same bucket as ICMPv6: a burst of 10, then one error per 100 ms. */
	s->icmp_ratelimit_ms = 100;
	s->icmp_burst = 10;
	s->icmp_tokens_ns = ratelimit_full(s->icmp_ratelimit_ms, s->icmp_burst);
	s->icmp_last_ns = st->now;
	return frag4_init(st);
}

void ip4_fini(struct stack *st)
{
	frag4_fini(st);
}

const struct ip4_conf *ip4_conf_of(const struct netdev *dev)
{
	if (dev->in4)
		return &dev->in4->conf;
	return &dev->st->ip4.dflt;
}

bool ip4_forwarding(const struct stack *st, const struct netdev *dev)
{
	return st->ip4.ip_forward || st->ip4.all.forwarding ||
	       (dev && ip4_conf_of(dev)->forwarding);
}

void ip4_tx_init(struct ip4_tx *tx, uint32_t dst, uint8_t proto)
{
	memset(tx, 0, sizeof(*tx));
	tx->dst = dst;
	tx->proto = proto;
	tx->ttl = -1;
	tx->csum_off = -1;
}

const char *ip4_ntop(uint32_t a, char *buf)
{
	const uint8_t *b = (const uint8_t *)&a;

	snprintf(buf, INET_ADDRSTRLEN, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

int ip4_parse_prefix(const char *s, uint32_t *a, unsigned *plen)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	unsigned long len = 32;
	struct in_addr in;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (*slash < '0' || *slash > '9')
			return -EINVAL;
		len = strtoul(slash, &end, 10);
		if (*end || len > 32)
			return -EINVAL;
	}
	/* inet_pton takes only the dotted quad, never the shorthand inet_aton allows. */
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	*a = in.s_addr;
	if (plen)
		*plen = (unsigned)len;
	return 0;
}
