/*
 * Connection tracking core: UDP, ICMP/ICMPv6 echo pairing, RELATED errors,
 * generic protocols, the bounded table with early drop, timeouts on the
 * injected clock, resumable iteration under churn, hooks and events, and
 * differential tests of the hash index (single and bulk lookups, a dense
 * index that needs cuckoo moves) against a naive list, and of nf_ct_in
 * with and without nf_ct_prefetch hints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ct_harness.h"
#include "netfilter/nf_priv.h"
#include "cmd/cmd.h"

static const char *C6 = "2001:db8::1", *S6 = "2001:db8:1::2", *R6 = "2001:db8:ff::1";
static const char *C4 = "192.0.2.1", *S4 = "198.51.100.2", *R4 = "203.0.113.1";

static void udp_assured(const char *c, const char *s)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct, *ct2;
	int dir;

	assert_int_equal(ct_run(st, ct_udp(st, c, s, 5000, 53), &ct, &dir), NF_CT_NEW);
	assert_non_null(ct);
	assert_int_equal(dir, NF_DIR_ORIG);
	assert_false(ct->status & NF_CTS_ASSURED);
	assert_int_equal(nf_ct_expires_in(st, ct), 30);
	assert_int_equal(ct_run(st, ct_udp(st, c, s, 5000, 53), NULL, NULL), NF_CT_NEW);
	assert_int_equal(ct_run(st, ct_udp(st, s, c, 53, 5000), &ct2, &dir), NF_CT_ESTABLISHED);
	assert_ptr_equal(ct, ct2);
	assert_int_equal(dir, NF_DIR_REPLY);
	/* Replied, but a stream (assured, 120 s) only when busy 2 s after it began (Linux). */
	assert_false(ct->status & NF_CTS_ASSURED);
	assert_true(ct->status & NF_CTS_SEEN_REPLY);
	assert_int_equal(nf_ct_expires_in(st, ct), 30);
	assert_int_equal(ct_run(st, ct_udp(st, c, s, 5000, 53), NULL, NULL), NF_CT_ESTABLISHED);
	assert_false(ct->status & NF_CTS_ASSURED);
	st->now += 3 * NS_PER_SEC;
	assert_int_equal(ct_run(st, ct_udp(st, c, s, 5000, 53), NULL, NULL), NF_CT_ESTABLISHED);
	assert_true(ct->status & NF_CTS_ASSURED);
	assert_int_equal(nf_ct_expires_in(st, ct), 120);
	assert_int_equal(ct->packets[0], 4);
	assert_int_equal(ct->packets[1], 1);
	/* Another port is another connection. */
	assert_int_equal(ct_run(st, ct_udp(st, s, c, 53, 5001), NULL, NULL), NF_CT_NEW);
	assert_int_equal(nf_ct_count(st), 2);
	usagi_stack_free(st);
}

static void test_udp(void **state)
{
	(void)state;
	udp_assured(C6, S6);
	udp_assured(C4, S4);
}

static void echo_pairing(const char *c, const char *s, uint8_t req, uint8_t rep)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct, *ct2;
	struct nf_tuple t;
	int dir;

	assert_int_equal(ct_run(st, ct_icmp(st, c, s, req, 0, 7, NULL, 0), &ct, NULL), NF_CT_NEW);
	assert_non_null(ct);
	assert_int_equal(ct->tuple.icmp_id, 7);
	/* A reply with another identifier matches nothing and starts nothing. */
	assert_int_equal(ct_run(st, ct_icmp(st, s, c, rep, 0, 8, NULL, 0), NULL, NULL), NF_CT_INVALID);
	/* A request the other way is not the reply either. */
	assert_int_equal(ct_run(st, ct_icmp(st, s, c, req, 0, 7, NULL, 0), &ct2, NULL), NF_CT_NEW);
	assert_ptr_not_equal(ct, ct2);
	assert_int_equal(ct_run(st, ct_icmp(st, s, c, rep, 0, 7, NULL, 0), &ct2, &dir),
			 NF_CT_ESTABLISHED);
	assert_ptr_equal(ct, ct2);
	assert_int_equal(dir, NF_DIR_REPLY);
	nf_ct_tuple(ct, NF_DIR_REPLY, &t);
	assert_int_equal(t.icmp_type, rep);
	assert_int_equal(nf_ct_expires_in(st, ct), 30);
	usagi_stack_free(st);
}

static void test_icmp_echo(void **state)
{
	(void)state;
	echo_pairing(C6, S6, 128, 129);
	echo_pairing(C4, S4, 8, 0);
}

