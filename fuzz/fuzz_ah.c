/*
 * ah_peek/ah_input/ah_output on arbitrary bytes. Input: one byte that picks
 * the SA (bits 0-1: hmac-sha1, hmac-sha256, hmac-md5 with the keys of
 * tests/vectors/gen_ah_scapy.py, or aes-xcbc-mac; bit 2: ESN; bit 3: the
 * Home Address option already swapped; bits 4-7: the ESN high bits), two
 * bytes of AH offset (big-endian), then the IPv6 or IPv4 packet. The SAs
 * are made once per process; the seed corpus holds scapy packets that
 * verify, so the fuzzer starts from the accepting path. Every input must
 * end in a valid return without reading or writing outside the packet.
 */
#include <stdint.h>
#include <stddef.h>

#include "core/pkt.h"
#include "xfrm/ah.h"

static const struct { const char *alg; uint8_t first; size_t klen; } sas[] = {
	{ "hmac-sha1", 0x01, 20 }, { "hmac-sha256", 0x20, 32 },
	{ "hmac-md5", 0x40, 16 }, { "aes-xcbc-mac", 0x60, 16 },
};

static struct crypto_ctx *ctxs[4];

static struct crypto_ctx *ctx_for(unsigned i)
{
	uint8_t key[32];

	if (!ctxs[i]) {
		for (size_t k = 0; k < sas[i].klen; k++)
			key[k] = (uint8_t)(sas[i].first + k);
		if (crypto_ctx_new(&ctxs[i], crypto_alg_by_name(CRYPTO_ENC, "null"), NULL, 0,
				   crypto_alg_by_name(CRYPTO_AUTH, sas[i].alg), key, sas[i].klen,
				   NULL))
			return NULL;
	}
	return ctxs[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ah_sa_params sa = { .spi = 0x1000 };
	uint32_t spi, seq_lo;
	size_t ahoff, cut;
	struct pkt *p;
	uint8_t sel;

	if (size < 3)
		return 0;
	sel = data[0];
	sa.esn = sel & 4;
	sa.c = ctx_for(sel & 3);
	ahoff = (size_t)data[1] << 8 | data[2];
	if (!sa.c)
		return 0;
	p = pkt_from_bytes(NULL, data + 3, size - 3);
	if (!p)
		return 0;
	if (ah_peek(p, ahoff, &spi, &seq_lo) == 0)
		(void)ah_input_flags(&sa, p, ahoff, sel >> 4, (sel & 8) ? AH_IN_HAO_SWAPPED : 0,
				     &cut);
	/* Output writes only the AH header, and only into the packet. */
	(void)ah_output(&sa, p, ahoff, 59, (uint64_t)(sel >> 4) << 32 | 1);
	pkt_free(p);
	return 0;
}
