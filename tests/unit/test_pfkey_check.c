/*
 * The PF_KEY codec's judgement of well-framed messages: pfkey_check's
 * per-type table (required and forbidden extensions, SA types, error
 * replies) with the reason it names, and the refusals of pfkey_to_sa_cfg
 * and pfkey_to_policy for what the SAD/SPD cannot take.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/common.h"
#include "pfkey/pfkey_codec.h"

#define B(t) ((uint64_t)1 << (t))

static const uint8_t akey[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
static const uint8_t ekey[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void finish_parse(struct pfkey_buf *b, struct pfkey_msg *m)
{
	const char *why = NULL;
	int rc;

	assert_int_equal(pfkey_buf_finish(b), 0);
	if ((rc = pfkey_parse(b->data, b->len, m)))
		fail_msg("parse: %d %s", rc, m->why);
	if ((rc = pfkey_check_why(m, &why)))
		fail_msg("check: %d %s", rc, why);
}

/* ---- Rules per message type ------------------------------------------------------------- */

struct check_case {
	const char *name;
	uint8_t type, satype, err;
	uint64_t exts;            /* built from the set below */
	int want;
};

#define SD (B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST))
static const struct check_case check_cases[] = {
	{ "add ok", SADB_ADD, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD, 0 },
	{ "add without SA", SADB_ADD, SADB_SATYPE_ESP, 0, SD, -EINVAL },
	{ "add without dst", SADB_ADD, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | B(SADB_EXT_ADDRESS_SRC), -EINVAL },
	{ "add with spirange", SADB_ADD, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD | B(SADB_EXT_SPIRANGE), -EINVAL },
	{ "add with policy", SADB_ADD, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD | B(SADB_X_EXT_POLICY), -EINVAL },
	{ "add unspec", SADB_ADD, SADB_SATYPE_UNSPEC, 0, B(SADB_EXT_SA) | SD, -EINVAL },
	{ "add rsvp", SADB_ADD, SADB_SATYPE_RSVP, 0, B(SADB_EXT_SA) | SD, -EOPNOTSUPP },
	{ "add satype 4", SADB_ADD, 4, 0, B(SADB_EXT_SA) | SD, -EINVAL },
	{ "add satype 200", SADB_ADD, 200, 0, B(SADB_EXT_SA) | SD, -EINVAL },
	{ "getspi ok", SADB_GETSPI, SADB_X_SATYPE_IPCOMP, 0, SD | B(SADB_EXT_SPIRANGE), 0 },
	{ "getspi with key", SADB_GETSPI, SADB_SATYPE_ESP, 0, SD | B(SADB_EXT_KEY_AUTH), -EINVAL },
	{ "delete without SA", SADB_DELETE, SADB_SATYPE_ESP, 0, SD, -EINVAL },
	{ "delete with spirange", SADB_DELETE, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD | B(SADB_EXT_SPIRANGE), -EINVAL },
	{ "delete broadcast with key", SADB_DELETE, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD | B(SADB_EXT_KEY_AUTH), 0 },
	{ "getspi reply", SADB_GETSPI, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD, 0 },
	{ "get ok", SADB_GET, SADB_SATYPE_AH, 0, B(SADB_EXT_SA) | SD, 0 },
	{ "flush with SA", SADB_FLUSH, 0, 0, B(SADB_EXT_SA), -EINVAL },
	{ "flush mip", SADB_FLUSH, SADB_SATYPE_MIP, 0, 0, -EOPNOTSUPP },
	{ "dump ok", SADB_DUMP, 0, 0, 0, 0 },
	{ "register ok", SADB_REGISTER, SADB_SATYPE_ESP, 0, 0, 0 },
	{ "register with SA", SADB_REGISTER, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA), -EINVAL },
	{ "expire without current", SADB_EXPIRE, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD, -EINVAL },
	{ "acquire without proposal", SADB_ACQUIRE, SADB_SATYPE_ESP, 0, SD, -EINVAL },
	{ "promisc 2", SADB_X_PROMISC, 2, 0, 0, -EINVAL },
	{ "spdadd ok", SADB_X_SPDADD, 0, 0, SD | B(SADB_X_EXT_POLICY), 0 },
	{ "spdadd esp satype", SADB_X_SPDADD, SADB_SATYPE_ESP, 0, SD | B(SADB_X_EXT_POLICY), -EINVAL },
	{ "spdadd without policy", SADB_X_SPDADD, 0, 0, SD, -EINVAL },
	{ "spdadd with SA", SADB_X_SPDADD, 0, 0, SD | B(SADB_X_EXT_POLICY) | B(SADB_EXT_SA), -EINVAL },
	{ "spddelete2 ok", SADB_X_SPDDELETE2, 0, 0, B(SADB_X_EXT_POLICY), 0 },
	{ "spdget without policy", SADB_X_SPDGET, 0, 0, 0, -EINVAL },
	{ "spdflush with policy", SADB_X_SPDFLUSH, 0, 0, B(SADB_X_EXT_POLICY), -EINVAL },
	{ "error reply", SADB_ADD, SADB_SATYPE_ESP, EEXIST, 0, 0 },
	{ "error reply with ext", SADB_ADD, SADB_SATYPE_ESP, EEXIST, B(SADB_EXT_SA) | SD, -EINVAL },
	{ "nat-t mapping", SADB_X_NAT_T_NEW_MAPPING, SADB_SATYPE_ESP, 0, B(SADB_EXT_SA) | SD |
	  B(SADB_X_EXT_NAT_T_SPORT) | B(SADB_X_EXT_NAT_T_DPORT), 0 },
};