/* The IP packet @c -> @s of a TCP segment, as an ICMP error quotes it. */
static size_t quote_tcp(struct stack *st, const char *c, const char *s, uint16_t sport,
			uint16_t dport, uint8_t *out)
{
	struct pkt *p = ct_tcp(st, c, s, sport, dport, 1001, 5001, TF_ACK, 100, 1000);
	size_t n = MIN(p->len, 1232u);

	memcpy(out, p->data, n);
	pkt_free(p);
	return n;
}

static void related(const char *c, const char *s, const char *r, uint8_t type, uint8_t code)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct, *rel;
	uint8_t q[1300];
	size_t n;
	int dir;

	ct_run(st, ct_tcp(st, c, s, 40000, 80, 1000, 0, TF_SYN, 65535, 0), &ct, NULL);
	ct_run(st, ct_tcp(st, s, c, 80, 40000, 5000, 1001, TF_SYN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, c, s, 40000, 80, 1001, 5001, TF_ACK, 65535, 0), NULL, NULL);
	/* A router on the way says the client's segment was too big / unreachable. */
	n = quote_tcp(st, c, s, 40000, 80, q);
	assert_int_equal(ct_run(st, ct_icmp(st, r, c, type, code, 0, q, n), &rel, &dir),
			 NF_CT_RELATED);
	assert_ptr_equal(rel, ct);
	assert_int_equal(dir, NF_DIR_REPLY);
	/* Quoting the server's side: the error goes to the server, original direction. */
	n = quote_tcp(st, s, c, 80, 40000, q);
	assert_int_equal(ct_run(st, ct_icmp(st, r, s, type, code, 0, q, n), &rel, &dir),
			 NF_CT_RELATED);
	assert_int_equal(dir, NF_DIR_ORIG);
	/* Quoting a flow nobody tracks, or a truncated quote: INVALID. */
	n = quote_tcp(st, c, s, 40001, 80, q);
	assert_int_equal(ct_run(st, ct_icmp(st, r, c, type, code, 0, q, n), NULL, NULL),
			 NF_CT_INVALID);
	n = quote_tcp(st, c, s, 40000, 80, q);
	assert_int_equal(ct_run(st, ct_icmp(st, r, c, type, code, 0, q, strchr(c, ':') ? 41 : 21),
			 NULL, NULL), NF_CT_INVALID);
	assert_int_equal(nf_ct_count(st), 1);
	assert_int_equal(STAT_GET(st, nf_ct_related), 2);
	usagi_stack_free(st);
}

static void test_related(void **state)
{
	(void)state;
	related(C6, S6, R6, 2, 0);      /* ICMPv6 Packet Too Big (RFC 4443 3.2) */
	related(C6, S6, R6, 1, 3);      /* Destination Unreachable, address */
	related(C4, S4, R4, 3, 4);      /* ICMP fragmentation needed (RFC 1191) */
	related(C4, S4, R4, 11, 0);     /* Time Exceeded */
}

