/*
 * src/xfrm/esp.c: RFC 3602 section 5 ESP packets (cases 5-8, AES-CBC),
 * draft-mcgrew-gcm-test ESP packets (AES-GCM, with and without ESN), round
 * trips for every algorithm pair with and without ESN, padding checks,
 * tampering, truncation and dummy packets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/stack.h"
#include "xfrm/esp.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		if (*s == ' ') {
			s++;
			continue;
		}
		sscanf(s, "%2hhx", &out[n++]);
		s += 2;
	}
	return n;
}

static struct pkt *pkt_hex(const char *hex)
{
	uint8_t buf[1024];
	size_t n = unhex(hex, buf, sizeof(buf));
	struct pkt *p = pkt_alloc(NULL, 64, n + 64);

	memcpy(pkt_put(p, n), buf, n);
	return p;
}

static struct crypto_ctx *ctx(const char *enc, const char *ekey_hex, const char *auth,
			      const char *akey_hex)
{
	uint8_t ek[64], ak[64];
	size_t el = unhex(ekey_hex, ek, sizeof(ek)), al = akey_hex ? unhex(akey_hex, ak, 64) : 0;
	struct crypto_ctx *c;

	assert_int_equal(crypto_ctx_new(&c, crypto_alg_by_name(CRYPTO_ENC, enc), ek, el,
					auth ? crypto_alg_by_name(CRYPTO_AUTH, auth) : NULL,
					ak, al, NULL), 0);
	return c;
}

/* RFC 3602 5, cases 5-8: ESP over IPv4, AES-128-CBC, no authentication. */
static void test_rfc3602(void **state)
{
	static const struct { const char *key, *iv, *payload, *packet; uint32_t spi, seq; int nh; } v[] = {
		{ "90d382b410eeba7ad938c46cec1a82bf", "e96e8c08ab465763fd098d45dd3ff893",
		  "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f3031323334353637",
		  "0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849"
		  "a4870b66cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c"
		  "538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6", 0x4321, 1, 1 },
		{ "90d382b410eeba7ad938c46cec1a82bf", "69d08df7d203329db093fc4924e5bd80",
		  "0800b5e8a80a0500a69c083d0b660e00777777777777777777777777",
		  "000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109"
		  "689bb379d2d750c0d915dca346a89f75", 0x4321, 8, 1 },
		{ "0123456789abcdef0123456789abcdef", "f4e765244f6407adf13dc1380f673f37",
		  "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a2040008090a0b"
		  "0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
		  "34353637",
		  "0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c"
		  "237ca96cf74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94a859352b"
		  "8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d",
		  0x8765, 2, 4 },
		{ "0123456789abcdef0123456789abcdef", "85d47224b5f3dd5d2101d4ea8dffab22",
		  "45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300ffffffff"
		  "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		  "000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048f"
		  "e45318e11f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de"
		  "435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892", 0x8765, 5, 4 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct esp_sa_params sa = { .spi = v[i].spi, .c = ctx("aes-cbc", v[i].key, NULL, NULL) };
		struct pkt *p = pkt_hex(v[i].payload), *want = pkt_hex(v[i].packet);
		struct pkt *in = pkt_hex(v[i].packet);
		uint8_t iv[16];
		uint32_t spi, seq;

		unhex(v[i].iv, iv, 16);
		assert_int_equal(esp_encap_iv(&sa, p, (uint8_t)v[i].nh, v[i].seq, iv), 0);
		assert_int_equal(p->len, want->len);
		assert_memory_equal(p->data, want->data, p->len);
		assert_int_equal(esp_peek(in, &spi, &seq), 0);
		assert_int_equal(spi, v[i].spi);
		assert_int_equal(seq, v[i].seq);
		assert_int_equal(esp_decap(&sa, in, 0), v[i].nh);
		pkt_free(p);
		p = pkt_hex(v[i].payload);
		assert_int_equal(in->len, p->len);
		assert_memory_equal(in->data, p->data, p->len);
		pkt_free(p);
		pkt_free(want);
		pkt_free(in);
		crypto_ctx_free(sa.c);
	}
}

/*
 * draft-mcgrew-gcm-test-01 ESP packets (AES-GCM-16): SPI || seq (and ESN
 * high bits) from the AAD, the IV, ciphertext and tag. esp_decap must
 * verify the tag and find a well-formed trailer.
 */
static void test_gcm_draft(void **state)
{
	static const struct { const char *key, *iv, *aad, *ct, *tag; } v[] = {
		{ "4c80cdefbb5d10da906ac73c3613a6342e443b68", "4956ed7e3b244cfe",
		  "000043218765432100000000",
		  "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf"
		  "65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732",
		  "459018148f6cbe722fd04796562dfdb4" },
		{ "feffe9928665731c6d6a8f9467308308cafebabe", "facedbaddecaf888", "0000a5f80000000a",
		  "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f"
		  "51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1",
		  "83b70d3aa8bc6ee4c309e9d85a41ad4a" },
		{ "abbccddef00112233445566778899aababbccddef00112233445566778899aab11223344",
		  "0102030405060708", "4a2cbfe300000002",
		  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d34"
		  "7f0545659f14e99def842d8e", "b335f4eecfdbf831824b4c4915956c96" },
		{ "0000000000000000000000000000000000000000", "0000000000000000", "0000000000000001",
		  "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284456476492719ffb6"
		  "4de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3",
		  "f821d496eeb096e98ad2b69e4799c71d" },
		{ "3de09874b388e6491988d0c3607eae1f57690e43", "4e280000a2fca1a3",
		  "42f67e3f1010101010101010",
		  "fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c35791765acbd8701ad7984"
		  "5bf9fe3fba487bc91755e6662b4c8d0d1f5e2273953032 0a", "e0d731cc978ecafaeae88f00e80d6e48" },
		{ "abbccddef00112233445566778899aabdecaf888", "cafedebaceface74",
		  "000001000000000000000001",
		  "18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f9190feebaf2cb019"
		  "84e65863965d7472b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68",
		  "651f57e65f354f75ff17015769623436" },
		{ "7d773d00c144c525ac619d18c84a3f47d9664267", "43457e9182443bc6", "335467aeffffffff",
		  "437f866b", "cb3f699fe9b0822bac961c4504bef270" },
	};
	int checked = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t buf[256], aad[12];
		size_t al = unhex(v[i].aad, aad, 12), n = 0;
		struct esp_sa_params sa = { .esn = al == 12, .c = ctx("aes-gcm-16", v[i].key, NULL, NULL) };
		struct pkt *p;
		int rc;

		memcpy(buf, aad, 4);                    /* SPI */
		memcpy(buf + 4, aad + al - 4, 4);       /* low 32 bits of seq */
		n = 8 + unhex(v[i].iv, buf + 8, 8);
		n += unhex(v[i].ct, buf + n, sizeof(buf) - n - 16);
		n += unhex(v[i].tag, buf + n, 16);
		p = pkt_from_bytes(NULL, buf, n);
		sa.spi = get_be32(aad);
		rc = esp_decap(&sa, p, al == 12 ? get_be32(aad + 4) : 0);
		/* the draft's packets carry next header 1 (see its GMAC case: ... 01 02 02 01) */
		assert_int_equal(rc, 1);
		checked++;
		pkt_free(p);
		crypto_ctx_free(sa.c);
	}
	assert_true(checked >= 5);
}

