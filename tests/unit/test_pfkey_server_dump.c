/*
 * PF_KEY DUMP and X_SPDDUMP (src/pfkey/pfkey_server_dump.c), pulled with
 * pfkey_sock_dump_more as a node does while its client drains:
 * nothing is sent before the first pull; the sequence numbers count down
 * to 0 on the last entry; keys come with DUMP, to the sender only; an
 * empty dump is ENOENT, a second one while the first runs EBUSY; a dump
 * of 10,000 SAs (and one of 10,000 policies) pulled in small batches
 * while SAs/policies are added and deleted between pulls returns every
 * entry that existed throughout exactly once, never one twice, and the
 * ones added meanwhile at the end; closing a socket mid-dump releases
 * what the walk held.
 */
#include "pfkey_harness.h"

#define PAIR_TEST(fn) cmocka_unit_test_setup_teardown(fn, lab_pair_setup, lab_pair_teardown)

#define BIG 10000u

/* An SA with no algorithms (XFRM_SA_F_NOCRYPTO) A6 -> B6 with @spi: cheap in bulk. */
static void bulk_sa(struct stack *st, uint8_t proto, uint32_t spi)
{
	struct xfrm_sa_cfg c = { .id = { .spi = spi, .proto = proto }, .family = AF_INET6,
				 .mode = XFRM_MODE_TRANSPORT, .flags = XFRM_SA_F_NOCRYPTO };

	c.id.daddr = lab_addr(B6, NULL);
	c.saddr = lab_addr(A6, NULL);
	assert_int_equal(xfrm_state_add(st, &c, NULL), 0);
}

static int dump_req(struct psock *p, uint8_t type, uint8_t satype)
{
	struct pfkey_buf b;

	build_base(&b, type, satype, 31);
	return ps_input(p, &b);
}

/* Pulls the running dump of @p to its end in batches of @batch. */
static void pull_all(struct psock *p, unsigned batch)
{
	while (pfkey_sock_dumping(p->s))
		assert_true(pfkey_sock_dump_more(p->s, batch) > 0);
}

/* Nothing before the first pull; seq 2, 1, 0; keys; the sender only. */
static void test_dump_countdown(void **state)
{
	struct lab_pair *t = *state;
	struct psock p, o;

	ps_open(&p, SA(t));
	ps_open(&o, SA(t));
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, A6, B6, 0x101, LAB_CBC_SHA256);
	lab_sa(SA(t), IPPROTO_AH, XFRM_MODE_TRANSPORT, A6, B6, 0x102, LAB_CBC_SHA256);
	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, B6, A6, 0x103, LAB_GCM);
	ps_clear(&p);
	ps_clear(&o);
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_UNSPEC), 0);
	assert_int_equal(p.n, 0);
	assert_true(pfkey_sock_dumping(p.s));
	assert_int_equal(pfkey_sock_dump_more(p.s, 2), 2);
	assert_int_equal(pfkey_sock_dump_more(p.s, 2), 1);
	assert_false(pfkey_sock_dumping(p.s));
	assert_int_equal(pfkey_sock_dump_more(p.s, 2), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(o.n, 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ps_hdr(&p, i)->sadb_msg_type, SADB_DUMP);
		assert_int_equal(ps_hdr(&p, i)->sadb_msg_seq, 2 - i);
		assert_int_equal(ps_hdr(&p, i)->sadb_msg_pid, 4242);
		assert_int_equal(ps_spi(&p, i), 0x101 + i);   /* creation order */
	}
	assert_int_equal(ps_hdr(&p, 1)->sadb_msg_satype, SADB_SATYPE_AH);
	assert_int_equal(ps_with_keys(&p), 3);
	/* By type: the two ESP SAs. */
	ps_clear(&p);
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_ESP), 0);
	pull_all(&p, 10);
	assert_int_equal(p.n, 2);
	assert_int_equal(ps_spi(&p, 0), 0x101);
	assert_int_equal(ps_spi(&p, 1), 0x103);
	assert_int_equal(ps_hdr(&p, 0)->sadb_msg_seq, 1);
	assert_int_equal(ps_hdr(&p, 1)->sadb_msg_seq, 0);
	assert_int_equal(STAT_GET(SA(t), pfkey_dump_msgs), 5);
	assert_int_equal(p.bad + o.bad, 0);
	ps_close(&p);
	ps_close(&o);
}

