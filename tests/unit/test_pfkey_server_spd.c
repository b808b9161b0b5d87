/*
 * The PF_KEY server and the SPD's events and lifetimes
 * (src/xfrm/policy_events.c, src/pfkey/pfkey_server_spd*.c), on the IPsec
 * lab's host A:
 *
 *   A 2001:db8:1::1 192.0.2.1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 192.0.2.2 B
 *
 * Asserted:
 * - SPD changes made without PF_KEY (the node's setkey command and config
 *   files call xfrm_policy_add/_delete, `ipsec policy flush` calls
 *   xfrm_policy_flush) reach every socket as X_SPDADD, X_SPDUPDATE,
 *   X_SPDDELETE (carrying the deleted policy with its id) and X_SPDFLUSH,
 *   with seq 0 and pid 0; the same changes through PF_KEY carry the
 *   request's type, seq and pid and are sent once;
 * - X_SPDDELETE through PF_KEY broadcasts the deleted policy, its id
 *   included (it used to echo the request, whose id is 0);
 * - X_SPDSETIDX is KAME's and Linux's SPDADD: EEXIST for an existing
 *   selector and direction, the broadcast typed X_SPDSETIDX;
 * - X_SPDDUMP entries and X_SPDGET replies carry LIFETIME_CURRENT
 *   (add time, last use, packets, bytes);
 * - policy lifetimes: SPDADD's LIFETIME_HARD/_SOFT are kept (dumped back,
 *   `setkey -DP` prints lifetime:/validtime:); the soft add-time limit
 *   sends X_SPDEXPIRE with LIFETIME_SOFT once and keeps the policy; the
 *   hard one sends X_SPDEXPIRE with LIFETIME_HARD and removes the policy
 *   without an X_SPDDELETE; the use-time limit counts from the last use;
 *   SPDUPDATE replaces the limits; expiry runs with no PF_KEY socket open;
 *   a flush or a delete cancels the timers.
 * Every message the server sends passes pfkey_parse + pfkey_check.
 */
#include <stdio.h>
#include "pfkey_harness.h"
#include "setkey/setkey.h"

#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

static const struct sadb_lifetime *lifetime(const struct pfkey_msg *m, unsigned which)
{
	return PFKEY_EXT(m, which, sadb_lifetime);
}

/* Message @i of @p: its type, seq and pid. */
static void check_hdr(const struct psock *p, unsigned i, uint8_t type, uint32_t seq, uint32_t pid)
{
	const struct sadb_msg *h = ps_hdr(p, i);

	assert_int_equal(h->sadb_msg_type, type);
	assert_int_equal(h->sadb_msg_errno, 0);
	assert_int_equal(h->sadb_msg_seq, seq);
	assert_int_equal(h->sadb_msg_pid, pid);
	assert_int_equal(h->sadb_msg_satype, SADB_SATYPE_UNSPEC);
}

/* Changes made without PF_KEY are broadcast with seq 0 and pid 0. */
static void test_outside_spd_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT);
	struct xfrm_policy *pol;
	struct psock ab[2], *a = &ab[0], *b = &ab[1];
	struct xfrm_policy back;
	struct pfkey_msg m;
	uint32_t id;

	ps_open(a, SA(t));
	ps_open(b, SA(t));
	assert_int_equal(xfrm_policy_add(SA(t), &p1, 0, &pol), 0);
	id = pol->index;
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(ab[i].n, 1);
		check_hdr(&ab[i], 0, SADB_X_SPDADD, 0, 0);
		assert_int_equal(ps_policy_id(&ab[i], 0), id);
	}
	p1.priority = 7;
	assert_int_equal(xfrm_policy_add(SA(t), &p1, XFRM_POLICY_F_UPDATE, NULL), 0);
	check_hdr(a, 1, SADB_X_SPDUPDATE, 0, 0);
	assert_int_equal(ps_policy_id(a, 1), id);
	assert_int_equal(xfrm_policy_delete(SA(t), &p1.sel, XFRM_DIR_OUT), 0);
	check_hdr(a, 2, SADB_X_SPDDELETE, 0, 0);
	/* The deleted policy itself: its id and selector. */
	assert_int_equal(ps_policy_id(a, 2), id);
	ps_parse(a, 2, &m);
	assert_int_equal(pfkey_to_policy(&m, &back, NULL), 0);
	assert_memory_equal(&back.sel.dst, &p1.sel.dst, sizeof(back.sel.dst));
	assert_int_equal(back.priority, 7);
	lab_pol(SA(t), &p1.sel, XFRM_DIR_IN, XFRM_ACT_BLOCK, 0, NULL);
	xfrm_policy_flush(SA(t));
	check_hdr(a, 3, SADB_X_SPDADD, 0, 0);
	check_hdr(a, 4, SADB_X_SPDFLUSH, 0, 0);
	assert_int_equal(a->n, 5);
	assert_int_equal(b->n, 5);
	assert_int_equal(a->bad + b->bad, 0);
	ps_close(a);
	ps_close(b);
	/* With no socket open, no listener is left behind. */
	assert_null(SA(t)->spd_listeners);
	assert_int_equal(xfrm_policy_add(SA(t), &p1, 0, NULL), 0);
}

