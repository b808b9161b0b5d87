/*
 * Return routability cryptography (RFC 6275 5.2): keygen tokens, the
 * binding management key and the Binding Authorization Data authenticator.
 * Pure functions over libgcrypt's HMAC-SHA1 and SHA-1; the nonce table and
 * Kcn live with the correspondent (mip6_cn.c).
 *
 *   home keygen token    = First(64, HMAC_SHA1(Kcn, home address | nonce | 0))
 *   care-of keygen token = First(64, HMAC_SHA1(Kcn, care-of address | nonce | 1))
 *   Kbm = SHA1(home keygen token | care-of keygen token)
 *       = SHA1(home keygen token) when deregistering (care-of = home, 5.2.5)
 *   authenticator = First(96, HMAC_SHA1(Kbm, care-of address | correspondent | MH data))
 *     where MH data is the Mobility Header up to the authenticator, checksum
 *     taken as zero (6.2.7).
 */
#ifndef USAGI_MIP6_MIP6_RR_H
#define USAGI_MIP6_MIP6_RR_H

#include "core/common.h"

#define MIP6_KCN_LEN 20
#define MIP6_NONCE_LEN 8
#define MIP6_TOKEN_LEN 8
#define MIP6_KBM_LEN 20
#define MIP6_AUTH_LEN 12

enum { MIP6_TOKEN_HOME = 0, MIP6_TOKEN_COA = 1 };

/* @which: MIP6_TOKEN_HOME or MIP6_TOKEN_COA. 0 or -EIO (libgcrypt failed). */
int mip6_keygen_token(const uint8_t kcn[MIP6_KCN_LEN], const struct in6_addr *addr,
		      const uint8_t nonce[MIP6_NONCE_LEN], int which, uint8_t out[MIP6_TOKEN_LEN]);
/* @coa_tok NULL: deregistration (home keygen token alone). */
void mip6_kbm(const uint8_t home_tok[MIP6_TOKEN_LEN], const uint8_t *coa_tok,
	      uint8_t out[MIP6_KBM_LEN]);
/*
 * Authenticator over @mh (@len octets up to the authenticator field; the
 * checksum field is treated as zero whatever it holds). 0 or -EIO.
 */
int mip6_bu_auth(const uint8_t kbm[MIP6_KBM_LEN], const struct in6_addr *coa,
		 const struct in6_addr *cn, const uint8_t *mh, size_t len, uint8_t out[MIP6_AUTH_LEN]);

#endif
