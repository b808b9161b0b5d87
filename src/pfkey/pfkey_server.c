/*
 * The PF_KEY server core: sockets, delivery (one, all, registered,
 * promiscuous copies) and the input path: parse -> rules -> handler table
 * -> reply. The handlers live in pfkey_server_sa.c, _spd.c and _dump.c;
 * the SAD listener in pfkey_server_events.c, the SPD's in
 * pfkey_server_spd_events.c.
 */
#include <stdlib.h>
#include "pfkey/pfkey_server_priv.h"

static const pfkey_handler handlers[SADB_MAX + 1] = {
	[SADB_GETSPI] = pfkey_h_getspi,
	[SADB_UPDATE] = pfkey_h_update,
	[SADB_ADD] = pfkey_h_add,
	[SADB_DELETE] = pfkey_h_delete,
	[SADB_GET] = pfkey_h_get,
	[SADB_ACQUIRE] = pfkey_h_acquire,
	[SADB_REGISTER] = pfkey_h_register,
	[SADB_FLUSH] = pfkey_h_flush,
	[SADB_DUMP] = pfkey_h_dump,
	[SADB_X_PROMISC] = pfkey_h_promisc,
	[SADB_X_SPDUPDATE] = pfkey_h_spdadd,
	[SADB_X_SPDADD] = pfkey_h_spdadd,
	[SADB_X_SPDDELETE] = pfkey_h_spddelete,
	[SADB_X_SPDGET] = pfkey_h_spdget,
	[SADB_X_SPDDUMP] = pfkey_h_spddump,
	[SADB_X_SPDFLUSH] = pfkey_h_spdflush,
	[SADB_X_SPDSETIDX] = pfkey_h_spdadd,
	[SADB_X_SPDDELETE2] = pfkey_h_spddelete2,
	/* EXPIRE, X_SPDEXPIRE, X_NAT_T_NEW_MAPPING only travel node -> client. */
};

static struct pfkey_server *server_get(struct stack *st)
{
	struct pfkey_server *srv = st->pfkey;

	if (srv)
		return srv;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->st = st;
	dlist_init(&srv->socks);
	if (xfrm_listen(st, pfkey_sad_event, srv) < 0) {
		free(srv);
		return NULL;
	}
	if (xfrm_spd_listen(st, pfkey_spd_event, srv) < 0) {
		xfrm_unlisten(st, pfkey_sad_event, srv);
		free(srv);
		return NULL;
	}
	st->pfkey = srv;
	return srv;
}

struct pfkey_sock *pfkey_sock_open(struct stack *st, pfkey_send_fn send, void *ctx)
{
	struct pfkey_server *srv = server_get(st);
	struct pfkey_sock *s;

	if (!srv)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (!srv->nsocks) {
			xfrm_unlisten(st, pfkey_sad_event, srv);
			xfrm_spd_unlisten(st, pfkey_spd_event, srv);
			st->pfkey = NULL;
			free(srv);
		}
		return NULL;
	}
	s->srv = srv;
	s->send = send;
	s->ctx = ctx;
	dlist_add_tail(&srv->socks, &s->node);
	srv->nsocks++;
	return s;
}

void pfkey_sock_close(struct pfkey_sock *s)
{
	struct pfkey_server *srv;

	if (!s)
		return;
	srv = s->srv;
	pfkey_dump_stop(s);
	if (s->promisc)
		srv->npromisc--;
	dlist_del(&s->node);
	free(s);
	if (--srv->nsocks == 0) {
		xfrm_unlisten(srv->st, pfkey_sad_event, srv);
		xfrm_spd_unlisten(srv->st, pfkey_spd_event, srv);
		srv->st->pfkey = NULL;
		free(srv);
	}
}

unsigned pfkey_sock_count(const struct stack *st)
{
	return st->pfkey ? st->pfkey->nsocks : 0;
}

static void send_one(struct pfkey_server *srv, struct pfkey_sock *t, const void *msg, size_t len)
{
	if (t->send(t->ctx, msg, len) < 0)
		STAT_INC(srv->st, pfkey_out_dropped);
	else
		STAT_INC(srv->st, pfkey_out_msgs);
}

static bool is_target(const struct pfkey_sock *t, enum pfkey_to to, const struct pfkey_sock *s,
		      uint8_t satype)
{
	switch (to) {
	case PFKEY_TO_ONE:
		return t == s;
	case PFKEY_TO_ALL:
		return true;
	case PFKEY_TO_REGISTERED:
		return satype < 32 && (t->registered & (1u << satype));
	}
	return false;
}

int pfkey_deliver(struct pfkey_server *srv, struct pfkey_buf *b, enum pfkey_to to,
		  struct pfkey_sock *s, uint8_t satype)
{
	struct dlist *pos, *tmp;
	int rc = pfkey_buf_finish(b);

	if (rc < 0) {
		STAT_INC(srv->st, pfkey_build_failed);
		return rc;
	}
	dlist_for_each_safe(pos, tmp, &srv->socks) {
		struct pfkey_sock *t = dlist_entry(pos, struct pfkey_sock, node);

		if (is_target(t, to, s, satype) || t->promisc)
			send_one(srv, t, b->data, b->len);
	}
	return 0;
}

