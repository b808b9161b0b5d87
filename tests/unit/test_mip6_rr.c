/*
 * src/mip6/mip6_rr.c against values computed independently from the RFC
 * 6275 formulas by tests/unit/mip6_rr_vectors.py (Python hmac/hashlib):
 * home and care-of keygen tokens (5.2.5), Kbm in both forms, and whole
 * Binding Updates with Binding Authorization Data (6.2.7) made by mh_build,
 * signed by mip6_bu_auth and checksummed by mh_csum_set, byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "core/stack.h"
#include "mip6/mh.h"
#include "mip6/mip6_rr.h"
#include "mip6_rr_vectors.h"

static struct in6_addr a6(const uint8_t b[16])
{
	struct in6_addr a;

	memcpy(&a, b, 16);
	return a;
}

static void test_keygen_tokens(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(mip6_rr_vecs); i++) {
		const struct mip6_rr_vec *v = &mip6_rr_vecs[i];
		struct in6_addr home = a6(v->home), coa = a6(v->coa);
		uint8_t tok[MIP6_TOKEN_LEN];

		assert_int_equal(mip6_keygen_token(v->kcn, &home, v->home_nonce,
						   MIP6_TOKEN_HOME, tok), 0);
		assert_memory_equal(tok, v->home_tok, MIP6_TOKEN_LEN);
		assert_int_equal(mip6_keygen_token(v->kcn, &coa, v->coa_nonce,
						   MIP6_TOKEN_COA, tok), 0);
		assert_memory_equal(tok, v->coa_tok, MIP6_TOKEN_LEN);
		/* The final octet (0 home, 1 care-of) separates the two kinds. */
		assert_int_equal(mip6_keygen_token(v->kcn, &home, v->home_nonce,
						   MIP6_TOKEN_COA, tok), 0);
		assert_memory_not_equal(tok, v->home_tok, MIP6_TOKEN_LEN);
	}
}

static void test_kbm(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(mip6_rr_vecs); i++) {
		const struct mip6_rr_vec *v = &mip6_rr_vecs[i];
		uint8_t kbm[MIP6_KBM_LEN];

		mip6_kbm(v->home_tok, v->coa_tok, kbm);
		assert_memory_equal(kbm, v->kbm, MIP6_KBM_LEN);
		mip6_kbm(v->home_tok, NULL, kbm);
		assert_memory_equal(kbm, v->kbm_dereg, MIP6_KBM_LEN);
	}
}

/* The vector's BU as a struct, the authenticator left zero. */
static struct mh_msg vec_bu(const struct mip6_rr_vec *v)
{
	struct mh_msg m = { .type = MH_BU };

	m.bu.seq = v->seq;
	m.bu.flags = v->flags;
	m.bu.lifetime = v->lifetime;
	m.opt.has_nonce = true;
	m.opt.home_nonce_idx = v->home_nonce_idx;
	m.opt.coa_nonce_idx = v->coa_nonce_idx;
	m.opt.has_altcoa = v->has_altcoa;
	memcpy(&m.opt.altcoa, v->altcoa, 16);
	m.opt.has_auth = true;
	return m;
}

/* mh_build, then the authenticator over buf[0..auth_off), then the checksum: Python's bytes. */
static void test_bu_auth_whole_message(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(mip6_rr_vecs); i++) {
		const struct mip6_rr_vec *v = &mip6_rr_vecs[i];
		struct in6_addr home = a6(v->home), coa = a6(v->coa), cn = a6(v->cn);
		struct mh_msg m = vec_bu(v);
		uint8_t buf[128], kbm[MIP6_KBM_LEN];
		size_t auth_off = 0;
		int n;

		n = mh_build(&m, buf, sizeof(buf), &auth_off);
		assert_int_equal(n, (int)v->bu_len);
		assert_int_equal(auth_off, v->auth_off);
		assert_int_equal(auth_off + MIP6_AUTH_LEN, (size_t)n);
		mip6_kbm(v->home_tok, v->dereg ? NULL : v->coa_tok, kbm);
		assert_int_equal(mip6_bu_auth(kbm, &coa, &cn, buf, auth_off, buf + auth_off), 0);
		assert_memory_equal(buf + auth_off, v->auth, MIP6_AUTH_LEN);
		mh_csum_set(buf, (size_t)n, &home, &cn);
		assert_memory_equal(buf, v->bu, v->bu_len);
	}
}

/* 6.2.7: the checksum field counts as zero, whatever it holds. */
static void test_bu_auth_ignores_checksum(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(mip6_rr_vecs); i++) {
		const struct mip6_rr_vec *v = &mip6_rr_vecs[i];
		struct in6_addr coa = a6(v->coa), cn = a6(v->cn);
		const uint8_t *kbm = v->dereg ? v->kbm_dereg : v->kbm;
		uint8_t auth[MIP6_AUTH_LEN], copy[64];

		/* v->bu carries a real checksum: the authenticator still matches. */
		assert_int_equal(mip6_bu_auth(kbm, &coa, &cn, v->bu, v->auth_off, auth), 0);
		assert_memory_equal(auth, v->auth, MIP6_AUTH_LEN);
		memcpy(copy, v->bu, v->bu_len);
		copy[MH_CSUM_OFF] = 0;
		copy[MH_CSUM_OFF + 1] = 0;
		assert_int_equal(mip6_bu_auth(kbm, &coa, &cn, copy, v->auth_off, auth), 0);
		assert_memory_equal(auth, v->auth, MIP6_AUTH_LEN);
		/* Any other octet, an address or the key changes it. */
		copy[7] ^= 1;
		assert_int_equal(mip6_bu_auth(kbm, &coa, &cn, copy, v->auth_off, auth), 0);
		assert_memory_not_equal(auth, v->auth, MIP6_AUTH_LEN);
		copy[7] ^= 1;
		assert_int_equal(mip6_bu_auth(kbm, &cn, &coa, copy, v->auth_off, auth), 0);
		assert_memory_not_equal(auth, v->auth, MIP6_AUTH_LEN);
		assert_int_equal(mip6_bu_auth(v->kbm_dereg == kbm ? v->kbm : v->kbm_dereg,
					      &coa, &cn, copy, v->auth_off, auth), 0);
		assert_memory_not_equal(auth, v->auth, MIP6_AUTH_LEN);
	}
}

/* Python's message parses: the struct matches the vector's fields. */
static void test_vectors_parse(void **state)
{
	struct usagi_stack_config cfg = { .name = "rr", .seed = 1 };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	for (size_t i = 0; i < ARRAY_SIZE(mip6_rr_vecs); i++) {
		const struct mip6_rr_vec *v = &mip6_rr_vecs[i];
		struct in6_addr home = a6(v->home), cn = a6(v->cn);
		struct mh_msg want = vec_bu(v), got;
		uint32_t ptr = 99;

		memcpy(want.opt.auth, v->auth, MIP6_AUTH_LEN);
		want.opt.auth_off = (uint16_t)v->auth_off;
		assert_int_equal(mh_parse(st, v->bu, v->bu_len, &home, &cn, &got, &ptr), MH_OK);
		assert_int_equal(got.bu.seq, want.bu.seq);
		assert_int_equal(got.bu.flags, want.bu.flags);
		assert_int_equal(got.bu.lifetime, want.bu.lifetime);
		assert_memory_equal(&got.opt, &want.opt, sizeof(got.opt));
	}
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_tokens),
		cmocka_unit_test(test_kbm),
		cmocka_unit_test(test_bu_auth_whole_message),
		cmocka_unit_test(test_bu_auth_ignores_checksum),
		cmocka_unit_test(test_vectors_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
