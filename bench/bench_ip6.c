/*
 * IPv6 fast-path benchmark, in process, no I/O: prebuilt Ethernet frames
 * are fed to netdev_rx() of a stack whose devices' xmit only frees.
 *
 *   ip6-udp-deliver       64-byte UDP datagram to a bound socket, drained
 *   ip6-forward-10        forwarding=1, 10 routes via one resolved gateway
 *   ip6-forward-100k      the same with 100,000 random routes
 *   ip6-reasm-3frag       a 3-fragment UDP datagram reassembled and drained
 *
 * Each prints (DESIGN.md, Benchmarks):
 *   bench <name> <value> <unit> baseline <baseline-name> <baseline-value> ratio <value/baseline>
 * The baseline is a memcpy of the same frame bytes into a buffer (what a
 * driver's receive copy costs), measured in the same run.
 * Target (forwarding at 100k routes): under 60 ns/packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/stack.h"
#include "core/pkt.h"
#include "link/netdev.h"
#include "link/ether.h"
#include "ipv6/addrconf.h"
#include "ipv6/nd6.h"
#include "ipv6/route6.h"
#include "usagi/socket.h"
#include "usagi/stack.h"

#define UDP_PORT 7777
#define NFLOWS 1024            /* distinct destinations cycled through when forwarding */
#define REPEAT 5               /* best of REPEAT runs */

static const uint8_t mac_peer[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_gw[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t mac_dev0[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_dev1[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static uint64_t sent_frames;

static int xmit_free(struct netdev *dev, struct pkt *p)
{
	sent_frames++;
	pkt_free(p);
	return 0;
}
static int fd_none(const struct netdev *dev) { return -1; }
static const struct netdev_ops bench_ops = { .kind = "bench", .xmit = xmit_free, .fd = fd_none };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: deterministic routes and addresses. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ip6: %s\n", what);
	exit(1);
}

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1)
		die("bad address");
	return a;
}

/* RFC 1071 sum over the IPv6 pseudo-header and @len bytes at @l4. */
static uint16_t l4_csum(const struct in6_addr *src, const struct in6_addr *dst, uint8_t proto,
			const uint8_t *l4, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < 16; i += 2)
		sum += (uint32_t)(src->s6_addr[i] << 8 | src->s6_addr[i + 1]) +
		       (uint32_t)(dst->s6_addr[i] << 8 | dst->s6_addr[i + 1]);
	sum += (uint32_t)len + proto;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(l4[i] << 8 | l4[i + 1]);
	if (len & 1)
		sum += (uint32_t)l4[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum ? (uint16_t)~sum : 0xffff;
}

/* Ethernet + IPv6 header at @f (payload length @plen, next header @nh); returns bytes written. */
static size_t put_eth_ip6(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
			  const struct in6_addr *src, const struct in6_addr *dst,
			  uint8_t nh, uint16_t plen)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put_be16(f + 12, ETH_P_IPV6);
	f += ETH_HLEN;
	put_be32(f, 0x60000000);
	put_be16(f + 4, plen);
	f[6] = nh;
	f[7] = 64;
	memcpy(f + 8, src, 16);
	memcpy(f + 24, dst, 16);
	return ETH_HLEN + 40;
}

/* A UDP datagram with @dlen payload bytes (UDP header + payload into @udp). */
static size_t put_udp(uint8_t *udp, const struct in6_addr *src, const struct in6_addr *dst,
		      size_t dlen)
{
	put_be16(udp, 40000);
	put_be16(udp + 2, UDP_PORT);
	put_be16(udp + 4, (uint16_t)(8 + dlen));
	put_be16(udp + 6, 0);
	for (size_t i = 0; i < dlen; i++)
		udp[8 + i] = (uint8_t)i;
	put_be16(udp + 6, l4_csum(src, dst, IPPROTO_UDP, udp, 8 + dlen));
	return 8 + dlen;
}

struct frame {
	uint8_t b[1600];
	size_t len;
};

static void feed(struct stack *st, struct netdev *dev, const struct frame *f)
{
	struct pkt *p = pkt_from_bytes(st->pool, f->b, f->len);

	if (!p)
		die("packet pool exhausted");
	netdev_rx(dev, p);
}

static struct stack *host_new(void)
{
	struct usagi_stack_config cfg = { .name = "bench", .seed = 1, .now = NS_PER_SEC,
					  .pool_packets = 4096 };
	struct stack *st = usagi_stack_new(&cfg);

	if (!st)
		die("usagi_stack_new");
	usagi_stack_set_log_level(st, 0);
	return st;
}

static struct netdev *dev_new(struct stack *st, const char *name, const uint8_t *mac,
			      const char *addr)
{
	struct netdev *dev = netdev_create(st, name, &bench_ops, NULL, mac);
	struct in6_addr a = a6(addr);

	if (!dev)
		die("netdev_create");
	if (dev->in6)
		dev->in6->conf.dad_transmits = 0;
	if (netdev_set_up(dev, true) < 0)
		die("netdev_set_up");
	if (addrconf_add(dev, &a, 64, IFA_F_NODAD | IFA_F_PERMANENT, UINT32_MAX, UINT32_MAX) < 0)
		die("addrconf_add");
	return dev;
}