void pfkey_reply_error(struct pfkey_sock *s, const struct sadb_msg *req, int err)
{
	struct pfkey_buf b;

	pfkey_buf_reply(&b, req, err);
	pfkey_deliver(s->srv, &b, PFKEY_TO_ONE, s, 0);
	pfkey_buf_free(&b);
}

void pfkey_event_hdr(const struct pfkey_server *srv, uint32_t *seq, uint32_t *pid)
{
	*seq = srv->req ? srv->req->sadb_msg_seq : 0;
	*pid = srv->req ? srv->req->sadb_msg_pid : 0;
}

/* An error reply to a message whose bytes may be short or unaligned: its header copied out. */
static void reply_raw(struct pfkey_sock *s, const void *msg, size_t len, int err)
{
	struct sadb_msg h = { .sadb_msg_version = PF_KEY_V2 };

	memcpy(&h, msg, MIN(len, sizeof(h)));
	pfkey_reply_error(s, &h, err);
}

void pfkey_sock_reject(struct pfkey_sock *s, const void *msg, size_t len, int err)
{
	STAT_INC(s->srv->st, pfkey_in_msgs);
	if (err == -EMSGSIZE || err == EMSGSIZE)
		STAT_INC(s->srv->st, pfkey_in_too_big);
	else
		STAT_INC(s->srv->st, pfkey_in_malformed);
	reply_raw(s, msg, len, err);
}

/* KAME/Linux X_PROMISC: promiscuous sockets also see what every other socket sends. */
static void copy_to_promisc(struct pfkey_sock *s, const void *msg, size_t len)
{
	struct pfkey_server *srv = s->srv;
	struct dlist *pos, *tmp;

	if (!srv->npromisc)
		return;
	dlist_for_each_safe(pos, tmp, &srv->socks) {
		struct pfkey_sock *t = dlist_entry(pos, struct pfkey_sock, node);

		if (t != s && t->promisc)
			send_one(srv, t, msg, len);
	}
}

/* Runs the handler of a parsed, checked message with the request recorded for the SAD events. */
static int dispatch(struct pfkey_sock *s, const struct pfkey_msg *m)
{
	struct pfkey_server *srv = s->srv;
	uint8_t type = m->hdr->sadb_msg_type;
	int rc;

	if (type > SADB_MAX || !handlers[type]) {
		STAT_INC(srv->st, pfkey_in_unsupported);
		return -EOPNOTSUPP;
	}
	srv->req = m->hdr;
	srv->req_answered = false;
	rc = handlers[type](s, m);
	srv->req = NULL;
	if (rc < 0)
		STAT_INC(srv->st, pfkey_in_refused);
	return rc;
}

/* Parses @buf (aligned, @len bytes) and answers it. */
static int input_aligned(struct pfkey_sock *s, const void *buf, size_t len)
{
	struct stack *st = s->srv->st;
	struct pfkey_msg m;
	const char *why = NULL;
	int rc = pfkey_parse(buf, len, &m);

	if (rc == 0)
		rc = pfkey_check_why(&m, &why);
	else
		why = m.why;
	if (rc == 0) {
		copy_to_promisc(s, buf, len);
		/* RFC 2367 3.1.6: a daemon reports a failed ACQUIRE by returning it with an errno. */
		if (m.hdr->sadb_msg_errno && m.hdr->sadb_msg_type != SADB_ACQUIRE) {
			STAT_INC(st, pfkey_in_malformed);
			rc = -EINVAL;
		} else {
			rc = dispatch(s, &m);
		}
	} else if (rc == -EOPNOTSUPP) {
		STAT_INC(st, pfkey_in_unsupported);
	} else {
		STAT_INC(st, pfkey_in_malformed);
	}
	if (rc < 0) {
		if (why)
			log_debug(st, "pfkey: message refused: %s", why);
		pfkey_reply_error(s, buf, rc);
	}
	return rc;
}

int pfkey_sock_input(struct pfkey_sock *s, const void *msg, size_t len)
{
	struct stack *st = s->srv->st;
	uint64_t small[64];
	void *buf = small;
	int rc;

	STAT_INC(st, pfkey_in_msgs);
	if (len < sizeof(struct sadb_msg)) {
		/* Not even a header: answer with what there is (RFC 2367 has no better). */
		STAT_INC(st, pfkey_in_malformed);
		reply_raw(s, msg, len, -EMSGSIZE);
		return -EMSGSIZE;
	}
	/* The codec reads fields in place: give it an 8-byte aligned copy. */
	if (len > sizeof(small) && !(buf = malloc(len))) {
		reply_raw(s, msg, len, -ENOMEM);
		return -ENOMEM;
	}
	memcpy(buf, msg, len);
	rc = input_aligned(s, buf, len);
	explicit_bzero(buf, len);      /* it may have held keys */
	if (buf != small)
		free(buf);
	return rc;
}
