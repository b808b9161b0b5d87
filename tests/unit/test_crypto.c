/*
 * src/crypto: the algorithm table, key checks, and known answers from the
 * packaged vector files (python3-cryptography-vectors: RFC 2202/2286/4231
 * HMACs, RFC 3686 AES-CTR, NIST GCM, OpenSSL's RFC 7539 set, 3DES, Blowfish,
 * CAST5, AES-CBC) read at run time, plus RFC 3566 XCBC and RFC 8439 2.8.2.
 * A missing file skips its test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <cmocka.h>

#include "crypto/crypto.h"

#define VEC_DIR "/usr/lib/python3/dist-packages/cryptography_vectors/"
#define MAXF 12
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t get_be32_t(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* One record of a vector file: "Name = value" lines up to a blank line. */
struct rec {
	char name[MAXF][24];
	char *val[MAXF];
	int n;
};

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s && *s && n < max) {
		if (isspace((unsigned char)*s) || *s == ':') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			break;
		sscanf(s, "%2hhx", &out[n++]);
		s += 2;
	}
	return n;
}

static const char *field(const struct rec *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcasecmp(r->name[i], name))
			return r->val[i];
	return NULL;
}

static void rec_clear(struct rec *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->val[i]);
	r->n = 0;
}

/* Reads the next record; false at end of file. Comment and [section] lines are skipped. */
static bool rec_next(FILE *f, struct rec *r)
{
	static const size_t cap = 1 << 16;
	char *line = malloc(cap), *eq;

	rec_clear(r);
	while (fgets(line, (int)cap, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0]) {
			if (r->n)
				break;
			continue;
		}
		if (line[0] == '#' || line[0] == '[' || !(eq = strchr(line, '=')) || r->n == MAXF)
			continue;
		*eq = 0;
		sscanf(line, "%23s", r->name[r->n]);
		r->val[r->n++] = strdup(eq[1] == ' ' ? eq + 2 : eq + 1);
	}
	free(line);
	return r->n > 0;
}

static FILE *open_vec(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), VEC_DIR "%s", rel);
	return fopen(path, "r");
}

/* ---- HMAC (RFC 2202, 2286 as RFC 2857 uses, 4231) ---- */

static int hmac_file(const char *rel, const char *alg_name)
{
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_AUTH, alg_name);
	static uint8_t key[256], msg[1024], md[64], out[64];
	struct rec r = { 0 };
	FILE *f = open_vec(rel);
	int count = 0;

	if (!f)
		return -1;
	assert_non_null(a);
	while (rec_next(f, &r)) {
		size_t kl, ml, dl, ol;

		if (!field(&r, "Key") || !field(&r, "MD"))
			continue;
		kl = unhex(field(&r, "Key"), key, sizeof(key));
		ml = unhex(field(&r, "Msg"), msg, sizeof(msg));
		dl = unhex(field(&r, "MD"), md, sizeof(md));
		assert_int_equal(crypto_mac_oneshot(a, key, kl, msg, ml, out, &ol), 0);
		assert_true(dl <= ol);
		assert_memory_equal(out, md, dl);
		count++;
	}
	rec_clear(&r);
	fclose(f);
	return count;
}

static void test_hmac_vectors(void **state)
{
	static const struct { const char *file, *alg; int min; } v[] = {
		{ "HMAC/rfc-2202-md5.txt", "hmac-md5", 7 },
		{ "HMAC/rfc-2202-sha1.txt", "hmac-sha1", 7 },
		{ "HMAC/rfc-2286-ripemd160.txt", "hmac-ripemd160", 7 },
		{ "HMAC/rfc-4231-sha256.txt", "hmac-sha256", 6 },
		{ "HMAC/rfc-4231-sha384.txt", "hmac-sha384", 6 },
		{ "HMAC/rfc-4231-sha512.txt", "hmac-sha512", 6 },
	};
	int done = 0;

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		int n = hmac_file(v[i].file, v[i].alg);

		if (n < 0)
			continue;
		assert_true(n >= v[i].min);
		done++;
	}
	if (!done)
		skip();
}

/* ---- Ciphers through a per-SA context ---- */

