/*
 * The IPsec input path on one host: frames through netdev_rx -> ip6_input /
 * ip4_input -> ESP/AH/IPComp (SA lookup, replay, codec, transport cut or
 * tunnel re-entry, NAT-T) -> the IN/FWD policy check -> delivery,
 * forwarding or an ICMP error, and the replies through xfrm_output.
 *
 *   peer 2001:db8:1::2 192.0.2.2 ---- eth0 [this host] eth1 (MTU 1280) ---- forwarded
 *        2001:db8:1::1/64 192.0.2.1/24 (outer)      2001:db8:fe::1/64 198.51.100.129/25
 *        2001:db8:2::1/64 198.51.100.1/25 (tunnel inner destinations)
 *
 * SAs (peer -> us): ESP aes-gcm-16 with ESN and a 64-packet window, ESP
 * aes-cbc + hmac-sha256, AH hmac-sha1, IPComp deflate, in transport mode
 * (both families) and tunnel mode (6in6, 4in4, 4in6, 6in4, AH 6in6, IPComp
 * 6in6 under ESP transport, IPComp 4in4) and ESP-in-UDP (RFC 3948, 4in4);
 * SAs us -> peer for the replies. IN policies require them for some
 * selectors (UDP ports 5001-5003, the tunnels' inner prefixes), discard
 * TCP, bypass ICMPv6, and say nothing about the rest; FWD policies cover
 * a forwarded inner prefix per family.
 *
 * Input: byte 0 picks a template (below), byte 1 the controls (CTL_*),
 * byte 2 the next header of the payload, byte 3 the outer traffic class /
 * TOS (bits 2-3 also the ECN of a built inner header); with CTL_EXT two
 * bytes and outer IPv6 extension headers or IPv4 options follow (parse());
 * the rest is the payload. Raw templates send the payload as the whole IP
 * packet. IPsec templates put it behind an outer header from the peer:
 * with CTL_SEAL sealed by the SAs' own codecs (esp_encap, ah_output over
 * the extension headers, ipcomp_output; innermost step first) so
 * decapsulation succeeds and the inner parsers, tunnel re-entry and the
 * policy check are what get fuzzed; without it the payload is the IPsec
 * header itself (CTL_BUILD writes the SPI in).
 *
 * Determinism: the SAs' replay windows, lifetime counters and sequence
 * numbers are reset before every input, and 61 s of timers run after it,
 * so reassembly queues, acquires and neighbour queues are flushed and
 * every input meets the same SAD. What carries over (ND and PMTU cache
 * entries made by earlier inputs, the IPv4 ID counter, cipher IV state)
 * does not change which SA or policy a packet meets.
 *
 * Leaks: after each input and the flush the packet pool must be back at
 * its baseline and every SA held by its SAD alone (abort() otherwise).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/csum.h"
#include "ipv4/ipv4.h"
#include "ipv6/nd6.h"
#include "link/ether.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "setkey/setkey.h"
#include "usagi/socket.h"
#include "xfrm/ah.h"
#include "xfrm/esp.h"
#include "xfrm/ipcomp.h"
#include "xfrm/xfrm.h"
#include "xfrm/xfrm_natt.h"

#include "fuzz_common.h"

enum {
	CTL_SEAL = 1 << 0,      /* seal the payload with the template's SAs */
	CTL_BUILD = 1 << 1,     /* sealed: inner IP header / L4 length and checksum; raw: SPI */
	CTL_FWD = 1 << 2,       /* built inner header: to the forwarded prefix */
	CTL_TWICE = 1 << 3,     /* the frame again (a replay) */
	CTL_ESN_HI = 1 << 4,    /* sequence number + 2^32 */
	CTL_EXT = 1 << 7,       /* outer IPv6 extension headers / IPv4 options from the input */
};
#define CTL_SEQ(c) (((c) >> 5) & 3)
static const uint32_t seqs[4] = { 1, 100, 0, 0xffffffff };

#define MAX_PAYLOAD 8192
#define ROOM 384                /* head- and tailroom around the payload */
#define NSOCK 3                 /* UDP sockets on ports 5001..5003 (IPv4 too, mapped) */

