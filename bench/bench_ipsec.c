/*
 * The whole ESP packet path, per core, in process, no I/O, against raw
 * libgcrypt doing the same cryptographic work in the same run
 * (bench_crypto_base.h):
 *
 *   A 2001:db8:1::1 eth0 (null device) ....... eth0 2001:db8:1::2 B
 *     SA 0x1000 ESP transport A -> B; A: OUT policy, B: IN policy (udp to 7000)
 *
 *   ipsec-out-ALG-SIZE  usagi_sendto() on A: UDP, ip6_output, SPD lookup,
 *                       the bundle (its SAs, from xfrm_output's bundle
 *                       cache once resolved), sequence number, esp_encap,
 *                       ip6_finish_output, the neighbour (PERMANENT) and the
 *                       device's xmit, which frees the frame;
 *   ipsec-in-ALG-SIZE   A's frames (captured once, 256 consecutive sequence
 *                       numbers) fed to netdev_rx() on B: Ethernet, ip6_input,
 *                       SA lookup, replay check, esp_decap, replay advance,
 *                       policy check, UDP, the socket, and usagi_recvfrom()
 *                       (B's window is cleared every 256 frames, as if the
 *                       sender went on counting).
 *
 *   ipsec-xfrm-out-ALG-SIZE  the transform alone, as the issue words it: an
 *                       IPv6 packet (header + UDP + payload) already built,
 *                       as ip6_output or ip6_forward holds it at the xfrm
 *                       hook with its route resolved, through xfrm_output:
 *                       flow key, SPD lookup, bundle (cached), sequence
 *                       number, header insertion, esp_encap, and the send to
 *                       the null device (ip6_finish_output, neighbour,
 *                       xmit). Only the 48 header bytes are written per
 *                       packet; the payload is what the pool buffer holds
 *                       (the raw baseline does not copy its plaintext in
 *                       either);
 *   ipsec-xfrm-in-ALG-SIZE   A's ESP packets (no Ethernet header) copied into
 *                       a packet, as the input baseline copies, then what
 *                       ip6_input does for them up to delivery: xfrm6_input
 *                       (SA lookup, replay check, esp_decap, replay advance,
 *                       lifetime, security path, header cut) and the IN
 *                       policy check (xfrm_policy_pass); the UDP socket
 *                       layer is left out.
 *
 * SIZE is the ESP payload (UDP header + data), the size bench_esp uses, so
 * the baseline is the same work bench_esp's is: the raw encapsulation for
 * output, copy + raw decapsulation for input. Target (the issue): ratio
 * >= 0.9 at 1420 bytes, >= 0.5 at 64. Devices have MTU 9000, so no size
 * is fragmented. Each figure is the best of 5 alternating runs.
 *
 * Tunnel mode (the same lines with `-tunnel` after the direction, e.g.
 * ipsec-xfrm-out-tunnel-aes-gcm-16-1420): A and B are the gateways of an
 * ESP tunnel A6 -> B6 (SA 0x1001, -m tunnel) for IPv6-in-IPv6 traffic of
 * 2001:db8:a::/64 (A's inner address IA6) to 2001:db8:b::/64 (B's IB6),
 * policies esp/tunnel/A6-B6/require. SIZE is again the UDP datagram; the
 * ESP payload is the inner packet, 40 bytes more, and so is the baseline
 * (gcrypt-ALG-SIZE+40). The xfrm output lines also pay the tunnel entry's
 * MTU check (RFC 2473 7.1, xfrm_tunnel_mtu_check): at 1420 the outer
 * packet passes 1280, so it is the path that asks for the tunnel MTU. The
 * xfrm input lines end in ip6_input of the inner packet, so they include
 * delivery to B's socket and usagi_recvfrom (a tunnel end re-injects).
 * They take TUNNEL_RUNS runs, to keep `make bench` short.
 *
 * With `stages`, a breakdown follows each line (not in the DESIGN.md
 * format, starting with `#`): ns per packet of the full path, of the same
 * UDP path on hosts without any policy, and of the ESP codec alone (all
 * measured in turn with the line's own runs); the rest is the IPsec glue
 * (SPD, SAD, replay, header moves). The xfrm lines split into the codec
 * and the glue the same way.
 *
 * Usage: bench_ipsec [stages] [out|in] [transport|tunnel] [64|512|1420] [ALG-substring]
 */
