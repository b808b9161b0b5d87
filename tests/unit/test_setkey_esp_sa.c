/*
 * `ipsec esp-sa FILE` (Wireshark's esp_sa table): SAs made with setkey for
 * every algorithm Wireshark decrypts, IPv6 and IPv4, become records with
 * Wireshark's labels and the keys; the others become comment lines. The
 * test also writes, with the ESP codec (src/xfrm/esp.h), one UDP datagram
 * per SA into a pcap. With USAGI_ESP_SA_DIR set it leaves there
 * capture.pcap, esp_sa, expected.txt ("SPI PAYLOAD-HEX" per packet) and
 * sas.conf (the setkey statements, several lines each) for
 * tests/netns/esp_sa_tshark.sh, which feeds sas.conf to a node with
 * `usagi ctl setkey -c` and checks that tshark decrypts every packet with
 * the node's file; otherwise it works in a temporary directory.
 */
/* GCC inlines pkt_alloc's buffer as the bytes past struct pkt and warns falsely. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "cmd/cmd_priv.h"
#include "core/csum.h"
#include "core/stack.h"
#include "link/ether.h"
#include "link/pcap.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "setkey/setkey.h"
#include "xfrm/esp.h"

#define K128 "0x000102030405060708090a0b0c0d0e0f"
#define K160 "0x000102030405060708090a0b0c0d0e0f10111213"
#define K192 "0x000102030405060708090a0b0c0d0e0f1011121314151617"
#define K256 "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K384 "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	     "202122232425262728292a2b2c2d2e2f"
#define K512 K256 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

/* SPI, src, dst, and the algorithm part of the `add` statement. */
static const struct sa_case {
	uint32_t spi;
	const char *src, *dst, *algs;
	bool wireshark;              /* a record (true) or a comment (false) */
} cases[] = {
	{ 0x1001, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K128 " -A hmac-sha1 " K160, true },
	{ 0x1002, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K256 " -A hmac-sha256 " K256, true },
	{ 0x1003, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K192 " -A hmac-sha384 " K384, true },
	{ 0x1004, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K128 " -A hmac-sha512 " K512, true },
	{ 0x1005, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K128 " -A hmac-md5 " K128, true },
	{ 0x1006, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K128 " -A hmac-ripemd160 " K160, true },
	{ 0x1007, "2001:db8::1", "2001:db8::2", "-E 3des-cbc " K192 " -A hmac-sha1 " K160, true },
	{ 0x1008, "2001:db8::1", "2001:db8::2", "-E des-cbc 0x0123456789abcdef -A hmac-sha1 " K160, true },
	{ 0x1009, "2001:db8::1", "2001:db8::2", "-E cast128-cbc " K128 " -A hmac-sha1 " K160, true },
	{ 0x100a, "2001:db8::1", "2001:db8::2", "-E blowfish-cbc " K128 " -A hmac-sha1 " K160, true },
	{ 0x100b, "2001:db8::1", "2001:db8::2", "-E twofish-cbc " K128 " -A hmac-sha1 " K160, true },
	{ 0x100c, "2001:db8::1", "2001:db8::2", "-E aes-ctr " K160 " -A hmac-sha1 " K160, true },
	{ 0x100d, "2001:db8::1", "2001:db8::2", "-E aes-gcm-16 " K160, true },
	{ 0x100e, "2001:db8::1", "2001:db8::2", "-E aes-gcm-12 " K160, true },
	{ 0x100f, "2001:db8::1", "2001:db8::2", "-E aes-gcm-8 " K160, true },
	{ 0x1010, "2001:db8::1", "2001:db8::2", "-E null -A hmac-sha256 " K256, true },
	{ 0x1011, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K128, true },
	{ 0x1012, "192.0.2.1", "192.0.2.2", "-E aes-cbc " K128 " -A hmac-sha1 " K160, true },
	{ 0x1013, "2001:db8::1", "2001:db8::2", "-E serpent-cbc " K128 " -A hmac-sha1 " K160, false },
	{ 0x1014, "2001:db8::1", "2001:db8::2", "-E chacha20-poly1305 " K256 "20212223", false },
	{ 0x1015, "2001:db8::1", "2001:db8::2", "-E aes-cbc " K128 " -A aes-xcbc-mac " K128, false },
	{ 0x1016, "2001:db8::1", "2001:db8::2", "-E blowfish-cbc " K256 " -A hmac-sha1 " K160, false },
	/* Quoted keys with a blank and a '#': `usagi ctl setkey -c` must carry them intact. */
	{ 0x1017, "2001:db8::1", "2001:db8::2", "-E aes-cbc \"0123456789 #cdef\" -A hmac-md5 "
	  "\"quoted key #1 ok\"", true },
};

