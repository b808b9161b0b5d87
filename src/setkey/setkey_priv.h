/*
 * Inside the setkey parser: the tokens, the lexer and the helpers the
 * statement parsers (setkey_parse.c for SAs, setkey_parse_spd.c for
 * policies) share.
 */
#ifndef USAGI_SETKEY_SETKEY_PRIV_H
#define USAGI_SETKEY_SETKEY_PRIV_H

#include "setkey/setkey.h"

enum sk_tok_type {
	SK_EOF,      /* end of the text */
	SK_WORD,     /* a run of characters other than blanks, `;`, `"` and `#` */
	SK_STRING,   /* "..." (the quotes are not part of s/len) */
	SK_SEMI,     /* ; */
};

struct sk_tok {
	enum sk_tok_type type;
	const char *s;               /* into the text; not NUL-terminated */
	size_t len;
	unsigned line, col;
};

struct sk_lexer {
	const char *text;
	size_t len, pos;
	unsigned line, col;
	struct sk_tok ahead;         /* the peeked token */
	bool has_ahead;
};

/* The parser's state while it reads one text. */
struct sk_parser {
	struct sk_lexer lx;
	struct setkey_prog *prog;
	unsigned opts;               /* SETKEY_PARSE_* */
	int fail;                    /* -E2BIG or -ENOMEM instead of -EINVAL */
};

/* Lexer (setkey_lex.c). A lexical error (unterminated string, NUL byte) is -EINVAL, reported. */
void sk_lex_init(struct sk_lexer *lx, const char *text, size_t len);
int sk_next(struct sk_parser *p, struct sk_tok *t);
int sk_peek(struct sk_parser *p, struct sk_tok *t);
bool sk_tok_is(const struct sk_tok *t, const char *word);
/* Copies the token's text (truncated) into @buf, NUL-terminated; returns @buf. */
char *sk_tok_str(const struct sk_tok *t, char *buf, size_t size);

/* Records the error at @t (line/col) and returns -EINVAL. */
int sk_error(struct sk_parser *p, const struct sk_tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records a note at @t; parsing goes on. */
void sk_note(struct sk_parser *p, const struct sk_tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reads the next token, which must be a word: -EINVAL (reported, naming @what) otherwise. */
int sk_expect_word(struct sk_parser *p, struct sk_tok *t, const char *what);
/* Reads the `;` that ends a statement. */
int sk_expect_end(struct sk_parser *p);

/* Numbers: decimal, or hex with 0x when @hex_ok. 0 or -EINVAL. */
int sk_parse_u64(const char *s, size_t len, bool hex_ok, uint64_t max, uint64_t *out);

/* An address with an optional [port] (SA endpoints): family AF_INET/AF_INET6, IPv4 mapped. */
struct sk_addr {
	struct in6_addr a;
	uint8_t family;
	uint8_t plen;                /* ranges only; full length when not given */
	bool has_port;
	uint16_t port;               /* 0 for [any] */
};
/* @range: accept ADDR/PLEN; @af: 0, AF_INET or AF_INET6 (from -4/-6). */
int sk_parse_addr(struct sk_parser *p, const struct sk_tok *t, bool range, uint8_t af,
		  struct sk_addr *out);
/* `-4`, `-6`, `-n`, `-46n` ... before the addresses; sets *@af (0 = either). */
int sk_parse_af_flags(struct sk_parser *p, uint8_t *af);

/* Appends an op (zeroed, type/line/col set); NULL with the error recorded (p->fail set). */
struct setkey_op *sk_new_op(struct sk_parser *p, enum setkey_op_type type, const struct sk_tok *at);

/* Statement parsers: called with the command word consumed; they read the `;`. */
int sk_stmt_sa(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type);
int sk_stmt_flush_dump(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type);
int sk_stmt_spd(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type);
int sk_stmt_spd_simple(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type);

#endif
