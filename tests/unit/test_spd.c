/*
 * SPD: selector semantics (families, protocols, ports, ICMP type/code, MH
 * type, fragments, interface), priorities and ties, add/update/delete/get,
 * dumps that survive changes, template order and bundle resolution for
 * every IPv4/IPv6 nesting, and the lookup structure against a naive scan
 * on random policy sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/policy.h"

static struct stack *new_stack(void)
{
	struct usagi_stack_config cfg = { .name = "spd", .seed = 7 };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	usagi_stack_set_log_level(st, 0);
	return st;
}

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct in6_addr a4(const char *s)
{
	struct in6_addr m;
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	ip4_to_mapped(&m, a);
	return m;
}

static struct xfrm_selector sel6(const char *src, unsigned splen, const char *dst, unsigned dplen, uint8_t proto)
{
	return (struct xfrm_selector){ .src = a6(src), .dst = a6(dst), .splen = splen, .dplen = dplen,
		.family = AF_INET6, .proto = proto };
}

static struct xfrm_selector sel4(const char *src, unsigned splen, const char *dst, unsigned dplen, uint8_t proto)
{
	return (struct xfrm_selector){ .src = a4(src), .dst = a4(dst), .splen = splen, .dplen = dplen,
		.family = AF_INET, .proto = proto };
}

static struct xfrm_flow flow6(const char *src, const char *dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (struct xfrm_flow){ .src = a6(src), .dst = a6(dst), .proto = proto, .family = AF_INET6,
		.sport = sp, .dport = dp };
}

static struct xfrm_flow flow4(const char *src, const char *dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (struct xfrm_flow){ .src = a4(src), .dst = a4(dst), .proto = proto, .family = AF_INET,
		.sport = sp, .dport = dp };
}

static struct xfrm_policy *add(struct stack *st, struct xfrm_selector sel, int dir, uint32_t prio, int action)
{
	struct xfrm_policy req = { .sel = sel, .dir = dir, .priority = prio, .action = action }, *p = NULL;

	if (action == XFRM_ACT_IPSEC) {
		req.ntmpl = 1;
		req.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .level = XFRM_LEVEL_REQUIRE };
	}
	assert_int_equal(xfrm_policy_add(st, &req, 0, &p), 0);
	return p;
}

static void test_priority_and_ties(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_flow fl = flow6("2001:db8::1", "2001:db8:1::5", IPPROTO_UDP, 1000, 53);
	struct xfrm_policy *wide = add(st, sel6("::", 0, "::", 0, XFRM_PROTO_ANY), XFRM_DIR_OUT, 100, XFRM_ACT_BLOCK);
	struct xfrm_policy *narrow = add(st, sel6("2001:db8::", 64, "2001:db8:1::", 64, IPPROTO_UDP),
					 XFRM_DIR_OUT, 200, XFRM_ACT_IPSEC);

	/* Lowest priority value wins, not the most specific selector. */
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), wide);
	assert_null(xfrm_policy_lookup(st, XFRM_DIR_IN, &fl));
	struct xfrm_policy *tie = add(st, sel6("::", 0, "2001:db8:1::5", 128, XFRM_PROTO_ANY), XFRM_DIR_OUT, 100, XFRM_ACT_ALLOW);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), wide);   /* tie: first added */
	assert_int_equal(xfrm_policy_delete_index(st, wide->index), 0);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), tie);
	fl.proto = IPPROTO_TCP;
	assert_int_equal(xfrm_policy_delete_index(st, tie->index), 0);
	assert_null(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl));
	fl.proto = IPPROTO_UDP;
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), narrow);
	usagi_stack_free(st);
}

static void test_families(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_policy *any6 = add(st, sel6("::", 0, "::", 0, 0), XFRM_DIR_OUT, 10, XFRM_ACT_BLOCK);
	struct xfrm_flow f4 = flow4("192.0.2.1", "198.51.100.7", IPPROTO_TCP, 1, 2);
	struct xfrm_flow f6m = flow6("::ffff:192.0.2.1", "::ffff:198.51.100.7", IPPROTO_TCP, 1, 2);

	assert_null(xfrm_policy_lookup(st, XFRM_DIR_OUT, &f4));   /* an IPv6 selector never matches IPv4 */
	struct xfrm_policy *any4 = add(st, sel4("0.0.0.0", 0, "0.0.0.0", 0, 0), XFRM_DIR_OUT, 20, XFRM_ACT_ALLOW);
	struct xfrm_policy *net4 = add(st, sel4("192.0.2.0", 24, "198.51.100.0", 24, IPPROTO_TCP), XFRM_DIR_OUT, 5,
				       XFRM_ACT_IPSEC);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &f4), net4);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &f6m), any6); /* nor IPv4 an IPv6 flow */
	f4.dst = a4("198.51.101.7");
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &f4), any4);
	/* Bits past the prefix are ignored and an unset IPv4 address means 0.0.0.0. */
	struct xfrm_selector s = sel4("192.0.2.77", 24, "198.51.100.99", 24, IPPROTO_TCP);
	assert_int_equal(xfrm_policy_delete(st, &s, XFRM_DIR_OUT), 0);
	s = (struct xfrm_selector){ .family = AF_INET };
	assert_int_equal(xfrm_policy_delete(st, &s, XFRM_DIR_OUT), 0);
	assert_int_equal(xfrm_policy_delete(st, &s, XFRM_DIR_OUT), -ENOENT);
	assert_int_equal(xfrm_policy_count(st), 1);
	usagi_stack_free(st);
}

static void test_ports_icmp_mh(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_selector s = sel6("::", 0, "::", 0, IPPROTO_ICMPV6);
	struct xfrm_flow fl = flow6("fe80::1", "fe80::2", IPPROTO_ICMPV6, 135, 0);

	s.sport = 135;                      /* neighbour solicitation, any code */
	struct xfrm_policy *ns = add(st, s, XFRM_DIR_OUT, 1, XFRM_ACT_ALLOW);
	s.sport = 0;
	s.sport_mask = 0xffff;              /* type 0 exactly needs the mask */
	struct xfrm_policy *t0 = add(st, s, XFRM_DIR_OUT, 1, XFRM_ACT_ALLOW);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), ns);
	fl.sport = 0;
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), t0);
	fl.sport = 136;
	assert_null(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl));

	s = sel6("2001:db8::1", 128, "2001:db8::2", 128, 135);
	s.sport = 5;                        /* MH type 5: Binding Update (RFC 3776 3.1) */
	struct xfrm_policy *bu = add(st, s, XFRM_DIR_OUT, 1, XFRM_ACT_IPSEC);
	fl = flow6("2001:db8::1", "2001:db8::2", 135, 5, 0);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), bu);
	fl.sport = 6;
	assert_null(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl));

	s = sel4("10.0.0.0", 8, "10.0.0.0", 8, IPPROTO_UDP);
	s.dport = 500;
	struct xfrm_policy *ike = add(st, s, XFRM_DIR_IN, 1, XFRM_ACT_ALLOW);
	s.dport = 0;
	struct xfrm_policy *udp = add(st, s, XFRM_DIR_IN, 2, XFRM_ACT_IPSEC);
	fl = flow4("10.1.1.1", "10.2.2.2", IPPROTO_UDP, 500, 500);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_IN, &fl), ike);
	fl.flags = XFRM_FLOW_NOPORTS;       /* RFC 4301 7: a later fragment matches only port wildcards */
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_IN, &fl), udp);
	fl.flags = 0;
	fl.dport = 4500;
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_IN, &fl), udp);
	usagi_stack_free(st);
}

