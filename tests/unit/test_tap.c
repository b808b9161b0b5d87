/*
 * TAP backend against the kernel, in a namespace of its own:
 *
 *   usagi stack (t0) ==fd== /dev/net/tun ==== tapX (kernel, netns usagi-taptest-PID)
 *
 * A frame we send is counted by the kernel as received on tapX; a frame the
 * kernel sends on tapX (its own MLD/ND after link up, or a ping to ff02::1)
 * reaches us through rx_ready. Skipped without root or /dev/net/tun.
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
#include "link/tap.h"
#include "netns_harness.h"

static int setup(void **state)
{
	static struct tapt t;

	/* *state stays NULL where the machine cannot run this: the test skips. */
	*state = NULL;
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0 ||
	    system("ip netns list >/dev/null 2>&1") != 0)
		return 0;
	snprintf(t.ns, sizeof(t.ns), "usagi-taptest-%d", (int)getpid());
	snprintf(t.ifname, sizeof(t.ifname), "utap%d", (int)getpid() % 100000);
	if (sh("ip netns add %s", t.ns) != 0)
		return 0;
	if (sh("ip -n %s tuntap add dev %s mode tap", t.ns, t.ifname) != 0) {
		sh("ip netns del %s", t.ns);
		return 0;
	}
	return tapt_stack(state, &t, "tap");
}

static void test_tap_both_ways(void **state)
{
	struct tapt *t = *state;
	struct netdev *dev;
	struct pkt *p;
	uint8_t *d;
	unsigned long before;
	struct pollfd pfd;

	if (!t)
		skip();
	assert_null(tap_create(t->st, "bad", t->ifname, "no-such-namespace-usagi"));
	dev = tap_create(t->st, "t0", t->ifname, t->ns);
	assert_non_null(dev);
	assert_true(dev->ops->fd(dev) >= 0);
	assert_int_equal(dev->mac[0] & 3, 2);     /* local, unicast */
	assert_int_equal(sh("ip -n %s link set %s up", t->ns, t->ifname), 0);
	netdev_set_up(dev, true);

	before = kernel_stat(t, "rx_packets");
	p = stack_pkt_alloc(t->st, 60);
	d = pkt_put(p, 60);
	memset(d, 0, 60);
	memcpy(d, eth_broadcast, 6);
	memcpy(d + 6, dev->mac, 6);
	put_be16(d + 12, 0x88b5);
	assert_int_equal(netdev_xmit(dev, p), 0);
	assert_true(kernel_stat(t, "rx_packets") >= before + 1);

	/* The kernel talks on a link that came up (MLD, ND); make sure with a ping. */
	sh("ip netns exec %s ping -6 -c1 -W1 ff02::1%%%s >/dev/null 2>&1 &", t->ns, t->ifname);
	pfd.fd = dev->ops->fd(dev);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(dev->ops->rx_ready(dev) >= 1);
	assert_true(dev->rx_packets >= 1);
	assert_true(dev->ops->rx_ready(dev) >= 0);   /* drained: EAGAIN is not an error */
	assert_int_equal(STAT_GET(t->st, tap_rx_error), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tap_both_ways, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
