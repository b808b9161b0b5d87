/*
 * Per-SA crypto contexts: keyed libgcrypt handles opened once when the SA
 * is made, reused for every packet (only the IV changes), closed and wiped
 * when it goes away.
 */
#include "crypto/crypto_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The libgcrypt cipher id for a family and a key length in bytes. */
static int cipher_id(const struct crypto_alg *a, size_t klen)
{
	switch (a->gcry_algo) {
	case GCRY_CIPHER_AES:
		return klen == 16 ? GCRY_CIPHER_AES : klen == 24 ? GCRY_CIPHER_AES192 :
		       GCRY_CIPHER_AES256;
	case GCRY_CIPHER_SERPENT128:
		return klen == 16 ? GCRY_CIPHER_SERPENT128 : klen == 24 ?
		       GCRY_CIPHER_SERPENT192 : GCRY_CIPHER_SERPENT256;
	case GCRY_CIPHER_TWOFISH128:
		return klen == 16 ? GCRY_CIPHER_TWOFISH128 : GCRY_CIPHER_TWOFISH;
	default:
		return a->gcry_algo;
	}
}

static int cipher_mode(const struct crypto_alg *a)
{
	switch (a->impl) {
	case CRYPTO_IMPL_CBC: return GCRY_CIPHER_MODE_CBC;
	case CRYPTO_IMPL_CTR: return GCRY_CIPHER_MODE_CTR;
	case CRYPTO_IMPL_GCM: return GCRY_CIPHER_MODE_GCM;
	default: return GCRY_CIPHER_MODE_POLY1305;
	}
}

/* The CBC IV generator: AES-128-ECB under a fresh random key (RFC 4303 3.3.2). */
static int ivgen_open(struct crypto_ctx *c, const char **why)
{
	uint8_t k[16];
	int rc = 0;

	gcry_create_nonce(k, sizeof(k));
	if (gcry_cipher_open(&c->ivgen, GCRY_CIPHER_AES, GCRY_CIPHER_MODE_ECB, 0) ||
	    gcry_cipher_setkey(c->ivgen, k, sizeof(k))) {
		*why = "libgcrypt refused the IV generator";
		rc = -EIO;
	}
	crypto_wipe(k, sizeof(k));
	return rc;
}

static int enc_open(struct crypto_ctx *c, const uint8_t *key, size_t klen, const char **why)
{
	const struct crypto_alg *a = c->enc;
	uint8_t padded[16];
	gcry_error_t err;

	if (a->impl == CRYPTO_IMPL_NULL_ENC)
		return 0;
	klen -= a->salt_len;
	memcpy(c->salt, key + klen, a->salt_len);
	if (gcry_cipher_open(&c->cipher, cipher_id(a, klen), cipher_mode(a), 0)) {
		*why = "libgcrypt has no such cipher";
		return -EIO;
	}
	if (a->gcry_algo == GCRY_CIPHER_CAST5 && klen < 16) {
		/* RFC 2144 2.5: shorter keys are zero-padded to 128 bits. */
		memset(padded, 0, sizeof(padded));
		memcpy(padded, key, klen);
		err = gcry_cipher_setkey(c->cipher, padded, sizeof(padded));
		crypto_wipe(padded, sizeof(padded));
	} else {
		err = gcry_cipher_setkey(c->cipher, key, klen);
	}
	if (gpg_err_code(err) == GPG_ERR_WEAK_KEY) {
		*why = "weak key";
		return -EINVAL;
	}
	if (err) {
		*why = "libgcrypt refused the key";
		return -EINVAL;
	}
	return a->impl == CRYPTO_IMPL_CBC ? ivgen_open(c, why) : 0;
}

static int auth_open(struct crypto_ctx *c, const uint8_t *key, size_t klen, const char **why)
{
	const struct crypto_alg *a = c->auth;

	if (a->impl == CRYPTO_IMPL_XCBC)
		return xcbc_init(&c->xcbc, key, why);
	if (gcry_mac_open(&c->mac, a->gcry_algo, 0, NULL) ||
	    gcry_mac_setkey(c->mac, key, klen)) {
		*why = "libgcrypt refused the MAC key";
		return -EIO;
	}
	return 0;
}

static int check_combo(const struct crypto_alg *enc, const struct crypto_alg *auth,
		       const char **why)
{
	if (!enc || (enc->kind != CRYPTO_ENC && enc->kind != CRYPTO_AEAD)) {
		*why = "no encryption algorithm (use \"null\" for none)";
		return -EINVAL;
	}
	if (auth && auth->kind != CRYPTO_AUTH) {
		*why = "not an integrity algorithm";
		return -EINVAL;
	}
	if (enc->kind == CRYPTO_AEAD && auth) {
		*why = "a combined-mode (AEAD) cipher takes no separate integrity algorithm";
		return -EINVAL;
	}
	if (enc->impl == CRYPTO_IMPL_NULL_ENC && !auth) {
		*why = "null encryption needs an integrity algorithm (RFC 4303 3.2)";
		return -EINVAL;
	}
	return 0;
}

int crypto_ctx_new(struct crypto_ctx **out,
		   const struct crypto_alg *enc, const void *ekey, size_t ekey_len,
		   const struct crypto_alg *auth, const void *akey, size_t akey_len,
		   const char **why)
{
	const char *dummy;
	struct crypto_ctx *c;
	int rc;

	if (!why)
		why = &dummy;
	*out = NULL;
	if (auth && auth->impl == CRYPTO_IMPL_NULL_AUTH)
		auth = NULL;
	rc = check_combo(enc, auth, why);
	if (!rc)
		rc = crypto_alg_check_key(enc, ekey_len, why);
	if (!rc && auth)
		rc = crypto_alg_check_key(auth, akey_len, why);
	if (!rc && crypto_init()) {
		*why = "libgcrypt too old or not initialised";
		rc = -EIO;
	}
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->enc = enc;
	c->auth = auth;
	c->g = (struct crypto_geom){ .iv_len = enc->iv_len, .block = enc->block,
				     .aead = enc->kind == CRYPTO_AEAD,
				     .icv_len = enc->kind == CRYPTO_AEAD ? enc->icv_len :
						auth ? auth->icv_len : 0 };
	rc = enc_open(c, ekey, ekey_len, why);
	if (!rc && auth)
		rc = auth_open(c, akey, akey_len, why);
	if (rc) {
		crypto_ctx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void crypto_ctx_free(struct crypto_ctx *c)
{
	if (!c)
		return;
	/* gcry_*_close wipe the key schedules they hold. */
	if (c->cipher)
		gcry_cipher_close(c->cipher);
	if (c->ivgen)
		gcry_cipher_close(c->ivgen);
	if (c->mac)
		gcry_mac_close(c->mac);
	xcbc_free(&c->xcbc);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

const struct crypto_alg *crypto_ctx_enc(const struct crypto_ctx *c) { return c->enc; }
const struct crypto_alg *crypto_ctx_auth(const struct crypto_ctx *c) { return c->auth; }
unsigned crypto_ctx_iv_len(const struct crypto_ctx *c) { return c->g.iv_len; }
unsigned crypto_ctx_block(const struct crypto_ctx *c) { return c->g.block; }
bool crypto_ctx_is_aead(const struct crypto_ctx *c) { return c->g.aead; }
unsigned crypto_ctx_icv_len(const struct crypto_ctx *c) { return c->g.icv_len; }
