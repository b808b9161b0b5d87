/*
 * The executor: one parsed setkey statement applied to a stack's SAD or
 * SPD, through the same calls PF_KEY (issue 5) uses. A statement applies
 * completely or not at all: an `in` policy and its `fwd` twin go in
 * together or the first is taken back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "setkey/setkey.h"
#include "core/stack.h"
#include "proto/ip4.h"

typedef int (*apply_fn)(struct stack *st, const struct setkey_op *op, FILE *out,
			struct setkey_msg *err);

static int fail(struct setkey_msg *err, const struct setkey_op *op, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct setkey_msg *err, const struct setkey_op *op, int rc, const char *fmt, ...)
{
	va_list ap;

	err->line = op->line;
	err->col = op->col;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return rc;
}

static const char *addr_str(const struct in6_addr *a, char *buf)
{
	char b4[INET_ADDRSTRLEN];

	if (in6_is_v4mapped(a))
		return strcpy(buf, inet_ntop(AF_INET, a->s6_addr + 12, b4, sizeof(b4)));
	return in6_ntop(a, buf);
}

static const char *sa_proto_name(uint8_t proto)
{
	return proto == IPPROTO_ESP ? "esp" : proto == IPPROTO_AH ? "ah" : "ipcomp";
}

/* "esp SA 2001:db8::2 spi 4096(0x00001000)" for messages. */
static const char *sa_desc(const struct setkey_op *op, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, size, "%s SA to %s spi %u(0x%08x)", sa_proto_name(op->sa.id.proto),
		 addr_str(&op->sa.id.daddr, a), op->sa.id.spi, op->sa.id.spi);
	return buf;
}

/* Why the SAD refused an SA: ask the crypto layer, which names the reason (never key bytes). */
static const char *sa_refusal(struct stack *st, const struct setkey_op *op)
{
	const struct crypto_alg *enc, *auth = NULL;
	const char *why = "the SAD refused the configuration";
	struct crypto_ctx *c = NULL;

	if (op->sa.id.proto == IPPROTO_COMP)
		return why;
	enc = crypto_alg_by_name(CRYPTO_ENC, op->sa.enc.name[0] ? op->sa.enc.name : "null");
	if (op->sa.auth.name[0])
		auth = crypto_alg_by_name(CRYPTO_AUTH, op->sa.auth.name);
	if (enc && crypto_ctx_new(&c, enc, op->sa.enc.key, op->sa.enc.key_len, auth,
				  op->sa.auth.key, op->sa.auth.key_len, &why) == -EINVAL) {
		STAT_INC(st, setkey_key_rejected);
		return why;
	}
	crypto_ctx_free(c);
	return "the SAD refused the configuration";
}

static int apply_add(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	char d[96];
	int rc = xfrm_state_add(st, &op->sa, NULL);

	if (rc == -EEXIST)
		return fail(err, op, rc, "add: the %s exists", sa_desc(op, d, sizeof(d)));
	if (rc == -EINVAL)
		return fail(err, op, rc, "add: %s refused: %s", sa_desc(op, d, sizeof(d)),
			    sa_refusal(st, op));
	return rc < 0 ? fail(err, op, rc, "add: %s", strerror(-rc)) : 0;
}

static int apply_update(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	char d[96];
	int rc = xfrm_state_update(st, &op->sa, NULL);

	if (rc == -ESRCH)
		return fail(err, op, rc, "update: no %s (add it, or getspi first)",
			    sa_desc(op, d, sizeof(d)));
	if (rc == -EINVAL)
		return fail(err, op, rc, "update: %s refused: %s", sa_desc(op, d, sizeof(d)),
			    sa_refusal(st, op));
	return rc < 0 ? fail(err, op, rc, "update: %s", strerror(-rc)) : 0;
}

static int apply_getspi(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	struct xfrm_resolved t = { .proto = op->sa.id.proto, .mode = op->sa.mode,
				   .family = op->sa.family, .inner_family = op->sa.family,
				   .saddr = op->sa.saddr, .daddr = op->sa.id.daddr,
				   .reqid = op->sa.reqid };
	uint32_t max = op->sa.id.proto == IPPROTO_COMP ? 0xffff : UINT32_MAX;
	uint32_t min = op->sa.id.spi ? op->sa.id.spi : XFRM_SPI_MIN;
	struct xfrm_state *x;
	int rc = xfrm_alloc_spi(st, &t, min, op->sa.id.spi ? op->sa.id.spi : max, 0, &x);

	if (rc == -EAGAIN)
		return fail(err, op, rc, op->sa.id.spi ? "getspi: SPI %u is in use" :
			    "getspi: no free SPI", op->sa.id.spi);
	if (rc < 0)
		return fail(err, op, rc, "getspi: %s", strerror(-rc));
	setkey_print_sa(out, st, x, 0);
	return 0;
}

static int apply_get(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	struct xfrm_state *x = xfrm_state_get(st, &op->sa.id.daddr, op->sa.id.spi, op->sa.id.proto);
	char d[96];

	if (!x)
		return fail(err, op, -ESRCH, "get: no %s", sa_desc(op, d, sizeof(d)));
	setkey_print_sa(out, st, x, 0);
	return 0;
}

static int apply_delete(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	char d[96];

	if (xfrm_state_delete_id(st, &op->sa.id.daddr, op->sa.id.spi, op->sa.id.proto) < 0)
		return fail(err, op, -ESRCH, "delete: no %s", sa_desc(op, d, sizeof(d)));
	return 0;
}

static int deleteall_one(struct stack *st, struct xfrm_state *x, void *ctx)
{
	const struct setkey_op *op = ctx;

	if (in6_equal(&x->c.id.daddr, &op->sa.id.daddr) && in6_equal(&x->c.saddr, &op->sa.saddr))
		xfrm_state_delete(st, x);
	return 0;
}

