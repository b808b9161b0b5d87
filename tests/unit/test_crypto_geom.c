/*
 * What the per-packet fast paths of src/crypto rely on: the geometry a
 * context carries at its start (crypto_ctx_geom, read inline by ESP) says
 * what the accessor calls say, for every ENC/AEAD algorithm of the table
 * with and without an integrity algorithm; and CBC IVs, made in batches
 * of CRYPTO_IV_BATCH by one libgcrypt call, stay all different across
 * several batches and between two SAs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "crypto/crypto.h"

static const uint8_t key[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
				  19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
				  35, 36, 37, 38, 39, 40 };

static void check_geom(const struct crypto_ctx *c)
{
	const struct crypto_geom *g = crypto_ctx_geom(c);

	assert_int_equal(g->iv_len, crypto_ctx_iv_len(c));
	assert_int_equal(g->icv_len, crypto_ctx_icv_len(c));
	assert_int_equal(g->block, crypto_ctx_block(c));
	assert_int_equal(g->aead, crypto_ctx_is_aead(c));
	assert_int_equal(g->aead, crypto_ctx_enc(c)->kind == CRYPTO_AEAD);
}

static void test_geom(void **state)
{
	const struct crypto_alg *sha1 = crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha1");
	const struct crypto_alg *a;
	unsigned n = 0;

	assert_non_null(sha1);
	for (unsigned i = 0; (a = crypto_alg_at(i)); i++) {
		struct crypto_ctx *c;

		if (a->kind != CRYPTO_ENC && a->kind != CRYPTO_AEAD)
			continue;
		if (a->kind == CRYPTO_ENC &&
		    crypto_ctx_new(&c, a, key, a->key_min_bits / 8, sha1, key, 20, NULL) == 0) {
			check_geom(c);
			assert_int_equal(crypto_ctx_geom(c)->icv_len, 12);
			crypto_ctx_free(c);
			n++;
		}
		if (crypto_ctx_new(&c, a, key, a->key_min_bits / 8, NULL, NULL, 0, NULL) == 0) {
			check_geom(c);
			crypto_ctx_free(c);
			n++;
		}
	}
	assert_true(n >= 4);
}

#define NIV 40     /* more than two batches */

static void cbc_ivs(uint8_t out[NIV][16])
{
	struct crypto_ctx *c;

	assert_int_equal(crypto_ctx_new(&c, crypto_alg_by_name(CRYPTO_ENC, "aes-cbc"), key, 16,
					crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha1"), key, 20, NULL), 0);
	for (unsigned i = 0; i < NIV; i++)
		crypto_next_iv(c, i + 1, out[i]);
	crypto_ctx_free(c);
}

static void test_cbc_ivs(void **state)
{
	static uint8_t a[NIV][16], b[NIV][16];

	cbc_ivs(a);
	cbc_ivs(b);
	for (unsigned i = 0; i < NIV; i++) {
		for (unsigned j = 0; j < NIV; j++) {
			if (i != j)
				assert_memory_not_equal(a[i], a[j], 16);
			/* Each SA's generator has its own random key. */
			assert_memory_not_equal(a[i], b[j], 16);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geom),
		cmocka_unit_test(test_cbc_ivs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
