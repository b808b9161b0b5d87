/*
 * The stateful filter (netfilter/nf_filter*.c, cmd_filter.c) and the
 * conntrack command (cmd_conntrack.c): rule parsing with exact error
 * messages, every match field, counters and the exact `filter show`
 * listing; then two simulated hosts with real conntrack and host mode on
 * B:
 *
 *   A 2001:db8::a 192.0.2.10 ----lan---- B 2001:db8::b 192.0.2.11 (host mode)
 *
 * A's UDP to B and A's ping to B are dropped (B did not start them); B's
 * UDP to A, its replies and B's pings pass; an ICMPv6 error for B's flow
 * passes as RELATED; and `conntrack -L/-C/-S` print conntrack-tools' lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "simhost.h"
#include "ipsec_lab.h"
#include "netfilter/nf_filter.h"
#include "netfilter/nf_filter_priv.h"
#include "netfilter/nf_conntrack.h"
#include "link/netdev.h"
#include "usagi/socket.h"
#include "core/pkt.h"
#include "ct_harness.h"

/* ------------------------------------------------------------ parsing */

static int parse_line(const char *line, struct nf_rule *r, char *err, size_t n)
{
	char buf[256], *argv[32];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = cmd_split(buf, argv, 32);
	err[0] = '\0';
	return nf_filter_parse(argc, argv, r, err, n);
}

static void test_parse_good(void **state)
{
	struct nf_rule r;
	char err[128];

	(void)state;
	assert_int_equal(parse_line("iif eth0 oif eth1 ip6 saddr 2001:db8::/32 ip6 daddr 2001:db8::1 "
				    "meta l4proto udp th sport 5 th dport 53 ct state new,related "
				    "ipsec in reject", &r, err, sizeof(err)), 0);
	assert_int_equal(r.match, NF_M_IIF | NF_M_OIF | NF_M_SADDR6 | NF_M_DADDR6 | NF_M_L4PROTO |
			 NF_M_SPORT | NF_M_DPORT | NF_M_CTSTATE | NF_M_IPSEC);
	assert_string_equal(r.iif, "eth0");
	assert_string_equal(r.oif, "eth1");
	assert_int_equal(r.splen6, 32);
	assert_int_equal(r.dplen6, 128);
	assert_int_equal(r.l4proto, 17);
	assert_int_equal(r.sport, 5);
	assert_int_equal(r.dport, 53);
	assert_int_equal(r.ct_states, NF_FILTER_CT_NEW | NF_FILTER_CT_RELATED);
	assert_false(r.ipsec_out);
	assert_int_equal(r.verdict, NF_FILTER_REJECT);
	assert_int_equal(parse_line("meta l4proto tcp reject with tcp reset", &r, err, sizeof(err)), 0);
	assert_int_equal(r.verdict, NF_FILTER_REJECT_TCP);

	assert_int_equal(parse_line("ip saddr 192.0.2.0/24 ip daddr 198.51.100.7 meta l4proto icmp "
				    "ct state untracked,invalid,established ipsec out drop", &r, err,
				    sizeof(err)), 0);
	assert_int_equal(r.splen4, 24);
	assert_int_equal(r.dplen4, 32);
	assert_int_equal(r.l4proto, 1);
	assert_int_equal(r.ct_states, NF_FILTER_CT_UNTRACKED | NF_FILTER_CT_INVALID |
			 NF_FILTER_CT_ESTABLISHED);
	assert_true(r.ipsec_out);
	assert_int_equal(r.verdict, NF_FILTER_DROP);
	assert_int_equal(parse_line("meta l4proto mh accept", &r, err, sizeof(err)), 0);
	assert_int_equal(r.l4proto, 135);
	assert_int_equal(parse_line("meta l4proto 132 accept", &r, err, sizeof(err)), 0);
	assert_int_equal(r.l4proto, 132);
	assert_string_equal(nf_filter_l4_name(135), "mh");
	assert_null(nf_filter_l4_name(132));
	/* Host bits of a prefix are cleared, as nft does. */
	assert_int_equal(parse_line("ip6 saddr 2001:db8::5/64 accept", &r, err, sizeof(err)), 0);
	assert_int_equal(r.saddr6.s6_addr[15], 0);
	assert_int_equal(parse_line("accept", &r, err, sizeof(err)), 0);
	assert_int_equal(r.match, 0);
}