/* Encrypts @pt with @alg under @key/@iv through crypto_ctx and compares with @ct. */
static void cipher_case(const char *alg_name, const uint8_t *key, size_t kl,
			const uint8_t *iv, const uint8_t *pt, const uint8_t *ct, size_t len)
{
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_ENC, alg_name);
	const struct crypto_alg *auth = crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha1");
	static const uint8_t akey[20];
	struct crypto_ctx *c;
	uint8_t buf[4096];
	const char *why = NULL;

	assert_non_null(a);
	assert_int_equal(crypto_ctx_new(&c, a, key, kl, auth, akey, sizeof(akey), &why), 0);
	memcpy(buf, pt, len);
	assert_int_equal(crypto_encrypt(c, iv, NULL, 0, buf, len, NULL), 0);
	assert_memory_equal(buf, ct, len);
	assert_int_equal(crypto_decrypt(c, iv, NULL, 0, buf, len, NULL), 0);
	assert_memory_equal(buf, pt, len);
	crypto_ctx_free(c);
}

/* Files with KEY (or KEY1..3), IV, PLAINTEXT, CIPHERTEXT records. */
static int cbc_file(const char *rel, const char *alg_name, size_t want_klen)
{
	static uint8_t key[64], iv[16], pt[4096], ct[4096];
	struct rec r = { 0 };
	FILE *f = open_vec(rel);
	int count = 0;

	if (!f)
		return -1;
	while (rec_next(f, &r)) {
		size_t kl = 0, pl, cl;

		if (field(&r, "KEY"))
			kl = unhex(field(&r, "KEY"), key, sizeof(key));
		else if (field(&r, "KEY1")) {
			kl = unhex(field(&r, "KEY1"), key, 8);
			kl += unhex(field(&r, "KEY2"), key + 8, 8);
			kl += unhex(field(&r, "KEY3"), key + 16, 8);
		}
		if (kl != want_klen || !field(&r, "IV") || !field(&r, "PLAINTEXT"))
			continue;
		unhex(field(&r, "IV"), iv, sizeof(iv));
		pl = unhex(field(&r, "PLAINTEXT"), pt, sizeof(pt));
		cl = unhex(field(&r, "CIPHERTEXT"), ct, sizeof(ct));
		if (pl != cl || pl % 8)
			continue;
		cipher_case(alg_name, key, kl, iv, pt, ct, pl);
		count++;
	}
	rec_clear(&r);
	fclose(f);
	return count;
}

static void test_cbc_vectors(void **state)
{
	static const struct { const char *file, *alg; size_t klen; } v[] = {
		{ "ciphers/3DES/CBC/TCBCMMT3.rsp", "3des-cbc", 24 },
		{ "ciphers/Blowfish/bf-cbc.txt", "blowfish-cbc", 16 },
		{ "ciphers/CAST5/cast5-cbc.txt", "cast128-cbc", 16 },
		{ "ciphers/AES/CBC/CBCMMT128.rsp", "aes-cbc", 16 },
		{ "ciphers/AES/CBC/CBCMMT192.rsp", "rijndael-cbc", 24 },
		{ "ciphers/AES/CBC/CBCMMT256.rsp", "cbc(aes)", 32 },
	};
	int done = 0;

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		int n = cbc_file(v[i].file, v[i].alg, v[i].klen);

		if (n < 0)
			continue;
		print_message("%s: %d cases\n", v[i].file, n);
		assert_true(n > 0);
		done++;
	}
	if (!done)
		skip();
}

/* RFC 3686 vectors: IV field = nonce(4) || IV(8) || counter 1; key+nonce is the SA key. */
static void test_ctr_vectors(void **state)
{
	static const char *files[] = { "ciphers/AES/CTR/aes-128-ctr.txt",
		"ciphers/AES/CTR/aes-192-ctr.txt", "ciphers/AES/CTR/aes-256-ctr.txt" };
	static uint8_t key[40], blk[16], pt[256], ct[256];
	struct rec r = { 0 };
	int count = 0;

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		FILE *f = open_vec(files[i]);

		while (f && rec_next(f, &r)) {
			size_t kl = unhex(field(&r, "KEY"), key, 32);
			size_t pl = unhex(field(&r, "PLAINTEXT"), pt, sizeof(pt));

			unhex(field(&r, "IV"), blk, 16);
			unhex(field(&r, "CIPHERTEXT"), ct, sizeof(ct));
			if (get_be32_t(blk + 12) != 1)
				continue;
			memcpy(key + kl, blk, 4);
			cipher_case("aes-ctr", key, kl + 4, blk + 4, pt, ct, pl);
			count++;
		}
		if (f)
			fclose(f);
	}
	rec_clear(&r);
	if (!count)
		skip();
	assert_int_equal(count, 9);
}

