/*
 * TCP bulk transfer between two usagi hosts in one process, on one core:
 *
 *   A 2001:db8:1::1 eth0 ==== (frames handed over in memory) ==== eth0 2001:db8:1::2 B
 *
 * A's socket sends a stream as fast as its send buffer takes it, B's
 * socket reads it; frames move between the hosts' transmit queues and
 * netdev_rx() with no I/O, and the clock advances 10 us per round, so
 * everything either side does (segment building, checksums, IPv6, ND,
 * Ethernet, ACK processing, the copies in and out of the socket buffers)
 * is in the time measured. Without ESP (MTU 1500 and 9000) and with ESP
 * transport aes-gcm-16 both ways (MTU 1500).
 *
 *   tcp-bulk-MTU       Gbit/s of payload delivered to B's reader
 *   tcp-bulk-esp-aes-gcm-16-1500
 *
 * Baseline, same run and core: memcpy of the same payload twice (the two
 * copies any socket API makes: user -> send buffer, receive buffer -> user).
 * Prints: bench <name> <value> <unit> baseline <name> <value> ratio <value/baseline>
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/stack.h"
#include "cmd/cmd.h"
#include "ipv6/nd6.h"
#include "link/netdev.h"
#include "setkey/setkey.h"
#include "l4/sock.h"

#define TOTAL (256ull << 20)       /* payload per measure */
#define CHUNK 65536

struct host {
	struct stack *st;
	struct netdev *dev;
	struct host *peer;
	struct pktq q;                  /* frames sent, not yet delivered */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_tcp: %s\n", what);
	exit(1);
}

static int host_xmit(struct netdev *dev, struct pkt *p)
{
	struct host *h = dev->priv;

	pktq_push(&h->q, p);
	return 0;
}

static int fd_none(const struct netdev *dev) { return -1; }
static const struct netdev_ops link_ops = { .kind = "bench", .xmit = host_xmit, .fd = fd_none };

static void run_cmd(struct cmd_env *env, char *line)
{
	if (cmd_exec_line(env, line) != 0)
		die(line);
}

static void host_init(struct host *h, uint8_t id, const char *mtu, const char *sa_text)
{
	struct usagi_stack_config cfg = { .name = id == 1 ? "A" : "B", .seed = id, .now = NS_PER_SEC,
					  .pool_packets = 8192 };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, id }, peer_mac[6] = { 2, 0, 0, 0, 0, (uint8_t)(3 - id) };
	struct cmd_env env = { .out = fopen("/dev/null", "w"), .err = stderr };
	char line[256];
	struct in6_addr pa;

	memset(&h->q, 0, sizeof(h->q));
	h->st = env.st = usagi_stack_new(&cfg);
	if (!h->st || !env.out)
		die("usagi_stack_new");
	usagi_stack_set_log_level(h->st, 0);
	h->dev = netdev_create(h->st, "eth0", &link_ops, h, mac);
	if (!h->dev || netdev_set_up(h->dev, true) < 0)
		die("netdev");
	snprintf(line, sizeof(line), "link set dev eth0 mtu %s", mtu);
	run_cmd(&env, line);
	snprintf(line, sizeof(line), "addr add 2001:db8:1::%u/64 dev eth0 nodad", id);
	run_cmd(&env, line);
	snprintf(line, sizeof(line), "2001:db8:1::%u", 3 - id);
	inet_pton(AF_INET6, line, &pa);
	if (nd6_neigh_add_permanent(h->st, h->dev, &pa, peer_mac) < 0)
		die("neighbour");
	if (sa_text && setkey_run(h->st, sa_text, strlen(sa_text), SETKEY_PARSE_KERNEL, false, NULL,
				  env.out, stderr))
		die("setkey");
	fclose(env.out);
}

/* Moves every queued frame of @h to its peer; true if any moved. */
static bool deliver(struct host *h)
{
	struct pkt *p;
	bool moved = false;

	while ((p = pktq_pop(&h->q))) {
		p->dev = NULL;
		p->nh = p->th = -1;
		p->flags = 0;
		netdev_rx(h->peer->dev, p);
		moved = true;
	}
	return moved;
}

