/*
 * libFuzzer target for the SPD lookup structure (src/xfrm/policy_*.c,
 * src/ipv6/lpm6.c) against a naive scan: each input is a program of
 * policy adds, updates, deletes, bursts of per-peer policies (a gateway's
 * shape, so the by-source and host-destination indexes, the inbound
 * shortcut and the non-host list engage; now and then enough of them for
 * the trie's root to move to its words) and lookups, each lookup asked
 * twice (the second meets what the first left: shortcut hints, refreshed
 * bounds) and compared with every policy checked in turn. A difference
 * aborts. Addresses come from a few bases so prefixes nest and overlap.
 * The SPD is flushed after every input.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/policy.h"

static struct stack *st;

struct rd {
	const uint8_t *d;
	size_t n, i;
};

static unsigned get8(struct rd *r)
{
	return r->i < r->n ? r->d[r->i++] : 0;
}

static bool more(const struct rd *r)
{
	return r->i < r->n;
}

/* An address near one of a few bases (in the family's 128-bit form), from two bytes. */
static void addr(struct rd *r, bool v6, struct in6_addr *a)
{
	static const uint8_t b6[4][8] = { { 0x20, 0x01, 0x0d, 0xb8 },
					  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 },
					  { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff },
					  { 0 } };
	static const uint32_t b4[4] = { 0x0a000000, 0x0a000100, 0xc0000200, 0 };
	unsigned x = get8(r), y = get8(r);

	memset(a, 0, sizeof(*a));
	if (v6) {
		memcpy(a->s6_addr, b6[x & 3], 8);
		a->s6_addr[15] = (uint8_t)(x >> 2);
		a->s6_addr[13] = (uint8_t)(y & 7);
		if (y & 8)
			a->s6_addr[9] ^= 0x40;
		if ((x & 3) == 3)    /* spread over the trie's root entries: its words and bucket filters */
			a->s6_addr[1] = (uint8_t)(y >> 4 | x << 4), a->s6_addr[2] = (uint8_t)(x >> 2);
	} else {
		ip4_to_mapped(a, htonl(b4[x & 3] | (x >> 2) | (y & 7) << 8 | ((x & 3) == 3 ? (uint32_t)y << 16 : 0)));
	}
}

static uint8_t plen(struct rd *r, bool v6)
{
	static const uint8_t p6[] = { 0, 16, 48, 64, 96, 112, 120, 127, 128, 128 };
	static const uint8_t p4[] = { 0, 8, 16, 22, 24, 26, 28, 31, 32, 32 };

	unsigned k = get8(r) % 10;
	return v6 ? p6[k] : p4[k];
}

static void one_policy(struct rd *r)
{
	unsigned f = get8(r);
	bool v6 = f & 1;
	struct xfrm_policy req = { .dir = (uint8_t)(f >> 1) % XFRM_DIR_MAX, .action = XFRM_ACT_BLOCK };

	req.sel.family = v6 ? AF_INET6 : AF_INET;
	addr(r, v6, &req.sel.src);
	req.sel.splen = plen(r, v6);
	addr(r, v6, &req.sel.dst);
	req.sel.dplen = plen(r, v6);
	req.sel.proto = (f >> 3) % 3 == 0 ? XFRM_PROTO_ANY : (f >> 3) % 3 == 1 ? IPPROTO_TCP : IPPROTO_UDP;
	if (req.sel.proto != XFRM_PROTO_ANY && (f & 0x40)) {
		req.sel.dport = (uint16_t)(1 + get8(r) % 3);
		req.sel.dport_mask = 0xffff;
	}
	req.priority = get8(r) % 8 * 100;
	xfrm_policy_add(st, &req, f & 0x80 ? XFRM_POLICY_F_UPDATE : 0, NULL);
}