static void test_ifindex(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_selector s = sel6("::", 0, "2001:db8::", 32, 0);
	struct xfrm_flow fl = flow6("::1", "2001:db8::9", IPPROTO_TCP, 1, 2);

	s.ifindex = 3;
	struct xfrm_policy *eth = add(st, s, XFRM_DIR_FWD, 1, XFRM_ACT_BLOCK);
	fl.ifindex = 2;
	assert_null(xfrm_policy_lookup(st, XFRM_DIR_FWD, &fl));
	fl.ifindex = 3;
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_FWD, &fl), eth);
	usagi_stack_free(st);
}

static void test_add_update_delete(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_policy req = { .sel = sel6("2001:db8::", 48, "2001:db8:2::", 48, IPPROTO_TCP),
		.dir = XFRM_DIR_OUT, .priority = 7, .action = XFRM_ACT_BLOCK }, *p, *q;
	struct xfrm_flow fl = flow6("2001:db8::1", "2001:db8:2::1", IPPROTO_TCP, 1, 2);

	assert_int_equal(xfrm_policy_add(st, &req, 0, &p), 0);
	assert_int_equal(p->index & 7, XFRM_DIR_OUT);
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EEXIST);
	req.dir = XFRM_DIR_IN;
	assert_int_equal(xfrm_policy_add(st, &req, 0, &q), 0);  /* same selector, other direction */
	assert_int_equal(q->index & 7, XFRM_DIR_IN);
	req.dir = XFRM_DIR_OUT;
	req.action = XFRM_ACT_IPSEC;
	req.priority = 3;
	req.ntmpl = 1;
	req.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_AH, .level = XFRM_LEVEL_UNIQUE };
	xfrm_policy_account(p, 100, 5);
	uint32_t idx = p->index;
	assert_int_equal(xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, &q), 0);
	assert_ptr_equal(q, p);
	assert_int_equal(p->index, idx);
	assert_int_equal(p->action, XFRM_ACT_IPSEC);
	assert_int_equal(p->bytes, 100);
	assert_true(p->tmpl[0].reqid > XFRM_REQID_MANUAL_MAX);   /* unique: one assigned */
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), p);
	assert_ptr_equal(xfrm_policy_get(st, idx), p);
	assert_int_equal(xfrm_policy_count(st), 2);
	/* Update of nothing adds. */
	req.sel.dplen = 47;
	assert_int_equal(xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, &q), 0);
	assert_ptr_not_equal(q, p);
	assert_int_equal(xfrm_policy_delete_index(st, idx), 0);
	assert_null(xfrm_policy_get(st, idx));
	assert_int_equal(xfrm_policy_delete_index(st, idx), -ENOENT);
	assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), q);
	xfrm_policy_flush(st);
	assert_int_equal(xfrm_policy_count(st), 0);
	assert_null(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl));
	usagi_stack_free(st);
}

static void test_invalid(void **state)
{
	struct stack *st = new_stack();
	struct xfrm_policy req = { .sel = sel6("::", 0, "::", 0, 0), .dir = XFRM_DIR_OUT,
		.action = XFRM_ACT_IPSEC };

	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);        /* ipsec without templates */
	req.ntmpl = 1;
	req.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_UDP };
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);
	req.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_TMPL_TUNNEL, .family = AF_INET,
		.saddr = a6("2001:db8::1"), .daddr = a6("2001:db8::2") };
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);        /* endpoints of the wrong family */
	req.tmpl[0].family = AF_INET6;
	req.tmpl[0].daddr = in6addr_any;
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);        /* outbound tunnel to nowhere */
	req.sel.family = AF_INET;
	req.sel.dplen = 33;
	req.ntmpl = 0;
	req.action = XFRM_ACT_BLOCK;
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);
	req.sel.dplen = 0;
	req.sel.src = a6("2001:db8::1");
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);        /* IPv4 selector, IPv6 address */
	req.sel.family = 0;
	assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), -EINVAL);
	assert_int_equal(xfrm_policy_count(st), 0);
	usagi_stack_free(st);
}

/* Dump every policy while deleting others and adding more: survivors come back exactly once. */
static void test_dump_while_changing(void **state)
{
	enum { N = 20000 };
	struct stack *st = new_stack();
	struct xfrm_spd_cursor cur = { 0 };
	uint32_t *idx = calloc(N, sizeof(*idx));
	uint8_t *seen = calloc(N, 1), *gone = calloc(N, 1);
	struct rng r;
	struct xfrm_policy *p;
	unsigned added = 0;

	rng_seed(&r, 3);
	for (unsigned i = 0; i < N; i++) {
		struct xfrm_selector s = sel6("2001:db8::", 128, "2001:db8::", 128, 0);

		put_be32(s.dst.s6_addr + 12, i);
		idx[i] = add(st, s, i % 3, i, XFRM_ACT_ALLOW)->index;
	}
	while ((p = xfrm_policy_next(st, &cur))) {
		unsigned i = get_be32(p->sel.dst.s6_addr + 12);

		if (p->sel.dst.s6_addr[5] == 0) {
			assert_true(i < N && !gone[i] && !seen[i]);
			seen[i] = 1;
		} else {
			added++;
		}
		/* Delete a random policy (maybe this one), add one. */
		unsigned v = rng_below(&r, N);
		if (!gone[v] && xfrm_policy_delete_index(st, idx[v]) == 0)
			gone[v] = 1;
		struct xfrm_selector s = sel6("2001:db8:1::", 128, "2001:db8:1::", 128, 0);
		put_be32(s.dst.s6_addr + 8, rng_next(&r));
		xfrm_policy_add(st, &(struct xfrm_policy){ .sel = s, .dir = 1 }, 0, NULL);
		if (added > N)
			break;
	}
	for (unsigned i = 0; i < N; i++)
		assert_true(seen[i] || gone[i]);
	free(idx);
	free(seen);
	free(gone);
	usagi_stack_free(st);
}

static int count_and_delete(void *ctx, struct xfrm_policy *pol)
{
	struct stack *st = ctx;

	assert_int_equal(xfrm_policy_delete_index(st, pol->index), 0);
	return 0;
}