/* Payload Gbit/s of one transfer of TOTAL octets A -> B. */
static double transfer(const char *mtu, const char *sa_a, const char *sa_b)
{
	struct host a, b;
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_port = htons(5001) };
	static uint8_t buf[CHUNK];
	uint64_t sent = 0, rcvd = 0, now = 2 * NS_PER_SEC;
	struct usock *l, *c, *s = NULL;
	double t0, t1;

	host_init(&a, 1, mtu, sa_a);
	host_init(&b, 2, mtu, sa_b);
	a.peer = &b;
	b.peer = &a;
	l = usagi_socket(b.st, AF_INET6, SOCK_STREAM, 0);
	if (!l || usagi_bind(l, (struct sockaddr *)&sin, sizeof(sin)) || usagi_listen(l, 1))
		die("listen");
	c = usagi_socket(a.st, AF_INET6, SOCK_STREAM, 0);
	inet_pton(AF_INET6, "2001:db8:1::2", &sin.sin6_addr);
	if (!c || usagi_connect(c, (struct sockaddr *)&sin, sizeof(sin)) != -EINPROGRESS)
		die("connect");
	memset(buf, 0x5a, sizeof(buf));
	t0 = now_ns();
	while (rcvd < TOTAL) {
		ssize_t n;

		while (sent < TOTAL && (n = usagi_send(c, buf, (size_t)MIN((uint64_t)CHUNK, TOTAL - sent), 0)) > 0)
			sent += (uint64_t)n;
		while ((int)deliver(&a) | (int)deliver(&b))
			;
		if (!s)
			s = usagi_accept(l, NULL, NULL);
		while (s && (n = usagi_recv(s, buf, sizeof(buf), 0)) > 0)
			rcvd += (uint64_t)n;
		now += 10000;
		usagi_stack_advance(a.st, now);
		usagi_stack_advance(b.st, now);
		if (now > 2000 * NS_PER_SEC)
			die("transfer stalled");
	}
	t1 = now_ns();
	/* With ESP, every data segment must have gone through it. */
	if (sa_a && STAT_GET(b.st, esp_in_ok) < TOTAL / 9000)
		die("ESP not used");
	usagi_stack_free(a.st);
	usagi_stack_free(b.st);
	return (double)TOTAL * 8 / (t1 - t0);
}

/* Two copies of the payload through a buffer of the socket's size: the floor of any socket API. */
static double memcpy_baseline(void)
{
	static uint8_t src[CHUNK], ring[256 * 1024], dst[CHUNK];
	volatile uint8_t sink = 0;
	double t0 = now_ns();
	size_t off = 0;

	memset(src, 1, sizeof(src));
	for (uint64_t done = 0; done < TOTAL; done += CHUNK) {
		memcpy(ring + off, src, CHUNK);
		memcpy(dst, ring + off, CHUNK);
		sink ^= dst[done & (CHUNK - 1)];
		off = (off + CHUNK) % sizeof(ring);
	}
	(void)sink;
	return (double)TOTAL * 8 / (now_ns() - t0);
}

#define KEY "0x0123456789abcdef0123456789abcdef01234567"
static const char esp_a[] =
	"add 2001:db8:1::1 2001:db8:1::2 esp 0x1001 -m transport -E aes-gcm-16 " KEY ";"
	"add 2001:db8:1::2 2001:db8:1::1 esp 0x1002 -m transport -E aes-gcm-16 " KEY ";"
	"spdadd 2001:db8:1::1 2001:db8:1::2 tcp -P out ipsec esp/transport//require;"
	"spdadd 2001:db8:1::2 2001:db8:1::1 tcp -P in ipsec esp/transport//require;";
static const char esp_b[] =
	"add 2001:db8:1::1 2001:db8:1::2 esp 0x1001 -m transport -E aes-gcm-16 " KEY ";"
	"add 2001:db8:1::2 2001:db8:1::1 esp 0x1002 -m transport -E aes-gcm-16 " KEY ";"
	"spdadd 2001:db8:1::2 2001:db8:1::1 tcp -P out ipsec esp/transport//require;"
	"spdadd 2001:db8:1::1 2001:db8:1::2 tcp -P in ipsec esp/transport//require;";

int main(void)
{
	double base = memcpy_baseline(), v;

	v = transfer("1500", NULL, NULL);
	printf("bench tcp-bulk-1500 %.2f Gbit/s baseline memcpy-x2 %.2f ratio %.3f\n", v, base, v / base);
	v = transfer("9000", NULL, NULL);
	printf("bench tcp-bulk-9000 %.2f Gbit/s baseline memcpy-x2 %.2f ratio %.3f\n", v, base, v / base);
	v = transfer("1500", esp_a, esp_b);
	printf("bench tcp-bulk-esp-aes-gcm-16-1500 %.2f Gbit/s baseline memcpy-x2 %.2f ratio %.3f\n",
	       v, base, v / base);
	return 0;
}
