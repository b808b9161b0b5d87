/*
 * The PF_KEYv2 server of one stack (RFC 2367 with the KAME/Linux
 * extensions; docs/pfkey.md): PF_KEY sockets as objects, independent of
 * any real socket. Whoever owns a stack (the node's DIR/pfkey server,
 * tests) opens one pfkey_sock per client, feeds it whole messages with
 * pfkey_sock_input, and receives every message the server sends to that
 * client through the socket's send function: replies, broadcasts of other
 * clients' changes, ACQUIREs, EXPIREs, dump entries and promiscuous copies.
 *
 * Who gets what (docs/pfkey.md has the table):
 *   the sender only      GETSPI, GET, REGISTER(UNSPEC), DUMP, X_SPDGET,
 *                        X_SPDDUMP, X_PROMISC, and every error reply;
 *   every socket         successful ADD, UPDATE, DELETE, FLUSH and
 *                        X_SPD{ADD,UPDATE,SETIDX,DELETE,DELETE2,FLUSH}
 *                        (RFC 2367 3.1: without key material), the same
 *                        changes made without PF_KEY (seq 0, pid 0),
 *                        EXPIRE and X_SPDEXPIRE;
 *   registered sockets   ACQUIRE and REGISTER replies, for their SA type;
 *   promiscuous sockets  a copy of every message any other socket sends to
 *                        the server and of every message sent to another
 *                        socket (X_PROMISC, as in KAME and Linux).
 *
 * Dumps are pulled: DUMP / X_SPDDUMP only start a dump, and the owner
 * calls pfkey_sock_dump_more as the client drains, so a dump of any size
 * needs one message of memory and sees every entry that exists for the
 * whole dump exactly once (the SAD's and SPD's resumable walks).
 *
 * One server per stack, made with the first socket and freed with the
 * last; it listens to the SAD (xfrm_listen) and the SPD (xfrm_spd_listen)
 * while any socket is open. Add and use times go out as wall-clock
 * seconds: st->epoch_ns + the stack's clock (pfkey_time_s).
 * Nothing here blocks or does I/O.
 */
#ifndef USAGI_PFKEY_PFKEY_SERVER_H
#define USAGI_PFKEY_PFKEY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stack;
struct pfkey_sock;

/*
 * Delivers one whole PF_KEY message (@len bytes, 8-byte aligned) to the
 * client behind a socket. Called from inside pfkey_sock_input,
 * pfkey_sock_dump_more and the stack's own processing (ACQUIRE, EXPIRE):
 * it must copy the bytes and return without calling back into the server
 * or changing the SAD/SPD (in particular it must not close any pfkey_sock;
 * mark the client for closing instead). 0, or -errno (e.g. -ENOBUFS, the
 * client's queue is full): the message is lost for that client, counted.
 */
typedef int (*pfkey_send_fn)(void *ctx, const void *msg, size_t len);

/*
 * A new PF_KEY socket on @st whose messages go to @send(@ctx, ...). Not
 * registered, not promiscuous. NULL on allocation failure (or when the
 * SAD has no listener slot left for the first socket).
 */
struct pfkey_sock *pfkey_sock_open(struct stack *st, pfkey_send_fn send, void *ctx);

/* Closes @s: forgets its registrations, ends its dump. NULL is fine. */
void pfkey_sock_close(struct pfkey_sock *s);

/*
 * One message from the client of @s (@len bytes as received; any
 * alignment). Every message is answered as RFC 2367 says; a malformed or
 * refused one with a reply carrying only the header and sadb_msg_errno.
 * Returns 0 when the request succeeded (or needed no answer: an ACQUIRE
 * failure report), else the -errno that was sent back. Never crashes on
 * any input.
 */
int pfkey_sock_input(struct pfkey_sock *s, const void *msg, size_t len);

/*
 * Answers a message the owner could not take whole (longer than its
 * limit): an error reply with @err built from the first @len bytes of it
 * (the base header when at least 16 bytes were read; else a bare header).
 */
void pfkey_sock_reject(struct pfkey_sock *s, const void *msg, size_t len, int err);

/* True while a DUMP or X_SPDDUMP of @s has entries left to send. */
bool pfkey_sock_dumping(const struct pfkey_sock *s);

/*
 * Sends up to @max more messages of the running dump of @s and returns
 * how many it sent; 0 when no dump is running. The last entry carries
 * sadb_msg_seq 0 (RFC 2367 3.1.10), earlier ones count down towards it;
 * an empty dump is answered with ENOENT, as Linux and KAME do.
 */
unsigned pfkey_sock_dump_more(struct pfkey_sock *s, unsigned max);

/* Number of open PF_KEY sockets on @st (0 when no server exists). */
unsigned pfkey_sock_count(const struct stack *st);

#endif
