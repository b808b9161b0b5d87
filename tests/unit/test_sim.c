/*
 * Simulated links: delay, loss, duplication, reordering, MTU, unplugging,
 * callbacks in time order, determinism from the seed, no leaked packets.
 *
 *   stack A (a0) ---- segment "lan" ---- stack B (b0)
 *
 * What B receives is read back from a pcap writer on b0 (netdev_rx records
 * every frame with the receiving stack's clock). Test frames carry the
 * local experimental EtherType 0x88b5 and a sequence number, so frames the
 * stack itself sends (RS, MLD, DAD) are told apart.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "core/stack.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "link/pcap.h"
#include "link/sim.h"

#define TEST_ETHERTYPE 0x88b5
#define MAX_RX 256

struct rx_rec {
	uint64_t ts_us;
	uint32_t id;
};

struct net {
	struct sim_world *w;
	struct stack *a, *b;
	struct sim_segment *seg;
	struct netdev *a0, *b0;
	char path[64];
};

static void net_up(struct net *n, uint64_t seed, const struct sim_link_params *lp)
{
	struct usagi_stack_config ca = { .name = "A", .seed = 1 }, cb = { .name = "B", .seed = 2 };

	n->w = sim_world_new(seed);
	assert_non_null(n->w);
	n->a = usagi_stack_new(&ca);
	n->b = usagi_stack_new(&cb);
	assert_non_null(n->a);
	assert_non_null(n->b);
	usagi_stack_set_log_level(n->a, 0);
	usagi_stack_set_log_level(n->b, 0);
	sim_world_add_stack(n->w, n->a);
	sim_world_add_stack(n->w, n->b);
	n->seg = sim_segment_new(n->w, "lan", lp);
	assert_non_null(n->seg);
	assert_ptr_equal(sim_segment_by_name(n->w, "lan"), n->seg);
	n->a0 = sim_attach(n->seg, n->a, "a0", NULL);
	n->b0 = sim_attach(n->seg, n->b, "b0", NULL);
	assert_non_null(n->a0);
	assert_non_null(n->b0);
	assert_int_equal(n->a0->ops->fd(n->a0), -1);
	snprintf(n->path, sizeof(n->path), "/tmp/usagi-test-sim-%d.pcap", (int)getpid());
	n->b0->pcap = pcapw_open(n->path);
	assert_non_null(n->b0->pcap);
	netdev_set_up(n->a0, true);
	netdev_set_up(n->b0, true);
}

static void net_down(struct net *n)
{
	assert_int_equal(pkt_pool_in_use(n->a->pool), 0);
	assert_int_equal(pkt_pool_in_use(n->b->pool), 0);
	sim_world_free(n->w);
	unlink(n->path);
}

static void send_frame(struct netdev *dev, uint32_t id, size_t payload)
{
	struct pkt *p = stack_pkt_alloc(dev->st, ETH_HLEN + payload);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, ETH_HLEN + payload);
	assert_non_null(d);
	memset(d, 0, ETH_HLEN + payload);
	memcpy(d, eth_broadcast, 6);
	memcpy(d + 6, dev->mac, 6);
	put_be16(d + 12, TEST_ETHERTYPE);
	put_be32(d + ETH_HLEN, id);
	assert_int_equal(netdev_xmit(dev, p), 0);
}

/* Test frames B received so far, in arrival order. */
static size_t received(struct net *n, struct rx_rec *out)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t cnt = 0;
	pcap_t *r;

	pcapw_flush(n->b0->pcap);
	r = pcap_open_offline(n->path, err);
	assert_non_null(r);
	while (pcap_next_ex(r, &h, &d) == 1) {
		if (h->caplen < ETH_HLEN + 4 || get_be16(d + 12) != TEST_ETHERTYPE)
			continue;
		assert_true(cnt < MAX_RX);
		out[cnt].ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		out[cnt].id = get_be32(d + ETH_HLEN);
		cnt++;
	}
	pcap_close(r);
	return cnt;
}

