/*
 * esp_peek/esp_decap on arbitrary bytes. The first input byte picks the SA
 * (algorithm pair, ESN); the rest is the ESP packet. Keys are fixed, so the
 * fuzzer reaches padding/trailer checks only through the null-auth SAs;
 * every path must end in a valid return without touching memory outside
 * the packet.
 */
#include <stdint.h>
#include <stddef.h>

#include "core/pkt.h"
#include "xfrm/esp.h"

static const struct { const char *enc, *auth; size_t ek, ak; } sas[] = {
	{ "aes-cbc", NULL, 16, 0 }, { "aes-cbc", "hmac-sha1", 16, 20 },
	{ "aes-gcm-16", NULL, 20, 0 }, { "aes-ctr", NULL, 20, 0 },
	{ "null", "hmac-sha256", 0, 32 }, { "chacha20-poly1305", NULL, 36, 0 },
	{ "3des-cbc", NULL, 24, 0 }, { "aes-gcm-8", NULL, 20, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[64] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct esp_sa_params sa = { .spi = 1 };
	uint32_t spi, seq;
	struct pkt *p;
	size_t i;

	if (size < 1)
		return 0;
	i = data[0] % (sizeof(sas) / sizeof(sas[0]));
	sa.esn = data[0] & 0x80;
	if (crypto_ctx_new(&sa.c, crypto_alg_by_name(CRYPTO_ENC, sas[i].enc), key, sas[i].ek,
			   sas[i].auth ? crypto_alg_by_name(CRYPTO_AUTH, sas[i].auth) : NULL,
			   key, sas[i].ak, NULL))
		return 0;
	p = pkt_from_bytes(NULL, data + 1, size - 1);
	if (p) {
		if (esp_peek(p, &spi, &seq) == 0)
			(void)esp_decap(&sa, p, seq);
		pkt_free(p);
	}
	crypto_ctx_free(sa.c);
	return 0;
}
