/*
 * Helpers for the PF_KEY server tests (test_pfkey_server*.c): a capture
 * socket that records every message the server sends it (and checks that
 * each one passes the codec's pfkey_parse and pfkey_check: the server must
 * never send what a client would refuse), and message builders over the
 * codec's pfkey_buf.
 */
#ifndef USAGI_TESTS_PFKEY_HARNESS_H
#define USAGI_TESTS_PFKEY_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "pfkey/pfkey_codec.h"
#include "pfkey/pfkey_server.h"

struct pmsg {
	uint64_t *b;               /* 8-byte aligned copy */
	size_t len;
};

struct psock {
	struct pfkey_sock *s;
	struct pmsg *m;
	unsigned n, cap;
	bool fail;                 /* the owner's queue is "full": refuse every message */
	unsigned bad;              /* messages that failed pfkey_parse/pfkey_check */
};

static inline int ps_send(void *ctx, const void *msg, size_t len)
{
	struct psock *p = ctx;
	struct pfkey_msg m;
	struct pmsg *e;

	if (p->fail)
		return -ENOBUFS;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->m = realloc(p->m, p->cap * sizeof(*p->m));
		assert_non_null(p->m);
	}
	e = &p->m[p->n++];
	e->b = malloc(len + 8);
	assert_non_null(e->b);
	memcpy(e->b, msg, len);
	e->len = len;
	/*
	 * An error reply echoes the request's header, whatever type it had:
	 * it must be a bare, well-framed header. Anything else must parse.
	 */
	if (len >= sizeof(struct sadb_msg) && ((struct sadb_msg *)(void *)e->b)->sadb_msg_errno) {
		const struct sadb_msg *h = (const struct sadb_msg *)(void *)e->b;

		if (len != sizeof(*h) || h->sadb_msg_len != 2 || h->sadb_msg_version != PF_KEY_V2)
			p->bad++;
	} else if (pfkey_parse(e->b, len, &m) < 0 || pfkey_check(&m) < 0) {
		p->bad++;
	}
	return 0;
}

static inline void ps_clear(struct psock *p)
{
	for (unsigned i = 0; i < p->n; i++)
		free(p->m[i].b);
	p->n = 0;
}

static inline void ps_open(struct psock *p, struct stack *st)
{
	memset(p, 0, sizeof(*p));
	p->s = pfkey_sock_open(st, ps_send, p);
	assert_non_null(p->s);
}

static inline void ps_close(struct psock *p)
{
	pfkey_sock_close(p->s);
	ps_clear(p);
	free(p->m);
	memset(p, 0, sizeof(*p));
}

static inline const struct sadb_msg *ps_hdr(const struct psock *p, unsigned i)
{
	assert_true(i < p->n);
	return (const struct sadb_msg *)(const void *)p->m[i].b;
}

static inline const struct sadb_msg *ps_last(const struct psock *p)
{
	assert_true(p->n > 0);
	return ps_hdr(p, p->n - 1);
}

static inline void ps_parse(const struct psock *p, unsigned i, struct pfkey_msg *m)
{
	assert_true(i < p->n);
	assert_int_equal(pfkey_parse(p->m[i].b, p->m[i].len, m), 0);
}

static inline unsigned ps_count(const struct psock *p, uint8_t type)
{
	unsigned k = 0;

	for (unsigned i = 0; i < p->n; i++)
		k += ps_hdr(p, i)->sadb_msg_type == type;
	return k;
}

/* Messages on @p that carry a key extension. */
static inline unsigned ps_with_keys(const struct psock *p)
{
	unsigned k = 0;

	for (unsigned i = 0; i < p->n; i++) {
		struct pfkey_msg m;

		ps_parse(p, i, &m);
		k += m.ext[SADB_EXT_KEY_AUTH] || m.ext[SADB_EXT_KEY_ENCRYPT];
	}
	return k;
}

/* Finishes @b, feeds it to @p's socket, frees it; the input's result. */
static inline int ps_input(struct psock *p, struct pfkey_buf *b)
{
	int rc;

	assert_int_equal(pfkey_buf_finish(b), 0);
	rc = pfkey_sock_input(p->s, b->data, b->len);
	pfkey_buf_free(b);
	return rc;
}

