/*
 * The PF_KEY codec against bytes it did not make: messages assembled by
 * tests/unit/pfkey_vectors.py from RFC 2367 and the Linux layout (what
 * ipsec-tools' setkey sends, what the Linux kernel answers) compared byte
 * for byte with usagi's builder and parsed back into SAD/SPD terms; a
 * table of malformed messages, each with its exact errno; and a few
 * hundred thousand mutated messages that must never be misread.
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
#include "pfkey_vectors.h"

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

static void parse_vec(const uint8_t *v, size_t len, struct pfkey_msg *m)
{
	const char *why = NULL;
	int rc = pfkey_parse(v, len, m);

	if (rc)
		fail_msg("parse: %d %s", rc, m->why);
	if ((rc = pfkey_check_why(m, &why)))
		fail_msg("check: %d %s", rc, why);
}

static void same_bytes(struct pfkey_buf *b, const uint8_t *v, size_t len)
{
	assert_int_equal(pfkey_buf_finish(b), 0);
	assert_int_equal(b->len, len);
	for (size_t i = 0; i < len; i++)
		if (b->data[i] != v[i])
			fail_msg("byte %zu: built 0x%02x, vector 0x%02x", i, b->data[i], v[i]);
}

static const uint8_t akey[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

static void set_alg(struct xfrm_algo *a, const char *name, const uint8_t *key, size_t len)
{
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->key_len = (uint16_t)len;
	memcpy(a->key, key, len);
}

/* setkey's `add ... esp 0x1000 -m transport -r 32 -E aes-cbc -A hmac-sha1 -lh 3600 -ls 3000`. */
static void test_vec_add_esp6(void **state)
{
	uint8_t ekey[16];
	struct xfrm_sa_cfg c, back;
	struct pfkey_buf b;
	struct pfkey_msg m;

	for (int i = 0; i < 16; i++)
		ekey[i] = (uint8_t)(0xa0 + i);
	memset(&c, 0, sizeof(c));
	c.id = (struct xfrm_id){ .daddr = a6("2001:db8::2"), .spi = 0x1000, .proto = IPPROTO_ESP };
	c.saddr = a6("2001:db8::1");
	c.family = AF_INET6;
	c.mode = XFRM_MODE_TRANSPORT;
	c.replay_window = 32;
	set_alg(&c.enc, "aes-cbc", ekey, 16);
	set_alg(&c.auth, "hmac-sha1", akey, 20);
	c.lft.hard_add_s = 3600;
	c.lft.soft_add_s = 3000;
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 4242);
	pfkey_add_sa_cfg(&b, &c, true);
	same_bytes(&b, vec_add_esp6, sizeof(vec_add_esp6));
	pfkey_buf_free(&b);
	parse_vec(vec_add_esp6, sizeof(vec_add_esp6), &m);
	assert_int_equal(pfkey_to_sa_cfg(&m, &back, NULL), 0);
	assert_memory_equal(&back.id.daddr, &c.id.daddr, 16);
	assert_int_equal(back.id.spi, 0x1000);
	assert_int_equal(back.replay_window, 32);
	assert_string_equal(back.enc.name, "aes-cbc");
	assert_memory_equal(back.enc.key, ekey, 16);
	assert_string_equal(back.auth.name, "hmac-sha1");
	assert_memory_equal(back.auth.key, akey, 20);
	assert_int_equal(back.lft.hard_add_s, 3600);
	assert_int_equal(back.lft.soft_add_s, 3000);
	crypto_wipe(&back, sizeof(back));
}

