/*
 * The setkey language (src/setkey): what the parser makes of the configs
 * people write (transport host-to-host, tunnel gateways, AH+ESP,
 * IPComp+ESP, per-port/ICMPv6/MH policies, IPv4 and IPv6, every algorithm
 * name and alias, ESN, reqid/unique, lifetimes, priorities), the SAs and
 * policies the executor installs (fields checked exactly), the exact
 * `setkey -D`, `setkey -DP`, `ipsec sa show` and `ipsec policy show`
 * text, and errors: exact messages, and nothing of a bad text applied.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "cmd/cmd_priv.h"
#include "cmd_capture.h"
#include "ipsec_lab.h"
#include "core/stack.h"
#include "setkey/setkey.h"

#define KEY128 "0x00112233445566778899aabbccddeeff"
#define KEY160 "0x00112233445566778899aabbccddeeff00112233"

struct fx {
	struct stack *st;
	struct cmd_env env;
	struct cmd_capture cap;
	char out[16384], err[2048];
};

static int setup(void **state)
{
	struct usagi_stack_config cfg = { .name = "sk", .seed = 3, .now = 5 * NS_PER_SEC };
	struct fx *f = calloc(1, sizeof(*f));

	cmd_capture_open(&f->cap, &f->env, &cfg);
	f->st = f->env.st;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cmd_capture_close(&f->cap, &f->env);
	free(f);
	return 0;
}

static void collect(struct fx *f)
{
	cmd_capture_collect(&f->cap, &f->env, f->out, sizeof(f->out), f->err, sizeof(f->err));
}

/* Runs setkey text on the stack; returns setkey_run's status. */
static int sk(struct fx *f, const char *text)
{
	int rc = setkey_run(f->st, text, strlen(text), 0, false, NULL, f->env.out, f->env.err);

	collect(f);
	return rc;
}

#define SK_OK(f, text) do { \
	int rc_ = sk(f, text); \
	if (rc_ != 0) fail_msg("rc %d: %s", rc_, (f)->err); \
} while (0)

static int cmd(struct fx *f, const char *line)
{
	int rc = cmd_capture_exec(&f->env, line);

	collect(f);
	return rc;
}

/* An address as the SAD keeps it: IPv6, or IPv4 as ::ffff:a.b.c.d. */
static struct in6_addr a6(const char *s)
{
	return lab_addr(s, NULL);
}

static bool addr_is(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = a6(s);

	return in6_equal(a, &b);
}

static struct xfrm_state *sa(struct fx *f, const char *dst, uint32_t spi, uint8_t proto)
{
	struct in6_addr d = a6(dst);

	return xfrm_state_get(f->st, &d, spi, proto);
}

/* The policy of @dir whose selector's destination is @dst, NULL if none. */
struct find_ctx {
	int dir;
	struct in6_addr dst;
	struct xfrm_policy *found;
	unsigned n;
};

static int find_one(void *ctx, struct xfrm_policy *pol)
{
	struct find_ctx *c = ctx;

	c->n++;
	if (pol->dir == c->dir && in6_equal(&pol->sel.dst, &c->dst))
		c->found = pol;
	return 0;
}

static struct xfrm_policy *pol(struct fx *f, int dir, const char *dst)
{
	struct find_ctx c = { .dir = dir, .dst = a6(dst) };

	xfrm_policy_foreach(f->st, find_one, &c);
	return c.found;
}

static unsigned npol(struct fx *f)
{
	struct find_ctx c = { .dir = -1 };

	xfrm_policy_foreach(f->st, find_one, &c);
	return c.n;
}

static const char transport_conf[] =
	"# host-to-host transport ESP, both directions\n"
	"add 2001:db8::1 2001:db8::2 esp 0x1000\n"
	"\t-E aes-cbc " KEY128 "\n"
	"\t-A hmac-sha1 \"01234567890123456789\" ;\n"
	"add 2001:db8::2 2001:db8::1 esp 4097 -E rijndael-cbc " KEY128 " -A hmac-sha1 " KEY160 ";\n"
	"spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//require ;\n"
	"spdadd 2001:db8::2 2001:db8::1 any -P in ipsec\n"
	"\tesp/transport//require;\n";

static void test_parse_transport(void **state)
{
	struct setkey_prog prog = { 0 };
	const struct setkey_op *op;

	assert_int_equal(setkey_parse(transport_conf, strlen(transport_conf), 0, &prog), 0);
	assert_int_equal(prog.nops, 4);
	op = &prog.ops[0];
	assert_int_equal(op->type, SETKEY_ADD);
	assert_int_equal(op->line, 2);
	assert_int_equal(op->col, 1);
	assert_int_equal(op->flags, SETKEY_F_MODE_ANY);
	assert_true(in6_equal(&op->sa.saddr, &(struct in6_addr){ .s6_addr = { 0x20, 1, 0xd, 0xb8, [15] = 1 } }));
	assert_int_equal(op->sa.id.spi, 0x1000);
	assert_int_equal(op->sa.id.proto, IPPROTO_ESP);
	assert_int_equal(op->sa.family, AF_INET6);
	assert_int_equal(op->sa.mode, XFRM_MODE_TRANSPORT);
	assert_string_equal(op->sa.enc.name, "aes-cbc");
	assert_int_equal(op->sa.enc.key_len, 16);
	assert_int_equal(op->sa.enc.key[15], 0xff);
	assert_string_equal(op->sa.auth.name, "hmac-sha1");
	assert_int_equal(op->sa.auth.key_len, 20);
	assert_memory_equal(op->sa.auth.key, "01234567890123456789", 20);
	assert_int_equal(op->sa.replay_window, 0);
	assert_int_equal(op->sa.reqid, 0);
	assert_string_equal(prog.ops[1].sa.enc.name, "aes-cbc");       /* alias -> setkey name */
	assert_int_equal(prog.ops[1].sa.id.spi, 4097);

	op = &prog.ops[2];
	assert_int_equal(op->type, SETKEY_SPDADD);
	assert_int_equal(op->pol.dir, XFRM_DIR_OUT);
	assert_int_equal(op->flags, 0);
	assert_int_equal(op->pol.sel.family, AF_INET6);
	assert_int_equal(op->pol.sel.splen, 128);
	assert_int_equal(op->pol.sel.dplen, 128);
	assert_int_equal(op->pol.sel.proto, XFRM_PROTO_ANY);
	assert_int_equal(op->pol.action, XFRM_ACT_IPSEC);
	assert_int_equal(op->pol.priority, SETKEY_PRIO_DEFAULT);
	assert_int_equal(op->pol.ntmpl, 1);
	assert_int_equal(op->pol.tmpl[0].proto, IPPROTO_ESP);
	assert_int_equal(op->pol.tmpl[0].mode, XFRM_TMPL_TRANSPORT);
	assert_int_equal(op->pol.tmpl[0].level, XFRM_LEVEL_REQUIRE);
	assert_int_equal(prog.ops[3].pol.dir, XFRM_DIR_IN);
	assert_int_equal(prog.ops[3].flags, SETKEY_F_WITH_FWD);
	assert_int_equal(prog.ops[3].line, 7);
	setkey_op_wipe(&prog.ops[0]);
	assert_int_equal(prog.ops[0].sa.enc.key[15], 0);
	assert_int_equal(prog.ops[0].sa.auth.key_len, 0);
	setkey_prog_free(&prog);
	assert_null(prog.ops);
}

