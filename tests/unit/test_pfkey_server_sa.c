/*
 * The PF_KEY server's view of SAs beyond the basic messages
 * (test_pfkey_server.c), on the IPsec lab's host A:
 *
 *   A 2001:db8:1::1 192.0.2.1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 192.0.2.2 B
 *
 * Asserted:
 * - GET and DELETE name an SA by (satype, DST, SPI) alone, as RFC 2367
 *   3.1.4/3.1.5 say: a request that carries only the SA extension's SPI
 *   and the addresses (what setkey sends) finds AH, ESP and IPComp SAs
 *   alike (an AH SA used to be refused with EINVAL, because the request
 *   named no authentication algorithm); the source address is not
 *   compared; a wrong protocol or SPI is ESRCH;
 * - the window reported is the one the SAD runs: an ESN SA configured
 *   with window 0 runs (and reports) 32, in GET, DUMP and the ADD
 *   broadcast;
 * - a LARVAL SA (GETSPI) carries its add time (LIFETIME_CURRENT) and the
 *   hard add-time limit it dies by (XFRM_LARVAL_LIFETIME_S) in the GETSPI
 *   reply and in DUMP, as Linux and KAME show it;
 * - add and use times are wall-clock seconds: st->epoch_ns + the stack's
 *   clock (0 when never used), and the node's own `setkey -D`, `setkey
 *   -DP`, `ipsec sa show` and `ipsec policy show` print the same dates;
 *   a stack with epoch 0 (simulations) keeps counting from 1970.
 * Every message the server sends passes pfkey_parse + pfkey_check.
 */
#include <stdio.h>
#include "pfkey_harness.h"
#include "setkey/setkey.h"

#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

/* 2023-11-14 22:13:20 UTC, a fixed wall clock for stack time 0. */
#define EPOCH_S 1700000000ull

/* The single message on @p parsed into @m (type @type, errno 0). */
static void only(const struct psock *p, uint8_t type, struct pfkey_msg *m)
{
	assert_int_equal(p->n, 1);
	assert_int_equal(ps_hdr(p, 0)->sadb_msg_type, type);
	assert_int_equal(ps_hdr(p, 0)->sadb_msg_errno, 0);
	ps_parse(p, 0, m);
}

static const struct sadb_lifetime *lifetime(const struct pfkey_msg *m, unsigned which)
{
	return PFKEY_EXT(m, which, sadb_lifetime);
}

/* GET and DELETE of AH, ESP and IPComp SAs with requests that carry only SA(SPI) + SRC + DST. */
static void test_get_delete_by_id(void **state)
{
	struct lab_pair *t = *state;
	static const struct { uint8_t proto, satype; uint32_t spi; } sas[] = {
		{ IPPROTO_AH, SADB_SATYPE_AH, 0x3001 },
		{ IPPROTO_ESP, SADB_SATYPE_ESP, 0x3002 },
		{ IPPROTO_COMP, SADB_X_SATYPE_IPCOMP, 0x3003 },
	};
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct psock p;

	for (size_t i = 0; i < ARRAY_SIZE(sas); i++)
		lab_sa(SA(t), sas[i].proto, XFRM_MODE_TRANSPORT, A6, B6, sas[i].spi, LAB_CBC_SHA256);
	ps_open(&p, SA(t));
	for (size_t i = 0; i < ARRAY_SIZE(sas); i++) {
		ps_clear(&p);
		build_id(&b, SADB_GET, sas[i].satype, 10, A6, B6, sas[i].spi);
		assert_int_equal(ps_input(&p, &b), 0);
		only(&p, SADB_GET, &m);
		assert_int_equal(pfkey_get_spi(&m), sas[i].spi);
		assert_int_equal(m.hdr->sadb_msg_satype, sas[i].satype);
		/* The source is not part of the SA's id (Linux): another one names the same SA. */
		ps_clear(&p);
		build_id(&b, SADB_GET, sas[i].satype, 11, "2001:db8:1::99", B6, sas[i].spi);
		assert_int_equal(ps_input(&p, &b), 0);
		/* The wrong protocol or SPI: no such SA. */
		build_id(&b, SADB_GET, sas[(i + 1) % ARRAY_SIZE(sas)].satype, 12, A6, B6, sas[i].spi);
		assert_int_equal(ps_input(&p, &b), -ESRCH);
		build_id(&b, SADB_GET, sas[i].satype, 13, A6, B6, sas[i].spi + 0x100);
		assert_int_equal(ps_input(&p, &b), -ESRCH);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sas); i++) {
		ps_clear(&p);
		build_id(&b, SADB_DELETE, sas[i].satype, 20, A6, B6, sas[i].spi);
		assert_int_equal(ps_input(&p, &b), 0);
		only(&p, SADB_DELETE, &m);
		assert_int_equal(pfkey_get_spi(&m), sas[i].spi);
		assert_int_equal(m.hdr->sadb_msg_seq, 20);
		assert_int_equal(xfrm_state_count(SA(t)), ARRAY_SIZE(sas) - 1 - i);
	}
	/* Without the SA extension or with an SA type usagi has no transform for: refused. */
	build_base(&b, SADB_DELETE, SADB_SATYPE_AH, 30);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, A6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, B6);
	assert_int_equal(ps_input(&p, &b), -EINVAL);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* An ESN SA configured with window 0 runs the minimum 32 (RFC 4303 A2): that is what PF_KEY says. */
