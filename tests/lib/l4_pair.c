#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "l4_pair.h"
#include "core/csum.h"
#include "ipv6/addrconf.h"
#include "l4/sock.h"
#include "l4/tcp.h"
#include "proto/ip6.h"

static int side_xmit(struct netdev *dev, struct pkt *p)
{
	struct l4_side *sd = dev->priv;

	sd->sent++;
	if (sd->cut) {
		pkt_free(p);
		return 0;
	}
	p->next = NULL;
	if (sd->q_tail)
		sd->q_tail->next = p;
	else
		sd->q_head = p;
	sd->q_tail = p;
	return 0;
}

static const struct netdev_ops side_ops = { .kind = "l4test", .xmit = side_xmit };

static int side_init(struct l4_side *sd, const char *name, uint64_t seed,
		     const struct in6_addr *addr)
{
	struct usagi_stack_config cfg = { .name = name, .seed = seed };

	sd->st = usagi_stack_new(&cfg);
	if (!sd->st)
		return -errno;
	usagi_stack_set_log_level(sd->st, 0);
	sd->dev = netdev_create(sd->st, "eth0", &side_ops, sd, NULL);
	if (!sd->dev)
		return -errno;
	netdev_set_up(sd->dev, true);
	return addrconf_add(sd->dev, addr, 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX);
}

int l4_pair_init(struct l4_pair *pr)
{
	int rc, rc2;

	memset(pr, 0, sizeof(*pr));
	inet_pton(AF_INET6, "2001:db8::1", &pr->addr_a);
	inet_pton(AF_INET6, "2001:db8::2", &pr->addr_b);
	pr->a.peer = &pr->b;
	pr->b.peer = &pr->a;
	rc = side_init(&pr->a, "A", 1, &pr->addr_a);
	if (!pr->a.dev)
		return rc;
	rc2 = side_init(&pr->b, "B", 2, &pr->addr_b);
	if (!pr->b.dev)
		return rc2;
	l4_pair_pump(pr, 10);
	/* Both hosts exist even if an address failed, so tests of other parts still run. */
	return rc < 0 ? rc : rc2;
}

int l4_pair_setup(void **state)
{
	struct l4_pair *pr = calloc(1, sizeof(*pr));

	assert_non_null(pr);
	l4_pair_init(pr);
	assert_non_null(pr->b.dev);
	*state = pr;
	return 0;
}

static void side_flush(struct l4_side *sd)
{
	pkt_free_chain(sd->q_head);
	sd->q_head = sd->q_tail = NULL;
}

void l4_pair_fini(struct l4_pair *pr)
{
	side_flush(&pr->a);
	side_flush(&pr->b);
	usagi_stack_free(pr->a.st);
	usagi_stack_free(pr->b.st);
}

int l4_pair_teardown(void **state)
{
	struct l4_pair *pr = *state;

	l4_pair_fini(pr);
	free(pr);
	return 0;
}

/* Delivers one queued frame of @sd to its peer; false if none. */
static bool side_deliver(struct l4_side *sd)
{
	struct pkt *p = sd->q_head, *c;

	if (!p)
		return false;
	sd->q_head = p->next;
	if (!sd->q_head)
		sd->q_tail = NULL;
	c = pkt_from_bytes(sd->peer->st->pool, p->data, p->len);
	pkt_free(p);
	if (c)
		netdev_rx(sd->peer->dev, c);
	return true;
}

void l4_pair_pump(struct l4_pair *pr, unsigned ms)
{
	for (int round = 0; round < 1000; round++) {
		bool moved = false;

		while (side_deliver(&pr->a) || side_deliver(&pr->b))
			moved = true;
		uint64_t now = usagi_stack_now(pr->a.st) + (uint64_t)ms * 1000000ULL;

		usagi_stack_advance(pr->a.st, now);
		usagi_stack_advance(pr->b.st, now);
		if (!moved && !pr->a.q_head && !pr->b.q_head)
			break;
	}
}

void l4_pair_inject_tcp(struct l4_pair *pr, const struct tcp_seg *s, const void *data, size_t len)
{
	struct stack *st = pr->b.st;
	struct pkt *p = stack_pkt_alloc(st, len + 120);
	struct ip6_hdr *ip;

	assert_non_null(p);
	if (len)
		memcpy(pkt_put(p, len), data, len);
	assert_int_equal(tcp_push_hdr(p, s), 0);
	put_be16(p->data + TCP_CSUM_OFF, csum_ipv6(&pr->addr_a, &pr->addr_b, NH_TCP, p->data, p->len));
	ip = pkt_push(p, IPV6_HLEN);
	if (!ip) {    /* never (120 bytes of room), but cmocka's failures are not noreturn to the compiler */
		fail();
		return;
	}
	memset(ip, 0, IPV6_HLEN);
	ip->vtcfl[0] = 0x60;
	put_be16(ip->plen, (uint16_t)(p->len - IPV6_HLEN));
	ip->nxt = NH_TCP;
	ip->hlim = 64;
	memcpy(&ip->src, &pr->addr_a, 16);
	memcpy(&ip->dst, &pr->addr_b, 16);
	pkt_set_nh(p);
	pkt_pull(p, IPV6_HLEN);
	memset(p->cb, 0, sizeof(p->cb));
	p->dev = pr->b.dev;
	tcp6_input(st, p);
}

struct usock *l4_pair_tcp_listen(struct l4_pair *pr, uint16_t port, int backlog)
{
	struct usock *l = usagi_socket(pr->b.st, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin;

	assert_non_null(l);
	sockaddr_make(&sin, &in6addr_any, port, 0);
	assert_int_equal(usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(usagi_listen(l, backlog), 0);
	return l;
}

struct usock *l4_pair_tcp_accept(struct l4_pair *pr, struct usock *c, struct usock *l, uint16_t port)
{
	struct sockaddr_in6 sin;
	struct usock *s;

	assert_non_null(c);
	sockaddr_make(&sin, &pr->addr_b, port, 0);
	assert_int_equal(usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)), -EINPROGRESS);
	l4_pair_pump(pr, 1);
	assert_int_equal(c->tcb->state, TCPS_ESTABLISHED);
	s = usagi_accept(l, NULL, NULL);
	assert_non_null(s);
	return s;
}

bool l4_pair_last_tcp(struct l4_pair *pr, struct tcp_seg *seg)
{
	struct pkt *p = pr->b.q_tail;
	const uint8_t *t;
	size_t hl;

	if (!p || p->len < 14 + 40 + 20 || p->data[14 + 6] != NH_TCP)
		return false;
	t = p->data + 14 + 40;
	memset(seg, 0, sizeof(*seg));
	seg->seq = get_be32(t + 4);
	seg->ack = get_be32(t + 8);
	seg->flags = t[13];
	seg->wnd = get_be16(t + 14);
	hl = (size_t)(t[12] >> 4) * 4;
	assert_int_equal(tcp_parse_opts(NULL, t + 20, hl - 20, &seg->o, seg->flags & TCP_F_SYN), 0);
	return true;
}