static void build_exts(struct pfkey_buf *b, uint64_t exts)
{
	struct in6_addr a = a6("2001:db8::1");

	if (exts & B(SADB_EXT_SA))
		pfkey_add_sa(b, 0x1000, 0, 0, 0, 0, 0);
	if (exts & B(SADB_EXT_ADDRESS_SRC))
		pfkey_add_address(b, SADB_EXT_ADDRESS_SRC, &a, AF_INET6, 0, 128, 0);
	if (exts & B(SADB_EXT_ADDRESS_DST))
		pfkey_add_address(b, SADB_EXT_ADDRESS_DST, &a, AF_INET6, 0, 128, 0);
	if (exts & B(SADB_EXT_SPIRANGE))
		pfkey_add_spirange(b, 1000, 2000);
	if (exts & B(SADB_EXT_KEY_AUTH))
		pfkey_add_key(b, SADB_EXT_KEY_AUTH, 160, akey);
	if (exts & B(SADB_X_EXT_POLICY))
		pfkey_add_policy_id(b, IPSEC_POLICY_NONE, IPSEC_DIR_INBOUND, 0, 0);
	if (exts & B(SADB_X_EXT_NAT_T_SPORT)) {
		struct sadb_x_nat_t_port *p = pfkey_buf_ext(b, SADB_X_EXT_NAT_T_SPORT, 8);

		p->sadb_x_nat_t_port_port = htons(4500);
		pfkey_buf_ext(b, SADB_X_EXT_NAT_T_DPORT, 8);
	}
}

static void test_check_rules(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		struct pfkey_buf b;
		struct pfkey_msg m;
		const char *why = NULL;
		int rc;

		pfkey_buf_init(&b, c->type, c->satype, 1, 1);
		build_exts(&b, c->exts);
		pfkey_set_errno(&b, c->err);
		assert_int_equal(pfkey_buf_finish(&b), 0);
		assert_int_equal(pfkey_parse(b.data, b.len, &m), 0);
		rc = pfkey_check_why(&m, &why);
		if (rc != c->want)
			fail_msg("%s: got %d (%s), want %d", c->name, rc, why ? why : "", c->want);
		if (rc)
			assert_non_null(why);
		assert_int_equal(pfkey_check(&m), rc);
		pfkey_buf_free(&b);
	}
}

/* The reason names the extension. */
static void test_check_reason(void **state)
{
	struct pfkey_buf b;
	struct pfkey_msg m;
	const char *why;

	pfkey_buf_init(&b, SADB_ADD, SADB_SATYPE_ESP, 1, 1);
	build_exts(&b, SD);
	pfkey_buf_finish(&b);
	pfkey_parse(b.data, b.len, &m);
	assert_int_equal(pfkey_check_why(&m, &why), -EINVAL);
	assert_non_null(strstr(why, "SADB_EXT_SA"));
	pfkey_buf_free(&b);
}

/* ---- Conversion refusals ---------------------------------------------------------------- */

struct sa_bad {
	const char *name;
	uint8_t satype, auth, enc, mode;
	uint32_t spi, replay_ext;
	uint16_t key;             /* which key extension to add (0: none) */
	bool natt;
};

static const struct sa_bad sa_bads[] = {
	{ "ah with encryption", SADB_SATYPE_AH, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, 1, 0x1000 },
	{ "ah without auth", SADB_SATYPE_AH, 0, 0, 1, 0x1000 },
	{ "ah with encrypt key", SADB_SATYPE_AH, SADB_AALG_SHA1HMAC, 0, 1, 0x1000, 0, SADB_EXT_KEY_ENCRYPT },
	{ "unknown enc", SADB_SATYPE_ESP, 0, 99, 1, 0x1000 },
	{ "unknown auth", SADB_SATYPE_ESP, 99, SADB_X_EALG_AESCBC, 1, 0x1000 },
	{ "key without alg", SADB_SATYPE_ESP, 0, SADB_X_EALG_AESCBC, 1, 0x1000, 0, SADB_EXT_KEY_AUTH },
	{ "beet", SADB_SATYPE_ESP, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, IPSEC_MODE_BEET, 0x1000 },
	{ "replay 4097", SADB_SATYPE_ESP, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, 1, 0x1000, 4097 },
	{ "cpi too big", SADB_X_SATYPE_IPCOMP, 0, SADB_X_CALG_DEFLATE, 1, 0x10000 },
	{ "ipcomp unknown", SADB_X_SATYPE_IPCOMP, 0, SADB_X_CALG_LZS, 1, 0x100 },
	{ "ipcomp with key", SADB_X_SATYPE_IPCOMP, 0, SADB_X_CALG_DEFLATE, 1, 0x100, 0, SADB_EXT_KEY_ENCRYPT },
	{ "nat-t on ah", SADB_SATYPE_AH, SADB_AALG_SHA1HMAC, 0, 1, 0x1000, 0, 0, true },
};

