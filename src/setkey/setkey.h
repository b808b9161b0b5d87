/*
 * The KAME / ipsec-tools setkey(8) language (docs/setkey.md).
 *
 * Two halves, so the same statements can reach a stack two ways:
 *   setkey_parse()  text -> a program: a sequence of operation records
 *                   (struct setkey_op), each a complete SAD or SPD request
 *                   (an xfrm_sa_cfg, an xfrm_policy, a protocol ...). Every
 *                   name, number, address and key is checked here; nothing
 *                   touches a stack. The whole text is parsed before any of
 *                   it runs: one syntax error and nothing is applied.
 *   setkey_apply()  one op -> a stack (SAD/SPD calls): the node's own
 *                   `setkey` command. `usagi setkey` sends the same ops
 *                   as PF_KEY messages instead (setkey_pfkey.h).
 * Each statement applies completely or not at all. Key bytes live in the
 * ops until setkey_op_wipe()/setkey_prog_free() wipe them; no message,
 * log line or error ever contains them.
 */
#ifndef USAGI_SETKEY_SETKEY_H
#define USAGI_SETKEY_SETKEY_H

#include <stdio.h>
#include "xfrm/xfrm.h"

struct stack;

#define SETKEY_TEXT_MAX (4u << 20)   /* bytes of text one parse accepts (a file) */
#define SETKEY_OPS_MAX 65536         /* statements one parse accepts */
#define SETKEY_NOTES_MAX 16          /* notes kept per parse (more are counted) */
#define SETKEY_MSG_MAX 192

/* ipsec-tools' policy priorities (Linux semantics: the lower value wins). */
#define SETKEY_PRIO_HIGH    0x40000000u
#define SETKEY_PRIO_DEFAULT 0x80000000u   /* a policy without `prio` */
#define SETKEY_PRIO_LOW     0xc0000000u

/* The ESN bit of the `flags=` field `setkey -D` prints (OpenBSD's SADB_X_SAFLAGS_ESN). */
#define SETKEY_SAFLAG_ESN 0x400

enum setkey_op_type {
	SETKEY_ADD, SETKEY_UPDATE, SETKEY_GETSPI, SETKEY_GET, SETKEY_DELETE, SETKEY_DELETEALL,
	SETKEY_FLUSH, SETKEY_DUMP,
	SETKEY_SPDADD, SETKEY_SPDUPDATE, SETKEY_SPDDELETE, SETKEY_SPDFLUSH, SETKEY_SPDDUMP,
	SETKEY_OP_MAX
};

/* setkey_op.flags */
#define SETKEY_F_MODE_ANY 0x01   /* `-m any` or no -m: PF_KEY mode 0 (SA made as transport) */
#define SETKEY_F_RAWCPI   0x02   /* `-C ... -R`: the CPI is used on the wire as given */
#define SETKEY_F_WITH_FWD 0x04   /* an `in` policy that also installs its `fwd` twin (RFC mode) */
#define SETKEY_F_NATT     0x08   /* esp-udp: sa.encap holds the UDP ports */

/*
 * One statement. Which fields matter depends on @type:
 *   ADD UPDATE GETSPI   sa (id, saddr, family, mode, reqid, window, flags,
 *                       algorithms with keys, lifetimes, encap)
 *   GET DELETE          sa.id, sa.saddr, sa.family
 *   DELETEALL           sa.id.daddr, sa.saddr, sa.id.proto, sa.family
 *   FLUSH DUMP          proto (0: all)
 *   SPDADD SPDUPDATE    pol (selector, dir, action, priority, templates), pol_flags
 *   SPDDELETE           pol.sel, pol.dir
 */
struct setkey_op {
	enum setkey_op_type type;
	unsigned line, col;          /* where the statement starts (1-based) */
	unsigned flags;              /* SETKEY_F_* */
	uint8_t proto;
	struct xfrm_sa_cfg sa;
	struct xfrm_policy pol;
	int pol_flags;               /* XFRM_POLICY_F_UPDATE for spdupdate */
};

/* An error or note tied to a place in the text. */
struct setkey_msg {
	unsigned line, col;
	char text[SETKEY_MSG_MAX];
};

struct setkey_prog {
	struct setkey_op *ops;
	size_t nops, cap;
	struct setkey_msg error;                  /* when setkey_parse fails */
	struct setkey_msg notes[SETKEY_NOTES_MAX];/* accepted but ignored (-f zero-pad ...) */
	size_t nnotes;                            /* may exceed SETKEY_NOTES_MAX */
};

/* setkey_parse options */
#define SETKEY_PARSE_KERNEL 0x01   /* -k: Linux kernel semantics, no fwd twin for `in` */