#include <stdio.h>

#include "cmd/cmd.h"
#include "core/stack.h"
#include "ipv6/ipv6.h"
#include "ipv6/exthdr.h"
#include "ipv6/nd6.h"
#include "proto/ip6.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "setkey/setkey.h"
#include "usagi/socket.h"
#include "usagi/stack.h"
#include "xfrm/xfrm.h"
#include "xfrm/xfrm_io.h"

#include "bench_crypto_base.h"

#define NFRAMES 256
#define RUNS 5
#define TUNNEL_RUNS 3
#define PORT 7000
#define SPI 0x1000
#define A6 "2001:db8:1::1"
#define B6 "2001:db8:1::2"
#define IA6 "2001:db8:a::1"     /* tunnel mode: the inner flow's ends */
#define IB6 "2001:db8:b::1"
#define TUNNEL_HLEN IPV6_HLEN   /* what the ESP payload gains in tunnel mode */

struct frame {
	uint8_t b[2048];
	size_t len;
};

/* One host: a stack with eth0, whose xmit frees frames or (capturing) keeps copies. */
struct host {
	struct stack *st;
	struct netdev *dev;
	struct usock *sock;
	uint64_t tx;
	struct frame *cap;          /* non-NULL: capturing into cap[ncap] */
	unsigned ncap;
};

static void die(const char *what)
{
	fprintf(stderr, "bench_ipsec: %s\n", what);
	exit(1);
}

static int host_xmit(struct netdev *dev, struct pkt *p)
{
	struct host *h = dev->priv;

	h->tx++;
	if (h->cap && h->ncap < NFRAMES && p->len <= sizeof(h->cap[0].b)) {
		memcpy(h->cap[h->ncap].b, p->data, p->len);
		h->cap[h->ncap++].len = p->len;
	}
	pkt_free(p);
	return 0;
}

static int fd_none(const struct netdev *dev) { return -1; }
static const struct netdev_ops null_ops = { .kind = "null", .xmit = host_xmit, .fd = fd_none };

static void run_cmd(struct cmd_env *env, const char *cmd, const char *arg)
{
	char line[128];

	snprintf(line, sizeof(line), cmd, arg);
	if (cmd_exec_line(env, line) != 0)
		die(cmd);
}

static void hex(char *out, size_t n)
{
	uint8_t k[BENCH_KEY_MAX];

	bench_key(k);
	out += sprintf(out, "0x");
	for (size_t i = 0; i < n; i++)
		out += sprintf(out, "%02x", k[i]);
}

/*
 * The SA A -> B of @alg and the policy of @dir ("out" on A, "in" on B) as
 * setkey text: transport mode between A6 and B6, or (@tunnel) a tunnel
 * A6 -> B6 for 2001:db8:a::/64 -> 2001:db8:b::/64.
 */
static void sad_spd(char *text, const struct bench_alg *alg, const char *dir, bool tunnel)
{
	char ek[2 * BENCH_KEY_MAX + 3], auth[2 * BENCH_KEY_MAX + 48] = "";

	hex(ek, alg->eklen);
	if (alg->auth) {
		sprintf(auth, " -A %s ", alg->auth);
		hex(auth + strlen(auth), alg->aklen);
	}
	if (tunnel) {
		sprintf(text, "add " A6 " " B6 " esp %#x -m tunnel -r 64 -E %s %s%s;"
			"spdadd 2001:db8:a::/64 2001:db8:b::/64[%d] udp -P %s ipsec "
			"esp/tunnel/" A6 "-" B6 "/require;", SPI + 1, alg->enc, ek, auth, PORT, dir);
		return;
	}
	sprintf(text, "add " A6 " " B6 " esp %#x -m transport -r 64 -E %s %s%s;"
		"spdadd " A6 " " B6 "[%d] udp -P %s ipsec esp/transport//require;",
		SPI, alg->enc, ek, auth, PORT, dir);
}

