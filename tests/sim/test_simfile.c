/*
 * The sim-file engine (src/sim/simfile.c) end to end: checking pass errors
 * with line numbers, the timeline, captures, and — once the IPv6 modules
 * are in — a ping across a router.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "sim/simfile.h"

/* Runs @text; returns the engine's status and the whole output in *out (free it). */
static int run(const char *text, const char *outdir, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	int rc;

	assert_non_null(f);
	rc = simfile_run_string(text, outdir, f);
	fclose(f);
	return rc;
}

static void expect(const char *out, const char *needle)
{
	if (!strstr(out, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, out);
}

static void test_parse_values(void **state)
{
	uint64_t ns;
	uint32_t ppm;

	assert_int_equal(simfile_parse_time("2.5s", &ns), 0);
	assert_int_equal(ns, 2500000000ULL);
	assert_int_equal(simfile_parse_time("300ms", &ns), 0);
	assert_int_equal(ns, 300000000ULL);
	assert_int_equal(simfile_parse_time("7", &ns), 0);
	assert_int_equal(ns, 7000000000ULL);
	assert_int_equal(simfile_parse_time("10us", &ns), 0);
	assert_int_equal(ns, 10000ULL);
	assert_int_equal(simfile_parse_time("-1s", &ns), -EINVAL);
	assert_int_equal(simfile_parse_time("1h", &ns), -EINVAL);
	assert_int_equal(simfile_parse_time("", &ns), -EINVAL);
	assert_int_equal(simfile_parse_ppm("0.5%", &ppm), 0);
	assert_int_equal(ppm, 5000);
	assert_int_equal(simfile_parse_ppm("0.25", &ppm), 0);
	assert_int_equal(ppm, 250000);
	assert_int_equal(simfile_parse_ppm("150%", &ppm), -EINVAL);
	assert_int_equal(simfile_parse_ppm("x", &ppm), -EINVAL);
}

/* Every error names its line, and nothing runs when any line is bad. */
static void test_errors_name_the_line(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "host A\nat 1s echo early\nbogus x\n", "sim:3: unknown directive \"bogus\"" },
		{ "host A\n\n# c\nat 1s B link show\n", "sim:4: at: no such host \"B\"" },
		{ "host A\nhost A\n", "sim:2: \"A\" is already declared" },
		{ "segment s loss 200%\n", "sim:1: segment: bad loss \"200%\"" },
		{ "segment s color red\n", "sim:1: segment: unknown parameter \"color\"" },
		{ "host A\nattach A eth0 nowhere\n", "sim:2: attach: no such segment \"nowhere\"" },
		{ "host A\nrun 2s\nat 1s A link show\n", "sim:3: at: 1s is in the past" },
		{ "host A\nat soon A link show\n", "sim:2: at: bad time \"soon\"" },
		{ "host echo\n", "sim:1: host: \"echo\" is a reserved word" },
		{ "run 1s\nrun 1s\n", "sim:2: run: 1s is not after the previous run" },
		{ "host A\nat 1s A\n", "sim:2: at: no command for A" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;

		assert_int_equal(run(cases[i].text, NULL, &out), SIMFILE_BAD);
		expect(out, cases[i].msg);
		assert_null(strstr(out, "early"));    /* the checking pass ran nothing */
		free(out);
	}
}

static void test_timeline_and_captures(void **state)
{
	char dir[] = "/tmp/usagi-simfile-XXXXXX", path[256], *out = NULL;
	struct stat sb;
	int rc;

	assert_non_null(mkdtemp(dir));
	rc = run("host A   # a host\n"
		 "host B\n"
		 "segment lan1 delay 1ms loss 0% mtu 1500\n"
		 "segment lan2\n"
		 "attach A eth0 lan1 mac 02:00:00:00:00:0a\n"
		 "attach B eth0 lan1\n"
		 "at 0 heading First\n"
		 "at 0 A link set eth0 up\n"
		 "at 1.25s echo hello world\n"
		 "at 2s A link add eth1 type sim segment lan2\n"
		 "at 2s A link show\n"
		 "run 3s\n", dir, &out);
	expect(out, "\n[  0.000] == First ==\n");
	expect(out, "[  1.250] hello world\n");
	expect(out, "[  0.000] A$ link set eth0 up\n");
	expect(out, "[  2.000] A$ link show\n");
	expect(out, "eth1");
	expect(out, "captures: ");
	assert_int_equal(rc, SIMFILE_OK);
	snprintf(path, sizeof(path), "%s/lan1.pcap", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size >= 24);               /* at least the pcap file header */
	unlink(path);
	snprintf(path, sizeof(path), "%s/lan2.pcap", dir);
	assert_int_equal(stat(path, &sb), 0);
	unlink(path);
	rmdir(dir);
	free(out);
}