static void test_foreach_delete(void **state)
{
	struct stack *st = new_stack();

	for (unsigned i = 0; i < 300; i++) {
		struct xfrm_selector s = sel4("10.0.0.0", 8, "10.0.0.0", 32, 0);

		s.dst.s6_addr[15] = (uint8_t)i;
		s.dst.s6_addr[14] = (uint8_t)(i >> 8);
		add(st, s, XFRM_DIR_IN, 0, XFRM_ACT_ALLOW);
	}
	assert_int_equal(xfrm_policy_foreach(st, count_and_delete, st), 0);
	assert_int_equal(xfrm_policy_count(st), 0);
	usagi_stack_free(st);
}

static void test_tmpl_order(void **state)
{
	struct xfrm_policy p = { .action = XFRM_ACT_IPSEC, .ntmpl = 3 };
	const struct xfrm_tmpl *o[XFRM_TMPL_MAX];

	/* setkey order "ah esp ipcomp": applied ipcomp, esp, ah (AH outermost). */
	p.tmpl[0].proto = IPPROTO_AH;
	p.tmpl[1].proto = IPPROTO_ESP;
	p.tmpl[2].proto = IPPROTO_COMP;
	assert_int_equal(xfrm_policy_tmpl_order(&p, o), 3);
	assert_ptr_equal(o[0], &p.tmpl[2]);
	assert_ptr_equal(o[1], &p.tmpl[1]);
	assert_ptr_equal(o[2], &p.tmpl[0]);
	/* A tunnel ends a group: "ah/transport esp/tunnel ipcomp/transport" keeps its shape. */
	p.tmpl[1].mode = XFRM_TMPL_TUNNEL;
	assert_int_equal(xfrm_policy_tmpl_order(&p, o), 3);
	assert_ptr_equal(o[0], &p.tmpl[0]);
	assert_ptr_equal(o[1], &p.tmpl[1]);
	assert_ptr_equal(o[2], &p.tmpl[2]);
}

static struct xfrm_tmpl tunnel(uint8_t proto, int family)
{
	struct xfrm_tmpl t = { .proto = proto, .mode = XFRM_TMPL_TUNNEL, .family = family,
		.level = XFRM_LEVEL_REQUIRE };

	t.saddr = family == AF_INET ? a4("203.0.113.1") : a6("2001:db8:f::1");
	t.daddr = family == AF_INET ? a4("203.0.113.2") : a6("2001:db8:f::2");
	return t;
}

/* IPComp+ESP+AH over a tunnel of each family, for flows of each family. */
static void test_bundle_combinations(void **state)
{
	struct stack *st = new_stack();

	for (int inner = 0; inner < 2; inner++) {
		for (int outer = 0; outer < 2; outer++) {
			int fi = inner ? AF_INET6 : AF_INET, fo = outer ? AF_INET6 : AF_INET;
			struct xfrm_flow fl = inner ? flow6("2001:db8:a::1", "2001:db8:b::1", IPPROTO_TCP, 1, 80)
						    : flow4("10.1.0.1", "10.2.0.1", IPPROTO_TCP, 1, 80);
			struct xfrm_policy req = { .dir = XFRM_DIR_OUT, .action = XFRM_ACT_IPSEC, .ntmpl = 3 }, *p;
			struct xfrm_resolved r[XFRM_TMPL_MAX];
			struct xfrm_tmpl t = tunnel(IPPROTO_COMP, fo);

			req.sel = inner ? sel6("2001:db8:a::", 48, "2001:db8:b::", 48, 0)
					: sel4("10.1.0.0", 16, "10.2.0.0", 16, 0);
			/* setkey: ah/transport esp/transport ipcomp/tunnel is not this; Linux stacks the
			 * tunnel first and the transports on the outer header. */
			req.tmpl[0] = t;
			req.tmpl[1] = (struct xfrm_tmpl){ .proto = IPPROTO_AH, .level = XFRM_LEVEL_USE };
			req.tmpl[2] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .level = XFRM_LEVEL_REQUIRE };
			assert_int_equal(xfrm_policy_add(st, &req, 0, &p), 0);
			assert_ptr_equal(xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl), p);
			assert_int_equal(xfrm_policy_resolve(p, &fl, r), 3);
			assert_int_equal(r[0].proto, IPPROTO_COMP);
			assert_int_equal(r[0].mode, XFRM_TMPL_TUNNEL);
			assert_int_equal(r[0].inner_family, fi);
			assert_int_equal(r[1].proto, IPPROTO_ESP);
			assert_int_equal(r[2].proto, IPPROTO_AH);
			assert_int_equal(r[2].level, XFRM_LEVEL_USE);
			for (int i = 0; i < 3; i++) {
				assert_int_equal(r[i].family, fo);
				assert_memory_equal(&r[i].saddr, &t.saddr, 16);
				assert_memory_equal(&r[i].daddr, &t.daddr, 16);
			}
			assert_int_equal(r[1].inner_family, fo);
			/* Transport only: the flow's own addresses and family. */
			req.ntmpl = 2;
			req.tmpl[0] = req.tmpl[2];
			assert_int_equal(xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, &p), 0);
			assert_int_equal(xfrm_policy_resolve(p, &fl, r), 2);
			assert_int_equal(r[0].proto, IPPROTO_ESP);
			assert_int_equal(r[1].proto, IPPROTO_AH);
			assert_int_equal(r[1].family, fi);
			assert_memory_equal(&r[1].daddr, &fl.dst, 16);
			/* Nested: ESP tunnel of the outer family inside an AH tunnel of the other. */
			req.tmpl[0] = tunnel(IPPROTO_ESP, fo);
			req.tmpl[1] = tunnel(IPPROTO_AH, outer ? AF_INET : AF_INET6);
			assert_int_equal(xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, &p), 0);
			assert_int_equal(xfrm_policy_resolve(p, &fl, r), 2);
			assert_int_equal(r[0].family, fo);
			assert_int_equal(r[1].inner_family, fo);
			assert_int_equal(r[1].family, outer ? AF_INET : AF_INET6);
			assert_int_equal(xfrm_policy_delete(st, &p->sel, XFRM_DIR_OUT), 0);
		}
	}
	/* Inbound tunnel with wildcard endpoints cannot change family. */
	struct xfrm_policy req = { .sel = sel4("10.1.0.0", 16, "10.2.0.0", 16, 0), .dir = XFRM_DIR_IN,
		.action = XFRM_ACT_IPSEC, .ntmpl = 1 }, *p;
	struct xfrm_flow fl = flow4("10.1.0.1", "10.2.0.1", IPPROTO_TCP, 1, 80);
	struct xfrm_resolved r[XFRM_TMPL_MAX];
	req.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_TMPL_TUNNEL, .family = AF_INET6 };
	assert_int_equal(xfrm_policy_add(st, &req, 0, &p), 0);
	assert_int_equal(xfrm_policy_resolve(p, &fl, r), -EINVAL);
	usagi_stack_free(st);
}

