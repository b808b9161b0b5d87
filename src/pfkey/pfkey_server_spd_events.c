/*
 * The SPD listener: what the SPD announces (policy_events.c) becomes
 * PF_KEY messages to every socket, as the SAD listener does for SAs:
 *   ADD/UPDATE   -> X_SPDADD / X_SPDUPDATE (or the running request's own
 *                   type: X_SPDSETIDX, an X_SPDUPDATE that added) with the
 *                   policy as the SPD holds it (id = its index, current
 *                   lifetime, limits);
 *   DELETE       -> X_SPDDELETE (X_SPDDELETE2 when that request ran) with
 *                   the deleted policy, its id included, as Linux does;
 *   FLUSH        -> X_SPDFLUSH;
 *   EXPIRE_SOFT/HARD -> X_SPDEXPIRE (KAME key_spdexpire): SRC, DST,
 *                   LIFETIME_CURRENT, the limit that ran out (HARD or
 *                   SOFT, only that one, as for SADB_EXPIRE), X_POLICY.
 *                   A hard expiry removes the policy without an
 *                   X_SPDDELETE. KAME sends it to registered sockets,
 *                   Linux not at all; usagi to every socket, like EXPIRE.
 * Changes made by a PF_KEY request carry its seq and pid and answer it
 * (req_answered); changes made elsewhere (`usagi ctl setkey`, `ipsec
 * policy flush`, a config file, a lifetime) carry seq 0 and pid 0.
 */
#include "pfkey/pfkey_server_priv.h"

static bool is_spd_change(uint8_t type)
{
	return type == SADB_X_SPDADD || type == SADB_X_SPDUPDATE || type == SADB_X_SPDSETIDX ||
	       type == SADB_X_SPDDELETE || type == SADB_X_SPDDELETE2 || type == SADB_X_SPDFLUSH;
}

/* The running request when it is an SPD change (the one this event answers), else NULL. */
static const struct sadb_msg *spd_req(const struct pfkey_server *srv)
{
	return srv->req && is_spd_change(srv->req->sadb_msg_type) ? srv->req : NULL;
}

static uint8_t change_type(const struct sadb_msg *req, enum xfrm_spd_event_type ev)
{
	if (ev == XFRM_SPD_EV_FLUSH)
		return SADB_X_SPDFLUSH;
	if (ev == XFRM_SPD_EV_DELETE)
		return req && req->sadb_msg_type == SADB_X_SPDDELETE2 ? SADB_X_SPDDELETE2 :
		       SADB_X_SPDDELETE;
	if (req && req->sadb_msg_type != SADB_X_SPDDELETE && req->sadb_msg_type != SADB_X_SPDDELETE2 &&
	    req->sadb_msg_type != SADB_X_SPDFLUSH)
		return req->sadb_msg_type;
	return ev == XFRM_SPD_EV_UPDATE ? SADB_X_SPDUPDATE : SADB_X_SPDADD;
}

static void send_change(struct pfkey_server *srv, const struct xfrm_spd_event *ev)
{
	const struct sadb_msg *req = spd_req(srv);
	struct pfkey_buf b;

	pfkey_buf_init(&b, change_type(req, ev->type), SADB_SATYPE_UNSPEC, req ? req->sadb_msg_seq : 0,
		       req ? req->sadb_msg_pid : 0);
	if (ev->pol && pfkey_add_policy_state(&b, ev->pol, srv->st->epoch_ns) < 0) {
		STAT_INC(srv->st, pfkey_build_failed);
	} else if (pfkey_deliver(srv, &b, PFKEY_TO_ALL, NULL, 0) == 0 && req) {
		srv->req_answered = true;
	}
	pfkey_buf_free(&b);
}

/* KAME key_spdexpire: <base, address(SD), lifetime(C and the one that ran out), policy>. */
static void send_expire(struct pfkey_server *srv, const struct xfrm_spd_event *ev)
{
	const struct xfrm_policy *p = ev->pol;
	const struct xfrm_policy_lifetime *l = &p->lft;
	bool hard = ev->type == XFRM_SPD_EV_EXPIRE_HARD;
	struct pfkey_buf b;

	pfkey_buf_init(&b, SADB_X_SPDEXPIRE, SADB_SATYPE_UNSPEC, 0, 0);
	if (pfkey_add_policy(&b, p) < 0) {
		STAT_INC(srv->st, pfkey_build_failed);
		pfkey_buf_free(&b);
		return;
	}
	pfkey_add_policy_current(&b, p, srv->st->epoch_ns);
	if (hard)
		pfkey_add_lifetime(&b, SADB_EXT_LIFETIME_HARD, 0, 0, l->hard_add_s, l->hard_use_s);
	else
		pfkey_add_lifetime(&b, SADB_EXT_LIFETIME_SOFT, 0, 0, l->soft_add_s, l->soft_use_s);
	if (pfkey_deliver(srv, &b, PFKEY_TO_ALL, NULL, 0) == 0)
		STAT_INC(srv->st, pfkey_spdexpire_sent);
	pfkey_buf_free(&b);
}

void pfkey_spd_event(struct stack *st, const struct xfrm_spd_event *ev, void *ctx)
{
	struct pfkey_server *srv = ctx;

	switch (ev->type) {
	case XFRM_SPD_EV_ADD:
	case XFRM_SPD_EV_UPDATE:
	case XFRM_SPD_EV_DELETE:
	case XFRM_SPD_EV_FLUSH:
		send_change(srv, ev);
		break;
	case XFRM_SPD_EV_EXPIRE_SOFT:
	case XFRM_SPD_EV_EXPIRE_HARD:
		send_expire(srv, ev);
		break;
	}
}
