/*
 * Mobile IPv6 (RFC 6275) on the XFRM-style framework. Three parts:
 *
 * 1. Data plane (mip6_dp*.c): the per-binding transforms the signalling
 *    installs, the way Linux's route-optimisation xfrm states and ip6tnl
 *    work for UMIP:
 *    - MIP6_DP_MN_RO (mobile node, route-optimised with a correspondent):
 *      a packet from the home address to the peer gets a Home Address
 *      option (RFC 6275 6.3) carrying the home address and leaves from the
 *      care-of address; a type 2 routing header (6.4) from the peer naming
 *      the home address is accepted.
 *    - MIP6_DP_CN (correspondent, binding cache entry): a packet to the home
 *      address is sent to the care-of address with a type 2 routing header
 *      carrying the home address; a Home Address option naming the home
 *      address from the care-of address is accepted (9.3.1).
 *    - MIP6_DP_MN_HA (mobile node's home registration): while away
 *      (coa != hoa) every packet with the home address as source that does
 *      not go route-optimised is tunnelled IPv6-in-IPv6 from the care-of
 *      address to the home agent (reverse tunnel, 11.3.1); IPv6-in-IPv6
 *      from the home agent to the care-of address is decapsulated; a type 2
 *      routing header naming the home address is accepted (also at home).
 *    - MIP6_DP_HA (home agent's binding cache entry): a packet to the home
 *      address (forwarded or local) is tunnelled from the home agent address
 *      (peer) to the care-of address (10.4.2); IPv6-in-IPv6 from the
 *      care-of address whose inner source is the home address is
 *      decapsulated and re-enters input (reverse tunnel, 10.4.5).
 *    Where they sit in the packet path:
 *    - ip6_output: after the header and upper-layer checksum are complete
 *      (checksum over the home address, 6.1.1/6.3) and after the netfilter
 *      OUTPUT/POSTROUTING hooks (conntrack and the filter see the home
 *      address, as they do on input once the HAO is swapped), before
 *      xfrm_output; a RH2's care-of destination is routed again:
 *      HAO/RH2 insertion (MN_RO, CN, or explicitly asked by ip6_tx.hao_coa /
 *      ip6_tx.rh2_coa). The SPD therefore sees the home address: the flow
 *      key (xfrm/flow.c) takes the source from a HAO and the destination
 *      from a RH2, and ESP/AH transport headers go after them (RFC 6275
 *      6.3/6.4 ordering, as xfrm_output already places them).
 *    - ip6_finish_output entry (after IPsec, before fragmentation): the
 *      MN_HA and HA tunnels, so an ESP tunnel-mode packet of the signalling
 *      (HoTI/HoT, endpoints home address <-> home agent) travels inside the
 *      IPv6-in-IPv6 tunnel like any other packet of the home address.
 *    - Input: a Destination Options HAO is swapped at once (upper layers
 *      and IPsec see the home address as source; the option then holds the
 *      care-of address; IP6_CB(p)->hao is its offset) and verified before
 *      upper-layer delivery: a binding must exist for (hoa, coa), unless the
 *      packet is a Binding Update; else dropped with a Binding Error status
 *      1 (rate limited). A RH2 with Segments Left 1 naming an accepted home
 *      address of this host swaps into the destination; any other RH2 is a
 *      counted drop. Next header 41 is offered to the tunnels first.
 *
 * 2. Signalling (mip6_core.c, mip6_input.c, mip6_ha.c, mip6_cn.c,
 *    mip6_mn*.c): the Mobility Header as upper-layer protocol 135, the home
 *    agent, correspondent and mobile node, each keeping its own binding
 *    cache or binding update list and calling the data plane.
 *
 * 3. Commands (cmd_mip6.c): `mip6 home-agent dev NAME`, `mip6 mobile-node
 *    home ADDR home-agent ADDR [dev NAME] [ro on|off]`, `mip6 correspondent
 *    on|off`, `mip6 binding show`.
 *
 * IPsec protection of the signalling (RFC 3776/4877, manual keys) is plain
 * SPD/SAD configuration (setkey): policies select by MH type (flow.c puts
 * it in sport), BU/BA under ESP transport between home address and home
 * agent, HoTI/HoT under ESP tunnel mode with endpoints home address <-> home
 * agent, carried inside the MN-HA tunnel.
 */
#ifndef USAGI_MIP6_MIP6_H
#define USAGI_MIP6_MIP6_H

