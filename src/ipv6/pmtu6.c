/*
 * Path MTU cache (RFC 8201): per destination, lowered by Packet Too Big,
 * never below 1280, forgotten after 10 minutes so increases are noticed
 * (5.3). IPv4 paths share the table as mapped addresses (pmtu4.c). Open hashing with a keyed hash; when full, the entry closest to
 * expiry in the probed bucket is replaced.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/pmtu_cache.h"
#include "link/netdev.h"
#include "proto/ip6.h"

#define PMTU6_SLOTS 1024
#define PMTU6_WAYS 4                          /* slots probed per destination */
#define PMTU6_EXPIRE_NS (600 * NS_PER_SEC)    /* RFC 8201 5.3: at least 5 min, 10 recommended */

struct pmtu6_ent {
	struct in6_addr dst;
	uint32_t mtu;                 /* 0: free */
	uint64_t expires;
};

struct pmtu6_cache {
	struct pmtu6_ent e[PMTU6_SLOTS];
	unsigned live;                /* entries with mtu != 0: none, no hash per packet */
	uint64_t gen;                 /* pmtu_cache_gen: from 1, bumped when a path MTU may drop */
};

int pmtu6_init(struct stack *st)
{
	st->ip6.pmtu = calloc(1, sizeof(*st->ip6.pmtu));
	if (!st->ip6.pmtu)
		return -ENOMEM;
	st->ip6.pmtu->gen = 1;
	return 0;
}

void pmtu6_fini(struct stack *st)
{
	free(st->ip6.pmtu);
	st->ip6.pmtu = NULL;
}

static unsigned pmtu6_slot(const struct stack *st, const struct in6_addr *dst)
{
	return (unsigned)(siphash13(&st->hkey, dst, 16) % PMTU6_SLOTS);
}

static struct pmtu6_ent *pmtu6_find(struct stack *st, const struct in6_addr *dst)
{
	unsigned s;

	if (!st->ip6.pmtu->live)      /* the common case: no Packet Too Big heard */
		return NULL;
	s = pmtu6_slot(st, dst);

	for (unsigned i = 0; i < PMTU6_WAYS; i++) {
		struct pmtu6_ent *e = &st->ip6.pmtu->e[(s + i) % PMTU6_SLOTS];

		if (e->mtu && in6_equal(&e->dst, dst)) {
			if (e->expires <= st->now) {
				e->mtu = 0;
				st->ip6.pmtu->live--;
				return NULL;
			}
			return e;
		}
	}
	return NULL;
}

uint32_t ip6_link_mtu(const struct netdev *dev)
{
	const struct ip6_conf *c = ip6_conf_of(dev);
	uint32_t mtu = dev->mtu;

	if (c->mtu > 0 && (uint32_t)c->mtu < mtu)
		mtu = (uint32_t)c->mtu;
	if (dev->in6 && dev->in6->mtu6 && dev->in6->mtu6 < mtu)
		mtu = dev->in6->mtu6;
	return MAX(mtu, IPV6_MIN_MTU);
}

uint32_t pmtu6_get(struct stack *st, const struct in6_addr *dst, struct netdev *dev)
{
	uint32_t mtu = dev ? ip6_link_mtu(dev) : IPV6_MIN_MTU;
	const struct pmtu6_ent *e = st->ip6.pmtu ? pmtu6_find(st, dst) : NULL;

	return e && e->mtu < mtu ? e->mtu : mtu;
}

uint32_t pmtu_cache_get(struct stack *st, const struct in6_addr *key)
{
	const struct pmtu6_ent *e = st->ip6.pmtu ? pmtu6_find(st, key) : NULL;

	return e ? e->mtu : 0;
}

int pmtu_cache_set(struct stack *st, const struct in6_addr *dst, uint32_t mtu)
{
	unsigned s = pmtu6_slot(st, dst);
	struct pmtu6_ent *e = pmtu6_find(st, dst), *victim = NULL;
	int rc = 0;

	if (e && e->mtu <= mtu)
		return -1;
	for (unsigned i = 0; !e && i < PMTU6_WAYS; i++) {
		struct pmtu6_ent *c = &st->ip6.pmtu->e[(s + i) % PMTU6_SLOTS];

		if (!c->mtu || c->expires <= st->now) {
			st->ip6.pmtu->live += !c->mtu;
			e = c;
		}
		else if (!victim || c->expires < victim->expires)
			victim = c;
	}
	if (!e) {
		rc = 1;
		e = victim;
	}
	e->dst = *dst;
	e->mtu = mtu;
	e->expires = st->now + PMTU6_EXPIRE_NS;
	st->ip6.pmtu->gen++;
	return rc;
}

uint64_t pmtu_cache_gen(const struct stack *st)
{
	return st->ip6.pmtu ? st->ip6.pmtu->gen : 0;
}

void pmtu_cache_link_changed(struct stack *st)
{
	if (st->ip6.pmtu)
		st->ip6.pmtu->gen++;
}

void pmtu6_update(struct stack *st, const struct in6_addr *dst, uint32_t mtu)
{
	/* RFC 8201 4: a PTB below the minimum MTU still means 1280. */
	int rc = pmtu_cache_set(st, dst, MAX(mtu, IPV6_MIN_MTU));

	if (rc < 0) {
		STAT_INC(st, ip6_pmtu_ignored);
		return;
	}
	if (rc > 0)
		STAT_INC(st, ip6_pmtu_evict);
	STAT_INC(st, ip6_pmtu_update);
}
