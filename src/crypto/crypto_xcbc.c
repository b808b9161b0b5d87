/*
 * AES-XCBC-MAC (RFC 3566), which libgcrypt lacks, built as the RFC describes
 * on AES: K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..); a CBC-MAC
 * under K1 whose last block is XORed with K2 when complete, or padded with
 * 0x80 0x00... and XORed with K3 when not.
 */
#include "crypto/crypto_priv.h"

#include <errno.h>
#include <string.h>

static int derive(const uint8_t *key, uint8_t k1[16], uint8_t k2[16], uint8_t k3[16])
{
	gcry_cipher_hd_t h;
	uint8_t in[48];
	uint8_t out[48];
	int rc = 0;

	for (int i = 0; i < 3; i++)
		memset(in + 16 * i, i + 1, 16);
	if (gcry_cipher_open(&h, GCRY_CIPHER_AES, GCRY_CIPHER_MODE_ECB, 0))
		return -EIO;
	if (gcry_cipher_setkey(h, key, 16) || gcry_cipher_encrypt(h, out, 48, in, 48))
		rc = -EIO;
	gcry_cipher_close(h);
	memcpy(k1, out, 16);
	memcpy(k2, out + 16, 16);
	memcpy(k3, out + 32, 16);
	crypto_wipe(out, sizeof(out));
	return rc;
}

int xcbc_init(struct xcbc *x, const uint8_t *key, const char **why)
{
	uint8_t k1[16];
	int rc;

	rc = derive(key, k1, x->k2, x->k3);
	if (!rc && (gcry_cipher_open(&x->k1, GCRY_CIPHER_AES, GCRY_CIPHER_MODE_CBC,
				     GCRY_CIPHER_CBC_MAC) ||
		    gcry_cipher_setkey(x->k1, k1, 16)))
		rc = -EIO;
	crypto_wipe(k1, sizeof(k1));
	if (rc)
		*why = "libgcrypt refused the XCBC key";
	return rc;
}

void xcbc_free(struct xcbc *x)
{
	if (x->k1)
		gcry_cipher_close(x->k1);
	x->k1 = NULL;
	crypto_wipe(x->k2, sizeof(x->k2));
	crypto_wipe(x->k3, sizeof(x->k3));
}

int xcbc_mac(struct xcbc *x, const uint8_t *data, size_t len, uint8_t out[16])
{
	static const uint8_t zero[16];
	size_t head = len ? (len - 1) / 16 * 16 : 0;   /* every block but the last */
	size_t tail = len - head;                       /* 1..16, or 0 for empty input */
	uint8_t last[16] = { 0 };
	const uint8_t *mask = tail == 16 ? x->k2 : x->k3;

	if (gcry_cipher_setiv(x->k1, zero, 16))
		return -EIO;
	/* CBC-MAC mode chains across calls: the last call sees the running state. */
	if (head && gcry_cipher_encrypt(x->k1, out, 16, data, head))
		return -EIO;
	memcpy(last, data + head, tail);
	if (tail < 16)
		last[tail] = 0x80;
	for (int i = 0; i < 16; i++)
		last[i] ^= mask[i];
	if (gcry_cipher_encrypt(x->k1, out, 16, last, 16))
		return -EIO;
	return 0;
}
