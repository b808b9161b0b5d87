/*
 * PF_KEY SA messages (RFC 2367 3.1.1-3.1.9, 3.1 X_PROMISC): GETSPI,
 * UPDATE, ADD, DELETE, GET, ACQUIRE (a daemon's failure report),
 * REGISTER, FLUSH, X_PROMISC. Changes to the SAD are broadcast by the SAD
 * listener (pfkey_server_events.c) with the request's seq and pid, so an
 * ADD through PF_KEY and one through `usagi ctl setkey` look the same to
 * a monitor; the handlers here answer what is not a SAD change.
 */
#include "pfkey/pfkey_server_priv.h"

/* KAME's and Linux's range when GETSPI names none (RFC 2367 3.1.1 leaves it to us). */
#define GETSPI_MIN_DEFAULT XFRM_SPI_MIN
#define GETSPI_MAX_DEFAULT 0x0fffffffu

static int sa_cfg(struct pfkey_sock *s, const struct pfkey_msg *m, struct xfrm_sa_cfg *cfg)
{
	const char *why = NULL;
	int rc = pfkey_to_sa_cfg(m, cfg, &why);

	if (rc < 0) {
		explicit_bzero(cfg, sizeof(*cfg));
		log_debug(s->srv->st, "pfkey: %s refused: %s", pfkey_msg_type_name(m->hdr->sadb_msg_type),
			  why ? why : "invalid");
	}
	return rc;
}

/* A reply to the sender alone: the request's header and SA @x (@keys: with its keys). */
static int reply_state(struct pfkey_sock *s, const struct pfkey_msg *m, const struct xfrm_state *x,
		       bool keys)
{
	struct pfkey_buf b;
	int rc;

	pfkey_buf_reply(&b, m->hdr, 0);
	pfkey_add_state(&b, x, keys, s->srv->st->epoch_ns);
	rc = pfkey_deliver(s->srv, &b, PFKEY_TO_ONE, s, 0);
	pfkey_buf_free(&b);
	return rc;
}

/* RFC 2367 3.1.1: a LARVAL SA with a fresh SPI from the range; the reply goes to the sender. */
int pfkey_h_getspi(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	const struct sadb_spirange *r = PFKEY_EXT(m, SADB_EXT_SPIRANGE, sadb_spirange);
	uint32_t lo = r ? r->sadb_spirange_min : GETSPI_MIN_DEFAULT;
	uint32_t hi = r ? r->sadb_spirange_max : GETSPI_MAX_DEFAULT;
	struct xfrm_resolved t;
	struct xfrm_sa_cfg cfg;
	struct xfrm_state *x;
	int rc;

	if ((rc = sa_cfg(s, m, &cfg)) < 0)
		return rc;
	if (lo > hi)
		return -EINVAL;
	t = (struct xfrm_resolved){ .proto = cfg.id.proto, .mode = cfg.mode, .level = XFRM_LEVEL_REQUIRE,
				    .family = cfg.family, .inner_family = cfg.family,
				    .saddr = cfg.saddr, .daddr = cfg.id.daddr, .reqid = cfg.reqid };
	/* The sequence number ties it to the ACQUIRE it answers (and the UPDATE to come). */
	rc = xfrm_alloc_spi(s->srv->st, &t, lo, hi, m->hdr->sadb_msg_seq, &x);
	if (rc < 0)
		return rc;
	return reply_state(s, m, x, false);
}

/* Answers the sender itself when the SAD event did not (it could not be built). */
static int ensure_answered(struct pfkey_sock *s, const struct pfkey_msg *m, const struct xfrm_state *x)
{
	return s->srv->req_answered ? 0 : reply_state(s, m, x, false);
}

/*
 * RFC 2367 3.1.2: a LARVAL SA (from GETSPI) becomes MATURE; a MATURE one
 * takes new lifetimes. The SA is found by its id (DST, SPI, type), as
 * Linux does; KAME finds the larval SA by the GETSPI's sequence number,
 * which names the same SA when the daemon quotes it, so the sequence
 * number is not required to match (setkey's `update` has none to quote).
 * Broadcast by the SAD listener without keys.
 */
int pfkey_h_update(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_sa_cfg cfg;
	struct xfrm_state *x;
	int rc;

	if ((rc = sa_cfg(s, m, &cfg)) < 0)
		return rc;
	rc = xfrm_state_update(s->srv->st, &cfg, &x);
	explicit_bzero(&cfg, sizeof(cfg));
	return rc < 0 ? rc : ensure_answered(s, m, x);
}

/* RFC 2367 3.1.3. */
int pfkey_h_add(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_sa_cfg cfg;
	struct xfrm_state *x;
	int rc;

	if ((rc = sa_cfg(s, m, &cfg)) < 0)
		return rc;
	rc = xfrm_state_add(s->srv->st, &cfg, &x);
	explicit_bzero(&cfg, sizeof(cfg));
	return rc < 0 ? rc : ensure_answered(s, m, x);
}

/*
 * The SA a GET/DELETE names (RFC 2367 3.1.4, 3.1.5): (DST, SPI, satype),
 * as Linux; the source is not compared, and nothing else in the request
 * is read (an AH SA's GET carries no algorithm, and needs none).
 */
