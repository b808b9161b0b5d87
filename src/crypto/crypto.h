/*
 * IPsec algorithms over libgcrypt: the algorithm table (names as setkey and
 * Linux spell them, PF_KEY ids, key/IV/ICV/salt sizes) and an opaque per-SA
 * context that holds the keyed libgcrypt handles.
 *
 * A context is used by one thread at a time (the worker owning the SA): the
 * per-packet calls set IVs on its handles and advance its IV generator.
 * Key material lives only inside the context and in the caller's buffers;
 * nothing here logs it. crypto_ctx_free() wipes it.
 */
#ifndef USAGI_CRYPTO_CRYPTO_H
#define USAGI_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PF_KEY algorithm ids (SADB_AALG_*, SADB_EALG_*, SADB_X_CALG_*): the wire header owns them. */
#include "usagi/pfkeyv2.h"

enum crypto_kind {
	CRYPTO_ENC,     /* cipher only (ESP needs an auth alg beside it, or null) */
	CRYPTO_AUTH,    /* integrity (ESP ICV, AH) */
	CRYPTO_AEAD,    /* combined mode: no separate auth alg allowed */
	CRYPTO_COMP,    /* IPComp */
};

/* How an algorithm is implemented (crypto internal; tests may look). */
enum crypto_impl {
	CRYPTO_IMPL_NULL_ENC, CRYPTO_IMPL_CBC, CRYPTO_IMPL_CTR, CRYPTO_IMPL_GCM,
	CRYPTO_IMPL_CHACHAPOLY, CRYPTO_IMPL_NULL_AUTH, CRYPTO_IMPL_HMAC,
	CRYPTO_IMPL_XCBC, CRYPTO_IMPL_DEFLATE,
};

#define CRYPTO_MAX_ALIASES 4
#define CRYPTO_MAX_KEY 64       /* bytes, the longest key (hmac-sha512; blowfish 56) */
#define CRYPTO_MAX_IV 16
#define CRYPTO_MAX_ICV 32
#define CRYPTO_MAX_BLOCK 16

struct crypto_alg {
	const char *name;                            /* as setkey spells it */
	const char *aliases[CRYPTO_MAX_ALIASES];     /* Linux/iproute2 names; NULL-terminated */
	enum crypto_kind kind;
	enum crypto_impl impl;
	uint8_t sadb_id;         /* SADB_EALG_*, SADB_AALG_*, SADB_X_CALG_* by kind */
	/* Key length in bits, salt included: min..max in steps of key_step. */
	uint16_t key_min_bits, key_max_bits, key_step_bits;
	uint8_t block;           /* ESP padding alignment (RFC 4303 2.4), 4 for stream/AEAD */
	uint8_t iv_len;          /* IV bytes on the wire */
	uint8_t icv_len;         /* ICV bytes (auth and AEAD) */
	uint8_t salt_len;        /* taken from the end of the key (RFC 3686/4106/7634) */
	int gcry_algo;           /* GCRY_CIPHER_* / GCRY_MAC_*; 0 for null/deflate */
};

/*
 * Initialises libgcrypt once per process (gcry_check_version and
 * initialisation-finished). Safe to call repeatedly; crypto_ctx_new calls it.
 * 0, or -ENOTSUP when the library is too old.
 */
int crypto_init(void);

/*
 * Algorithm lookup. @kind CRYPTO_ENC finds ciphers and AEADs (setkey's -E
 * takes both); CRYPTO_AUTH integrity; CRYPTO_COMP compression. @name is the
 * setkey name or an alias, case-sensitive. NULL when unknown.
 */
const struct crypto_alg *crypto_alg_by_name(enum crypto_kind kind, const char *name);
const struct crypto_alg *crypto_alg_by_sadb(enum crypto_kind kind, unsigned sadb_id);
/* The table, for listing: entry @i, NULL past the end. */
const struct crypto_alg *crypto_alg_at(unsigned i);

/*
 * Checks @key_len (bytes) against @alg. 0, or -EINVAL with *@why set to a
 * fixed message (no key bytes in it), e.g. "aes-cbc: key must be 128, 192
 * or 256 bits".
 */
int crypto_alg_check_key(const struct crypto_alg *alg, size_t key_len, const char **why);

struct crypto_ctx;

/*
 * A per-SA context. @enc: a CRYPTO_ENC or CRYPTO_AEAD alg (required; use
 * "null" for none); @auth: a CRYPTO_AUTH alg or NULL (== "null"). Keys are
 * copied. For CTR/GCM/ChaCha20-Poly1305 the last salt_len bytes of @ekey are
 * the salt. Returns 0 and *@out, or:
 *   -EINVAL  wrong key length, AEAD with an auth alg, null+null, wrong kinds,
 *            weak DES key; *@why says which (never key bytes);
 *   -ENOMEM, -EIO (libgcrypt refused).
 * Seeds the CBC IV generator from gcry_create_nonce (once, here).
 */
int crypto_ctx_new(struct crypto_ctx **out,
		   const struct crypto_alg *enc, const void *ekey, size_t ekey_len,
		   const struct crypto_alg *auth, const void *akey, size_t akey_len,
		   const char **why);
/* Closes the handles and wipes every key byte and the context. NULL is fine. */
void crypto_ctx_free(struct crypto_ctx *c);