/* ESP-in-UDP with NAT_T_OA, a 1024-packet window in X_SA_REPLAY, ESN, AES-GCM. */
static void test_vec_natt_add4(void **state)
{
	uint8_t ekey[20];
	struct xfrm_sa_cfg c, back;
	struct pfkey_buf b;
	struct pfkey_msg m;

	for (int i = 0; i < 16; i++)
		ekey[i] = (uint8_t)(0xa0 + i);
	memcpy(ekey + 16, "\x01\x02\x03\x04", 4);
	memset(&c, 0, sizeof(c));
	c.id = (struct xfrm_id){ .daddr = a4("203.0.113.7"), .spi = 0x2000, .proto = IPPROTO_ESP };
	c.saddr = a4("192.0.2.1");
	c.family = AF_INET;
	c.mode = XFRM_MODE_TUNNEL;
	c.reqid = 3;
	c.replay_window = 1024;
	c.flags = XFRM_SA_F_ESN;
	set_alg(&c.enc, "aes-gcm-16", ekey, 20);
	c.encap = (struct xfrm_encap){ .type = 2, .sport = 4500, .dport = 4501, .oa = a4("10.0.0.1") };
	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 5, 4242);
	pfkey_add_sa_cfg(&b, &c, true);
	same_bytes(&b, vec_natt_add4, sizeof(vec_natt_add4));
	pfkey_buf_free(&b);
	parse_vec(vec_natt_add4, sizeof(vec_natt_add4), &m);
	assert_int_equal(pfkey_to_sa_cfg(&m, &back, NULL), 0);
	assert_int_equal(back.replay_window, 1024);
	assert_int_equal(back.flags, XFRM_SA_F_ESN);
	assert_int_equal(back.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(back.reqid, 3);
	assert_string_equal(back.enc.name, "aes-gcm-16");
	assert_int_equal(back.enc.key_len, 20);
	assert_int_equal(back.auth.name[0], 0);
	assert_int_equal(back.encap.sport, 4500);
	assert_int_equal(back.encap.dport, 4501);
	assert_memory_equal(&back.encap.oa, &c.encap.oa, 16);
	crypto_wipe(&back, sizeof(back));
}

/* `spdadd 192.0.2.0/24 198.51.100.0/24 any -P out ipsec esp/tunnel/192.0.2.1-198.51.100.1/require`. */
static void test_vec_spdadd_tunnel4(void **state)
{
	struct xfrm_policy p, back;
	struct pfkey_buf b;
	struct pfkey_msg m;

	memset(&p, 0, sizeof(p));
	p.sel = (struct xfrm_selector){ .src = a4("192.0.2.0"), .dst = a4("198.51.100.0"),
					.splen = 24, .dplen = 24, .family = AF_INET,
					.proto = XFRM_PROTO_ANY };
	p.dir = XFRM_DIR_OUT;
	p.action = XFRM_ACT_IPSEC;
	p.priority = 0x80000000u;
	p.ntmpl = 1;
	p.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_TMPL_TUNNEL,
					.level = XFRM_LEVEL_REQUIRE, .family = AF_INET,
					.saddr = a4("192.0.2.1"), .daddr = a4("198.51.100.1") };
	pfkey_buf_init(&b, SADB_X_SPDADD, 0, 2, 4242);
	pfkey_add_policy(&b, &p);
	same_bytes(&b, vec_spdadd_tunnel4, sizeof(vec_spdadd_tunnel4));
	pfkey_buf_free(&b);
	parse_vec(vec_spdadd_tunnel4, sizeof(vec_spdadd_tunnel4), &m);
	assert_int_equal(pfkey_to_policy(&m, &back, NULL), 0);
	assert_int_equal(back.ntmpl, 1);
	assert_int_equal(back.tmpl[0].family, AF_INET);
	assert_memory_equal(&back.tmpl[0].daddr, &p.tmpl[0].daddr, 16);
	assert_memory_equal(&back.sel.dst, &p.sel.dst, 16);
	assert_int_equal(back.sel.proto, XFRM_PROTO_ANY);
	assert_int_equal(back.priority, 0x80000000u);
}

/* `spdadd 2001:db8:1::/64 2001:db8:2::/64[80] tcp -P in prio 1000 ipsec ah/transport//use
 *  esp/tunnel/2001:db8::a-2001:db8::b/unique:16385`: the 72-byte IPv6 request. */
