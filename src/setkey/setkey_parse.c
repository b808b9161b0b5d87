/*
 * setkey statements for the SAD: add, update, getspi, get, delete,
 * deleteall, flush, dump; and the top of the parser.
 *
 *   add [-46n] src dst protocol spi [extensions] algorithm... ;
 *
 * Extensions and algorithms may come in any order (ipsec-tools wants the
 * extensions first; accepting both costs nothing). Names go through the
 * algorithm table (setkey names and Linux aliases); the SA records the
 * setkey name, so dumps print one spelling.
 */
#include <stdlib.h>
#include "setkey/setkey_priv.h"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2      /* RFC 3948 (Linux's value, as PF_KEY carries it) */
#endif
#define NATT_PORT 4500            /* RFC 3948 2.1 */

/* What one SA statement has seen so far (duplicates and combinations). */
struct sa_seen {
	const struct sk_tok *cmd;
	struct sk_tok enc, auth, comp;   /* type SK_EOF: not given */
	bool mode, replay, reqid;
	bool natt;
	struct sk_addr src, dst;
};

static int parse_protocol(struct sk_parser *p, const struct sk_tok *t, uint8_t *proto, bool *natt)
{
	char buf[24];

	*natt = false;
	if (sk_tok_is(t, "esp")) {
		*proto = IPPROTO_ESP;
	} else if (sk_tok_is(t, "esp-udp")) {
		*proto = IPPROTO_ESP;
		*natt = true;
	} else if (sk_tok_is(t, "ah")) {
		*proto = IPPROTO_AH;
	} else if (sk_tok_is(t, "ipcomp")) {
		*proto = IPPROTO_COMP;
	} else if (sk_tok_is(t, "esp-old") || sk_tok_is(t, "ah-old")) {
		return sk_error(p, t, "%s (RFC 1826/1827 transforms) is not supported",
				sk_tok_str(t, buf, sizeof(buf)));
	} else if (sk_tok_is(t, "tcp")) {
		return sk_error(p, t, "tcp (TCP-MD5 signatures) is not supported");
	} else {
		return sk_error(p, t, "unknown protocol \"%s\" (esp, esp-udp, ah or ipcomp)",
				sk_tok_str(t, buf, sizeof(buf)));
	}
	return 0;
}

