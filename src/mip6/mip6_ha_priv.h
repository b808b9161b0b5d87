/*
 * Home agent internals shared by mip6_ha.c (registrations) and
 * mip6_ha_nd.c (DAD and proxy Neighbor Discovery on the home link).
 */
#ifndef USAGI_MIP6_MIP6_HA_PRIV_H
#define USAGI_MIP6_MIP6_HA_PRIV_H

#include "core/timer.h"
#include "mip6/mip6_priv.h"

#define MIP6_HA_MAX_BINDINGS 1024
#define MIP6_HA_DEFAULT_MAX_LIFETIME 3600   /* s; `mip6 home-agent ... max-lifetime S` */

enum { BCE_DAD, BCE_REGISTERED };

/* One binding cache entry (10.1): a home registration. */
struct ha_bce {
	struct dlist node;          /* mip6_ha.bces */
	struct in6_addr hoa, coa;
	struct in6_addr ha_addr;    /* our address the BU went to: BA source, tunnel source */
	struct in6_addr ba_to;      /* source of the last BU: where BAs go */
	uint16_t seq;               /* last accepted (or, during DAD, pending) sequence number */
	uint8_t flags;              /* BU flags */
	uint8_t state;              /* BCE_DAD, BCE_REGISTERED */
	bool secured;               /* registered under IPsec */
	bool ll;                    /* L: also defends fe80::<home address's interface id> */
	bool joined;                /* member of the home address's solicited-node group */
	uint32_t lifetime_s;        /* granted */
	uint64_t expires;           /* ns, while registered */
	struct timer timer;         /* DAD wait, then expiry */
};

struct mip6_ha {
	int ifindex;                /* the home link (by index: the device may go away) */
	uint32_t max_lifetime_s;
	unsigned count;
	struct dlist bces;          /* struct ha_bce; a list: a home link serves few mobile nodes */
};

struct netdev;

struct mip6_ha *mip6_ha_of(const struct stack *st);
struct ha_bce *mip6_ha_find(struct mip6_ha *ha, const struct in6_addr *hoa);
/* Unlinks and frees @b: data-plane binding, group membership, timer. */
void mip6_ha_bce_free(struct stack *st, struct mip6_ha *ha, struct ha_bce *b);
/* BA with @status for @b's pending or current registration. */
void mip6_ha_reply_bce(struct stack *st, const struct ha_bce *b, uint8_t status);
/* Data-plane binding, proxy ND, BA 0; on failure BA 130 and @b freed. */
void mip6_ha_activate(struct stack *st, struct mip6_ha *ha, struct ha_bce *b);

/*
 * mip6_ha_nd.c. Starts DAD for @b's home address (and link-local with L)
 * and arms b->timer for the wait: 0, or -EAGAIN when DAD is off on the
 * home link (dad_transmits 0), so the caller activates at once.
 */
int mip6_ha_dad_start(struct stack *st, struct netdev *dev, struct ha_bce *b);
/* Joins the solicited-node group and multicasts the unsolicited NAs (10.4.1). */
void mip6_ha_proxy_start(struct stack *st, struct mip6_ha *ha, struct ha_bce *b);

#endif
