/* libFuzzer target: the Neighbor Discovery option parser (RFC 4861 4.6, RFC 8106). */
#include <stdint.h>
#include <stddef.h>
#include "ipv6/nd6_priv.h"
#include "proto/ip6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd6_opts o;
	volatile uint8_t sink = 0;

	if (nd6_opts_parse(data, size, &o) < 0)
		return 0;
	/* Touch every byte the parser handed out, so ASan catches any that lie outside. */
	if (o.slla)
		for (int i = 0; i < 6; i++)
			sink ^= o.slla[i];
	if (o.tlla)
		for (int i = 0; i < 6; i++)
			sink ^= o.tlla[i];
	for (unsigned i = 0; i < o.nprefix; i++)
		sink ^= ((const uint8_t *)o.prefix[i])[sizeof(struct nd_opt_prefix) - 1];
	if (o.mtu)
		sink ^= o.mtu->mtu[3];
	for (unsigned i = 0; i < o.nrdnss; i++)
		sink ^= o.rdnss[i][(size_t)o.rdnss[i][1] * 8 - 1];
	if (o.redir)
		sink ^= o.redir[o.redir_len - 1];
	(void)sink;
	return 0;
}
