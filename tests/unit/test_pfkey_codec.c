/*
 * The PF_KEY codec: every message type usagi handles built with the
 * builder, parsed back and checked field by field; SA configuration ->
 * wire -> configuration and policy -> wire -> policy identity (IPv4/IPv6,
 * transport/tunnel, every algorithm id, NAT-T, ESN, replay 4096); the
 * builder's limits. The per-type rules and conversion refusals are in
 * test_pfkey_check.c, malformed framing and byte-exact vectors in
 * test_pfkey_wire.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/common.h"
#include "proto/ip4.h"
#include "crypto/crypto.h"
#include "pfkey/pfkey_codec.h"

#define B(t) ((uint64_t)1 << (t))

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct in6_addr a4(const char *s)
{
	struct in6_addr a;
	struct in_addr v4;

	assert_int_equal(inet_pton(AF_INET, s, &v4), 1);
	ip4_to_mapped(&a, v4.s_addr);
	return a;
}

/* Finishes @b, parses and checks it; the extensions present as a bit set. */
static uint64_t finish_parse(struct pfkey_buf *b, struct pfkey_msg *m)
{
	const char *why = NULL;
	uint64_t have = 0;
	int rc;

	assert_int_equal(pfkey_buf_finish(b), 0);
	assert_int_equal(b->len % 8, 0);
	rc = pfkey_parse(b->data, b->len, m);
	if (rc)
		fail_msg("parse: %d %s", rc, m->why);
	rc = pfkey_check_why(m, &why);
	if (rc)
		fail_msg("check: %d %s", rc, why);
	assert_int_equal(m->hdr->sadb_msg_len * 8, b->len);
	for (unsigned t = 1; t < PFKEY_EXT_SLOTS; t++)
		if (m->ext[t])
			have |= B(t);
	return have;
}

static void hdr_is(const struct pfkey_msg *m, uint8_t type, uint8_t satype, uint32_t seq, uint32_t pid)
{
	assert_int_equal(m->hdr->sadb_msg_version, PF_KEY_V2);
	assert_int_equal(m->hdr->sadb_msg_type, type);
	assert_int_equal(m->hdr->sadb_msg_satype, satype);
	assert_int_equal(m->hdr->sadb_msg_seq, seq);
	assert_int_equal(m->hdr->sadb_msg_pid, pid);
	assert_int_equal(m->hdr->sadb_msg_errno, 0);
	assert_int_equal(m->hdr->sadb_msg_reserved, 0);
}

static void addr_is(const struct pfkey_msg *m, unsigned type, const struct in6_addr *a,
		    uint8_t family, uint16_t port, uint8_t plen, uint8_t proto)
{
	struct pfkey_addr x;

	assert_int_equal(pfkey_get_address(m, type, &x), 0);
	assert_memory_equal(&x.addr, a, 16);
	assert_int_equal(x.family, family);
	assert_int_equal(x.port, port);
	assert_int_equal(x.plen, plen);
	assert_int_equal(x.proto, proto);
}

/* ---- Every message type through the raw builder ---------------------------------------- */

static void test_getspi(void **state)
{
	struct in6_addr s = a4("192.0.2.1"), d = a4("198.51.100.2");
	struct pfkey_buf b;
	struct pfkey_msg m;
	const struct sadb_spirange *r;
	const struct sadb_x_sa2 *sa2;

	assert_int_equal(pfkey_buf_init(&b, SADB_GETSPI, SADB_SATYPE_ESP, 7, 1234), 0);
	pfkey_add_sa2(&b, IPSEC_MODE_TUNNEL, 42);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET, 0, 32, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET, 0, 32, 0);
	pfkey_add_spirange(&b, 0x100, 0x200);
	assert_int_equal(finish_parse(&b, &m), B(SADB_X_EXT_SA2) | B(SADB_EXT_ADDRESS_SRC) |
			 B(SADB_EXT_ADDRESS_DST) | B(SADB_EXT_SPIRANGE));
	hdr_is(&m, SADB_GETSPI, SADB_SATYPE_ESP, 7, 1234);
	addr_is(&m, SADB_EXT_ADDRESS_SRC, &s, AF_INET, 0, 32, 0);
	addr_is(&m, SADB_EXT_ADDRESS_DST, &d, AF_INET, 0, 32, 0);
	r = PFKEY_EXT(&m, SADB_EXT_SPIRANGE, sadb_spirange);
	assert_int_equal(r->sadb_spirange_min, 0x100);
	assert_int_equal(r->sadb_spirange_max, 0x200);
	sa2 = PFKEY_EXT(&m, SADB_X_EXT_SA2, sadb_x_sa2);
	assert_int_equal(sa2->sadb_x_sa2_mode, IPSEC_MODE_TUNNEL);
	assert_int_equal(sa2->sadb_x_sa2_reqid, 42);
	pfkey_buf_free(&b);
}

