/*
 * Home agent (RFC 6275 10): the binding cache of home registrations on one
 * home link, the checks of 10.3.1 and their Binding Acknowledgement status
 * codes, DAD for a first registration, deregistration (10.3.2), expiry,
 * and the data-plane binding (MIP6_DP_HA) that tunnels the home address's
 * packets to the care-of address. Proxy Neighbor Discovery for registered
 * home addresses is in mip6_ha_nd.c.
 *
 * Rules this home agent applies beyond the RFC's letter (docs/mip6.md):
 * - IPsec (5.1, RFC 3776/4877): a BU that did not arrive under IPsec is
 *   dropped when an inbound policy covers it (home address -> home agent,
 *   MH type BU) and otherwise accepted and counted as unprotected.
 * - A binding registered under IPsec is only changed under IPsec: an
 *   unprotected BU for it gets 129 (no downgrade). Which SA may speak for
 *   which home address is the SPD's job (one reqid per mobile node).
 * - Lifetime: at most the remaining valid lifetime of the home prefix's
 *   address on the home link and the configured maximum (3600 s default).
 * - A BU for a home address whose DAD is still running is dropped (the
 *   mobile node retransmits after 1.5 s; DAD takes RetransTimer, 1 s).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "link/netdev.h"
#include "mip6/mip6_ha_priv.h"
#include "mip6/mip6_sig.h"
#include "proto/ip6.h"
#include "xfrm/policy.h"

/* What one home registration BU asks for (10.3.1). */
struct bu_req {
	struct in6_addr hoa, coa;   /* coa: Alternate Care-of Address if given, else the source */
	struct in6_addr to;         /* where the BA goes: the BU's packet source (9.5.4) */
	struct in6_addr ha_addr;    /* the address the BU was sent to */
	uint16_t seq, lifetime;     /* lifetime in 4-second units */
	uint8_t flags;
	bool dereg, secured;
};

struct mip6_ha *mip6_ha_of(const struct stack *st)
{
	return st->mip6 ? st->mip6->ha : NULL;
}

struct ha_bce *mip6_ha_find(struct mip6_ha *ha, const struct in6_addr *hoa)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &ha->bces) {
		struct ha_bce *b = dlist_entry(pos, struct ha_bce, node);

		if (in6_equal(&b->hoa, hoa))
			return b;
	}
	return NULL;
}

bool mip6_ha_has_binding(const struct stack *st, const struct in6_addr *hoa)
{
	struct mip6_ha *ha = mip6_ha_of(st);

	return ha && mip6_ha_find(ha, hoa);
}

void mip6_ha_bce_free(struct stack *st, struct mip6_ha *ha, struct ha_bce *b)
{
	struct netdev *dev = netdev_by_index(st, ha->ifindex);

	stack_timer_cancel(st, &b->timer);
	if (b->state == BCE_REGISTERED)
		mip6_dp_del(st, MIP6_DP_HA, &b->hoa, NULL);
	if (b->joined && dev) {
		struct in6_addr snm;

		in6_solicited_node(&snm, &b->hoa);
		mld6_leave(dev, &snm);
	}
	dlist_del(&b->node);
	ha->count--;
	free(b);
}

static void reply(struct stack *st, const struct bu_req *r, uint8_t status, uint16_t seq,
		  uint16_t lifetime)
{
	mip6_send_ba(st, &r->ha_addr, &r->hoa, &r->to, status, seq, lifetime, NULL);
}

void mip6_ha_reply_bce(struct stack *st, const struct ha_bce *b, uint8_t status)
{
	mip6_send_ba(st, &b->ha_addr, &b->hoa, &b->ba_to, status, b->seq,
		     status < MH_BA_UNSPECIFIED ? (uint16_t)(b->lifetime_s / 4) : 0, NULL);
}

/* RFC 3776 4.1: does an inbound policy ask for IPsec on this BU (home address -> HA, MH BU)? */
static bool bu_policy_covers(struct stack *st, const struct mip6_rx *rx)
{
	struct xfrm_flow fl = {
		.src = rx->src, .dst = rx->dst, .proto = NH_MH, .sport = MH_BU,
		.family = AF_INET6, .ifindex = rx->iif,
	};
	const struct xfrm_policy *pol;

	if (!st->xfrm_npol[XFRM_DIR_IN])
		return false;
	pol = xfrm_policy_lookup(st, XFRM_DIR_IN, &fl);
	return pol && pol->action == XFRM_ACT_IPSEC;
}