static void test_vec_spdadd_v6(void **state)
{
	struct xfrm_policy p, back;
	struct pfkey_buf b;
	struct pfkey_msg m;

	memset(&p, 0, sizeof(p));
	p.sel = (struct xfrm_selector){ .src = a6("2001:db8:1::"), .dst = a6("2001:db8:2::"),
					.splen = 64, .dplen = 64, .family = AF_INET6,
					.proto = IPPROTO_TCP, .dport = 80, .dport_mask = 0xffff };
	p.dir = XFRM_DIR_IN;
	p.action = XFRM_ACT_IPSEC;
	p.priority = 1000;
	p.ntmpl = 2;
	p.tmpl[0] = (struct xfrm_tmpl){ .proto = IPPROTO_AH, .mode = XFRM_TMPL_TRANSPORT,
					.level = XFRM_LEVEL_USE };
	p.tmpl[1] = (struct xfrm_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_TMPL_TUNNEL,
					.level = XFRM_LEVEL_UNIQUE, .reqid = 16385, .family = AF_INET6,
					.saddr = a6("2001:db8::a"), .daddr = a6("2001:db8::b") };
	pfkey_buf_init(&b, SADB_X_SPDADD, 0, 3, 4242);
	pfkey_add_policy(&b, &p);
	same_bytes(&b, vec_spdadd_v6, sizeof(vec_spdadd_v6));
	pfkey_buf_free(&b);
	parse_vec(vec_spdadd_v6, sizeof(vec_spdadd_v6), &m);
	assert_int_equal(pfkey_to_policy(&m, &back, NULL), 0);
	assert_int_equal(back.ntmpl, 2);
	assert_int_equal(back.tmpl[1].reqid, 16385);
	assert_memory_equal(&back.tmpl[1].saddr, &p.tmpl[1].saddr, 16);
	assert_int_equal(back.sel.dport, 80);
	assert_int_equal(back.sel.sport, 0);
	assert_int_equal(back.dir, XFRM_DIR_IN);
}

static void test_vec_getspi4(void **state)
{
	struct in6_addr s = a4("192.0.2.1"), d = a4("198.51.100.1");
	struct xfrm_sa_cfg back;
	struct pfkey_buf b;
	struct pfkey_msg m;

	pfkey_buf_init(&b, SADB_GETSPI, SADB_SATYPE_ESP, 4, 4242);
	pfkey_add_sa2(&b, IPSEC_MODE_TUNNEL, 7);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET, 0, 32, 0);
	pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET, 0, 32, 0);
	pfkey_add_spirange(&b, 0x100, 0xffffffff);
	same_bytes(&b, vec_getspi4, sizeof(vec_getspi4));
	pfkey_buf_free(&b);
	parse_vec(vec_getspi4, sizeof(vec_getspi4), &m);
	/* GETSPI has no SA extension: the conversion gives addresses, mode and reqid. */
	assert_int_equal(pfkey_to_sa_cfg(&m, &back, NULL), 0);
	assert_int_equal(back.id.proto, IPPROTO_ESP);
	assert_int_equal(back.id.spi, 0);
	assert_int_equal(back.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(back.reqid, 7);
	assert_memory_equal(&back.saddr, &s, 16);
	assert_int_equal(back.family, AF_INET);
}

