/*
 * ESP encapsulation/decapsulation against raw libgcrypt doing the same
 * cryptographic work (same cipher, same bytes encrypted and authenticated,
 * handles keyed once) on the same size, in the same run
 * (bench_crypto_base.h). Decapsulation restores the packet with a memcpy
 * each round (it decrypts in place); the baseline does the same memcpy so
 * the ratio compares like with like. Best of 3 runs of ~100 ms each.
 */
#include <stdio.h>

#include "bench_crypto_base.h"

/* One line: the codec against the raw baseline (@dec: decapsulation). */
static void compare(const struct bench_alg *c, struct bench_esp_run *r, bool dec)
{
	struct bench_raw raw;
	struct bench_fn f[2] = { { dec ? bench_esp_decap_one : bench_esp_encap_one, r },
				 { bench_raw_one, &raw } };
	double esp, base;

	if (bench_raw_open(&raw, c, bench_esp_hdr(r), bench_esp_ct_len(r), dec, r->sealed,
			   r->sealed_len) < 0) {
		fprintf(stderr, "bench_esp: libgcrypt refused %s\n", c->base);
		exit(1);
	}
	bench_best(f, 2, 3);
	esp = f[0].best;
	base = f[1].best;
	printf("bench esp-%s-%s-%zu %.3f Mpps baseline gcrypt-%s-%zu %.3f ratio %.2f\n",
	       dec ? "decap" : "encap", c->name, r->size, esp / 1e6, c->base, r->size, base / 1e6,
	       esp / base);
	fflush(stdout);
	bench_raw_close(&raw);
}

int main(void)
{
	static const size_t sizes[] = { 64, 512, 1420 };
	static struct bench_esp_run r;

	if (crypto_init())
		return 1;
	for (size_t i = 0; i < BENCH_NALGS; i++) {
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			if (bench_esp_open(&r, &bench_algs[i], sizes[j]) < 0) {
				fprintf(stderr, "bench_esp: cannot set up %s\n", bench_algs[i].name);
				return 1;
			}
			compare(&bench_algs[i], &r, false);
			compare(&bench_algs[i], &r, true);
			bench_esp_close(&r);
		}
	}
	return 0;
}
