/*
 * PF_KEY policy messages (KAME's SPD extensions, as Linux serves them):
 * X_SPDADD, X_SPDUPDATE, X_SPDSETIDX, X_SPDDELETE, X_SPDDELETE2,
 * X_SPDGET, X_SPDFLUSH. Changes to the SPD are broadcast by the SPD
 * listener (pfkey_server_spd_events.c) with the request's type, seq and
 * pid, so a change through PF_KEY and one through `usagi ctl setkey`
 * look the same to a monitor; lookups answer the sender alone. X_SPDDUMP
 * is in pfkey_server_dump.c.
 */
#include "pfkey/pfkey_server_priv.h"

static int to_policy(struct pfkey_sock *s, const struct pfkey_msg *m, struct xfrm_policy *pol)
{
	const char *why = NULL;
	int rc = pfkey_to_policy(m, pol, &why);

	if (rc < 0)
		log_debug(s->srv->st, "pfkey: %s refused: %s", pfkey_msg_type_name(m->hdr->sadb_msg_type),
			  why ? why : "invalid");
	return rc;
}

/* The request's header with policy @pol as the SPD holds it, to the sender or to all. */
static int send_policy(struct pfkey_sock *s, const struct pfkey_msg *m, const struct xfrm_policy *pol,
		       enum pfkey_to to)
{
	struct pfkey_buf b;
	int rc;

	pfkey_buf_reply(&b, m->hdr, 0);
	if ((rc = pfkey_add_policy_state(&b, pol, s->srv->st->epoch_ns)) == 0)
		rc = pfkey_deliver(s->srv, &b, to, s, 0);
	pfkey_buf_free(&b);
	return rc;
}

/*
 * A change the SPD listener could not announce (its message could not be
 * built): the sender still learns that it happened, from the request's
 * header alone, and so does every other socket.
 */
static int ensure_answered(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct pfkey_buf b;
	int rc;

	if (s->srv->req_answered)
		return 0;
	pfkey_buf_reply(&b, m->hdr, 0);
	rc = pfkey_deliver(s->srv, &b, PFKEY_TO_ALL, s, 0);
	pfkey_buf_free(&b);
	return rc;
}

/*
 * X_SPDADD: a new policy (EEXIST if one has the same selector and
 * direction). X_SPDUPDATE: replaces that one's action, priority,
 * templates and lifetimes, or adds. X_SPDSETIDX: KAME's "set the policy
 * of this index", the index being the selector and direction: exactly
 * X_SPDADD (EEXIST when one exists), as both KAME's key_spdadd and Linux
 * serve it; the broadcast keeps the type X_SPDSETIDX (KAME; Linux says
 * X_SPDADD). Any policy id in the request is ignored: the SPD assigns
 * it, and the broadcast tells it. LIFETIME_HARD/_SOFT give the policy
 * lifetimes (X_SPDEXPIRE when they run out).
 */
int pfkey_h_spdadd(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	int flags = m->hdr->sadb_msg_type == SADB_X_SPDUPDATE ? XFRM_POLICY_F_UPDATE : 0;
	struct xfrm_policy pol, *out;
	int rc;

	if ((rc = to_policy(s, m, &pol)) < 0)
		return rc;
	rc = xfrm_policy_add(s->srv->st, &pol, flags, &out);
	if (rc < 0)
		return rc;
	return s->srv->req_answered ? 0 : send_policy(s, m, out, PFKEY_TO_ALL);
}

/* X_SPDDELETE: by selector and direction; the broadcast carries the policy as it was (with its id). */
int pfkey_h_spddelete(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_policy pol;
	int rc;

	if ((rc = to_policy(s, m, &pol)) < 0)
		return rc;
	if ((rc = xfrm_policy_delete(s->srv->st, &pol.sel, pol.dir)) < 0)
		return rc;
	return ensure_answered(s, m);
}

/* The policy named by the request's X_POLICY id, or -ENOENT. */
static int by_id(struct pfkey_sock *s, const struct pfkey_msg *m, struct xfrm_policy **out)
{
	const struct sadb_x_policy *xp = PFKEY_EXT(m, SADB_X_EXT_POLICY, sadb_x_policy);

	if (!xp)
		return -EINVAL;
	*out = xfrm_policy_get(s->srv->st, xp->sadb_x_policy_id);
	return *out ? 0 : -ENOENT;
}

/* X_SPDDELETE2: by id; the broadcast carries the policy as it was. */
int pfkey_h_spddelete2(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_policy *p;
	int rc;

	if ((rc = by_id(s, m, &p)) < 0)
		return rc;
	xfrm_policy_delete_index(s->srv->st, p->index);
	return ensure_answered(s, m);
}

/* X_SPDGET: by id, to the sender, with its current lifetime. */
int pfkey_h_spdget(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_policy *p;
	int rc = by_id(s, m, &p);

	return rc < 0 ? rc : send_policy(s, m, p, PFKEY_TO_ONE);
}

/* X_SPDFLUSH: every policy; the SPD listener broadcasts it. */
int pfkey_h_spdflush(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	xfrm_policy_flush(s->srv->st);
	return ensure_answered(s, m);
}