static const uint8_t akey[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
static const uint8_t ekey[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

/* ADD and UPDATE: the full SA message, every extension an SA can carry. */
static void sa_full(uint8_t type)
{
	struct in6_addr s = a6("2001:db8::1"), d = a6("2001:db8::2"), oa = a4("10.0.0.1");
	const struct sadb_lifetime *l;
	const struct sadb_sa *sa;
	struct pfkey_buf b;
	struct pfkey_msg m;
	unsigned bits;
	const uint8_t *k;

	assert_int_equal(pfkey_buf_init(&b, type, SADB_SATYPE_ESP, 9, 77), 0);
	pfkey_add_sa(&b, 0x12345678, 4096, SADB_SASTATE_MATURE, SADB_AALG_SHA1HMAC,
		     SADB_X_EALG_AESCBC, SADB_X_SAFLAGS_ESN);
	pfkey_add_sa2(&b, IPSEC_MODE_TRANSPORT, 5);
	pfkey_add_sa_replay(&b, 4096);
	pfkey_add_lifetime(&b, SADB_EXT_LIFETIME_HARD, 1000, 2000, 3600, 600);
	pfkey_add_lifetime(&b, SADB_EXT_LIFETIME_SOFT, 900, 1800, 3000, 500);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET6, 0, 128, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET6, 0, 128, 0);
	pfkey_add_key(&b, SADB_EXT_KEY_AUTH, 160, akey);
	pfkey_add_key(&b, SADB_EXT_KEY_ENCRYPT, 128, ekey);
	pfkey_add_natt(&b, UDP_ENCAP_ESPINUDP, 4500, 4501);
	pfkey_add_address(&b, SADB_X_EXT_NAT_T_OA, &oa, AF_INET, 0, 32, 0);
	pfkey_add_ident(&b, SADB_EXT_IDENTITY_SRC, SADB_IDENTTYPE_FQDN, 0, "gw.example.org");
	assert_true(b.has_keys);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SA) | B(SADB_X_EXT_SA2) |
			 B(SADB_X_EXT_SA_REPLAY) | B(SADB_EXT_LIFETIME_HARD) | B(SADB_EXT_LIFETIME_SOFT) |
			 B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST) | B(SADB_EXT_KEY_AUTH) |
			 B(SADB_EXT_KEY_ENCRYPT) | B(SADB_X_EXT_NAT_T_TYPE) | B(SADB_X_EXT_NAT_T_SPORT) |
			 B(SADB_X_EXT_NAT_T_DPORT) | B(SADB_X_EXT_NAT_T_OA) | B(SADB_EXT_IDENTITY_SRC));
	hdr_is(&m, type, SADB_SATYPE_ESP, 9, 77);
	sa = PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa);
	assert_int_equal(sa->sadb_sa_spi, htonl(0x12345678));
	assert_int_equal(pfkey_get_spi(&m), 0x12345678);
	assert_int_equal(sa->sadb_sa_replay, 255);
	assert_int_equal(sa->sadb_sa_auth, SADB_AALG_SHA1HMAC);
	assert_int_equal(sa->sadb_sa_encrypt, SADB_X_EALG_AESCBC);
	assert_int_equal(sa->sadb_sa_flags, SADB_X_SAFLAGS_ESN);
	assert_int_equal(PFKEY_EXT(&m, SADB_X_EXT_SA_REPLAY, sadb_x_sa_replay)->sadb_x_sa_replay_replay, 4096);
	l = PFKEY_EXT(&m, SADB_EXT_LIFETIME_HARD, sadb_lifetime);
	assert_int_equal(l->sadb_lifetime_allocations, 1000);
	assert_int_equal(l->sadb_lifetime_bytes, 2000);
	assert_int_equal(l->sadb_lifetime_addtime, 3600);
	assert_int_equal(l->sadb_lifetime_usetime, 600);
	addr_is(&m, SADB_EXT_ADDRESS_SRC, &s, AF_INET6, 0, 128, 0);
	addr_is(&m, SADB_X_EXT_NAT_T_OA, &oa, AF_INET, 0, 32, 0);
	k = pfkey_get_key(&m, SADB_EXT_KEY_AUTH, &bits);
	assert_int_equal(bits, 160);
	assert_memory_equal(k, akey, 20);
	k = pfkey_get_key(&m, SADB_EXT_KEY_ENCRYPT, &bits);
	assert_int_equal(bits, 128);
	assert_memory_equal(k, ekey, 16);
	assert_int_equal(ntohs(PFKEY_EXT(&m, SADB_X_EXT_NAT_T_SPORT, sadb_x_nat_t_port)->sadb_x_nat_t_port_port), 4500);
	assert_int_equal(ntohs(PFKEY_EXT(&m, SADB_X_EXT_NAT_T_DPORT, sadb_x_nat_t_port)->sadb_x_nat_t_port_port), 4501);
	assert_string_equal((const char *)(PFKEY_EXT(&m, SADB_EXT_IDENTITY_SRC, sadb_ident) + 1),
			    "gw.example.org");
	pfkey_buf_free(&b);
	assert_null(b.data);
}

static void test_add_update(void **state)
{
	sa_full(SADB_ADD);
	sa_full(SADB_UPDATE);
}

/* DELETE, GET: SA + addresses; FLUSH, DUMP, REGISTER request, promisc: the header. */
static void test_delete_get_flush_dump(void **state)
{
	static const uint8_t types[] = { SADB_DELETE, SADB_GET };
	struct in6_addr s = a6("2001:db8::1"), d = a6("2001:db8::2");
	struct pfkey_buf b;
	struct pfkey_msg m;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		pfkey_buf_init(&b, types[i], SADB_SATYPE_AH, 3, 4);
		pfkey_add_sa(&b, 0x1001, 0, 0, 0, 0, 0);
		pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET6, 0, 0xff, 0);
		pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET6, 0, 0xff, 0);
		assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SA) | B(SADB_EXT_ADDRESS_SRC) |
				 B(SADB_EXT_ADDRESS_DST));
		hdr_is(&m, types[i], SADB_SATYPE_AH, 3, 4);
		assert_int_equal(pfkey_get_spi(&m), 0x1001);
		addr_is(&m, SADB_EXT_ADDRESS_DST, &d, AF_INET6, 0, 128, 0);
		pfkey_buf_free(&b);
	}
	static const struct { uint8_t type, satype; } bare[] = {
		{ SADB_FLUSH, SADB_SATYPE_UNSPEC }, { SADB_FLUSH, SADB_SATYPE_ESP },
		{ SADB_DUMP, SADB_SATYPE_UNSPEC }, { SADB_DUMP, SADB_X_SATYPE_IPCOMP },
		{ SADB_REGISTER, SADB_SATYPE_ESP }, { SADB_X_PROMISC, 1 }, { SADB_X_PROMISC, 0 },
		{ SADB_X_SPDFLUSH, 0 }, { SADB_X_SPDDUMP, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bare); i++) {
		pfkey_buf_init(&b, bare[i].type, bare[i].satype, (uint32_t)i, 99);
		assert_int_equal(finish_parse(&b, &m), 0);
		assert_int_equal(b.len, 16);
		hdr_is(&m, bare[i].type, bare[i].satype, (uint32_t)i, 99);
		pfkey_buf_free(&b);
	}
}

