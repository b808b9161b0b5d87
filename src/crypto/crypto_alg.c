/*
 * The algorithm table: names as setkey spells them (first) and as Linux /
 * iproute2 do (aliases), PF_KEY ids, key/IV/ICV/salt sizes. Sizes follow
 * the RFC of each transform: RFC 2405 (DES), 2451 (3DES, CAST, Blowfish),
 * 3602 (AES-CBC), 3686 (AES-CTR), 4106 (AES-GCM), 7634 (ChaCha20-Poly1305),
 * 2403/2404/4868/2857 (HMACs and their truncations), 3566 (AES-XCBC-MAC-96).
 */
#include "crypto/crypto.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <gcrypt.h>

#define ENC(nm, a, id, kmin, kmax, kstep, blk, iv, galgo) \
	{ .name = nm, .aliases = a, .kind = CRYPTO_ENC, .impl = CRYPTO_IMPL_CBC, \
	  .sadb_id = id, .key_min_bits = kmin, .key_max_bits = kmax, \
	  .key_step_bits = kstep, .block = blk, .iv_len = iv, .gcry_algo = galgo }
#define GCM(nm, a, id, icv) \
	{ .name = nm, .aliases = a, .kind = CRYPTO_AEAD, .impl = CRYPTO_IMPL_GCM, \
	  .sadb_id = id, .key_min_bits = 160, .key_max_bits = 288, .key_step_bits = 64, \
	  .block = 4, .iv_len = 8, .icv_len = icv, .salt_len = 4, .gcry_algo = GCRY_CIPHER_AES }
#define HMAC(nm, a, id, kbits, icv, galgo) \
	{ .name = nm, .aliases = a, .kind = CRYPTO_AUTH, .impl = CRYPTO_IMPL_HMAC, \
	  .sadb_id = id, .key_min_bits = kbits, .key_max_bits = kbits, .key_step_bits = 8, \
	  .icv_len = icv, .gcry_algo = galgo }
#define NAMES(...) { __VA_ARGS__, NULL }

static const struct crypto_alg algs[] = {
	ENC("des-cbc", NAMES("cbc(des)", "des"), SADB_EALG_DESCBC, 64, 64, 64, 8, 8,
	    GCRY_CIPHER_DES),
	ENC("3des-cbc", NAMES("cbc(des3_ede)", "des3_ede"), SADB_EALG_3DESCBC, 192, 192, 64,
	    8, 8, GCRY_CIPHER_3DES),
	/* RFC 2144 2.5: keys up to 80 bits run 12 rounds, which libgcrypt lacks;
	 * 88..128-bit keys are zero-padded to 128 and run the full 16. */
	ENC("cast128-cbc", NAMES("cbc(cast5)", "cast5", "cast-cbc"), SADB_X_EALG_CASTCBC,
	    88, 128, 8, 8, 8, GCRY_CIPHER_CAST5),
	ENC("blowfish-cbc", NAMES("cbc(blowfish)", "blowfish"), SADB_X_EALG_BLOWFISHCBC,
	    40, 448, 8, 8, 8, GCRY_CIPHER_BLOWFISH),
	ENC("aes-cbc", NAMES("rijndael-cbc", "cbc(aes)", "aes"), SADB_X_EALG_AESCBC,
	    128, 256, 64, 16, 16, GCRY_CIPHER_AES),
	ENC("serpent-cbc", NAMES("cbc(serpent)", "serpent"), SADB_X_EALG_SERPENTCBC,
	    128, 256, 64, 16, 16, GCRY_CIPHER_SERPENT128),
	/* libgcrypt has Twofish-128 and -256 only. */
	ENC("twofish-cbc", NAMES("cbc(twofish)", "twofish"), SADB_X_EALG_TWOFISHCBC,
	    128, 256, 128, 16, 16, GCRY_CIPHER_TWOFISH128),
	{ .name = "null", .aliases = NAMES("ecb(cipher_null)", "cipher_null"),
	  .kind = CRYPTO_ENC, .impl = CRYPTO_IMPL_NULL_ENC, .sadb_id = SADB_EALG_NULL,
	  .block = 4 },
	{ .name = "aes-ctr", .aliases = NAMES("rfc3686(ctr(aes))"), .kind = CRYPTO_ENC,
	  .impl = CRYPTO_IMPL_CTR, .sadb_id = SADB_X_EALG_AESCTR, .key_min_bits = 160,
	  .key_max_bits = 288, .key_step_bits = 64, .block = 4, .iv_len = 8, .salt_len = 4,
	  .gcry_algo = GCRY_CIPHER_AES },
	GCM("aes-gcm-16", NAMES("rfc4106(gcm(aes))", "aes-gcm"), SADB_X_EALG_AES_GCM_ICV16, 16),
	GCM("aes-gcm-12", NAMES("rfc4106(gcm(aes))-12"), SADB_X_EALG_AES_GCM_ICV12, 12),
	GCM("aes-gcm-8", NAMES("rfc4106(gcm(aes))-8"), SADB_X_EALG_AES_GCM_ICV8, 8),
	{ .name = "chacha20-poly1305", .aliases = NAMES("rfc7539esp(chacha20,poly1305)"),
	  .kind = CRYPTO_AEAD, .impl = CRYPTO_IMPL_CHACHAPOLY,
	  .sadb_id = SADB_X_EALG_CHACHA20_POLY1305, .key_min_bits = 288, .key_max_bits = 288,
	  .key_step_bits = 8, .block = 4, .iv_len = 8, .icv_len = 16, .salt_len = 4,
	  .gcry_algo = GCRY_CIPHER_CHACHA20 },

	HMAC("hmac-md5", NAMES("hmac(md5)", "md5"), SADB_AALG_MD5HMAC, 128, 12,
	     GCRY_MAC_HMAC_MD5),
	HMAC("hmac-sha1", NAMES("hmac(sha1)", "sha1"), SADB_AALG_SHA1HMAC, 160, 12,
	     GCRY_MAC_HMAC_SHA1),
	HMAC("hmac-sha256", NAMES("hmac(sha256)", "sha256"), SADB_X_AALG_SHA2_256HMAC, 256, 16,
	     GCRY_MAC_HMAC_SHA256),
	HMAC("hmac-sha384", NAMES("hmac(sha384)", "sha384"), SADB_X_AALG_SHA2_384HMAC, 384, 24,
	     GCRY_MAC_HMAC_SHA384),
	HMAC("hmac-sha512", NAMES("hmac(sha512)", "sha512"), SADB_X_AALG_SHA2_512HMAC, 512, 32,
	     GCRY_MAC_HMAC_SHA512),
	HMAC("hmac-ripemd160", NAMES("hmac(rmd160)", "rmd160"), SADB_X_AALG_RIPEMD160HMAC, 160,
	     12, GCRY_MAC_HMAC_RMD160),
	{ .name = "aes-xcbc-mac", .aliases = NAMES("xcbc(aes)"), .kind = CRYPTO_AUTH,
	  .impl = CRYPTO_IMPL_XCBC, .sadb_id = SADB_X_AALG_AES_XCBC_MAC, .key_min_bits = 128,
	  .key_max_bits = 128, .key_step_bits = 8, .icv_len = 12, .gcry_algo = GCRY_CIPHER_AES },
	{ .name = "null", .aliases = NAMES("digest_null"), .kind = CRYPTO_AUTH,
	  .impl = CRYPTO_IMPL_NULL_AUTH, .sadb_id = SADB_X_AALG_NULL },

	{ .name = "deflate", .aliases = NAMES("deflate"), .kind = CRYPTO_COMP,
	  .impl = CRYPTO_IMPL_DEFLATE, .sadb_id = SADB_X_CALG_DEFLATE },
};

