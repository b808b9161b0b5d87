/*
 * Whole receive path on arbitrary Ethernet frames: ether -> ip6_input ->
 * extension headers, reassembly, ICMPv6/ND/MLD/UDP, forwarding. One host
 * per process (reassembly queues and caches carry state across inputs, as
 * on a real link); every 64th input advances the clock by 61 s so
 * reassembly, ND and PMTU timers run.
 */
#include "core/stack.h"
#include "ipv6/addrconf.h"
#include "ipv6/route6.h"
#include "link/netdev.h"
#include "proto/ip6.h"

#include "fuzz_common.h"

static void setup(void)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	struct route6 r = { .plen = 48, .metric = 1024, .proto = RT6_PROTO_STATIC };
	struct netdev *d1;

	d1 = fuzz_host_setup("fuzz");
	addrconf_add(dev, &a, 64, IFA_F_NODAD, UINT32_MAX, UINT32_MAX);
	r.dst.s6_addr[0] = 0x20;
	r.dst.s6_addr[1] = 0x01;
	r.dst.s6_addr[2] = 0x0d;
	r.dst.s6_addr[3] = 0xb8;
	r.dst.s6_addr[5] = 0xff;
	r.dev = d1;
	route6_add(st, &r);
	st->ip6.all.forwarding = 1;
	usagi_stack_advance(st, st->now + 5 * NS_PER_SEC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt *p;

	if (!st)
		setup();
	p = pkt_from_bytes(st->pool, data, size);
	if (p)
		netdev_rx(dev, p);
	fuzz_tick(61 * NS_PER_SEC);
	return 0;
}