static void test_register_reply(void **state)
{
	struct pfkey_buf b;
	struct pfkey_msg m;
	const struct sadb_alg *alg;
	const struct crypto_alg *ca;
	size_t nenc = 0, nauth = 0, seen_enc = 0;
	const struct sadb_ext *e;

	for (unsigned i = 0; (ca = crypto_alg_at(i)); i++) {
		nenc += ca->kind == CRYPTO_ENC || ca->kind == CRYPTO_AEAD;
		nauth += ca->kind == CRYPTO_AUTH;
	}
	pfkey_buf_init(&b, SADB_REGISTER, SADB_SATYPE_ESP, 1, 2);
	assert_int_equal(pfkey_add_supported(&b, SADB_EXT_SUPPORTED_AUTH, SADB_SATYPE_ESP), 0);
	assert_int_equal(pfkey_add_supported(&b, SADB_EXT_SUPPORTED_ENCRYPT, SADB_SATYPE_ESP), 0);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SUPPORTED_AUTH) | B(SADB_EXT_SUPPORTED_ENCRYPT));
	e = m.ext[SADB_EXT_SUPPORTED_ENCRYPT];
	assert_int_equal(e->sadb_ext_len * 8, 8 + nenc * 8);
	assert_int_equal(m.ext[SADB_EXT_SUPPORTED_AUTH]->sadb_ext_len * 8, 8 + nauth * 8);
	alg = (const struct sadb_alg *)(const void *)((const uint8_t *)e + 8);
	for (size_t i = 0; i < nenc; i++, alg++) {
		const struct crypto_alg *c = crypto_alg_by_sadb(CRYPTO_ENC, alg->sadb_alg_id);

		assert_non_null(c);
		assert_int_equal(alg->sadb_alg_ivlen, c->iv_len);
		assert_int_equal(alg->sadb_alg_minbits, c->key_min_bits);
		assert_int_equal(alg->sadb_alg_maxbits, c->key_max_bits);
		seen_enc += alg->sadb_alg_id == SADB_X_EALG_AESCBC;
	}
	assert_int_equal(seen_enc, 1);
	pfkey_buf_free(&b);

	/* AH: AUTH only; the ENCRYPT call adds nothing. IPComp: compression under ENCRYPT. */
	pfkey_buf_init(&b, SADB_REGISTER, SADB_SATYPE_AH, 1, 2);
	pfkey_add_supported(&b, SADB_EXT_SUPPORTED_AUTH, SADB_SATYPE_AH);
	pfkey_add_supported(&b, SADB_EXT_SUPPORTED_ENCRYPT, SADB_SATYPE_AH);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SUPPORTED_AUTH));
	pfkey_buf_free(&b);
	pfkey_buf_init(&b, SADB_REGISTER, SADB_X_SATYPE_IPCOMP, 1, 2);
	pfkey_add_supported(&b, SADB_EXT_SUPPORTED_ENCRYPT, SADB_X_SATYPE_IPCOMP);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SUPPORTED_ENCRYPT));
	alg = (const struct sadb_alg *)(const void *)((const uint8_t *)m.ext[SADB_EXT_SUPPORTED_ENCRYPT] + 8);
	assert_int_equal(alg->sadb_alg_id, SADB_X_CALG_DEFLATE);
	pfkey_buf_free(&b);
}

static void test_acquire(void **state)
{
	struct in6_addr s = a6("2001:db8:1::1"), d = a6("2001:db8:2::1");
	struct xfrm_lifetime lft = { .hard_add_s = 28800, .soft_add_s = 25200 };
	const struct sadb_x_policy *xp;
	const struct sadb_comb *c;
	const struct sadb_prop *p;
	struct pfkey_buf b;
	struct pfkey_msg m;
	size_t n, aead = 0, enc_none = 0;

	pfkey_buf_init(&b, SADB_ACQUIRE, SADB_SATYPE_ESP, 5, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET6, 0, 128, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET6, 0, 128, 0);
	pfkey_add_policy_id(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0x19, 7);
	assert_int_equal(pfkey_add_proposal(&b, SADB_SATYPE_ESP, 32, &lft), 0);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST) |
			 B(SADB_X_EXT_POLICY) | B(SADB_EXT_PROPOSAL));
	hdr_is(&m, SADB_ACQUIRE, SADB_SATYPE_ESP, 5, 0);
	xp = PFKEY_EXT(&m, SADB_X_EXT_POLICY, sadb_x_policy);
	assert_int_equal(xp->sadb_x_policy_id, 0x19);
	assert_int_equal(xp->sadb_x_policy_dir, IPSEC_DIR_OUTBOUND);
	p = PFKEY_EXT(&m, SADB_EXT_PROPOSAL, sadb_prop);
	assert_int_equal(p->sadb_prop_replay, 32);
	n = (p->sadb_prop_len * 8u - sizeof(*p)) / sizeof(*c);
	assert_true(n > 20);
	c = (const struct sadb_comb *)(const void *)(p + 1);
	for (size_t i = 0; i < n; i++) {
		const struct crypto_alg *e = crypto_alg_by_sadb(CRYPTO_ENC, c[i].sadb_comb_encrypt);

		assert_non_null(e);
		aead += e->kind == CRYPTO_AEAD;
		if (e->kind == CRYPTO_AEAD)
			assert_int_equal(c[i].sadb_comb_auth, 0);
		enc_none += c[i].sadb_comb_encrypt == SADB_EALG_NULL && c[i].sadb_comb_auth == 0;
		assert_int_equal(c[i].sadb_comb_hard_addtime, 28800);
		assert_int_equal(c[i].sadb_comb_soft_addtime, 25200);
	}
	assert_int_equal(aead, 4);
	assert_int_equal(enc_none, 0);   /* null with no integrity is no protection at all */
	pfkey_buf_free(&b);
	/* AH proposals carry only integrity; IPComp only compression. */
	pfkey_buf_init(&b, SADB_ACQUIRE, SADB_SATYPE_AH, 5, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET6, 0, 128, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET6, 0, 128, 0);
	assert_int_equal(pfkey_add_proposal(&b, SADB_SATYPE_AH, 0, NULL), 0);
	finish_parse(&b, &m);
	p = PFKEY_EXT(&m, SADB_EXT_PROPOSAL, sadb_prop);
	c = (const struct sadb_comb *)(const void *)(p + 1);
	for (size_t i = 0; i < (p->sadb_prop_len * 8u - 8) / 72; i++) {
		assert_int_equal(c[i].sadb_comb_encrypt, 0);
		assert_non_null(crypto_alg_by_sadb(CRYPTO_AUTH, c[i].sadb_comb_auth));
	}
	pfkey_buf_free(&b);
}