static volatile uint8_t sink;

/* ns per @count frames memcpy'd (the same bytes the measure feeds). */
static double bench_memcpy(const struct frame *frames, unsigned nframes, unsigned per_op,
			   unsigned iters)
{
	static uint8_t dst[PKT_BUF_SIZE];
	double best = 1e30;

	for (int r = 0; r < REPEAT; r++) {
		uint64_t t0 = now_ns();
		for (unsigned i = 0; i < iters; i++) {
			for (unsigned j = 0; j < per_op; j++) {
				const struct frame *f = &frames[(i * per_op + j) % nframes];
				memcpy(dst + PKT_HEADROOM, f->b, f->len);
				__asm__ volatile("" : : "r"(dst) : "memory");
			}
		}
		double ns = (double)(now_ns() - t0) / iters;
		if (ns < best)
			best = ns;
	}
	sink = dst[PKT_HEADROOM];
	return best;
}

static void report(const char *name, double v, const char *base_name, double base)
{
	printf("bench %s %.1f ns baseline %s %.1f ns ratio %.2f\n", name, v, base_name, base,
	       base > 0 ? v / base : 0.0);
	fflush(stdout);
}

static struct usock *udp_bound(struct stack *st)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(UDP_PORT) };

	if (!s || usagi_bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("UDP socket");
	return s;
}

static unsigned drain(struct usock *s)
{
	static uint8_t buf[65536];
	unsigned n = 0;

	while (usagi_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL) >= 0)
		n++;
	return n;
}

static void bench_udp_deliver(void)
{
	struct stack *st = host_new();
	struct netdev *dev = dev_new(st, "eth0", mac_dev0, "2001:db8:1::2");
	struct usock *s = udp_bound(st);
	struct in6_addr src = a6("2001:db8:1::1"), dst = a6("2001:db8:1::2");
	struct frame f;
	unsigned iters = 1000000, got = 0;
	double best = 1e30;

	f.len = put_eth_ip6(f.b, mac_dev0, mac_peer, &src, &dst, IPPROTO_UDP, 8 + 64);
	f.len += put_udp(f.b + f.len, &src, &dst, 64);
	feed(st, dev, &f);
	if (drain(s) != 1)
		die("udp-deliver: the datagram did not reach the socket");
	for (int r = 0; r < REPEAT; r++) {
		uint64_t t0 = now_ns();
		for (unsigned i = 0; i < iters; i++) {
			feed(st, dev, &f);
			got += drain(s);
		}
		double ns = (double)(now_ns() - t0) / iters;
		if (ns < best)
			best = ns;
	}
	if (got != iters * REPEAT)
		die("udp-deliver: datagrams lost");
	report("ip6-udp-deliver-64", best, "memcpy-frame", bench_memcpy(&f, 1, 1, iters));
	usagi_close(s);
	usagi_stack_free(st);
}

