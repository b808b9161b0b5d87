/*
 * src/xfrm/ah.c, ah_mutable.c and src/crypto/crypto_authv.c: the
 * multi-buffer MAC against the one-buffer one for every integrity
 * algorithm; AH round trips over IPv6 and IPv4 for every algorithm, with
 * and without ESN; scapy 2.5 known-answer packets (tests/vectors/
 * ah_scapy.inc, made by tests/vectors/gen_ah_scapy.py) that ah_input must
 * accept and ah_output must rebuild byte for byte; every byte of a packet
 * flipped in turn (mutable fields still verify, anything else fails);
 * routing headers and IPv4 source routes verified at every hop of their
 * path; the Home Address option in wire and swapped form; truncated, badly
 * sized and malformed packets refused; counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "core/stack.h"
#include "proto/ip6.h"
#include "xfrm/ah.h"

static const char *const algs[] = {
	"hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512",
	"hmac-ripemd160", "aes-xcbc-mac",
};

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[1] && n < max) {
		sscanf(s, "%2hhx", &out[n++]);
		s += 2;
	}
	return n;
}

static struct crypto_ctx *auth_ctx(const char *alg, const uint8_t *key, size_t klen)
{
	struct crypto_ctx *c;
	const char *why = NULL;

	assert_int_equal(crypto_ctx_new(&c, crypto_alg_by_name(CRYPTO_ENC, "null"), NULL, 0,
					crypto_alg_by_name(CRYPTO_AUTH, alg), key, klen, &why), 0);
	return c;
}

/* An SA for @alg with a key of the right length made of 0x01, 0x02, ... */
static struct ah_sa_params sa_for(const char *alg, bool esn)
{
	const struct crypto_alg *a = crypto_alg_by_name(CRYPTO_AUTH, alg);
	uint8_t key[CRYPTO_MAX_KEY];
	struct ah_sa_params sa = { .spi = 0x1234, .esn = esn };

	assert_non_null(a);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	sa.c = auth_ctx(alg, key, a->key_min_bits / 8);
	return sa;
}

static struct pkt *pkt_bytes(const uint8_t *b, size_t n)
{
	struct pkt *p = pkt_alloc(NULL, 64, n + 64);

	memcpy(pkt_put(p, n), b, n);
	return p;
}

/* ---- the multi-buffer MAC ---- */

static void test_auth_v(void **state)
{
	uint8_t data[100], icv1[CRYPTO_MAX_ICV], icv2[CRYPTO_MAX_ICV];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t a = 0; a < ARRAY_SIZE(algs); a++) {
		struct ah_sa_params sa = sa_for(algs[a], false);
		size_t icv = crypto_ctx_icv_len(sa.c);

		for (size_t len = 0; len <= sizeof(data); len++) {
			assert_int_equal(crypto_auth(sa.c, data, len, icv1), 0);
			/* Cuts at every pair of positions, with empty pieces between. */
			for (size_t x = 0; x <= len; x += 7) {
				for (size_t y = x; y <= len; y += 5) {
					struct crypto_iov v[5] = {
						{ data, x }, { data + x, 0 }, { data + x, y - x },
						{ data + y, len - y }, { data, 0 },
					};

					memset(icv2, 0, sizeof(icv2));
					assert_int_equal(crypto_auth_v(sa.c, v, 5, icv2), 0);
					assert_memory_equal(icv1, icv2, icv);
					assert_int_equal(crypto_auth_verify_v(sa.c, v, 5, icv1), 0);
				}
			}
			/* One byte a piece. */
			struct crypto_iov one[100];

			for (size_t k = 0; k < len; k++)
				one[k] = (struct crypto_iov){ data + k, 1 };
			assert_int_equal(crypto_auth_v(sa.c, one, len, icv2), 0);
			assert_memory_equal(icv1, icv2, icv);
			icv2[icv - 1] ^= 1;
			assert_int_equal(crypto_auth_verify_v(sa.c, one, len, icv2), -EBADMSG);
		}
		crypto_ctx_free(sa.c);
	}
}

/* ---- lengths and round trips ---- */