/* Through PF_KEY: one broadcast per change, with the request's type, seq and pid. */
static void test_pfkey_spd_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT), p2 = policy(B6, A6, XFRM_DIR_IN);
	struct pfkey_buf b;
	struct psock snd, oth;
	uint32_t id1, id2;

	ps_open(&snd, SA(t));
	ps_open(&oth, SA(t));
	build_spd(&b, SADB_X_SPDADD, 1, &p1);
	assert_int_equal(ps_input(&snd, &b), 0);
	assert_int_equal(snd.n, 1);
	check_hdr(&oth, 0, SADB_X_SPDADD, 1, 4242);
	id1 = ps_policy_id(&oth, 0);
	/* SPDUPDATE of a policy that does not exist adds it, announced as SPDUPDATE (the request's). */
	build_spd(&b, SADB_X_SPDUPDATE, 2, &p2);
	assert_int_equal(ps_input(&snd, &b), 0);
	check_hdr(&oth, 1, SADB_X_SPDUPDATE, 2, 4242);
	id2 = ps_policy_id(&oth, 1);
	/* SPDSETIDX: SPDADD's semantics, EEXIST for the same selector and direction. */
	build_spd(&b, SADB_X_SPDSETIDX, 3, &p1);
	assert_int_equal(ps_input(&snd, &b), -EEXIST);
	p1.sel.dplen = 64;
	build_spd(&b, SADB_X_SPDSETIDX, 4, &p1);
	assert_int_equal(ps_input(&snd, &b), 0);
	check_hdr(&oth, 2, SADB_X_SPDSETIDX, 4, 4242);
	assert_int_equal(xfrm_policy_count(SA(t)), 3);
	/* SPDDELETE: the deleted policy with its id, not the request's id 0. */
	p1.sel.dplen = 128;
	build_spd(&b, SADB_X_SPDDELETE, 5, &p1);
	assert_int_equal(ps_input(&snd, &b), 0);
	assert_int_equal(oth.n, 4);
	check_hdr(&oth, 3, SADB_X_SPDDELETE, 5, 4242);
	assert_int_equal(ps_policy_id(&oth, 3), id1);
	check_hdr(&snd, snd.n - 1, SADB_X_SPDDELETE, 5, 4242);
	/* SPDDELETE2: typed SPDDELETE2. */
	build_base(&b, SADB_X_SPDDELETE2, 0, 6);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_INBOUND, id2, 0);
	assert_int_equal(ps_input(&snd, &b), 0);
	check_hdr(&oth, 4, SADB_X_SPDDELETE2, 6, 4242);
	assert_int_equal(ps_policy_id(&oth, 4), id2);
	build_base(&b, SADB_X_SPDFLUSH, 0, 7);
	assert_int_equal(ps_input(&snd, &b), 0);
	check_hdr(&oth, 5, SADB_X_SPDFLUSH, 7, 4242);
	assert_int_equal(oth.n, 6);
	assert_int_equal(snd.n, 7);      /* and the EEXIST */
	assert_int_equal(snd.bad + oth.bad, 0);
	ps_close(&snd);
	ps_close(&oth);
}