static void test_untracked_nd(void **state)
{
	struct stack *st = usagi_stack_new(NULL);

	(void)state;
	/* ICMPv6 Redirect, ICMP router advertisement: informational, no pairing: INVALID, no entry. */
	assert_int_equal(ct_run(st, ct_icmp(st, "fe80::1", "2001:db8::1", 137, 0, 0, NULL, 0),
				NULL, NULL), NF_CT_INVALID);
	assert_int_equal(ct_run(st, ct_icmp(st, C4, S4, 9, 0, 0, NULL, 0), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(STAT_GET(st, nf_ct_error), 0);
	for (uint8_t t = 133; t <= 136; t++)
		assert_int_equal(ct_run(st, ct_icmp(st, "fe80::1", "ff02::1", t, 0, 0, (const uint8_t *)"0123456789abcdef", 16),
					NULL, NULL), NF_CT_UNTRACKED);
	assert_int_equal(nf_ct_count(st), 0);
	usagi_stack_free(st);
}

static void test_generic(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	uint8_t gre[8] = { 0 };
	struct nf_conn *ct, *ct2;

	(void)state;
	assert_int_equal(ct_run(st, ct_ip(st, C6, S6, 47, gre, 8), &ct, NULL), NF_CT_NEW);
	assert_int_equal(nf_ct_expires_in(st, ct), 600);
	assert_int_equal(ct_run(st, ct_ip(st, S6, C6, 47, gre, 8), &ct2, NULL), NF_CT_ESTABLISHED);
	assert_ptr_equal(ct, ct2);
	assert_int_equal(ct_run(st, ct_ip(st, C4, S4, 132, gre, 8), NULL, NULL), NF_CT_NEW);
	assert_int_equal(nf_ct_count(st), 2);
	/* Malformed: truncated IP header, bad version. */
	{
		uint8_t bad[10] = { 0x60 };
		struct pkt *p = pkt_from_bytes(st->pool, bad, sizeof(bad));

		assert_int_equal(ct_run(st, p, NULL, NULL), NF_CT_INVALID);
	}
	usagi_stack_free(st);
}

/* Table full: unassured entries go first; when all are assured, new ones are refused. */
static void test_early_drop(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_tuple keep[4];
	int dir;

	(void)state;
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", 8), 0);
	for (uint16_t i = 0; i < 4; i++) {
		struct nf_conn *ct;

		ct_run(st, ct_udp(st, C6, S6, 1000 + i, 53), &ct, NULL);
		ct_run(st, ct_udp(st, S6, C6, 53, 1000 + i), NULL, NULL);
		keep[i] = ct->tuple;
	}
	st->now += 3 * NS_PER_SEC;      /* replied flows busy after 2 s: streams, assured */
	for (uint16_t i = 0; i < 4; i++)
		ct_run(st, ct_udp(st, C6, S6, 1000 + i, 53), NULL, NULL);
	for (uint16_t i = 0; i < 100; i++)
		assert_int_equal(ct_run(st, ct_udp(st, C6, S6, 2000 + i, 53), NULL, NULL), NF_CT_NEW);
	assert_int_equal(nf_ct_count(st), 8);
	assert_int_equal(STAT_GET(st, nf_ct_early_drop), 96);
	for (int i = 0; i < 4; i++)
		assert_non_null(nf_ct_find(st, &keep[i], &dir));
	/* Make them all assured: the next new connection cannot get in. */
	for (uint16_t i = 96; i < 100; i++)
		ct_run(st, ct_udp(st, S6, C6, 53, 2000 + i), NULL, NULL);
	st->now += 3 * NS_PER_SEC;
	for (uint16_t i = 96; i < 100; i++)
		ct_run(st, ct_udp(st, C6, S6, 2000 + i, 53), NULL, NULL);
	assert_int_equal(ct_run(st, ct_udp(st, C6, S6, 3000, 53), NULL, NULL), NF_CT_INVALID);
	assert_int_equal(STAT_GET(st, nf_ct_drop), 1);
	assert_int_equal(nf_ct_count(st), 8);
	usagi_stack_free(st);
}

/* Hostile input: a SYN flood fills the table; established flows survive and keep working. */
static void test_syn_flood(void **state)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 3 });
	struct nf_conn *est[10];

	(void)state;
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", 100), 0);
	for (uint16_t i = 0; i < 10; i++) {
		ct_run(st, ct_tcp(st, C6, S6, 40000 + i, 80, 1000, 0, TF_SYN, 65535, 0), &est[i], NULL);
		ct_run(st, ct_tcp(st, S6, C6, 80, 40000 + i, 5000, 1001, TF_SYN | TF_ACK, 65535, 0),
		       NULL, NULL);
		ct_run(st, ct_tcp(st, C6, S6, 40000 + i, 80, 1001, 5001, TF_ACK, 65535, 0), NULL, NULL);
		assert_true(est[i]->status & NF_CTS_ASSURED);
	}
	for (unsigned i = 0; i < 20000; i++) {
		char src[64];
		uint64_t r = rng_next(&st->rng);

		snprintf(src, sizeof(src), "2001:db8:bad::%x", (unsigned)(r & 0xffff));
		ct_run(st, ct_tcp(st, src, S6, (uint16_t)(r >> 16), 80, (uint32_t)(r >> 32), 0,
				  TF_SYN, 1024, 0), NULL, NULL);
		assert_true(nf_ct_count(st) <= 100);
	}
	assert_true(STAT_GET(st, nf_ct_early_drop) >= 19000);
	for (uint16_t i = 0; i < 10; i++) {
		struct nf_conn *ct;

		assert_int_equal(ct_run(st, ct_tcp(st, S6, C6, 80, 40000 + i, 5001, 1001, TF_ACK, 65535, 0),
					&ct, NULL), NF_CT_ESTABLISHED);
		assert_ptr_equal(ct, est[i]);
		assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	}
	usagi_stack_free(st);
}