static void test_hdr_len(void **state)
{
	static const struct { const char *alg; size_t v6, v4; } want[] = {
		{ "hmac-md5", 24, 24 }, { "hmac-sha1", 24, 24 }, { "hmac-sha256", 32, 28 },
		{ "hmac-sha384", 40, 36 }, { "hmac-sha512", 48, 44 },
		{ "hmac-ripemd160", 24, 24 }, { "aes-xcbc-mac", 24, 24 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct ah_sa_params sa = sa_for(want[i].alg, false);

		assert_int_equal(ah_hdr_len(&sa, AF_INET6), want[i].v6);
		assert_int_equal(ah_hdr_len(&sa, AF_INET), want[i].v4);
		assert_int_equal(ah_hdr_len(&sa, AF_UNIX), 0);
		crypto_ctx_free(sa.c);
	}
}

/* IPv6 (@v6) or IPv4 packet with room for @ahlen bytes of AH and @pl bytes of payload. */
static struct pkt *mk_simple(bool v6, size_t ahlen, size_t pl)
{
	uint8_t b[600] = { 0 };
	size_t hl = v6 ? 40 : 20, n = hl + ahlen + pl;

	if (v6) {
		memcpy(b, "\x6a\xbc\xde\xf1\x00\x00\x33\x40", 8);
		put_be16(b + 4, (uint16_t)(n - 40));
		for (int i = 0; i < 32; i++)
			b[8 + i] = (uint8_t)(0x20 + i);
	} else {
		memcpy(b, "\x45\x10\x00\x00\x12\x34\x40\x00\x40\x33\x00\x00\xc0\x00\x02\x01"
			  "\xc0\x00\x02\x02", 20);
		put_be16(b + 2, (uint16_t)n);
	}
	for (size_t i = 0; i < pl; i++)
		b[hl + ahlen + i] = (uint8_t)(i ^ 0x5a);
	return pkt_bytes(b, n);
}

static void roundtrip(const char *alg, bool v6, bool esn)
{
	struct ah_sa_params sa = sa_for(alg, esn);
	int fam = v6 ? AF_INET6 : AF_INET;
	size_t hl = ah_hdr_len(&sa, fam), off = v6 ? 40 : 20, cut = 0;
	uint64_t seq = 0x00000005fffffff0ULL;
	struct pkt *p = mk_simple(v6, hl, 33);
	uint32_t spi, lo;

	assert_int_equal(ah_output(&sa, p, off, 17, seq), 0);
	assert_int_equal(p->data[off], 17);
	assert_int_equal(p->data[off + 1], hl / 4 - 2);
	assert_int_equal(ah_peek(p, off, &spi, &lo), 0);
	assert_int_equal(spi, 0x1234);
	assert_int_equal(lo, 0xfffffff0);
	assert_int_equal(ah_input(&sa, p, off, 5, &cut), 17);
	assert_int_equal(cut, hl);
	/* ESN: the high bits count (RFC 4302 2.5.1); without ESN they are ignored. */
	assert_int_equal(ah_input(&sa, p, off, 6, &cut), esn ? -EBADMSG : 17);
	/* Mutable fields: hop limit / TTL, traffic class / TOS. */
	p->data[v6 ? 7 : 8] = 1;
	p->data[1] ^= 0xff;
	assert_int_equal(ah_input(&sa, p, off, 5, &cut), 17);
	/* An immutable one: the last payload byte. */
	p->data[p->len - 1] ^= 0x80;
	assert_int_equal(ah_input(&sa, p, off, 5, &cut), -EBADMSG);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

static void test_roundtrips(void **state)
{
	for (size_t a = 0; a < ARRAY_SIZE(algs); a++)
		for (int v6 = 0; v6 < 2; v6++)
			for (int esn = 0; esn < 2; esn++)
				roundtrip(algs[a], v6, esn);
}

/* ---- scapy known answers ---- */

struct ah_vec {
	const char *name, *alg, *key;
	uint32_t spi;
	uint64_t seq;
	bool esn;
	size_t ahoff;
	int nh;
	const char *pkt;
};

static const struct ah_vec vecs[] = {
#include "../vectors/ah_scapy.inc"
};

static struct ah_sa_params vec_sa(const struct ah_vec *v)
{
	uint8_t key[CRYPTO_MAX_KEY];
	size_t kl = unhex(v->key, key, sizeof(key));
	struct ah_sa_params sa = { .spi = v->spi, .esn = v->esn };

	sa.c = auth_ctx(v->alg, key, kl);
	return sa;
}

static struct pkt *vec_pkt(const struct ah_vec *v)
{
	uint8_t b[600];

	return pkt_bytes(b, unhex(v->pkt, b, sizeof(b)));
}

static const struct ah_vec *vec_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++)
		if (!strcmp(vecs[i].name, name))
			return &vecs[i];
	fail_msg("no vector %s", name);
	return NULL;
}

