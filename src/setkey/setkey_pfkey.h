/*
 * setkey statements as PF_KEYv2 messages, and PF_KEY messages printed as
 * setkey prints them: the half of `usagi setkey` (tools/usagi/setkey*.c)
 * that needs no socket, so unit tests reach all of it.
 *
 *   setkey_parse() -> struct setkey_op -> setkey_pfkey_request() -> the
 *   node's DIR/pfkey -> reply -> setkey_pfkey_refusal() (the same error
 *   text setkey_apply() gives) or setkey_pfkey_print_sa/_policy() (the
 *   same `setkey -D` / `-DP` text, through setkey_print.c's one printer).
 *
 * Messages are built and read with the PF_KEY codec (pfkey/pfkey_codec.h);
 * nothing here parses wire bytes itself.
 */
#ifndef USAGI_SETKEY_SETKEY_PFKEY_H
#define USAGI_SETKEY_SETKEY_PFKEY_H

#include <stdio.h>
#include "pfkey/pfkey_codec.h"
#include "setkey/setkey.h"

/*
 * Which message of a statement to build. Most statements are one request
 * (MAIN). An `in` policy installed in RFC mode (SETKEY_F_WITH_FWD) is two:
 * MAIN for `in`, then FWD_TWIN; if the twin is refused after a new `in`
 * went in, UNDO takes the `in` back (an spddelete), as setkey_apply does.
 * DELETEALL's MAIN is a DUMP of the protocol; the caller deletes each
 * entry setkey_pfkey_deleteall_match() accepts (setkey_pfkey_delete_of).
 */
enum setkey_pfkey_part { SETKEY_PART_MAIN, SETKEY_PART_FWD_TWIN, SETKEY_PART_UNDO };

/* True when @op has a FWD_TWIN part. */
bool setkey_pfkey_has_twin(const struct setkey_op *op);

/*
 * Builds the request for @part of @op into @b (initialised here; free it
 * with pfkey_buf_free whatever the result), with @seq and @pid in the
 * header. Key bytes go into @b (wiped by pfkey_buf_free). 0, or the
 * builder's -errno (-EINVAL: the op cannot be carried, -ENOMEM).
 */
int setkey_pfkey_request(const struct setkey_op *op, enum setkey_pfkey_part part, uint32_t seq,
			 uint32_t pid, struct pfkey_buf *b);

/* DELETEALL: true if the SA in @m (a DUMP reply) goes from @op's src to its dst. */
bool setkey_pfkey_deleteall_match(const struct setkey_op *op, const struct pfkey_msg *m);
/* A DELETE for the SA that dump reply @m describes. 0 or -errno (b freed by the caller). */
int setkey_pfkey_delete_of(const struct pfkey_msg *m, uint32_t seq, uint32_t pid, struct pfkey_buf *b);

/*
 * The error line for @part of @op refused with @err (-errno from the
 * reply's sadb_msg_errno): the same text setkey_apply() gives for the
 * same refusal, line/col from @op. An -EINVAL for an SA names the reason
 * when the crypto layer knows it (a weak DES key ...). Never key bytes.
 */
void setkey_pfkey_refusal(const struct setkey_op *op, enum setkey_pfkey_part part, int err,
			  struct setkey_msg *msg);

/*
 * Prints the SA that @m carries (a DUMP/GET/GETSPI reply, an ADD/UPDATE/
 * EXPIRE broadcast) in `setkey -D` form: sadb_seq and pid from @m's
 * header; @now_ns is what `current:`/`diff:` read: the wall clock (ns
 * since 1970), the time base of PF_KEY's add and use times (RFC 2367
 * 2.3.3; the node sends wall-clock seconds). 0, or -EINVAL
 * (no SA in @m, or one the SAD could not hold) and nothing printed.
 */
int setkey_pfkey_print_sa(FILE *f, const struct pfkey_msg *m, uint64_t now_ns);

/*
 * The policy @m carries (an X_SPDDUMP/X_SPDGET reply, an X_SPDADD or
 * X_SPDEXPIRE broadcast) in `setkey -DP` form: `created:`/`lastused:`
 * from LIFETIME_CURRENT, `lifetime:`/`validtime:` from LIFETIME_HARD.
 */
int setkey_pfkey_print_policy(FILE *f, const struct pfkey_msg *m);

/*
 * `setkey -x`: one message as the monitor prints it: a header line
 * (@stamp, the type's name, SA type, seq, pid, errno, and for EXPIRE and
 * X_SPDEXPIRE soft/hard), then the SA (`setkey -D` form) or the policy (`-DP` form)
 * it carries, or the addresses and proposal count of an ACQUIRE, or the
 * algorithm counts of a REGISTER reply.
 */
void setkey_pfkey_print_event(FILE *f, const char *stamp, const struct pfkey_msg *m, uint64_t now_ns);

/* "esp", "ah", "ipcomp", "unspec" or the number, for an SA type. */
const char *setkey_pfkey_satype_name(uint8_t satype, char *buf, size_t size);

#endif
