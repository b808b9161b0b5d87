/*
 * ipcomp_input on arbitrary bytes, and ipcomp_output -> ipcomp_input round
 * trips. Byte 0: bit 7 picks the mode (0: the rest is an IPComp packet;
 * 1: the rest is a payload, compressed then decompressed, which must come
 * back unchanged), bits 0-5 times 8 the bytes of headers in front of it
 * (nh set when non-zero), which move the 65535 limit and the headroom.
 * Every path must return a valid code, keep the headers and offsets, never
 * read outside the packet and leak no packet (aborts otherwise).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/stack.h"
#include "xfrm/ipcomp.h"

static struct stack *st;
static struct crypto_comp *z;

static struct pkt *make(const uint8_t *data, size_t size, size_t hl)
{
	struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM + hl, size);

	if (!p)
		abort();
	memcpy(pkt_put(p, size), data, size);
	if (hl) {
		p->nh = (int32_t)PKT_HEADROOM;
		memset(pkt_nh(p), 0x60, hl);
	}
	return p;
}

static bool headers_kept(const struct pkt *p, size_t hl)
{
	for (size_t i = 0; i < hl; i++)
		if (pkt_nh(p)[i] != 0x60)
			return false;
	return true;
}

static void input(const uint8_t *data, size_t size, size_t hl)
{
	struct pkt *p = make(data, size, hl), *old = p;
	int32_t nh = p->nh;
	int rc = ipcomp_input(st, z, &p);

	if (rc >= 0 && (rc > 255 || p->len > IPCOMP_MAX_DATAGRAM - hl ||
			pkt_headroom(p) != PKT_HEADROOM + hl || p->nh != nh))
		abort();
	if (rc < 0 && (p != old || (rc != -EINVAL && rc != -EBADMSG && rc != -EMSGSIZE &&
				    rc != -ENOMEM)))
		abort();
	if (!headers_kept(p, hl))
		abort();
	ipcomp_count_input(st, rc);
	pkt_free(p);
}

static void roundtrip(const uint8_t *data, size_t size, size_t hl)
{
	struct pkt *p = make(data, size, hl);
	int rc = ipcomp_output(z, 0x1234, p, 17, 0);

	if (rc == 1) {
		if (p->len >= size || ipcomp_input(st, z, &p) != 17)
			abort();
	} else if (rc != 0) {
		abort();
	}
	if (p->len != size || memcmp(p->data, data, size))
		abort();
	pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hl;

	if (!st) {
		struct usagi_stack_config cfg = { .name = "fuzz-ipcomp", .seed = 1, .now = NS_PER_SEC };

		st = usagi_stack_new(&cfg);
		z = crypto_comp_new(6);
		if (!st || !z)
			abort();
		usagi_stack_set_log_level(st, 0);
	}
	if (size < 1)
		return 0;
	hl = (size_t)(data[0] & 0x3f) * 8;
	if (data[0] & 0x80)
		roundtrip(data + 1, size - 1, hl);
	else
		input(data + 1, size - 1, hl);
	if (pkt_pool_in_use(st->pool))
		abort();
	return 0;
}