/*
 * The one piece of process-wide state in usagi: libgcrypt must be
 * initialised once per process before use, and pthread_once makes that
 * safe when several stacks start at once. It holds no keys and no SA state.
 */
static pthread_once_t gcry_once = PTHREAD_ONCE_INIT;

static void gcry_init_once(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return;         /* the application initialised it itself */
	if (!gcry_check_version(GCRYPT_VERSION))
		return;
	/* Keys live in context memory we wipe ourselves; no secure-memory pool. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

int crypto_init(void)
{
	pthread_once(&gcry_once, gcry_init_once);
	return gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P) ? 0 : -ENOTSUP;
}

static bool kind_matches(enum crypto_kind want, enum crypto_kind have)
{
	return want == have || (want == CRYPTO_ENC && have == CRYPTO_AEAD);
}

const struct crypto_alg *crypto_alg_by_name(enum crypto_kind kind, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const struct crypto_alg *a = &algs[i];

		if (!kind_matches(kind, a->kind))
			continue;
		if (!strcmp(a->name, name))
			return a;
		for (int j = 0; j < CRYPTO_MAX_ALIASES && a->aliases[j]; j++)
			if (!strcmp(a->aliases[j], name))
				return a;
	}
	return NULL;
}

const struct crypto_alg *crypto_alg_by_sadb(enum crypto_kind kind, unsigned sadb_id)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (kind_matches(kind, algs[i].kind) && algs[i].sadb_id == sadb_id)
			return &algs[i];
	return NULL;
}

const struct crypto_alg *crypto_alg_at(unsigned i)
{
	return i < sizeof(algs) / sizeof(algs[0]) ? &algs[i] : NULL;
}

int crypto_alg_check_key(const struct crypto_alg *alg, size_t key_len, const char **why)
{
	static const char *const msg_zero = "this algorithm takes no key";
	size_t bits = key_len * 8;

	if (alg->key_max_bits == 0) {
		if (key_len == 0)
			return 0;
		*why = msg_zero;
		return -EINVAL;
	}
	if (bits >= alg->key_min_bits && bits <= alg->key_max_bits &&
	    (bits - alg->key_min_bits) % alg->key_step_bits == 0)
		return 0;
	switch (alg->impl) {
	case CRYPTO_IMPL_GCM:
	case CRYPTO_IMPL_CTR:
		*why = "key must be 160, 224 or 288 bits (AES key + 32-bit salt)";
		break;
	case CRYPTO_IMPL_CHACHAPOLY:
		*why = "key must be 288 bits (256-bit key + 32-bit salt)";
		break;
	case CRYPTO_IMPL_HMAC:
	case CRYPTO_IMPL_XCBC:
		*why = "key length must equal the algorithm's (md5 128, sha1 160, sha256 256, "
		       "sha384 384, sha512 512, ripemd160 160, xcbc 128 bits)";
		break;
	default:
		*why = alg->key_min_bits == alg->key_max_bits ?
		       "key has the wrong length for this cipher (des 64, 3des 192 bits)" :
		       alg->gcry_algo == GCRY_CIPHER_TWOFISH128 ? "key must be 128 or 256 bits" :
		       alg->gcry_algo == GCRY_CIPHER_CAST5 ? "key must be 88..128 bits" :
		       alg->gcry_algo == GCRY_CIPHER_BLOWFISH ? "key must be 40..448 bits" :
		       "key must be 128, 192 or 256 bits";
	}
	return -EINVAL;
}

bool crypto_memeq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void crypto_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}