/* A failing command makes the run fail and is listed with its line. */
static void test_failed_command(void **state)
{
	char *out = NULL;

	assert_int_equal(run("host A\nat 1s A link set nosuch up\n", NULL, &out), SIMFILE_FAILED);
	expect(out, "[  1.000] A: ");
	expect(out, "failed: sim:2: A: link set nosuch up (status");
	free(out);
	/* `! CMD`: a failure (1) is what was wanted; a success or a usage error (2) is not. */
	out = NULL;
	assert_int_equal(run("host A\nat 1s A ! link set nosuch up\n", NULL, &out), SIMFILE_OK);
	assert_null(strstr(out, "failed: "));
	free(out);
	out = NULL;
	assert_int_equal(run("host A\nat 1s A ! addr show\nat 1s A ! link frobnicate\n", NULL, &out),
			 SIMFILE_FAILED);
	expect(out, "failed: sim:2: A: ! addr show (status 1)");
	expect(out, "failed: sim:3: A: ! link frobnicate (status 2)");
	free(out);
}

/* A and B on two links, R routing between them; static addresses, no DAD wait. */
static const char routed_ping[] =
	"host R\nhost A\nhost B\n"
	"segment lan1 delay 1ms\nsegment lan2 delay 1ms\n"
	"attach R eth0 lan1\nattach R eth1 lan2\nattach A eth0 lan1\nattach B eth0 lan2\n"
	"at 0 R sysctl net.ipv6.conf.all.forwarding=1\n"
	"at 0 R link set eth0 up\nat 0 R link set eth1 up\n"
	"at 0 A link set eth0 up\nat 0 B link set eth0 up\n"
	"at 0 R addr add 2001:db8:1::1/64 dev eth0 nodad\n"
	"at 0 R addr add 2001:db8:2::1/64 dev eth1 nodad\n"
	"at 0 A addr add 2001:db8:1::2/64 dev eth0 nodad\n"
	"at 0 B addr add 2001:db8:2::2/64 dev eth0 nodad\n"
	"at 0 A route add default via 2001:db8:1::1\n"
	"at 0 B route add default via 2001:db8:2::1\n"
	"at 2.5s A ping 2001:db8:2::2 -c 3\n"
	"run 10s\n";

static void test_routed_ping(void **state)
{
	char *out = NULL;
	int rc = run(routed_ping, NULL, &out);

	expect(out, "[  2.500] A$ ping 2001:db8:2::2 -c 3\n");
	expect(out, "3 packets transmitted, 3 received");
	assert_int_equal(rc, SIMFILE_OK);
	free(out);
}

/* Every frame lost: ping reports it, and the run fails. */
static void test_lossy_ping_fails(void **state)
{
	char *out = NULL;
	int rc = run("host A\nhost B\nsegment s loss 100%\nattach A eth0 s\nattach B eth0 s\n"
		     "at 0 A link set eth0 up\nat 0 B link set eth0 up\n"
		     "at 0 A addr add 2001:db8::1/64 dev eth0 nodad\n"
		     "at 0 B addr add 2001:db8::2/64 dev eth0 nodad\n"
		     "at 1s A ping 2001:db8::2 -c 2\nrun 8s\n", NULL, &out);

	assert_int_equal(rc, SIMFILE_FAILED);
	expect(out, "failed: sim:10: A: ping 2001:db8::2 -c 2");
	free(out);
}

