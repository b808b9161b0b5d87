/*
 * Neighbour cache and Neighbor Unreachability Detection (RFC 4861 5.1, 7.2,
 * 7.3). Entries live in a keyed hash on (ifindex, address) because the wire
 * creates them; the cache is bounded and evicts STALE/FAILED entries first.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/addrconf.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip4.h"
#include "proto/ip6.h"

#define ND6_HASH_BITS 8

struct nd6_table {
	struct nd6_neigh *buckets[1 << ND6_HASH_BITS];
	struct dlist lru;
	unsigned count;
	/*
	 * The entry the last lookup found: a router sends most traffic to a
	 * few next hops, and this check is cheaper than the keyed hash. Cleared
	 * when that entry is freed; a miss falls back to the hash, so a sender
	 * cannot make lookups worse than without it.
	 */
	struct nd6_neigh *last;
};

static void neigh_timer(struct stack *st, struct timer *t);

int nd6_cache_init(struct stack *st)
{
	st->nd6.neigh = calloc(1, sizeof(*st->nd6.neigh));
	if (!st->nd6.neigh)
		return -ENOMEM;
	dlist_init(&st->nd6.neigh->lru);
	if (!st->nd6.max_neigh)
		st->nd6.max_neigh = ND6_DEFAULT_MAX_NEIGH;
	return 0;
}

void nd6_cache_fini(struct stack *st)
{
	struct dlist *pos, *tmp;

	if (!st->nd6.neigh)
		return;
	dlist_for_each_safe(pos, tmp, &st->nd6.neigh->lru)
		nd6_neigh_remove(dlist_entry(pos, struct nd6_neigh, lru));
	free(st->nd6.neigh);
	st->nd6.neigh = NULL;
}

static struct nd6_neigh **bucket(struct stack *st, const struct netdev *dev,
				 const struct in6_addr *addr)
{
	uint8_t key[20];
	uint64_t h;

	memcpy(key, addr, 16);
	put_be32(key + 16, (uint32_t)dev->ifindex);
	h = siphash13(&st->hkey, key, sizeof(key));
	return &st->nd6.neigh->buckets[h & ((1u << ND6_HASH_BITS) - 1)];
}

struct nd6_neigh *nd6_neigh_lookup(struct stack *st, struct netdev *dev,
				   const struct in6_addr *addr)
{
	struct nd6_neigh *n = st->nd6.neigh->last;

	if (n && n->dev == dev && in6_equal(&n->addr, addr))
		return n;
	for (n = *bucket(st, dev, addr); n; n = n->hnext)
		if (n->dev == dev && in6_equal(&n->addr, addr))
			return st->nd6.neigh->last = n;
	return NULL;
}

/* Oldest entry that holds nothing worth keeping (RFC 4861 7.3.1 leaves the policy open). */
static bool evict_one(struct stack *st)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->nd6.neigh->lru) {
		struct nd6_neigh *n = dlist_entry(pos, struct nd6_neigh, lru);

		if (n->state == NUD_STALE || n->state == NUD_FAILED || n->state == NUD_NONE) {
			STAT_INC(st, nd6_neigh_evicted);
			nd6_neigh_remove(n);
			return true;
		}
	}
	return false;
}

struct nd6_neigh *nd6_neigh_get(struct stack *st, struct netdev *dev, const struct in6_addr *addr)
{
	struct nd6_neigh *n = nd6_neigh_lookup(st, dev, addr);
	struct nd6_neigh **b;

	if (n)
		return n;
	if (st->nd6.neigh->count >= st->nd6.max_neigh && !evict_one(st)) {
		STAT_INC(st, nd6_neigh_table_full);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		STAT_INC(st, nd6_neigh_nomem);
		return NULL;
	}
	n->st = st;
	n->dev = dev;
	n->addr = *addr;
	n->state = NUD_NONE;
	timer_init(&n->timer, neigh_timer);
	b = bucket(st, dev, addr);
	n->hnext = *b;
	*b = n;
	dlist_add_tail(&st->nd6.neigh->lru, &n->lru);
	st->nd6.neigh->count++;
	return n;
}

/*
 * Detaches the whole queue and leaves @n with an empty one (head, tail and
 * qlen agree). Whatever is done with the packets afterwards may re-enter
 * nd6_output for this very entry (an error to a sender behind the same
 * neighbour) and so must never see a half-drained queue.
 */
static struct pkt *queue_take(struct nd6_neigh *n)
{
	struct pkt *q = n->q_head;

