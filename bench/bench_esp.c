/*
 * ESP encapsulation/decapsulation against raw libgcrypt doing the same
 * cryptographic work (same cipher, same bytes encrypted and authenticated,
 * handles keyed once) on the same size, in the same run. Decapsulation
 * restores the packet with a memcpy each round (it decrypts in place); the
 * baseline does the same memcpy so the ratio compares like with like.
 * Best of 3 runs of ~100 ms each.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <gcrypt.h>

#include "core/pkt.h"
#include "xfrm/esp.h"

struct cfg {
	const char *name, *base, *enc, *auth;
	size_t eklen, aklen;
	int galgo, gmode, mac;
};

static const struct cfg cfgs[] = {
	{ "aes-gcm-16", "aes-gcm", "aes-gcm-16", NULL, 20, 0, GCRY_CIPHER_AES,
	  GCRY_CIPHER_MODE_GCM, 0 },
	{ "aes-cbc-hmac-sha1", "aes-cbc-hmac-sha1", "aes-cbc", "hmac-sha1", 16, 20,
	  GCRY_CIPHER_AES, GCRY_CIPHER_MODE_CBC, GCRY_MAC_HMAC_SHA1 },
	{ "aes-cbc-hmac-sha256", "aes-cbc-hmac-sha256", "aes-cbc", "hmac-sha256", 16, 32,
	  GCRY_CIPHER_AES, GCRY_CIPHER_MODE_CBC, GCRY_MAC_HMAC_SHA256 },
	{ "chacha20-poly1305", "chacha20-poly1305", "chacha20-poly1305", NULL, 36, 0,
	  GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0 },
};

/* The raw libgcrypt side: one cipher handle (+ HMAC), keyed once. */
struct raw {
	gcry_cipher_hd_t h;
	gcry_mac_hd_t m;
	const struct cfg *cfg;
	size_t hdr;               /* ESP header + IV bytes also covered by the MAC */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Same work as ESP: AEAD over ct with 8-byte AAD, or CBC + HMAC over hdr+ct. */
static void raw_op(struct raw *r, uint8_t *buf, size_t ct_len, bool enc)
{
	static const uint8_t iv[16] = { 1 };
	uint8_t tag[64];
	size_t tl = sizeof(tag);

	gcry_cipher_setiv(r->h, iv, r->cfg->mac ? 16 : 12);
	if (!r->cfg->mac) {
		gcry_cipher_authenticate(r->h, buf, 8);
		if (enc)
			gcry_cipher_encrypt(r->h, buf + r->hdr, ct_len, NULL, 0);
		else
			gcry_cipher_decrypt(r->h, buf + r->hdr, ct_len, NULL, 0);
		gcry_cipher_gettag(r->h, tag, 16);
		if (!enc)
			crypto_memeq(tag, buf + r->hdr + ct_len, 16);
		return;
	}
	if (enc)
		gcry_cipher_encrypt(r->h, buf + r->hdr, ct_len, NULL, 0);
	gcry_mac_reset(r->m);
	gcry_mac_write(r->m, buf, r->hdr + ct_len);
	gcry_mac_read(r->m, tag, &tl);
	if (!enc) {
		crypto_memeq(tag, buf + r->hdr + ct_len, 12);
		gcry_cipher_decrypt(r->h, buf + r->hdr, ct_len, NULL, 0);
	}
}

struct run {
	struct esp_sa_params *sa;
	struct raw *raw;
	struct pkt *p;
	const uint8_t *sealed;    /* an encapsulated packet, for decap */
	size_t size, sealed_len, ct_len;
	uint64_t seq;
};

static void one(struct run *r, int what)
{
	switch (what) {
	case 0:           /* ESP encap */
		r->p->data = r->p->head + 64;
		r->p->len = (uint32_t)r->size;
		esp_encap(r->sa, r->p, 4, ++r->seq);
		break;
	case 1:           /* raw encap */
		raw_op(r->raw, r->p->head + 64, r->ct_len, true);
		break;
	case 2:           /* ESP decap */
		r->p->data = r->p->head + 64;
		r->p->len = (uint32_t)r->sealed_len;
		memcpy(r->p->data, r->sealed, r->sealed_len);
		esp_decap(r->sa, r->p, 0);
		break;
	default:          /* raw decap */
		memcpy(r->p->head + 64, r->sealed, r->sealed_len);
		raw_op(r->raw, r->p->head + 64, r->ct_len, false);
	}
}

/* Packets per second, best of 3. */
static double measure(struct run *r, int what)
{
	double best = 0;

	for (int k = 0; k < 3; k++) {
		uint64_t t0 = now_ns(), t;
		unsigned n = 0;

		do {
			for (int i = 0; i < 256; i++)
				one(r, what);
			n += 256;
			t = now_ns() - t0;
		} while (t < 100000000ull);
		if (n / (t / 1e9) > best)
			best = n / (t / 1e9);
	}
	return best;
}

static void raw_open(struct raw *r, const struct cfg *c, const uint8_t *k)
{
	r->cfg = c;
	gcry_cipher_open(&r->h, c->galgo, c->gmode, 0);
	gcry_cipher_setkey(r->h, k, c->galgo == GCRY_CIPHER_CHACHA20 ? 32 : 16);
	r->m = NULL;
	if (c->mac) {
		gcry_mac_open(&r->m, c->mac, 0, NULL);
		gcry_mac_setkey(r->m, k, c->aklen);
	}
}

static void bench_cfg(const struct cfg *c, size_t size)
{
	static uint8_t sealed[2048];
	uint8_t k[64];
	struct esp_sa_params sa = { .spi = 0x100 };
	struct raw raw;
	struct run r = { .sa = &sa, .raw = &raw, .size = size, .sealed = sealed };
	double esp, base;

	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(i + 1);
	crypto_ctx_new(&sa.c, crypto_alg_by_name(CRYPTO_ENC, c->enc), k, c->eklen,
		       c->auth ? crypto_alg_by_name(CRYPTO_AUTH, c->auth) : NULL, k, c->aklen, NULL);
	raw_open(&raw, c, k);
	raw.hdr = esp_encap_headroom(&sa);
	r.p = pkt_alloc(NULL, 64, size + 128);
	memset(pkt_put(r.p, size), 0x42, size);
	r.ct_len = size + esp_encap_tailroom(&sa, size) - crypto_ctx_icv_len(sa.c);
	esp_encap(&sa, r.p, 4, 1);
	r.sealed_len = r.p->len;
	memcpy(sealed, r.p->data, r.p->len);

	esp = measure(&r, 0);
	base = measure(&r, 1);
	printf("bench esp-encap-%s-%zu %.3f Mpps baseline gcrypt-%s-%zu %.3f ratio %.2f\n",
	       c->name, size, esp / 1e6, c->base, size, base / 1e6, esp / base);
	esp = measure(&r, 2);
	base = measure(&r, 3);
	printf("bench esp-decap-%s-%zu %.3f Mpps baseline gcrypt-%s-%zu %.3f ratio %.2f\n",
	       c->name, size, esp / 1e6, c->base, size, base / 1e6, esp / base);
	fflush(stdout);
	pkt_free(r.p);
	gcry_cipher_close(raw.h);
	if (raw.m)
		gcry_mac_close(raw.m);
	crypto_ctx_free(sa.c);
}

int main(void)
{
	static const size_t sizes[] = { 64, 512, 1420 };

	if (crypto_init())
		return 1;
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			bench_cfg(&cfgs[i], sizes[j]);
	return 0;
}