static inline void add_addr(struct pfkey_buf *b, uint16_t which, const char *a)
{
	int fam;
	struct in6_addr x = lab_addr(a, &fam);

	assert_int_equal(pfkey_add_address(b, which, &x, (uint8_t)fam, 0, 0xff, 0), 0);
}

/* Keys as lab_sa(..., LAB_CBC_SHA256) derives them, so a lab SA on the peer matches. */
static inline void lab_keys(uint32_t spi, uint8_t ekey[16], uint8_t akey[32])
{
	for (unsigned i = 0; i < 32; i++) {
		if (i < 16)
			ekey[i] = (uint8_t)(spi * 7 + i);
		akey[i] = (uint8_t)(spi * 13 + i * 3);
	}
}

/*
 * An ESP transport SA message (@type ADD/UPDATE) @src -> @dst, @spi:
 * AES-CBC-128 + HMAC-SHA-256 with lab keys, window 32, X_SA2, and
 * lifetimes when @soft_s/@hard_s are non-zero.
 */
static inline void build_esp(struct pfkey_buf *b, uint8_t type, uint32_t seq, const char *src,
		      const char *dst, uint32_t spi, uint64_t soft_s, uint64_t hard_s)
{
	uint8_t ek[16], ak[32];

	lab_keys(spi, ek, ak);
	assert_int_equal(pfkey_buf_init(b, type, SADB_SATYPE_ESP, seq, 4242), 0);
	pfkey_add_sa(b, spi, 32, SADB_SASTATE_MATURE, SADB_X_AALG_SHA2_256HMAC, SADB_X_EALG_AESCBC, 0);
	if (hard_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, 0, 0, hard_s, 0);
	if (soft_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, 0, 0, soft_s, 0);
	add_addr(b, SADB_EXT_ADDRESS_SRC, src);
	add_addr(b, SADB_EXT_ADDRESS_DST, dst);
	pfkey_add_key(b, SADB_EXT_KEY_AUTH, 256, ak);
	pfkey_add_key(b, SADB_EXT_KEY_ENCRYPT, 128, ek);
	pfkey_add_sa2(b, IPSEC_MODE_TRANSPORT, 0);
}

/* GET/DELETE of (@satype, @dst, @spi). */
static inline void build_id(struct pfkey_buf *b, uint8_t type, uint8_t satype, uint32_t seq,
		     const char *src, const char *dst, uint32_t spi)
{
	assert_int_equal(pfkey_buf_init(b, type, satype, seq, 4242), 0);
	pfkey_add_sa(b, spi, 0, 0, 0, 0, 0);
	add_addr(b, SADB_EXT_ADDRESS_SRC, src);
	add_addr(b, SADB_EXT_ADDRESS_DST, dst);
}

/* A message that is only a header. */
static inline void build_base(struct pfkey_buf *b, uint8_t type, uint8_t satype, uint32_t seq)
{
	assert_int_equal(pfkey_buf_init(b, type, satype, seq, 4242), 0);
}

/* The SPI (host order) of message @i's SA extension, 0 if none. */
static inline uint32_t ps_spi(const struct psock *p, unsigned i)
{
	struct pfkey_msg m;

	ps_parse(p, i, &m);
	return pfkey_get_spi(&m);
}

/* A policy as the tests install it. */
static inline struct xfrm_policy policy(const char *src, const char *dst, int dir)
{
	struct xfrm_policy p = { .sel = lab_sel(src, 128, dst, 128, IPPROTO_UDP), .dir = (uint8_t)dir,
				 .action = XFRM_ACT_IPSEC, .ntmpl = 1, .priority = 0x80000000u };

	p.tmpl[0] = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE);
	return p;
}

/* An SPD request of @type carrying @p (selector and X_POLICY). */
static inline void build_spd(struct pfkey_buf *b, uint8_t type, uint32_t seq, const struct xfrm_policy *p)
{
	build_base(b, type, SADB_SATYPE_UNSPEC, seq);
	assert_int_equal(pfkey_add_policy(b, p), 0);
}

/* The X_POLICY id of message @i. */
static inline uint32_t ps_policy_id(const struct psock *p, unsigned i)
{
	struct pfkey_msg m;
	const struct sadb_x_policy *xp;

	ps_parse(p, i, &m);
	xp = PFKEY_EXT(&m, SADB_X_EXT_POLICY, sadb_x_policy);
	assert_non_null(xp);
	return xp->sadb_x_policy_id;
}

#endif
