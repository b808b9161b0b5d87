/*
 * NAT traversal (RFC 3948) between two hosts of the IPsec lab:
 *
 *   A 192.0.2.1 eth0 ---- link 0 ---- eth0 192.0.2.2 B
 *
 * SAs written in the setkey language (`esp-udp`, ports in brackets):
 * ESP travels in UDP 4500 -> 4500 with a zero checksum, in tunnel and
 * transport mode; an IKE message (non-ESP marker) still reaches a socket
 * on 4500; keepalives go out every 20 s while such an SA exists and are
 * dropped and counted on receipt; plain ESP for an SA that needs UDP, and
 * ESP in UDP for one that does not, are dropped and counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "link/ether.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "usagi/socket.h"
#include "xfrm/xfrm_io.h"
#include "xfrm/xfrm_natt.h"

#define KEY "0x0102030405060708090a0b0c0d0e0f1011121314"

/* ESP-in-UDP SAs A<->B and policies for UDP between them, on both hosts. */
static void natt_setup(struct lab_pair *t, const char *mode, const char *sa_proto)
{
	for (int n = 0; n < 2; n++) {
		int node = n ? t->b : t->a;
		const char *me = n ? LAB_B4 : LAB_A4, *peer = n ? LAB_A4 : LAB_B4;

		lab_cmd(t->l, node,
			"setkey -e add 192.0.2.1[4500] 192.0.2.2[4500] %s 0x2001 -m %s -E aes-gcm-16 " KEY " ; "
			"add 192.0.2.2[4500] 192.0.2.1[4500] %s 0x2002 -m %s -E aes-gcm-16 " KEY " ; "
			"spdadd %s %s udp -P out ipsec esp/%s/%s%s%s/require ; "
			"spdadd %s %s udp -P in ipsec esp/%s/%s%s%s/require ;",
			sa_proto, mode, sa_proto, mode,
			me, peer, mode, strcmp(mode, "tunnel") ? "" : me,
			strcmp(mode, "tunnel") ? "" : "-", strcmp(mode, "tunnel") ? "" : peer,
			peer, me, mode, strcmp(mode, "tunnel") ? "" : peer,
			strcmp(mode, "tunnel") ? "" : "-", strcmp(mode, "tunnel") ? "" : me);
	}
}

/* The UDP header right after the IPv4 header of @f (NULL if @f is not IPv4/UDP). */
static const uint8_t *frame_udp(const struct lab_frame *f)
{
	const uint8_t *ip = f->b + ETH_HLEN;

	if (f->len < ETH_HLEN + IPV4_HLEN + UDP_HLEN || ip[0] >> 4 != 4 || ip[9] != IPPROTO_UDP)
		return NULL;
	return ip + (ip[0] & 0x0f) * 4;
}

static void check_round_trip(struct lab_pair *t)
{
	struct usock *sa = lab_udp_bound(SA(t), AF_INET, 7001);
	struct usock *sb = lab_udp_bound(SB(t), AF_INET, 7000);
	const struct lab_frame *f;
	const uint8_t *u;

	assert_int_equal(lab_send_to(sa, LAB_B4, 7000, "natt-secret-ab", 14), 14);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "natt-secret-ab"));
	assert_int_equal(lab_send_to(sb, LAB_A4, 7001, "natt-secret-ba", 14), 14);
	lab_pump(t->l, 1);
	assert_true(lab_got(sa, "natt-secret-ba"));
	/* Only UDP 4500 -> 4500 on the wire, zero checksum, ESP SPI right after it. */
	assert_int_equal(lab_count(t->l, t->k, AF_INET, IPPROTO_ESP), 0);
	assert_false(lab_wire_has(t->l, t->k, "natt-secret", 11));
	f = lab_find(t->l, t->k, IPPROTO_UDP, 0);
	assert_non_null(f);
	u = frame_udp(f);
	assert_non_null(u);
	assert_int_equal(get_be16(u), 4500);
	assert_int_equal(get_be16(u + 2), 4500);
	assert_int_equal(get_be16(u + 6), 0);
	assert_int_equal(get_be32(u + 8), 0x2001);
	assert_int_equal(STAT_GET(SB(t), natt_in_esp), 1);
	assert_int_equal(STAT_GET(SA(t), natt_in_esp), 1);
	assert_int_equal(STAT_GET(SA(t), natt_out_esp), 1);
	usagi_close(sa);
	usagi_close(sb);
}

static void test_natt_tunnel(void **state)
{
	struct lab_pair *t = *state;

	natt_setup(t, "tunnel", "esp-udp");
	assert_int_equal(SA(t)->xfrm_nencap, 2);
	check_round_trip(t);
	lab_pair_check_pools(t);
}

static void test_natt_transport(void **state)
{
	struct lab_pair *t = *state;

	natt_setup(t, "transport", "esp-udp");
	check_round_trip(t);
	lab_pair_check_pools(t);
}