/* A frame shape: an outer header from the peer and up to two SAs, innermost first. */
struct tmpl {
	uint8_t outer;          /* 6 or 4 */
	uint8_t inner;          /* tunnel: the family of a built inner header; 0: transport */
	bool natt;              /* ESP in UDP 4500 (RFC 3948) */
	uint8_t nsteps;         /* 0: raw, the payload is the IP packet */
	uint8_t proto[2];
	uint32_t spi[2];
	const char *isrc, *idst;
};

static const struct tmpl tmpls[] = {
	{ 6 }, { 4 },
	{ 6, 0, false, 1, { IPPROTO_ESP }, { 0x1001 } },
	{ 6, 0, false, 1, { IPPROTO_ESP }, { 0x1002 } },
	{ 6, 0, false, 1, { IPPROTO_AH }, { 0x1003 } },
	{ 6, 0, false, 1, { IPPROTO_COMP }, { 0x104 } },
	{ 6, 0, false, 2, { IPPROTO_COMP, IPPROTO_ESP }, { 0x104, 0x1002 } },
	{ 6, 0, false, 2, { IPPROTO_ESP, IPPROTO_AH }, { 0x1001, 0x1003 } },
	{ 4, 0, false, 1, { IPPROTO_ESP }, { 0x2001 } },
	{ 4, 0, false, 1, { IPPROTO_ESP }, { 0x2002 } },
	{ 4, 0, false, 1, { IPPROTO_AH }, { 0x2003 } },
	{ 4, 0, false, 2, { IPPROTO_COMP, IPPROTO_ESP }, { 0x204, 0x2001 } },
	{ 6, 6, false, 1, { IPPROTO_ESP }, { 0x3001 }, "2001:db8:9::5", "2001:db8:2::1" },
	{ 4, 4, false, 1, { IPPROTO_ESP }, { 0x3002 }, "203.0.113.5", "198.51.100.1" },
	{ 6, 4, false, 1, { IPPROTO_ESP }, { 0x3003 }, "203.0.113.70", "198.51.100.1" },
	{ 4, 6, false, 1, { IPPROTO_ESP }, { 0x3004 }, "2001:db8:8::5", "2001:db8:2::1" },
	{ 6, 6, false, 1, { IPPROTO_AH }, { 0x3005 }, "2001:db8:7::5", "2001:db8:2::1" },
	{ 6, 6, false, 2, { IPPROTO_COMP, IPPROTO_ESP }, { 0x306, 0x1002 }, "2001:db8:6::5",
	  "2001:db8:2::1" },
	{ 4, 4, false, 1, { IPPROTO_COMP }, { 0x307 }, "203.0.113.130", "198.51.100.1" },
	{ 4, 4, true, 1, { IPPROTO_ESP }, { 0x4001 }, "203.0.113.200", "198.51.100.1" },
};
#define NTMPL (sizeof(tmpls) / sizeof(tmpls[0]))

#define K16 "0x000102030405060708090a0b0c0d0e0f"
#define K20 "0x101112131415161718191a1b1c1d1e1f20212223"
#define K32 "0x303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f"
#define GCM "-E aes-gcm-16 " K20
#define CBC "-E aes-cbc " K16 " -A hmac-sha256 " K32
#define P6 "2001:db8:1::2"
#define L6 "2001:db8:1::1"
#define P4 "192.0.2.2"
#define L4 "192.0.2.1"