static int parse_spi(struct sk_parser *p, const struct sk_tok *t, enum setkey_op_type type,
		     uint8_t proto, uint32_t *spi)
{
	uint64_t v;
	char buf[24];

	if (sk_parse_u64(t->s, t->len, true, UINT32_MAX, &v) < 0)
		return sk_error(p, t, "invalid SPI \"%s\" (decimal, or hex with 0x)",
				sk_tok_str(t, buf, sizeof(buf)));
	if (v == 0 && type == SETKEY_GETSPI)
		;                                /* the stack picks one */
	else if (proto == IPPROTO_COMP && (v == 0 || v > 0xffff))
		return sk_error(p, t, "invalid CPI %llu: IPComp takes 1..65535",
				(unsigned long long)v);
	else if (proto != IPPROTO_COMP && v < XFRM_SPI_MIN)
		return sk_error(p, t, "invalid SPI %llu: 0..255 are reserved (RFC 4303 2.1)",
				(unsigned long long)v);
	*spi = (uint32_t)v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A key: "string" or 0xHEX. The bytes go straight into @a (never printed). */
static int parse_key(struct sk_parser *p, const struct sk_tok *t, const char *opt,
		     struct xfrm_algo *a)
{
	if (t->type == SK_STRING) {
		if (t->len > sizeof(a->key))
			return sk_error(p, t, "%s: key longer than %zu bytes", opt, sizeof(a->key));
		memcpy(a->key, t->s, t->len);
		a->key_len = (uint16_t)t->len;
		return 0;
	}
	if (t->len % 2)
		return sk_error(p, t, "%s: odd number of hex digits in the key", opt);
	if ((t->len - 2) / 2 > sizeof(a->key))
		return sk_error(p, t, "%s: key longer than %zu bytes", opt, sizeof(a->key));
	for (size_t i = 2; i < t->len; i += 2) {
		int hi = hex_digit(t->s[i]), lo = hex_digit(t->s[i + 1]);

		if (hi < 0 || lo < 0)
			return sk_error(p, t, "%s: the key has a character that is not a hex digit", opt);
		a->key[a->key_len++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool looks_like_key(const struct sk_tok *t)
{
	return t->type == SK_STRING ||
	       (t->type == SK_WORD && t->len >= 2 && t->s[0] == '0' && (t->s[1] == 'x' || t->s[1] == 'X'));
}

static const char *const kind_names[] = {
	[CRYPTO_ENC] = "encryption", [CRYPTO_AUTH] = "authentication",
	[CRYPTO_COMP] = "compression",
};

/* -E/-A/-C ALGO [KEY]: the key is optional only for algorithms that take none (null, deflate). */
static int parse_alg(struct sk_parser *p, const struct sk_tok *opt, enum crypto_kind kind,
		     struct sk_tok *seen, struct xfrm_algo *a)
{
	const struct crypto_alg *alg;
	const char *why = NULL;
	char name[40], o[4];
	struct sk_tok t, k;
	int rc;

	sk_tok_str(opt, o, sizeof(o));
	if (seen->type != SK_EOF)
		return sk_error(p, opt, "%s given twice", o);
	*seen = *opt;
	if ((rc = sk_expect_word(p, &t, "an algorithm name")) < 0)
		return rc;
	sk_tok_str(&t, name, sizeof(name));
	if (!(alg = crypto_alg_by_name(kind, name)) || t.len >= sizeof(name))
		return sk_error(p, &t, "unknown %s algorithm \"%s\"", kind_names[kind], name);
	snprintf(a->name, sizeof(a->name), "%s", alg->name);
	if ((rc = sk_peek(p, &k)) < 0)
		return rc;
	if (kind == CRYPTO_COMP) {
		if (looks_like_key(&k))
			return sk_error(p, &k, "-C %s takes no key", name);
		return 0;
	}
	if (looks_like_key(&k)) {
		sk_next(p, &k);
		if ((rc = parse_key(p, &k, o, a)) < 0)
			return rc;
	} else if (alg->key_max_bits) {
		return sk_error(p, &k, "%s %s: missing key (0xHEX or \"string\")", o, name);
	}
	if (crypto_alg_check_key(alg, a->key_len, &why) < 0)
		return sk_error(p, looks_like_key(&k) ? &k : &t, "%s %s: bad key (%u bits): %s",
				o, name, a->key_len * 8u, why);
	return 0;
}

static int parse_u64_arg(struct sk_parser *p, const struct sk_tok *opt, uint64_t max,
			 const char *what, uint64_t *out)
{
	struct sk_tok t;
	char o[8], buf[24];
	int rc;

	sk_tok_str(opt, o, sizeof(o));
	if ((rc = sk_expect_word(p, &t, what)) < 0)
		return rc;
	if (sk_parse_u64(t.s, t.len, false, max, out) < 0)
		return sk_error(p, &t, "%s: invalid %s \"%s\" (0..%llu)", o, what,
				sk_tok_str(&t, buf, sizeof(buf)), (unsigned long long)max);
	return 0;
}

static int opt_mode(struct sk_parser *p, struct setkey_op *op, struct sa_seen *s, const struct sk_tok *opt)
{
	struct sk_tok t;
	char buf[24];
	int rc;

	if (s->mode)
		return sk_error(p, opt, "-m given twice");
	s->mode = true;
	if ((rc = sk_expect_word(p, &t, "a mode")) < 0)
		return rc;
	op->flags &= ~SETKEY_F_MODE_ANY;
	if (sk_tok_is(&t, "transport"))
		op->sa.mode = XFRM_MODE_TRANSPORT;
	else if (sk_tok_is(&t, "tunnel"))
		op->sa.mode = XFRM_MODE_TUNNEL;
	else if (sk_tok_is(&t, "any"))
		op->flags |= SETKEY_F_MODE_ANY;   /* as Linux: an SA of mode any is transport */
	else
		return sk_error(p, &t, "-m: unknown mode \"%s\" (transport, tunnel or any)",
				sk_tok_str(&t, buf, sizeof(buf)));
	return 0;
}

/* -f: ESP padding and sequence-number options. */
static int opt_flag(struct sk_parser *p, struct setkey_op *op, const struct sk_tok *opt)
{
	struct sk_tok t;
	char buf[24];
	int rc;

	if ((rc = sk_expect_word(p, &t, "a -f option")) < 0)
		return rc;
	if (sk_tok_is(&t, "esn"))
		op->sa.flags |= XFRM_SA_F_ESN;
	else if (sk_tok_is(&t, "zero-pad") || sk_tok_is(&t, "random-pad"))
		sk_note(p, &t, "-f %s ignored: ESP padding is always 1, 2, 3, ... (RFC 4303 2.4)",
			sk_tok_str(&t, buf, sizeof(buf)));
	else if (sk_tok_is(&t, "seq-pad") || sk_tok_is(&t, "nocyclic-seq"))
		;   /* what usagi always does: monotonic padding, sequence numbers never wrap */
	else if (sk_tok_is(&t, "cyclic-seq"))
		return sk_error(p, &t, "-f cyclic-seq: sequence numbers never wrap (RFC 4303 3.3.3)");
	else
		return sk_error(p, &t, "-f: unknown option \"%s\" (esn, zero-pad, random-pad, "
				"seq-pad or nocyclic-seq)", sk_tok_str(&t, buf, sizeof(buf)));
	return 0;
}

/* Lifetimes: -lh/-ls seconds since the SA was added, -bh/-bs bytes. */
static int opt_lifetime(struct sk_parser *p, struct setkey_op *op, const struct sk_tok *opt)
{
	struct xfrm_lifetime *l = &op->sa.lft;
	bool secs = opt->s[1] == 'l', hard = opt->s[2] == 'h';
	uint64_t v;
	int rc = parse_u64_arg(p, opt, secs ? UINT32_MAX : UINT64_MAX, secs ? "seconds" : "bytes", &v);

	if (rc < 0)
		return rc;
	if (secs)
		*(hard ? &l->hard_add_s : &l->soft_add_s) = v;
	else
		*(hard ? &l->hard_bytes : &l->soft_bytes) = v;
	return 0;
}

/* One option word of add/update/getspi; @algs: algorithms allowed. */
static int sa_option(struct sk_parser *p, struct setkey_op *op, struct sa_seen *s,
		     const struct sk_tok *o, bool algs)
{
	uint64_t v;
	char buf[24];
	int rc;

	if (sk_tok_is(o, "-m"))
		return opt_mode(p, op, s, o);
	if (sk_tok_is(o, "-r")) {
		if ((rc = parse_u64_arg(p, o, XFRM_REPLAY_MAX, "replay window (packets)", &v)) < 0)
			return rc;
		op->sa.replay_window = (uint16_t)v;
		s->replay = true;
		return 0;
	}
	if (sk_tok_is(o, "-u")) {
		if ((rc = parse_u64_arg(p, o, UINT32_MAX, "reqid", &v)) < 0)
			return rc;
		op->sa.reqid = (uint32_t)v;
		return 0;
	}
	if (sk_tok_is(o, "-f"))
		return opt_flag(p, op, o);
	if (sk_tok_is(o, "-esn")) {
		op->sa.flags |= XFRM_SA_F_ESN;
		return 0;
	}
	if (sk_tok_is(o, "-lh") || sk_tok_is(o, "-ls") || sk_tok_is(o, "-bh") || sk_tok_is(o, "-bs"))
		return opt_lifetime(p, op, o);
	if (sk_tok_is(o, "-ctx"))
		return sk_error(p, o, "-ctx: security contexts (SELinux labels) are not supported");
	if (algs && sk_tok_is(o, "-E"))
		return parse_alg(p, o, CRYPTO_ENC, &s->enc, &op->sa.enc);
	if (algs && sk_tok_is(o, "-A"))
		return parse_alg(p, o, CRYPTO_AUTH, &s->auth, &op->sa.auth);
	if (algs && sk_tok_is(o, "-C"))
		return parse_alg(p, o, CRYPTO_COMP, &s->comp, &op->sa.comp);
	if (algs && sk_tok_is(o, "-R")) {
		op->flags |= SETKEY_F_RAWCPI;
		return 0;
	}
	return sk_error(p, o, "unexpected \"%s\"", sk_tok_str(o, buf, sizeof(buf)));
}

static int check_esp_algs(struct sk_parser *p, struct setkey_op *op, struct sa_seen *s)
{
	const struct crypto_alg *enc;

	if (s->comp.type != SK_EOF)
		return sk_error(p, &s->comp, "-C is for ipcomp; esp takes -E [-A]");
	if (s->enc.type == SK_EOF)
		return sk_error(p, s->cmd, "esp needs -E (-E null with -A for integrity only)");
	enc = crypto_alg_by_name(CRYPTO_ENC, op->sa.enc.name);
	if (enc->kind == CRYPTO_AEAD && s->auth.type != SK_EOF)
		return sk_error(p, &s->auth, "%s is a combined-mode (AEAD) algorithm: it takes no -A",
				enc->name);
	if (enc->impl == CRYPTO_IMPL_NULL_ENC &&
	    (s->auth.type == SK_EOF || !strcmp(op->sa.auth.name, "null")))
		return sk_error(p, &s->enc, "esp with -E null needs a real -A "
				"(neither confidentiality nor integrity, RFC 4303 3.2)");
	return 0;
}

/* The algorithms and options each protocol takes (add, update). */
static int check_algs(struct sk_parser *p, struct setkey_op *op, struct sa_seen *s)
{
	if (op->sa.id.proto == IPPROTO_ESP)
		return check_esp_algs(p, op, s);
	if (op->sa.id.proto == IPPROTO_AH) {
		if (s->enc.type != SK_EOF || s->comp.type != SK_EOF)
			return sk_error(p, s->enc.type != SK_EOF ? &s->enc : &s->comp,
					"ah takes only -A");
		if (s->auth.type == SK_EOF || !strcmp(op->sa.auth.name, "null"))
			return sk_error(p, s->auth.type == SK_EOF ? s->cmd : &s->auth,
					"ah needs -A with an integrity algorithm");
		return 0;
	}
	if (s->enc.type != SK_EOF || s->auth.type != SK_EOF)
		return sk_error(p, s->enc.type != SK_EOF ? &s->enc : &s->auth, "ipcomp takes only -C");
	if (s->comp.type == SK_EOF)
		return sk_error(p, s->cmd, "ipcomp needs -C (-C deflate)");
	if (op->sa.flags & XFRM_SA_F_ESN)
		return sk_error(p, s->cmd, "ipcomp has no sequence numbers: -f esn does not apply");
	if (s->replay && op->sa.replay_window)
		return sk_error(p, s->cmd, "ipcomp has no sequence numbers: -r does not apply");
	return 0;
}

/* Options up to the `;`; @algs: add/update (algorithms) or getspi/get/delete (extensions only). */
static int sa_options(struct sk_parser *p, struct setkey_op *op, struct sa_seen *s, bool algs)
{
	struct sk_tok t;
	int rc;

	for (;;) {
		if ((rc = sk_next(p, &t)) < 0)
			return rc;
		if (t.type == SK_SEMI)
			return 0;
		if (t.type != SK_WORD || t.s[0] != '-') {
			char buf[40];

			if (t.type == SK_EOF)
				return sk_error(p, &t, "expected \";\" at the end of the statement, "
						"found end of input");
			return sk_error(p, &t, "unexpected %s", t.type == SK_STRING ? "quoted string" :
					sk_tok_str(&t, buf, sizeof(buf)));
		}
		if ((rc = sa_option(p, op, s, &t, algs)) < 0)
			return rc;
	}
}

/* src dst proto [spi]: into op->sa.{saddr,id,family} and the NAT-T ports. */
static int sa_ids(struct sk_parser *p, struct setkey_op *op, struct sa_seen *s)
{
	struct sk_tok t;
	uint8_t af;
	int rc;

	if ((rc = sk_parse_af_flags(p, &af)) < 0 ||
	    (rc = sk_expect_word(p, &t, "a source address")) < 0 ||
	    (rc = sk_parse_addr(p, &t, false, af, &s->src)) < 0 ||
	    (rc = sk_expect_word(p, &t, "a destination address")) < 0 ||
	    (rc = sk_parse_addr(p, &t, false, af, &s->dst)) < 0)
		return rc;
	if (s->src.family != s->dst.family)
		return sk_error(p, &t, "source and destination are of different families");
	if (in6_is_unspec(&s->dst.a) || in6_is_multicast(&s->dst.a))
		return sk_error(p, &t, "the destination must be a unicast address");
	op->sa.saddr = s->src.a;
	op->sa.id.daddr = s->dst.a;
	op->sa.family = s->src.family;
	if ((rc = sk_expect_word(p, &t, "a protocol")) < 0 ||
	    (rc = parse_protocol(p, &t, &op->sa.id.proto, &s->natt)) < 0)
		return rc;
	if ((s->src.has_port || s->dst.has_port) && !s->natt)
		return sk_error(p, &t, "[port] on SA addresses is for esp-udp (NAT-T) only");
	if (s->natt) {
		op->flags |= SETKEY_F_NATT;
		op->sa.encap.type = UDP_ENCAP_ESPINUDP;
		op->sa.encap.sport = s->src.has_port && s->src.port ? s->src.port : NATT_PORT;
		op->sa.encap.dport = s->dst.has_port && s->dst.port ? s->dst.port : NATT_PORT;
	}
	if (op->type == SETKEY_DELETEALL)
		return 0;
	if ((rc = sk_expect_word(p, &t, "an SPI")) < 0)
		return rc;
	return parse_spi(p, &t, op->type, op->sa.id.proto, &op->sa.id.spi);
}

int sk_stmt_sa(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type)
{
	struct setkey_op *op = sk_new_op(p, type, cmd);
	struct sa_seen s = { .cmd = cmd };
	bool algs = type == SETKEY_ADD || type == SETKEY_UPDATE;
	int rc;

	if (!op)
		return -EINVAL;
	op->flags = SETKEY_F_MODE_ANY;
	op->sa.mode = XFRM_MODE_TRANSPORT;
	if ((rc = sa_ids(p, op, &s)) < 0)
		return rc;
	if (type == SETKEY_DELETEALL)
		return sk_expect_end(p);
	if ((rc = sa_options(p, op, &s, algs)) < 0)
		return rc;
	if (!algs && type != SETKEY_GETSPI && (s.mode || s.replay || op->sa.reqid || op->sa.flags ||
					       op->sa.lft.hard_add_s || op->sa.lft.soft_add_s ||
					       op->sa.lft.hard_bytes || op->sa.lft.soft_bytes))
		sk_note(p, cmd, "extensions are ignored by get and delete");
	return algs ? check_algs(p, op, &s) : 0;
}

static int parse_sa_proto(struct sk_parser *p, const struct sk_tok *t, uint8_t *proto)
{
	bool natt;

	if (sk_tok_is(t, "any")) {
		*proto = 0;
		return 0;
	}
	return parse_protocol(p, t, proto, &natt);
}

int sk_stmt_flush_dump(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type)
{
	struct setkey_op *op = sk_new_op(p, type, cmd);
	struct sk_tok t;
	int rc;

	if (!op)
		return -EINVAL;
	if ((rc = sk_peek(p, &t)) < 0)
		return rc;
	if (t.type == SK_WORD) {
		sk_next(p, &t);
		if ((rc = parse_sa_proto(p, &t, &op->proto)) < 0)
			return rc;
	}
	return sk_expect_end(p);
}

static const struct {
	const char *word;
	enum setkey_op_type type;
	int (*fn)(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type);
} statements[] = {
	{ "add", SETKEY_ADD, sk_stmt_sa },
	{ "update", SETKEY_UPDATE, sk_stmt_sa },
	{ "getspi", SETKEY_GETSPI, sk_stmt_sa },
	{ "get", SETKEY_GET, sk_stmt_sa },
	{ "delete", SETKEY_DELETE, sk_stmt_sa },
	{ "deleteall", SETKEY_DELETEALL, sk_stmt_sa },
	{ "flush", SETKEY_FLUSH, sk_stmt_flush_dump },
	{ "dump", SETKEY_DUMP, sk_stmt_flush_dump },
	{ "spdadd", SETKEY_SPDADD, sk_stmt_spd },
	{ "spdupdate", SETKEY_SPDUPDATE, sk_stmt_spd },
	{ "spddelete", SETKEY_SPDDELETE, sk_stmt_spd },
	{ "spdflush", SETKEY_SPDFLUSH, sk_stmt_spd_simple },
	{ "spddump", SETKEY_SPDDUMP, sk_stmt_spd_simple },
};

static int statement(struct sk_parser *p, const struct sk_tok *t)
{
	char buf[32];

	if (t->type == SK_STRING)
		return sk_error(p, t, "expected a command, found a quoted string");
	for (size_t i = 0; i < ARRAY_SIZE(statements); i++)
		if (sk_tok_is(t, statements[i].word))
			return statements[i].fn(p, t, statements[i].type);
	return sk_error(p, t, "unknown command \"%s\"", sk_tok_str(t, buf, sizeof(buf)));
}

int setkey_parse(const char *text, size_t len, unsigned opts, struct setkey_prog *prog)
{
	struct sk_parser p = { .prog = prog, .opts = opts };
	struct sk_tok t;
	int rc = 0;

	sk_lex_init(&p.lx, text, len);
	if (len > SETKEY_TEXT_MAX) {
		t = (struct sk_tok){ .line = 1, .col = 1 };
		sk_error(&p, &t, "text longer than %u bytes", SETKEY_TEXT_MAX);
		return -E2BIG;
	}
	for (;;) {
		if ((rc = sk_next(&p, &t)) < 0 || t.type == SK_EOF)
			break;
		if (t.type == SK_SEMI)
			continue;                /* an empty statement */
		if ((rc = statement(&p, &t)) < 0)
			break;
	}
	if (rc < 0) {
		/* Nothing of a text with an error may run: drop (and wipe) what was parsed. */
		crypto_wipe(prog->ops, prog->cap * sizeof(*prog->ops));
		prog->nops = 0;
		return p.fail ? p.fail : rc;
	}
	return 0;
}

void setkey_op_wipe(struct setkey_op *op)
{
	crypto_wipe(&op->sa.enc, sizeof(op->sa.enc));
	crypto_wipe(&op->sa.auth, sizeof(op->sa.auth));
}

void setkey_prog_free(struct setkey_prog *prog)
{
	if (prog->ops)
		crypto_wipe(prog->ops, prog->cap * sizeof(*prog->ops));
	free(prog->ops);
	prog->ops = NULL;
	prog->nops = prog->cap = 0;
}
