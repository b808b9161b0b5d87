/*
 * Shared by test_mip6_ha.c and test_mip6_cn.c: the ip6_harness host
 * (2001:db8::1/64 on eth0, peer 2001:db8::2 learnt) with a default route
 * through the peer, Mobility Header messages built with the codec and
 * injected as a mobile node would send them (from the care-of address,
 * with a Home Address option), and the captured messages decoded back.
 */
#ifndef USAGI_TEST_MIP6_HARNESS_H
#define USAGI_TEST_MIP6_HARNESS_H

#include "ip6_harness.h"
#include "ipv6/route6.h"
#include "mip6/mh.h"
#include "mip6/mip6_priv.h"
#include "mip6/mip6_rr.h"

static const struct in6_addr a_coa = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [14] = 1, [15] = 0 } };
static const struct in6_addr a_coa2 = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, [14] = 1, [15] = 0 } };

/* A default route through the peer, so care-of addresses are reachable. */
static void add_default_route(struct host *h)
{
	(void)mk_echo;
	struct route6 r = { .plen = 0, .gw = a_peer, .dev = h->dev, .metric = 1024,
			    .proto = RT6_PROTO_STATIC };

	assert_int_equal(route6_add(h->st, &r), 0);
}

/*
 * Builds @m into @buf: with the authenticator under @kbm for (@coa, @cn)
 * when @kbm is set (opt.auth_off gets its offset), then the checksum for
 * @src/@dst (the home address and the final destination). Returns the length.
 */
static size_t mk_mh(struct mh_msg *m, uint8_t *buf, size_t cap, const struct in6_addr *src,
		    const struct in6_addr *dst, const uint8_t *kbm, const struct in6_addr *coa,
		    const struct in6_addr *cn)
{
	size_t auth_off = 0;
	int len = mh_build(m, buf, cap, &auth_off);

	assert_true(len > 0);
	if (kbm) {
		assert_int_equal(mip6_bu_auth(kbm, coa, cn, buf, auth_off, buf + auth_off), 0);
		memcpy(m->opt.auth, buf + auth_off, MH_AUTH_LEN);
		m->opt.auth_off = (uint16_t)auth_off;
	}
	mh_csum_set(buf, (size_t)len, src, dst);
	return (size_t)len;
}

/* Injects MH bytes from @coa to @dst; with a HAO naming @hoa when it differs from @coa (6.3). */
static void send_mh(struct host *h, const struct in6_addr *hoa, const struct in6_addr *coa,
		    const struct in6_addr *dst, const uint8_t *mh, size_t len)
{
	uint8_t body[600] = { NH_MH, 2, OPT6_PADN, 2, 0, 0, OPT6_HAO, 16 };

	assert_true(len + 24 <= sizeof(body));
	if (in6_equal(hoa, coa)) {
		inject(h, coa, dst, NH_MH, 64, mh, len);
		return;
	}
	memcpy(body + 8, hoa, 16);    /* HAO at 8n+6 (6.3) */
	memcpy(body + 24, mh, len);
	inject(h, coa, dst, NH_DSTOPTS, 64, body, 24 + len);
}

/* One Mobility Header message the host sent, decoded. */
struct mh_seen {
	struct in6_addr src, dst;     /* IPv6 header */
	bool rh2;
	struct in6_addr home;         /* RH2's home address */
	const uint8_t *mh;
	size_t len;
	struct mh_msg m;
};

/* Walks HbH/DstOpts/Routing to the Mobility Header of captured frame @i. */
static bool frame_mh(struct host *h, int i, struct mh_seen *s)
{
	const struct pkt *p = h->cap.f[i];
	const uint8_t *d = p->data + ETH_HLEN;
	size_t len = p->len - ETH_HLEN, off = IPV6_HLEN;
	uint8_t nxt;
	uint32_t ptr;

	if (p->len < ETH_HLEN + IPV6_HLEN || get_be16(p->data + 12) != ETH_P_IPV6)
		return false;
	memset(s, 0, sizeof(*s));
	nxt = d[6];
	memcpy(&s->src, d + 8, 16);
	memcpy(&s->dst, d + 24, 16);
	while (nxt == NH_HOPOPTS || nxt == NH_DSTOPTS || nxt == NH_ROUTING) {
		if (off + 8 > len)
			return false;
		if (nxt == NH_ROUTING && d[off + 2] == 2 && off + 24 <= len) {
			s->rh2 = true;
			memcpy(&s->home, d + off + 8, 16);
		}
		nxt = d[off];
		off += ((size_t)d[off + 1] + 1) * 8;
	}
	if (nxt != NH_MH || off >= len)
		return false;
	s->mh = d + off;
	s->len = len - off;
	assert_int_equal(mh_parse(h->st, s->mh, s->len, &s->src, s->rh2 ? &s->home : &s->dst,
				  &s->m, &ptr), MH_OK);
	return true;
}

/* The @nth captured message of MH @type; false if none. */
static bool find_mh(struct host *h, uint8_t type, int nth, struct mh_seen *s)
{
	for (int i = 0; i < h->cap.n; i++)
		if (frame_mh(h, i, s) && s->m.type == type && nth-- == 0)
			return true;
	return false;
}

static UNUSED int count_mh(struct host *h, uint8_t type)
{
	struct mh_seen s;
	int n = 0;

	while (find_mh(h, type, n, &s))
		n++;
	return n;
}

/* The BA the host sent (exactly one expected): status, sequence number, lifetime (4 s units). */
static void expect_ba(struct host *h, const struct in6_addr *hoa, const struct in6_addr *to,
		      uint8_t status, uint16_t seq, uint16_t lifetime, struct mh_seen *out)
{
	struct mh_seen s;

	assert_int_equal(count_mh(h, MH_BA), 1);
	assert_true(find_mh(h, MH_BA, 0, &s));
	assert_int_equal(s.m.ba.status, status);
	assert_int_equal(s.m.ba.seq, seq);
	assert_int_equal(s.m.ba.lifetime, lifetime);
	assert_true(in6_equal(&s.src, &a_us));
	assert_true(in6_equal(&s.dst, to));
	/* 9.5.4: to the care-of address through a RH2 carrying the home address. */
	assert_int_equal(s.rh2, !in6_equal(to, hoa));
	if (s.rh2)
		assert_true(in6_equal(&s.home, hoa));
	if (out)
		*out = s;
}

/* `mip6 binding show` into @buf. */
static void binding_show(struct host *h, char *buf, size_t cap)
{
	FILE *f;

	memset(buf, 0, cap);
	f = fmemopen(buf, cap, "w");
	assert_non_null(f);
	mip6_ha_show(h->st, f);
	mip6_cn_show(h->st, f);
	fclose(f);
}

#endif
