/*
 * Flow keys from packets: IPv6 extension header walks, fragments, ICMP
 * type/code, MH type, ESP, IPv4 options, and every truncation refused
 * without reading past the end (each case is also run at every shorter
 * length, in a buffer of exactly that size, so ASan sees any overread).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/common.h"
#include "proto/ip4.h"
#include "xfrm/flow.h"

static size_t ip6_hdr(uint8_t *b, uint8_t nh, size_t payload)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	put_be16(b + 4, (uint16_t)payload);
	b[6] = nh;
	b[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", b + 8);
	inet_pton(AF_INET6, "2001:db8::2", b + 24);
	return 40;
}

static size_t ip4_hdr(uint8_t *b, uint8_t proto, size_t optlen, size_t payload)
{
	memset(b, 0, 20 + optlen);
	b[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
	put_be16(b + 2, (uint16_t)(20 + optlen + payload));
	b[8] = 64;
	b[9] = proto;
	inet_pton(AF_INET, "192.0.2.1", b + 12);
	inet_pton(AF_INET, "198.51.100.2", b + 16);
	memset(b + 20, 1, optlen);     /* NOPs */
	return 20 + optlen;
}

/* Parses @b at its full length, then checks every prefix of it fails cleanly. */
static int parse_all(const uint8_t *b, size_t len, struct xfrm_flow *fl)
{
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		struct xfrm_flow f;

		memcpy(copy, b, n);
		/* Shorter than the length fields say: always refused. */
		assert_int_equal(xfrm_flow_from_ip(copy, n, 1, &f), -EINVAL);
		free(copy);
	}
	uint8_t *copy = malloc(len);
	memcpy(copy, b, len);
	int err = xfrm_flow_from_ip(copy, len, 4, fl);
	free(copy);
	return err;
}

static void test_ip6_udp_through_exthdrs(void **state)
{
	uint8_t b[200];
	size_t off = ip6_hdr(b, 0, 8 + 16 + 8 + 8);
	struct xfrm_flow fl;
	struct in6_addr want;

	b[off] = 60; b[off + 1] = 0;                      /* HbH, 8 bytes -> DstOpts */
	off += 8;
	memset(b + off, 0, 16);
	b[off] = 44; b[off + 1] = 1;                      /* DstOpts, 16 bytes -> Fragment */
	off += 16;
	memset(b + off, 0, 8);
	b[off] = IPPROTO_UDP;                             /* first fragment, M=1 */
	b[off + 3] = 1;
	off += 8;
	put_be16(b + off, 500);
	put_be16(b + off + 2, 4500);
	put_be16(b + off + 4, 8);
	put_be16(b + off + 6, 0);
	off += 8;
	assert_int_equal(parse_all(b, off, &fl), 0);
	assert_int_equal(fl.family, AF_INET6);
	assert_int_equal(fl.proto, IPPROTO_UDP);
	assert_int_equal(fl.sport, 500);
	assert_int_equal(fl.dport, 4500);
	assert_int_equal(fl.ifindex, 4);
	assert_int_equal(fl.flags, 0);
	inet_pton(AF_INET6, "2001:db8::2", &want);
	assert_memory_equal(&fl.dst, &want, 16);
	/* Trailing bytes past the payload length are not part of the packet. */
	b[off] = 0xee;
	assert_int_equal(xfrm_flow_from_ip6(b, off + 1, 0, &fl), 0);
}

static void test_ip6_later_fragment(void **state)
{
	uint8_t b[100];
	size_t off = ip6_hdr(b, 44, 8 + 4);
	struct xfrm_flow fl;

	memset(b + off, 0, 8);
	b[off] = IPPROTO_TCP;
	put_be16(b + off + 2, 185 << 3);                  /* offset 1480 */
	off += 8;
	memset(b + off, 0xab, 4);                         /* payload bytes, not ports */
	off += 4;
	assert_int_equal(parse_all(b, off, &fl), 0);
	assert_int_equal(fl.proto, IPPROTO_TCP);
	assert_int_equal(fl.flags, XFRM_FLOW_NOPORTS);
	assert_int_equal(fl.sport, 0);
}