static void test_scapy_vectors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		const struct ah_vec *v = &vecs[i];
		struct ah_sa_params sa = vec_sa(v);
		struct pkt *p = vec_pkt(v), *q;
		size_t cut = 0, hl = ((size_t)p->data[v->ahoff + 1] + 2) * 4;
		uint32_t spi, lo;

		print_message("%s\n", v->name);
		assert_int_equal(ah_peek(p, v->ahoff, &spi, &lo), 0);
		assert_int_equal(spi, v->spi);
		assert_int_equal(lo, (uint32_t)v->seq);
		assert_int_equal(ah_input(&sa, p, v->ahoff, (uint32_t)(v->seq >> 32), &cut), v->nh);
		assert_int_equal(cut, hl);
		assert_int_equal(hl, ah_hdr_len(&sa, (p->data[0] >> 4) == 6 ? AF_INET6 : AF_INET));
		/* Output: the same bytes from a packet whose AH header is blank. */
		q = pkt_copy(NULL, p);
		memset(q->data + v->ahoff, 0xee, hl);
		assert_int_equal(ah_output(&sa, q, v->ahoff, (uint8_t)v->nh, v->seq), 0);
		assert_int_equal(q->len, p->len);
		assert_memory_equal(q->data, p->data, p->len);
		pkt_free(q);
		pkt_free(p);
		crypto_ctx_free(sa.c);
	}
}

static void swap16(uint8_t *a, uint8_t *b)
{
	uint8_t t[16];

	memcpy(t, a, 16);
	memcpy(a, b, 16);
	memcpy(b, t, 16);
}

/*
 * HbH + RH2 + DestOpts(HAO) + AH. The wire form verifies by default, not
 * with AH_IN_HAO_SWAPPED; swapped in place (RFC 6275 9.3.1) the other way
 * round. The routing header verifies routed in place (RFC 6275 6.4:
 * destination = home address, the care-of address in the header,
 * Segments Left 0) as well as not.
 */
static void test_scapy_hao(void **state)
{
	const struct ah_vec *v = vec_named("v6-hbh-rh2-hao-sha1");
	struct ah_sa_params sa = vec_sa(v);
	struct pkt *p = vec_pkt(v);
	size_t cut, rh = 40 + 8, hao = 40 + 8 + 24 + 8;
	uint8_t *d = p->data;

	assert_int_equal(d[40], 43);   /* what the offsets assume */
	assert_int_equal(d[rh + 2], 2);
	assert_int_equal(d[hao - 2], OPT6_HAO);
	assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), v->nh);
	assert_int_equal(ah_input_flags(&sa, p, v->ahoff, 0, AH_IN_HAO_SWAPPED, &cut), -EBADMSG);
	swap16(d + 8, d + hao);
	assert_int_equal(ah_input_flags(&sa, p, v->ahoff, 0, AH_IN_HAO_SWAPPED, &cut), v->nh);
	assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), -EBADMSG);
	/* Route the type 2 header in place. */
	swap16(d + 24, d + rh + 8);
	d[rh + 3] = 0;
	assert_int_equal(ah_input_flags(&sa, p, v->ahoff, 0, AH_IN_HAO_SWAPPED, &cut), v->nh);
	swap16(d + 8, d + hao);
	assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), v->nh);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

/* RFC 8200 / RFC 2460 8.4 processing of a type 0 or 2 header at @rh, one hop. */
static void route_hop(uint8_t *ip6, uint8_t *rh)
{
	size_t k = rh[1] / 2, i = k - rh[3];

	swap16(ip6 + 24, rh + 8 + 16 * i);
	rh[3]--;
	ip6[7]--;
}

static void test_scapy_rh0_hops(void **state)
{
	static const struct { const char *name; size_t rh; } vs[] = {
		{ "v6-rh0-sha1", 40 }, { "v6-hbh-rh2-sha256", 56 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		const struct ah_vec *v = vec_named(vs[i].name);
		struct ah_sa_params sa = vec_sa(v);
		struct pkt *p = vec_pkt(v);
		size_t rh = vs[i].rh, cut;

		assert_int_equal(p->data[rh - (rh == 40 ? 34 : 16)], 43);
		while (p->data[rh + 3]) {
			assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), v->nh);
			route_hop(p->data, p->data + rh);
		}
		assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), v->nh);
		p->data[rh + 3] = 1;   /* Segments Left is not mutable */
		assert_true(ah_input(&sa, p, v->ahoff, 0, &cut) < 0);
		pkt_free(p);
		crypto_ctx_free(sa.c);
	}
}