/* Empty: ENOENT at once; a second dump while one runs: EBUSY. */
static void test_dump_empty_busy(void **state)
{
	struct lab_pair *t = *state;
	struct psock p;

	ps_open(&p, SA(t));
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_UNSPEC), -ENOENT);
	assert_int_equal(ps_last(&p)->sadb_msg_errno, ENOENT);
	assert_int_equal(dump_req(&p, SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC), -ENOENT);
	assert_false(pfkey_sock_dumping(p.s));
	lab_sa(SA(t), IPPROTO_AH, XFRM_MODE_TRANSPORT, A6, B6, 0x102, LAB_GCM);
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_ESP), -ENOENT);
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_AH), 0);
	ps_clear(&p);
	assert_int_equal(dump_req(&p, SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC), -EBUSY);
	assert_int_equal(ps_last(&p)->sadb_msg_errno, EBUSY);
	pull_all(&p, 1);
	assert_int_equal(p.n, 2);
	assert_int_equal(ps_last(&p)->sadb_msg_seq, 0);
	assert_int_equal(STAT_GET(SA(t), pfkey_dump_busy), 1);
	ps_close(&p);
}

/* A closed socket's dump lets go of the SA its walk held. */
static void test_dump_close_midway(void **state)
{
	struct lab_pair *t = *state;
	struct in6_addr b6 = lab_addr(B6, NULL);
	struct psock p;

	for (uint32_t i = 0; i < 10; i++)
		bulk_sa(SA(t), IPPROTO_ESP, 0x1000 + i);
	ps_open(&p, SA(t));
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_UNSPEC), 0);
	assert_int_equal(pfkey_sock_dump_more(p.s, 3), 3);
	ps_close(&p);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(xfrm_state_get(SA(t), &b6, 0x1000 + i, IPPROTO_ESP)->refcnt, 1);
}

