/*
 * Integrity over a list of buffers (crypto_auth_v): HMAC through
 * libgcrypt's incremental MAC, AES-XCBC-MAC (RFC 3566) as a stream that
 * holds back the last block, because only the last block is masked with
 * K2 (complete) or padded and masked with K3 (partial), and which block is
 * last is known only at the end.
 */
#include "crypto/crypto_priv.h"

#include <errno.h>
#include <string.h>

/* A running XCBC-MAC: CBC-MAC state lives in the K1 handle, the pending block here. */
struct xcbc_stream {
	struct xcbc *x;
	uint8_t blk[16];     /* pending bytes, not yet chained */
	size_t fill;
	uint8_t out[16];
};

static int xs_chain(struct xcbc_stream *s, const uint8_t *data, size_t len)
{
	/* CBC-MAC mode keeps the chaining value across calls; out gets the last block. */
	return gcry_cipher_encrypt(s->x->k1, s->out, 16, data, len) ? -EIO : 0;
}

static int xs_write(struct xcbc_stream *s, const uint8_t *data, size_t len)
{
	while (len) {
		size_t take;

		if (s->fill == 16) {
			if (xs_chain(s, s->blk, 16))
				return -EIO;
			s->fill = 0;
		}
		if (s->fill == 0 && len > 16) {
			/* Whole blocks straight from the caller, keeping at least one byte back. */
			size_t bulk = (len - 1) / 16 * 16;

			if (xs_chain(s, data, bulk))
				return -EIO;
			data += bulk;
			len -= bulk;
			continue;
		}
		take = 16 - s->fill < len ? 16 - s->fill : len;
		memcpy(s->blk + s->fill, data, take);
		s->fill += take;
		data += take;
		len -= take;
	}
	return 0;
}

/* RFC 3566 4: the last block, complete (^K2) or padded 0x80 00.. (^K3). */
static int xs_final(struct xcbc_stream *s)
{
	const uint8_t *mask = s->fill == 16 ? s->x->k2 : s->x->k3;

	if (s->fill < 16) {
		s->blk[s->fill] = 0x80;
		memset(s->blk + s->fill + 1, 0, 16 - s->fill - 1);
	}
	for (int i = 0; i < 16; i++)
		s->blk[i] ^= mask[i];
	return xs_chain(s, s->blk, 16);
}

static int xcbc_v(struct crypto_ctx *c, const struct crypto_iov *v, size_t n, uint8_t out[16])
{
	static const uint8_t zero[16];
	struct xcbc_stream s = { .x = &c->xcbc };
	int rc = 0;

	if (gcry_cipher_setiv(c->xcbc.k1, zero, 16))
		return -EIO;
	for (size_t i = 0; i < n && !rc; i++)
		rc = xs_write(&s, v[i].base, v[i].len);
	if (!rc)
		rc = xs_final(&s);
	if (!rc)
		memcpy(out, s.out, 16);
	crypto_wipe(&s, sizeof(s));
	return rc;
}

/* The full MAC of the pieces into @out (up to 64 bytes). */
static int mac_full_v(struct crypto_ctx *c, const struct crypto_iov *v, size_t n,
		      uint8_t out[64])
{
	size_t out_len = 64;

	if (c->auth->impl == CRYPTO_IMPL_XCBC)
		return xcbc_v(c, v, n, out);
	if (gcry_mac_reset(c->mac))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (v[i].len && gcry_mac_write(c->mac, v[i].base, v[i].len))
			return -EIO;
	return gcry_mac_read(c->mac, out, &out_len) ? -EIO : 0;
}

int crypto_auth_v(struct crypto_ctx *c, const struct crypto_iov *v, size_t n, uint8_t *icv)
{
	uint8_t full[64];
	int rc;

	if (!c->auth)
		return 0;
	rc = mac_full_v(c, v, n, full);
	if (!rc)
		memcpy(icv, full, c->auth->icv_len);
	return rc;
}

int crypto_auth_verify_v(struct crypto_ctx *c, const struct crypto_iov *v, size_t n,
			 const uint8_t *icv)
{
	uint8_t full[64];
	int rc;

	if (!c->auth)
		return 0;
	rc = mac_full_v(c, v, n, full);
	if (rc)
		return rc;
	return crypto_memeq(full, icv, c->auth->icv_len) ? 0 : -EBADMSG;
}
