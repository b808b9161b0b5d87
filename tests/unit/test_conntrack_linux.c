/*
 * Conntrack behaviours aligned with the Linux kernel by the reference test
 * (tests/netns/ct_reference.sh compares usagi and a kernel router packet by
 * packet): a SYN after TIME_WAIT from either end starts a new connection, a
 * RST before any reply ends the entry once the packet is through, an
 * in-window RST off the expected sequence leaves an assured connection
 * alone, segments behind the window pass unchanged, a picked-up flow is
 * assured by the packet after its answer, echo requests of any code and
 * IPv6 "no next header", ICMP queries beyond echo paired (timestamp,
 * information, address mask, node information), and bad checksums
 * INVALID at PREROUTING (nf_conntrack_checksum).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ct_harness.h"
#include "netfilter/nf_priv.h"
#include "ipv6/ipv6.h"

static const char *C = "2001:db8:1::1", *S = "2001:db8:2::1";

/* Client C:40000 -> S:80, ISNs 1000 and 5000, windows 65535: ESTABLISHED and assured. */
static struct nf_conn *handshake(struct stack *st)
{
	struct nf_conn *ct;

	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1000, 0, TF_SYN, 65535, 0), &ct,
				NULL), NF_CT_NEW);
	ct_run(st, ct_tcp(st, S, C, 80, 40000, 5000, 1001, TF_SYN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001, 5001, TF_ACK, 65535, 0), NULL, NULL);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_true(ct->status & NF_CTS_ASSURED);
	return ct;
}

/* The client closes first; both FINs acked: TIME_WAIT. */
static void fin_close(struct stack *st, struct nf_conn *ct)
{
	ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001, 5001, TF_FIN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, S, C, 80, 40000, 5001, 1002, TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, S, C, 80, 40000, 5001, 1002, TF_FIN | TF_ACK, 65535, 0), NULL, NULL);
	ct_run(st, ct_tcp(st, C, S, 40000, 80, 1002, 5002, TF_ACK, 65535, 0), NULL, NULL);
	assert_int_equal(ct->l4state, NF_TCP_TIME_WAIT);
}

/* RFC 9293 3.10.7.4: the server reuses the tuple in TIME_WAIT; the connection turns around. */
static void test_tw_responder_reopens(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;
	struct nf_tuple t;
	int dir;

	(void)state;
	fin_close(st, handshake(st));
	assert_int_equal(ct_run(st, ct_tcp(st, S, C, 80, 40000, 900000, 0, TF_SYN, 65535, 0), &ct,
				&dir), NF_CT_NEW);
	assert_int_equal(dir, NF_DIR_ORIG);
	assert_int_equal(ct->l4state, NF_TCP_SYN_SENT);
	assert_int_equal(ct->tuple.sport, 80);
	assert_false(ct->status & NF_CTS_ASSURED);
	assert_int_equal(nf_ct_count(st), 1);
	nf_ct_tuple(ct, NF_DIR_REPLY, &t);
	assert_int_equal(t.sport, 40000);
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 700000, 900001, TF_SYN | TF_ACK,
					   65535, 0), NULL, &dir), NF_CT_ESTABLISHED);
	assert_int_equal(dir, NF_DIR_REPLY);
	assert_int_equal(ct->l4state, NF_TCP_SYN_RECV);
	usagi_stack_free(st);
}

/* The client's own reopen after TIME_WAIT: a new entry, NEW again. */
static void test_tw_initiator_reopens(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;

	(void)state;
	fin_close(st, handshake(st));
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 300000, 0, TF_SYN, 65535, 0), &ct,
				NULL), NF_CT_NEW);
	assert_int_equal(ct->l4state, NF_TCP_SYN_SENT);
	assert_int_equal(ct->tuple.sport, 40000);
	assert_int_equal(nf_ct_count(st), 1);
	usagi_stack_free(st);
}

/* RFC 5961 3.2: in window, off the expected sequence: no change; exact: CLOSE; behind: INVALID. */
static void test_rst_inexact(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct = handshake(st);

	(void)state;
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001 + 1000, 0, TF_RST, 0, 0), NULL,
				NULL), NF_CT_ESTABLISHED);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 901, 0, TF_RST, 0, 0), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(ct->l4state, NF_TCP_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001, 0, TF_RST, 0, 0), NULL, NULL),
			 NF_CT_ESTABLISHED);
	assert_int_equal(ct->l4state, NF_TCP_CLOSE);
	usagi_stack_free(st);
}

