#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "link/ether.h"
#include "proto/ip4.h"
#include "usagi/socket.h"

#define LAB_PORT(p) (*(struct lab_port **)(p)->cb)

static int lab_xmit(struct netdev *dev, struct pkt *p)
{
	struct lab_port *pt = dev->priv;
	struct lab_link *k = &pt->lab->link[pt->link];

	if (k->ncap < LAB_FRAMES) {
		struct lab_frame *f = &k->cap[k->ncap++];

		f->b = malloc(p->len);
		assert_non_null(f->b);
		memcpy(f->b, p->data, p->len);
		f->len = p->len;
	}
	if (k->cut) {
		k->dropped++;
		pkt_free(p);
		return 0;
	}
	LAB_PORT(p) = pt->peer;
	pktq_push(&pt->lab->q, p);
	return 0;
}

static const struct netdev_ops lab_ops = { .kind = "lab", .xmit = lab_xmit };

struct lab *lab_new(void)
{
	struct lab *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	return l;
}

void lab_cap_clear(struct lab *l, int k)
{
	struct lab_link *lk = &l->link[k];

	for (unsigned i = 0; i < lk->ncap; i++)
		free(lk->cap[i].b);
	lk->ncap = 0;
}

void lab_free(struct lab *l)
{
	pktq_purge(&l->q);
	for (unsigned i = 0; i < l->nlinks; i++)
		lab_cap_clear(l, (int)i);
	for (unsigned i = 0; i < l->nnodes; i++) {
		cmd_cancel(&l->node[i].env);
		usagi_stack_free(l->node[i].st);
		fclose(l->node[i].env.out);
	}
	free(l);
}

int lab_node(struct lab *l, const char *name)
{
	struct usagi_stack_config cfg = { .name = name, .seed = 100 + l->nnodes, .now = NS_PER_SEC };
	struct lab_node *n = &l->node[l->nnodes];

	assert_true(l->nnodes < LAB_NODES);
	n->st = usagi_stack_new(&cfg);
	assert_non_null(n->st);
	usagi_stack_set_log_level(n->st, 0);
	n->env.st = n->st;
	n->env.out = fopen("/dev/null", "w");
	n->env.err = stderr;
	return (int)l->nnodes++;
}

int lab_connect(struct lab *l, int a, const char *ifa, int b, const char *ifb)
{
	int k = (int)l->nlinks++;
	struct lab_link *lk = &l->link[k];
	uint8_t mac[6] = { 0x02, 0, 0, (uint8_t)k, 0, 0 };

	assert_true(l->nlinks <= LAB_LINKS);
	for (int s = 0; s < 2; s++) {
		struct lab_port *pt = &lk->port[s];

		mac[4] = (uint8_t)(s == 0 ? a : b);
		mac[5] = (uint8_t)(s + 1);
		pt->lab = l;
		pt->link = k;
		pt->peer = &lk->port[!s];
		pt->dev = netdev_create(l->node[s == 0 ? a : b].st, s == 0 ? ifa : ifb, &lab_ops, pt, mac);
		assert_non_null(pt->dev);
		netdev_set_up(pt->dev, true);
	}
	return k;
}

void lab_cmd(struct lab *l, int n, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cmd_exec_line(&l->node[n].env, line) != 0)
		fail_msg("command failed on node %d: %s", n, line);
}

void lab_pump(struct lab *l, unsigned ms)
{
	for (int round = 0; round < 1000; round++) {
		bool moved = false;
		struct pkt *p;

		while ((p = pktq_pop(&l->q))) {
			struct lab_port *to = LAB_PORT(p);
			struct pkt *c = pkt_from_bytes(to->dev->st->pool, p->data, p->len);

			pkt_free(p);
			if (c)
				netdev_rx(to->dev, c);
			moved = true;
		}
		for (unsigned i = 0; i < l->nnodes; i++) {
			struct stack *st = l->node[i].st;

			usagi_stack_advance(st, usagi_stack_now(st) + (uint64_t)ms * NS_PER_MS);
		}
		if (!moved && !l->q.head)
			break;
	}
}

