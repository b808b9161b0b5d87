/*
 * Return routability cryptography (RFC 6275 5.2.5, 5.2.6, 6.2.7) over
 * libgcrypt: HMAC-SHA1 through gcry_mac, SHA-1 through gcry_md. Inputs are
 * fed in pieces, nothing is concatenated into a buffer.
 */
#include <gcrypt.h>

#include "crypto/crypto.h"
#include "mip6/mh.h"
#include "mip6/mip6_rr.h"

/* HMAC-SHA1 under @key of the @n pieces, first @out_len octets into @out. */
static int hmac_sha1(const uint8_t *key, size_t key_len, const struct crypto_iov *v, size_t n,
		     uint8_t *out, size_t out_len)
{
	uint8_t mac[20];
	size_t mac_len = sizeof(mac);
	gcry_mac_hd_t h;
	int rc = 0;

	if (crypto_init() || gcry_mac_open(&h, GCRY_MAC_HMAC_SHA1, 0, NULL))
		return -EIO;
	if (gcry_mac_setkey(h, key, key_len))
		rc = -EIO;
	for (size_t i = 0; !rc && i < n; i++)
		if (v[i].len && gcry_mac_write(h, v[i].base, v[i].len))
			rc = -EIO;
	if (!rc && gcry_mac_read(h, mac, &mac_len))
		rc = -EIO;
	gcry_mac_close(h);
	if (!rc)
		memcpy(out, mac, out_len);
	crypto_wipe(mac, sizeof(mac));
	return rc;
}

int mip6_keygen_token(const uint8_t kcn[MIP6_KCN_LEN], const struct in6_addr *addr,
		      const uint8_t nonce[MIP6_NONCE_LEN], int which, uint8_t out[MIP6_TOKEN_LEN])
{
	/* 5.2.5: the final octet is 0 for the home keygen token, 1 for the care-of one. */
	const uint8_t tail = which == MIP6_TOKEN_COA ? 1 : 0;
	const struct crypto_iov v[] = {
		{ addr, 16 }, { nonce, MIP6_NONCE_LEN }, { &tail, 1 },
	};

	return hmac_sha1(kcn, MIP6_KCN_LEN, v, ARRAY_SIZE(v), out, MIP6_TOKEN_LEN);
}

void mip6_kbm(const uint8_t home_tok[MIP6_TOKEN_LEN], const uint8_t *coa_tok,
	      uint8_t out[MIP6_KBM_LEN])
{
	uint8_t in[2 * MIP6_TOKEN_LEN];
	size_t n = MIP6_TOKEN_LEN;

	/* 5.2.5: SHA1(home | care-of), or SHA1(home) alone when deregistering. */
	memcpy(in, home_tok, MIP6_TOKEN_LEN);
	if (coa_tok) {
		memcpy(in + MIP6_TOKEN_LEN, coa_tok, MIP6_TOKEN_LEN);
		n += MIP6_TOKEN_LEN;
	}
	if (crypto_init() == 0)
		gcry_md_hash_buffer(GCRY_MD_SHA1, out, in, n);
	else
		memset(out, 0, MIP6_KBM_LEN);
	crypto_wipe(in, sizeof(in));
}

int mip6_bu_auth(const uint8_t kbm[MIP6_KBM_LEN], const struct in6_addr *coa,
		 const struct in6_addr *cn, const uint8_t *mh, size_t len, uint8_t out[MIP6_AUTH_LEN])
{
	static const uint8_t zero_csum[2];
	const size_t after = MH_CSUM_OFF + sizeof(zero_csum);
	/* 6.2.7: care-of address | correspondent | MH data, checksum as zero. */
	const struct crypto_iov v[] = {
		{ coa, 16 }, { cn, 16 },
		{ mh, MIN(len, (size_t)MH_CSUM_OFF) },
		{ zero_csum, len > MH_CSUM_OFF ? MIN(len - MH_CSUM_OFF, sizeof(zero_csum)) : 0 },
		{ mh + after, len > after ? len - after : 0 },
	};

	return hmac_sha1(kbm, MIP6_KBM_LEN, v, ARRAY_SIZE(v), out, MIP6_AUTH_LEN);
}
