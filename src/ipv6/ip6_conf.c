/* IPv6 settings (net.ipv6.conf.{all,default,IF}) and the layer's lifetime. */
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/frag6.h"
#include "link/netdev.h"

static const struct ip6_conf ip6_conf_defaults = {
	.forwarding = 0,
	.accept_ra = 1,
	.autoconf = 1,
	.dad_transmits = 1,
	.hop_limit = 64,
	.mtu = 1500,
	.accept_redirects = 1,
	.router_solicitations = 3,
	.flowlabel_auto = 1,
};

int ip6_init(struct stack *st)
{
	int rc;

	st->ip6.all = ip6_conf_defaults;
	st->ip6.dflt = ip6_conf_defaults;
	/* RFC 7739 3.1: start Identifications at an unpredictable value. */
	st->ip6.frag_id = (uint32_t)rng_next(&st->rng);
	rng_bytes(&st->rng, st->ip6.flow_secret, sizeof(st->ip6.flow_secret));
	rc = frag6_init(st);
	if (rc < 0)
		return rc;
	rc = pmtu6_init(st);
	if (rc < 0) {
		frag6_fini(st);
		return rc;
	}
	return 0;
}

void ip6_fini(struct stack *st)
{
	frag6_fini(st);
	pmtu6_fini(st);
}

const struct ip6_conf *ip6_conf_of(const struct netdev *dev)
{
	if (dev->in6)
		return &dev->in6->conf;
	return &dev->st->ip6.dflt;
}

bool ip6_forwarding(const struct stack *st, const struct netdev *dev)
{
	return st->ip6.all.forwarding || (dev && ip6_conf_of(dev)->forwarding);
}

void ip6_tx_init(struct ip6_tx *tx, const struct in6_addr *dst, uint8_t proto)
{
	memset(tx, 0, sizeof(*tx));
	if (dst)
		tx->dst = *dst;
	tx->proto = proto;
	tx->hop_limit = -1;
	tx->flowlabel = -1;
	tx->csum_off = -1;
}
