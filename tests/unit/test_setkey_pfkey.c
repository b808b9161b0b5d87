/*
 * setkey over PF_KEY (src/setkey/setkey_pfkey*.c) against the direct path
 * (setkey_apply), in one process without sockets: the same setkey text
 * applied to stack A directly and to stack B as PF_KEY requests through
 * B's PF_KEY server must leave the same SAD and SPD (same `setkey -D` /
 * `-DP` text); B's SADB_DUMP / X_SPDDUMP replies printed by the PF_KEY
 * printers must be exactly what setkey_dump_sad/_spd print for B; every
 * refusal must read exactly as the direct path's; requests must pass the
 * codec's own parse and message rules; and the -x view of an ACQUIRE and
 * an EXPIRE names what matters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "core/stack.h"
#include "pfkey/pfkey_server.h"
#include "setkey/setkey_pfkey.h"

#define K16 "0x00112233445566778899aabbccddeeff"
#define K20 "0x00112233445566778899aabbccddeeff00112233"
#define K32 K16 "00112233445566778899aabbccddeeff"

/* What the server sent to our socket, oldest first. */
struct cap {
	uint64_t *msg[4096];
	size_t len[4096];
	unsigned n;
};

static int cap_send(void *ctx, const void *msg, size_t len)
{
	struct cap *c = ctx;

	if (c->n == 4096)
		return -ENOBUFS;
	c->msg[c->n] = malloc(len + 8);
	memcpy(c->msg[c->n], msg, len);
	c->len[c->n++] = len;
	return 0;
}

static void cap_clear(struct cap *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->msg[i]);
	c->n = 0;
}

struct fx {
	struct stack *a, *b;         /* a: setkey_apply, b: PF_KEY */
	struct pfkey_sock *s;
	struct cap cap;
	uint32_t seq;
};

static struct stack *new_stack(const char *name)
{
	/* Clock 0, epoch 0: every time prints alike on both paths (test_dates moves both). */
	struct usagi_stack_config cfg = { .name = name, .seed = 7, .now = 0 };
	struct stack *st = usagi_stack_new(&cfg);

	assert_non_null(st);
	usagi_stack_set_log_level(st, 0);
	return st;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->a = new_stack("a");
	f->b = new_stack("b");
	f->s = pfkey_sock_open(f->b, cap_send, &f->cap);
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cap_clear(&f->cap);
	pfkey_sock_close(f->s);
	usagi_stack_free(f->a);
	usagi_stack_free(f->b);
	free(f);
	return 0;
}

/* Sends one request to B's server; the reply's -errno, its message parsed into *@reply. */
static int call(struct fx *f, struct pfkey_buf *b, struct pfkey_msg *reply)
{
	const struct sadb_msg *req = (const void *)b->data;
	struct pfkey_msg m;

	assert_int_equal(pfkey_parse(b->data, b->len, &m), 0);
	assert_int_equal(pfkey_check(&m), 0);
	cap_clear(&f->cap);
	pfkey_sock_input(f->s, b->data, b->len);
	for (unsigned i = 0; i < f->cap.n; i++) {
		const struct sadb_msg *h = (const void *)f->cap.msg[i];

		if (h->sadb_msg_type == req->sadb_msg_type && h->sadb_msg_seq == req->sadb_msg_seq) {
			assert_int_equal(pfkey_parse(f->cap.msg[i], f->cap.len[i], reply), 0);
			return -(int)h->sadb_msg_errno;
		}
	}
	fail_msg("no reply to type %u", req->sadb_msg_type);
	return -EIO;
}

static int request(struct fx *f, const struct setkey_op *op, enum setkey_pfkey_part part,
		   struct pfkey_msg *reply)
{
	struct pfkey_buf b;
	int rc = setkey_pfkey_request(op, part, ++f->seq, 0, &b);

	assert_int_equal(rc, 0);
	rc = call(f, &b, reply);
	pfkey_buf_free(&b);
	return rc;
}