/* A numbered UDP stream and its sink account a half-second outage exactly. */
static void test_udp_stream(void **state)
{
	char *out = NULL;
	int rc = run("host A\nhost B\nsegment lan delay 1ms\nattach A eth0 lan\nattach B eth0 lan\n"
		     "at 0 A link set eth0 up\nat 0 B link set eth0 up\n"
		     "at 0 A addr add 2001:db8::1/64 dev eth0 nodad\n"
		     "at 0 B addr add 2001:db8::2/64 dev eth0 nodad\n"
		     "at 0 B service udp-sink 5000\n"
		     "at 1s A service udp-stream 2001:db8::2 5000 interval 0.01 count 300 size 100\n"
		     "at 2s B link set eth0 down\nat 2.5s B link set eth0 up\n"
		     "at 5s A service show\nat 5s B service show\nrun 6s\n", NULL, &out);

	assert_int_equal(rc, SIMFILE_OK);
	/* Sent at 2.00..2.49 s while B was down: 50 datagrams, then 2.50 s arrives at 2.501. */
	expect(out, "[  2.501] B: udp-sink 5000: seq 150 from 2001:db8::1 after 0.510 s silence, 50 missing\n");
	expect(out, "A: udp-stream to [2001:db8::2]:5000 interval 10ms size 100 sent 300 errors 0 done\n");
	expect(out, "B: udp-sink port 5000 received 250 lost 50 late 0 bad 0 max-silence 510ms "
		    "avg-delay 1008us last-from 2001:db8::1\n");
	free(out);
}

/* `link set NAME segment SEG` moves a host to another link; unknown segments fail. */
static void test_link_move(void **state)
{
	char *out = NULL;
	int rc = run("host A\nhost B\nsegment lan1 delay 1ms\nsegment lan2 delay 1ms\n"
		     "attach A eth0 lan1\nattach B eth0 lan2\n"
		     "at 0 A link set eth0 up\nat 0 B link set eth0 up\n"
		     "at 0 A addr add 2001:db8::1/64 dev eth0 nodad\n"
		     "at 0 B addr add 2001:db8::2/64 dev eth0 nodad\n"
		     "at 2s B link set eth0 segment lan1\n"
		     "at 2.1s A ping 2001:db8::2 -c 1\n"
		     "at 3s B link set eth0 segment lan9\nrun 4s\n", NULL, &out);

	assert_int_equal(rc, SIMFILE_FAILED);
	expect(out, "[  2.104] A: 64 bytes from 2001:db8::2: icmp_seq=1 ttl=64 time=4.00 ms\n");
	expect(out, "[  3.000] B: usagi: link set: no such segment \"lan9\"\n");
	expect(out, "failed: sim:13: B: link set eth0 segment lan9 (status 1)\n");
	assert_null(strstr(out, "failed: sim:12"));
	free(out);
}

