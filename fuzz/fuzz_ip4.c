/*
 * IPv4 receive path on arbitrary Ethernet frames (EtherType 0x0800 and
 * 0x0806): ip4_input with options, reassembly, ICMP, UDP, forwarding, and
 * ARP. One host per process (queues and caches carry state across inputs);
 * every 64th input advances the clock by 31 s so reassembly, ARP and PMTU
 * timers run. The first two bytes of the input choose the EtherType, so
 * every input is an IPv4 or ARP frame.
 */
#include "core/stack.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "proto/ip4.h"

#include "fuzz_common.h"

static void setup(void)
{
	struct route4 r = { .plen = 24, .proto = RT4_PROTO_STATIC };
	struct netdev *d1;

	d1 = fuzz_host_setup("fuzz4");
	inet4_add(dev, htonl(0xc0000201u), 24, IFA4_F_NODAD);     /* 192.0.2.1/24 */
	inet4_add(d1, htonl(0xc6336401u), 24, IFA4_F_NODAD);      /* 198.51.100.1/24 */
	r.dst = htonl(0xcb007100u);                                /* 203.0.113.0/24 */
	r.gw = htonl(0xc6336402u);
	r.dev = d1;
	route4_add(st, &r);
	st->ip4.ip_forward = 1;
	usagi_stack_advance(st, st->now + 5 * NS_PER_SEC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt *p;
	uint8_t *d;

	if (!st)
		setup();
	if (size < 1 || size > 9000)
		return 0;
	/* Byte 0 picks ARP or IPv4 and the destination MAC; the rest follows the Ethernet header. */
	p = pkt_alloc(st->pool, PKT_HEADROOM, ETH_HLEN + size - 1);
	if (!p)
		return 0;
	d = pkt_put(p, ETH_HLEN + size - 1);
	memcpy(d, (data[0] & 2) ? eth_broadcast : dev->mac, 6);
	memcpy(d + 6, (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 2 }, 6);
	put_be16(d + 12, (data[0] & 1) ? ETH_P_ARP : ETH_P_IP);
	memcpy(d + ETH_HLEN, data + 1, size - 1);
	netdev_rx(dev, p);
	fuzz_tick(31 * NS_PER_SEC);
	return 0;
}
