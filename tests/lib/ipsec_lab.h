/*
 * A small lab for the IPsec packet-path tests: a few stacks joined by
 * point-to-point Ethernet links, configured with the command language,
 * every frame sent on a link recorded (a copy of its bytes) so tests can
 * look at the wire. Frames move only in lab_pump(), so no stack is
 * re-entered from inside its own output path.
 *
 *   node[0] eth0 ---- link 0 ---- eth0 node[1] eth1 ---- link 1 ---- ...
 */
#ifndef USAGI_TESTS_IPSEC_LAB_H
#define USAGI_TESTS_IPSEC_LAB_H

#include "core/stack.h"
#include "cmd/cmd.h"
#include "link/netdev.h"
#include "xfrm/xfrm.h"

#define LAB_NODES 4
#define LAB_LINKS 3
#define LAB_FRAMES 512

struct lab;

struct lab_frame {
	uint8_t *b;                /* the Ethernet frame (malloc'd copy) */
	size_t len;
};

struct lab_port {
	struct lab *lab;
	struct lab_port *peer;
	struct netdev *dev;
	int link;
};

struct lab_link {
	struct lab_port port[2];
	struct lab_frame cap[LAB_FRAMES];
	unsigned ncap;
	unsigned dropped;          /* frames cut by lab_link_cut */
	bool cut;
};

struct lab_node {
	struct stack *st;
	struct cmd_env env;
};

struct lab {
	struct lab_node node[LAB_NODES];
	unsigned nnodes;
	struct lab_link link[LAB_LINKS];
	unsigned nlinks;
	struct pktq q;             /* frames in flight; cb holds the receiving port */
};

/* A new lab (calloc'd). */
struct lab *lab_new(void);
/* Frees every stack and capture. */
void lab_free(struct lab *l);
/* Adds a stack; returns its index. */
int lab_node(struct lab *l, const char *name);
static inline struct stack *lab_st(struct lab *l, int n) { return l->node[n].st; }
/* Joins node @a (interface @ifa) and node @b (@ifb) by a new link; returns the link's index. Both up. */
int lab_connect(struct lab *l, int a, const char *ifa, int b, const char *ifb);
/* Runs a command on node @n (asserts it succeeded). */
void lab_cmd(struct lab *l, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Moves frames and advances every clock by @ms each round until nothing is in flight. */
void lab_pump(struct lab *l, unsigned ms);
/* Forgets what link @k recorded. */
void lab_cap_clear(struct lab *l, int k);
/* Frames recorded on link @k whose first next header / protocol is @proto, in @family (0: any). */
unsigned lab_count(struct lab *l, int k, int family, uint8_t proto);
/* True if some frame recorded on link @k contains @needle. */
bool lab_wire_has(struct lab *l, int k, const void *needle, size_t n);
/* The @i-th recorded frame of link @k with IP protocol @proto (NULL if none). */
const struct lab_frame *lab_find(struct lab *l, int k, uint8_t proto, unsigned i);
/* Feeds a copy of @f to the receiving side of link @k as node @to receives it. */
void lab_inject(struct lab *l, int to_node, int k, const uint8_t *frame, size_t len);

/* IP version and payload protocol of a captured frame: 0 if not IP. */
int lab_frame_family(const struct lab_frame *f, uint8_t *proto);

/* SAs and policies for the tests. */
enum lab_alg { LAB_GCM, LAB_CBC_SHA256 };
struct xfrm_state *lab_sa(struct stack *st, uint8_t proto, int mode, const char *src,
			  const char *dst, uint32_t spi, enum lab_alg alg);
/* An address "2001:db8::1" or "192.0.2.1" as the SAD/SPD keep it (IPv4 mapped); sets *family. */
struct in6_addr lab_addr(const char *s, int *family);
/* A selector src/plen -> dst/plen, protocol @proto (XFRM_PROTO_ANY: any). */
struct xfrm_selector lab_sel(const char *src, unsigned splen, const char *dst, unsigned dplen,
			     uint8_t proto);
/* Adds a policy; @ntmpl templates in setkey order. */
struct xfrm_policy *lab_pol(struct stack *st, const struct xfrm_selector *sel, int dir,
			    int action, unsigned ntmpl, const struct xfrm_tmpl *tmpl);
/* A template: @proto @mode, tunnel endpoints (NULL for transport), @level. */
struct xfrm_tmpl lab_tmpl(uint8_t proto, int mode, const char *src, const char *dst, int level);
/* Lets ND (ICMPv6 133..137) pass in and out in clear whatever other policies say. */
void lab_allow_nd(struct stack *st);

/*
 * Two hosts on one link, as the host-to-host tests use them (cmocka
 * fixtures: *state = a struct lab_pair):
 *   A 2001:db8:1::1/64 192.0.2.1/24 eth0 ---- link 0 ---- eth0 2001:db8:1::2/64 192.0.2.2/24 B
 */
#define LAB_A6 "2001:db8:1::1"
#define LAB_B6 "2001:db8:1::2"
#define LAB_A4 "192.0.2.1"
#define LAB_B4 "192.0.2.2"

struct lab_pair {
	struct lab *l;
	int a, b, k;
	unsigned base_a, base_b;   /* pool packets in use once set up */
};
/* The pair's stacks, and the short address names the tests use. */
#define SA(t) lab_st((t)->l, (t)->a)
#define SB(t) lab_st((t)->l, (t)->b)
#define A6 LAB_A6
#define B6 LAB_B6
#define A4 LAB_A4
#define B4 LAB_B4
int lab_pair_setup(void **state);
int lab_pair_teardown(void **state);
/* Once the wire is quiet, both pools are back at their baseline (close sockets first). */
void lab_pair_check_pools(struct lab_pair *t);

struct usock;
/* A UDP socket of @fam bound to the wildcard address and @port. */
struct usock *lab_udp_bound(struct stack *st, int fam, uint16_t port);
/* sendto "2001:db8::1" or "192.0.2.1" (the family from the string). */
ssize_t lab_send_to(struct usock *s, const char *dst, uint16_t port, const void *buf, size_t len);
/* Sends @msg from a fresh socket; sendto's result. */
ssize_t lab_udp_send(struct stack *from, const char *dst, uint16_t port, const char *msg);
/* True if the next datagram on @s is exactly @msg. */
bool lab_got(struct usock *s, const char *msg);
/* True if nothing is queued on @s. */
bool lab_empty(struct usock *s);

#endif
