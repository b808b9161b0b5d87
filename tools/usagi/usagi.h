/* The `usagi` program's subcommands and the pieces they share. */
#ifndef USAGI_TOOL_USAGI_H
#define USAGI_TOOL_USAGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include "core/common.h"
#include "cmd/cmd.h"

struct stack;

#define USAGI_CONTROL_DEFAULT "/run/usagi"
#define CTL_LINE_MAX 4096            /* one command line, newline included */

/* Control protocol frames, node -> client: type byte, u32 length (BE), payload. */
#define CTL_FRAME_OUT 'O'            /* command's stdout bytes */
#define CTL_FRAME_ERR 'E'            /* command's stderr bytes */
#define CTL_FRAME_EXIT 'X'           /* u32 exit status (BE); the last frame */

/* The control socket server of a node (control.c). */
struct ctl_server {
	int fd;
	char path[108];                  /* DIR/ctl */
	struct stack *st;
	cmd_link_create_fn link_create;
	void *ctx;
	struct dlist conns;              /* struct ctl_conn */
};

/* Creates @dir (0750) if missing and listens on @dir/ctl. Prints its error; 0 or -1. */
int ctl_server_open(struct ctl_server *srv, const char *dir);
/*
 * A listening AF_UNIX socket of @type (SOCK_STREAM, SOCK_SEQPACKET) at
 * @path, mode 0660, non-blocking; a socket file there that nobody answers
 * on is a dead node's and is removed first. fd, or -1 with the reason on
 * standard error.
 */
int unix_listen(const char *path, int type);
/* Connects to the AF_UNIX socket of @type at @path: fd or -errno. */
int unix_connect(const char *path, int type);
/* Cancels what clients still run, closes them and removes the socket file. */
void ctl_server_close(struct ctl_server *srv);
/* Number of pollfd slots ctl_server_fill may use. */
size_t ctl_server_nfds(const struct ctl_server *srv);
/* Fills pollfds for the listener and every client; returns how many. */
size_t ctl_server_fill(struct ctl_server *srv, struct pollfd *pfd);
/* Serves what poll reported in the slots ctl_server_fill gave (runs commands). */
void ctl_server_serve(struct ctl_server *srv, const struct pollfd *pfd, size_t n);

/* Where clients and the node meet: --control DIR, else $USAGI_CONTROL, else /run/usagi. */
const char *control_dir(const char *opt);

/*
 * Sends one command line (@len bytes, ending in '\n') to the node at @dir,
 * copies its output to stdout/stderr and returns the command's exit status
 * (1 when the node cannot be reached).
 */
int ctl_send_line(const char *dir, const char *line, size_t len);
/* `usagi ctl setkey -c`: setkey statements from stdin, each sent as `setkey -e` (ctl_setkey.c). */
int ctl_setkey_stdin(const char *dir);

int node_main(int argc, char **argv);
int ctl_main(int argc, char **argv);
int setkey_main(int argc, char **argv);   /* setkey.c: ipsec-tools' setkey over DIR/pfkey */
int sim_main(int argc, char **argv);
int conntrack_main(int argc, char **argv); /* conntrack.c: conntrack(8) over DIR/ctl */
int demo_main(int argc, char **argv);

#endif