/* 9.5.1 tests whose failure means a silent discard. 0 or -errno (counted). */
static int bu_req_get(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx,
		      struct bu_req *r)
{
	memset(r, 0, sizeof(*r));
	r->hoa = rx->src;
	r->to = rx->coa;
	r->ha_addr = rx->dst;
	r->coa = m->opt.has_altcoa ? m->opt.altcoa : rx->coa;
	r->seq = m->bu.seq;
	r->flags = m->bu.flags;
	r->lifetime = m->bu.lifetime;
	r->dereg = r->lifetime == 0 || in6_equal(&r->coa, &r->hoa);
	r->secured = rx->secured;
	if (!mip6_addr_routable(&r->hoa) || (!r->dereg && !mip6_addr_routable(&r->coa)) ||
	    in6_is_multicast(&rx->dst)) {
		STAT_INC(st, mip6_ha_bu_bad_addr);
		return -EINVAL;
	}
	if (m->opt.has_nonce) {
		STAT_INC(st, mip6_ha_bu_nonce);   /* 9.5.1: MUST NOT be present with H */
		return -EINVAL;
	}
	if (!r->secured) {
		if (bu_policy_covers(st, rx)) {
			STAT_INC(st, mip6_ha_bu_insecure);
			return -EPERM;
		}
		STAT_INC(st, mip6_ha_bu_unprotected);
	}
	return 0;
}

struct prefix_scan {
	const struct in6_addr *hoa;
	bool on_link, own;
	uint64_t valid_until;       /* latest among the matching prefixes' addresses */
};

static void prefix_one(void *ctx, const struct inet6_ifaddr *ifa)
{
	struct prefix_scan *s = ctx;

	if (in6_is_linklocal(&ifa->addr) || !addrconf_ifa_usable(ifa))
		return;
	if (in6_equal(&ifa->addr, s->hoa))
		s->own = true;
	if (!in6_prefix_match(&ifa->addr, s->hoa, ifa->plen))
		return;
	s->on_link = true;
	if (ifa->valid_until > s->valid_until)
		s->valid_until = ifa->valid_until;
}

/*
 * 10.3.1: the home address must be on the home link's prefixes; the
 * binding lives no longer than the prefix (*cap_s, seconds). 0 on-link,
 * MH_BA_* status otherwise.
 */
static int home_prefix(struct stack *st, struct mip6_ha *ha, struct netdev *dev,
		       const struct in6_addr *hoa, uint32_t *cap_s)
{
	struct prefix_scan s = { .hoa = hoa };
	uint64_t left;

	addrconf_foreach(dev, prefix_one, &s);
	if (s.own) {
		STAT_INC(st, mip6_ha_bu_own_addr);
		return MH_BA_PROHIBITED;
	}
	if (!s.on_link) {
		STAT_INC(st, mip6_ha_bu_not_home_subnet);
		return MH_BA_NOT_HOME_SUBNET;
	}
	*cap_s = ha->max_lifetime_s;
	if (s.valid_until != LIFETIME_INFINITE) {
		left = s.valid_until > st->now ? (s.valid_until - st->now) / NS_PER_SEC : 0;
		if (left < *cap_s)
			*cap_s = (uint32_t)left;
	}
	return 0;
}

static void arm_expiry(struct stack *st, struct ha_bce *b)
{
	b->expires = st->now + (uint64_t)b->lifetime_s * NS_PER_SEC;
	timer_arm(&st->timers, &b->timer, b->expires);
}

/* The binding goes live: tunnel, proxy ND, BA 0 (10.3.1, 10.4.1). */
void mip6_ha_activate(struct stack *st, struct mip6_ha *ha, struct ha_bce *b)
{
	struct mip6_dp_binding dp = { .kind = MIP6_DP_HA, .hoa = b->hoa, .coa = b->coa,
				      .peer = b->ha_addr };
	char h[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN];
	bool fresh = b->state != BCE_REGISTERED;

	if (mip6_dp_add(st, &dp) < 0) {
		STAT_INC(st, mip6_ha_dp_fail);
		mip6_ha_reply_bce(st, b, MH_BA_RESOURCES);
		mip6_ha_bce_free(st, ha, b);
		return;
	}
	b->state = BCE_REGISTERED;
	if (fresh)
		mip6_ha_proxy_start(st, ha, b);
	arm_expiry(st, b);
	STAT_INC(st, mip6_ha_bu_accepted);
	mip6_event(st, "HA: home registration hoa %s coa %s seq %u lifetime %u",
		   in6_ntop(&b->hoa, h), in6_ntop(&b->coa, c), b->seq, b->lifetime_s);
	mip6_ha_reply_bce(st, b, MH_BA_ACCEPTED);
}

