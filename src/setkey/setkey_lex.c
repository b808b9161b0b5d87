/*
 * setkey's lexer and the small value parsers every statement shares:
 * numbers, addresses with [port], the -4/-6/-n flags, error and note
 * records with their line and column.
 *
 * Tokens: `;`, "quoted strings" (any bytes but `"`, newlines included),
 * and words (runs of anything else but blanks). `#` outside a string
 * starts a comment to the end of the line, as in ipsec-tools.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "setkey/setkey_priv.h"
#include "proto/ip4.h"

void sk_lex_init(struct sk_lexer *lx, const char *text, size_t len)
{
	*lx = (struct sk_lexer){ .text = text, .len = len, .line = 1, .col = 1 };
}

static void lex_advance(struct sk_lexer *lx)
{
	if (lx->text[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos++;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool ends_word(char c)
{
	return is_blank(c) || c == ';' || c == '"' || c == '#' || c == '\0';
}

/* Skips blanks and comments. */
static void lex_skip(struct sk_lexer *lx)
{
	while (lx->pos < lx->len) {
		char c = lx->text[lx->pos];

		if (c == '#') {
			while (lx->pos < lx->len && lx->text[lx->pos] != '\n')
				lex_advance(lx);
		} else if (is_blank(c)) {
			lex_advance(lx);
		} else {
			break;
		}
	}
}

static int lex_string(struct sk_parser *p, struct sk_tok *t)
{
	struct sk_lexer *lx = &p->lx;

	lex_advance(lx);                     /* the opening quote */
	t->s = lx->text + lx->pos;
	while (lx->pos < lx->len && lx->text[lx->pos] != '"') {
		if (lx->text[lx->pos] == '\0')
			return sk_error(p, t, "NUL byte in a quoted string");
		lex_advance(lx);
	}
	if (lx->pos >= lx->len)
		return sk_error(p, t, "unterminated quoted string");
	t->len = (size_t)(lx->text + lx->pos - t->s);
	t->type = SK_STRING;
	lex_advance(lx);                     /* the closing quote */
	return 0;
}

static int lex_token(struct sk_parser *p, struct sk_tok *t)
{
	struct sk_lexer *lx = &p->lx;
	char c;

	lex_skip(lx);
	*t = (struct sk_tok){ .type = SK_EOF, .s = lx->text + lx->pos, .line = lx->line, .col = lx->col };
	if (lx->pos >= lx->len)
		return 0;
	c = lx->text[lx->pos];
	if (c == '\0')
		return sk_error(p, t, "NUL byte in the text");
	if (c == ';') {
		t->type = SK_SEMI;
		t->len = 1;
		lex_advance(lx);
		return 0;
	}
	if (c == '"')
		return lex_string(p, t);
	while (lx->pos < lx->len && !ends_word(lx->text[lx->pos]))
		lex_advance(lx);
	t->type = SK_WORD;
	t->len = (size_t)(lx->text + lx->pos - t->s);
	return 0;
}

int sk_next(struct sk_parser *p, struct sk_tok *t)
{
	if (p->lx.has_ahead) {
		*t = p->lx.ahead;
		p->lx.has_ahead = false;
		return 0;
	}
	return lex_token(p, t);
}

int sk_peek(struct sk_parser *p, struct sk_tok *t)
{
	int rc = 0;

	if (!p->lx.has_ahead) {
		rc = lex_token(p, &p->lx.ahead);
		p->lx.has_ahead = rc == 0;
	}
	*t = p->lx.ahead;
	return rc;
}

bool sk_tok_is(const struct sk_tok *t, const char *word)
{
	return t->type == SK_WORD && strlen(word) == t->len && memcmp(t->s, word, t->len) == 0;
}

