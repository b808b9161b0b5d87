/*
 * Shared by test_tap.c and test_packet.c: a kernel interface in a network
 * namespace of its own, shell commands, the kernel's interface counters, and
 * the stack that drives it (set up last, torn down with the namespace).
 */
#ifndef USAGI_TEST_NETNS_HARNESS_H
#define USAGI_TEST_NETNS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/stack.h"

struct tapt {
	char ns[64];
	char ifname[16];
	struct stack *st;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static unsigned long kernel_stat(struct tapt *t, const char *name)
{
	char cmd[256];
	unsigned long v = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/%s/statistics/%s",
		 t->ns, t->ifname, name);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &v), 1);
	pclose(f);
	return v;
}

/* Last step of setup, once t->ns holds the interface: the stack @name, and
 * *state = @t; -1 (namespace removed) if the stack cannot be made. */
static int tapt_stack(void **state, struct tapt *t, const char *name)
{
	struct usagi_stack_config cfg = { .name = name, .seed = 1 };

	t->st = usagi_stack_new(&cfg);
	if (!t->st) {
		sh("ip netns del %s", t->ns);
		return -1;
	}
	usagi_stack_set_log_level(t->st, 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tapt *t = *state;

	if (!t)
		return 0;
	usagi_stack_free(t->st);
	sh("ip netns del %s", t->ns);
	return 0;
}

#endif