/*
 * What the packet codecs ask of a context for every packet, fixed when it
 * is made. A context begins with it (crypto_priv.h asserts so), which lets
 * crypto_ctx_geom read it inline instead of through four calls per packet.
 */
struct crypto_geom {
	uint8_t iv_len;          /* IV bytes on the wire */
	uint8_t icv_len;         /* auth ICV or AEAD tag, 0 without integrity */
	uint8_t block;           /* ESP padding alignment */
	bool aead;
};

/* @c's geometry (valid while @c lives). */
static inline const struct crypto_geom *crypto_ctx_geom(const struct crypto_ctx *c)
{
	return (const struct crypto_geom *)(const void *)c;
}

const struct crypto_alg *crypto_ctx_enc(const struct crypto_ctx *c);
const struct crypto_alg *crypto_ctx_auth(const struct crypto_ctx *c);  /* NULL: none */
unsigned crypto_ctx_iv_len(const struct crypto_ctx *c);
unsigned crypto_ctx_icv_len(const struct crypto_ctx *c);   /* auth ICV or AEAD tag */
unsigned crypto_ctx_block(const struct crypto_ctx *c);     /* padding alignment */
bool crypto_ctx_is_aead(const struct crypto_ctx *c);

/*
 * The IV for the packet with sequence number @seq, iv_len bytes into @iv.
 * CTR/GCM/ChaCha20-Poly1305: @seq big-endian (RFC 3686 3.1, 4106 3.1, 7634 2:
 * unique per key is all they need). CBC: the next output of the SA's keyed
 * generator (AES-ECB under a random per-SA key over a counter), which is
 * unpredictable as RFC 4303 3.3.2 / RFC 3602 2.4 require.
 */
void crypto_next_iv(struct crypto_ctx *c, uint64_t seq, uint8_t *iv);

/*
 * Encrypts @len bytes at @buf in place with @iv (iv_len bytes). For an AEAD,
 * @aad/@aad_len are authenticated and the tag (icv_len bytes) is written to
 * @icv; otherwise @aad and @icv are ignored. @len must be a multiple of the
 * cipher block for CBC. 0, -EINVAL (length), -EIO (libgcrypt).
 */
int crypto_encrypt(struct crypto_ctx *c, const uint8_t *iv,
		   const uint8_t *aad, size_t aad_len,
		   uint8_t *buf, size_t len, uint8_t *icv);
/*
 * Decrypts in place. For an AEAD, checks @icv in constant time: -EBADMSG on
 * mismatch (the buffer then holds garbage and must be dropped).
 */
int crypto_decrypt(struct crypto_ctx *c, const uint8_t *iv,
		   const uint8_t *aad, size_t aad_len,
		   uint8_t *buf, size_t len, const uint8_t *icv);

/* Integrity (non-AEAD): ICV (icv_len bytes, truncated) over @len bytes at @data. */
int crypto_auth(struct crypto_ctx *c, const uint8_t *data, size_t len, uint8_t *icv);
/* 0 if @icv matches (constant-time compare), -EBADMSG if not. */
int crypto_auth_verify(struct crypto_ctx *c, const uint8_t *data, size_t len,
		       const uint8_t *icv);

/* One piece of a MAC input: @len bytes at @base (crypto_auth_v). */
struct crypto_iov {
	const void *base;
	size_t len;
};

/*
 * crypto_auth / crypto_auth_verify over the concatenation of @n pieces,
 * none of them copied: for an ICV over data that is not contiguous (AH: a
 * header copy with mutable fields zeroed, the payload in place, ESN high
 * bits). HMAC and AES-XCBC-MAC alike; same results and errors as the
 * one-buffer calls on the concatenated bytes.
 */
int crypto_auth_v(struct crypto_ctx *c, const struct crypto_iov *v, size_t n, uint8_t *icv);
int crypto_auth_verify_v(struct crypto_ctx *c, const struct crypto_iov *v, size_t n,
			 const uint8_t *icv);

/* Constant-time equality of @n bytes. */
bool crypto_memeq(const void *a, const void *b, size_t n);
/* Wipes @n bytes so the compiler cannot drop it. */
void crypto_wipe(void *p, size_t n);

/*
 * Raw one-shot helpers for tests and the benchmark baseline: HMAC/XCBC of
 * @len bytes under @key into @out (full untruncated length returned in *@out_len).
 */
int crypto_mac_oneshot(const struct crypto_alg *alg, const void *key, size_t key_len,
		       const void *data, size_t len, uint8_t *out, size_t *out_len);

/*
 * Deflate (IPComp, RFC 2394/3173: raw RFC 1951 stream, no zlib header).
 * A compressor/decompressor pair, created per SA.
 */
struct crypto_comp;
struct crypto_comp *crypto_comp_new(int level);   /* NULL on ENOMEM */
void crypto_comp_free(struct crypto_comp *z);
/* Bytes written to @out, or -ENOSPC when the result does not fit in @out_max
 * (IPComp then sends the packet uncompressed). */
int crypto_compress(struct crypto_comp *z, const void *in, size_t len,
		    void *out, size_t out_max);
/* Bytes written, -EMSGSIZE when the output would exceed @out_max, -EBADMSG
 * on a corrupt stream. */
int crypto_decompress(struct crypto_comp *z, const void *in, size_t len,
		      void *out, size_t out_max);

#endif
