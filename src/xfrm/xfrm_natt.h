/*
 * NAT traversal (RFC 3948) for IPv4 ESP: UDP encapsulation on output, the
 * SA check on input, NAT-keepalives. Input entry and keepalive setting are
 * in xfrm_io.h.
 */
#ifndef USAGI_XFRM_XFRM_NATT_H
#define USAGI_XFRM_XFRM_NATT_H

#include "core/stack.h"

struct xfrm_state;

#define UDP_ENCAP_ESPINUDP 2            /* xfrm_encap.type (Linux/PF_KEY value) */
#define XFRM_NATT_PORT 4500             /* RFC 3948 / RFC 7296 2.23 */
#define XFRM_NATT_KEEPALIVE_DEFAULT_S 20 /* RFC 3948 4: 20 seconds */

/*
 * After ESP output on @x (encap.type UDP_ENCAP_ESPINUDP): p->data = the
 * IPv4 header with ESP right after it; inserts the UDP header (encap
 * ports, zero checksum) and fixes protocol, length and header checksum.
 * 0, -EINVAL (not IPv4 or @x not encapsulating), -EMSGSIZE, -ENOBUFS.
 */
int xfrm_natt_output(struct stack *st, const struct xfrm_state *x, struct pkt *p);

/*
 * Input: true when @p's way in matches @x: an SA with UDP encapsulation
 * takes only ESP that came in UDP, one without only plain ESP. Counts a
 * mismatch.
 */
bool xfrm_natt_input_ok(struct stack *st, const struct xfrm_state *x, const struct pkt *p);

/* An SA with UDP encapsulation was added: starts the keepalive timer if it is off. */
void xfrm_natt_sa_added(struct stack *st);

int xfrm_natt_init(struct stack *st);
void xfrm_natt_fini(struct stack *st);

#endif