/* setkey text through PF_KEY onto B, as `usagi setkey` runs it; the first refusal's text into @err. */
static int run_b(struct fx *f, const char *text, char *err, size_t size)
{
	struct setkey_prog prog = { 0 };
	struct setkey_msg msg = { 0 };
	struct pfkey_msg m;
	int rc = 0;

	assert_int_equal(setkey_parse(text, strlen(text), 0, &prog), 0);
	for (size_t i = 0; i < prog.nops && rc == 0; i++) {
		const struct setkey_op *op = &prog.ops[i];
		enum setkey_pfkey_part part = SETKEY_PART_MAIN;

		rc = request(f, op, part, &m);
		if (rc == 0 && setkey_pfkey_has_twin(op)) {
			part = SETKEY_PART_FWD_TWIN;
			rc = request(f, op, part, &m);
			if (op->type == SETKEY_SPDDELETE)
				rc = 0;
			if (rc < 0 && op->type == SETKEY_SPDADD)
				request(f, op, SETKEY_PART_UNDO, &m);
		}
		if (rc < 0) {
			setkey_pfkey_refusal(op, part, rc, &msg);
			snprintf(err, size, "usagi: setkey: %u:%u: %s\n", msg.line, msg.col, msg.text);
		}
	}
	setkey_prog_free(&prog);
	return rc;
}

/* setkey text applied to A directly; its error output into @err. */
static int run_a(struct fx *f, const char *text, char *err, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *e = open_memstream(&buf, &len);
	int rc = setkey_run(f->a, text, strlen(text), 0, false, NULL, stdout, e);

	fclose(e);
	snprintf(err, size, "%s", buf);
	free(buf);
	return rc;
}

static char *dump_text(void (*fn)(FILE *, struct stack *), struct stack *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, st);
	fclose(f);
	return buf;
}

static void sad_all(FILE *f, struct stack *st)
{
	setkey_dump_sad(f, st, 0);
}

/* B's SAD or SPD as `usagi setkey -D`/`-DP` prints it from the dump replies. */
static char *pfkey_dump_text(struct fx *f, uint8_t type)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct pfkey_buf b;
	struct pfkey_msg m;

	pfkey_buf_init(&b, type, SADB_SATYPE_UNSPEC, ++f->seq, 0);
	assert_int_equal(pfkey_buf_finish(&b), 0);
	cap_clear(&f->cap);
	if (pfkey_sock_input(f->s, b.data, b.len) == -ENOENT)
		fputs(type == SADB_DUMP ? "No SAD entries.\n" : "No SPD entries.\n", out);
	while (pfkey_sock_dump_more(f->s, 16))
		;
	for (unsigned i = 0; i < f->cap.n; i++) {
		assert_int_equal(pfkey_parse(f->cap.msg[i], f->cap.len[i], &m), 0);
		if (m.hdr->sadb_msg_errno)
			continue;
		assert_int_equal(type == SADB_DUMP ? setkey_pfkey_print_sa(out, &m, f->b->epoch_ns + f->b->now) :
				 setkey_pfkey_print_policy(out, &m), 0);
	}
	pfkey_buf_free(&b);
	fclose(out);
	return buf;
}

/* A and B equal, and B's PF_KEY dumps print exactly what B's SAD/SPD print. */
static void check_same(struct fx *f)
{
	char *sa_a = dump_text(sad_all, f->a), *sa_b = dump_text(sad_all, f->b);
	char *sp_a = dump_text(setkey_dump_spd, f->a), *sp_b = dump_text(setkey_dump_spd, f->b);
	char *sa_p = pfkey_dump_text(f, SADB_DUMP), *sp_p = pfkey_dump_text(f, SADB_X_SPDDUMP);

	assert_string_equal(sa_b, sa_a);
	assert_string_equal(sp_b, sp_a);
	assert_string_equal(sa_p, sa_b);
	assert_string_equal(sp_p, sp_b);
	free(sa_a), free(sa_b), free(sp_a), free(sp_b), free(sa_p), free(sp_p);
}

static void both(struct fx *f, const char *text)
{
	char ea[512], eb[512];

	assert_int_equal(run_a(f, text, ea, sizeof(ea)), 0);
	assert_int_equal(run_b(f, text, eb, sizeof(eb)), 0);
	check_same(f);
}