/* One AEAD case: salt = nonce[0..4), wire IV = nonce[4..12). */
static void aead_case(const char *alg_name, const uint8_t *key, size_t kl,
		      const uint8_t *nonce, const uint8_t *aad, size_t al,
		      const uint8_t *pt, const uint8_t *ct, size_t len,
		      const uint8_t *tag, bool must_pass)
{
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_ENC, alg_name);
	static uint8_t k[64], buf[8192];
	uint8_t out[16];
	struct crypto_ctx *c;

	memcpy(k, key, kl);
	memcpy(k + kl, nonce, 4);
	assert_int_equal(crypto_ctx_new(&c, a, k, kl + 4, NULL, NULL, 0, NULL), 0);
	memcpy(buf, pt, len);
	assert_int_equal(crypto_encrypt(c, nonce + 4, aad, al, buf, len, out), 0);
	if (must_pass) {
		assert_memory_equal(buf, ct, len);
		assert_memory_equal(out, tag, a->icv_len);
	}
	memcpy(buf, ct, len);
	assert_int_equal(crypto_decrypt(c, nonce + 4, aad, al, buf, len, tag),
			 must_pass ? 0 : -EBADMSG);
	if (must_pass)
		assert_memory_equal(buf, pt, len);
	crypto_ctx_free(c);
}

static void test_gcm_vectors(void **state)
{
	static uint8_t key[32], iv[16], aad[256], pt[256], ct[256], tag[16];
	struct rec r = { 0 };
	FILE *f = open_vec("ciphers/AES/GCM/gcmEncryptExtIV128.rsp");
	int count = 0;

	if (!f)
		skip();
	while (rec_next(f, &r)) {
		const char *alg;
		size_t kl, il, al, pl, tl;

		if (!field(&r, "Key") || !field(&r, "Tag"))
			continue;
		kl = unhex(field(&r, "Key"), key, sizeof(key));
		il = unhex(field(&r, "IV"), iv, sizeof(iv));
		al = unhex(field(&r, "AAD"), aad, sizeof(aad));
		pl = unhex(field(&r, "PT"), pt, sizeof(pt));
		unhex(field(&r, "CT"), ct, sizeof(ct));
		tl = unhex(field(&r, "Tag"), tag, sizeof(tag));
		alg = tl == 16 ? "aes-gcm-16" : tl == 12 ? "aes-gcm-12" : tl == 8 ? "aes-gcm-8" : NULL;
		if (il != 12 || !alg)
			continue;
		aead_case(alg, key, kl, iv, aad, al, pt, ct, pl, tag, true);
		count++;
	}
	rec_clear(&r);
	fclose(f);
	print_message("GCM: %d cases\n", count);
	assert_true(count > 100);
}

static void test_chacha_vectors(void **state)
{
	static uint8_t key[32], iv[12], aad[256], pt[2048], ct[2048], tag[16];
	struct rec r = { 0 };
	FILE *f = open_vec("ciphers/ChaCha20Poly1305/openssl.txt");
	int count = 0;

	if (!f)
		skip();
	while (rec_next(f, &r)) {
		size_t pl;

		if (!field(&r, "Key") || unhex(field(&r, "IV"), iv, sizeof(iv)) != 12 ||
		    unhex(field(&r, "Tag"), tag, sizeof(tag)) != 16)
			continue;
		unhex(field(&r, "Key"), key, sizeof(key));
		pl = unhex(field(&r, "Plaintext"), pt, sizeof(pt));
		unhex(field(&r, "Ciphertext"), ct, sizeof(ct));
		aead_case("chacha20-poly1305", key, 32, iv, aad,
			  unhex(field(&r, "AAD"), aad, sizeof(aad)), pt, ct, pl, tag,
			  field(&r, "Result") == NULL);
		count++;
	}
	rec_clear(&r);
	fclose(f);
	assert_true(count > 0);
}