static void test_expire(void **state)
{
	struct in6_addr s = a4("192.0.2.1"), d = a4("192.0.2.2");
	struct pfkey_buf b;
	struct pfkey_msg m;

	pfkey_buf_init(&b, SADB_EXPIRE, SADB_SATYPE_ESP, 0, 0);
	pfkey_add_sa(&b, 0x2000, 32, SADB_SASTATE_DYING, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, 0);
	pfkey_add_lifetime(&b, SADB_EXT_LIFETIME_CURRENT, 10, 1000, 100, 101);
	pfkey_add_lifetime(&b, SADB_EXT_LIFETIME_SOFT, 0, 0, 30, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET, 0, 32, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET, 0, 32, 0);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SA) | B(SADB_EXT_LIFETIME_CURRENT) |
			 B(SADB_EXT_LIFETIME_SOFT) | B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST));
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_state, SADB_SASTATE_DYING);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime)->sadb_lifetime_usetime, 101);
	pfkey_buf_free(&b);
}

/* ---- Policies --------------------------------------------------------------------------- */

static struct xfrm_policy pol_tunnel4in6(void)
{
	struct xfrm_policy p;

	memset(&p, 0, sizeof(p));
	p.sel.family = AF_INET6;
	p.sel.src = a6("2001:db8:1::");
	p.sel.dst = a6("2001:db8:2::");
	p.sel.splen = 48;
	p.sel.dplen = 64;
	p.sel.proto = IPPROTO_TCP;
	p.sel.dport = 443;
	p.sel.dport_mask = 0xffff;
	p.dir = XFRM_DIR_OUT;
	p.action = XFRM_ACT_IPSEC;
	p.priority = 0x80000000u;
	p.index = (5 << 3) | XFRM_DIR_OUT;
	p.ntmpl = 3;
	p.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_COMP, .mode = XFRM_TMPL_TRANSPORT,
					.level = XFRM_LEVEL_USE };
	p.tmpl[1] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_TMPL_TRANSPORT,
					.level = XFRM_LEVEL_REQUIRE };
	p.tmpl[2] = (struct xfrm_tmpl){ .proto = IPPROTO_AH, .mode = XFRM_TMPL_TUNNEL,
					.level = XFRM_LEVEL_UNIQUE, .reqid = 77, .family = AF_INET,
					.saddr = a4("192.0.2.1"), .daddr = a4("198.51.100.1") };
	return p;
}

static void policy_equal(const struct xfrm_policy *a, const struct xfrm_policy *b)
{
	assert_int_equal(a->sel.family, b->sel.family);
	assert_memory_equal(&a->sel.src, &b->sel.src, 16);
	assert_memory_equal(&a->sel.dst, &b->sel.dst, 16);
	assert_int_equal(a->sel.splen, b->sel.splen);
	assert_int_equal(a->sel.dplen, b->sel.dplen);
	assert_int_equal(a->sel.proto, b->sel.proto);
	assert_int_equal(a->sel.sport, b->sel.sport);
	assert_int_equal(a->sel.dport, b->sel.dport);
	assert_int_equal(a->sel.sport_mask, b->sel.sport_mask);
	assert_int_equal(a->sel.dport_mask, b->sel.dport_mask);
	assert_int_equal(a->dir, b->dir);
	assert_int_equal(a->action, b->action);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->ntmpl, b->ntmpl);
	for (unsigned i = 0; i < a->ntmpl; i++) {
		const struct xfrm_tmpl *x = &a->tmpl[i], *y = &b->tmpl[i];

		assert_int_equal(x->proto, y->proto);
		assert_int_equal(x->mode, y->mode);
		assert_int_equal(x->level, y->level);
		assert_int_equal(x->reqid, y->reqid);
		assert_int_equal(x->family, y->family);
		assert_memory_equal(&x->saddr, &y->saddr, 16);
		assert_memory_equal(&x->daddr, &y->daddr, 16);
	}
}