int lab_frame_family(const struct lab_frame *f, uint8_t *proto)
{
	uint16_t type;

	if (f->len < ETH_HLEN + 20)
		return 0;
	type = get_be16(f->b + 12);
	if (type == ETH_P_IPV6 && f->len >= ETH_HLEN + 40) {
		*proto = f->b[ETH_HLEN + 6];
		return AF_INET6;
	}
	if (type == ETH_P_IP) {
		*proto = f->b[ETH_HLEN + 9];
		return AF_INET;
	}
	return 0;
}

unsigned lab_count(struct lab *l, int k, int family, uint8_t proto)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->link[k].ncap; i++) {
		uint8_t pr;
		int fam = lab_frame_family(&l->link[k].cap[i], &pr);

		if (fam && (!family || fam == family) && pr == proto)
			n++;
	}
	return n;
}

const struct lab_frame *lab_find(struct lab *l, int k, uint8_t proto, unsigned i)
{
	for (unsigned j = 0; j < l->link[k].ncap; j++) {
		uint8_t pr;

		if (lab_frame_family(&l->link[k].cap[j], &pr) && pr == proto && i-- == 0)
			return &l->link[k].cap[j];
	}
	return NULL;
}

bool lab_wire_has(struct lab *l, int k, const void *needle, size_t n)
{
	for (unsigned i = 0; i < l->link[k].ncap; i++) {
		const struct lab_frame *f = &l->link[k].cap[i];

		for (size_t o = 0; o + n <= f->len; o++)
			if (memcmp(f->b + o, needle, n) == 0)
				return true;
	}
	return false;
}

void lab_inject(struct lab *l, int to_node, int k, const uint8_t *frame, size_t len)
{
	struct lab_link *lk = &l->link[k];
	struct lab_port *pt = lk->port[0].dev->st == l->node[to_node].st ? &lk->port[0] : &lk->port[1];
	struct pkt *c = pkt_from_bytes(pt->dev->st->pool, frame, len);

	assert_non_null(c);
	netdev_rx(pt->dev, c);
}

struct in6_addr lab_addr(const char *s, int *family)
{
	struct in6_addr a;
	uint32_t v4;
	int fam;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		ip4_to_mapped(&a, v4);
		fam = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
		fam = AF_INET6;
	}
	if (family)
		*family = fam;
	return a;
}

struct xfrm_state *lab_sa(struct stack *st, uint8_t proto, int mode, const char *src,
			  const char *dst, uint32_t spi, enum lab_alg alg)
{
	struct xfrm_sa_cfg c = { .id = { .spi = spi, .proto = proto }, .mode = (uint8_t)mode,
				 .replay_window = 32 };
	struct xfrm_state *x = NULL;
	int fam;

	c.id.daddr = lab_addr(dst, &fam);
	c.saddr = lab_addr(src, NULL);
	c.family = (uint8_t)fam;
	/* Both ends derive the same keys from the SPI. */
	for (unsigned i = 0; i < sizeof(c.enc.key); i++) {
		c.enc.key[i] = (uint8_t)(spi * 7 + i);
		c.auth.key[i] = (uint8_t)(spi * 13 + i * 3);
	}
	if (proto == IPPROTO_COMP) {
		strcpy(c.comp.name, "deflate");
	} else if (proto == IPPROTO_AH) {
		strcpy(c.auth.name, "hmac-sha256");
		c.auth.key_len = 32;
	} else if (alg == LAB_GCM) {
		strcpy(c.enc.name, "aes-gcm-16");
		c.enc.key_len = 20;
	} else {
		strcpy(c.enc.name, "aes-cbc");
		c.enc.key_len = 16;
		strcpy(c.auth.name, "hmac-sha256");
		c.auth.key_len = 32;
	}
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	return x;
}

struct xfrm_selector lab_sel(const char *src, unsigned splen, const char *dst, unsigned dplen,
			     uint8_t proto)
{
	struct xfrm_selector s = { .splen = (uint8_t)splen, .dplen = (uint8_t)dplen, .proto = proto };
	int fam;

	s.src = lab_addr(src, &fam);
	s.dst = lab_addr(dst, NULL);
	s.family = (uint8_t)fam;
	return s;
}