/* ---- Differential: the index against every policy checked in turn. ---- */

static const struct xfrm_policy *naive_best;
static int naive_dir;
static const struct xfrm_flow *naive_flow;

static int naive_visit(void *ctx, struct xfrm_policy *p)
{
	if (p->dir == naive_dir && xfrm_selector_match(&p->sel, naive_flow) &&
	    (!naive_best || p->priority < naive_best->priority ||
	     (p->priority == naive_best->priority && p->seq < naive_best->seq)))
		naive_best = p;
	return 0;
}

static struct xfrm_policy *naive_lookup(struct stack *st, int dir, const struct xfrm_flow *fl)
{
	naive_best = NULL;
	naive_dir = dir;
	naive_flow = fl;
	xfrm_policy_foreach(st, naive_visit, NULL);
	return (struct xfrm_policy *)naive_best;
}

/* Addresses near a few bases, so prefixes nest and overlap a lot. */
static void rand_addr(struct rng *r, int family, struct in6_addr *a)
{
	static const char *base6[] = { "2001:db8::", "2001:db8:0:1::", "2001:db8:ff::", "fe80::", "::" };
	static const char *base4[] = { "10.0.0.0", "10.0.1.0", "192.0.2.0", "0.0.0.0" };

	if (family == AF_INET6) {
		*a = a6(base6[rng_below(r, ARRAY_SIZE(base6))]);
		a->s6_addr[15] = (uint8_t)rng_below(r, 8);
		if (rng_below(r, 4) == 0)
			a->s6_addr[7] ^= (uint8_t)rng_below(r, 4);
	} else {
		*a = a4(base4[rng_below(r, ARRAY_SIZE(base4))]);
		a->s6_addr[15] = (uint8_t)rng_below(r, 8);
	}
}

static unsigned rand_plen(struct rng *r, int family)
{
	static const uint8_t p6[] = { 0, 16, 32, 48, 56, 63, 64, 120, 125, 127, 128 };
	static const uint8_t p4[] = { 0, 8, 16, 23, 24, 29, 30, 31, 32 };

	return family == AF_INET6 ? p6[rng_below(r, sizeof(p6))] : p4[rng_below(r, sizeof(p4))];
}

static const uint8_t protos[] = { XFRM_PROTO_ANY, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 135 };

static void rand_policy(struct rng *r, struct xfrm_policy *p)
{
	int family = rng_below(r, 2) ? AF_INET6 : AF_INET;

	memset(p, 0, sizeof(*p));
	p->sel.family = family;
	rand_addr(r, family, &p->sel.src);
	rand_addr(r, family, &p->sel.dst);
	p->sel.splen = rand_plen(r, family);
	p->sel.dplen = rand_plen(r, family);
	p->sel.proto = protos[rng_below(r, sizeof(protos))];
	p->sel.sport = rng_below(r, 3) ? 0 : (uint16_t)rng_below(r, 3);
	p->sel.dport = rng_below(r, 3) ? 0 : (uint16_t)rng_below(r, 3);
	if (rng_below(r, 8) == 0)
		p->sel.sport_mask = 0xffff;
	p->sel.ifindex = rng_below(r, 6) ? 0 : (int)rng_below(r, 3);
	p->dir = (uint8_t)rng_below(r, XFRM_DIR_MAX);
	p->priority = rng_below(r, 8);
	p->action = (uint8_t)rng_below(r, 2);
}

static void rand_flow(struct rng *r, struct xfrm_flow *fl)
{
	int family = rng_below(r, 2) ? AF_INET6 : AF_INET;

	memset(fl, 0, sizeof(*fl));
	fl->family = family;
	rand_addr(r, family, &fl->src);
	rand_addr(r, family, &fl->dst);
	fl->proto = protos[1 + rng_below(r, sizeof(protos) - 1)];
	fl->sport = (uint16_t)rng_below(r, 3);
	fl->dport = (uint16_t)rng_below(r, 3);
	fl->ifindex = (int)rng_below(r, 3);
	fl->flags = rng_below(r, 10) ? 0 : XFRM_FLOW_NOPORTS;
}

static void test_differential(void **state)
{
	struct stack *st = new_stack();
	struct rng r;
	unsigned checked = 0, hits = 0;

	rng_seed(&r, 42);
	for (unsigned round = 0; round < 300; round++) {
		/* Mostly adds early on, balanced later: sizes sweep from empty to ~1000. */
		for (unsigned k = 0; k < 10; k++) {
			struct xfrm_policy req;

			rand_policy(&r, &req);
			if (rng_below(&r, 300) < (round < 150 ? 200u : 150u))
				xfrm_policy_add(st, &req, rng_below(&r, 2) ? XFRM_POLICY_F_UPDATE : 0, NULL);
			else if (rng_below(&r, 2))
				xfrm_policy_delete(st, &req.sel, req.dir);
			else if (xfrm_policy_count(st))
				xfrm_policy_delete_index(st, (rng_below(&r, 8 * round + 8) + 1) << 3 | req.dir);
		}
		if (round == 200)
			xfrm_policy_flush(st);
		for (unsigned k = 0; k < 100; k++) {
			struct xfrm_flow fl;
			int dir = (int)rng_below(&r, XFRM_DIR_MAX);

			rand_flow(&r, &fl);
			struct xfrm_policy *want = naive_lookup(st, dir, &fl);
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), want);
			checked++;
			hits += want != NULL;
		}
	}
	/* The test means something only if many flows matched something. */
	assert_true(hits > checked / 4);
	usagi_stack_free(st);
}

/*
 * A large SPD's shape: mostly host policies (/128, /32) and /64s or /24s
 * under a few wide ones, with churn between lookups. Exercises the
 * structure's local updates (a change at a prefix holding no other touches
 * only its node) against the global ones (wide prefixes come and go above
 * hosts), both families' tries, buckets that split into trie nodes, and
 * lookups that end in the trie's copy of a node.
 */
