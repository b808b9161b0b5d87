/*
 * SPD flow keys from arbitrary bytes: xfrm_flow_from_ip (IPv4 or IPv6 by the
 * version nibble) must refuse or parse without reading past the input, and
 * what it returns must be self-consistent. The input is copied into a buffer
 * of exactly its size so ASan catches any overread. A lookup in a small SPD
 * follows, so the selector checks see every flow shape.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/flow.h"
#include "xfrm/policy.h"

static struct stack *st;

static void setup(void)
{
	struct usagi_stack_config cfg = { .name = "fuzzflow", .seed = 1 };
	struct xfrm_policy req = { .dir = XFRM_DIR_OUT, .action = XFRM_ACT_BLOCK };

	st = usagi_stack_new(&cfg);
	usagi_stack_set_log_level(st, 0);
	req.sel.family = AF_INET6;
	xfrm_policy_add(st, &req, 0, NULL);
	req.sel.proto = IPPROTO_UDP;
	req.sel.dport = 500;
	xfrm_policy_add(st, &req, 0, NULL);
	req.sel.family = AF_INET;
	req.sel.dplen = 8;
	ip4_to_mapped(&req.sel.dst, htonl(0x0a000000));
	xfrm_policy_add(st, &req, 0, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfrm_flow fl;
	uint8_t *copy;

	if (!st)
		setup();
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (xfrm_flow_from_ip(copy, size, 1, &fl) == 0) {
		if (fl.family != AF_INET && fl.family != AF_INET6)
			abort();
		if (fl.family == AF_INET && !in6_is_v4mapped(&fl.dst))
			abort();
		if ((fl.flags & XFRM_FLOW_NOPORTS) && (fl.sport || fl.dport))
			abort();
		xfrm_policy_lookup(st, XFRM_DIR_OUT, &fl);
	}
	free(copy);
	return 0;
}