static void test_parse_bad(void **state)
{
	static const struct { const char *line, *err; } cases[] = {
		{ "", "missing verdict (accept, drop or reject)" },
		{ "ip6 saddr 2001:db8::/32", "missing verdict (accept, drop or reject)" },
		{ "accept drop", "unexpected word after verdict \"drop\"" },
		{ "reject with tcp", "unexpected word after verdict \"with\"" },
		{ "reject with tcp reset now", "unexpected word after verdict \"with\"" },
		{ "th dport 65536 accept", "invalid port \"65536\"" },
		{ "th dport x accept", "invalid port \"x\"" },
		{ "th dport", "missing value after \"dport\"" },
		{ "ip6 saddr 192.0.2.1 accept", "invalid IPv6 prefix \"192.0.2.1\"" },
		{ "ip6 saddr 2001:db8::/129 accept", "invalid IPv6 prefix \"2001:db8::/129\"" },
		{ "ip saddr 2001:db8::1 accept", "invalid IPv4 prefix \"2001:db8::1\"" },
		{ "ip6 from ::1 accept", "expected saddr or daddr, got \"from\"" },
		{ "meta l4proto sctp accept", "unknown protocol (tcp, udp, icmp, icmpv6, esp, ah, mh or 0..255) \"sctp\"" },
		{ "meta l4proto 256 accept", "unknown protocol (tcp, udp, icmp, icmpv6, esp, ah, mh or 0..255) \"256\"" },
		{ "ct state new,bogus accept", "invalid ct state \"new,bogus\"" },
		{ "ct state , accept", "invalid ct state \",\"" },
		{ "ipsec sideways accept", "expected in or out after ipsec, got \"sideways\"" },
		{ "iif", "missing value after \"iif\"" },
		{ "iif averyveryverylongname accept", "invalid interface name \"averyveryverylongname\"" },
		{ "tcp dport 22 accept", "unknown match \"tcp\"" },
		{ "icmpv6 type 200-100 accept", "invalid icmpv6 type \"200-100\"" },
	};
	struct nf_rule r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(parse_line(cases[i].line, &r, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
}

/* ------------------------------------------------------------ matching */

static struct stack *new_stack(void)
{
	struct usagi_stack_config cfg = { .name = "t", .seed = 1 };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	usagi_stack_set_log_level(st, 0);
	return st;
}

static int add(struct stack *st, int chain, const char *line)
{
	struct nf_rule r;
	char err[128];

	assert_int_equal(parse_line(line, &r, err, sizeof(err)), 0);
	assert_int_equal(nf_filter_add(st, chain, &r), 0);
	return (int)r.handle;
}

static struct nf_pktinfo info6(const char *s, const char *d, uint8_t proto, uint16_t sp,
			       uint16_t dp)
{
	struct nf_pktinfo pi = { .family = 6, .l4proto = proto, .len = 100,
				 .ct_state = NF_FILTER_CT_NEW };

	assert_int_equal(inet_pton(AF_INET6, s, &pi.saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, d, &pi.daddr), 1);
	pi.has_ports = proto == 6 || proto == 17;
	pi.has_icmp = proto == 58 || proto == 1;
	pi.sport = sp;
	pi.dport = dp;
	pi.icmp_type = pi.has_icmp ? (uint8_t)sp : 0;
	return pi;
}

static struct nf_pktinfo info4(const char *s, const char *d, uint8_t proto, uint16_t sp,
			       uint16_t dp)
{
	struct nf_pktinfo pi = info6("::", "::", proto, sp, dp);

	pi.family = 4;
	assert_int_equal(inet_pton(AF_INET, s, &pi.saddr.s6_addr32[3]), 1);
	assert_int_equal(inet_pton(AF_INET, d, &pi.daddr.s6_addr32[3]), 1);
	return pi;
}

/* The verdict of a one-rule `drop` input chain (policy accept) for @pi. */
static int one(const char *rule, const struct nf_pktinfo *pi)
{
	struct stack *st = new_stack();
	char line[256];
	int v;

	snprintf(line, sizeof(line), "%s drop", rule);
	add(st, NF_FILTER_INPUT, line);
	v = nf_filter_eval(st, NF_FILTER_INPUT, pi);
	usagi_stack_free(st);
	return v;
}

#define HITS(rule, pi) assert_int_equal(one(rule, &(pi)), NF_FILTER_DROP)
#define MISSES(rule, pi) assert_int_equal(one(rule, &(pi)), NF_FILTER_ACCEPT)

static void test_match_fields(void **state)
{
	struct nf_pktinfo u6 = info6("2001:db8::1", "2001:db8:1::2", 17, 4000, 53);
	struct nf_pktinfo u4 = info4("192.0.2.1", "198.51.100.2", 17, 4000, 53);
	struct nf_pktinfo e6 = info6("2001:db8::1", "2001:db8:1::2", 58, 128, 0);
	struct netdev eth0 = { .name = "eth0" }, eth1 = { .name = "eth1" };

	(void)state;
	HITS("ip6 saddr 2001:db8::/48", u6);
	MISSES("ip6 saddr 2001:db8:2::/48", u6);
	HITS("ip6 daddr 2001:db8:1::2", u6);
	MISSES("ip6 daddr 2001:db8:1::3", u6);
	MISSES("ip6 saddr ::/0", u4);          /* an IPv6 match never takes IPv4 */
	HITS("ip saddr 192.0.2.0/24", u4);
	MISSES("ip saddr 192.0.3.0/24", u4);
	HITS("ip daddr 198.51.100.2", u4);
	MISSES("ip daddr 0.0.0.0/0", u6);
	HITS("meta l4proto udp", u6);
	MISSES("meta l4proto tcp", u6);
	HITS("meta l4proto icmpv6", e6);
	HITS("th dport 53", u4);
	MISSES("th dport 54", u4);
	HITS("th sport 4000", u6);
	MISSES("th sport 53", e6);             /* ICMP has no ports */
	HITS("icmpv6 type 128", e6);
	HITS("icmpv6 type 100-130", e6);
	MISSES("icmpv6 type 133-137", e6);
	HITS("ct state new", u6);
	MISSES("ct state established,related", u6);
	u6.ct_state = NF_FILTER_CT_RELATED;
	HITS("ct state established,related", u6);
	MISSES("ipsec in", u6);
	u6.ipsec_in = true;
	HITS("ipsec in", u6);
	MISSES("ipsec out", u6);
	u6.ipsec_out = true;
	HITS("ipsec out", u6);
	MISSES("fib saddr type local", u6);
	u6.local_src = true;
	HITS("fib saddr type local", u6);
	MISSES("iif eth0", u6);                /* no input device known */
	u6.iif = &eth0;
	u6.oif = &eth1;
	HITS("iif eth0", u6);
	MISSES("iif eth1", u6);
	HITS("oif eth1", u6);
	HITS("iif eth0 oif eth1 meta l4proto udp th dport 53", u6);
	MISSES("iif eth0 oif eth1 meta l4proto udp th dport 54", u6);
}

static const char show_expected[] =
	"table inet filter {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\tct state established,related counter packets 1 bytes 100 accept # handle 1\n"
	"\t\tiif eth0 ip6 saddr 2001:db8::/32 meta l4proto udp th dport 53 counter packets 2 bytes 200 accept # handle 3\n"
	"\t\tip saddr 192.0.2.0/24 ip daddr 198.51.100.1 th sport 7 ipsec in counter packets 0 bytes 0 reject # handle 4\n"
	"\t}\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t}\n"
	"\tchain output {\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\toif eth1 icmpv6 type 1-4 ct state invalid ipsec out counter packets 0 bytes 0 drop # handle 2\n"
	"\t}\n"
	"}\n";

static char *show(struct stack *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	nf_filter_show(st, f);
	fclose(f);
	return buf;
}

static void test_counters_show(void **state)
{
	struct stack *st = new_stack();
	struct nf_pktinfo u6 = info6("2001:db8::1", "2001:db8::2", 17, 1000, 53);
	struct netdev eth0 = { .name = "eth0" };
	char *s;

	(void)state;
	s = show(st);
	assert_non_null(strstr(s, "chain input {\n\t\ttype filter hook input priority filter; "
			       "policy accept;\n\t}\n"));
	free(s);
	assert_int_equal(add(st, NF_FILTER_INPUT, "ct state established,related accept"), 1);
	assert_int_equal(add(st, NF_FILTER_OUTPUT, "oif eth1 icmpv6 type 1-4 ct state invalid "
			     "ipsec out drop"), 2);
	assert_int_equal(add(st, NF_FILTER_INPUT, "iif eth0 ip6 saddr 2001:db8::/32 meta l4proto "
			     "udp th dport 53 accept"), 3);
	assert_int_equal(add(st, NF_FILTER_INPUT, "ip saddr 192.0.2.0/24 ip daddr 198.51.100.1 "
			     "th sport 7 ipsec in reject"), 4);
	assert_int_equal(nf_filter_set_policy(st, NF_FILTER_INPUT, NF_FILTER_DROP), 0);
	assert_int_equal(nf_filter_set_policy(st, NF_FILTER_INPUT, NF_FILTER_REJECT), -EINVAL);

	u6.iif = &eth0;
	assert_int_equal(nf_filter_eval(st, NF_FILTER_INPUT, &u6), NF_FILTER_ACCEPT);
	assert_int_equal(nf_filter_eval(st, NF_FILTER_INPUT, &u6), NF_FILTER_ACCEPT);
	u6.ct_state = NF_FILTER_CT_ESTABLISHED;
	assert_int_equal(nf_filter_eval(st, NF_FILTER_INPUT, &u6), NF_FILTER_ACCEPT);
	u6.ct_state = NF_FILTER_CT_NEW;
	u6.dport = 54;                          /* no rule: the policy */
	assert_int_equal(nf_filter_eval(st, NF_FILTER_INPUT, &u6), NF_FILTER_DROP);
	assert_int_equal(nf_filter_eval(st, NF_FILTER_FORWARD, &u6), NF_FILTER_ACCEPT);
	s = show(st);
	assert_string_equal(s, show_expected);
	free(s);

	/* del by handle; a missing handle or wrong chain is -ENOENT; flush keeps the policy. */
	assert_int_equal(nf_filter_del(st, NF_FILTER_INPUT, 2), -ENOENT);
	assert_int_equal(nf_filter_del(st, NF_FILTER_INPUT, 3), 0);
	assert_int_equal(nf_filter_del(st, NF_FILTER_INPUT, 3), -ENOENT);
	u6.dport = 53;
	assert_int_equal(nf_filter_eval(st, NF_FILTER_INPUT, &u6), NF_FILTER_DROP);
	nf_filter_flush(st, NF_FILTER_INPUT);
	assert_int_equal(nf_filter_eval(st, NF_FILTER_INPUT, &u6), NF_FILTER_DROP);
	assert_int_equal(nf_filter_del(st, NF_FILTER_OUTPUT, 2), 0);
	/* Handles keep growing after deletes, as nft's do. */
	assert_int_equal(add(st, NF_FILTER_FORWARD, "accept"), 5);
	nf_filter_flush(st, -1);
	s = show(st);
	assert_null(strstr(s, "handle"));
	free(s);
	usagi_stack_free(st);
}

/* ------------------------------------------------------------ commands */

/* Output of @h since byte @from. */
static const char *since(struct simhost *h, size_t from)
{
	return simt_output(h) + from;
}

static size_t mark(struct simhost *h)
{
	return strlen(simt_output(h));
}

static void test_commands(void **state)
{
	static const struct { const char *cmd, *out; int rc; } cases[] = {
		{ "filter", "usagi: filter: missing add|del|flush|policy|show|host-mode\n", 2 },
		{ "filter add", "usagi: filter: missing CHAIN (input, forward or output)\n", 2 },
		{ "filter add prerouting accept",
		  "usagi: filter: unknown chain \"prerouting\" (input, forward or output)\n", 2 },
		{ "filter add input th dport 99999 accept", "usagi: filter: invalid port \"99999\"\n", 2 },
		{ "filter add input ip6 saddr 2001:db8::/32",
		  "usagi: filter: missing verdict (accept, drop or reject)\n", 2 },
		{ "filter policy input reject",
		  "usagi: filter: invalid policy \"reject\" (accept or drop)\n", 2 },
		{ "filter del input 9", "usagi: filter: no rule with handle 9 in chain input\n", 1 },
		{ "filter del input x", "usagi: filter: invalid handle \"x\"\n", 2 },
		{ "filter host-mode maybe", "usagi: filter: invalid value \"maybe\" (on or off)\n", 2 },
		{ "filter frobnicate", "usagi: filter: unknown command \"frobnicate\"\n", 2 },
		{ "filter add input meta l4proto udp th dport 53 accept", "", 0 },
		{ "filter policy output drop", "", 0 },
		{ "filter del input 1", "", 0 },
		{ "conntrack", "usagi: conntrack: missing -L, -F, -C, -S or -E\n", 2 },
		{ "conntrack -L -f ipv5", "usagi: conntrack: invalid family \"ipv5\" (ipv4 or ipv6)\n", 2 },
		{ "conntrack -L -p bogus", "usagi: conntrack: invalid protocol \"bogus\"\n", 2 },
		{ "conntrack -C", "0\n", 0 },
		{ "conntrack -L", "", 0 },
	};
	struct sim_world *w = simt_world(5);
	struct simhost *h = simt_host(w, "H");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t m = mark(h);

		assert_int_equal(simt_cmd(h, "%s", cases[i].cmd), cases[i].rc);
		assert_string_equal(since(h, m), cases[i].out);
	}
	size_t m = mark(h);

	assert_int_equal(simt_cmd(h, "filter host-mode on"), 0);
	assert_int_equal(simt_cmd(h, "filter show"), 0);
	assert_string_equal(since(h, m),
		"table inet filter {\n"
		"\tchain input {\n"
		"\t\ttype filter hook input priority filter; policy drop;\n"
		"\t\tct state established,related counter packets 0 bytes 0 accept # handle 2\n"
		"\t\tfib saddr type local counter packets 0 bytes 0 accept # handle 3\n"
		"\t\ticmpv6 type 133-137 counter packets 0 bytes 0 accept # handle 4\n"
		"\t\ticmpv6 type 130-132 counter packets 0 bytes 0 accept # handle 5\n"
		"\t\ticmpv6 type 143 counter packets 0 bytes 0 accept # handle 6\n"
		"\t}\n"
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t}\n"
		"\tchain output {\n"
		"\t\ttype filter hook output priority filter; policy accept;\n"
		"\t}\n"
		"}\n");
	assert_int_equal(simt_cmd(h, "filter host-mode off"), 0);
	m = mark(h);
	assert_int_equal(simt_cmd(h, "filter show"), 0);
	assert_null(strstr(since(h, m), "handle"));
	assert_null(strstr(since(h, m), "drop"));
	simt_host_free(h);
	sim_world_free(w);
}