static void test_esn_effective_window(void **state)
{
	struct lab_pair *t = *state;
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct psock p;
	uint8_t ek[16], ak[32];

	ps_open(&p, SA(t));
	lab_keys(0x2101, ek, ak);
	assert_int_equal(pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 4242), 0);
	pfkey_add_sa(&b, 0x2101, 0, SADB_SASTATE_MATURE, SADB_X_AALG_SHA2_256HMAC, SADB_X_EALG_AESCBC,
		     SADB_X_SAFLAGS_ESN);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, A6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, B6);
	pfkey_add_key(&b, SADB_EXT_KEY_AUTH, 256, ak);
	pfkey_add_key(&b, SADB_EXT_KEY_ENCRYPT, 128, ek);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_ADD, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_replay, 32);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_flags & SADB_X_SAFLAGS_ESN,
			 SADB_X_SAFLAGS_ESN);
	ps_clear(&p);
	build_id(&b, SADB_GET, SADB_SATYPE_ESP, 2, A6, B6, 0x2101);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_GET, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_replay, 32);
	ps_clear(&p);
	build_base(&b, SADB_DUMP, SADB_SATYPE_ESP, 3);
	assert_int_equal(ps_input(&p, &b), 0);
	pfkey_sock_dump_more(p.s, 10);
	only(&p, SADB_DUMP, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_replay, 32);
	/* A window above 255 still travels in X_SA_REPLAY, as the SAD runs it. */
	ps_clear(&p);
	build_esp(&b, SADB_ADD, 4, A6, B6, 0x2102, 0, 0);
	assert_int_equal(pfkey_buf_finish(&b), 0);
	((struct sadb_sa *)(void *)(b.data + sizeof(struct sadb_msg)))->sadb_sa_replay = 255;
	pfkey_add_sa_replay(&b, 1000);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_ADD, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_X_EXT_SA_REPLAY, sadb_x_sa_replay)->sadb_x_sa_replay_replay,
			 1000);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* GETSPI's larval SA: its add time and the hard limit it dies by, in the reply and in DUMP. */
static void test_larval_lifetimes(void **state)
{
	struct lab_pair *t = *state;
	struct stack *st = SA(t);
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct psock p;

	/* The lab's clock does not start at 0: stack time now is EPOCH_S on the wall clock. */
	st->epoch_ns = EPOCH_S * NS_PER_SEC - st->now;
	usagi_stack_advance(st, st->now + 7 * NS_PER_SEC);
	ps_open(&p, st);
	build_base(&b, SADB_GETSPI, SADB_SATYPE_ESP, 5);
	add_addr(&b, SADB_EXT_ADDRESS_SRC, B6);
	add_addr(&b, SADB_EXT_ADDRESS_DST, A6);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_GETSPI, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_state, SADB_SASTATE_LARVAL);
	assert_non_null(lifetime(&m, SADB_EXT_LIFETIME_CURRENT));
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime, EPOCH_S + 7);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_usetime, 0);
	assert_non_null(lifetime(&m, SADB_EXT_LIFETIME_HARD));
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_HARD)->sadb_lifetime_addtime,
			 XFRM_LARVAL_LIFETIME_S);
	assert_null(lifetime(&m, SADB_EXT_LIFETIME_SOFT));
	assert_null(m.ext[SADB_EXT_KEY_AUTH]);
	ps_clear(&p);
	build_base(&b, SADB_DUMP, SADB_SATYPE_UNSPEC, 6);
	assert_int_equal(ps_input(&p, &b), 0);
	pfkey_sock_dump_more(p.s, 10);
	only(&p, SADB_DUMP, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_state, SADB_SASTATE_LARVAL);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_HARD)->sadb_lifetime_addtime,
			 XFRM_LARVAL_LIFETIME_S);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime, EPOCH_S + 7);
	/* Its hard EXPIRE carries the same limit and add time. */
	ps_clear(&p);
	usagi_stack_advance(st, st->now + (XFRM_LARVAL_LIFETIME_S + 1) * NS_PER_SEC);
	only(&p, SADB_EXPIRE, &m);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_HARD)->sadb_lifetime_addtime,
			 XFRM_LARVAL_LIFETIME_S);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime, EPOCH_S + 7);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
}

