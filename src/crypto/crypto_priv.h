/* Inside src/crypto: the context layout and the AES-XCBC-MAC-96 helpers. */
#ifndef USAGI_CRYPTO_PRIV_H
#define USAGI_CRYPTO_PRIV_H

#include "crypto/crypto.h"

#include <gcrypt.h>
#include <stddef.h>

/* RFC 3566: K1 keys a CBC-MAC; K2/K3 mask the last block (complete/padded). */
struct xcbc {
	gcry_cipher_hd_t k1;     /* AES-128-CBC in CBC-MAC mode under K1 */
	uint8_t k2[16], k3[16];
};

#define CRYPTO_IV_BATCH 16

struct crypto_ctx {
	struct crypto_geom g;            /* first: crypto_ctx_geom reads it */
	const struct crypto_alg *enc;
	const struct crypto_alg *auth;   /* NULL: none */
	gcry_cipher_hd_t cipher;         /* keyed once; per packet only the IV changes */
	gcry_cipher_hd_t ivgen;          /* CBC only: AES-ECB under a random per-SA key */
	gcry_mac_hd_t mac;               /* HMAC */
	struct xcbc xcbc;
	uint64_t iv_counter;             /* CBC IV generator input */
	/* CBC: the generator's next outputs, made CRYPTO_IV_BATCH at a time (one libgcrypt call). */
	uint8_t ivs[CRYPTO_IV_BATCH][16];
	unsigned ivs_left;               /* unused at the end of ivs */
	uint8_t salt[4];                 /* CTR nonce / GCM, ChaCha20 salt */
};

_Static_assert(offsetof(struct crypto_ctx, g) == 0, "crypto_ctx_geom casts the context");

/* Derives K1..K3 from the 16-byte @key. 0 or -EIO with *why. */
int xcbc_init(struct xcbc *x, const uint8_t *key, const char **why);
void xcbc_free(struct xcbc *x);
/* The full 16-byte MAC of @len bytes at @data. */
int xcbc_mac(struct xcbc *x, const uint8_t *data, size_t len, uint8_t out[16]);

#endif