static int apply_deleteall(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	xfrm_state_foreach(st, op->sa.id.proto, deleteall_one, (void *)op);
	return 0;
}

static int apply_flush(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	xfrm_state_flush(st, op->proto);
	return 0;
}

static int apply_dump(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	setkey_dump_sad(out, st, op->proto);
	return 0;
}

static const char *const dir_names[] = { "in", "out", "fwd" };

static int spd_fail(struct setkey_msg *err, const struct setkey_op *op, int rc, const char *what)
{
	if (rc == -EEXIST)
		return fail(err, op, rc, "%s: a policy with this selector exists for direction %s "
			    "(spdupdate replaces it)", what, dir_names[op->pol.dir]);
	if (rc == -EINVAL)
		return fail(err, op, rc, "%s: the SPD refused the policy", what);
	if (rc == -ENOSPC)
		return fail(err, op, rc, "%s: the SPD is full", what);
	return fail(err, op, rc, "%s: %s", what, strerror(-rc));
}

/* spdadd/spdupdate; with SETKEY_F_WITH_FWD the `fwd` twin too, or neither. */
static int apply_spdadd(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	const char *what = op->type == SETKEY_SPDUPDATE ? "spdupdate" : "spdadd";
	struct xfrm_policy fwd;
	int rc = xfrm_policy_add(st, &op->pol, op->pol_flags, NULL);

	if (rc < 0)
		return spd_fail(err, op, rc, what);
	if (!(op->flags & SETKEY_F_WITH_FWD))
		return 0;
	fwd = op->pol;
	fwd.dir = XFRM_DIR_FWD;
	rc = xfrm_policy_add(st, &fwd, op->pol_flags, NULL);
	if (rc < 0) {
		/* An update replaced the `in` policy in place; only a new one can be taken back. */
		if (!(op->pol_flags & XFRM_POLICY_F_UPDATE))
			xfrm_policy_delete(st, &op->pol.sel, op->pol.dir);
		rc = spd_fail(err, op, rc, what);
		snprintf(err->text + strlen(err->text), sizeof(err->text) - strlen(err->text),
			 " (its fwd twin; -k installs in alone)");
	}
	return rc;
}

static int apply_spddelete(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	int rc = xfrm_policy_delete(st, &op->pol.sel, op->pol.dir);

	if (rc < 0)
		return fail(err, op, rc, "spddelete: no %s policy with this selector",
			    dir_names[op->pol.dir]);
	if (op->flags & SETKEY_F_WITH_FWD)
		xfrm_policy_delete(st, &op->pol.sel, XFRM_DIR_FWD);   /* gone already is fine */
	return 0;
}

static int apply_spdflush(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	xfrm_policy_flush(st);
	return 0;
}

static int apply_spddump(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	setkey_dump_spd(out, st);
	return 0;
}

static const apply_fn appliers[SETKEY_OP_MAX] = {
	[SETKEY_ADD] = apply_add, [SETKEY_UPDATE] = apply_update, [SETKEY_GETSPI] = apply_getspi,
	[SETKEY_GET] = apply_get, [SETKEY_DELETE] = apply_delete,
	[SETKEY_DELETEALL] = apply_deleteall, [SETKEY_FLUSH] = apply_flush,
	[SETKEY_DUMP] = apply_dump, [SETKEY_SPDADD] = apply_spdadd,
	[SETKEY_SPDUPDATE] = apply_spdadd, [SETKEY_SPDDELETE] = apply_spddelete,
	[SETKEY_SPDFLUSH] = apply_spdflush, [SETKEY_SPDDUMP] = apply_spddump,
};

int setkey_apply(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err)
{
	int rc;

	if ((unsigned)op->type >= SETKEY_OP_MAX || !appliers[op->type])
		return fail(err, op, -EINVAL, "unknown operation");
	rc = appliers[op->type](st, op, out, err);
	if (rc < 0)
		STAT_INC(st, setkey_refused);
	else
		STAT_INC(st, setkey_applied);
	return rc;
}

static void print_msg(FILE *f, const char *where, const struct setkey_msg *m, const char *kind)
{
	fprintf(f, "usagi: setkey: %s%s%u:%u: %s%s\n", where ? where : "", where ? ":" : "",
		m->line, m->col, kind, m->text);
}

int setkey_run(struct stack *st, const char *text, size_t len, unsigned opts, bool dry_run,
	       const char *where, FILE *out, FILE *err)
{
	struct setkey_prog prog = { 0 };
	struct setkey_msg msg = { 0 };
	int status = 0;
	int rc = setkey_parse(text, len, opts, &prog);

	if (rc < 0) {
		STAT_INC(st, setkey_parse_error);
		print_msg(err, where, &prog.error, "");
		setkey_prog_free(&prog);
		return 2;
	}
	for (size_t i = 0; i < MIN(prog.nnotes, (size_t)SETKEY_NOTES_MAX); i++)
		print_msg(err, where, &prog.notes[i], "note: ");
	if (prog.nnotes > SETKEY_NOTES_MAX)
		fprintf(err, "usagi: setkey: %zu more notes\n", prog.nnotes - SETKEY_NOTES_MAX);
	for (size_t i = 0; i < prog.nops && !dry_run; i++) {
		rc = setkey_apply(st, &prog.ops[i], out, &msg);
		setkey_op_wipe(&prog.ops[i]);
		if (rc < 0) {
			print_msg(err, where, &msg, "");
			status = 1;
			break;
		}
	}
	setkey_prog_free(&prog);
	return status;
}