/* @pol -> message @type -> parse -> check -> policy, equal to @pol. */
static void policy_round_trip(const struct xfrm_policy *pol, uint8_t type)
{
	struct xfrm_policy back;
	struct pfkey_buf b;
	struct pfkey_msg m;
	const char *why;
	int rc;

	pfkey_buf_init(&b, type, SADB_SATYPE_UNSPEC, 11, 12);
	assert_int_equal(pfkey_add_policy(&b, pol), 0);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST) |
			 B(SADB_X_EXT_POLICY));
	hdr_is(&m, type, 0, 11, 12);
	rc = pfkey_to_policy(&m, &back, &why);
	if (rc)
		fail_msg("to_policy: %s", why);
	policy_equal(pol, &back);
	pfkey_buf_free(&b);
}

static void test_policy_round_trip(void **state)
{
	static const uint8_t types[] = { SADB_X_SPDADD, SADB_X_SPDUPDATE, SADB_X_SPDSETIDX,
					 SADB_X_SPDDELETE, SADB_X_SPDEXPIRE };
	struct xfrm_policy p = pol_tunnel4in6(), q;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		policy_round_trip(&p, types[i]);
	/* IPv4 selector, IPv6 tunnel, icmp type/code in the ports, fwd, every level. */
	memset(&q, 0, sizeof(q));
	q.sel.family = AF_INET;
	q.sel.src = a4("192.0.2.0");
	q.sel.dst = a4("198.51.100.0");
	q.sel.splen = 24;
	q.sel.dplen = 25;
	q.sel.proto = IPPROTO_ICMP;
	q.sel.sport = 8;
	q.sel.sport_mask = 0xffff;
	q.dir = XFRM_DIR_FWD;
	q.action = XFRM_ACT_IPSEC;
	q.priority = 100;
	q.ntmpl = 1;
	q.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_TMPL_TUNNEL,
					.level = XFRM_LEVEL_DEFAULT, .family = AF_INET6,
					.saddr = a6("2001:db8::a"), .daddr = a6("2001:db8::b") };
	policy_round_trip(&q, SADB_X_SPDADD);
	for (uint8_t lvl = XFRM_LEVEL_DEFAULT; lvl <= XFRM_LEVEL_UNIQUE; lvl++) {
		q.tmpl[0].level = lvl;
		q.dir = lvl % 3;
		policy_round_trip(&q, SADB_X_SPDADD);
	}
	/* A tunnel whose outer source is any (:: on an in policy). */
	q.tmpl[0].family = AF_INET;
	memset(&q.tmpl[0].saddr, 0, 16);
	q.tmpl[0].daddr = a4("203.0.113.9");
	policy_round_trip(&q, SADB_X_SPDADD);
	/* Block and allow, any protocol, any ports. */
	q.ntmpl = 0;
	q.sel.proto = XFRM_PROTO_ANY;
	q.sel.sport = 0;
	q.sel.sport_mask = 0;
	q.action = XFRM_ACT_BLOCK;
	policy_round_trip(&q, SADB_X_SPDADD);
	q.action = XFRM_ACT_ALLOW;
	q.sel.splen = q.sel.dplen = 0;
	policy_round_trip(&q, SADB_X_SPDUPDATE);
}

/* The ipsecrequest layout on the wire: byte lengths, the endpoint pair back to back. */
static void test_policy_wire_layout(void **state)
{
	struct xfrm_policy p = pol_tunnel4in6();
	const struct sadb_x_ipsecrequest *rq;
	const uint8_t *x;
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct sockaddr_in sin;

	pfkey_buf_init(&b, SADB_X_SPDADD, 0, 1, 1);
	pfkey_add_policy(&b, &p);
	finish_parse(&b, &m);
	x = (const uint8_t *)m.ext[SADB_X_EXT_POLICY];
	assert_int_equal(m.ext[SADB_X_EXT_POLICY]->sadb_ext_len * 8, 16 + 16 + 16 + 48);
	rq = (const void *)(x + 16);
	assert_int_equal(rq->sadb_x_ipsecrequest_len, 16);
	assert_int_equal(rq->sadb_x_ipsecrequest_proto, IPPROTO_COMP);
	assert_int_equal(rq->sadb_x_ipsecrequest_mode, IPSEC_MODE_TRANSPORT);
	assert_int_equal(rq->sadb_x_ipsecrequest_level, IPSEC_LEVEL_USE);
	rq = (const void *)(x + 48);
	assert_int_equal(rq->sadb_x_ipsecrequest_len, 48);
	assert_int_equal(rq->sadb_x_ipsecrequest_mode, IPSEC_MODE_TUNNEL);
	assert_int_equal(rq->sadb_x_ipsecrequest_level, IPSEC_LEVEL_UNIQUE);
	assert_int_equal(rq->sadb_x_ipsecrequest_reqid, 77);
	memcpy(&sin, x + 48 + 16 + 16, sizeof(sin));
	assert_int_equal(sin.sin_family, AF_INET);
	assert_int_equal(ntohl(sin.sin_addr.s_addr), 0xc6336401);   /* 198.51.100.1 */
	addr_is(&m, SADB_EXT_ADDRESS_DST, &p.sel.dst, AF_INET6, 443, 64, IPPROTO_TCP);
	pfkey_buf_free(&b);
}

static void test_spd_by_id(void **state)
{
	static const uint8_t types[] = { SADB_X_SPDGET, SADB_X_SPDDELETE2 };
	struct xfrm_policy p = pol_tunnel4in6(), back;
	struct pfkey_buf b;
	struct pfkey_msg m;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		pfkey_buf_init(&b, types[i], 0, 2, 3);
		pfkey_add_policy_id(&b, IPSEC_POLICY_DISCARD, IPSEC_DIR_OUTBOUND, 41, 0);
		assert_int_equal(finish_parse(&b, &m), B(SADB_X_EXT_POLICY));
		assert_int_equal(PFKEY_EXT(&m, SADB_X_EXT_POLICY, sadb_x_policy)->sadb_x_policy_id, 41);
		pfkey_buf_free(&b);
		/* The reply: the whole policy with its current lifetime. */
		p.add_time = 5 * NS_PER_SEC;
		p.packets = 3;
		pfkey_buf_init(&b, types[i], 0, 2, 3);
		pfkey_add_policy(&b, &p);
		pfkey_add_policy_current(&b, &p, 0);
		assert_int_equal(finish_parse(&b, &m), B(SADB_X_EXT_POLICY) | B(SADB_EXT_ADDRESS_SRC) |
				 B(SADB_EXT_ADDRESS_DST) | B(SADB_EXT_LIFETIME_CURRENT));
		assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime)->sadb_lifetime_addtime, 5);
		assert_int_equal(pfkey_to_policy(&m, &back, NULL), 0);
		policy_equal(&p, &back);
		pfkey_buf_free(&b);
	}
}