/* What the node prints of @obj as a string (malloc'd): 0 setkey -D, 1 -DP, 2 ipsec sa show, 3 ipsec policy show. */
static char *capture(struct stack *st, const void *obj, int what)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (what == 0)
		setkey_print_sa(f, st, obj, 0);
	else if (what == 1)
		setkey_print_policy(f, st, obj, 0);
	else if (what == 2)
		setkey_show_sa(f, st, obj, false);
	else
		setkey_show_policy(f, st, obj);
	fclose(f);
	return buf;
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("\"%s\" not in:\n%s", want, text);
}

/* Add/use times in PF_KEY are epoch + stack time (seconds); the node's printers show the same dates. */
static void test_wall_clock(void **state)
{
	struct lab_pair *t = *state;
	struct stack *st = SA(t);
	struct xfrm_selector sel = lab_sel(A6, 128, B6, 128, XFRM_PROTO_ANY);
	struct in6_addr b6 = lab_addr(B6, NULL);
	struct xfrm_state *x;
	struct xfrm_policy *pol;
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct psock p;
	char *text;
	uint64_t t0 = st->now;

	/* Epoch 0 (simulations): seconds of the stack clock, dates in 1970, as before. */
	lab_sa(st, IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x4001, LAB_GCM);
	ps_open(&p, st);
	build_id(&b, SADB_GET, SADB_SATYPE_ESP, 1, A6, B6, 0x4001);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_GET, &m);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime, t0 / NS_PER_SEC);
	ps_clear(&p);
	/* A node: the wall clock at stack time 0 (the lab's clock starts at t0: EPOCH_S then). */
	st->epoch_ns = EPOCH_S * NS_PER_SEC - t0;
	usagi_stack_advance(st, t0 + 5 * NS_PER_SEC);
	x = lab_sa(st, IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x4002, LAB_GCM);
	pol = lab_pol(st, &sel, XFRM_DIR_OUT, XFRM_ACT_BLOCK, 0, NULL);
	ps_clear(&p);
	usagi_stack_advance(st, t0 + 65 * NS_PER_SEC);
	assert_int_equal(xfrm_state_account(st, x, 100), 0);
	xfrm_policy_account(pol, 100, st->now);
	build_id(&b, SADB_GET, SADB_SATYPE_ESP, 2, A6, B6, 0x4002);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_GET, &m);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime,
			 EPOCH_S + 5);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_usetime,
			 EPOCH_S + 65);
	ps_clear(&p);
	build_base(&b, SADB_X_SPDGET, 0, 3);
	pfkey_add_policy_id(&b, IPSEC_POLICY_DISCARD, IPSEC_DIR_OUTBOUND, pol->index, 0);
	assert_int_equal(ps_input(&p, &b), 0);
	only(&p, SADB_X_SPDGET, &m);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_addtime,
			 EPOCH_S + 5);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_usetime,
			 EPOCH_S + 65);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_allocations, 1);
	assert_int_equal(lifetime(&m, SADB_EXT_LIFETIME_CURRENT)->sadb_lifetime_bytes, 100);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
	/* The node's own printers: the same seconds as dates (EPOCH_S is 2023-11-14 22:13:20 UTC). */
	text = capture(st, x, 0);
	assert_has(text, "\tcreated: Nov 14 22:13:25 2023\tcurrent: Nov 14 22:14:25 2023\n"
			 "\tdiff: 60(s)");
	assert_has(text, "\tlast: Nov 14 22:14:25 2023\t");
	free(text);
	text = capture(st, pol, 1);
	assert_has(text, "\tcreated: Nov 14 22:13:25 2023  lastused: Nov 14 22:14:25 2023\n");
	free(text);
	text = capture(st, x, 2);
	assert_has(text, "\t  add 2023-11-14 22:13:25 use 2023-11-14 22:14:25\n");
	free(text);
	text = capture(st, pol, 3);
	assert_has(text, "\t  add 2023-11-14 22:13:25 use 2023-11-14 22:14:25\n");
	free(text);
	assert_non_null(xfrm_state_get(st, &b6, 0x4002, IPPROTO_ESP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_get_delete_by_id),
		PAIR_TEST(test_esn_effective_window),
		PAIR_TEST(test_larval_lifetimes),
		PAIR_TEST(test_wall_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