/* Behind the window: passes, changes nothing; ahead of it: INVALID. */
static void test_old_segments_ignored(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct = handshake(st);
	struct nf_tcp_end before = ct->tcp[NF_DIR_ORIG];
	uint32_t deadline = ct->deadline;

	(void)state;
	st->now += 5 * NS_PER_SEC;
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001 - 800000, 5001, TF_ACK, 65535,
					   10), NULL, NULL), NF_CT_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_tcp(st, S, C, 80, 40000, 5001, 1001 - 800000, TF_ACK, 65535,
					   0), NULL, NULL), NF_CT_ESTABLISHED);
	assert_memory_equal(&ct->tcp[NF_DIR_ORIG], &before, sizeof(before));
	assert_int_equal(ct->deadline, deadline);       /* not refreshed */
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 40000, 80, 1001 + 3000000, 5001, TF_ACK, 65535,
					   10), NULL, NULL), NF_CT_INVALID);
	usagi_stack_free(st);
}

/* A refused connection (RST/ACK before any reply) leaves no entry once the RST is through. */
static void test_refused_entry_ends(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct pkt *p;

	(void)state;
	assert_int_equal(nf_ct_enable(st), 0);
	p = ct_tcp(st, C, S, 40000, 80, 1000, 0, TF_SYN, 65535, 0);
	assert_int_equal(nf_hook_run(st, NF_PREROUTING, p, NULL, NULL), NF_ACCEPT);
	assert_int_equal(nf_hook_run(st, NF_POSTROUTING, p, NULL, NULL), NF_ACCEPT);
	pkt_free(p);
	assert_int_equal(nf_ct_count(st), 1);
	p = ct_tcp(st, S, C, 80, 40000, 0, 1001, TF_RST | TF_ACK, 0, 0);
	assert_int_equal(nf_hook_run(st, NF_PREROUTING, p, NULL, NULL), NF_ACCEPT);
	{
		struct nf_ct_info ci;

		assert_true(nf_ct_get(st, p, &ci));
		assert_int_equal(ci.state, NF_CT_ESTABLISHED);  /* the filter still sees it as a reply */
	}
	assert_int_equal(nf_ct_count(st), 1);
	assert_int_equal(nf_hook_run(st, NF_POSTROUTING, p, NULL, NULL), NF_ACCEPT);
	pkt_free(p);
	assert_int_equal(nf_ct_count(st), 0);
	usagi_stack_free(st);
}

/* Picked up mid-stream (tcp_loose): the answer does not assure, the packet after it does. */
static void test_pickup_assured_late(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct;

	(void)state;
	assert_int_equal(ct_run(st, ct_tcp(st, C, S, 1, 2, 700, 900, TF_ACK, 100, 10), &ct, NULL),
			 NF_CT_NEW);
	ct_run(st, ct_tcp(st, S, C, 2, 1, 900, 710, TF_ACK, 100, 0), NULL, NULL);
	assert_false(ct->status & NF_CTS_ASSURED);
	ct_run(st, ct_tcp(st, C, S, 1, 2, 710, 900, TF_ACK, 100, 0), NULL, NULL);
	assert_true(ct->status & NF_CTS_ASSURED);
	usagi_stack_free(st);
}

