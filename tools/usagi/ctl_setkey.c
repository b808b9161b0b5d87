/*
 * `usagi ctl [--control DIR] setkey -c`: setkey(8)'s -c. Reads setkey text
 * from standard input and sends each complete statement (up to its `;`) to
 * the node as `setkey -e STATEMENT`, one control connection per statement,
 * printing the node's replies. Comments are dropped and newlines folded to
 * spaces; "quoted" keys are sent as 0x hex, so their bytes survive the
 * node's word splitting (blanks, `#`). Stops at the first statement the
 * node refuses and names its line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "usagi.h"
#include "setkey/setkey.h"

#define PREFIX "setkey -e "

struct stmt {
	char buf[CTL_LINE_MAX + 1];
	size_t len;
	unsigned line;               /* where the statement starts, 0 = nothing yet */
	bool too_long;
};

static void put(struct stmt *s, const char *b, size_t n)
{
	if (s->len + n + 1 > CTL_LINE_MAX) {   /* room for the '\n' */
		s->too_long = true;
		return;
	}
	memcpy(s->buf + s->len, b, n);
	s->len += n;
}

static void put_blank(struct stmt *s)
{
	if (s->line && s->buf[s->len - 1] != ' ')
		put(s, " ", 1);
}

static void put_char(struct stmt *s, char c, unsigned line)
{
	if (!s->line) {
		s->line = line;
		s->len = strlen(PREFIX);
		memcpy(s->buf, PREFIX, s->len);
	}
	put(s, &c, 1);
}

/* A quoted string from @p (after the quote) as " 0xHEX "; returns the bytes used, 0 if unterminated. */
static size_t put_string(struct stmt *s, const char *p, const char *end, unsigned line)
{
	const char *q = memchr(p, '"', (size_t)(end - p));
	char hex[3];

	if (!q)
		return 0;
	put_blank(s);
	put_char(s, '0', line);
	put(s, "x", 1);
	for (const char *c = p; c < q; c++) {
		snprintf(hex, sizeof(hex), "%02x", (unsigned char)*c);
		put(s, hex, 2);
	}
	put(s, " ", 1);
	return (size_t)(q - p) + 1;
}

static int send_stmt(const char *dir, struct stmt *s)
{
	int rc;

	if (s->too_long) {
		fprintf(stderr, "usagi: setkey: line %u: statement longer than the %d-byte command "
			"line limit\n", s->line, CTL_LINE_MAX - 1);
		return 1;
	}
	s->buf[s->len++] = '\n';
	rc = ctl_send_line(dir, s->buf, s->len);
	crypto_wipe(s->buf, s->len);
	if (rc != 0)
		fprintf(stderr, "usagi: setkey: line %u: statement refused (the statements before "
			"it stay applied)\n", s->line);
	s->len = 0;
	s->line = 0;
	return rc;
}

static char *read_stdin(size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		size_t n = fread(buf + *len, 1, cap - *len, stdin);

		*len += n;
		if (n == 0 || *len > SETKEY_TEXT_MAX)
			break;
		if (*len == cap) {
			char *b = malloc(cap * 2);

			if (b)
				memcpy(b, buf, *len);
			crypto_wipe(buf, *len);
			free(buf);
			buf = b;
			cap *= 2;
		}
	}
	if (!buf || ferror(stdin) || *len > SETKEY_TEXT_MAX) {
		fprintf(stderr, "usagi: setkey: cannot read standard input%s\n",
			*len > SETKEY_TEXT_MAX ? ": more than 4 MiB" : "");
		if (buf)
			crypto_wipe(buf, *len);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Walks the text, sending each statement as its `;` is reached. */
static int run_text(const char *dir, const char *text, size_t len, struct stmt *s)
{
	const char *p = text, *end = text + len;
	unsigned line = 1;
	int rc;

	while (p < end) {
		char c = *p++;

		if (c == '\n')
			line++;
		if (c == '#') {
			while (p < end && *p != '\n')
				p++;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			put_blank(s);
		} else if (c == '"') {
			size_t used = put_string(s, p, end, line);

			if (!used) {
				fprintf(stderr, "usagi: setkey: line %u: unterminated quoted string\n", line);
				return 2;
			}
			for (const char *q = p; q < p + used; q++)
				line += *q == '\n';
			p += used;
		} else {
			put_char(s, c, line);
			if (c == ';' && (rc = send_stmt(dir, s)) != 0)
				return rc;
		}
	}
	if (s->line) {
		fprintf(stderr, "usagi: setkey: line %u: missing \";\" at the end of the statement\n",
			s->line);
		return 2;
	}
	return 0;
}

int ctl_setkey_stdin(const char *dir)
{
	struct stmt *s = calloc(1, sizeof(*s));
	size_t len;
	char *text = read_stdin(&len);
	int rc;

	if (!text || !s) {
		free(text);
		free(s);
		return 1;
	}
	rc = run_text(dir, text, len, s);
	crypto_wipe(text, len);
	crypto_wipe(s, sizeof(*s));
	free(text);
	free(s);
	return rc;
}