/* ------------------------------------------------------------ the hooks, driven by hand */

/* An IPv6 packet @s -> @d carrying @l4, its checksum filled in (conntrack checks it at PREROUTING). */
static struct pkt *mk6(const char *s, const char *d, uint8_t proto, const void *l4, size_t n)
{
	uint8_t b[256] = { 0x60 };
	struct pkt *p;

	assert_true(n <= sizeof(b) - 40);
	put_be16(b + 4, (uint16_t)n);
	b[6] = proto;
	b[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, s, b + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, d, b + 24), 1);
	memcpy(b + 40, l4, n);
	ct_fill_csum(b, 40, proto, n);
	p = pkt_from_bytes(NULL, b, 40 + n);
	assert_non_null(p);
	p->nh = (int32_t)(p->data - p->head);
	return p;
}

static struct pkt *mk4(const char *s, const char *d, uint8_t proto, const void *l4, size_t n)
{
	uint8_t b[256] = { 0x45 };
	struct pkt *p;

	put_be16(b + 2, (uint16_t)(20 + n));
	b[8] = 64;
	b[9] = proto;
	assert_int_equal(inet_pton(AF_INET, s, b + 12), 1);
	assert_int_equal(inet_pton(AF_INET, d, b + 16), 1);
	memcpy(b + 20, l4, n);
	ct_fill_csum(b, 20, proto, n);
	p = pkt_from_bytes(NULL, b, 20 + n);
	assert_non_null(p);
	p->nh = (int32_t)(p->data - p->head);
	return p;
}