#include <stdio.h>

#include "core/common.h"
#include "mip6/mh.h"

struct stack;
struct pkt;
struct netdev;
struct cmd_env;

/* RFC 6275 12 (protocol constants) and 13 (configuration defaults), ns. */
#define MIP6_SEC 1000000000ull
#define MIP6_INITIAL_BINDACK_TIMEOUT (1 * MIP6_SEC)
#define MIP6_INITIAL_BINDACK_TIMEOUT_FIRSTREG (3 * MIP6_SEC / 2)   /* 1.5 s */
#define MIP6_MAX_BINDACK_TIMEOUT (32 * MIP6_SEC)
#define MIP6_MAX_NONCE_LIFETIME (240 * MIP6_SEC)
#define MIP6_MAX_TOKEN_LIFETIME (210 * MIP6_SEC)
#define MIP6_MAX_RR_BINDING_LIFETIME (420 * MIP6_SEC)
#define MIP6_MAX_UPDATE_RATE 3          /* BUs per second to one node */
#define MIP6_SEQ_WINDOW 32768           /* 9.5.1: "less than" in modulo 2^16 */

/* ---- data plane (mip6_dp.c) ---- */

enum mip6_dp_kind { MIP6_DP_MN_RO, MIP6_DP_CN, MIP6_DP_MN_HA, MIP6_DP_HA, MIP6_DP_KINDS };

struct mip6_dp_binding {
	enum mip6_dp_kind kind;
	struct in6_addr hoa;        /* home address */
	struct in6_addr coa;        /* current care-of address (MN_HA: == hoa while at home) */
	/*
	 * MN_RO: the correspondent; MN_HA: the home agent; HA: this home agent's
	 * own address (tunnel source); CN: unused (::).
	 */
	struct in6_addr peer;
};

/*
 * Adds or replaces (same kind, hoa and, for MN_RO, peer) a binding the data
 * plane acts on. Creates st->mip6's data-plane table on first use.
 * 0, -ENOMEM, -EINVAL (unspecified/multicast addresses).
 */
int mip6_dp_add(struct stack *st, const struct mip6_dp_binding *b);
/* Removes it: 0 or -ENOENT. @peer is read for MN_RO only. */
int mip6_dp_del(struct stack *st, enum mip6_dp_kind kind, const struct in6_addr *hoa,
		const struct in6_addr *peer);
/* The binding of that key, or NULL. */
const struct mip6_dp_binding *mip6_dp_find(const struct stack *st, enum mip6_dp_kind kind,
					   const struct in6_addr *hoa, const struct in6_addr *peer);

/*
 * Octets the data plane adds to a local packet @src -> @dst (HAO or reverse
 * tunnel at a mobile node away from home, RH2 at a correspondent), for a
 * transport's MSS; 0 without a binding. Reads only.
 */
uint32_t mip6_output_overhead(const struct stack *st, const struct in6_addr *src,
			      const struct in6_addr *dst);
/*
 * The part of mip6_output_overhead that is a tunnel header (the mobile
 * node's reverse tunnel, 40; else 0): RFC 2473 7.1 counts it against the
 * first hop's link, not against a PMTU learnt for @dst. Reads only.
 */
uint32_t mip6_tunnel_overhead(const struct stack *st, const struct in6_addr *src,
			      const struct in6_addr *dst);

/*
 * ip6_output step (see above): @p is a complete local IPv6 packet at data
 * (upper-layer checksum filled); @hao_coa/@rh2_coa from the ip6_tx (may be
 * NULL). Inserts a HAO and/or RH2 as asked or as a binding says and
 * rewrites source/destination; *dst_changed is set when the destination
 * changed (the caller routes again). 0, or -ENOBUFS/-EMSGSIZE (counted;
 * @p untouched, the caller frees it).
 */
int mip6_output(struct stack *st, struct pkt *p, const struct in6_addr *hao_coa,
		const struct in6_addr *rh2_coa, bool *dst_changed);

/*
 * ip6_finish_output entry (and ip6_forward before neighbour output, for
 * what a home agent forwards): when @p (data = complete IPv6 header)
 * belongs in a MN_HA or HA tunnel, encapsulates it (traffic class and flow
 * label copied, hop limit the outer interface's default), routes the outer
 * destination and hands it to ip6_finish_output (not to the SPD again),
 * consuming @p, returning 0 or -errno. Returns 1 without touching @p when
 * no tunnel applies.
 */