/* ---- SA configuration round trips ------------------------------------------------------- */

static void fill_key(struct xfrm_algo *a, const struct crypto_alg *alg, uint8_t seed)
{
	snprintf(a->name, sizeof(a->name), "%s", alg->name);
	a->key_len = alg->key_min_bits / 8;
	for (unsigned i = 0; i < a->key_len; i++)
		a->key[i] = (uint8_t)(seed + i * 7);
}

static struct xfrm_sa_cfg base_cfg(uint8_t proto, uint8_t family, uint8_t mode)
{
	struct xfrm_sa_cfg c;

	memset(&c, 0, sizeof(c));
	c.id.proto = proto;
	c.id.spi = proto == IPPROTO_COMP ? 0x4321 : 0x8badf00d;
	c.family = family;
	c.mode = mode;
	c.reqid = 9;
	c.replay_window = 64;
	if (family == AF_INET) {
		c.saddr = a4("192.0.2.1");
		c.id.daddr = a4("198.51.100.2");
	} else {
		c.saddr = a6("2001:db8::1");
		c.id.daddr = a6("2001:db8::2");
	}
	c.lft = (struct xfrm_lifetime){ .soft_bytes = 1 << 20, .hard_bytes = 2 << 20, .soft_packets = 10,
					.hard_packets = 20, .soft_add_s = 30, .hard_add_s = 40,
					.soft_use_s = 5, .hard_use_s = 6 };
	return c;
}

static void algo_equal(const struct xfrm_algo *a, const struct xfrm_algo *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->key_len, b->key_len);
	assert_memory_equal(a->key, b->key, a->key_len);
}

static void cfg_equal(const struct xfrm_sa_cfg *a, const struct xfrm_sa_cfg *b)
{
	assert_memory_equal(&a->id.daddr, &b->id.daddr, 16);
	assert_int_equal(a->id.spi, b->id.spi);
	assert_int_equal(a->id.proto, b->id.proto);
	assert_memory_equal(&a->saddr, &b->saddr, 16);
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->replay_window, b->replay_window);
	assert_int_equal(a->reqid, b->reqid);
	assert_int_equal(a->flags, b->flags);
	algo_equal(&a->enc, &b->enc);
	algo_equal(&a->auth, &b->auth);
	algo_equal(&a->comp, &b->comp);
	assert_memory_equal(&a->lft, &b->lft, sizeof(a->lft));
	assert_int_equal(a->encap.type, b->encap.type);
	assert_int_equal(a->encap.sport, b->encap.sport);
	assert_int_equal(a->encap.dport, b->encap.dport);
	assert_memory_equal(&a->encap.oa, &b->encap.oa, 16);
}

/* cfg -> an SA in @st -> pfkey_add_state in message @type -> parse -> cfg. */
static void sa_round_trip(const struct xfrm_sa_cfg *c, uint8_t type)
{
	struct xfrm_state x;
	struct xfrm_sa_cfg back;
	struct pfkey_buf b;
	struct pfkey_msg m;
	const char *why;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = *c;
	x.state = XFRM_STATE_MATURE;
	x.seq_out = 0x100000005ull;
	x.cur = (struct xfrm_lifetime_cur){ .bytes = 999, .packets = 3, .add_time = 7 * NS_PER_SEC };
	/* The window the SAD runs is what goes out (xfrm_state_add makes it so). */
	if (c->replay_window && c->id.proto != IPPROTO_COMP)
		x.replay = xfrm_replay_new(c->replay_window, c->flags & XFRM_SA_F_ESN);
	pfkey_buf_init(&b, type, pfkey_proto_to_satype(c->id.proto), 1, 2);
	assert_int_equal(pfkey_add_state(&b, &x, true, 0), 0);
	xfrm_replay_free(x.replay);
	finish_parse(&b, &m);
	assert_int_equal(PFKEY_EXT(&m, SADB_X_EXT_SA2, sadb_x_sa2)->sadb_x_sa2_sequence, 5);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime)->sadb_lifetime_addtime, 7);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime)->sadb_lifetime_allocations, 3);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_state, SADB_SASTATE_MATURE);
	assert_int_equal(!!m.ext[SADB_X_EXT_SA_REPLAY], c->replay_window > 255);
	rc = pfkey_to_sa_cfg(&m, &back, &why);
	if (rc)
		fail_msg("to_sa_cfg %s/%s: %s", c->enc.name, c->auth.name, why);
	cfg_equal(c, &back);
	crypto_wipe(&back, sizeof(back));
	pfkey_buf_free(&b);
}