/* RFC 8439 2.8.2: the tag over the "sunscreen" text. */
static void test_chacha_rfc8439(void **state)
{
	static const char text[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
		"only one tip for the future, sunscreen would be it.";
	uint8_t key[36], aad[12], tag[16], want[16], buf[sizeof(text)];
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_ENC, "rfc7539esp(chacha20,poly1305)");
	struct crypto_ctx *c;
	uint8_t iv[8];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	unhex("07000000", key + 32, 4);
	unhex("4041424344454647", iv, 8);
	unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	unhex("1ae10b594f09e26a7e902ecbd0600691", want, 16);
	assert_int_equal(crypto_ctx_new(&c, a, key, sizeof(key), NULL, NULL, 0, NULL), 0);
	memcpy(buf, text, sizeof(text) - 1);
	assert_int_equal(crypto_encrypt(c, iv, aad, 12, buf, sizeof(text) - 1, tag), 0);
	assert_memory_equal(tag, want, 16);
	unhex("d31a8d34648e60db7b86afbc53ef7ec2", want, 16);
	assert_memory_equal(buf, want, 16);
	crypto_ctx_free(c);
}

/* RFC 3566 4: AES-XCBC-MAC test cases 1-7 (the full 128-bit MAC; ESP sends the first 96). */
static void test_xcbc_rfc3566(void **state)
{
	static const struct { size_t len; const char *mac; } v[] = {
		{ 0, "75f0251d528ac01c4573dfd584d79f29" },
		{ 3, "5b376580ae2f19afe7219ceef172756f" },
		{ 16, "d2a246fa349b68a79998a4394ff7a263" },
		{ 20, "47f51b4564966215b8985c63055ed308" },
		{ 32, "f54f0ec8d2b9f3d36807734bd5283fd4" },
		{ 34, "becbb3bccdb518a30677d5481fb6b4d8" },
		{ 1000, "f0dafee895db30253761103b5d84528f" },
	};
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_AUTH, "aes-xcbc-mac");
	uint8_t key[16], msg[1000], out[64], want[16];
	struct crypto_ctx *c;
	size_t ol;

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(crypto_ctx_new(&c, crypto_alg_by_name(CRYPTO_ENC, "null"), NULL, 0,
					a, key, 16, NULL), 0);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		for (size_t j = 0; j < v[i].len; j++)
			msg[j] = v[i].len == 1000 ? 0 : (uint8_t)j;
		unhex(v[i].mac, want, 16);
		assert_int_equal(crypto_mac_oneshot(a, key, 16, msg, v[i].len, out, &ol), 0);
		assert_int_equal(ol, 16);
		assert_memory_equal(out, want, 16);
		/* Through a context: the 96-bit ICV, twice (the handle resets). */
		for (int k = 0; k < 2; k++) {
			assert_int_equal(crypto_auth(c, msg, v[i].len, out), 0);
			assert_memory_equal(out, want, 12);
		}
		assert_int_equal(crypto_auth_verify(c, msg, v[i].len, want), 0);
		want[11] ^= 1;
		assert_int_equal(crypto_auth_verify(c, msg, v[i].len, want), -EBADMSG);
	}
	crypto_ctx_free(c);
}

