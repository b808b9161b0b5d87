/* Deflate for IPComp (RFC 2394, 3173) over libdeflate: raw RFC 1951 streams. */
#include "crypto/crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <libdeflate.h>

struct crypto_comp {
	struct libdeflate_compressor *c;
	struct libdeflate_decompressor *d;
};

struct crypto_comp *crypto_comp_new(int level)
{
	struct crypto_comp *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->c = libdeflate_alloc_compressor(level);
	z->d = libdeflate_alloc_decompressor();
	if (!z->c || !z->d) {
		crypto_comp_free(z);
		return NULL;
	}
	return z;
}

void crypto_comp_free(struct crypto_comp *z)
{
	if (!z)
		return;
	if (z->c)
		libdeflate_free_compressor(z->c);
	if (z->d)
		libdeflate_free_decompressor(z->d);
	free(z);
}

int crypto_compress(struct crypto_comp *z, const void *in, size_t len,
		    void *out, size_t out_max)
{
	size_t n;

	if (len > INT_MAX || out_max > INT_MAX)
		return -EINVAL;
	n = libdeflate_deflate_compress(z->c, in, len, out, out_max);
	return n ? (int)n : -ENOSPC;
}

int crypto_decompress(struct crypto_comp *z, const void *in, size_t len,
		      void *out, size_t out_max)
{
	size_t n = 0;

	if (len > INT_MAX || out_max > INT_MAX)
		return -EINVAL;
	switch (libdeflate_deflate_decompress(z->d, in, len, out, out_max, &n)) {
	case LIBDEFLATE_SUCCESS:
		return (int)n;
	case LIBDEFLATE_INSUFFICIENT_SPACE:
		return -EMSGSIZE;
	default:
		return -EBADMSG;
	}
}
