/*
 * usagi PF_KEYv2 client library: how a key daemon (or `usagi setkey`)
 * talks to a running `usagi node`.
 *
 * The node serves PF_KEYv2 (RFC 2367, with the KAME/Linux extensions; the
 * wire structs are in <usagi/pfkeyv2.h>) on DIR/pfkey, an AF_UNIX
 * SOCK_SEQPACKET socket next to the text control socket DIR/ctl
 * (docs/control.md, docs/pfkey.md). One packet carries exactly one PF_KEY
 * message, in both directions, so these calls are thin: what a daemon
 * wrote for socket(PF_KEY, SOCK_RAW, PF_KEY_V2) + write/read ports by
 * replacing the socket() call with usagi_pfkey_open() and write/read with
 * usagi_pfkey_send/usagi_pfkey_recv (or keeping plain send/recv on the fd:
 * it is an ordinary descriptor, usable with poll/epoll, close and fcntl).
 *
 * Each connection is one PF_KEY socket: replies to its own messages,
 * broadcasts (ADD/UPDATE/DELETE/FLUSH/SPD* of any client, EXPIRE, ACQUIRE
 * once REGISTERed, every message once X_PROMISC is on) all arrive on it in
 * the order the node produced them. Match replies by sadb_msg_seq and
 * sadb_msg_pid as with the kernel's PF_KEY.
 *
 * Access is controlled by the socket file's permissions (mode 0660, the
 * node's user and group).
 *
 * Every function returns 0/a count or -errno; none of them prints, logs or
 * keeps state besides the descriptor, and all are safe to use from several
 * threads on different descriptors.
 */
#ifndef USAGI_PFKEY_H
#define USAGI_PFKEY_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The socket's file name inside the control directory. */
#define USAGI_PFKEY_SOCKET_NAME "pfkey"
/* Where the node listens when neither a directory nor $USAGI_CONTROL is given. */
#define USAGI_PFKEY_CONTROL_DEFAULT "/run/usagi"
/*
 * The largest message the node accepts or sends, in bytes (sadb_msg_len is
 * in 8-byte units, so this is also 8192 units). A receive buffer of this
 * size never sees -EMSGSIZE. A larger message sent to the node is refused
 * with a reply carrying sadb_msg_errno = EMSGSIZE.
 */
#define USAGI_PFKEY_MSG_MAX 65536

/*
 * Connects to the node's PF_KEY socket @control_dir/pfkey. @control_dir
 * NULL: $USAGI_CONTROL if set and non-empty, else "/run/usagi" (the same
 * rule as `usagi ctl`). The descriptor is blocking and close-on-exec; set
 * O_NONBLOCK with fcntl for an event loop (usagi_pfkey_send then returns
 * -EAGAIN when the socket is full; usagi_pfkey_recv works either way).
 * Returns the descriptor, or -errno: -ENAMETOOLONG (path longer than
 * sun_path), -ENOENT (no node there), -ECONNREFUSED (a stale socket file),
 * -EACCES (permissions), or what socket(2)/connect(2) gave.
 */
int usagi_pfkey_open(const char *control_dir);

/*
 * Sends one PF_KEY message of @len bytes (normally sadb_msg_len * 8; the
 * node checks the two agree and answers with EMSGSIZE/EINVAL otherwise).
 * The message goes out whole as one packet or not at all. Never raises
 * SIGPIPE. 0, or -errno: -EINVAL (@len 0 or over USAGI_PFKEY_MSG_MAX),
 * -EAGAIN (non-blocking and full), -EPIPE/-ECONNRESET (the node went away).
 * EINTR is retried.
 */
int usagi_pfkey_send(int fd, const void *msg, size_t len);

/*
 * Receives one PF_KEY message into @buf (@cap bytes), waiting at most
 * @timeout_ms milliseconds (0: do not wait; negative: wait for ever).
 * Returns the message length, or -errno:
 *   -EAGAIN      nothing arrived in time;
 *   -EMSGSIZE    the next message is longer than @cap: it is NOT consumed,
 *                call again with a buffer of at least
 *                usagi_pfkey_pending_len() bytes (or USAGI_PFKEY_MSG_MAX);
 *   -ECONNRESET  the node closed the connection (it stopped, or dropped a
 *                client that let too much output queue up unread);
 *   other recv(2)/poll(2) errors. EINTR is retried within the timeout.
 */
ssize_t usagi_pfkey_recv(int fd, void *buf, size_t cap, int timeout_ms);

/*
 * The length of the next message waiting on @fd without consuming it, or
 * -EAGAIN if none is waiting yet, -ECONNRESET if the node closed.
 */
ssize_t usagi_pfkey_pending_len(int fd);

/* Closes @fd (negative is ignored). The node forgets the client's REGISTERs and PROMISC. */
void usagi_pfkey_close(int fd);

#ifdef __cplusplus
}
#endif

#endif