int mip6_tunnel_output(struct stack *st, struct pkt *p);
/*
 * True when packets to @dst leave through this home agent's tunnel (HA
 * binding away from home): ip6_forward sends no Redirect for them (the
 * packet is not going back onto the link as it is).
 */
bool mip6_tunnel_dst(struct stack *st, const struct in6_addr *dst);

/*
 * The tunnel and HAO/RH2 input steps; see ipv6 exthdr.c and xfrm6_iptnl_input.
 * mip6_tunnel_input: IPv6-in-IPv6 (data = inner header, nh = outer) whose
 * addresses match a HA binding (outer coa -> peer, inner from the hoa) or
 * the MN_HA binding (outer peer -> coa, inner to the hoa) re-enters
 * ip6_input on the same device (0, @p consumed; a nested IPv6-in-IPv6 is a
 * counted drop); anything else: 1, @p untouched.
 */
int mip6_tunnel_input(struct stack *st, struct pkt **pp, uint8_t *nxt);  /* 1: not ours */
/*
 * mip6_hao_input: @opt_off is the offset from nh of the option's type octet
 * (the option fits its header); validates it (length 16, first HAO, unicast
 * home address), swaps the IPv6 source with it and sets IP6_CB(p)->hao.
 * mip6_rh2_input: @rh is a RH2 that exthdr_rt2_parse accepted, inside @p.
 */
int mip6_hao_input(struct stack *st, struct pkt *p, size_t opt_off);     /* 0 or -EINVAL (drop) */
int mip6_rh2_input(struct stack *st, struct pkt *p, uint8_t *rh);         /* 0 or -EINVAL (drop) */
/* Before upper-layer delivery of a packet that carried a HAO: may it go on? */
bool mip6_hao_allowed(struct stack *st, struct pkt *p, uint8_t upper_proto);

/* ---- signalling (mip6_core.c, mip6_input.c) ---- */

/* What the Mobility Header input knows about a received message. */
struct mip6_rx {
	struct in6_addr src;        /* IPv6 source after HAO processing (home address if a HAO came) */
	struct in6_addr dst;        /* final destination (home address if a RH2 came) */
	struct in6_addr coa;        /* care-of address: the HAO's (swapped) address, else src */
	bool had_hao, had_rh2;
	bool secured;               /* arrived under IPsec that passed the policy check */
	int iif;
	const uint8_t *mh;          /* the raw message (for the BU authenticator) */
	size_t mh_len;
};

/*
 * Upper-layer input for next header 135: parse (mh_parse), answer errors
 * (ICMPv6 Parameter Problem, Binding Error status 2), dispatch to the home
 * agent, correspondent and mobile node. Consumes @p.
 */
int mip6_mh_input(struct stack *st, struct pkt *p);

/*
 * Sends @m from @src to @dst; @hao_coa non-NULL: from that care-of address
 * with a HAO carrying @src; @rh2_coa non-NULL: to that care-of address with
 * a RH2 carrying @dst. The checksum covers @src/@dst. When @auth is given
 * and m->opt.has_auth, the Binding Authorization Data is computed before
 * sending with mip6_bu_auth(auth->kbm, auth->coa, auth->cn, ...) (a BU: coa
 * = the mobile node's care-of address, cn = the correspondent; a BA: the
 * same two addresses, RFC 6275 6.2.7). 0 or -errno (counted).
 */
struct mip6_auth_in {
	const uint8_t *kbm;         /* MIP6_KBM_LEN octets */
	struct in6_addr coa, cn;
};
int mip6_mh_send(struct stack *st, const struct mh_msg *m, const struct in6_addr *src,
		 const struct in6_addr *dst, const struct in6_addr *hao_coa,
		 const struct in6_addr *rh2_coa, const struct mip6_auth_in *auth);

/* Binding Error (RFC 6275 9.3.1/9.2) to @to about @home, rate limited. */
void mip6_send_be(struct stack *st, const struct in6_addr *to, const struct in6_addr *from,
		  uint8_t status, const struct in6_addr *home);

/* Stack layer: frees every role's state and the data plane (mip6_core.c). */
int mip6_init(struct stack *st);
void mip6_fini(struct stack *st);

/* ---- roles ---- */

