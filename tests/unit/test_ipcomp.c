/*
 * src/xfrm/ipcomp.c: round trips of text and zeros (100, 1400, 8000, 60000
 * bytes) through ipcomp_output and ipcomp_input, the headers in front of
 * IPComp kept byte-exact and the metadata and security path moved to the
 * new packet; the RFC 3173 2.2 non-expansion rule (threshold,
 * incompressible data); truncated, corrupt and oversized streams; raw
 * DEFLATE streams made by Python's zlib (tests/vectors/gen_ipcomp.py);
 * counters; no packet leaked.
 *
 * With USAGI_IPCOMP_DUMP=FILE the round trip writes every packet that
 * ipcomp_output made, for `gen_ipcomp.py --check FILE` to inflate with zlib.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/stack.h"
#include "xfrm/ipcomp.h"
#include "xfrm/xfrm.h"

#include "ipcomp_vectors.h"

#define CPI 0x1234
#define HDRS 48         /* IPv6 header + an 8-byte Destination Options header */

static const char text[] =
	"IPComp (RFC 3173) with DEFLATE (RFC 2394). ";

/* As gen_ipcomp.py's payload(): "text" cycles text[], "zeros" is zero. */
static uint8_t *make_payload(const char *kind, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = strcmp(kind, "zeros") ? (uint8_t)text[i % (sizeof(text) - 1)] : 0;
	return b;
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[1] && n < max) {
		sscanf(s, "%2hhx", &out[n++]);
		s += 2;
	}
	return n;
}

static struct stack *new_stack(void)
{
	struct usagi_stack_config cfg = { .name = "ipcomp", .seed = 3, .now = NS_PER_SEC };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	return st;
}

/* An IPComp SA (its deflate context is what the packet path will use). */
static struct xfrm_state *comp_sa(struct stack *st)
{
	struct xfrm_sa_cfg c = { .id = { .spi = CPI, .proto = IPPROTO_COMP },
				 .family = AF_INET6, .mode = XFRM_MODE_TRANSPORT };
	struct xfrm_state *x;

	c.id.daddr.s6_addr[0] = 0x20;
	c.id.daddr.s6_addr[1] = 0x01;
	c.id.daddr.s6_addr[2] = 0x0d;
	c.id.daddr.s6_addr[3] = 0xb8;
	c.id.daddr.s6_addr[15] = 1;
	c.saddr = c.id.daddr;
	c.saddr.s6_addr[15] = 2;
	strcpy(c.comp.name, "deflate");
	assert_int_equal(xfrm_state_add(st, &c, &x), 0);
	assert_non_null(x->comp);
	return x;
}

static struct pkt *payload_pkt(struct stack *st, size_t headroom, const uint8_t *b, size_t n)
{
	struct pkt *p = pkt_alloc(st->pool, headroom, n);

	assert_non_null(p);
	memcpy(pkt_put(p, n), b, n);
	return p;
}

/* An IPComp packet from a header and the raw stream @z: data at the header, nh unset. */
static struct pkt *ipcomp_pkt(struct stack *st, uint8_t nh, uint8_t flags, const uint8_t *z,
			      size_t zlen)
{
	struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM, IPCOMP_HDR_LEN + zlen);
	uint8_t *h;

	assert_non_null(p);
	h = pkt_put(p, IPCOMP_HDR_LEN + zlen);
	h[0] = nh;
	h[1] = flags;
	put_be16(h + 2, CPI);
	memcpy(h + IPCOMP_HDR_LEN, z, zlen);
	return p;
}

/* Puts an IPv6 header and a Destination Options header in front of data, as input sees them. */
static void push_headers(struct pkt *p, uint8_t before[HDRS])
{
	uint8_t *h = pkt_push(p, HDRS);

	assert_non_null(h);
	for (unsigned i = 0; i < HDRS; i++)
		h[i] = (uint8_t)(0x60 + i);
	h[0] = 0x60;
	h[6] = 60;                      /* next header: Destination Options */
	h[40] = IPPROTO_COMP;
	h[41] = 0;
	memcpy(before, h, HDRS);
	pkt_set_nh(p);
	pkt_pull(p, HDRS);
}