static const char sa_dump[] =
	"2001:db8::1 2001:db8::2 \n"
	"\tesp mode=transport spi=4096(0x00001000) reqid=0(0x00000000)\n"
	"\tE: aes-cbc  00112233 44556677 8899aabb ccddeeff\n"
	"\tA: hmac-sha1  30313233 34353637 38393031 32333435 36373839\n"
	"\tseq=0x00000000 replay=0 flags=0x00000000 state=mature \n"
	"\tcreated: Jan  1 00:00:05 1970\tcurrent: Jan  1 00:00:09 1970\n"
	"\tdiff: 4(s)\thard: 0(s)\tsoft: 0(s)\n"
	"\tlast:                     \thard: 0(s)\tsoft: 0(s)\n"
	"\tcurrent: 0(bytes)\thard: 0(bytes)\tsoft: 0(bytes)\n"
	"\tallocated: 0\thard: 0\tsoft: 0\n";

static const char spd_dump[] =
	"2001:db8::1[any] 2001:db8::2[any] any\n"
	"\tout prio def ipsec\n"
	"\tesp/transport//require\n"
	"\tcreated: Jan  1 00:00:05 1970  lastused:                     \n"
	"\tlifetime: 0(s) validtime: 0(s)\n"
	"\tspid=9 seq=2 pid=0\n"
	"\trefcnt=1\n"
	"2001:db8::2[any] 2001:db8::1[any] any\n"
	"\tin prio def ipsec\n"
	"\tesp/transport//require\n"
	"\tcreated: Jan  1 00:00:05 1970  lastused:                     \n"
	"\tlifetime: 0(s) validtime: 0(s)\n"
	"\tspid=16 seq=1 pid=0\n"
	"\trefcnt=1\n"
	"2001:db8::2[any] 2001:db8::1[any] any\n"
	"\tfwd prio def ipsec\n"
	"\tesp/transport//require\n"
	"\tcreated: Jan  1 00:00:05 1970  lastused:                     \n"
	"\tlifetime: 0(s) validtime: 0(s)\n"
	"\tspid=26 seq=0 pid=0\n"
	"\trefcnt=1\n";

static const char sa_show[] =
	"src 2001:db8::1 dst 2001:db8::2\n"
	"\tproto esp spi 0x00001000 reqid 0 mode transport\n"
	"\treplay-window 0\n"
	"\tauth-trunc hmac(sha1) 0x3031323334353637383930313233343536373839 96\n"
	"\tenc cbc(aes) 0x00112233445566778899aabbccddeeff\n"
	"\tanti-replay context: seq 0x0, oseq 0x0\n"
	"\tlifetime config:\n"
	"\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n"
	"\t  limit: soft (INF)(packets), hard (INF)(packets)\n"
	"\t  expire add: soft 0(sec), hard 0(sec)\n"
	"\t  expire use: soft 0(sec), hard 0(sec)\n"
	"\tlifetime current:\n"
	"\t  0(bytes), 0(packets)\n"
	"\t  add 1970-01-01 00:00:05 use -\n"
	"\tstats:\n"
	"\t  replay-window 0 replay 0 failed 0\n";

static void test_transport_apply_dump(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x;
	struct xfrm_policy *p;

	SK_OK(f, transport_conf);
	assert_string_equal(f->err, "");
	assert_int_equal(xfrm_state_count(f->st), 2);
	x = sa(f, "2001:db8::2", 0x1000, IPPROTO_ESP);
	assert_non_null(x);
	assert_int_equal(x->state, XFRM_STATE_MATURE);
	assert_true(addr_is(&x->c.saddr, "2001:db8::1"));
	assert_non_null(x->crypto);
	assert_string_equal(crypto_ctx_enc(x->crypto)->name, "aes-cbc");
	assert_string_equal(crypto_ctx_auth(x->crypto)->name, "hmac-sha1");
	assert_non_null(sa(f, "2001:db8::1", 4097, IPPROTO_ESP));
	assert_int_equal(npol(f), 3);                 /* out, in and in's fwd twin */
	p = pol(f, XFRM_DIR_IN, "2001:db8::1");
	assert_non_null(p);
	assert_int_equal(p->priority, 0x80000000u);
	assert_non_null(pol(f, XFRM_DIR_FWD, "2001:db8::1"));
	assert_int_equal(STAT_GET(f->st, setkey_applied), 4);

	usagi_stack_advance(f->st, 9 * NS_PER_SEC);
	SK_OK(f, "get 2001:db8::1 2001:db8::2 esp 0x1000 ;");
	assert_memory_equal(f->out, sa_dump, strlen(sa_dump));
	assert_string_equal(f->out + strlen(sa_dump), "\tsadb_seq=0 pid=0 refcnt=0\n");
	assert_int_equal(cmd(f, "setkey -DP"), 0);
	assert_string_equal(f->out, spd_dump);
	assert_int_equal(cmd(f, "ipsec sa show"), 0);
	assert_memory_equal(f->out, sa_show, strlen(sa_show));
	assert_int_equal(cmd(f, "ipsec sa show nokeys"), 0);
	assert_non_null(strstr(f->out, "\tauth-trunc hmac(sha1) 96\n\tenc cbc(aes)\n"));
	assert_null(strstr(f->out, "0x0011"));
	assert_int_equal(cmd(f, "setkey -D"), 0);
	assert_non_null(strstr(f->out, "\tsadb_seq=1 pid=0 refcnt=0\n2001:db8::2 2001:db8::1 \n"));
	assert_non_null(strstr(f->out, "\tsadb_seq=0 pid=0 refcnt=0\n"));
}