	n->q_head = n->q_tail = NULL;
	n->qlen = 0;
	return q;
}

static const struct nd6_family nd6_family_ip6;

static const struct nd6_family *family_of(const struct nd6_neigh *n)
{
	return in6_is_v4mapped(&n->addr) ? &arp_neigh_family : &nd6_family_ip6;
}

/* Frees the queue; @n may be gone once an error has been sent, so only @st is used after. */
static void queue_drop_all(struct nd6_neigh *n, bool unreach)
{
	struct stack *st = n->st;
	const struct nd6_family *fam = family_of(n);
	struct pkt *q = queue_take(n), *next;

	for (; q; q = next) {
		next = q->next;
		q->next = NULL;
		/* RFC 4861 7.2.2: resolution failed, tell the sender. */
		if (unreach)
			fam->unreach(st, q);
		STAT_INC(st, nd6_queue_failed);
		pkt_free(q);
	}
}

void nd6_neigh_remove(struct nd6_neigh *n)
{
	struct stack *st = n->st;
	struct nd6_neigh **pp = bucket(st, n->dev, &n->addr);

	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	if (st->nd6.neigh->last == n)
		st->nd6.neigh->last = NULL;
	stack_timer_cancel(st, &n->timer);
	queue_drop_all(n, false);
	dlist_del(&n->lru);
	st->nd6.neigh->count--;
	free(n);
}

void nd6_neigh_set_lladdr(struct nd6_neigh *n, const uint8_t lladdr[6])
{
	if (!lladdr)
		return;
	memcpy(n->lladdr, lladdr, 6);
	n->has_lladdr = true;
}

static int neigh_xmit(struct nd6_neigh *n, struct pkt *p)
{
	return eth_output(n->dev, p, n->lladdr, family_of(n)->ethertype);
}

void nd6_neigh_flush_queue(struct nd6_neigh *n)
{
	struct pkt *q = queue_take(n), *next;

	for (; q; q = next) {
		next = q->next;
		q->next = NULL;
		neigh_xmit(n, q);
	}
}

/* RFC 4861 7.2.2: the source of the packet that prompted the solicitation if it is ours. */
static int solicit_source(struct nd6_neigh *n, struct in6_addr *src)
{
	struct inet6_ifaddr *ifa;

	if (n->q_head && n->q_head->len >= IPV6_HLEN) {
		const struct ip6_hdr *h = (const struct ip6_hdr *)n->q_head->data;
		struct in6_addr s = h->src;

		ifa = addrconf_lookup_dev(n->dev, &s);

		if (ifa && !(ifa->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))) {
			*src = s;
			return 0;
		}
	}
	if (addrconf_select_source(n->st, &n->addr, n->dev, src) < 0)
		return -EADDRNOTAVAIL;
	/* RFC 4429 3.3: an Optimistic Address is never the source of an NS. */
	ifa = addrconf_lookup_dev(n->dev, src);
	if (ifa && (ifa->flags & IFA_F_OPTIMISTIC)) {
		const struct in6_addr *ll = addrconf_linklocal(n->dev);

		if (!ll)
			return -EADDRNOTAVAIL;
		*src = *ll;
	}
	return 0;
}

static int ns_solicit(struct nd6_neigh *n, bool unicast)
{
	struct in6_addr src;

	if (solicit_source(n, &src) < 0) {
		STAT_INC(n->st, nd6_ns_no_source);
		return -EADDRNOTAVAIL;
	}
	nd6_send_ns(n->dev, &n->addr, &src, unicast ? &n->addr : NULL);
	return 0;
}

/* RFC 4443 3.1: code 3, address unreachable. */
static void ns_unreach(struct stack *st, const struct pkt *q)
{
	icmp6_send_error(st, q, ICMP6_DST_UNREACH, ICMP6_DU_ADDR, 0);
}

/* RetransTimer and ReachableTime of the interface (RFC 4861 6.3.2, learnt from RAs). */
static uint32_t ns_retrans_ms(const struct nd6_neigh *n) { return n->dev->in6->retrans_ms; }
static uint32_t ns_reachable_ms(const struct nd6_neigh *n) { return n->dev->in6->reachable_ms; }

static const struct nd6_family nd6_family_ip6 = {
	.ethertype = ETH_P_IPV6, .solicit = ns_solicit, .unreach = ns_unreach,
	.retrans_ms = ns_retrans_ms, .reachable_ms = ns_reachable_ms,
};