/* A DUMP answer shaped as the Linux kernel writes it. */
static void test_vec_kernel_dump(void **state)
{
	const struct sadb_lifetime *cur;
	struct xfrm_sa_cfg back;
	struct pfkey_msg m;

	parse_vec(vec_kernel_dump, sizeof(vec_kernel_dump), &m);
	assert_int_equal(pfkey_to_sa_cfg(&m, &back, NULL), 0);
	assert_int_equal(back.id.spi, 0xc0ffee);
	assert_string_equal(back.auth.name, "hmac-sha256");
	assert_int_equal(back.auth.key_len, 32);
	assert_int_equal(back.auth.key[0], 0x40);
	assert_string_equal(back.enc.name, "aes-cbc");
	assert_int_equal(back.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(back.reqid, 1);
	assert_int_equal(back.lft.hard_bytes, 0);
	cur = PFKEY_EXT(&m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime);
	assert_int_equal(cur->sadb_lifetime_allocations, 10);
	assert_int_equal(cur->sadb_lifetime_addtime, 1700000000);
	crypto_wipe(&back, sizeof(back));
}

static void test_vec_kernel_acquire_register(void **state)
{
	const struct sadb_comb *c;
	const struct sadb_alg *alg;
	struct pfkey_addr a;
	struct pfkey_msg m;

	parse_vec(vec_kernel_acquire, sizeof(vec_kernel_acquire), &m);
	assert_int_equal(m.hdr->sadb_msg_pid, 0);
	assert_int_equal(PFKEY_EXT(&m, SADB_X_EXT_POLICY, sadb_x_policy)->sadb_x_policy_id, 0x49);
	assert_int_equal(m.ext[SADB_EXT_PROPOSAL]->sadb_ext_len * 8, 8 + 2 * 72);
	c = (const struct sadb_comb *)(const void *)((const uint8_t *)m.ext[SADB_EXT_PROPOSAL] + 8);
	assert_int_equal(c[0].sadb_comb_encrypt, SADB_X_EALG_AESCBC);
	assert_int_equal(c[0].sadb_comb_encrypt_maxbits, 256);
	assert_int_equal(c[1].sadb_comb_auth, SADB_AALG_MD5HMAC);
	assert_int_equal(c[1].sadb_comb_hard_addtime, 28800);
	assert_int_equal(pfkey_get_address(&m, SADB_EXT_ADDRESS_DST, &a), 0);
	{
		struct in6_addr want = a6("2001:db8::2");

		assert_memory_equal(&a.addr, &want, 16);
	}
	parse_vec(vec_kernel_register, sizeof(vec_kernel_register), &m);
	assert_int_equal(m.ext[SADB_EXT_SUPPORTED_AUTH]->sadb_ext_len, 4);
	alg = (const struct sadb_alg *)(const void *)((const uint8_t *)m.ext[SADB_EXT_SUPPORTED_ENCRYPT] + 8);
	assert_int_equal(alg[1].sadb_alg_id, SADB_X_EALG_AESCBC);
	assert_int_equal(alg[1].sadb_alg_ivlen, 16);
	assert_int_equal(alg[1].sadb_alg_maxbits, 256);
}

static void test_vec_spddelete2_error(void **state)
{
	struct pfkey_buf b;
	struct pfkey_msg m;
	struct sadb_msg req = { .sadb_msg_version = 2, .sadb_msg_type = SADB_GET,
				.sadb_msg_satype = SADB_SATYPE_ESP, .sadb_msg_seq = 8,
				.sadb_msg_pid = 4242 };

	pfkey_buf_init(&b, SADB_X_SPDDELETE2, 0, 7, 4242);
	pfkey_add_policy_id(&b, IPSEC_POLICY_DISCARD, IPSEC_DIR_OUTBOUND, 0x31, 0);
	same_bytes(&b, vec_spddelete2, sizeof(vec_spddelete2));
	pfkey_buf_free(&b);
	parse_vec(vec_spddelete2, sizeof(vec_spddelete2), &m);
	pfkey_buf_reply(&b, &req, -ESRCH);
	same_bytes(&b, vec_error_reply, sizeof(vec_error_reply));
	pfkey_buf_free(&b);
	parse_vec(vec_error_reply, sizeof(vec_error_reply), &m);
	assert_int_equal(m.hdr->sadb_msg_errno, ESRCH);
}

/* ---- Malformed messages ---------------------------------------------------------------- */

/* A working copy of a vector, 8-byte aligned, with room to grow. */
struct wbuf {
	uint64_t w[512];
	size_t len;
};

static uint8_t *wb(struct wbuf *b) { return (uint8_t *)b->w; }
static void wload(struct wbuf *b, const uint8_t *v, size_t len)
{
	memset(b->w, 0, sizeof(b->w));
	memcpy(b->w, v, len);
	b->len = len;
}
static void put16(struct wbuf *b, size_t off, uint16_t v) { memcpy(wb(b) + off, &v, 2); }
static void set_msglen(struct wbuf *b) { put16(b, 4, (uint16_t)(b->len / 8)); }

/* Offsets inside the vectors (see pfkey_vectors.py). */
enum {
	/* vec_add_esp6: SA@16 SA2@32 SRC@48 DST@88 KEY_AUTH@128 KEY_ENC@160 HARD@184 SOFT@216 */
	ADD_SA = 16, ADD_SA2 = 32, ADD_SRC = 48, ADD_DST = 88, ADD_KA = 128, ADD_KE = 160,
	ADD_HARD = 184, ADD_SOFT = 216,
	/* vec_spdadd_tunnel4: SRC@16 DST@40 POLICY@64, its request @80 (48 bytes) */
	SPD_SRC = 16, SPD_DST = 40, SPD_POL = 64, SPD_RQ = 80,
	/* vec_spdadd_v6: POLICY@96, AH request @112 (16), ESP request @128 (72) */
	SPD6_POL = 96, SPD6_RQ1 = 112, SPD6_RQ2 = 128,
};

struct bad_case {
	const char *name;
	const uint8_t *vec;
	size_t vlen;
	void (*mutate)(struct wbuf *b);
	int err;
};

#define VEC(v) v, sizeof(v)

static void m_short(struct wbuf *b) { b->len = 8; }
static void m_len_unaligned(struct wbuf *b) { b->len += 4; }
static void m_msglen_plus(struct wbuf *b) { put16(b, 4, (uint16_t)(b->len / 8 + 1)); }
static void m_msglen_minus(struct wbuf *b) { put16(b, 4, (uint16_t)(b->len / 8 - 1)); }
static void m_msglen_zero(struct wbuf *b) { put16(b, 4, 0); }
static void m_buf_longer(struct wbuf *b) { b->len += 8; }
static void m_version1(struct wbuf *b) { wb(b)[0] = 1; }
static void m_reserved(struct wbuf *b) { put16(b, 6, 1); }
static void m_type0(struct wbuf *b) { wb(b)[1] = 0; }
static void m_pchange(struct wbuf *b) { wb(b)[1] = SADB_X_PCHANGE; }
static void m_migrate(struct wbuf *b) { wb(b)[1] = SADB_X_MIGRATE; }
static void m_type25(struct wbuf *b) { wb(b)[1] = 25; }
static void m_past_end(struct wbuf *b) { put16(b, ADD_SOFT, 5); }
static void m_zero_ext(struct wbuf *b) { put16(b, ADD_SA2, 0); }
static void m_overlap(struct wbuf *b) { put16(b, ADD_SA, 4); }   /* SA swallows SA2 */
static void m_overlap_addr(struct wbuf *b) { put16(b, ADD_SRC, 10); }   /* SRC swallows DST */
static void m_dup(struct wbuf *b) { put16(b, ADD_SA2 + 2, SADB_EXT_SA); wb(b)[ADD_SA2 + 4] = 0; }
static void m_dup_addr(struct wbuf *b) { put16(b, ADD_DST + 2, SADB_EXT_ADDRESS_SRC); }
static void m_ext_type0(struct wbuf *b) { put16(b, ADD_SA2 + 2, 0); }
static void m_ext_secctx(struct wbuf *b) { put16(b, ADD_SA2 + 2, SADB_X_EXT_SEC_CTX); }
static void m_ext_filter(struct wbuf *b) { put16(b, ADD_SA2 + 2, SADB_X_EXT_FILTER); }
static void m_ext_99(struct wbuf *b) { put16(b, ADD_SA2 + 2, 99); }
static void m_sa_long(struct wbuf *b)
{
	/* Append 8 bytes to the SA by turning SA2's first word into SA's tail. */
	put16(b, ADD_SA, 3);
	put16(b, ADD_SA2 + 8, 1);
	put16(b, ADD_SA2 + 10, SADB_X_EXT_KMPRIVATE);
}
static void m_lifetime_short(struct wbuf *b)
{
	put16(b, ADD_SOFT, 3);            /* 24 bytes, then an 8-byte KMPRIVATE */
	put16(b, ADD_SOFT + 24, 1);
	put16(b, ADD_SOFT + 26, SADB_X_EXT_KMPRIVATE);
}
static void m_family_unix(struct wbuf *b) { put16(b, ADD_SRC + 8, AF_UNIX); }
static void m_family_kame(struct wbuf *b) { wb(b)[ADD_SRC + 8] = 28; wb(b)[ADD_SRC + 9] = AF_INET6; }
static void m_v6_in_small(struct wbuf *b)
{
	/* A 24-byte address extension claiming IPv6, then a 16-byte KMPRIVATE. */
	put16(b, ADD_SRC, 3);
	put16(b, ADD_SRC + 24, 2);
	put16(b, ADD_SRC + 26, SADB_X_EXT_KMPRIVATE);
}
static void m_v4_in_big(struct wbuf *b) { put16(b, ADD_SRC + 8, AF_INET); }
static void m_plen129(struct wbuf *b) { wb(b)[ADD_SRC + 5] = 129; }
static void m_plen33(struct wbuf *b) { wb(b)[SPD_SRC + 5] = 33; }
static void m_key_bits(struct wbuf *b) { put16(b, ADD_KE + 4, 200); }   /* 16 bytes hold 128 */
static void m_key_bits_edge(struct wbuf *b) { put16(b, ADD_KE + 4, 129); }
static void m_key_ok_padding(struct wbuf *b) { put16(b, ADD_KA + 4, 192); }   /* 24 bytes: fits */
static void m_rq_len0(struct wbuf *b) { put16(b, SPD_RQ, 0); }
static void m_rq_len8(struct wbuf *b) { put16(b, SPD_RQ, 8); }
static void m_rq_len_odd(struct wbuf *b) { put16(b, SPD_RQ, 47); }
static void m_rq_len_long(struct wbuf *b) { put16(b, SPD_RQ, 56); }
static void m_rq_len_short(struct wbuf *b) { put16(b, SPD_RQ, 40); }
static void m_rq_len_words(struct wbuf *b) { put16(b, SPD_RQ, 6); }   /* 8-byte units by mistake */
static void m_rq_family_mix(struct wbuf *b) { put16(b, SPD_RQ + 32, AF_INET6); }
static void m_rq_bad_family(struct wbuf *b) { put16(b, SPD_RQ + 16, 0); }
static void m_rq6_pair_padded(struct wbuf *b)
{
	/* Each sockaddr_in6 padded to 32 (not what af_key writes): 80 bytes. */
	memmove(wb(b) + SPD6_RQ2 + 16 + 32, wb(b) + SPD6_RQ2 + 16 + 28, 28);
	memset(wb(b) + SPD6_RQ2 + 16 + 28, 0, 4);
	put16(b, SPD6_RQ2, 80);
	put16(b, SPD6_POL, (uint16_t)(16 + 16 + 80) / 8);
	b->len += 8;
	set_msglen(b);
}
static void m_policy_short(struct wbuf *b) { put16(b, SPD_POL, 1); }   /* 8 < 16 */
static void m_sens_mismatch(struct wbuf *b)
{
	/* Replace SA2 (16 bytes) by a sensitivity extension claiming one bitmap word. */
	put16(b, ADD_SA2 + 2, SADB_EXT_SENSITIVITY);
	wb(b)[ADD_SA2 + 9] = 1;
}
static void m_prop_partial(struct wbuf *b) { put16(b, ADD_SA2 + 2, SADB_EXT_PROPOSAL); }
static void m_ident_nonul(struct wbuf *b)
{
	/* HARD (32 bytes) becomes an identity whose 16-byte string has no NUL. */
	put16(b, ADD_HARD + 2, SADB_EXT_IDENTITY_SRC);
	memset(wb(b) + ADD_HARD + 16, 'a', 16);
}
static void m_replay_long(struct wbuf *b) { put16(b, ADD_SA2 + 2, SADB_X_EXT_SA_REPLAY); }
static void m_natt_long(struct wbuf *b) { put16(b, ADD_SA2 + 2, SADB_X_EXT_NAT_T_TYPE); }
static void m_spirange_short(struct wbuf *b)
{
	put16(b, ADD_SA2 + 2, SADB_EXT_SPIRANGE);
	put16(b, ADD_SA2, 1);
	put16(b, ADD_SA2 + 8, 1);
	put16(b, ADD_SA2 + 10, SADB_X_EXT_KMPRIVATE);
}
static void m_none(struct wbuf *b) { }

static const struct bad_case bad_cases[] = {
	{ "shorter than a header", VEC(vec_add_esp6), m_short, -EMSGSIZE },
	{ "not a multiple of 8", VEC(vec_add_esp6), m_len_unaligned, -EMSGSIZE },
	{ "sadb_msg_len too big", VEC(vec_add_esp6), m_msglen_plus, -EMSGSIZE },
	{ "sadb_msg_len too small", VEC(vec_add_esp6), m_msglen_minus, -EMSGSIZE },
	{ "sadb_msg_len zero", VEC(vec_add_esp6), m_msglen_zero, -EMSGSIZE },
	{ "buffer longer than sadb_msg_len", VEC(vec_add_esp6), m_buf_longer, -EMSGSIZE },
	{ "version 1", VEC(vec_add_esp6), m_version1, -EINVAL },
	{ "reserved set", VEC(vec_add_esp6), m_reserved, -EINVAL },
	{ "type 0", VEC(vec_add_esp6), m_type0, -EOPNOTSUPP },
	{ "type X_PCHANGE", VEC(vec_add_esp6), m_pchange, -EOPNOTSUPP },
	{ "type X_MIGRATE", VEC(vec_add_esp6), m_migrate, -EOPNOTSUPP },
	{ "type 25", VEC(vec_add_esp6), m_type25, -EOPNOTSUPP },
	{ "extension past the end", VEC(vec_add_esp6), m_past_end, -EINVAL },
	{ "zero-length extension", VEC(vec_add_esp6), m_zero_ext, -EINVAL },
	{ "SA overlapping SA2", VEC(vec_add_esp6), m_overlap, -EINVAL },
	{ "SRC overlapping DST", VEC(vec_add_esp6), m_overlap_addr, -EINVAL },
	{ "duplicate SA", VEC(vec_add_esp6), m_dup, -EINVAL },
	{ "duplicate SRC", VEC(vec_add_esp6), m_dup_addr, -EINVAL },
	{ "extension type 0", VEC(vec_add_esp6), m_ext_type0, -EINVAL },
	{ "extension X_SEC_CTX", VEC(vec_add_esp6), m_ext_secctx, -EINVAL },
	{ "extension X_FILTER", VEC(vec_add_esp6), m_ext_filter, -EINVAL },
	{ "extension 99", VEC(vec_add_esp6), m_ext_99, -EINVAL },
	{ "SA longer than its struct", VEC(vec_add_esp6), m_sa_long, -EINVAL },
	{ "lifetime shorter than its struct", VEC(vec_add_esp6), m_lifetime_short, -EINVAL },
	{ "sockaddr family AF_UNIX", VEC(vec_add_esp6), m_family_unix, -EINVAL },
	{ "sockaddr with sa_len (KAME layout)", VEC(vec_add_esp6), m_family_kame, -EINVAL },
	{ "sockaddr_in6 in 16 bytes", VEC(vec_add_esp6), m_v6_in_small, -EINVAL },
	{ "sockaddr_in in a 32-byte slot", VEC(vec_add_esp6), m_v4_in_big, -EINVAL },
	{ "IPv6 prefix 129", VEC(vec_add_esp6), m_plen129, -EINVAL },
	{ "IPv4 prefix 33", VEC(vec_spdadd_tunnel4), m_plen33, -EINVAL },
	{ "key bits past the extension", VEC(vec_add_esp6), m_key_bits, -EINVAL },
	{ "key bits one past", VEC(vec_add_esp6), m_key_bits_edge, -EINVAL },
	{ "key bits within padding", VEC(vec_add_esp6), m_key_ok_padding, 0 },
	{ "ipsecrequest length 0", VEC(vec_spdadd_tunnel4), m_rq_len0, -EINVAL },
	{ "ipsecrequest length 8", VEC(vec_spdadd_tunnel4), m_rq_len8, -EINVAL },
	{ "ipsecrequest length 47", VEC(vec_spdadd_tunnel4), m_rq_len_odd, -EINVAL },
	{ "ipsecrequest past the policy", VEC(vec_spdadd_tunnel4), m_rq_len_long, -EINVAL },
	{ "ipsecrequest cuts its endpoints", VEC(vec_spdadd_tunnel4), m_rq_len_short, -EINVAL },
	{ "ipsecrequest length in words", VEC(vec_spdadd_tunnel4), m_rq_len_words, -EINVAL },
	{ "ipsecrequest endpoint families differ", VEC(vec_spdadd_tunnel4), m_rq_family_mix, -EINVAL },
	{ "ipsecrequest endpoint family 0", VEC(vec_spdadd_tunnel4), m_rq_bad_family, -EINVAL },
	{ "ipsecrequest sockaddrs padded each", VEC(vec_spdadd_v6), m_rq6_pair_padded, -EINVAL },
	{ "X_POLICY shorter than its struct", VEC(vec_spdadd_tunnel4), m_policy_short, -EINVAL },
	{ "sensitivity bitmap missing", VEC(vec_add_esp6), m_sens_mismatch, -EINVAL },
	{ "proposal partial comb", VEC(vec_add_esp6), m_prop_partial, -EINVAL },
	{ "identity without NUL", VEC(vec_add_esp6), m_ident_nonul, -EINVAL },
	{ "SA_REPLAY 16 bytes", VEC(vec_add_esp6), m_replay_long, -EINVAL },
	{ "NAT_T_TYPE 16 bytes", VEC(vec_add_esp6), m_natt_long, -EINVAL },
	{ "SPIRANGE 8 bytes", VEC(vec_add_esp6), m_spirange_short, -EINVAL },
	{ "untouched ADD", VEC(vec_add_esp6), m_none, 0 },
	{ "untouched SPDADD", VEC(vec_spdadd_v6), m_none, 0 },
};

static void test_malformed(void **state)
{
	static struct wbuf b;

	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct pfkey_msg m;
		int rc;

		wload(&b, c->vec, c->vlen);
		c->mutate(&b);
		rc = pfkey_parse(b.w, b.len, &m);
		if (rc != c->err)
			fail_msg("%s: got %d (%s), want %d", c->name, rc, m.why ? m.why : "-", c->err);
		if (rc)
			assert_non_null(m.why);
	}
}