static void test_sa_dump_exact(void **state)
{
	struct fx *f = *state;

	SK_OK(f, "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " KEY128
		 " -A hmac-sha1 \"01234567890123456789\";");
	usagi_stack_advance(f->st, 9 * NS_PER_SEC);
	assert_int_equal(cmd(f, "setkey -D"), 0);
	/* The only SA of a dump is its last message: sadb_seq 0. */
	assert_memory_equal(f->out, sa_dump, strlen(sa_dump));
	assert_string_equal(f->out + strlen(sa_dump), "\tsadb_seq=0 pid=0 refcnt=0\n");
	assert_int_equal(cmd(f, "setkey -F"), 0);
	assert_int_equal(cmd(f, "setkey -D"), 0);
	assert_string_equal(f->out, "No SAD entries.\n");
	assert_int_equal(cmd(f, "setkey -DP"), 0);
	assert_string_equal(f->out, "No SPD entries.\n");
}

static void test_tunnel_gateways(void **state)
{
	struct fx *f = *state;
	struct xfrm_policy *p;
	struct xfrm_state *x;

	SK_OK(f, "add 192.0.2.1 198.51.100.1 esp 0x2001 -m tunnel -E aes-gcm-16 " KEY160 ";\n"
		 "add 198.51.100.1 192.0.2.1 esp 0x2002 -m tunnel -E aes-gcm-16 " KEY160 ";\n"
		 "spdadd 2001:db8:a::/48 2001:db8:b::/48 any -P out ipsec\n"
		 "   esp/tunnel/192.0.2.1-198.51.100.1/require ;\n"
		 "spdadd 2001:db8:b::/48 2001:db8:a::/48 any -P in ipsec\n"
		 "   esp/tunnel/198.51.100.1-192.0.2.1/require ;\n");
	x = sa(f, "198.51.100.1", 0x2001, IPPROTO_ESP);
	assert_non_null(x);
	assert_int_equal(x->c.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(x->c.family, AF_INET);
	assert_true(crypto_ctx_is_aead(x->crypto));
	p = pol(f, XFRM_DIR_OUT, "2001:db8:b::");
	assert_non_null(p);
	assert_int_equal(p->sel.dplen, 48);
	assert_int_equal(p->tmpl[0].mode, XFRM_TMPL_TUNNEL);
	assert_int_equal(p->tmpl[0].family, AF_INET);
	assert_true(addr_is(&p->tmpl[0].saddr, "192.0.2.1"));
	assert_true(addr_is(&p->tmpl[0].daddr, "198.51.100.1"));
	/* RFC mode: the in policy has a fwd twin, so forwarded tunnel traffic passes. */
	assert_non_null(pol(f, XFRM_DIR_IN, "2001:db8:a::"));
	assert_non_null(pol(f, XFRM_DIR_FWD, "2001:db8:a::"));
	assert_int_equal(cmd(f, "setkey -DP"), 0);
	assert_non_null(strstr(f->out, "2001:db8:a::/48[any] 2001:db8:b::/48[any] any\n\tout prio def ipsec\n"
				       "\tesp/tunnel/192.0.2.1-198.51.100.1/require\n"));
	assert_int_equal(cmd(f, "ipsec policy show"), 0);
	assert_non_null(strstr(f->out, "src 2001:db8:a::/48 dst 2001:db8:b::/48\n"
				       "\tdir out action allow index 9 priority 2147483648\n"
				       "\ttmpl src 192.0.2.1 dst 198.51.100.1\n"
				       "\t\tproto esp reqid 0 mode tunnel\n\t\tlevel required\n"
				       "\tlifetime current:\n\t  0(bytes), 0(packets)\n"));
	/* spddelete removes the twin too; with -k no twin is made. */
	SK_OK(f, "spddelete 2001:db8:b::/48 2001:db8:a::/48 any -P in ;");
	assert_null(pol(f, XFRM_DIR_FWD, "2001:db8:a::"));
	assert_int_equal(setkey_run(f->st, "spdadd ::/0 ::/0 any -P in none;", 32, SETKEY_PARSE_KERNEL,
				    false, NULL, f->env.out, f->env.err), 0);
	assert_null(pol(f, XFRM_DIR_FWD, "::"));
	assert_non_null(pol(f, XFRM_DIR_IN, "::"));
}

static void test_ah_esp_bundle(void **state)
{
	struct fx *f = *state;
	struct xfrm_policy *p;

	SK_OK(f, "add 2001:db8::1 2001:db8::2 ah 0x3000 -A hmac-sha256 "
		 "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff;\n"
		 "add 2001:db8::1 2001:db8::2 esp 0x3001 -E 3des-cbc "
		 "0x0123456789abcdeffedcba9876543210aabbccddeeff0011 -A hmac-md5 " KEY128 ";\n"
		 "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//require "
		 "ah/transport//require ;");
	assert_non_null(sa(f, "2001:db8::2", 0x3000, IPPROTO_AH));
	assert_string_equal(sa(f, "2001:db8::2", 0x3001, IPPROTO_ESP)->c.enc.name, "3des-cbc");
	p = pol(f, XFRM_DIR_OUT, "2001:db8::2");
	assert_int_equal(p->ntmpl, 2);
	assert_int_equal(p->tmpl[0].proto, IPPROTO_ESP);
	assert_int_equal(p->tmpl[1].proto, IPPROTO_AH);
	assert_int_equal(cmd(f, "ipsec sa show"), 0);
	assert_non_null(strstr(f->out, "\tproto ah spi 0x00003000 reqid 0 mode transport\n"
				       "\treplay-window 0\n\tauth-trunc hmac(sha256) 0x"));
	assert_non_null(strstr(f->out, "\tauth-trunc hmac(md5) 0x00112233445566778899aabbccddeeff 96\n"
				       "\tenc cbc(des3_ede) 0x0123"));
}

static void test_ipcomp_esp(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x;
	struct xfrm_policy *p;

	SK_OK(f, "add 2001:db8::1 2001:db8::2 ipcomp 0x4000 -C deflate -R ;\n"
		 "add 2001:db8::1 2001:db8::2 esp 0x4001 -E aes-ctr " KEY160 " -A hmac-sha1 " KEY160 ";\n"
		 "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec ipcomp/transport//use "
		 "esp/transport//require ;");
	x = sa(f, "2001:db8::2", 0x4000, IPPROTO_COMP);
	assert_non_null(x);
	assert_string_equal(x->c.comp.name, "deflate");
	assert_non_null(x->comp);
	p = pol(f, XFRM_DIR_OUT, "2001:db8::2");
	assert_int_equal(p->tmpl[0].proto, IPPROTO_COMP);
	assert_int_equal(p->tmpl[0].level, XFRM_LEVEL_USE);
	assert_int_equal(cmd(f, "setkey -D"), 0);
	assert_non_null(strstr(f->out, "2001:db8::1 2001:db8::2 \n"
				       "\tipcomp mode=transport spi=16384(0x00004000) reqid=0(0x00000000)\n"
				       "\tC: deflate \tseq=0x00000000 replay=0 flags=0x00000000 state=mature \n"));
	assert_int_equal(cmd(f, "setkey -DP"), 0);
	assert_non_null(strstr(f->out, "\tout prio def ipsec\n\tipcomp/transport//use\n"
				       "\tesp/transport//require\n"));
	assert_int_equal(cmd(f, "ipsec sa show"), 0);
	assert_non_null(strstr(f->out, "\tproto comp spi 0x00004000 reqid 0 mode transport\n"
				       "\treplay-window 0\n\tcomp deflate\n\tlifetime config:\n"));
}

static void test_selectors(void **state)
{
	struct fx *f = *state;
	struct xfrm_policy *p;

	SK_OK(f, "spdadd 2001:db8::1[500] 2001:db8::2[500] udp -P out none ;\n"
		 "spdadd ::/0 2001:db8:2::/64 icmp6 135 -P out none ;\n"
		 "spdadd ::/0 2001:db8:3::/64 ipv6-icmp 1,4 -P out discard ;\n"
		 "spdadd 2001:db8::1 2001:db8:4::1 mh 5 -P out ipsec esp/transport//require ;\n"
		 "spdadd -4 192.0.2.0/24[any] 198.51.100.7[80] tcp -P out none ;\n"
		 "spdadd 192.0.2.1 198.51.100.8 icmp 8,0 -P out none ;\n"
		 "spdadd 2001:db8::1 2001:db8:5::1 132 -P out none ;\n");
	p = pol(f, XFRM_DIR_OUT, "2001:db8::2");
	assert_int_equal(p->sel.proto, IPPROTO_UDP);
	assert_int_equal(p->sel.sport, 500);
	assert_int_equal(p->sel.dport, 500);
	assert_int_equal(p->sel.sport_mask, 0xffff);
	p = pol(f, XFRM_DIR_OUT, "2001:db8:2::");
	assert_int_equal(p->sel.proto, IPPROTO_ICMPV6);
	assert_int_equal(p->sel.dplen, 64);
	assert_int_equal(p->sel.sport, 135);
	assert_int_equal(p->sel.dport_mask, 0);            /* code: any */
	p = pol(f, XFRM_DIR_OUT, "2001:db8:3::");
	assert_int_equal(p->sel.sport, 1);
	assert_int_equal(p->sel.dport, 4);
	assert_int_equal(p->action, XFRM_ACT_BLOCK);
	p = pol(f, XFRM_DIR_OUT, "2001:db8:4::1");
	assert_int_equal(p->sel.proto, 135);
	assert_int_equal(p->sel.sport, 5);
	p = pol(f, XFRM_DIR_OUT, "198.51.100.7");
	assert_int_equal(p->sel.family, AF_INET);
	assert_int_equal(p->sel.splen, 24);
	assert_int_equal(p->sel.dplen, 32);
	assert_int_equal(p->sel.dport, 80);
	assert_int_equal(p->sel.sport_mask, 0);
	assert_int_equal(pol(f, XFRM_DIR_OUT, "198.51.100.8")->sel.proto, IPPROTO_ICMP);
	assert_int_equal(pol(f, XFRM_DIR_OUT, "2001:db8:5::1")->sel.proto, 132);
	assert_int_equal(cmd(f, "setkey -DP"), 0);
	assert_non_null(strstr(f->out, "2001:db8::1[500] 2001:db8::2[500] udp\n\tout prio def none\n"));
	assert_non_null(strstr(f->out, "::/0 2001:db8:2::/64 ipv6-icmp 135,0\n"));
	assert_non_null(strstr(f->out, "::/0 2001:db8:3::/64 ipv6-icmp 1,4\n\tout prio def discard\n"));
	assert_non_null(strstr(f->out, "2001:db8::1 2001:db8:4::1 mobility-header 5,0\n"));
	assert_non_null(strstr(f->out, "192.0.2.0/24[any] 198.51.100.7[80] tcp\n"));
	assert_non_null(strstr(f->out, "192.0.2.1 198.51.100.8 icmp 8,0\n"));
	assert_non_null(strstr(f->out, "2001:db8::1[any] 2001:db8:5::1[any] sctp\n"));
	assert_int_equal(cmd(f, "ipsec policy show"), 0);
	assert_non_null(strstr(f->out, "src ::/0 dst 2001:db8:2::/64 proto ipv6-icmp type 135\n"
				       "\tdir out action allow index "));
	assert_non_null(strstr(f->out, "src 192.0.2.0/24 dst 198.51.100.7/32 proto tcp dport 80\n"));
	assert_non_null(strstr(f->out, "src ::/0 dst 2001:db8:3::/64 proto ipv6-icmp type 1 code 4\n"
				       "\tdir out action block index "));
}

/* Every cipher, AEAD and integrity name in the table, and every alias, makes a working SA. */
static void test_every_algorithm(void **state)
{
	struct fx *f = *state;
	const struct crypto_alg *alg;
	unsigned spi = 0x10000, n = 0;

	for (unsigned i = 0; (alg = crypto_alg_at(i)) != NULL; i++) {
		for (int j = -1; j < CRYPTO_MAX_ALIASES && (j < 0 || alg->aliases[j]); j++) {
			const char *name = j < 0 ? alg->name : alg->aliases[j];
			char key[160] = "", text[512];
			struct xfrm_state *x;
			unsigned bytes = alg->key_min_bits / 8;

			if (alg->kind == CRYPTO_COMP)
				continue;
			if (bytes) {
				strcpy(key, "0x");
				for (unsigned b = 0; b < bytes; b++)
					sprintf(key + 2 + 2 * b, "%02x", (b * 37 + 11) & 0xff);
			}
			if (alg->impl == CRYPTO_IMPL_NULL_AUTH)    /* AH must authenticate: ESP then */
				snprintf(text, sizeof(text), "add 2001:db8::1 2001:db8::2 esp %u -E aes-cbc "
					 KEY128 " -A %s ;", spi, name);
			else if (alg->kind == CRYPTO_AUTH)
				snprintf(text, sizeof(text), "add 2001:db8::1 2001:db8::2 ah %u -A %s %s ;",
					 spi, name, key);
			else
				snprintf(text, sizeof(text), "add 2001:db8::1 2001:db8::2 esp %u -E %s %s %s;",
					 spi, name, key, alg->kind == CRYPTO_AEAD ? "" :
					 "-A hmac-sha1 " KEY160);
			if (sk(f, text) != 0)
				fail_msg("%s: %s", text, f->err);
			x = sa(f, "2001:db8::2", spi, alg->kind == CRYPTO_AUTH &&
			       alg->impl != CRYPTO_IMPL_NULL_AUTH ? IPPROTO_AH : IPPROTO_ESP);
			assert_non_null(x);
			assert_string_equal(alg->kind == CRYPTO_AUTH ? x->c.auth.name : x->c.enc.name,
					    alg->name);
			assert_non_null(x->crypto);
			spi++;
			n++;
		}
	}
	assert_true(n > 40);
	assert_non_null(sa(f, "2001:db8::2", 0x10000, IPPROTO_ESP));
}

static void test_extensions(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x;
	struct xfrm_policy *p;

	SK_OK(f, "add 2001:db8::1 2001:db8::2 esp 0x5000 -m tunnel -u 42 -r 128 -f esn "
		 "-lh 3600 -ls 3000 -bh 100000 -bs 90000 -f seq-pad -f nocyclic-seq "
		 "-E aes-gcm-12 " KEY160 ";\n"
		 "add 2001:db8::1 2001:db8::3 esp 0x5001 -esn -E null -A hmac-sha512 "
		 "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff ;\n"
		 "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/tunnel/2001:db8::1-2001:db8::2/unique:42 ;\n"
		 "spdadd 2001:db8::1 2001:db8::3 any -P out ipsec esp/transport//unique ;\n");
	x = sa(f, "2001:db8::2", 0x5000, IPPROTO_ESP);
	assert_int_equal(x->c.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(x->c.reqid, 42);
	assert_int_equal(x->c.replay_window, 128);
	assert_int_equal(x->c.flags, XFRM_SA_F_ESN);
	assert_int_equal(x->c.lft.hard_add_s, 3600);
	assert_int_equal(x->c.lft.soft_add_s, 3000);
	assert_int_equal(x->c.lft.hard_bytes, 100000);
	assert_int_equal(x->c.lft.soft_bytes, 90000);
	x = sa(f, "2001:db8::3", 0x5001, IPPROTO_ESP);
	assert_int_equal(x->c.flags, XFRM_SA_F_ESN);
	assert_int_equal(x->replay->size, 32);          /* ESN needs a window */
	p = pol(f, XFRM_DIR_OUT, "2001:db8::2");
	assert_int_equal(p->tmpl[0].level, XFRM_LEVEL_UNIQUE);
	assert_int_equal(p->tmpl[0].reqid, 42);
	p = pol(f, XFRM_DIR_OUT, "2001:db8::3");
	assert_true(p->tmpl[0].reqid > XFRM_REQID_MANUAL_MAX);  /* assigned by the SPD */
	assert_int_equal(cmd(f, "setkey -D"), 0);
	assert_non_null(strstr(f->out, "\tesp mode=tunnel spi=20480(0x00005000) reqid=42(0x0000002a)\n"
				       "\tE: aes-gcm-12  00112233 44556677 8899aabb ccddeeff 00112233\n"
				       "\tseq=0x00000000 replay=128 flags=0x00000400 state=mature \n"));
	assert_non_null(strstr(f->out, "\tdiff: 0(s)\thard: 3600(s)\tsoft: 3000(s)\n"));
	assert_non_null(strstr(f->out, "\tcurrent: 0(bytes)\thard: 100000(bytes)\tsoft: 90000(bytes)\n"));
	assert_non_null(strstr(f->out, "\tA: hmac-sha512  00112233 44556677 8899aabb ccddeeff 00112233 "
				       "44556677 8899aabb ccddeeff\n 00112233 44556677"));
	assert_int_equal(cmd(f, "setkey -DP"), 0);
	assert_non_null(strstr(f->out, "\tesp/tunnel/2001:db8::1-2001:db8::2/unique:42\n"));
	assert_non_null(strstr(f->out, "\tesp/transport//unique#16384\n"));
	assert_int_equal(cmd(f, "ipsec sa show"), 0);
	assert_non_null(strstr(f->out, "\treplay-window 128 flag esn\n"
				       "\taead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff00112233 96\n"));
	assert_non_null(strstr(f->out, "\t  limit: soft 90000(bytes), hard 100000(bytes)\n"
				       "\t  limit: soft (INF)(packets), hard (INF)(packets)\n"
				       "\t  expire add: soft 3000(sec), hard 3600(sec)\n"));
	assert_non_null(strstr(f->out, "\tenc ecb(cipher_null) 0x\n"));
}

/* esp-udp: ESP in UDP (RFC 3948), ports from addr[port], 4500 when not given. */
static void test_natt(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x;

	SK_OK(f, "add 192.0.2.1[4501] 198.51.100.1 esp-udp 0x8000 -m tunnel -E aes-cbc " KEY128
		 " -A hmac-sha1 " KEY160 ";");
	x = sa(f, "198.51.100.1", 0x8000, IPPROTO_ESP);
	assert_int_equal(x->c.encap.type, 2);
	assert_int_equal(x->c.encap.sport, 4501);
	assert_int_equal(x->c.encap.dport, 4500);
	assert_int_equal(cmd(f, "setkey -D"), 0);
	assert_non_null(strstr(f->out, "192.0.2.1[4501] 198.51.100.1[4500] \n"
				       "\tesp-udp mode=tunnel spi=32768(0x00008000) reqid=0(0x00000000)\n"));
	assert_int_equal(cmd(f, "ipsec sa show"), 0);
	assert_non_null(strstr(f->out, "\tencap type espinudp sport 4501 dport 4500 addr 0.0.0.0\n"));
	SK_OK(f, "deleteall 192.0.2.1 198.51.100.1 esp ;");
	assert_int_equal(xfrm_state_count(f->st), 0);
}

static void test_priorities(void **state)
{
	struct fx *f = *state;
	static const struct { const char *spec, *dump; uint32_t value; } v[] = {
		{ "prio 10", "prio def + 10", 0x80000000u - 10 },
		{ "priority -7", "prio def - 7", 0x80000000u + 7 },
		{ "prio high + 5", "prio high + 5", 0x40000000u - 5 },
		{ "prio low -3", "prio low - 3", 0xc0000000u + 3 },
		{ "prio def", "prio def", 0x80000000u },
		{ "prio 2147483648", "", 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		char text[160], want[80];
		struct xfrm_policy *p;

		snprintf(text, sizeof(text), "spdadd 2001:db8::1 2001:db8:%zx::1 any -P out %s none;",
			 i + 1, v[i].spec);
		SK_OK(f, text);
		snprintf(text, sizeof(text), "2001:db8:%zx::1", i + 1);
		p = pol(f, XFRM_DIR_OUT, text);
		assert_int_equal(p->priority, v[i].value);
		assert_int_equal(cmd(f, "setkey -DP"), 0);
		snprintf(want, sizeof(want), "\tout%s%s none\n", v[i].dump[0] ? " " : "", v[i].dump);
		if (!strstr(f->out, want))
			fail_msg("%s: no \"%s\" in\n%s", v[i].spec, want, f->out);
	}
}

static void test_getspi_update_delete(void **state)
{
	struct fx *f = *state;
	struct xfrm_state *x;

	SK_OK(f, "getspi 2001:db8::1 2001:db8::2 esp 0x6000 -u 9 ;");
	x = sa(f, "2001:db8::2", 0x6000, IPPROTO_ESP);
	assert_int_equal(x->state, XFRM_STATE_LARVAL);
	assert_non_null(strstr(f->out, "\tseq=0x00000000 replay=0 flags=0x00000000 state=larval \n"));
	SK_OK(f, "update 2001:db8::1 2001:db8::2 esp 0x6000 -u 9 -E aes-cbc " KEY128 " -A hmac-sha1 "
		 KEY160 ";");
	assert_int_equal(x->state, XFRM_STATE_MATURE);
	assert_int_equal(x->c.reqid, 9);
	SK_OK(f, "update 2001:db8::1 2001:db8::2 esp 0x6000 -lh 60 -E aes-cbc " KEY128 ";");
	assert_int_equal(x->c.lft.hard_add_s, 60);
	assert_int_equal(sk(f, "update 2001:db8::1 2001:db8::2 esp 0x6001 -E aes-cbc " KEY128 ";"), 1);
	assert_string_equal(f->err, "usagi: setkey: 1:1: update: no esp SA to 2001:db8::2 spi "
				    "24577(0x00006001) (add it, or getspi first)\n");

	SK_OK(f, "add 2001:db8::1 2001:db8::2 esp 0x6002 -E aes-cbc " KEY128 ";"
		 "add 2001:db8::1 2001:db8::2 ah 0x6003 -A hmac-sha1 " KEY160 ";"
		 "add 2001:db8::9 2001:db8::2 esp 0x6004 -E aes-cbc " KEY128 ";");
	SK_OK(f, "delete 2001:db8::1 2001:db8::2 esp 0x6000;");
	assert_null(sa(f, "2001:db8::2", 0x6000, IPPROTO_ESP));
	SK_OK(f, "deleteall 2001:db8::1 2001:db8::2 esp;");
	assert_null(sa(f, "2001:db8::2", 0x6002, IPPROTO_ESP));
	assert_non_null(sa(f, "2001:db8::2", 0x6003, IPPROTO_AH));
	assert_non_null(sa(f, "2001:db8::2", 0x6004, IPPROTO_ESP));   /* another source */
	SK_OK(f, "flush ah;");
	assert_int_equal(xfrm_state_count(f->st), 1);
	SK_OK(f, "dump esp;");
	assert_non_null(strstr(f->out, "2001:db8::9 2001:db8::2 \n"));
	SK_OK(f, "flush; spdadd ::/0 ::/0 any -P out none; spdflush; spddump;");
	assert_int_equal(xfrm_state_count(f->st), 0);
	assert_string_equal(f->out, "No SPD entries.\n");
	assert_int_equal(sk(f, "delete 2001:db8::1 2001:db8::2 esp 0x6000;"), 1);
	assert_string_equal(f->err, "usagi: setkey: 1:1: delete: no esp SA to 2001:db8::2 spi "
				    "24576(0x00006000)\n");
}

/* A text with an error anywhere applies nothing; the message names line, column and reason. */
static void test_errors(void **state)
{
	struct fx *f = *state;
	static const struct { const char *text, *err; } v[] = {
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc 0x0011 ;",
		  "1:51: -E aes-cbc: bad key (16 bits): key must be 128, 192 or 256 bits" },
		{ "add 2001:db8::1 2001:db8::2 ah 0x1000 -A hmac-sha1 " KEY128 ";",
		  "1:52: -A hmac-sha1: bad key (128 bits): key length must equal the algorithm's "
		  "(md5 128, sha1 160, sha256 256, sha384 384, sha512 512, ripemd160 160, xcbc 128 bits)" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-foo " KEY128 ";",
		  "1:43: unknown encryption algorithm \"aes-foo\"" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000\n  -E aes-cbc " KEY128,
		  "2:48: expected \";\" at the end of the statement, found end of input" },
		{ "spdadd 2001:db8::1 2001:db8::2 any -P out none\nspdflush;",
		  "2:1: expected \";\" at the end of the statement, found \"spdflush\"" },
		{ "add 2001:db8::1 2001:db8::zz esp 0x1000 -E aes-cbc " KEY128 ";",
		  "1:17: invalid address \"2001:db8::zz\" (numeric IPv6 or IPv4 only; names are not resolved)" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-gcm-16 " KEY160 " -A hmac-sha1 " KEY160 ";",
		  "1:97: aes-gcm-16 is a combined-mode (AEAD) algorithm: it takes no -A" },
		{ "spdadd ::/0 ::/0 any -P out ipsec esp/transport//required ;",
		  "1:35: unknown level \"required\" (default, use, require or unique[:N])" },
		{ "spdadd ::/0 ::/0 any -P out ipsec esp/transport//unique:0 ;",
		  "1:35: unique:N: N must be 1..16383" },
		{ "add 2001:db8::1 2001:db8::2 esp 255 -E aes-cbc " KEY128 ";",
		  "1:33: invalid SPI 255: 0..255 are reserved (RFC 4303 2.1)" },
		{ "add 2001:db8::1 192.0.2.1 esp 0x1000 -E aes-cbc " KEY128 ";",
		  "1:17: source and destination are of different families" },
		{ "add 2001:db8::1[500] 2001:db8::2 esp 0x1000 -E aes-cbc " KEY128 ";",
		  "1:34: [port] on SA addresses is for esp-udp (NAT-T) only" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E null -A null ;",
		  "1:40: esp with -E null needs a real -A (neither confidentiality nor integrity, RFC 4303 3.2)" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -A hmac-sha1 " KEY160 ";",
		  "1:1: esp needs -E (-E null with -A for integrity only)" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc \"short ;",
		  "1:51: unterminated quoted string" },
		{ "ad 2001:db8::1 2001:db8::2 esp 0x1000 ;", "1:1: unknown command \"ad\"" },
		{ "spdadd ::/0 ::/0 any -P sideways none ;", "1:25: unknown direction \"sideways\" (in, out or fwd)" },
		{ "spdadd ::/0 ::/0 any -P out ipsec esp/tunnel//require ;",
		  "1:35: a tunnel request needs its endpoints as SRC-DST" },
		{ "spdadd ::/0 ::/0 any -P out ipsec ;",
		  "1:35: ipsec needs at least one request (e.g. esp/transport//require)" },
		{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc 0x0011223344556677889 ;",
		  "1:51: -E: odd number of hex digits in the key" },
		{ "add 2001:db8::1 2001:db8::2 ipcomp 0x10000 -C deflate ;",
		  "1:36: invalid CPI 65536: IPComp takes 1..65535" },
		{ "spdadd ::/0[80] ::/0 icmp6 -P out none ;",
		  "1:22: icmp, icmp6 and mh have no ports: give `ipv6-icmp TYPE[,CODE]` instead" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		char text[512], want[512];

		/* A good statement first: it must not be applied either. */
		snprintf(text, sizeof(text), "%s", v[i].text);
		if (sk(f, text) != 2)
			fail_msg("accepted: %s", v[i].text);
		snprintf(want, sizeof(want), "usagi: setkey: %s\n", v[i].err);
		assert_string_equal(f->err, want);
		assert_int_equal(xfrm_state_count(f->st), 0);
		assert_int_equal(npol(f), 0);
	}
	assert_int_equal(sk(f, "spdadd ::/0 ::/0 any -P out none ;\n"
			       "add 2001:db8::1 2001:db8::2 esp 0x1000 -E des-cbc 0x01 ;"), 2);
	assert_string_equal(f->err, "usagi: setkey: 2:51: -E des-cbc: bad key (8 bits): key has the "
				    "wrong length for this cipher (des 64, 3des 192 bits)\n");
	assert_int_equal(npol(f), 0);
	assert_int_equal(STAT_GET(f->st, setkey_parse_error), ARRAY_SIZE(v) + 1);
	assert_int_equal(STAT_GET(f->st, setkey_applied), 0);
}

/* Refused while applying: what came before stays, nothing after runs, the reason is given. */
static void test_apply_errors(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sk(f, "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " KEY128 ";\n"
			       "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " KEY128 ";\n"
			       "spdadd ::/0 ::/0 any -P out none;"), 1);
	assert_string_equal(f->err, "usagi: setkey: 2:1: add: the esp SA to 2001:db8::2 spi "
				    "4096(0x00001000) exists\n");
	assert_int_equal(xfrm_state_count(f->st), 1);
	assert_int_equal(npol(f), 0);
	/* DES weak keys pass the length check; the crypto layer refuses them and says why. */
	assert_int_equal(sk(f, "add 2001:db8::1 2001:db8::2 esp 0x1001 -E des-cbc 0x0101010101010101 "
			       "-A hmac-sha1 " KEY160 ";"), 1);
	assert_non_null(strstr(f->err, "usagi: setkey: 1:1: add: esp SA to 2001:db8::2 spi "
				       "4097(0x00001001) refused: "));
	assert_int_equal(STAT_GET(f->st, setkey_key_rejected), 1);
	SK_OK(f, "spdadd 2001:db8::1 2001:db8::2 tcp -P out none;");
	assert_int_equal(sk(f, "spdadd 2001:db8::1 2001:db8::2 tcp -P out discard;"), 1);
	assert_string_equal(f->err, "usagi: setkey: 1:1: spdadd: a policy with this selector exists "
				    "for direction out (spdupdate replaces it)\n");
	SK_OK(f, "spdupdate 2001:db8::1 2001:db8::2 tcp -P out discard;");
	assert_int_equal(pol(f, XFRM_DIR_OUT, "2001:db8::2")->action, XFRM_ACT_BLOCK);
	assert_int_equal(sk(f, "spddelete 2001:db8::1 2001:db8::2 udp -P out;"), 1);
	assert_string_equal(f->err, "usagi: setkey: 1:1: spddelete: no out policy with this selector\n");
	assert_int_equal(STAT_GET(f->st, setkey_refused), 4);
}

static void test_notes_and_dry_run(void **state)
{
	struct fx *f = *state;
	const char *t = "add 2001:db8::1 2001:db8::2 esp 0x1000 -f zero-pad -E aes-cbc " KEY128 ";";

	assert_int_equal(setkey_run(f->st, t, strlen(t), 0, true, "x.conf", f->env.out, f->env.err), 0);
	collect(f);
	assert_string_equal(f->err, "usagi: setkey: x.conf:1:43: note: -f zero-pad ignored: ESP "
				    "padding is always 1, 2, 3, ... (RFC 4303 2.4)\n");
	assert_int_equal(xfrm_state_count(f->st), 0);       /* -n: checked, not applied */
}

static void test_commands(void **state)
{
	struct fx *f = *state;
	char path[] = "/tmp/usagi-setkey-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	char line[256];

	assert_non_null(fp);
	fputs("# file\nadd 2001:db8::1 2001:db8::2 esp 0x7000 -E aes-cbc " KEY128 ";\n"
	      "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//require;\n", fp);
	fclose(fp);
	snprintf(line, sizeof(line), "setkey -f %s", path);
	assert_int_equal(cmd(f, line), 0);
	assert_int_equal(xfrm_state_count(f->st), 1);
	fp = fopen(path, "w");
	fputs("spdadd ::/0 ::/0 any -P out none;\n\nadd 2001:db8::1 2001:db8::2 esp 0x7000 -E foo;\n", fp);
	fclose(fp);
	assert_int_equal(cmd(f, line), 2);
	snprintf(line, sizeof(line), "usagi: setkey: %s:3:43: unknown encryption algorithm \"foo\"\n", path);
	assert_string_equal(f->err, line);
	unlink(path);
	snprintf(line, sizeof(line), "setkey -f %s", path);
	assert_int_equal(cmd(f, line), 1);
	assert_int_equal(STAT_GET(f->st, setkey_file_error), 1);
	assert_int_equal(cmd(f, "setkey -f /dev/null"), 1);  /* devices and FIFOs could block */
	assert_string_equal(f->err, "usagi: setkey: cannot read /dev/null: not a regular file\n");

	assert_int_equal(cmd(f, "setkey -e spdadd ::/0 ::/0 any -P out none ; dump ;"), 0);
	assert_non_null(strstr(f->out, "\tesp mode=transport spi=28672(0x00007000)"));
	assert_int_equal(cmd(f, "setkey -FP"), 0);
	assert_int_equal(npol(f), 0);
	assert_int_equal(cmd(f, "setkey -F"), 0);
	assert_int_equal(xfrm_state_count(f->st), 0);
	assert_int_equal(cmd(f, "setkey -n -e add 2001:db8::1 2001:db8::2 esp 0x7001 -E aes-cbc "
				KEY128 " ;"), 0);
	assert_int_equal(xfrm_state_count(f->st), 0);
	assert_int_equal(cmd(f, "setkey -c"), 2);
	assert_string_equal(f->err, "usagi: setkey: -c reads standard input: run it as "
				    "`usagi ctl setkey -c < FILE`\n");
	assert_int_equal(cmd(f, "setkey"), 2);
	assert_int_equal(cmd(f, "setkey -D -F"), 2);
	assert_int_equal(cmd(f, "setkey -X"), 2);
	assert_string_equal(f->err, "usagi: setkey: unknown flag -X\n");
	SK_OK(f, "add 2001:db8::1 2001:db8::2 esp 0x7002 -E aes-cbc " KEY128 ";"
		 "spdadd ::/0 ::/0 any -P out none;");
	assert_int_equal(cmd(f, "ipsec sa flush"), 0);
	assert_int_equal(cmd(f, "ipsec policy flush"), 0);
	assert_int_equal(xfrm_state_count(f->st) + npol(f), 0);
	assert_int_equal(cmd(f, "ipsec sa show"), 0);
	assert_string_equal(f->out, "");
	assert_int_equal(cmd(f, "ipsec sa bogus"), 2);
	assert_string_equal(f->err, "usagi: ipsec sa: unknown command \"bogus\"\n");
	assert_int_equal(cmd(f, "ipsec"), 2);
	assert_int_equal(cmd(f, "ipsec esp-sa /nonexistent/dir/esp_sa"), 1);
}

/* setkey_parse on hostile input never crashes and leaves no ops behind an error. */
static void test_parse_garbage(void **state)
{
	static const char *const v[] = {
		"", ";;;", "#only a comment", "add", "add ;", "spdadd -P", "\"", "add \0 x",
		"spdadd ::/0[ ::/0 any -P out none;", "spdadd ::/999 ::/0 any -P out none;",
		"spdadd ::/0 ::/0 any -P out prio high + 99999999999 none;",
		"spdadd ::/0 ::/0 any -P out ipsec esp/tunnel/1.2.3.4-::1/require;",
		"spdadd ::/0 ::/0 any -P out ipsec a/b/c/d/e;",
		"add 1.2.3.4 5.6.7.8 esp 0xffffffffffffffffff -E null -A hmac-md5 0x00;",
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct setkey_prog prog = { 0 };
		size_t len = i == 7 ? 7 : strlen(v[i]);
		int rc = setkey_parse(v[i], len, 0, &prog);

		if (rc < 0)
			assert_int_equal(prog.nops, 0);
		setkey_prog_free(&prog);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_transport),
		cmocka_unit_test_setup_teardown(test_transport_apply_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sa_dump_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_gateways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ah_esp_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipcomp_esp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_algorithm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extensions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_natt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priorities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getspi_update_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes_and_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test(test_parse_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
