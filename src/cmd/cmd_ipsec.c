/*
 * `setkey` (the KAME/ipsec-tools language and flags, src/setkey) and
 * `ipsec sa|policy show|flush`, `ipsec esp-sa FILE` (the SAD and SPD as
 * `ip xfrm` shows them, and Wireshark's ESP SA file).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd/cmd_priv.h"
#include "setkey/setkey.h"

/* `setkey` flags as setkey(8) spells them: -D, -DP, -F, -FP, -n, -k; -f FILE; -e TEXT... */
struct setkey_args {
	bool dump, flush, policy, dry_run, kernel;
	const char *file;
	int text_at;                 /* argv index of -e's first word, 0 = none */
};

static int setkey_flags(struct cmd_env *env, int argc, char **argv, struct setkey_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "-f")) {
			if (++i >= argc)
				return cmd_missing(env, "setkey", "FILE after -f");
			a->file = argv[i];
			continue;
		}
		if (!strcmp(w, "-e")) {
			if (i + 1 >= argc)
				return cmd_missing(env, "setkey", "statements after -e");
			a->text_at = i + 1;
			break;
		}
		if (!strcmp(w, "-c"))
			return cmd_fail(env, 2, "setkey", "-c reads standard input: run it as "
					"`usagi ctl setkey -c < FILE`");
		if (w[0] != '-' || !w[1])
			return cmd_bad_arg(env, "setkey", w);
		for (const char *c = w + 1; *c; c++) {
			bool *flag = *c == 'D' ? &a->dump : *c == 'F' ? &a->flush : *c == 'P' ? &a->policy :
				     *c == 'n' ? &a->dry_run : *c == 'k' ? &a->kernel : NULL;

			if (!flag && *c != 'r' && *c != 'p' && *c != 'v')
				return cmd_fail(env, 2, "setkey", "unknown flag -%c", *c);
			if (flag)
				*flag = true;
		}
	}
	return 0;
}