char *sk_tok_str(const struct sk_tok *t, char *buf, size_t size)
{
	size_t n = t->type == SK_EOF ? 0 : MIN(t->len, size - 1);

	if (t->type == SK_SEMI)
		n = 1;
	memcpy(buf, t->s, n);
	buf[n] = '\0';
	/* Error messages quote what the user wrote: keep them one printable line. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

static void msg_set(struct setkey_msg *m, const struct sk_tok *t, const char *fmt, va_list ap)
{
	m->line = t->line;
	m->col = t->col;
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
}

int sk_error(struct sk_parser *p, const struct sk_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_set(&p->prog->error, t, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void sk_note(struct sk_parser *p, const struct sk_tok *t, const char *fmt, ...)
{
	struct setkey_prog *prog = p->prog;
	va_list ap;

	if (prog->nnotes < SETKEY_NOTES_MAX) {
		va_start(ap, fmt);
		msg_set(&prog->notes[prog->nnotes], t, fmt, ap);
		va_end(ap);
	}
	prog->nnotes++;
}

/* What to call a token in "expected X, found Y". */
static const char *tok_desc(const struct sk_tok *t, char *buf, size_t size)
{
	char w[48];

	switch (t->type) {
	case SK_EOF:
		return "end of input";
	case SK_SEMI:
		return "\";\"";
	case SK_STRING:
		return "a quoted string";
	default:
		snprintf(buf, size, "\"%s\"", sk_tok_str(t, w, sizeof(w)));
		return buf;
	}
}

int sk_expect_word(struct sk_parser *p, struct sk_tok *t, const char *what)
{
	char buf[64];
	int rc = sk_next(p, t);

	if (rc < 0)
		return rc;
	if (t->type != SK_WORD)
		return sk_error(p, t, "expected %s, found %s", what, tok_desc(t, buf, sizeof(buf)));
	return 0;
}

int sk_expect_end(struct sk_parser *p)
{
	struct sk_tok t;
	char buf[64];
	int rc = sk_next(p, &t);

	if (rc < 0)
		return rc;
	if (t.type != SK_SEMI)
		return sk_error(p, &t, "expected \";\" at the end of the statement, found %s",
				tok_desc(&t, buf, sizeof(buf)));
	return 0;
}

int sk_parse_u64(const char *s, size_t len, bool hex_ok, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (hex_ok && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		if (v > (max - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* "[PORT]" or "[any]" at the end of an address word. */
static int parse_port(struct sk_parser *p, const struct sk_tok *t, const char *s, size_t len,
		      struct sk_addr *out)
{
	uint64_t v;

	if (len < 3 || s[len - 1] != ']')
		return sk_error(p, t, "invalid port: write [PORT] or [any] after the address");
	s++;
	len -= 2;
	out->has_port = true;
	if (len == 3 && memcmp(s, "any", 3) == 0)
		return 0;
	if (sk_parse_u64(s, len, false, 65535, &v) < 0)
		return sk_error(p, t, "invalid port \"%.*s\" (0..65535 or any; names are not looked up)",
				(int)MIN(len, 16), s);
	out->port = (uint16_t)v;
	return 0;
}

static int parse_ip(struct sk_parser *p, const struct sk_tok *t, const char *s, size_t len,
		    uint8_t af, struct sk_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	uint32_t a4;

	if (len == 0 || len >= sizeof(buf))
		return sk_error(p, t, "invalid address \"%.*s\"", (int)MIN(len, 48), s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strchr(buf, ':') && inet_pton(AF_INET6, buf, &out->a) == 1) {
		out->family = AF_INET6;
	} else if (!strchr(buf, ':') && inet_pton(AF_INET, buf, &a4) == 1) {
		out->family = AF_INET;
		ip4_to_mapped(&out->a, a4);
	} else {
		return sk_error(p, t, "invalid address \"%s\" (numeric IPv6 or IPv4 only; "
				"names are not resolved)", buf);
	}
	if (af && af != out->family)
		return sk_error(p, t, "%s is not an %s address (-%c)", buf,
				af == AF_INET ? "IPv4" : "IPv6", af == AF_INET ? '4' : '6');
	if (out->family == AF_INET6 && in6_is_v4mapped(&out->a))
		return sk_error(p, t, "%s: write IPv4 addresses in dotted form", buf);
	return 0;
}

int sk_parse_addr(struct sk_parser *p, const struct sk_tok *t, bool range, uint8_t af,
		  struct sk_addr *out)
{
	const char *s = t->s, *br = memchr(t->s, '[', t->len), *sl;
	size_t alen = br ? (size_t)(br - s) : t->len;
	uint64_t plen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (br && (rc = parse_port(p, t, br, t->len - alen, out)) < 0)
		return rc;
	sl = memchr(s, '/', alen);
	if (sl && !range)
		return sk_error(p, t, "an SA address takes no /prefix");
	if ((rc = parse_ip(p, t, s, sl ? (size_t)(sl - s) : alen, af, out)) < 0)
		return rc;
	out->plen = out->family == AF_INET ? 32 : 128;
	if (sl) {
		size_t n = alen - (size_t)(sl + 1 - s);

		if (sk_parse_u64(sl + 1, n, false, out->plen, &plen) < 0)
			return sk_error(p, t, "invalid prefix length \"%.*s\" (0..%u)",
					(int)MIN(n, 16), sl + 1, out->plen);
		out->plen = (uint8_t)plen;
	}
	return 0;
}

int sk_parse_af_flags(struct sk_parser *p, uint8_t *af)
{
	struct sk_tok t;
	char buf[32];
	int rc;

	*af = 0;
	for (;;) {
		if ((rc = sk_peek(p, &t)) < 0)
			return rc;
		if (t.type != SK_WORD || t.len < 2 || t.s[0] != '-' || !strchr("46n", t.s[1]))
			return 0;
		sk_next(p, &t);
		for (size_t i = 1; i < t.len; i++) {
			if (t.s[i] == '4')
				*af = *af == AF_INET6 ? 0xff : AF_INET;
			else if (t.s[i] == '6')
				*af = *af == AF_INET ? 0xff : AF_INET6;
			else if (t.s[i] != 'n')   /* numeric only: we never resolve names */
				return sk_error(p, &t, "unknown flag \"%s\" (-4, -6 or -n)",
						sk_tok_str(&t, buf, sizeof(buf)));
		}
		if (*af == 0xff)
			return sk_error(p, &t, "-4 and -6 exclude each other");
	}
}

struct setkey_op *sk_new_op(struct sk_parser *p, enum setkey_op_type type, const struct sk_tok *at)
{
	struct setkey_prog *prog = p->prog;
	struct setkey_op *op;

	if (prog->nops == prog->cap) {
		size_t cap = prog->cap ? prog->cap * 2 : 8;
		struct setkey_op *n;

		if (prog->nops >= SETKEY_OPS_MAX) {
			sk_error(p, at, "more than %u statements", SETKEY_OPS_MAX);
			p->fail = -E2BIG;
			return NULL;
		}
		/* Never realloc: the old block holds keys and must be wiped, not abandoned. */
		n = calloc(cap, sizeof(*n));
		if (!n) {
			sk_error(p, at, "out of memory");
			p->fail = -ENOMEM;
			return NULL;
		}
		if (prog->ops) {
			memcpy(n, prog->ops, prog->nops * sizeof(*n));
			crypto_wipe(prog->ops, prog->cap * sizeof(*n));
			free(prog->ops);
		}
		prog->ops = n;
		prog->cap = cap;
	}
	op = &prog->ops[prog->nops++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->line = at->line;
	op->col = at->col;
	return op;
}
