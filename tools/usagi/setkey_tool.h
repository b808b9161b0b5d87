/*
 * `usagi setkey`: ipsec-tools' setkey over the node's PF_KEY socket
 * (docs/setkey.md). setkey.c reads the command line and the statements,
 * setkey_io.c talks PF_KEY: requests and their replies, dumps, flushes
 * and the -x monitor.
 */
#ifndef USAGI_TOOL_SETKEY_TOOL_H
#define USAGI_TOOL_SETKEY_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include "setkey/setkey_pfkey.h"

#define SK_REPLY_TIMEOUT_MS 10000   /* the node answers at once; this only bounds a hang */

/* One PF_KEY connection to a node and what the tool keeps about it. */
struct sk_session {
	int fd;
	uint32_t pid;                   /* sadb_msg_pid of every request (getpid) */
	uint32_t seq;                   /* the last sadb_msg_seq used */
	uint64_t *buf;                  /* USAGI_PFKEY_MSG_MAX bytes, 8-byte aligned */
	bool io_failed;                 /* a socket error or timeout was printed */
};

/* Connects to @dir/pfkey; prints why not. 0 or -1. */
int sk_open(struct sk_session *s, const char *dir);
void sk_close(struct sk_session *s);

/* The clock `current:` reads: the wall clock (ns since 1970), the time base of PF_KEY's times. */
uint64_t sk_now(void);

/*
 * Sends the finished request in @b and waits for its reply (same type,
 * seq and pid; other messages are skipped). 0 with *@reply pointing into
 * s->buf (valid until the next receive), the reply's -errno, or a socket
 * error / -ETIMEDOUT, printed, with s->io_failed set.
 */
int sk_call(struct sk_session *s, struct pfkey_buf *b, struct pfkey_msg *reply);

/*
 * Runs a DUMP (@type SADB_DUMP or SADB_X_SPDDUMP, @satype) and calls @fn
 * for each entry until the one with sadb_msg_seq 0. 0 (-ENOENT from the
 * node: no entries, @fn never called), or -errno (the node's, or a
 * socket failure: printed, s->io_failed set). @fn returning non-zero stops reading (the rest is
 * drained) and is returned.
 */
int sk_dump(struct sk_session *s, uint8_t type, uint8_t satype,
	    int (*fn)(struct sk_session *s, const struct pfkey_msg *m, void *ctx), void *ctx);

/* `setkey -D` / `-DP`: prints the SAD or SPD as ipsec-tools does. 0 or 1. */
int sk_print_sad(struct sk_session *s, uint8_t satype);
int sk_print_spd(struct sk_session *s);
/* `setkey -F` / `-FP`. 0 or 1 (the error printed). */
int sk_flush(struct sk_session *s, bool policy);

/* How `setkey -x` runs. */
struct sk_monitor_opts {
	unsigned xlevel;                /* 1: formatted timestamps, 2 (-xx): seconds.microseconds */
	unsigned long count;            /* stop after this many messages; 0 = never */
	unsigned long timeout_ms;       /* stop after this long; 0 = never */
};
/* X_PROMISC, then every message the node sends, printed until a limit or an error. 0 or 1. */
int sk_monitor(struct sk_session *s, const struct sk_monitor_opts *o);

/*
 * Runs the statements of @prog (parsed) in order; stops at the first one
 * the node refuses, printing `usagi: setkey: [WHERE:]LINE:COL: message`.
 * 0 or 1.
 */
int sk_run_prog(struct sk_session *s, struct setkey_prog *prog, const char *where);

#endif
