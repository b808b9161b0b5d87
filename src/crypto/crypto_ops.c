/* Per-packet operations on a crypto context: IVs, encryption, integrity. */
#include "crypto/crypto_priv.h"

#include <errno.h>
#include <string.h>

/*
 * CBC: the next CRYPTO_IV_BATCH outputs of the IV generator at once. A
 * block cipher over a counter never repeats and, without its random key,
 * cannot be predicted: what RFC 3602 2.4 asks of a CBC IV. Making them
 * ahead changes none of that (each is still used once, and seen only when
 * its packet is sent) and spares a libgcrypt call per packet.
 */
static void ivs_refill(struct crypto_ctx *c)
{
	memset(c->ivs, 0, sizeof(c->ivs));
	for (unsigned i = 0; i < CRYPTO_IV_BATCH; i++) {
		uint64_t n = c->iv_counter++;

		memcpy(c->ivs[i], &n, sizeof(n));
	}
	gcry_cipher_encrypt(c->ivgen, c->ivs, sizeof(c->ivs), NULL, 0);
	c->ivs_left = CRYPTO_IV_BATCH;
}

void crypto_next_iv(struct crypto_ctx *c, uint64_t seq, uint8_t *iv)
{
	if (c->enc->impl != CRYPTO_IMPL_CBC) {
		if (c->g.iv_len == 8) {   /* all of them: one byte swap, one store */
			uint64_t be = seq;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			be = __builtin_bswap64(be);
#endif
			memcpy(iv, &be, 8);
			return;
		}
		for (int i = 0; i < 8 && i < c->g.iv_len; i++)
			iv[i] = (uint8_t)(seq >> (56 - 8 * i));
		return;
	}
	if (!c->ivs_left)
		ivs_refill(c);
	memcpy(iv, c->ivs[CRYPTO_IV_BATCH - c->ivs_left--], c->g.iv_len);
}

/* RFC 3686 4: nonce (salt) || IV || block counter starting at 1. */
static void ctr_block(const struct crypto_ctx *c, const uint8_t *iv, uint8_t blk[16])
{
	memcpy(blk, c->salt, 4);
	memcpy(blk + 4, iv, 8);
	blk[12] = blk[13] = blk[14] = 0;
	blk[15] = 1;
}

/* Keys the cipher handle for one packet. RFC 4106 4 / RFC 7634 2: nonce = salt || IV. */
static int set_iv(struct crypto_ctx *c, const uint8_t *iv, const uint8_t *aad, size_t aad_len)
{
	uint8_t nonce[16];

	switch (c->enc->impl) {
	case CRYPTO_IMPL_CBC:
		return gcry_cipher_setiv(c->cipher, iv, c->enc->iv_len) ? -EIO : 0;
	case CRYPTO_IMPL_CTR:
		ctr_block(c, iv, nonce);
		return gcry_cipher_setctr(c->cipher, nonce, 16) ? -EIO : 0;
	case CRYPTO_IMPL_GCM:
	case CRYPTO_IMPL_CHACHAPOLY:
		memcpy(nonce, c->salt, 4);
		memcpy(nonce + 4, iv, 8);
		if (gcry_cipher_setiv(c->cipher, nonce, 12))
			return -EIO;
		return gcry_cipher_authenticate(c->cipher, aad, aad_len) ? -EIO : 0;
	default:
		return 0;
	}
}

static int check_len(const struct crypto_ctx *c, size_t len)
{
	size_t blk = c->enc->block;

	if (c->enc->impl != CRYPTO_IMPL_CBC)
		return 0;
	/* Cipher blocks are powers of two: a mask instead of a division per packet. */
	if ((blk & (blk - 1)) == 0 ? (len & (blk - 1)) : (len % blk))
		return -EINVAL;
	return 0;
}

/* Start of crypto_encrypt/crypto_decrypt: 1 when there is nothing to do
 * (NULL encryption), else the length check's or set_iv's result. */
