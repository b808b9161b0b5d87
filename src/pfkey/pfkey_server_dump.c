/*
 * DUMP (RFC 2367 3.1.10) and X_SPDDUMP, produced as the client drains.
 *
 * The request only starts a dump; pfkey_sock_dump_more sends entries a
 * few at a time. Each entry is built when it is fetched (a snapshot of
 * the SA or policy then) and sent when the next one has been fetched, so
 * the last entry is known to be last and carries sadb_msg_seq 0, as the
 * RFC asks; earlier entries count down towards it from the number of
 * entries there were when the dump started (exactly KAME's numbering when
 * nothing changes meanwhile). The SAD's resumable walk (it holds the last
 * SA it returned) and the SPD's index cursor make the result exact under
 * change: whatever exists for the whole dump comes exactly once, what is
 * added meanwhile comes at the end, what is deleted before its turn does
 * not come. DUMP includes keys (setkey -D shows them), to the sender only.
 */
#include "pfkey/pfkey_server_priv.h"

static int count_sa(struct stack *st, struct xfrm_state *x, void *ctx)
{
	(*(uint32_t *)ctx)++;
	return 0;
}

/* SAs with SPI 0 are ACQUIRE placeholders nobody can name: not dumped. */
static bool fetch_sa(struct pfkey_sock *s)
{
	struct pfkey_dump *d = &s->dump;
	struct stack *st = s->srv->st;
	struct xfrm_state *x;

	while ((x = xfrm_state_walk_next(st, &d->walk))) {
		if (x->c.id.spi == 0)
			continue;
		pfkey_buf_init(&d->next, SADB_DUMP, pfkey_proto_to_satype(x->c.id.proto),
			       d->req.sadb_msg_seq, d->req.sadb_msg_pid);
		pfkey_add_state(&d->next, x, true, st->epoch_ns);
		if (pfkey_buf_finish(&d->next) == 0)
			return true;
		STAT_INC(st, pfkey_build_failed);
		pfkey_buf_free(&d->next);
	}
	return false;
}

static bool fetch_policy(struct pfkey_sock *s)
{
	struct pfkey_dump *d = &s->dump;
	struct stack *st = s->srv->st;
	struct xfrm_policy *p;

	while ((p = xfrm_policy_next(st, &d->cur))) {
		pfkey_buf_init(&d->next, SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC, d->req.sadb_msg_seq,
			       d->req.sadb_msg_pid);
		/* With LIFETIME_CURRENT (created/lastused in setkey -DP) and the policy's limits. */
		if (pfkey_add_policy_state(&d->next, p, st->epoch_ns) == 0 && pfkey_buf_finish(&d->next) == 0)
			return true;
		STAT_INC(st, pfkey_build_failed);
		pfkey_buf_free(&d->next);
	}
	return false;
}

static void fetch(struct pfkey_sock *s)
{
	struct pfkey_dump *d = &s->dump;

	d->have_next = d->kind == PFKEY_DUMP_SAD ? fetch_sa(s) : fetch_policy(s);
}

void pfkey_dump_stop(struct pfkey_sock *s)
{
	struct pfkey_dump *d = &s->dump;

	if (d->kind == PFKEY_DUMP_SAD)
		xfrm_state_walk_done(&d->walk);
	if (d->have_next)
		pfkey_buf_free(&d->next);
	d->have_next = false;
	d->kind = PFKEY_DUMP_NONE;
}

/* Starts a dump of @kind; an empty one is answered ENOENT at once (Linux, KAME). */
static int dump_start(struct pfkey_sock *s, const struct pfkey_msg *m, enum pfkey_dump_kind kind)
{
	struct pfkey_dump *d = &s->dump;
	struct stack *st = s->srv->st;
	uint8_t satype = m->hdr->sadb_msg_satype;
	uint8_t proto = satype == SADB_SATYPE_UNSPEC ? 0 : pfkey_satype_to_proto(satype);

	if (d->kind != PFKEY_DUMP_NONE) {
		STAT_INC(st, pfkey_dump_busy);
		return -EBUSY;
	}
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->req = *m->hdr;
	if (kind == PFKEY_DUMP_SAD) {
		xfrm_state_walk_init(&d->walk, proto);
		if (proto)
			xfrm_state_foreach(st, proto, count_sa, &d->total);
		else
			d->total = xfrm_state_count(st);
	} else {
		d->total = xfrm_policy_count(st);
	}
	fetch(s);
	if (!d->have_next) {
		pfkey_dump_stop(s);
		return -ENOENT;
	}
	s->srv->req_answered = true;
	return 0;
}

int pfkey_h_dump(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	return dump_start(s, m, PFKEY_DUMP_SAD);
}

int pfkey_h_spddump(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	return dump_start(s, m, PFKEY_DUMP_SPD);
}

bool pfkey_sock_dumping(const struct pfkey_sock *s)
{
	return s->dump.kind != PFKEY_DUMP_NONE;
}

/* The countdown: entries believed left after this one, never 0 before the last. */
static uint32_t countdown(const struct pfkey_dump *d)
{
	return d->total > d->sent + 1 ? d->total - d->sent - 1 : 1;
}

unsigned pfkey_sock_dump_more(struct pfkey_sock *s, unsigned max)
{
	struct pfkey_dump *d = &s->dump;
	unsigned n = 0;

	while (n < max && d->kind != PFKEY_DUMP_NONE && d->have_next) {
		struct pfkey_buf cur = d->next;
		struct sadb_msg *h = (struct sadb_msg *)cur.data;

		fetch(s);
		h->sadb_msg_seq = d->have_next ? countdown(d) : 0;
		pfkey_deliver(s->srv, &cur, PFKEY_TO_ONE, s, 0);
		pfkey_buf_free(&cur);
		STAT_INC(s->srv->st, pfkey_dump_msgs);
		d->sent++;
		n++;
	}
	if (d->kind != PFKEY_DUMP_NONE && !d->have_next)
		pfkey_dump_stop(s);
	return n;
}
