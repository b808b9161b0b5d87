/*
 * libFuzzer target for the setkey language: each input is setkey text,
 * parsed (src/setkey/setkey_parse*.c) and, when it parses, applied to a
 * scratch stack whose SAD and SPD are flushed after every input. Nothing
 * may crash, leak or read out of bounds, and a text that fails to parse
 * must leave no operations behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include "core/stack.h"
#include "setkey/setkey.h"

static struct stack *st;
static FILE *null_out;

static void quiet_log(void *ctx, const struct stack *s, int level, const char *msg) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setkey_prog prog = { 0 };
	struct setkey_msg err;

	if (!st) {
		struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1, .now = NS_PER_SEC };

		st = usagi_stack_new(&cfg);
		null_out = fopen("/dev/null", "w");
		if (!st || !null_out)
			abort();
		usagi_stack_set_log(st, quiet_log, NULL);
	}
	if (setkey_parse((const char *)data, size, size & 1 ? SETKEY_PARSE_KERNEL : 0, &prog) < 0) {
		if (prog.nops != 0)
			abort();
	} else {
		for (size_t i = 0; i < prog.nops; i++)
			setkey_apply(st, &prog.ops[i], null_out, &err);
	}
	setkey_prog_free(&prog);
	/* The printers walk what the executor built: run them too. */
	setkey_dump_sad(null_out, st, 0);
	setkey_dump_spd(null_out, st);
	setkey_write_esp_sa(null_out, st);
	xfrm_state_flush(st, 0);
	xfrm_policy_flush(st);
	usagi_stack_advance(st, st->now + NS_PER_MS);
	return 0;
}
