/*
 * The node's PF_KEY socket DIR/pfkey (docs/pfkey.md): AF_UNIX
 * SOCK_SEQPACKET, one PF_KEYv2 message per packet, each client one
 * pfkey_sock of the node's stack (src/pfkey/pfkey_server.h). Served from
 * the node's poll loop beside DIR/ctl (control.c), with the same shape of
 * calls.
 */
#ifndef USAGI_TOOL_PFKEY_SRV_H
#define USAGI_TOOL_PFKEY_SRV_H

#include <poll.h>
#include <stddef.h>
#include "core/common.h"

struct stack;

#define PFK_MSG_MAX (64u << 10)       /* the longest message a client may send (EMSGSIZE beyond) */
#define PFK_QUEUE_MAX (16u << 20)     /* a client that leaves this much unread is disconnected */
#define PFK_DUMP_LOW (256u << 10)     /* dumps are topped up while less than this is queued */
#define PFK_CONNS_MAX 256             /* clients at once; more are refused (closed at once) */
#define PFK_READ_BURST 32             /* messages read from one client per poll round */

struct pfk_server {
	int fd;                           /* listening socket, -1 when closed */
	char path[108];                   /* DIR/pfkey */
	struct stack *st;
	struct dlist conns;               /* struct pfk_conn */
	unsigned nconns;
};

/*
 * Listens on @dir/pfkey (@dir exists: ctl_server_open made it), mode 0660
 * like DIR/ctl; a stale socket file nobody answers on is replaced. Prints
 * its error; 0 or -1. pfk_server_close is safe afterwards either way.
 */
int pfk_server_open(struct pfk_server *srv, struct stack *st, const char *dir);
/* Closes every client (their PF_KEY sockets) and removes the socket file. */
void pfk_server_close(struct pfk_server *srv);
/* Number of pollfd slots pfk_server_fill may use. */
size_t pfk_server_nfds(const struct pfk_server *srv);
/* Fills pollfds for the listener and every client; returns how many. */
size_t pfk_server_fill(struct pfk_server *srv, struct pollfd *pfd);
/* Serves what poll reported: reads messages, writes queued ones, tops up dumps, accepts. */
void pfk_server_serve(struct pfk_server *srv, const struct pollfd *pfd, size_t n);

#endif
