/*
 * ARP for IPv4 over Ethernet (RFC 826). Resolution runs on the shared
 * neighbour cache (nd6_cache.c): an IPv4 neighbour is the entry keyed by its
 * IPv4-mapped address, and the NUD states, timers, queue and eviction are
 * the IPv6 ones (RFC 4861 7.3); this file supplies only what differs: ARP
 * requests as solicitations, the EtherType, the ICMP error and the timers.
 * Address conflicts (RFC 5227) are reported to inet4.c.
 */
#include "core/stack.h"
#include "ipv4/arp.h"
#include "ipv4/icmp4.h"
#include "ipv4/inet4.h"
#include "ipv6/nd6_priv.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip4.h"

/* RFC 1122 2.3.2.1 leaves cache timing to the host: one retransmission a
 * second, ReachableTime randomised around 30 s as for IPv6. */
#define ARP_RETRANS_MS 1000
#define ARP_BASE_REACHABLE_MS 30000
#define ARP_HTYPE_ETHER 1

static int arp_send(struct netdev *dev, uint16_t op, uint32_t sip, const uint8_t *tha,
		    uint32_t tip, const uint8_t eth_dst[6])
{
	struct stack *st = dev->st;
	struct pkt *p = stack_pkt_alloc(st, sizeof(struct arp_hdr));
	struct arp_hdr *a;

	if (!p) {
		STAT_INC(st, arp_tx_nomem);
		return -ENOBUFS;
	}
	a = pkt_put(p, sizeof(*a));
	memset(a, 0, sizeof(*a));
	put_be16(a->htype, ARP_HTYPE_ETHER);
	put_be16(a->ptype, ETH_P_IP);
	a->hlen = 6;
	a->plen = 4;
	put_be16(a->op, op);
	memcpy(a->sha, dev->mac, 6);
	ip4_put(a->spa, sip);
	if (tha)
		memcpy(a->tha, tha, 6);
	ip4_put(a->tpa, tip);
	return eth_output(dev, p, eth_dst, ETH_P_ARP);
}

int arp_send_request(struct netdev *dev, uint32_t sip, uint32_t tip, const uint8_t *tha)
{
	STAT_INC(dev->st, arp_tx_request);
	/* RFC 5227 2.1.1: the target hardware address of a request is zero; @tha only aims the frame. */
	return arp_send(dev, ARP_REQUEST, sip, NULL, tip, tha ? tha : eth_broadcast);
}

int arp_announce(struct netdev *dev, uint32_t ip)
{
	STAT_INC(dev->st, arp_tx_announce);
	/* RFC 5227 2.3: a request with sender and target IP both the announced address. */
	return arp_send(dev, ARP_REQUEST, ip, NULL, ip, eth_broadcast);
}

static bool usable(const struct in4_ifaddr *ifa)
{
	return ifa && !(ifa->flags & (IFA4_F_TENTATIVE | IFA4_F_CONFLICT));
}

/* RFC 1122 2.3.2.1 / RFC 826: ask from the source of the waiting packet if it is ours here. */
static int solicit_source(struct nd6_neigh *n, uint32_t tip, uint32_t *sip)
{
	if (n->q_head && n->q_head->len >= IPV4_HLEN) {
		uint32_t s = ip4_get(((const struct ip4_hdr *)n->q_head->data)->src);
		struct in4_ifaddr *ifa = inet4_lookup(n->st, s);

		if (usable(ifa) && ifa->idev->dev == n->dev) {
			*sip = s;
			return 0;
		}
	}
	return inet4_select_source(n->st, tip, n->dev, sip);
}

static int arp_solicit(struct nd6_neigh *n, bool unicast)
{
	uint32_t tip = ip4_from_mapped(&n->addr), sip;

	if (solicit_source(n, tip, &sip) < 0) {
		STAT_INC(n->st, arp_no_source);
		return -EADDRNOTAVAIL;
	}
	/* RFC 4861 7.3.3 PROBE, as Linux does for ARP: unicast to the cached address. */
	arp_send_request(n->dev, sip, tip, unicast && n->has_lladdr ? n->lladdr : NULL);
	return 0;
}