static void test_timeouts(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;
	long v;
	int dir;

	(void)state;
	assert_int_equal(nf_sysctl_get(st, "net.netfilter.nf_conntrack_tcp_timeout_established", &v), 0);
	assert_int_equal(v, 432000);
	assert_int_equal(nf_sysctl_get(st, "net.netfilter.nf_conntrack_generic_timeout", &v), 0);
	assert_int_equal(v, 600);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_count", 1), -EPERM);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_udp_timeout", 0), -EINVAL);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nope", 1), -ENOENT);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_udp_timeout", 5), 0);
	ct_run(st, ct_udp(st, C4, S4, 1, 2), &ct, NULL);
	struct nf_tuple t = ct->tuple;
	assert_int_equal(nf_ct_expires_in(st, ct), 5);
	usagi_stack_advance(st, 4 * NS_PER_SEC);
	assert_non_null(nf_ct_find(st, &t, &dir));
	usagi_stack_advance(st, 6 * NS_PER_SEC);
	assert_null(nf_ct_find(st, &t, &dir));   /* swept by the expiry timer */
	assert_int_equal(nf_ct_count(st), 0);
	assert_int_equal(STAT_GET(st, nf_ct_expired), 1);
	/* Lazy expiry: a packet meeting an expired entry starts a new one. */
	ct_run(st, ct_udp(st, C4, S4, 1, 2), &ct, NULL);
	uint32_t id = ct->id;
	st->now += 10 * NS_PER_SEC;     /* no timer run */
	assert_int_equal(ct_run(st, ct_udp(st, S4, C4, 2, 1), &ct, NULL), NF_CT_NEW);
	assert_int_not_equal(ct->id, id);
	usagi_stack_free(st);
}

struct walk_seen {
	uint8_t *seen;      /* by id */
	uint32_t nid;
	bool dup;
};

static int walk_cb(struct stack *st, struct nf_conn *ct, void *ctx)
{
	struct walk_seen *w = ctx;

	(void)st;
	assert_true(ct->id < w->nid);
	if (w->seen[ct->id]++)
		w->dup = true;
	return 0;
}

/* Every entry present throughout a listing is listed exactly once, whatever comes and goes. */
static void test_walk_churn(void **state)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 7 });
	enum { N = 6000 };
	struct walk_seen w = { calloc(4 * N, 1), 4 * N, false };
	struct nf_conn *ct;
	uint32_t stable_ids[N / 2];
	struct nf_ct_cursor cur = { 0 };
	uint16_t next_port = 1;
	size_t got;

	(void)state;
	for (int i = 0; i < N; i++) {
		ct_run(st, ct_udp(st, C6, S6, next_port++, 9), &ct, NULL);
		if (i % 2 == 0)
			stable_ids[i / 2] = ct->id;
	}
	do {
		got = nf_ct_walk(st, &cur, 97, walk_cb, &w);
		/* Churn: remove some unstable (even-port) entries, add new ones. */
		for (int k = 0; k < 20; k++) {
			struct nf_tuple t = { 0 };
			int dir;

			inet_pton(AF_INET6, C6, &t.src);
			inet_pton(AF_INET6, S6, &t.dst);
			t.l3 = AF_INET6;
			t.l4 = IPPROTO_UDP;
			t.sport = (uint16_t)(2 * (rng_next(&st->rng) % (N / 2)) + 2);
			t.dport = 9;
			ct = nf_ct_find(st, &t, &dir);
			if (!ct)
				continue;
			/* As many come as go: a table growing faster than the walk never ends it. */
			nf_ct_destroy(st, ct);
			ct_run(st, ct_udp(st, C6, S6, next_port++, 9), NULL, NULL);
		}
	} while (got);
	assert_false(w.dup);
	for (int i = 0; i < N / 2; i++)
		assert_int_equal(w.seen[stable_ids[i]], 1);
	free(w.seen);
	usagi_stack_free(st);
}

/* nf_ct_lookup_bulk answers exactly as nf_ct_lookup does, tuple by tuple. */
static void check_bulk(struct stack *st, const struct nf_tuple *t, unsigned n)
{
	const struct nf_tuple *tp[64];
	uint32_t slot[64];
	int dir[64];

	for (unsigned i = 0; i < n; i++) {
		tp[i] = &t[i];
		dir[i] = -1;
	}
	nf_ct_lookup_bulk(st, tp, n, slot, dir);
	for (unsigned i = 0; i < n; i++) {
		int d = -1;

		assert_int_equal(slot[i], nf_ct_lookup(st, &t[i], &d));
		if (slot[i])
			assert_int_equal(dir[i], d);
	}
}