static void host_policy(struct rng *r, struct xfrm_policy *p)
{
	/* Mostly hosts, some subnets, a few wide ones (1 in 200 a catch-all). */
	static const uint8_t p6[] = { 128, 127, 64, 56, 48, 32, 0 };
	static const uint8_t p4[] = { 32, 31, 24, 16, 16, 8, 0 };
	int family = rng_below(r, 3) ? AF_INET6 : AF_INET;
	unsigned len = rng_below(r, 10) ? 0 : rng_below(r, 20) ? 1 + rng_below(r, 5) : 6;

	memset(p, 0, sizeof(*p));
	p->sel.family = family;
	if (family == AF_INET6) {
		p->sel.dst = a6("2001:db8::");
		p->sel.src = a6("2001:db8:ff::");
		put_be32(p->sel.dst.s6_addr + 12, rng_below(r, 2000));    /* a pool of hosts */
		p->sel.dst.s6_addr[7] = (uint8_t)rng_below(r, 3);           /* in three /64s */
		put_be32(p->sel.src.s6_addr + 12, rng_below(r, 4));
		p->sel.dplen = p6[len];
		p->sel.splen = rng_below(r, 4) ? 128 : (uint8_t)rng_below(r, 129);
	} else {
		p->sel.dst = a4("10.0.0.0");
		p->sel.src = a4("192.0.2.0");
		put_be16(p->sel.dst.s6_addr + 14, (uint16_t)rng_below(r, 2000));
		p->sel.src.s6_addr[15] = (uint8_t)rng_below(r, 4);
		p->sel.dplen = p4[len];
		p->sel.splen = rng_below(r, 4) ? 32 : (uint8_t)rng_below(r, 33);
	}
	p->sel.proto = protos[rng_below(r, sizeof(protos))];
	p->sel.dport = rng_below(r, 4) ? 0 : (uint16_t)rng_below(r, 3);
	p->sel.ifindex = rng_below(r, 10) ? 0 : (int)rng_below(r, 3);
	p->dir = (uint8_t)rng_below(r, XFRM_DIR_MAX);
	/* Wider ones mostly rank after the hosts, as setkey users write them. */
	p->priority = rng_below(r, 16) + (len && rng_below(r, 32) ? 16 : 0);
	p->action = (uint8_t)rng_below(r, 2);
}

/* A flow to one of the pool's hosts (most) or anywhere in the family. */
static void host_flow(struct rng *r, struct xfrm_flow *fl)
{
	struct xfrm_policy p;

	host_policy(r, &p);
	memset(fl, 0, sizeof(*fl));
	fl->family = p.sel.family;
	fl->dst = p.sel.dst;
	fl->src = p.sel.src;
	if (rng_below(r, 5) == 0)
		rng_bytes(r, fl->dst.s6_addr + (fl->family == AF_INET ? 14 : 8), fl->family == AF_INET ? 2 : 8);
	if (rng_below(r, 3) == 0)
		rng_bytes(r, fl->src.s6_addr + (fl->family == AF_INET ? 14 : 8), fl->family == AF_INET ? 2 : 8);
	fl->proto = protos[1 + rng_below(r, sizeof(protos) - 1)];
	fl->sport = (uint16_t)rng_below(r, 3);
	fl->dport = (uint16_t)rng_below(r, 3);
	fl->ifindex = (int)rng_below(r, 3);
	fl->flags = rng_below(r, 10) ? 0 : XFRM_FLOW_NOPORTS;
}

/* @a with the bits past @plen (in the 128-bit space) random. */
static void rand_host_bits(struct rng *r, struct in6_addr *a, unsigned plen)
{
	struct in6_addr x;

	rng_bytes(r, &x, sizeof(x));
	for (unsigned bit = plen; bit < 128; bit++)
		if (x.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			a->s6_addr[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/* A flow that @p's selector matches (random where it allows), so lookups end in host nodes. */
static void aimed_flow(struct rng *r, const struct xfrm_policy *p, struct xfrm_flow *fl)
{
	unsigned base = p->sel.family == AF_INET ? 96 : 0;

	memset(fl, 0, sizeof(*fl));
	fl->family = p->sel.family;
	fl->dst = p->sel.dst;
	fl->src = p->sel.src;
	rand_host_bits(r, &fl->dst, base + p->sel.dplen);
	rand_host_bits(r, &fl->src, base + p->sel.splen);
	fl->proto = p->sel.proto == XFRM_PROTO_ANY ? IPPROTO_UDP : p->sel.proto;
	fl->dport = p->sel.dport;
	fl->sport = (uint16_t)rng_below(r, 3);
	fl->ifindex = p->sel.ifindex ? p->sel.ifindex : (int)rng_below(r, 3);
}

static void test_differential_hosts(void **state)
{
	enum { NREC = 1024 };
	struct stack *st = new_stack();
	struct xfrm_policy *rec = calloc(NREC, sizeof(*rec));
	struct rng r;
	unsigned checked = 0, hits = 0, nrec = 0;

	rng_seed(&r, 4301);
	for (unsigned round = 0; round < 300; round++) {
		for (unsigned k = 0; k < (round < 60 ? 40u : 6u); k++) {
			struct xfrm_policy req;

			host_policy(&r, &req);
			switch (rng_below(&r, 8)) {
			case 0:
			case 1:
				xfrm_policy_delete(st, &req.sel, req.dir);
				break;
			case 2:    /* new priority (and place in its node), same identity */
				xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, NULL);
				break;
			default:
				if (xfrm_policy_add(st, &req, 0, NULL) == 0)
					rec[nrec++ % NREC] = req;
			}
		}
		/*
		 * Every 50 rounds a quiet spell: the same flows twice, so the
		 * second pass meets nodes (and the trie's copies) brought up to
		 * date by the first.
		 */
		unsigned nlook = round % 50 == 49 ? 1600 : 30;
		struct rng again = r;
		for (unsigned k = 0; k < nlook; k++) {
			struct xfrm_flow fl;
			int dir;

			if (k == nlook / 2 && nlook > 30)
				r = again;
			dir = (int)rng_below(&r, XFRM_DIR_MAX);
			if (nrec && rng_below(&r, 3)) {
				const struct xfrm_policy *p = &rec[rng_below(&r, MIN(nrec, (unsigned)NREC))];

				aimed_flow(&r, p, &fl);
				dir = p->dir;
			} else {
				host_flow(&r, &fl);
			}
			struct xfrm_policy *want = naive_lookup(st, dir, &fl);
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), want);
			checked++;
			hits += want != NULL;
		}
	}
	assert_true(xfrm_policy_count(st) > 1000);
	assert_true(hits > checked / 3);
	free(rec);
	usagi_stack_free(st);
}

/*
 * A gateway's SPD, as bench_spd's spd-lookup-100k-hosts builds it: per
 * peer, out from the local /64 (/24) to the peer's /128 (/32) and in from
 * the peer to the local prefix, and catch-alls ranked last. The inbound
 * policies of each local prefix go to its source index (policy_src.c):
 * peers come and go (its table grows, slots are freed and probe runs
 * shift back), some peers get more policies (ports, protocols, priority
 * ties: a slot's overflow), some inbound ones have a wider source (the
 * index's rest), and a catch-all sometimes outranks the peers (the walk
 * past the local prefix). Flows: from and to peers, known or not.
 */