static struct pkt *udp6pkt(const char *s, const char *d, uint16_t sp, uint16_t dp)
{
	uint8_t u[13] = { 0 };

	put_be16(u, sp);
	put_be16(u + 2, dp);
	put_be16(u + 4, sizeof(u));
	memcpy(u + 8, "hello", 5);
	return mk6(s, d, 17, u, sizeof(u));
}

/* ICMP(v6) echo of @type with identifier @id. */
static struct pkt *echo(int fam, const char *s, const char *d, uint8_t type, uint16_t id)
{
	uint8_t e[12] = { type };

	put_be16(e + 4, id);
	put_be16(e + 6, 1);
	return fam == 6 ? mk6(s, d, 58, e, sizeof(e)) : mk4(s, d, 1, e, sizeof(e));
}

/* The verdict for @p sent by the host (OUTPUT, POSTROUTING) or received (PREROUTING, INPUT). Frees @p. */
static int out_path(struct stack *st, struct pkt *p)
{
	int v = nf_hook_run(st, NF_OUTPUT, p, NULL, NULL);

	if (v == NF_ACCEPT)
		v = nf_hook_run(st, NF_POSTROUTING, p, NULL, NULL);
	pkt_free(p);
	return v;
}

static int in_path(struct stack *st, struct pkt *p)
{
	int v = nf_hook_run(st, NF_PREROUTING, p, NULL, NULL);

	if (v == NF_ACCEPT)
		v = nf_hook_run(st, NF_INPUT, p, NULL, NULL);
	pkt_free(p);
	return v;
}

#define HB6 "2001:db8::b"
#define HA6 "2001:db8::a"

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* noinline: at -O2 GCC takes the memstream buffer for a local (-Wdangling-pointer). */
__attribute__((noinline)) static char *run_cmd(struct stack *st, const char *line, int rc)
{
	char *buf = NULL, l[256];
	size_t len = 0;
	struct cmd_env env = { .st = st };

	env.out = env.err = open_memstream(&buf, &len);
	snprintf(l, sizeof(l), "%s", line);
	assert_int_equal(cmd_exec_line(&env, l), rc);
	fclose(env.out);
	return buf;
}