/* The hash table against a naive list on random tuples: inserts, lookups both ways, removals. */
static void test_hash_differential(void **state)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 99 });
	enum { M = 3000, OPS = 60000 };
	struct nf_tuple *ref = calloc(M, sizeof(*ref));
	struct nf_conn **refct = calloc(M, sizeof(*refct));
	struct nf_tuple batch[37];
	size_t n = 0;

	(void)state;
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", 1 << 20), 0);
	for (int op = 0; op < OPS; op++) {
		uint64_t r = rng_next(&st->rng);
		struct nf_tuple t = { 0 }, inv;
		struct nf_conn *ct, *want = NULL;
		int dir, wdir = -1;

		/* A small space so lookups often hit, both families. */
		t.l3 = (r & 1) ? AF_INET6 : AF_INET;
		t.l4 = (r & 2) ? IPPROTO_TCP : IPPROTO_UDP;
		t.src.s6_addr[15] = (uint8_t)(r >> 8 & 7);
		t.dst.s6_addr[15] = (uint8_t)(r >> 12 & 7);
		t.sport = (uint16_t)(r >> 16 & 15);
		t.dport = (uint16_t)(r >> 24 & 15);
		for (size_t i = 0; i < n && !want; i++) {
			nf_ct_tuple(refct[i], NF_DIR_REPLY, &inv);
			if (memcmp(&ref[i], &t, sizeof(t)) == 0)
				want = refct[i], wdir = NF_DIR_ORIG;
			else if (memcmp(&inv, &t, sizeof(t)) == 0)
				want = refct[i], wdir = NF_DIR_REPLY;
		}
		ct = nf_ct_find(st, &t, &dir);
		assert_ptr_equal(ct, want);
		batch[op % 37] = t;
		if (op % 37 == 36)
			check_bulk(st, batch, 37);
		nf_ct_tuple(ct ? ct : &(struct nf_conn){ .tuple = t }, NF_DIR_REPLY, &inv);
		/* A tuple that is its own inverse (same address and port both ends) matches either way. */
		if (ct && memcmp(&inv, &ct->tuple, sizeof(inv)) != 0)
			assert_int_equal(dir, wdir);
		if (!ct && n < M && (r >> 40 & 3) != 0) {
			ct = nf_ct_create(st, &t, NULL);
			assert_non_null(ct);
			nf_ct_set_timeout(st, ct, 1000);
			ref[n] = t;
			refct[n++] = ct;
		} else if (ct && (r >> 40 & 3) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (refct[i] == ct) {
					ref[i] = ref[--n];
					refct[i] = refct[n];
					break;
				}
			}
			nf_ct_destroy(st, ct);
		}
		assert_int_equal(nf_ct_count(st), n);
		if (op % 5000 == 0)
			assert_int_equal(nf_hash_check(st), 0);
	}
	assert_int_equal(nf_hash_check(st), 0);
	free(ref);
	free(refct);
	usagi_stack_free(st);
}

struct ev_count {
	int n[8];
};

static void on_event(struct stack *st, int event, const struct nf_conn *ct, void *ctx)
{
	struct ev_count *e = ctx;

	(void)st;
	(void)ct;
	e->n[event]++;
}

static int drop_udp_53(struct stack *st, struct pkt *p, const struct nf_hook_state *hs, void *ctx)
{
	struct nf_ct_info ci;

	(void)hs;
	(void)ctx;
	assert_true(nf_ct_get(st, p, &ci));
	return ci.ct && ci.ct->tuple.dport == 53 ? NF_DROP : NF_ACCEPT;
}

/* Hooks through nf_hook_run: conntrack classifies, confirms, and forgets what a later hook dropped. */
static void test_hooks_events(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct ev_count ev = { { 0 } };
	struct pkt *p;

	(void)state;
	assert_int_equal(st->nf_hooks, 0);
	assert_int_equal(nf_ct_enable(st), 0);
	assert_int_equal(nf_ct_enable(st), 0);
	assert_int_equal(nf_ct_listen(st, NF_CT_EV_NEW | NF_CT_EV_UPDATE | NF_CT_EV_DESTROY,
				      on_event, &ev), 0);
	assert_int_equal(nf_hook_register(st, NF_INPUT, drop_udp_53, NF_PRI_FILTER, NULL), 0);
	assert_int_equal(nf_hook_register(st, NF_INPUT, drop_udp_53, NF_PRI_FILTER, NULL), -EEXIST);

	p = ct_udp(st, C6, S6, 1234, 80);
	assert_int_equal(nf_hook_run(st, NF_PREROUTING, p, NULL, NULL), NF_ACCEPT);
	assert_int_equal(nf_hook_run(st, NF_INPUT, p, NULL, NULL), NF_ACCEPT);
	pkt_free(p);
	assert_int_equal(ev.n[NF_CT_EV_NEW], 1);
	p = ct_udp(st, S6, C6, 80, 1234);
	assert_int_equal(nf_hook_run(st, NF_OUTPUT, p, NULL, NULL), NF_ACCEPT);
	assert_int_equal(nf_hook_run(st, NF_POSTROUTING, p, NULL, NULL), NF_ACCEPT);
	pkt_free(p);
	assert_int_equal(ev.n[NF_CT_EV_UPDATE], 1);     /* seen reply, assured */

	p = ct_udp(st, C6, S6, 1234, 53);
	assert_int_equal(nf_hook_run(st, NF_PREROUTING, p, NULL, NULL), NF_ACCEPT);
	assert_int_equal(nf_ct_count(st), 2);
	assert_int_equal(nf_hook_run(st, NF_INPUT, p, NULL, NULL), NF_DROP);
	pkt_free(p);
	assert_int_equal(nf_ct_count(st), 1);           /* never confirmed, gone */
	assert_int_equal(ev.n[NF_CT_EV_NEW], 1);
	assert_int_equal(ev.n[NF_CT_EV_DESTROY], 0);
	assert_int_equal(STAT_GET(st, nf_ct_unconfirmed_drop), 1);

	assert_int_equal(nf_ct_flush(st), 1);
	assert_int_equal(ev.n[NF_CT_EV_DESTROY], 1);
	assert_int_equal(nf_hook_unregister(st, NF_INPUT, drop_udp_53, NULL), 0);
	nf_ct_disable(st);
	assert_int_equal(st->nf_hooks, 0);
	assert_int_equal(nf_ct_unlisten(st, on_event, &ev), 0);
	usagi_stack_free(st);
}