/* RFC 3948 2.2: the non-ESP marker leaves a datagram to the socket layer (IKE). */
static void test_natt_ike_marker(void **state)
{
	struct lab_pair *t = *state;
	struct usock *ike = lab_udp_bound(SB(t), AF_INET, 4500);
	struct usock *s = lab_udp_bound(SA(t), AF_INET, 4500);
	const uint8_t msg[12] = { 0, 0, 0, 0, 'i', 'k', 'e', '-', 'm', 's', 'g', '!' };
	uint8_t buf[64];

	natt_setup(t, "tunnel", "esp-udp");
	/* IKE runs outside IPsec (per-socket bypass is not modelled): no policies, only the SAs. */
	lab_cmd(t->l, t->a, "setkey -e spdflush ;");
	lab_cmd(t->l, t->b, "setkey -e spdflush ;");
	assert_int_equal(lab_send_to(s, LAB_B4, 4500, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	lab_pump(t->l, 1);
	assert_int_equal(usagi_recvfrom(ike, buf, sizeof(buf), 0, NULL, NULL), (ssize_t)sizeof(msg));
	assert_memory_equal(buf, msg, sizeof(msg));
	assert_int_equal(STAT_GET(SB(t), natt_in_esp), 0);
	usagi_close(ike);
	usagi_close(s);
	lab_pair_check_pools(t);
}

/* RFC 3948 2.3/4: keepalives every 20 s while an encapsulating SA exists, dropped on receipt. */
static void test_natt_keepalive(void **state)
{
	struct lab_pair *t = *state;
	const struct lab_frame *f;
	const uint8_t *u;

	natt_setup(t, "tunnel", "esp-udp");
	lab_cap_clear(t->l, t->k);
	for (int i = 0; i < 21; i++)
		lab_pump(t->l, 1000);
	assert_int_equal(STAT_GET(SA(t), natt_out_keepalive), 1);
	assert_int_equal(STAT_GET(SB(t), natt_out_keepalive), 1);
	assert_int_equal(STAT_GET(SB(t), natt_in_keepalive), 1);
	assert_int_equal(STAT_GET(SA(t), natt_in_keepalive), 1);
	f = lab_find(t->l, t->k, IPPROTO_UDP, 0);
	assert_non_null(f);
	u = frame_udp(f);
	assert_non_null(u);
	assert_int_equal(get_be16(u + 4), UDP_HLEN + 1);
	assert_int_equal(u[UDP_HLEN], 0xff);
	/* No SA left with UDP encapsulation: the timer stops. */
	lab_cmd(t->l, t->a, "setkey -e flush ;");
	assert_int_equal(SA(t)->xfrm_nencap, 0);
	for (int i = 0; i < 25; i++)
		lab_pump(t->l, 1000);
	assert_int_equal(STAT_GET(SA(t), natt_out_keepalive), 1);
	assert_int_equal(STAT_GET(SB(t), natt_out_keepalive), 2);
	lab_pair_check_pools(t);
}

/* An SA's way in must match: plain ESP for a UDP SA and ESP in UDP for a plain SA are dropped. */
static void test_natt_mismatch(void **state)
{
	struct lab_pair *t = *state;
	struct usock *sa = lab_udp_bound(SA(t), AF_INET, 7001);
	struct usock *sb = lab_udp_bound(SB(t), AF_INET, 7000);

	/* A sends plain ESP; B's SAs want it in UDP. */
	natt_setup(t, "tunnel", "esp-udp");
	lab_cmd(t->l, t->a, "setkey -e flush ; add 192.0.2.1 192.0.2.2 esp 0x2001 -m tunnel -E aes-gcm-16 " KEY " ;");
	assert_int_equal(lab_send_to(sa, LAB_B4, 7000, "plain", 5), 5);
	lab_pump(t->l, 1);
	assert_true(lab_empty(sb));
	assert_int_equal(STAT_GET(SB(t), natt_in_sa_needs_encap), 1);
	/* Now the other way round: A sends in UDP, B's SA is plain. */
	lab_cmd(t->l, t->a, "setkey -e flush ; add 192.0.2.1[4500] 192.0.2.2[4500] esp-udp 0x2001 -m tunnel -E aes-gcm-16 " KEY " ;");
	/* B listens on 4500 only while some SA of its own uses UDP (here an unrelated one). */
	lab_cmd(t->l, t->b, "setkey -e flush ; add 192.0.2.1 192.0.2.2 esp 0x2001 -m tunnel -E aes-gcm-16 " KEY " ; "
		"add 192.0.2.9[4500] 192.0.2.2[4500] esp-udp 0x3000 -m tunnel -E aes-gcm-16 " KEY " ;");
	assert_int_equal(lab_send_to(sa, LAB_B4, 7000, "in-udp", 6), 6);
	lab_pump(t->l, 1);
	assert_true(lab_empty(sb));
	assert_int_equal(STAT_GET(SB(t), natt_in_sa_not_encap), 1);
	usagi_close(sa);
	usagi_close(sb);
	lab_pair_check_pools(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_natt_tunnel, lab_pair_setup, lab_pair_teardown),
		cmocka_unit_test_setup_teardown(test_natt_transport, lab_pair_setup, lab_pair_teardown),
		cmocka_unit_test_setup_teardown(test_natt_ike_marker, lab_pair_setup, lab_pair_teardown),
		cmocka_unit_test_setup_teardown(test_natt_keepalive, lab_pair_setup, lab_pair_teardown),
		cmocka_unit_test_setup_teardown(test_natt_mismatch, lab_pair_setup, lab_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
