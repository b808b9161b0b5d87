/*
 * src/mip6/mh.c, the Mobility Header codec (RFC 6275 6.1, 6.2, 9.2):
 * round trips of every message with every set of options, exact wire bytes
 * read off the RFC figures, every malformed case with its verdict, pointer
 * and counter (and no other counter), Pad1/PadN combinations, the 6.2
 * alignments of built options, build errors, and random messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/stack.h"
#include "mip6/mh.h"

static struct stack *st;
static struct in6_addr src, dst;

static int setup(void **state)
{
	struct usagi_stack_config cfg = { .name = "mh", .seed = 1 };

	st = usagi_stack_new(&cfg);
	inet_pton(AF_INET6, "2001:db8:1::100", &src);
	inet_pton(AF_INET6, "2001:db8:3::3", &dst);
	return st ? 0 : -1;
}

static int teardown(void **state)
{
	usagi_stack_free(st);
	return 0;
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; *s && n < max; s++) {
		if (*s == ' ')
			continue;
		sscanf(s, "%2hhx", &out[n++]);
		s++;
	}
	return n;
}

/* Built and checksummed for src -> dst. */
static size_t build(const struct mh_msg *m, uint8_t *buf, size_t cap)
{
	int n = mh_build(m, buf, cap, NULL);

	assert_true(n > 0);
	mh_csum_set(buf, (size_t)n, &src, &dst);
	return (size_t)n;
}

/* Hex bytes with a correct checksum (whatever the hex says in its place). */
static size_t raw(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = unhex(hex, buf, cap);

	if (n >= MH_HDR_LEN)
		mh_csum_set(buf, n, &src, &dst);
	return n;
}

/* The mh_* counters, to check that exactly the expected ones moved. */
struct snap {
	uint64_t v[STAT_MAX];
};

static void snap_take(struct snap *s)
{
	memcpy(s->v, st->stats, sizeof(s->v));
}

/* Every mh_* counter but mh_in_msgs (+1) and @id (+@n) unchanged since @s. */
static void snap_check(const struct snap *s, int id, uint64_t n)
{
	for (unsigned i = 0; i < STAT_MAX; i++) {
		uint64_t want = s->v[i];

		if (strncmp(stat_name(i), "mh_", 3))
			continue;
		if (i == STAT_mh_in_msgs)
			want++;
		if ((int)i == id)
			want += n;
		if (st->stats[i] != want)
			fail_msg("%s: %llu, want %llu", stat_name(i),
				 (unsigned long long)st->stats[i], (unsigned long long)want);
	}
}

/* Parses @buf and checks verdict, pointer (PARAM_PROB) and the one counter that moves. */
static void expect(const uint8_t *buf, size_t len, enum mh_verdict v, uint32_t ptr, int id)
{
	struct mh_msg m;
	struct snap s;
	uint32_t got = 0xdead;

	snap_take(&s);
	assert_int_equal(mh_parse(st, buf, len, &src, &dst, &m, &got), v);
	if (v == MH_PARAM_PROB)
		assert_int_equal(got, ptr);
	else
		assert_int_equal(got, 0xdead);
	snap_check(&s, id, id >= 0 ? 1 : 0);
}

static void expect_hex(const char *hex, enum mh_verdict v, uint32_t ptr, int id)
{
	uint8_t buf[512];
	size_t n = raw(hex, buf, sizeof(buf));

	expect(buf, n, v, ptr, id);
}

/* Options each message carries (6.1.x), as has_* bits: BRA 1, AltCoA 2, Nonce 4, BAD 8. */
static const unsigned allowed[MH_TYPE_MAX + 1] = { [MH_BU] = 2 | 4 | 8, [MH_BA] = 1 | 8 };