static const char sad_spd[] =
	"add " P6 " " L6 " esp 0x1001 -m transport -r 64 -f esn " GCM ";"
	"add " P6 " " L6 " esp 0x1002 -m transport -r 64 " CBC ";"
	"add " P6 " " L6 " ah 0x1003 -m transport -r 64 -A hmac-sha1 " K20 ";"
	"add " P6 " " L6 " ipcomp 0x104 -m transport -C deflate;"
	"add " P4 " " L4 " esp 0x2001 -m transport -r 64 -f esn " GCM ";"
	"add " P4 " " L4 " esp 0x2002 -m transport -r 64 " CBC ";"
	"add " P4 " " L4 " ah 0x2003 -m transport -r 64 -A hmac-sha1 " K20 ";"
	"add " P4 " " L4 " ipcomp 0x204 -m transport -C deflate;"
	"add " P6 " " L6 " esp 0x3001 -m tunnel -r 64 -f esn " GCM ";"
	"add " P4 " " L4 " esp 0x3002 -m tunnel -r 64 " CBC ";"
	"add " P6 " " L6 " esp 0x3003 -m tunnel -r 64 " CBC ";"
	"add " P4 " " L4 " esp 0x3004 -m tunnel -r 64 -f esn " GCM ";"
	"add " P6 " " L6 " ah 0x3005 -m tunnel -r 64 -A hmac-sha1 " K20 ";"
	"add " P6 " " L6 " ipcomp 0x306 -m tunnel -C deflate;"
	"add " P4 " " L4 " ipcomp 0x307 -m tunnel -C deflate;"
	"add " P4 "[4500] " L4 "[4500] esp-udp 0x4001 -m tunnel -r 64 " GCM ";"
	/* Older than 0x3102, so only the unique:7 policy picks it (RFC 3948 replies). */
	"add " L4 "[4500] " P4 "[4500] esp-udp 0x4101 -m tunnel -u 7 " GCM ";"
	"add " L6 " " P6 " esp 0x1101 -m transport " GCM ";"
	"add " L4 " " P4 " esp 0x2101 -m transport " GCM ";"
	"add " L6 " " P6 " esp 0x3101 -m tunnel " GCM ";"
	"add " L4 " " P4 " esp 0x3102 -m tunnel " CBC ";"
	"spdadd " P6 " " L6 "[5001] udp -P in ipsec esp/transport//require;"
	"spdadd " P6 " " L6 "[5002] udp -P in ipsec ah/transport//require;"
	"spdadd " P6 " " L6 "[5003] udp -P in ipsec ipcomp/transport//use esp/transport//require;"
	"spdadd " P6 " " L6 " tcp -P in discard;"
	"spdadd " P6 " " L6 " icmp6 -P in none;"
	"spdadd " L6 " " P6 " any -P out ipsec esp/transport//require;"
	"spdadd " P4 " " L4 "[5001] udp -P in ipsec esp/transport//require;"
	"spdadd " P4 " " L4 "[5002] udp -P in ipsec ah/transport//require;"
	"spdadd " P4 " " L4 "[5003] udp -P in ipsec ipcomp/transport//use esp/transport//require;"
	"spdadd " L4 " " P4 " any -P out ipsec esp/transport//require;"
	"spdadd 2001:db8:9::/64 2001:db8:2::/64 any -P in ipsec esp/tunnel/" P6 "-" L6 "/require;"
	"spdadd 2001:db8:9::/64 2001:db8:ff::/48 any -P fwd ipsec esp/tunnel/" P6 "-" L6 "/require;"
	"spdadd 2001:db8:2::/64 2001:db8:9::/64 any -P out ipsec esp/tunnel/" L6 "-" P6 "/require;"
	"spdadd 2001:db8:8::/64 2001:db8:2::/64 any -P in ipsec esp/tunnel/" P4 "-" L4 "/require;"
	"spdadd 2001:db8:7::/64 2001:db8:2::/64 any -P in ipsec ah/tunnel/" P6 "-" L6 "/require;"
	"spdadd 2001:db8:6::/64 2001:db8:2::/64 any -P in ipsec ipcomp/tunnel/" P6 "-" L6
	"/use esp/transport//require;"
	"spdadd 203.0.113.0/26 198.51.100.0/24 any -P in ipsec esp/tunnel/" P4 "-" L4 "/require;"
	"spdadd 203.0.113.0/26 198.51.100.0/24 any -P fwd ipsec esp/tunnel/" P4 "-" L4 "/require;"
	"spdadd 198.51.100.0/25 203.0.113.0/26 any -P out ipsec esp/tunnel/" L4 "-" P4 "/require;"
	"spdadd 203.0.113.64/26 198.51.100.0/24 any -P in ipsec esp/tunnel/" P6 "-" L6 "/require;"
	"spdadd 203.0.113.128/26 198.51.100.0/24 any -P in ipsec ipcomp/tunnel/" P4 "-" L4
	"/require;"
	"spdadd 203.0.113.192/26 198.51.100.0/24 any -P in ipsec esp/tunnel/" P4 "-" L4 "/require;"
	"spdadd 198.51.100.0/25 203.0.113.192/26 any -P out ipsec esp/tunnel/" L4 "-" P4
	"/unique:7;";