/*
 * Parses @len bytes of setkey text into @prog (zero it first; free it with
 * setkey_prog_free whatever the result). 0, or -EINVAL with prog->error
 * set (the first error; no ops are usable then), -E2BIG (text or
 * statement count over the limits, prog->error set), -ENOMEM.
 */
int setkey_parse(const char *text, size_t len, unsigned opts, struct setkey_prog *prog);
/* Wipes every key and frees the ops. */
void setkey_prog_free(struct setkey_prog *prog);
/* Wipes the key bytes of @op (after it was applied or sent). */
void setkey_op_wipe(struct setkey_op *op);

/*
 * Applies @op to @st. get/dump/spddump print to @out in `setkey -D`/-DP
 * form. 0, or -errno with @err->text set (line/col from @op): -EEXIST,
 * -ESRCH/-ENOENT (no such SA/policy), -EINVAL (refused; the reason when
 * known), -EAGAIN (no free SPI), -ENOMEM. Counts setkey_* counters.
 */
int setkey_apply(struct stack *st, const struct setkey_op *op, FILE *out, struct setkey_msg *err);

/*
 * Parses and applies @text, printing every error and note to @err as
 * `usagi: setkey: [WHERE:]LINE:COL: message` (@where: a file name or NULL).
 * Stops at the first statement that fails; the ones before it stay
 * applied. @dry_run: parse only (-n). Returns 0, 1 (a statement was
 * refused) or 2 (syntax error: nothing applied).
 */
int setkey_run(struct stack *st, const char *text, size_t len, unsigned opts, bool dry_run,
	       const char *where, FILE *out, FILE *err);

/* `setkey -D` / `-DP` (ipsec-tools' output format); dates are st->epoch_ns + the stack's clock. */
void setkey_print_sa(FILE *f, const struct stack *st, const struct xfrm_state *x, unsigned seq);

/*
 * What `setkey -D` shows of one SA, whether it comes from a stack's SAD
 * (setkey_print_sa fills it) or from a PF_KEY message (setkey_pfkey.c):
 * one printer for both, so both paths print the same text.
 */
struct setkey_sa_view {
	const struct xfrm_sa_cfg *c;  /* addresses, SPI, mode, reqid, algorithms, lifetimes */
	unsigned state;               /* enum xfrm_sa_state (= SADB_SASTATE_*) */
	uint64_t seq_out;             /* last output sequence number */
	unsigned replay;              /* window in packets */
	struct xfrm_lifetime_cur cur; /* bytes, packets, add/use time (ns since 1970; use 0: never) */
	uint64_t now;                 /* ns since 1970, the same clock: `current:` and `diff:` */
	unsigned sadb_seq;            /* the dump's countdown */
	uint32_t pid;                 /* sadb_msg_pid of the message (0 from the SAD) */
	bool no_lifetimes;            /* a message without a current lifetime: no time lines */
};
void setkey_print_sa_view(FILE *f, const struct setkey_sa_view *v);
/* setkey_print_policy with the message's sadb_msg_pid (PF_KEY path; the SAD path prints 0). */
void setkey_print_policy_pid(FILE *f, const struct xfrm_policy *pol, unsigned seq, uint32_t pid);
void setkey_print_policy(FILE *f, const struct stack *st, const struct xfrm_policy *pol, unsigned seq);
void setkey_dump_sad(FILE *f, struct stack *st, uint8_t proto);
void setkey_dump_spd(FILE *f, struct stack *st);

/* `ipsec sa show` / `ipsec policy show` (`ip -s xfrm state|policy` shape). */
void setkey_show_sa(FILE *f, const struct stack *st, const struct xfrm_state *x, bool keys);
void setkey_show_policy(FILE *f, const struct stack *st, const struct xfrm_policy *pol);

/*
 * Wireshark's esp_sa UAT records for every usable ESP SA of @st, one a
 * line; SAs whose algorithms Wireshark lacks become `#` comment lines
 * saying so. Returns the number of records written.
 */
unsigned setkey_write_esp_sa(FILE *f, struct stack *st);

/* Linux's name for @alg (the one `ip xfrm` prints: "cbc(aes)", "hmac(sha1)"). */
const char *setkey_linux_name(const struct crypto_alg *alg);
/* "Jan  1 00:00:05 1970" (ctime without the weekday, UTC) for @ns since 1970 into @buf (>= 21). */
const char *setkey_ctime(uint64_t ns, char *buf);
/* Upper-layer protocol name as /etc/protocols has it ("tcp", "ipv6-icmp"), NULL if none. */
const char *setkey_proto_name(uint8_t proto);

#endif