/* RFC 1122 2.3.2.1 / RFC 792: host unreachable for packets that could not be resolved. */
static void arp_unreach(struct stack *st, const struct pkt *q)
{
	icmp4_send_error(st, q, ICMP4_DST_UNREACH, ICMP4_DU_HOST, 0);
}

static uint32_t arp_retrans_ms(const struct nd6_neigh *n) { return ARP_RETRANS_MS; }

static uint32_t arp_reachable_ms(const struct nd6_neigh *n)
{
	return nd6_random_reachable(n->st, ARP_BASE_REACHABLE_MS);
}

const struct nd6_family arp_neigh_family = {
	.ethertype = ETH_P_IP, .solicit = arp_solicit, .unreach = arp_unreach,
	.retrans_ms = arp_retrans_ms, .reachable_ms = arp_reachable_ms,
};

/* RFC 1112 6.4: 01:00:5e and the low 23 bits of the group. */
static void ip4_mc_to_mac(uint8_t mac[6], uint32_t group)
{
	uint32_t g = ntohl(group);

	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)((g >> 16) & 0x7f);
	mac[4] = (uint8_t)(g >> 8);
	mac[5] = (uint8_t)g;
}

int arp_output(struct stack *st, struct netdev *dev, uint32_t nexthop, struct pkt *p)
{
	struct in6_addr key;
	uint8_t mac[6];

	if (!dev || !dev->in4) {
		STAT_INC(st, arp_out_no_dev);
		pkt_free(p);
		return -ENETDOWN;
	}
	if (inet4_is_broadcast(dev, nexthop)) {
		STAT_INC(st, arp_out_bcast);
		return eth_output(dev, p, eth_broadcast, ETH_P_IP);
	}
	if (ip4_is_multicast(nexthop)) {
		STAT_INC(st, arp_out_mcast);
		ip4_mc_to_mac(mac, nexthop);
		return eth_output(dev, p, mac, ETH_P_IP);
	}
	ip4_to_mapped(&key, nexthop);
	return nd6_neigh_output(st, dev, &key, p);
}

/* Input checks, in order; each names the counter of what it drops. */
static bool bad_hw(const struct netdev *dev, const struct arp_hdr *a)
{
	return get_be16(a->htype) != ARP_HTYPE_ETHER || a->hlen != 6;
}
static bool bad_proto(const struct netdev *dev, const struct arp_hdr *a)
{
	return get_be16(a->ptype) != ETH_P_IP || a->plen != 4;
}
static bool bad_op(const struct netdev *dev, const struct arp_hdr *a)
{
	uint16_t op = get_be16(a->op);

	return op != ARP_REQUEST && op != ARP_REPLY;
}
/* Our own MAC means a loop or a forgery; group MACs are never a host's. */
static bool bad_sha(const struct netdev *dev, const struct arp_hdr *a)
{
	return (a->sha[0] & 1) || memcmp(a->sha, dev->mac, 6) == 0;
}
static bool bad_spa(const struct netdev *dev, const struct arp_hdr *a)
{
	uint32_t s = ip4_get(a->spa);

	return ip4_is_limited_bcast(s) || ip4_is_multicast(s) || ip4_is_loopback(s) ||
	       inet4_is_broadcast((struct netdev *)dev, s);
}

static const struct {
	bool (*bad)(const struct netdev *dev, const struct arp_hdr *a);
	enum stat_id stat;
} arp_checks[] = {
	{ bad_hw, STAT_arp_bad_hw },
	{ bad_proto, STAT_arp_bad_proto },
	{ bad_op, STAT_arp_bad_op },
	{ bad_sha, STAT_arp_bad_sha },
	{ bad_spa, STAT_arp_bad_spa },
};

/*
 * RFC 5227 2.1.1 and 2.4: ARP from another host (its MAC is not ours, see
 * bad_sha) that uses one of our addresses as sender, or probes for our
 * tentative address. Never reaches the cache: our address is not a neighbour.
 */