static const char shapes[] =
	/* transport host-to-host, IPv6 and IPv4 */
	"add 2001:db8:1::1 2001:db8:1::2 esp 0x1001 -m transport -E aes-cbc " K16 " -A hmac-sha1 " K20 ";\n"
	"add 192.0.2.2 192.0.2.1 esp 0x1002 -E aes-gcm-16 " K20 ";\n"
	"spdadd 2001:db8:1::1 2001:db8:1::2 any -P out ipsec esp/transport//require;\n"
	"spdadd 192.0.2.2 192.0.2.1 any -P in ipsec esp/transport//require;\n"
	/* tunnel gateway-to-gateway with reqid, window, lifetimes, ESN */
	"add 198.51.100.1 203.0.113.1 esp 0x2001 -m tunnel -u 101 -r 64 -E 3des-cbc " K16 "0011223344556677"
	" -A hmac-sha256 " K32 " -lh 3600 -ls 2880 -bh 100000 -bs 80000;\n"
	"add 2001:db8:a::1 2001:db8:b::1 esp 0x2002 -m tunnel -f esn -r 1024 -E aes-ctr " K20 ";\n"
	"spdadd 192.0.2.0/24 198.51.100.128/25 any -P out ipsec esp/tunnel/198.51.100.1-203.0.113.1/unique:101;\n"
	/* AH + ESP, IPComp + ESP */
	"add 2001:db8:1::1 2001:db8:1::2 ah 0x3001 -A hmac-sha1 " K20 ";\n"
	"add 2001:db8:1::1 2001:db8:1::2 ipcomp 0x4001 -C deflate;\n"
	"spdadd 2001:db8:2::/64 2001:db8:3::/64 any -P out ipsec ipcomp/transport//use esp/transport//require ah/transport//require;\n"
	/* per-port and per-type policies, priorities, NAT-T */
	"spdadd 2001:db8:1::1[22] 2001:db8:1::2[any] tcp -P in prio high + 3 ipsec esp/transport//require;\n"
	"spdadd ::/0 ::/0 icmp6 135,0 -P out prio low none;\n"
	"spdadd 192.0.2.1 192.0.2.2 icmp 8 -P out discard;\n"
	"add 192.0.2.1[4500] 192.0.2.2[4501] esp-udp 0x5001 -E aes-gcm-12 0x00112233445566778899aabbccddeeff00112233445566778899aabb;\n";

static void test_shapes_same_as_direct(void **state)
{
	struct fx *f = *state;

	both(f, shapes);
	/* The `in` policy went in with its fwd twin on B too. */
	assert_int_equal(xfrm_policy_count(f->b), 9);
	both(f, "spdupdate 192.0.2.2 192.0.2.1 any -P in prio 7 ipsec esp/transport//use;"
		"spddelete 2001:db8:1::1[22] 2001:db8:1::2[any] tcp -P in;"
		"update 2001:db8:1::1 2001:db8:1::2 esp 0x1001 -m transport -E aes-cbc " K16
		" -A hmac-sha1 " K20 " -lh 50 -ls 40;"
		"delete 2001:db8:1::1 2001:db8:1::2 ipcomp 0x4001;");
	assert_int_equal(xfrm_policy_count(f->b), 7);
	both(f, "flush esp; spdflush;");
	both(f, "flush;");
}

static void test_refusals_read_alike(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " K16 ";",          /* exists */
		"update 2001:db8::1 2001:db8::2 esp 0x1999 -E aes-cbc " K16 ";",       /* no SA */
		"delete 2001:db8::1 2001:db8::2 esp 0x1999;",
		"get 2001:db8::1 2001:db8::2 esp 0x1999;",
		"getspi 2001:db8::1 2001:db8::2 esp 0x1000;",                           /* in use */
		"spdadd 2001:db8::1 2001:db8::2 any -P out none;",                      /* exists */
		"spdadd 2001:db8::5 2001:db8::6 any -P in none;",                       /* fwd twin exists */
		"spddelete 2001:db8::9 2001:db8::2 any -P out;",
		"add 2001:db8::1 2001:db8::2 esp 0x3000 -E des-cbc 0x0101010101010101 -A hmac-sha1 " K20 ";",
	};
	char ea[512], eb[512];

	both(f, "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " K16 ";"
		"spdadd 2001:db8::1 2001:db8::2 any -P out none;"
		"spdadd 2001:db8::5 2001:db8::6 any -P fwd none;");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run_a(f, bad[i], ea, sizeof(ea)), 1);
		assert_int_not_equal(run_b(f, bad[i], eb, sizeof(eb)), 0);
		assert_string_equal(eb, ea);
	}
	/* A refused twin took its `in` back on both paths. */
	check_same(f);
}