static void test_table_lookup(void **state)
{
	static const struct { enum crypto_kind k; const char *name; unsigned id; } v[] = {
		{ CRYPTO_ENC, "des-cbc", 2 }, { CRYPTO_ENC, "3des-cbc", 3 },
		{ CRYPTO_ENC, "cast128-cbc", 6 }, { CRYPTO_ENC, "blowfish-cbc", 7 },
		{ CRYPTO_ENC, "null", 11 }, { CRYPTO_ENC, "rijndael-cbc", 12 },
		{ CRYPTO_ENC, "aes-ctr", 13 }, { CRYPTO_ENC, "aes-gcm-8", 18 },
		{ CRYPTO_ENC, "aes-gcm-12", 19 }, { CRYPTO_ENC, "rfc4106(gcm(aes))", 20 },
		{ CRYPTO_ENC, "chacha20-poly1305", 28 }, { CRYPTO_ENC, "serpent-cbc", 252 },
		{ CRYPTO_ENC, "twofish-cbc", 253 }, { CRYPTO_AUTH, "hmac-md5", 2 },
		{ CRYPTO_AUTH, "hmac(sha1)", 3 }, { CRYPTO_AUTH, "hmac-sha256", 5 },
		{ CRYPTO_AUTH, "hmac-sha384", 6 }, { CRYPTO_AUTH, "hmac-sha512", 7 },
		{ CRYPTO_AUTH, "hmac-ripemd160", 8 }, { CRYPTO_AUTH, "aes-xcbc-mac", 9 },
		{ CRYPTO_AUTH, "null", 251 }, { CRYPTO_COMP, "deflate", 2 },
	};

	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		const struct crypto_alg *a = crypto_alg_by_name(v[i].k, v[i].name);

		assert_non_null(a);
		assert_int_equal(a->sadb_id, v[i].id);
		assert_ptr_equal(crypto_alg_by_sadb(v[i].k, v[i].id), a);
	}
	assert_null(crypto_alg_by_name(CRYPTO_AUTH, "aes-cbc"));
	assert_null(crypto_alg_by_name(CRYPTO_ENC, "rot13"));
	assert_int_equal(crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha256")->icv_len, 16);
	assert_int_equal(crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha384")->icv_len, 24);
	assert_int_equal(crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha512")->icv_len, 32);
}

/* Every key length in 0..80 bytes: accepted exactly where the table says. */
static void test_key_lengths(void **state)
{
	const struct crypto_alg *sha1 = crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha1");
	const struct crypto_alg *a;
	uint8_t key[80];
	const char *why;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x35 + 7 * i);
	for (unsigned i = 0; (a = crypto_alg_at(i)); i++) {
		if (a->kind == CRYPTO_COMP)
			continue;
		for (size_t kl = 0; kl <= sizeof(key); kl++) {
			size_t bits = kl * 8;
			bool ok = a->key_max_bits ? bits >= a->key_min_bits &&
				  bits <= a->key_max_bits &&
				  (bits - a->key_min_bits) % a->key_step_bits == 0 : kl == 0;
			struct crypto_ctx *c = NULL;
			int rc;

			why = NULL;
			if (a->kind == CRYPTO_AUTH)
				rc = crypto_ctx_new(&c, crypto_alg_by_name(CRYPTO_ENC, "null"),
						    NULL, 0, a, key, kl, &why);
			else
				rc = crypto_ctx_new(&c, a, key, kl, a->kind == CRYPTO_AEAD ?
						    NULL : sha1, key, 20, &why);
			if (a->impl == CRYPTO_IMPL_NULL_AUTH)
				ok = false;   /* null + null is refused */
			if (ok != (rc == 0))
				print_message("%s key %zu bytes: rc %d (%s)\n", a->name, kl, rc,
					      why ? why : "");
			assert_int_equal(rc == 0, ok);
			if (!ok)
				assert_true(rc == -EINVAL && why && *why);
			crypto_ctx_free(c);
		}
	}
}

static void test_bad_combinations(void **state)
{
	const struct crypto_alg *gcm = crypto_alg_by_name(CRYPTO_ENC, "aes-gcm-16");
	const struct crypto_alg *cbc = crypto_alg_by_name(CRYPTO_ENC, "aes-cbc");
	const struct crypto_alg *nul = crypto_alg_by_name(CRYPTO_ENC, "null");
	const struct crypto_alg *sha = crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha256");
	const struct crypto_alg *des = crypto_alg_by_name(CRYPTO_ENC, "des-cbc");
	uint8_t key[36] = { 1 }, weak[8];
	struct crypto_ctx *c;
	const char *why = NULL;

	assert_int_equal(crypto_ctx_new(&c, gcm, key, 20, sha, key, 32, &why), -EINVAL);
	assert_non_null(strstr(why, "AEAD"));
	assert_int_equal(crypto_ctx_new(&c, nul, NULL, 0, NULL, NULL, 0, &why), -EINVAL);
	assert_int_equal(crypto_ctx_new(&c, sha, key, 32, NULL, NULL, 0, &why), -EINVAL);
	assert_int_equal(crypto_ctx_new(&c, cbc, key, 16, cbc, key, 16, &why), -EINVAL);
	assert_int_equal(crypto_ctx_new(&c, cbc, key, 17, sha, key, 32, &why), -EINVAL);
	assert_non_null(strstr(why, "128, 192 or 256"));
	assert_int_equal(crypto_ctx_new(&c, gcm, key, 16, NULL, NULL, 0, &why), -EINVAL);
	assert_non_null(strstr(why, "salt"));
	memset(weak, 0x01, sizeof(weak));  /* a DES weak key */
	assert_int_equal(crypto_ctx_new(&c, des, weak, 8, sha, key, 32, &why), -EINVAL);
	assert_string_equal(why, "weak key");
	/* "null" as the auth alg is the same as none. */
	assert_int_equal(crypto_ctx_new(&c, cbc, key, 16, crypto_alg_by_name(CRYPTO_AUTH, "null"),
					NULL, 0, &why), 0);
	assert_null(crypto_ctx_auth(c));
	assert_int_equal(crypto_ctx_icv_len(c), 0);
	crypto_ctx_free(c);
}

/* Serpent and Twofish have no packaged vectors: round trips, and CBC IVs differ. */
static void test_cbc_iv_generator(void **state)
{
	static const char *names[] = { "serpent-cbc", "twofish-cbc", "aes-cbc", "3des-cbc",
				       "des-cbc", "blowfish-cbc", "cast128-cbc" };
	uint8_t key[32], iv1[16], iv2[16], buf[64], orig[64];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 11 + 3);
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_ENC, names[i]);
		struct crypto_ctx *c;

		assert_int_equal(crypto_ctx_new(&c, a, key, a->key_min_bits / 8,
						crypto_alg_by_name(CRYPTO_AUTH, "hmac-md5"), key, 16,
						NULL), 0);
		crypto_next_iv(c, 1, iv1);
		crypto_next_iv(c, 1, iv2);
		assert_memory_not_equal(iv1, iv2, a->iv_len);
		for (size_t j = 0; j < sizeof(buf); j++)
			orig[j] = buf[j] = (uint8_t)j;
		assert_int_equal(crypto_encrypt(c, iv1, NULL, 0, buf, sizeof(buf), NULL), 0);
		assert_memory_not_equal(buf, orig, sizeof(buf));
		assert_int_equal(crypto_decrypt(c, iv1, NULL, 0, buf, sizeof(buf), NULL), 0);
		assert_memory_equal(buf, orig, sizeof(buf));
		assert_int_equal(crypto_encrypt(c, iv1, NULL, 0, buf, 7, NULL), -EINVAL);
		crypto_ctx_free(c);
	}
}