/* Tiny deterministic generator for the churn. */
static uint32_t next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* The SPIs seen in the DUMP messages on @p (the churn's broadcasts are there too), each counted. */
static void count_spis(const struct psock *p, uint8_t *seen, uint32_t base, uint32_t n)
{
	unsigned dumped = 0, zero_at = 0, zeros = 0;

	for (unsigned i = 0; i < p->n; i++) {
		uint32_t spi;

		if (ps_hdr(p, i)->sadb_msg_type != SADB_DUMP)
			continue;
		spi = ps_spi(p, i);
		assert_true(spi >= base && spi < base + n);
		assert_true(seen[spi - base] < 255);
		seen[spi - base]++;
		dumped++;
		if (ps_hdr(p, i)->sadb_msg_seq == 0) {
			zeros++;
			zero_at = dumped;
		}
	}
	/* RFC 2367 3.1.10: only the last carries seq 0. */
	assert_int_equal(zeros, 1);
	assert_int_equal(zero_at, dumped);
}

/*
 * 10,000 SAs dumped 97 at a time; between pulls 3 of the original SAs and
 * 1 of the added ones are deleted and 2 new ones added.
 */
static void test_dump_10k_churn(void **state)
{
	struct lab_pair *t = *state;
	struct in6_addr b6 = lab_addr(B6, NULL);
	const uint32_t base = 0x10000, total = 2 * BIG;
	uint8_t *deleted = calloc(total, 1), *seen = calloc(total, 1), *exists = calloc(total, 1);
	uint32_t added = BIG;
	uint64_t rs = 1;
	unsigned pulls = 0;
	struct psock p;

	assert_non_null(deleted);
	assert_non_null(seen);
	assert_non_null(exists);
	for (uint32_t i = 0; i < BIG; i++) {
		bulk_sa(SA(t), IPPROTO_ESP, base + i);
		exists[i] = 1;
	}
	ps_open(&p, SA(t));
	assert_int_equal(dump_req(&p, SADB_DUMP, SADB_SATYPE_ESP), 0);
	while (pfkey_sock_dumping(p.s)) {
		assert_true(pfkey_sock_dump_more(p.s, 97) > 0);
		pulls++;
		if (!pfkey_sock_dumping(p.s))
			break;                  /* what changes after the end is not the dump's */
		for (int k = 0; k < 4 && added < total; k++) {
			uint32_t i = k < 3 ? next_rand(&rs) % BIG : BIG + next_rand(&rs) % (added - BIG + 1);

			if (i < added && exists[i]) {
				assert_int_equal(xfrm_state_delete_id(SA(t), &b6, base + i, IPPROTO_ESP), 0);
				exists[i] = 0;
				deleted[i] = 1;
			}
		}
		for (int k = 0; k < 2 && added < total; k++) {
			bulk_sa(SA(t), IPPROTO_ESP, base + added);
			exists[added++] = 1;
		}
	}
	count_spis(&p, seen, base, total);
	for (uint32_t i = 0; i < added; i++) {
		if (deleted[i])
			assert_true(seen[i] <= 1);
		else
			assert_int_equal(seen[i], 1);   /* existed throughout, or added and kept */
	}
	assert_true(pulls > BIG / 97);
	assert_true(added > BIG + 100);
	assert_int_equal(p.bad, 0);
	ps_close(&p);
	free(deleted);
	free(seen);
	free(exists);
}

/* A policy OUT A6 -> B6 UDP to port @port (every port its own selector). */
static uint32_t bulk_policy(struct stack *st, uint16_t port)
{
	struct xfrm_policy req = { .sel = lab_sel(A6, 128, B6, 128, IPPROTO_UDP), .dir = XFRM_DIR_OUT,
				   .action = XFRM_ACT_ALLOW, .priority = port };
	struct xfrm_policy *out;

	req.sel.dport = port;
	assert_int_equal(xfrm_policy_add(st, &req, 0, &out), 0);
	return out->index;
}

static uint32_t ps_policy_port(const struct psock *p, unsigned i)
{
	struct pfkey_addr d;
	struct pfkey_msg m;

	ps_parse(p, i, &m);
	assert_int_equal(pfkey_get_address(&m, SADB_EXT_ADDRESS_DST, &d), 0);
	return d.port;
}

/* X_SPDDUMP of 10,000 policies under the same churn, keyed by destination port. */
static void test_spddump_10k_churn(void **state)
{
	struct lab_pair *t = *state;
	const uint32_t total = 2 * BIG;
	uint32_t *index = calloc(total + 1, sizeof(*index));
	uint8_t *deleted = calloc(total + 1, 1), *seen = calloc(total + 1, 1);
	uint32_t added = BIG;
	uint64_t rs = 7;
	struct psock p;

	assert_non_null(index);
	assert_non_null(deleted);
	assert_non_null(seen);
	for (uint32_t port = 1; port <= BIG; port++)
		index[port] = bulk_policy(SA(t), (uint16_t)port);
	ps_open(&p, SA(t));
	assert_int_equal(dump_req(&p, SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC), 0);
	assert_int_equal(p.n, 0);
	while (pfkey_sock_dumping(p.s)) {
		assert_true(pfkey_sock_dump_more(p.s, 89) > 0);
		if (!pfkey_sock_dumping(p.s))
			break;
		for (int k = 0; k < 4; k++) {
			uint32_t port = 1 + next_rand(&rs) % added;

			if (index[port]) {
				assert_int_equal(xfrm_policy_delete_index(SA(t), index[port]), 0);
				index[port] = 0;
				deleted[port] = 1;
			}
		}
		for (int k = 0; k < 2 && added < total; k++) {
			added++;
			index[added] = bulk_policy(SA(t), (uint16_t)added);
		}
	}
	for (unsigned i = 0, left = ps_count(&p, SADB_X_SPDDUMP); i < p.n; i++) {
		uint32_t port = ps_policy_port(&p, i);

		/* The churn made outside PF_KEY is broadcast too (seq 0), between the entries. */
		if (ps_hdr(&p, i)->sadb_msg_type != SADB_X_SPDDUMP) {
			assert_true(ps_hdr(&p, i)->sadb_msg_type == SADB_X_SPDADD ||
				    ps_hdr(&p, i)->sadb_msg_type == SADB_X_SPDDELETE);
			assert_int_equal(ps_hdr(&p, i)->sadb_msg_seq, 0);
			continue;
		}
		assert_true(port >= 1 && port <= added);
		assert_true(seen[port] < 255);
		seen[port]++;
		assert_true((ps_hdr(&p, i)->sadb_msg_seq == 0) == (--left == 0));
	}
	for (uint32_t port = 1; port <= added; port++) {
		if (deleted[port])
			assert_true(seen[port] <= 1);
		else
			assert_int_equal(seen[port], 1);
	}
	assert_int_equal(p.bad, 0);
	ps_close(&p);
	free(index);
	free(deleted);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_dump_countdown),
		PAIR_TEST(test_dump_empty_busy),
		PAIR_TEST(test_dump_close_midway),
		PAIR_TEST(test_dump_10k_churn),
		PAIR_TEST(test_spddump_10k_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