static void dump(const uint8_t *orig, size_t n, const struct pkt *p)
{
	const char *path = getenv("USAGI_IPCOMP_DUMP");
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", orig[i]);
	fputc(' ', f);
	for (size_t i = 0; i < p->len; i++)
		fprintf(f, "%02x", p->data[i]);
	fputc('\n', f);
	fclose(f);
}

static int marker;

/* Output, then input with headers, metadata and a held SA in the security path. */
static void roundtrip(const char *kind, size_t n)
{
	struct stack *st = new_stack();
	struct xfrm_state *x = comp_sa(st);
	unsigned base = pkt_pool_in_use(st->pool), refs;
	uint8_t *orig = make_payload(kind, n), before[HDRS], cb[64];
	struct pkt *p = payload_pkt(st, PKT_HEADROOM, orig, n), *old;
	size_t hr;

	assert_int_equal(ipcomp_output(x->comp, CPI, p, IPPROTO_UDP, IPCOMP_THRESHOLD_DEFAULT), 1);
	assert_true(p->len < n);
	assert_int_equal(p->data[0], IPPROTO_UDP);
	assert_int_equal(p->data[1], 0);
	assert_int_equal(get_be16(p->data + 2), CPI);
	dump(orig, n, p);

	push_headers(p, before);
	hr = pkt_headroom(p);
	p->th = p->nh + HDRS;
	p->dev = (struct netdev *)&marker;
	p->flags = PKT_F_MCAST | PKT_F_REASSEMBLED;
	p->tstamp = 123456789;
	memset(cb, 0xa5, sizeof(cb));
	memcpy(p->cb, cb, sizeof(cb));
	xfrm_state_hold(x);
	p->sp[0] = x;
	p->sp_len = 1;
	refs = x->refcnt;
	old = p;

	assert_int_equal(ipcomp_input(st, x->comp, &p), IPPROTO_UDP);
	assert_int_equal(p->len, n);
	assert_memory_equal(p->data, orig, n);
	/* The payload took the IPComp header's place; nh still finds the same bytes. */
	assert_int_equal(pkt_headroom(p), hr);
	assert_int_equal(p->nh, (int32_t)(hr - HDRS));
	assert_memory_equal(pkt_nh(p), before, HDRS);
	assert_int_equal(p->th, p->nh + HDRS);
	assert_ptr_equal(p->dev, &marker);
	assert_int_equal(p->flags, PKT_F_MCAST | PKT_F_REASSEMBLED);
	assert_int_equal(p->tstamp, 123456789);
	assert_memory_equal(p->cb, cb, sizeof(cb));
	assert_int_equal(p->sp_len, 1);
	assert_ptr_equal(p->sp[0], x);
	assert_int_equal(x->refcnt, refs);
	assert_ptr_equal(p->pool, st->pool);
	if (hr + n > PKT_BUF_SIZE) {
		/* Past a pool buffer: a malloc-backed packet sized to the result. */
		assert_ptr_not_equal(p, old);
		assert_int_equal(p->size, hr + n);
	}
	assert_int_equal(pkt_pool_in_use(st->pool), base + 1);
	pkt_free(p);
	assert_int_equal(x->refcnt, refs - 1);
	assert_int_equal(pkt_pool_in_use(st->pool), base);
	free(orig);
	usagi_stack_free(st);
}

static void test_roundtrip(void **state)
{
	static const size_t sizes[] = { 100, 1400, 8000, 60000 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip("text", sizes[i]);
		roundtrip("zeros", sizes[i]);
	}
}