/* Tunnel mode: @h's inner address @inner and, on A, the route to B's inner prefix via B. */
static void host_tunnel(struct cmd_env *env, const char *inner, bool a)
{
	run_cmd(env, "addr add %s/64 dev eth0 nodad", inner);
	if (a)
		run_cmd(env, "route add 2001:db8:b::/64 via %s dev eth0", B6);
}

/* Host @me (@mac, address @addr) whose neighbour @peer is at @peer_mac; ESP of @alg unless NULL. */
static void host_init(struct host *h, const uint8_t *mac, const char *addr, const char *peer,
		      const uint8_t *peer_mac, const struct bench_alg *alg, const char *dir,
		      bool tunnel)
{
	struct usagi_stack_config cfg = { .name = addr, .seed = 1, .now = NS_PER_SEC,
					  .pool_packets = 4096 };
	struct cmd_env env = { .out = fopen("/dev/null", "w"), .err = stderr };
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	struct in6_addr pa;
	char line[512];

	memset(h, 0, sizeof(*h));
	h->st = env.st = usagi_stack_new(&cfg);
	if (!h->st || !env.out)
		die("usagi_stack_new");
	usagi_stack_set_log_level(h->st, 0);
	h->dev = netdev_create(h->st, "eth0", &null_ops, h, mac);
	if (!h->dev || netdev_set_up(h->dev, true) < 0)
		die("netdev");
	run_cmd(&env, "link set dev eth0 mtu %s", "9000");
	run_cmd(&env, "sysctl -w net.ipv6.conf.eth0.mtu=%s", "9000");
	run_cmd(&env, "addr add %s/64 dev eth0 nodad", addr);
	inet_pton(AF_INET6, peer, &pa);
	if (nd6_neigh_add_permanent(h->st, h->dev, &pa, peer_mac) < 0)
		die("neighbour");
	if (tunnel)
		host_tunnel(&env, dir[0] == 'o' ? IA6 : IB6, dir[0] == 'o');
	if (alg) {
		sad_spd(line, alg, dir, tunnel);
		if (setkey_run(h->st, line, strlen(line), SETKEY_PARSE_KERNEL, false, NULL, env.out,
			       stderr))
			die("setkey");
	}
	fclose(env.out);
	h->sock = usagi_socket(h->st, AF_INET6, SOCK_DGRAM, 0);
	if (tunnel && dir[0] == 'o')      /* the inner flow's source */
		inet_pton(AF_INET6, IA6, &sa.sin6_addr);
	if (!h->sock || usagi_bind(h->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("socket");
	usagi_stack_advance(h->st, h->st->now + NS_PER_SEC);
}

static void host_fini(struct host *h)
{
	usagi_close(h->sock);
	usagi_stack_free(h->st);
}

/* A -> B with ESP of @alg, or without any policy (alg NULL: the plain UDP path). */
struct path {
	struct host a, b;
	struct sockaddr_in6 dst;
	uint8_t data[2048];
	size_t dlen;
	struct frame frames[NFRAMES];   /* A's output, B's input */
	unsigned next;
	struct xfrm_replay *win;        /* B's window: cleared every NFRAMES frames */
	uint64_t sent, fed, got;
	uint8_t ip6[IPV6_HLEN + UDP_HLEN]; /* the xfrm output packet's headers */
	struct xfrm_route rt;           /* A's route to B, as ip6_output resolved it */
	bool tunnel;                    /* IA6 -> IB6 through the tunnel A6 -> B6 */
};

static void window_clear(struct xfrm_replay *w)
{
	w->top = 0;
	memset(w->bits, 0, (w->mask + 1) * sizeof(w->bits[0]));
}

static void out_one(void *ctx)
{
	struct path *t = ctx;

	usagi_sendto(t->a.sock, t->data, t->dlen, 0, (struct sockaddr *)&t->dst, sizeof(t->dst));
	t->sent++;
}

/* The next of A's frames for B (its window cleared when they start over). */
static const struct frame *next_frame(struct path *t)
{
	if (t->next == NFRAMES) {
		t->next = 0;
		if (t->win)
			window_clear(t->win);
	}
	return &t->frames[t->next++];
}

static void in_one(void *ctx)
{
	static uint8_t buf[2048];
	struct path *t = ctx;
	const struct frame *f = next_frame(t);
	struct pkt *p = pkt_from_bytes(t->b.st->pool, f->b, f->len);

	if (!p)
		die("packet pool exhausted");
	netdev_rx(t->b.dev, p);
	if (usagi_recvfrom(t->b.sock, buf, sizeof(buf), 0, NULL, NULL) == (ssize_t)t->dlen)
		t->got++;
	t->fed++;
}

/* xfrm output: A's IPv6 packet, built and routed, handed to xfrm_output. */
static void xout_one(void *ctx)
{
	struct path *t = ctx;
	size_t len = IPV6_HLEN + t->dlen + UDP_HLEN;
	struct pkt *p = pkt_alloc(t->a.st->pool, PKT_HEADROOM, len);

	if (!p)
		die("packet pool exhausted");
	memcpy(pkt_put(p, len), t->ip6, sizeof(t->ip6));
	pkt_set_nh(p);
	if (xfrm_output(t->a.st, p, &t->rt) != 0)
		die("xfrm_output did not send");
	t->sent++;
}

/* Tunnel mode: xfrm6_input re-injects the inner packet, which ip6_input delivers to B's socket. */
static void xin_tunnel(struct path *t, struct pkt *p, uint8_t nxt)
{
	static uint8_t buf[2048];

	if (xfrm6_input(t->b.st, &p, &nxt) != EXT_DONE)
		die("xfrm6_input did not take the tunnel packet");
	if (usagi_recvfrom(t->b.sock, buf, sizeof(buf), 0, NULL, NULL) == (ssize_t)t->dlen)
		t->got++;
	t->fed++;
}

/* xfrm input: one of A's ESP packets through B's xfrm6_input and IN policy check. */
static void xin_one(void *ctx)
{
	struct path *t = ctx;
	const struct frame *f = next_frame(t);
	struct pkt *p = pkt_from_bytes(t->b.st->pool, f->b + ETH_HLEN, f->len - ETH_HLEN);
	uint8_t nxt;

	if (!p)
		die("packet pool exhausted");
	p->dev = t->b.dev;
	pkt_set_nh(p);
	*IP6_CB(p) = (struct ip6_cb){ .iif = t->b.dev->ifindex, .nhoff = 6 };
	nxt = p->data[6];
	pkt_pull(p, IPV6_HLEN);
	if (t->tunnel) {
		xin_tunnel(t, p, nxt);
		return;
	}
	if (xfrm6_input(t->b.st, &p, &nxt) != EXT_CONTINUE)
		die("xfrm6_input dropped a packet");
	if (nxt == IPPROTO_UDP && p->len == t->dlen + UDP_HLEN &&
	    xfrm_policy_pass(t->b.st, p, XFRM_DIR_IN))
		t->got++;
	pkt_free(p);
	t->fed++;
}

/* The headers of the packet ip6_output hands xfrm_output on A, and A's route to B. */
static void xfrm_init(struct path *t)
{
	uint8_t *h = t->ip6, *u = h + IPV6_HLEN;
	struct in6_addr a6, b6;

	inet_pton(AF_INET6, t->tunnel ? IA6 : A6, &a6);
	inet_pton(AF_INET6, t->tunnel ? IB6 : B6, &b6);
	h[0] = 0x60;
	put_be16(h + 4, (uint16_t)(t->dlen + UDP_HLEN));
	h[6] = IPPROTO_UDP;
	h[7] = 64;
	memcpy(h + 8, &a6, 16);
	memcpy(h + 24, &b6, 16);
	put_be16(u, PORT);
	put_be16(u + 2, PORT);
	put_be16(u + 4, (uint16_t)(t->dlen + UDP_HLEN));
	put_be16(u + 6, 0);
	if (ip6_route_xfrm(t->a.st, &b6, &t->rt) < 0)
		die("no route to B");
}

/*
 * Both hosts (@tunnel: as tunnel gateways), NFRAMES of A's frames captured,
 * and one checked pass of them through B.
 */
static void path_init(struct path *t, const struct bench_alg *alg, size_t size, bool tunnel)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa }, mac_b[6] = { 2, 0, 0, 0, 0, 0xb };
	struct in6_addr b6;

	t->tunnel = tunnel;
	host_init(&t->a, mac_a, A6, B6, mac_b, alg, "out", tunnel);
	host_init(&t->b, mac_b, B6, A6, mac_a, alg, "in", tunnel);
	t->dst = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	inet_pton(AF_INET6, tunnel ? IB6 : B6, &t->dst.sin6_addr);
	t->dlen = size - 8;
	memset(t->data, 0x42, t->dlen);
	t->a.cap = t->frames;
	t->a.tx = 0;
	for (unsigned i = 0; i < NFRAMES; i++)
		out_one(t);
	t->a.cap = NULL;
	if (t->a.ncap != NFRAMES || t->a.tx != NFRAMES)
		die("output: not every datagram left as one frame");
	for (unsigned i = 0; i < NFRAMES; i++)
		if (t->frames[i].b[ETH_HLEN + 6] != (alg ? IPPROTO_ESP : IPPROTO_UDP))
			die("output: a frame that is not the datagram");
	if (alg && STAT_GET(t->a.st, xfrm_out_ok) != NFRAMES)
		die("output: not every datagram went through ESP");
	inet_pton(AF_INET6, B6, &b6);
	xfrm_init(t);
	if (alg)
		t->win = xfrm_state_lookup(t->b.st, &b6, tunnel ? SPI + 1 : SPI, IPPROTO_ESP)->replay;
	for (unsigned i = 0; i < NFRAMES; i++)
		in_one(t);
	if (t->got != NFRAMES || (alg && STAT_GET(t->b.st, xfrm_in_ok) != NFRAMES))
		die("input: not every frame was decapsulated and delivered");
}