static const char *const config[] = {
	"addr add " L6 "/64 dev eth0 nodad", "addr add " L4 "/24 dev eth0 nodad",
	"addr add 2001:db8:2::1/64 dev eth0 nodad", "addr add 198.51.100.1/25 dev eth0 nodad",
	"addr add 2001:db8:fe::1/64 dev eth1 nodad", "addr add 198.51.100.129/25 dev eth1 nodad",
	"route add 2001:db8::/32 via " P6, "route add 203.0.113.0/24 via " P4,
	"route add 2001:db8:ff::/48 via 2001:db8:fe::2",
	"sysctl -w net.ipv6.conf.all.forwarding=1", "sysctl -w net.ipv4.ip_forward=1",
};

static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
static struct in6_addr peer6, local6, peer4, local4;     /* IPv4 mapped */
static struct in6_addr isrc[NTMPL], idst[NTMPL], fwd6, fwd4;
static struct xfrm_state *sas[NTMPL][2];
static struct usock *socks[NSOCK];
static unsigned pool_base, sa_base;

static struct in6_addr addr(const char *s)
{
	struct in6_addr a;
	uint32_t v4;

	if (inet_pton(AF_INET, s, &v4) == 1)
		ip4_to_mapped(&a, v4);
	else if (inet_pton(AF_INET6, s, &a) != 1)
		abort();
	return a;
}

static void configure(struct netdev *eth1)
{
	struct in6_addr gw6;
	struct cmd_env env = { .st = st, .out = fopen("/dev/null", "w"), .err = stderr };
	char line[128];

	for (size_t i = 0; i < sizeof(config) / sizeof(config[0]); i++) {
		snprintf(line, sizeof(line), "%s", config[i]);
		if (!env.out || cmd_exec_line(&env, line) != 0)
			abort();
	}
	if (setkey_run(st, sad_spd, sizeof(sad_spd) - 1, SETKEY_PARSE_KERNEL, false, NULL, env.out,
		       stderr) != 0)
		abort();
	fclose(env.out);
	peer6 = addr(P6), local6 = addr(L6), peer4 = addr(P4), local4 = addr(L4);
	fwd6 = addr("2001:db8:ff::5"), fwd4 = addr("198.51.100.200");
	/* Permanent neighbours: replies and forwarded packets leave at once, never queued. */
	gw6 = addr("2001:db8:fe::2");
	if (nd6_neigh_add_permanent(st, dev, &peer6, peer_mac) ||
	    nd6_neigh_add_permanent(st, dev, &peer4, peer_mac) ||
	    nd6_neigh_add_permanent(st, eth1, &fwd4, peer_mac) ||
	    nd6_neigh_add_permanent(st, eth1, &gw6, peer_mac))
		abort();
}

static void setup(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	configure(fuzz_host_setup("fuzz-xfrm"));
	for (size_t i = 0; i < NTMPL; i++) {
		const struct tmpl *t = &tmpls[i];
		const struct in6_addr *l = t->outer == 6 ? &local6 : &local4;

		for (unsigned s = 0; s < t->nsteps; s++)
			if (!(sas[i][s] = xfrm_state_lookup(st, l, t->spi[s], t->proto[s])))
				abort();
		if (t->isrc)
			isrc[i] = addr(t->isrc), idst[i] = addr(t->idst);
	}
	for (unsigned k = 0; k < NSOCK; k++) {
		socks[k] = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
		sa.sin6_port = htons((uint16_t)(5001 + k));
		if (!socks[k] || usagi_bind(socks[k], (struct sockaddr *)&sa, sizeof(sa)))
			abort();
	}
	usagi_stack_advance(st, st->now + 5 * NS_PER_SEC);
	pool_base = pkt_pool_in_use(st->pool);
	sa_base = xfrm_state_count(st);
}

/* Every SA as freshly added: empty window, no packets counted, no sequence numbers used. */
static int sa_reset(struct stack *s, struct xfrm_state *x, void *ctx)
{
	/* The SAD's reference and xfrm_state_foreach's: any other is a security path leaked. */
	if (x->refcnt != 2)
		abort();
	if (x->replay) {
		x->replay->top = 0;
		memset(x->replay->bits, 0, (x->replay->mask + 1) * sizeof(x->replay->bits[0]));
	}
	memset(&x->cur, 0, sizeof(x->cur));
	memset(&x->stats, 0, sizeof(x->stats));
	x->cur.add_time = s->now;
	x->seq_out = 0;
	return 0;
}