/* RFC 3173 2.2: below the threshold, or not smaller: unchanged, no header. */
static void test_not_compressed(void **state)
{
	struct stack *st = new_stack();
	struct crypto_comp *z = crypto_comp_new(6);
	uint8_t *zeros = make_payload("zeros", 1400), rnd[1400];
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	struct pkt *p;
	uint8_t *data;

	p = payload_pkt(st, PKT_HEADROOM, zeros, IPCOMP_THRESHOLD_DEFAULT - 1);
	data = p->data;
	assert_int_equal(ipcomp_output(z, CPI, p, IPPROTO_UDP, IPCOMP_THRESHOLD_DEFAULT), 0);
	assert_ptr_equal(p->data, data);
	assert_int_equal(p->len, IPCOMP_THRESHOLD_DEFAULT - 1);
	assert_memory_equal(p->data, zeros, p->len);
	/* The same payload compresses when the threshold allows it. */
	assert_int_equal(ipcomp_output(z, CPI, p, IPPROTO_UDP, 0), 1);
	pkt_free(p);

	for (size_t i = 0; i < sizeof(rnd); i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		rnd[i] = (uint8_t)(s >> 24);
	}
	p = payload_pkt(st, PKT_HEADROOM, rnd, sizeof(rnd));
	data = p->data;
	assert_int_equal(ipcomp_output(z, CPI, p, IPPROTO_UDP, IPCOMP_THRESHOLD_DEFAULT), 0);
	assert_ptr_equal(p->data, data);
	assert_int_equal(p->len, sizeof(rnd));
	assert_memory_equal(p->data, rnd, sizeof(rnd));
	pkt_free(p);

	/* Too short to gain anything even at threshold 0. */
	p = payload_pkt(st, PKT_HEADROOM, zeros, IPCOMP_HDR_LEN + 1);
	assert_int_equal(ipcomp_output(z, CPI, p, IPPROTO_UDP, 0), 0);
	assert_int_equal(p->len, IPCOMP_HDR_LEN + 1);
	pkt_free(p);

	/* No room for the header: refused, unchanged. */
	p = payload_pkt(st, 3, zeros, 1400);
	assert_int_equal(ipcomp_output(z, CPI, p, IPPROTO_UDP, 0), -ENOBUFS);
	assert_int_equal(p->len, 1400);
	assert_int_equal(pkt_headroom(p), 3);
	assert_memory_equal(p->data, zeros, 1400);
	pkt_free(p);

	assert_int_equal(pkt_pool_in_use(st->pool), 0);
	free(zeros);
	crypto_comp_free(z);
	usagi_stack_free(st);
}

static void test_truncated(void **state)
{
	struct stack *st = new_stack();
	struct crypto_comp *z = crypto_comp_new(6);
	static const uint8_t h[] = { IPPROTO_UDP, 0, 0x12, 0x34 };
	uint16_t cpi = 0;

	for (size_t n = 0; n <= sizeof(h); n++) {
		struct pkt *p = payload_pkt(st, PKT_HEADROOM, h, n), *old = p;

		assert_int_equal(ipcomp_peek(p, &cpi), n < IPCOMP_HDR_LEN ? -EINVAL : 0);
		assert_int_equal(ipcomp_input(st, z, &p), -EINVAL);
		assert_ptr_equal(p, old);
		assert_int_equal(p->len, n);
		pkt_free(p);
	}
	assert_int_equal(cpi, CPI);
	assert_int_equal(pkt_pool_in_use(st->pool), 0);
	crypto_comp_free(z);
	usagi_stack_free(st);
}

static void test_corrupt(void **state)
{
	static const char *streams[] = {
		"ff00",                 /* final block of the reserved type 3 */
		"0105000000",           /* stored block whose NLEN is not ~LEN */
		"0105",                 /* stored block cut inside LEN */
		"f30c70cecf2d",         /* a valid stream cut short (text-200-default) */
		"ed",                   /* dynamic block header cut short */
	};
	struct stack *st = new_stack();
	struct crypto_comp *z = crypto_comp_new(6);
	uint8_t b[16];

	for (unsigned i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		size_t n = unhex(streams[i], b, sizeof(b));
		struct pkt *p = ipcomp_pkt(st, IPPROTO_UDP, 0, b, n), *old = p;

		assert_int_equal(ipcomp_input(st, z, &p), -EBADMSG);
		assert_ptr_equal(p, old);
		assert_int_equal(p->len, IPCOMP_HDR_LEN + n);
		pkt_free(p);
	}
	assert_int_equal(pkt_pool_in_use(st->pool), 0);
	crypto_comp_free(z);
	usagi_stack_free(st);
}

/* Zeros of @n bytes deflated by our own compressor (libdeflate). */
static size_t deflate_zeros(struct crypto_comp *z, size_t n, uint8_t *out, size_t max)
{
	uint8_t *zeros = make_payload("zeros", n);
	int len = crypto_compress(z, zeros, n, out, max);

	free(zeros);
	assert_true(len > 0);
	return (size_t)len;
}