/* After the timed runs: every call sent one frame, every frame fed was delivered. */
static void path_check(struct path *t)
{
	if (t->a.tx != t->sent || t->got != t->fed)
		die("packets lost during the runs");
}

static void path_fini(struct path *t)
{
	host_fini(&t->a);
	host_fini(&t->b);
}

/* A DESIGN.md line; the baseline did the ESP work of @bsize bytes (@size, or @size + 40 in tunnel mode). */
static void print_line(const char *name, const struct bench_alg *alg, size_t size, size_t bsize,
		       double v, double base)
{
	printf("bench ipsec-%s-%s-%zu %.3f Mpps baseline gcrypt-%s-%zu %.3f ratio %.2f\n", name,
	       alg->name, size, v / 1e6, alg->base, bsize, base / 1e6, v / base);
	fflush(stdout);
}

/* ns per packet: the full path, the plain UDP path, the codec alone, and what is left. */
static void print_stages(const char *dir, const struct bench_alg *alg, size_t size, double full,
			 double plain, double codec)
{
	printf("# ipsec-%s-%s-%zu ns/packet: full %.0f = udp path %.0f + esp codec %.0f + glue %.0f\n",
	       dir, alg->name, size, 1e9 / full, 1e9 / plain, 1e9 / codec,
	       1e9 / full - 1e9 / plain - 1e9 / codec);
	fflush(stdout);
}