static void test_ip6_icmp_mh_esp(void **state)
{
	uint8_t b[100];
	size_t off = ip6_hdr(b, IPPROTO_ICMPV6, 4);
	struct xfrm_flow fl;

	b[off] = 135; b[off + 1] = 0; b[off + 2] = 0; b[off + 3] = 0;
	assert_int_equal(parse_all(b, off + 4, &fl), 0);
	assert_int_equal(fl.sport, 135);
	assert_int_equal(fl.dport, 0);

	off = ip6_hdr(b, 135, 8);
	memset(b + off, 0, 8);
	b[off] = 59; b[off + 2] = 5;                      /* MH: Binding Update */
	assert_int_equal(parse_all(b, off + 8, &fl), 0);
	assert_int_equal(fl.proto, 135);
	assert_int_equal(fl.sport, 5);

	off = ip6_hdr(b, IPPROTO_ESP, 8);
	memset(b + off, 0x11, 8);
	assert_int_equal(xfrm_flow_from_ip6(b, off + 8, 0, &fl), 0);
	assert_int_equal(fl.proto, IPPROTO_ESP);
	assert_int_equal(fl.flags, XFRM_FLOW_NOPORTS);
	assert_int_equal(fl.sport, 0);

	off = ip6_hdr(b, 59, 0);                          /* no next header */
	assert_int_equal(xfrm_flow_from_ip6(b, off, 0, &fl), 0);
	assert_int_equal(fl.proto, 59);
}

static void test_ip6_bad(void **state)
{
	uint8_t b[100];
	size_t off = ip6_hdr(b, 0, 8);
	struct xfrm_flow fl;

	b[off] = 0; b[off + 1] = 0;                       /* HbH -> HbH, truncated */
	assert_int_equal(xfrm_flow_from_ip6(b, off + 8, 0, &fl), -EINVAL);
	b[off + 1] = 4;                                   /* claims 40 bytes, 8 there */
	assert_int_equal(xfrm_flow_from_ip6(b, off + 8, 0, &fl), -EINVAL);
	put_be16(b + 4, 60);                              /* payload length past the buffer */
	assert_int_equal(xfrm_flow_from_ip6(b, off + 8, 0, &fl), -EINVAL);
	b[0] = 0x40;
	assert_int_equal(xfrm_flow_from_ip6(b, sizeof(b), 0, &fl), -EINVAL);
	/* A long chain of empty options headers is refused, not walked forever. */
	ip6_hdr(b, 60, 8 * 7);
	for (int i = 0; i < 7; i++) {
		memset(b + 40 + 8 * i, 0, 8);
		b[40 + 8 * i] = 60;
	}
	assert_int_equal(xfrm_flow_from_ip6(b, 40 + 56, 0, &fl), -EINVAL); /* last one truncated */
}

/*
 * Mobile IPv6 (RFC 3776): a route-optimised packet as it leaves, IPv6 |
 * RH2 | Destination Options (HAO) | UDP, has the home addresses as its
 * flow; a processed RH2 (Segments Left 0) and a HAO of the wrong length
 * do not count.
 */
