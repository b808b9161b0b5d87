/*
 * libFuzzer target for the command language: each input is a few lines of
 * commands run against one long-lived stack with two dummy links. Nothing
 * may crash, leak or read out of bounds whatever the words are.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cmd/cmd.h"
#include "core/stack.h"
#include "link/netdev.h"

#define LINE_MAX_FUZZ 1024
static const char *const dev_names[] = { "tap0", "tap1" };

static int drop_xmit(struct netdev *dev, struct pkt *p)
{
	pkt_free(p);
	return 0;
}

static int no_fd(const struct netdev *dev) { return -1; }

static const struct netdev_ops fuzz_ops = { .kind = "dummy", .xmit = drop_xmit, .fd = no_fd };

static int refuse_link(struct cmd_env *env, const char *name, int argc, char **argv)
{
	return -EPERM;
}

static void quiet_log(void *ctx, const struct stack *st, int level, const char *msg) {}

/* `link del` may remove them: put them back so every input starts alike. */
static void ensure_devices(struct stack *st)
{
	for (size_t i = 0; i < ARRAY_SIZE(dev_names); i++)
		if (!netdev_by_name(st, dev_names[i]))
			netdev_create(st, dev_names[i], &fuzz_ops, NULL, NULL);
}

static struct cmd_env *fuzz_env(void)
{
	static struct cmd_env env;
	static bool ready;

	if (!ready) {
		struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1, .pool_packets = 256 };
		FILE *null = fopen("/dev/null", "w");

		env.st = usagi_stack_new(&cfg);
		if (!env.st || !null)
			abort();
		usagi_stack_set_log(env.st, quiet_log, NULL);
		env.out = env.err = null;
		env.link_create = refuse_link;
		ready = true;
	}
	ensure_devices(env.st);
	return &env;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmd_env *env = fuzz_env();
	char line[LINE_MAX_FUZZ];
	size_t i = 0;

	while (i < size) {
		size_t n = 0;

		while (i < size && data[i] != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = (char)data[i];
			i++;
		}
		i++;
		line[n] = '\0';
		cmd_exec_line(env, line);
	}
	usagi_stack_advance(env->st, env->st->now);
	cmd_cancel(env);
	return 0;
}