/* ns per packet of the xfrm level: the codec alone and the glue around it. */
static void print_xfrm_stages(const char *dir, const struct bench_alg *alg, size_t size,
			      double xfrm, double codec)
{
	printf("# ipsec-xfrm-%s-%s-%zu ns/packet: xfrm %.0f = esp codec %.0f + glue %.0f\n", dir,
	       alg->name, size, 1e9 / xfrm, 1e9 / codec, 1e9 / xfrm - 1e9 / codec);
	fflush(stdout);
}

enum { DIR_OUT = 1, DIR_IN = 2 };
enum { MODE_TRANSPORT = 1, MODE_TUNNEL = 2 };

/* What to run: `stages`, `out` / `in`, `transport` / `tunnel`, a size, an algorithm (substring). */
struct opts {
	bool stages;
	int dirs, modes;
	size_t size;
	const char *alg;
};

/*
 * The lines (and stages) of direction @in: the full path and the xfrm level
 * of @t against the raw baseline, all measured in turn.
 */
static void bench_dir(const struct bench_alg *alg, size_t size, bool in, struct path *t,
		      struct path *plain, struct bench_esp_run *codec)
{
	const char *dir = in ? (t->tunnel ? "in-tunnel" : "in") : (t->tunnel ? "out-tunnel" : "out");
	size_t bsize = size + (t->tunnel ? TUNNEL_HLEN : 0);
	char name[32];
	struct bench_raw raw;
	struct bench_fn f[5] = {
		{ in ? in_one : out_one, t }, { bench_raw_one, &raw },
		{ in ? xin_one : xout_one, t },
		{ in ? bench_esp_decap_one : bench_esp_encap_one, codec },
		{ in ? in_one : out_one, plain },
	};