static void test_sa_every_algorithm(void **state)
{
	static const uint8_t types[] = { SADB_ADD, SADB_UPDATE, SADB_GET, SADB_DUMP, SADB_EXPIRE };
	const struct crypto_alg *alg, *aes = crypto_alg_by_name(CRYPTO_ENC, "aes-cbc"),
				      *sha1 = crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha1");
	unsigned n = 0;

	for (unsigned i = 0; (alg = crypto_alg_at(i)); i++) {
		for (int v6 = 0; v6 <= 1; v6++) {
			uint8_t fam = v6 ? AF_INET6 : AF_INET, mode = (uint8_t)((i + (unsigned)v6) % 2);
			struct xfrm_sa_cfg c;

			switch (alg->kind) {
			case CRYPTO_ENC:
			case CRYPTO_AEAD:
				c = base_cfg(IPPROTO_ESP, fam, mode);
				fill_key(&c.enc, alg, 0x11);
				if (alg->kind == CRYPTO_ENC)
					fill_key(&c.auth, sha1, 0x22);
				break;
			case CRYPTO_AUTH:
				c = base_cfg(IPPROTO_AH, fam, mode);
				fill_key(&c.auth, alg, 0x33);
				sa_round_trip(&c, types[i % ARRAY_SIZE(types)]);
				c = base_cfg(IPPROTO_ESP, fam, mode);
				fill_key(&c.enc, aes, 0x44);
				fill_key(&c.auth, alg, 0x55);
				break;
			case CRYPTO_COMP:
				c = base_cfg(IPPROTO_COMP, fam, mode);
				snprintf(c.comp.name, sizeof(c.comp.name), "%s", alg->name);
				c.replay_window = 0;
				break;
			}
			sa_round_trip(&c, types[i % ARRAY_SIZE(types)]);
			n++;
		}
	}
	assert_true(n >= 2 * 20);
}

static void test_sa_features(void **state)
{
	struct xfrm_sa_cfg c = base_cfg(IPPROTO_ESP, AF_INET, XFRM_MODE_TUNNEL);

	fill_key(&c.enc, crypto_alg_by_name(CRYPTO_ENC, "aes-gcm-16"), 1);
	/* ESN with a 4096-packet window: SA_REPLAY carries it, the ESN flag rides in the SA. */
	c.flags = XFRM_SA_F_ESN;
	c.replay_window = 4096;
	sa_round_trip(&c, SADB_ADD);
	c.replay_window = 255;
	sa_round_trip(&c, SADB_ADD);
	c.replay_window = 256;
	sa_round_trip(&c, SADB_ADD);
	c.replay_window = 0;
	c.flags = 0;
	sa_round_trip(&c, SADB_ADD);
	/* NAT-T with an original address. */
	c.encap = (struct xfrm_encap){ .type = UDP_ENCAP_ESPINUDP, .sport = 4500, .dport = 61000,
				       .oa = a4("10.1.2.3") };
	sa_round_trip(&c, SADB_UPDATE);
	c.encap.oa = (struct in6_addr){ 0 };
	sa_round_trip(&c, SADB_UPDATE);
	/* No lifetimes at all: HARD and SOFT are left out. */
	memset(&c.lft, 0, sizeof(c.lft));
	sa_round_trip(&c, SADB_GET);
	/* ESP with null encryption and an integrity algorithm. */
	c = base_cfg(IPPROTO_ESP, AF_INET6, XFRM_MODE_TRANSPORT);
	snprintf(c.enc.name, sizeof(c.enc.name), "null");
	fill_key(&c.auth, crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha256"), 3);
	sa_round_trip(&c, SADB_ADD);
}

/* Keys are left out without with_keys; a LARVAL SA carries no keys, but its add time and hard limit. */
static void test_state_keys_larval(void **state)
{
	struct xfrm_sa_cfg c = base_cfg(IPPROTO_ESP, AF_INET6, XFRM_MODE_TRANSPORT);
	struct xfrm_state x;
	struct pfkey_buf b;
	struct pfkey_msg m;

	fill_key(&c.enc, crypto_alg_by_name(CRYPTO_ENC, "aes-cbc"), 1);
	fill_key(&c.auth, crypto_alg_by_name(CRYPTO_AUTH, "hmac-sha1"), 2);
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.state = XFRM_STATE_DYING;
	pfkey_buf_init(&b, SADB_DUMP, SADB_SATYPE_ESP, 1, 2);
	pfkey_add_state(&b, &x, false, 0);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SA) | B(SADB_X_EXT_SA2) |
			 B(SADB_EXT_LIFETIME_CURRENT) | B(SADB_EXT_LIFETIME_HARD) |
			 B(SADB_EXT_LIFETIME_SOFT) | B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST));
	assert_false(b.has_keys);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_state, SADB_SASTATE_DYING);
	pfkey_buf_free(&b);
	/* A larval SA as xfrm_alloc_spi makes it: no keys even if asked, its add time and hard limit. */
	x.state = XFRM_STATE_LARVAL;
	x.c.lft = (struct xfrm_lifetime){ .hard_add_s = XFRM_LARVAL_LIFETIME_S };
	x.cur = (struct xfrm_lifetime_cur){ .add_time = 12 * NS_PER_SEC + 1 };
	pfkey_buf_init(&b, SADB_GETSPI, SADB_SATYPE_ESP, 1, 2);
	pfkey_add_state(&b, &x, true, 1000 * NS_PER_SEC - 1);
	assert_int_equal(finish_parse(&b, &m), B(SADB_EXT_SA) | B(SADB_X_EXT_SA2) |
			 B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST) |
			 B(SADB_EXT_LIFETIME_CURRENT) | B(SADB_EXT_LIFETIME_HARD));
	assert_false(b.has_keys);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_SA, sadb_sa)->sadb_sa_state, SADB_SASTATE_LARVAL);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_HARD, sadb_lifetime)->sadb_lifetime_addtime,
			 XFRM_LARVAL_LIFETIME_S);
	/* Add time in seconds since the epoch: epoch + stack time. */
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime)->sadb_lifetime_addtime,
			 1012);
	assert_int_equal(PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime)->sadb_lifetime_usetime, 0);
	pfkey_buf_free(&b);
}

/* ---- The builder ------------------------------------------------------------------------ */

