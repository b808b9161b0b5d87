/*
 * Per-interface IPv6 state and addresses: link-local at link up, SLAAC from
 * RA prefixes (RFC 4862), DAD for every address, lifetimes.
 */
#ifndef USAGI_IPV6_ADDRCONF_H
#define USAGI_IPV6_ADDRCONF_H

#include "core/common.h"
#include "core/timer.h"
#include "ipv6/ipv6.h"

struct stack;
struct netdev;

enum {
	IFA_F_TENTATIVE = 1 << 0,
	IFA_F_DADFAILED = 1 << 1,
	IFA_F_DEPRECATED = 1 << 2,
	IFA_F_NODAD = 1 << 3,
	IFA_F_PERMANENT = 1 << 4,  /* configured by hand */
	IFA_F_AUTOCONF = 1 << 5,   /* SLAAC ("dynamic" in addr show) */
	IFA_F_OPTIMISTIC = 1 << 6,
	/*
	 * RFC 6275 11: a mobile node's home address while it is away: /128
	 * without a prefix route, no DAD, no NS answered for it on the foreign
	 * link (the home agent defends it at home), preferred as a source
	 * (RFC 6724 rule 4).
	 */
	IFA_F_HOMEADDRESS = 1 << 7,
};
#define LIFETIME_INFINITE UINT64_MAX

struct inet6_ifaddr {
	struct dlist node;         /* idev->addrs */
	struct inet6_dev *idev;
	struct in6_addr addr;
	uint8_t plen;
	uint32_t flags;            /* IFA_F_* */
	uint64_t valid_until;      /* ns, LIFETIME_INFINITE */
	uint64_t preferred_until;  /* ns, LIFETIME_INFINITE */
	int dad_probes_left;
	struct timer timer;        /* DAD */
	struct timer lft_timer;    /* preferred and valid lifetime expiry */
	struct inet6_ifaddr *hnext;/* chain in the per-stack address index */
};

struct inet6_dev {
	struct netdev *dev;
	struct ip6_conf conf;
	struct dlist addrs;        /* struct inet6_ifaddr */
	uint32_t mtu6;             /* from RA MTU option, 0 = link MTU */
	uint8_t cur_hlim;          /* from RA, 0 = conf */
	uint32_t base_reachable_ms;/* BaseReachableTime, default 30000 */
	uint32_t reachable_ms;     /* ReachableTime, randomised from base */
	uint32_t retrans_ms;       /* RetransTimer, default 1000 */
	bool ra_managed, ra_other; /* last RA's M and O flags */
	struct in6_addr rdnss[3];  /* RFC 8106 recursive DNS servers */
	uint64_t rdnss_until[3];
	int rs_left;               /* router solicitations still to send */
	struct timer rs_timer;
	void *mc;                  /* mld6 state */
	void *ra;                  /* nd6 router-advertisement state (router mode) */
};

/* The per-stack address index (called by nd6_init / nd6_fini). */
int addrconf_index_init(struct stack *st);
void addrconf_index_fini(struct stack *st);

/* Creates IPv6 state for @dev (at netdev_create). */
int addrconf_dev_init(struct netdev *dev);
void addrconf_dev_fini(struct netdev *dev);
/* Link up: join all-nodes, link-local with DAD, RS (host); down: drop dynamic state. */
void addrconf_link_up(struct netdev *dev);
void addrconf_link_down(struct netdev *dev);

/*
 * Adds an address (DAD unless IFA_F_NODAD or dad_transmits is 0) and the
 * on-link prefix route. Lifetimes in seconds, UINT32_MAX = infinite.
 * 0, -EEXIST, -EINVAL, -ENOMEM.
 */
int addrconf_add(struct netdev *dev, const struct in6_addr *addr, unsigned plen,
		 uint32_t flags, uint32_t valid_s, uint32_t preferred_s);
int addrconf_del(struct netdev *dev, const struct in6_addr *addr, unsigned plen);

/* The address @a on any interface (also tentative ones), or NULL. Constant time (hashed). */
struct inet6_ifaddr *addrconf_lookup(struct stack *st, const struct in6_addr *a);
/*
 * True if @a is a usable unicast address of this host: not dadfailed, and
 * not tentative unless optimistic (RFC 4429: an Optimistic Address sends
 * and receives during DAD; only ND restricts its use).
 */
bool addrconf_is_local(struct stack *st, const struct in6_addr *a);
/* addrconf_is_local's test for an address already looked up. */
static inline bool addrconf_ifa_usable(const struct inet6_ifaddr *ifa)
{
	if (ifa->flags & IFA_F_DADFAILED)
		return false;
	return !(ifa->flags & IFA_F_TENTATIVE) || (ifa->flags & IFA_F_OPTIMISTIC);
}
/* Source address selection (RFC 6724, rules 1-3, 5, 8): 0 or -EADDRNOTAVAIL. */
int addrconf_select_source(struct stack *st, const struct in6_addr *dst, struct netdev *oif,
			   struct in6_addr *out);
/* Link-local address of @dev usable as a source, or NULL. */
const struct in6_addr *addrconf_linklocal(struct netdev *dev);

/* Addresses per interface formed from RA prefixes: a bound against RA floods. */
#define ADDRCONF_MAX_AUTOCONF 16

/* The address @a on @dev (also tentative ones), or NULL. */
struct inet6_ifaddr *addrconf_lookup_dev(struct netdev *dev, const struct in6_addr *a);
/* Calls @fn for every address of @dev. */
void addrconf_foreach(struct netdev *dev, void (*fn)(void *ctx, const struct inet6_ifaddr *ifa),
		      void *ctx);

/* An NS or NA for @target arrived while it is tentative here (RFC 4862 5.4.3/5.4.4). */
void addrconf_dad_conflict(struct netdev *dev, struct inet6_ifaddr *ifa);
/* RA Prefix Information option with the A flag (RFC 4862 5.5.3). */
void addrconf_prefix_rcv(struct netdev *dev, const struct in6_addr *prefix, unsigned plen,
			 uint32_t valid_s, uint32_t preferred_s);

#endif