/* BUILD: the UDP/TCP/ICMP length and checksum of the payload made right, so delivery is reached. */
static void l4_fix(struct pkt *p, uint8_t nxt, bool v6, const struct in6_addr *src,
		   const struct in6_addr *dst)
{
	uint8_t *l4 = p->data;
	size_t n = p->len, off;
	uint32_t sum;
	uint16_t c;

	if (nxt == IPPROTO_UDP && n >= 8)
		off = 6, put_be16(l4 + 4, (uint16_t)n);
	else if (nxt == IPPROTO_TCP && n >= 20)
		off = 16;
	else if (nxt == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) && n >= 4)
		off = 2;
	else
		return;
	put_be16(l4 + off, 0);
	if (nxt == IPPROTO_ICMP)
		sum = 0;
	else if (v6)
		sum = csum_ipv6_pseudo(src, dst, (uint32_t)n, nxt);
	else
		sum = ip4_pseudo_csum(ip4_from_mapped(src), ip4_from_mapped(dst), nxt, (uint32_t)n);
	c = csum_fold(csum_partial(l4, n, sum));
	put_be16(l4 + off, nxt == IPPROTO_UDP && !c ? 0xffff : c);
}

/*
 * Pushes an IPv6 or IPv4 header (@v6) from @src to @dst carrying @nxt,
 * traffic class/TOS @ds; IPv4: @olen bytes of options already pushed.
 */
static void push_ip(struct pkt *p, bool v6, const struct in6_addr *src, const struct in6_addr *dst,
		    uint8_t nxt, uint8_t ds, size_t olen)
{
	size_t len = p->len;
	uint8_t *h;

	if (v6) {
		h = pkt_push(p, IPV6_HLEN);
		ip6_set_vtcfl((struct ip6_hdr *)h, ds, 0);
		put_be16(h + 4, (uint16_t)len);
		h[6] = nxt;
		h[7] = 64;
		memcpy(h + 8, src, 16);
		memcpy(h + 24, dst, 16);
		return;
	}
	h = pkt_push(p, IPV4_HLEN);
	memset(h, 0, IPV4_HLEN);
	h[0] = (uint8_t)(0x40 | (IPV4_HLEN + olen) / 4);
	h[1] = ds;
	put_be16(h + 2, (uint16_t)(len + IPV4_HLEN));
	h[8] = 64;
	h[9] = nxt;
	ip4_put(h + 12, ip4_from_mapped(src));
	ip4_put(h + 16, ip4_from_mapped(dst));
	ip4_set_csum(h, IPV4_HLEN + olen);
}

/* One input, taken apart. */
struct input {
	const struct tmpl *t;
	size_t i;                  /* the template's index */
	uint8_t ctl, nxt, ds;
	uint8_t enxt;              /* CTL_EXT, IPv6: the first extension header's type */
	const uint8_t *ext;        /* CTL_EXT: outer extension headers (IPv6) or options (IPv4) */
	size_t elen;
	const uint8_t *pl;
	size_t plen;
};

/*
 * [template][controls][next header][DS], with CTL_EXT on an IPsec template
 * [first extension header type][length / 8 (IPv6 % 16, IPv4 % 6)][headers],
 * then the payload. 0 or -1 (too short or too long).
 */
static int parse(const uint8_t *d, size_t n, struct input *in)
{
	if (n < 4)
		return -1;
	memset(in, 0, sizeof(*in));
	in->i = d[0] % NTMPL;
	in->t = &tmpls[in->i];
	in->ctl = d[1], in->nxt = d[2], in->ds = d[3];
	d += 4, n -= 4;
	if ((in->ctl & CTL_EXT) && in->t->nsteps) {
		if (n < 2)
			return -1;
		in->enxt = d[0];
		in->elen = (size_t)(in->t->outer == 6 ? d[1] % 16 : d[1] % 6) * 8;
		if (n - 2 < in->elen)
			return -1;
		in->ext = d + 2;
		d += 2 + in->elen, n -= 2 + in->elen;
	}
	in->pl = d, in->plen = n;
	return n > MAX_PAYLOAD ? -1 : 0;
}