/* SPDDUMP and SPDGET carry the policy's current lifetime. */
static void test_spd_current(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT);
	struct xfrm_policy *pol;
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct psock p;
	uint64_t t_add;

	t_add = SA(t)->now;
	assert_int_equal(xfrm_policy_add(SA(t), &p1, 0, &pol), 0);
	usagi_stack_advance(SA(t), t_add + 3 * NS_PER_SEC);
	xfrm_policy_account(pol, 1200, SA(t)->now);
	xfrm_policy_account(pol, 300, SA(t)->now);
	ps_open(&p, SA(t));
	build_base(&b, SADB_X_SPDDUMP, 0, 1);
	assert_int_equal(ps_input(&p, &b), 0);
	pfkey_sock_dump_more(p.s, 10);
	assert_int_equal(p.n, 1);
	check_hdr(&p, 0, SADB_X_SPDDUMP, 0, 4242);
	ps_parse(&p, 0, &m);
	assert_non_null(lifetime(&m, SADB_EXT_LIFETIME_CURRENT));
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime, t_add / NS_PER_SEC);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_usetime,
			 (t_add + 3 * NS_PER_SEC) / NS_PER_SEC);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_allocations, 2);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_bytes, 1500);
	assert_null(lifetime(&m, SADB_EXT_LIFETIME_HARD));
	ps_clear(&p);
	build_base(&b, SADB_X_SPDGET, 0, 2);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, pol->index, 0);
	assert_int_equal(ps_input(&p, &b), 0);
	assert_int_equal(p.n, 1);
	ps_parse(&p, 0, &m);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_allocations, 2);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* An SPDADD with HARD and SOFT lifetimes (add time @soft_add/@hard_add, use time @soft_use/@hard_use). */
static void build_spd_lft(struct pfkey_buf *b, uint8_t type, uint32_t seq, const struct xfrm_policy *p,
			  uint64_t soft_add, uint64_t hard_add, uint64_t soft_use, uint64_t hard_use)
{
	build_spd(b, type, seq, p);
	if (hard_add || hard_use)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, 0, 0, hard_add, hard_use);
	if (soft_add || soft_use)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, 0, 0, soft_add, soft_use);
}

/* The X_SPDEXPIRE message @i of @p: soft or hard, for policy @id, with CURRENT and only that limit. */
static void check_spdexpire(const struct psock *p, unsigned i, bool hard, uint32_t id, uint64_t add_s,
			    uint64_t use_s)
{
	const struct sadb_lifetime *l;
	struct pfkey_msg m;

	check_hdr(p, i, SADB_X_SPDEXPIRE, 0, 0);
	assert_int_equal(ps_policy_id(p, i), id);
	ps_parse(p, i, &m);
	assert_non_null(m.ext[SADB_EXT_ADDRESS_SRC]);
	assert_non_null(m.ext[SADB_EXT_ADDRESS_DST]);
	assert_non_null(lifetime(&m, SADB_EXT_LIFETIME_CURRENT));
	assert_true(!lifetime(&m, SADB_EXT_LIFETIME_HARD) == !hard);
	assert_true(!lifetime(&m, SADB_EXT_LIFETIME_SOFT) == hard);
	l = lifetime(&m, hard ? SADB_EXT_LIFETIME_HARD : SADB_EXT_LIFETIME_SOFT);
	assert_int_equal(l->sadb_lifetime_addtime, add_s);
	assert_int_equal(l->sadb_lifetime_usetime, use_s);
}

/* Add-time lifetimes: soft X_SPDEXPIRE (kept), hard X_SPDEXPIRE (gone, no SPDDELETE). */
static void test_policy_add_lifetimes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT);
	struct xfrm_policy *pol;
	uint64_t t0 = SA(t)->now;
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct psock snd, oth;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	uint32_t id;

	ps_open(&snd, SA(t));
	ps_open(&oth, SA(t));
	build_spd_lft(&b, SADB_X_SPDADD, 1, &p1, 10, 20, 0, 600);
	assert_int_equal(ps_input(&snd, &b), 0);
	id = ps_policy_id(&oth, 0);
	pol = xfrm_policy_get(SA(t), id);
	assert_non_null(pol);
	assert_int_equal(pol->lft.soft_add_s, 10);
	assert_int_equal(pol->lft.hard_add_s, 20);
	assert_int_equal(pol->lft.hard_use_s, 600);
	/* The broadcast tells the limits back. */
	ps_parse(&oth, 0, &m);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_HARD)->sadb_lifetime_addtime, 20);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_HARD)->sadb_lifetime_usetime, 600);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_SOFT)->sadb_lifetime_addtime, 10);
	/* setkey -DP shows them as ipsec-tools does. */
	f = open_memstream(&text, &len);
	setkey_print_policy(f, SA(t), pol, 0);
	fclose(f);
	assert_non_null(strstr(text, "\tlifetime: 20(s) validtime: 600(s)\n"));
	free(text);
	ps_clear(&snd);
	ps_clear(&oth);
	usagi_stack_advance(SA(t), t0 + 9 * NS_PER_SEC);
	assert_int_equal(oth.n, 0);
	usagi_stack_advance(SA(t), t0 + 10 * NS_PER_SEC);
	assert_int_equal(oth.n, 1);
	assert_int_equal(snd.n, 1);
	check_spdexpire(&oth, 0, false, id, 10, 0);
	assert_non_null(xfrm_policy_get(SA(t), id));
	assert_int_equal(STAT_GET(SA(t), xfrm_spd_expire_soft), 1);
	/* Once. */
	usagi_stack_advance(SA(t), t0 + 19 * NS_PER_SEC);
	assert_int_equal(oth.n, 1);
	usagi_stack_advance(SA(t), t0 + 20 * NS_PER_SEC);
	assert_int_equal(oth.n, 2);
	check_spdexpire(&oth, 1, true, id, 20, 600);
	assert_null(xfrm_policy_get(SA(t), id));
	assert_int_equal(xfrm_policy_count(SA(t)), 0);
	assert_int_equal(ps_count(&oth, SADB_X_SPDDELETE), 0);
	assert_int_equal(STAT_GET(SA(t), xfrm_spd_expire_hard), 1);
	assert_int_equal(STAT_GET(SA(t), pfkey_spdexpire_sent), 2);
	assert_int_equal(snd.bad + oth.bad, 0);
	ps_close(&snd);
	ps_close(&oth);
}