static void test_sa_refusals(void **state)
{
	struct in6_addr s = a6("2001:db8::1"), d = a6("2001:db8::2");

	for (size_t i = 0; i < ARRAY_SIZE(sa_bads); i++) {
		const struct sa_bad *c = &sa_bads[i];
		struct xfrm_sa_cfg cfg;
		struct pfkey_buf b;
		struct pfkey_msg m;
		const char *why = NULL;

		pfkey_buf_init(&b, SADB_ADD, c->satype, 1, 1);
		pfkey_add_sa(&b, c->spi, 0, 0, c->auth, c->enc, 0);
		pfkey_add_sa2(&b, c->mode, 0);
		if (c->replay_ext)
			pfkey_add_sa_replay(&b, c->replay_ext);
		pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, AF_INET6, 0, 128, 0);
		pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &d, AF_INET6, 0, 128, 0);
		if (c->key)
			pfkey_add_key(&b, c->key, 128, ekey);
		if (c->natt)
			pfkey_add_natt(&b, UDP_ENCAP_ESPINUDP, 4500, 4500);
		finish_parse(&b, &m);
		if (pfkey_to_sa_cfg(&m, &cfg, &why) != -EINVAL)
			fail_msg("%s: accepted", c->name);
		assert_non_null(why);
		pfkey_buf_free(&b);
	}
}

static void test_policy_refusals(void **state)
{
	static const struct { const char *name; uint16_t type; uint8_t dir, mode, level, proto, n; } bads[] = {
		{ "entrust", IPSEC_POLICY_ENTRUST, IPSEC_DIR_OUTBOUND, 1, 2, IPPROTO_ESP, 0 },
		{ "bypass", IPSEC_POLICY_BYPASS, IPSEC_DIR_OUTBOUND, 1, 2, IPPROTO_ESP, 0 },
		{ "dir any", IPSEC_POLICY_NONE, IPSEC_DIR_ANY, 1, 2, IPPROTO_ESP, 0 },
		{ "dir 4", IPSEC_POLICY_NONE, 4, 1, 2, IPPROTO_ESP, 0 },
		{ "ipsec no requests", IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 1, 2, IPPROTO_ESP, 0 },
		{ "requests on discard", IPSEC_POLICY_DISCARD, IPSEC_DIR_OUTBOUND, 1, 2, IPPROTO_ESP, 1 },
		{ "beet", IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, IPSEC_MODE_BEET, 2, IPPROTO_ESP, 1 },
		{ "level 4", IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 1, 4, IPPROTO_ESP, 1 },
		{ "proto udp", IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 1, 2, IPPROTO_UDP, 1 },
		{ "seven requests", IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 1, 2, IPPROTO_ESP, 7 },
	};
	struct in6_addr a = a6("2001:db8::");

	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		struct xfrm_policy pol;
		struct sadb_x_policy *xp;
		struct pfkey_buf b;
		struct pfkey_msg m;
		const char *why = NULL;

		pfkey_buf_init(&b, SADB_X_SPDADD, 0, 1, 1);
		pfkey_add_address(&b, SADB_EXT_ADDRESS_SRC, &a, AF_INET6, 0, 32, IPSEC_ULPROTO_ANY);
		pfkey_add_address(&b, SADB_EXT_ADDRESS_DST, &a, AF_INET6, 0, 32, IPSEC_ULPROTO_ANY);
		xp = pfkey_buf_ext(&b, SADB_X_EXT_POLICY, 16 + 16u * bads[i].n);
		xp->sadb_x_policy_type = bads[i].type;
		xp->sadb_x_policy_dir = bads[i].dir;
		for (unsigned k = 0; k < bads[i].n; k++) {
			struct sadb_x_ipsecrequest *rq = (void *)((uint8_t *)xp + 16 + 16 * k);

			rq->sadb_x_ipsecrequest_len = 16;
			rq->sadb_x_ipsecrequest_proto = bads[i].proto;
			rq->sadb_x_ipsecrequest_mode = bads[i].mode;
			rq->sadb_x_ipsecrequest_level = bads[i].level;
		}
		finish_parse(&b, &m);
		if (pfkey_to_policy(&m, &pol, &why) != -EINVAL)
			fail_msg("%s: accepted", bads[i].name);
		assert_non_null(why);
		pfkey_buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_rules),
		cmocka_unit_test(test_check_reason),
		cmocka_unit_test(test_sa_refusals),
		cmocka_unit_test(test_policy_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
