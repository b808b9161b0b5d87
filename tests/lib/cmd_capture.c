/* Captured command output for tests (see cmd_capture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cmd_capture.h"

void cmd_capture_open(struct cmd_capture *c, struct cmd_env *env,
		      const struct usagi_stack_config *cfg)
{
	env->st = usagi_stack_new(cfg);
	assert_non_null(env->st);
	usagi_stack_set_log_level(env->st, 0);
	env->out = open_memstream(&c->outbuf, &c->outlen);
	env->err = open_memstream(&c->errbuf, &c->errlen);
	assert_non_null(env->out);
	assert_non_null(env->err);
}

void cmd_capture_close(struct cmd_capture *c, struct cmd_env *env)
{
	usagi_stack_free(env->st);
	env->st = NULL;
	fclose(env->out);
	fclose(env->err);
	free(c->outbuf);
	free(c->errbuf);
}

int cmd_capture_exec(struct cmd_env *env, const char *line)
{
	char *buf = strdup(line);
	int rc;

	assert_non_null(buf);
	rc = cmd_exec_line(env, buf);
	free(buf);
	return rc;
}

void cmd_capture_collect(struct cmd_capture *c, struct cmd_env *env, char *out, size_t outsz,
			 char *err, size_t errsz)
{
	fflush(env->out);
	fflush(env->err);
	snprintf(out, outsz, "%s", c->outbuf + c->outoff);
	snprintf(err, errsz, "%s", c->errbuf + c->erroff);
	c->outoff = c->outlen;
	c->erroff = c->errlen;
}