/* Inflates deflate(@n zeros) with @hdrs bytes of headers from nh: rc and, on success, the length. */
static int inflate_zeros(struct stack *st, struct crypto_comp *z, size_t n, bool hdrs)
{
	uint8_t s[1024], before[HDRS];
	size_t sl = deflate_zeros(z, n, s, sizeof(s));
	struct pkt *p = ipcomp_pkt(st, IPPROTO_TCP, 0, s, sl), *old = p;
	int rc;

	if (hdrs)
		push_headers(p, before);
	rc = ipcomp_input(st, z, &p);
	if (rc >= 0)
		assert_int_equal(p->len, n);
	else
		assert_ptr_equal(p, old);
	pkt_free(p);
	return rc;
}

/* Inflating past 65535 bytes (less the headers in front) is refused, at the exact boundary. */
static void test_too_big(void **state)
{
	struct stack *st = new_stack();
	struct crypto_comp *z = crypto_comp_new(6);

	assert_int_equal(inflate_zeros(st, z, 70000, false), -EMSGSIZE);
	assert_int_equal(inflate_zeros(st, z, 65536, false), -EMSGSIZE);
	assert_int_equal(inflate_zeros(st, z, 65535, false), IPPROTO_TCP);
	assert_int_equal(inflate_zeros(st, z, 65535 - HDRS + 1, true), -EMSGSIZE);
	assert_int_equal(inflate_zeros(st, z, 65535 - HDRS, true), IPPROTO_TCP);
	/* Right at the pool-buffer boundary: the first pass fills, the second fits. */
	for (size_t n = PKT_BUF_SIZE - PKT_HEADROOM - 2; n <= PKT_BUF_SIZE - PKT_HEADROOM + 2; n++)
		assert_int_equal(inflate_zeros(st, z, n, false), IPPROTO_TCP);
	assert_int_equal(pkt_pool_in_use(st->pool), 0);
	crypto_comp_free(z);
	usagi_stack_free(st);
}

/* Interop: raw DEFLATE from Python's zlib (stored, fixed, dynamic, Huffman-only blocks). */
static void test_zlib_vectors(void **state)
{
	struct stack *st = new_stack();
	struct crypto_comp *z = crypto_comp_new(6);
	uint8_t s[4096];

	for (unsigned i = 0; i < sizeof(ipcomp_vectors) / sizeof(ipcomp_vectors[0]); i++) {
		const struct ipcomp_vector *v = &ipcomp_vectors[i];
		size_t n = unhex(v->deflate_hex, s, sizeof(s));
		uint8_t *orig = make_payload(v->kind, v->len);
		/* RFC 3173 3.3: the receiver ignores the flags. */
		struct pkt *p = ipcomp_pkt(st, IPPROTO_TCP, i % 2 ? 0xff : 0, s, n);

		assert_int_equal(ipcomp_input(st, z, &p), IPPROTO_TCP);
		assert_int_equal(p->len, v->len);
		assert_memory_equal(p->data, orig, v->len);
		pkt_free(p);
		free(orig);
	}
	assert_int_equal(pkt_pool_in_use(st->pool), 0);
	crypto_comp_free(z);
	usagi_stack_free(st);
}

static void test_counters(void **state)
{
	struct stack *st = new_stack();

	ipcomp_count_input(st, IPPROTO_UDP);
	ipcomp_count_input(st, -EINVAL);
	ipcomp_count_input(st, -EBADMSG);
	ipcomp_count_input(st, -EMSGSIZE);
	ipcomp_count_input(st, -ENOMEM);
	ipcomp_count_input(st, -EMSGSIZE);
	ipcomp_count_output(st, 1);
	ipcomp_count_output(st, 0);
	ipcomp_count_output(st, -ENOBUFS);
	ipcomp_count_output(st, -ENOMEM);
	assert_int_equal(STAT_GET(st, ipcomp_in_ok), 1);
	assert_int_equal(STAT_GET(st, ipcomp_in_truncated), 1);
	assert_int_equal(STAT_GET(st, ipcomp_in_corrupt), 1);
	assert_int_equal(STAT_GET(st, ipcomp_in_too_big), 2);
	assert_int_equal(STAT_GET(st, ipcomp_in_nomem), 1);
	assert_int_equal(STAT_GET(st, ipcomp_out_compressed), 1);
	assert_int_equal(STAT_GET(st, ipcomp_out_uncompressed), 1);
	assert_int_equal(STAT_GET(st, ipcomp_out_nobufs), 1);
	assert_int_equal(STAT_GET(st, ipcomp_out_nomem), 1);
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_not_compressed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_zlib_vectors),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