/* Forwarding through a router with @nroutes routes, all via one gateway on eth1. */
static void bench_forward(const char *name, unsigned nroutes)
{
	struct stack *st = host_new();
	struct netdev *in = dev_new(st, "eth0", mac_dev0, "2001:db8:1::2");
	struct netdev *out = dev_new(st, "eth1", mac_dev1, "2001:db8:2::2");
	struct in6_addr gw = a6("2001:db8:2::1"), src = a6("2001:db8:1::1");
	static struct frame frames[NFLOWS];
	static struct route6 routes[NFLOWS];
	unsigned added = 0, iters = 2000000;
	double best = 1e30;

	st->ip6.all.forwarding = 1;
	in->in6->conf.forwarding = 1;
	out->in6->conf.forwarding = 1;
	if (nd6_neigh_add_permanent(st, out, &gw, mac_gw) < 0)
		die("nd6_neigh_add_permanent");

	/* Random prefixes /33../64 inside 2001:db8::/32, every one via the gateway. */
	while (added < nroutes) {
		struct route6 r = { .gw = gw, .dev = out, .metric = 1024, .proto = RT6_PROTO_STATIC };
		uint64_t hi = 0x20010db800000000ULL | (rnd() & 0xffffffffULL);
		r.plen = (uint8_t)(33 + rnd() % 32);
		hi &= ~0ULL << (64 - r.plen);
		if ((hi >> 16) == 0x20010db80001ULL || (hi >> 16) == 0x20010db80002ULL)
			continue;   /* keep clear of the connected /64s */
		for (int i = 0; i < 8; i++)
			r.dst.s6_addr[i] = (uint8_t)(hi >> (56 - 8 * i));
		int rc = route6_add(st, &r);
		if (rc == -EEXIST)
			continue;
		if (rc < 0)
			die("route6_add");
		if (added < NFLOWS)
			routes[added] = r;
		added++;
	}

	for (unsigned i = 0; i < NFLOWS; i++) {
		const struct route6 *r = &routes[i % MIN(nroutes, NFLOWS)];
		struct in6_addr dst = r->dst;
		uint64_t lo = rnd() | 1;
		for (int b = 0; b < 8; b++)
			dst.s6_addr[8 + b] = (uint8_t)(lo >> (56 - 8 * b));
		if (r->plen < 64) {   /* random bits below the prefix, still inside it */
			uint64_t hi = get_be32(dst.s6_addr) * 0x100000000ULL + get_be32(dst.s6_addr + 4);
			hi |= rnd() & ((1ULL << (64 - r->plen)) - 1);
			put_be32(dst.s6_addr, (uint32_t)(hi >> 32));
			put_be32(dst.s6_addr + 4, (uint32_t)hi);
		}
		frames[i].len = put_eth_ip6(frames[i].b, mac_dev0, mac_peer, &src, &dst,
					    IPPROTO_UDP, 8 + 64);
		frames[i].len += put_udp(frames[i].b + frames[i].len, &src, &dst, 64);
	}

	uint64_t fwd0 = STAT_GET(st, ip6_fwd_ok), tx0 = sent_frames;
	for (unsigned i = 0; i < NFLOWS; i++)
		feed(st, in, &frames[i]);
	if (STAT_GET(st, ip6_fwd_ok) - fwd0 != NFLOWS || sent_frames - tx0 != NFLOWS)
		die("forward: warm-up packets were not all forwarded");
	for (int r = 0; r < REPEAT; r++) {
		uint64_t t0 = now_ns();
		for (unsigned i = 0; i < iters; i++)
			feed(st, in, &frames[i & (NFLOWS - 1)]);
		double ns = (double)(now_ns() - t0) / iters;
		if (ns < best)
			best = ns;
	}
	if (STAT_GET(st, ip6_fwd_ok) - fwd0 != NFLOWS + (uint64_t)iters * REPEAT)
		die("forward: packets not forwarded");
	report(name, best, "memcpy-frame", bench_memcpy(frames, NFLOWS, 1, iters));
	usagi_stack_free(st);
}

/* A 3000-byte UDP datagram in three fragments (1448 + 1448 + 112), new ID each time. */
static void bench_reasm(void)
{
	struct stack *st = host_new();
	struct netdev *dev = dev_new(st, "eth0", mac_dev0, "2001:db8:1::2");
	struct usock *s = udp_bound(st);
	struct in6_addr src = a6("2001:db8:1::1"), dst = a6("2001:db8:1::2");
	static uint8_t udp[3008];
	struct frame f[3];
	size_t ulen = put_udp(udp, &src, &dst, 3000), off = 0;
	unsigned iters = 300000, got = 0;
	double best = 1e30;

	for (int i = 0; i < 3; i++) {
		size_t n = i < 2 ? 1448 : ulen - off;
		uint8_t *fh;
		f[i].len = put_eth_ip6(f[i].b, mac_dev0, mac_peer, &src, &dst, 44, (uint16_t)(8 + n));
		fh = f[i].b + f[i].len;
		fh[0] = IPPROTO_UDP;
		fh[1] = 0;
		put_be16(fh + 2, (uint16_t)(off | (i < 2 ? 1 : 0)));
		put_be32(fh + 4, 0);
		memcpy(fh + 8, udp + off, n);
		f[i].len += 8 + n;
		off += n;
	}
	uint32_t id = 1;
	for (int r = -1; r < REPEAT; r++) {   /* r = -1: one checked warm-up datagram */
		unsigned n = r < 0 ? 1 : iters;
		uint64_t t0 = now_ns();
		for (unsigned i = 0; i < n; i++, id++) {
			for (int k = 0; k < 3; k++) {
				put_be32(f[k].b + ETH_HLEN + 40 + 4, id);
				feed(st, dev, &f[k]);
			}
			got += drain(s);
		}
		double ns = (double)(now_ns() - t0) / n;
		if (r < 0) {
			if (got != 1)
				die("reasm: the datagram was not reassembled");
			continue;
		}
		if (ns < best)
			best = ns;
	}
	if (got != 1 + iters * REPEAT)
		die("reasm: datagrams lost");
	report("ip6-reasm-3frag-3000", best, "memcpy-3-frames", bench_memcpy(f, 3, 3, iters));
	usagi_close(s);
	usagi_stack_free(st);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	if (!only || strstr("udp", only))
		bench_udp_deliver();
	if (!only || strstr("forward", only)) {
		bench_forward("ip6-forward-10", 10);
		bench_forward("ip6-forward-100k", 100000);
	}
	if (!only || strstr("reasm", only))
		bench_reasm();
	return 0;
}
