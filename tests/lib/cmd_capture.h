/*
 * What the command language prints, captured for tests that compare it
 * exactly (unit/test_cmd.c, unit/test_setkey.c): a stack whose command
 * environment writes into two memory streams, and the text printed since
 * the last look copied into the test's own buffers.
 */
#ifndef USAGI_TESTS_CMD_CAPTURE_H
#define USAGI_TESTS_CMD_CAPTURE_H

#include <stddef.h>
#include "cmd/cmd_priv.h"
#include "usagi/stack.h"

struct cmd_capture {
	char *outbuf, *errbuf;
	size_t outlen, errlen, outoff, erroff;
};

/*
 * A new stack from @cfg (log level 0) in @env->st, with @env->out and
 * @env->err writing into @c. Fails the test if the stack cannot be made.
 */
void cmd_capture_open(struct cmd_capture *c, struct cmd_env *env,
		      const struct usagi_stack_config *cfg);
/* Frees the stack, closes the streams and their buffers. */
void cmd_capture_close(struct cmd_capture *c, struct cmd_env *env);
/* Copies what was printed since the last collect into @out and @err (NUL-terminated, truncated). */
void cmd_capture_collect(struct cmd_capture *c, struct cmd_env *env, char *out, size_t outsz,
			 char *err, size_t errsz);
/* cmd_exec_line on a copy of @line (it splits the line in place); its status. */
int cmd_capture_exec(struct cmd_env *env, const char *line);

#endif