/* The file's text, at most SETKEY_TEXT_MAX bytes; NULL after printing why. */
static char *read_file(struct cmd_env *env, const char *path, size_t *len)
{
	/* Regular files only, opened without blocking: a FIFO or device must not hang the node. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *why = NULL;
	char *buf = NULL;
	struct stat sb;
	ssize_t n = 0;

	*len = 0;
	if (fd < 0 || fstat(fd, &sb) < 0)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	else if (sb.st_size > SETKEY_TEXT_MAX)
		why = "file too large";
	else if (!(buf = malloc((size_t)sb.st_size + 1)))
		why = strerror(ENOMEM);
	while (buf && !why && *len < (size_t)sb.st_size &&
	       (n = read(fd, buf + *len, (size_t)sb.st_size - *len)) > 0)
		*len += (size_t)n;
	if (buf && n < 0)
		why = strerror(errno);
	if (fd >= 0)
		close(fd);
	if (why) {
		STAT_INC(env->st, setkey_file_error);
		cmd_fail(env, 1, "setkey", "cannot read %s: %s", path, why);
		free(buf);
		return NULL;
	}
	return buf;
}

static int setkey_text(struct cmd_env *env, const struct setkey_args *a, int argc, char **argv)
{
	unsigned opts = a->kernel ? SETKEY_PARSE_KERNEL : 0;
	size_t len = 0;
	char *text;
	int rc;

	if (a->file) {
		if (!(text = read_file(env, a->file, &len)))
			return 1;
	} else {
		for (int i = a->text_at; i < argc; i++)
			len += strlen(argv[i]) + 1;
		if (!(text = malloc(len + 1)))
			return cmd_errno(env, "setkey", -ENOMEM);
		len = 0;
		for (int i = a->text_at; i < argc; i++) {
			size_t n = strlen(argv[i]);

			memcpy(text + len, argv[i], n);
			len += n;
			text[len++] = i + 1 < argc ? ' ' : '\n';
		}
	}
	rc = setkey_run(env->st, text, len, opts, a->dry_run, a->file, env->out, env->err);
	crypto_wipe(text, len);
	free(text);
	return rc;
}

int cmd_setkey(struct cmd_env *env, int argc, char **argv)
{
	struct setkey_args a;
	int rc = setkey_flags(env, argc, argv, &a);
	int modes;

	if (rc)
		return rc;
	modes = a.dump + a.flush + (a.file != NULL) + (a.text_at != 0);
	if (modes != 1)
		return cmd_fail(env, 2, "setkey", modes ? "give one of -D, -F, -f FILE, -e TEXT" :
				"usage: setkey -f FILE | -e STATEMENTS... | -D | -DP | -F | -FP");
	if ((a.policy && !a.dump && !a.flush) || ((a.dump || a.flush) && (a.dry_run || a.kernel)))
		return cmd_fail(env, 2, "setkey", "-P goes with -D or -F; -n and -k with -f or -e");
	if (a.dump && a.policy)
		setkey_dump_spd(env->out, env->st);
	else if (a.dump)
		setkey_dump_sad(env->out, env->st, 0);
	else if (a.flush && a.policy)
		xfrm_policy_flush(env->st);
	else if (a.flush)
		xfrm_state_flush(env->st, 0);
	else
		return setkey_text(env, &a, argc, argv);
	return 0;
}

struct show_ctx {
	FILE *f;
	bool keys;
};

static int show_sa_one(struct stack *st, struct xfrm_state *x, void *ctx)
{
	struct show_ctx *c = ctx;

	setkey_show_sa(c->f, st, x, c->keys);
	return 0;
}

static int sa_show(struct cmd_env *env, int argc, char **argv)
{
	struct show_ctx c = { env->out, true };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "nokeys") != 0)
			return cmd_bad_arg(env, "ipsec sa show", argv[i]);
		c.keys = false;
	}
	xfrm_state_foreach(env->st, 0, show_sa_one, &c);
	return 0;
}

static int sa_flush(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, "ipsec sa flush", argv[1]);
	xfrm_state_flush(env->st, 0);
	return 0;
}

static const struct cmd_entry sa_cmds[] = {
	{ "show", sa_show },
	{ "list", sa_show },
	{ "flush", sa_flush },
};

static int ipsec_sa(struct cmd_env *env, int argc, char **argv)
{
	char *show[] = { "show", NULL };

	if (argc < 2)
		return sa_show(env, 1, show);
	if (!strcmp(argv[1], "nokeys"))
		return sa_show(env, argc, argv);
	return cmd_dispatch(env, "ipsec sa", sa_cmds, ARRAY_SIZE(sa_cmds), argc - 1, argv + 1);
}

struct pol_show_ctx {
	FILE *f;
	const struct stack *st;
};

static int show_pol_one(void *ctx, struct xfrm_policy *pol)
{
	struct pol_show_ctx *c = ctx;

	setkey_show_policy(c->f, c->st, pol);
	return 0;
}

static int policy_show(struct cmd_env *env, int argc, char **argv)
{
	struct pol_show_ctx c = { env->out, env->st };

	if (argc > 1)
		return cmd_bad_arg(env, "ipsec policy show", argv[1]);
	xfrm_policy_foreach(env->st, show_pol_one, &c);
	return 0;
}

static int policy_flush(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, "ipsec policy flush", argv[1]);
	xfrm_policy_flush(env->st);
	return 0;
}

static const struct cmd_entry policy_cmds[] = {
	{ "show", policy_show },
	{ "list", policy_show },
	{ "flush", policy_flush },
};

static int ipsec_policy(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return policy_show(env, argc, argv);
	return cmd_dispatch(env, "ipsec policy", policy_cmds, ARRAY_SIZE(policy_cmds),
			    argc - 1, argv + 1);
}

/* `ipsec esp-sa FILE`: Wireshark's esp_sa table for every ESP SA (relative to the working directory). */
static int ipsec_esp_sa(struct cmd_env *env, int argc, char **argv)
{
	struct stat sb;
	FILE *f;
	int fd;

	if (argc < 2)
		return cmd_missing(env, "ipsec esp-sa", "FILE");
	if (argc > 2)
		return cmd_bad_arg(env, "ipsec esp-sa", argv[2]);
	/* The file holds keys: readable by its owner only. */
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		fchmod(fd, 0600);            /* an older file of that name may be readable by others */
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return cmd_fail(env, 1, "ipsec esp-sa", "cannot write %s: %s", argv[1], strerror(e));
	}
	setkey_write_esp_sa(f, env->st);
	if (fclose(f) != 0)
		return cmd_fail(env, 1, "ipsec esp-sa", "cannot write %s: %s", argv[1], strerror(errno));
	return 0;
}

static const struct cmd_entry ipsec_cmds[] = {
	{ "sa", ipsec_sa },
	{ "state", ipsec_sa },
	{ "policy", ipsec_policy },
	{ "esp-sa", ipsec_esp_sa },
};

int cmd_ipsec(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_missing(env, "ipsec", "sa, policy or esp-sa");
	return cmd_dispatch(env, "ipsec", ipsec_cmds, ARRAY_SIZE(ipsec_cmds), argc - 1, argv + 1);
}
