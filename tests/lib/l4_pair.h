/*
 * Two hosts back to back for the L4 tests:
 *
 *   A (2001:db8::1/64) eth0 ----- eth0 (2001:db8::2/64) B
 *
 * Frames queue on each side's link and move only in l4_pair_pump(), so no
 * stack is re-entered from inside its own output path.
 */
#ifndef USAGI_TESTS_L4_PAIR_H
#define USAGI_TESTS_L4_PAIR_H

#include "core/stack.h"
#include "link/netdev.h"

struct l4_side {
	struct stack *st;
	struct netdev *dev;
	struct l4_side *peer;
	struct pkt *q_head, *q_tail;   /* frames sent, not yet delivered */
	unsigned sent;
	bool cut;                      /* drop everything sent */
};

struct l4_pair {
	struct l4_side a, b;
	struct in6_addr addr_a, addr_b;
};

/*
 * Builds both hosts (fixed seeds), addresses NODAD, links up. 0 or -errno;
 * if only an address failed, both hosts still exist (a.dev and b.dev set).
 */
int l4_pair_init(struct l4_pair *pr);
void l4_pair_fini(struct l4_pair *pr);
/* cmocka fixtures: *state = a new pair (both hosts must exist), freed by l4_pair_teardown(). */
int l4_pair_setup(void **state);
int l4_pair_teardown(void **state);
/* Moves frames and advances both clocks by @ms until nothing is in flight. */
void l4_pair_pump(struct l4_pair *pr, unsigned ms);

struct tcp_seg;
/*
 * Hands B's TCP the segment @s (ports, sequence numbers, flags, window,
 * options) with @len octets of @data from A's address, as if it had come off
 * the wire: checksummed over the IPv6 pseudo-header, IPv6 header in front,
 * control block clear.
 */
void l4_pair_inject_tcp(struct l4_pair *pr, const struct tcp_seg *s, const void *data, size_t len);
/* The last TCP segment B queued, parsed (options with SYN rules if it is a SYN); false if none. */
bool l4_pair_last_tcp(struct l4_pair *pr, struct tcp_seg *seg);
/* A TCP listener on B: [::]:@port, backlog @backlog (asserted, never NULL). */
struct usock *l4_pair_tcp_listen(struct l4_pair *pr, uint16_t port, int backlog);
/*
 * Connects A's TCP socket @c to B's address, port @port, where @l listens;
 * after 1 ms of both hosts' time the handshake is done (asserted).
 * Returns B's accepted socket (asserted, never NULL).
 */
struct usock *l4_pair_tcp_accept(struct l4_pair *pr, struct usock *c, struct usock *l, uint16_t port);

#endif