static void test_seq_iv(void **state)
{
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_ENC, "aes-gcm-16");
	uint8_t key[20] = { 0 }, iv[8];
	struct crypto_ctx *c;

	assert_int_equal(crypto_ctx_new(&c, a, key, 20, NULL, NULL, 0, NULL), 0);
	crypto_next_iv(c, 0x0102030405060708ULL, iv);
	assert_memory_equal(iv, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	crypto_ctx_free(c);
}

static void test_deflate(void **state)
{
	struct crypto_comp *z = crypto_comp_new(6);
	uint8_t in[1400], out[1500], back[1400];
	int n, m;

	assert_non_null(z);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)("usagi rabbit "[i % 13]);
	n = crypto_compress(z, in, sizeof(in), out, sizeof(out));
	assert_true(n > 0 && n < 200);
	m = crypto_decompress(z, out, (size_t)n, back, sizeof(back));
	assert_int_equal(m, sizeof(in));
	assert_memory_equal(back, in, sizeof(in));
	assert_int_equal(crypto_decompress(z, out, (size_t)n, back, 100), -EMSGSIZE);
	assert_int_equal(crypto_compress(z, in, sizeof(in), out, 10), -ENOSPC);
	out[0] ^= 0xff;
	out[1] ^= 0xff;
	assert_true(crypto_decompress(z, out, (size_t)n, back, sizeof(back)) < 0);
	crypto_comp_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_lookup),
		cmocka_unit_test(test_key_lengths),
		cmocka_unit_test(test_bad_combinations),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_cbc_vectors),
		cmocka_unit_test(test_ctr_vectors),
		cmocka_unit_test(test_gcm_vectors),
		cmocka_unit_test(test_chacha_vectors),
		cmocka_unit_test(test_chacha_rfc8439),
		cmocka_unit_test(test_xcbc_rfc3566),
		cmocka_unit_test(test_cbc_iv_generator),
		cmocka_unit_test(test_seq_iv),
		cmocka_unit_test(test_deflate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
