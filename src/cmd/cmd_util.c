/* Argument parsers and error printers shared by every command. */
#include <stdarg.h>
#include "cmd/cmd_priv.h"

int cmd_fail(struct cmd_env *env, int rc, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(env->err, "usagi: %s: ", what);
	va_start(ap, fmt);
	vfprintf(env->err, fmt, ap);
	va_end(ap);
	fputc('\n', env->err);
	return rc;
}

int cmd_bad_arg(struct cmd_env *env, const char *what, const char *arg)
{
	return cmd_fail(env, 2, what, "unexpected argument \"%s\"", arg);
}

int cmd_missing(struct cmd_env *env, const char *what, const char *arg)
{
	return cmd_fail(env, 2, what, "missing %s", arg);
}

int cmd_errno(struct cmd_env *env, const char *what, int err)
{
	return cmd_fail(env, 1, what, "%s", strerror(err < 0 ? -err : err));
}

int cmd_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s || strlen(s) > 19)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cmd_parse_lft(const char *s, uint32_t *out)
{
	unsigned long v;

	if (strcmp(s, "forever") == 0 || strcmp(s, "infinite") == 0) {
		*out = UINT32_MAX;
		return 0;
	}
	if (cmd_parse_ulong(s, 0, UINT32_MAX - 1, &v) < 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int cmd_parse_seconds_ns(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, scale = NS_PER_SEC;
	const char *p = s;

	if (!*p || *p == '.')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 86400)
			return -EINVAL;
	}
	if (*p == '.') {
		if (!*++p)
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1)
				return -EINVAL;
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p)
		return -EINVAL;
	*out = whole * NS_PER_SEC + frac;
	return *out > 86400 * NS_PER_SEC ? -EINVAL : 0;
}

int cmd_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

struct netdev *cmd_dev(struct cmd_env *env, const char *what, const char *name)
{
	struct netdev *dev = netdev_by_name(env->st, name);

	if (!dev)
		cmd_fail(env, 1, what, "no such device \"%s\"", name);
	return dev;
}