static void test_builder_limits(void **state)
{
	static char big[60000];
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct in6_addr a = a6("2001:db8::1");

	/* Too long for sadb_msg_len: -EMSGSIZE sticks, later adds return it. */
	memset(big, 'x', sizeof(big) - 1);
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 1);
	for (int i = 0; i < 9; i++)
		pfkey_add_ident(&b, i % 2 ? SADB_EXT_IDENTITY_SRC : SADB_EXT_IDENTITY_DST,
				SADB_IDENTTYPE_FQDN, 0, big);
	assert_int_equal(pfkey_buf_finish(&b), -EMSGSIZE);
	assert_int_equal(pfkey_add_sa(&b, 1, 0, 0, 0, 0, 0), -EMSGSIZE);
	pfkey_buf_free(&b);
	/* Bad arguments. */
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 1);
	assert_int_equal(pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &a, AF_INET, 0, 33, 0), -EINVAL);
	assert_int_equal(pfkey_buf_finish(&b), -EINVAL);
	pfkey_buf_free(&b);
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 1);
	assert_int_equal(pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &a, 7, 0, 0, 0), -EINVAL);
	pfkey_buf_free(&b);
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 1);
	assert_int_equal(pfkey_add_lifetime(&b, SADB_EXT_SA, 0, 0, 0, 0), -EINVAL);
	pfkey_buf_free(&b);
	/* Error reply: the request's header with errno. */
	pfkey_buf_init(&b, SADB_GET, SADB_SATYPE_ESP, 77, 88);
	pfkey_buf_finish(&b);
	{
		struct sadb_msg req = *(struct sadb_msg *)(void *)b.data;
		struct pfkey_buf r;

		assert_int_equal(pfkey_buf_reply(&r, &req, -ESRCH), 0);
		assert_int_equal(pfkey_buf_finish(&r), 0);
		assert_int_equal(pfkey_parse(r.data, r.len, &m), 0);
		assert_int_equal(pfkey_check(&m), 0);
		assert_int_equal(m.hdr->sadb_msg_errno, ESRCH);
		assert_int_equal(m.hdr->sadb_msg_seq, 77);
		assert_int_equal(m.hdr->sadb_msg_pid, 88);
		pfkey_set_errno(&r, 1000);
		assert_int_equal(((struct sadb_msg *)(void *)r.data)->sadb_msg_errno, 255);
		pfkey_buf_free(&r);
	}
	pfkey_buf_free(&b);
	pfkey_buf_free(NULL);
}

/* Mappings and names used by the server and setkey. */
static void test_mappings(void **state)
{
	assert_int_equal(pfkey_satype_to_proto(SADB_SATYPE_ESP), IPPROTO_ESP);
	assert_int_equal(pfkey_satype_to_proto(SADB_SATYPE_AH), IPPROTO_AH);
	assert_int_equal(pfkey_satype_to_proto(SADB_X_SATYPE_IPCOMP), IPPROTO_COMP);
	assert_int_equal(pfkey_satype_to_proto(SADB_SATYPE_RSVP), 0);
	assert_int_equal(pfkey_proto_to_satype(IPPROTO_COMP), SADB_X_SATYPE_IPCOMP);
	assert_int_equal(pfkey_proto_to_satype(0), SADB_SATYPE_UNSPEC);
	assert_int_equal(pfkey_mode_to_xfrm(IPSEC_MODE_ANY), XFRM_MODE_TRANSPORT);
	assert_int_equal(pfkey_mode_to_xfrm(IPSEC_MODE_TUNNEL), XFRM_MODE_TUNNEL);
	assert_int_equal(pfkey_mode_to_xfrm(IPSEC_MODE_BEET), -EINVAL);
	assert_int_equal(pfkey_mode_from_xfrm(XFRM_MODE_TUNNEL), IPSEC_MODE_TUNNEL);
	assert_int_equal(pfkey_dir_to_xfrm(IPSEC_DIR_FWD), XFRM_DIR_FWD);
	assert_int_equal(pfkey_dir_to_xfrm(IPSEC_DIR_ANY), -EINVAL);
	assert_int_equal(pfkey_dir_from_xfrm(XFRM_DIR_IN), IPSEC_DIR_INBOUND);
	assert_int_equal(pfkey_state_from_xfrm(XFRM_STATE_DEAD), SADB_SASTATE_DEAD);
	assert_string_equal(pfkey_msg_type_name(SADB_X_SPDDELETE2), "SADB_X_SPDDELETE2");
	assert_string_equal(pfkey_msg_type_name(200), "UNKNOWN");
	assert_string_equal(pfkey_ext_type_name(SADB_X_EXT_SA_REPLAY), "SADB_X_EXT_SA_REPLAY");
	assert_string_equal(pfkey_ext_type_name(SADB_X_EXT_FILTER), "UNKNOWN");
	/* The ids crypto.h and the wire share are Linux's numbers. */
	assert_int_equal(SADB_X_EALG_AES_GCM_ICV16, 20);
	assert_int_equal(SADB_X_AALG_SHA2_256HMAC, 5);
	assert_int_equal(SADB_X_SPDDELETE2, 22);
	assert_int_equal(SADB_X_EXT_NAT_T_OA, 23);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getspi),
		cmocka_unit_test(test_add_update),
		cmocka_unit_test(test_delete_get_flush_dump),
		cmocka_unit_test(test_register_reply),
		cmocka_unit_test(test_acquire),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_policy_round_trip),
		cmocka_unit_test(test_policy_wire_layout),
		cmocka_unit_test(test_spd_by_id),
		cmocka_unit_test(test_sa_every_algorithm),
		cmocka_unit_test(test_sa_features),
		cmocka_unit_test(test_state_keys_larval),
		cmocka_unit_test(test_builder_limits),
		cmocka_unit_test(test_mappings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