/* ---- Robustness: mutated valid messages ------------------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Whatever parses must check, convert and print its names without tripping (ASan build). */
static void exercise(const void *buf, size_t len, unsigned *ok)
{
	/* An exact-size copy, so the sanitizer build sees any read past the end. */
	uint8_t *p = malloc(len ? len : 1);
	struct pfkey_msg m;
	struct xfrm_sa_cfg cfg;
	struct xfrm_policy pol;

	assert_non_null(p);
	memcpy(p, buf, len);
	if (pfkey_parse(p, len, &m) == 0) {
		assert_int_equal(m.len, len);
		(*ok)++;
		if (pfkey_check(&m) == 0) {
			(void)pfkey_msg_type_name(m.hdr->sadb_msg_type);
			if (pfkey_satype_to_proto(m.hdr->sadb_msg_satype))
				pfkey_to_sa_cfg(&m, &cfg, NULL);
			if (m.ext[SADB_X_EXT_POLICY])
				pfkey_to_policy(&m, &pol, NULL);
		}
	}
	free(p);
}

static void test_mutations(void **state)
{
	static const struct { const uint8_t *v; size_t len; } seeds[] = {
		{ VEC(vec_add_esp6) }, { VEC(vec_spdadd_tunnel4) }, { VEC(vec_spdadd_v6) },
		{ VEC(vec_getspi4) }, { VEC(vec_natt_add4) }, { VEC(vec_kernel_dump) },
		{ VEC(vec_kernel_acquire) }, { VEC(vec_kernel_register) },
	};
	static struct wbuf b;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned ok = 0, n = 0;

	for (size_t k = 0; k < ARRAY_SIZE(seeds); k++) {
		for (int i = 0; i < 20000; i++, n++) {
			wload(&b, seeds[k].v, seeds[k].len);
			for (int j = 0, flips = 1 + (int)(rnd(&s) % 4); j < flips; j++) {
				size_t at = rnd(&s) % b.len;

				/* Mostly small values, where lengths and types live. */
				wb(&b)[at] = (uint8_t)(rnd(&s) % 3 ? rnd(&s) % 9 : rnd(&s));
			}
			if (rnd(&s) % 8 == 0)
				b.len = rnd(&s) % (b.len + 1);
			exercise(b.w, b.len, &ok);
		}
	}
	/* Some mutants stay valid (key bytes, addresses); most do not. */
	assert_true(ok > n / 50 && ok < n);
	/* Every truncation of every seed. */
	for (size_t k = 0; k < ARRAY_SIZE(seeds); k++)
		for (size_t len = 0; len < seeds[k].len; len++) {
			wload(&b, seeds[k].v, seeds[k].len);
			b.len = len;
			set_msglen(&b);
			exercise(b.w, b.len, &ok);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vec_add_esp6),
		cmocka_unit_test(test_vec_natt_add4),
		cmocka_unit_test(test_vec_spdadd_tunnel4),
		cmocka_unit_test(test_vec_spdadd_v6),
		cmocka_unit_test(test_vec_getspi4),
		cmocka_unit_test(test_vec_kernel_dump),
		cmocka_unit_test(test_vec_kernel_acquire_register),
		cmocka_unit_test(test_vec_spddelete2_error),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
