/*
 * Internals of the command language: the handler type, argument parsers
 * and error printers shared by the cmd_*.c files, and the printers the
 * show commands use (exported so tests can check exact output).
 */
#ifndef USAGI_CMD_CMD_PRIV_H
#define USAGI_CMD_CMD_PRIV_H

#include <stdio.h>
#include "cmd/cmd.h"
#include "core/stack.h"
#include "link/netdev.h"

/* A (sub)command: @argv[0] is its own name. Returns 0, 1 (failed), 2 (usage) or CMD_PENDING. */
typedef int (*cmd_fn)(struct cmd_env *env, int argc, char **argv);

struct cmd_entry {
	const char *name;
	cmd_fn fn;
};

/* Runs the entry of @table named argv[0]; @what names the group in errors. */
int cmd_dispatch(struct cmd_env *env, const char *what, const struct cmd_entry *table,
		 size_t n, int argc, char **argv);

/* "usagi: WHAT: MSG\n" on env->err; returns @rc so callers can `return cmd_fail(...)`. */
int cmd_fail(struct cmd_env *env, int rc, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Usage error for @what: names the offending word (or a missing argument). Returns 2. */
int cmd_bad_arg(struct cmd_env *env, const char *what, const char *arg);
int cmd_missing(struct cmd_env *env, const char *what, const char *arg);
/* A system error @err (-errno) from the stack. Returns 1. */
int cmd_errno(struct cmd_env *env, const char *what, int err);

/* Strict decimal in [min, max]; 0 or -EINVAL. */
int cmd_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* "forever" or seconds below 2^32 - 1; forever gives UINT32_MAX. */
int cmd_parse_lft(const char *s, uint32_t *out);
/* Decimal seconds with up to 9 fraction digits ("0.2", "1", "1.5") into ns, at most 1 day. */
int cmd_parse_seconds_ns(const char *s, uint64_t *out);
/* "on"/"off" (also "1"/"0"). */
int cmd_parse_bool(const char *s, bool *out);
/* Device @name, or NULL after printing `usagi: WHAT: no such device "NAME"`. */
struct netdev *cmd_dev(struct cmd_env *env, const char *what, const char *name);

/* Show printers. */
void cmd_print_link(FILE *f, const struct netdev *dev);
struct inet6_ifaddr;
void cmd_print_ifaddr(FILE *f, const struct inet6_ifaddr *ifa, uint64_t now);
struct in4_ifaddr;
void cmd_print_ifaddr4(FILE *f, const struct in4_ifaddr *ifa);
struct route6;
void cmd_print_route(FILE *f, const struct route6 *r, uint64_t now);
struct route4;
void cmd_print_route4(FILE *f, const struct route4 *r);
struct nd6_neigh_info;
void cmd_print_neigh(FILE *f, const struct nd6_neigh_info *n);

/* Command groups. */
int cmd_link(struct cmd_env *env, int argc, char **argv);
int cmd_addr(struct cmd_env *env, int argc, char **argv);
int cmd_route(struct cmd_env *env, int argc, char **argv);
int cmd_neigh(struct cmd_env *env, int argc, char **argv);
int cmd_sysctl(struct cmd_env *env, int argc, char **argv);
int cmd_ping(struct cmd_env *env, int argc, char **argv);
int cmd_stats(struct cmd_env *env, int argc, char **argv);
int cmd_service(struct cmd_env *env, int argc, char **argv);
int cmd_ra(struct cmd_env *env, int argc, char **argv);
int cmd_log(struct cmd_env *env, int argc, char **argv);
int cmd_setkey(struct cmd_env *env, int argc, char **argv);
int cmd_ipsec(struct cmd_env *env, int argc, char **argv);
int cmd_help(struct cmd_env *env, int argc, char **argv);
int cmd_filter(struct cmd_env *env, int argc, char **argv);      /* cmd_filter.c */
int cmd_conntrack(struct cmd_env *env, int argc, char **argv);   /* cmd_conntrack.c */
int cmd_mip6(struct cmd_env *env, int argc, char **argv);        /* cmd_mip6.c */

/* One conntrack entry as conntrack(8) -L prints it; @event (NF_CT_EV_*) or 0 for -L. */
struct nf_conn;
void cmd_print_conntrack(FILE *f, struct stack *st, const struct nf_conn *ct, int event);
/* Stops `conntrack -E` of @env (cmd_conntrack.c). */
void cmd_conntrack_cancel(struct cmd_env *env);

/* Stops every running ping of @env without calling env->done (cmd_ping.c). */
void cmd_ping_cancel_all(struct cmd_env *env);

#endif
