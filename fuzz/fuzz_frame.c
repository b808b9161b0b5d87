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

static struct stack *st;
static struct netdev *dev;
static unsigned inputs;

static int drop_xmit(struct netdev *d, struct pkt *p)
{
	pkt_free(p);
	return 0;
}

static const struct netdev_ops fuzz_ops = { .kind = "fuzz", .xmit = drop_xmit };

static void setup(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct usagi_stack_config cfg = { .name = "fuzz", .seed = 1, .now = NS_PER_SEC };
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	struct route6 r = { .plen = 48, .metric = 1024, .proto = RT6_PROTO_STATIC };
	struct netdev *d1;

	st = usagi_stack_new(&cfg);
	usagi_stack_set_log_level(st, 0);
	dev = netdev_create(st, "eth0", &fuzz_ops, NULL, mac);
	d1 = netdev_create(st, "eth1", &fuzz_ops, NULL, NULL);
	netdev_set_up(dev, true);
	netdev_set_up(d1, true);
	netdev_set_mtu(d1, 1280);
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
	if (++inputs % 64 == 0)
		usagi_stack_advance(st, st->now + 61 * NS_PER_SEC);
	else
		usagi_stack_advance(st, st->now + NS_PER_MS);
	return 0;
}