struct fx {
	struct stack *st;
	char dir[256];
	bool keep;
};

static int setup(void **state)
{
	struct usagi_stack_config cfg = { .name = "espsa", .seed = 5, .now = NS_PER_SEC };
	struct fx *f = calloc(1, sizeof(*f));
	const char *dir = getenv("USAGI_ESP_SA_DIR");

	f->st = usagi_stack_new(&cfg);
	assert_non_null(f->st);
	usagi_stack_set_log_level(f->st, 0);
	if (dir && *dir) {
		snprintf(f->dir, sizeof(f->dir), "%s", dir);
		f->keep = true;
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/usagi-esp-sa-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
	}
	*state = f;
	return 0;
}

static void path(const struct fx *f, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", f->dir, name);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static const char *const files[] = { "capture.pcap", "esp_sa", "expected.txt", "sas.conf" };
	char p[320];

	if (!f->keep) {
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			path(f, files[i], p, sizeof(p));
			unlink(p);
		}
		rmdir(f->dir);
	}
	usagi_stack_free(f->st);
	free(f);
	return 0;
}

/* Adds every case's SA and writes the same statements to sas.conf, as a person would. */
static void add_sas(struct fx *f)
{
	FILE *devnull = fopen("/dev/null", "w"), *conf;
	char p[320];

	path(f, "sas.conf", p, sizeof(p));
	conf = fopen(p, "w");
	assert_non_null(conf);
	fputs("# ESP SAs for every algorithm Wireshark decrypts (and four it does not)\nflush;\n", conf);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[512];

		snprintf(text, sizeof(text), "add %s %s esp 0x%x %s ;", cases[i].src, cases[i].dst,
			 cases[i].spi, cases[i].algs);
		if (setkey_run(f->st, text, strlen(text), 0, false, NULL, devnull, devnull) != 0)
			fail_msg("refused: %s", text);
		fprintf(conf, "add %s %s esp 0x%x\n\t%s ;   # case %zu\n", cases[i].src, cases[i].dst,
			cases[i].spi, cases[i].algs, i);
	}
	fclose(conf);
	fclose(devnull);
}

/* IPv6 or IPv4 + ESP(UDP 40000+n -> 41000, @payload) + Ethernet, from the SA's own context. */
static size_t build_frame(struct xfrm_state *x, const char *payload, uint8_t *out)
{
	struct esp_sa_params sp = { .spi = x->c.id.spi, .c = x->crypto };
	struct pkt *p = pkt_alloc(NULL, 128, 512);
	size_t n = strlen(payload), len;
	uint8_t *u = pkt_put(p, 8 + n);
	bool v4 = x->c.family == AF_INET;
	struct eth_hdr *eth;

	put_be16(u, (uint16_t)(40000 + (x->c.id.spi & 0xff)));
	put_be16(u + 2, 41000);
	put_be16(u + 4, (uint16_t)(8 + n));
	put_be16(u + 6, 0);
	memcpy(u + 8, payload, n);
	if (!v4)
		put_be16(u + 6, csum_ipv6(&x->c.saddr, &x->c.id.daddr, IPPROTO_UDP, u, 8 + n));
	assert_true(pkt_tailroom(p) >= esp_encap_tailroom(&sp, p->len));
	assert_int_equal(esp_encap(&sp, p, IPPROTO_UDP, 1), 0);
	if (v4) {
		struct ip4_hdr *h = pkt_push(p, sizeof(*h));

		memset(h, 0, sizeof(*h));
		h->vihl = 0x45;
		put_be16(h->tot_len, (uint16_t)p->len);
		h->ttl = 64;
		h->proto = IPPROTO_ESP;
		memcpy(h->src, x->c.saddr.s6_addr + 12, 4);
		memcpy(h->dst, x->c.id.daddr.s6_addr + 12, 4);
		put_be16(h->cksum, csum_fold(csum_partial(h, sizeof(*h), 0)));
	} else {
		struct ip6_hdr *h = pkt_push(p, sizeof(*h));

		ip6_set_vtcfl(h, 0, 0);
		put_be16(h->plen, (uint16_t)p->len);
		h->nxt = NH_ESP;
		h->hlim = 64;
		h->src = x->c.saddr;
		h->dst = x->c.id.daddr;
	}
	eth = pkt_push(p, ETH_HLEN);
	memcpy(eth, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put_be16((uint8_t *)eth + 12, v4 ? ETH_P_IP : ETH_P_IPV6);
	len = p->len;
	memcpy(out, p->data, len);
	pkt_free(p);
	return len;
}

static void write_capture(struct fx *f)
{
	char pcap[320], exp[320];
	struct pcap_writer *w;
	FILE *e;

	path(f, "capture.pcap", pcap, sizeof(pcap));
	path(f, "expected.txt", exp, sizeof(exp));
	w = pcapw_open(pcap);
	e = fopen(exp, "w");
	assert_non_null(w);
	assert_non_null(e);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct in6_addr d;
		uint32_t v4;
		struct xfrm_state *x;
		uint8_t frame[1024];
		char payload[64];
		size_t len;

		if (!cases[i].wireshark)
			continue;
		if (strchr(cases[i].dst, ':'))
			inet_pton(AF_INET6, cases[i].dst, &d);
		else if (inet_pton(AF_INET, cases[i].dst, &v4) == 1)
			ip4_to_mapped(&d, v4);
		x = xfrm_state_get(f->st, &d, cases[i].spi, IPPROTO_ESP);
		assert_non_null(x);
		snprintf(payload, sizeof(payload), "usagi esp_sa check %s", x->c.enc.name);
		len = build_frame(x, payload, frame);
		pcapw_write(w, (i + 1) * NS_PER_SEC, frame, len);
		fprintf(e, "0x%08x ", cases[i].spi);
		for (const char *c = payload; *c; c++)
			fprintf(e, "%02x", (unsigned char)*c);
		fputc('\n', e);
	}
	pcapw_close(w);
	fclose(e);
}