static void rand_tuple(struct rng *r, struct nf_tuple *t)
{
	memset(t, 0, sizeof(*t));
	rng_bytes(r, &t->src, 16);
	rng_bytes(r, &t->dst, 16);
	t->sport = (uint16_t)rng_next(r);
	t->dport = (uint16_t)rng_next(r);
	t->l3 = AF_INET6;
	t->l4 = IPPROTO_UDP;
}

/*
 * An index far denser than the sizing rule (83% of its slots): keys spill
 * to their second bucket and must move (cuckoo steps). Under churn every
 * entry stays findable both ways, single and bulk, and the spill counts
 * stay exact; a failed insert leaves nothing behind.
 */
static void test_dense_index(void **state)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 11 });
	enum { N = 4000 };
	struct nf_tuple *t = calloc(N, sizeof(*t));
	uint32_t *slot = calloc(N, sizeof(*slot));
	struct rng r;

	(void)state;
	rng_seed(&r, 42);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", N), 0);
	for (int i = 0; i < N; i++) {
		rand_tuple(&r, &t[i]);
		assert_non_null(nf_ct_create(st, &t[i], &slot[i]));
	}
	/* 960 buckets, 9600 slots for 8000 keys. */
	assert_int_equal(nf_hash_resize(st, N * 4 / 5), 0);
	assert_int_equal(nf_hash_check(st), 0);
	for (int op = 0; op < 40000; op++) {
		int i = (int)rng_below(&r, N), dir;
		struct nf_tuple inv;

		if (slot[i]) {
			assert_int_equal(nf_ct_lookup(st, &t[i], &dir), slot[i]);
			assert_int_equal(dir, NF_DIR_ORIG);
			nf_ct_tuple(nf_slot(st->nf, slot[i]), NF_DIR_REPLY, &inv);
			assert_int_equal(nf_ct_lookup(st, &inv, &dir), slot[i]);
			assert_int_equal(dir, NF_DIR_REPLY);
			nf_ct_destroy_slot(st, slot[i]);
		}
		assert_int_equal(nf_ct_lookup(st, &t[i], &dir), 0);
		rand_tuple(&r, &t[i]);
		slot[i] = 0;
		if (!nf_ct_create(st, &t[i], &slot[i]))
			slot[i] = 0;
		if (op % 997 == 0) {
			assert_int_equal(nf_hash_check(st), 0);
			check_bulk(st, &t[rng_below(&r, N - 64)], 64);
		}
	}
	assert_int_equal(nf_hash_check(st), 0);
	print_message("dense index: %llu inserts failed of 40000\n",
		      (unsigned long long)STAT_GET(st, nf_ct_insert_failed));
	/* Back to the normal size, then a larger nf_conntrack_max: everything still there. */
	assert_int_equal(nf_hash_resize(st, N), 0);
	assert_int_equal(nf_hash_check(st), 0);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", 3 * N), 0);
	assert_int_equal(st->nf->nbkt, 3 * N * 3 / 10);
	assert_int_equal(nf_hash_check(st), 0);
	for (int i = 0; i < N; i++) {
		int dir;

		assert_int_equal(nf_ct_lookup(st, &t[i], &dir), slot[i]);
	}
	free(t);
	free(slot);
	usagi_stack_free(st);
}

struct verdict {
	int rc, state, dir;
	uint32_t id;
};

static struct verdict classify(struct stack *st, struct pkt *p)
{
	struct nf_ct_info ci;
	struct verdict v = { 0 };

	v.rc = nf_ct_in(st, p, NF_PREROUTING, &ci);
	v.state = ci.state;
	v.dir = ci.dir;
	v.id = ci.ct ? ci.ct->id : 0;
	return v;
}

