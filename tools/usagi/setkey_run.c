/*
 * `usagi setkey -c/-f/-e`: the parsed statements sent as PF_KEY requests,
 * one at a time, each awaited before the next (so the order of a file is
 * the order of the SAD and SPD changes). A statement applies completely
 * or not at all, as with the node's own `setkey` (setkey_apply.c): an
 * `in` policy and its `fwd` twin go in together or the first is taken
 * back. The first refusal stops the run; what came before stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include "setkey_tool.h"

/* Builds part @part of @op, sends it and waits for the reply. 0 or -errno. */
static int request(struct sk_session *s, const struct setkey_op *op, enum setkey_pfkey_part part,
		   struct pfkey_msg *reply)
{
	struct pfkey_buf b;
	int rc = setkey_pfkey_request(op, part, ++s->seq, s->pid, &b);

	if (rc == 0)
		rc = sk_call(s, &b, reply);
	pfkey_buf_free(&b);          /* wipes the keys */
	return rc;
}

/* ipsec-tools' deleteall: every SA of the protocol from src to dst, found by a dump. */
struct deleteall {
	const struct setkey_op *op;
	struct pfkey_buf *del;
	size_t n, cap;
};

static int collect(struct sk_session *s, const struct pfkey_msg *m, void *ctx)
{
	struct deleteall *d = ctx;

	if (!setkey_pfkey_deleteall_match(d->op, m))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct pfkey_buf *b = realloc(d->del, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		d->del = b;
		d->cap = cap;
	}
	if (setkey_pfkey_delete_of(m, ++s->seq, s->pid, &d->del[d->n]) < 0) {
		pfkey_buf_free(&d->del[d->n]);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

static int run_deleteall(struct sk_session *s, const struct setkey_op *op)
{
	struct deleteall d = { .op = op };
	struct pfkey_msg m;
	int rc = sk_dump(s, SADB_DUMP, pfkey_proto_to_satype(op->sa.id.proto), collect, &d);

	/* The dump is read whole before the deletes: the node serves one thing at a time. */
	for (size_t i = 0; i < d.n; i++) {
		int r = rc < 0 ? rc : sk_call(s, &d.del[i], &m);

		if (r < 0 && r != -ESRCH && r != -ENOENT)
			rc = r;           /* gone meanwhile is fine */
		pfkey_buf_free(&d.del[i]);
	}
	free(d.del);
	return rc;
}

/* The `in` policy's `fwd` twin (RFC mode); a new `in` is taken back if the twin is refused. */
static int run_twin(struct sk_session *s, const struct setkey_op *op, struct setkey_msg *err)
{
	struct pfkey_msg m;
	int rc = request(s, op, SETKEY_PART_FWD_TWIN, &m);

	if (op->type == SETKEY_SPDDELETE)
		return s->io_failed ? rc : 0;   /* the twin gone already is fine */
	if (rc < 0 && !s->io_failed) {
		setkey_pfkey_refusal(op, SETKEY_PART_FWD_TWIN, rc, err);
		/* An update replaced `in` in place; only a new one can be taken back. */
		if (op->type == SETKEY_SPDADD)
			request(s, op, SETKEY_PART_UNDO, &m);
	}
	return rc;
}

static int run_op(struct sk_session *s, const struct setkey_op *op, struct setkey_msg *err)
{
	struct pfkey_msg m;
	int rc;

	switch (op->type) {
	case SETKEY_DUMP:
		return sk_print_sad(s, pfkey_proto_to_satype(op->proto)) ? -EIO : 0;
	case SETKEY_SPDDUMP:
		return sk_print_spd(s) ? -EIO : 0;
	case SETKEY_DELETEALL:
		rc = run_deleteall(s, op);
		break;
	default:
		rc = request(s, op, SETKEY_PART_MAIN, &m);
		break;
	}
	if (rc < 0) {
		if (!s->io_failed)
			setkey_pfkey_refusal(op, SETKEY_PART_MAIN, rc, err);
		return rc;
	}
	if (op->type == SETKEY_GET || op->type == SETKEY_GETSPI) {
		setkey_pfkey_print_sa(stdout, &m, sk_now());
		fflush(stdout);
	}
	return setkey_pfkey_has_twin(op) ? run_twin(s, op, err) : 0;
}

int sk_run_prog(struct sk_session *s, struct setkey_prog *prog, const char *where)
{
	for (size_t i = 0; i < prog->nops; i++) {
		struct setkey_msg err = { 0 };
		int rc = run_op(s, &prog->ops[i], &err);

		setkey_op_wipe(&prog->ops[i]);
		if (rc < 0 && s->io_failed)
			return 1;
		if (rc < 0 && (prog->ops[i].type == SETKEY_DUMP || prog->ops[i].type == SETKEY_SPDDUMP))
			return 1;    /* printed by the dump */
		if (rc < 0) {
			fprintf(stderr, "usagi: setkey: %s%s%u:%u: %s\n", where ? where : "",
				where ? ":" : "", err.line, err.col, err.text);
			return 1;
		}
	}
	return 0;
}
