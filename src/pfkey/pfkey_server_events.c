/*
 * The SAD listener: what the SAD announces becomes PF_KEY messages.
 *   ACQUIRE        -> SADB_ACQUIRE to the sockets registered for the SA
 *                     type (RFC 2367 3.1.6): addresses, the policy's id
 *                     (X_POLICY, as racoon needs it), X_SA2 (mode, reqid)
 *                     and a proposal of every combination the node
 *                     implements (templates name no algorithms);
 *   EXPIRE_SOFT/HARD -> SADB_EXPIRE to every socket (RFC 2367 3.1.8: "to
 *                     all key socket listeners"; KAME and Linux send it
 *                     to registered sockets only), with the current
 *                     lifetime and the one that ran out, only that one,
 *                     since daemons tell soft from hard by which is there;
 *   ADD/UPDATE/DELETE -> the message of that name, to every socket, without
 *                     keys (RFC 2367 3.1.2-3.1.4), with the running
 *                     request's seq and pid or 0s for changes from
 *                     elsewhere (`usagi ctl setkey`, lifetimes);
 *   FLUSH          -> SADB_FLUSH to every socket.
 * Listeners must not change the SAD: these only build and deliver.
 */
#include "pfkey/pfkey_server_priv.h"
#include "pfkey/pfkey_server_util.h"

/* The window a daemon is asked to negotiate (KAME's and Linux's default, in packets). */
#define ACQUIRE_REPLAY 32
#define DELETE_EXTS (PFKEY_EXT_BIT(SADB_EXT_SA) | PFKEY_EXT_BIT(SADB_EXT_ADDRESS_SRC) | \
		     PFKEY_EXT_BIT(SADB_EXT_ADDRESS_DST) | PFKEY_EXT_BIT(SADB_X_EXT_SA2))

static uint8_t policy_dir(const struct xfrm_policy *p)
{
	return pfkey_dir_from_xfrm(p ? p->dir : XFRM_DIR_OUT);
}

static void send_acquire(struct pfkey_server *srv, const struct xfrm_event *ev)
{
	const struct xfrm_resolved *t = ev->tmpl;
	const struct xfrm_state *x = ev->x;
	uint8_t satype = pfkey_proto_to_satype(t->proto);
	const struct xfrm_policy *pol = x->policy_index ? xfrm_policy_get(srv->st, x->policy_index) : NULL;
	struct pfkey_buf b;
	bool heard = false;

	for (struct dlist *p = srv->socks.next; p != &srv->socks; p = p->next)
		heard |= (dlist_entry(p, struct pfkey_sock, node)->registered & (1u << satype)) != 0;
	if (!heard) {
		STAT_INC(srv->st, pfkey_acquire_unheard);
		if (!srv->npromisc)
			return;
	}
	pfkey_buf_init(&b, SADB_ACQUIRE, satype, x->km_seq, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &t->saddr, t->family, 0, 0xff, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &t->daddr, t->family, 0, 0xff, 0);
	pfkey_add_sa2(&b, pfkey_mode_from_xfrm(t->mode), t->reqid);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, policy_dir(pol), x->policy_index,
			    pol ? pol->priority : 0);
	pfkey_add_proposal(&b, satype, ACQUIRE_REPLAY, NULL);
	if (pfkey_deliver(srv, &b, PFKEY_TO_REGISTERED, NULL, satype) == 0 && heard)
		STAT_INC(srv->st, pfkey_acquire_sent);
	pfkey_buf_free(&b);
}

/* The HARD or SOFT lifetime extension of @x's limits. */
static void add_limit(struct pfkey_buf *b, const struct xfrm_state *x, bool hard)
{
	const struct xfrm_lifetime *l = &x->c.lft;

	if (hard)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, (uint32_t)MIN(l->hard_packets, UINT32_MAX),
				   l->hard_bytes, l->hard_add_s, l->hard_use_s);
	else
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, (uint32_t)MIN(l->soft_packets, UINT32_MAX),
				   l->soft_bytes, l->soft_add_s, l->soft_use_s);
}

