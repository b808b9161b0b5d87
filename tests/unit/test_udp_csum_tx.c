/*
 * The UDP checksum of datagrams sent with usagi_sendto over IPv6, which
 * is summed while the payload is copied in (csum_partial_copy) and
 * finished by ip6_output over the UDP header and the pseudo-header,
 * checked on the wire against a deliberately naive RFC 8200 8.1 sum:
 *
 *   A 2001:db8:1::1 eth0 ---- link 0 ---- eth0 2001:db8:1::2 B
 *
 * Every payload length from 0 to 300 bytes (odd and even, every tail of
 * the 64-byte blocks) and a few large ones, with random bytes and with
 * 0xff bytes (the most carries); B's UDP input accepts each one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "core/rng.h"
#include "link/ether.h"
#include "proto/ip6.h"
#include "usagi/socket.h"

/* RFC 8200 8.1 over the IPv6 packet at @ip (its own lengths): 0 when the checksum is right. */
static uint16_t naive_verify(const uint8_t *ip)
{
	size_t ulen = (size_t)ip[4] << 8 | ip[5];
	const uint8_t *u = ip + IPV6_HLEN;
	uint64_t s = 0;

	for (int i = 8; i < 40; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	s += ulen + IPPROTO_UDP;
	for (size_t i = 0; i + 1 < ulen; i += 2)
		s += (uint32_t)u[i] << 8 | u[i + 1];
	if (ulen % 2)
		s += (uint32_t)u[ulen - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void send_and_check(struct lab_pair *t, struct usock *sa, struct usock *sb,
			   const uint8_t *buf, size_t len)
{
	static uint8_t got[2048];
	const struct lab_frame *f;

	lab_cap_clear(t->l, t->k);
	assert_int_equal(lab_send_to(sa, B6, 7000, buf, len), (ssize_t)len);
	lab_pump(t->l, 1);
	f = lab_find(t->l, t->k, IPPROTO_UDP, 0);
	assert_non_null(f);
	assert_int_equal(f->len, ETH_HLEN + IPV6_HLEN + UDP_HLEN + len);
	assert_int_not_equal(get_be16(f->b + ETH_HLEN + IPV6_HLEN + 6), 0);
	assert_int_equal(naive_verify(f->b + ETH_HLEN), 0);
	assert_int_equal(usagi_recvfrom(sb, got, sizeof(got), 0, NULL, NULL), (ssize_t)len);
	if (len)
		assert_memory_equal(got, buf, len);
}

static void test_sendto_checksums(void **state)
{
	static const size_t big[] = { 511, 512, 1024, 1231, 1412, 1452 };
	struct lab_pair *t = *state;
	struct usock *sb = lab_udp_bound(SB(t), AF_INET6, 7000);
	struct usock *sa = lab_udp_bound(SA(t), AF_INET6, 7001);
	static uint8_t buf[1500];
	struct rng r;

	rng_seed(&r, 3);
	for (size_t len = 0; len <= 300; len++) {
		rng_bytes(&r, buf, len);
		send_and_check(t, sa, sb, buf, len);
		memset(buf, 0xff, len);
		send_and_check(t, sa, sb, buf, len);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		rng_bytes(&r, buf, big[i]);
		send_and_check(t, sa, sb, buf, big[i]);
		memset(buf, 0xff, big[i]);
		send_and_check(t, sa, sb, buf, big[i]);
	}
	assert_int_equal(STAT_GET(SB(t), udp_bad_csum), 0);
	usagi_close(sa);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sendto_checksums, lab_pair_setup,
						lab_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