static void test_hooks_host_mode(void **state)
{
	struct stack *st = new_stack();
	uint8_t err[8 + 40 + 13] = { 1, 4 };
	struct pkt *q;
	char *s;

	(void)state;
	assert_int_equal(nf_filter_host_mode(st, true), 0);
	/* B's UDP out, A's answer in; A's own new flow in is dropped. */
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7001)), NF_ACCEPT);
	assert_int_equal(in_path(st, udp6pkt(HA6, HB6, 7001, 7000)), NF_ACCEPT);
	assert_int_equal(in_path(st, udp6pkt(HA6, HB6, 7001, 7002)), NF_DROP);
	assert_int_equal(STAT_GET(st, nf_filter_drop), 1);
	/* Pings: B's out and their replies pass, A's request in is dropped. */
	assert_int_equal(out_path(st, echo(6, HB6, HA6, 128, 7)), NF_ACCEPT);
	assert_int_equal(in_path(st, echo(6, HA6, HB6, 129, 7)), NF_ACCEPT);
	assert_int_equal(in_path(st, echo(6, HA6, HB6, 128, 8)), NF_DROP);
	assert_int_equal(out_path(st, echo(4, "192.0.2.11", "192.0.2.10", 8, 9)), NF_ACCEPT);
	assert_int_equal(in_path(st, echo(4, "192.0.2.10", "192.0.2.11", 0, 9)), NF_ACCEPT);
	assert_int_equal(in_path(st, echo(4, "192.0.2.10", "192.0.2.11", 8, 10)), NF_DROP);
	/* An error about B's unanswered datagram to A:7999 is RELATED; one about nothing B sent is not. */
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7999)), NF_ACCEPT);
	q = udp6pkt(HB6, HA6, 7000, 7999);
	memcpy(err + 8, q->data, q->len);
	pkt_free(q);
	assert_int_equal(in_path(st, mk6(HA6, HB6, 58, err, sizeof(err))), NF_ACCEPT);
	q = udp6pkt(HB6, HA6, 7000, 8000);
	memcpy(err + 8, q->data, q->len);
	pkt_free(q);
	assert_int_equal(in_path(st, mk6(HA6, HB6, 58, err, sizeof(err))), NF_DROP);
	assert_int_equal(STAT_GET(st, nf_filter_drop), 4);
	/* ND passes without state. */
	uint8_t ns[24] = { 135 };

	assert_int_equal(in_path(st, mk6("fe80::a", "ff02::1:ff00:b", 58, ns, sizeof(ns))), NF_ACCEPT);

	/* conntrack(8)'s lines: replied UDP (not a stream before 2 s), ICMPv6 and ICMP echo, unreplied UDP. */
	s = run_cmd(st, "conntrack -L", 0);
	assert_string_equal(s,
		"udp      17 30 src=2001:db8::b dst=2001:db8::a sport=7000 dport=7001 "
		"src=2001:db8::a dst=2001:db8::b sport=7001 dport=7000 mark=0 use=1\n"
		"icmpv6   58 30 src=2001:db8::b dst=2001:db8::a type=128 code=0 id=7 "
		"src=2001:db8::a dst=2001:db8::b type=129 code=0 id=7 mark=0 use=1\n"
		"icmp     1 30 src=192.0.2.11 dst=192.0.2.10 type=8 code=0 id=9 "
		"src=192.0.2.10 dst=192.0.2.11 type=0 code=0 id=9 mark=0 use=1\n"
		"udp      17 30 src=2001:db8::b dst=2001:db8::a sport=7000 dport=7999 [UNREPLIED] "
		"src=2001:db8::a dst=2001:db8::b sport=7999 dport=7000 mark=0 use=1\n");
	free(s);
	s = run_cmd(st, "conntrack -L -p udp -f ipv6", 0);
	assert_int_equal(count_lines(s), 2);
	assert_null(strstr(s, "icmp"));
	free(s);
	s = run_cmd(st, "conntrack -L -f ipv4", 0);
	assert_int_equal(strncmp(s, "icmp     1 30 src=192.0.2.11", 28), 0);
	assert_null(strchr(s, ':'));
	free(s);
	s = run_cmd(st, "conntrack -L --resume 0", 0);
	assert_null(strstr(s, "#resume"));   /* fewer than a page */
	free(s);
	s = run_cmd(st, "conntrack -C", 0);
	assert_string_equal(s, "4\n");
	free(s);
	s = run_cmd(st, "conntrack -S", 0);
	assert_string_equal(s, "cpu=0   \tfound=3 invalid=1 ignore=1 insert=7 insert_failed=0 drop=0 "
			    "early_drop=0 error=0 search_restart=0\n");
	free(s);
	s = show(st);
	assert_non_null(strstr(s, "ct state established,related counter packets 4 bytes 238 accept # handle 1\n"));
	assert_non_null(strstr(s, "icmpv6 type 133-137 counter packets 1 bytes 64 accept # handle 3\n"));
	free(s);
	s = run_cmd(st, "conntrack -F", 0);
	assert_string_equal(s, "");
	free(s);
	s = run_cmd(st, "conntrack -C", 0);
	assert_string_equal(s, "0\n");
	free(s);
	usagi_stack_free(st);
}

/*
 * Conntrack runs while a rule uses ct state: host mode off (or flushing or
 * deleting the last such rule) stops it and empties the table; a ct state
 * rule starts it again. A bad checksum in makes the reply INVALID (dropped).
 */
static void test_ct_follows_rules(void **state)
{
	struct stack *st = new_stack();
	struct pkt *p;
	char *s;

	(void)state;
	assert_int_equal(nf_filter_host_mode(st, true), 0);
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7001)), NF_ACCEPT);
	p = udp6pkt(HA6, HB6, 7001, 7000);
	p->data[p->len - 1] ^= 1;           /* the answer, its payload changed: checksum bad */
	assert_int_equal(in_path(st, p), NF_DROP);
	assert_int_equal(STAT_GET(st, nf_ct_bad_csum), 1);
	assert_int_equal(in_path(st, udp6pkt(HA6, HB6, 7001, 7000)), NF_ACCEPT);
	assert_int_equal(nf_ct_count(st), 1);
	free(run_cmd(st, "filter add input meta l4proto udp th dport 53 accept", 0));
	assert_int_equal(nf_filter_host_mode(st, false), 0);
	assert_int_equal(nf_ct_count(st), 0);
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7002)), NF_ACCEPT);
	assert_int_equal(in_path(st, udp6pkt(HA6, HB6, 7003, 7000)), NF_ACCEPT);
	assert_int_equal(nf_ct_count(st), 0);
	/* A rule without ct state leaves it off; one with it turns it on. */
	free(run_cmd(st, "filter add input meta l4proto udp th dport 53 accept", 0));
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7002)), NF_ACCEPT);
	assert_int_equal(nf_ct_count(st), 0);
	free(run_cmd(st, "filter add forward ct state invalid drop", 0));
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7002)), NF_ACCEPT);
	assert_int_equal(nf_ct_count(st), 1);
	/* Deleting the udp rule keeps it; deleting the ct state rule (handle 8) stops it. */
	free(run_cmd(st, "filter del input 7", 0));
	assert_int_equal(nf_ct_count(st), 1);
	free(run_cmd(st, "filter del forward 8", 0));
	assert_int_equal(nf_ct_count(st), 0);
	free(run_cmd(st, "filter add output ct state new accept", 0));
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7004)), NF_ACCEPT);
	assert_int_equal(nf_ct_count(st), 1);
	free(run_cmd(st, "filter flush output", 0));
	assert_int_equal(nf_ct_count(st), 0);
	s = show(st);
	assert_null(strstr(s, "ct state"));
	free(s);
	usagi_stack_free(st);
}

/* ------------------------------------------------------------ two hosts, real conntrack */

static struct usock *udp6(struct stack *st, uint16_t port)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_non_null(s);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

static void send6(struct usock *s, const char *dst, uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET6, dst, &a.sin6_addr), 1);
	assert_int_equal(usagi_sendto(s, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a)), 5);
}

