/*
 * mh_parse on arbitrary bytes (RFC 6275 6.1, 6.2, 9.2). Input: one control
 * byte (bit 0: fill in the right checksum first, so most inputs get past
 * it; bits 1-7 and the next 4 octets vary the pseudo-header addresses),
 * then the Mobility Header. Asserts: the verdict is one of the four, a
 * Parameter Problem points at Payload Proto (0) or Header Len (1), every
 * refusal moved exactly one counter besides mh_in_msgs; an accepted
 * message rebuilds (mh_build, a multiple of 8, BAD last), re-parses to the
 * same struct and rebuilds to the same bytes.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/stack.h"
#include "mip6/mh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define HDR 5

static struct stack *st;

static void addrs(const uint8_t *d, struct in6_addr *src, struct in6_addr *dst)
{
	inet_pton(AF_INET6, "2001:db8:1::", src);
	inet_pton(AF_INET6, "2001:db8:2::", dst);
	src->s6_addr[7] = d[0] >> 1;
	memcpy(src->s6_addr + 14, d + 1, 2);
	memcpy(dst->s6_addr + 14, d + 3, 2);
}

static uint64_t mh_counters(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < STAT_MAX; i++)
		if (i != STAT_mh_in_msgs && !strncmp(stat_name(i), "mh_", 3) &&
		    i != STAT_mh_in_opt_unknown)
			sum += st->stats[i];
	return sum;
}

/* An accepted message: build, re-parse, rebuild; all the same. */
static void rebuild(const struct mh_msg *m, const struct in6_addr *src, const struct in6_addr *dst)
{
	static uint8_t b1[4096], b2[4096];
	struct mh_msg again;
	size_t auth_off = 0;
	uint32_t ptr;
	int n1, n2;

	n1 = mh_build(m, b1, sizeof(b1), &auth_off);
	CHECK(n1 >= 8 && n1 % 8 == 0 && b1[1] == n1 / 8 - 1);
	CHECK(!m->opt.has_auth || auth_off + MH_AUTH_LEN == (size_t)n1);
	mh_csum_set(b1, (size_t)n1, src, dst);
	CHECK(mh_parse(st, b1, (size_t)n1, src, dst, &again, &ptr) == MH_OK);
	if (m->opt.has_auth)
		CHECK(again.opt.auth_off == auth_off);
	again.opt.auth_off = m->opt.auth_off;
	CHECK(memcmp(&again, m, sizeof(again)) == 0);
	n2 = mh_build(&again, b2, sizeof(b2), NULL);
	CHECK(n2 == n1);
	mh_csum_set(b2, (size_t)n2, src, dst);
	CHECK(memcmp(b1, b2, (size_t)n1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1 };
	struct in6_addr src, dst;
	enum mh_verdict v;
	struct mh_msg m;
	uint8_t *mh;
	uint64_t before;
	size_t len;
	uint32_t ptr = 0xdead;

	if (size < HDR)
		return 0;
	if (!st) {
		st = usagi_stack_new(&cfg);
		CHECK(st);
	}
	addrs(data, &src, &dst);
	len = size - HDR;
	/* An exact-size copy, so ASan sees any read past the header. */
	mh = malloc(len ? len : 1);
	CHECK(mh);
	memcpy(mh, data + HDR, len);
	if ((data[0] & 1) && len >= MH_HDR_LEN)
		mh_csum_set(mh, len, &src, &dst);
	before = mh_counters();
	v = mh_parse(st, mh, len, &src, &dst, &m, &ptr);
	CHECK(v == MH_OK || v == MH_DROP || v == MH_PARAM_PROB || v == MH_UNKNOWN_TYPE);
	CHECK(mh_counters() == before + (v != MH_OK));
	if (v == MH_PARAM_PROB)
		CHECK(ptr == 0 || ptr == 1);
	else
		CHECK(ptr == 0xdead);
	if (v == MH_UNKNOWN_TYPE)
		CHECK(m.type > MH_TYPE_MAX);
	if (v == MH_OK)
		rebuild(&m, &src, &dst);
	free(mh);
	return 0;
}