static int crypt_begin(struct crypto_ctx *c, const uint8_t *iv,
		       const uint8_t *aad, size_t aad_len, size_t len)
{
	int rc;

	if (c->enc->impl == CRYPTO_IMPL_NULL_ENC)
		return 1;
	rc = check_len(c, len);
	if (!rc)
		rc = set_iv(c, iv, aad, aad_len);
	return rc;
}

int crypto_encrypt(struct crypto_ctx *c, const uint8_t *iv,
		   const uint8_t *aad, size_t aad_len,
		   uint8_t *buf, size_t len, uint8_t *icv)
{
	int rc;

	rc = crypt_begin(c, iv, aad, aad_len, len);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (len && gcry_cipher_encrypt(c->cipher, buf, len, NULL, 0))
		return -EIO;
	if (c->enc->kind == CRYPTO_AEAD &&
	    gcry_cipher_gettag(c->cipher, icv, c->enc->icv_len))
		return -EIO;
	return 0;
}

int crypto_decrypt(struct crypto_ctx *c, const uint8_t *iv,
		   const uint8_t *aad, size_t aad_len,
		   uint8_t *buf, size_t len, const uint8_t *icv)
{
	gcry_error_t err;
	int rc;

	rc = crypt_begin(c, iv, aad, aad_len, len);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (len && gcry_cipher_decrypt(c->cipher, buf, len, NULL, 0))
		return -EIO;
	if (c->enc->kind != CRYPTO_AEAD)
		return 0;
	/* libgcrypt compares the tag in constant time itself (GCM, Poly1305): no copy out. */
	err = gcry_cipher_checktag(c->cipher, icv, c->enc->icv_len);
	if (gpg_err_code(err) == GPG_ERR_CHECKSUM)
		return -EBADMSG;
	return err ? -EIO : 0;
}

/* The full MAC of @data into @out (up to 64 bytes); its length in *@out_len. */
static int mac_full(struct crypto_ctx *c, const uint8_t *data, size_t len,
		    uint8_t *out, size_t *out_len)
{
	if (c->auth->impl == CRYPTO_IMPL_XCBC) {
		*out_len = 16;
		return xcbc_mac(&c->xcbc, data, len, out);
	}
	*out_len = 64;
	if (gcry_mac_reset(c->mac) || gcry_mac_write(c->mac, data, len) ||
	    gcry_mac_read(c->mac, out, out_len))
		return -EIO;
	return 0;
}

int crypto_auth(struct crypto_ctx *c, const uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t full[64];
	size_t n;
	int rc;

	if (!c->auth)
		return 0;
	rc = mac_full(c, data, len, full, &n);
	if (!rc)
		memcpy(icv, full, c->auth->icv_len);
	return rc;
}

int crypto_auth_verify(struct crypto_ctx *c, const uint8_t *data, size_t len,
		       const uint8_t *icv)
{
	uint8_t full[64];
	size_t n;
	int rc;

	if (!c->auth)
		return 0;
	rc = mac_full(c, data, len, full, &n);
	if (rc)
		return rc;
	return crypto_memeq(full, icv, c->auth->icv_len) ? 0 : -EBADMSG;
}

int crypto_mac_oneshot(const struct crypto_alg *alg, const void *key, size_t key_len,
		       const void *data, size_t len, uint8_t *out, size_t *out_len)
{
	gcry_mac_hd_t h;
	struct xcbc x = { 0 };
	const char *why;
	int rc = 0;

	if (crypto_init())
		return -EIO;
	if (alg->impl == CRYPTO_IMPL_XCBC) {
		if (key_len != 16)
			return -EINVAL;
		rc = xcbc_init(&x, key, &why);
		if (!rc)
			rc = xcbc_mac(&x, data, len, out);
		xcbc_free(&x);
		*out_len = 16;
		return rc;
	}
	if (alg->impl != CRYPTO_IMPL_HMAC)
		return -EINVAL;
	if (gcry_mac_open(&h, alg->gcry_algo, 0, NULL))
		return -EIO;
	*out_len = 64;
	if (gcry_mac_setkey(h, key, key_len) || gcry_mac_write(h, data, len) ||
	    gcry_mac_read(h, out, out_len))
		rc = -EIO;
	gcry_mac_close(h);
	return rc;
}