static void recv_one(struct usock *s)
{
	char buf[64];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);

	assert_int_equal(usagi_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 5);
}

struct simlab {
	struct sim_world *w;
	struct simhost *a, *b;
};

static void lab_up(struct simlab *l)
{
	static const struct sim_link_params fast = { .delay_ns = 1 * NS_PER_MS };
	struct sim_segment *lan;

	l->w = simt_world(7);
	lan = sim_segment_new(l->w, "lan", &fast);
	l->a = simt_host_up(l->w, "A", lan, 0x0a);
	l->b = simt_host_up(l->w, "B", lan, 0x0b);
	assert_int_equal(simt_cmd(l->a, "addr add 2001:db8::a/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(l->b, "addr add 2001:db8::b/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(l->a, "addr add 192.0.2.10/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(l->b, "addr add 192.0.2.11/24 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(l->b, "filter host-mode on"), 0);
	simt_run_ms(l->w, 1000);
}

static void lab_down(struct simlab *l)
{
	simt_host_free(l->a);
	simt_host_free(l->b);
	sim_world_free(l->w);
}

static int ping(struct simhost *h, const char *dst)
{
	h->last_status = -1;
	assert_int_equal(simt_cmd(h, "ping %s -c 1 -W 1", dst), CMD_PENDING);
	return simt_wait_done(h, 5000);
}

static void test_host_mode_udp(void **state)
{
	struct simlab l;
	struct usock *sa, *sb;
	uint64_t drops;

	(void)state;
	lab_up(&l);
	sa = udp6(l.a->st, 7001);
	sb = udp6(l.b->st, 7000);

	/* A starts a flow at B: dropped at B's input. */
	drops = STAT_GET(l.b->st, nf_filter_drop);
	send6(sa, "2001:db8::b", 7000);
	simt_run_ms(l.w, 100);
	assert_int_equal(usagi_sock_pending(sb), 0);
	assert_int_equal(STAT_GET(l.b->st, nf_filter_drop), drops + 1);

	/* B starts one at A: it goes out, and A's reply comes back in. */
	send6(sb, "2001:db8::a", 7001);
	simt_run_ms(l.w, 100);
	assert_int_equal(usagi_sock_pending(sa), 1);
	recv_one(sa);
	send6(sa, "2001:db8::b", 7000);
	simt_run_ms(l.w, 100);
	assert_int_equal(usagi_sock_pending(sb), 1);
	recv_one(sb);
	assert_int_equal(STAT_GET(l.b->st, nf_filter_drop), drops + 1);

	/* B's datagram to a closed port of A: A's port unreachable quotes it and passes as RELATED. */
	uint64_t errs = STAT_GET(l.b->st, icmp6_in_errors);

	send6(sb, "2001:db8::a", 7999);
	simt_run_ms(l.w, 100);
	assert_int_equal(STAT_GET(l.b->st, icmp6_in_errors), errs + 1);
	assert_int_equal(STAT_GET(l.b->st, nf_filter_drop), drops + 1);

	usagi_close(sa);
	usagi_close(sb);
	lab_down(&l);
}

static void test_host_mode_ping(void **state)
{
	struct simlab l;

	(void)state;
	lab_up(&l);
	assert_int_equal(ping(l.b, "2001:db8::a"), 0);
	assert_int_equal(ping(l.b, "192.0.2.10"), 0);
	assert_int_equal(ping(l.a, "2001:db8::b"), 1);
	assert_int_equal(ping(l.a, "192.0.2.11"), 1);
	assert_true(STAT_GET(l.b->st, nf_filter_drop) >= 2);
	lab_down(&l);
}

/* reject answers new UDP with ICMPv6 administratively prohibited; the sender sees the error. */
static void test_reject(void **state)
{
	struct simlab l;
	struct usock *sa;
	size_t m;

	(void)state;
	lab_up(&l);
	assert_int_equal(simt_cmd(l.b, "filter host-mode off"), 0);
	assert_int_equal(simt_cmd(l.b, "filter add input meta l4proto udp th dport 9 reject"), 0);
	sa = udp6(l.a->st, 7001);
	uint64_t errs = STAT_GET(l.a->st, icmp6_in_errors);

	send6(sa, "2001:db8::b", 9);
	simt_run_ms(l.w, 100);
	assert_int_equal(STAT_GET(l.b->st, nf_filter_reject), 1);
	assert_int_equal(STAT_GET(l.a->st, icmp6_in_errors), errs + 1);
	m = mark(l.b);
	assert_int_equal(simt_cmd(l.b, "filter show"), 0);
	assert_non_null(strstr(since(l.b, m), "\t\tmeta l4proto udp th dport 9 counter packets 1 "
			       "bytes 53 reject # handle 6\n"));
	/* IPv4: ICMP port unreachable. */
	struct usock *s4 = usagi_socket(l.a->st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };

	errs = STAT_GET(l.a->st, icmp4_in_errors);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.11", &to.sin_addr), 1);
	assert_int_equal(usagi_sendto(s4, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	simt_run_ms(l.w, 100);
	assert_int_equal(STAT_GET(l.b->st, nf_filter_reject), 2);
	assert_int_equal(STAT_GET(l.a->st, icmp4_in_errors), errs + 1);
	assert_int_equal(STAT_GET(l.b->st, icmp4_out_errors), 1);
	usagi_close(s4);
	usagi_close(sa);
	lab_down(&l);
}

/* A TCP socket of @h connecting to @dst port @port (IPv6 or IPv4 by the text). */
static struct usock *tcp_connect(struct simhost *h, const char *dst, uint16_t port)
{
	struct usock *c;

	if (strchr(dst, ':')) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

		c = usagi_socket(h->st, AF_INET6, SOCK_STREAM, 0);
		assert_int_equal(inet_pton(AF_INET6, dst, &a.sin6_addr), 1);
		assert_int_equal(usagi_connect(c, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

		c = usagi_socket(h->st, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(inet_pton(AF_INET, dst, &a.sin_addr), 1);
		assert_int_equal(usagi_connect(c, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	}
	return c;
}

/*
 * reject with tcp reset: a SYN to a port that listens is answered with a
 * RST (RFC 9293 3.10.7.1: ACK of the SYN), so the connect fails at once
 * with ECONNREFUSED; IPv6 and IPv4. The same rule on UDP answers ICMP.
 */
static void test_reject_tcp_reset(void **state)
{
	struct simlab l;
	struct usock *ls, *c;
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	size_t m;

	(void)state;
	lab_up(&l);
	assert_int_equal(simt_cmd(l.b, "filter host-mode off"), 0);
	ls = usagi_socket(l.b->st, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(usagi_bind(ls, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(usagi_listen(ls, 4), 0);
	assert_int_equal(simt_cmd(l.b, "filter add input th dport 80 reject with tcp reset"), 0);
	c = tcp_connect(l.a, "2001:db8::b", 80);
	simt_run_ms(l.w, 100);
	assert_int_equal(usagi_sock_error(c), -ECONNREFUSED);
	assert_int_equal(STAT_GET(l.b->st, nf_filter_reject), 1);
	assert_int_equal(STAT_GET(l.b->st, tcp_rst_out), 1);
	assert_int_equal(STAT_GET(l.a->st, tcp_rst_in), 1);
	usagi_close(c);
	c = tcp_connect(l.a, "192.0.2.11", 80);
	simt_run_ms(l.w, 100);
	assert_int_equal(usagi_sock_error(c), -ECONNREFUSED);
	assert_int_equal(STAT_GET(l.b->st, tcp_rst_out), 2);
	assert_int_equal(STAT_GET(l.a->st, icmp4_in_errors), 0);
	usagi_close(c);
	m = mark(l.b);
	assert_int_equal(simt_cmd(l.b, "filter show"), 0);
	assert_non_null(strstr(since(l.b, m), "		th dport 80 counter packets 2 bytes "));
	assert_non_null(strstr(since(l.b, m), " reject with tcp reset # handle 6\n"));
	/* Not TCP: the rule answers as plain reject (ICMPv6 administratively prohibited). */
	struct usock *sa = udp6(l.a->st, 7001);
	uint64_t errs = STAT_GET(l.a->st, icmp6_in_errors);

	send6(sa, "2001:db8::b", 80);
	simt_run_ms(l.w, 100);
	assert_int_equal(STAT_GET(l.a->st, icmp6_in_errors), errs + 1);
	assert_int_equal(STAT_GET(l.b->st, tcp_rst_out), 2);
	usagi_close(sa);
	usagi_close(ls);
	lab_down(&l);
}

/*
 * The forward chain on a router: inside (eth0) may start anything, outside
 * (eth1) only answer.   A 2001:db8:1::a --eth0-- R --eth1-- 2001:db8:2::b B
 */
static void test_forward_stateful(void **state)
{
	static const struct sim_link_params fast = { .delay_ns = 1 * NS_PER_MS };
	struct sim_world *w = simt_world(9);
	struct sim_segment *in = sim_segment_new(w, "in", &fast);
	struct sim_segment *out = sim_segment_new(w, "out", &fast);
	struct simhost *r = simt_host(w, "R");
	struct simhost *a = simt_host_up(w, "A", in, 0x0a);
	struct simhost *b = simt_host_up(w, "B", out, 0x0b);
	size_t m;

	(void)state;
	simt_attach(r, in, "eth0", 0x01);
	simt_attach(r, out, "eth1", 0x02);
	assert_int_equal(simt_cmd(r, "sysctl net.ipv6.conf.all.forwarding=1"), 0);
	assert_int_equal(simt_cmd(r, "link set eth0 up"), 0);
	assert_int_equal(simt_cmd(r, "link set eth1 up"), 0);
	assert_int_equal(simt_cmd(r, "addr add 2001:db8:1::1/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(r, "addr add 2001:db8:2::1/64 dev eth1 nodad"), 0);
	assert_int_equal(simt_cmd(a, "addr add 2001:db8:1::a/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(b, "addr add 2001:db8:2::b/64 dev eth0 nodad"), 0);
	assert_int_equal(simt_cmd(a, "route add default via 2001:db8:1::1"), 0);
	assert_int_equal(simt_cmd(b, "route add default via 2001:db8:2::1"), 0);
	assert_int_equal(simt_cmd(r, "filter add forward ct state established,related accept"), 0);
	assert_int_equal(simt_cmd(r, "filter add forward iif eth0 oif eth1 accept"), 0);
	assert_int_equal(simt_cmd(r, "filter policy forward drop"), 0);
	simt_run_ms(w, 1000);

	assert_int_equal(ping(a, "2001:db8:2::b"), 0);
	assert_int_equal(ping(b, "2001:db8:1::a"), 1);
	m = mark(r);
	assert_int_equal(simt_cmd(r, "filter show"), 0);
	assert_non_null(strstr(since(r, m), "ct state established,related counter packets 1 bytes 104 accept # handle 1\n"
			       "\t\tiif eth0 oif eth1 counter packets 1 bytes 104 accept # handle 2\n"));
	assert_int_equal(STAT_GET(r->st, nf_filter_drop), 1);
	m = mark(r);
	assert_int_equal(simt_cmd(r, "conntrack -C"), 0);
	assert_string_equal(since(r, m), "1\n");
	/* Forward reset: R answers B's SYN for A with a RST from A's address; B gives up at once. */
	assert_int_equal(simt_cmd(r, "filter add forward iif eth1 meta l4proto tcp reject with tcp reset"), 0);
	struct usock *c = tcp_connect(b, "2001:db8:1::a", 22);

	simt_run_ms(w, 100);
	assert_int_equal(usagi_sock_error(c), -ECONNREFUSED);
	assert_int_equal(STAT_GET(r->st, tcp_rst_out), 1);
	assert_int_equal(STAT_GET(a->st, tcp_rst_out), 0);     /* A never saw the SYN */
	usagi_close(c);
	simt_host_free(r); simt_host_free(a); simt_host_free(b);
	sim_world_free(w);
}

/* -E: one line per event in conntrack's shape, until cancelled. */
static void test_conntrack_events(void **state)
{
	struct stack *st = new_stack();
	char *buf = NULL, line[] = "conntrack -E";
	size_t len = 0;
	struct cmd_env env = { .st = st };

	(void)state;
	assert_int_equal(nf_ct_enable(st), 0);
	env.out = env.err = open_memstream(&buf, &len);
	assert_int_equal(cmd_exec_line(&env, line), CMD_PENDING);
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7001)), NF_ACCEPT);
	assert_int_equal(in_path(st, udp6pkt(HA6, HB6, 7001, 7000)), NF_ACCEPT);
	nf_ct_flush(st);
	cmd_cancel(&env);
	assert_int_equal(out_path(st, udp6pkt(HB6, HA6, 7000, 7002)), NF_ACCEPT);
	fclose(env.out);
	assert_int_equal(count_lines(buf), 3);
	assert_non_null(strstr(buf, " [UPDATE] udp      17 30 src=2001:db8::b"));
	assert_non_null(strstr(buf, "    [NEW] udp      17 30 src=2001:db8::b dst=2001:db8::a sport=7000 "
			       "dport=7001 [UNREPLIED] src=2001:db8::a dst=2001:db8::b sport=7001 "
			       "dport=7000 mark=0\n"));
	assert_non_null(strstr(buf, "[DESTROY] udp      17 src=2001:db8::b dst=2001:db8::a sport=7000 "
			       "dport=7001 src=2001:db8::a dst=2001:db8::b sport=7001 dport=7000 "
			       "mark=0\n"));
	assert_null(strstr(buf, "dport=7002"));   /* after cancel: nothing */
	free(buf);
	usagi_stack_free(st);
}

/* --resume pages: every entry once, a page at most 4096 lines plus `#resume NEXT`. */
static void test_conntrack_pages(void **state)
{
	enum { N = 10000 };
	struct stack *st = new_stack();
	uint8_t *seen = calloc(N, 1);
	unsigned long cursor = 0;
	int pages = 0, total = 0;

	(void)state;
	assert_int_equal(nf_ct_enable(st), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(out_path(st, udp6pkt(HB6, HA6, (uint16_t)(10000 + i), 53)), NF_ACCEPT);
	for (;;) {
		char cmd[64], *s, *tag, *l;

		snprintf(cmd, sizeof(cmd), "conntrack -L -p udp --resume %lu", cursor);
		s = run_cmd(st, cmd, 0);
		pages++;
		tag = strstr(s, "#resume ");
		if (tag)
			*tag = '\0';
		assert_true(count_lines(s) <= 4096);
		for (l = s; *l; l = strchr(l, '\n') + 1) {
			int port = atoi(strstr(l, " sport=") + 7);   /* the original tuple's */

			assert_true(port >= 10000 && port < 10000 + N);
			assert_int_equal(seen[port - 10000], 0);
			seen[port - 10000] = 1;
			total++;
		}
		if (!tag) {
			free(s);
			break;
		}
		cursor = strtoul(tag + 8, NULL, 10);
		free(s);
	}
	assert_int_equal(total, N);
	assert_true(pages >= 3);
	free(seen);
	usagi_stack_free(st);
}

/* `ipsec in` / `ipsec out` with ESP transport between the lab pair (tests/lib/ipsec_lab.h). */
static void test_ipsec_match(void **state)
{
	struct lab_pair *t = *state;
	struct xfrm_selector ab = lab_sel(LAB_A6, 128, LAB_B6, 128, XFRM_PROTO_ANY);
	struct xfrm_selector ba = lab_sel(LAB_B6, 128, LAB_A6, 128, XFRM_PROTO_ANY);
	struct xfrm_tmpl tm = lab_tmpl(IPPROTO_ESP, XFRM_TMPL_TRANSPORT, NULL, NULL,
				       XFRM_LEVEL_REQUIRE);
	struct usock *sb;
	char *s;

	lab_sa(SA(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, LAB_A6, LAB_B6, 0x1001, LAB_GCM);
	lab_sa(SB(t), IPPROTO_ESP, XFRM_MODE_TRANSPORT, LAB_A6, LAB_B6, 0x1001, LAB_GCM);
	lab_pol(SA(t), &ab, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
	lab_pol(SB(t), &ab, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
	(void)ba;
	lab_allow_nd(SA(t));
	lab_allow_nd(SB(t));
	/* B takes UDP only when it came through IPsec; A counts what its policy protects. */
	add(SB(t), NF_FILTER_INPUT, "icmpv6 type 133-137 accept");
	add(SB(t), NF_FILTER_INPUT, "ipsec in meta l4proto udp accept");
	assert_int_equal(nf_filter_set_policy(SB(t), NF_FILTER_INPUT, NF_FILTER_DROP), 0);
	add(SA(t), NF_FILTER_OUTPUT, "ipsec in accept");
	add(SA(t), NF_FILTER_OUTPUT, "ipsec out th dport 7000 accept");
	add(SA(t), NF_FILTER_OUTPUT, "ipsec out th dport 7001 drop");
	sb = lab_udp_bound(SB(t), AF_INET6, 7000);
	assert_int_equal(lab_udp_send(SA(t), LAB_B6, 7000, "secret"), 6);
	lab_pump(t->l, 1);
	assert_true(lab_got(sb, "secret"));
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_ESP), 1);
	s = show(SB(t));
	assert_non_null(strstr(s, "meta l4proto udp ipsec in counter packets 1 bytes 54 accept # handle 2\n"));
	free(s);
	lab_udp_send(SA(t), LAB_B6, 7001, "blocked");
	lab_pump(t->l, 1);
	assert_int_equal(lab_count(t->l, t->k, AF_INET6, IPPROTO_ESP), 1);
	s = show(SA(t));
	assert_non_null(strstr(s, "ipsec in counter packets 0 bytes 0 accept"));
	assert_non_null(strstr(s, "th dport 7000 ipsec out counter packets 1 bytes 54 accept # handle 2\n"));
	assert_non_null(strstr(s, "th dport 7001 ipsec out counter packets 1 bytes 55 drop # handle 3\n"));
	free(s);
	usagi_close(sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_match_fields),
		cmocka_unit_test(test_counters_show),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_hooks_host_mode),
		cmocka_unit_test(test_ct_follows_rules),
		cmocka_unit_test(test_host_mode_udp),
		cmocka_unit_test(test_host_mode_ping),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_reject_tcp_reset),
		cmocka_unit_test(test_forward_stateful),
		cmocka_unit_test(test_conntrack_events),
		cmocka_unit_test(test_conntrack_pages),
		cmocka_unit_test_setup_teardown(test_ipsec_match, lab_pair_setup, lab_pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