/* The scenario `usagi demo` shows: every act does what its heading says. */
static void test_demo(void **state)
{
	char dir[] = "/tmp/usagi-demo-XXXXXX", path[256], *out = NULL;
	int rc;

	assert_non_null(mkdtemp(dir));
	rc = run(simfile_demo, dir, &out);
	expect(out, "A:     inet6 2001:db8:1::ff:fe00:a01/64 scope global");
	expect(out, "A: default via fe80::ff:fe00:101 dev eth0 proto ra");
	expect(out, "C:     inet6 2001:db8:1::ff:fe00:a01/64 scope global dadfailed");
	expect(out, "3 packets transmitted, 3 received");
	expect(out, "3008 bytes from 2001:db8:2::ff:fe00:b01");
	expect(out, "2 packets transmitted, 2 received");
	expect(out, "R: 2001:db8:2::ff:fe00:b01 dev eth1 lladdr 02:00:00:00:0b:01");
	expect(out, "A: default via 192.0.2.1 dev eth0");
	expect(out, "A: PING 198.51.100.10 (198.51.100.10) 56(84) bytes of data.");
	expect(out, "A: 64 bytes from 198.51.100.10: icmp_seq=1 ttl=63 time=");
	expect(out, "A: 4008 bytes from 198.51.100.10: icmp_seq=1 ttl=63 time=");
	expect(out, "R: 192.0.2.10 dev eth0 lladdr 02:00:00:00:0a:01");
	expect(out, "R: 198.51.100.10 dev eth1 lladdr 02:00:00:00:0b:01");
	/* Act 8: ESP (with IPComp for the large pings) and AH between A and B. */
	expect(out, "A: 1408 bytes from 2001:db8:2::ff:fe00:b01: icmp_seq=2 ttl=63 time=");
	expect(out, "B: 	proto esp spi 0x00001001 reqid 0 mode transport");
	expect(out, "B: 	proto comp spi 0x00003001 reqid 0 mode transport");
	expect(out, "B: 	proto ah spi 0x00002001 reqid 0 mode transport");
	expect(out, "Wireshark ESP SAs: ");
	/* Act 9: host mode on B: A's pings are dropped, B's own pings and their replies pass. */
	expect(out, "A$ ! ping 2001:db8:2::ff:fe00:b01 -c 2 -i 0.5");
	expect(out, "A: 2 packets transmitted, 0 received, 100% packet loss");
	expect(out, "B: 64 bytes from 2001:db8:1::ff:fe00:a01: icmp_seq=2 ttl=63 time=");
	expect(out, "B: 64 bytes from 192.0.2.10: icmp_seq=2 ttl=63 time=");
	expect(out, "B: icmpv6   58 ");
	expect(out, "B: icmp     1 ");
	expect(out, "ct state established,related counter packets 4 bytes 376 accept # handle 1");
	/* Act 10: Mobile IPv6 handovers; Act 11: a stateful firewall on the home agent. */
	expect(out, "R: mip6: HA: home registration hoa 2001:db8:1::100 coa 2001:db8:2::ff:fe00:d01");
	expect(out, "R: mip6: HA: home registration hoa 2001:db8:1::100 coa 2001:db8:3::ff:fe00:d01");
	expect(out, "M: mip6: RR with 2001:db8:1::ff:fe00:a01: HoTI CoTI");
	expect(out, "route optimisation active");
	expect(out, "A: mip6: CN: binding for 2001:db8:1::100 deleted");
	expect(out, "M: mip6: at home: 2001:db8:1::100 deregistered, unsolicited NA sent");
	expect(out, "R: hoa 2001:db8:1::100 coa 2001:db8:2::ff:fe00:d01 ha 2001:db8:1::1 lifetime ");
	expect(out, "B: 2 packets transmitted, 0 received, 100% packet loss");
	expect(out, "meta l4proto mh counter packets ");
	{
		/* Every move: the stream resumes within a second of simulated time. */
		const char *q = strstr(out, "Act 10");
		int moves = 0;

		assert_non_null(q);
		while ((q = strstr(q, "udp-sink 40000: seq "))) {
			double silence;

			q = strstr(q, " after ");
			assert_non_null(q);
			assert_int_equal(sscanf(q, " after %lf s silence", &silence), 1);
			if (silence > 0.021) {   /* longer than one interval: a move */
				assert_true(silence < 1.0);
				moves++;
			}
		}
		assert_int_equal(moves, 4);
	}
	assert_null(strstr(out, "failed: "));
	assert_int_equal(rc, SIMFILE_OK);
	{
		struct stat sb;
		FILE *f;
		char line[512];
		int records = 0;

		snprintf(path, sizeof(path), "%s/esp_sa", dir);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);   /* it holds keys */
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			records += line[0] == '"';
		fclose(f);
		/* Act 8's two ESP SAs and Act 10's four (M <-> R), each once though both ends know it. */
		assert_int_equal(records, 6);
		assert_int_equal(unlink(path), 0);
	}
	for (int i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "%s/lan%d.pcap", dir, i);
		assert_int_equal(unlink(path), 0);
	}
	rmdir(dir);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_timeline_and_captures),
		cmocka_unit_test(test_failed_command),
		cmocka_unit_test(test_udp_stream),
		cmocka_unit_test(test_link_move),
		cmocka_unit_test(test_routed_ping),
		cmocka_unit_test(test_lossy_ping_fails),
		cmocka_unit_test(test_demo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