	if (bench_raw_open(&raw, alg, bench_esp_hdr(codec), bench_esp_ct_len(codec), in,
			   in ? codec->sealed : NULL, in ? codec->sealed_len : 0))
		die("libgcrypt");
	bench_best(f, plain ? 5 : 3, t->tunnel ? TUNNEL_RUNS : RUNS);
	print_line(dir, alg, size, bsize, f[0].best, f[1].best);
	snprintf(name, sizeof(name), "xfrm-%s", dir);
	print_line(name, alg, size, bsize, f[2].best, f[1].best);
	if (plain) {
		print_stages(dir, alg, size, f[0].best, f[4].best, f[3].best);
		print_xfrm_stages(dir, alg, size, f[2].best, f[3].best);
	}
	bench_raw_close(&raw);
}

/* The lines of @alg at @size in one mode (@tunnel); the codec and baseline seal what ESP carries. */
static void bench_one(const struct bench_alg *alg, size_t size, const struct opts *o, bool tunnel)
{
	struct path *t = calloc(1, sizeof(*t)), *plain = o->stages ? calloc(1, sizeof(*plain)) : NULL;
	struct bench_esp_run *codec = calloc(1, sizeof(*codec));
	size_t esp_size = size + (tunnel ? TUNNEL_HLEN : 0);

	if (!t || !codec || (o->stages && !plain) || bench_esp_open(codec, alg, esp_size) < 0)
		die("setup");
	path_init(t, alg, size, tunnel);
	if (plain)
		path_init(plain, NULL, size, false);
	if (o->dirs & DIR_OUT)
		bench_dir(alg, size, false, t, plain, codec);
	if (o->dirs & DIR_IN)
		bench_dir(alg, size, true, t, plain, codec);
	if (plain) {
		path_check(plain);
		path_fini(plain);
	}
	path_check(t);
	path_fini(t);
	bench_esp_close(codec);
	free(t);
	free(plain);
	free(codec);
}

/* Transport mode's lines (the original set), then tunnel mode's, as @o selects. */
static void bench_modes(const struct bench_alg *alg, size_t size, const struct opts *o)
{
	if (o->modes & MODE_TRANSPORT)
		bench_one(alg, size, o, false);
	if (o->modes & MODE_TUNNEL)
		bench_one(alg, size, o, true);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 512, 1420 };
	struct opts o = { .dirs = DIR_OUT | DIR_IN, .modes = MODE_TRANSPORT | MODE_TUNNEL };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "stages"))
			o.stages = true;
		else if (!strcmp(argv[i], "out") || !strcmp(argv[i], "in"))
			o.dirs = argv[i][0] == 'o' ? DIR_OUT : DIR_IN;
		else if (!strcmp(argv[i], "transport") || !strcmp(argv[i], "tunnel"))
			o.modes = argv[i][1] == 'r' ? MODE_TRANSPORT : MODE_TUNNEL;
		else if (strtoul(argv[i], NULL, 10))
			o.size = strtoul(argv[i], NULL, 10);
		else
			o.alg = argv[i];
	}
	if (crypto_init())
		return 1;
	for (size_t i = 0; i < BENCH_NALGS; i++) {
		if (o.alg && !strstr(bench_algs[i].name, o.alg))
			continue;
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			if (!o.size || o.size == sizes[j])
				bench_modes(&bench_algs[i], sizes[j], &o);
	}
	return 0;
}