/* Peers' policies to (or from) one local prefix: a gateway. Now and then thousands. */
static void burst(struct rd *r)
{
	unsigned f = get8(r), n = 16 + get8(r) % 64, prio = get8(r) % 8 * 100;
	bool v6 = f & 1, out = f & 2;
	struct in6_addr local;
	uint8_t lplen;

	if ((f & 0x1c) == 0x1c)    /* one burst in eight: past the 4096 prefixes that move the trie's root */
		n *= 64;
	addr(r, v6, &local);
	lplen = plen(r, v6);
	for (unsigned i = 0; i < n; i++) {
		struct xfrm_policy req = { .dir = out ? XFRM_DIR_OUT : XFRM_DIR_IN, .action = XFRM_ACT_ALLOW };
		struct in6_addr peer;

		memset(&peer, 0, sizeof(peer));
		if (v6) {
			peer.s6_addr[0] = 0x20, peer.s6_addr[1] = 0x01, peer.s6_addr[2] = 0x0d, peer.s6_addr[3] = 0xb8;
			peer.s6_addr[5] = 0x77;
			put_be16(peer.s6_addr + 14, (uint16_t)i);
		} else {
			ip4_to_mapped(&peer, htonl(0x0a640000u | i));
		}
		req.sel.family = v6 ? AF_INET6 : AF_INET;
		req.sel.src = out ? local : peer;
		req.sel.dst = out ? peer : local;
		req.sel.splen = out ? lplen : (v6 ? 128 : 32);
		req.sel.dplen = out ? (v6 ? 128 : 32) : lplen;
		req.priority = prio + i % 3;
		if (i % 11 == 5)
			req.sel.proto = IPPROTO_UDP;
		xfrm_policy_add(st, &req, 0, NULL);
	}
}

struct pick {
	unsigned want, seen;
	struct xfrm_policy *p;
};

static int pick_one(void *ctx, struct xfrm_policy *p)
{
	struct pick *k = ctx;

	if (k->seen++ == k->want)
		k->p = p;
	return 0;
}

static struct xfrm_policy *pick(struct rd *r)
{
	struct pick k = { .want = get8(r) | get8(r) << 8 };

	xfrm_policy_foreach(st, pick_one, &k);
	if (!k.p && k.seen) {
		k.want %= k.seen;
		k.seen = 0;
		xfrm_policy_foreach(st, pick_one, &k);
	}
	return k.p;
}

struct naive {
	int dir;
	const struct xfrm_flow *fl;
	struct xfrm_policy *best;
};

static int naive_visit(void *ctx, struct xfrm_policy *p)
{
	struct naive *n = ctx;

	if (p->dir == n->dir && xfrm_selector_match(&p->sel, n->fl) &&
	    (!n->best || p->priority < n->best->priority ||
	     (p->priority == n->best->priority && p->seq < n->best->seq)))
		n->best = p;
	return 0;
}

static void lookup(struct rd *r)
{
	unsigned f = get8(r), g = get8(r);
	bool v6 = f & 1;
	struct xfrm_flow fl = { .family = v6 ? AF_INET6 : AF_INET };
	struct naive n = { .dir = (int)(f >> 1) % XFRM_DIR_MAX, .fl = &fl };

	addr(r, v6, &fl.src);
	addr(r, v6, &fl.dst);
	if (g & 1) {    /* a burst's peer */
		unsigned i = get8(r) | (g & 0x70) << 4;

		if (v6) {
			memcpy(&fl.src, "\x20\x01\x0d\xb8\x00\x77", 6);
			memset(fl.src.s6_addr + 6, 0, 8);
			put_be16(fl.src.s6_addr + 14, (uint16_t)i);
		} else {
			ip4_to_mapped(&fl.src, htonl(0x0a640000u | i));
		}
		if (g & 2) {    /* the peer as destination instead */
			struct in6_addr t = fl.src;

			fl.src = fl.dst;
			fl.dst = t;
		}
	}
	fl.proto = (g >> 2) % 3 == 0 ? IPPROTO_ICMPV6 : (g >> 2) % 3 == 1 ? IPPROTO_TCP : IPPROTO_UDP;
	fl.sport = 7;
	fl.dport = (uint16_t)(g >> 7 ? 1 + f % 3 : 9);
	if ((f & 0xc0) == 0xc0)
		fl.flags = XFRM_FLOW_NOPORTS;
	xfrm_policy_foreach(st, naive_visit, &n);
	for (int k = 0; k < 2; k++)
		if (xfrm_policy_lookup(st, n.dir, &fl) != n.best)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size, 0 };

	if (!st) {
		struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1, .now = NS_PER_SEC };

		st = usagi_stack_new(&cfg);
		if (!st)
			abort();
		usagi_stack_set_log_level(st, 0);
	}
	while (more(&r)) {
		struct xfrm_policy *p;

		switch (get8(&r) % 8) {
		case 0:
		case 1:
			one_policy(&r);
			break;
		case 2:
			burst(&r);
			break;
		case 3:
			if ((p = pick(&r)))
				xfrm_policy_delete_index(st, p->index);
			break;
		case 4:
			if ((p = pick(&r))) {    /* spdupdate: the same selector and direction, a new rank */
				struct xfrm_policy req = { .sel = p->sel, .dir = p->dir, .action = p->action };

				req.priority = get8(&r) % 8 * 100;
				xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, NULL);
			}
			break;
		default:
			lookup(&r);
			break;
		}
	}
	xfrm_policy_flush(st);
	return 0;
}
