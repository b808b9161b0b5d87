/* Leveled logging, per stack: a sink callback and a level; default sink is stderr. */
#ifndef USAGI_CORE_LOG_H
#define USAGI_CORE_LOG_H

struct stack;

enum log_level { ULOG_ERR, ULOG_WARN, ULOG_INFO, ULOG_DEBUG };

typedef void (*log_sink)(void *ctx, const struct stack *st, int lvl, const char *msg);

void stack_log(const struct stack *st, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *log_level_name(enum log_level lvl);

#define log_err(st, ...) stack_log(st, ULOG_ERR, __VA_ARGS__)
#define log_warn(st, ...) stack_log(st, ULOG_WARN, __VA_ARGS__)
#define log_info(st, ...) stack_log(st, ULOG_INFO, __VA_ARGS__)
#define log_debug(st, ...) stack_log(st, ULOG_DEBUG, __VA_ARGS__)

#endif