static void test_delay(void **state)
{
	struct sim_link_params lp = { .delay_ns = 5 * NS_PER_MS };
	struct rx_rec rx[MAX_RX];
	struct net n;

	net_up(&n, 42, &lp);
	sim_run_until(n.w, NS_PER_SEC);
	send_frame(n.a0, 7, 46);
	sim_run_until(n.w, NS_PER_SEC + 5 * NS_PER_MS - 1);
	assert_int_equal(received(&n, rx), 0);
	sim_run_until(n.w, NS_PER_SEC + 5 * NS_PER_MS);
	assert_int_equal(received(&n, rx), 1);
	assert_int_equal(rx[0].id, 7);
	assert_int_equal(rx[0].ts_us, (NS_PER_SEC + 5 * NS_PER_MS) / 1000);
	assert_int_equal(sim_world_now(n.w), NS_PER_SEC + 5 * NS_PER_MS);
	assert_int_equal(usagi_stack_now(n.b), sim_world_now(n.w));
	assert_int_equal(usagi_stack_now(n.a), sim_world_now(n.w));
	net_down(&n);
}

/*
 * 10 Mbit/s: a 1250-octet frame (14 + 1236) occupies the port for 1 ms.
 * Back-to-back frames leave one after the other and arrive 1 ms apart,
 * each delay after its last bit; a frame after the queue drained starts
 * at once again.
 */
static void test_rate_timing(void **state)
{
	struct sim_link_params lp = { .delay_ns = NS_PER_MS, .rate_bps = 10000000 };
	struct rx_rec rx[MAX_RX];
	struct net n;

	(void)state;
	net_up(&n, 42, &lp);
	sim_run_until(n.w, NS_PER_SEC);
	for (uint32_t i = 0; i < 3; i++)
		send_frame(n.a0, i, 1236);
	sim_run_until(n.w, NS_PER_SEC + 2 * NS_PER_MS - 1);
	assert_int_equal(received(&n, rx), 0);
	sim_run_until(n.w, 2 * NS_PER_SEC);
	assert_int_equal(received(&n, rx), 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(rx[i].id, i);
		assert_int_equal(rx[i].ts_us, (NS_PER_SEC + (2 + i) * NS_PER_MS) / 1000);
	}
	/* Idle medium: the next frame takes only its own time. A 64-octet frame: 51.2 us. */
	send_frame(n.a0, 3, 50);
	sim_run_until(n.w, 3 * NS_PER_SEC);
	assert_int_equal(received(&n, rx), 4);
	assert_int_equal(rx[3].ts_us, (2 * NS_PER_SEC + NS_PER_MS + 51200) / 1000);
	assert_int_equal(STAT_GET(n.a, sim_queue_drop), 0);
	net_down(&n);
}

/* A port holds queue_frames frames not yet sent; the rest are dropped and counted. */
static void test_rate_queue_overflow(void **state)
{
	struct sim_link_params lp = { .delay_ns = NS_PER_MS, .rate_bps = 10000000, .queue_frames = 4 };
	struct rx_rec rx[MAX_RX];
	struct net n;

	(void)state;
	net_up(&n, 42, &lp);
	sim_run_until(n.w, NS_PER_SEC);
	for (uint32_t i = 0; i < 10; i++)
		send_frame(n.a0, i, 1236);
	assert_int_equal(STAT_GET(n.a, sim_queue_drop), 6);
	/* Once the first frame is out, there is room for one more. */
	sim_run_until(n.w, NS_PER_SEC + NS_PER_MS);
	send_frame(n.a0, 10, 1236);
	send_frame(n.a0, 11, 1236);
	assert_int_equal(STAT_GET(n.a, sim_queue_drop), 7);
	sim_run_until(n.w, 2 * NS_PER_SEC);
	assert_int_equal(received(&n, rx), 5);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(rx[i].id, i);
	assert_int_equal(rx[4].id, 10);
	/* Frame 10 waited for frames 1..3: it left at 1 s + 5 ms. */
	assert_int_equal(rx[4].ts_us, (NS_PER_SEC + 6 * NS_PER_MS) / 1000);
	net_down(&n);
}

static void test_loss_all(void **state)
{
	struct sim_link_params lp = { .delay_ns = NS_PER_MS, .loss_ppm = 1000000 };
	struct rx_rec rx[MAX_RX];
	struct net n;

	net_up(&n, 42, &lp);
	for (uint32_t i = 0; i < 20; i++)
		send_frame(n.a0, i, 46);
	sim_run_until(n.w, NS_PER_SEC);
	assert_int_equal(received(&n, rx), 0);
	assert_true(STAT_GET(n.b, sim_loss) >= 20);
	net_down(&n);
}