/* A burst of packets: flows old and new, both directions, repeats, an ICMP error, junk. */
static void mk_burst(struct stack *st, struct rng *r, struct pkt **b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t x = rng_next(r);
		char c[64], s4[32];
		uint16_t port = (uint16_t)(1000 + (x >> 8) % 300);

		snprintf(c, sizeof(c), "2001:db8::%x", (unsigned)(x >> 20) % 5);
		snprintf(s4, sizeof(s4), "192.0.2.%u", (unsigned)(x >> 24) % 5);
		switch (x % 8) {
		case 0: case 1: case 2: b[i] = ct_udp(st, c, S6, port, 53); break;
		case 3: b[i] = ct_udp(st, S6, c, 53, port); break;
		case 4: b[i] = ct_udp(st, s4, S4, port, 53); break;
		case 5: b[i] = ct_tcp(st, c, S6, port, 80, 1000, 0, TF_SYN, 65535, 0); break;
		case 6: b[i] = ct_icmp(st, c, S6, 128, 0, port, NULL, 0); break;
		default: {
			uint8_t bad[10] = { 0x60 };

			b[i] = pkt_from_bytes(st->pool, bad, sizeof(bad));
		}
		}
	}
}

/*
 * nf_ct_in gives the same verdicts with nf_ct_prefetch hints as without:
 * two stacks with the same key see the same bursts, one prefetching. The
 * bursts repeat flows, so hints meet entries made earlier in the burst,
 * and some entries are destroyed between the prefetch and the packet.
 */
static void test_prefetch_same_verdicts(void **state)
{
	struct stack *a = usagi_stack_new(&(struct usagi_stack_config){ .seed = 21 });
	struct stack *b = usagi_stack_new(&(struct usagi_stack_config){ .seed = 21 });
	struct rng ra, rb;
	unsigned hinted = 0;

	(void)state;
	rng_seed(&ra, 5);
	rng_seed(&rb, 5);
	for (int round = 0; round < 300; round++) {
		struct pkt *pa[40], *pb[40];

		mk_burst(a, &ra, pa, 40);
		mk_burst(b, &rb, pb, 40);
		nf_ct_prefetch(a, pa, 40, 0);
		for (unsigned i = 0; i < 40; i++) {
			struct nf_ct_info ci;
			struct verdict va, vb;

			hinted += (pa[i]->nfct_info & 0xf) == NF_CT_HINT;
			if ((pa[i]->nfct_info & 0xf) == NF_CT_HINT)
				assert_false(nf_ct_get(a, pa[i], &ci));     /* a hint is no verdict */
			if (i % 13 == 5 && pa[i]->nfct && (pa[i]->nfct_info & 0xf) == NF_CT_HINT) {
				/* The hinted entry goes (and its slot may be reused) before the packet. */
				nf_ct_destroy_slot(a, pa[i]->nfct);
				nf_ct_destroy_slot(b, pa[i]->nfct);
			}
			va = classify(a, pa[i]);
			vb = classify(b, pb[i]);
			assert_memory_equal(&va, &vb, sizeof(va));
			pkt_free(pa[i]);
			pkt_free(pb[i]);
		}
		usagi_stack_advance(a, a->now + NS_PER_SEC);
		usagi_stack_advance(b, b->now + NS_PER_SEC);
	}
	assert_true(hinted > 1000);
	assert_int_equal(nf_ct_count(a), nf_ct_count(b));
	assert_int_equal(nf_hash_check(a), 0);
	usagi_stack_free(a);
	usagi_stack_free(b);
}

/* A hint naming another flow's entry, or a gone one, is not used. */
static void test_prefetch_stale_hint(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct pkt *p, *q;
	struct nf_conn *ct, *ct2;
	uint32_t s;

	(void)state;
	ct_run(st, ct_udp(st, C6, S6, 1, 2), &ct, NULL);
	ct_run(st, ct_udp(st, C6, S6, 3, 4), &ct2, NULL);
	p = ct_udp(st, C6, S6, 1, 2);
	nf_ct_prefetch(st, &p, 1, 0);
	assert_int_equal(p->nfct_info & 0xf, NF_CT_HINT);
	assert_int_equal(p->nfct_id, ct->id);
	/* A wrong hint: the other flow's entry, with its id. */
	q = ct_udp(st, C6, S6, 3, 4);
	nf_ct_prefetch(st, &q, 1, 0);
	assert_int_equal(q->nfct_id, ct2->id);
	s = q->nfct;
	pkt_free(q);
	q = ct_udp(st, C6, S6, 1, 2);
	q->nfct = s;
	q->nfct_id = ct2->id;
	q->nfct_info = NF_CT_HINT;
	assert_int_equal(ct_run(st, q, &ct2, NULL), NF_CT_NEW);
	assert_ptr_equal(ct2, ct);
	/* The entry goes and a new flow takes its slot: the hint's id no longer matches. */
	nf_ct_destroy(st, ct);
	ct_run(st, ct_udp(st, C6, S6, 5, 6), &ct2, NULL);
	assert_ptr_equal(ct2, ct);      /* same slot, reused */
	assert_int_equal(ct_run(st, p, &ct, NULL), NF_CT_NEW);
	assert_ptr_not_equal(ct, ct2);
	assert_int_equal(ct->tuple.sport, 1);
	assert_int_equal(nf_ct_count(st), 3);
	/* Burst edge cases: offset past the end, nothing tracked. */
	p = ct_udp(st, C6, S6, 1, 2);
	nf_ct_prefetch(st, &p, 1, 4000);
	assert_int_equal(p->nfct_info, 0);
	pkt_free(p);
	usagi_stack_free(st);
}