static void gw_peer(struct rng *r, unsigned peer, int dir, struct xfrm_policy *p)
{
	bool v6 = peer % 3 != 0, out = dir == XFRM_DIR_OUT;
	struct in6_addr pa = v6 ? a6("2001:db8::") : a4("10.0.0.0"), local = v6 ? a6("2001:db8:ffff::") : a4("192.0.2.0");

	if (v6)
		put_be32(pa.s6_addr + 12, peer);
	else
		put_be16(pa.s6_addr + 14, (uint16_t)peer);
	memset(p, 0, sizeof(*p));
	p->dir = (uint8_t)dir;
	p->action = (uint8_t)rng_below(r, 2);
	p->priority = 1000 + rng_below(r, 4);    /* ties, broken by age */
	p->sel.family = v6 ? AF_INET6 : AF_INET;
	p->sel.src = out ? local : pa;
	p->sel.dst = out ? pa : local;
	p->sel.splen = (uint8_t)(out ? (v6 ? 64 : 24) : (v6 ? 128 : 32));
	p->sel.dplen = (uint8_t)(out ? (v6 ? 128 : 32) : (v6 ? 64 : 24));
	switch (rng_below(r, 6)) {
	case 0:    /* a second policy for the peer: its port, or another protocol */
		p->sel.proto = IPPROTO_TCP;
		p->sel.dport = (uint16_t)(1 + rng_below(r, 2));
		p->sel.dport_mask = 0xffff;
		break;
	case 1:
		p->sel.proto = IPPROTO_UDP;
		break;
	case 2:
		p->sel.proto = IPPROTO_TCP;
		break;
	case 3:    /* inbound from the peer's /120 (/24): not a host, the index's rest */
		if (!out)
			p->sel.splen = (uint8_t)(v6 ? 120 : 24);
		break;
	}
}

static void gw_flow(struct rng *r, unsigned npeer, int *dir, struct xfrm_flow *fl)
{
	struct xfrm_policy p;

	*dir = (int)rng_below(r, XFRM_DIR_MAX);
	gw_peer(r, rng_below(r, npeer + npeer / 8), *dir == XFRM_DIR_OUT ? XFRM_DIR_OUT : XFRM_DIR_IN, &p);
	memset(fl, 0, sizeof(*fl));
	fl->family = p.sel.family;
	fl->src = p.sel.src;
	fl->dst = p.sel.dst;
	rand_host_bits(r, &fl->src, (p.sel.family == AF_INET ? 96 : 0) + p.sel.splen);
	rand_host_bits(r, &fl->dst, (p.sel.family == AF_INET ? 96 : 0) + p.sel.dplen);
	if (rng_below(r, 16) == 0)
		fl->src.s6_addr[15] ^= (uint8_t)(1 + rng_below(r, 255));
	fl->proto = rng_below(r, 2) ? IPPROTO_TCP : IPPROTO_UDP;
	fl->sport = (uint16_t)rng_below(r, 3);
	fl->dport = (uint16_t)rng_below(r, 3);
	fl->flags = rng_below(r, 16) ? 0 : XFRM_FLOW_NOPORTS;
}

struct gw_thin {
	struct stack *st;
	unsigned keep;      /* peers below this number stay */
};

/* Deletes @pol if it is a peer's (not a catch-all) numbered keep or more. */
static int gw_thin_one(void *ctx, struct xfrm_policy *pol)
{
	const struct gw_thin *th = ctx;
	const struct in6_addr *pa = pol->dir == XFRM_DIR_OUT ? &pol->sel.dst : &pol->sel.src;

	if (pol->sel.dplen && (unsigned)(pa->s6_addr[14] << 8 | pa->s6_addr[15]) >= th->keep)
		assert_int_equal(xfrm_policy_delete_index(th->st, pol->index), 0);
	return 0;
}

static void test_differential_gateway(void **state)
{
	enum { NPEER = 900 };
	struct stack *st = new_stack();
	struct rng r;
	unsigned checked = 0, hits = 0;

	rng_seed(&r, 4711);
	for (unsigned i = 0; i < 2 * NPEER; i++) {
		struct xfrm_policy req;

		gw_peer(&r, i / 2, i % 2 ? XFRM_DIR_OUT : XFRM_DIR_IN, &req);
		xfrm_policy_add(st, &req, 0, NULL);
	}
	for (unsigned round = 0; round < 120; round++) {
		/* Churn: peers leave and come back, policies change rank, a catch-all comes or goes. */
		for (unsigned k = 0; k < 24; k++) {
			struct xfrm_policy req;

			gw_peer(&r, rng_below(&r, NPEER), rng_below(&r, 2) ? XFRM_DIR_OUT : XFRM_DIR_IN, &req);
			if (round % 40 >= 20 && rng_below(&r, 2))
				xfrm_policy_delete(st, &req.sel, req.dir);    /* peers thin out, then come back */
			else
				xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, NULL);
		}
		struct xfrm_policy all = { .dir = (uint8_t)rng_below(&r, XFRM_DIR_MAX), .action = XFRM_ACT_ALLOW };

		all.sel.family = rng_below(&r, 2) ? AF_INET6 : AF_INET;
		all.priority = rng_below(&r, 8) ? 100000 : 1001;
		if (rng_below(&r, 3))
			xfrm_policy_add(st, &all, XFRM_POLICY_F_UPDATE, NULL);
		else
			xfrm_policy_delete(st, &all.sel, all.dir);
		for (unsigned k = 0; k < 40; k++) {
			struct xfrm_flow fl;
			int dir;

			gw_flow(&r, NPEER, &dir, &fl);
			struct xfrm_policy *want = naive_lookup(st, dir, &fl);
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), want);
			checked++;
			hits += want != NULL;
		}
	}
	/* Down to a few peers: the index shrinks, then goes, and the vector answers alone. */
	static const unsigned keep[] = { 512, 128, 32, 8, 2 };
	for (unsigned i = 0; i < ARRAY_SIZE(keep); i++) {
		struct gw_thin th = { st, keep[i] };

		assert_int_equal(xfrm_policy_foreach(st, gw_thin_one, &th), 0);
		for (unsigned k = 0; k < 200; k++) {
			struct xfrm_flow fl;
			int dir;

			gw_flow(&r, keep[i], &dir, &fl);
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), naive_lookup(st, dir, &fl));
			checked++;
		}
	}
	assert_true(checked > 4000);
	assert_true(hits > checked / 2);
	usagi_stack_free(st);
}

/*
 * The host index (policy_dst.c): outbound policies to single hosts, one
 * per peer, decided by one slot when nothing shorter can beat them. Each
 * phase changes what a slot must say, and every peer is looked up after
 * it against the naive scan: a catch-all ranked above the peers (slots'
 * bounds stale, then revalidated), a peer with a second policy (out of
 * the index), new priorities, the other direction, and most peers gone
 * (probe runs shifted back).
 */