/* The getspi reply is a larval SA; GET after UPDATE shows it mature with keys. */
static void test_getspi_update_get(void **state)
{
	struct fx *f = *state;
	struct setkey_prog prog = { 0 };
	const char *text = "getspi 2001:db8::1 2001:db8::2 esp 0x7000;"
			   "update 2001:db8::1 2001:db8::2 esp 0x7000 -E aes-cbc " K16 ";"
			   "get 2001:db8::1 2001:db8::2 esp 0x7000;";
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct pfkey_msg m;

	assert_int_equal(setkey_parse(text, strlen(text), 0, &prog), 0);
	assert_int_equal(request(f, &prog.ops[0], SETKEY_PART_MAIN, &m), 0);
	assert_int_equal(pfkey_get_spi(&m), 0x7000);
	assert_int_equal(setkey_pfkey_print_sa(out, &m, 0), 0);
	assert_int_equal(request(f, &prog.ops[1], SETKEY_PART_MAIN, &m), 0);
	assert_int_equal(request(f, &prog.ops[2], SETKEY_PART_MAIN, &m), 0);
	assert_int_equal(setkey_pfkey_print_sa(out, &m, 0), 0);
	fclose(out);
	/* Larval: its add time and the hard add-time limit it dies by (Linux and KAME show both). */
	assert_non_null(strstr(buf, "2001:db8::1 2001:db8::2 \n\tesp mode=transport spi=28672(0x00007000) "
				    "reqid=0(0x00000000)\n\tseq=0x00000000 replay=0 flags=0x00000000 "
				    "state=larval \n\tcreated: "));
	assert_non_null(strstr(buf, "\tdiff: 0(s)\thard: 30(s)\tsoft: 0(s)\n"));
	assert_non_null(strstr(buf, "\tE: aes-cbc  00112233 44556677 8899aabb ccddeeff\n"
				    "\tseq=0x00000000 replay=0 flags=0x00000000 state=mature \n"));
	free(buf);
	setkey_prog_free(&prog);
}

/* deleteall: a DUMP, then a DELETE for each SA from src to dst. */
static void test_deleteall(void **state)
{
	struct fx *f = *state;
	struct setkey_prog prog = { 0 };
	const char *text = "deleteall 2001:db8::1 2001:db8::2 esp;";
	unsigned deleted = 0;
	struct pfkey_buf b;
	struct pfkey_msg m;

	both(f, "add 2001:db8::1 2001:db8::2 esp 0x100 -E aes-cbc " K16 ";"
		"add 2001:db8::1 2001:db8::2 esp 0x101 -E aes-cbc " K16 ";"
		"add 2001:db8::3 2001:db8::2 esp 0x102 -E aes-cbc " K16 ";"
		"add 2001:db8::1 2001:db8::2 ah 0x103 -A hmac-sha1 " K20 ";");
	assert_int_equal(setkey_parse(text, strlen(text), 0, &prog), 0);
	assert_int_equal(setkey_pfkey_request(&prog.ops[0], SETKEY_PART_MAIN, ++f->seq, 0, &b), 0);
	assert_int_equal(((struct sadb_msg *)(void *)b.data)->sadb_msg_type, SADB_DUMP);
	assert_int_equal(((struct sadb_msg *)(void *)b.data)->sadb_msg_satype, SADB_SATYPE_ESP);
	cap_clear(&f->cap);
	assert_int_equal(pfkey_sock_input(f->s, b.data, b.len), 0);
	pfkey_buf_free(&b);
	while (pfkey_sock_dump_more(f->s, 16))
		;
	struct cap dumped = f->cap;
	f->cap.n = 0;
	for (unsigned i = 0; i < dumped.n; i++) {
		assert_int_equal(pfkey_parse(dumped.msg[i], dumped.len[i], &m), 0);
		if (!setkey_pfkey_deleteall_match(&prog.ops[0], &m))
			continue;
		assert_int_equal(setkey_pfkey_delete_of(&m, ++f->seq, 0, &b), 0);
		assert_int_equal(call(f, &b, &m), 0);
		pfkey_buf_free(&b);
		deleted++;
	}
	cap_clear(&dumped);
	assert_int_equal(deleted, 2);
	assert_int_equal(xfrm_state_count(f->b), 2);
	setkey_prog_free(&prog);
}