static void bce_timer(struct stack *st, struct timer *t)
{
	struct ha_bce *b = container_of(t, struct ha_bce, timer);
	struct mip6_ha *ha = mip6_ha_of(st);
	char h[INET6_ADDRSTRLEN];

	if (!ha)
		return;
	if (b->state == BCE_DAD) {
		mip6_ha_activate(st, ha, b);     /* RetransTimer passed without an answer */
		return;
	}
	STAT_INC(st, mip6_ha_expired);
	mip6_event(st, "HA: binding for %s expired", in6_ntop(&b->hoa, h));
	mip6_ha_bce_free(st, ha, b);
}

static void bce_set(struct ha_bce *b, const struct bu_req *r, uint16_t units)
{
	b->coa = r->coa;
	b->ba_to = r->to;
	b->ha_addr = r->ha_addr;
	b->seq = r->seq;
	b->flags = r->flags;
	b->secured = r->secured;
	b->ll = (r->flags & MH_BU_L) != 0;
	b->lifetime_s = (uint32_t)units * 4;
}

/* First registration: DAD on the home link, then activation (10.3.1). */
static void bce_new(struct stack *st, struct mip6_ha *ha, struct netdev *dev,
		    const struct bu_req *r, uint16_t units)
{
	struct ha_bce *b;

	if (ha->count >= MIP6_HA_MAX_BINDINGS || !(b = calloc(1, sizeof(*b)))) {
		STAT_INC(st, mip6_ha_bu_full);
		reply(st, r, MH_BA_RESOURCES, r->seq, 0);
		return;
	}
	b->hoa = r->hoa;
	bce_set(b, r, units);
	timer_init(&b->timer, bce_timer);
	dlist_add_tail(&ha->bces, &b->node);
	ha->count++;
	b->state = BCE_DAD;
	if (mip6_ha_dad_start(st, dev, b) == 0)
		return;
	mip6_ha_activate(st, ha, b);
}

/* 10.3.2: the mobile node is home or gives up the binding. */
static void bce_dereg(struct stack *st, struct mip6_ha *ha, struct ha_bce *b,
		      const struct bu_req *r)
{
	char h[INET6_ADDRSTRLEN];

	STAT_INC(st, mip6_ha_bu_dereg);
	mip6_event(st, "HA: deregistration of %s seq %u", in6_ntop(&r->hoa, h), r->seq);
	/* First: a BA to a home address at home must not enter the tunnel. */
	mip6_ha_bce_free(st, ha, b);
	reply(st, r, MH_BA_ACCEPTED, r->seq, 0);
}

/* A registered binding moves to a new care-of address or is refreshed. */
static void bce_update(struct stack *st, struct mip6_ha *ha, struct ha_bce *b,
		       const struct bu_req *r, uint16_t units)
{
	bce_set(b, r, units);
	mip6_ha_activate(st, ha, b);
}

/* The checks of 10.3.1 in order; each failure answers with its status. */
static void ha_bu(struct stack *st, struct mip6_ha *ha, const struct bu_req *r)
{
	struct netdev *dev = netdev_by_index(st, ha->ifindex);
	struct ha_bce *b = mip6_ha_find(ha, &r->hoa);
	uint32_t cap_s = 0;
	uint16_t units;
	int status;

	if (!dev) {
		STAT_INC(st, mip6_ha_no_dev);
		reply(st, r, MH_BA_NOT_HOME_SUBNET, r->seq, 0);
		return;
	}
	status = home_prefix(st, ha, dev, &r->hoa, &cap_s);
	if (status) {
		reply(st, r, (uint8_t)status, r->seq, 0);
		return;
	}
	if (mip6_cn_has_binding(st, &r->hoa)) {
		STAT_INC(st, mip6_ha_bu_reg_type);
		reply(st, r, MH_BA_REG_TYPE_CHANGE, r->seq, 0);
		return;
	}
	if (b && b->state == BCE_DAD) {
		STAT_INC(st, mip6_ha_bu_dad_busy);
		return;
	}
	if (b && b->secured && !r->secured) {
		STAT_INC(st, mip6_ha_bu_downgrade);
		reply(st, r, MH_BA_PROHIBITED, r->seq, 0);
		return;
	}
	if (b && !mip6_seq_newer(r->seq, b->seq)) {
		/* 9.5.1: the BA carries the last accepted sequence number. */
		STAT_INC(st, mip6_ha_bu_seq);
		reply(st, r, MH_BA_SEQ_OUT_OF_WINDOW, b->seq, 0);
		return;
	}
	if (r->dereg) {
		if (b) {
			bce_dereg(st, ha, b, r);
		} else {
			STAT_INC(st, mip6_ha_bu_not_ha);
			reply(st, r, MH_BA_NOT_HOME_AGENT, r->seq, 0);
		}
		return;
	}
	units = (uint16_t)MIN((uint32_t)r->lifetime, cap_s / 4);
	if (b)
		bce_update(st, ha, b, r, units);
	else
		bce_new(st, ha, dev, r, units);
}