/* RFC 2367 3.1.8: <base, SA, lifetime(C and one of HS), address(SD)>. */
static void send_expire(struct pfkey_server *srv, const struct xfrm_event *ev)
{
	const struct xfrm_state *x = ev->x;
	uint64_t rest = ~(PFKEY_EXT_BIT(SADB_EXT_LIFETIME_SOFT + 1) - 1);   /* types above SOFT */
	struct pfkey_buf full, b;
	struct pfkey_msg m;

	/* The SA as a whole message first, then all of it but the limit that did not run out. */
	pfkey_buf_init(&full, SADB_EXPIRE, pfkey_proto_to_satype(x->c.id.proto), 0, 0);
	pfkey_add_state(&full, x, false, srv->st->epoch_ns);
	if (pfkey_buf_finish(&full) < 0 || pfkey_parse(full.data, full.len, &m) < 0) {
		STAT_INC(srv->st, pfkey_build_failed);
		pfkey_buf_free(&full);
		return;
	}
	/* In type order: SA, CURRENT, the limit, then addresses and the rest. */
	pfkey_buf_init(&b, SADB_EXPIRE, pfkey_proto_to_satype(x->c.id.proto), 0, 0);
	pfkey_copy_exts(&b, &m, PFKEY_EXT_BIT(SADB_EXT_SA) | PFKEY_EXT_BIT(SADB_EXT_LIFETIME_CURRENT));
	add_limit(&b, x, ev->type == XFRM_EV_EXPIRE_HARD);
	pfkey_copy_exts(&b, &m, rest);
	if (pfkey_deliver(srv, &b, PFKEY_TO_ALL, NULL, 0) == 0)
		STAT_INC(srv->st, pfkey_expire_sent);
	pfkey_buf_free(&full);
	pfkey_buf_free(&b);
}

static void send_change(struct pfkey_server *srv, const struct xfrm_event *ev)
{
	static const uint8_t type[] = { [XFRM_EV_ADD] = SADB_ADD, [XFRM_EV_UPDATE] = SADB_UPDATE,
					[XFRM_EV_DELETE] = SADB_DELETE };
	const struct xfrm_state *x = ev->x;
	uint32_t seq, pid;
	struct pfkey_buf b;

	/* An ACQUIRE placeholder (SPI 0) was never an SA anyone could name. */
	if (srv->quiet || x->c.id.spi == 0)
		return;
	pfkey_event_hdr(srv, &seq, &pid);
	pfkey_buf_init(&b, type[ev->type], pfkey_proto_to_satype(x->c.id.proto), seq, pid);
	if (ev->type == XFRM_EV_DELETE) {
		/* RFC 2367 3.1.4: <base, SA(*), address(SD)> (and X_SA2, as KAME): no lifetimes. */
		struct pfkey_buf full;

		pfkey_buf_init(&full, SADB_DELETE, 0, 0, 0);
		pfkey_add_state(&full, x, false, srv->st->epoch_ns);
		pfkey_copy_buf_exts(&b, &full, DELETE_EXTS);
		pfkey_buf_free(&full);
	} else {
		pfkey_add_state(&b, x, false, srv->st->epoch_ns);
	}
	if (pfkey_deliver(srv, &b, PFKEY_TO_ALL, NULL, 0) == 0 && srv->req)
		srv->req_answered = true;
	pfkey_buf_free(&b);
}

static void send_flush(struct pfkey_server *srv, const struct xfrm_event *ev)
{
	uint32_t seq, pid;
	struct pfkey_buf b;

	pfkey_event_hdr(srv, &seq, &pid);
	pfkey_buf_init(&b, SADB_FLUSH, pfkey_proto_to_satype(ev->proto), seq, pid);
	if (pfkey_deliver(srv, &b, PFKEY_TO_ALL, NULL, 0) == 0 && srv->req)
		srv->req_answered = true;
	pfkey_buf_free(&b);
}

void pfkey_sad_event(struct stack *st, const struct xfrm_event *ev, void *ctx)
{
	struct pfkey_server *srv = ctx;

	switch (ev->type) {
	case XFRM_EV_ACQUIRE:
		send_acquire(srv, ev);
		break;
	case XFRM_EV_EXPIRE_SOFT:
	case XFRM_EV_EXPIRE_HARD:
		send_expire(srv, ev);
		break;
	case XFRM_EV_ADD:
	case XFRM_EV_UPDATE:
	case XFRM_EV_DELETE:
		send_change(srv, ev);
		break;
	case XFRM_EV_FLUSH:
		send_flush(srv, ev);
		break;
	}
}