static void test_ip6_mip6_home_addresses(void **state)
{
	uint8_t b[200];
	size_t off = ip6_hdr(b, 43, 24 + 24 + 8);
	struct xfrm_flow fl;
	struct in6_addr hsrc, hdst, csrc, cdst;

	inet_pton(AF_INET6, "2001:db8:5::10", &hsrc);
	inet_pton(AF_INET6, "2001:db8:6::20", &hdst);
	memcpy(&csrc, b + 8, 16);
	memcpy(&cdst, b + 24, 16);
	memset(b + off, 0, 48);
	b[off] = 60; b[off + 1] = 2; b[off + 2] = 2; b[off + 3] = 1;    /* RH2, Segments Left 1 */
	memcpy(b + off + 8, &hdst, 16);
	off += 24;
	b[off] = IPPROTO_UDP; b[off + 1] = 2;                            /* DstOpts: PadN(4), HAO */
	b[off + 2] = 1; b[off + 3] = 2; b[off + 6] = 0xc9; b[off + 7] = 16;
	memcpy(b + off + 8, &hsrc, 16);
	off += 24;
	put_be16(b + off, 5000);
	put_be16(b + off + 2, 6000);
	put_be16(b + off + 4, 8);
	put_be16(b + off + 6, 0);
	off += 8;
	assert_int_equal(parse_all(b, off, &fl), 0);
	assert_memory_equal(&fl.src, &hsrc, 16);
	assert_memory_equal(&fl.dst, &hdst, 16);
	assert_int_equal(fl.proto, IPPROTO_UDP);
	assert_int_equal(fl.sport, 5000);
	assert_int_equal(fl.dport, 6000);
	/* RH2 already processed: the header's destination is the final one. */
	b[40 + 3] = 0;
	assert_int_equal(parse_all(b, off, &fl), 0);
	assert_memory_equal(&fl.dst, &cdst, 16);
	assert_memory_equal(&fl.src, &hsrc, 16);
	/* A HAO of length 14 (the rest padded) is not a home address. */
	b[64 + 7] = 14;
	b[64 + 22] = 1;
	b[64 + 23] = 0;
	assert_int_equal(parse_all(b, off, &fl), 0);
	assert_memory_equal(&fl.src, &csrc, 16);
}

static void test_ip4(void **state)
{
	uint8_t b[100];
	size_t off = ip4_hdr(b, IPPROTO_TCP, 8, 20);
	struct xfrm_flow fl;
	struct in6_addr want;
	uint32_t a;

	memset(b + off, 0, 20);
	put_be16(b + off, 1234);
	put_be16(b + off + 2, 22);
	assert_int_equal(parse_all(b, off + 20, &fl), 0);
	assert_int_equal(fl.family, AF_INET);
	assert_int_equal(fl.sport, 1234);
	assert_int_equal(fl.dport, 22);
	inet_pton(AF_INET, "198.51.100.2", &a);
	ip4_to_mapped(&want, a);
	assert_memory_equal(&fl.dst, &want, 16);

	put_be16(b + 6, 0x2000 | 100);                    /* MF and an offset: no ports */
	assert_int_equal(xfrm_flow_from_ip4(b, off + 20, 0, &fl), 0);
	assert_int_equal(fl.flags, XFRM_FLOW_NOPORTS);
	assert_int_equal(fl.sport, 0);

	off = ip4_hdr(b, IPPROTO_ICMP, 0, 8);
	b[off] = 8; b[off + 1] = 0;                       /* echo request */
	memset(b + off + 2, 0, 6);
	assert_int_equal(parse_all(b, off + 8, &fl), 0);
	assert_int_equal(fl.proto, IPPROTO_ICMP);
	assert_int_equal(fl.sport, 8);

	b[0] = 0x44;                                      /* IHL 16 bytes */
	assert_int_equal(xfrm_flow_from_ip4(b, off + 8, 0, &fl), -EINVAL);
	b[0] = 0x45;
	put_be16(b + 2, 19);                              /* total length shorter than the header */
	assert_int_equal(xfrm_flow_from_ip4(b, off + 8, 0, &fl), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip6_udp_through_exthdrs),
		cmocka_unit_test(test_ip6_later_fragment),
		cmocka_unit_test(test_ip6_icmp_mh_esp),
		cmocka_unit_test(test_ip6_bad),
		cmocka_unit_test(test_ip6_mip6_home_addresses),
		cmocka_unit_test(test_ip4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
