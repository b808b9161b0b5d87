/* Internals shared by the PF_KEY server's files (pfkey_server*.c). */
#ifndef USAGI_PFKEY_PFKEY_SERVER_PRIV_H
#define USAGI_PFKEY_PFKEY_SERVER_PRIV_H

#include "core/stack.h"
#include "pfkey/pfkey_codec.h"
#include "pfkey/pfkey_server.h"
#include "xfrm/xfrm.h"

/* A dump in progress on one socket (pfkey_server_dump.c). */
enum pfkey_dump_kind { PFKEY_DUMP_NONE, PFKEY_DUMP_SAD, PFKEY_DUMP_SPD };

struct pfkey_dump {
	enum pfkey_dump_kind kind;
	struct sadb_msg req;             /* the request: type, satype, seq, pid of every entry */
	struct xfrm_state_walk walk;     /* SAD */
	struct xfrm_spd_cursor cur;      /* SPD */
	struct pfkey_buf next;           /* the entry fetched ahead: sent once we know if it is the last */
	bool have_next;
	uint32_t total;                  /* entries when the dump started: the countdown's start */
	uint32_t sent;
};

struct pfkey_sock {
	struct dlist node;               /* pfkey_server.socks */
	struct pfkey_server *srv;
	pfkey_send_fn send;
	void *ctx;
	uint32_t registered;             /* bit n: REGISTERed for satype n */
	bool promisc;
	struct pfkey_dump dump;
};

/*
 * The server of one stack (st->pfkey). While a request runs, @req is its
 * header, so the SAD events it causes are broadcast with the request's
 * seq and pid and count as its answer (@req_answered).
 */
struct pfkey_server {
	struct stack *st;
	struct dlist socks;
	unsigned nsocks;
	unsigned npromisc;
	const struct sadb_msg *req;
	bool req_answered;
	bool quiet;                      /* SAD deletions now are not announced (failed ACQUIRE) */
};

/* Who a message goes to. */
enum pfkey_to { PFKEY_TO_ONE, PFKEY_TO_ALL, PFKEY_TO_REGISTERED };

/*
 * Sends the finished message in @b (pfkey_server.c): to @s alone, to every
 * socket, or to the sockets registered for @satype; every promiscuous
 * socket not already among them gets a copy. Counts failures. 0 or the
 * builder's error (nothing sent).
 */
int pfkey_deliver(struct pfkey_server *srv, struct pfkey_buf *b, enum pfkey_to to,
		  struct pfkey_sock *s, uint8_t satype);
/* Sends a bare error reply for @req to @s. */
void pfkey_reply_error(struct pfkey_sock *s, const struct sadb_msg *req, int err);

/* The header (seq, pid) a server-made message carries: the running request's, or 0s. */
void pfkey_event_hdr(const struct pfkey_server *srv, uint32_t *seq, uint32_t *pid);

/* pfkey_server_events.c: the SAD listener (ACQUIRE, EXPIRE, ADD, UPDATE, DELETE, FLUSH). */
void pfkey_sad_event(struct stack *st, const struct xfrm_event *ev, void *ctx);
/* pfkey_server_spd_events.c: the SPD listener (X_SPDADD/UPDATE/DELETE/FLUSH/EXPIRE). */
void pfkey_spd_event(struct stack *st, const struct xfrm_spd_event *ev, void *ctx);

/* Message handlers: 0 once answered, or -errno for pfkey_sock_input to send back. */
typedef int (*pfkey_handler)(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_getspi(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_update(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_add(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_delete(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_get(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_acquire(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_register(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_flush(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_promisc(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_spdadd(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_spddelete(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_spddelete2(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_spdget(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_spdflush(struct pfkey_sock *s, const struct pfkey_msg *m);
/* pfkey_server_dump.c */
int pfkey_h_dump(struct pfkey_sock *s, const struct pfkey_msg *m);
int pfkey_h_spddump(struct pfkey_sock *s, const struct pfkey_msg *m);
void pfkey_dump_stop(struct pfkey_sock *s);

#endif
