/*
 * Mobile IPv6 on the receive path: Home Address options, type 2 routing
 * headers, the MN/HA IPv6-in-IPv6 tunnel and the Mobility Header up to
 * the home agent and correspondent, on one host that is all of them:
 *
 *   eth0 home link 2001:db8:1::1/64 (home agent of 2001:db8:1::/64)
 *   eth1 (MTU 1280) 2001:db8:2::1/64, forwarding on, correspondent on
 *
 * Data-plane bindings installed at setup (the roles may add, replace and
 * remove their own from fuzzed BUs; these are reinstalled per input):
 *   HA     hoa 2001:db8:1::100  coa 2001:db8:9::100  peer 2001:db8:1::1
 *   CN     hoa 2001:db8:5::5    coa 2001:db8:9::55
 *   MN_HA  hoa 2001:db8:1::200  coa 2001:db8:2::1    peer 2001:db8:7::1
 *   MN_RO  hoa 2001:db8:1::200  coa 2001:db8:2::1    peer 2001:db8:5::5
 *
 * Input: byte 0 the shape (below), bytes 1-3 address picks and next
 * header, the rest the payload. Shapes: 0 the payload is the whole IPv6
 * packet; 1 an IPv6 header (source, destination from ADDRS, next header
 * byte 3) in front of the payload; 2 the same with a Destination Options
 * header carrying a HAO first; 3 with a type 2 routing header first; 4 a
 * HAO and a RH2; 5 shape 1 inside an IPv6-in-IPv6 outer header. When the
 * chain ends in a Mobility Header (bit 7 of byte 3), its Header Len and
 * checksum are made right (pseudo-header with the HAO's home address and
 * the RH2's destination), so the messages reach the roles.
 *
 * Each input runs 70 s of timers (reassembly 60 s, then ND for an error
 * it causes); afterwards the packet pool must be back
 * at its baseline (abort() otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csum.h"
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "link/ether.h"
#include "mip6/mip6.h"
#include "proto/ip6.h"

#include "fuzz_common.h"

#define A6(...) { .s6_addr = { __VA_ARGS__ } }
static const struct in6_addr ADDRS[8] = {
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1),          /* us, home link (HA) */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1),          /* us, eth1 (MN_HA coa) */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [14] = 1, 0x00),    /* HA binding's hoa ::100 */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 9, [14] = 1, 0x00),    /* its coa */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 5, [15] = 5),          /* CN binding's hoa / MN_RO peer */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 0x55),       /* CN binding's coa */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 1, [14] = 2, 0x00),    /* our MN home address ::200 */
	A6(0x20, 0x01, 0x0d, 0xb8, 0, 7, [15] = 1),          /* our home agent */
};

#define MAX_PAYLOAD 4096
static unsigned pool_base;

static void bindings(void)
{
	const struct mip6_dp_binding b[] = {
		{ .kind = MIP6_DP_HA, .hoa = ADDRS[2], .coa = ADDRS[3], .peer = ADDRS[0] },
		{ .kind = MIP6_DP_CN, .hoa = ADDRS[4], .coa = ADDRS[5] },
		{ .kind = MIP6_DP_MN_HA, .hoa = ADDRS[6], .coa = ADDRS[1], .peer = ADDRS[7] },
		{ .kind = MIP6_DP_MN_RO, .hoa = ADDRS[6], .coa = ADDRS[1], .peer = ADDRS[4] },
	};

	for (size_t i = 0; i < ARRAY_SIZE(b); i++)
		if (mip6_dp_add(st, &b[i]) < 0)
			abort();
}

static void flush(void)
{
	uint64_t end = st->now + 70 * NS_PER_SEC, t;

	for (unsigned n = 0; n < 10000 && (t = usagi_stack_next_event(st)) <= end; n++)
		usagi_stack_advance(st, t);
	usagi_stack_advance(st, end);
}

static void setup(void)
{
	struct netdev *d1 = fuzz_host_setup("fuzz-mip6");

	addrconf_add(dev, &ADDRS[0], 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX);
	addrconf_add(d1, &ADDRS[1], 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX);
	st->ip6.all.forwarding = 1;
	if (mip6_ha_enable(st, dev) < 0 || mip6_cn_enable(st, true) < 0)
		abort();
	bindings();
	flush();
	pool_base = pkt_pool_in_use(st->pool);
}

/* Destination Options with PadN + HAO (24 octets, RFC 6275 6.3). */
static size_t put_hao(uint8_t *h, uint8_t nxt, const struct in6_addr *home)
{
	static const uint8_t head[8] = { 0, 2, OPT6_PADN, 2, 0, 0, OPT6_HAO, 16 };

	memcpy(h, head, 8);
	h[0] = nxt;
	memcpy(h + 8, home, 16);
	return 24;
}

