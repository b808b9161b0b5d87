/*
 * `usagi setkey [--control DIR] -c | -f FILE | -e TEXT... | -D | -DP | -F |
 * -FP | -x`: ipsec-tools' setkey(8), speaking PF_KEYv2 to the node on
 * DIR/pfkey (docs/setkey.md). Statements are parsed by the one setkey
 * parser (src/setkey) before anything is sent, then each becomes PF_KEY
 * requests (setkey_pfkey.c) whose replies are awaited in order; the
 * first refusal stops the run with setkey's error line. Dumps print in
 * setkey's format through the same printer as the node's `setkey -D`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "usagi.h"
#include "setkey_tool.h"

struct sk_args {
	const char *dir;
	const char *file;             /* -f (also "-" for standard input) */
	int text_at;                  /* -e: argv index of the first word, 0 none */
	bool stdin_text, dump, flush, policy, dry_run, kernel;
	struct sk_monitor_opts mon;   /* -x when mon.xlevel > 0 */
};

static int usage(void)
{
	fprintf(stderr, "usage: usagi setkey [--control DIR] -c | -f FILE | -e STATEMENTS... | "
		"-D | -DP | -F | -FP | -x [--count N] [--timeout SECONDS]\n"
		"       (-n: check the statements only; -k: no fwd twin for `in` policies)\n");
	return 1;
}

static int bad(const char *fmt, const char *arg)
{
	fputs("usagi: setkey: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return usage();
}

/* One word of single-letter flags: -D, -DP, -PD, -FP, -x, -xx, -c, -n, -k, -a, -v. */
static int letters(struct sk_args *a, const char *w)
{
	for (const char *c = w + 1; *c; c++) {
		switch (*c) {
		case 'D': a->dump = true; break;
		case 'F': a->flush = true; break;
		case 'P': a->policy = true; break;
		case 'c': a->stdin_text = true; break;
		case 'n': a->dry_run = true; break;
		case 'k': a->kernel = true; break;
		case 'x': a->mon.xlevel++; break;
		case 'a': case 'v': break;   /* no dead SAs are kept; nothing more to say */
		default:
			return bad("unknown flag -%.1s", c);
		}
	}
	return 0;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *out > max || s[0] == '-' ? -1 : 0;
}

static int parse_args(struct sk_args *a, int argc, char **argv)
{
	int i = 1;
	unsigned long v;

	memset(a, 0, sizeof(*a));
	if (argc > 2 && !strcmp(argv[1], "--control")) {
		a->dir = argv[2];
		i = 3;
	}
	for (; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "-f") || !strcmp(w, "--count") || !strcmp(w, "--timeout")) {
			if (i + 1 >= argc)
				return bad("%s needs a value", w);
			if (w[1] == 'f')
				a->file = argv[++i];
			else if (number(argv[++i], 1000000000, &v) < 0)
				return bad("bad number \"%s\"", argv[i]);
			else if (w[2] == 'c')
				a->mon.count = v;
			else
				a->mon.timeout_ms = v * 1000;
		} else if (!strcmp(w, "-e")) {
			if (i + 1 >= argc)
				return bad("%s needs statements", w);
			a->text_at = i + 1;
			break;
		} else if (w[0] == '-' && w[1] && w[1] != '-') {
			if (letters(a, w))
				return 1;
		} else {
			return bad("unexpected \"%s\"", w);
		}
	}
	return 0;
}

static int check_modes(const struct sk_args *a)
{
	int modes = a->dump + a->flush + (a->file != NULL) + (a->text_at != 0) + a->stdin_text +
		    (a->mon.xlevel > 0);

	if (a->policy && !a->dump && !a->flush)
		return bad("%s", "-P goes with -D or -F");
	if (modes != 1)
		return modes ? bad("%s", "give one of -c, -f, -e, -D, -F, -x") : usage();
	if ((a->dry_run || a->kernel) && !a->file && !a->text_at && !a->stdin_text)
		return bad("%s", "-n and -k go with -c, -f or -e");
	if ((a->mon.count || a->mon.timeout_ms) && !a->mon.xlevel)
		return bad("%s", "--count and --timeout go with -x");
	return 0;
}