/* ---- every byte flipped ---- */

/* Bytes of the test packets: 0 immutable, 1 mutable, 2 either (lengths/types
 * of zeroed IPv4 options: a router never changes them). */
static void flip_all(const struct ah_sa_params *sa, struct pkt *p, size_t ahoff, int nh,
		     const uint8_t *mut)
{
	size_t cut;

	assert_int_equal(ah_input(sa, p, ahoff, 0, &cut), nh);
	for (size_t i = 0; i < p->len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int rc;

			p->data[i] ^= (uint8_t)(1 << bit);
			rc = ah_input(sa, p, ahoff, 0, &cut);
			p->data[i] ^= (uint8_t)(1 << bit);
			if (i == 0 && bit >= 4)   /* the version */
				assert_true(rc < 0);
			else if (mut[i] == 1)
				assert_int_equal(rc, nh);
			else if (mut[i] == 0 && rc >= 0)
				fail_msg("byte %zu bit %d: still verifies", i, bit);
		}
	}
}

/*
 * IPv6 | HbH (Router Alert, option 0x3e with the change-en-route bit,
 * PadN) | RH2 (Segments Left 1) | DestOpts (PadN, HAO) | AH | payload.
 */
static size_t mk_ext6(uint8_t *b, size_t ahlen, uint8_t *mut)
{
	static const uint8_t ext[] = {
		43, 1, 0x05, 2, 0, 0, 0x3e, 4, 0x11, 0x22, 0x33, 0x44, 0x01, 2, 0, 0,
		60, 2, 2, 1, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
		51, 2, 0x01, 2, 0, 0, 0xc9, 16,
		0x20, 0x01, 0x0d, 0xb8, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0,
	};
	size_t n = 40 + sizeof(ext) + ahlen + 20;

	memset(b, 0, n);
	memcpy(b, "\x6a\xbc\xde\xf1\x00\x00\x00\x40", 8);
	put_be16(b + 4, (uint16_t)(n - 40));
	memcpy(b + 8, "\x20\x01\x0d\xb8\x00\x08\0\0\0\0\0\0\0\0\x02\x00", 16);   /* care-of */
	memcpy(b + 24, "\x20\x01\x0d\xb8\x00\x02\0\0\0\0\0\0\0\0\x01\x00", 16);
	memcpy(b + 40, ext, sizeof(ext));
	for (size_t i = 0; i < 20; i++)
		b[n - 20 + i] = (uint8_t)(0xa0 + i);
	memset(mut, 0, n);
	mut[0] = mut[1] = mut[2] = mut[3] = mut[7] = 1;
	memset(mut + 40 + 8, 1, 4);   /* the 0x3e option's data */
	return n;
}

static void test_tamper6(void **state)
{
	for (size_t a = 0; a < ARRAY_SIZE(algs); a += 2) {
		struct ah_sa_params sa = sa_for(algs[a], false);
		size_t hl = ah_hdr_len(&sa, AF_INET6), ahoff = 40 + 64;
		uint8_t b[400], mut[400];
		size_t n = mk_ext6(b, hl, mut);
		struct pkt *p = pkt_bytes(b, n);

		assert_int_equal(ah_output(&sa, p, ahoff, 17, 77), 0);
		flip_all(&sa, p, ahoff, 17, mut);
		pkt_free(p);
		crypto_ctx_free(sa.c);
	}
}

/* IPv4 with Router Alert, NOP, Record Route (pointer, 2 slots): IHL 9. */
static size_t mk_opts4(uint8_t *b, size_t ahlen, uint8_t *mut)
{
	static const uint8_t hdr[] = {
		0x49, 0x10, 0, 0, 0x12, 0x34, 0x40, 0x00, 0x40, 0x33, 0xab, 0xcd,
		192, 0, 2, 1, 192, 0, 2, 2,
		0x94, 4, 0, 0, 0x01, 0x07, 11, 4, 198, 51, 100, 1, 0, 0, 0, 0,
	};
	size_t n = sizeof(hdr) + ahlen + 16;

	memset(b, 0, n);
	memcpy(b, hdr, sizeof(hdr));
	put_be16(b + 2, (uint16_t)n);
	for (size_t i = 0; i < 16; i++)
		b[n - 16 + i] = (uint8_t)(0x30 + i);
	memset(mut, 0, n);
	mut[1] = mut[6] = mut[7] = mut[8] = mut[10] = mut[11] = 1;
	mut[25] = mut[26] = 2;        /* RR type and length */
	memset(mut + 27, 1, 9);       /* RR pointer and route data */
	return n;
}