static void host_idx_flow(unsigned peer, bool v6, struct xfrm_flow *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->family = v6 ? AF_INET6 : AF_INET;
	fl->src = v6 ? a6("2001:db8:ffff::7") : a4("192.0.2.7");
	fl->dst = v6 ? a6("2001:db8:1::") : a4("10.1.0.0");
	if (v6)
		put_be32(fl->dst.s6_addr + 12, peer);
	else
		put_be16(fl->dst.s6_addr + 14, (uint16_t)peer);
	fl->proto = IPPROTO_UDP;
	fl->sport = 500;
	fl->dport = (uint16_t)(peer % 3);
}

static void host_idx_req(unsigned peer, bool v6, int dir, uint32_t prio, struct xfrm_policy *p)
{
	struct xfrm_flow fl;

	host_idx_flow(peer, v6, &fl);
	memset(p, 0, sizeof(*p));
	p->dir = (uint8_t)dir;
	p->action = XFRM_ACT_ALLOW;
	p->priority = prio;
	p->sel.family = fl.family;
	p->sel.src = fl.src;
	p->sel.dst = fl.dst;
	p->sel.splen = (uint8_t)(v6 ? 64 : 24);
	p->sel.dplen = (uint8_t)(v6 ? 128 : 32);
}

static void host_idx_check(struct stack *st, unsigned npeer)
{
	for (unsigned i = 0; i < npeer + 8; i++) {
		for (int dir = 0; dir < XFRM_DIR_MAX; dir++) {
			struct xfrm_flow fl;

			host_idx_flow(i, i % 4 != 0, &fl);
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), naive_lookup(st, dir, &fl));
			fl.dport = 2;    /* a second policy's port (or not) */
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), naive_lookup(st, dir, &fl));
		}
	}
}

static void test_host_index(void **state)
{
	enum { NPEER = 400 };
	struct stack *st = new_stack();
	struct xfrm_policy req, all = { .dir = XFRM_DIR_OUT, .action = XFRM_ACT_BLOCK, .priority = 500 };

	for (unsigned i = 0; i < NPEER; i++) {
		host_idx_req(i, i % 4 != 0, XFRM_DIR_OUT, 1000 + i % 7, &req);
		assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), 0);
	}
	host_idx_check(st, NPEER);
	all.sel.family = AF_INET6;
	assert_int_equal(xfrm_policy_add(st, &all, 0, NULL), 0);    /* outranks every IPv6 peer */
	for (unsigned k = 0; k < 3; k++)
		host_idx_check(st, NPEER);
	all.priority = 2000;    /* now ranked last */
	assert_int_equal(xfrm_policy_add(st, &all, XFRM_POLICY_F_UPDATE, NULL), 0);
	for (unsigned k = 0; k < 3; k++)
		host_idx_check(st, NPEER);
	/*
	 * Prefixes around the peers, nested: a destination no peer has ends
	 * in the longest of them that holds it (nonhost_walk, while every
	 * host is in the index), a /120 (/28) being too short for some.
	 */
	static const struct { const char *dst; uint8_t plen; uint32_t prio; } around[] = {
		{ "2001:db8:1::", 48, 1500 }, { "2001:db8:1::", 120, 1200 }, { "10.1.0.0", 16, 1500 }, { "10.1.0.0", 28, 1200 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(around); i++) {
		bool v6 = strchr(around[i].dst, ':') != NULL;

		host_idx_req(0, v6, XFRM_DIR_OUT, around[i].prio, &req);
		req.sel.dst = v6 ? a6(around[i].dst) : a4(around[i].dst);
		req.sel.dplen = around[i].plen;
		req.action = i % 2 ? XFRM_ACT_BLOCK : XFRM_ACT_ALLOW;
		assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), 0);
	}
	host_idx_check(st, NPEER);
	for (unsigned i = 0; i < 300; i++) {    /* no peer's: some in the /120 (/28), some outside the /48 (/16) */
		struct xfrm_flow fl;

		host_idx_flow(NPEER + i * 97 % 600, i % 3 != 0, &fl);
		if (i % 5 == 4)    /* just outside the /48 (/16) */
			fl.dst.s6_addr[i % 3 ? 5 : 13] ^= 3;
		for (int dir = 0; dir < XFRM_DIR_MAX; dir++)
			assert_ptr_equal(xfrm_policy_lookup(st, dir, &fl), naive_lookup(st, dir, &fl));
	}
	for (unsigned i = 0; i < NPEER; i += 5) {    /* second policies: ports; new ranks; the other direction */
		host_idx_req(i, i % 4 != 0, XFRM_DIR_OUT, 900, &req);
		req.sel.proto = IPPROTO_UDP;
		req.sel.dport = 2;
		req.sel.dport_mask = 0xffff;
		assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), 0);
		host_idx_req(i + 1, (i + 1) % 4 != 0, XFRM_DIR_OUT, 3000, &req);
		assert_int_equal(xfrm_policy_add(st, &req, XFRM_POLICY_F_UPDATE, NULL), 0);
		host_idx_req(i + 2, (i + 2) % 4 != 0, XFRM_DIR_FWD, 1000, &req);
		assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), 0);
	}
	host_idx_check(st, NPEER);
	for (unsigned i = 0; i < NPEER; i++) {    /* most peers go */
		host_idx_req(i, i % 4 != 0, XFRM_DIR_OUT, 0, &req);
		if (i % 9)
			xfrm_policy_delete(st, &req.sel, XFRM_DIR_OUT);
	}
	host_idx_check(st, NPEER);
	assert_int_equal(xfrm_policy_delete(st, &all.sel, XFRM_DIR_OUT), 0);
	host_idx_check(st, NPEER);
	usagi_stack_free(st);
}

/*
 * The inbound shortcut (policy_lookup.c, shint): a flow to the local
 * prefix whose node holds the largest by-source index goes straight to
 * that index, unless a longer prefix lies inside the local one, a shorter
 * prefix holds a policy that ranks above, or anything changed since.
 * Two local prefixes per family (an IPv6 /96, so the low mask matters;
 * an IPv4 /26), each phase checked against the naive scan with flows to
 * both, to the rest of the /96's /64, to a prefix inside, and elsewhere.
 */
struct sc_lab {
	struct stack *st;
	struct rng r;
};

/* Local prefix @l (0, 1) of a family; peer @i's address. */
static void sc_local(bool v6, unsigned l, struct in6_addr *a, unsigned *plen)
{
	*a = v6 ? a6(l ? "2001:db8:eeee::" : "2001:db8:ffff:0:1:2::") : a4(l ? "198.51.100.0" : "192.0.2.0");
	*plen = v6 ? (l ? 64 : 96) : (l ? 24 : 26);
}

static struct in6_addr sc_peer(bool v6, unsigned l, unsigned i)
{
	struct in6_addr a = v6 ? a6("2001:db8:1::") : a4("10.0.0.0");