static int find_sa(struct pfkey_sock *s, const struct pfkey_msg *m, struct xfrm_state **out)
{
	const char *why = NULL;
	struct xfrm_id id;
	int rc = pfkey_to_sa_id(m, &id, &why);

	if (rc < 0) {
		log_debug(s->srv->st, "pfkey: %s refused: %s", pfkey_msg_type_name(m->hdr->sadb_msg_type),
			  why ? why : "invalid");
		return rc;
	}
	*out = xfrm_state_get(s->srv->st, &id.daddr, id.spi, id.proto);
	return *out ? 0 : -ESRCH;
}

/* RFC 2367 3.1.4. */
int pfkey_h_delete(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_state *x;
	int rc = find_sa(s, m, &x);

	if (rc < 0)
		return rc;
	xfrm_state_hold(x);
	xfrm_state_delete(s->srv->st, x);
	rc = ensure_answered(s, m, x);
	xfrm_state_put(x);
	return rc;
}

/* RFC 2367 3.1.5: the SA with its keys, to the sender alone. */
int pfkey_h_get(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct xfrm_state *x;
	int rc = find_sa(s, m, &x);

	return rc < 0 ? rc : reply_state(s, m, x, true);
}

/*
 * RFC 2367 3.1.6: a daemon that could not get an SA returns the ACQUIRE
 * (its sequence number) with sadb_msg_errno set: the larval SAs of that
 * negotiation die at once, quietly, so the next packet may ACQUIRE again
 * (rate limited by the SAD). No reply. An ACQUIRE without an errno asks
 * nothing of us (Linux ignores it too).
 */
int pfkey_h_acquire(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct pfkey_server *srv = s->srv;
	uint32_t seq = m->hdr->sadb_msg_seq;
	struct xfrm_state *x;
	unsigned n = 0;

	if (!m->hdr->sadb_msg_errno)
		return 0;
	STAT_INC(srv->st, pfkey_acquire_failed);
	srv->quiet = true;
	while (n++ < 64 && (x = xfrm_state_find_seq(srv->st, seq)))
		xfrm_state_delete(srv->st, x);
	srv->quiet = false;
	srv->req_answered = true;
	return 0;
}

/*
 * RFC 2367 3.1.7: the socket will get ACQUIREs for the SA type; the reply
 * lists what the node implements (SUPPORTED_AUTH / _ENCRYPT, from the
 * crypto table) and goes to every socket registered for the type, as in
 * KAME and Linux. UNSPEC registers nothing and is answered to the sender.
 * A second REGISTER for the same type is EEXIST (Linux).
 */
int pfkey_h_register(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	uint8_t satype = m->hdr->sadb_msg_satype;
	uint8_t list = satype == SADB_SATYPE_UNSPEC ? SADB_SATYPE_ESP : satype;
	struct pfkey_buf b;
	int rc;

	if (satype != SADB_SATYPE_UNSPEC) {
		if (!pfkey_satype_to_proto(satype) || satype >= 32)
			return -EINVAL;
		if (s->registered & (1u << satype))
			return -EEXIST;
	}
	pfkey_buf_reply(&b, m->hdr, 0);
	if (list != SADB_X_SATYPE_IPCOMP)
		pfkey_add_supported(&b, SADB_EXT_SUPPORTED_AUTH, list);
	if (list != SADB_SATYPE_AH)
		pfkey_add_supported(&b, SADB_EXT_SUPPORTED_ENCRYPT, list);
	if ((rc = pfkey_buf_finish(&b)) == 0) {
		if (satype != SADB_SATYPE_UNSPEC)
			s->registered |= 1u << satype;
		rc = pfkey_deliver(s->srv, &b, satype == SADB_SATYPE_UNSPEC ? PFKEY_TO_ONE :
				   PFKEY_TO_REGISTERED, s, satype);
	}
	pfkey_buf_free(&b);
	return rc;
}

/* RFC 2367 3.1.9: every SA of the type (UNSPEC: all); the SAD listener broadcasts it. */
int pfkey_h_flush(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct pfkey_server *srv = s->srv;
	uint8_t satype = m->hdr->sadb_msg_satype;
	struct pfkey_buf b;
	int rc = 0;

	xfrm_state_flush(srv->st, satype == SADB_SATYPE_UNSPEC ? 0 : pfkey_satype_to_proto(satype));
	if (!srv->req_answered) {
		pfkey_buf_reply(&b, m->hdr, 0);
		rc = pfkey_deliver(srv, &b, PFKEY_TO_ALL, s, 0);
		pfkey_buf_free(&b);
	}
	return rc;
}

/*
 * X_PROMISC (KAME, Linux): satype 1 turns promiscuous mode on, 0 off; the
 * request is echoed to the sender (KAME).
 */
int pfkey_h_promisc(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	uint8_t on = m->hdr->sadb_msg_satype;
	struct pfkey_buf b;
	int rc;

	if (on > 1)
		return -EINVAL;
	if (s->promisc != (on == 1))
		s->srv->npromisc += on ? 1 : -1;
	s->promisc = on == 1;
	pfkey_buf_reply(&b, m->hdr, 0);
	rc = pfkey_deliver(s->srv, &b, PFKEY_TO_ONE, s, 0);
	pfkey_buf_free(&b);
	return rc;
}
