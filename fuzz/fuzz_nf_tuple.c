/*
 * Conntrack on arbitrary bytes: the input is an IPv4 or IPv6 packet (IP
 * header first) classified by nf_ct_in, which extracts its tuple (IPv6
 * extension headers, ICMP errors' quoted packets) and runs the protocol
 * handlers on it. One host per process, its table kept across inputs (so
 * later inputs meet the entries earlier ones made) and flushed every 4096
 * inputs; the clock moves a second per input so entries expire. Inputs
 * of even length are classified at PREROUTING, where checksums are
 * verified (nf_conntrack_checksum), odd ones at OUTPUT, where they are
 * not, so random bytes still reach the protocol handlers. Every input must
 * end without reading outside the packet.
 */
#include <stdint.h>
#include <stddef.h>

#include "core/stack.h"
#include "netfilter/nf_conntrack.h"

static struct stack *st;
static unsigned inputs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nf_ct_info ci;
	struct pkt *p;

	if (!st) {
		struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1, .now = NS_PER_SEC };

		st = usagi_stack_new(&cfg);
		if (!st || nf_sysctl_set(st, "net.netfilter.nf_conntrack_max", 1024) < 0)
			return 0;
	}
	if (size > 1500)
		return 0;
	p = pkt_from_bytes(st->pool, data, size);
	if (!p)
		return 0;
	p->nh = (int32_t)pkt_headroom(p);
	nf_ct_in(st, p, size & 1 ? NF_OUTPUT : NF_PREROUTING, &ci);
	if (ci.ct)
		nf_ct_expires_in(st, ci.ct);
	pkt_free(p);
	usagi_stack_advance(st, st->now + NS_PER_SEC);
	if (++inputs % 4096 == 0)
		nf_ct_flush(st);
	return 0;
}
