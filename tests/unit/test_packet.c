/*
 * AF_PACKET backend against the kernel, in a namespace of its own:
 *
 *   usagi stack (p0) ==AF_PACKET== vethA ---- vethB (kernel IPv6)
 *                                  (netns usagi-pkttest-PID, IPv6 off on vethA)
 *
 * We take vethA's MAC; a frame we send arrives at vethB; the kernel's
 * multicast from vethB (MLD/ND, a ping to ff02::1) reaches us through
 * rx_ready thanks to all-multicast. Skipped without root or netns support.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/stack.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "link/packet.h"
#include "netns_harness.h"

static const uint8_t *kernel_mac(struct tapt *t, uint8_t mac[6])
{
	char cmd[256], buf[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/%s/address",
		 t->ns, t->ifname);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	pclose(f);
	buf[strcspn(buf, "\n")] = 0;
	assert_int_equal(eth_aton(buf, mac), 0);
	return mac;
}

static int setup(void **state)
{
	static struct tapt t;

	/* *state stays NULL where the machine cannot run this: the test skips. */
	*state = NULL;
	if (geteuid() != 0 ||
	    system("ip netns list >/dev/null 2>&1") != 0)
		return 0;
	snprintf(t.ns, sizeof(t.ns), "usagi-pkttest-%d", (int)getpid());
	snprintf(t.ifname, sizeof(t.ifname), "upa%d", (int)getpid() % 100000);
	if (sh("ip netns add %s", t.ns) != 0)
		return 0;
	if (sh("ip -n %s link add %s type veth peer name %sb", t.ns, t.ifname, t.ifname) != 0 ||
	    sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", t.ns, t.ifname) != 0 ||
	    sh("ip -n %s link set %s up && ip -n %s link set %sb up",
	       t.ns, t.ifname, t.ns, t.ifname) != 0) {
		sh("ip netns del %s", t.ns);
		return 0;
	}
	return tapt_stack(state, &t, "pkt");
}

static void test_packet_both_ways(void **state)
{
	struct tapt *t = *state;
	char peer[24];
	struct netdev *dev;
	struct pkt *p;
	uint8_t *d;
	unsigned long before;
	struct pollfd pfd;
	int got = 0;
	uint8_t mac[6];

	if (!t)
		skip();
	assert_null(packet_create(t->st, "bad", "no-such-if", t->ns));
	dev = packet_create(t->st, "p0", t->ifname, t->ns);
	assert_non_null(dev);
	assert_true(dev->ops->fd(dev) >= 0);
	assert_int_equal(dev->mtu, 1500);
	assert_memory_equal(dev->mac, kernel_mac(t, mac), 6);
	netdev_set_up(dev, true);

	snprintf(peer, sizeof(peer), "%sb", t->ifname);
	memcpy(t->ifname, peer, sizeof(t->ifname));   /* kernel_stat reads the peer */
	before = kernel_stat(t, "rx_packets");
	p = stack_pkt_alloc(t->st, 60);
	d = pkt_put(p, 60);
	memset(d, 0, 60);
	memcpy(d, eth_broadcast, 6);
	memcpy(d + 6, dev->mac, 6);
	put_be16(d + 12, 0x88b5);
	assert_int_equal(netdev_xmit(dev, p), 0);
	assert_true(kernel_stat(t, "rx_packets") >= before + 1);

	sh("ip netns exec %s ping -6 -c2 -i0.2 -W1 ff02::1%%%s >/dev/null 2>&1 &", t->ns, peer);
	pfd.fd = dev->ops->fd(dev);
	pfd.events = POLLIN;
	for (int i = 0; i < 20 && !got; i++) {
		if (poll(&pfd, 1, 250) == 1)
			got = dev->ops->rx_ready(dev);
	}
	assert_true(got >= 1);
	assert_true(dev->rx_packets >= 1);
	assert_int_equal(STAT_GET(t->st, packet_rx_error), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packet_both_ways, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
