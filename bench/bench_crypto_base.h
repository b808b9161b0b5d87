/*
 * What the ESP benchmarks compare against (bench_esp.c: the codec,
 * bench_ipsec.c: the whole packet path): raw libgcrypt doing ESP's
 * cryptographic work for the same algorithm and size, measured in the
 * same run (DESIGN.md, Benchmarks). The raw side keys its handles once
 * and does only what ESP must: an AEAD over the ciphertext with the
 * 8-byte ESP header as AAD, or CBC encryption plus an HMAC over header,
 * IV and ciphertext. Its decapsulation first copies the sealed packet in,
 * as the benchmarks' decapsulation must (it decrypts in place).
 *
 * Also what both use around it: the timing loop (packets per second of a
 * callback, best of several runs of at least 100 ms: the machines are
 * shared and noisy) and the ESP codec alone on one packet (bench_esp's
 * measure, bench_ipsec's codec stage).
 */
#ifndef USAGI_BENCH_CRYPTO_BASE_H
#define USAGI_BENCH_CRYPTO_BASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gcrypt.h>

#include "core/pkt.h"
#include "crypto/crypto.h"
#include "xfrm/esp.h"

/* An ESP algorithm and its raw libgcrypt counterpart. */
struct bench_alg {
	const char *name, *base;   /* bench line names: ours, the baseline's */
	const char *enc, *auth;    /* crypto.h (setkey) names; auth NULL for AEADs */
	size_t eklen, aklen;       /* key bytes (salt included) */
	int galgo, gmode, mac;     /* libgcrypt cipher, mode, MAC (0: AEAD) */
};

static const struct bench_alg bench_algs[] = {
	{ "aes-gcm-16", "aes-gcm", "aes-gcm-16", NULL, 20, 0, GCRY_CIPHER_AES,
	  GCRY_CIPHER_MODE_GCM, 0 },
	{ "aes-cbc-hmac-sha1", "aes-cbc-hmac-sha1", "aes-cbc", "hmac-sha1", 16, 20,
	  GCRY_CIPHER_AES, GCRY_CIPHER_MODE_CBC, GCRY_MAC_HMAC_SHA1 },
	{ "aes-cbc-hmac-sha256", "aes-cbc-hmac-sha256", "aes-cbc", "hmac-sha256", 16, 32,
	  GCRY_CIPHER_AES, GCRY_CIPHER_MODE_CBC, GCRY_MAC_HMAC_SHA256 },
	{ "chacha20-poly1305", "chacha20-poly1305", "chacha20-poly1305", NULL, 36, 0,
	  GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0 },
};
#define BENCH_NALGS (sizeof(bench_algs) / sizeof(bench_algs[0]))
#define BENCH_KEY_MAX 64