struct combo { const char *enc; size_t eklen; const char *auth; size_t aklen; };

static const struct combo combos[] = {
	{ "des-cbc", 8, "hmac-md5", 16 }, { "3des-cbc", 24, "hmac-sha1", 20 },
	{ "cast128-cbc", 16, "hmac-sha256", 32 }, { "blowfish-cbc", 20, "hmac-sha384", 48 },
	{ "aes-cbc", 16, "hmac-sha1", 20 }, { "aes-cbc", 32, "hmac-sha512", 64 },
	{ "serpent-cbc", 32, "hmac-ripemd160", 20 }, { "twofish-cbc", 16, "aes-xcbc-mac", 16 },
	{ "null", 0, "hmac-sha256", 32 }, { "aes-ctr", 20, "hmac-sha256", 32 },
	{ "aes-ctr", 36, "aes-xcbc-mac", 16 }, { "aes-cbc", 24, NULL, 0 },
	{ "aes-gcm-16", 20, NULL, 0 }, { "aes-gcm-12", 28, NULL, 0 },
	{ "aes-gcm-8", 36, NULL, 0 }, { "chacha20-poly1305", 36, NULL, 0 },
};

static struct esp_sa_params combo_sa(const struct combo *cb, bool esn)
{
	uint8_t k[64];
	struct esp_sa_params sa = { .spi = 0x1000, .esn = esn };

	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(i * 29 + 1);
	assert_int_equal(crypto_ctx_new(&sa.c, crypto_alg_by_name(CRYPTO_ENC, cb->enc), k, cb->eklen,
					cb->auth ? crypto_alg_by_name(CRYPTO_AUTH, cb->auth) : NULL,
					k + 1, cb->aklen, NULL), 0);
	return sa;
}

static struct pkt *payload(size_t len)
{
	struct pkt *p = pkt_alloc(NULL, 64, len + 64);
	uint8_t *d = pkt_put(p, len);

	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i ^ 0x5a);
	return p;
}

static void test_roundtrips(void **state)
{
	static const size_t lens[] = { 0, 1, 13, 14, 15, 16, 17, 64, 511, 1420 };

	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		for (int esn = 0; esn < 2; esn++) {
			struct esp_sa_params sa = combo_sa(&combos[i], esn);

			for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
				uint64_t seq = esn ? 0x0000000700000000ULL + j + 1 : j + 1;
				struct pkt *p = payload(lens[j]), *orig = payload(lens[j]);
				uint32_t spi, lo;

				assert_int_equal(esp_encap(&sa, p, 41, seq), 0);
				assert_int_equal((p->len - 8) % 4, 0);
				assert_int_equal(esp_peek(p, &spi, &lo), 0);
				assert_int_equal(spi, 0x1000);
				assert_int_equal(lo, (uint32_t)seq);
				if (esn && crypto_ctx_icv_len(sa.c)) {
					struct pkt *q = pkt_copy(NULL, p);

					/* wrong high bits: the ICV/AAD must not match */
					assert_int_equal(esp_decap(&sa, q, 6), -EBADMSG);
					pkt_free(q);
				}
				assert_int_equal(esp_decap(&sa, p, (uint32_t)(seq >> 32)), 41);
				assert_int_equal(p->len, orig->len);
				assert_memory_equal(p->data, orig->data, p->len);
				pkt_free(p);
				pkt_free(orig);
			}
			crypto_ctx_free(sa.c);
		}
	}
}