static void test_tamper4(void **state)
{
	for (size_t a = 1; a < ARRAY_SIZE(algs); a += 2) {
		struct ah_sa_params sa = sa_for(algs[a], true);
		size_t hl = ah_hdr_len(&sa, AF_INET);
		uint8_t b[400], mut[400];
		size_t n = mk_opts4(b, hl, mut);
		struct pkt *p = pkt_bytes(b, n);
		size_t cut;

		assert_int_equal(ah_output(&sa, p, 36, 6, 1), 0);
		flip_all(&sa, p, 36, 6, mut);
		/* Record Route filled in by a router. */
		memcpy(p->data + 32, "\xcb\x00\x71\x05", 4);
		p->data[27] = 12;
		assert_int_equal(ah_input(&sa, p, 36, 0, &cut), 6);
		pkt_free(p);
		crypto_ctx_free(sa.c);
	}
}

/* ---- source routes along their path ---- */

/*
 * IPv4 loose source route: the sender sends to the first hop with the
 * rest of the route in the option; each hop (RFC 791 3.1) moves the next
 * address into the destination, records its own, advances the pointer.
 */
static void test_lsrr_path(void **state)
{
	static const uint8_t hdr[] = {
		0x48, 0, 0, 0, 0, 1, 0, 0, 0x40, 0x33, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1,
		0x83, 11, 4, 198, 51, 100, 2, 203, 0, 113, 9, 0,
	};
	struct ah_sa_params sa = sa_for("hmac-sha256", false);
	size_t hl = ah_hdr_len(&sa, AF_INET), n = sizeof(hdr) + hl + 8, cut;
	uint8_t b[200] = { 0 };
	struct pkt *p;
	uint8_t *d;

	memcpy(b, hdr, sizeof(hdr));
	put_be16(b + 2, (uint16_t)n);
	p = pkt_bytes(b, n);
	d = p->data;
	assert_int_equal(ah_output(&sa, p, sizeof(hdr), 59, 3), 0);
	for (int hop = 0; hop < 2; hop++) {
		uint8_t *slot = d + 20 + d[22] - 1;
		uint8_t rec[4] = { 203, 0, 113, (uint8_t)(100 + hop) };

		assert_int_equal(ah_input(&sa, p, sizeof(hdr), 0, &cut), 59);
		memcpy(d + 16, slot, 4);
		memcpy(slot, rec, 4);
		d[22] += 4;
		d[8]--;
	}
	assert_int_equal(d[22], 12);   /* exhausted: d = 203.0.113.9 */
	assert_memory_equal(d + 16, "\xcb\x00\x71\x09", 4);
	assert_int_equal(ah_input(&sa, p, sizeof(hdr), 0, &cut), 59);
	d[19] ^= 1;
	assert_int_equal(ah_input(&sa, p, sizeof(hdr), 0, &cut), -EBADMSG);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

/* SRH (RFC 8754 4.3.1.1): Segments Left 2 over [final, mid, first]. */
static void test_srh_path(void **state)
{
	struct ah_sa_params sa = sa_for("aes-xcbc-mac", true);
	size_t hl = ah_hdr_len(&sa, AF_INET6), ahoff = 40 + 56, n = ahoff + hl + 12, cut;
	uint8_t b[300] = { 0 };
	struct pkt *p;
	uint8_t *d;

	memcpy(b, "\x60\x00\x00\x00\x00\x00\x2b\x40", 8);
	put_be16(b + 4, (uint16_t)(n - 40));
	b[23] = 1;
	b[40] = 51;
	b[41] = 6;
	b[42] = 4;
	b[43] = 2;
	b[44] = 2;
	for (int s = 0; s < 3; s++) {
		memcpy(b + 48 + 16 * s, "\x20\x01\x0d\xb8", 4);
		b[48 + 16 * s + 15] = (uint8_t)(0x10 + s);
	}
	memcpy(b + 24, b + 48 + 32, 16);   /* destination = Segment List[2] */
	p = pkt_bytes(b, n);
	d = p->data;
	assert_int_equal(ah_output(&sa, p, ahoff, 59, 0x300000001ULL), 0);
	while (d[43]) {
		assert_int_equal(ah_input(&sa, p, ahoff, 3, &cut), 59);
		d[43]--;
		memcpy(d + 24, d + 48 + 16 * d[43], 16);
	}
	assert_int_equal(d[39], 0x10);
	assert_int_equal(ah_input(&sa, p, ahoff, 3, &cut), 59);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

/* The HAO round trip: ah_output swaps on its copy, the wire keeps the care-of source. */
static void test_hao_roundtrip(void **state)
{
	struct ah_sa_params sa = sa_for("hmac-sha512", true);
	size_t hl = ah_hdr_len(&sa, AF_INET6), ahoff = 104, cut;
	uint8_t b[400], mut[400];
	size_t n = mk_ext6(b, hl, mut);
	struct pkt *p = pkt_bytes(b, n);

	assert_int_equal(ah_output(&sa, p, ahoff, 17, 0x900000002ULL), 0);
	assert_memory_equal(p->data, b, ahoff);   /* nothing before AH changed */
	assert_memory_equal(p->data + ahoff + hl, b + ahoff + hl, 20);
	assert_int_equal(ah_input(&sa, p, ahoff, 9, &cut), 17);
	swap16(p->data + 8, p->data + 88);
	assert_int_equal(ah_input_flags(&sa, p, ahoff, 9, AH_IN_HAO_SWAPPED, &cut), 17);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

/* ---- refused ---- */

static void test_truncated_and_bad_len(void **state)
{
	const struct ah_vec *v = vec_named("v6-transport-sha256");
	struct ah_sa_params sa = vec_sa(v);
	struct pkt *p = vec_pkt(v);
	size_t full = p->len, hl = 32, cut;
	uint32_t spi, lo;

	for (size_t len = 0; len < full; len++) {
		p->len = (uint32_t)len;
		int rc = ah_input(&sa, p, v->ahoff, 0, &cut);

		if (len == 0)
			assert_int_equal(rc, -EINVAL);
		else if (len < v->ahoff + hl)
			assert_int_equal(rc, -EMSGSIZE);
		else
			assert_int_equal(rc, -EINVAL);   /* payload length disagrees */
		/* Truncated with the IPv6 length fixed up to match. */
		if (len >= 40) {
			uint8_t save[2];

			memcpy(save, p->data + 4, 2);
			put_be16(p->data + 4, (uint16_t)(len - 40));
			rc = ah_input(&sa, p, v->ahoff, 0, &cut);
			assert_int_equal(rc, len < v->ahoff + hl ? -EMSGSIZE : -EBADMSG);
			memcpy(p->data + 4, save, 2);
		}
	}
	p->len = (uint32_t)full;
	assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), v->nh);
	for (int f = 0; f < 256; f++) {
		p->data[v->ahoff + 1] = (uint8_t)f;
		if (f != 6)
			assert_int_equal(ah_input(&sa, p, v->ahoff, 0, &cut), -EPROTO);
	}
	p->data[v->ahoff + 1] = 6;
	assert_int_equal(ah_peek(p, p->len - 11, &spi, &lo), -EMSGSIZE);
	assert_int_equal(ah_input(&sa, p, p->len - 12, 0, &cut), -EPROTO);
	assert_int_equal(ah_input(&sa, p, p->len + 1, 0, &cut), -EMSGSIZE);
	assert_int_equal(ah_input(&sa, p, (size_t)-1, 0, &cut), -EMSGSIZE);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

/* Edits @b (an IPv6 or IPv4 packet) and checks that both directions refuse it. */
static void refuse(const struct ah_sa_params *sa, const uint8_t *b, size_t n, size_t ahoff)
{
	struct pkt *p = pkt_bytes(b, n);
	size_t cut;

	assert_int_equal(ah_output(sa, p, ahoff, 17, 1), -EINVAL);
	assert_memory_equal(p->data, b, n);   /* untouched */
	p->data[ahoff + 1] = (uint8_t)(ah_hdr_len(sa, (b[0] >> 4) == 6 ? AF_INET6 : AF_INET) / 4 - 2);
	assert_int_equal(ah_input(sa, p, ahoff, 0, &cut), -EINVAL);
	pkt_free(p);
}

static void test_malformed6(void **state)
{
	struct ah_sa_params sa = sa_for("hmac-sha1", false);
	size_t hl = ah_hdr_len(&sa, AF_INET6), n, ahoff = 104;
	uint8_t b[400], m[400], mut[400];

	n = mk_ext6(b, hl, mut);
	memcpy(m, b, n);
	m[0] = 0x5a;                      /* version 5 */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	put_be16(m + 4, (uint16_t)(n - 39));   /* payload length */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	put_be16(m + 4, 0);               /* jumbogram */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 16 + 24] = 17;             /* AH not named by the last header */
	refuse(&sa, m, n, ahoff);
	refuse(&sa, b, n, 96);            /* ahoff inside a header */
	refuse(&sa, b, n, 20);
	memcpy(m, b, n);
	m[6] = 60;                        /* HbH read as DestOpts: fine; RH as HbH: not first */
	m[40] = 0;
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[6] = 44;                        /* a Fragment header before AH */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 16 + 2] = 3;               /* RH type 3, Segments Left 1: unpredictable */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 16 + 3] = 2;               /* RH2 Segments Left 2 > 1 address */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 16 + 1] = 3;               /* RH2 odd length */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 16] = 43;                  /* DestOpts read as a second routing header */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 40 + 7] = 15;              /* HAO of 15 bytes */
	m[40 + 40 + 3] = 1;
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 13] = 40;                  /* PadN running past its header */
	refuse(&sa, m, n, ahoff);
	memcpy(m, b, n);
	m[40 + 7] = 200;                  /* option 0x3e running past its header */
	refuse(&sa, m, n, ahoff);
	crypto_ctx_free(sa.c);
}