/* Echo requests of any code start an entry; a packet with No Next Header is INVALID. */
static void test_icmp_code_and_no_next_header(void **state)
{
	struct stack *st = usagi_stack_new(NULL);
	uint8_t none[8] = { 0 };

	(void)state;
	assert_int_equal(ct_run(st, ct_icmp(st, C, S, 128, 1, 7, NULL, 0), NULL, NULL), NF_CT_NEW);
	assert_int_equal(ct_run(st, ct_icmp(st, S, C, 129, 1, 7, NULL, 0), NULL, NULL),
			 NF_CT_ESTABLISHED);
	assert_int_equal(ct_run(st, ct_icmp(st, "192.0.2.1", "198.51.100.1", 8, 3, 9, NULL, 0), NULL,
				NULL), NF_CT_NEW);
	assert_int_equal(ct_run(st, ct_ip(st, C, S, IPPROTO_NONE, none, sizeof(none)), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(nf_ct_count(st), 2);
	usagi_stack_free(st);
}

/* Linux's icmp/icmpv6 invmap: every query type with a reply pairs, by identifier. */
static void test_icmp_queries_pair(void **state)
{
	static const uint8_t q4[] = { 13, 15, 17 }, q6[] = { 139 }, body[12] = { 0 };
	struct stack *st = usagi_stack_new(NULL);
	struct nf_conn *ct, *ct2;

	(void)state;
	for (size_t i = 0; i < sizeof(q4); i++) {
		/* An unsolicited reply is INVALID and makes nothing; the request is NEW; its reply ESTABLISHED. */
		assert_int_equal(ct_run(st, ct_icmp(st, "198.51.100.1", "192.0.2.1", q4[i] + 1, 0, 5,
						    NULL, 0), NULL, NULL), NF_CT_INVALID);
		assert_int_equal(ct_run(st, ct_icmp(st, "192.0.2.1", "198.51.100.1", q4[i], 0, 5, body,
						     12), &ct, NULL), NF_CT_NEW);
		assert_int_equal(ct_run(st, ct_icmp(st, "198.51.100.1", "192.0.2.1", q4[i] + 1, 0, 5,
						    body, 12), &ct2, NULL), NF_CT_ESTABLISHED);
		assert_ptr_equal(ct, ct2);
		/* Another identifier is another flow: its reply alone is INVALID. */
		assert_int_equal(ct_run(st, ct_icmp(st, "198.51.100.1", "192.0.2.1", q4[i] + 1, 0, 6,
						    NULL, 0), NULL, NULL), NF_CT_INVALID);
	}
	for (size_t i = 0; i < sizeof(q6); i++) {
		assert_int_equal(ct_run(st, ct_icmp(st, S, C, q6[i] + 1, 0, 2, body, 8), NULL, NULL),
				 NF_CT_INVALID);
		assert_int_equal(ct_run(st, ct_icmp(st, C, S, q6[i], 0, 2, body, 8), &ct, NULL),
				 NF_CT_NEW);
		assert_int_equal(ct_run(st, ct_icmp(st, S, C, q6[i] + 1, 0, 2, body, 8), &ct2, NULL),
				 NF_CT_ESTABLISHED);
		assert_ptr_equal(ct, ct2);
	}
	assert_int_equal(nf_ct_count(st), 4);
	usagi_stack_free(st);
}

/* @p with its byte @off flipped. */
static struct pkt *corrupt(struct pkt *p, size_t off)
{
	p->data[off] ^= 0x40;
	return p;
}

static enum nf_ct_state run_at(struct stack *st, struct pkt *p, int hook)
{
	struct nf_ct_info ci;

	nf_ct_in(st, p, hook, &ci);
	pkt_free(p);
	return ci.state;
}

/* nf_conntrack_checksum=1: a bad TCP/UDP/ICMP/ICMPv6 checksum at PREROUTING is INVALID. */
static void test_bad_checksum_invalid(void **state)
{
	static const uint8_t body4[4] = { 1, 2, 3, 4 };
	struct stack *st = usagi_stack_new(NULL);
	long v;

	(void)state;
	assert_int_equal(nf_sysctl_get(st, "net.netfilter.nf_conntrack_checksum", &v), 0);
	assert_int_equal(v, 1);
	/* Payload byte flipped (offset past the IPv6 header and the l4 header). */
	assert_int_equal(ct_run(st, corrupt(ct_tcp(st, C, S, 40000, 80, 1000, 0, TF_SYN, 65535, 4), 62),
				NULL, NULL), NF_CT_INVALID);
	assert_int_equal(ct_run(st, corrupt(ct_udp(st, C, S, 5000, 53), 50), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(ct_run(st, corrupt(ct_udp(st, "192.0.2.1", "198.51.100.1", 5000, 53), 30),
				NULL, NULL), NF_CT_INVALID);
	assert_int_equal(ct_run(st, corrupt(ct_icmp(st, C, S, 128, 0, 7, body4, 4), 46), NULL, NULL),
			 NF_CT_INVALID);
	assert_int_equal(ct_run(st, corrupt(ct_icmp(st, "192.0.2.1", "198.51.100.1", 8, 0, 7, body4, 4),
					    26), NULL, NULL), NF_CT_INVALID);
	/* A wrong address in the pseudo-header is as bad as a wrong byte of the segment. */
	assert_int_equal(ct_run(st, corrupt(ct_tcp(st, C, S, 40000, 80, 1000, 0, TF_SYN, 65535, 0), 39),
				NULL, NULL), NF_CT_INVALID);
	assert_int_equal(STAT_GET(st, nf_ct_bad_csum), 6);
	assert_int_equal(nf_ct_count(st), 0);
	/* Locally generated packets are not checked (OUTPUT), as in Linux. */
	assert_int_equal(run_at(st, corrupt(ct_udp(st, C, S, 5001, 53), 50), NF_OUTPUT), NF_CT_NEW);
	/* An IPv4 UDP checksum of 0 means none (RFC 768); over IPv6 it is bad (RFC 8200 8.1). */
	{
		struct pkt *p4 = ct_udp(st, "192.0.2.1", "198.51.100.1", 5002, 53);
		struct pkt *p6 = ct_udp(st, C, S, 5002, 53);

		put_be16(p4->data + 26, 0);
		put_be16(p6->data + 46, 0);
		assert_int_equal(ct_run(st, p4, NULL, NULL), NF_CT_NEW);
		assert_int_equal(ct_run(st, p6, NULL, NULL), NF_CT_INVALID);
	}
	/* Off: tracked whatever the checksum. */
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_checksum", 0), 0);
	assert_int_equal(ct_run(st, corrupt(ct_udp(st, C, S, 5003, 53), 50), NULL, NULL), NF_CT_NEW);
	assert_int_equal(nf_sysctl_set(st, "net.netfilter.nf_conntrack_checksum", 2), -EINVAL);
	assert_int_equal(STAT_GET(st, nf_ct_bad_csum), 7);
	usagi_stack_free(st);
}

/*
 * An IPv6 UDP packet C -> @dst through extension header @ext (@elen bytes,
 * its next header UDP), its checksum over @csrc -> @cdst.
 */
static struct pkt *ext_udp(struct stack *st, const char *dst, uint8_t nh, const uint8_t *ext,
			   size_t elen, const char *csrc, const char *cdst)
{
	uint8_t b[128] = { 0x60 }, *u;
	struct in6_addr a, z;

	put_be16(b + 4, (uint16_t)(elen + 12));
	b[6] = nh;
	b[7] = 64;
	inet_pton(AF_INET6, C, b + 8);
	inet_pton(AF_INET6, dst, b + 24);
	memcpy(b + 40, ext, elen);
	u = b + 40 + elen;
	put_be16(u, 4000);
	put_be16(u + 2, 53);
	put_be16(u + 4, 12);
	memcpy(u + 8, "abcd", 4);
	inet_pton(AF_INET6, csrc, &a);
	inet_pton(AF_INET6, cdst, &z);
	put_be16(u + 6, csum_ipv6(&a, &z, IPPROTO_UDP, u, 12));
	return pkt_from_bytes(st->pool, b, 40 + elen + 12);
}

/*
 * RFC 8200 8.1 / RFC 6275 6.3-6.4: a packet with a type 2 Routing header
 * (segments left) is summed over its final destination, one with a Home
 * Address option over the home address, unless input swapped it into the
 * header already: a router forwarding route-optimised Mobile IPv6 traffic
 * must not call it INVALID.
 */
static void test_checksum_final_destination(void **state)
{
	static const char *coa = "2001:db8:3::d", *hoa = "2001:db8:1::100";
	struct stack *st = usagi_stack_new(NULL);
	uint8_t rh2[24] = { IPPROTO_UDP, 2, 2, 1 }, dopt[24] = { IPPROTO_UDP, 2, 1, 2, 0, 0, 0xc9, 16 };
	struct pkt *p;

	(void)state;
	inet_pton(AF_INET6, hoa, rh2 + 8);
	assert_int_equal(ct_run(st, ext_udp(st, coa, 43, rh2, sizeof(rh2), C, hoa), NULL, NULL),
			 NF_CT_NEW);
	assert_int_equal(ct_run(st, ext_udp(st, coa, 43, rh2, sizeof(rh2), C, coa), NULL, NULL),
			 NF_CT_INVALID);
	rh2[3] = 0;     /* segments left 0: the header's destination is the final one */
	assert_int_equal(ct_run(st, ext_udp(st, coa, 43, rh2, sizeof(rh2), C, coa), NULL, NULL),
			 NF_CT_NEW);
	/* Home Address option (C is the care-of address in the header). */
	inet_pton(AF_INET6, hoa, dopt + 8);
	assert_int_equal(ct_run(st, ext_udp(st, S, 60, dopt, sizeof(dopt), hoa, S), NULL, NULL),
			 NF_CT_NEW);
	assert_int_equal(ct_run(st, ext_udp(st, S, 60, dopt, sizeof(dopt), C, S), NULL, NULL),
			 NF_CT_INVALID);
	/* Swapped by input (IP6_CB hao set): the header holds the home address, summed as is. */
	p = ext_udp(st, S, 60, dopt, sizeof(dopt), C, S);
	memset(p->cb, 0, sizeof(p->cb));
	IP6_CB(p)->hao = 42;
	{
		struct nf_ct_info ci;

		nf_ct_in(st, p, NF_PREROUTING, &ci);    /* not ct_run: it clears the control block */
		pkt_free(p);
		assert_int_equal(ci.state, NF_CT_NEW);
	}
	assert_int_equal(STAT_GET(st, nf_ct_bad_csum), 2);
	usagi_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tw_responder_reopens),
		cmocka_unit_test(test_tw_initiator_reopens),
		cmocka_unit_test(test_rst_inexact),
		cmocka_unit_test(test_old_segments_ignored),
		cmocka_unit_test(test_refused_entry_ends),
		cmocka_unit_test(test_pickup_assured_late),
		cmocka_unit_test(test_icmp_code_and_no_next_header),
		cmocka_unit_test(test_icmp_queries_pair),
		cmocka_unit_test(test_bad_checksum_invalid),
		cmocka_unit_test(test_checksum_final_destination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