/* Use-time limits count from the last use (KAME's validtime, Linux's use expiry). */
static void test_policy_use_lifetime(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT);
	struct xfrm_policy *pol;
	uint64_t t0 = SA(t)->now;
	struct pfkey_buf b;
	struct psock p;
	uint32_t id;

	ps_open(&p, SA(t));
	build_spd_lft(&b, SADB_X_SPDADD, 1, &p1, 0, 0, 3, 5);
	assert_int_equal(ps_input(&p, &b), 0);
	id = ps_policy_id(&p, 0);
	pol = xfrm_policy_get(SA(t), id);
	ps_clear(&p);
	/* Used at 2 s and 4 s: the idle limits now end at 7 s (soft) and 9 s (hard). */
	usagi_stack_advance(SA(t), t0 + 2 * NS_PER_SEC);
	xfrm_policy_account(pol, 100, SA(t)->now);
	usagi_stack_advance(SA(t), t0 + 4 * NS_PER_SEC);
	xfrm_policy_account(pol, 100, SA(t)->now);
	usagi_stack_advance(SA(t), t0 + 6 * NS_PER_SEC);
	assert_int_equal(p.n, 0);
	usagi_stack_advance(SA(t), t0 + 7 * NS_PER_SEC);
	assert_int_equal(p.n, 1);
	check_spdexpire(&p, 0, false, id, 0, 3);
	usagi_stack_advance(SA(t), t0 + 8 * NS_PER_SEC + NS_PER_SEC / 2);
	assert_non_null(xfrm_policy_get(SA(t), id));
	usagi_stack_advance(SA(t), t0 + 9 * NS_PER_SEC);
	assert_int_equal(p.n, 2);
	check_spdexpire(&p, 1, true, id, 0, 5);
	assert_null(xfrm_policy_get(SA(t), id));
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* SPDUPDATE replaces the limits (from the original add time); delete and flush stop the timers. */
static void test_policy_lifetime_changes(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT), p2 = policy(B6, A6, XFRM_DIR_IN);
	uint64_t t0 = SA(t)->now;
	struct pfkey_buf b;
	struct psock p;
	uint32_t id;

	ps_open(&p, SA(t));
	build_spd_lft(&b, SADB_X_SPDADD, 1, &p1, 0, 10, 0, 0);
	assert_int_equal(ps_input(&p, &b), 0);
	id = ps_policy_id(&p, 0);
	build_spd_lft(&b, SADB_X_SPDUPDATE, 2, &p1, 0, 30, 0, 0);
	assert_int_equal(ps_input(&p, &b), 0);
	assert_int_equal(ps_policy_id(&p, 1), id);
	assert_int_equal(xfrm_policy_get(SA(t), id)->lft.hard_add_s, 30);
	usagi_stack_advance(SA(t), t0 + 29 * NS_PER_SEC);
	assert_non_null(xfrm_policy_get(SA(t), id));
	usagi_stack_advance(SA(t), t0 + 30 * NS_PER_SEC);
	assert_null(xfrm_policy_get(SA(t), id));
	assert_int_equal(ps_last(&p)->sadb_msg_type, SADB_X_SPDEXPIRE);
	/* Deleted or flushed before their time: no expiry, no timer left behind. */
	build_spd_lft(&b, SADB_X_SPDADD, 3, &p1, 0, 5, 0, 0);
	assert_int_equal(ps_input(&p, &b), 0);
	build_spd_lft(&b, SADB_X_SPDADD, 4, &p2, 2, 5, 0, 0);
	assert_int_equal(ps_input(&p, &b), 0);
	assert_int_equal(xfrm_policy_delete(SA(t), &p1.sel, XFRM_DIR_OUT), 0);
	xfrm_policy_flush(SA(t));
	ps_clear(&p);
	usagi_stack_advance(SA(t), SA(t)->now + 60 * NS_PER_SEC);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* Lifetimes run without any PF_KEY socket; the node's own setkey -DP shows them. */