static bool own_conflict(struct stack *st, struct netdev *dev, const struct arp_hdr *a)
{
	uint32_t sip = ip4_get(a->spa), tip = ip4_get(a->tpa);
	struct in4_ifaddr *ifa;

	if (sip != 0) {
		ifa = inet4_lookup(st, sip);
		if (!ifa || ifa->idev->dev != dev)
			return false;
		STAT_INC(st, arp_spoof_local);
		inet4_conflict(dev, ifa, a->sha);
		return true;
	}
	ifa = inet4_lookup(st, tip);
	if (!ifa || ifa->idev->dev != dev || !(ifa->flags & IFA4_F_TENTATIVE) ||
	    get_be16(a->op) != ARP_REQUEST)
		return false;
	STAT_INC(st, arp_probe_conflict);
	inet4_conflict(dev, ifa, a->sha);
	return true;
}

/*
 * RFC 826 "merge": an entry for the sender is updated by any ARP packet and
 * created only when we are the target. A reply addressed to us answers our
 * request (like a solicited NA: REACHABLE); anything else leaves the entry
 * STALE if the address changed (RFC 4861 7.2.5 by analogy).
 */
static void arp_learn(struct stack *st, struct netdev *dev, const struct arp_hdr *a, bool for_us)
{
	struct in6_addr key;
	struct nd6_neigh *n;

	ip4_to_mapped(&key, ip4_get(a->spa));
	n = nd6_neigh_lookup(st, dev, &key);
	if (n && n->state == NUD_PERMANENT)
		return;
	if (n || for_us)
		STAT_INC(st, arp_neigh_updated);
	if (n && get_be16(a->op) == ARP_REPLY && memcmp(a->tha, dev->mac, 6) == 0) {
		nd6_neigh_set_lladdr(n, a->sha);
		nd6_neigh_set_state(n, NUD_REACHABLE);
		nd6_neigh_flush_queue(n);
	} else if (n || for_us) {
		nd6_neigh_from_slla(st, dev, &key, a->sha, false);
	}
}

/* The usable local address @tip that @dev answers for (arp_ignore 1: only its own). */
static bool answers_for(struct stack *st, struct netdev *dev, uint32_t tip)
{
	struct in4_ifaddr *ifa = inet4_lookup(st, tip);

	if (!usable(ifa))
		return false;
	return ip4_conf_of(dev)->arp_ignore == 0 || ifa->idev->dev == dev;
}

static void arp_process(struct stack *st, struct netdev *dev, const struct arp_hdr *a)
{
	uint16_t op = get_be16(a->op);
	uint32_t sip = ip4_get(a->spa), tip = ip4_get(a->tpa);
	bool for_us = answers_for(st, dev, tip);

	st->stats[op == ARP_REQUEST ? STAT_arp_rx_request : STAT_arp_rx_reply]++;
	if (own_conflict(st, dev, a))
		return;
	/* Only a request for us creates an entry: an unsolicited reply is not trusted that far. */
	if (sip != 0)
		arp_learn(st, dev, a, for_us && op == ARP_REQUEST);
	if (op != ARP_REQUEST)
		return;
	if (!for_us) {
		STAT_INC(st, arp_not_for_us);
		return;
	}
	STAT_INC(st, arp_tx_reply);
	arp_send(dev, ARP_REPLY, tip, a->sha, sip, a->sha);
}

int arp_input(struct stack *st, struct pkt *p)
{
	struct arp_hdr tmp;
	const struct arp_hdr *a = pkt_header(p, 0, sizeof(tmp), &tmp);
	struct netdev *dev = p->dev;

	STAT_INC(st, arp_rx);
	if (!dev || !dev->in4) {
		STAT_INC(st, arp_no_dev);
		goto drop;
	}
	if (!a) {
		STAT_INC(st, arp_truncated);
		goto drop;
	}
	for (size_t i = 0; i < ARRAY_SIZE(arp_checks); i++) {
		if (arp_checks[i].bad(dev, a)) {
			st->stats[arp_checks[i].stat]++;
			goto drop;
		}
	}
	arp_process(st, dev, a);
	pkt_free(p);
	return 0;
drop:
	pkt_free(p);
	return -EINVAL;
}