static void fill(struct mh_msg *m, uint8_t type, unsigned opts, unsigned salt)
{
	/* Member by member on zeroes: padding and unused union octets stay 0, as mh_parse leaves them. */
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (type >= MH_HOTI && type <= MH_COTI) {
		for (int i = 0; i < MH_COOKIE_LEN; i++)
			m->hoti.cookie[i] = (uint8_t)(salt * 31 + i + 1);
	} else if (type >= MH_HOT && type <= MH_COT) {
		m->hot.nonce_idx = (uint16_t)(0x0102 + salt);
		for (int i = 0; i < MH_COOKIE_LEN; i++)
			m->hot.cookie[i] = (uint8_t)(salt * 31 + i + 3);
		for (int i = 0; i < MH_TOKEN_LEN; i++)
			m->hot.token[i] = (uint8_t)(salt * 17 + i + 0x0b);
	} else if (type == MH_BU) {
		m->bu.seq = (uint16_t)(0x1234 + salt);
		m->bu.flags = MH_BU_A | MH_BU_H;
		m->bu.lifetime = 0x0100;
	} else if (type == MH_BA) {
		m->ba.status = MH_BA_SEQ_OUT_OF_WINDOW;
		m->ba.flags = MH_BA_K;
		m->ba.seq = 0x4321;
		m->ba.lifetime = 0x0200;
	} else if (type == MH_BE) {
		m->be.status = MH_BE_UNKNOWN_MH;
		m->be.home = src;
	}
	m->opt.has_refresh = opts & 1;
	m->opt.refresh = opts & 1 ? 0x0102 : 0;
	m->opt.has_altcoa = opts & 2;
	if (opts & 2)
		m->opt.altcoa = dst;
	m->opt.has_nonce = opts & 4;
	m->opt.home_nonce_idx = opts & 4 ? 0x0a0b : 0;
	m->opt.coa_nonce_idx = opts & 4 ? 0x0c0d : 0;
	m->opt.has_auth = opts & 8;
	for (int i = 0; opts & 8 && i < MH_AUTH_LEN; i++)
		m->opt.auth[i] = (uint8_t)(0xa0 + i);
}

/* Walks built options: each known one sits at the 6.2 alignment, padding is well formed. */
static void check_alignment(const uint8_t *b, size_t len, size_t off)
{
	static const uint8_t mult[] = { 0, 0, 2, 8, 2, 8 }, rem[] = { 0, 0, 0, 6, 0, 2 };

	while (off < len) {
		uint8_t t = b[off];

		if (t == MH_OPT_PAD1) {
			off++;
			continue;
		}
		assert_true(off + 2 <= len && off + 2 + b[off + 1] <= len);
		assert_true(t <= MH_OPT_AUTH);
		if (t == MH_OPT_PADN)
			for (int i = 0; i < b[off + 1]; i++)
				assert_int_equal(b[off + 2 + i], 0);
		else
			assert_int_equal(off % mult[t], rem[t]);
		if (t == MH_OPT_AUTH)
			assert_int_equal(off + 2 + MH_AUTH_LEN, len);
		off += 2 + (size_t)b[off + 1];
	}
}

static const size_t fixed_len[MH_TYPE_MAX + 1] = { 8, 16, 16, 24, 24, 12, 12, 24 };

/* Every type with every subset of its options: build, parse back the same struct. */
static void test_round_trip(void **state)
{
	static const char *const names[] = { "BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE" };

	for (uint8_t type = 0; type <= MH_TYPE_MAX; type++) {
		for (unsigned opts = 0; opts < 16; opts++) {
			struct mh_msg m, got;
			uint8_t buf[128];
			size_t n, auth_off = 0;
			struct snap s;

			if (opts & ~allowed[type])
				continue;
			fill(&m, type, opts, opts);
			n = (size_t)mh_build(&m, buf, sizeof(buf), &auth_off);
			assert_int_equal(n % 8, 0);
			assert_int_equal(buf[0], 59);
			assert_int_equal(buf[1], n / 8 - 1);
			assert_int_equal(buf[2], type);
			assert_int_equal(get_be16(buf + MH_CSUM_OFF), 0);
			if (!opts)
				assert_int_equal(n, (fixed_len[type] + 7) / 8 * 8);
			check_alignment(buf, n, fixed_len[type]);
			mh_csum_set(buf, n, &src, &dst);
			snap_take(&s);
			assert_int_equal(mh_parse(st, buf, n, &src, &dst, &got, NULL), MH_OK);
			snap_check(&s, -1, 0);
			if (opts & 8) {
				assert_int_equal(auth_off + MH_AUTH_LEN, n);
				assert_int_equal(got.opt.auth_off, auth_off);
				m.opt.auth_off = (uint16_t)auth_off;
			}
			assert_memory_equal(&got, &m, sizeof(m));
			assert_string_equal(mh_type_name(type), names[type]);
		}
	}
	assert_string_equal(mh_type_name(8), "MH?");
	assert_string_equal(mh_type_name(255), "MH?");
}

