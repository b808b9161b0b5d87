/*
 * libFuzzer target for the PF_KEY server (src/pfkey/pfkey_server.h): an
 * input is a run of messages, split where each header's sadb_msg_len says
 * (the rest when it says too much), fed by turns to three sockets of one
 * stack: a plain one, a promiscuous one and one REGISTERed for ESP. Dumps
 * are pulled to their end, the clock moves, and the SAD and SPD are
 * flushed after every input. Nothing may crash or leak, and every message
 * the server sends must be one a client can read: an error reply a bare
 * well-framed header, anything else passing pfkey_parse + pfkey_check.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "pfkey/pfkey_codec.h"
#include "pfkey/pfkey_server.h"

static struct stack *st;
static struct pfkey_sock *socks[3];

static void quiet_log(void *ctx, const struct stack *s, int level, const char *msg) {}

static int check_out(void *ctx, const void *msg, size_t len)
{
	const struct sadb_msg *h = msg;
	struct pfkey_msg m;

	if (len < sizeof(*h) || len % 8 || (uintptr_t)msg % 8)
		abort();
	if (h->sadb_msg_errno) {
		if (len != sizeof(*h) || h->sadb_msg_len != 2 || h->sadb_msg_version != PF_KEY_V2)
			abort();
	} else if (pfkey_parse(msg, len, &m) < 0 || pfkey_check(&m) < 0) {
		abort();
	}
	return 0;
}

static void setup(void)
{
	struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1, .now = NS_PER_SEC };
	struct pfkey_buf b;

	st = usagi_stack_new(&cfg);
	if (!st)
		abort();
	usagi_stack_set_log(st, quiet_log, NULL);
	for (int i = 0; i < 3; i++)
		if (!(socks[i] = pfkey_sock_open(st, check_out, NULL)))
			abort();
	pfkey_buf_init(&b, SADB_X_PROMISC, 1, 1, 1);
	pfkey_buf_finish(&b);
	pfkey_sock_input(socks[1], b.data, b.len);
	pfkey_buf_free(&b);
	pfkey_buf_init(&b, SADB_REGISTER, SADB_SATYPE_ESP, 2, 1);
	pfkey_buf_finish(&b);
	pfkey_sock_input(socks[2], b.data, b.len);
	pfkey_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned turn = 0;

	if (!st)
		setup();
	while (size > 0) {
		size_t len = size;

		if (size >= sizeof(struct sadb_msg)) {
			size_t want = (size_t)(data[4] | data[5] << 8) * 8;   /* sadb_msg_len, little-endian host */

			if (want >= sizeof(struct sadb_msg) && want < size)
				len = want;
		}
		pfkey_sock_input(socks[turn % 3], data, len);
		for (int i = 0; i < 3; i++)
			while (pfkey_sock_dumping(socks[i]))
				pfkey_sock_dump_more(socks[i], 64);
		usagi_stack_advance(st, st->now + NS_PER_SEC);
		data += len;
		size -= len;
		turn++;
	}
	xfrm_state_flush(st, 0);
	xfrm_policy_flush(st);
	return 0;
}