static void neigh_solicit(struct nd6_neigh *n, bool unicast)
{
	if (family_of(n)->solicit(n, unicast) == 0)
		n->probes++;
}

static uint64_t retrans_ns(const struct nd6_neigh *n)
{
	return (uint64_t)family_of(n)->retrans_ms(n) * NS_PER_MS;
}

void nd6_neigh_set_state(struct nd6_neigh *n, enum nud_state state)
{
	struct stack *st = n->st;

	stack_timer_cancel(st, &n->timer);
	n->state = state;
	n->probes = 0;
	dlist_del(&n->lru);
	dlist_add_tail(&st->nd6.neigh->lru, &n->lru);
	switch (state) {
	case NUD_INCOMPLETE:
		neigh_solicit(n, false);
		stack_timer_in(st, &n->timer, retrans_ns(n));
		break;
	case NUD_REACHABLE:
		stack_timer_in(st, &n->timer, (uint64_t)family_of(n)->reachable_ms(n) * NS_PER_MS);
		break;
	case NUD_DELAY:
		stack_timer_in(st, &n->timer, ND6_DELAY_FIRST_PROBE_MS * NS_PER_MS);
		break;
	case NUD_PROBE:
		neigh_solicit(n, true);
		stack_timer_in(st, &n->timer, retrans_ns(n));
		break;
	default:
		break;
	}
}

/* RFC 4861 7.3.3 and Appendix C: what happens when each state's timer runs out. */
static void neigh_timer(struct stack *st, struct timer *t)
{
	struct nd6_neigh *n = container_of(t, struct nd6_neigh, timer);

	switch (n->state) {
	case NUD_INCOMPLETE:
		if (n->probes < ND6_MAX_MULTICAST_SOLICIT) {
			neigh_solicit(n, false);
			stack_timer_in(st, &n->timer, retrans_ns(n));
			return;
		}
		STAT_INC(st, nd6_resolve_failed);
		n->state = NUD_FAILED;
		queue_drop_all(n, true);
		return;
	case NUD_REACHABLE:
		nd6_neigh_set_state(n, NUD_STALE);
		return;
	case NUD_DELAY:
		nd6_neigh_set_state(n, NUD_PROBE);
		return;
	case NUD_PROBE:
		if (n->probes < ND6_MAX_UNICAST_SOLICIT) {
			neigh_solicit(n, true);
			stack_timer_in(st, &n->timer, retrans_ns(n));
			return;
		}
		/* RFC 4861 7.3.3: unreachable; the entry SHOULD be deleted. */
		STAT_INC(st, nd6_probe_failed);
		if (n->is_router)
			nd6_router_lost(st, n->dev, &n->addr);
		nd6_neigh_remove(n);
		return;
	default:
		return;
	}
}

/* RFC 4861 7.2.2: one queue per entry; beyond the bound the oldest packet goes. */
static void neigh_enqueue(struct nd6_neigh *n, struct pkt *p)
{
	if (n->qlen >= ND6_MAX_QUEUE) {
		struct pkt *old = n->q_head;

		n->q_head = old->next;
		old->next = NULL;
		n->qlen--;
		STAT_INC(n->st, nd6_queue_overflow);
		pkt_free(old);
		if (!n->q_head)
			n->q_tail = NULL;
	}
	pkt_set_nh(p);
	p->next = NULL;
	if (n->q_tail)
		n->q_tail->next = p;
	else
		n->q_head = p;
	n->q_tail = p;
	n->qlen++;
}

int nd6_output(struct stack *st, struct netdev *dev, const struct in6_addr *nexthop,
	       struct pkt *p)
{
	uint8_t mac[6];

	if (in6_is_multicast(nexthop)) {
		/* RFC 2464 7. */
		in6_mc_to_mac(mac, nexthop);
		return eth_output(dev, p, mac, ETH_P_IPV6);
	}
	return nd6_neigh_output(st, dev, nexthop, p);
}

int nd6_neigh_output(struct stack *st, struct netdev *dev, const struct in6_addr *key,
		     struct pkt *p)
{
	struct nd6_neigh *n = nd6_neigh_get(st, dev, key);