/* Options not allowed in a message are built if asked but ignored on input (6.2). */
static void test_options_not_allowed_ignored(void **state)
{
	for (uint8_t type = 0; type <= MH_TYPE_MAX; type++) {
		unsigned extra = 15 & ~allowed[type];
		struct mh_msg m, got;
		uint8_t buf[128];
		size_t n;
		struct snap s;

		fill(&m, type, 15, 3);
		n = build(&m, buf, sizeof(buf));
		check_alignment(buf, n, fixed_len[type]);
		snap_take(&s);
		assert_int_equal(mh_parse(st, buf, n, &src, &dst, &got, NULL), MH_OK);
		snap_check(&s, STAT_mh_in_opt_unknown, (unsigned)__builtin_popcount(extra));
		assert_int_equal(got.opt.has_refresh, !(extra & 1));
		assert_int_equal(got.opt.has_altcoa, !(extra & 2));
		assert_int_equal(got.opt.has_nonce, !(extra & 4));
		assert_int_equal(got.opt.has_auth, !(extra & 8));
	}
}

/* Wire bytes of the RFC figures (6.1.2-6.1.9, 6.2.2-6.2.7), checksum left 0 by mh_build. */
static void test_wire_bytes(void **state)
{
	static const struct { unsigned opts; uint8_t type; const char *hex; } v[] = {
		{ 0, MH_BRR, "3b000000 0000 0000" },
		{ 0, MH_HOTI, "3b010100 0000 0000 0102030405060708" },
		{ 0, MH_COTI, "3b010200 0000 0000 0102030405060708" },
		{ 0, MH_HOT, "3b020300 0000 0102 030405060708090a 0b0c0d0e0f101112" },
		{ 0, MH_COT, "3b020400 0000 0102 030405060708090a 0b0c0d0e0f101112" },
		/* BU: Sequence, A|H, reserved, Lifetime; PadN(2) to 16 octets. */
		{ 0, MH_BU, "3b010500 0000 1234 c000 0100 0102 0000" },
		/* BU + Nonce Indices (2n at 12) + BAD (8n+2 at 18): the 32-octet RO BU. */
		{ 12, MH_BU, "3b030500 0000 1234 c000 0100 0404 0a0b0c0d"
			     " 050c a0a1a2a3a4a5a6a7a8a9aaab" },
		/* BU + AltCoA (8n+6: PadN(0) at 12, option at 14). */
		{ 2, MH_BU, "3b030500 0000 1234 c000 0100 0100 0310 20010db8000300000000000000000003" },
		/* Everything: AltCoA 14..32, Nonce 32..38, PadN(2) 38..42, BAD 42..56. */
		{ 14, MH_BU, "3b060500 0000 1234 c000 0100 0100 0310 20010db8000300000000000000000003"
			     " 0404 0a0b0c0d 0102 0000 050c a0a1a2a3a4a5a6a7a8a9aaab" },
		/* BA: Status 135, K, Sequence, Lifetime; + BRA (2n at 12). */
		{ 0, MH_BA, "3b010600 0000 8780 4321 0200 0102 0000" },
		{ 1, MH_BA, "3b010600 0000 8780 4321 0200 0202 0102" },
		/* BA + BRA + BAD: BRA 12..16, PadN(0) 16..18, BAD 18..32. */
		{ 9, MH_BA, "3b030600 0000 8780 4321 0200 0202 0102 0100 050c a0a1a2a3a4a5a6a7a8a9aaab" },
		{ 0, MH_BE, "3b020700 0000 0200 20010db8000100000000000000000100" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t want[128], got[128];
		size_t n = unhex(v[i].hex, want, sizeof(want));
		struct mh_msg m;

		fill(&m, v[i].type, v[i].opts, 0);
		assert_int_equal(mh_build(&m, got, sizeof(got), NULL), (int)n);
		assert_memory_equal(got, want, n);
	}
}

/* RFC 1071 by the book, over the pseudo-header of RFC 8200 8.1 with next header 135. */
static uint16_t naive_csum(const uint8_t *mh, size_t len)
{
	uint8_t blob[40 + 256] = { 0 };
	uint32_t sum = 0;

	memcpy(blob, &src, 16);
	memcpy(blob + 16, &dst, 16);
	put_be32(blob + 32, (uint32_t)len);
	blob[39] = 135;
	memcpy(blob + 40, mh, len);
	blob[40 + MH_CSUM_OFF] = blob[41 + MH_CSUM_OFF] = 0;
	for (size_t i = 0; i < 40 + len; i += 2)
		sum += get_be16(blob + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void test_checksum(void **state)
{
	for (uint8_t type = 0; type <= MH_TYPE_MAX; type++) {
		struct mh_msg m, got;
		uint8_t buf[128];
		size_t n;

		fill(&m, type, allowed[type], type);
		n = build(&m, buf, sizeof(buf));
		assert_int_equal(get_be16(buf + MH_CSUM_OFF), naive_csum(buf, n));
		/* Swapped addresses sum the same; another address does not. */
		assert_int_equal(mh_parse(st, buf, n, &dst, &src, &got, NULL), MH_OK);
		assert_int_equal(mh_parse(st, buf, n, &src, &src, &got, NULL), MH_DROP);
		for (size_t k = 0; k < n; k++) {
			buf[k] ^= 0x40;
			expect(buf, n, MH_DROP, 0, k == 1 ? STAT_mh_in_truncated : STAT_mh_in_bad_csum);
			buf[k] ^= 0x40;
		}
	}
}

/* Lengths (6.1.1): the header is (Header Len + 1) * 8 octets, exactly what was delivered. */
static void test_lengths(void **state)
{
	uint8_t buf[64];
	size_t n;

	for (size_t len = 0; len < 8; len++)
		expect((const uint8_t *)"\x3b\x00\x00\x00\x00\x00\x00\x00", len, MH_DROP, 0,
		       STAT_mh_in_truncated);
	/* HoTI claiming 24 octets, 16 delivered; and a 13-octet tail. */
	n = raw("3b020100 0000 0000 0102030405060708", buf, sizeof(buf));
	expect(buf, n, MH_DROP, 0, STAT_mh_in_truncated);
	n = raw("3b010100 0000 0000 0102030405", buf, sizeof(buf));
	expect(buf, n, MH_DROP, 0, STAT_mh_in_truncated);
	/* Header Len 0 (8 octets) with 16 or 9 delivered: octets beyond the header. */
	n = raw("3b000000 0000 0000 0000000000000000", buf, sizeof(buf));
	expect(buf, n, MH_DROP, 0, STAT_mh_in_bad_len);
	n = raw("3b000000 0000 0000 00", buf, sizeof(buf));
	expect(buf, n, MH_DROP, 0, STAT_mh_in_bad_len);
	/* The same header delivered exactly is fine. */
	expect_hex("3b000000 0000 0000", MH_OK, 0, -1);
	expect_hex("3b010000 0000 0000 0000000000000000", MH_OK, 0, -1);
}

/* 9.2: Header Len below the type's minimum -> Parameter Problem pointing at Header Len. */
static void test_hdrlen_too_small(void **state)
{
	static const struct { uint8_t type, min_hl; } v[] = {
		{ MH_HOTI, 1 }, { MH_COTI, 1 }, { MH_HOT, 2 }, { MH_COT, 2 },
		{ MH_BU, 1 }, { MH_BA, 1 }, { MH_BE, 2 },
	};
	uint8_t buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		for (uint8_t hl = 0; hl <= v[i].min_hl; hl++) {
			size_t n = ((size_t)hl + 1) * 8;

			memset(buf, 0, sizeof(buf));
			buf[0] = 59;
			buf[1] = hl;
			buf[2] = v[i].type;
			mh_csum_set(buf, n, &src, &dst);
			if (hl < v[i].min_hl)
				expect(buf, n, MH_PARAM_PROB, 1, STAT_mh_in_short_hdrlen);
			else
				expect(buf, n, MH_OK, 0, -1);
		}
	}
	/* BRR: Header Len 0 is its minimum. */
	expect_hex("3b000000 0000 0000", MH_OK, 0, -1);
}

/* 9.2: checksum, then MH Type, then Payload Proto, then Header Len. */
static void test_proto_type_and_order(void **state)
{
	uint8_t buf[64];
	size_t n;
	struct mh_msg m;

	expect_hex("06010500 0000 1234 c000 0100 0102 0000", MH_PARAM_PROB, 0, STAT_mh_in_bad_proto);
	expect_hex("3a000000 0000 0000", MH_PARAM_PROB, 0, STAT_mh_in_bad_proto);
	expect_hex("3b010800 0000 0000 0000000000000000", MH_UNKNOWN_TYPE, 0, STAT_mh_in_unknown_type);
	expect_hex("3b00ff00 0000 0000", MH_UNKNOWN_TYPE, 0, STAT_mh_in_unknown_type);
	/* Unknown type wins over a bad Payload Proto; the type is reported. */
	n = raw("06001100 0000 0000", buf, sizeof(buf));
	expect(buf, n, MH_UNKNOWN_TYPE, 0, STAT_mh_in_unknown_type);
	assert_int_equal(mh_parse(st, buf, n, &src, &dst, &m, NULL), MH_UNKNOWN_TYPE);
	assert_int_equal(m.type, 0x11);
	/* Bad Payload Proto wins over a short Header Len (pointer 0, not 1). */
	expect_hex("00000700 0000 0000", MH_PARAM_PROB, 0, STAT_mh_in_bad_proto);
	/* A bad checksum wins over everything: silently dropped. */
	n = raw("06001100 0000 0000", buf, sizeof(buf));
	buf[MH_CSUM_OFF] ^= 1;
	expect(buf, n, MH_DROP, 0, STAT_mh_in_bad_csum);
	n = raw("3b000700 0000 0000", buf, sizeof(buf));
	buf[MH_CSUM_OFF + 1] ^= 0x80;
	expect(buf, n, MH_DROP, 0, STAT_mh_in_bad_csum);
}

/* Options that do not fit, have a wrong length, or follow BAD (6.2). */
static void test_bad_options(void **state)
{
	/* PadN running 1 octet past the end; an option type in the last octet. */
	expect_hex("3b010500 0000 1234 c000 0100 0103 0000", MH_DROP, 0, STAT_mh_in_opt_overrun);
	expect_hex("3b010500 0000 1234 c000 0100 0000 0004", MH_DROP, 0, STAT_mh_in_opt_overrun);
	/* Unknown option overrunning is still an overrun. */
	expect_hex("3b010500 0000 1234 c000 0100 c8ff 0000", MH_DROP, 0, STAT_mh_in_opt_overrun);
	/* Known options with a wrong length. */
	expect_hex("3b010600 0000 0000 0001 0002 0203 0102", MH_DROP, 0, STAT_mh_in_opt_overrun);
	expect_hex("3b010600 0000 0000 0001 0002 0201 0100", MH_DROP, 0, STAT_mh_in_opt_bad_len);
	expect_hex("3b010600 0000 0000 0001 0002 0200 0000", MH_DROP, 0, STAT_mh_in_opt_bad_len);
	expect_hex("3b020500 0000 1234 c000 0100 0308 20010db800030000 0000", MH_DROP, 0,
		   STAT_mh_in_opt_bad_len);
	expect_hex("3b010500 0000 1234 c000 0100 0402 0102", MH_DROP, 0, STAT_mh_in_opt_bad_len);
	expect_hex("3b010500 0000 1234 c000 0100 0405 0102", MH_DROP, 0, STAT_mh_in_opt_overrun);
	expect_hex("3b030500 0000 1234 c000 0100 050a a0a1a2a3a4a5a6a7a8a9 0106 000000000000",
		   MH_DROP, 0, STAT_mh_in_opt_bad_len);
	expect_hex("3b030500 0000 1234 c000 0100 0100 0000 050e a0a1a2a3a4a5a6a7a8a9aaabacad",
		   MH_DROP, 0, STAT_mh_in_opt_bad_len);
	/* BAD followed by Pad1s, by PadN, by Nonce Indices (6.2.7: BAD is last). */
	expect_hex("3b030500 0000 1234 c000 0100 050c a0a1a2a3a4a5a6a7a8a9aaab 0000 0000 0000",
		   MH_DROP, 0, STAT_mh_in_auth_not_last);
	expect_hex("3b030500 0000 1234 c000 0100 050c a0a1a2a3a4a5a6a7a8a9aaab 0104 00000000",
		   MH_DROP, 0, STAT_mh_in_auth_not_last);
	expect_hex("3b030600 0000 0000 0001 0002 050c a0a1a2a3a4a5a6a7a8a9aaab 0202 0001 0000",
		   MH_DROP, 0, STAT_mh_in_auth_not_last);
	/* The same shapes in a message where the option is not allowed: ignored. */
	expect_hex("3b010100 0000 0000 0102030405060708", MH_OK, 0, -1);
	expect_hex("3b020100 0000 0000 0102030405060708 0203 010203 0000 00", MH_OK, 0,
		   STAT_mh_in_opt_unknown);
	expect_hex("3b030000 0000 0000 050c a0a1a2a3a4a5a6a7a8a9aaab 0000 0000 0000 0000 0000", MH_OK, 0,
		   STAT_mh_in_opt_unknown);
}

/* Pad1/PadN in any mix, unknown options skipped, unaligned options accepted (6.2). */
static void test_padding_and_unknown(void **state)
{
	uint8_t buf[64];
	struct mh_msg m;
	size_t n;

	/* BU padded by four Pad1, by PadN(0)+2 Pad1, by PadN with non-zero data. */
	expect_hex("3b010500 0000 1234 c000 0100 00000000", MH_OK, 0, -1);
	expect_hex("3b010500 0000 1234 c000 0100 0100 0000", MH_OK, 0, -1);
	expect_hex("3b010500 0000 1234 c000 0100 0000 0100", MH_OK, 0, -1);
	expect_hex("3b010500 0000 1234 c000 0100 0102 ffff", MH_OK, 0, -1);
	/* An unknown option (type 200, 2 octets) is skipped and counted. */
	expect_hex("3b010500 0000 1234 c000 0100 c802 ffff", MH_OK, 0, STAT_mh_in_opt_unknown);
	/*
	 * Nonce Indices at an odd offset (13, not 2n), AltCoA at 12 (not 8n+6):
	 * alignment is asked of senders, not checked (BAD, last in a multiple
	 * of 8 octets, is always at 8n+2).
	 */
	n = raw("3b020500 0000 1234 c000 0100 00 0404 0a0b0c0d 00 00 00 00 00", buf, sizeof(buf));
	assert_int_equal(n, 24);
	assert_int_equal(mh_parse(st, buf, n, &src, &dst, &m, NULL), MH_OK);
	assert_true(m.opt.has_nonce && !m.opt.has_auth);
	assert_int_equal(m.opt.home_nonce_idx, 0x0a0b);
	assert_int_equal(m.opt.coa_nonce_idx, 0x0c0d);
	n = raw("3b030500 0000 1234 c000 0100 0310 20010db8000300000000000000000003 0000",
		buf, sizeof(buf));
	assert_int_equal(n, 32);
	assert_int_equal(mh_parse(st, buf, n, &src, &dst, &m, NULL), MH_OK);
	assert_true(m.opt.has_altcoa && in6_equal(&m.opt.altcoa, &dst));
	/* A BA whose BRA sits between Pad1s; the PadN ends the header exactly. */
	n = raw("3b020600 0000 0080 0005 0010 00 0202 abcd 00 0104 00000000", buf, sizeof(buf));
	assert_int_equal(n, 24);
	assert_int_equal(mh_parse(st, buf, n, &src, &dst, &m, NULL), MH_OK);
	assert_true(m.opt.has_refresh);
	assert_int_equal(m.opt.refresh, 0xabcd);
	assert_int_equal(m.ba.flags, MH_BA_K);
	assert_int_equal(m.ba.seq, 5);
	assert_int_equal(m.ba.lifetime, 16);
}

/* -ENOSPC at every capacity below the length, -EINVAL for an unknown type. */
static void test_build_errors(void **state)
{
	struct mh_msg m;
	uint8_t buf[128];

	for (uint8_t type = 0; type <= MH_TYPE_MAX; type++) {
		int full;

		fill(&m, type, 15, 0);
		full = mh_build(&m, buf, sizeof(buf), NULL);
		assert_true(full > 0);
		for (int cap = 0; cap < full; cap++)
			assert_int_equal(mh_build(&m, buf, (size_t)cap, NULL), -ENOSPC);
		assert_int_equal(mh_build(&m, buf, (size_t)full, NULL), full);
	}
	m.type = 8;
	assert_int_equal(mh_build(&m, buf, sizeof(buf), NULL), -EINVAL);
}

/* Random messages round trip; random bytes never crash and parse to something rebuildable. */
static void test_random(void **state)
{
	srand(7);
	for (int i = 0; i < 20000; i++) {
		struct mh_msg m, got, again;
		uint8_t buf[128], buf2[128];
		uint8_t type = (uint8_t)(rand() % (MH_TYPE_MAX + 1));
		size_t n;

		fill(&m, type, (unsigned)rand() & allowed[type], (unsigned)rand());
		for (size_t k = 0; k < sizeof(m.opt.auth); k++)
			m.opt.auth[k] = m.opt.has_auth ? (uint8_t)rand() : 0;
		n = build(&m, buf, sizeof(buf));
		assert_int_equal(mh_parse(st, buf, n, &src, &dst, &got, NULL), MH_OK);
		m.opt.auth_off = got.opt.auth_off;
		assert_memory_equal(&got, &m, sizeof(m));
		/* Flip bytes, fix the checksum, and if still accepted: rebuild, same struct. */
		for (int k = 0; k < 3; k++)
			buf[rand() % n] = (uint8_t)rand();
		mh_csum_set(buf, n, &src, &dst);
		if (mh_parse(st, buf, n, &src, &dst, &got, NULL) != MH_OK)
			continue;
		n = build(&got, buf2, sizeof(buf2));
		assert_int_equal(mh_parse(st, buf2, n, &src, &dst, &again, NULL), MH_OK);
		again.opt.auth_off = got.opt.auth_off;
		assert_memory_equal(&again, &got, sizeof(got));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_options_not_allowed_ignored),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_hdrlen_too_small),
		cmocka_unit_test(test_proto_type_and_order),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_padding_and_unknown),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