static void test_mtu(void **state)
{
	struct sim_link_params lp = { .delay_ns = NS_PER_MS, .mtu = 1280 };
	struct rx_rec rx[MAX_RX];
	struct net n;

	net_up(&n, 42, &lp);
	send_frame(n.a0, 1, 1281);
	send_frame(n.a0, 2, 1280);
	sim_run_until(n.w, NS_PER_SEC);
	assert_int_equal(STAT_GET(n.a, sim_mtu_drop), 1);
	assert_int_equal(received(&n, rx), 1);
	assert_int_equal(rx[0].id, 2);
	net_down(&n);
}

/* Arrival sequence of 100 frames sent 1 ms apart over a bad link. */
static size_t impaired_run(uint64_t seed, struct rx_rec *rx, uint64_t *lost, uint64_t *dup)
{
	struct sim_link_params lp = {
		.delay_ns = 10 * NS_PER_MS, .jitter_ns = 3 * NS_PER_MS,
		.loss_ppm = 300000, .dup_ppm = 300000, .reorder_ppm = 300000,
		.reorder_delay_ns = 5 * NS_PER_MS,
	};
	struct net n;
	size_t cnt;

	net_up(&n, seed, &lp);
	for (uint32_t i = 0; i < 100; i++) {
		sim_run_until(n.w, (i + 1) * NS_PER_MS);
		send_frame(n.a0, i, 46);
	}
	sim_run_until(n.w, NS_PER_SEC);
	cnt = received(&n, rx);
	*lost = STAT_GET(n.b, sim_loss);
	*dup = STAT_GET(n.b, sim_dup);
	net_down(&n);
	return cnt;
}

static void test_determinism(void **state)
{
	static struct rx_rec r1[MAX_RX], r2[MAX_RX], r3[MAX_RX];
	uint64_t lost1, dup1, lost2, dup2, lost3, dup3;
	size_t n1 = impaired_run(99, r1, &lost1, &dup1);
	size_t n2 = impaired_run(99, r2, &lost2, &dup2);
	size_t n3 = impaired_run(100, r3, &lost3, &dup3);
	unsigned seen[100] = { 0 }, missing = 0, twice = 0;
	bool reordered = false;

	assert_int_equal(n1, n2);
	assert_memory_equal(r1, r2, n1 * sizeof(r1[0]));
	assert_int_equal(lost1, lost2);
	assert_int_equal(dup1, dup2);
	/* About 30% each way; wide bounds, the point is that it happens. */
	assert_in_range(lost1, 10, 60);
	assert_in_range(dup1, 5, 60);
	for (size_t i = 0; i < n1; i++) {
		assert_true(r1[i].id < 100);
		seen[r1[i].id]++;
		reordered |= i > 0 && r1[i].id < r1[i - 1].id;
	}
	for (size_t i = 0; i < 100; i++) {
		missing += seen[i] == 0;
		twice += seen[i] == 2;
	}
	assert_in_range(missing, 10, 50);
	assert_in_range(twice, 5, 50);
	assert_true(reordered);
	assert_true(n3 != n1 || memcmp(r1, r3, n1 * sizeof(r1[0])) != 0);
}

static void test_detach_move(void **state)
{
	struct sim_link_params lp = { .delay_ns = 10 * NS_PER_MS };
	struct rx_rec rx[MAX_RX];
	struct sim_segment *seg2;
	struct netdev *c0;
	struct stack *c;
	struct usagi_stack_config cc = { .name = "C", .seed = 3 };
	struct net n;

	net_up(&n, 42, &lp);
	/* In flight when the cable is pulled: lost. */
	send_frame(n.a0, 1, 46);
	sim_run_until(n.w, 5 * NS_PER_MS);
	sim_detach(n.b0);
	sim_run_until(n.w, 50 * NS_PER_MS);
	assert_true(STAT_GET(n.b, sim_unplugged) >= 1);
	/* Sent while unplugged: nothing leaves, nothing arrives. */
	assert_int_equal(netdev_xmit(n.b0, stack_pkt_alloc(n.b, 64)), -ENOLINK);
	assert_true(STAT_GET(n.b, sim_no_carrier) >= 1);
	send_frame(n.a0, 2, 46);
	sim_run_until(n.w, 100 * NS_PER_MS);
	assert_int_equal(received(&n, rx), 0);

	/* Moved to another link, B hears C there and no longer hears A. */
	c = usagi_stack_new(&cc);
	assert_non_null(c);
	usagi_stack_set_log_level(c, 0);
	sim_world_add_stack(n.w, c);
	seg2 = sim_segment_new(n.w, "wlan", &lp);
	assert_non_null(seg2);
	assert_null(sim_segment_new(n.w, "wlan", &lp));
	c0 = sim_attach(seg2, c, "c0", NULL);
	assert_non_null(c0);
	netdev_set_up(c0, true);
	sim_move(n.b0, seg2);
	send_frame(n.a0, 3, 46);
	send_frame(c0, 4, 46);
	sim_run_until(n.w, 200 * NS_PER_MS);
	assert_int_equal(received(&n, rx), 1);
	assert_int_equal(rx[0].id, 4);
	assert_int_equal(pkt_pool_in_use(c->pool), 0);
	net_down(&n);
}