struct xfrm_policy *lab_pol(struct stack *st, const struct xfrm_selector *sel, int dir,
			    int action, unsigned ntmpl, const struct xfrm_tmpl *tmpl)
{
	struct xfrm_policy req = { .sel = *sel, .dir = (uint8_t)dir, .action = (uint8_t)action,
				   .ntmpl = (uint8_t)ntmpl, .priority = 100 };
	struct xfrm_policy *pol = NULL;

	for (unsigned i = 0; i < ntmpl; i++)
		req.tmpl[i] = tmpl[i];
	assert_int_equal(xfrm_policy_add(st, &req, 0, &pol), 0);
	return pol;
}

struct xfrm_tmpl lab_tmpl(uint8_t proto, int mode, const char *src, const char *dst, int level)
{
	struct xfrm_tmpl t = { .proto = proto, .mode = (uint8_t)mode, .level = (uint8_t)level };
	int fam = AF_INET6;

	if (mode == XFRM_TMPL_TUNNEL) {
		t.saddr = lab_addr(src, &fam);
		t.daddr = lab_addr(dst, NULL);
	}
	t.family = (uint8_t)fam;
	return t;
}

void lab_allow_nd(struct stack *st)
{
	for (int dir = XFRM_DIR_IN; dir <= XFRM_DIR_OUT; dir++) {
		for (uint16_t type = 133; type <= 137; type++) {
			struct xfrm_selector s = lab_sel("::", 0, "::", 0, IPPROTO_ICMPV6);
			struct xfrm_policy req = { .dir = (uint8_t)dir, .action = XFRM_ACT_ALLOW };

			s.sport = type;
			s.sport_mask = 0xffff;
			req.sel = s;
			assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), 0);
		}
	}
}

int lab_pair_setup(void **state)
{
	struct lab_pair *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->l = lab_new();
	t->a = lab_node(t->l, "A");
	t->b = lab_node(t->l, "B");
	t->k = lab_connect(t->l, t->a, "eth0", t->b, "eth0");
	lab_cmd(t->l, t->a, "addr add " LAB_A6 "/64 dev eth0 nodad");
	lab_cmd(t->l, t->b, "addr add " LAB_B6 "/64 dev eth0 nodad");
	lab_cmd(t->l, t->a, "addr add " LAB_A4 "/24 dev eth0 nodad");
	lab_cmd(t->l, t->b, "addr add " LAB_B4 "/24 dev eth0 nodad");
	lab_pump(t->l, 10);
	t->base_a = pkt_pool_in_use(lab_st(t->l, t->a)->pool);
	t->base_b = pkt_pool_in_use(lab_st(t->l, t->b)->pool);
	lab_cap_clear(t->l, t->k);
	*state = t;
	return 0;
}

int lab_pair_teardown(void **state)
{
	struct lab_pair *t = *state;

	lab_free(t->l);
	free(t);
	return 0;
}

void lab_pair_check_pools(struct lab_pair *t)
{
	lab_pump(t->l, 10);
	assert_int_equal(pkt_pool_in_use(lab_st(t->l, t->a)->pool), t->base_a);
	assert_int_equal(pkt_pool_in_use(lab_st(t->l, t->b)->pool), t->base_b);
}

static socklen_t mkaddr(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return sizeof(*s4);
}

struct usock *lab_udp_bound(struct stack *st, int fam, uint16_t port)
{
	struct usock *s = usagi_socket(st, fam, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(&ss, fam == AF_INET6 ? "::" : "0.0.0.0", port);

	assert_non_null(s);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&ss, sl), 0);
	return s;
}

ssize_t lab_send_to(struct usock *s, const char *dst, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(&ss, dst, port);

	return usagi_sendto(s, buf, len, 0, (struct sockaddr *)&ss, sl);
}

ssize_t lab_udp_send(struct stack *from, const char *dst, uint16_t port, const char *msg)
{
	struct usock *s = usagi_socket(from, strchr(dst, ':') ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	ssize_t rc = lab_send_to(s, dst, port, msg, strlen(msg));

	usagi_close(s);
	return rc;
}

bool lab_got(struct usock *s, const char *msg)
{
	char buf[4096];
	ssize_t n = usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL);

	return n == (ssize_t)strlen(msg) && memcmp(buf, msg, (size_t)n) == 0;
}

bool lab_empty(struct usock *s)
{
	return usagi_sock_pending(s) == 0;
}