static void test_esp_sa_file(void **state)
{
	struct fx *f = *state;
	struct cmd_env env = { .st = f->st, .out = stdout, .err = stderr };
	char file[320], line[700], cmdline[400];
	unsigned records = 0, comments = 0;
	struct stat sb;
	FILE *in;

	add_sas(f);
	path(f, "esp_sa", file, sizeof(file));
	snprintf(cmdline, sizeof(cmdline), "ipsec esp-sa %s", file);
	assert_int_equal(cmd_exec_line(&env, cmdline), 0);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);         /* it holds keys */
	in = fopen(file, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		if (line[0] == '#') {
			comments += strstr(line, "not supported by Wireshark") != NULL;
			continue;
		}
		records++;
	}
	fclose(in);
	assert_int_equal(records, 19);
	assert_int_equal(comments, 4);
	assert_int_equal(STAT_GET(f->st, setkey_esp_sa_written), 19);
	write_capture(f);
}

/* The records themselves, exactly, for a few SAs. */
static void test_esp_sa_records(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len), *devnull = fopen("/dev/null", "w");
	const char *t = "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-gcm-16 " K160 ";"
			"add 192.0.2.1 192.0.2.2 esp 4097 -E 3des-cbc " K192 " -A hmac-sha1 " K160 ";"
			"add 2001:db8::1 2001:db8::2 esp 0x1002 -f esn -E null -A hmac-md5 " K128 ";"
			"add 2001:db8::1 2001:db8::2 esp 0x1003 -E serpent-cbc " K128 ";"
			"add 2001:db8::1 2001:db8::2 ah 0x1004 -A hmac-md5 " K128 ";"
			"getspi 2001:db8::1 2001:db8::2 esp 0x1005;";

	assert_int_equal(setkey_run(f->st, t, strlen(t), 0, false, NULL, devnull, devnull), 0);
	fclose(devnull);
	assert_int_equal(setkey_write_esp_sa(m, f->st), 3);
	fflush(m);
	assert_non_null(strstr(buf, "to tshark as -o 'uat:esp_sa:LINE'; then enable ESP decryption in "
				    "the ESP preferences.\n"
		"\"IPv6\",\"2001:db8::1\",\"2001:db8::2\",\"0x00001000\",\"AES-GCM with 16 octet ICV "
		"[RFC4106]\",\"" K160 "\",\"NULL\",\"\"\n"
		"\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001001\",\"TripleDES-CBC [RFC2451]\",\"" K192
		"\",\"HMAC-SHA-1-96 [RFC2404]\",\"" K160 "\"\n"
		"# 2001:db8::1 -> 2001:db8::2 spi 0x00001002 uses ESN, which Wireshark 4.0 does not "
		"know: its packets will not verify\n"
		"\"IPv6\",\"2001:db8::1\",\"2001:db8::2\",\"0x00001002\",\"NULL\",\"\",\"HMAC-MD5-96 "
		"[RFC2403]\",\"" K128 "\"\n"
		"# 2001:db8::1 -> 2001:db8::2 spi 0x00001003: serpent-cbc not supported by Wireshark\n"));
	assert_null(strstr(buf, "0x00001004"));              /* AH */
	assert_null(strstr(buf, "0x00001005"));              /* larval */
	fclose(m);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_esp_sa_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_esp_sa_records, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