/* All of @fd (a file or standard input), at most SETKEY_TEXT_MAX bytes; NULL after printing why. */
static char *read_all(int fd, const char *name, size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap), *grown;
	ssize_t n = 0;

	*len = 0;
	while (buf && (n = read(fd, buf + *len, cap - *len)) > 0) {
		*len += (size_t)n;
		if (*len > SETKEY_TEXT_MAX)
			break;
		if (*len == cap && !(grown = malloc(cap * 2))) {
			n = -1;
			errno = ENOMEM;
			break;
		} else if (*len == cap) {
			memcpy(grown, buf, *len);
			crypto_wipe(buf, *len);   /* it holds keys */
			free(buf);
			buf = grown;
			cap *= 2;
		}
	}
	if (buf && n == 0 && *len <= SETKEY_TEXT_MAX)
		return buf;
	fprintf(stderr, "usagi: setkey: cannot read %s: %s\n", name,
		!buf ? strerror(ENOMEM) : n < 0 ? strerror(errno) : "more than 4 MiB");
	if (buf)
		crypto_wipe(buf, *len);
	free(buf);
	return NULL;
}

static char *read_text(const struct sk_args *a, int argc, char **argv, size_t *len)
{
	char *text;
	int fd;

	if (a->stdin_text || (a->file && !strcmp(a->file, "-")))
		return read_all(STDIN_FILENO, "standard input", len);
	if (a->file) {
		struct stat sb;

		fd = open(a->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0 || S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "usagi: setkey: cannot read %s: %s\n", a->file,
				fd < 0 ? strerror(errno) : "a directory");
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		text = read_all(fd, a->file, len);
		close(fd);
		return text;
	}
	*len = 0;
	for (int i = a->text_at; i < argc; i++)
		*len += strlen(argv[i]) + 1;
	if (!(text = malloc(*len + 1)))
		return NULL;
	*len = 0;
	for (int i = a->text_at; i < argc; i++) {
		size_t n = strlen(argv[i]);

		memcpy(text + *len, argv[i], n);
		*len += n;
		text[(*len)++] = i + 1 < argc ? ' ' : '\n';
	}
	text[*len] = '\0';
	return text;
}

static void print_msg(const char *where, const struct setkey_msg *m, const char *kind)
{
	fprintf(stderr, "usagi: setkey: %s%s%u:%u: %s%s\n", where ? where : "", where ? ":" : "",
		m->line, m->col, kind, m->text);
}

/* Parses the statements (all of them before anything is sent), then runs them on the node. */
static int run_text(const struct sk_args *a, int argc, char **argv)
{
	struct setkey_prog prog = { 0 };
	const char *where = a->file && strcmp(a->file, "-") ? a->file : NULL;
	struct sk_session s;
	size_t len;
	char *text = read_text(a, argc, argv, &len);
	int rc;

	if (!text)
		return 1;
	rc = setkey_parse(text, len, a->kernel ? SETKEY_PARSE_KERNEL : 0, &prog);
	crypto_wipe(text, len);
	free(text);
	if (rc < 0) {
		print_msg(where, &prog.error, "");
		setkey_prog_free(&prog);
		return 1;
	}
	for (size_t i = 0; i < MIN(prog.nnotes, (size_t)SETKEY_NOTES_MAX); i++)
		print_msg(where, &prog.notes[i], "note: ");
	if (prog.nnotes > SETKEY_NOTES_MAX)
		fprintf(stderr, "usagi: setkey: %zu more notes\n", prog.nnotes - SETKEY_NOTES_MAX);
	rc = 0;
	if (!a->dry_run) {
		rc = 1;
		if (sk_open(&s, control_dir(a->dir)) == 0) {
			rc = sk_run_prog(&s, &prog, where);
			sk_close(&s);
		}
	}
	setkey_prog_free(&prog);
	return rc;
}

int setkey_main(int argc, char **argv)
{
	struct sk_args a;
	struct sk_session s;
	int rc = parse_args(&a, argc, argv);

	if (rc || (rc = check_modes(&a)))
		return rc;
	if (a.file || a.text_at || a.stdin_text)
		return run_text(&a, argc, argv);
	if (sk_open(&s, control_dir(a.dir)) < 0)
		return 1;
	if (a.dump)
		rc = a.policy ? sk_print_spd(&s) : sk_print_sad(&s, SADB_SATYPE_UNSPEC);
	else if (a.flush)
		rc = sk_flush(&s, a.policy);
	else
		rc = sk_monitor(&s, &a.mon);
	sk_close(&s);
	return rc;
}