	if (!n)
		goto drop;
	switch (n->state) {
	case NUD_NONE:
	case NUD_FAILED:
		neigh_enqueue(n, p);
		nd6_neigh_set_state(n, NUD_INCOMPLETE);
		return 0;
	case NUD_INCOMPLETE:
		neigh_enqueue(n, p);
		return 0;
	case NUD_STALE:
		/* RFC 4861 7.3.3: first use of a STALE entry starts the DELAY timer. */
		nd6_neigh_set_state(n, NUD_DELAY);
		return neigh_xmit(n, p);
	default:
		return neigh_xmit(n, p);
	}
drop:
	pkt_free(p);
	return -ENOBUFS;
}

void nd6_neigh_from_slla(struct stack *st, struct netdev *dev, const struct in6_addr *addr,
			 const uint8_t lladdr[6], bool is_router)
{
	struct nd6_neigh *n = nd6_neigh_get(st, dev, addr);
	bool changed;

	if (!n || n->state == NUD_PERMANENT)
		return;
	if (is_router)
		n->is_router = true;
	changed = !n->has_lladdr || memcmp(n->lladdr, lladdr, 6) != 0;
	if (!changed && n->state != NUD_NONE && n->state != NUD_INCOMPLETE &&
	    n->state != NUD_FAILED)
		return;
	nd6_neigh_set_lladdr(n, lladdr);
	/* RFC 4861 7.3.3: sending the waiting packets is a use of the STALE entry. */
	nd6_neigh_set_state(n, n->q_head ? NUD_DELAY : NUD_STALE);
	nd6_neigh_flush_queue(n);
}

void nd6_confirm(struct stack *st, struct netdev *dev, const struct in6_addr *addr)
{
	struct nd6_neigh *n = nd6_neigh_lookup(st, dev, addr);

	if (n && n->has_lladdr && n->state != NUD_PERMANENT && n->state != NUD_INCOMPLETE)
		nd6_neigh_set_state(n, NUD_REACHABLE);
}

int nd6_neigh_add_permanent(struct stack *st, struct netdev *dev, const struct in6_addr *addr,
			    const uint8_t lladdr[6])
{
	struct nd6_neigh *n = nd6_neigh_get(st, dev, addr);

	if (!n)
		return -ENOMEM;
	nd6_neigh_set_lladdr(n, lladdr);
	nd6_neigh_set_state(n, NUD_PERMANENT);
	nd6_neigh_flush_queue(n);
	return 0;
}

int nd6_neigh_del(struct stack *st, struct netdev *dev, const struct in6_addr *addr)
{
	struct nd6_neigh *n = nd6_neigh_lookup(st, dev, addr);

	if (!n)
		return -ESRCH;
	nd6_neigh_remove(n);
	return 0;
}

enum nud_state nd6_neigh_state(struct stack *st, struct netdev *dev, const struct in6_addr *addr)
{
	struct nd6_neigh *n = nd6_neigh_lookup(st, dev, addr);

	return n ? n->state : NUD_NONE;
}

void nd6_flush_dev(struct stack *st, struct netdev *dev)
{
	struct dlist *pos, *tmp;

	if (!st->nd6.neigh)
		return;
	dlist_for_each_safe(pos, tmp, &st->nd6.neigh->lru) {
		struct nd6_neigh *n = dlist_entry(pos, struct nd6_neigh, lru);

		if (n->dev == dev)
			nd6_neigh_remove(n);
	}
	nd6_routers_flush(st, dev);
}

void nd6_neigh_foreach(struct stack *st, void (*fn)(void *ctx, const struct nd6_neigh_info *),
		       void *ctx)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->nd6.neigh->lru) {
		struct nd6_neigh *n = dlist_entry(pos, struct nd6_neigh, lru);
		struct nd6_neigh_info info = {
			.addr = n->addr, .dev = n->dev, .has_lladdr = n->has_lladdr,
			.is_router = n->is_router, .state = n->state,
		};

		memcpy(info.lladdr, n->lladdr, 6);
		fn(ctx, &info);
	}
}

const char *nud_state_name(enum nud_state s)
{
	static const char *const names[] = {
		[NUD_NONE] = "NONE", [NUD_INCOMPLETE] = "INCOMPLETE",
		[NUD_REACHABLE] = "REACHABLE", [NUD_STALE] = "STALE", [NUD_DELAY] = "DELAY",
		[NUD_PROBE] = "PROBE", [NUD_FAILED] = "FAILED", [NUD_PERMANENT] = "PERMANENT",
	};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

uint32_t nd6_random_reachable(struct stack *st, uint32_t base_ms)
{
	/* RFC 4861 6.3.2: uniformly in [MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR] = [0.5, 1.5]. */
	return base_ms / 2 + rng_below(&st->rng, base_ms + 1);
}