/* The inner part: a tunnel template's inner IP header (with CTL_BUILD), or a payload's checksum. */
static void build_inner(const struct input *in, uint8_t *nxt, struct pkt *p)
{
	const struct tmpl *t = in->t;
	bool v6 = (t->inner ? t->inner : t->outer) == 6;
	const struct in6_addr *src = t->inner ? &isrc[in->i] : v6 ? &peer6 : &peer4;
	const struct in6_addr *dst = t->inner ? &idst[in->i] : v6 ? &local6 : &local4;

	if (t->inner && (in->ctl & CTL_FWD))
		dst = v6 ? &fwd6 : &fwd4;
	l4_fix(p, *nxt, v6, src, dst);
	if (!t->inner)
		return;
	push_ip(p, v6, src, dst, *nxt, (uint8_t)((in->ds >> 2) & 3), 0);
	*nxt = v6 ? NH_IPV6 : NH_IPIP;
}

static uint64_t seq_of(uint8_t ctl)
{
	return (ctl & CTL_ESN_HI ? 1ull << 32 : 0) | seqs[CTL_SEQ(ctl)];
}

/* ESP and IPComp steps, innermost first; AH (always the outermost) is applied with the outer header. */
static int seal(const struct input *in, uint8_t *nxt, struct pkt *p)
{
	for (unsigned s = 0; s < in->t->nsteps; s++) {
		struct xfrm_state *x = sas[in->i][s];
		struct esp_sa_params esp = { .spi = x->c.id.spi, .esn = x->c.flags & XFRM_SA_F_ESN,
					     .c = x->crypto };
		int rc;

		if (x->c.id.proto == IPPROTO_ESP) {
			if (esp_encap(&esp, p, *nxt, seq_of(in->ctl)) < 0)
				return -1;
			*nxt = IPPROTO_ESP;
		} else if (x->c.id.proto == IPPROTO_COMP) {
			rc = ipcomp_output(x->comp, (uint16_t)x->c.id.spi, p, *nxt, 0);
			if (rc < 0)
				return -1;
			if (rc == 1)
				*nxt = IPPROTO_COMP;
		}
	}
	return 0;
}

/* Unsealed: the payload is the outermost IPsec header; CTL_BUILD writes the template's SPI/CPI in. */
static uint8_t raw_spi(const struct input *in, struct pkt *p)
{
	uint8_t proto = in->t->proto[in->t->nsteps - 1];
	uint32_t spi = in->t->spi[in->t->nsteps - 1];

	if (!(in->ctl & CTL_BUILD))
		return proto;
	if (proto == IPPROTO_ESP && p->len >= 4)
		put_be32(p->data, spi);
	else if (proto == IPPROTO_AH && p->len >= 8)
		put_be32(p->data + 4, spi);
	else if (proto == IPPROTO_COMP && p->len >= 4)
		put_be16(p->data + 2, (uint16_t)spi);
	return proto;
}

/* Points the last header of the IPv6 extension chain @e (@len bytes, the first of type @t) at @nxt. */
static void chain_end(uint8_t *e, size_t len, uint8_t t, uint8_t nxt)
{
	size_t off = 0, last = 0;

	while (off + 8 <= len) {
		last = off;
		off += t == NH_FRAGMENT ? 8 : ((size_t)e[off + 1] + 1) * 8;
		t = e[last];
	}
	e[last] = nxt;
}

/* The outer header from the peer carrying @nxt, behind the input's extension headers / options. */
static void push_outer(struct pkt *p, const struct input *in, uint8_t nxt)
{
	bool v6 = in->t->outer == 6;

	if (in->elen) {
		uint8_t *e = pkt_push(p, in->elen);

		memcpy(e, in->ext, in->elen);
		if (v6) {
			chain_end(e, in->elen, in->enxt, nxt);
			nxt = in->enxt;
		}
	}
	push_ip(p, v6, v6 ? &peer6 : &peer4, v6 ? &local6 : &local4, nxt, in->ds, v6 ? 0 : in->elen);
}