/* Two Home Address options in one Destination Options header (RFC 6275 6.3: one). */
static void test_two_hao(void **state)
{
	struct ah_sa_params sa = sa_for("hmac-sha256", false);
	size_t ahoff = 40 + 48, n = ahoff + 32 + 4, cut;
	uint8_t b[200] = { 0 };
	struct pkt *p;

	memcpy(b, "\x60\0\0\0\0\0\x3c\x40", 8);
	put_be16(b + 4, (uint16_t)(n - 40));
	b[8] = b[24] = 0x20;
	memcpy(b + 40, "\x33\x05\x01\x02\0\0\xc9\x10", 8);
	b[48] = 0x20;
	memcpy(b + 64, "\x01\x04\0\0\0\0\xc9\x10", 8);
	b[72] = 0x20;
	refuse(&sa, b, n, ahoff);
	b[70] = 0x3e;   /* the second one becomes a change-en-route option */
	p = pkt_bytes(b, n);
	assert_int_equal(ah_output(&sa, p, ahoff, 59, 1), 0);
	p->data[80] ^= 1;
	assert_int_equal(ah_input(&sa, p, ahoff, 0, &cut), 59);
	p->data[48] ^= 1;
	assert_int_equal(ah_input(&sa, p, ahoff, 0, &cut), -EBADMSG);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

static void test_malformed4(void **state)
{
	struct ah_sa_params sa = sa_for("hmac-md5", false);
	size_t hl = ah_hdr_len(&sa, AF_INET), n;
	uint8_t b[400], m[400], mut[400];

	n = mk_opts4(b, hl, mut);
	memcpy(m, b, n);
	m[0] = 0x48;                      /* IHL disagrees with the AH offset */
	refuse(&sa, m, n, 36);
	refuse(&sa, b, n, 20);
	memcpy(m, b, n);
	m[0] = 0x44;                      /* IHL 4 */
	refuse(&sa, m, n, 16);
	memcpy(m, b, n);
	m[9] = 50;
	refuse(&sa, m, n, 36);
	memcpy(m, b, n);
	put_be16(m + 2, (uint16_t)(n + 1));
	refuse(&sa, m, n, 36);
	memcpy(m, b, n);
	m[21] = 1;                        /* option length 1 */
	refuse(&sa, m, n, 36);
	memcpy(m, b, n);
	m[26] = 12;                       /* RR past the header */
	refuse(&sa, m, n, 36);
	memcpy(m, b, n);
	m[35] = 0x44;                     /* a type in the last byte: no length */
	m[26] = 10;
	refuse(&sa, m, n, 36);
	crypto_ctx_free(sa.c);
}

static void test_no_room_no_auth(void **state)
{
	struct ah_sa_params sa = sa_for("hmac-sha1", false);
	struct pkt *p = mk_simple(true, 23, 0);   /* one byte short */
	uint8_t key[20] = { 0 };
	struct ah_sa_params esp = { .spi = 1 };
	size_t cut;

	assert_int_equal(ah_output(&sa, p, 40, 17, 1), -EINVAL);
	pkt_free(p);
	p = mk_simple(true, 24, 4);
	p->data[6] = 17;
	assert_int_equal(ah_output(&sa, p, 40, 17, 1), -EINVAL);   /* AH not named */
	p->data[6] = 51;
	assert_int_equal(ah_output(&sa, p, 40, 17, 1), 0);
	/* An AEAD ESP context has no integrity algorithm for AH. */
	assert_int_equal(crypto_ctx_new(&esp.c, crypto_alg_by_name(CRYPTO_ENC, "aes-gcm-16"),
					key, 20, NULL, NULL, 0, NULL), 0);
	assert_int_equal(ah_output(&esp, p, 40, 17, 1), -EINVAL);
	assert_int_equal(ah_input(&esp, p, 40, 0, &cut), -EINVAL);
	pkt_free(p);
	crypto_ctx_free(esp.c);
	crypto_ctx_free(sa.c);
}

/* More change-en-route options than AH_MAX_PIECES allows: refused, not overrun. */
static void test_many_options(void **state)
{
	struct ah_sa_params sa = sa_for("hmac-sha1", false);
	size_t ext = 8 * 32, ahoff = 40 + ext, n = ahoff + 24 + 8, cut;
	uint8_t b[600] = { 0 };
	struct pkt *p;

	memcpy(b, "\x60\0\0\0\0\0\0\x40", 8);
	put_be16(b + 4, (uint16_t)(n - 40));
	b[40] = 51;
	b[41] = (uint8_t)(ext / 8 - 1);
	for (size_t i = 2; i + 3 <= ext; i += 3) {   /* 0x3e options with 1 byte of data */
		b[40 + i] = 0x3e;
		b[40 + i + 1] = 1;
		b[40 + i + 2] = 0xaa;
	}
	b[40 + ext - 2] = 0;                          /* Pad1 x2 to the end */
	b[40 + ext - 1] = 0;
	p = pkt_bytes(b, n);
	assert_int_equal(ah_output(&sa, p, ahoff, 59, 1), -EINVAL);
	p->data[ahoff + 1] = 4;
	assert_int_equal(ah_input(&sa, p, ahoff, 0, &cut), -EINVAL);
	pkt_free(p);
	/* 20 of them are fine. */
	memset(b + 40 + 2 + 60, 0, ext - 62);
	p = pkt_bytes(b, n);
	assert_int_equal(ah_output(&sa, p, ahoff, 59, 1), 0);
	p->data[40 + 2 + 59] ^= 0xff;                 /* data of the 20th: mutable */
	assert_int_equal(ah_input(&sa, p, ahoff, 0, &cut), 59);
	pkt_free(p);
	crypto_ctx_free(sa.c);
}

static void test_counters(void **state)
{
	static struct stack st;

	memset(&st, 0, sizeof(st));
	ah_count_input(&st, 17);
	ah_count_input(&st, 0);
	ah_count_input(&st, -EMSGSIZE);
	ah_count_input(&st, -EPROTO);
	ah_count_input(&st, -EINVAL);
	ah_count_input(&st, -EBADMSG);
	ah_count_input(&st, -EIO);
	ah_count_output(&st, 0);
	ah_count_output(&st, -EINVAL);
	ah_count_output(&st, -EIO);
	assert_int_equal(STAT_GET(&st, ah_in_ok), 2);
	assert_int_equal(STAT_GET(&st, ah_in_truncated), 1);
	assert_int_equal(STAT_GET(&st, ah_in_bad_len), 1);
	assert_int_equal(STAT_GET(&st, ah_in_bad_hdr), 1);
	assert_int_equal(STAT_GET(&st, ah_in_icv_fail), 1);
	assert_int_equal(STAT_GET(&st, ah_in_crypto_fail), 1);
	assert_int_equal(STAT_GET(&st, ah_out_ok), 1);
	assert_int_equal(STAT_GET(&st, ah_out_bad_hdr), 1);
	assert_int_equal(STAT_GET(&st, ah_out_crypto_fail), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_v),
		cmocka_unit_test(test_hdr_len),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_scapy_vectors),
		cmocka_unit_test(test_scapy_hao),
		cmocka_unit_test(test_scapy_rh0_hops),
		cmocka_unit_test(test_tamper6),
		cmocka_unit_test(test_tamper4),
		cmocka_unit_test(test_lsrr_path),
		cmocka_unit_test(test_srh_path),
		cmocka_unit_test(test_hao_roundtrip),
		cmocka_unit_test(test_truncated_and_bad_len),
		cmocka_unit_test(test_malformed6),
		cmocka_unit_test(test_two_hao),
		cmocka_unit_test(test_malformed4),
		cmocka_unit_test(test_no_room_no_auth),
		cmocka_unit_test(test_many_options),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