/* Every single-bit flip anywhere in the packet is caught by the ICV. */
static void test_tamper(void **state)
{
	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		struct esp_sa_params sa = combo_sa(&combos[i], false);
		struct pkt *p = payload(40);

		if (!crypto_ctx_icv_len(sa.c)) {
			pkt_free(p);
			crypto_ctx_free(sa.c);
			continue;
		}
		assert_int_equal(esp_encap(&sa, p, 6, 99), 0);
		for (size_t off = 0; off < p->len; off += 3) {
			struct pkt *q = pkt_copy(NULL, p);

			q->data[off] ^= 0x10;
			assert_int_equal(esp_decap(&sa, q, 0), -EBADMSG);
			pkt_free(q);
		}
		pkt_free(p);
		crypto_ctx_free(sa.c);
	}
}

static void test_truncated(void **state)
{
	struct esp_sa_params sa = combo_sa(&combos[4], false);   /* aes-cbc + hmac-sha1 */
	struct pkt *p = payload(30);
	uint32_t spi, seq;

	assert_int_equal(esp_encap(&sa, p, 6, 1), 0);
	for (size_t len = 0; len < p->len; len++) {
		struct pkt *q = pkt_copy(NULL, p);

		pkt_trim(q, len);
		if (len < 8)
			assert_int_equal(esp_peek(q, &spi, &seq), -EMSGSIZE);
		assert_true(esp_decap(&sa, q, 0) < 0);
		pkt_free(q);
	}
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

/* Bad padding under a valid ICV (a sender that pads wrongly) -> -EINVAL. */
static void test_bad_padding(void **state)
{
	struct crypto_ctx *c = ctx("null", "", "hmac-sha1", "0102030405060708090a0b0c0d0e0f1011121314");
	struct esp_sa_params sa = { .spi = 7, .c = c };
	uint8_t icv[12];
	struct pkt *p;

	/* 8 bytes: payload "ab", padding 1 2 3 9 (wrong), pad length 4, next header 17 */
	p = pkt_hex("0000000700000001 ab01 01020309 0411");
	assert_non_null(pkt_put(p, 12));
	assert_int_equal(crypto_auth(c, p->data, p->len - 12, icv), 0);
	memcpy(p->data + p->len - 12, icv, 12);
	assert_int_equal(esp_decap(&sa, p, 0), -EINVAL);
	pkt_free(p);
	/* pad length beyond the payload */
	p = pkt_hex("0000000700000001 ab01 0102 0304 0911");
	assert_non_null(pkt_put(p, 12));
	assert_int_equal(crypto_auth(c, p->data, p->len - 12, icv), 0);
	memcpy(p->data + p->len - 12, icv, 12);
	assert_int_equal(esp_decap(&sa, p, 0), -EINVAL);
	pkt_free(p);
	crypto_ctx_free(c);
}

static void test_dummy_and_nobufs(void **state)
{
	struct esp_sa_params sa = combo_sa(&combos[12], true);   /* aes-gcm-16, ESN */
	struct stack st;
	struct pkt *p = payload(20);

	memset(&st, 0, sizeof(st));
	assert_int_equal(esp_encap(&sa, p, ESP_NH_DUMMY, 5), 0);
	assert_int_equal(esp_decap(&sa, p, 0), ESP_NH_DUMMY);
	esp_count_input(&st, ESP_NH_DUMMY);
	assert_int_equal(STAT_GET(&st, esp_in_dummy), 1);
	esp_count_input(&st, -EBADMSG);
	assert_int_equal(STAT_GET(&st, esp_in_icv_fail), 1);
	pkt_free(p);
	/* no headroom: refused, packet untouched */
	p = pkt_alloc(NULL, 4, 100);
	pkt_put(p, 20);
	assert_int_equal(esp_encap(&sa, p, 4, 1), -ENOBUFS);
	assert_int_equal(p->len, 20);
	pkt_free(p);
	/* no tailroom */
	p = pkt_alloc(NULL, 64, 20);
	pkt_put(p, (size_t)pkt_tailroom(p));
	assert_int_equal(esp_encap(&sa, p, 4, 1), -ENOBUFS);
	esp_count_output(&st, -ENOBUFS);
	assert_int_equal(STAT_GET(&st, esp_out_nobufs), 1);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3602),
		cmocka_unit_test(test_gcm_draft),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_dummy_and_nobufs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