/* The sweep covers a table larger than NF_GC_SCAN * NF_GC_CYCLE within NF_GC_CYCLE seconds. */
static void test_gc_proportional(void **state)
{
	struct stack *st = usagi_stack_new(&(struct usagi_stack_config){ .seed = 4 });
	enum { N = 150000 };
	struct rng r;

	(void)state;
	rng_seed(&r, 9);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", N), 0);
	for (int i = 0; i < N; i++) {
		struct nf_tuple t;

		rand_tuple(&r, &t);
		nf_ct_set_timeout(st, nf_ct_create(st, &t, NULL), 10);
	}
	assert_int_equal(nf_ct_count(st), N);
	for (int sec = 0; sec < 10 + NF_GC_CYCLE + 1; sec++)
		usagi_stack_advance(st, st->now + NS_PER_SEC);
	assert_int_equal(nf_ct_count(st), 0);
	assert_int_equal(STAT_GET(st, nf_ct_expired), N);
	usagi_stack_free(st);
}

static int sysctl_cmd(struct stack *st, const char *line, char *out, size_t outlen)
{
	char buf[256];
	FILE *o = fmemopen(out, outlen, "w"), *e = fopen("/dev/null", "w");
	struct cmd_env env = { .st = st, .out = o, .err = e };
	int rc;

	snprintf(buf, sizeof(buf), "%s", line);
	rc = cmd_exec_line(&env, buf);
	fclose(o);
	fclose(e);
	return rc;
}

/* `sysctl net.netfilter.*` through the command language. */
static void test_sysctl_cmd(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	char out[256];
	long v;

	(void)state;
	assert_int_equal(sysctl_cmd(st, "sysctl net.netfilter.nf_conntrack_udp_timeout_stream", out,
				    sizeof(out)), 0);
	assert_string_equal(out, "net.netfilter.nf_conntrack_udp_timeout_stream = 120\n");
	assert_int_equal(sysctl_cmd(st, "sysctl -w net.netfilter.nf_conntrack_max=1000", out,
				    sizeof(out)), 0);
	assert_string_equal(out, "net.netfilter.nf_conntrack_max = 1000\n");
	assert_int_equal(nf_sysctl_get(st, "net.netfilter.nf_conntrack_max", &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(sysctl_cmd(st, "sysctl net.netfilter.nf_conntrack_count=3", out, sizeof(out)), 2);
	assert_int_equal(sysctl_cmd(st, "sysctl net.netfilter.nf_conntrack_icmp_timeout=x", out,
				    sizeof(out)), 2);
	assert_int_equal(sysctl_cmd(st, "sysctl net.netfilter.bogus", out, sizeof(out)), 2);
	for (size_t i = 0; nf_sysctl_key(i); i++)
		assert_int_equal(nf_sysctl_get(st, nf_sysctl_key(i), &v), 0);
	usagi_stack_free(st);
}

static void test_sizes(void **state)
{
	(void)state;
	struct stack *st = usagi_stack_new(NULL);
	double per;

	/* The documented memory per entry: the entry plus its share of the index, at most 128. */
	assert_true(sizeof(struct nf_conn) <= 104);
	assert_int_equal(sizeof(struct nf_bucket), 64);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", 1000000), 0);
	nf_ct_create(st, &(struct nf_tuple){ .l3 = AF_INET6, .l4 = IPPROTO_UDP }, NULL);
	per = sizeof(struct nf_conn) + (double)nf_hash_bytes(st->nf) / 1000000;
	assert_true(per <= 125);
	print_message("nf_conn %zu bytes, %.1f per entry with the index\n", sizeof(struct nf_conn), per);
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_related),
		cmocka_unit_test(test_untracked_nd),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_early_drop),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_walk_churn),
		cmocka_unit_test(test_hash_differential),
		cmocka_unit_test(test_dense_index),
		cmocka_unit_test(test_prefetch_same_verdicts),
		cmocka_unit_test(test_prefetch_stale_hint),
		cmocka_unit_test(test_gc_proportional),
		cmocka_unit_test(test_hooks_events),
		cmocka_unit_test(test_sysctl_cmd),
		cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