/* Type 2 routing header (24 octets, RFC 6275 6.4). */
static size_t put_rh2(uint8_t *h, uint8_t nxt, const struct in6_addr *home)
{
	memset(h, 0, 8);
	h[0] = nxt;
	h[1] = 2;
	h[2] = 2;
	h[3] = 1;
	memcpy(h + 8, home, 16);
	return 24;
}

/* Makes the Mobility Header at @mh (@len octets) well formed enough to parse. */
static void fix_mh(uint8_t *mh, size_t len, const struct in6_addr *src, const struct in6_addr *dst)
{
	if (len < 8 || len % 8)
		return;
	mh[0] = NH_NONE;
	mh[1] = (uint8_t)(len / 8 - 1);
	put_be16(mh + 4, 0);
	put_be16(mh + 4, csum_ipv6(src, dst, NH_MH, mh, len));
}

/* Builds the frame of shapes 1-5 into @f; returns its length. */
static size_t build(uint8_t *f, const uint8_t *d, size_t n)
{
	uint8_t shape = d[0] % 6, nxt = d[3] & 0x80 ? NH_MH : d[3];
	struct in6_addr src = ADDRS[d[1] & 7], dst = ADDRS[(d[1] >> 3) & 7];
	struct in6_addr csrc = src, cdst = dst;
	uint8_t *ip = f + ETH_HLEN + (shape == 5 ? IPV6_HLEN : 0), *p = ip + IPV6_HLEN;
	const uint8_t *pl = d + 4;
	size_t plen = n - 4, ext = 0;

	if (shape == 3 || shape == 4) {
		cdst = ADDRS[(d[2] >> 3) & 7];
		ext += put_rh2(p, shape == 4 ? NH_DSTOPTS : nxt, &cdst);
	}
	if (shape == 2 || shape == 4) {
		csrc = ADDRS[d[2] & 7];
		ext += put_hao(p + ext, nxt, &csrc);
	}
	memcpy(p + ext, pl, plen);
	if (nxt == NH_MH)
		fix_mh(p + ext, plen, &csrc, &cdst);
	ip[0] = 0x60;
	memset(ip + 1, 0, 3);
	put_be16(ip + 4, (uint16_t)(ext + plen));
	ip[6] = shape == 3 || shape == 4 ? NH_ROUTING : shape == 2 ? NH_DSTOPTS : nxt;
	ip[7] = 64;
	memcpy(ip + 8, &src, 16);
	memcpy(ip + 24, &dst, 16);
	if (shape == 5) {
		uint8_t *o = f + ETH_HLEN;

		memcpy(o, ip, 8);
		put_be16(o + 4, (uint16_t)(IPV6_HLEN + ext + plen));
		o[6] = NH_IPV6;
		memcpy(o + 8, &ADDRS[(d[2] & 1) ? 3 : 7], 16);   /* the HA binding's coa or our HA */
		memcpy(o + 24, &ADDRS[(d[2] & 2) ? 1 : 0], 16);
		return ETH_HLEN + 2 * IPV6_HLEN + ext + plen;
	}
	return ETH_HLEN + IPV6_HLEN + ext + plen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t f[ETH_HLEN + 2 * IPV6_HLEN + 48 + MAX_PAYLOAD];
	static const uint8_t eth[ETH_HLEN] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd };
	static uint64_t before[STAT_MAX];
	struct pkt *p;
	size_t len;

	if (!st)
		setup();
	if (size < 4 || size - 4 > MAX_PAYLOAD)
		return 0;
	if (data[0] % 6 == 0) {
		memcpy(f + ETH_HLEN, data + 4, size - 4);
		len = ETH_HLEN + size - 4;
	} else {
		len = build(f, data, size);
	}
	memcpy(f, eth, ETH_HLEN);
	if (getenv("FUZZ_MIP6_TRACE"))
		memcpy(before, st->stats, sizeof(before));
	p = pkt_from_bytes(st->pool, f, len);
	if (p)
		netdev_rx(dev, p);
	flush();
	if (getenv("FUZZ_MIP6_TRACE"))
		for (unsigned i = 0; i < STAT_MAX; i++)
			if (st->stats[i] != before[i])
				fprintf(stderr, "%s +%llu\n", stat_name(i),
					(unsigned long long)(st->stats[i] - before[i]));
	if (pkt_pool_in_use(st->pool) != pool_base) {
		fprintf(stderr, "fuzz_mip6: %u packets held after the input (baseline %u)\n",
			pkt_pool_in_use(st->pool), pool_base);
		abort();
	}
	bindings();
	return 0;
}
