#include <stdarg.h>
#include <stdio.h>
#include "core/stack.h"

const char *log_level_name(enum log_level lvl)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	return (unsigned)lvl < ARRAY_SIZE(names) ? names[lvl] : "?";
}

void stack_log(const struct stack *st, enum log_level lvl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (lvl > st->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st->log_fn) {
		st->log_fn(st->log_ctx, st, lvl, msg);
		return;
	}
	fprintf(stderr, "[%llu.%06llu] %s %s: %s\n",
		(unsigned long long)(st->now / NS_PER_SEC),
		(unsigned long long)(st->now % NS_PER_SEC / 1000),
		st->name, log_level_name(lvl), msg);
}