/* The key bytes every benchmark SA uses: 1, 2, 3, ... */
static inline void bench_key(uint8_t k[BENCH_KEY_MAX])
{
	for (size_t i = 0; i < BENCH_KEY_MAX; i++)
		k[i] = (uint8_t)(i + 1);
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Calls per second of @fn(@ctx) over one run of at least 100 ms. */
static inline double bench_run(void (*fn)(void *ctx), void *ctx)
{
	uint64_t t0 = bench_now_ns(), t;
	unsigned n = 0;

	do {
		for (int i = 0; i < 256; i++)
			fn(ctx);
		n += 256;
		t = bench_now_ns() - t0;
	} while (t < 100000000ull);
	return n / (t / 1e9);
}

/* One measure: a callback, its context, and its best calls per second. */
struct bench_fn {
	void (*fn)(void *ctx);
	void *ctx;
	double best;
};

/*
 * Best of @runs runs of each of the @n measures, the runs taken in turn
 * (run 1 of every measure, then run 2, ...), so a slow spell of the
 * machine hits them all alike and their ratios hold.
 */
static inline void bench_best(struct bench_fn *f, unsigned n, int runs)
{
	for (unsigned i = 0; i < n; i++)
		f[i].best = 0;
	for (int k = 0; k < runs; k++) {
		for (unsigned i = 0; i < n; i++) {
			double v = bench_run(f[i].fn, f[i].ctx);

			if (v > f[i].best)
				f[i].best = v;
		}
	}
}

/* The raw libgcrypt side: one cipher handle (+ HMAC), keyed once. */
struct bench_raw {
	gcry_cipher_hd_t h;
	gcry_mac_hd_t m;
	const struct bench_alg *alg;
	size_t hdr;               /* ESP header + IV bytes also covered by the MAC */
	size_t ct_len;            /* bytes encrypted (payload, padding, trailer) */
	size_t copy_len;          /* decapsulation: bytes copied in first */
	bool dec;
	uint8_t *buf;             /* hdr + ct_len + ICV */
	const uint8_t *src;       /* copy_len bytes */
};

/* Same work as ESP: AEAD over ct with 8-byte AAD, or CBC + HMAC over hdr+ct. */
static inline void bench_raw_op(struct bench_raw *r, uint8_t *buf, bool enc)
{
	static const uint8_t iv[16] = { 1 };
	uint8_t tag[64];
	size_t tl = sizeof(tag);

	gcry_cipher_setiv(r->h, iv, r->alg->mac ? 16 : 12);
	if (!r->alg->mac) {
		gcry_cipher_authenticate(r->h, buf, 8);
		if (enc)
			gcry_cipher_encrypt(r->h, buf + r->hdr, r->ct_len, NULL, 0);
		else
			gcry_cipher_decrypt(r->h, buf + r->hdr, r->ct_len, NULL, 0);
		gcry_cipher_gettag(r->h, tag, 16);
		if (!enc)
			crypto_memeq(tag, buf + r->hdr + r->ct_len, 16);
		return;
	}
	if (enc)
		gcry_cipher_encrypt(r->h, buf + r->hdr, r->ct_len, NULL, 0);
	gcry_mac_reset(r->m);
	gcry_mac_write(r->m, buf, r->hdr + r->ct_len);
	gcry_mac_read(r->m, tag, &tl);
	if (!enc) {
		crypto_memeq(tag, buf + r->hdr + r->ct_len, 12);
		gcry_cipher_decrypt(r->h, buf + r->hdr, r->ct_len, NULL, 0);
	}
}

/* One raw encapsulation or decapsulation (a bench_run callback). */
static inline void bench_raw_one(void *ctx)
{
	struct bench_raw *r = ctx;

	if (r->dec)
		memcpy(r->buf, r->src, r->copy_len);
	bench_raw_op(r, r->buf, !r->dec);
}

/*
 * Opens @r for @alg: @hdr bytes of header + IV, @ct_len bytes encrypted;
 * @dec: decapsulation, copying @copy_len bytes from @src in first (NULL:
 * a zeroed source of that size). Returns 0 or -1.
 */
static inline int bench_raw_open(struct bench_raw *r, const struct bench_alg *alg, size_t hdr,
				 size_t ct_len, bool dec, const uint8_t *src, size_t copy_len)
{
	uint8_t k[BENCH_KEY_MAX];

	memset(r, 0, sizeof(*r));
	bench_key(k);
	r->alg = alg;
	r->hdr = hdr;
	r->ct_len = ct_len;
	r->dec = dec;
	r->copy_len = copy_len;
	r->buf = calloc(1, hdr + ct_len + 64 + copy_len);
	r->src = src ? src : r->buf + hdr + ct_len + 64;
	if (!r->buf || gcry_cipher_open(&r->h, alg->galgo, alg->gmode, 0) ||
	    gcry_cipher_setkey(r->h, k, alg->galgo == GCRY_CIPHER_CHACHA20 ? 32 : 16))
		return -1;
	if (alg->mac && (gcry_mac_open(&r->m, alg->mac, 0, NULL) ||
			 gcry_mac_setkey(r->m, k, alg->aklen)))
		return -1;
	return 0;
}

static inline void bench_raw_close(struct bench_raw *r)
{
	gcry_cipher_close(r->h);
	if (r->m)
		gcry_mac_close(r->m);
	free(r->buf);
}

/* The ESP codec alone: one packet encapsulated, or restored and decapsulated, per call. */
struct bench_esp_run {
	struct esp_sa_params sa;
	struct pkt *p;
	uint8_t sealed[2048];     /* an encapsulated packet, for decap */
	size_t size, sealed_len;
	uint64_t seq;
};

static inline void bench_esp_encap_one(void *ctx)
{
	struct bench_esp_run *r = ctx;

	r->p->data = r->p->head + 64;
	r->p->len = (uint32_t)r->size;
	esp_encap(&r->sa, r->p, 4, ++r->seq);
}

static inline void bench_esp_decap_one(void *ctx)
{
	struct bench_esp_run *r = ctx;

	r->p->data = r->p->head + 64;
	r->p->len = (uint32_t)r->sealed_len;
	memcpy(r->p->data, r->sealed, r->sealed_len);
	esp_decap(&r->sa, r->p, 0);
}

/* An SA of @alg (key bench_key) and one @size-byte payload sealed with it. 0 or -1. */
static inline int bench_esp_open(struct bench_esp_run *r, const struct bench_alg *alg, size_t size)
{
	uint8_t k[BENCH_KEY_MAX];

	memset(r, 0, sizeof(*r));
	bench_key(k);
	r->sa.spi = 0x100;
	r->size = size;
	if (size > sizeof(r->sealed) - 128 ||
	    crypto_ctx_new(&r->sa.c, crypto_alg_by_name(CRYPTO_ENC, alg->enc), k, alg->eklen,
			   alg->auth ? crypto_alg_by_name(CRYPTO_AUTH, alg->auth) : NULL, k,
			   alg->aklen, NULL))
		return -1;
	r->p = pkt_alloc(NULL, 64, size + 128);
	if (!r->p)
		return -1;
	memset(pkt_put(r->p, size), 0x42, size);
	if (esp_encap(&r->sa, r->p, 4, 1))
		return -1;
	r->sealed_len = r->p->len;
	memcpy(r->sealed, r->p->data, r->p->len);
	return 0;
}

/* Bytes of ESP header + IV, and bytes encrypted, for the open run's size. */
static inline size_t bench_esp_hdr(const struct bench_esp_run *r)
{
	return esp_encap_headroom(&r->sa);
}

static inline size_t bench_esp_ct_len(const struct bench_esp_run *r)
{
	return r->size + esp_encap_tailroom(&r->sa, r->size) - crypto_ctx_icv_len(r->sa.c);
}

static inline void bench_esp_close(struct bench_esp_run *r)
{
	pkt_free(r->p);
	crypto_ctx_free(r->sa.c);
}

#endif