/* Home agent (mip6_ha.c): serves the home link @dev. 0, -ENODEV, -EINVAL (no global address). */
int mip6_ha_enable(struct stack *st, struct netdev *dev);
void mip6_ha_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx);
/* Proxy ND (10.4.1): true when @target is a home address this HA defends on @dev. */
bool mip6_ha_proxies(struct stack *st, struct netdev *dev, const struct in6_addr *target);
/*
 * Hooks in nd6_input.c for targets that are not this host's addresses.
 * An NS (from @src, :: for a DAD probe; @slla its source link-layer option
 * or NULL) for a home address this HA registers or is running DAD for:
 * answered with a proxy NA (10.4.1) or taken as a DAD conflict (BA 134);
 * returns true (the NS is handled). An NA for such a target during DAD is
 * a conflict too.
 */
bool mip6_ha_ns_input(struct stack *st, struct netdev *dev, const struct in6_addr *target,
		      const struct in6_addr *src, const uint8_t *slla);
void mip6_ha_na_input(struct stack *st, struct netdev *dev, const struct in6_addr *target);
/* Largest lifetime granted (s, 4..262140; default 3600). 0, -ENOENT (no HA), -EINVAL. */
int mip6_ha_set_max_lifetime(struct stack *st, uint32_t secs);
void mip6_ha_fini(struct stack *st);

/* Correspondent (mip6_cn.c): return routability and route-optimisation bindings. */
int mip6_cn_enable(struct stack *st, bool on);
void mip6_cn_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx);
void mip6_cn_fini(struct stack *st);

/* Mobile node (mip6_mn*.c). */
struct mip6_mn_conf {
	struct in6_addr hoa, ha;
	struct netdev *dev;         /* the interface that moves; NULL: the first non-loopback one */
	unsigned home_plen;         /* home prefix length, default 64 */
	bool ro;                    /* return routability + route optimisation with correspondents */
	unsigned lifetime_s;        /* binding lifetime asked for (4 s units on the wire); 0: 420 */
};
/*
 * Starts the mobile node (RFC 6275 11): configures the home address on the
 * moving interface as an ordinary /home_plen address unless it is there,
 * and from then on follows Router Advertisements on that interface
 * (movement detection, care-of address, home registration, returning
 * home). Sets ms->mn_rx/mn_ra/mn_show. 0, -EEXIST (already a mobile node),
 * -ENODEV (no such/usable interface), -EINVAL (bad addresses), -ENOMEM.
 */
int mip6_mn_enable(struct stack *st, const struct mip6_mn_conf *c);
void mip6_mn_rx(struct stack *st, const struct mh_msg *m, const struct mip6_rx *rx);
void mip6_mn_fini(struct stack *st);
/*
 * Route optimisation with correspondent @cn (11.6, 11.7.2): runs return
 * routability and sends it a BU once the mobile node is away and its home
 * registration is accepted; redone on every movement and before the
 * binding expires. 0, -EPERM (not a mobile node, or ro off), -ENOSPC
 * (binding update list full), -EINVAL.
 */
int mip6_mn_ro_start(struct stack *st, const struct in6_addr *cn);
/*
 * For the data plane: the MN_HA tunnel delivered a packet whose inner
 * source is @src (RFC 6275 11.7.2: traffic from a correspondent that
 * arrives tunnelled through the home agent is the trigger for route
 * optimisation). With ro on, starts RO with @src (mip6_mn_ro_start);
 * otherwise nothing. Cheap when nothing is to be done. Reach it through
 * st->mip6->mn_tunnelled (mip6_priv.h, NULL unless a mobile node runs) to
 * keep the data plane free of a link dependency on the mobile node.
 */
void mip6_mn_tunnelled(struct stack *st, const struct in6_addr *src);

/*
 * `mip6 binding show`: every role's lines (home agent and correspondent
 * binding caches, mobile node binding update list) with lifetimes left and
 * sequence numbers, iproute2-like, one entry per line.
 */
void mip6_ha_show(struct stack *st, FILE *out);
void mip6_cn_show(struct stack *st, FILE *out);
void mip6_mn_show(struct stack *st, FILE *out);

/* Events for timelines (demo, tests): a one-line description each. NULL: none. */
typedef void (*mip6_event_fn)(void *ctx, struct stack *st, const char *what);
void mip6_set_event_fn(struct stack *st, mip6_event_fn fn, void *ctx);
/* Called by the roles: formats one event line, logs it (info, "mip6: LINE") and passes it to the listener. */
void mip6_event(struct stack *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