/* The outer part: the AH step when sealing, UDP for NAT-T, the outer header. 0 or -1. */
static int outer(const struct input *in, uint8_t nxt, struct pkt *p)
{
	bool v6 = in->t->outer == 6;
	struct xfrm_state *x = sas[in->i][in->t->nsteps - 1];
	struct ah_sa_params ah = { .spi = x->c.id.spi, .esn = x->c.flags & XFRM_SA_F_ESN,
				   .c = x->crypto };
	size_t al;
	uint8_t *u;

	if ((in->ctl & CTL_SEAL) && x->c.id.proto == IPPROTO_AH) {
		al = ah_hdr_len(&ah, v6 ? AF_INET6 : AF_INET);
		memset(pkt_push(p, al), 0, al);
		push_outer(p, in, IPPROTO_AH);
		return ah_output(&ah, p, (v6 ? IPV6_HLEN : IPV4_HLEN) + in->elen, nxt,
				 seq_of(in->ctl)) < 0 ? -1 : 0;
	}
	if (in->t->natt) {
		/* RFC 3948 2.1: ports 4500, checksum zero. */
		u = pkt_push(p, UDP_HLEN);
		put_be16(u, XFRM_NATT_PORT);
		put_be16(u + 2, XFRM_NATT_PORT);
		put_be16(u + 4, (uint16_t)p->len);
		put_be16(u + 6, 0);
		nxt = IPPROTO_UDP;
	}
	push_outer(p, in, nxt);
	return 0;
}

/* The Ethernet frame for @in (NULL when a codec refused it). */
static struct pkt *frame(const struct input *in)
{
	struct pkt *p = pkt_alloc(st->pool, ROOM, in->plen + ROOM);
	uint8_t nxt = in->nxt, *eth;

	if (!p)
		abort();
	memcpy(pkt_put(p, in->plen), in->pl, in->plen);
	if (in->t->nsteps && (in->ctl & CTL_SEAL)) {
		if (in->ctl & CTL_BUILD)
			build_inner(in, &nxt, p);
		if (seal(in, &nxt, p) < 0)
			goto fail;
	} else if (in->t->nsteps) {
		nxt = raw_spi(in, p);
	}
	if (in->t->nsteps && outer(in, nxt, p) < 0)
		goto fail;
	eth = pkt_push(p, ETH_HLEN);
	memcpy(eth, dev->mac, 6);
	memcpy(eth + 6, peer_mac, 6);
	put_be16(eth + 12, in->t->outer == 6 ? ETH_P_IPV6 : ETH_P_IP);
	return p;
fail:
	pkt_free(p);
	return NULL;
}

/*
 * 61 s of the stack's life, event by event (one jump would let timers that
 * re-arm from the new time sleep past it): every reassembly, acquire and
 * neighbour resolution started by the input has ended by then.
 */
static void flush(void)
{
	uint64_t end = st->now + 61 * NS_PER_SEC, t;

	for (unsigned n = 0; n < 10000 && (t = usagi_stack_next_event(st)) <= end; n++)
		usagi_stack_advance(st, t);
	usagi_stack_advance(st, end);
}

static void drain(void)
{
	uint8_t buf[256];

	for (unsigned k = 0; k < NSOCK; k++)
		while (usagi_recvfrom(socks[k], buf, sizeof(buf), 0, NULL, NULL) >= 0)
			;
}

/* FUZZ_XFRM_TRACE=1: the counters an input moved, to check what a seed reaches. */
static void trace(const uint64_t *before)
{
	for (unsigned i = 0; i < STAT_MAX; i++)
		if (st->stats[i] != before[i])
			fprintf(stderr, " %s+%llu", stat_name(i),
				(unsigned long long)(st->stats[i] - before[i]));
	fprintf(stderr, "\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t before[STAT_MAX];
	static int tracing = -1;
	struct pkt *p, *again = NULL;
	struct input in;

	if (!st)
		setup();
	if (parse(data, size, &in) < 0)
		return 0;
	if (tracing < 0)
		tracing = getenv("FUZZ_XFRM_TRACE") != NULL;
	if (tracing)
		memcpy(before, st->stats, sizeof(before));
	p = frame(&in);
	if (p && (in.ctl & CTL_TWICE) && !(again = pkt_copy(st->pool, p)))
		abort();
	if (p)
		netdev_rx(dev, p);
	if (again)
		netdev_rx(dev, again);
	drain();
	flush();
	drain();
	if (tracing)
		trace(before);
	if (pkt_pool_in_use(st->pool) != pool_base || xfrm_state_count(st) != sa_base)
		abort();
	xfrm_state_foreach(st, XFRM_PROTO_ANY, sa_reset, NULL);
	return 0;
}