/* `setkey -x`: the header line and the body of what the node announces. */
static void test_event_view(void **state)
{
	struct fx *f = *state;
	struct pfkey_sock *d;
	struct cap ev = { .n = 0 };
	struct pfkey_buf b;
	struct pfkey_msg m;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	d = pfkey_sock_open(f->b, cap_send, &ev);
	pfkey_buf_init(&b, SADB_X_PROMISC, 1, 1, 0);
	pfkey_buf_finish(&b);
	assert_int_equal(pfkey_sock_input(d, b.data, b.len), 0);
	pfkey_buf_free(&b);
	cap_clear(&ev);
	assert_int_equal(run_b(f, "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " K16
			       " -ls 1 -lh 2;", NULL, 0), 0);
	usagi_stack_advance(f->b, 1500 * NS_PER_MS);
	for (unsigned i = 0; i < ev.n; i++) {
		assert_int_equal(pfkey_parse(ev.msg[i], ev.len[i], &m), 0);
		setkey_pfkey_print_event(out, "T", &m, f->b->now);
	}
	fclose(out);
	/* The request's copy (keys and all), the node's ADD broadcast, the soft EXPIRE. */
	assert_non_null(strstr(buf, "T SADB_ADD esp seq="));
	assert_non_null(strstr(buf, "T SADB_EXPIRE esp seq=0 pid=0 soft\n2001:db8::1 2001:db8::2 \n"
				    "\tesp mode=transport spi=4096(0x00001000)"));
	assert_non_null(strstr(buf, "state=dying \n\tcreated: Jan  1 00:00:00 1970\tcurrent: "
				    "Jan  1 00:00:01 1970\n\tdiff: 1(s)\thard: 0(s)\tsoft: 1(s)\n"));
	free(buf);
	cap_clear(&ev);
	pfkey_sock_close(d);
}

/*
 * Dates: with a wall clock (epoch) and time gone by, the node's `setkey -D`
 * and `-DP` and the PF_KEY dumps printed by `usagi setkey` show the same
 * created/lastused dates (the SPD dump carries LIFETIME_CURRENT), and a
 * policy's lifetimes (SPDADD's LIFETIME_HARD) print alike as lifetime: and
 * validtime:.
 */
static void test_dates_and_policy_lifetimes(void **state)
{
	struct fx *f = *state;
	struct xfrm_policy pol = { .dir = XFRM_DIR_OUT, .action = XFRM_ACT_BLOCK,
				   .lft = { .hard_add_s = 3600, .hard_use_s = 600, .soft_add_s = 3000 } };
	struct stack *sts[2] = { f->a, f->b };
	char *sp;

	pol.sel.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:5::", &pol.sel.src);
	inet_pton(AF_INET6, "2001:db8:6::", &pol.sel.dst);
	pol.sel.splen = pol.sel.dplen = 64;
	for (int i = 0; i < 2; i++) {
		sts[i]->epoch_ns = 1700000000ull * NS_PER_SEC;
		usagi_stack_advance(sts[i], 5 * NS_PER_SEC + 123);
	}
	both(f, "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc " K16 ";"
		"spdadd 2001:db8::1 2001:db8::2 any -P out none;");
	for (int i = 0; i < 2; i++) {
		usagi_stack_advance(sts[i], 65 * NS_PER_SEC);
		xfrm_policy_account(xfrm_policy_get(sts[i], 1 << 3 | XFRM_DIR_OUT), 10, sts[i]->now);
		assert_int_equal(xfrm_policy_add(sts[i], &pol, 0, NULL), 0);
	}
	check_same(f);
	sp = dump_text(setkey_dump_spd, f->b);
	assert_non_null(strstr(sp, "\tcreated: Nov 14 22:13:25 2023  lastused: Nov 14 22:14:25 2023\n"));
	assert_non_null(strstr(sp, "\tcreated: Nov 14 22:14:25 2023  lastused:                     \n"
				   "\tlifetime: 3600(s) validtime: 600(s)\n"));
	free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shapes_same_as_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_read_alike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getspi_update_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleteall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates_and_policy_lifetimes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