struct call_log {
	struct sim_world *w;
	uint64_t at[4];
	int n;
};

static void record_call(void *ctx)
{
	struct call_log *log = ctx;

	log->at[log->n++] = sim_world_now(log->w);
}

static void test_callbacks(void **state)
{
	struct call_log log = { 0 };
	struct sim_world *w = sim_world_new(1);

	assert_non_null(w);
	log.w = w;
	sim_at(w, 300, record_call, &log);
	sim_at(w, 100, record_call, &log);
	sim_at(w, 200, record_call, &log);
	sim_run_until(w, 250);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.at[0], 100);
	assert_int_equal(log.at[1], 200);
	assert_int_equal(sim_world_now(w), 250);
	sim_run_until(w, 1000);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.at[2], 300);
	sim_world_free(w);
}

/* A timer on A sends a frame: timers run on world time and the frame keeps to it. */
struct timed_send {
	struct timer t;
	struct net *n;
	uint64_t fired_at, world_at;
};

static void timed_send_fire(struct stack *st, struct timer *t)
{
	struct timed_send *ts = container_of(t, struct timed_send, t);

	ts->fired_at = usagi_stack_now(st);
	ts->world_at = sim_world_now(ts->n->w);
	send_frame(ts->n->a0, 77, 46);
}

static void test_stack_timers(void **state)
{
	struct sim_link_params lp = { .delay_ns = 2 * NS_PER_MS };
	struct timed_send ts = { 0 };
	struct rx_rec rx[MAX_RX];
	struct net n;

	net_up(&n, 42, &lp);
	ts.n = &n;
	timer_init(&ts.t, timed_send_fire);
	sim_run_until(n.w, 10 * NS_PER_MS);
	stack_timer_in(n.a, &ts.t, 37 * NS_PER_MS);
	sim_run_until(n.w, NS_PER_SEC);
	assert_int_equal(ts.fired_at, 47 * NS_PER_MS);
	assert_int_equal(ts.world_at, 47 * NS_PER_MS);
	assert_int_equal(received(&n, rx), 1);
	assert_int_equal(rx[0].ts_us, 49 * NS_PER_MS / 1000);
	assert_int_equal(usagi_stack_now(n.a), NS_PER_SEC);
	assert_int_equal(usagi_stack_now(n.b), NS_PER_SEC);
	net_down(&n);
}

static void test_segment_capture(void **state)
{
	struct sim_link_params lp = { .delay_ns = NS_PER_MS, .loss_ppm = 1000000 };
	char path[64], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct net n;
	int frames = 0;
	pcap_t *r;

	net_up(&n, 42, &lp);
	snprintf(path, sizeof(path), "/tmp/usagi-test-simseg-%d.pcap", (int)getpid());
	assert_int_equal(sim_segment_capture(n.seg, path), 0);
	assert_int_not_equal(sim_segment_capture(n.seg, "/nonexistent/x.pcap"), 0);
	sim_run_until(n.w, 3 * NS_PER_MS);
	/* Captured once, at send time, even though every copy is then lost. */
	send_frame(n.a0, 9, 46);
	sim_run_until(n.w, NS_PER_SEC);
	net_down(&n);
	r = pcap_open_offline(path, err);
	assert_non_null(r);
	while (pcap_next_ex(r, &h, &d) == 1) {
		if (get_be16(d + 12) != TEST_ETHERTYPE)
			continue;
		assert_int_equal(get_be32(d + ETH_HLEN), 9);
		assert_int_equal(h->ts.tv_usec, 3000);
		frames++;
	}
	assert_int_equal(frames, 1);
	pcap_close(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_rate_timing),
		cmocka_unit_test(test_rate_queue_overflow),
		cmocka_unit_test(test_loss_all),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_detach_move),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_segment_capture),
		cmocka_unit_test(test_stack_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