	a.s6_addr[13] = (uint8_t)l;
	put_be16(a.s6_addr + 14, (uint16_t)(i + 1));
	return a;
}

static void sc_in(struct stack *st, bool v6, unsigned l, unsigned npeer)
{
	for (unsigned i = 0; i < npeer; i++) {
		struct xfrm_policy req = { .dir = XFRM_DIR_IN, .action = XFRM_ACT_ALLOW, .priority = 1000 + i % 5 };
		unsigned plen;

		req.sel.family = v6 ? AF_INET6 : AF_INET;
		sc_local(v6, l, &req.sel.dst, &plen);
		req.sel.dplen = (uint8_t)plen;
		req.sel.src = sc_peer(v6, l, i);
		req.sel.splen = v6 ? 128 : 32;
		if (i % 7 == 3)
			req.sel.proto = IPPROTO_UDP;
		assert_int_equal(xfrm_policy_add(st, &req, 0, NULL), 0);
	}
}

static void sc_check(struct sc_lab *lab)
{
	for (unsigned k = 0; k < 1500; k++) {
		bool v6 = rng_below(&lab->r, 3) != 0;
		unsigned l = rng_below(&lab->r, 2), plen, where = rng_below(&lab->r, 6);
		int dir = rng_below(&lab->r, 8) ? XFRM_DIR_IN : (int)rng_below(&lab->r, XFRM_DIR_MAX);
		struct xfrm_flow fl = { .family = v6 ? AF_INET6 : AF_INET, .sport = 7, .dport = 9 };

		fl.proto = rng_below(&lab->r, 2) ? IPPROTO_TCP : IPPROTO_UDP;
		sc_local(v6, l, &fl.dst, &plen);
		if (where == 5) {    /* anywhere */
			rng_bytes(&lab->r, &fl.dst, sizeof(fl.dst));
			if (!v6)
				ip4_to_mapped(&fl.dst, ip4_from_mapped(&fl.dst));
		} else {
			rand_host_bits(&lab->r, &fl.dst, (v6 ? 0 : 96) + plen);
			if (where == 4)    /* the /96's /64 outside the /96, the /26's /24 outside the /26 */
				fl.dst.s6_addr[v6 ? 9 : 15] ^= 0x40;
			if (where == 3 && v6)    /* the inner prefix's range, when there is one */
				fl.dst.s6_addr[12] = fl.dst.s6_addr[13] = 0;
			if (where == 3 && !v6)
				fl.dst.s6_addr[15] &= 0x0f;
		}
		fl.src = sc_peer(v6, rng_below(&lab->r, 2), rng_below(&lab->r, 48));
		if (rng_below(&lab->r, 10) == 0)
			fl.src.s6_addr[12] ^= 0x10;    /* no peer's */
		assert_ptr_equal(xfrm_policy_lookup(lab->st, dir, &fl), naive_lookup(lab->st, dir, &fl));
	}
}

static void test_src_shortcut(void **state)
{
	struct sc_lab lab = { .st = new_stack() };
	struct xfrm_policy inner = { .dir = XFRM_DIR_IN, .action = XFRM_ACT_BLOCK, .priority = 10 };
	struct xfrm_policy top = { .dir = XFRM_DIR_IN, .action = XFRM_ACT_BLOCK, .priority = 5 };
	struct xfrm_policy all = { .dir = XFRM_DIR_IN, .action = XFRM_ACT_ALLOW, .priority = 100000 };

	rng_seed(&lab.r, 99);
	for (int f = 0; f < 2; f++) {
		sc_in(lab.st, f, 0, 40);    /* the bigger index: the shortcut */
		sc_in(lab.st, f, 1, 20);
		all.sel.family = f ? AF_INET6 : AF_INET;
		assert_int_equal(xfrm_policy_add(lab.st, &all, 0, NULL), 0);
	}
	sc_check(&lab);
	/* A prefix inside each family's shortcut prefix (an IPv6 /112, an IPv4 /28): no shortcut there. */
	for (int f = 0; f < 2; f++) {
		unsigned plen;

		inner.sel.family = f ? AF_INET6 : AF_INET;
		sc_local(f, 0, &inner.sel.dst, &plen);
		inner.sel.dplen = (uint8_t)(f ? 112 : 28);
		assert_int_equal(xfrm_policy_add(lab.st, &inner, 0, NULL), 0);
	}
	sc_check(&lab);
	for (int f = 0; f < 2; f++) {
		inner.sel.family = f ? AF_INET6 : AF_INET;
		sc_local(f, 0, &inner.sel.dst, &(unsigned){ 0 });
		inner.sel.dplen = (uint8_t)(f ? 112 : 28);
		assert_int_equal(xfrm_policy_delete(lab.st, &inner.sel, XFRM_DIR_IN), 0);
	}
	sc_check(&lab);
	/* A catch-all for TCP ranked above every peer: TCP flows are its. */
	for (int f = 0; f < 2; f++) {
		top.sel.family = f ? AF_INET6 : AF_INET;
		top.sel.proto = IPPROTO_TCP;
		assert_int_equal(xfrm_policy_add(lab.st, &top, 0, NULL), 0);
	}
	sc_check(&lab);
	for (int f = 0; f < 2; f++) {
		top.sel.family = f ? AF_INET6 : AF_INET;
		assert_int_equal(xfrm_policy_delete(lab.st, &top.sel, XFRM_DIR_IN), 0);
	}
	sc_check(&lab);
	/* The shortcut's node goes (its peers leave): the smaller index answers, nothing points at the old. */
	for (int f = 0; f < 2; f++) {
		for (unsigned i = 0; i < 40; i++) {
			struct xfrm_selector sel = { .family = f ? AF_INET6 : AF_INET, .splen = f ? 128 : 32 };
			unsigned plen;

			sc_local(f, 0, &sel.dst, &plen);
			sel.dplen = (uint8_t)plen;
			sel.src = sc_peer(f, 0, i);
			sel.proto = i % 7 == 3 ? IPPROTO_UDP : 0;
			assert_int_equal(xfrm_policy_delete(lab.st, &sel, XFRM_DIR_IN), 0);
		}
	}
	sc_check(&lab);
	sc_check(&lab);
	usagi_stack_free(lab.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_and_ties),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_ports_icmp_mh),
		cmocka_unit_test(test_ifindex),
		cmocka_unit_test(test_add_update_delete),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_dump_while_changing),
		cmocka_unit_test(test_foreach_delete),
		cmocka_unit_test(test_tmpl_order),
		cmocka_unit_test(test_bundle_combinations),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_differential_hosts),
		cmocka_unit_test(test_differential_gateway),
		cmocka_unit_test(test_host_index),
		cmocka_unit_test(test_src_shortcut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