void mip6_ha_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx)
{
	struct mip6_ha *ha = mip6_ha_of(st);
	struct bu_req r;

	if (!ha || m->type != MH_BU || !(m->bu.flags & MH_BU_H)) {
		STAT_INC(st, mip6_ha_ignored);
		return;
	}
	STAT_INC(st, mip6_ha_bu);
	if (bu_req_get(st, m, rx, &r) < 0)
		return;
	ha_bu(st, ha, &r);
}

/* 10.3.1 needs a prefix to serve: some address of the home link that is not link-local. */
static bool has_global(struct netdev *dev)
{
	for (struct dlist *pos = dev->in6->addrs.next; pos != &dev->in6->addrs; pos = pos->next) {
		const struct inet6_ifaddr *ifa = dlist_entry(pos, struct inet6_ifaddr, node);

		if (!in6_is_linklocal(&ifa->addr))
			return true;
	}
	return false;
}

int mip6_ha_enable(struct stack *st, struct netdev *dev)
{
	struct mip6_state *ms;
	struct mip6_ha *ha;

	if (!dev || !dev->in6)
		return -ENODEV;
	if (!has_global(dev))
		return -EINVAL;
	ms = mip6_state_get(st);
	if (!ms)
		return -ENOMEM;
	ha = ms->ha;
	if (ha && ha->ifindex != dev->ifindex && ha->count)
		return -EBUSY;
	if (!ha) {
		ha = calloc(1, sizeof(*ha));
		if (!ha) {
			STAT_INC(st, mip6_nomem);
			return -ENOMEM;
		}
		dlist_init(&ha->bces);
		ha->max_lifetime_s = MIP6_HA_DEFAULT_MAX_LIFETIME;
		ms->ha = ha;
		ms->part_fini[MIP6_PART_HA] = mip6_ha_fini;
	}
	ha->ifindex = dev->ifindex;
	mip6_event(st, "HA: serving home link %s", dev->name);
	return 0;
}

int mip6_ha_set_max_lifetime(struct stack *st, uint32_t secs)
{
	struct mip6_ha *ha = mip6_ha_of(st);

	if (!ha)
		return -ENOENT;
	if (secs < 4 || secs > 0xffffu * 4)
		return -EINVAL;
	ha->max_lifetime_s = secs;
	return 0;
}

void mip6_ha_fini(struct stack *st)
{
	struct mip6_ha *ha = mip6_ha_of(st);
	struct dlist *pos, *tmp;

	if (!ha)
		return;
	dlist_for_each_safe(pos, tmp, &ha->bces)
		mip6_ha_bce_free(st, ha, dlist_entry(pos, struct ha_bce, node));
	free(ha);
	st->mip6->ha = NULL;
	st->mip6->part_fini[MIP6_PART_HA] = NULL;
}

void mip6_ha_show(struct stack *st, FILE *out)
{
	struct mip6_ha *ha = mip6_ha_of(st);
	struct dlist *pos, *tmp;

	if (!ha)
		return;
	dlist_for_each_safe(pos, tmp, &ha->bces) {
		const struct ha_bce *b = dlist_entry(pos, struct ha_bce, node);
		char h[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN];
		uint64_t left = b->lifetime_s;

		if (b->state == BCE_REGISTERED)
			left = b->expires > st->now ? (b->expires - st->now) / NS_PER_SEC : 0;
		fprintf(out, "hoa %s coa %s ha %s lifetime %llu/%u seq %u state %s\n",
			in6_ntop(&b->hoa, h), in6_ntop(&b->coa, c), in6_ntop(&b->ha_addr, a),
			(unsigned long long)left, b->lifetime_s, b->seq,
			b->state == BCE_REGISTERED ? "home-registration" : "dad");
	}
}