static void test_policy_expiry_without_pfkey(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT);
	uint64_t t0 = SA(t)->now;

	p1.lft.hard_add_s = 4;
	assert_int_equal(xfrm_policy_add(SA(t), &p1, 0, NULL), 0);
	usagi_stack_advance(SA(t), t0 + 3 * NS_PER_SEC);
	assert_int_equal(xfrm_policy_count(SA(t)), 1);
	usagi_stack_advance(SA(t), t0 + 4 * NS_PER_SEC);
	assert_int_equal(xfrm_policy_count(SA(t)), 0);
	assert_int_equal(STAT_GET(SA(t), xfrm_spd_expire_hard), 1);
}

/* A listener sees every event kind, in order; listeners are per stack and bounded. */
struct ev_log {
	enum xfrm_spd_event_type type[16];
	uint32_t index[16];
	unsigned n;
};

static void log_event(struct stack *st, const struct xfrm_spd_event *ev, void *ctx)
{
	struct ev_log *l = ctx;

	if (l->n < 16) {
		l->type[l->n] = ev->type;
		l->index[l->n++] = ev->pol ? ev->pol->index : 0;
	}
}

static void test_spd_listen(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_policy p1 = policy(A6, B6, XFRM_DIR_OUT);
	struct xfrm_policy *pol;
	struct ev_log l = { 0 };
	uint64_t t0 = SA(t)->now;
	uint32_t id;
	int dummy[XFRM_SPD_LISTENERS_MAX];

	assert_int_equal(xfrm_spd_listen(SA(t), log_event, &l), 0);
	assert_int_equal(xfrm_spd_listen(SA(t), log_event, &l), -EEXIST);
	for (unsigned i = 1; i < XFRM_SPD_LISTENERS_MAX; i++)
		assert_int_equal(xfrm_spd_listen(SA(t), log_event, &dummy[i]), 0);
	assert_int_equal(xfrm_spd_listen(SA(t), log_event, &dummy[0]), -ENOSPC);
	for (unsigned i = 1; i < XFRM_SPD_LISTENERS_MAX; i++)
		xfrm_spd_unlisten(SA(t), log_event, &dummy[i]);
	p1.lft.soft_add_s = 1;
	p1.lft.hard_add_s = 2;
	assert_int_equal(xfrm_policy_add(SA(t), &p1, 0, &pol), 0);
	id = pol->index;
	assert_int_equal(xfrm_policy_add(SA(t), &p1, XFRM_POLICY_F_UPDATE, NULL), 0);
	usagi_stack_advance(SA(t), t0 + 1 * NS_PER_SEC);
	usagi_stack_advance(SA(t), t0 + 2 * NS_PER_SEC);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.type[0], XFRM_SPD_EV_ADD);
	assert_int_equal(l.type[1], XFRM_SPD_EV_UPDATE);
	assert_int_equal(l.type[2], XFRM_SPD_EV_EXPIRE_SOFT);
	assert_int_equal(l.type[3], XFRM_SPD_EV_EXPIRE_HARD);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(l.index[i], id);
	xfrm_spd_unlisten(SA(t), log_event, &l);
	assert_null(SA(t)->spd_listeners);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_outside_spd_changes),
		PAIR_TEST(test_pfkey_spd_changes),
		PAIR_TEST(test_spd_current),
		PAIR_TEST(test_policy_add_lifetimes),
		PAIR_TEST(test_policy_use_lifetime),
		PAIR_TEST(test_policy_lifetime_changes),
		PAIR_TEST(test_policy_expiry_without_pfkey),
		PAIR_TEST(test_spd_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
